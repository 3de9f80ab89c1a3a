//! The RSA public-key operation for LTPA's keys (at most 1024 bits), and
//! RSASSA-PKCS1-v1_5 / SHA-1 verification on top of it.
//!
//! Why not the `rsa` crate's `verify`: with `rsa` 0.9 one verification
//! costs ~75–100 µs here, because its big-number library recomputes
//! R² mod n and walks all 64 bits of the exponent's word on every call. This
//! keeps the Montgomery parameters of each key (computed once, when the key
//! file is read) and runs square-and-multiply over e's 17 bits with
//! `crypto-bigint` (RustCrypto), ~5× faster. The `rsa` crate is kept as the
//! oracle of the differential tests.
//!
//! Verification is encode-and-compare (RFC 8017 §8.2.2): the expected
//! encoded message is built and compared whole, so nothing in the decrypted
//! signature is ever parsed.

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Encoding as _, U1024};
use subtle::ConstantTimeEq;

const MAX_LEN: usize = 128;

/// `DigestInfo` for SHA-1, the DER prefix of the hash in PKCS#1 v1.5.
const SHA1_DIGEST_INFO: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];

/// An RSA public key of 512 to 1024 bits, ready for verification.
#[derive(Clone, Copy)]
pub(crate) struct PublicKey {
    params: DynResidueParams<{ U1024::LIMBS }>,
    e: u32,
    /// The modulus in bytes (`k` of RFC 8017) and in bits.
    len: usize,
    bits: usize,
}

/// Big-endian bytes right-aligned in 128 bytes; `None` if longer.
fn widen(bytes: &[u8]) -> Option<[u8; MAX_LEN]> {
    let mut out = [0u8; MAX_LEN];
    let start = MAX_LEN.checked_sub(bytes.len())?;
    out.get_mut(start..)?.copy_from_slice(bytes);
    Some(out)
}

impl PublicKey {
    /// `None` unless `n` is odd and of 512 to 1024 bits and `e` is odd and
    /// at least 3.
    pub(crate) fn new(n: &[u8], e: u32) -> Option<PublicKey> {
        let skip = n.iter().take_while(|&&b| b == 0).count();
        let n = n.get(skip..)?;
        let bits = n
            .len()
            .checked_mul(8)?
            .checked_sub(n.first()?.leading_zeros() as usize)?;
        let odd = n.last().is_some_and(|b| b & 1 == 1);
        if !(512..=1024).contains(&bits) || !odd || e < 3 || e % 2 == 0 {
            return None;
        }
        let modulus = U1024::from_be_slice(&widen(n)?);
        Some(PublicKey {
            params: DynResidueParams::new(&modulus),
            e,
            len: n.len(),
            bits,
        })
    }

    pub(crate) fn bits(&self) -> usize {
        self.bits
    }

    pub(crate) fn modulus(&self) -> &U1024 {
        self.params.modulus()
    }

    /// `signature^e mod n`, or `None` for an empty signature, one longer
    /// than the modulus, or one not below it.
    pub(crate) fn public_op(&self, signature: &[u8]) -> Option<U1024> {
        if signature.is_empty() || signature.len() > self.len {
            return None;
        }
        let s = U1024::from_be_slice(&widen(signature)?);
        if s >= *self.modulus() {
            return None;
        }
        let x = DynResidue::new(&s, self.params);
        // Left-to-right square-and-multiply. The exponent is public, so
        // its bit pattern may show in the timing.
        let mut acc = x;
        let top = 31 - self.e.leading_zeros();
        for bit in (0..top).rev() {
            acc = acc.square();
            if self.e >> bit & 1 == 1 {
                acc = acc.mul(&x);
            }
        }
        Some(acc.retrieve())
    }

    /// RSASSA-PKCS1-v1_5 verification with SHA-1, given the message's
    /// SHA-1 `digest`.
    pub(crate) fn verify_pkcs1_sha1(&self, digest: &[u8; 20], signature: &[u8]) -> bool {
        // RFC 8017 §8.2.2 step 1: exactly k octets.
        if signature.len() != self.len {
            return false;
        }
        let (Some(m), Some(expected)) =
            (self.public_op(signature), self.pkcs1_sha1_encoding(digest))
        else {
            return false;
        };
        bool::from(m.to_be_bytes().ct_eq(&expected))
    }

    /// EMSA-PKCS1-v1_5: `00 01 FF..FF 00 DigestInfo H`, k bytes, right-aligned
    /// in 128 like the integer it is compared with.
    fn pkcs1_sha1_encoding(&self, digest: &[u8; 20]) -> Option<[u8; MAX_LEN]> {
        let t_len = SHA1_DIGEST_INFO.len() + digest.len();
        let ps_len = self.len.checked_sub(t_len + 3)?;
        if ps_len < 8 {
            return None;
        }
        let mut em = Vec::with_capacity(self.len);
        em.extend_from_slice(&[0x00, 0x01]);
        em.resize(2 + ps_len, 0xff);
        em.push(0x00);
        em.extend_from_slice(&SHA1_DIGEST_INFO);
        em.extend_from_slice(digest);
        widen(&em)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use photoguard_ltpa_mint::MintKeys;
    use proptest::prelude::*;
    use rsa::traits::PublicKeyParts;
    use rsa::{Pkcs1v15Sign, RsaPublicKey};
    use sha1::Sha1;

    fn keys() -> &'static (MintKeys, PublicKey, RsaPublicKey) {
        static K: std::sync::OnceLock<(MintKeys, PublicKey, RsaPublicKey)> =
            std::sync::OnceLock::new();
        K.get_or_init(|| {
            let text = include_str!("testdata/sephiroth-ltpa.keys");
            let mint = MintKeys::from_keys_file(text, b"test123").unwrap();
            let oracle = mint.private.to_public_key();
            assert_eq!(oracle.e(), &rsa::BigUint::from(65_537u32));
            let ours = PublicKey::new(&oracle.n().to_bytes_be(), 65_537).unwrap();
            (mint, ours, oracle)
        })
    }

    #[test]
    fn refuses_unusable_keys() {
        let mut n = vec![0xffu8; 128];
        assert!(PublicKey::new(&n, 65_537).is_some());
        assert!(PublicKey::new(&n, 65_536).is_none(), "even e");
        assert!(PublicKey::new(&n, 1).is_none());
        n[127] = 0xfe;
        assert!(PublicKey::new(&n, 3).is_none(), "even n");
        assert!(PublicKey::new(&[0xff; 129], 3).is_none(), "over 1024 bits");
        assert!(PublicKey::new(&[0xff; 63], 3).is_none(), "under 512 bits");
        assert!(PublicKey::new(&[], 3).is_none());
        let mut padded = vec![0u8; 1];
        padded.extend([0xffu8; 128]);
        assert_eq!(
            PublicKey::new(&padded, 3).unwrap().bits(),
            1024,
            "Java's sign byte"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Agrees with the `rsa` crate on valid signatures, on signatures
        /// with one changed byte, and on arbitrary bytes.
        #[test]
        fn agrees_with_the_rsa_crate(digest in any::<[u8; 20]>(), index in 0..128usize, mask in 1..=255u8,
                                     junk in proptest::collection::vec(any::<u8>(), 0..130)) {
            let (mint, ours, oracle) = keys();
            let scheme = || Pkcs1v15Sign::new::<Sha1>();
            let sig = mint.private.sign(scheme(), &digest).unwrap();
            prop_assert!(ours.verify_pkcs1_sha1(&digest, &sig));
            let mut bad = sig.clone();
            bad[index] ^= mask;
            prop_assert_eq!(ours.verify_pkcs1_sha1(&digest, &bad), oracle.verify(scheme(), &digest, &bad).is_ok());
            prop_assert_eq!(ours.verify_pkcs1_sha1(&digest, &junk), oracle.verify(scheme(), &digest, &junk).is_ok());
            let raw = ours.public_op(&sig).unwrap().to_be_bytes();
            let want = rsa::BigUint::from_bytes_be(&sig).modpow(oracle.e(), oracle.n()).to_bytes_be();
            prop_assert_eq!(&raw[128 - want.len()..], &want[..]);
        }
    }
}
