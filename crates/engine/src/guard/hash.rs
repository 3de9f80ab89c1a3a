//! Where a client's counter lives, decided by a keyed hash. Keyed, because
//! with a public hash an attacker holding many addresses could pick ones that
//! land in one bucket and push a victim's (or their own) counter out. The key
//! (seed) is chosen by the Apache parent and kept in the table's header, so
//! every child process hashes alike.
//!
//! SipHash-1-3 (Rust's own `HashMap` hash) over a fixed 4-word message: a
//! keyed PRF made for exactly this, and about 10 ns here.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed {
    pub k0: u64,
    pub k1: u64,
}

impl Seed {
    /// A seed from the operating system's randomness (through `RandomState`,
    /// which draws it once per thread); the module may pass APR's instead.
    pub fn random() -> Seed {
        let word = |n: u64| {
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_u64(n);
            hasher.finish()
        };
        Seed {
            k0: word(0),
            k1: word(1),
        }
    }
}

#[inline(always)]
fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

/// SipHash-1-3 of the 32 bytes `words` (little-endian), keyed by `seed`.
pub fn sip13(seed: Seed, words: [u64; 4]) -> u64 {
    let mut v = [
        seed.k0 ^ 0x736f_6d65_7073_6575,
        seed.k1 ^ 0x646f_7261_6e64_6f6d,
        seed.k0 ^ 0x6c79_6765_6e65_7261,
        seed.k1 ^ 0x7465_6462_7974_6573,
    ];
    for m in words {
        v[3] ^= m;
        sip_round(&mut v);
        v[0] ^= m;
    }
    // Final block: the message length (32) in the top byte, no tail bytes.
    let b: u64 = 32 << 56;
    v[3] ^= b;
    sip_round(&mut v);
    v[0] ^= b;
    v[2] ^= 0xff;
    for _ in 0..3 {
        sip_round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// A 32-bit digest of a slot's tag word, stored next to the count so that a
/// count left by the slot's previous owner is never taken for the new
/// owner's (see `table.rs`). Not an attacker-facing hash: the tag it digests
/// is already keyed. The SplitMix64 finaliser is a bijection, so two tags
/// share a digest only by the 2^-32 chance of the top half.
pub fn tag_digest(seed: Seed, tag: u64) -> u32 {
    let mut z = tag ^ seed.k1;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte-oriented SipHash-c-d, straight from the paper, to check the
    /// fixed-length version against.
    fn siphash(c: usize, d: usize, k0: u64, k1: u64, msg: &[u8]) -> u64 {
        let mut v = [
            k0 ^ 0x736f6d6570736575,
            k1 ^ 0x646f72616e646f6d,
            k0 ^ 0x6c7967656e657261,
            k1 ^ 0x7465646279746573,
        ];
        let mut chunks = msg.chunks_exact(8);
        for chunk in &mut chunks {
            let m = u64::from_le_bytes(chunk.try_into().unwrap());
            v[3] ^= m;
            (0..c).for_each(|_| sip_round(&mut v));
            v[0] ^= m;
        }
        let mut last = [0u8; 8];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        last[7] = msg.len() as u8;
        let b = u64::from_le_bytes(last);
        v[3] ^= b;
        (0..c).for_each(|_| sip_round(&mut v));
        v[0] ^= b;
        v[2] ^= 0xff;
        (0..d).for_each(|_| sip_round(&mut v));
        v[0] ^ v[1] ^ v[2] ^ v[3]
    }

    #[test]
    fn reference_siphash_matches_the_papers_vector() {
        // SipHash-2-4, key 00..0f, message 00..0e (Aumasson & Bernstein, appendix A).
        let k0 = u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]);
        let k1 = u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15]);
        let msg: Vec<u8> = (0..15).collect();
        assert_eq!(siphash(2, 4, k0, k1, &msg), 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn fixed_length_sip13_is_siphash_1_3() {
        let seed = Seed {
            k0: 0x0706050403020100,
            k1: 0x0f0e0d0c0b0a0908,
        };
        for words in [[0, 0, 0, 0], [1, 2, 3, 4], [u64::MAX, 7, 1 << 63, 42]] {
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            assert_eq!(sip13(seed, words), siphash(1, 3, seed.k0, seed.k1, &bytes));
        }
    }

    #[test]
    fn random_seeds_differ() {
        let (a, b) = (Seed::random(), Seed::random());
        assert_ne!(a, b);
        assert_ne!(a.k0, a.k1);
    }
}
