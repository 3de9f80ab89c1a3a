//! ISO/IEC 9796-1 signing with raw RSA, for WebSphere v1 tokens. Written
//! position by position (counting from the right) rather than in the
//! validator's passes, so the two cross-check each other.

use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, RsaPrivateKey};

const SHADOW: [u8; 16] = [
    0xE, 0x3, 0x5, 0x8, 0x9, 0x4, 0x2, 0xF, 0x0, 0xD, 0xB, 0x6, 0x7, 0xA, 0xC, 0x1,
];

fn shadow(b: u8) -> u8 {
    SHADOW[(b >> 4) as usize] << 4 | SHADOW[(b & 0xF) as usize]
}

/// The k-bit representative (k = modulus bits - 1) of `msg`.
pub(crate) fn representative(msg: &[u8], modulus_bits: usize) -> BigUint {
    let k = modulus_bits - 1;
    let len = k.div_ceil(8);
    let z = msg.len();
    assert!(z > 0 && 16 * z <= k + 3, "message too long for ISO 9796-1");
    let mut block = vec![0u8; len];
    for pos in 0..len {
        // Position `pos` from the right: even = a message byte (cycling from
        // the last), odd = the shadow of the message byte to its right.
        let m = msg[z - 1 - (pos / 2) % z];
        let byte = if pos % 2 == 0 { m } else { shadow(m) };
        // The shadow beside the most significant full copy's first byte
        // carries the "message starts here" mark.
        block[len - 1 - pos] = if pos == 2 * z - 1 { byte ^ 1 } else { byte };
    }
    let r = k % 8;
    block[0] = if r == 0 {
        block[0] | 0x80
    } else {
        (block[0] & ((1u8 << r) - 1)) | (1u8 << (r - 1))
    };
    block[len - 1] = block[len - 1] << 4 | 6;
    BigUint::from_bytes_be(&block)
}

/// Signs `msg` (WebSphere passes SHA-1 of the userdata): `min(s, n - s)` of
/// `s = representative^d mod n`, in modulus-size bytes.
pub(crate) fn sign(key: &RsaPrivateKey, msg: &[u8]) -> Vec<u8> {
    let n = key.n();
    let s = representative(msg, n.bits()).modpow(key.d(), n);
    let other = n - &s;
    let s = if other < s { other } else { s };
    let bytes = s.to_bytes_be();
    let size = n.bits().div_ceil(8);
    let mut out = vec![0u8; size - bytes.len()];
    out.extend(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ISO/IEC 9796-1 annex example (as in Bouncy Castle's ISO9796Test,
    /// test 2): the representative of the message must be sig^3 mod n.
    #[test]
    fn annex_example_representative() {
        let hex = |s: &str| BigUint::parse_bytes(s.as_bytes(), 16).unwrap();
        let n = hex(
            "0100000000000000000000000000000000bba2d15dbb303c8a21c5ebbcbae52b7125087920dd7cdf358ea119fd66fb064012ec8ce692f0a0b8e8321b041acd40b7",
        );
        let sig = hex(
            "319bb9becb49f3ed1bca26d0fcf09b0b0a508e4d0bd43b350f959b72cd25b3af47d608fdcd248eada74fbe19990dbeb9bf0da4b4e1200243a14e5cab3f7e610c",
        );
        let msg: Vec<u8> = (0..4)
            .flat_map(|_| [0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10])
            .collect();
        let r = sig.modpow(&BigUint::from(3u8), &n);
        let r = if r.to_bytes_le()[0] & 0xf == 6 {
            r
        } else {
            &n - r
        };
        assert_eq!(representative(&msg, n.bits()), r);
    }
}
