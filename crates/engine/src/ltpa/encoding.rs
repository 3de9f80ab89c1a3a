//! The cookie value as a browser sends it, to the token's bytes:
//! percent-decoding, then strict base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Decodes `%XX` escapes. A `+` stays a `+`: cookies are not form data, and
/// `+` is a base64 letter (servers send LtpaToken2 with `/` and `=` escaped
/// but `+` raw). A `%` not followed by two hex digits is an error, not a
/// literal: no token contains one.
pub(crate) fn percent_decode(input: &[u8]) -> Option<Vec<u8>> {
    if !input.contains(&b'%') {
        return Some(input.to_vec());
    }
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input;
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let (hi, lo, tail) = match tail {
                [hi, lo, tail @ ..] => (hex_value(*hi)?, hex_value(*lo)?, tail),
                _ => return None,
            };
            out.push(hi << 4 | lo);
            rest = tail;
        } else {
            out.push(b);
            rest = tail;
        }
    }
    Some(out)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Standard-alphabet base64 with canonical padding and no stray bits or
/// whitespace: what Java's `Base64` encoder and Domino write. Anything looser
/// would let many strings stand for one token.
pub(crate) fn base64_strict(input: &[u8]) -> Option<Vec<u8>> {
    STANDARD.decode(input).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_keeps_plus_and_decodes_escapes() {
        assert_eq!(
            percent_decode(b"a+b%2Fc%3d").as_deref(),
            Some(&b"a+b/c="[..])
        );
        assert_eq!(percent_decode(b"plain").as_deref(), Some(&b"plain"[..]));
        for bad in [&b"%"[..], b"%2", b"%zz", b"ab%g0"] {
            assert_eq!(percent_decode(bad), None);
        }
    }

    #[test]
    fn base64_is_strict() {
        assert_eq!(
            base64_strict(b"AAECAw==").as_deref(),
            Some(&[0u8, 1, 2, 3][..])
        );
        for bad in [
            &b"AAECAw"[..],
            b"AAECAw=",
            b"AAEC Aw==",
            b"AAECAx==",
            b"AA-_",
            b"x",
        ] {
            assert_eq!(base64_strict(bad), None, "{:?}", core::str::from_utf8(bad));
        }
    }
}
