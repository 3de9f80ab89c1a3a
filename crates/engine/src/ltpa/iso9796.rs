//! ISO/IEC 9796-1 signature verification with raw RSA, as WebSphere's
//! LtpaToken v1 signs SHA-1(userdata). Standard PKCS#1 verification fails on
//! these signatures: the message is spread over the whole block.
//!
//! The representative of a message `m` (here a 20-byte digest) for a modulus
//! of `k` bits is an integer of `k - 1` bits, built big-endian in a block of
//! `L = ceil((k - 1) / 8)` bytes:
//! 1. every odd position from the right holds a byte of `m`, repeated
//!    cyclically from its last byte;
//! 2. each byte to the left of one holds its "shadow": both nibbles
//!    mapped through the permutation `SHADOW`;
//! 3. the shadow just left of the leftmost full copy of `m` is XORed with 1
//!    (it marks where the message starts);
//! 4. the block is cut to `k - 1` bits, the highest of them set;
//! 5. the last byte becomes its low nibble followed by the nibble 6.
//!
//! The signer sends `min(s, n - s)` of `s = representative^d mod n`, so the
//! verifier computes `r = sig^e mod n`, takes `n - r` when `r mod 16 != 6`,
//! and compares with the representative it builds itself.

use crypto_bigint::{Encoding as _, U1024};

use super::rsa_public::PublicKey;

/// The nibble permutation of ISO/IEC 9796-1 (its `Π`).
const SHADOW: [u8; 16] = [14, 3, 5, 8, 9, 4, 2, 15, 0, 13, 11, 6, 7, 10, 12, 1];

fn shadow(byte: u8) -> u8 {
    let s = |nibble: u8| SHADOW.get(usize::from(nibble & 0xf)).copied().unwrap_or(0);
    s(byte >> 4) << 4 | s(byte & 0xf)
}

/// The representative of `msg` for a modulus of `modulus_bits` bits, or
/// `None` when the message is too long for it (more than half the block).
pub(crate) fn representative(msg: &[u8], modulus_bits: usize) -> Option<Vec<u8>> {
    let k = modulus_bits.checked_sub(1)?;
    let z = msg.len();
    if z == 0 || z.checked_mul(16)? > k.checked_add(3)? {
        return None;
    }
    let len = k.div_ceil(8);
    let mut block = vec![0u8; len];
    // Step 1: message bytes at positions len-1, len-3, ... (and 0 when odd).
    let pairs = len / 2;
    for i in 0..pairs {
        *block.get_mut(len - 1 - 2 * i)? = *msg.get(z - 1 - i % z)?;
    }
    if len % 2 == 1 {
        *block.first_mut()? = *msg.get(z - 1 - pairs % z)?;
    }
    // Step 2: shadows to their left.
    for i in 0..pairs {
        let j = len - 1 - 2 * i;
        let s = shadow(*block.get(j)?);
        *block.get_mut(j - 1)? = s;
    }
    // Step 3: mark the message's start.
    *block.get_mut(len.checked_sub(2 * z)?)? ^= 1;
    // Step 4: exactly k bits, the top one set. (IBM's own code zeroes the
    // rest of the first byte when k is a multiple of 8; the standard, and its
    // example below, keeps them. It makes no difference for 1024-bit keys,
    // the only size LTPA uses.)
    let top_bits = k % 8;
    let first = block.first_mut()?;
    *first = if top_bits == 0 {
        *first | 0x80
    } else {
        (*first & ((1 << top_bits) - 1)) | 1 << (top_bits - 1)
    };
    // Step 5: the trailing nibble 6.
    let last = block.last_mut()?;
    *last = *last << 4 | 0x06;
    Some(block)
}

/// Whether `signature` is an ISO/IEC 9796-1 signature of `msg` under `key`.
pub(crate) fn verify(key: &PublicKey, msg: &[u8], signature: &[u8]) -> bool {
    let Some(expected) = representative(msg, key.bits()) else {
        return false;
    };
    // A signature longer than the modulus, or not below it, is refused there.
    let Some(r) = key.public_op(signature) else {
        return false;
    };
    let low_nibble_is_6 = r.to_be_bytes().last().is_some_and(|low| low & 0xf == 6);
    let r = if low_nibble_is_6 {
        r
    } else {
        key.modulus().wrapping_sub(&r)
    };
    let mut wide = [0u8; 128];
    let Some(tail) = 128usize
        .checked_sub(expected.len())
        .and_then(|at| wide.get_mut(at..))
    else {
        return false;
    };
    tail.copy_from_slice(&expected);
    r == U1024::from_be_slice(&wide)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// ISO/IEC 9796-1 edition 1, annex example 2 (513-bit modulus, e = 3), as
    /// published in Bouncy Castle's `ISO9796Test` (test 2: full bytes, no pad
    /// bits — the variant WebSphere uses). Data only; the code is our own.
    #[test]
    fn iso_9796_1_annex_vector() {
        let n = hex(
            "0100000000000000000000000000000000bba2d15dbb303c8a21c5ebbcbae52b7125087920dd7cdf358ea119fd66fb064012ec8ce692f0a0b8e8321b041acd40b7",
        );
        let key = PublicKey::new(&n, 3).unwrap();
        let msg = hex("fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
        let sig = hex(
            "319bb9becb49f3ed1bca26d0fcf09b0b0a508e4d0bd43b350f959b72cd25b3af47d608fdcd248eada74fbe19990dbeb9bf0da4b4e1200243a14e5cab3f7e610c",
        );
        assert!(verify(&key, &msg, &sig));
        let mut other = msg.clone();
        other[31] ^= 1;
        assert!(!verify(&key, &other, &sig));
        let mut bad = sig.clone();
        bad[10] ^= 0x40;
        assert!(!verify(&key, &msg, &bad));
        assert!(!verify(&key, &msg, &[]));
        assert!(!verify(&key, &msg, &[0xff; 80]));
    }

    #[test]
    fn representative_shape_for_1024_bits() {
        let digest = [0xA5u8; 20];
        let r = representative(&digest, 1024).unwrap();
        assert_eq!(r.len(), 128);
        assert_eq!(r[0] & 0xC0, 0x40, "1023 bits, top bit set");
        assert_eq!(r[127] & 0x0f, 6);
        assert!(representative(&[1u8; 33], 512).is_none());
        assert!(representative(&[], 1024).is_none());
    }
}
