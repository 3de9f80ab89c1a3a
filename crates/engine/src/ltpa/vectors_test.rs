//! The module against published vectors (see `testdata/README.md`): a real
//! Liberty key export and LtpaToken2, and known Domino tokens. Their times
//! have passed, so every check passes `now` explicitly.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use sha1::{Digest, Sha1};

use super::*;

const KEYS: &[u8] = include_bytes!("testdata/sephiroth-ltpa.keys");
const PASSWORD: &[u8] = include_bytes!("testdata/sephiroth-password.txt");
const TOKEN: &str = include_str!("testdata/sephiroth-ltpatoken2.txt");
const TOKEN_URI: &str = include_str!("testdata/sephiroth-ltpatoken2-uri-encoded.txt");
const PLAINTEXT: &str = include_str!("testdata/sephiroth-ltpatoken2-plaintext.txt");
const DOMINO: &str = include_str!("testdata/markusberg-domino.txt");

const EXPIRES: u64 = 1_519_043_460_000;
const USER_ID: &str = "CN=fae6d87c-c642-45a6-9f09-915c7fd8b08c,OU=user,DC=foo,DC=bar";

fn key_set() -> KeySet {
    KeySet::from_keys_file(KEYS, &read_password_file(PASSWORD).unwrap()).unwrap()
}

fn ltpa_validator() -> Validator {
    Validator {
        key_sets: vec![key_set()],
        ..Validator::default()
    }
}

#[test]
fn keys_file_opens_with_its_password_only() {
    let keys = key_set();
    assert_eq!(keys.realm(), Some("defaultRealm"));
    assert_eq!(keys.public_key().bits(), 1024);
    assert_eq!(
        KeySet::from_keys_file(KEYS, b"test124").unwrap_err(),
        KeyError::WrongPassword
    );
    assert_eq!(
        KeySet::from_keys_file(KEYS, b"").unwrap_err(),
        KeyError::WrongPassword
    );
}

fn oracle_public_key() -> RsaPublicKey {
    let raw = public_key_bytes();
    RsaPublicKey::new(
        BigUint::from_bytes_be(&raw[..129]),
        BigUint::from_bytes_be(&raw[129..]),
    )
    .unwrap()
}

fn public_key_bytes() -> Vec<u8> {
    let b64 = core::str::from_utf8(KEYS)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("com.ibm.websphere.ltpa.PublicKey="))
        .unwrap();
    STANDARD.decode(b64).unwrap()
}

/// `PublicKey` is a 129-byte signed modulus then a 3-byte exponent.
#[test]
fn public_key_layout() {
    let raw = public_key_bytes();
    assert_eq!(raw.len(), 132);
    assert_eq!(raw[0], 0, "sign byte");
    assert!(raw[1] >= 0x80, "1024 bits exactly");
    assert_eq!(&raw[129..], &[1, 0, 1]);
}

#[test]
fn token_decrypts_to_the_published_plaintext() {
    let ct = STANDARD.decode(TOKEN.trim()).unwrap();
    let plain = cipher::aes_cbc_decrypt(key_set().aes_key(), &ct).unwrap();
    assert_eq!(core::str::from_utf8(&plain).unwrap(), PLAINTEXT.trim_end());
}

/// The signature is PKCS#1 v1.5/SHA-1 over SHA-1(userdata): one digest is
/// not enough.
#[test]
fn signature_is_over_a_digest_of_a_digest() {
    let keys = key_set();
    let plain = PLAINTEXT.trim_end().as_bytes();
    let sealed = userdata::split(plain).unwrap();
    let sig = STANDARD.decode(sealed.signature_b64).unwrap();
    let once: [u8; 20] = Sha1::digest(sealed.signed).into();
    let twice: [u8; 20] = Sha1::digest(once).into();
    // The `rsa` crate as the oracle, then ours.
    let oracle = oracle_public_key();
    assert!(
        oracle
            .verify(Pkcs1v15Sign::new::<Sha1>(), &twice, &sig)
            .is_ok()
    );
    assert!(
        oracle
            .verify(Pkcs1v15Sign::new::<Sha1>(), &once, &sig)
            .is_err()
    );
    assert!(keys.public_key().verify_pkcs1_sha1(&twice, &sig));
    assert!(!keys.public_key().verify_pkcs1_sha1(&once, &sig));
}

#[test]
fn validates_the_published_token_plain_and_percent_encoded() {
    let v = ltpa_validator();
    for cookie in [TOKEN.trim(), TOKEN_URI.trim()] {
        let token = v.validate(cookie.as_bytes(), EXPIRES - 1_000).unwrap();
        assert_eq!(token.format, Format::Ltpa2);
        assert_eq!(token.user, USER_ID);
        assert_eq!(token.realm.as_deref(), Some("LdapRegistry"));
        assert_eq!(token.expires_unix_millis, EXPIRES);
        assert_eq!(token.created_unix_secs, None);
        assert_eq!(token.key_index, 0);
    }
}

#[test]
fn published_token_refusals() {
    let v = ltpa_validator();
    let cookie = TOKEN.trim().as_bytes();
    // Valid through the skew, expired after it.
    assert!(v.validate(cookie, EXPIRES + 60_000).is_ok());
    let err = v.validate(cookie, EXPIRES + 60_001).unwrap_err();
    assert_eq!(
        err,
        Refusal::Expired {
            at_unix_millis: EXPIRES
        }
    );
    assert_eq!(err.to_string(), "expired at 2018-02-19T12:31:00Z");

    let realm = |r: &str| Validator {
        realms: vec![r.into()],
        ..ltpa_validator()
    };
    assert!(realm("ldapregistry").validate(cookie, EXPIRES).is_ok());
    assert_eq!(
        realm("defaultRealm").validate(cookie, EXPIRES),
        Err(Refusal::RealmNotAccepted)
    );

    let only_domino = Validator {
        accept: Accept::NONE.with(Format::Domino),
        ..ltpa_validator()
    };
    assert_eq!(
        only_domino.validate(cookie, EXPIRES),
        Err(Refusal::FormatNotAccepted)
    );
    assert_eq!(
        Validator::default().validate(cookie, EXPIRES),
        Err(Refusal::NoKey)
    );

    // A flipped byte in the first block garbles the userdata: the signature fails.
    let mut ct = STANDARD.decode(cookie).unwrap();
    ct[3] ^= 0x20;
    assert_eq!(
        v.validate(STANDARD.encode(&ct).as_bytes(), EXPIRES),
        Err(Refusal::BadSignature)
    );
    // A flipped byte in the last block breaks the padding: no key opens it.
    let last = ct.len() - 1;
    ct[3] ^= 0x20;
    ct[last] ^= 0x01;
    assert_eq!(
        v.validate(STANDARD.encode(&ct).as_bytes(), EXPIRES),
        Err(Refusal::NoKey)
    );
    assert_eq!(v.validate(b"x", EXPIRES), Err(Refusal::Malformed));
}

struct DominoVector {
    validity: u64,
    grace: u64,
    token: String,
}

fn domino_vectors() -> (Vec<(String, DominoSecret)>, Vec<DominoVector>) {
    let (mut secrets, mut tokens) = (Vec::new(), Vec::new());
    for line in DOMINO.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            ["secret", domain, b64] => secrets.push((
                domain.to_string(),
                DominoSecret::from_base64_line(b64.as_bytes()).unwrap(),
            )),
            ["token", validity, grace, b64] => tokens.push(DominoVector {
                validity: validity.parse().unwrap(),
                grace: grace.parse().unwrap(),
                token: b64.to_string(),
            }),
            _ => {}
        }
    }
    (secrets, tokens)
}

const BASE: u64 = 1_234_567_890;

#[test]
fn domino_vectors_verify_and_carry_their_times() {
    let (mut secrets, tokens) = domino_vectors();
    let _invalid = secrets.pop().unwrap();
    let v = Validator {
        domino_secrets: vec![secrets.pop().unwrap().1],
        ..Validator::default()
    };
    assert_eq!(tokens.len(), 3);
    for t in &tokens {
        let token = v.validate(t.token.as_bytes(), BASE * 1000).unwrap();
        assert_eq!(token.format, Format::Domino);
        assert_eq!(token.user, "My Test User");
        assert_eq!(token.realm, None);
        assert_eq!(token.created_unix_secs, Some(BASE - t.grace));
        assert_eq!(
            token.expires_unix_millis,
            (BASE + t.validity + t.grace) * 1000
        );
    }
}

#[test]
fn domino_refusals() {
    let (mut secrets, tokens) = domino_vectors();
    let invalid = secrets.pop().unwrap().1;
    let good = secrets.pop().unwrap().1;
    let short = tokens[2].token.as_bytes(); // valid 10 s from BASE
    let v = Validator {
        domino_secrets: vec![good],
        ..Validator::default()
    };

    let err = v.validate(short, (BASE + 10 + 61) * 1000).unwrap_err();
    assert_eq!(
        err,
        Refusal::Expired {
            at_unix_millis: (BASE + 10) * 1000
        }
    );
    assert_eq!(err.to_string(), "expired at 2009-02-13T23:31:40Z");

    // Created at BASE: valid from BASE - skew on.
    assert!(v.validate(short, (BASE - 60) * 1000).is_ok());
    let early = v.validate(short, (BASE - 61) * 1000).unwrap_err();
    assert_eq!(
        early,
        Refusal::NotYetValid {
            from_unix_secs: BASE
        }
    );
    assert_eq!(
        early.to_string(),
        "not yet valid until 2009-02-13T23:31:30Z"
    );

    // Realms only filter LtpaToken2 and v1 tokens.
    let v = Validator {
        realms: vec!["any".into()],
        ..v
    };
    assert!(v.validate(short, BASE * 1000).is_ok());

    let other = Validator {
        domino_secrets: vec![invalid],
        ..Validator::default()
    };
    assert_eq!(other.validate(short, BASE * 1000), Err(Refusal::NoKey));
    let not_accepted = Validator {
        accept: Accept::NONE.with(Format::Ltpa2),
        ..Validator::default()
    };
    assert_eq!(
        not_accepted.validate(short, BASE * 1000),
        Err(Refusal::FormatNotAccepted)
    );
}
