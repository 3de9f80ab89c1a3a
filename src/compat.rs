//! Everything that differs between Apache 2.4 (`cfg(apache24)`, MMN 20120211)
//! and Apache 2.2 / IBM HTTP Server 8.x (`cfg(apache22)`, MMN 20051115), in
//! one place. The rest of the module is written once for both.
//!
//! The other differences are handled without a branch:
//! - the module struct: 2.4 appends a `flags` field; `module.rs` fills every
//!   field it names and zeroes the rest (`..zeroed()`), so the same
//!   initializer fits both layouts;
//! - logging and the client's binary address: `apache/shim.c` (2.4 tags
//!   messages with the module index; the address is `useragent_addr` on 2.4
//!   and the connection's `remote_addr` on 2.2).

use std::ptr;

use super::bindings::*;

/// Whether the server knows status 429: Apache 2.2 has no status line for it
/// and would answer 500, so there a limited client gets the scope's deny
/// action instead (as with `PhotoGuardLimitAction deny`).
pub const HAS_429: bool = cfg!(apache24);

/// The hook signature both versions use for access checks and fixups.
pub type RequestHook = unsafe extern "C" fn(r: *mut request_rec) -> i32;

/// Registers the access check and the fixup that enforces its denials.
///
/// The access check: on 2.4 as a per-configuration access hook (as
/// mod_access_compat does, so that Apache skips it for subrequests and
/// internal redirects whose configuration equals their parent's), on 2.2 as
/// an access_checker hook. It runs first among access hooks, so its denial
/// is logged before any other module's decision.
///
/// The fixup runs first among fixups on both versions: fixups run for every
/// request that reached them, whatever `Satisfy` says.
pub fn register_access_hooks(access: RequestHook, fixups: RequestHook) {
    #[cfg(apache24)]
    // SAFETY: called from register_hooks, while Apache builds its hook
    // tables; null predecessor/successor lists are allowed.
    unsafe {
        ap_hook_check_access(
            Some(access),
            ptr::null(),
            ptr::null(),
            APR_HOOK_FIRST as i32,
            AP_AUTH_INTERNAL_PER_CONF as i32,
        );
    }
    #[cfg(apache22)]
    // SAFETY: as above.
    unsafe {
        ap_hook_access_checker(
            Some(access),
            ptr::null(),
            ptr::null(),
            APR_HOOK_FIRST as i32,
        );
    }
    // SAFETY: as above.
    unsafe {
        ap_hook_fixups(
            Some(fixups),
            ptr::null(),
            ptr::null(),
            APR_HOOK_REALLY_FIRST,
        );
    }
}
