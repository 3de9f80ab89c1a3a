//! The LTPA validator (`Validator::validate`, and `validate_cached`) on
//! fuzzed cookie values, with a fixed key set: the published Liberty key
//! export of the engine's test vectors (crates/engine/src/ltpa/testdata) and
//! the published Domino secret.
//!
//! Random bytes rarely decrypt, so most modes build the value around the
//! fuzzed bytes with that key set's keys (its private key signs, through
//! crates/ltpa-mint, which shares no code with the validator):
//!
//! | mode | cookie value |
//! |---|---|
//! | 0 | the fuzzed bytes as sent |
//! | 1 | LtpaToken2: the fuzzed bytes as plaintext, AES-128-CBC encrypted |
//! | 2 | LtpaToken2 minted from fuzzed claims (realm, user, expiry): round trip |
//! | 3 | Domino: the fuzzed bytes as body, with a valid MAC |
//! | 4 | Domino minted from a fuzzed user and times: round trip |
//! | 5 | WebSphere v1: the fuzzed bytes as plaintext, 3DES-ECB encrypted |
//! | 6 | WebSphere v1 minted from fuzzed claims: round trip |
//! | 7 | LtpaToken2: fuzzed userdata, validly signed, fuzzed expiry field |
//!
//! Input: mode and flags (byte 0: mode in bits 0-2, bit 3 a realm list, bit
//! 4 only the formats LtpaToken2 and Domino, bits 5-7 the clock skew), `now`
//! (8 bytes, little-endian millis), then the mode's bytes.
//!
//! Invariants: never panics; a token is accepted only in an accepted format,
//! of a listed realm (LtpaToken2, v1), before its expiry plus the skew, and (Domino) not
//! created later than now plus the skew, by a configured key; the cached
//! validation answers as the uncached one, at `now` and later; a minted
//! token validates to exactly its claims, or is refused for its time, its
//! realm or its format (then for any reason), or for a user name with
//! control characters.
#![no_main]

use std::sync::OnceLock;

use aes::Aes128;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::{BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit, generic_array::GenericArray};
use des::TdesEde3;
use libfuzzer_sys::fuzz_target;
use photoguard_engine::ltpa::{
    Accept, DominoSecret, Format, KeySet, Refusal, Token, TokenCache, Validator, read_password_file,
};
use photoguard_ltpa_mint::MintKeys;
use photoguard_ltpa_mint::tokens::{
    Claims, mint_domino, mint_ltpa2, mint_v1, seal_domino, seal_ltpa2, sign_ltpa2,
};

const KEYS: &[u8] = include_bytes!("../../crates/engine/src/ltpa/testdata/sephiroth-ltpa.keys");
const PASSWORD: &[u8] =
    include_bytes!("../../crates/engine/src/ltpa/testdata/sephiroth-password.txt");
/// `secret example.com` of markusberg-domino.txt.
const DOMINO_SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhM=";
const REALMS: &[&str] = &["defaultRealm", "LdapRegistry"];

struct Fixture {
    mint: MintKeys,
    domino: [u8; 20],
    /// By flag bits 3-7: [all formats, default formats] x [any realm,
    /// REALMS] x the skews 0, 30, ..., 210 s.
    validators: Vec<Validator>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let password = read_password_file(PASSWORD).unwrap();
        let validators = (0u8..32)
            .map(|bits| Validator {
                key_sets: vec![KeySet::from_keys_file(KEYS, &password).unwrap()],
                domino_secrets: vec![
                    DominoSecret::from_base64_line(DOMINO_SECRET.as_bytes()).unwrap(),
                ],
                accept: if bits & 2 == 0 {
                    Accept::ALL
                } else {
                    Accept::default()
                },
                realms: if bits & 1 == 0 {
                    Vec::new()
                } else {
                    REALMS.iter().map(|r| r.to_string()).collect()
                },
                clock_skew_secs: u64::from(bits >> 2) * 30,
            })
            .collect();
        Fixture {
            mint: MintKeys::from_keys_file(std::str::from_utf8(KEYS).unwrap(), &password).unwrap(),
            domino: STANDARD.decode(DOMINO_SECRET).unwrap().try_into().unwrap(),
            validators,
        }
    })
}

fn pad(data: &[u8], block: usize) -> Vec<u8> {
    let n = block - data.len() % block;
    let mut out = data.to_vec();
    out.extend(std::iter::repeat_n(n as u8, n));
    out
}

fn aes_cbc(key: &[u8; 24], data: &[u8]) -> String {
    let k = GenericArray::from_slice(&key[..16]);
    let mut enc = cbc::Encryptor::<Aes128>::new(k, k);
    let mut out = pad(data, 16);
    for block in out.chunks_exact_mut(16) {
        enc.encrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    STANDARD.encode(out)
}

fn tdes_ecb(key: &[u8; 24], data: &[u8]) -> String {
    let cipher = TdesEde3::new(GenericArray::from_slice(key));
    let mut out = pad(data, 8);
    for block in out.chunks_exact_mut(8) {
        cipher.encrypt_block(GenericArray::from_mut_slice(block));
    }
    STANDARD.encode(out)
}

/// Claims from bytes: `realm \0 user \0 expiry(8)`; a realm holds no `/`
/// (`user:REALM/ID` is split at the first one, as IBM's parsers do).
fn claims(bytes: &[u8]) -> Option<Claims> {
    let mut parts = bytes.splitn(3, |&b| b == 0);
    let realm = String::from_utf8(parts.next()?.to_vec()).ok()?;
    let user = String::from_utf8(parts.next()?.to_vec()).ok()?;
    let expires = u64::from_le_bytes(parts.next()?.get(..8)?.try_into().ok()?);
    (!realm.contains('/')).then(|| Claims::new(&user, &realm, expires))
}

fn check_accepted(v: &Validator, token: &Token, now: u64) {
    let skew = v.clock_skew_secs.saturating_mul(1000);
    assert!(
        v.accept.contains(token.format),
        "{token:?} in a format not accepted"
    );
    assert!(
        now <= token.expires_unix_millis.saturating_add(skew),
        "{token:?} accepted after expiry at {now}"
    );
    if let Some(created) = token.created_unix_secs {
        assert!(
            created.saturating_mul(1000) <= now.saturating_add(skew),
            "{token:?} accepted before creation at {now}"
        );
    }
    // The realm list is for LtpaToken2 and v1 tokens: Domino's have none
    // (README, PhotoGuardLtpaRealm).
    if !v.realms.is_empty() && token.format != Format::Domino {
        let realm = token
            .realm
            .as_deref()
            .expect("a realm list accepts only tokens with a realm");
        assert!(
            v.realms.iter().any(|r| r.eq_ignore_ascii_case(realm)),
            "{token:?}: realm not listed"
        );
    }
    match token.format {
        Format::Domino => assert!(token.key_index < v.domino_secrets.len()),
        _ => assert!(token.key_index < v.key_sets.len()),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some((now, payload)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let now = u64::from_le_bytes(*now);
    let f = fixture();
    let v = &f.validators[usize::from(flags >> 3)];
    let mut expect: Option<(Format, Claims)> = None;
    let value: Vec<u8> = match flags & 7 {
        0 => payload.to_vec(),
        1 => aes_cbc(&f.mint.des3_key, payload).into_bytes(),
        2 | 6 => {
            let Some(c) = claims(payload) else { return };
            let (format, token) = if flags & 7 == 2 {
                (Format::Ltpa2, mint_ltpa2(&f.mint, &c))
            } else {
                (Format::WebSphereV1, mint_v1(&f.mint, &c))
            };
            expect = Some((format, c));
            token.into_bytes()
        }
        3 => seal_domino(&f.domino, payload).into_bytes(),
        4 => {
            let Some((times, user)) = payload.split_first_chunk::<8>() else {
                return;
            };
            let created = u32::from_le_bytes(times[..4].try_into().unwrap());
            let expires = u32::from_le_bytes(times[4..].try_into().unwrap());
            mint_domino(&f.domino, user, created, expires).into_bytes()
        }
        5 => tdes_ecb(&f.mint.des3_key, payload).into_bytes(),
        _ => {
            let Some((expire_field, userdata)) = payload.split_first_chunk::<8>() else {
                return;
            };
            let Ok(userdata) = std::str::from_utf8(userdata) else {
                return;
            };
            let signature = sign_ltpa2(&f.mint, userdata);
            seal_ltpa2(
                &f.mint,
                userdata,
                u64::from_le_bytes(*expire_field),
                &signature,
            )
            .into_bytes()
        }
    };

    let result = v.validate(&value, now);
    if let Ok(token) = &result {
        check_accepted(v, token, now);
    }
    // The cache answers as the validator: a miss, a hit, and later on.
    let cache = TokenCache::new(4);
    let later = now.saturating_add(u64::from(payload.first().copied().unwrap_or(0)) << 24);
    for at in [now, now, later] {
        let cached = v.validate_cached(&cache, &value, at).map(|t| (*t).clone());
        assert_eq!(
            cached,
            v.validate(&value, at),
            "cached at {at} (first validated at {now})"
        );
    }

    if let Some((format, c)) = expect {
        // What the validator makes of `u:user:REALM/ID` (userdata.rs): an
        // empty realm or ID leaves the whole value as the user, with no
        // realm; a user with control characters is refused (it would forge
        // log lines), as is an empty one.
        let (user, realm) = if !c.realm.is_empty() && !c.user_id.is_empty() {
            (c.user_id.clone(), Some(c.realm.clone()))
        } else {
            (format!("user:{}/{}", c.realm, c.user_id), None)
        };
        let in_time = now
            <= c.expires_millis
                .saturating_add(v.clock_skew_secs.saturating_mul(1000));
        let realm_ok = v.realms.is_empty()
            || realm
                .as_deref()
                .is_some_and(|realm| v.realms.iter().any(|r| r.eq_ignore_ascii_case(realm)));
        if !v.accept.contains(format) {
            // Refused; the reason is the reading that got furthest, which
            // may be another format's (a v1 token that AES also "opens").
            assert!(
                result.is_err(),
                "minted from {c:?}, format not accepted: {result:?}"
            );
            return;
        }
        let expected = if user.chars().any(char::is_control) {
            Err(Refusal::Malformed)
        } else if !realm_ok {
            Err(Refusal::RealmNotAccepted)
        } else if !in_time {
            Err(Refusal::Expired {
                at_unix_millis: c.expires_millis,
            })
        } else {
            Ok(Token {
                format,
                user,
                realm,
                created_unix_secs: None,
                expires_unix_millis: c.expires_millis,
                key_index: 0,
            })
        };
        assert_eq!(result, expected, "minted from {c:?}");
    }
});
