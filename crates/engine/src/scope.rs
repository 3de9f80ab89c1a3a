//! The policy of one configuration scope (server, `<VirtualHost>`,
//! `<Directory>`, `<Location>`, `<Files>`, `.htaccess`): directives applied
//! to it, merging with its parent, and evaluating a request.
//!
//! Merge rules: every setting a child leaves unset is inherited from its
//! parent; a list (networks, cookies, trusted proxies) set in a child replaces
//! the parent's list of that kind; repeated list directives within one scope
//! add up. Lists are shared (`Arc`), so a merge made per request copies no
//! ranges.

use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::cookie::{CookieRule, CookieRules};
use super::decision::{Decision, DenyAction, Mode, Peer, Reason, Request, Verdict};
use super::directive::{ConfigError, DirectiveInfo, DirectiveKind};
use super::forwarded::resolve_client;
use super::network::{NetRule, NetworkSet, parse_network};
use super::origin::Origin;
use super::tokenize::{is_token_byte, split_words};

pub const DEFAULT_CLIENT_IP_HEADER: &CStr = c"X-Forwarded-For";

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
    /// NUL-terminated, so that a host can look it up without copying.
    client_ip_header: Option<Arc<CStr>>,
    deny_action: Option<DenyAction>,
    mode: Option<Mode>,
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
                self.enabled = Some(
                    parse_on_off(single()?)
                        .ok_or_else(|| err(format!("'{}': expected On or Off", words[0])))?,
                );
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
                if !header.bytes().all(is_token_byte) {
                    return Err(err(format!("'{header}' is not a header name")));
                }
                let header = CString::new(header)
                    .map_err(|_| err(format!("'{header}' is not a header name")))?;
                self.client_ip_header = Some(header.into());
            }
            DirectiveKind::DenyAction => {
                self.deny_action = Some(parse_deny_action(&words).map_err(err)?)
            }
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
        }
    }

    /// Decides one request. Allocation-free once prepared: the first
    /// decision of an unprepared scope builds all its indexes (see
    /// [`ScopeConfig::prepare`]), so that no later one does, whichever
    /// path it takes.
    pub fn evaluate<'p>(&'p self, request: &Request) -> Decision<'p> {
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
        let client = resolve_client(
            request.peer,
            request.forwarded_for,
            self.trusted_proxies.as_deref(),
        );
        let allowed_by = |reason| Decision {
            verdict: Verdict::Allow,
            reason,
            client,
            deny_action,
        };
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
    pub fn decide<'p>(
        &'p self,
        peer: Peer,
        cookie_header: Option<&[u8]>,
        forwarded_for: Option<&[u8]>,
    ) -> Decision<'p> {
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
        for set in [&self.networks, &self.trusted_proxies]
            .into_iter()
            .flatten()
        {
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
        self.client_ip_header_cstr().to_str().unwrap_or("")
    }

    /// [`ScopeConfig::client_ip_header`] as a C string.
    pub fn client_ip_header_cstr(&self) -> &CStr {
        self.client_ip_header
            .as_deref()
            .unwrap_or(DEFAULT_CLIENT_IP_HEADER)
    }

    /// Whether trusted proxies are configured, i.e. whether a caller needs to
    /// fetch the client-IP header at all.
    pub fn reads_client_ip_header(&self) -> bool {
        self.trusted_proxies
            .as_deref()
            .is_some_and(|t| !t.is_empty())
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
        self.networks.as_deref().is_some_and(|n| !n.is_empty())
            || self.cookies.as_deref().is_some_and(|c| !c.is_empty())
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
        .map(|w| {
            parse_network(w)
                .map(|net| NetRule::new(net, w, origin.clone()))
                .map_err(|e| e.to_string())
        })
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
        let line =
            std::str::from_utf8(line).map_err(|_| format!("{shown}:{number}: not UTF-8 text"))?;
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
            let acceptable_start =
                url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/');
            if !acceptable_start {
                return Err(format!(
                    "'{url}': a redirect goes to an http(s):// URL or a /path"
                ));
            }
            if url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
                return Err(format!(
                    "'{url}': a redirect URL cannot contain spaces or control characters"
                ));
            }
            Ok(DenyAction::Redirect(url.as_str().into()))
        }
        _ => Err(format!(
            "'{}': expected 403, 404 or redirect URL",
            words.join(" ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(line: u32) -> DirectiveContext<'static> {
        DirectiveContext {
            origin: Origin::new("/etc/apache2/sites-enabled/photos.conf", line),
            server_root: None,
        }
    }

    fn scope(lines: &[(&str, &str)]) -> ScopeConfig {
        let mut scope = ScopeConfig::new();
        for (i, (name, args)) in lines.iter().enumerate() {
            scope
                .apply(name, args, &ctx(10 + i as u32))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        scope
    }

    fn error(name: &str, args: &str) -> String {
        ScopeConfig::new()
            .apply(name, args, &ctx(1))
            .unwrap_err()
            .to_string()
    }

    fn seed() -> ScopeConfig {
        scope(&[
            ("PhotoGuard", "On"),
            (
                "PhotoGuardAllowNetwork",
                "10.20.16.0/20 10.30.64.0/21 172.16.128.0/22 192.0.2.10",
            ),
            (
                "PhotoGuardAllowCookie",
                "LtpaToken2 LtpaToken STPluginActivePage=stMeetingroom",
            ),
            ("PhotoGuardDenyAction", "redirect https://www.example.com/"),
        ])
    }

    fn decide(scope: &ScopeConfig, peer: &str, cookie: Option<&str>, xff: Option<&str>) -> String {
        scope
            .evaluate_text(peer, cookie.map(str::as_bytes), xff.map(str::as_bytes))
            .unwrap()
            .to_string()
    }

    #[test]
    fn seed_policy_decisions_carry_their_reasons() {
        let s = seed();
        assert_eq!(
            decide(&s, "10.20.31.255", None, None),
            "allow: network 10.20.16.0/20 (photos.conf:11)"
        );
        assert_eq!(
            decide(&s, "192.0.2.10", None, None),
            "allow: network 192.0.2.10 (photos.conf:11)"
        );
        assert_eq!(
            decide(&s, "198.51.100.1", Some("a=1; LtpaToken2=x"), None),
            "allow: cookie LtpaToken2 (photos.conf:12)"
        );
        assert_eq!(
            decide(
                &s,
                "198.51.100.1",
                Some("STPluginActivePage=stMeetingroom"),
                None
            ),
            "allow: cookie STPluginActivePage=stMeetingroom (photos.conf:12)"
        );
        assert_eq!(
            decide(&s, "10.20.32.0", Some("XLtpaToken2=1"), None),
            "deny (redirect https://www.example.com/): no rule matched"
        );
        assert_eq!(
            decide(&s, "::ffff:10.30.71.9", None, None),
            "allow: network 10.30.64.0/21 (photos.conf:11)"
        );
    }

    #[test]
    fn network_is_checked_before_cookies() {
        assert_eq!(
            decide(&seed(), "10.20.16.1", Some("LtpaToken2=x"), None),
            "allow: network 10.20.16.0/20 (photos.conf:11)"
        );
    }

    #[test]
    fn the_gate_is_off_unless_turned_on() {
        let mut s = seed();
        s.apply("PhotoGuard", "off", &ctx(20)).unwrap();
        let d = s.evaluate_text("198.51.100.1", None, None).unwrap();
        assert_eq!(
            (d.verdict, d.reason.as_str()),
            (Verdict::Allow, "PhotoGuard is off")
        );
        let unset = scope(&[("PhotoGuardAllowNetwork", "10.0.0.0/8")]);
        assert!(!unset.enabled());
    }

    #[test]
    fn report_mode_would_deny_but_passes() {
        let s = ScopeConfig::merge(&seed(), &scope(&[("PhotoGuardMode", "Report")]));
        let d = s.evaluate_text("198.51.100.1", None, None).unwrap();
        assert_eq!(d.verdict, Verdict::WouldDeny);
        assert!(d.verdict.passes());
        assert_eq!(
            d.to_string(),
            "would-deny (redirect https://www.example.com/): no rule matched"
        );
    }

    #[test]
    fn deny_actions_and_defaults() {
        let on = scope(&[("PhotoGuard", "On")]);
        assert_eq!(on.deny_action(), &DenyAction::Forbidden);
        assert_eq!(on.mode(), Mode::Enforce);
        assert_eq!(on.client_ip_header(), "X-Forwarded-For");
        assert!(!on.has_allow_rules());
        assert_eq!(
            decide(&on, "10.0.0.1", None, None),
            "deny (403): no rule matched"
        );
        assert_eq!(
            scope(&[("PhotoGuardDenyAction", "404")])
                .deny_action()
                .status(),
            404
        );
        assert_eq!(
            scope(&[("PhotoGuardDenyAction", "REDIRECT /denied.html")])
                .deny_action()
                .status(),
            302
        );
        assert_eq!(
            scope(&[(
                "PhotoGuardDenyAction",
                "redirect \"https://www.example.com/?a=b\""
            )])
            .deny_action(),
            &DenyAction::Redirect("https://www.example.com/?a=b".into())
        );
    }

    #[test]
    fn trusted_proxy_header_is_used_only_from_trusted_peers() {
        let s = ScopeConfig::merge(
            &seed(),
            &scope(&[
                ("PhotoGuardTrustedProxy", "127.0.0.0/8"),
                ("PhotoGuardClientIPHeader", "X-Real-Client"),
            ]),
        );
        assert!(s.reads_client_ip_header());
        assert_eq!(s.client_ip_header(), "X-Real-Client");
        assert_eq!(
            decide(&s, "127.0.0.1", None, Some("10.20.16.9")),
            "allow: network 10.20.16.0/20 (photos.conf:11)"
        );
        let d = s
            .evaluate_text("198.51.100.1", None, Some(b"10.20.16.9"))
            .unwrap();
        assert_eq!(
            (d.verdict, d.client.to_string()),
            (Verdict::Deny, "198.51.100.1".to_string())
        );
        assert!(!seed().reads_client_ip_header());
    }

    #[test]
    fn merging_inherits_and_lists_replace() {
        let parent = seed();
        let child = scope(&[("PhotoGuardAllowNetwork", "10.99.0.0/16")]);
        let merged = ScopeConfig::merge(&parent, &child);
        assert!(merged.enabled());
        assert_eq!(
            decide(&merged, "10.20.16.1", None, None),
            "deny (redirect https://www.example.com/): no rule matched"
        );
        assert_eq!(
            decide(&merged, "10.99.1.1", None, None),
            "allow: network 10.99.0.0/16 (photos.conf:10)"
        );
        assert_eq!(
            decide(&merged, "203.0.113.1", Some("LtpaToken=1"), None),
            "allow: cookie LtpaToken (photos.conf:12)"
        );
        let off = ScopeConfig::merge(&merged, &scope(&[("PhotoGuard", "Off")]));
        assert!(!off.enabled());
        let back_on = ScopeConfig::merge(&off, &scope(&[("PhotoGuard", "On")]));
        assert_eq!(
            decide(&back_on, "10.99.1.1", None, None),
            "allow: network 10.99.0.0/16 (photos.conf:10)"
        );
    }

    #[test]
    fn repeated_list_directives_add_up() {
        let s = scope(&[
            ("PhotoGuard", "On"),
            ("PhotoGuardAllowNetwork", "10.1.0.0/16"),
            ("photoguardallownetwork", "10.2.0.0/16"),
        ]);
        assert_eq!(s.networks().unwrap().rules().len(), 2);
        assert_eq!(
            decide(&s, "10.2.3.4", None, None),
            "allow: network 10.2.0.0/16 (photos.conf:12)"
        );
    }

    #[test]
    fn network_file_entries_name_their_file_and_line() {
        let dir = std::env::temp_dir().join(format!("photoguard-scope-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("nets.txt"),
            "# office\n\n10.20.16.0/20   # VPN\n2001:db8::/32\n",
        )
        .unwrap();
        std::fs::write(dir.join("bad.txt"), "10.0.0.0/8\n10.20.16.7/20\n").unwrap();
        std::fs::write(dir.join("two.txt"), "10.0.0.0/8 10.1.0.0/16\n").unwrap();
        std::fs::write(dir.join("empty.txt"), "# nothing\n").unwrap();
        let root = DirectiveContext {
            origin: Origin::new("photos.conf", 3),
            server_root: Some(&dir),
        };
        let mut s = scope(&[("PhotoGuard", "On")]);
        s.apply("PhotoGuardAllowNetworkFile", "nets.txt", &root)
            .unwrap();
        assert_eq!(
            decide(&s, "10.20.17.1", None, None),
            "allow: network 10.20.16.0/20 (nets.txt:3)"
        );
        assert_eq!(
            decide(&s, "2001:db8::5", None, None),
            "allow: network 2001:db8::/32 (nets.txt:4)"
        );
        let err = |file: &str| {
            ScopeConfig::new()
                .apply("PhotoGuardAllowNetworkFile", file, &root)
                .unwrap_err()
                .to_string()
        };
        let bad = dir.join("bad.txt");
        assert_eq!(
            err("bad.txt"),
            format!(
                "PhotoGuardAllowNetworkFile: {}:2: '10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?",
                bad.display()
            )
        );
        assert!(err("two.txt").ends_with("two.txt:1: '10.0.0.0/8 10.1.0.0/16': one entry a line"));
        assert!(err("empty.txt").ends_with("empty.txt: no networks in the file"));
        assert!(err("missing.txt").contains("cannot read"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn every_directive_error_names_the_directive_and_token() {
        assert_eq!(
            error("PhotoGuard", "maybe"),
            "PhotoGuard: 'maybe': expected On or Off"
        );
        assert_eq!(
            error("PhotoGuard", "On Off"),
            "PhotoGuard: takes one argument, got 2"
        );
        assert_eq!(
            error("PhotoGuardAllowNetwork", ""),
            "PhotoGuardAllowNetwork: needs an argument (one or more CIDRs or addresses (IPv4, IPv6) whose clients are allowed)"
        );
        assert_eq!(
            error("PhotoGuardAllowNetwork", "10.0.0.0/8 10.20.16.7/20"),
            "PhotoGuardAllowNetwork: '10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?"
        );
        assert_eq!(
            error("PhotoGuardTrustedProxy", "10.1"),
            "PhotoGuardTrustedProxy: '10.1': partial addresses are not accepted; write 10.1.0.0/16"
        );
        assert_eq!(
            error("PhotoGuardAllowCookie", "LtpaToken2="),
            "PhotoGuardAllowCookie: 'LtpaToken2=': empty value: write the name alone to allow any non-empty value"
        );
        assert_eq!(
            error("PhotoGuardClientIPHeader", "X Forwarded"),
            "PhotoGuardClientIPHeader: takes one argument, got 2"
        );
        assert_eq!(
            error("PhotoGuardClientIPHeader", "\"X:F\""),
            "PhotoGuardClientIPHeader: 'X:F' is not a header name"
        );
        assert_eq!(
            error("PhotoGuardDenyAction", "401"),
            "PhotoGuardDenyAction: '401': expected 403, 404 or redirect URL"
        );
        assert_eq!(
            error("PhotoGuardDenyAction", "redirect"),
            "PhotoGuardDenyAction: 'redirect' needs a URL"
        );
        assert_eq!(
            error("PhotoGuardDenyAction", "redirect www.example.com"),
            "PhotoGuardDenyAction: 'www.example.com': a redirect goes to an http(s):// URL or a /path"
        );
        assert_eq!(
            error(
                "PhotoGuardDenyAction",
                "redirect \"https://x/\r\nSet-Cookie: a=b\""
            ),
            "PhotoGuardDenyAction: 'https://x/\r\nSet-Cookie: a=b': a redirect URL cannot contain spaces or control characters"
        );
        assert_eq!(
            error("PhotoGuardMode", "dry-run"),
            "PhotoGuardMode: 'dry-run': expected enforce or report"
        );
        assert_eq!(
            error("PhotoGuardDenyAction", "redirect \"https://x/"),
            "PhotoGuardDenyAction: unterminated quote in the arguments"
        );
        assert_eq!(
            error("PhotoGuardAllowEverything", "On"),
            "PhotoGuardAllowEverything: not a photoguard directive"
        );
    }

    #[test]
    fn a_failed_directive_leaves_the_scope_unchanged() {
        let mut s = seed();
        assert!(
            s.apply("PhotoGuardAllowNetwork", "10.99.0.0/16 bogus", &ctx(30))
                .is_err()
        );
        assert_eq!(s.networks().unwrap().rules().len(), 4);
    }

    #[test]
    fn unparsable_peer_text_gives_no_decision() {
        assert!(seed().evaluate_text("not-an-ip", None, None).is_none());
    }
}
