//! The block ciphers around LTPA tokens and keys, decryption only:
//! AES-128-CBC (LtpaToken2) and 3DES-EDE-ECB (WebSphere v1, sealed keys),
//! both with PKCS#5 padding. Each checks the padding of the last block
//! before decrypting the rest, so a value of another key costs one block.

use aes::Aes128;
use cbc::Decryptor;
use cbc::cipher::{BlockDecrypt, BlockDecryptMut, KeyInit, KeyIvInit, generic_array::GenericArray};
use des::TdesEde3;
use zeroize::Zeroizing;

/// AES-128-CBC decryption with the IV equal to the key (LtpaToken2's way),
/// `None` unless the padding is valid.
pub(crate) fn aes_cbc_decrypt(key: &[u8; 16], ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if ciphertext.is_empty() || ciphertext.len() % 16 != 0 {
        return None;
    }
    // Check the padding of the last block first (its CBC "IV" is the block
    // before it), so a token of another key costs one block.
    let n = ciphertext.len();
    let previous = if n == 16 {
        &key[..]
    } else {
        ciphertext.get(n - 32..n - 16)?
    };
    let mut last = Zeroizing::new([0u8; 16]);
    last.copy_from_slice(ciphertext.get(n - 16..)?);
    Aes128::new(GenericArray::from_slice(key))
        .decrypt_block(GenericArray::from_mut_slice(last.as_mut_slice()));
    last.iter_mut().zip(previous).for_each(|(b, p)| *b ^= p);
    unpad_pkcs5(last.as_slice(), 16)?;
    let mut dec =
        Decryptor::<Aes128>::new(GenericArray::from_slice(key), GenericArray::from_slice(key));
    let mut plain = Zeroizing::new(ciphertext.to_vec());
    for block in plain.chunks_exact_mut(16) {
        dec.decrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    let len = unpad_pkcs5(&plain, 16)?;
    plain.truncate(len);
    Some(plain)
}

/// 3DES-EDE-ECB decryption with PKCS#5 padding; `None` when the padding is
/// wrong, which for a sealed key means a wrong password.
pub(crate) fn tdes_ecb_decrypt(key: &[u8; 24], data: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if data.is_empty() || data.len() % 8 != 0 {
        return None;
    }
    let cipher = TdesEde3::new(GenericArray::from_slice(key));
    // The padding is all in the last block: check it first, so a token of
    // another key (or none) costs one block, not all (3DES is slow).
    let mut last = Zeroizing::new([0u8; 8]);
    last.copy_from_slice(data.get(data.len() - 8..)?);
    cipher.decrypt_block(GenericArray::from_mut_slice(last.as_mut_slice()));
    unpad_pkcs5(last.as_slice(), 8)?;
    let mut out = Zeroizing::new(data.to_vec());
    for block in out.chunks_exact_mut(8) {
        cipher.decrypt_block(GenericArray::from_mut_slice(block));
    }
    let len = unpad_pkcs5(&out, 8)?;
    out.truncate(len);
    Some(out)
}

/// Length of the content once valid PKCS#5/7 padding for `block` is removed.
pub(crate) fn unpad_pkcs5(data: &[u8], block: usize) -> Option<usize> {
    let n = usize::from(*data.last()?);
    if n == 0 || n > block || n > data.len() {
        return None;
    }
    let content = data.len() - n;
    data.get(content..)?
        .iter()
        .all(|&b| usize::from(b) == n)
        .then_some(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpad_accepts_only_valid_padding() {
        assert_eq!(unpad_pkcs5(&[1, 2, 3, 5, 5, 5, 5, 5], 8), Some(3));
        assert_eq!(unpad_pkcs5(&[8; 8], 8), Some(0));
        assert_eq!(unpad_pkcs5(&[1, 2, 3, 4, 5, 6, 7, 0], 8), None);
        assert_eq!(unpad_pkcs5(&[1, 2, 3, 4, 5, 6, 2, 3], 8), None);
        assert_eq!(unpad_pkcs5(&[9; 8], 8), None);
        assert_eq!(unpad_pkcs5(&[], 8), None);
    }
}
