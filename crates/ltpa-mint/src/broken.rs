//! Deliberately damaged tokens. Each names the refusal photoguard gives.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::keyfile::MintKeys;
use crate::tokens::{Claims, seal_ltpa2, sign_ltpa2, userdata};

/// XORs one byte of the decoded token (index taken modulo its length) with
/// `mask`. In the first AES block it garbles the userdata ("bad
/// signature"); in the last it breaks the padding ("no key verifies it").
pub fn flip_byte(token_b64: &str, index: usize, mask: u8) -> String {
    let mut raw = STANDARD.decode(token_b64).expect("a base64 token");
    let i = index % raw.len();
    raw[i] ^= mask;
    STANDARD.encode(raw)
}

/// XORs the last byte of the decoded token with `mask`.
pub fn flip_last_byte(token_b64: &str, mask: u8) -> String {
    let len = STANDARD.decode(token_b64).expect("a base64 token").len();
    flip_byte(token_b64, len - 1, mask)
}

/// An LtpaToken2 carrying the valid signature of *another* userdata ("bad
/// signature").
pub fn swapped_signature(keys: &MintKeys, claims: &Claims, other: &Claims) -> String {
    let body = userdata(claims, Some(claims.expires_millis));
    let foreign = sign_ltpa2(keys, &userdata(other, Some(other.expires_millis)));
    seal_ltpa2(keys, &body, claims.expires_millis, &foreign)
}

/// An LtpaToken2 whose unsigned expiry field says `field_millis` while the
/// signed `expire` says the claims' expiry ("bad signature" beyond 3 s).
pub fn expire_mismatch(keys: &MintKeys, claims: &Claims, field_millis: u64) -> String {
    let body = userdata(claims, Some(claims.expires_millis));
    seal_ltpa2(keys, &body, field_millis, &sign_ltpa2(keys, &body))
}

/// A validly signed LtpaToken2 whose cookie value exceeds 4 KB ("malformed").
pub fn oversized(keys: &MintKeys, claims: &Claims) -> String {
    let body = format!(
        "{}$padding:{}",
        userdata(claims, Some(claims.expires_millis)),
        "x".repeat(4096)
    );
    seal_ltpa2(keys, &body, claims.expires_millis, &sign_ltpa2(keys, &body))
}

/// The first `keep` characters of the cookie value ("malformed").
pub fn truncated(token: &str, keep: usize) -> String {
    token.chars().take(keep).collect()
}

/// A character outside base64 in the middle ("malformed").
pub fn not_base64(token: &str) -> String {
    let mid = token.len() / 2;
    format!("{}*{}", &token[..mid], &token[mid + 1..])
}

/// `+`, `/` and `=` as `%2B`, `%2F`, `%3D`: still valid.
pub fn percent_encoded(token: &str) -> String {
    token
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

/// `+` turned into spaces, as a form decoder would ("malformed").
pub fn plus_as_space(token: &str) -> String {
    token.replace('+', " ")
}
