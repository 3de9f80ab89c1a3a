//! Lint's warnings about the network lists of one section
//! (`PhotoGuardAllowNetwork`, `PhotoGuardTrustedProxy`): entries listed
//! twice or inside another entry, ranges too broad to be meant, IPv6 ranges
//! that contain the IPv4-mapped block (and so look as if they allowed IPv4
//! clients, which they do not), and trusted proxies outside private ranges.

use std::net::IpAddr;

use ipnet::IpNet;

use photoguard_engine::ScopeConfig;
use photoguard_engine::network::{NetRule, covers_ipv4_mapped};

use super::{Finding, warning};

/// Which list a rule is in: the same checks, worded for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NetworkList {
    Allowed,
    TrustedProxies,
}

/// The warnings about both network lists of a section's own scope.
pub(super) fn network_warnings(scope: &ScopeConfig, findings: &mut Vec<Finding>) {
    if let Some(networks) = scope.networks() {
        list_warnings(NetworkList::Allowed, networks.rules(), findings);
    }
    if let Some(proxies) = scope.trusted_proxies() {
        list_warnings(NetworkList::TrustedProxies, proxies.rules(), findings);
    }
}

fn list_warnings(list: NetworkList, rules: &[NetRule], findings: &mut Vec<Finding>) {
    let directive = match list {
        NetworkList::Allowed => "PhotoGuardAllowNetwork",
        NetworkList::TrustedProxies => "PhotoGuardTrustedProxy",
    };
    overlaps(directive, rules, findings);
    for rule in rules {
        let net = net_text(rule.net());
        if list == NetworkList::Allowed && covers_ipv4_mapped(rule.net()) {
            findings.push(warning(
                rule.origin(),
                format!(
                    "allowed network {net} contains ::ffff:0:0/96 but lets in no IPv4 client (IPv4 clients, also when they connect as ::ffff:a.b.c.d, match only IPv4 rules and rules written inside ::ffff:0:0/96): write an IPv4 range as IPv4 (10.0.0.0/8) or inside ::ffff:0:0/96 (::ffff:10.0.0.0/104)"
                ),
            ));
        }
        let message = match (list, too_broad(rule.net())) {
            (NetworkList::Allowed, Some(size)) => {
                format!("allowed network {net} is very broad ({size})")
            }
            (NetworkList::TrustedProxies, Some(size)) => format!(
                "trusted proxy range {net} is very broad ({size}): any client in it can claim any address"
            ),
            (NetworkList::TrustedProxies, None) if !is_private(rule.net()) => format!(
                "trusted proxy {net} is outside private ranges: its X-Forwarded-For header is believed, so make sure it is really your proxy"
            ),
            _ => continue,
        };
        findings.push(warning(rule.origin(), message));
    }
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

/// For tests and callers that hold addresses: whether a trusted proxy would
/// be reported as public.
pub fn is_private_address(addr: IpAddr) -> bool {
    is_private(IpNet::from(addr))
}

#[cfg(test)]
mod tests {
    use photoguard_engine::Origin;
    use photoguard_engine::network::parse_network;

    use super::*;

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
