//! WebSphere `LtpaToken` version 1: 3DES-EDE-ECB with the full 24-byte
//! shared key (PKCS#5 padding) around `userdata%expire%signature`, where the
//! signature is ISO/IEC 9796-1 over SHA-1(userdata). The expiry field is not
//! signed, which is why this format is accepted only when asked for.

use sha1::{Digest, Sha1};

use super::cipher::tdes_ecb_decrypt;
use super::iso9796;
use super::keys::KeySet;
use super::signed::{Outcome, check_signed};
use super::userdata;

pub(crate) fn verify_signature(key: &KeySet, signed: &[u8], signature: &[u8]) -> bool {
    let digest = Sha1::digest(signed);
    iso9796::verify(key.public_key(), &digest, signature)
}

/// One key set's attempt: `None` when it does not decrypt to the layout.
pub(crate) fn attempt(key: &KeySet, ciphertext: &[u8]) -> Option<Outcome> {
    let plain = tdes_ecb_decrypt(key.des3_key(), ciphertext)?;
    let sealed = userdata::split(&plain)?;
    Some(check_signed(&sealed, |data, sig| {
        verify_signature(key, data, sig)
    }))
}

/// Whether it decrypts to the layout, signature unchecked.
pub(crate) fn opens(key: &KeySet, ciphertext: &[u8]) -> bool {
    tdes_ecb_decrypt(key.des3_key(), ciphertext)
        .is_some_and(|plain| userdata::split(&plain).is_some())
}
