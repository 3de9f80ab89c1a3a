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

use photoguard_engine::{Decision, DenyAction, Mode, Peer, Reason, Verdict};

use super::boundary::{guard, panic_point};
use super::policy::{photoguard_policy, poisoned_failure};
use super::result::{Failure, photoguard_result};
use super::text::{borrow_bytes, copy_into_chars};

/// Size of `photoguard_decision.reason`, NUL included.
pub const PHOTOGUARD_REASON_MAX: usize = 256;
/// Size of `photoguard_decision.client`, NUL included: INET6_ADDRSTRLEN.
pub const PHOTOGUARD_CLIENT_MAX: usize = 46;

/// The verdict. `PHOTOGUARD_VERDICT_DENY` is 0, so a decision that was never
/// written (zeroed) reads as a deny.
///
/// Rust spells the values without their `PHOTOGUARD_VERDICT_` prefix:
/// cbindgen:rename-all=prefix:PHOTOGUARD_VERDICT_
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum photoguard_verdict {
    /// Blocked: answer with the deny action.
    DENY = 0,
    /// A rule allowed the request (or the gate is off).
    ALLOW = 1,
    /// Report mode: no rule allowed it and enforce mode would deny it, but the
    /// request passes. Log it; do not block it.
    WOULD_DENY = 2,
    /// Let in by a rule but past a `PhotoGuardLimit`. Limits count in a
    /// host's shared memory (the Apache module's); this library keeps no
    /// counts, so `photoguard_policy_evaluate` never returns it today.
    LIMITED = 3,
    /// Report mode's `LIMITED`: the request passes. Never returned today,
    /// as `LIMITED`.
    WOULD_LIMIT = 4,
}

/// What a denied client gets (`PhotoGuardDenyAction`).
///
/// Rust spells the values without their `PHOTOGUARD_DENY_` prefix:
/// cbindgen:rename-all=prefix:PHOTOGUARD_DENY_
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum photoguard_deny_action {
    /// 403 Forbidden.
    FORBIDDEN = 0,
    /// 404 Not Found.
    NOT_FOUND = 1,
    /// 302 to `redirect_url`.
    REDIRECT = 2,
}

/// One decision. The caller owns the struct (usually on its stack); it may
/// be uninitialised before the call. `photoguard_policy_evaluate` writes
/// every field whenever `out` is not NULL.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct photoguard_decision {
    /// Deny, allow, or (report mode) would deny.
    pub verdict: photoguard_verdict,
    /// 1 when the request may proceed (ALLOW, or WOULD_DENY in report mode);
    /// 0 when it must be answered with the deny action. The one field a host
    /// has to act on.
    pub passes: c_int,
    /// 1 only for `PHOTOGUARD_VERDICT_ALLOW`: a rule allowed the request (or
    /// the gate is off). 0 for DENY and WOULD_DENY.
    pub allowed: c_int,
    /// The policy's deny action. Filled for every verdict: for DENY it is
    /// what to answer, for WOULD_DENY what enforce mode would have answered,
    /// for ALLOW it just describes the policy. A fail-closed deny uses
    /// FORBIDDEN.
    pub deny_action: photoguard_deny_action,
    /// The HTTP status that goes with `deny_action`: 403, 404 or 302 (403
    /// for a fail-closed deny).
    pub http_status: c_int,
    /// 1 when the policy is in report mode (`PhotoGuardMode report`).
    pub report_mode: c_int,
    /// The redirect target (NUL-terminated) when `deny_action` is
    /// `PHOTOGUARD_DENY_REDIRECT`, else NULL. Points into the policy: valid
    /// until the policy is freed or changed by `photoguard_policy_apply`; do
    /// not free it.
    pub redirect_url: *const c_char,
    /// The address the rules were checked against (after a trusted proxy's
    /// forwarded-for header was followed; an IPv4-mapped IPv6 peer appears
    /// as IPv4), NUL-terminated. "" when the peer address could not be used.
    pub client: [c_char; PHOTOGUARD_CLIENT_MAX],
    /// Why, NUL-terminated and truncated to fit: the rule that allowed and
    /// where it was written ("network 10.20.16.0/20 (photos.conf:14)",
    /// "cookie LtpaToken2 (photos.conf:17)"; for a validated LTPA token also
    /// the user it names: "ltpa LtpaToken2 (photos.conf:20) user
    /// uid=jane,o=example", bytes outside printable ASCII as \xNN), "no rule
    /// matched", why LTPA tokens were refused when no rule allowed ("ltpa
    /// LtpaToken2 (photos.conf:20) refused: expired at 2026-11-20T10:00:00Z";
    /// also "bad signature", "no key verifies it", "malformed", "realm not
    /// accepted", "format not accepted"; never any part of the token),
    /// "PhotoGuard is off", or what went wrong for a fail-closed deny.
    pub reason: [c_char; PHOTOGUARD_REASON_MAX],
}

impl photoguard_decision {
    /// The answer when no decision could be made: deny with a 403.
    pub fn fail_closed(why: &str) -> photoguard_decision {
        let mut decision = photoguard_decision {
            verdict: photoguard_verdict::DENY,
            passes: 0,
            allowed: 0,
            deny_action: photoguard_deny_action::FORBIDDEN,
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
            DenyAction::Forbidden => (photoguard_deny_action::FORBIDDEN, ptr::null()),
            DenyAction::NotFound => (photoguard_deny_action::NOT_FOUND, ptr::null()),
            DenyAction::Redirect(_) => {
                (photoguard_deny_action::REDIRECT, policy.redirect_url_ptr())
            }
        };
        let mut out = photoguard_decision {
            verdict: match decision.verdict {
                Verdict::Allow => photoguard_verdict::ALLOW,
                Verdict::Deny => photoguard_verdict::DENY,
                Verdict::WouldDeny => photoguard_verdict::WOULD_DENY,
                Verdict::Limited => photoguard_verdict::LIMITED,
                Verdict::WouldLimit => photoguard_verdict::WOULD_LIMIT,
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
        reason_into_chars(&decision.reason, &mut out.reason);
        out
    }
}

/// Text formatted on the stack. It holds more than the field it is copied
/// into, so that [`copy_into_chars`] does the truncating, never inside a
/// UTF-8 sequence; an overflow keeps what fitted.
struct Scratch<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Scratch<N> {
    fn new() -> Self {
        Scratch {
            bytes: [0; N],
            len: 0,
        }
    }

    fn push(&mut self, bytes: &[u8]) -> fmt::Result {
        let room = N - self.len;
        let n = bytes.len().min(room);
        self.bytes[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
        if n < bytes.len() {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }

    fn copy_into(&self, dst: &mut [c_char]) {
        copy_into_chars(&self.bytes[..self.len], dst);
    }
}

impl<const N: usize> fmt::Write for Scratch<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes())
    }
}

/// Formats `value` into a C char array without allocating (an IPv6 address
/// is at most 45 characters; the scratch holds more than that).
fn display_into_chars(value: &impl fmt::Display, dst: &mut [c_char]) {
    let mut scratch = Scratch::<64>::new();
    let _ = write!(scratch, "{value}");
    scratch.copy_into(dst);
}

/// The reason into the decision, as the Apache module's PHOTOGUARD_REASON
/// reads, without allocating: a rule's static text, with the user of an
/// LTPA token that allowed (outside printable ASCII as `\xNN`, so that a
/// signed but odd name cannot forge a log line) or why tokens were refused.
fn reason_into_chars(reason: &Reason<'_>, dst: &mut [c_char]) {
    let mut scratch = Scratch::<{ PHOTOGUARD_REASON_MAX + 8 }>::new();
    // Overflows keep what fitted; copy_into_chars cuts it to the field.
    let _ = match reason {
        Reason::Ltpa(_, token) => scratch
            .push(reason.text().to_bytes())
            .and_then(|()| scratch.push(b" user "))
            .and_then(|()| {
                token.user.bytes().try_for_each(|b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        scratch.push(&[b])
                    } else {
                        write!(scratch, "\\x{b:02X}")
                    }
                })
            }),
        Reason::LtpaRefused(_, why) => write!(scratch, "{} refused: {why}", reason.as_str()),
        _ => scratch.push(reason.text().to_bytes()),
    };
    scratch.copy_into(dst);
}

/// Decides one request.
///
/// - `policy`: required.
/// - `peer_ip`: required; the client's address as the server sees it, as
///   text ("10.20.16.5", "2001:db8::1", "::ffff:10.20.16.5"). Surrounding
///   spaces and tabs are ignored; anything else that is not an address fails
///   closed with `PHOTOGUARD_ERROR_BAD_ADDRESS`.
/// - `cookie`, `cookie_len`: the Cookie header's bytes (not NUL-terminated;
///   any bytes). NULL means the request has no Cookie header (`cookie_len`
///   is then ignored).
/// - `forwarded_for`, `forwarded_for_len`: the value of the header named by
///   `photoguard_policy_client_ip_header`; believed only when the peer is a
///   trusted proxy. NULL means absent.
/// - `out`: required; receives the decision.
///
/// Nothing is retained after the call; the caller keeps ownership of all
/// arguments.
///
/// Rules are tried in this order: networks, then LTPA tokens
/// (`PhotoGuardAllowLtpa`), then cookie presence (`PhotoGuardAllowCookie`).
/// Every cookie of a `PhotoGuardAllowLtpa` name in `cookie` is validated with
/// the policy's keys, in the formats `PhotoGuardLtpaAccept` lists: its
/// signature or MAC is verified before any field is read, then its realm
/// (`PhotoGuardLtpaRealm`), its expiry and (Domino) its creation time are
/// checked, the times against the system clock (`CLOCK_REALTIME`) with
/// `PhotoGuardLtpaClockSkew`'s tolerance. A token that validated is
/// remembered in a bounded cache inside the policy (shared by the threads
/// evaluating it, and by policies merged from it).
///
/// Returns `PHOTOGUARD_OK` for every decision, allow or deny. Any other code
/// (`_NULL_ARGUMENT`, `_BAD_ADDRESS`, `_INVALID_ARGUMENT`, `_POISONED`,
/// `_PANIC`) comes with a fail-closed deny in `*out` (if `out` is not NULL):
/// verdict DENY, passes 0, allowed 0, deny_action FORBIDDEN, http_status
/// 403, report_mode 0, redirect_url NULL, client "", reason saying what went
/// wrong.
///
/// Thread-safety: any number of threads may evaluate one policy at once.
/// The first evaluation after the policy changed builds its network lookup
/// index (once, thread-safely); every later one allocates nothing on the
/// success path, except to validate an LTPA token the cache does not hold
/// yet (a repeat of a valid token is answered from the cache without
/// allocating).
///
/// # Safety
/// `policy` is NULL or a live policy that no call changes meanwhile;
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
                return photoguard_result::ERROR_NULL_ARGUMENT;
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
                    photoguard_result::OK
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
            photoguard_result::ERROR_BAD_ADDRESS,
            format!("peer address '{shown}' is not an IPv4 or IPv6 address"),
        ));
    }
    let too_long = |argument: &str| {
        Failure::new(
            photoguard_result::ERROR_INVALID_ARGUMENT,
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
                (photoguard_result::OK, String::new())
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
            d.verdict == photoguard_verdict::DENY
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
        assert_eq!(e.result, photoguard_result::OK);
        assert_eq!(e.decision.verdict, photoguard_verdict::ALLOW);
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
        assert_eq!(e.decision.verdict, photoguard_verdict::ALLOW);
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
        assert_eq!(e.result, photoguard_result::OK);
        assert_eq!(e.decision.verdict, photoguard_verdict::DENY);
        assert_eq!((e.decision.passes, e.decision.allowed), (0, 0));
        assert_eq!(e.decision.deny_action, photoguard_deny_action::REDIRECT);
        assert_eq!(e.decision.http_status, 302);
        assert_eq!(e.redirect_url(), Some("https://www.example.com/"));
        assert_eq!(e.reason(), "no rule matched");
    }

    #[test]
    fn mapped_ipv6_peers_match_ipv4_rules() {
        let policy = seed_policy();
        let e = evaluate(policy.0, Some(c"::ffff:172.16.131.1"), None, None);
        assert_eq!(e.decision.verdict, photoguard_verdict::ALLOW);
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
        assert_eq!(e.decision.verdict, photoguard_verdict::DENY);
        assert_eq!(e.client(), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
    }

    #[test]
    fn report_mode_passes_what_it_would_deny() {
        let policy = seed_policy();
        apply_c(policy.0, c"PhotoGuardMode", c"report");
        let e = evaluate(policy.0, Some(c"203.0.113.9"), None, None);
        assert_eq!(e.decision.verdict, photoguard_verdict::WOULD_DENY);
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
        assert_eq!(e.decision.verdict, photoguard_verdict::ALLOW);
        assert_eq!(e.reason(), "PhotoGuard is off");
        assert_eq!(e.decision.http_status, 403);
    }

    #[test]
    fn null_arguments_fail_closed() {
        let policy = seed_policy();
        let e = evaluate(ptr::null(), Some(c"10.20.16.5"), None, None);
        assert_eq!(e.result, photoguard_result::ERROR_NULL_ARGUMENT);
        assert!(e.is_fail_closed_deny());
        assert_eq!(e.reason(), "policy is NULL");
        assert_eq!(e.client(), "");
        let e = evaluate(policy.0, None, Some(b"LtpaToken2=x"), None);
        assert_eq!(e.result, photoguard_result::ERROR_NULL_ARGUMENT);
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
        assert_eq!(result, photoguard_result::ERROR_NULL_ARGUMENT);
    }

    #[test]
    fn a_bad_peer_address_fails_closed_even_with_a_good_cookie() {
        let policy = seed_policy();
        for peer in [c"10.20.16", c"", c"10.20.16.5/32", c"\xff"] {
            let e = evaluate(policy.0, Some(peer), Some(b"LtpaToken2=x"), None);
            assert_eq!(e.result, photoguard_result::ERROR_BAD_ADDRESS, "{peer:?}");
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
        assert_eq!(result, photoguard_result::ERROR_INVALID_ARGUMENT);
        // SAFETY: written on every path with a non-NULL out.
        let decision = unsafe { out.assume_init() };
        assert_eq!(decision.verdict, photoguard_verdict::DENY);
    }

    #[test]
    fn a_panic_while_deciding_fails_closed() {
        let policy = seed_policy();
        injected::arm();
        // This peer would be allowed: the panic must still deny.
        let e = evaluate(policy.0, Some(c"10.20.16.5"), Some(b"LtpaToken2=x"), None);
        assert_eq!(e.result, photoguard_result::ERROR_PANIC);
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
            photoguard_verdict::ALLOW
        );
    }

    #[test]
    fn a_poisoned_policy_fails_closed() {
        let policy = seed_policy();
        injected::arm();
        assert_eq!(
            apply_c(policy.0, c"PhotoGuardMode", c"report").0,
            photoguard_result::ERROR_PANIC
        );
        let e = evaluate(policy.0, Some(c"10.20.16.5"), None, None);
        assert_eq!(e.result, photoguard_result::ERROR_POISONED);
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
        assert_eq!(e.decision.verdict, photoguard_verdict::ALLOW);
        assert_eq!(e.client(), "10.30.70.1");
        assert_eq!(e.reason(), "network 10.30.64.0/21 (photos.conf:14)");
        // From an untrusted peer the header is ignored.
        let e = evaluate(policy.0, Some(c"203.0.113.9"), None, Some(b"10.30.70.1"));
        assert_eq!(e.decision.verdict, photoguard_verdict::DENY);
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
                            photoguard_verdict::ALLOW
                        );
                    }
                });
            }
        });
    }
}
