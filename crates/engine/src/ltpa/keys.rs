//! A WebSphere / Liberty key export (`ltpa.keys`) opened with its password:
//! the shared 3DES key and the RSA public key. The private key stays sealed.

use core::fmt;

use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use super::cipher::tdes_ecb_decrypt;
use super::encoding::base64_strict;
use super::properties;
use super::rsa_public::PublicKey;

const PREFIX: &str = "com.ibm.websphere.ltpa.";
const DES_KEY: &str = "com.ibm.websphere.ltpa.3DESKey";
const PUBLIC_KEY: &str = "com.ibm.websphere.ltpa.PublicKey";
const REALM: &str = "com.ibm.websphere.ltpa.Realm";
const VERSION: &str = "com.ibm.websphere.ltpa.version";

/// `PublicKey` is the modulus as Java's signed `BigInteger.toByteArray()`
/// (129 bytes for 1024 bits: a zero sign byte first) then a 3-byte exponent.
const MODULUS_LEN: usize = 129;
const EXPONENT_LEN: usize = 3;

/// Why a key file, password or Domino secret cannot be used. Each message
/// says what to do; none contains key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// A required property is absent (its name).
    MissingProperty(&'static str),
    /// `com.ibm.websphere.ltpa.version` is not 1.0 (its value).
    UnsupportedVersion(String),
    /// The file has a `SharedKey` property: FIPS-mode keys, another format.
    SharedKeyFormat,
    /// The password does not decrypt the 3DES key.
    WrongPassword,
    /// The password file's first line is empty.
    EmptyPassword,
    /// The password is encoded in a way only the server can decode (`{aes}`...).
    UnsupportedPasswordEncoding(String),
    /// A `{xor}` password whose text is not base64.
    BadXorPassword,
    /// A property is not valid base64 (its name).
    BadBase64(&'static str),
    /// The public key is not a usable RSA key (why).
    MalformedPublicKey(&'static str),
    /// The Domino secret is not 20 bytes of base64 (why).
    MalformedSecret(&'static str),
    /// A `\u` escape that Java would refuse too, on this line of the file.
    MalformedProperties { line: usize },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingProperty(name) => write!(
                f,
                "not an LTPA key export: no {name} (export the keys from WebSphere or Liberty, the ltpa.keys file)"
            ),
            // The value is the file's text: escaped and cut, as every error
            // quoting a file does (found by fuzzing: a `\r` escape in it
            // made the log line two).
            Self::UnsupportedVersion(v) => write!(
                f,
                "LTPA keys file version {} is not supported (2.0 is FIPS mode): export version 1.0 keys",
                crate::directive::escaped(v)
            ),
            Self::SharedKeyFormat => f.write_str(
                "LTPA keys file has a SharedKey property (FIPS-mode keys), which is not supported: export version 1.0 keys",
            ),
            Self::WrongPassword => f.write_str(
                "the password does not decrypt the LTPA keys (wrong password: use the keysPassword of the server that exported this file)",
            ),
            Self::EmptyPassword => f.write_str("the password file's first line is empty"),
            Self::UnsupportedPasswordEncoding(scheme) => write!(
                f,
                "a {scheme} password can only be decoded by the server that wrote it: put the plain password (or its {{xor}} form) in the file"
            ),
            Self::BadXorPassword => f.write_str("the {xor} password is not valid base64"),
            Self::BadBase64(name) => write!(f, "{name} is not valid base64: the keys file is damaged"),
            Self::MalformedPublicKey(why) => write!(f, "the LTPA public key is malformed: {why}"),
            Self::MalformedSecret(why) => write!(
                f,
                "the Domino secret is malformed: {why} (copy LTPA_DominoSecret from the Web SSO configuration document)"
            ),
            Self::MalformedProperties { line } => {
                write!(f, "keys file line {line}: malformed \\u escape")
            }
        }
    }
}

impl std::error::Error for KeyError {}

/// One key set: what a server needs to *verify* tokens of one LTPA domain.
pub struct KeySet {
    /// The 24-byte 3DES key (WebSphere v1 tokens).
    shared: Zeroizing<[u8; 24]>,
    /// Its first 16 bytes, LtpaToken2's AES key.
    aes: Zeroizing<[u8; 16]>,
    public: PublicKey,
    /// SHA-1 of the `PublicKey` bytes as exported.
    fingerprint: [u8; 20],
    realm: Option<String>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the shared key.
        f.debug_struct("KeySet")
            .field("realm", &self.realm)
            .field("modulus_bits", &self.public.bits())
            .finish_non_exhaustive()
    }
}

impl KeySet {
    /// Opens an `ltpa.keys` export with its password (the raw bytes, already
    /// decoded from `{xor}` if need be: see [`super::read_password_file`]).
    pub fn from_keys_file(text: &[u8], password: &[u8]) -> Result<KeySet, KeyError> {
        let props =
            properties::parse(text).map_err(|e| KeyError::MalformedProperties { line: e.line })?;
        let get = |name: &str| {
            props
                .iter()
                .rev()
                .find(|p| p.key == name)
                .map(|p| p.value.trim())
        };

        // Refuse the other formats first: their other properties would only
        // produce a misleading error.
        if props
            .iter()
            .any(|p| p.key.starts_with(PREFIX) && p.key.ends_with("SharedKey"))
        {
            return Err(KeyError::SharedKeyFormat);
        }
        if let Some(v) = get(VERSION) {
            if v != "1.0" {
                return Err(KeyError::UnsupportedVersion(v.to_owned()));
            }
        }
        let public_b64 = get(PUBLIC_KEY).ok_or(KeyError::MissingProperty(PUBLIC_KEY))?;
        let des_b64 = get(DES_KEY).ok_or(KeyError::MissingProperty(DES_KEY))?;
        let (public, fingerprint) = decode_public_key(public_b64)?;
        let sealed = base64_strict(des_b64.as_bytes()).ok_or(KeyError::BadBase64(DES_KEY))?;
        let shared = unseal_shared_key(&sealed, password)?;
        let realm = get(REALM).filter(|r| !r.is_empty()).map(str::to_owned);
        // LtpaToken2's AES key is the first 16 bytes of the 3DES key.
        let mut aes = Zeroizing::new([0u8; 16]);
        aes.iter_mut().zip(shared.iter()).for_each(|(a, s)| *a = *s);
        Ok(KeySet {
            shared,
            aes,
            public,
            fingerprint,
            realm,
        })
    }

    /// The realm the exporting server named (informational: tokens carry
    /// their own realm).
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// SHA-1 of the exported public key bytes, to tell key sets apart in
    /// logs and `inspect` output without showing a secret.
    pub fn public_key_fingerprint(&self) -> [u8; 20] {
        self.fingerprint
    }

    pub(crate) fn des3_key(&self) -> &[u8; 24] {
        &self.shared
    }

    pub(crate) fn aes_key(&self) -> &[u8; 16] {
        &self.aes
    }

    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.public
    }
}

fn decode_public_key(b64: &str) -> Result<(PublicKey, [u8; 20]), KeyError> {
    let raw = base64_strict(b64.as_bytes()).ok_or(KeyError::BadBase64(PUBLIC_KEY))?;
    if raw.len() != MODULUS_LEN + EXPONENT_LEN {
        return Err(KeyError::MalformedPublicKey(
            "not 132 bytes (129-byte modulus, 3-byte exponent)",
        ));
    }
    let (n, e) = raw.split_at(MODULUS_LEN);
    // Java's BigInteger is signed: a set top bit would be a negative modulus.
    if n.first().is_some_and(|&b| b >= 0x80) {
        return Err(KeyError::MalformedPublicKey("negative modulus"));
    }
    let e = e.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
    let key = PublicKey::new(n, e).ok_or(KeyError::MalformedPublicKey(
        "not an RSA key of 512 to 1024 bits with an odd exponent",
    ))?;
    Ok((key, Sha1::digest(&raw).into()))
}

/// The key that seals the 3DES and private keys: SHA-1 of the password,
/// then four zero bytes, used as a 24-byte 3DES-EDE key.
fn password_key(password: &[u8]) -> Zeroizing<[u8; 24]> {
    let mut key = Zeroizing::new([0u8; 24]);
    let digest = Sha1::digest(password);
    if let Some(head) = key.get_mut(..20) {
        head.copy_from_slice(&digest);
    }
    key
}

fn unseal_shared_key(sealed: &[u8], password: &[u8]) -> Result<Zeroizing<[u8; 24]>, KeyError> {
    if sealed.is_empty() || sealed.len() % 8 != 0 {
        return Err(KeyError::BadBase64(DES_KEY));
    }
    // A wrong password fails the padding (255 times in 256) or leaves a
    // length other than 24; either way it is the password, not the file.
    let plain = tdes_ecb_decrypt(&password_key(password), sealed).ok_or(KeyError::WrongPassword)?;
    let mut key = Zeroizing::new([0u8; 24]);
    if plain.len() != key.len() {
        return Err(KeyError::WrongPassword);
    }
    key.copy_from_slice(&plain);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_other_formats_clearly() {
        let fips =
            b"com.ibm.websphere.ltpa.version=2.0\ncom.ibm.websphere.ltpa.PublicKey=AA\\=\\=\n";
        assert_eq!(
            KeySet::from_keys_file(fips, b"pw").unwrap_err(),
            KeyError::UnsupportedVersion("2.0".into())
        );
        let shared = b"com.ibm.websphere.ltpa.SharedKey=AAAA\n";
        assert_eq!(
            KeySet::from_keys_file(shared, b"pw").unwrap_err(),
            KeyError::SharedKeyFormat
        );
        assert_eq!(
            KeySet::from_keys_file(b"# nothing\n", b"pw").unwrap_err(),
            KeyError::MissingProperty(PUBLIC_KEY)
        );
        assert!(
            KeyError::WrongPassword
                .to_string()
                .contains("wrong password")
        );
        assert!(!KeyError::WrongPassword.to_string().contains("padding"));
    }

    /// Found by fuzzing (fuzz/fuzz_targets/ltpa_keys_file.rs): the version
    /// value reached the error, and the log, as it was in the file.
    #[test]
    fn an_unsupported_version_is_quoted_escaped_and_cut() {
        let file = format!(
            "com.ibm.websphere.ltpa.version=2.0\\r\\nforged: line {}\n",
            "x".repeat(500)
        );
        let message = KeySet::from_keys_file(file.as_bytes(), b"pw")
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("LTPA keys file version 2.0\\x0D\\x0Aforged: line xxx"),
            "{message}"
        );
        assert!(message.contains("x... is not supported"), "{message}");
        assert!(message.len() < 200, "{message}");
        assert!(
            message.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "{message}"
        );
        assert!(
            KeyError::UnsupportedVersion("2.0".into())
                .to_string()
                .starts_with("LTPA keys file version 2.0 is not supported")
        );
    }
}
