//! What a request is, and what the engine decided about it and why.

use std::ffi::CStr;
use std::fmt;
use std::net::IpAddr;

use super::cookie::CookieRule;
use super::guard::{Count, Counter, Limit, LimitAction, NotFoundLimit};
use super::ltpa::{Refusal, Token};
use super::network::NetRule;
use super::scope::LtpaRule;
use std::sync::Arc;

/// What a denied client gets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DenyAction {
    #[default]
    Forbidden,
    NotFound,
    Redirect(Box<str>),
}

impl DenyAction {
    /// The HTTP status an enforcing server answers with.
    pub fn status(&self) -> u16 {
        match self {
            DenyAction::Forbidden => 403,
            DenyAction::NotFound => 404,
            DenyAction::Redirect(_) => 302,
        }
    }
}

impl fmt::Display for DenyAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenyAction::Forbidden => f.write_str("403"),
            DenyAction::NotFound => f.write_str("404"),
            DenyAction::Redirect(url) => write!(f, "redirect {url}"),
        }
    }
}

/// `enforce` blocks denied requests; `report` only says it would have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Enforce,
    Report,
}

/// The TCP peer's address as the host holds it.
#[derive(Debug, Clone, Copy)]
pub enum Peer<'a> {
    /// Already an address (e.g. from a binary socket address).
    Ip(IpAddr),
    /// Network-order octets: 4 for IPv4, 16 for IPv6.
    Octets(&'a [u8]),
    /// Text such as `10.1.2.3` or `::1` (surrounding blanks allowed).
    Text(&'a [u8]),
}

impl Peer<'_> {
    /// The address, or `None` when the bytes are no address (the caller
    /// must then deny).
    pub fn address(self) -> Option<IpAddr> {
        match self {
            Peer::Ip(ip) => Some(ip),
            Peer::Octets(octets) => match octets.len() {
                4 => <[u8; 4]>::try_from(octets).ok().map(IpAddr::from),
                16 => <[u8; 16]>::try_from(octets).ok().map(IpAddr::from),
                _ => None,
            },
            Peer::Text(text) => super::network::parse_client_address(text),
        }
    }
}

/// One request, as the engine sees it. Borrowed: building one allocates nothing.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Apache's view of the client (the TCP peer, or mod_remoteip's result).
    pub peer: IpAddr,
    /// The Cookie header as received (repeated lines joined by `, `).
    pub cookie_header: Option<&'a [u8]>,
    /// The client-IP header (`X-Forwarded-For` unless configured otherwise).
    pub forwarded_for: Option<&'a [u8]>,
}

/// What the host provides besides the request: the time, and what limits
/// count with (none: limits are not applied, e.g. in `photoguard check`).
#[derive(Clone, Copy)]
pub struct Env<'c> {
    pub now_unix_millis: u64,
    pub counter: Option<&'c dyn Counter>,
}

impl Env<'_> {
    /// The system clock, no counter.
    pub fn system() -> Env<'static> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Env {
            now_unix_millis: now,
            counter: None,
        }
    }

    pub fn now_unix_secs(&self) -> u64 {
        self.now_unix_millis / 1000
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny,
    /// Report mode: the request passes, but enforce mode would deny it.
    WouldDeny,
    /// Let in by a rule, but past a `PhotoGuardLimit` (or blocked by
    /// `PhotoGuardLimitNotFound`).
    Limited,
    /// Report mode: the request passes, but enforce mode would limit it.
    WouldLimit,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self.as_cstr().to_str() {
            Ok(name) => name,
            Err(_) => unreachable!("verdict names are ASCII"),
        }
    }

    /// The name as a static C string (`PHOTOGUARD_DECISION`'s value).
    pub fn as_cstr(self) -> &'static CStr {
        match self {
            Verdict::Allow => c"allow",
            Verdict::Deny => c"deny",
            Verdict::WouldDeny => c"would-deny",
            Verdict::Limited => c"limited",
            Verdict::WouldLimit => c"would-limit",
        }
    }

    /// Whether the request may proceed (report mode never blocks).
    pub fn passes(self) -> bool {
        !matches!(self, Verdict::Deny | Verdict::Limited)
    }
}

#[derive(Debug, Clone)]
pub enum Reason<'p> {
    Network(&'p NetRule),
    Cookie(&'p CookieRule),
    /// A verified, unexpired LTPA token in this rule's cookie.
    Ltpa(&'p LtpaRule, Arc<Token>),
    /// LTPA tokens were sent and none verified (and no other rule allowed):
    /// the first refused one's rule, and why.
    LtpaRefused(&'p LtpaRule, Refusal),
    NoRuleMatched,
    GateOff,
    /// The host gave no usable peer address: the request is denied whatever
    /// the mode (fail closed).
    NoClientAddress,
    /// Past a limit: the limit and the count that went past it.
    Limited(&'p Limit, Count),
    /// Too many 404s in the window: everything in the scope is refused.
    NotFoundBlocked(&'p NotFoundLimit, Count),
}

impl<'p> Reason<'p> {
    /// The reason as text, NUL-terminated for C and Apache; never formatted
    /// per request. For a limit it names the limit; [`Reason::is_counted`]
    /// reasons add the count in their `Display` (`...: 31st request`).
    pub fn text(&self) -> &'p CStr {
        match self {
            Reason::Network(rule) => rule.reason(),
            Reason::Cookie(rule) => rule.reason(),
            Reason::Ltpa(rule, _) | Reason::LtpaRefused(rule, _) => rule.reason(),
            Reason::NoRuleMatched => c"no rule matched",
            Reason::GateOff => c"PhotoGuard is off",
            Reason::NoClientAddress => c"no parsable client address",
            Reason::Limited(limit, _) => &limit.text,
            Reason::NotFoundBlocked(limit, _) => &limit.text,
        }
    }

    /// Whether the full reason (`Display`) says more than [`Reason::text`]:
    /// a limit's reason names the count, an LTPA reason the user or why the
    /// token was refused.
    pub fn has_detail(&self) -> bool {
        matches!(
            self,
            Reason::Limited(..)
                | Reason::NotFoundBlocked(..)
                | Reason::Ltpa(..)
                | Reason::LtpaRefused(..)
        )
    }

    /// The user an LTPA token named, when one allowed the request.
    pub fn user(&self) -> Option<&str> {
        match self {
            Reason::Ltpa(_, token) => Some(&token.user),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'p str {
        self.text().to_str().unwrap_or("(reason not UTF-8)")
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Limited(limit, count) => f.write_str(&limit.reason(count)),
            Reason::NotFoundBlocked(limit, count) => f.write_str(&limit.reason(count)),
            Reason::Ltpa(_, token) => {
                write!(f, "{} user {}", self.as_str(), printable(&token.user))
            }
            Reason::LtpaRefused(_, why) => write!(f, "{} refused: {why}", self.as_str()),
            _ => f.write_str(self.as_str()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Decision<'p> {
    pub verdict: Verdict,
    pub reason: Reason<'p>,
    /// The address the rules were checked against (after the trusted-proxy walk).
    pub client: IpAddr,
    /// What a denied client gets (meaningful for `Deny` and `WouldDeny`).
    pub deny_action: &'p DenyAction,
    /// What a limited client gets (meaningful for `Limited`).
    pub limit_action: LimitAction,
    /// Seconds until a limited client's window ends (`Retry-After`); 0
    /// unless limited.
    pub retry_after: u64,
}

/// `allow: cookie LtpaToken2 (photos.conf:17)` or
/// `deny (redirect https://www.example.com/): no rule matched`.
impl fmt::Display for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.verdict {
            Verdict::Allow => write!(f, "allow: {}", self.reason),
            Verdict::Limited | Verdict::WouldLimit
                if self.limit_action == LimitAction::TooManyRequests =>
            {
                write!(f, "{} (429): {}", self.verdict.as_str(), self.reason)
            }
            verdict => write!(
                f,
                "{} ({}): {}",
                verdict.as_str(),
                self.deny_action,
                self.reason
            ),
        }
    }
}

/// A user name from a token, for a log line: printable ASCII kept, anything
/// else (a control byte could forge a log line) shown as `\xNN`.
fn printable(user: &str) -> String {
    let mut out = String::with_capacity(user.len());
    for b in user.bytes() {
        if b.is_ascii_graphic() || b == b' ' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}
