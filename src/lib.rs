//! The Apache httpd module: `LoadModule photoguard_module mod_photoguard.so`.
//!
//! Built for the server whose headers `build.rs` finds through `apxs`: Apache
//! 2.4 (`cfg(apache24)`) or Apache 2.2 / IBM HTTP Server 8.x
//! (`cfg(apache22)`) from the same source; every difference between the two
//! lives in [`compat`] and `apache/shim.c`. The policy itself is the
//! `photoguard-engine` crate; this crate only connects it to Apache.
//!
//! One request, followed: [`module`] (the entry point Apache calls) →
//! [`access`] (the decision and Apache's answer) → [`request`] (the typed
//! request it reads and writes) → the engine.
//!
//! - [`module`]: the exported `photoguard_module`, the directive table and
//!   every `extern "C"` entry point, each behind one panic guard.
//! - [`access`]: the access check and the fixup that makes a denial final.
//! - [`request`]: a safe wrapper over `request_rec`.
//! - [`config`]: directives, through a safe wrapper over `cmd_parms`.
//! - [`limits`]: the shared-memory table limits count in.
//! - `socache`: `PhotoGuardLimitStore socache` (2.4), a farm's counts in
//!   mod_socache_memcache / mod_socache_redis.
//! - [`prepare`]: builds network indexes after the config is read (post_config).
//! - [`log`]: error-log messages (never a cookie value).
//! - [`apr`]: pools and tables.
//! - [`status`]: the status page and its counters.
//! - [`compat`]: what differs between 2.2 and 2.4.

mod access;
mod apr;
mod bindings;
mod compat;
mod config;
mod limits;
mod log;
mod module;
mod prepare;
mod request;
#[cfg(apache24)]
mod socache;
mod status;
