//! photoguard: an Apache httpd / IBM HTTP Server module that decides per
//! request whether a client may fetch a file, from who it is on the network
//! and what cookies it carries, with a reason for every decision.
//!
//! - [`engine`]: the pure-Rust policy engine (no Apache, no `unsafe`).
//! - [`ffi`]: the C ABI declared in `include/photoguard.h`.
//! - [`cli`]: the `photoguard` command-line tool's logic.
//! - `apache`: the Apache module, built when `build.rs` finds Apache headers
//!   (`cfg(photoguard_apache)`).

pub mod cli;
pub mod engine;
pub mod ffi;

#[cfg(photoguard_apache)]
mod apache;
