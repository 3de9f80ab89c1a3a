//! Domino-style `LtpaToken`: `00 01 02 03` ‖ creation (8 hex digits, unix
//! seconds) ‖ expiry (8 hex digits) ‖ user name (LMBCS) ‖ SHA-1 of all the
//! preceding bytes followed by the 20-byte secret of the Web SSO document.

use core::fmt;

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::encoding::base64_strict;
use super::keys::KeyError;
use super::lmbcs;

const MAGIC: [u8; 4] = [0, 1, 2, 3];
const HEADER_LEN: usize = 20; // magic + two times
const MAC_LEN: usize = 20;
const SECRET_LEN: usize = 20;

/// The `LTPA_DominoSecret` of a Domino Web SSO configuration document.
pub struct DominoSecret(Zeroizing<[u8; SECRET_LEN]>);

impl fmt::Debug for DominoSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DominoSecret(..)")
    }
}

impl DominoSecret {
    /// Reads the secret from its base64 text (blanks and line ends around
    /// it are ignored, so a whole one-line file can be passed).
    pub fn from_base64_line(line: &[u8]) -> Result<DominoSecret, KeyError> {
        let text = line.trim_ascii();
        if text.is_empty() {
            return Err(KeyError::MalformedSecret("empty"));
        }
        let raw =
            Zeroizing::new(base64_strict(text).ok_or(KeyError::MalformedSecret("not base64"))?);
        let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
        if raw.len() != SECRET_LEN {
            return Err(KeyError::MalformedSecret("not 20 bytes"));
        }
        secret.copy_from_slice(&raw);
        Ok(DominoSecret(secret))
    }

    fn mac(&self, data: &[u8]) -> [u8; MAC_LEN] {
        let mut h = Sha1::new();
        h.update(data);
        h.update(self.0.as_slice());
        h.finalize().into()
    }
}

/// Whether the bytes have the Domino layout (magic, hex times, a name, a
/// MAC): enough to say "format not accepted" without a secret.
pub(crate) fn looks_like(raw: &[u8]) -> bool {
    raw.len() > HEADER_LEN + MAC_LEN
        && raw.starts_with(&MAGIC)
        && raw
            .get(4..HEADER_LEN)
            .is_some_and(|t| t.iter().all(u8::is_ascii_hexdigit))
}

/// A token whose MAC verified; its fields are read only then.
pub(crate) struct Verified {
    pub secret_index: usize,
    pub created_secs: u64,
    pub expires_secs: u64,
    pub user: String,
}

/// Outcome of checking a Domino-looking token against every secret.
pub(crate) enum Outcome {
    Verified(Verified),
    /// No secret produces its MAC (a wrong secret and an altered token look
    /// the same to a MAC).
    NoKey,
    /// The MAC verified but the fields cannot be read.
    Malformed,
}

pub(crate) fn verify(raw: &[u8], secrets: &[DominoSecret]) -> Outcome {
    let Some(body_len) = raw.len().checked_sub(MAC_LEN) else {
        return Outcome::NoKey;
    };
    let (body, mac) = raw.split_at(body_len);
    let found = secrets
        .iter()
        .position(|s| bool::from(s.mac(body).ct_eq(mac)));
    let Some(secret_index) = found else {
        return Outcome::NoKey;
    };
    let hex = |from: usize| body.get(from..from + 8).and_then(parse_hex32);
    let (Some(created_secs), Some(expires_secs)) = (hex(4), hex(12)) else {
        return Outcome::Malformed;
    };
    let name = body.get(HEADER_LEN..).unwrap_or_default();
    if name.is_empty() {
        return Outcome::Malformed;
    }
    let user = lmbcs::decode(name);
    Outcome::Verified(Verified {
        secret_index,
        created_secs,
        expires_secs,
        user,
    })
}

fn parse_hex32(text: &[u8]) -> Option<u64> {
    let s = core::str::from_utf8(text).ok()?;
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None; // from_str_radix would take a sign
    }
    u32::from_str_radix(s, 16).ok().map(u64::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_must_be_twenty_bytes_of_base64() {
        assert!(DominoSecret::from_base64_line(b"AAECAwQFBgcICQoLDA0ODxAREhM=\r\n").is_ok());
        let err = |t: &[u8]| DominoSecret::from_base64_line(t).unwrap_err();
        assert_eq!(err(b"AAECAw=="), KeyError::MalformedSecret("not 20 bytes"));
        assert_eq!(err(b"not base64!"), KeyError::MalformedSecret("not base64"));
        assert_eq!(err(b"  \n"), KeyError::MalformedSecret("empty"));
        assert_eq!(
            format!(
                "{:?}",
                DominoSecret::from_base64_line(b"AAECAwQFBgcICQoLDA0ODxAREhM=").unwrap()
            ),
            "DominoSecret(..)"
        );
    }

    #[test]
    fn hex_times_take_no_sign() {
        assert_eq!(parse_hex32(b"499602d2"), Some(1_234_567_890));
        assert_eq!(parse_hex32(b"+499602d"), None);
        assert_eq!(parse_hex32(b"FFFFFFFF"), Some(u64::from(u32::MAX)));
    }
}
