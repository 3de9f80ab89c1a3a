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
use super::directive::{ConfigError, DirectiveInfo, DirectiveKind, quoted};
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

/// The name of the header trusted proxies put the client address in. Not
/// one that the client (or its browser) writes, nor one that carries
/// credentials: its value decides who the client is.
fn check_client_ip_header(header: &str) -> Result<CString, String> {
    const SET_BY_THE_CLIENT: &[(&str, &str)] = &[
        (
            "Host",
            "the client writes it (it names the site asked for) and proxies pass it on",
        ),
        (
            "Cookie",
            "the browser sends it and the client controls what it holds",
        ),
        ("Authorization", "it carries the client's credentials"),
        ("Proxy-Authorization", "it carries the client's credentials"),
    ];
    let advice = "name the header your trusted proxies set, e.g. X-Forwarded-For";
    if header.is_empty() {
        return Err(format!("the header name is empty; {advice}"));
    }
    if !header.bytes().all(is_token_byte) {
        return Err(format!("{} is not a header name", quoted(header)));
    }
    if let Some((_, why)) = SET_BY_THE_CLIENT
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(header))
    {
        return Err(format!(
            "{} cannot hold the client address: {why}; {advice}",
            quoted(header)
        ));
    }
    CString::new(header).map_err(|_| format!("{} is not a header name", quoted(header)))
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

/// The largest network file read: far above any real list (100,000 IPv6
/// CIDRs are about 4 MiB), far below what would hurt a server.
pub const NETWORK_FILE_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a network file: one entry a line, `#` starts a comment, blank lines
/// are skipped. An error names the file and line, and quotes at most the
/// offending token (escaped, cut to about 64 characters): the file may be
/// anything a path names, and its text goes to the error log.
///
/// Only a regular file of at most [`NETWORK_FILE_MAX_BYTES`] is read: a FIFO
/// would hang `apachectl -t` (or, in `.htaccess`, a worker per request), a
/// device such as `/dev/zero` never ends.
pub fn read_network_file(path: &Path) -> Result<Vec<NetRule>, String> {
    let shown = path.display();
    let bytes = read_regular_file(path, NETWORK_FILE_MAX_BYTES)?;
    let origin = Origin::new(path.to_string_lossy().as_ref(), 0);
    let mut rules = Vec::with_capacity(memchr::memchr_iter(b'\n', &bytes).count() + 1);
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let number = index as u32 + 1;
        if line.contains(&0) {
            return Err(format!(
                "{shown}:{number}: a NUL byte: this is not a text file of networks"
            ));
        }
        let entry = line.split(|&b| b == b'#').next().unwrap_or(b"");
        let mut tokens = entry
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty());
        let Some(token) = tokens.next() else { continue };
        let at = format!("{shown}:{number}");
        let Some(token) = address_like(token) else {
            return Err(format!("{at}: {NOT_AN_ADDRESS}"));
        };
        if let Some(extra) = tokens.next() {
            let extra = address_like(extra).map_or("more text".into(), quoted);
            return Err(format!(
                "{at}: one entry a line, but {extra} follows {}",
                quoted(token)
            ));
        }
        let net = parse_network(token).map_err(|e| format!("{at}: {e}"))?;
        rules.push(NetRule::new(net, token, origin.at_line(number)));
    }
    if rules.is_empty() {
        return Err(format!("{shown}: no networks in the file"));
    }
    Ok(rules)
}

/// Said of an entry in a network file that is not quoted.
const NOT_AN_ADDRESS: &str =
    "not an address or CIDR: the entry has characters no address has (is this a network file?)";

/// `token` as text, if it consists of what an address, a CIDR or a near miss
/// (`10.0.0.0-10.0.0.255`, `[2001:db8::1]`, `10.0.0.0/8;`) consists of.
/// Only such tokens of a network file are quoted in errors: the path may
/// name any file the server can read (`/etc/passwd`, whose first line is one
/// token), and the error log is no place for its contents.
fn address_like(token: &[u8]) -> Option<&str> {
    if token
        .iter()
        .all(|b| b.is_ascii_hexdigit() || b".:/-,;%[]".contains(b))
    {
        std::str::from_utf8(token).ok()
    } else {
        None
    }
}

/// The whole content of `path`, if it is a regular file of at most `cap`
/// bytes. What the path names is checked before it is opened (opening a FIFO
/// blocks until a writer comes), the file is opened non-blocking in case it
/// was swapped meanwhile and checked again, and at most `cap + 1` bytes are
/// read whatever its size claims.
fn read_regular_file(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display();
    let cannot = |e: std::io::Error| format!("cannot read {shown}: {e}");
    let check = |meta: &std::fs::Metadata| -> Result<(), String> {
        if !meta.is_file() {
            return Err(format!(
                "{shown} is {}, not a regular file; a network file must be a plain text file",
                file_kind(meta)
            ));
        }
        if meta.len() > cap {
            return Err(format!(
                "{shown} is {} bytes, more than a network file may have ({} MiB)",
                meta.len(),
                cap / (1024 * 1024)
            ));
        }
        Ok(())
    };
    check(&std::fs::metadata(path).map_err(cannot)?)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    check(&meta)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > cap {
        return Err(format!(
            "{shown} has more than {} MiB, more than a network file may have",
            cap / (1024 * 1024)
        ));
    }
    Ok(bytes)
}

/// What a path names, for an admin: "a directory", "a named pipe (FIFO)".
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

fn parse_deny_action(words: &[String]) -> Result<DenyAction, String> {
    match words {
        [code] if code == "403" => Ok(DenyAction::Forbidden),
        [code] if code == "404" => Ok(DenyAction::NotFound),
        [kw] if kw.eq_ignore_ascii_case("redirect") => Err("'redirect' needs a URL".into()),
        [kw, url] if kw.eq_ignore_ascii_case("redirect") => {
            check_redirect_target(url)?;
            Ok(DenyAction::Redirect(url.as_str().into()))
        }
        _ => Err(format!(
            "{}: expected 403, 404 or redirect URL",
            quoted(words.join(" "))
        )),
    }
}

/// A redirect goes to an absolute `http`/`https` URL with a host, or to a
/// path on this site starting with a single `/`. Browsers read `//host/`
/// and `/\host/` as another host, and a backslash as a slash.
fn check_redirect_target(url: &str) -> Result<(), String> {
    let shown = quoted(url);
    if url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(format!(
            "{shown}: a redirect URL cannot contain spaces or control characters"
        ));
    }
    if url.contains('\\') {
        return Err(format!(
            "{shown}: a redirect URL cannot contain a backslash (browsers read it as /); write %5C"
        ));
    }
    let scheme_end = url.find("://");
    let absolute = scheme_end.is_some_and(|end| {
        url[..end].eq_ignore_ascii_case("http") || url[..end].eq_ignore_ascii_case("https")
    });
    if let (true, Some(end)) = (absolute, scheme_end) {
        let rest = &url[end + 3..];
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = match host_port.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host_port.split(':').next().unwrap_or(""),
        };
        if host.is_empty() {
            return Err(format!(
                "{shown}: a redirect URL needs a host, e.g. https://www.example.com/"
            ));
        }
        return Ok(());
    }
    match url.as_bytes() {
        [b'/', b'/', ..] => Err(format!(
            "{shown}: browsers read a target starting with // as another host; write https://host/... or a path with a single /"
        )),
        [b'/', ..] => Ok(()),
        _ => Err(format!(
            "{shown}: a redirect goes to an http(s):// URL or a /path"
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
        assert!(
            err("two.txt")
                .ends_with("two.txt:1: one entry a line, but '10.1.0.0/16' follows '10.0.0.0/8'")
        );
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
            "PhotoGuardDenyAction: 'https://x/\\x0D\\x0ASet-Cookie: a=b': a redirect URL cannot contain spaces or control characters"
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
    fn a_trailing_comment_is_refused_in_every_directive() {
        const WHY: &str = "Apache has no trailing comments; put the comment on its own line";
        assert_eq!(
            error(
                "PhotoGuardAllowCookie",
                "LtpaToken LtpaToken2 # SSO cookies"
            ),
            format!("PhotoGuardAllowCookie: '# SSO cookies': {WHY}")
        );
        assert_eq!(
            error("PhotoGuardAllowNetwork", "10.0.0.0/8 #office"),
            format!("PhotoGuardAllowNetwork: '#office': {WHY}")
        );
        // Said before "takes one argument", which would hide the cause.
        for (name, args) in [
            ("PhotoGuard", "On # gate"),
            ("PhotoGuardMode", "report # for now"),
            ("PhotoGuardClientIPHeader", "X-Real-IP # from the F5"),
            ("PhotoGuardDenyAction", "403 # default"),
            ("PhotoGuardDenyAction", "redirect / #home"),
            ("PhotoGuardTrustedProxy", "127.0.0.1 # proxy"),
            ("PhotoGuardAllowNetworkFile", "conf/nets.txt # list"),
            ("photoguardallowcookie", "#"),
        ] {
            let message = error(name, args);
            assert!(message.ends_with(WHY), "{name} {args}: {message}");
        }
        // A # inside a word is not a comment.
        scope(&[("PhotoGuardAllowCookie", "a#b")]);
        assert!(
            ScopeConfig::new()
                .apply(
                    "PhotoGuardDenyAction",
                    "redirect https://www.example.com/#top",
                    &ctx(1)
                )
                .is_ok()
        );
    }

    #[test]
    fn client_ip_header_refuses_headers_a_client_controls_or_credentials() {
        let advice = "name the header your trusted proxies set, e.g. X-Forwarded-For";
        assert_eq!(
            error("PhotoGuardClientIPHeader", "Host"),
            format!(
                "PhotoGuardClientIPHeader: 'Host' cannot hold the client address: the client writes it (it names the site asked for) and proxies pass it on; {advice}"
            )
        );
        assert_eq!(
            error("PhotoGuardClientIPHeader", "cookie"),
            format!(
                "PhotoGuardClientIPHeader: 'cookie' cannot hold the client address: the browser sends it and the client controls what it holds; {advice}"
            )
        );
        for credentials in ["Authorization", "AUTHORIZATION", "proxy-authorization"] {
            assert_eq!(
                error("PhotoGuardClientIPHeader", credentials),
                format!(
                    "PhotoGuardClientIPHeader: '{credentials}' cannot hold the client address: it carries the client's credentials; {advice}"
                )
            );
        }
        assert_eq!(
            error("PhotoGuardClientIPHeader", "\"\""),
            format!("PhotoGuardClientIPHeader: the header name is empty; {advice}")
        );
        assert_eq!(
            error("PhotoGuardClientIPHeader", "''"),
            format!("PhotoGuardClientIPHeader: the header name is empty; {advice}")
        );
        for fine in ["X-Forwarded-For", "X-Real-IP", "True-Client-IP", "Hosts"] {
            let s = scope(&[("PhotoGuardClientIPHeader", fine)]);
            assert_eq!(s.client_ip_header(), fine);
        }
    }

    #[test]
    fn redirect_targets_are_http_urls_with_a_host_or_local_paths() {
        for good in [
            "https://www.example.com/",
            "http://www.example.com",
            "HTTPS://www.example.com/login?next=/photos",
            "https://[2001:db8::1]:8443/x",
            "https://user@www.example.com/",
            "https://www.example.com?x=1",
            "/",
            "/denied.html",
            "/login?next=//x",
        ] {
            let s = scope(&[("PhotoGuardDenyAction", &format!("redirect {good}"))]);
            assert_eq!(s.deny_action(), &DenyAction::Redirect(good.into()));
        }
        let no_host = "a redirect URL needs a host, e.g. https://www.example.com/";
        for bad in [
            "http://",
            "https://",
            "https:///",
            "http:///x",
            "https://?x",
            "https://#x",
            "https://:443/",
            "https://user@/",
            "https://[]/",
        ] {
            assert_eq!(
                error("PhotoGuardDenyAction", &format!("redirect {bad}")),
                format!("PhotoGuardDenyAction: '{bad}': {no_host}")
            );
        }
        assert_eq!(
            error("PhotoGuardDenyAction", "redirect //evil.example/"),
            "PhotoGuardDenyAction: '//evil.example/': browsers read a target starting with // as another host; write https://host/... or a path with a single /"
        );
        for backslash in [
            "/\\evil.example/",
            "\\\\evil.example/",
            "https://www.example.com\\@evil.example/",
        ] {
            assert_eq!(
                error("PhotoGuardDenyAction", &format!("redirect {backslash}")),
                format!(
                    "PhotoGuardDenyAction: '{backslash}': a redirect URL cannot contain a backslash (browsers read it as /); write %5C"
                )
            );
        }
        for other in [
            "ftp://x/",
            "javascript:alert(1)",
            "http:/x",
            "www.example.com",
        ] {
            assert_eq!(
                error("PhotoGuardDenyAction", &format!("redirect {other}")),
                format!(
                    "PhotoGuardDenyAction: '{other}': a redirect goes to an http(s):// URL or a /path"
                )
            );
        }
    }

    #[test]
    fn network_files_must_be_small_regular_text_files() {
        let dir = std::env::temp_dir().join(format!("photoguard-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let root = DirectiveContext {
            origin: Origin::new("photos.conf", 3),
            server_root: Some(&dir),
        };
        let err = |file: &str| {
            ScopeConfig::new()
                .apply("PhotoGuardAllowNetworkFile", file, &root)
                .unwrap_err()
                .to_string()
        };
        let shown = |file: &str| dir.join(file).display().to_string();

        // A FIFO is refused without opening it (which would block forever).
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            assert_eq!(
                err("fifo"),
                format!(
                    "PhotoGuardAllowNetworkFile: {} is a named pipe (FIFO), not a regular file; a network file must be a plain text file",
                    shown("fifo")
                )
            );
        }
        assert!(err(dir.to_str().unwrap()).ends_with(
            "is a directory, not a regular file; a network file must be a plain text file"
        ));
        assert_eq!(
            err("/dev/zero"),
            "PhotoGuardAllowNetworkFile: /dev/zero is a character device, not a regular file; a network file must be a plain text file"
        );
        // A symbolic link to a regular file is fine.
        std::fs::write(dir.join("nets.txt"), "10.0.0.0/8\n").unwrap();
        let _ = std::fs::remove_file(dir.join("link.txt"));
        std::os::unix::fs::symlink(dir.join("nets.txt"), dir.join("link.txt")).unwrap();
        assert!(
            ScopeConfig::new()
                .apply("PhotoGuardAllowNetworkFile", "link.txt", &root)
                .is_ok()
        );

        // Over the cap: refused by its size, without reading it.
        let big = std::fs::File::create(dir.join("big.txt")).unwrap();
        big.set_len(NETWORK_FILE_MAX_BYTES + 1).unwrap();
        assert_eq!(
            err("big.txt"),
            format!(
                "PhotoGuardAllowNetworkFile: {} is 67108865 bytes, more than a network file may have (64 MiB)",
                shown("big.txt")
            )
        );
        std::fs::remove_file(dir.join("big.txt")).unwrap();
        let small = dir.join("small.txt");
        std::fs::write(&small, "10.0.0.0/8\n").unwrap();
        assert!(read_regular_file(&small, 11).is_ok());
        assert_eq!(
            read_regular_file(&small, 10).unwrap_err(),
            format!(
                "{} is 11 bytes, more than a network file may have (0 MiB)",
                small.display()
            )
        );

        // Contents of an arbitrary file: at most the offending token, and
        // only one made of what addresses are made of (escaped and cut),
        // never a line of, say, /etc/passwd.
        let not_an_address = "not an address or CIDR: the entry has characters no address has (is this a network file?)";
        std::fs::write(
            dir.join("passwd"),
            "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:\n",
        )
        .unwrap();
        assert_eq!(
            err("passwd"),
            format!(
                "PhotoGuardAllowNetworkFile: {}:1: {not_an_address}",
                shown("passwd")
            )
        );
        for (file, text) in [
            ("secret.txt", &b"password = hunter2\n"[..]),
            ("escape.txt", b"10.0.0.0/8\n\x1b]0;owned\x07\n"),
            ("latin1.txt", b"10.0.0.0/8\ncaf\xe9\n"),
            ("ctl.txt", b"10.0.0.0/8\x7f\n"),
        ] {
            std::fs::write(dir.join(file), text).unwrap();
            let message = err(file);
            assert!(message.ends_with(not_an_address), "{message}");
            assert!(!message.contains('\''), "{message}");
        }
        std::fs::write(dir.join("more.txt"), "10.0.0.0/8 ; office hours\n").unwrap();
        assert!(
            err("more.txt").ends_with("more.txt:1: one entry a line, but ';' follows '10.0.0.0/8'"),
        );
        std::fs::write(dir.join("words.txt"), "10.0.0.0/8 office\n").unwrap();
        assert!(
            err("words.txt")
                .ends_with("words.txt:1: one entry a line, but more text follows '10.0.0.0/8'"),
        );
        std::fs::write(dir.join("range.txt"), "10.0.0.0-10.0.0.255\n").unwrap();
        assert!(
            err("range.txt")
                .ends_with("range.txt:1: '10.0.0.0-10.0.0.255': not an IPv4 or IPv6 address"),
        );
        let long = format!("{}/8\n", "1".repeat(5000));
        std::fs::write(dir.join("long.txt"), long).unwrap();
        let message = err("long.txt");
        assert!(
            message.ends_with(&format!(
                "long.txt:1: '{}...': not an IPv4 or IPv6 address",
                "1".repeat(64)
            )),
            "{message}"
        );
        // A NUL byte says so (a C string would be cut there).
        std::fs::write(dir.join("nul.txt"), b"10.0.0.0/8\n10.1.\x000.0/16\n").unwrap();
        assert_eq!(
            err("nul.txt"),
            format!(
                "PhotoGuardAllowNetworkFile: {}:2: a NUL byte: this is not a text file of networks",
                shown("nul.txt")
            )
        );
        // CRLF files and comments in other encodings are fine.
        std::fs::write(dir.join("crlf.txt"), b"10.0.0.0/8\r\n# caf\xe9\r\n\r\n").unwrap();
        assert!(
            ScopeConfig::new()
                .apply("PhotoGuardAllowNetworkFile", "crlf.txt", &root)
                .is_ok()
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn broad_ipv6_rules_do_not_allow_ipv4_clients() {
        let s = scope(&[("PhotoGuard", "On"), ("PhotoGuardAllowNetwork", "::/64")]);
        assert_eq!(
            decide(&s, "127.9.9.9", None, None),
            "deny (403): no rule matched"
        );
        assert_eq!(
            decide(&s, "::ffff:127.9.9.9", None, None),
            "deny (403): no rule matched"
        );
        assert_eq!(
            decide(&s, "::1", None, None),
            "allow: network ::/64 (photos.conf:11)"
        );
        let mapped = scope(&[
            ("PhotoGuard", "On"),
            ("PhotoGuardAllowNetwork", "::ffff:127.9.0.0/112"),
        ]);
        assert_eq!(
            decide(&mapped, "127.9.9.9", None, None),
            "allow: network ::ffff:127.9.0.0/112 (photos.conf:11)"
        );
        assert_eq!(
            decide(&mapped, "127.10.9.9", None, None),
            "deny (403): no rule matched"
        );
        // A trusted proxy written as ::/0 trusts no IPv4 peer.
        let proxied = scope(&[
            ("PhotoGuard", "On"),
            ("PhotoGuardAllowNetwork", "10.0.0.0/8"),
            ("PhotoGuardTrustedProxy", "::/0"),
        ]);
        assert_eq!(
            decide(&proxied, "127.0.0.1", None, Some("10.1.1.1")),
            "deny (403): no rule matched"
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
