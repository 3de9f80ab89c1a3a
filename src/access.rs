//! The access check: asks the engine about each request and turns a denial
//! into Apache's answer. It only ever denies: an allowed request is
//! DECLINED (never OK), so another module can still refuse it.
//!
//! Subrequests (SSI includes, mod_dir, mod_negotiation) and internal
//! redirects (ErrorDocument, mod_rewrite) are decided against the scope they
//! map to, so an open page cannot pull a gated photo in. Apache skips the
//! access phase for one whose per-directory configuration is the same as its
//! parent's (2.2 always, 2.4 because the hook is registered with
//! AP_AUTH_INTERNAL_PER_CONF), so nothing is decided twice for one scope; an
//! ErrorDocument page in the same scope as the denied photo is therefore
//! still shown. After an internal redirect Apache renames the variables to
//! REDIRECT_PHOTOGUARD_DECISION / REDIRECT_PHOTOGUARD_REASON.

use std::ffi::{CStr, c_char};
use std::fmt::Write;
use std::net::IpAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};

use photoguard_engine::network::parse_client_address;
use photoguard_engine::{Decision, DenyAction, Request, Verdict};

use super::apr::{pool_str, table_get, table_get_str, table_setn};
use super::bindings::*;
use super::{compat, config, log};

const DECLINE: i32 = DECLINED;

/// The hook Apache calls (2.4: check_access, 2.2: access_checker).
pub unsafe extern "C" fn check_access(r: *mut request_rec) -> i32 {
    if r.is_null() {
        return HTTP_FORBIDDEN as i32;
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: Apache passes the live request being processed.
        unsafe { decide(r) }
    }));
    outcome.unwrap_or_else(|_| {
        // SAFETY: `r` is still the live request.
        unsafe { fail_closed(r, "internal error (panic) while deciding") }
    })
}

/// # Safety
/// `r` is the live request Apache passed to the hook.
unsafe fn decide(r: *mut request_rec) -> i32 {
    // SAFETY: live request (caller) for every call below.
    unsafe {
        let Some(scope) = config::for_request(r) else {
            return fail_closed(r, "no photoguard configuration for this request");
        };
        if !scope.enabled() {
            return DECLINE;
        }
        let Some(peer) =
            compat::client_ip_text(r).and_then(|text| parse_client_address(text.to_bytes()))
        else {
            return fail_closed(r, "Apache gave no parsable client address");
        };
        let headers_in = (*r).headers_in;
        let cookie_header = table_get(headers_in, c"Cookie");
        let forwarded_for = if scope.reads_client_ip_header() {
            table_get_str(headers_in, scope.client_ip_header())
        } else {
            None
        };
        let decision = scope.evaluate(&Request {
            peer,
            cookie_header,
            forwarded_for,
        });
        record(r, &decision);
        match decision.verdict {
            Verdict::Allow => {
                if log::enabled(r, log::DEBUG) {
                    log::request(
                        r,
                        log::DEBUG,
                        &describe(r, "allowed client", peer, &decision),
                    );
                }
                DECLINE
            }
            Verdict::WouldDeny => {
                log::request(
                    r,
                    log::WARNING,
                    &describe(r, "report mode, would deny client", peer, &decision),
                );
                DECLINE
            }
            Verdict::Deny => {
                log::request(r, log::ERR, &describe(r, "denied client", peer, &decision));
                respond(r, decision.deny_action)
            }
        }
    }
}

/// PHOTOGUARD_DECISION and PHOTOGUARD_REASON for logs, CGI and mod_rewrite.
///
/// # Safety
/// `r` is live.
unsafe fn record(r: *mut request_rec, decision: &Decision) {
    let verdict: &'static CStr = match decision.verdict {
        Verdict::Allow => c"allow",
        Verdict::Deny => c"deny",
        Verdict::WouldDeny => c"would-deny",
    };
    // SAFETY: live request; the verdict is static, and the reason is copied
    // into the request pool because the config it points into may be freed
    // before the table (a subrequest's merged config lives in its own pool).
    unsafe {
        let env = (*r).subprocess_env;
        table_setn(env, c"PHOTOGUARD_DECISION", verdict.as_ptr());
        table_setn(
            env,
            c"PHOTOGUARD_REASON",
            pool_str((*r).pool, decision.reason.text().to_bytes()),
        );
    }
}

/// What an enforced denial answers: 403 (so ErrorDocument 403 applies), 404,
/// or a 302 whose Location Apache keeps when it builds the error response.
///
/// # Safety
/// `r` is live.
unsafe fn respond(r: *mut request_rec, action: &DenyAction) -> i32 {
    match action {
        DenyAction::Forbidden => HTTP_FORBIDDEN as i32,
        DenyAction::NotFound => HTTP_NOT_FOUND as i32,
        DenyAction::Redirect(url) => {
            // SAFETY: live request; the URL is copied into its pool.
            unsafe {
                table_setn(
                    (*r).headers_out,
                    c"Location",
                    pool_str((*r).pool, url.as_bytes()),
                )
            };
            HTTP_MOVED_TEMPORARILY as i32
        }
    }
}

/// Denies with 403 when the module cannot decide, saying why.
///
/// # Safety
/// `r` is live.
unsafe fn fail_closed(r: *mut request_rec, why: &str) -> i32 {
    // SAFETY: live request.
    unsafe {
        table_setn(
            (*r).subprocess_env,
            c"PHOTOGUARD_DECISION",
            c"deny".as_ptr(),
        );
        table_setn(
            (*r).subprocess_env,
            c"PHOTOGUARD_REASON",
            c"internal error".as_ptr(),
        );
        let uri = log::escaped(c_bytes((*r).uri));
        log::request(
            r,
            log::ERR,
            &format!("photoguard: denying {uri} (failing closed): {why}"),
        );
    }
    HTTP_FORBIDDEN as i32
}

/// `photoguard: denied client 127.0.0.2 for /jane.jpg: no rule matched (403)`;
/// the peer is named too when a trusted proxy's header gave the client.
/// Addresses, URI and reason only: never a header or cookie value.
///
/// # Safety
/// `r` is live.
unsafe fn describe(r: *const request_rec, what: &str, peer: IpAddr, decision: &Decision) -> String {
    // SAFETY: live request; uri is NULL or NUL-terminated.
    let uri = log::escaped(unsafe { c_bytes((*r).uri) });
    let mut line = format!("photoguard: {what} {}", decision.client);
    if decision.client != peer {
        let _ = write!(line, " (via trusted proxy {peer})");
    }
    let _ = write!(line, " for {uri}: {}", decision.reason);
    if decision.verdict != Verdict::Allow {
        let _ = write!(line, " ({})", decision.deny_action);
    }
    line
}

/// # Safety
/// `p` is NULL or NUL-terminated and outlives `'a`.
unsafe fn c_bytes<'a>(p: *const c_char) -> &'a [u8] {
    if p.is_null() {
        return b"";
    }
    // SAFETY: see the contract.
    unsafe { CStr::from_ptr(p) }.to_bytes()
}
