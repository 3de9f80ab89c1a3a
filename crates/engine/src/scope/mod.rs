//! The policy of one configuration scope (server, `<VirtualHost>`,
//! `<Directory>`, `<Location>`, `<Files>`, `.htaccess`): directives applied
//! to it ([`ScopeConfig`], which owns what they built), and the borrowed view
//! a request is decided with ([`ScopeView`]).
//!
//! Merge rules: every setting a child leaves unset is inherited from its
//! parent; a list (networks, cookies, trusted proxies) set in a child replaces
//! the parent's list of that kind; repeated list directives within one scope
//! add up. A host that merges per request (Apache) merges views: a few
//! words copied, nothing allocated, nothing to free.
//!
//! - [`view`]: [`ScopeView`], its merge and the decision.
//! - [`settings`]: parsing the single-value directives.
//! - [`network_file`]: reading `PhotoGuardAllowNetworkFile`.

mod ltpa;
mod network_file;
mod settings;
mod view;

pub use ltpa::{LtpaOutcome, LtpaRule, LtpaRules};
pub use network_file::{NETWORK_FILE_MAX_BYTES, read_network_file};
pub use view::ScopeView;

use network_file::resolve_path;
use settings::{
    add_networks, check_client_ip_header, parse_deny_action, parse_network_words, parse_on_off,
};

use std::ffi::CStr;
use std::path::Path;
use std::sync::Arc;

use crate::cookie::{CookieRule, CookieRules};
use crate::decision::{Decision, DenyAction, Env, Mode, Peer, Reason, Request};
use crate::directive::{ConfigError, DirectiveInfo, DirectiveKind, quoted};
use crate::guard::{self, KeySpec, Limit, LimitAction, NotFoundLimit, StoreSpec};
use crate::ltpa::{Accept, DominoSecret, KeySet};
use crate::network::NetworkSet;
use crate::origin::Origin;
use crate::tokenize::split_words;

pub use view::DEFAULT_CLIENT_IP_HEADER;

/// Where a directive was written and how to resolve relative file names.
#[derive(Debug, Clone)]
pub struct DirectiveContext<'a> {
    pub origin: Origin,
    /// Relative `PhotoGuardAllowNetworkFile` paths are resolved against this
    /// (Apache's ServerRoot); `None` leaves them relative to the process.
    pub server_root: Option<&'a Path>,
}

#[derive(Debug, Clone, Default)]
pub struct ScopeConfig {
    enabled: Option<bool>,
    networks: Option<Arc<NetworkSet>>,
    cookies: Option<Arc<CookieRules>>,
    trusted_proxies: Option<Arc<NetworkSet>>,
    /// NUL-terminated, so that a host can look it up without copying.
    client_ip_header: Option<Arc<CStr>>,
    deny_action: Option<DenyAction>,
    mode: Option<Mode>,
    limits: Option<Arc<Vec<Limit>>>,
    not_found_limit: Option<NotFoundLimit>,
    limit_key: Option<KeySpec>,
    limit_action: Option<LimitAction>,
    /// Server-wide: the host reads it from the server's own scope.
    limit_store: Option<StoreSpec>,
    ltpa_keys: Option<Arc<Vec<KeySet>>>,
    domino_secrets: Option<Arc<Vec<DominoSecret>>>,
    ltpa_rules: Option<Arc<LtpaRules>>,
    ltpa_accept: Option<Accept>,
    ltpa_clock_skew: Option<u64>,
    ltpa_realms: Option<Arc<Vec<String>>>,
    /// What the directives read so far want the admin to know (a key file
    /// anyone may read); a host logs and takes them.
    warnings: Vec<String>,
}

impl ScopeConfig {
    pub fn new() -> ScopeConfig {
        ScopeConfig::default()
    }

    /// Applies one directive, `name` with its raw argument text `args` (as
    /// Apache passes RAW_ARGS). On error the scope is unchanged.
    pub fn apply(
        &mut self,
        name: &str,
        args: &str,
        ctx: &DirectiveContext,
    ) -> Result<(), ConfigError> {
        let info = DirectiveInfo::lookup(name)
            .ok_or_else(|| ConfigError::new(name, "not a photoguard directive"))?;
        let directive = info.name_str();
        let err = |message: String| ConfigError::new(directive, message);
        let words =
            split_words(args).map_err(|_| err("unterminated quote in the arguments".into()))?;
        // Apache reads `#` as a comment only at the start of a line: after
        // a directive it is more arguments, which would become rules.
        if let Some(at) = words.iter().position(|w| w.starts_with('#')) {
            return Err(err(format!(
                "{}: Apache has no trailing comments; put the comment on its own line",
                quoted(words[at..].join(" "))
            )));
        }
        if words.is_empty() {
            return Err(err(format!(
                "needs an argument ({})",
                info.usage.to_str().unwrap_or("")
            )));
        }
        let single = || -> Result<&str, ConfigError> {
            match words.as_slice() {
                [one] => Ok(one.as_str()),
                _ => Err(err(format!("takes one argument, got {}", words.len()))),
            }
        };
        match info.kind {
            DirectiveKind::Enable => {
                self.enabled =
                    Some(parse_on_off(single()?).ok_or_else(|| {
                        err(format!("{}: expected On or Off", quoted(&words[0])))
                    })?);
            }
            DirectiveKind::AllowNetwork => {
                let rules = parse_network_words(&words, &ctx.origin).map_err(err)?;
                add_networks(&mut self.networks, rules);
            }
            DirectiveKind::AllowNetworkFile => {
                let path = resolve_path(single()?, ctx.server_root);
                let rules = read_network_file(&path).map_err(err)?;
                add_networks(&mut self.networks, rules);
            }
            DirectiveKind::AllowCookie => {
                let rules = words
                    .iter()
                    .map(|w| CookieRule::parse(w, ctx.origin.clone()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| err(e.to_string()))?;
                Arc::make_mut(self.cookies.get_or_insert_with(Default::default)).extend(rules);
            }
            DirectiveKind::TrustedProxy => {
                let rules = parse_network_words(&words, &ctx.origin).map_err(err)?;
                add_networks(&mut self.trusted_proxies, rules);
            }
            DirectiveKind::ClientIpHeader => {
                let header = check_client_ip_header(single()?).map_err(err)?;
                self.client_ip_header = Some(header.into());
            }
            DirectiveKind::Limit => {
                let spec = guard::parse_limit(&words).map_err(err)?;
                let limit = Limit::new(limit_id(&ctx.origin, args), spec, ctx.origin.to_string());
                Arc::make_mut(self.limits.get_or_insert_with(Default::default)).push(limit);
            }
            DirectiveKind::LimitNotFound => {
                let rate = guard::parse_limit_not_found(&words).map_err(err)?;
                let id = limit_id(&ctx.origin, args);
                self.not_found_limit = Some(NotFoundLimit::new(id, rate, ctx.origin.to_string()));
            }
            DirectiveKind::LimitKey => {
                self.limit_key = Some(guard::parse_limit_key(&words).map_err(err)?)
            }
            DirectiveKind::LimitAction => {
                self.limit_action = Some(guard::parse_limit_action(&words).map_err(err)?)
            }
            DirectiveKind::LimitStore => {
                self.limit_store = Some(guard::parse_limit_store(&words).map_err(err)?)
            }
            DirectiveKind::LtpaKeys => {
                let [key_file, password_file] = words.as_slice() else {
                    return Err(err(format!(
                        "takes KEYFILE PASSWORDFILE, got {} argument(s)",
                        words.len()
                    )));
                };
                let (key_set, warnings) = ltpa::read_key_set(
                    &resolve_path(key_file, ctx.server_root),
                    &resolve_path(password_file, ctx.server_root),
                )
                .map_err(err)?;
                push_unshared(&mut self.ltpa_keys, key_set).map_err(err)?;
                self.warnings.extend(
                    warnings
                        .into_iter()
                        .map(|w| format!("{directive} ({}): {w}", ctx.origin)),
                );
            }
            DirectiveKind::DominoSecret => {
                let (secret, warnings) =
                    ltpa::read_domino_secret(&resolve_path(single()?, ctx.server_root))
                        .map_err(err)?;
                push_unshared(&mut self.domino_secrets, secret).map_err(err)?;
                self.warnings.extend(
                    warnings
                        .into_iter()
                        .map(|w| format!("{directive} ({}): {w}", ctx.origin)),
                );
            }
            DirectiveKind::AllowLtpa => {
                let rules = LtpaRules::parse(&words, &ctx.origin).map_err(err)?;
                let list = self.ltpa_rules.get_or_insert_with(Default::default);
                Arc::get_mut(list)
                    .ok_or_else(|| {
                        err(
                            "cannot add to rules a merged scope shares; add them before merging"
                                .into(),
                        )
                    })?
                    .extend(rules);
            }
            DirectiveKind::LtpaAccept => {
                self.ltpa_accept = Some(ltpa::parse_accept(&words).map_err(err)?)
            }
            DirectiveKind::LtpaClockSkew => {
                self.ltpa_clock_skew = Some(ltpa::parse_clock_skew(single()?).map_err(err)?)
            }
            DirectiveKind::LtpaRealm => {
                Arc::make_mut(self.ltpa_realms.get_or_insert_with(Default::default))
                    .extend(words.iter().cloned());
            }
            DirectiveKind::DenyAction => {
                self.deny_action = Some(parse_deny_action(&words).map_err(err)?)
            }
            DirectiveKind::Mode => {
                self.mode = Some(match single()?.to_ascii_lowercase().as_str() {
                    "enforce" => Mode::Enforce,
                    "report" => Mode::Report,
                    _ => {
                        return Err(err(format!(
                            "{}: expected enforce or report",
                            quoted(&words[0])
                        )));
                    }
                });
            }
        }
        Ok(())
    }

    /// The scope `child` sees inside `parent`.
    pub fn merge(parent: &ScopeConfig, child: &ScopeConfig) -> ScopeConfig {
        ScopeConfig {
            enabled: child.enabled.or(parent.enabled),
            networks: child.networks.clone().or_else(|| parent.networks.clone()),
            cookies: child.cookies.clone().or_else(|| parent.cookies.clone()),
            trusted_proxies: child
                .trusted_proxies
                .clone()
                .or_else(|| parent.trusted_proxies.clone()),
            client_ip_header: child
                .client_ip_header
                .clone()
                .or_else(|| parent.client_ip_header.clone()),
            deny_action: child
                .deny_action
                .clone()
                .or_else(|| parent.deny_action.clone()),
            mode: child.mode.or(parent.mode),
            limits: child.limits.clone().or_else(|| parent.limits.clone()),
            not_found_limit: child
                .not_found_limit
                .clone()
                .or_else(|| parent.not_found_limit.clone()),
            limit_key: child.limit_key.or(parent.limit_key),
            limit_action: child.limit_action.or(parent.limit_action),
            limit_store: child
                .limit_store
                .clone()
                .or_else(|| parent.limit_store.clone()),
            ltpa_keys: child.ltpa_keys.clone().or_else(|| parent.ltpa_keys.clone()),
            domino_secrets: child
                .domino_secrets
                .clone()
                .or_else(|| parent.domino_secrets.clone()),
            ltpa_rules: child
                .ltpa_rules
                .clone()
                .or_else(|| parent.ltpa_rules.clone()),
            ltpa_accept: child.ltpa_accept.or(parent.ltpa_accept),
            ltpa_clock_skew: child.ltpa_clock_skew.or(parent.ltpa_clock_skew),
            ltpa_realms: child
                .ltpa_realms
                .clone()
                .or_else(|| parent.ltpa_realms.clone()),
            warnings: Vec::new(),
        }
    }

    /// The borrowed view of this scope that requests are decided with.
    pub fn view(&self) -> ScopeView<'_> {
        ScopeView {
            enabled: self.enabled,
            networks: self.networks.as_deref(),
            cookies: self.cookies.as_deref(),
            trusted_proxies: self.trusted_proxies.as_deref(),
            client_ip_header: self.client_ip_header.as_deref(),
            deny_action: self.deny_action.as_ref(),
            mode: self.mode,
            limits: self.limits.as_deref().map(Vec::as_slice),
            ltpa_rules: self.ltpa_rules.as_deref(),
            ltpa_keys: self.ltpa_keys.as_deref().map(Vec::as_slice),
            domino_secrets: self.domino_secrets.as_deref().map(Vec::as_slice),
            ltpa_accept: self.ltpa_accept,
            ltpa_clock_skew: self.ltpa_clock_skew,
            ltpa_realms: self.ltpa_realms.as_deref().map(Vec::as_slice),
            gated_by: self.enabled.map(|_| self),
            not_found_limit: self.not_found_limit.as_ref(),
            limit_key: self.limit_key,
            limit_action: self.limit_action,
        }
    }

    /// The `PhotoGuardAllowLtpa` rules this scope sets.
    pub fn ltpa_rules(&self) -> Option<&LtpaRules> {
        self.ltpa_rules.as_deref()
    }

    /// The `PhotoGuardLimit`s this scope sets.
    pub fn limits(&self) -> &[Limit] {
        self.limits.as_deref().map_or(&[], Vec::as_slice)
    }

    /// The `PhotoGuardLimitNotFound` this scope sets.
    pub fn not_found_limit(&self) -> Option<&NotFoundLimit> {
        self.not_found_limit.as_ref()
    }

    /// Warnings the directives read so far raised (taken: each is given once).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// `PhotoGuardLimitStore`, where this scope sets it (a host reads the
    /// server's own scope: the setting is server-wide).
    pub fn limit_store(&self) -> Option<&StoreSpec> {
        self.limit_store.as_ref()
    }

    /// Whether this scope has limits of either kind (the host then needs a
    /// counter).
    pub fn has_limits(&self) -> bool {
        self.view().has_limits()
    }

    /// Decides one request (see [`ScopeView::evaluate`]).
    pub fn evaluate<'p>(&'p self, request: &Request) -> Decision<'p> {
        self.view().evaluate(request)
    }

    /// The one decision every host makes (see [`ScopeView::decide`]).
    pub fn decide<'p>(
        &'p self,
        peer: Peer,
        cookie_header: Option<&[u8]>,
        forwarded_for: Option<&[u8]>,
    ) -> Decision<'p> {
        self.view()
            .decide(peer, cookie_header, forwarded_for, &Env::system())
    }

    /// Builds the network lookup indexes now (see [`ScopeView::prepare`]).
    pub fn prepare(&self) {
        self.view().prepare()
    }

    /// Whether the gate is on (`PhotoGuard On` here or in a parent).
    pub fn enabled(&self) -> bool {
        self.view().enabled()
    }

    pub fn enabled_setting(&self) -> Option<bool> {
        self.enabled
    }

    pub fn networks(&self) -> Option<&NetworkSet> {
        self.networks.as_deref()
    }

    pub fn cookies(&self) -> Option<&CookieRules> {
        self.cookies.as_deref()
    }

    pub fn trusted_proxies(&self) -> Option<&NetworkSet> {
        self.trusted_proxies.as_deref()
    }

    pub fn client_ip_header(&self) -> &str {
        self.view().client_ip_header()
    }

    /// [`ScopeConfig::client_ip_header`] as a C string.
    pub fn client_ip_header_cstr(&self) -> &CStr {
        self.view().client_ip_header_cstr()
    }

    /// Whether trusted proxies are configured (see [`ScopeView::reads_client_ip_header`]).
    pub fn reads_client_ip_header(&self) -> bool {
        self.view().reads_client_ip_header()
    }

    pub fn deny_action(&self) -> &DenyAction {
        self.view().deny_action()
    }

    pub fn mode(&self) -> Mode {
        self.mode.unwrap_or_default()
    }

    /// Whether any allow rule exists (a gate that is on without one denies
    /// everybody).
    pub fn has_allow_rules(&self) -> bool {
        self.view().has_allow_rules()
    }

    /// Convenience for callers holding the peer address as text. `None` when
    /// it does not parse: the caller must then deny (fail closed).
    pub fn evaluate_text<'p>(
        &'p self,
        peer: &str,
        cookie_header: Option<&[u8]>,
        forwarded_for: Option<&[u8]>,
    ) -> Option<Decision<'p>> {
        let decision = self.decide(Peer::Text(peer.as_bytes()), cookie_header, forwarded_for);
        (!matches!(decision.reason, Reason::NoClientAddress)).then_some(decision)
    }
}

/// Adds to a list this scope owns alone (keys and secrets cannot be copied:
/// they are read from files and not `Clone`).
fn push_unshared<T>(list: &mut Option<Arc<Vec<T>>>, item: T) -> Result<(), String> {
    let list = list.get_or_insert_with(Default::default);
    Arc::get_mut(list)
        .ok_or_else(|| {
            "cannot add to a list a merged scope shares; add it before merging".to_string()
        })?
        .push(item);
    Ok(())
}

/// A limit's id for its counters: the same on every server of a farm that
/// reads the same configuration (file name, line and arguments), so that a
/// shared store adds up the same limit's counts.
fn limit_id(origin: &Origin, args: &str) -> u32 {
    guard::stable_limit_id(&format!(
        "{}:{}:{}",
        origin.short_file(),
        origin.line(),
        args.trim()
    ))
}

#[cfg(test)]
mod tests;
