//! What LtpaToken2 and WebSphere v1 share once decrypted: verify the RSA
//! signature over the userdata, and only then read user, realm and expiry.

use super::encoding::base64_strict;
use super::userdata::{self, Sealed};

/// Liberty tolerates this much between the signed `expire` attribute and
/// the unsigned expiry field.
const EXPIRE_AGREEMENT_MILLIS: u64 = 3_000;

/// The fields of an RSA-signed plaintext once its signature verified.
pub(crate) struct Signed {
    pub user: String,
    pub realm: Option<String>,
    pub expires_millis: u64,
}

/// Outcome of one key set's attempt on an RSA-signed plaintext.
pub(crate) enum Outcome {
    Verified(Signed),
    /// Well-formed, but the signature does not verify, or the unsigned
    /// expiry disagrees with the signed one.
    BadSignature,
    /// The signature verified, but the fields are unusable.
    Malformed,
}

/// Verifies the signature first, then reads the fields. `verify_signature`
/// gets the userdata bytes exactly as decrypted and the decoded signature.
pub(crate) fn check_signed(
    sealed: &Sealed<'_>,
    verify_signature: impl FnOnce(&[u8], &[u8]) -> bool,
) -> Outcome {
    let Some(signature) = base64_strict(sealed.signature_b64) else {
        return Outcome::BadSignature;
    };
    if !verify_signature(sealed.signed, &signature) {
        return Outcome::BadSignature;
    }
    // Trusted from here on.
    let Some(attrs) = userdata::attributes(sealed.signed) else {
        return Outcome::Malformed;
    };
    let Some(field) = userdata::parse_millis(sealed.expire_field) else {
        return Outcome::Malformed;
    };
    let expires_millis = match attrs.expire_millis {
        Some(signed) if signed.abs_diff(field) > EXPIRE_AGREEMENT_MILLIS => {
            return Outcome::BadSignature;
        }
        Some(signed) => signed,
        None => field, // older tokens sign no expiry; the field is all there is
    };
    let Some(u) = attrs.user else {
        return Outcome::Malformed;
    };
    let (user, realm) = userdata::user_and_realm(&u);
    // A name with control characters would forge log lines downstream.
    if user.is_empty() || user.chars().any(char::is_control) {
        return Outcome::Malformed;
    }
    Outcome::Verified(Signed {
        user,
        realm,
        expires_millis,
    })
}
