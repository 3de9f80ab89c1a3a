//! `photoguard lint`: every error httpd would refuse to start with (the
//! engine's own messages, with file and line), and warnings about policies
//! that are legal but probably not meant.
//!
//! Exit status: 0 clean, 1 warnings only, 2 errors.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use ipnet::IpNet;

use photoguard_engine::network::NetRule;
use photoguard_engine::{DirectiveInfo, DirectiveKind, Mode, Origin};

use super::CommandOutput;
use super::httpd_conf::{Directive, load};
use super::sections::Policy;

#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    pub config: PathBuf,
    pub server_root: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding: `photos.conf:14: warning: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub file: String,
    pub line: u32,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        if self.line == 0 {
            write!(f, "{}: {severity}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}: {severity}: {}",
                self.file, self.line, self.message
            )
        }
    }
}

fn warning(origin: &Origin, message: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Warning,
        file: origin.file().to_string(),
        line: origin.line(),
        message: message.into(),
    }
}

pub fn run_lint(options: &LintOptions) -> CommandOutput {
    let findings = lint(options);
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let mut stdout: String = findings.iter().map(|f| format!("{f}\n")).collect();
    if findings.is_empty() {
        stdout.push_str(&format!(
            "{}: no problems found\n",
            options.config.display()
        ));
    } else {
        stdout.push_str(&format!("{errors} error(s), {warnings} warning(s)\n"));
    }
    let code = if errors > 0 {
        2
    } else if warnings > 0 {
        1
    } else {
        0
    };
    CommandOutput {
        stdout,
        stderr: String::new(),
        code,
    }
}

/// All findings for a config: errors first, then warnings in config order.
pub fn lint(options: &LintOptions) -> Vec<Finding> {
    let config = load(&options.config, options.server_root.as_deref());
    let policy = Policy::build(&config);
    let mut findings: Vec<Finding> = config
        .errors
        .iter()
        .chain(&policy.errors)
        .map(|d| Finding {
            severity: Severity::Error,
            file: d.file.clone(),
            line: d.line,
            message: d.message.clone(),
        })
        .collect();
    for index in 0..policy.sections.len() {
        lint_section(&policy, index, &mut findings);
    }
    findings
}

fn lint_section(policy: &Policy, index: usize, findings: &mut Vec<Finding>) {
    let built = &policy.sections[index];
    let scope = &built.scope;
    if let Some(networks) = scope.networks() {
        overlaps("PhotoGuardAllowNetwork", networks.rules(), findings);
        for rule in networks.rules() {
            if let Some(size) = too_broad(rule.net()) {
                findings.push(warning(
                    rule.origin(),
                    format!(
                        "allowed network {} is very broad ({size})",
                        net_text(rule.net())
                    ),
                ));
            }
        }
    }
    if let Some(proxies) = scope.trusted_proxies() {
        overlaps("PhotoGuardTrustedProxy", proxies.rules(), findings);
        for rule in proxies.rules() {
            if let Some(size) = too_broad(rule.net()) {
                findings.push(warning(
                    rule.origin(),
                    format!("trusted proxy range {} is very broad ({size}): any client in it can claim any address", net_text(rule.net())),
                ));
            } else if !is_private(rule.net()) {
                findings.push(warning(
                    rule.origin(),
                    format!(
                        "trusted proxy {} is outside private ranges: its X-Forwarded-For header is believed, so make sure it is really your proxy",
                        net_text(rule.net())
                    ),
                ));
            }
        }
    }
    if let Some(cookies) = scope.cookies() {
        cookie_overlaps(cookies.rules(), findings);
    }

    let directives: Vec<&Directive> = built.section.photoguard_directives().collect();
    let kind_of = |d: &Directive| DirectiveInfo::lookup(&d.name).map(|info| info.kind);
    let turned_on = directives
        .iter()
        .rev()
        .find(|d| kind_of(d) == Some(DirectiveKind::Enable))
        .filter(|_| scope.enabled_setting() == Some(true));
    if let Some(on) = turned_on {
        if !policy.enclosed_scope(index).has_allow_rules() {
            findings.push(warning(
                &on.origin,
                format!(
                    "PhotoGuard is On in {} with no allow rule here or around it: it denies everyone (unless a section that also matches adds rules)",
                    built.section
                ),
            ));
        }
    }
    if scope.mode() == Mode::Report && scope.enabled_setting() != Some(false) {
        if let Some(report) = directives
            .iter()
            .rev()
            .find(|d| kind_of(d) == Some(DirectiveKind::Mode))
        {
            findings.push(warning(
                &report.origin,
                "report mode is on: requests that would be denied are let through and only logged",
            ));
        }
    }
    let first_rule = directives
        .iter()
        .find(|d| !matches!(kind_of(d), Some(DirectiveKind::Enable) | None));
    if let Some(rule) = first_rule {
        if !turned_on_anywhere_for(policy, index) {
            findings.push(warning(
                &rule.origin,
                format!("{} has PhotoGuard rules but PhotoGuard is never turned On where they apply: they have no effect", built.section),
            ));
        }
    }
}

/// Whether `PhotoGuard On` appears in any section that can be merged with
/// section `index` for some request: a virtual host's sections meet the main
/// server's and their own; the main server's sections meet everything.
fn turned_on_anywhere_for(policy: &Policy, index: usize) -> bool {
    let own_vhost = policy.vhost_of(index);
    policy.sections.iter().enumerate().any(|(i, built)| {
        let reachable = match (own_vhost, policy.vhost_of(i)) {
            (None, _) => true,
            (Some(_), None) => true,
            (Some(mine), Some(theirs)) => mine == theirs,
        };
        reachable && built.scope.enabled_setting() == Some(true)
    })
}

/// A network as admins write it: a single host without its /32 or /128.
fn net_text(net: IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// Very broad: an IPv4 prefix shorter than /8, an IPv6 one shorter than /16.
fn too_broad(net: IpNet) -> Option<String> {
    let (prefix, limit) = match net {
        IpNet::V4(n) => (n.prefix_len(), 8),
        IpNet::V6(n) => (n.prefix_len(), 16),
    };
    (prefix < limit).then(|| {
        if prefix == 0 {
            "every address".to_string()
        } else {
            format!("a /{prefix}, shorter than /{limit}")
        }
    })
}

/// RFC 1918, loopback, link-local and unique-local ranges.
fn is_private(net: IpNet) -> bool {
    const PRIVATE: &[&str] = &[
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    ];
    PRIVATE.iter().any(|p| {
        p.parse::<IpNet>()
            .is_ok_and(|private| private.contains(&net))
    })
}

/// A rule's range as numbers in one family's space; IPv4-mapped IPv6
/// ranges count as IPv4, as the engine matches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Span {
    family: u8,
    first: u128,
    /// Larger ranges sort first among those with the same start.
    neg_last: std::cmp::Reverse<u128>,
    index: usize,
}

fn span(net: IpNet, index: usize) -> Span {
    let mapped_v4 = match net {
        IpNet::V6(n) if n.prefix_len() >= 96 => n
            .network()
            .to_ipv4_mapped()
            .map(|v4| (v4, n.prefix_len() - 96)),
        _ => None,
    };
    let (family, first, last) = match (net, mapped_v4) {
        (_, Some((v4, prefix))) => {
            let first = u32::from(v4);
            (
                4,
                u128::from(first),
                u128::from(first) + ((1u128 << (32 - prefix)) - 1),
            )
        }
        (IpNet::V4(n), None) => (
            4,
            u128::from(u32::from(n.network())),
            u128::from(u32::from(n.broadcast())),
        ),
        (IpNet::V6(n), None) => (6, u128::from(n.network()), u128::from(n.broadcast())),
    };
    Span {
        family,
        first,
        neg_last: std::cmp::Reverse(last),
        index,
    }
}

/// Duplicates and ranges inside other ranges of one list, by sorting and
/// one sweep with a stack of the ranges still open (CIDR ranges are nested
/// or disjoint): O(n log n) for lists of any length.
fn overlaps(directive: &str, rules: &[NetRule], findings: &mut Vec<Finding>) {
    let mut spans: Vec<Span> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| span(r.net(), i))
        .collect();
    spans.sort_unstable();
    let mut open: Vec<Span> = Vec::new();
    for current in spans {
        while open
            .last()
            .is_some_and(|top| top.family != current.family || top.neg_last.0 < current.first)
        {
            open.pop();
        }
        if let Some(outer) = open.last() {
            let (inner_rule, outer_rule) = (&rules[current.index], &rules[outer.index]);
            if outer.first == current.first && outer.neg_last == current.neg_last {
                // The first one written stays on the stack to be named.
                let message = format!(
                    "{directive} {} is listed twice (also at {})",
                    net_text(inner_rule.net()),
                    outer_rule.origin()
                );
                findings.push(warning(inner_rule.origin(), message));
                continue;
            }
            let message = {
                format!(
                    "{directive} {} is inside {} ({}), so it adds nothing",
                    net_text(inner_rule.net()),
                    net_text(outer_rule.net()),
                    outer_rule.origin()
                )
            };
            findings.push(warning(inner_rule.origin(), message));
        }
        open.push(current);
    }
}

/// Repeated cookie rules, and `NAME=VALUE` next to `NAME` (which already
/// allows any non-empty value).
fn cookie_overlaps(rules: &[photoguard_engine::cookie::CookieRule], findings: &mut Vec<Finding>) {
    let mut by_name: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (i, rule) in rules.iter().enumerate() {
        by_name.entry(rule.name()).or_default().push(i);
    }
    for (i, rule) in rules.iter().enumerate() {
        let name = String::from_utf8_lossy(rule.name());
        let same_name = &by_name[rule.name()];
        let earlier_same = same_name
            .iter()
            .find(|&&j| j < i && rules[j].value() == rule.value());
        let any_value = same_name
            .iter()
            .find(|&&j| j != i && rules[j].value().is_none());
        if let Some(&j) = earlier_same {
            findings.push(warning(
                rule.origin(),
                format!(
                    "PhotoGuardAllowCookie {} is listed twice (also at {})",
                    written(rule),
                    rules[j].origin()
                ),
            ));
        } else if let (Some(&j), Some(_)) = (any_value, rule.value()) {
            findings.push(warning(
                rule.origin(),
                format!("PhotoGuardAllowCookie {} adds nothing: {name} alone ({}) already allows any non-empty value", written(rule), rules[j].origin()),
            ));
        }
    }
}

fn written(rule: &photoguard_engine::cookie::CookieRule) -> String {
    match rule.value() {
        Some(value) => format!(
            "{}={}",
            String::from_utf8_lossy(rule.name()),
            String::from_utf8_lossy(value)
        ),
        None => String::from_utf8_lossy(rule.name()).into_owned(),
    }
}

/// For tests and callers that hold addresses: whether a trusted proxy would
/// be reported as public.
pub fn is_private_address(addr: IpAddr) -> bool {
    is_private(IpNet::from(addr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use photoguard_engine::network::parse_network;

    fn rules(tokens: &[&str]) -> Vec<NetRule> {
        tokens
            .iter()
            .enumerate()
            .map(|(i, t)| {
                NetRule::new(
                    parse_network(t).unwrap(),
                    t,
                    Origin::new("p.conf", i as u32 + 1),
                )
            })
            .collect()
    }

    fn overlap_messages(tokens: &[&str]) -> Vec<String> {
        let mut findings = Vec::new();
        overlaps("PhotoGuardAllowNetwork", &rules(tokens), &mut findings);
        findings.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn shadowed_and_duplicate_ranges_name_both_places() {
        let messages = overlap_messages(&[
            "10.20.17.0/24",
            "10.20.16.0/20",
            "192.0.2.10",
            "10.20.16.0/20",
            "2001:db8::/32",
            "2001:db8:1::/48",
            "10.0.0.0/8",
        ]);
        assert_eq!(
            messages,
            [
                "p.conf:2: warning: PhotoGuardAllowNetwork 10.20.16.0/20 is inside 10.0.0.0/8 (p.conf:7), so it adds nothing",
                "p.conf:4: warning: PhotoGuardAllowNetwork 10.20.16.0/20 is listed twice (also at p.conf:2)",
                "p.conf:1: warning: PhotoGuardAllowNetwork 10.20.17.0/24 is inside 10.20.16.0/20 (p.conf:2), so it adds nothing",
                "p.conf:6: warning: PhotoGuardAllowNetwork 2001:db8:1::/48 is inside 2001:db8::/32 (p.conf:5), so it adds nothing",
            ]
        );
    }

    #[test]
    fn mapped_ipv6_ranges_compare_as_ipv4() {
        let messages = overlap_messages(&["10.0.0.0/8", "::ffff:10.1.0.0/112"]);
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].contains("::ffff:10.1.0.0/112 is inside 10.0.0.0/8"));
    }

    #[test]
    fn disjoint_neighbours_are_fine() {
        assert!(
            overlap_messages(&[
                "10.0.0.0/9",
                "10.128.0.0/9",
                "11.0.0.0/8",
                "::/1",
                "8000::/1"
            ])
            .is_empty()
        );
    }

    #[test]
    fn sweep_handles_a_hundred_thousand_ranges() {
        // 100,000 distinct /32s inside one /8, plus the /8: every /32 is
        // reported once, against the /8. (Correctness at size; the sort
        // keeps it O(n log n).)
        let mut tokens: Vec<String> = (0..100_000u32)
            .map(|i| std::net::Ipv4Addr::from(0x0A00_0000 + i * 7).to_string())
            .collect();
        tokens.push("10.0.0.0/8".into());
        let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
        let messages = overlap_messages(&refs);
        assert_eq!(messages.len(), 100_000);
        assert!(messages.iter().all(|m| m.contains("inside 10.0.0.0/8")));
    }

    #[test]
    fn broad_and_public_ranges() {
        assert_eq!(
            too_broad("0.0.0.0/0".parse().unwrap()).as_deref(),
            Some("every address")
        );
        assert!(too_broad("8.0.0.0/7".parse().unwrap()).is_some());
        assert!(too_broad("10.0.0.0/8".parse().unwrap()).is_none());
        assert!(too_broad("::/0".parse().unwrap()).is_some());
        assert!(too_broad("2001::/15".parse().unwrap()).is_some());
        assert!(too_broad("2001:db8::/32".parse().unwrap()).is_none());
        for private in [
            "10.1.2.3",
            "172.31.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(is_private_address(private.parse().unwrap()), "{private}");
        }
        for public in ["192.0.2.10", "172.32.0.1", "8.8.8.8", "2001:db8::1"] {
            assert!(!is_private_address(public.parse().unwrap()), "{public}");
        }
    }
}
