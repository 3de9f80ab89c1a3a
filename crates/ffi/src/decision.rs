//! Evaluating a request into the C decision struct.
//!
//! The struct is filled completely on every call that has somewhere to write
//! it: a decision when the policy could decide, a fail-closed deny (verdict
//! DENY, passes 0, status 403, the reason saying why) when it could not.
//! `PHOTOGUARD_VERDICT_DENY` is 0, so even a zeroed struct that was never
//! written reads as a deny.

use std::ffi::{c_char, c_int};
use std::fmt::{self, Write as _};
use std::ptr;

use photoguard_engine::{Decision, DenyAction, Mode, Peer, Verdict};

use super::boundary::{guard, panic_point};
use super::policy::{photoguard_policy, poisoned_failure};
use super::result::{Failure, photoguard_result};
use super::text::{borrow_bytes, copy_into_chars};

/// Size of `photoguard_decision.reason`, NUL included.
pub const PHOTOGUARD_REASON_MAX: usize = 256;
/// Size of `photoguard_decision.client`: INET6_ADDRSTRLEN, NUL included.
pub const PHOTOGUARD_CLIENT_MAX: usize = 46;

#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum photoguard_verdict {
    /// Blocked: answer with the deny action.
    Deny = 0,
    Allow = 1,
    /// Report mode: enforce mode would deny it, but the request passes.
    WouldDeny = 2,
}

#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum photoguard_deny_action {
    Forbidden = 0,
    NotFound = 1,
    Redirect = 2,
}

/// One decision, as declared in `include/photoguard.h`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct photoguard_decision {
    pub verdict: photoguard_verdict,
    /// 1 when the request may proceed: ALLOW, or WOULD_DENY in report mode.
    pub passes: c_int,
    /// 1 only for ALLOW.
    pub allowed: c_int,
    /// The policy's deny action (what a denied request gets; for ALLOW it
    /// still describes the policy).
    pub deny_action: photoguard_deny_action,
    /// 403, 404 or 302, matching `deny_action`.
    pub http_status: c_int,
    /// 1 when the policy is in report mode.
    pub report_mode: c_int,
    /// The redirect target when `deny_action` is REDIRECT, else NULL. Points
    /// into the policy.
    pub redirect_url: *const c_char,
    /// The address the rules were checked against, as text ("" when the
    /// peer address could not be parsed).
    pub client: [c_char; PHOTOGUARD_CLIENT_MAX],
    /// Why: the rule that allowed, "no rule matched", or the failure.
    pub reason: [c_char; PHOTOGUARD_REASON_MAX],
}

impl photoguard_decision {
    /// The answer when no decision could be made: deny with a 403.
    pub fn fail_closed(why: &str) -> photoguard_decision {
        let mut decision = photoguard_decision {
            verdict: photoguard_verdict::Deny,
            passes: 0,
            allowed: 0,
            deny_action: photoguard_deny_action::Forbidden,
            http_status: 403,
            report_mode: 0,
            redirect_url: ptr::null(),
            client: [0; PHOTOGUARD_CLIENT_MAX],
            reason: [0; PHOTOGUARD_REASON_MAX],
        };
        copy_into_chars(why.as_bytes(), &mut decision.reason);
        decision
    }

    /// The C form of an engine decision. Allocates nothing.
    fn from_engine(decision: &Decision<'_>, policy: &photoguard_policy) -> photoguard_decision {
        let (deny_action, redirect_url) = match decision.deny_action {
            DenyAction::Forbidden => (photoguard_deny_action::Forbidden, ptr::null()),
            DenyAction::NotFound => (photoguard_deny_action::NotFound, ptr::null()),
            DenyAction::Redirect(_) => {
                (photoguard_deny_action::Redirect, policy.redirect_url_ptr())
            }
        };
        let mut out = photoguard_decision {
            verdict: match decision.verdict {
                Verdict::Allow => photoguard_verdict::Allow,
                Verdict::Deny => photoguard_verdict::Deny,
                Verdict::WouldDeny => photoguard_verdict::WouldDeny,
            },
            passes: c_int::from(decision.verdict.passes()),
            allowed: c_int::from(decision.verdict == Verdict::Allow),
            deny_action,
            http_status: c_int::from(decision.deny_action.status()),
            report_mode: c_int::from(policy.scope().mode() == Mode::Report),
            redirect_url,
            client: [0; PHOTOGUARD_CLIENT_MAX],
            reason: [0; PHOTOGUARD_REASON_MAX],
        };
        display_into_chars(&decision.client, &mut out.client);
        copy_into_chars(decision.reason.text().to_bytes(), &mut out.reason);
        out
    }
}

/// Formats `value` into a C char array without allocating (an IPv6 address
/// is at most 45 characters; the scratch holds more than that).
fn display_into_chars(value: &impl fmt::Display, dst: &mut [c_char]) {
    struct Scratch {
        bytes: [u8; 64],
        len: usize,
    }
    impl fmt::Write for Scratch {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let end = self
                .len
                .checked_add(s.len())
                .filter(|&e| e <= self.bytes.len())
                .ok_or(fmt::Error)?;
            self.bytes[self.len..end].copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
    let mut scratch = Scratch {
        bytes: [0; 64],
        len: 0,
    };
    // An overflow keeps what fitted; copy_into_chars truncates further.
    let _ = write!(scratch, "{value}");
    copy_into_chars(&scratch.bytes[..scratch.len], dst);
}

/// Decides one request: the peer's address as text (`peer_ip`), the Cookie
/// header and the client-IP header as bytes (NULL: absent). Returns
/// `PHOTOGUARD_OK` for every decision, allow or deny; any other code comes
/// with a fail-closed deny in `*out`.
///
/// # Safety
/// `policy` is NULL or a live policy not being changed during the call;
/// `peer_ip` is NULL or a NUL-terminated string; `cookie` and
/// `forwarded_for` are NULL or readable for their lengths; `out` is NULL or
/// writable for one `photoguard_decision`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn photoguard_policy_evaluate(
    policy: *const photoguard_policy,
    peer_ip: *const c_char,
    cookie: *const u8,
    cookie_len: usize,
    forwarded_for: *const u8,
    forwarded_for_len: usize,
    out: *mut photoguard_decision,
) -> photoguard_result {
    let deliver = |decision: photoguard_decision| {
        if !out.is_null() {
            // SAFETY: non-NULL and writable (caller's promise); `write` does
            // not read or drop whatever was there, which may be uninitialised.
            unsafe { out.write(decision) };
        }
    };
    guard(
        || {
            let failure = Failure::panic();
            deliver(photoguard_decision::fail_closed(&failure.message));
            failure.code
        },
        || {
            if out.is_null() {
                return photoguard_result::NullArgument;
            }
            // SAFETY: the pointers are as the caller promises (see above).
            let decided = unsafe {
                decide(
                    policy,
                    peer_ip,
                    cookie,
                    cookie_len,
                    forwarded_for,
                    forwarded_for_len,
                )
            };
            match decided {
                Ok(decision) => {
                    deliver(decision);
                    photoguard_result::Ok
                }
                Err(failure) => {
                    deliver(photoguard_decision::fail_closed(&failure.message));
                    failure.code
                }
            }
        },
    )
}

/// # Safety
/// As [`photoguard_policy_evaluate`].
unsafe fn decide(
    policy: *const photoguard_policy,
    peer_ip: *const c_char,
    cookie: *const u8,
    cookie_len: usize,
    forwarded_for: *const u8,
    forwarded_for_len: usize,
) -> Result<photoguard_decision, Failure> {
    // SAFETY: NULL or a live policy nobody changes during the call.
    let policy = unsafe { policy.as_ref() }.ok_or_else(|| Failure::null("policy"))?;
    if policy.is_poisoned() {
        return Err(poisoned_failure());
    }
    if peer_ip.is_null() {
        return Err(Failure::null("peer_ip"));
    }
    // SAFETY: a NUL-terminated string that outlives the call.
    let peer_text = unsafe { std::ffi::CStr::from_ptr(peer_ip) }.to_bytes();
    let peer = Peer::Text(peer_text);
    if peer.address().is_none() {
        let shown = String::from_utf8_lossy(peer_text);
        return Err(Failure::new(
            photoguard_result::BadAddress,
            format!("peer address '{shown}' is not an IPv4 or IPv6 address"),
        ));
    }
    let too_long = |argument: &str| {
        Failure::new(
            photoguard_result::InvalidArgument,
            format!("{argument}_len is larger than any buffer can be"),
        )
    };
    // SAFETY: NULL or readable for the given lengths, unchanged during the call.
    let cookie_header =
        unsafe { borrow_bytes(cookie, cookie_len) }.map_err(|_| too_long("cookie"))?;
    // SAFETY: as above.
    let forwarded_for = unsafe { borrow_bytes(forwarded_for, forwarded_for_len) }
        .map_err(|_| too_long("forwarded_for"))?;
    panic_point();
    let decision = policy.scope().decide(peer, cookie_header, forwarded_for);
    Ok(photoguard_decision::from_engine(&decision, policy))
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::mem::MaybeUninit;

    use super::*;
    use crate::boundary::injected;
    use crate::policy::tests::{Owned, apply_c};

    fn seed_policy() -> Owned {
        let policy = Owned::new();
        for (directive, args) in [
            (c"PhotoGuard", c"On"),
            (
                c"PhotoGuardAllowNetwork",
                c"10.20.16.0/20 10.30.64.0/21 172.16.128.0/22 192.0.2.10",
            ),
            (
                c"PhotoGuardAllowCookie",
                c"LtpaToken2 LtpaToken STPluginActivePage=stMeetingroom",
            ),
            (
                c"PhotoGuardDenyAction",
                c"redirect https://www.example.com/",
            ),
        ] {
            assert_eq!(
                apply_c(policy.0, directive, args),
                (photoguard_result::Ok, String::new())
            );
        }
        policy
    }

    struct Evaluated {
        result: photoguard_result,
        decision: photoguard_decision,
    }

    impl Evaluated {
        fn reason(&self) -> &str {
            // SAFETY: evaluate NUL-terminates the reason.
            unsafe { CStr::from_ptr(self.decision.reason.as_ptr()) }
                .to_str()
                .unwrap()
        }

        fn client(&self) -> &str {
            // SAFETY: evaluate NUL-terminates the client.
            unsafe { CStr::from_ptr(self.decision.client.as_ptr()) }
                .to_str()
                .unwrap()
        }

        fn redirect_url(&self) -> Option<&str> {
            let url = self.decision.redirect_url;
            // SAFETY: NULL or a string inside the still-live policy.
            (!url.is_null()).then(|| unsafe { CStr::from_ptr(url) }.to_str().unwrap())
        }

        fn is_fail_closed_deny(&self) -> bool {
            let d = &self.decision;
            d.verdict == photoguard_verdict::Deny
                && d.passes == 0
                && d.allowed == 0
                && d.http_status == 403
        }
    }

    fn evaluate(
        policy: *const photoguard_policy,
        peer: Option<&CStr>,
        cookie: Option<&[u8]>,
        xff: Option<&[u8]>,
    ) -> Evaluated {
        // Garbage in the struct shows that every field is written.
        let mut out = MaybeUninit::<photoguard_decision>::uninit();
        // SAFETY: a u8 pattern is a valid way to scribble over MaybeUninit.
        unsafe {
            out.as_mut_ptr()
                .cast::<u8>()
                .write_bytes(0xA5, size_of::<photoguard_decision>())
        };
        let (cookie_ptr, cookie_len) = cookie.map_or((ptr::null(), 0), |c| (c.as_ptr(), c.len()));
        let (xff_ptr, xff_len) = xff.map_or((ptr::null(), 0), |x| (x.as_ptr(), x.len()));
        // SAFETY: policy live or NULL on purpose, valid slices, a writable out.
        let result = unsafe {
            photoguard_policy_evaluate(
                policy,
                peer.map_or(ptr::null(), CStr::as_ptr),
                cookie_ptr,
                cookie_len,
                xff_ptr,
                xff_len,
                out.as_mut_ptr(),
            )
        };
        // SAFETY: evaluate writes the whole struct whenever out is non-NULL.
        let decision = unsafe { out.assume_init() };
        Evaluated { result, decision }
    }

    #[test]
    fn allowed_by_network_with_its_reason() {
        let policy = seed_policy();
        let e = evaluate(policy.0, Some(c"10.20.31.200"), None, None);
        assert_eq!(e.result, photoguard_result::Ok);
        assert_eq!(e.decision.verdict, photoguard_verdict::Allow);
        assert_eq!(
            (
                e.decision.passes,
                e.decision.allowed,
                e.decision.report_mode
            ),
            (1, 1, 0)
        );
        assert_eq!(e.reason(), "network 10.20.16.0/20 (photos.conf:14)");
        assert_eq!(e.client(), "10.20.31.200");
    }

    #[test]
    fn allowed_by_cookie() {
        let policy = seed_policy();
        let e = evaluate(
            policy.0,
            Some(c"203.0.113.9"),
            Some(b"theme=dark; LtpaToken=AAEC"),
            None,
        );
        assert_eq!(e.decision.verdict, photoguard_verdict::Allow);
        assert_eq!(e.reason(), "cookie LtpaToken (photos.conf:14)");
    }

    #[test]
    fn denied_with_the_redirect() {
        let policy = seed_policy();
        let e = evaluate(
            policy.0,
            Some(c"203.0.113.9"),
            Some(b"XLtpaToken2=1; ltpatoken2=1; LtpaToken2="),
            None,
        );
        assert_eq!(e.result, photoguard_result::Ok);
        assert_eq!(e.decision.verdict, photoguard_verdict::Deny);
        assert_eq!((e.decision.passes, e.decision.allowed), (0, 0));
        assert_eq!(e.decision.deny_action, photoguard_deny_action::Redirect);
        assert_eq!(e.decision.http_status, 302);
        assert_eq!(e.redirect_url(), Some("https://www.example.com/"));
        assert_eq!(e.reason(), "no rule matched");
    }

    #[test]
    fn mapped_ipv6_peers_match_ipv4_rules() {
        let policy = seed_policy();
        let e = evaluate(policy.0, Some(c"::ffff:172.16.131.1"), None, None);
        assert_eq!(e.decision.verdict, photoguard_verdict::Allow);
        assert_eq!(e.client(), "172.16.131.1");
    }

    #[test]
    fn a_long_ipv6_client_fits_the_client_field() {
        let policy = seed_policy();
        let e = evaluate(
            policy.0,
            Some(c"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
            None,
            None,
        );
        assert_eq!(e.decision.verdict, photoguard_verdict::Deny);
        assert_eq!(e.client(), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
    }

    #[test]
    fn report_mode_passes_what_it_would_deny() {
        let policy = seed_policy();
        apply_c(policy.0, c"PhotoGuardMode", c"report");
        let e = evaluate(policy.0, Some(c"203.0.113.9"), None, None);
        assert_eq!(e.decision.verdict, photoguard_verdict::WouldDeny);
        assert_eq!(
            (
                e.decision.passes,
                e.decision.allowed,
                e.decision.report_mode
            ),
            (1, 0, 1)
        );
        assert_eq!(e.decision.http_status, 302);
    }

    #[test]
    fn a_gate_that_is_off_allows_and_says_so() {
        let policy = Owned::new();
        let e = evaluate(policy.0, Some(c"203.0.113.9"), None, None);
        assert_eq!(e.decision.verdict, photoguard_verdict::Allow);
        assert_eq!(e.reason(), "PhotoGuard is off");
        assert_eq!(e.decision.http_status, 403);
    }

    #[test]
    fn null_arguments_fail_closed() {
        let policy = seed_policy();
        let e = evaluate(ptr::null(), Some(c"10.20.16.5"), None, None);
        assert_eq!(e.result, photoguard_result::NullArgument);
        assert!(e.is_fail_closed_deny());
        assert_eq!(e.reason(), "policy is NULL");
        assert_eq!(e.client(), "");
        let e = evaluate(policy.0, None, Some(b"LtpaToken2=x"), None);
        assert_eq!(e.result, photoguard_result::NullArgument);
        assert!(e.is_fail_closed_deny());
        assert_eq!(e.reason(), "peer_ip is NULL");
        // SAFETY: out NULL on purpose: nothing is written.
        let result = unsafe {
            photoguard_policy_evaluate(
                policy.0,
                c"10.20.16.5".as_ptr(),
                ptr::null(),
                0,
                ptr::null(),
                0,
                ptr::null_mut(),
            )
        };
        assert_eq!(result, photoguard_result::NullArgument);
    }

    #[test]
    fn a_bad_peer_address_fails_closed_even_with_a_good_cookie() {
        let policy = seed_policy();
        for peer in [c"10.20.16", c"", c"10.20.16.5/32", c"\xff"] {
            let e = evaluate(policy.0, Some(peer), Some(b"LtpaToken2=x"), None);
            assert_eq!(e.result, photoguard_result::BadAddress, "{peer:?}");
            assert!(e.is_fail_closed_deny(), "{peer:?}");
        }
        let e = evaluate(policy.0, Some(c"not-an-ip"), None, None);
        assert_eq!(
            e.reason(),
            "peer address 'not-an-ip' is not an IPv4 or IPv6 address"
        );
    }

    #[test]
    fn an_impossible_length_fails_closed() {
        let policy = seed_policy();
        let mut out = MaybeUninit::<photoguard_decision>::uninit();
        // SAFETY: the length is refused before any read.
        let result = unsafe {
            photoguard_policy_evaluate(
                policy.0,
                c"10.20.16.5".as_ptr(),
                b"x".as_ptr(),
                usize::MAX,
                ptr::null(),
                0,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(result, photoguard_result::InvalidArgument);
        // SAFETY: written on every path with a non-NULL out.
        let decision = unsafe { out.assume_init() };
        assert_eq!(decision.verdict, photoguard_verdict::Deny);
    }

    #[test]
    fn a_panic_while_deciding_fails_closed() {
        let policy = seed_policy();
        injected::arm();
        // This peer would be allowed: the panic must still deny.
        let e = evaluate(policy.0, Some(c"10.20.16.5"), Some(b"LtpaToken2=x"), None);
        assert_eq!(e.result, photoguard_result::Panic);
        assert!(e.is_fail_closed_deny());
        assert_eq!(
            e.reason(),
            "internal error (a panic was caught); failing closed"
        );
        // The policy itself is untouched by a panic in evaluate.
        assert_eq!(
            evaluate(policy.0, Some(c"10.20.16.5"), None, None)
                .decision
                .verdict,
            photoguard_verdict::Allow
        );
    }

    #[test]
    fn a_poisoned_policy_fails_closed() {
        let policy = seed_policy();
        injected::arm();
        assert_eq!(
            apply_c(policy.0, c"PhotoGuardMode", c"report").0,
            photoguard_result::Panic
        );
        let e = evaluate(policy.0, Some(c"10.20.16.5"), None, None);
        assert_eq!(e.result, photoguard_result::Poisoned);
        assert!(e.is_fail_closed_deny());
    }

    #[test]
    fn a_trusted_proxy_forwards_the_client() {
        let policy = seed_policy();
        apply_c(policy.0, c"PhotoGuardTrustedProxy", c"192.0.2.0/28");
        let e = evaluate(
            policy.0,
            Some(c"192.0.2.1"),
            None,
            Some(b"203.0.113.9, 10.30.70.1"),
        );
        assert_eq!(e.decision.verdict, photoguard_verdict::Allow);
        assert_eq!(e.client(), "10.30.70.1");
        assert_eq!(e.reason(), "network 10.30.64.0/21 (photos.conf:14)");
        // From an untrusted peer the header is ignored.
        let e = evaluate(policy.0, Some(c"203.0.113.9"), None, Some(b"10.30.70.1"));
        assert_eq!(e.decision.verdict, photoguard_verdict::Deny);
        assert_eq!(e.client(), "203.0.113.9");
    }

    #[test]
    fn evaluating_from_many_threads_at_once() {
        let policy = seed_policy();
        struct Shared(*const photoguard_policy);
        // SAFETY: photoguard_policy is Sync; the pointer is only read.
        unsafe impl Sync for Shared {}
        let shared = Shared(policy.0);
        std::thread::scope(|s| {
            for n in 0..4u8 {
                let shared = &shared;
                s.spawn(move || {
                    for i in 0..200u8 {
                        let peer = std::ffi::CString::new(format!("10.20.{}.{i}", 16 + n)).unwrap();
                        assert_eq!(
                            evaluate(shared.0, Some(&peer), None, None).decision.verdict,
                            photoguard_verdict::Allow
                        );
                    }
                });
            }
        });
    }
}
