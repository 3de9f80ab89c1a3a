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
use crate::ltpa::{Accept, DEFAULT_CLOCK_SKEW_SECS, DominoSecret, KeySet, ValidatorRef};
use crate::network::NetworkSet;

use super::ltpa::{LtpaOutcome, LtpaRules};

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
    pub(super) ltpa_rules: Option<&'a LtpaRules>,
    pub(super) ltpa_keys: Option<&'a [KeySet]>,
    pub(super) domino_secrets: Option<&'a [DominoSecret]>,
    pub(super) ltpa_accept: Option<Accept>,
    pub(super) ltpa_clock_skew: Option<u64>,
    pub(super) ltpa_realms: Option<&'a [String]>,
    /// The scope whose `PhotoGuard On|Off` is in effect, for counting.
    pub(super) gated_by: Option<&'a super::ScopeConfig>,
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
            ltpa_rules: child.ltpa_rules.or(parent.ltpa_rules),
            ltpa_keys: child.ltpa_keys.or(parent.ltpa_keys),
            domino_secrets: child.domino_secrets.or(parent.domino_secrets),
            ltpa_accept: child.ltpa_accept.or(parent.ltpa_accept),
            ltpa_clock_skew: child.ltpa_clock_skew.or(parent.ltpa_clock_skew),
            ltpa_realms: child.ltpa_realms.or(parent.ltpa_realms),
            gated_by: child.gated_by.or(parent.gated_by),
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
        let mut refused = None;
        let allowed = if let Some(rule) = self.networks.and_then(|n| n.lookup(client)) {
            Some((Reason::Network(rule), AllowClass::Network))
        } else {
            match self.check_ltpa(request.cookie_header, env) {
                LtpaOutcome::Valid(rule, token) => {
                    Some((Reason::Ltpa(rule, token), AllowClass::Ltpa))
                }
                LtpaOutcome::Refused(rule, why) => {
                    refused = Some(Reason::LtpaRefused(rule, why));
                    None
                }
                LtpaOutcome::Absent => None,
            }
        };
        let allowed = allowed.or_else(|| {
            let (cookies, header) = (self.cookies?, request.cookie_header?);
            cookies
                .find(header)
                .map(|rule| (Reason::Cookie(rule), AllowClass::Cookie))
        });
        match allowed {
            Some((reason, class)) => self
                .limit(client, class, env)
                .unwrap_or_else(|| decision(Verdict::Allow, reason, client)),
            None => {
                let verdict = match self.mode() {
                    Mode::Enforce => Verdict::Deny,
                    Mode::Report => Verdict::WouldDeny,
                };
                decision(verdict, refused.unwrap_or(Reason::NoRuleMatched), client)
            }
        }
    }

    /// The request's LTPA cookies, checked with this scope's keys.
    fn check_ltpa(&self, cookie_header: Option<&[u8]>, env: &Env) -> LtpaOutcome<'a> {
        match (self.ltpa_rules, cookie_header) {
            (Some(rules), Some(header)) => {
                rules.check(header, self.ltpa_validator(), env.now_unix_millis)
            }
            _ => LtpaOutcome::Absent,
        }
    }

    /// The LTPA settings as a validator: no keys means no token verifies.
    pub fn ltpa_validator(&self) -> ValidatorRef<'a> {
        ValidatorRef {
            key_sets: self.ltpa_keys.unwrap_or_default(),
            domino_secrets: self.domino_secrets.unwrap_or_default(),
            accept: self.ltpa_accept.unwrap_or_default(),
            clock_skew_secs: self.ltpa_clock_skew.unwrap_or(DEFAULT_CLOCK_SKEW_SECS),
            realms: self.ltpa_realms.unwrap_or_default(),
        }
    }

    /// The scope whose `PhotoGuard On` is in effect here (the row a status
    /// page counts this scope's decisions in).
    pub fn gated_by(&self) -> Option<&'a super::ScopeConfig> {
        self.gated_by
    }

    /// The `PhotoGuardAllowLtpa` rules that apply here.
    pub fn ltpa_rules(&self) -> Option<&'a LtpaRules> {
        self.ltpa_rules
    }

    /// Counts a request let in by a rule of `class` with every limit that
    /// names the class; the limited decision if one is past.
    fn limit(&self, client: IpAddr, class: AllowClass, env: &Env) -> Option<Decision<'a>> {
        let (limits, counter) = (self.limits?, env.counter?);
        let key = self.limit_key().client_key(client);
        let now = env.now_unix_secs();
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
        let count = counter.peek(&key, limit.id, limit.window_secs(), env.now_unix_secs());
        limit.blocks(&count).then(|| {
            self.limited_decision(
                Reason::NotFoundBlocked(limit, count),
                client,
                count.retry_after(env.now_unix_secs()),
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
        counter.hit(&key, limit.id, limit.window_secs(), env.now_unix_secs());
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
        self.ltpa_rules.is_some_and(|l| !l.is_empty()) || self.has_network_or_cookie_rules()
    }

    fn has_network_or_cookie_rules(&self) -> bool {
        self.networks.is_some_and(|n| !n.is_empty()) || self.cookies.is_some_and(|c| !c.is_empty())
    }
}
