//! Everything that differs between Apache 2.4 (`cfg(apache24)`, MMN 20120211)
//! and Apache 2.2 / IBM HTTP Server 8.x (`cfg(apache22)`, MMN 20051115), in
//! one place. The rest of the module is written once for both.
//!
//! The other differences are handled without a branch:
//! - the module struct: 2.4 appends a `flags` field; `module.rs` fills every
//!   field it names and zeroes the rest (`..zeroed()`), so the same
//!   initializer fits both layouts;
//! - logging: 2.4 tags messages with the module index (`APLOG_USE_MODULE`,
//!   so that `LogLevel photoguard:debug` works); that is the one `#ifdef` in
//!   `apache/shim.c`.

use std::ffi::{CStr, c_char};
use std::ptr;

use super::bindings::*;

/// The hook signature both versions use for access checks.
pub type AccessHook = unsafe extern "C" fn(r: *mut request_rec) -> i32;

/// Apache's view of the user agent's address, as text: on 2.4
/// `r->useragent_ip` (so it composes with mod_remoteip), on 2.2 the
/// connection's `remote_ip`. `None` if Apache has none.
///
/// # Safety
/// `r` is the live request Apache passed to a hook.
pub unsafe fn client_ip_text<'r>(r: *const request_rec) -> Option<&'r CStr> {
    #[cfg(apache24)]
    // SAFETY: `r` is a live request (caller); useragent_ip is NULL or a
    // NUL-terminated string that lives as long as the request.
    let text: *const c_char = unsafe { (*r).useragent_ip };
    #[cfg(apache22)]
    // SAFETY: as above; a request's connection outlives the request, and
    // remote_ip is NULL or NUL-terminated.
    let text: *const c_char = unsafe {
        let conn = (*r).connection;
        if conn.is_null() {
            ptr::null()
        } else {
            (*conn).remote_ip
        }
    };
    // SAFETY: non-NULL, NUL-terminated, outlives the request (above).
    (!text.is_null()).then(|| unsafe { CStr::from_ptr(text) })
}

/// Registers the access check: on 2.4 as a per-configuration access hook
/// (as mod_access_compat does, so that Apache skips it for subrequests and
/// internal redirects whose configuration equals their parent's), on 2.2 as
/// an access_checker hook.
pub fn register_access_hook(hook: AccessHook) {
    #[cfg(apache24)]
    // SAFETY: called from register_hooks, while Apache builds its hook
    // tables; null predecessor/successor lists are allowed.
    unsafe {
        ap_hook_check_access(
            Some(hook),
            ptr::null(),
            ptr::null(),
            APR_HOOK_MIDDLE as i32,
            AP_AUTH_INTERNAL_PER_CONF as i32,
        );
    }
    #[cfg(apache22)]
    // SAFETY: as above.
    unsafe {
        ap_hook_access_checker(Some(hook), ptr::null(), ptr::null(), APR_HOOK_MIDDLE as i32);
    }
}
