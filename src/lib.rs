//! The Apache httpd module: `LoadModule photoguard_module libmod_photoguard.so`.
//!
//! Built when `build.rs` finds Apache headers through `apxs`
//! (`cfg(photoguard_apache)`), for Apache 2.4 (`cfg(apache24)`) or Apache 2.2 /
//! IBM HTTP Server 8.x (`cfg(apache22)`) from the same source; every
//! difference between the two lives in [`compat`] and `apache/shim.c`.
//!
//! - [`module`]: the exported `photoguard_module` struct and the directive table.
//! - [`config`]: per-directory configs (a `ScopeConfig` each, freed by pool
//!   cleanups) and the directive handler.
//! - [`prepare`]: builds network indexes after the config is read (post_config).
//! - [`access`]: the access-check hook that turns a decision into a response.
//! - [`log`]: error-log messages (never a cookie value).
//! - [`apr`]: small safe-ish helpers over APR tables and pools.
//!
//! All of Apache's callbacks run inside `catch_unwind`: a panic never crosses
//! into C, and at request time it denies (fails closed).
#![allow(unsafe_code)]

mod access;
mod apr;
mod bindings;
mod compat;
mod config;
mod log;
mod module;
mod prepare;
