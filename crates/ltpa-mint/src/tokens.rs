//! Minting tokens: from claims (`mint_*`), or from raw parts (`seal_*`,
//! `sign_*`, `userdata`) so tests can assemble broken ones.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::Pkcs1v15Sign;
use sha1::{Digest, Sha1};

use crate::crypto::{aes_cbc_encrypt, tdes_ecb_encrypt};
use crate::iso9796;
use crate::keyfile::MintKeys;

/// Who and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The unique ID after the realm, e.g. `uid=jane,o=example`.
    pub user_id: String,
    pub realm: String,
    pub expires_millis: u64,
}

impl Claims {
    pub fn new(user_id: &str, realm: &str, expires_millis: u64) -> Claims {
        Claims {
            user_id: user_id.to_owned(),
            realm: realm.to_owned(),
            expires_millis,
        }
    }
}

/// Escapes an attribute value: `\`, `%`, `$` and `:` take a backslash.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '%' | '$' | ':') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The signed part: `expire:MS$u:user\:REALM/ID` (Liberty's order), or
/// without `expire` when `body_expire` is `None` (as v1 tokens are).
pub fn userdata(claims: &Claims, body_expire: Option<u64>) -> String {
    let u = escape(&format!("user:{}/{}", claims.realm, claims.user_id));
    match body_expire {
        Some(ms) => format!("expire:{ms}$u:{u}"),
        None => format!("u:{u}"),
    }
}

fn plaintext(userdata: &str, expire_field: u64, signature: &[u8]) -> String {
    format!("{userdata}%{expire_field}%{}", STANDARD.encode(signature))
}

/// LtpaToken2 signature: PKCS#1 v1.5 / SHA-1 over SHA-1(userdata).
pub fn sign_ltpa2(keys: &MintKeys, userdata: &str) -> Vec<u8> {
    let digest = Sha1::digest(Sha1::digest(userdata.as_bytes()));
    keys.private
        .sign(Pkcs1v15Sign::new::<Sha1>(), &digest)
        .expect("RSA signing")
}

/// WebSphere v1 signature: ISO/IEC 9796-1 over SHA-1(userdata).
pub fn sign_v1(keys: &MintKeys, userdata: &str) -> Vec<u8> {
    iso9796::sign(&keys.private, &Sha1::digest(userdata.as_bytes()))
}

/// Encrypts `userdata%expire_field%base64(signature)` as LtpaToken2.
pub fn seal_ltpa2(keys: &MintKeys, userdata: &str, expire_field: u64, signature: &[u8]) -> String {
    STANDARD.encode(aes_cbc_encrypt(
        &keys.des3_key,
        plaintext(userdata, expire_field, signature).as_bytes(),
    ))
}

/// Encrypts the same layout as a WebSphere v1 token (3DES-ECB).
pub fn seal_v1(keys: &MintKeys, userdata: &str, expire_field: u64, signature: &[u8]) -> String {
    STANDARD.encode(tdes_ecb_encrypt(
        &keys.des3_key,
        plaintext(userdata, expire_field, signature).as_bytes(),
    ))
}

/// A valid LtpaToken2 (cookie value, base64).
pub fn mint_ltpa2(keys: &MintKeys, claims: &Claims) -> String {
    let body = userdata(claims, Some(claims.expires_millis));
    seal_ltpa2(keys, &body, claims.expires_millis, &sign_ltpa2(keys, &body))
}

/// A valid WebSphere v1 LtpaToken: its expiry is only in the unsigned field.
pub fn mint_v1(keys: &MintKeys, claims: &Claims) -> String {
    let body = userdata(claims, None);
    seal_v1(keys, &body, claims.expires_millis, &sign_v1(keys, &body))
}

/// The Domino token's bytes before the MAC: magic, hex times, user name.
pub fn domino_body(user_lmbcs: &[u8], created_secs: u32, expires_secs: u32) -> Vec<u8> {
    let mut body = vec![0, 1, 2, 3];
    body.extend(format!("{created_secs:08x}{expires_secs:08x}").as_bytes());
    body.extend(user_lmbcs);
    body
}

/// Appends SHA-1(body ‖ secret) and encodes.
pub fn seal_domino(secret: &[u8; 20], body: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(body);
    h.update(secret);
    let mut token = body.to_vec();
    token.extend(h.finalize());
    STANDARD.encode(token)
}

/// A valid Domino-style LtpaToken.
pub fn mint_domino(
    secret: &[u8; 20],
    user_lmbcs: &[u8],
    created_secs: u32,
    expires_secs: u32,
) -> String {
    seal_domino(secret, &domino_body(user_lmbcs, created_secs, expires_secs))
}
