//! LtpaToken2: AES-128-CBC (key and IV both the first 16 bytes of the
//! shared 3DES key, PKCS#5 padding) around `userdata%expire%signature`,
//! where the signature is RSASSA-PKCS1-v1_5 / SHA-1 of SHA-1(userdata).

use sha1::{Digest, Sha1};

use super::cipher::aes_cbc_decrypt;
use super::keys::KeySet;
use super::signed::{Outcome, check_signed};
use super::userdata;

/// LtpaToken2's signature: PKCS#1 v1.5 with SHA-1, over SHA-1(userdata) as
/// the message (so the DigestInfo holds SHA-1 of that digest).
pub(crate) fn verify_signature(key: &KeySet, signed: &[u8], signature: &[u8]) -> bool {
    let inner = Sha1::digest(signed);
    let outer: [u8; 20] = Sha1::digest(inner).into();
    key.public_key().verify_pkcs1_sha1(&outer, signature)
}

/// One key set's attempt: `None` when it does not even decrypt to the
/// LtpaToken2 layout (another key's token, or not a token).
pub(crate) fn attempt(key: &KeySet, ciphertext: &[u8]) -> Option<Outcome> {
    let plain = aes_cbc_decrypt(key.aes_key(), ciphertext)?;
    let sealed = userdata::split(&plain)?;
    Some(check_signed(&sealed, |data, sig| {
        verify_signature(key, data, sig)
    }))
}

/// Whether it decrypts to the layout, without checking the signature: to
/// tell "format not accepted" from "no key verifies it".
pub(crate) fn opens(key: &KeySet, ciphertext: &[u8]) -> bool {
    aes_cbc_decrypt(key.aes_key(), ciphertext)
        .is_some_and(|plain| userdata::split(&plain).is_some())
}
