//! Tokens minted with generated key sets, validated from the key files and
//! password files a site would configure: each valid token is accepted, each
//! damaged one refused with its reason.

#[path = "ltpa_support/mod.rs"]
mod support;

use std::sync::Arc;

use photoguard_engine::ltpa::{Accept, Format, KeyError, KeySet, Refusal, TokenCache, Validator};
use photoguard_ltpa_mint::{Claims, broken, mint_domino, mint_ltpa2, mint_v1, tokens};
use support::*;

fn check(cookie: &str) -> Result<photoguard_engine::ltpa::Token, Refusal> {
    validator().validate(cookie.as_bytes(), NOW)
}

fn domino(created: u64, expires: u64) -> String {
    mint_domino(
        &fixture().secret,
        DOMINO_USER,
        created as u32,
        expires as u32,
    )
}

#[test]
fn valid_tokens_of_each_format() {
    let f = fixture();
    let t = check(&mint_ltpa2(&f.a, &claims())).unwrap();
    assert_eq!(
        (t.format, t.user.as_str()),
        (Format::Ltpa2, "uid=jane.doe,ou=people,o=example")
    );
    assert_eq!(t.realm.as_deref(), Some("ldap.example.com:389"));
    assert_eq!(
        (t.expires_unix_millis, t.created_unix_secs, t.key_index),
        (EXPIRES, None, 0)
    );

    let t = check(&mint_v1(&f.a, &claims())).unwrap();
    assert_eq!(
        (t.format, t.user.as_str()),
        (Format::WebSphereV1, "uid=jane.doe,ou=people,o=example")
    );
    assert_eq!(t.expires_unix_millis, EXPIRES);

    let t = check(&domino(NOW / 1000 - 60, EXPIRES_SECS)).unwrap();
    assert_eq!(
        (t.format, t.user.as_str(), t.realm),
        (Format::Domino, "CN=Jane Doe/O=Example", None)
    );
    assert_eq!(t.created_unix_secs, Some(NOW / 1000 - 60));

    // LMBCS: ö is 0x94 in code page 850 after the group byte 0x01.
    let name = mint_domino(
        &f.secret,
        b"CN=J\x01\x94rg M\x01\x81ller/O=Example",
        0,
        EXPIRES_SECS as u32,
    );
    assert_eq!(
        check(&name).unwrap().user,
        "CN=J\u{f6}rg M\u{fc}ller/O=Example"
    );
}

#[test]
fn rotation_second_key_set_verifies() {
    let t = check(&mint_ltpa2(&fixture().b, &claims())).unwrap();
    assert_eq!(t.key_index, 1);
    assert_eq!(
        check(&mint_v1(&fixture().b, &claims())).unwrap().key_index,
        1
    );
}

#[test]
fn expired_and_not_yet_valid() {
    let f = fixture();
    let v = validator();
    let after = EXPIRES + 60_001; // past the default 60 s skew
    for token in [
        mint_ltpa2(&f.a, &claims()),
        mint_v1(&f.a, &claims()),
        domino(0, EXPIRES_SECS),
    ] {
        assert!(v.validate(token.as_bytes(), EXPIRES + 60_000).is_ok());
        let err = v.validate(token.as_bytes(), after).unwrap_err();
        assert_eq!(err.to_string(), "expired at 2026-11-20T10:00:00Z");
    }
    let future = domino(NOW / 1000 + 61, EXPIRES_SECS);
    let err = check(&future).unwrap_err();
    assert_eq!(
        err,
        Refusal::NotYetValid {
            from_unix_secs: NOW / 1000 + 61
        }
    );
    assert_eq!(err.to_string(), "not yet valid until 2026-11-20T09:01:01Z");
    assert!(
        check(&domino(NOW / 1000 + 60, EXPIRES_SECS)).is_ok(),
        "within the skew"
    );
    let strict = Validator {
        clock_skew_secs: 0,
        ..validator()
    };
    let expired = strict.validate(mint_ltpa2(&f.a, &claims()).as_bytes(), EXPIRES + 1);
    assert_eq!(
        expired,
        Err(Refusal::Expired {
            at_unix_millis: EXPIRES
        })
    );
}

#[test]
fn tampering_is_refused() {
    let f = fixture();
    let ltpa2 = mint_ltpa2(&f.a, &claims());
    let v1 = mint_v1(&f.a, &claims());
    let dom = domino(0, EXPIRES_SECS);
    // First block garbled: decrypts, the signature fails.
    assert_eq!(
        check(&broken::flip_byte(&ltpa2, 3, 0x20)),
        Err(Refusal::BadSignature)
    );
    assert_eq!(
        check(&broken::flip_byte(&v1, 3, 0x20)),
        Err(Refusal::BadSignature)
    );
    // Last block: the padding fails, nothing opens it.
    assert_eq!(
        check(&broken::flip_last_byte(&ltpa2, 0x01)),
        Err(Refusal::NoKey)
    );
    // Any change to a Domino token breaks its MAC.
    assert_eq!(
        check(&broken::flip_byte(&dom, 25, 0x01)),
        Err(Refusal::NoKey)
    );
    let other = Claims::new("uid=admin", "ldap.example.com:389", EXPIRES);
    assert_eq!(
        check(&broken::swapped_signature(&f.a, &claims(), &other)),
        Err(Refusal::BadSignature)
    );
    // The unsigned expiry may differ from the signed one by 3 s, no more.
    assert_eq!(
        check(&broken::expire_mismatch(
            &f.a,
            &claims(),
            EXPIRES + 3_600_000
        )),
        Err(Refusal::BadSignature)
    );
    assert_eq!(
        check(&broken::expire_mismatch(&f.a, &claims(), EXPIRES - 3_001)),
        Err(Refusal::BadSignature)
    );
    assert!(check(&broken::expire_mismatch(&f.a, &claims(), EXPIRES + 3_000)).is_ok());
    // A v1 signature in an LtpaToken2 (and the reverse) does not verify.
    let body = tokens::userdata(&claims(), Some(EXPIRES));
    let mixed = tokens::seal_ltpa2(&f.a, &body, EXPIRES, &tokens::sign_v1(&f.a, &body));
    assert_eq!(check(&mixed), Err(Refusal::BadSignature));
}

#[test]
fn wrong_keys_and_secrets() {
    let f = fixture();
    assert_eq!(
        check(&mint_ltpa2(&f.stranger, &claims())),
        Err(Refusal::NoKey)
    );
    assert_eq!(check(&mint_v1(&f.stranger, &claims())), Err(Refusal::NoKey));
    let foreign = mint_domino(&f.other_secret, DOMINO_USER, 0, EXPIRES_SECS as u32);
    assert_eq!(check(&foreign), Err(Refusal::NoKey));
    assert_eq!(
        Validator::default().validate(mint_ltpa2(&f.a, &claims()).as_bytes(), NOW),
        Err(Refusal::NoKey)
    );
}

#[test]
fn realm_filter() {
    let f = fixture();
    let v = Validator {
        realms: vec!["LDAP.example.com:389".into()],
        ..validator()
    };
    assert!(
        v.validate(mint_ltpa2(&f.a, &claims()).as_bytes(), NOW)
            .is_ok()
    );
    let other = Claims::new("uid=jane.doe", "other.example.org", EXPIRES);
    for token in [mint_ltpa2(&f.a, &other), mint_v1(&f.a, &other)] {
        assert_eq!(
            v.validate(token.as_bytes(), NOW),
            Err(Refusal::RealmNotAccepted)
        );
    }
    // Domino tokens carry no realm: the filter does not apply.
    assert!(v.validate(domino(0, EXPIRES_SECS).as_bytes(), NOW).is_ok());
}

#[test]
fn formats_not_accepted() {
    let f = fixture();
    let default = Validator {
        accept: Accept::default(),
        ..validator()
    };
    assert_eq!(
        default.validate(mint_v1(&f.a, &claims()).as_bytes(), NOW),
        Err(Refusal::FormatNotAccepted)
    );
    let only_v1 = Validator {
        accept: Accept::parse_words(["websphere-v1"]).unwrap(),
        ..validator()
    };
    assert_eq!(
        only_v1.validate(mint_ltpa2(&f.a, &claims()).as_bytes(), NOW),
        Err(Refusal::FormatNotAccepted)
    );
    assert_eq!(
        only_v1.validate(domino(0, EXPIRES_SECS).as_bytes(), NOW),
        Err(Refusal::FormatNotAccepted)
    );
    assert!(
        only_v1
            .validate(mint_v1(&f.a, &claims()).as_bytes(), NOW)
            .is_ok()
    );
}

#[test]
fn cookie_value_decoding() {
    let f = fixture();
    let token = mint_ltpa2(&f.a, &claims());
    assert!(
        token.contains('+') || token.contains('/'),
        "exercise the escapes"
    );
    assert!(check(&broken::percent_encoded(&token)).is_ok());
    assert_eq!(
        check(&broken::plus_as_space(&token)).is_ok(),
        !token.contains('+')
    );
    assert_eq!(
        check(&broken::truncated(&token, token.len() - 10)),
        Err(Refusal::Malformed)
    );
    assert_eq!(check(&broken::not_base64(&token)), Err(Refusal::Malformed));
    assert_eq!(
        check(&broken::oversized(&f.a, &claims())),
        Err(Refusal::Malformed)
    );
    assert_eq!(check(&format!("{token}%")), Err(Refusal::Malformed));
    assert_eq!(check(&format!("\"{token}\"")), Err(Refusal::Malformed));
    assert_eq!(
        check("x"),
        Err(Refusal::Malformed),
        "the forged LtpaToken2=x"
    );
    assert_eq!(check(""), Err(Refusal::Malformed));
    // Well-formed base64 of nothing in particular.
    assert_eq!(check(&"A".repeat(256)), Err(Refusal::NoKey));
}

#[test]
fn key_files_and_passwords() {
    let f = fixture();
    let wrong = KeySet::from_keys_file(f.a_file.as_bytes(), b"not it").unwrap_err();
    assert_eq!(wrong, KeyError::WrongPassword);
    assert!(
        wrong
            .to_string()
            .starts_with("the password does not decrypt the LTPA keys")
    );
    let fips = f.a_file.replace("ltpa.version=1.0", "ltpa.version=2.0");
    assert_eq!(
        KeySet::from_keys_file(fips.as_bytes(), PASSWORD).unwrap_err(),
        KeyError::UnsupportedVersion("2.0".into())
    );
    let keys = key_set(&f.a_file);
    assert_eq!(keys.realm(), Some("example.com"));
    assert_ne!(
        keys.public_key_fingerprint(),
        key_set(&f.b_file).public_key_fingerprint()
    );
    assert!(!format!("{keys:?}").contains(&format!("{:?}", f.a.des3_key)));
}

#[test]
fn cached_validation() {
    let f = fixture();
    let v = validator();
    let cache = TokenCache::new(64);
    let token = mint_ltpa2(&f.a, &claims());
    let first = v.validate_cached(&cache, token.as_bytes(), NOW).unwrap();
    let again = v
        .validate_cached(&cache, token.as_bytes(), NOW + 1)
        .unwrap();
    assert!(
        Arc::ptr_eq(&first, &again),
        "the repeat is answered from the cache"
    );
    assert_eq!(cache.len(), 1);
    // Refusals are not cached; an expired entry is dropped and re-checked.
    assert_eq!(
        v.validate_cached(&cache, b"x", NOW),
        Err(Refusal::Malformed)
    );
    let late = v
        .validate_cached(&cache, token.as_bytes(), EXPIRES + 60_001)
        .unwrap_err();
    assert_eq!(
        late,
        Refusal::Expired {
            at_unix_millis: EXPIRES
        }
    );
    assert!(cache.is_empty());
    v.validate_cached(&cache, token.as_bytes(), NOW).unwrap();
    cache.clear();
    assert!(cache.is_empty());
}

#[test]
fn shareable_across_apache_worker_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Validator>();
    send_sync::<TokenCache>();
    send_sync::<photoguard_engine::ltpa::Token>();
}
