//! The access check: asks the engine about each request and turns a denial
//! into Apache's answer; and the enforcement that makes that denial final.
//!
//! **Deciding.** An allowed request is DECLINED (never OK), so every other
//! access rule still applies to it. Subrequests (SSI includes, mod_dir,
//! mod_autoindex, mod_negotiation) and internal redirects (ErrorDocument,
//! mod_rewrite) are decided against the scope their own URL or file maps to.
//! So a `<Directory>` gate holds for every URL that reaches its files, while
//! a `<Location>` gate holds only for URLs under it: an `Alias`, a rewrite to
//! the file path or an SSI `include file=` from an open page reaches the
//! same file outside the `<Location>` (see the README's section on scopes).
//! Apache skips the access phase for a subrequest or internal redirect whose
//! per-directory configuration equals its parent's (2.4: the hook is
//! registered per configuration), so nothing is decided twice for one scope;
//! an ErrorDocument page in the same scope as the denied photo is therefore
//! still shown. After an internal redirect Apache renames the variables to
//! REDIRECT_PHOTOGUARD_DECISION / REDIRECT_PHOTOGUARD_REASON.
//!
//! **Enforcing.** Under `Satisfy Any` (mod_access_compat), Apache lets
//! authentication or another access module grant what an access hook
//! refused, and on 2.4 a passing old-style access phase even skips the
//! `access_checker_ex` phase. So a denial is also noted on the request, and
//! the fixups hook, which runs for every request whatever `Satisfy` says,
//! refuses the request again if it got that far.
//!
//! **Caching.** Every response of a gated scope is kept out of shared
//! caches: mod_cache does not store it (`r->no_cache`) and downstream caches
//! see `Cache-Control: private` unless the admin sets another. mod_cache's
//! quick handler (`CacheQuickHandler On`) answers before any access check;
//! with nothing ever stored, it has nothing to answer with.

use std::fmt::Write;
use std::net::IpAddr;

use photoguard_engine::guard::{Counter, LimitAction};
use photoguard_engine::{
    Decision, DenyAction, Env, Peer, Reason, Request as EngineRequest, ScopeView, Verdict,
};

use super::bindings::{DECLINED, HTTP_FORBIDDEN, HTTP_MOVED_TEMPORARILY, HTTP_NOT_FOUND};
use super::log;
use super::request::Request;
use super::{compat, limits, status};

const DECLINE: i32 = DECLINED;

/// Decides `r` in `scope` (`None`: Apache has no photoguard configuration
/// for it, which denies).
pub fn check<'r>(r: &mut Request<'r>, scope: Option<&ScopeView<'r>>) -> i32 {
    let Some(scope) = scope else {
        return fail_closed(r, "no photoguard configuration for this request");
    };
    if !scope.enabled() {
        return DECLINE;
    }
    r.forbid_caching();
    let peer = r.client_address();
    let forwarded_for = if scope.reads_client_ip_header() {
        r.header(scope.client_ip_header_cstr())
    } else {
        None
    };
    let table = scope.has_limits().then(|| limits::counter(r)).flatten();
    if scope.has_limits() && table.is_none() {
        return fail_closed(
            r,
            "limits are set here but there is no shared table to count in (limits set only in .htaccess need one in the server configuration)",
        );
    }
    let env = Env {
        now_unix_millis: r.time_millis(),
        counter: table.as_ref().map(|t| t as &dyn Counter),
    };
    let decision = scope.decide(
        peer.map_or(Peer::Octets(&[]), Peer::Ip),
        r.header(c"Cookie"),
        forwarded_for,
        &env,
    );
    if matches!(decision.reason, Reason::NoClientAddress) {
        return fail_closed(r, "Apache gave no client address");
    }
    let peer = decision_peer(peer, &decision);
    record(r, &decision);
    status::record(&decision, scope.gated_by());
    match decision.verdict {
        Verdict::Allow => {
            if r.log_enabled(log::DEBUG) {
                r.log(log::DEBUG, &describe(r, "allowed client", peer, &decision));
            }
            r.default_header_out(c"Cache-Control", c"private");
            DECLINE
        }
        Verdict::WouldDeny => {
            let line = describe(r, "report mode, would deny client", peer, &decision);
            r.log(log::WARNING, &line);
            r.default_header_out(c"Cache-Control", c"private");
            DECLINE
        }
        Verdict::Deny => {
            r.log(log::ERR, &describe(r, "denied client", peer, &decision));
            respond(r, decision.deny_action)
        }
        Verdict::WouldLimit => {
            let line = describe(r, "report mode, would limit client", peer, &decision);
            r.log(log::WARNING, &line);
            r.default_header_out(c"Cache-Control", c"private");
            DECLINE
        }
        Verdict::Limited => {
            r.log(log::ERR, &describe(r, "limited client", peer, &decision));
            match decision.limit_action {
                LimitAction::TooManyRequests if !compat::HAS_429 => {
                    respond(r, decision.deny_action)
                }
                LimitAction::TooManyRequests => {
                    r.set_err_header(c"Retry-After", decision.retry_after.to_string().as_bytes());
                    r.mark_denied();
                    TOO_MANY_REQUESTS
                }
                LimitAction::Deny => respond(r, decision.deny_action),
            }
        }
    }
}

/// 429 Too Many Requests (RFC 6585), with `Retry-After`.
const TOO_MANY_REQUESTS: i32 = 429;

/// log_transaction: counts a 404 in a scope with `PhotoGuardLimitNotFound`,
/// unless it was photoguard's own denial (`PhotoGuardDenyAction 404`).
pub fn count_not_found(r: &Request, scope: &ScopeView) {
    if !scope.counts_not_found() || r.status() != HTTP_NOT_FOUND as i32 || r.was_denied() {
        return;
    }
    let (Some(peer), Some(table)) = (r.client_address(), limits::counter(r)) else {
        return;
    };
    let forwarded_for = if scope.reads_client_ip_header() {
        r.header(scope.client_ip_header_cstr())
    } else {
        None
    };
    let env = Env {
        now_unix_millis: r.time_millis(),
        counter: Some(&table),
    };
    let request = EngineRequest {
        peer,
        cookie_header: None,
        forwarded_for,
    };
    scope.count_not_found(&request, &env);
}

/// Fixups: a request denied in the access phase that got this far (another
/// module granted it under `Satisfy Any`) is refused again.
pub fn enforce(r: &mut Request) -> i32 {
    match r.was_denied() {
        false => DECLINE,
        true => {
            r.log(
                log::ERR,
                &format!(
                    "photoguard: refusing {} again: another module granted a request photoguard denied (Satisfy Any?)",
                    log::escaped(r.uri())
                ),
            );
            HTTP_FORBIDDEN as i32
        }
    }
}

/// The peer to name in a log line: the TCP peer when a trusted proxy's
/// header gave another client.
fn decision_peer(peer: Option<IpAddr>, decision: &Decision) -> IpAddr {
    peer.unwrap_or(decision.client)
}

/// PHOTOGUARD_DECISION and PHOTOGUARD_REASON for logs, CGI and mod_rewrite,
/// and PHOTOGUARD_USER when an LTPA token let the request in. Nothing is
/// copied but a reason with detail (a limit's count, an LTPA user or why a
/// token was refused): the verdict's name is static, and a rule's reason
/// text belongs to the configuration, which outlives the request.
fn record<'r>(r: &mut Request<'r>, decision: &Decision<'r>) {
    r.set_env(c"PHOTOGUARD_DECISION", decision.verdict.as_cstr());
    if decision.reason.has_detail() {
        r.set_env_copy(c"PHOTOGUARD_REASON", decision.reason.to_string().as_bytes());
    } else {
        r.set_env_borrowed(c"PHOTOGUARD_REASON", decision.reason.text());
    }
    if let Some(user) = decision.reason.user() {
        r.set_env_copy(c"PHOTOGUARD_USER", user.as_bytes());
    }
}

/// What an enforced denial answers: 403 (so ErrorDocument 403 applies), 404,
/// or a 302 whose Location Apache keeps when it builds the error response.
/// A subrequest never redirects: its caller (mod_autoindex, SSI) would treat
/// a redirect as something to show; 403 makes it leave the file out.
fn respond(r: &mut Request, action: &DenyAction) -> i32 {
    let status = match action {
        DenyAction::Forbidden => HTTP_FORBIDDEN,
        DenyAction::NotFound => HTTP_NOT_FOUND,
        DenyAction::Redirect(_) if r.is_subrequest() => HTTP_FORBIDDEN,
        DenyAction::Redirect(url) => {
            r.set_header_out(c"Location", url.as_bytes());
            HTTP_MOVED_TEMPORARILY
        }
    };
    r.mark_denied();
    status as i32
}

/// Denies with 403 when the module cannot decide, saying why.
fn fail_closed(r: &mut Request, why: &str) -> i32 {
    r.set_env(c"PHOTOGUARD_DECISION", c"deny");
    r.set_env(c"PHOTOGUARD_REASON", c"internal error");
    r.mark_denied();
    let uri = log::escaped(r.uri());
    r.log(
        log::ERR,
        &format!("photoguard: denying {uri} (failing closed): {why}"),
    );
    HTTP_FORBIDDEN as i32
}

/// Fails closed for a request whose check panicked.
pub fn panicked(r: &mut Request) -> i32 {
    fail_closed(r, "internal error (panic) while deciding")
}

/// `photoguard: denied client 127.0.0.2 for /jane.jpg: no rule matched (403)`;
/// the peer is named too when a trusted proxy's header gave the client.
/// Addresses, URI and reason only: never a header or cookie value.
fn describe(r: &Request, what: &str, peer: IpAddr, decision: &Decision) -> String {
    let uri = log::escaped(r.uri());
    let mut line = format!("photoguard: {what} {}", decision.client);
    if decision.client != peer {
        let _ = write!(line, " (via trusted proxy {peer})");
    }
    let _ = write!(line, " for {uri}: {}", decision.reason);
    match decision.verdict {
        Verdict::Allow => {}
        Verdict::Limited | Verdict::WouldLimit
            if decision.limit_action == LimitAction::TooManyRequests =>
        {
            let _ = write!(line, " (429, retry after {} s)", decision.retry_after);
        }
        _ => {
            let _ = write!(line, " ({})", decision.deny_action);
        }
    }
    line
}
