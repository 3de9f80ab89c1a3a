//! A full LTPA key set (private key included) and its `ltpa.keys` form.
//!
//! IBM's layouts, as WebSphere / Liberty write them:
//! - `PublicKey`: modulus as Java `BigInteger.toByteArray()` in 129 bytes
//!   (a zero sign byte, then 1024 bits), then the exponent in 3 bytes.
//! - `PrivateKey` (sealed): a 4-byte big-endian length, the private exponent
//!   `d` (`toByteArray()`, that many bytes), the public exponent (3 bytes),
//!   then the primes, larger first, 65 bytes each.
//! - `3DESKey` and `PrivateKey` are 3DES-EDE-ECB/PKCS#5 under SHA-1(password)
//!   followed by four zero bytes.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand_core::OsRng;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, RsaPrivateKey};

use crate::crypto::{generate_des3_key, password_key, tdes_ecb_decrypt, tdes_ecb_encrypt};
use crate::props;

const PRIME_LEN: usize = 65;
const MODULUS_LEN: usize = 129;
const EXPONENT_LEN: usize = 3;

#[derive(Debug)]
pub enum KeyFileError {
    Missing(&'static str),
    BadBase64(&'static str),
    WrongPassword,
    BadPrivateKey(&'static str),
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(p) => write!(f, "no {p} in the keys file"),
            Self::BadBase64(p) => write!(f, "{p} is not base64"),
            Self::WrongPassword => f.write_str("wrong password for the keys file"),
            Self::BadPrivateKey(why) => write!(f, "private key: {why}"),
        }
    }
}

impl std::error::Error for KeyFileError {}

/// A key set able to sign: what the exporting server holds.
#[derive(Clone)]
pub struct MintKeys {
    pub des3_key: [u8; 24],
    pub private: RsaPrivateKey,
    pub realm: String,
}

impl fmt::Debug for MintKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MintKeys")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

/// Java's `BigInteger.toByteArray()`: minimal big-endian two's complement.
fn java_bytes(n: &BigUint) -> Vec<u8> {
    let mut b = n.to_bytes_be();
    if b.first().is_none_or(|&x| x & 0x80 != 0) {
        b.insert(0, 0);
    }
    b
}

/// `java_bytes` left-padded (or, for an oversize value, cut from the left as
/// IBM's fixed-size copy would misbehave: we refuse instead).
fn fixed(n: &BigUint, len: usize) -> Vec<u8> {
    let b = java_bytes(n);
    assert!(b.len() <= len, "value does not fit {len} bytes");
    let mut out = vec![0u8; len - b.len()];
    out.extend(b);
    out
}

/// First line of a password file, plain or `{xor}` (the mint's own reader).
pub fn read_password_file(text: &[u8]) -> Vec<u8> {
    let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line.strip_prefix(b"{xor}") {
        Some(enc) => STANDARD
            .decode(enc)
            .unwrap_or_default()
            .iter()
            .map(|b| b ^ b'_')
            .collect(),
        None => line.to_vec(),
    }
}

impl MintKeys {
    /// A new key set: RSA-1024 with e = 65537 and a random 3DES key.
    pub fn generate(realm: &str) -> MintKeys {
        let private = RsaPrivateKey::new(&mut OsRng, 1024).expect("RSA key generation");
        MintKeys {
            des3_key: generate_des3_key(),
            private,
            realm: realm.to_owned(),
        }
    }

    /// The `PublicKey` bytes.
    pub fn public_key_bytes(&self) -> Vec<u8> {
        let mut out = fixed(self.private.n(), MODULUS_LEN);
        out.extend(fixed(self.private.e(), EXPONENT_LEN));
        out
    }

    /// The `PrivateKey` bytes before sealing, in IBM's layout.
    pub fn private_key_bytes(&self) -> Vec<u8> {
        let d = java_bytes(self.private.d());
        let mut primes: Vec<&BigUint> = self.private.primes().iter().collect();
        primes.sort_by(|a, b| b.cmp(a));
        let mut out = (d.len() as u32).to_be_bytes().to_vec();
        out.extend(&d);
        out.extend(fixed(self.private.e(), EXPONENT_LEN));
        for p in primes {
            out.extend(fixed(p, PRIME_LEN));
        }
        out
    }

    /// `ltpa.keys` as WebSphere / Liberty export it: `Properties.store`
    /// output with a date comment, in the order a real export shows.
    pub fn to_keys_file(&self, password: &[u8], created_unix_secs: u64, host: &str) -> String {
        let seal = |data: &[u8]| STANDARD.encode(tdes_ecb_encrypt(&password_key(password), data));
        let date = java_date(created_unix_secs);
        let entries = [
            ("com.ibm.websphere.CreationDate", date.clone()),
            ("com.ibm.websphere.ltpa.version", "1.0".to_owned()),
            ("com.ibm.websphere.ltpa.3DESKey", seal(&self.des3_key)),
            ("com.ibm.websphere.CreationHost", host.to_owned()),
            (
                "com.ibm.websphere.ltpa.PrivateKey",
                seal(&self.private_key_bytes()),
            ),
            ("com.ibm.websphere.ltpa.Realm", self.realm.clone()),
            (
                "com.ibm.websphere.ltpa.PublicKey",
                STANDARD.encode(self.public_key_bytes()),
            ),
        ];
        let mut out = format!("#{date}\n");
        for (k, v) in entries {
            out.push_str(&props::escape(k, true));
            out.push('=');
            out.push_str(&props::escape(&v, false));
            out.push('\n');
        }
        out
    }

    /// Reads a keys file back, private key included.
    pub fn from_keys_file(text: &str, password: &[u8]) -> Result<MintKeys, KeyFileError> {
        let entries = props::read(text);
        let get = |name: &'static str| {
            entries
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .ok_or(KeyFileError::Missing(name))
        };
        let unseal = |name: &'static str| -> Result<Vec<u8>, KeyFileError> {
            let sealed = STANDARD
                .decode(get(name)?)
                .map_err(|_| KeyFileError::BadBase64(name))?;
            tdes_ecb_decrypt(&password_key(password), &sealed).ok_or(KeyFileError::WrongPassword)
        };
        let des = unseal("com.ibm.websphere.ltpa.3DESKey")?;
        let des3_key: [u8; 24] = des.try_into().map_err(|_| KeyFileError::WrongPassword)?;
        let private = decode_private_key(&unseal("com.ibm.websphere.ltpa.PrivateKey")?)?;
        let realm = get("com.ibm.websphere.ltpa.Realm")
            .unwrap_or("defaultRealm")
            .to_owned();
        Ok(MintKeys {
            des3_key,
            private,
            realm,
        })
    }
}

fn decode_private_key(raw: &[u8]) -> Result<RsaPrivateKey, KeyFileError> {
    let bad = KeyFileError::BadPrivateKey;
    let len = u32::from_be_bytes(
        raw.get(..4)
            .ok_or(bad("short"))?
            .try_into()
            .map_err(|_| bad("short"))?,
    ) as usize;
    let d = raw.get(4..4 + len).ok_or(bad("short d"))?;
    let rest = &raw[4 + len..];
    if rest.len() != EXPONENT_LEN + 2 * PRIME_LEN {
        return Err(bad("unexpected length after d"));
    }
    let e = BigUint::from_bytes_be(&rest[..EXPONENT_LEN]);
    let p = BigUint::from_bytes_be(&rest[EXPONENT_LEN..EXPONENT_LEN + PRIME_LEN]);
    let q = BigUint::from_bytes_be(&rest[EXPONENT_LEN + PRIME_LEN..]);
    let n = &p * &q;
    RsaPrivateKey::from_components(n, e, BigUint::from_bytes_be(d), vec![p, q])
        .map_err(|_| bad("inconsistent"))
}

/// `java.util.Date.toString()` in UTC: `Fri Mar 24 16:00:11 UTC 2017`.
fn java_date(unix_secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_secs / 86_400;
    let secs = unix_secs % 86_400;
    // Civil date by counting years and months: slow and obviously right.
    let (mut year, mut left) = (1970u64, days);
    loop {
        let len = if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) {
            366
        } else {
            365
        };
        if left < len {
            break;
        }
        left -= len;
        year += 1;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let lens = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut month = 0;
    while left >= lens[month] {
        left -= lens[month];
        month += 1;
    }
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {year}",
        DAYS[(days % 7) as usize],
        MONTHS[month],
        left + 1,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_date_format() {
        assert_eq!(java_date(1_490_371_211), "Fri Mar 24 16:00:11 UTC 2017");
        assert_eq!(java_date(951_782_400), "Tue Feb 29 00:00:00 UTC 2000");
    }
}
