//! The symmetric primitives IBM uses around LTPA, encryption side included.

use aes::Aes128;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::{
    BlockDecrypt, BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit, generic_array::GenericArray,
};
use des::TdesEde3;
use rand_core::{OsRng, RngCore};
use sha1::{Digest, Sha1};

/// SHA-1(password) ‖ 00 00 00 00: the 3DES key that seals `ltpa.keys`.
pub(crate) fn password_key(password: &[u8]) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..20].copy_from_slice(&Sha1::digest(password));
    key
}

fn pad(data: &[u8], block: usize) -> Vec<u8> {
    let n = block - data.len() % block;
    let mut out = data.to_vec();
    out.extend(std::iter::repeat_n(n as u8, n));
    out
}

pub(crate) fn tdes_ecb_encrypt(key: &[u8; 24], data: &[u8]) -> Vec<u8> {
    let cipher = TdesEde3::new(GenericArray::from_slice(key));
    let mut out = pad(data, 8);
    for block in out.chunks_exact_mut(8) {
        cipher.encrypt_block(GenericArray::from_mut_slice(block));
    }
    out
}

pub(crate) fn tdes_ecb_decrypt(key: &[u8; 24], data: &[u8]) -> Option<Vec<u8>> {
    if data.is_empty() || data.len() % 8 != 0 {
        return None;
    }
    let cipher = TdesEde3::new(GenericArray::from_slice(key));
    let mut out = data.to_vec();
    for block in out.chunks_exact_mut(8) {
        cipher.decrypt_block(GenericArray::from_mut_slice(block));
    }
    let n = *out.last()? as usize;
    if n == 0 || n > 8 || out[out.len() - n..].iter().any(|&b| b as usize != n) {
        return None;
    }
    out.truncate(out.len() - n);
    Some(out)
}

/// LtpaToken2's cipher: AES-128-CBC, key and IV the first 16 key bytes.
pub(crate) fn aes_cbc_encrypt(des3_key: &[u8; 24], data: &[u8]) -> Vec<u8> {
    let k = GenericArray::from_slice(&des3_key[..16]);
    let mut enc = cbc::Encryptor::<Aes128>::new(k, k);
    let mut out = pad(data, 16);
    for block in out.chunks_exact_mut(16) {
        enc.encrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    out
}

/// Random bytes with odd parity in every byte, like Java's DESede key
/// generator makes them.
pub(crate) fn generate_des3_key() -> [u8; 24] {
    let mut key = [0u8; 24];
    OsRng.fill_bytes(&mut key);
    for b in &mut key {
        *b = (*b & 0xfe) | u8::from((*b >> 1).count_ones() % 2 == 0);
    }
    key
}

/// A fresh 20-byte `LTPA_DominoSecret`.
pub fn generate_domino_secret() -> [u8; 20] {
    let mut s = [0u8; 20];
    OsRng.fill_bytes(&mut s);
    s
}

pub fn domino_secret_b64(secret: &[u8; 20]) -> String {
    STANDARD.encode(secret)
}

/// WebSphere's `{xor}` form of a password.
pub fn xor_password(password: &[u8]) -> String {
    let x: Vec<u8> = password.iter().map(|b| b ^ b'_').collect();
    format!("{{xor}}{}", STANDARD.encode(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_parity() {
        let key = generate_des3_key();
        assert!(key.iter().all(|b| b.count_ones() % 2 == 1));
        let ct = tdes_ecb_encrypt(&key, b"sixteen bytes!!!");
        assert_eq!(ct.len(), 24);
        assert_eq!(tdes_ecb_decrypt(&key, &ct).unwrap(), b"sixteen bytes!!!");
        assert_eq!(xor_password(b"test123"), "{xor}KzosK25tbA==");
    }
}
