//! The policy of one configuration scope (server, `<VirtualHost>`,
//! `<Directory>`, `<Location>`, `<Files>`, `.htaccess`): directives applied
//! to it, merging with its parent, and evaluating a request.
//!
//! Merge rules: every setting a child leaves unset is inherited from its
//! parent; a list (networks, cookies, trusted proxies) set in a child replaces
//! the parent's list of that kind; repeated list directives within one scope
//! add up. Lists are shared (`Arc`), so a merge made per request copies no
//! ranges.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::cookie::{CookieRule, CookieRules};
use super::decision::{Decision, DenyAction, Mode, Reason, Request, Verdict};
use super::directive::{ConfigError, DirectiveInfo, DirectiveKind};
use super::forwarded::resolve_client;
use super::network::{NetRule, NetworkSet, parse_network};
use super::origin::Origin;
use super::tokenize::split_words;

pub const DEFAULT_CLIENT_IP_HEADER: &str = "X-Forwarded-For";

static DEFAULT_DENY_ACTION: DenyAction = DenyAction::Forbidden;

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
    client_ip_header: Option<Arc<str>>,
    deny_action: Option<DenyAction>,
    mode: Option<Mode>,
}

impl ScopeConfig {
    pub fn new() -> ScopeConfig {
        ScopeConfig::default()
    }

    /// Applies one directive, `name` with its raw argument text `args` (as
    /// Apache passes RAW_ARGS). On error the scope is unchanged.
    pub fn apply(&mut self, name: &str, args: &str, ctx: &DirectiveContext) -> Result<(), ConfigError> {
        let info = DirectiveInfo::lookup(name)
            .ok_or_else(|| ConfigError::new(name, "not a photoguard directive"))?;
        let directive = info.name_str();
        let err = |message: String| ConfigError::new(directive, message);
        let words = split_words(args).map_err(|_| err("unterminated quote in the arguments".into()))?;
        if words.is_empty() {
            return Err(err(format!("needs an argument ({})", info.usage.to_str().unwrap_or(""))));
        }
        let single = || -> Result<&str, ConfigError> {
            match words.as_slice() {
                [one] => Ok(one.as_str()),
                _ => Err(err(format!("takes one argument, got {}", words.len()))),
            }
        };
        match info.kind {
            DirectiveKind::Enable => {
                self.enabled = Some(parse_on_off(single()?).ok_or_else(|| err(format!("'{}': expected On or Off", words[0])))?);
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
                let header = single()?;
                if !header.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
                    return Err(err(format!("'{header}' is not a header name")));
                }
                self.client_ip_header = Some(header.into());
            }
            DirectiveKind::DenyAction => self.deny_action = Some(parse_deny_action(&words).map_err(err)?),
            DirectiveKind::Mode => {
                self.mode = Some(match single()?.to_ascii_lowercase().as_str() {
                    "enforce" => Mode::Enforce,
                    "report" => Mode::Report,
                    _ => return Err(err(format!("'{}': expected enforce or report", words[0]))),
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
            trusted_proxies: child.trusted_proxies.clone().or_else(|| parent.trusted_proxies.clone()),
            client_ip_header: child.client_ip_header.clone().or_else(|| parent.client_ip_header.clone()),
            deny_action: child.deny_action.clone().or_else(|| parent.deny_action.clone()),
            mode: child.mode.or(parent.mode),
        }
    }

    /// Decides one request. Allocation-free.
    pub fn evaluate<'p>(&'p self, request: &Request) -> Decision<'p> {
        let deny_action = self.deny_action();
        if !self.enabled() {
            return Decision { verdict: Verdict::Allow, reason: Reason::GateOff, client: request.peer, deny_action };
        }
        let client = resolve_client(request.peer, request.forwarded_for, self.trusted_proxies.as_deref());
        let allowed_by = |reason| Decision { verdict: Verdict::Allow, reason, client, deny_action };
        if let Some(rule) = self.networks.as_deref().and_then(|n| n.lookup(client)) {
            return allowed_by(Reason::Network(rule));
        }
        if let (Some(cookies), Some(header)) = (self.cookies.as_deref(), request.cookie_header) {
            if let Some(rule) = cookies.find(header) {
                return allowed_by(Reason::Cookie(rule));
            }
        }
        let verdict = match self.mode() {
            Mode::Enforce => Verdict::Deny,
            Mode::Report => Verdict::WouldDeny,
        };
        Decision { verdict, reason: Reason::NoRuleMatched, client, deny_action }
    }

    /// Builds the network lookup indexes now (see [`NetworkSet::prepare`]):
    /// a host calls this once its configuration is read, so that decisions
    /// neither build nor allocate.
    pub fn prepare(&self) {
        for set in [&self.networks, &self.trusted_proxies].into_iter().flatten() {
            set.prepare();
        }
    }

    /// Whether the gate is on (`PhotoGuard On` here or in a parent).
    pub fn enabled(&self) -> bool {
        self.enabled.unwrap_or(false)
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
        self.client_ip_header.as_deref().unwrap_or(DEFAULT_CLIENT_IP_HEADER)
    }

    /// Whether trusted proxies are configured, i.e. whether a caller needs to
    /// fetch the client-IP header at all.
    pub fn reads_client_ip_header(&self) -> bool {
        self.trusted_proxies.as_deref().is_some_and(|t| !t.is_empty())
    }

    pub fn deny_action(&self) -> &DenyAction {
        self.deny_action.as_ref().unwrap_or(&DEFAULT_DENY_ACTION)
    }

    pub fn mode(&self) -> Mode {
        self.mode.unwrap_or_default()
    }

    /// Whether any allow rule exists (a gate that is on without one denies
    /// everybody).
    pub fn has_allow_rules(&self) -> bool {
        self.networks.as_deref().is_some_and(|n| !n.is_empty()) || self.cookies.as_deref().is_some_and(|c| !c.is_empty())
    }

    /// Convenience for callers holding an address as text: an unparsable
    /// address is denied (fails closed), never allowed.
    pub fn evaluate_text<'p>(&'p self, peer: &str, cookie_header: Option<&[u8]>, forwarded_for: Option<&[u8]>) -> Option<Decision<'p>> {
        let peer: IpAddr = peer.trim().parse().ok()?;
        Some(self.evaluate(&Request { peer, cookie_header, forwarded_for }))
    }
}

fn parse_on_off(word: &str) -> Option<bool> {
    match word.to_ascii_lowercase().as_str() {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

fn add_networks(list: &mut Option<Arc<NetworkSet>>, rules: Vec<NetRule>) {
    Arc::make_mut(list.get_or_insert_with(Default::default)).extend(rules);
}

fn parse_network_words(words: &[String], origin: &Origin) -> Result<Vec<NetRule>, String> {
    words
        .iter()
        .map(|w| parse_network(w).map(|net| NetRule::new(net, w, origin.clone())).map_err(|e| e.to_string()))
        .collect()
}

fn resolve_path(path: &str, server_root: Option<&Path>) -> PathBuf {
    match server_root {
        Some(root) if Path::new(path).is_relative() => root.join(path),
        _ => PathBuf::from(path),
    }
}

/// Reads a network file: one entry a line, `#` starts a comment, blank lines
/// are skipped. An error names the file and line.
pub fn read_network_file(path: &Path) -> Result<Vec<NetRule>, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let origin = Origin::new(path.to_string_lossy().as_ref(), 0);
    let mut rules = Vec::with_capacity(memchr::memchr_iter(b'\n', &bytes).count() + 1);
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let number = index as u32 + 1;
        let line = std::str::from_utf8(line).map_err(|_| format!("{shown}:{number}: not UTF-8 text"))?;
        let entry = line.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        if entry.split_whitespace().nth(1).is_some() {
            return Err(format!("{shown}:{number}: '{entry}': one entry a line"));
        }
        let net = parse_network(entry).map_err(|e| format!("{shown}:{number}: {e}"))?;
        rules.push(NetRule::new(net, entry, origin.at_line(number)));
    }
    if rules.is_empty() {
        return Err(format!("{shown}: no networks in the file"));
    }
    Ok(rules)
}

fn parse_deny_action(words: &[String]) -> Result<DenyAction, String> {
    match words {
        [code] if code == "403" => Ok(DenyAction::Forbidden),
        [code] if code == "404" => Ok(DenyAction::NotFound),
        [kw] if kw.eq_ignore_ascii_case("redirect") => Err("'redirect' needs a URL".into()),
        [kw, url] if kw.eq_ignore_ascii_case("redirect") => {
            let acceptable_start = url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/');
            if !acceptable_start {
                return Err(format!("'{url}': a redirect goes to an http(s):// URL or a /path"));
            }
            if url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
                return Err(format!("'{url}': a redirect URL cannot contain spaces or control characters"));
            }
            Ok(DenyAction::Redirect(url.as_str().into()))
        }
        _ => Err(format!("'{}': expected 403, 404 or redirect URL", words.join(" "))),
    }
}
