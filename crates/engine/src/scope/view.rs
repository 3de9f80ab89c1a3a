//! The borrowed view of a scope that a request is decided with: every
//! setting as a reference into the [`ScopeConfig`](super::ScopeConfig)s that
//! own them. Merging two views copies a few words and allocates nothing, so
//! a host can merge per request (Apache merges per-directory configs for
//! most requests) without a heap allocation or anything to free.

use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr};

use crate::cookie::CookieRules;
use crate::decision::{Decision, DenyAction, Mode, Peer, Reason, Request, Verdict};
use crate::forwarded::resolve_client;
use crate::network::NetworkSet;

pub const DEFAULT_CLIENT_IP_HEADER: &CStr = c"X-Forwarded-For";

static DEFAULT_DENY_ACTION: DenyAction = DenyAction::Forbidden;

/// A scope's settings, borrowed; `None` means "not set here: inherit".
#[derive(Debug, Clone, Copy, Default)]
pub struct ScopeView<'a> {
    pub(super) enabled: Option<bool>,
    pub(super) networks: Option<&'a NetworkSet>,
    pub(super) cookies: Option<&'a CookieRules>,
    pub(super) trusted_proxies: Option<&'a NetworkSet>,
    pub(super) client_ip_header: Option<&'a CStr>,
    pub(super) deny_action: Option<&'a DenyAction>,
    pub(super) mode: Option<Mode>,
}

impl<'a> ScopeView<'a> {
    /// The scope `child` sees inside `parent`: each setting the child leaves
    /// unset comes from the parent (a list set in the child replaces the
    /// parent's).
    pub fn merge(parent: ScopeView<'a>, child: ScopeView<'a>) -> ScopeView<'a> {
        ScopeView {
            enabled: child.enabled.or(parent.enabled),
            networks: child.networks.or(parent.networks),
            cookies: child.cookies.or(parent.cookies),
            trusted_proxies: child.trusted_proxies.or(parent.trusted_proxies),
            client_ip_header: child.client_ip_header.or(parent.client_ip_header),
            deny_action: child.deny_action.or(parent.deny_action),
            mode: child.mode.or(parent.mode),
        }
    }

    /// Decides one request. Allocation-free once prepared: the first
    /// decision of an unprepared scope builds all its indexes (see
    /// [`ScopeView::prepare`]), so that no later one does, whichever path
    /// it takes.
    pub fn evaluate(&self, request: &Request) -> Decision<'a> {
        let deny_action = self.deny_action();
        if !self.enabled() {
            return Decision {
                verdict: Verdict::Allow,
                reason: Reason::GateOff,
                client: request.peer,
                deny_action,
            };
        }
        self.prepare();
        let client = resolve_client(request.peer, request.forwarded_for, self.trusted_proxies);
        let allowed_by = |reason| Decision {
            verdict: Verdict::Allow,
            reason,
            client,
            deny_action,
        };
        if let Some(rule) = self.networks.and_then(|n| n.lookup(client)) {
            return allowed_by(Reason::Network(rule));
        }
        if let (Some(cookies), Some(header)) = (self.cookies, request.cookie_header) {
            if let Some(rule) = cookies.find(header) {
                return allowed_by(Reason::Cookie(rule));
            }
        }
        let verdict = match self.mode() {
            Mode::Enforce => Verdict::Deny,
            Mode::Report => Verdict::WouldDeny,
        };
        Decision {
            verdict,
            reason: Reason::NoRuleMatched,
            client,
            deny_action,
        }
    }

    /// The one decision every host makes (the Apache module, the C library,
    /// the command-line tool): from the peer as the host holds it, failing
    /// closed when it is no address. Allocation-free once prepared.
    pub fn decide(
        &self,
        peer: Peer,
        cookie_header: Option<&[u8]>,
        forwarded_for: Option<&[u8]>,
    ) -> Decision<'a> {
        match peer.address() {
            Some(peer) => self.evaluate(&Request {
                peer,
                cookie_header,
                forwarded_for,
            }),
            None => Decision {
                verdict: Verdict::Deny,
                reason: Reason::NoClientAddress,
                client: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                deny_action: self.deny_action(),
            },
        }
    }

    /// Builds the network lookup indexes now (see [`NetworkSet::prepare`]):
    /// a host calls this once its configuration is read, so that decisions
    /// neither build nor allocate.
    pub fn prepare(&self) {
        for set in [self.networks, self.trusted_proxies].into_iter().flatten() {
            set.prepare();
        }
    }

    /// Whether the gate is on (`PhotoGuard On` here or in a parent).
    pub fn enabled(&self) -> bool {
        self.enabled.unwrap_or(false)
    }

    pub fn client_ip_header(&self) -> &'a str {
        self.client_ip_header_cstr().to_str().unwrap_or("")
    }

    /// The client-IP header's name as a C string, for hosts that look it up
    /// in a C table.
    pub fn client_ip_header_cstr(&self) -> &'a CStr {
        self.client_ip_header.unwrap_or(DEFAULT_CLIENT_IP_HEADER)
    }

    /// Whether trusted proxies are configured, i.e. whether a caller needs to
    /// fetch the client-IP header at all.
    pub fn reads_client_ip_header(&self) -> bool {
        self.trusted_proxies.is_some_and(|t| !t.is_empty())
    }

    pub fn deny_action(&self) -> &'a DenyAction {
        self.deny_action.unwrap_or(&DEFAULT_DENY_ACTION)
    }

    pub fn mode(&self) -> Mode {
        self.mode.unwrap_or_default()
    }

    /// Whether any allow rule exists (a gate that is on without one denies
    /// everybody).
    pub fn has_allow_rules(&self) -> bool {
        self.networks.is_some_and(|n| !n.is_empty()) || self.cookies.is_some_and(|c| !c.is_empty())
    }
}
