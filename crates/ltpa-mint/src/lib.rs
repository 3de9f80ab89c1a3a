//! Test-only LTPA minter: makes the keys and tokens that WebSphere, Liberty
//! and Domino would make, so photoguard's validator can be tested end to end
//! with tokens nobody else holds keys for.
//!
//! **Never ship or load this in the module**: it holds private keys and signs.
//! It deliberately shares no code with the validator, so that a mistake in
//! one does not hide in both.
//!
//! - [`MintKeys`]: generate a key set (RSA-1024, e = 65537, random 3DES key),
//!   write it as `ltpa.keys` the way WebSphere does, read one back (private
//!   key included, in IBM's layout).
//! - [`tokens`]: LtpaToken2, WebSphere v1 and Domino LtpaToken, from claims
//!   or from raw parts (to build broken ones).
//! - [`broken`]: damage a token in the ways the tests need.

#![forbid(unsafe_code)]

pub mod broken;
mod crypto;
mod iso9796;
mod keyfile;
mod props;
pub mod tokens;

pub use crypto::{domino_secret_b64, generate_domino_secret, xor_password};
pub use keyfile::{KeyFileError, MintKeys, read_password_file};
pub use tokens::{Claims, mint_domino, mint_ltpa2, mint_v1};
