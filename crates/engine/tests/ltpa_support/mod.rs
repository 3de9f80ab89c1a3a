//! Key sets and tokens minted once per test binary (RSA key generation is
//! the slow part), and the validator the tests configure from their files.
#![allow(dead_code)]

use std::sync::OnceLock;

use photoguard_engine::ltpa::{Accept, DominoSecret, KeySet, Validator, read_password_file};
use photoguard_ltpa_mint::{
    Claims, MintKeys, domino_secret_b64, generate_domino_secret, xor_password,
};

/// 2026-11-20T10:00:00Z: the tokens' expiry; tests run an hour before.
pub const EXPIRES_SECS: u64 = 1_795_168_800;
pub const EXPIRES: u64 = EXPIRES_SECS * 1000;
pub const NOW: u64 = EXPIRES - 3_600_000;
pub const PASSWORD: &[u8] = b"WebAS-ltpa pw";

pub struct Fixture {
    /// Configured key sets: `a` (current) and `b` (the next, for rotation).
    pub a: MintKeys,
    pub b: MintKeys,
    /// A key set nobody configured.
    pub stranger: MintKeys,
    pub a_file: String,
    pub b_file: String,
    pub password_file: String,
    pub secret: [u8; 20],
    pub other_secret: [u8; 20],
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let a = MintKeys::generate("example.com");
        let b = MintKeys::generate("example.com");
        let stranger = MintKeys::generate("example.com");
        Fixture {
            a_file: a.to_keys_file(PASSWORD, 1_790_000_000, "was1.example.com"),
            b_file: b.to_keys_file(PASSWORD, 1_795_000_000, "was1.example.com"),
            a,
            b,
            stranger,
            password_file: format!("{}\n", xor_password(PASSWORD)),
            secret: generate_domino_secret(),
            other_secret: generate_domino_secret(),
        }
    })
}

pub fn key_set(file: &str) -> KeySet {
    let password = read_password_file(fixture().password_file.as_bytes()).unwrap();
    KeySet::from_keys_file(file.as_bytes(), &password).unwrap()
}

pub fn secret(bytes: &[u8; 20]) -> DominoSecret {
    DominoSecret::from_base64_line(format!("{}\n", domino_secret_b64(bytes)).as_bytes()).unwrap()
}

/// Both key sets, the Domino secret, every format accepted.
pub fn validator() -> Validator {
    let f = fixture();
    Validator {
        key_sets: vec![key_set(&f.a_file), key_set(&f.b_file)],
        domino_secrets: vec![secret(&f.secret)],
        accept: Accept::ALL,
        ..Validator::default()
    }
}

pub fn claims() -> Claims {
    Claims::new(
        "uid=jane.doe,ou=people,o=example",
        "ldap.example.com:389",
        EXPIRES,
    )
}

pub const DOMINO_USER: &[u8] = b"CN=Jane Doe/O=Example";
