//! mod_remoteip and `PhotoGuardTrustedProxy` trusting the same proxy: both
//! walk the client-IP header, so photoguard (which on 2.4 starts from
//! mod_remoteip's result) decides on one address while `%a` logs another.

use std::collections::HashSet;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use ipnet::{IpNet, Ipv4Net};

use super::layout::{Host, Layout};
use super::{Finding, warning};
use crate::httpd::Directive;
use crate::httpd::lines::first_word;

const PROXY_DIRECTIVES: &[&str] = &[
    "RemoteIPTrustedProxy",
    "RemoteIPInternalProxy",
    "RemoteIPTrustedProxyList",
    "RemoteIPInternalProxyList",
];

/// A list file larger than this is not read (mod_remoteip would read it,
/// but lint is not the place to find out how long that takes).
const LIST_FILE_MAX: u64 = 64 << 20;

/// One proxy mod_remoteip trusts, as written, with its directive.
struct RemoteIpProxy<'c> {
    net: IpNet,
    written: String,
    directive: &'c Directive,
}

impl std::fmt::Display for RemoteIpProxy<'_> {
    /// `RemoteIPInternalProxy 10.0.0.0/8 (site.conf:2)`, or for a list file
    /// `RemoteIPTrustedProxyList proxies.txt (site.conf:3) lists 172.16.0.0/24`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.directive;
        if d.name.to_ascii_lowercase().ends_with("list") {
            write!(
                f,
                "{} {} ({}) lists {}",
                d.name,
                first_word(&d.args).unwrap_or_default(),
                d.origin,
                self.written
            )
        } else {
            write!(f, "{} {} ({})", d.name, self.written, d.origin)
        }
    }
}

pub(super) fn double_walk(layout: &Layout, findings: &mut Vec<Finding>) {
    let policy = layout.policy;
    let mut reported = HashSet::new();
    for &host in layout.hosts() {
        let Some(header) = layout.server_setting(host, "RemoteIPHeader") else {
            continue;
        };
        let header_text = format!(
            "RemoteIPHeader {} ({})",
            first_word(&header.args).unwrap_or_default(),
            header.origin
        );
        let proxies = remoteip_proxies(layout, host);
        for (index, built) in policy.sections.iter().enumerate() {
            if policy.vhost_of(index).is_some_and(|v| Some(v) != host) {
                continue;
            }
            let Some(trusted) = built.scope.trusted_proxies() else {
                continue;
            };
            for rule in trusted.rules() {
                let why = if proxies.is_empty() {
                    format!(
                        "{header_text} with no RemoteIPTrustedProxy or RemoteIPInternalProxy trusts every peer"
                    )
                } else {
                    match proxies.iter().find(|p| overlap(p.net, rule.net())) {
                        Some(p) => format!("{p}, with {header_text}"),
                        None => continue,
                    }
                };
                if !reported.insert((
                    rule.origin().file().to_string(),
                    rule.origin().line(),
                    rule.net(),
                )) {
                    continue;
                }
                findings.push(warning(
                    rule.origin(),
                    format!(
                        "PhotoGuardTrustedProxy {} is also trusted by mod_remoteip ({why}): both would walk the client-IP header, so photoguard decides on one address while %a logs another; trust the proxy in one of them (with mod_remoteip alone, photoguard starts from the address it found)",
                        net_text(rule.net())
                    ),
                ));
            }
        }
    }
}

fn overlap(a: IpNet, b: IpNet) -> bool {
    a.contains(&b) || b.contains(&a)
}

fn net_text(net: IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// The proxies mod_remoteip trusts on a host: the virtual host's list when
/// it sets one, else the main server's (mod_remoteip's merge).
fn remoteip_proxies<'c>(layout: &Layout<'_, 'c>, host: Host) -> Vec<RemoteIpProxy<'c>> {
    let of = |level: usize| -> Vec<&'c Directive> {
        let section = layout.policy.sections[level].section;
        section
            .directives
            .iter()
            .filter(|d| {
                PROXY_DIRECTIVES
                    .iter()
                    .any(|n| d.name.eq_ignore_ascii_case(n))
            })
            .collect()
    };
    let own = host.map(of).unwrap_or_default();
    let directives = if own.is_empty() { of(0) } else { own };
    let server_root = &layout.policy.config.server_root;
    let mut proxies = Vec::new();
    for directive in directives {
        let words = photoguard_engine::tokenize::split_words(&directive.args).unwrap_or_default();
        let tokens: Vec<String> = if directive.name.to_ascii_lowercase().ends_with("list") {
            words
                .first()
                .and_then(|file| read_list(&server_root.join(file)))
                .unwrap_or_default()
        } else {
            words
        };
        proxies.extend(tokens.into_iter().filter_map(|token| {
            Some(RemoteIpProxy {
                net: parse_apr_subnet(&token)?,
                written: token,
                directive,
            })
        }));
    }
    proxies
}

/// The entries of a mod_remoteip list file (`#` starts a comment); `None`
/// when it is not a regular file of a sane size or cannot be read.
fn read_list(path: &Path) -> Option<Vec<String>> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > LIST_FILE_MAX {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(LIST_FILE_MAX)
        .read_to_end(&mut bytes)
        .ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(
        text.lines()
            .flat_map(|line| line.split('#').next().unwrap_or("").split_whitespace())
            .map(str::to_string)
            .collect(),
    )
}

/// An address or network as APR reads mod_remoteip's entries: `10.0.0.1`,
/// `10.0.0.0/8`, `10.0.0.0/255.0.0.0`, the partial `10.1` (10.1.0.0/16),
/// IPv6 with a prefix; host names are not resolved (`None`).
fn parse_apr_subnet(token: &str) -> Option<IpNet> {
    let Some((addr, mask)) = token.split_once('/') else {
        return token
            .parse::<IpAddr>()
            .ok()
            .map(IpNet::from)
            .or_else(|| partial_ipv4(token));
    };
    let ip: IpAddr = addr.parse().ok()?;
    let net = match (ip, mask.parse::<u8>(), mask.parse::<Ipv4Addr>()) {
        (ip, Ok(prefix), _) => IpNet::new(ip, prefix).ok()?,
        (IpAddr::V4(v4), _, Ok(netmask)) => IpNet::V4(Ipv4Net::with_netmask(v4, netmask).ok()?),
        _ => return None,
    };
    Some(net.trunc())
}

/// `10`, `10.1`, `10.1.2`: the network of that many leading octets.
fn partial_ipv4(token: &str) -> Option<IpNet> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() >= 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (octet, part) in octets.iter_mut().zip(&parts) {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    IpNet::new(IpAddr::V4(Ipv4Addr::from(octets)), 8 * parts.len() as u8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apr_subnets() {
        let net = |t: &str| parse_apr_subnet(t).map(|n| n.to_string());
        assert_eq!(net("10.0.0.1").as_deref(), Some("10.0.0.1/32"));
        assert_eq!(net("10.0.0.0/8").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(net("10.0.0.0/255.255.0.0").as_deref(), Some("10.0.0.0/16"));
        assert_eq!(net("10.1").as_deref(), Some("10.1.0.0/16"));
        assert_eq!(net("2001:db8::/32").as_deref(), Some("2001:db8::/32"));
        assert_eq!(net("proxy.example.com"), None);
    }
}
