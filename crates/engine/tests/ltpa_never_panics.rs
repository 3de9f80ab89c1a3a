//! Property tests: no byte string as a cookie value panics, and none is
//! accepted unless it is a token of a configured key.

#[path = "ltpa_support/mod.rs"]
mod support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use photoguard_engine::ltpa::{Refusal, TokenCache, Validator};
use photoguard_ltpa_mint::{mint_domino, mint_ltpa2, mint_v1};
use proptest::prelude::*;
use support::*;

/// One valid token of each format, minted once.
fn valid_tokens() -> &'static [String; 3] {
    static T: std::sync::OnceLock<[String; 3]> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let f = fixture();
        [
            mint_ltpa2(&f.a, &claims()),
            mint_v1(&f.a, &claims()),
            mint_domino(&f.secret, DOMINO_USER, 0, EXPIRES_SECS as u32),
        ]
    })
}

fn any_validator() -> &'static Validator {
    static V: std::sync::OnceLock<Validator> = std::sync::OnceLock::new();
    V.get_or_init(validator)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// Arbitrary bytes: refused, never a panic.
    #[test]
    fn arbitrary_bytes(value in proptest::collection::vec(any::<u8>(), 0..5_000)) {
        prop_assert!(any_validator().validate(&value, NOW).is_err());
    }

    /// Arbitrary bytes, base64-encoded: they reach the decryption and MAC
    /// paths (Domino magic included) and are still refused.
    #[test]
    fn arbitrary_base64(mut raw in proptest::collection::vec(any::<u8>(), 0..700), domino_magic in any::<bool>()) {
        if domino_magic && raw.len() >= 4 {
            raw[..4].copy_from_slice(&[0, 1, 2, 3]);
        }
        let value = STANDARD.encode(&raw);
        let cache = TokenCache::new(4);
        prop_assert!(any_validator().validate_cached(&cache, value.as_bytes(), NOW).is_err());
    }

    /// Text from the cookie alphabet with escapes: refused, never a panic.
    #[test]
    fn cookie_like_text(value in "[A-Za-z0-9+/=%]{0,300}") {
        prop_assert!(any_validator().validate(value.as_bytes(), NOW).is_err());
    }

    /// Any change to a valid token's bytes makes it invalid.
    #[test]
    fn one_changed_byte(which in 0..3usize, index in any::<usize>(), mask in 1..=255u8) {
        let token = &valid_tokens()[which];
        prop_assert!(any_validator().validate(token.as_bytes(), NOW).is_ok());
        let mut raw = STANDARD.decode(token).unwrap();
        let i = index % raw.len();
        raw[i] ^= mask;
        let refusal = any_validator().validate(STANDARD.encode(&raw).as_bytes(), NOW).unwrap_err();
        prop_assert!(matches!(refusal, Refusal::BadSignature | Refusal::NoKey | Refusal::Malformed), "{refusal}");
    }
}
