//! What a validation yields: the verified token, or why it was refused.

use core::fmt;

use super::format::Format;
use super::time::Rfc3339;

/// A token whose signature or MAC verified and whose times and realm passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub format: Format,
    /// LtpaToken2 / v1: the unique ID after the realm (usually a DN);
    /// Domino: the canonical name (`CN=Jane Doe/O=Example`).
    pub user: String,
    /// LtpaToken2 / v1: the realm of `u:user:REALM/...`; Domino: none.
    pub realm: Option<String>,
    /// Domino only: the creation time the token states.
    pub created_unix_secs: Option<u64>,
    pub expires_unix_millis: u64,
    /// Which key verified it: the index in `Validator::key_sets` (LtpaToken2,
    /// v1) or in `Validator::domino_secrets` (Domino). Shows which key set of
    /// a rotation is in use.
    pub key_index: usize,
}

/// Why a token was refused. `Display` gives the reason exactly as the log
/// line and `PHOTOGUARD_REASON` show it, and never any part of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Verified, but its expiry (plus the clock skew) has passed.
    Expired { at_unix_millis: u64 },
    /// Verified Domino token created in the future (beyond the clock skew).
    NotYetValid { from_unix_secs: u64 },
    /// It decrypts with a configured key but its signature does not verify,
    /// or the unsigned expiry disagrees with the signed one: it was altered.
    BadSignature,
    /// No configured key or secret opens or verifies it.
    NoKey,
    /// Not a token: too long, bad escapes, not base64, no known layout, or
    /// verified but its fields are unusable.
    Malformed,
    /// Verified, but of a realm `PhotoGuardLtpaRealm` does not list.
    RealmNotAccepted,
    /// A token of a format `PhotoGuardLtpaAccept` does not list.
    FormatNotAccepted,
}

impl Refusal {
    /// How far the token got; when several readings of a token fail, the
    /// furthest one is the reason given.
    pub(crate) const fn rank(self) -> u8 {
        match self {
            Self::Malformed => 0,
            Self::NoKey => 1,
            Self::FormatNotAccepted => 2,
            Self::BadSignature => 3,
            Self::Expired { .. } | Self::NotYetValid { .. } | Self::RealmNotAccepted => 4,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Expired { at_unix_millis } => {
                write!(f, "expired at {}", Rfc3339(at_unix_millis / 1000))
            }
            Self::NotYetValid { from_unix_secs } => {
                write!(f, "not yet valid until {}", Rfc3339(from_unix_secs))
            }
            Self::BadSignature => f.write_str("bad signature"),
            Self::NoKey => f.write_str("no key verifies it"),
            Self::Malformed => f.write_str("malformed"),
            Self::RealmNotAccepted => f.write_str("realm not accepted"),
            Self::FormatNotAccepted => f.write_str("format not accepted"),
        }
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_exactly() {
        let cases = [
            (
                Refusal::Expired {
                    at_unix_millis: 1_795_168_800_999,
                },
                "expired at 2026-11-20T10:00:00Z",
            ),
            (
                Refusal::NotYetValid {
                    from_unix_secs: 1_795_168_800,
                },
                "not yet valid until 2026-11-20T10:00:00Z",
            ),
            (Refusal::BadSignature, "bad signature"),
            (Refusal::NoKey, "no key verifies it"),
            (Refusal::Malformed, "malformed"),
            (Refusal::RealmNotAccepted, "realm not accepted"),
            (Refusal::FormatNotAccepted, "format not accepted"),
        ];
        for (refusal, text) in cases {
            assert_eq!(refusal.to_string(), text);
        }
    }
}
