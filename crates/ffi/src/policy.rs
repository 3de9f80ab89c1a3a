//! The policy handle: an engine [`ScopeConfig`] behind an opaque pointer,
//! built by applying directives one at a time.
//!
//! Thread-safety: a policy is immutable once configured, so any number of
//! threads may evaluate it at once (`photoguard_policy` is `Send + Sync`);
//! `photoguard_policy_apply` needs exclusive access, like any `&mut`.

use std::ffi::{CString, c_char, c_uint};
use std::ptr;

use photoguard_engine::{DenyAction, DirectiveContext, Origin, ScopeConfig};

use super::boundary::{guard, panic_point};
use super::result::{Failure, photoguard_result};
use super::text::{BadText, ErrorBuffer, borrow_str};

/// What `file` is taken to be when the caller passes NULL.
pub(crate) const INLINE_FILE: &str = "(inline)";

/// A policy: the configuration of one scope (server, virtual host,
/// directory, location, ...). Opaque.
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct photoguard_policy {
    scope: ScopeConfig,
    /// NUL-terminated copies of texts the engine keeps as Rust strings, so
    /// that C can be handed pointers into the policy.
    redirect_url: Option<CString>,
    client_ip_header: CString,
    /// Set when a panic interrupted `apply`: the scope may be half-changed,
    /// so every later call on this policy fails closed.
    poisoned: bool,
}

// Evaluating from many threads at once is part of the contract.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<photoguard_policy>();
};

impl photoguard_policy {
    fn from_scope(scope: ScopeConfig) -> photoguard_policy {
        let mut policy = photoguard_policy {
            scope,
            redirect_url: None,
            client_ip_header: CString::default(),
            poisoned: false,
        };
        policy.refresh_texts();
        policy
    }

    fn refresh_texts(&mut self) {
        // The engine refuses NUL (a control character) in redirect URLs and
        // header names, so these conversions do not fail; if one ever did,
        // the pointer would be NULL / empty rather than wrong.
        self.redirect_url = match self.scope.deny_action() {
            DenyAction::Redirect(url) => CString::new(url.as_bytes()).ok(),
            _ => None,
        };
        self.client_ip_header = CString::new(self.scope.client_ip_header()).unwrap_or_default();
    }

    pub fn scope(&self) -> &ScopeConfig {
        &self.scope
    }

    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// The redirect URL as C text, NULL unless the deny action redirects.
    pub fn redirect_url_ptr(&self) -> *const c_char {
        self.redirect_url
            .as_deref()
            .map_or(ptr::null(), |url| url.as_ptr())
    }
}

fn text_failure(argument: &'static str, problem: BadText) -> Failure {
    match problem {
        BadText::Null => Failure::null(argument),
        BadText::NotUtf8 => Failure::new(
            photoguard_result::ERROR_INVALID_UTF8,
            format!("{argument} is not valid UTF-8"),
        ),
    }
}

pub(crate) fn poisoned_failure() -> Failure {
    Failure::new(
        photoguard_result::ERROR_POISONED,
        "the policy is unusable after an internal error; free it and build a new one",
    )
}

/// A new, empty policy with photoguard's defaults: the gate off (everything
/// allowed with the reason "PhotoGuard is off"), deny with 403, enforce
/// mode, client-IP header X-Forwarded-For.
///
/// Returns NULL only if an internal panic was caught.
///
/// Ownership: the caller owns the policy and frees it with
/// `photoguard_policy_free`.
#[unsafe(no_mangle)]
pub extern "C" fn photoguard_policy_new() -> *mut photoguard_policy {
    guard(ptr::null_mut, || {
        panic_point();
        Box::into_raw(Box::new(photoguard_policy::from_scope(ScopeConfig::new())))
    })
}

/// Frees a policy from `photoguard_policy_new` or `photoguard_policy_merge`.
/// NULL is accepted and ignored. After this call, pointers obtained from the
/// policy (`redirect_url` in a decision, `photoguard_policy_client_ip_header`)
/// are invalid.
///
/// Thread-safety: needs exclusive access to the policy.
///
/// # Safety
/// `policy` is NULL or a pointer from `photoguard_policy_new` or
/// `photoguard_policy_merge` not yet freed, and no other call uses it now or
/// later.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn photoguard_policy_free(policy: *mut photoguard_policy) {
    guard(
        || (),
        || {
            if !policy.is_null() {
                // SAFETY: the pointer came from Box::into_raw in this module
                // and is freed once (caller's promise).
                drop(unsafe { Box::from_raw(policy) });
            }
        },
    )
}

/// Applies one directive to the policy, exactly as Apache would pass it:
/// its name (case-insensitive, e.g. "PhotoGuardAllowNetwork") and its raw
/// argument string (e.g. "10.20.16.0/20 192.0.2.10"; quotes group words).
///
/// Directives: `PhotoGuard On|Off`; `PhotoGuardAllowNetwork CIDR...`;
/// `PhotoGuardAllowNetworkFile path` (relative paths are relative to the
/// process's working directory); `PhotoGuardAllowCookie NAME|NAME=VALUE...`;
/// `PhotoGuardTrustedProxy CIDR...`; `PhotoGuardClientIPHeader name`;
/// `PhotoGuardDenyAction 403|404|redirect URL`;
/// `PhotoGuardMode enforce|report`; and the LTPA directives
/// `PhotoGuardLtpaKeys KEYFILE PASSWORDFILE`, `PhotoGuardDominoSecret FILE`,
/// `PhotoGuardAllowLtpa COOKIE...`,
/// `PhotoGuardLtpaAccept ltpa2|domino|websphere-v1...`,
/// `PhotoGuardLtpaClockSkew SECONDS` and `PhotoGuardLtpaRealm REALM...`.
/// Repeated list directives add up.
///
/// LTPA keys are read during this call: `PhotoGuardLtpaKeys` reads the
/// WebSphere/Liberty key export and the file whose first line is its
/// password, `PhotoGuardDominoSecret` the file holding the base64
/// LTPA_DominoSecret. Paths are used as given: relative ones are relative
/// to the process's working directory (there is no ServerRoot). A missing
/// or unreadable file, a password that does not decrypt the keys, an
/// unsupported key export or a malformed secret is `PHOTOGUARD_ERROR_CONFIG`
/// with a message naming the file and the problem. Only the public key and
/// the shared key are kept; the private key is never decrypted. The files
/// are not read again: for rotated keys, build a new policy. Apply
/// `PhotoGuardLtpaKeys`, `PhotoGuardDominoSecret` and `PhotoGuardAllowLtpa`
/// before merging: a merged policy shares those lists with the policies it
/// was made from, and adding to a shared list is `PHOTOGUARD_ERROR_CONFIG`
/// (the policy is unchanged). The warning the
/// Apache module logs for a password or secret file that every user may
/// read is not reported here.
///
/// - `policy`, `directive`, `args`: required
///   (`PHOTOGUARD_ERROR_NULL_ARGUMENT`).
/// - `file`, `line`: where the directive was written; they appear in
///   decision reasons ("network 10.20.16.0/20 (photos.conf:14)"). `file` may
///   be NULL, meaning "(inline)". Copied; the caller keeps ownership of all
///   strings.
/// - `err_buf`, `err_len`: a caller-owned buffer for the error text. On
///   success it holds ""; on failure the message, truncated to `err_len - 1`
///   bytes and NUL-terminated. `err_buf` may be NULL or `err_len` 0 (no text
///   is written).
/// - `err_written`: if not NULL, receives the number of bytes written to
///   `err_buf` before the NUL (0 on success).
///
/// Returns `PHOTOGUARD_OK`, or `PHOTOGUARD_ERROR_CONFIG` (the policy is
/// unchanged), `_NULL_ARGUMENT`, `_INVALID_UTF8`, `_POISONED`, or `_PANIC`
/// (the policy is then poisoned: free it).
///
/// Thread-safety: needs exclusive access to the policy.
///
/// # Safety
/// `policy` is NULL or a live policy that no other call uses meanwhile;
/// `directive`, `args` and `file` are NULL or NUL-terminated strings;
/// `err_buf` is NULL or writable for `err_len` bytes; `err_written` is NULL
/// or writable for one `size_t`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn photoguard_policy_apply(
    policy: *mut photoguard_policy,
    directive: *const c_char,
    args: *const c_char,
    file: *const c_char,
    line: c_uint,
    err_buf: *mut c_char,
    err_len: usize,
    err_written: *mut usize,
) -> photoguard_result {
    guard(
        || photoguard_result::ERROR_PANIC,
        || {
            // SAFETY: err_buf/err_len/err_written are as the caller promises.
            let mut error = unsafe { ErrorBuffer::from_raw(err_buf, err_len, err_written) };
            error.clear();
            // SAFETY: the pointers are as the caller promises (see above).
            let outcome = guard(
                || Err(Failure::panic()),
                || unsafe { apply(policy, directive, args, file, line) },
            );
            if outcome
                .as_ref()
                .is_err_and(|f| f.code == photoguard_result::ERROR_PANIC)
                && !policy.is_null()
            {
                // SAFETY: non-NULL, live and exclusively ours for this call;
                // the panicked body's borrow of it has ended.
                unsafe { (*policy).poisoned = true };
            }
            match outcome {
                Ok(()) => photoguard_result::OK,
                Err(failure) => {
                    error.set(&failure.message);
                    failure.code
                }
            }
        },
    )
}

/// # Safety
/// As [`photoguard_policy_apply`].
unsafe fn apply(
    policy: *mut photoguard_policy,
    directive: *const c_char,
    args: *const c_char,
    file: *const c_char,
    line: c_uint,
) -> Result<(), Failure> {
    // SAFETY: NULL or a live policy used by no one else during the call.
    let policy = unsafe { policy.as_mut() }.ok_or_else(|| Failure::null("policy"))?;
    if policy.poisoned {
        return Err(poisoned_failure());
    }
    // SAFETY: NULL or NUL-terminated strings that outlive this call.
    let (directive, args) = unsafe { (borrow_str(directive), borrow_str(args)) };
    let directive = directive.map_err(|p| text_failure("directive", p))?;
    let args = args.map_err(|p| text_failure("args", p))?;
    let file = match file.is_null() {
        true => INLINE_FILE,
        // SAFETY: a NUL-terminated string that outlives this call.
        false => unsafe { borrow_str(file) }.map_err(|p| text_failure("file", p))?,
    };
    panic_point();
    let context = DirectiveContext {
        origin: Origin::new(file, line),
        server_root: None,
    };
    policy
        .scope
        .apply(directive, args, &context)
        .map_err(|e| Failure::new(photoguard_result::ERROR_CONFIG, e.to_string()))?;
    policy.refresh_texts();
    Ok(())
}

/// The policy of a child scope inside its parent: every setting the child
/// leaves unset is inherited; a list (networks, cookies, trusted proxies) set
/// in the child replaces the parent's list of that kind. Cheap: the lists are
/// shared, not copied.
///
/// Returns a new policy that the caller owns and frees (independent of the
/// lifetime of parent and child), or NULL if either argument is NULL or
/// poisoned, or an internal panic was caught. Neither argument is changed;
/// safe to call while other threads evaluate them.
///
/// # Safety
/// `parent` and `child` are NULL or live policies that no call changes
/// meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn photoguard_policy_merge(
    parent: *const photoguard_policy,
    child: *const photoguard_policy,
) -> *mut photoguard_policy {
    guard(ptr::null_mut, || {
        // SAFETY: NULL or live policies nobody changes during the call.
        let (Some(parent), Some(child)) = (unsafe { parent.as_ref() }, unsafe { child.as_ref() })
        else {
            return ptr::null_mut();
        };
        if parent.poisoned || child.poisoned {
            return ptr::null_mut();
        }
        panic_point();
        let merged = ScopeConfig::merge(&parent.scope, &child.scope);
        Box::into_raw(Box::new(photoguard_policy::from_scope(merged)))
    })
}

/// The name of the header that carries the client address from trusted
/// proxies ("X-Forwarded-For" unless `PhotoGuardClientIPHeader` says
/// otherwise): the header whose value a host passes as `forwarded_for` to
/// `photoguard_policy_evaluate`.
///
/// The string lives inside the policy: valid until the policy is freed or
/// changed by `photoguard_policy_apply`; do not free it.
///
/// Returns NULL if `policy` is NULL or poisoned.
///
/// # Safety
/// `policy` is NULL or a live policy that no call changes meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn photoguard_policy_client_ip_header(
    policy: *const photoguard_policy,
) -> *const c_char {
    guard(ptr::null, || {
        // SAFETY: NULL or a live policy.
        match unsafe { policy.as_ref() } {
            Some(policy) if !policy.poisoned => policy.client_ip_header.as_ptr(),
            _ => ptr::null(),
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::ffi::CStr;

    use super::*;
    use crate::boundary::injected;

    /// The result of one `photoguard_policy_apply` and its error text.
    pub(crate) fn apply_c(
        policy: *mut photoguard_policy,
        directive: &CStr,
        args: &CStr,
    ) -> (photoguard_result, String) {
        let mut buf = [0x55 as c_char; 512];
        let mut written = usize::MAX;
        // SAFETY: live policy (or NULL on purpose), static C strings, a
        // buffer of buf.len() bytes and a length slot.
        let result = unsafe {
            photoguard_policy_apply(
                policy,
                directive.as_ptr(),
                args.as_ptr(),
                c"photos.conf".as_ptr(),
                14,
                buf.as_mut_ptr(),
                buf.len(),
                &mut written,
            )
        };
        // SAFETY: apply always NUL-terminates a non-empty buffer.
        let text = unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(
            written,
            text.len(),
            "err_written counts the bytes before the NUL"
        );
        (result, text)
    }

    /// A policy that frees itself.
    pub(crate) struct Owned(pub *mut photoguard_policy);

    impl Owned {
        pub(crate) fn new() -> Owned {
            let policy = photoguard_policy_new();
            assert!(!policy.is_null());
            Owned(policy)
        }

        pub(crate) fn get(&self) -> &photoguard_policy {
            // SAFETY: a live policy from photoguard_policy_new/merge.
            unsafe { &*self.0 }
        }
    }

    impl Drop for Owned {
        fn drop(&mut self) {
            // SAFETY: ours, freed once.
            unsafe { photoguard_policy_free(self.0) };
        }
    }

    #[test]
    fn applying_directives_configures_the_scope() {
        let policy = Owned::new();
        assert_eq!(
            apply_c(policy.0, c"PhotoGuard", c"On"),
            (photoguard_result::OK, String::new())
        );
        assert_eq!(
            apply_c(
                policy.0,
                c"PhotoGuardAllowNetwork",
                c"10.20.16.0/20 192.0.2.10"
            )
            .0,
            photoguard_result::OK
        );
        let scope = policy.get().scope();
        assert!(scope.enabled());
        let rules = scope.networks().unwrap().rules();
        assert_eq!(rules.len(), 2);
        assert_eq!(
            rules[0].reason().to_str().unwrap(),
            "network 10.20.16.0/20 (photos.conf:14)"
        );
    }

    #[test]
    fn a_config_error_carries_the_engine_message_and_changes_nothing() {
        let policy = Owned::new();
        let (result, text) = apply_c(policy.0, c"PhotoGuardAllowNetwork", c"10.20.16.7/20");
        assert_eq!(result, photoguard_result::ERROR_CONFIG);
        assert_eq!(
            text,
            "PhotoGuardAllowNetwork: '10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?"
        );
        assert!(policy.get().scope().networks().is_none());
    }

    #[test]
    fn a_null_file_is_inline() {
        let policy = Owned::new();
        // SAFETY: live policy, static strings, no error buffer.
        let result = unsafe {
            photoguard_policy_apply(
                policy.0,
                c"PhotoGuardAllowCookie".as_ptr(),
                c"LtpaToken2".as_ptr(),
                ptr::null(),
                0,
                ptr::null_mut(),
                0,
                ptr::null_mut(),
            )
        };
        assert_eq!(result, photoguard_result::OK);
        let rule = &policy.get().scope().cookies().unwrap().rules()[0];
        assert_eq!(
            rule.reason().to_str().unwrap(),
            "cookie LtpaToken2 ((inline):0)"
        );
    }

    #[test]
    fn null_and_non_utf8_arguments_are_refused() {
        let policy = Owned::new();
        assert_eq!(
            apply_c(ptr::null_mut(), c"PhotoGuard", c"On"),
            (
                photoguard_result::ERROR_NULL_ARGUMENT,
                "policy is NULL".into()
            )
        );
        assert_eq!(
            apply_c(policy.0, c"PhotoGuard", c"\xff"),
            (
                photoguard_result::ERROR_INVALID_UTF8,
                "args is not valid UTF-8".into()
            )
        );
        let mut buf = [1 as c_char; 64];
        // SAFETY: live policy, NULL directive on purpose, a real buffer.
        let result = unsafe {
            photoguard_policy_apply(
                policy.0,
                ptr::null(),
                c"On".as_ptr(),
                ptr::null(),
                0,
                buf.as_mut_ptr(),
                buf.len(),
                ptr::null_mut(),
            )
        };
        assert_eq!(result, photoguard_result::ERROR_NULL_ARGUMENT);
        // SAFETY: NUL-terminated by apply.
        let message = unsafe { CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(message, c"directive is NULL");
    }

    #[test]
    fn a_panic_in_apply_is_caught_and_poisons_the_policy() {
        let policy = Owned::new();
        injected::arm();
        let (result, text) = apply_c(policy.0, c"PhotoGuard", c"On");
        assert_eq!(result, photoguard_result::ERROR_PANIC);
        assert_eq!(text, "internal error (a panic was caught); failing closed");
        assert!(policy.get().is_poisoned());
        let (result, _) = apply_c(policy.0, c"PhotoGuard", c"On");
        assert_eq!(result, photoguard_result::ERROR_POISONED);
        // SAFETY: live policies.
        assert!(unsafe { photoguard_policy_merge(policy.0, policy.0) }.is_null());
        // SAFETY: live policy.
        assert!(unsafe { photoguard_policy_client_ip_header(policy.0) }.is_null());
    }

    #[test]
    fn a_panic_in_new_or_merge_returns_null() {
        injected::arm();
        assert!(photoguard_policy_new().is_null());
        let policy = Owned::new();
        injected::arm();
        // SAFETY: live policies.
        assert!(unsafe { photoguard_policy_merge(policy.0, policy.0) }.is_null());
    }

    #[test]
    fn merge_makes_a_new_policy_with_the_childs_overrides() {
        let parent = Owned::new();
        apply_c(parent.0, c"PhotoGuard", c"On");
        apply_c(
            parent.0,
            c"PhotoGuardDenyAction",
            c"redirect https://www.example.com/",
        );
        let child = Owned::new();
        apply_c(child.0, c"PhotoGuardDenyAction", c"404");
        // SAFETY: live policies.
        let merged = Owned(unsafe { photoguard_policy_merge(parent.0, child.0) });
        assert!(!merged.0.is_null());
        assert!(merged.get().scope().enabled());
        assert_eq!(merged.get().scope().deny_action(), &DenyAction::NotFound);
        assert!(merged.get().redirect_url_ptr().is_null());
        // SAFETY: the redirect URL lives in the parent policy.
        let url = unsafe { CStr::from_ptr(parent.get().redirect_url_ptr()) };
        assert_eq!(url, c"https://www.example.com/");
        // SAFETY: NULL on purpose.
        assert!(unsafe { photoguard_policy_merge(ptr::null(), child.0) }.is_null());
    }

    #[test]
    fn the_client_ip_header_follows_the_directive() {
        let policy = Owned::new();
        // SAFETY: live policy; the text lives in it.
        let header =
            || unsafe { CStr::from_ptr(photoguard_policy_client_ip_header(policy.0)) }.to_owned();
        assert_eq!(header().as_c_str(), c"X-Forwarded-For");
        apply_c(policy.0, c"PhotoGuardClientIPHeader", c"X-Real-IP");
        assert_eq!(header().as_c_str(), c"X-Real-IP");
        // SAFETY: NULL on purpose.
        assert!(unsafe { photoguard_policy_client_ip_header(ptr::null()) }.is_null());
    }

    #[test]
    fn freeing_null_is_harmless() {
        // SAFETY: NULL is documented as accepted.
        unsafe { photoguard_policy_free(ptr::null_mut()) };
    }
}
