//! The LTPA key material readers: the `ltpa.keys` export
//! (`KeySet::from_keys_file`), the password file (`read_password_file`,
//! `decode_password`), the Domino secret (`DominoSecret::from_base64_line`)
//! and the RFC 3339 times of the configuration (`parse_rfc3339`).
//!
//! Input: byte 0 picks the reader, the rest is its input:
//! 0 a keys file opened with the fixture's password, 1 the fixture's keys
//! file with a fuzzed password, 2 a password file, 3 a Domino secret line,
//! 4 an RFC 3339 time.
//!
//! Invariants: never panics; errors are one line; a key set that opens
//! verifies (or refuses) a token without panicking; a password file's
//! password is not empty; a time prints and parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use photoguard_engine::ltpa::{
    DominoSecret, KeySet, Rfc3339, Validator, decode_password, parse_rfc3339, read_password_file,
};

const KEYS: &[u8] = include_bytes!("../../crates/engine/src/ltpa/testdata/sephiroth-ltpa.keys");
const PASSWORD: &[u8] =
    include_bytes!("../../crates/engine/src/ltpa/testdata/sephiroth-password.txt");
const TOKEN: &str = include_str!("../../crates/engine/src/ltpa/testdata/sephiroth-ltpatoken2.txt");
/// The published token's expiry, less a second.
const BEFORE_EXPIRY: u64 = 1_519_043_459_000;

fn one_line(e: impl std::fmt::Display) {
    let text = e.to_string();
    assert!(!text.contains(['\n', '\r']), "multi-line error: {text:?}");
}

fn use_key_set(keys: KeySet) {
    let _ = format!("{keys:?}");
    let _ = keys.realm();
    let v = Validator {
        key_sets: vec![keys],
        ..Validator::default()
    };
    let _ = v.validate(TOKEN.trim().as_bytes(), BEFORE_EXPIRY);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    match mode % 5 {
        0 => match KeySet::from_keys_file(input, &read_password_file(PASSWORD).unwrap()) {
            Ok(keys) => use_key_set(keys),
            Err(e) => one_line(e),
        },
        1 => match KeySet::from_keys_file(KEYS, input) {
            Ok(keys) => use_key_set(keys),
            Err(e) => one_line(e),
        },
        2 => {
            match read_password_file(input) {
                Ok(password) => assert!(!password.is_empty()),
                Err(e) => one_line(e),
            }
            match decode_password(input) {
                Ok(password) => assert!(!password.is_empty()),
                Err(e) => one_line(e),
            }
        }
        3 => {
            if let Err(e) = DominoSecret::from_base64_line(input) {
                one_line(e)
            }
        }
        _ => {
            let Ok(text) = std::str::from_utf8(input) else {
                return;
            };
            if let Some(secs) = parse_rfc3339(text) {
                let printed = Rfc3339(secs).to_string();
                assert_eq!(
                    parse_rfc3339(&printed),
                    Some(secs),
                    "{text:?} printed as {printed}"
                );
            }
        }
    }
});
