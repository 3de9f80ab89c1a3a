//! The borrowed view of a scope that a request is decided with: every
//! setting as a reference into the [`ScopeConfig`](super::ScopeConfig)s that
//! own them. Merging two views copies a few words and allocates nothing, so
//! a host can merge per request (Apache merges per-directory configs for
//! most requests) without a heap allocation or anything to free.

use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr};

use crate::cookie::CookieRules;
use crate::decision::{Decision, DenyAction, Env, Mode, Peer, Reason, Request, Verdict};
use crate::forwarded::resolve_client;
use crate::guard::{AllowClass, KeySpec, Limit, LimitAction, NotFoundLimit, counting, limited};
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
    pub(super) limits: Option<&'a [Limit]>,
    pub(super) not_found_limit: Option<&'a NotFoundLimit>,
    pub(super) limit_key: Option<KeySpec>,
    pub(super) limit_action: Option<LimitAction>,
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
            limits: child.limits.or(parent.limits),
            not_found_limit: child.not_found_limit.or(parent.not_found_limit),
            limit_key: child.limit_key.or(parent.limit_key),
            limit_action: child.limit_action.or(parent.limit_action),
        }
    }

    /// Decides one request with the system clock and no counter (limits
    /// are not applied). See [`ScopeView::evaluate_in`].
    pub fn evaluate(&self, request: &Request) -> Decision<'a> {
        self.evaluate_in(request, &Env::system())
    }

    /// Decides one request: network rules, then cookie rules; a request let
    /// in is then counted by the limits that name the class of rule that let
    /// it in. Allocation-free once prepared: the first decision of an
    /// unprepared scope builds all its indexes (see [`ScopeView::prepare`]),
    /// so that no later one does, whichever path it takes.
    pub fn evaluate_in(&self, request: &Request, env: &Env) -> Decision<'a> {
        let deny_action = self.deny_action();
        let decision = |verdict, reason, client| Decision {
            verdict,
            reason,
            client,
            deny_action,
            limit_action: self.limit_action(),
            retry_after: 0,
        };
        if !self.enabled() {
            return decision(Verdict::Allow, Reason::GateOff, request.peer);
        }
        self.prepare();
        let client = resolve_client(request.peer, request.forwarded_for, self.trusted_proxies);
        if let Some(blocked) = self.not_found_block(client, env) {
            return blocked;
        }
        let allowed = if let Some(rule) = self.networks.and_then(|n| n.lookup(client)) {
            Some((Reason::Network(rule), AllowClass::Network))
        } else if let (Some(cookies), Some(header)) = (self.cookies, request.cookie_header) {
            cookies
                .find(header)
                .map(|rule| (Reason::Cookie(rule), AllowClass::Cookie))
        } else {
            None
        };
        match allowed {
            Some((reason, class)) => self
                .limit(client, class, env)
                .unwrap_or_else(|| decision(Verdict::Allow, reason, client)),
            None => {
                let verdict = match self.mode() {
                    Mode::Enforce => Verdict::Deny,
                    Mode::Report => Verdict::WouldDeny,
                };
                decision(verdict, Reason::NoRuleMatched, client)
            }
        }
    }

    /// Counts a request let in by a rule of `class` with every limit that
    /// names the class; the limited decision if one is past.
    fn limit(&self, client: IpAddr, class: AllowClass, env: &Env) -> Option<Decision<'a>> {
        let (limits, counter) = (self.limits?, env.counter?);
        let key = self.limit_key().client_key(client);
        let now = env.now_unix_secs;
        let counts = counting(limits, class)
            .map(|limit| (limit, counter.hit(&key, limit.id, limit.window_secs(), now)));
        let past = limited(counts, now)?;
        Some(self.limited_decision(
            Reason::Limited(past.limit, past.count),
            client,
            past.retry_after,
        ))
    }

    /// The client's block when it has had too many 404s in this scope.
    fn not_found_block(&self, client: IpAddr, env: &Env) -> Option<Decision<'a>> {
        let (limit, counter) = (self.not_found_limit?, env.counter?);
        let key = self.limit_key().client_key(client);
        let count = counter.peek(&key, limit.id, limit.window_secs(), env.now_unix_secs);
        limit.blocks(&count).then(|| {
            self.limited_decision(
                Reason::NotFoundBlocked(limit, count),
                client,
                count.retry_after(env.now_unix_secs),
            )
        })
    }

    fn limited_decision(
        &self,
        reason: Reason<'a>,
        client: IpAddr,
        retry_after: u64,
    ) -> Decision<'a> {
        let verdict = match self.mode() {
            Mode::Enforce => Verdict::Limited,
            Mode::Report => Verdict::WouldLimit,
        };
        Decision {
            verdict,
            reason,
            client,
            deny_action: self.deny_action(),
            limit_action: self.limit_action(),
            retry_after,
        }
    }

    /// Counts a 404 answered to `request` for `PhotoGuardLimitNotFound`
    /// (the host calls this once the response is known, for 404s it did not
    /// answer itself as a denial).
    pub fn count_not_found(&self, request: &Request, env: &Env) {
        let (Some(limit), Some(counter)) = (self.not_found_limit, env.counter) else {
            return;
        };
        if !self.enabled() {
            return;
        }
        let client = resolve_client(request.peer, request.forwarded_for, self.trusted_proxies);
        let key = self.limit_key().client_key(client);
        counter.hit(&key, limit.id, limit.window_secs(), env.now_unix_secs);
    }

    /// The one decision every host makes (the Apache module, the C library,
    /// the command-line tool): from the peer as the host holds it, failing
    /// closed when it is no address. Allocation-free once prepared.
    pub fn decide(
        &self,
        peer: Peer,
        cookie_header: Option<&[u8]>,
        forwarded_for: Option<&[u8]>,
        env: &Env,
    ) -> Decision<'a> {
        match peer.address() {
            Some(peer) => self.evaluate_in(
                &Request {
                    peer,
                    cookie_header,
                    forwarded_for,
                },
                env,
            ),
            None => Decision {
                verdict: Verdict::Deny,
                reason: Reason::NoClientAddress,
                client: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                deny_action: self.deny_action(),
                limit_action: self.limit_action(),
                retry_after: 0,
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

    pub fn limit_key(&self) -> KeySpec {
        self.limit_key.unwrap_or_default()
    }

    pub fn limit_action(&self) -> LimitAction {
        self.limit_action.unwrap_or_default()
    }

    /// Whether limits of either kind apply here (a host then needs a counter).
    pub fn has_limits(&self) -> bool {
        self.enabled()
            && (self.limits.is_some_and(|l| !l.is_empty()) || self.not_found_limit.is_some())
    }

    /// Whether 404s are counted here (`PhotoGuardLimitNotFound`).
    pub fn counts_not_found(&self) -> bool {
        self.enabled() && self.not_found_limit.is_some()
    }

    /// Whether any allow rule exists (a gate that is on without one denies
    /// everybody).
    pub fn has_allow_rules(&self) -> bool {
        self.networks.is_some_and(|n| !n.is_empty()) || self.cookies.is_some_and(|c| !c.is_empty())
    }
}
