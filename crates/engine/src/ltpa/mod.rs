//! LTPA single-sign-on tokens: verify them with the keys the SSO servers share.
//!
//! Three token formats are understood (see `DESIGN.md` for their layout and the
//! vectors each was checked against):
//! - **LtpaToken2** (WebSphere / Liberty): AES-128-CBC, RSA PKCS#1 v1.5 signature.
//! - **LtpaToken, Domino style**: a SHA-1 MAC with the Web SSO document's secret.
//! - **LtpaToken, WebSphere v1**: 3DES-ECB, ISO/IEC 9796-1 RSA signature.
//!
//! This module only *verifies*: it reads the public key and the shared secret
//! key of a key export and never decrypts or holds the private key. Nothing in
//! it panics on any input, allocates on the cached path, or touches Apache.
//!
//! Entry points: [`KeySet::from_keys_file`], [`read_password_file`],
//! [`DominoSecret::from_base64_line`], [`Validator::validate`] and
//! [`Validator::validate_cached`] with a [`TokenCache`].

// The module moves verbatim into the engine crate, so its own rules travel
// with it rather than living in a `lib.rs`.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

mod cache;
mod cipher;
mod domino;
mod encoding;
mod format;
mod iso9796;
mod keys;
mod lmbcs;
mod ltpa2;
mod password;
mod properties;
mod rsa_public;
mod signed;
mod time;
mod token;
mod userdata;
mod validator;
mod websphere_v1;

#[cfg(test)]
mod vectors_test;

pub use cache::TokenCache;
pub use domino::DominoSecret;
pub use format::{Accept, Format, UnknownFormat};
pub use keys::{KeyError, KeySet};
pub use password::{decode_password, read_password_file};
pub use time::{Rfc3339, parse_rfc3339};
pub use token::{Refusal, Token};
pub use validator::{DEFAULT_CLOCK_SKEW_SECS, MAX_COOKIE_LEN, Validator, ValidatorRef};
