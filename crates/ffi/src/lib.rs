//! photoguard.h - the C ABI of photoguard's policy engine.
//!
//! photoguard decides whether a client may fetch a file, from its network
//! address (allowed CIDR networks, IPv4 and IPv6), an LTPA single sign-on
//! token it carries (LtpaToken2, LtpaToken: verified with the WebSphere,
//! Liberty or Domino keys, see `photoguard_policy_apply`) or the presence of
//! cookies (STPluginActivePage=stMeetingroom, ...), and says why. This
//! header lets any C host embed that decision, by linking libphotoguard.a or
//! libphotoguard.so or by loading libphotoguard.so with dlopen (it needs
//! neither httpd nor APR):
//!
//! ```c
//! photoguard_policy *policy = photoguard_policy_new();
//! char err[256];
//! if (photoguard_policy_apply(policy, "PhotoGuard", "On", "photos.conf", 12,
//!                             err, sizeof err, NULL) != PHOTOGUARD_OK)
//!     fprintf(stderr, "%s\n", err);
//! ... more directives ...
//! photoguard_decision d;
//! photoguard_policy_evaluate(policy, "10.20.16.5", cookie, cookie_len,
//!                            NULL, 0, &d);
//! if (!d.passes) answer d.http_status (redirecting to d.redirect_url);
//! log d.reason;
//! photoguard_policy_free(policy);
//! ```
//!
//! Conventions (as in rustls-ffi):
//! - Objects are opaque pointers with a `_new`/`_free` pair; `_free` accepts
//!   NULL.
//! - Fallible functions return a `photoguard_result` (`PHOTOGUARD_OK` is 0)
//!   and write human-readable text into a buffer the caller owns.
//! - Every function catches internal panics; none ever unwinds into C.
//! - FAIL CLOSED: whenever `photoguard_policy_evaluate` cannot decide (a NULL
//!   argument, a peer address that is not an IP address, a poisoned policy,
//!   an internal panic) it still fills the decision with a deny (verdict
//!   `PHOTOGUARD_VERDICT_DENY`, passes 0, http_status 403, reason saying
//!   why) and returns an error code. An error never allows a request.
//! - Text passed in is NUL-terminated UTF-8. Text written into a caller's
//!   buffer is always NUL-terminated when the buffer has room for at least
//!   one byte, and truncated (never inside a UTF-8 sequence) when it does
//!   not fit.
//!
//! Thread-safety: a policy is immutable once configured. Any number of
//! threads may call `photoguard_policy_evaluate`, `photoguard_policy_merge`
//! and `photoguard_policy_client_ip_header` on the same policy at once.
//! `photoguard_policy_apply` and `photoguard_policy_free` need exclusive
//! access: no other call may use that policy at the same time. Configure
//! first, then share.
//!
//! # This crate
//!
//! Everything above this heading is also the opening comment of
//! `include/photoguard.h`, which is generated from this crate by cbindgen
//! (configured by `crates/ffi/cbindgen.toml`): every exported function,
//! type, constant and enum value there carries the doc comment of its Rust
//! item, so the contracts are written once, here. The test
//! `tests/header.rs` (part of `cargo test`) regenerates the header and fails
//! when the checked-in file differs; after an intended change to the ABI or
//! its docs, write the new header with
//! `PHOTOGUARD_BLESS_HEADER=1 cargo test -p photoguard-ffi --test header`
//! and commit it.
//!
//! The library is built as `libphotoguard.so`, `libphotoguard.a` and an rlib
//! (for the Rust tests). It depends on the engine alone, so the shared
//! library leaves no httpd or APR symbol undefined and any C host can
//! `dlopen` it: `tests/dlopen.rs` checks both (a C program that loads it
//! with only `-ldl`, and the `.so`'s undefined symbols), and `tests/c_abi.rs`
//! runs a C program linked against the static library through the header.
//!
//! - [`result`]: the result codes and their text.
//! - [`boundary`]: the panic boundary every exported function runs inside.
//! - [`text`]: C strings in, NUL-terminated (truncated) text out.
//! - [`policy`]: the policy handle: new, free, apply a directive, merge.
//! - [`decision`]: the decision struct and evaluating a request.
//!
//! The exported functions take raw pointers from C, so those that
//! dereference them are `unsafe extern "C"` on the Rust side (their
//! `# Safety` sections state the pointer contract, in the header too); C
//! callers see no difference. The enum variants are spelled as in C
//! (`photoguard_result::ERROR_CONFIG` is `PHOTOGUARD_ERROR_CONFIG`): cbindgen
//! cannot rename single variants, so each enum's `cbindgen:rename-all`
//! annotation adds only the C prefix.

// cbindgen declares the functions in the order it reads them: the
// functions of this file, then these modules in this order.
pub mod result;

pub mod policy;

pub mod decision;

pub mod boundary;
pub mod text;

use std::ffi::{CStr, c_char};

pub use decision::{
    PHOTOGUARD_CLIENT_MAX, PHOTOGUARD_REASON_MAX, photoguard_decision, photoguard_deny_action,
    photoguard_policy_evaluate, photoguard_verdict,
};
pub use policy::{
    photoguard_policy, photoguard_policy_apply, photoguard_policy_client_ip_header,
    photoguard_policy_free, photoguard_policy_merge, photoguard_policy_new,
};
pub use result::{photoguard_result, photoguard_result_text};

const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(version) => version,
        Err(_) => panic!("the package version contains a NUL byte"),
    };

/// The library version, e.g. "0.2.0": a static, NUL-terminated string; do
/// not free.
#[unsafe(no_mangle)]
pub extern "C" fn photoguard_version() -> *const c_char {
    // Nothing here can panic; the boundary is kept so that every exported
    // function has one.
    boundary::guard(std::ptr::null, || VERSION.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_the_package_version() {
        // SAFETY: photoguard_version returns a pointer to a static
        // NUL-terminated string.
        let version = unsafe { CStr::from_ptr(photoguard_version()) };
        assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
