//! The C ABI declared in `include/photoguard.h`, in the style of rustls-ffi:
//! an opaque policy handle with `_new`/`_free`, result codes, error text
//! written into the caller's buffer, and a panic boundary on every exported
//! function.
//!
//! Fail-closed is the rule of this layer: whenever `photoguard_policy_evaluate`
//! cannot decide (a NULL argument, an unparsable peer address, a policy left
//! unusable, a caught panic) it still writes a *deny* into the caller's
//! decision and returns an error code. Nothing here ever turns an error into
//! an allow.
//!
//! - [`result`]: the result codes and their text.
//! - [`boundary`]: the panic boundary every exported function runs inside.
//! - [`text`]: C strings in, NUL-terminated (truncated) text out.
//! - [`policy`]: the policy handle: new, free, apply a directive, merge.
//! - [`decision`]: the decision struct and evaluating a request.
//!
//! The exported functions take raw pointers from C, so those that dereference
//! them are `unsafe extern "C"` on the Rust side (their `# Safety` sections
//! restate the header's contract); C callers see no difference.

pub mod boundary;
pub mod decision;
pub mod policy;
pub mod result;
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

/// The library's version (`CARGO_PKG_VERSION`), a static NUL-terminated
/// string that the caller must not free.
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
