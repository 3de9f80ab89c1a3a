//! What a request is, and what the engine decided about it and why.

use std::ffi::CStr;
use std::fmt;
use std::net::IpAddr;

use super::cookie::CookieRule;
use super::network::NetRule;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny,
    /// Report mode: the request passes, but enforce mode would deny it.
    WouldDeny,
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
        }
    }

    /// Whether the request may proceed (report mode never blocks).
    pub fn passes(self) -> bool {
        self != Verdict::Deny
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Reason<'p> {
    Network(&'p NetRule),
    Cookie(&'p CookieRule),
    NoRuleMatched,
    GateOff,
    /// The host gave no usable peer address: the request is denied whatever
    /// the mode (fail closed).
    NoClientAddress,
}

impl<'p> Reason<'p> {
    /// The reason as text, NUL-terminated for C and Apache; never formatted
    /// per request.
    pub fn text(&self) -> &'p CStr {
        match self {
            Reason::Network(rule) => rule.reason(),
            Reason::Cookie(rule) => rule.reason(),
            Reason::NoRuleMatched => c"no rule matched",
            Reason::GateOff => c"PhotoGuard is off",
            Reason::NoClientAddress => c"no parsable client address",
        }
    }

    pub fn as_str(&self) -> &'p str {
        self.text().to_str().unwrap_or("(reason not UTF-8)")
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Decision<'p> {
    pub verdict: Verdict,
    pub reason: Reason<'p>,
    /// The address the rules were checked against (after the trusted-proxy walk).
    pub client: IpAddr,
    /// What a denied client gets (meaningful for `Deny` and `WouldDeny`).
    pub deny_action: &'p DenyAction,
}

/// `allow: cookie LtpaToken2 (photos.conf:17)` or
/// `deny (redirect https://www.example.com/): no rule matched`.
impl fmt::Display for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.verdict {
            Verdict::Allow => write!(f, "allow: {}", self.reason),
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
