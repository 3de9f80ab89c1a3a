//! Property tests: the engine's fast structures agree with naive references.
//! - Networks: the lookup equals checking `IpNet::contains` on every rule
//!   (with IPv4-mapped clients matching IPv4 rules, and IPv6 rules matching
//!   IPv4 clients only when written inside `::ffff:0:0/96`), and names the
//!   most specific rule, the first written among equals.
//! - Cookies: the zero-copy scanner agrees with a reference that splits the
//!   header naively and reads each pair with the `cookie` crate.
//! - No input makes evaluation panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use photoguard_engine::cookie::{CookieRule, CookieRules};
use photoguard_engine::network::{NetRule, NetworkSet, canonical, covers_ipv4_mapped};
use photoguard_engine::{DirectiveContext, Origin, Request, ScopeConfig};
use proptest::prelude::*;

fn v4_net() -> impl Strategy<Value = IpNet> {
    (any::<u32>(), 0u8..=32)
        .prop_map(|(a, p)| IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), p).unwrap().trunc()))
}

fn v6_net() -> impl Strategy<Value = IpNet> {
    (any::<u128>(), 0u8..=128)
        .prop_map(|(a, p)| IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), p).unwrap().trunc()))
}

/// A rule written in the IPv4-mapped block, e.g. `::ffff:10.0.0.0/104`.
fn mapped_net() -> impl Strategy<Value = IpNet> {
    (any::<u32>(), 96u8..=128).prop_map(|(a, p)| {
        IpNet::V6(
            Ipv6Net::new(Ipv4Addr::from(a).to_ipv6_mapped(), p)
                .unwrap()
                .trunc(),
        )
    })
}

/// A short IPv6 prefix at the bottom of the space, most of which contain
/// the mapped block (`::/64`, `::/0`, `::fffe:0:0/95`).
fn broad_low_v6_net() -> impl Strategy<Value = IpNet> {
    (0u8..=95).prop_map(|p| {
        IpNet::V6(
            Ipv6Net::new(Ipv4Addr::UNSPECIFIED.to_ipv6_mapped(), p)
                .unwrap()
                .trunc(),
        )
    })
}

fn any_net() -> impl Strategy<Value = IpNet> {
    // Narrow prefixes dominate real lists; broad ones exercise nesting.
    prop_oneof![8 => v4_net(), 4 => v6_net(), 2 => mapped_net(), 1 => broad_low_v6_net()]
}

/// An address inside `net`, with random host bits.
fn inside(net: IpNet, noise: u128) -> IpAddr {
    match net {
        IpNet::V4(n) => {
            let host = (noise as u32) & !u32::from(n.netmask());
            IpAddr::V4(Ipv4Addr::from(u32::from(n.network()) | host))
        }
        IpNet::V6(n) => {
            let host = noise & !u128::from(n.netmask());
            IpAddr::V6(Ipv6Addr::from(u128::from(n.network()) | host))
        }
    }
}

/// The client address in several spellings: plain, and IPv4 as mapped IPv6.
fn spellings(addr: IpAddr) -> Vec<IpAddr> {
    match addr {
        IpAddr::V4(v4) => vec![addr, IpAddr::V6(v4.to_ipv6_mapped())],
        v6 => vec![v6],
    }
}

/// How specific `net` is for the canonical `addr`, if it contains it.
fn naive_specificity(net: &IpNet, addr: IpAddr) -> Option<u8> {
    match (net, canonical(addr)) {
        (IpNet::V4(n), IpAddr::V4(a)) => n.contains(&a).then_some(n.prefix_len()),
        (IpNet::V6(n), IpAddr::V6(a)) => n.contains(&a).then_some(n.prefix_len()),
        // Only a rule written inside ::ffff:0:0/96 (a /96 or longer that
        // holds a mapped address) covers IPv4 clients; `::/64` holds the
        // whole block but is IPv6.
        (IpNet::V6(n), IpAddr::V4(a)) => {
            (n.prefix_len() >= 96 && n.contains(&a.to_ipv6_mapped())).then(|| n.prefix_len() - 96)
        }
        (IpNet::V4(_), IpAddr::V6(_)) => None,
    }
}

/// Index of the most specific containing rule, first written among equals.
fn naive_lookup(nets: &[IpNet], addr: IpAddr) -> Option<usize> {
    let mut best: Option<(u8, usize)> = None;
    for (i, net) in nets.iter().enumerate() {
        if let Some(spec) = naive_specificity(net, addr) {
            if best.is_none_or(|(b, _)| spec > b) {
                best = Some((spec, i));
            }
        }
    }
    best.map(|(_, i)| i)
}

fn build(nets: &[IpNet]) -> NetworkSet {
    NetworkSet::new(
        nets.iter()
            .enumerate()
            .map(|(i, n)| NetRule::new(*n, &n.to_string(), Origin::new("p.conf", i as u32 + 1)))
            .collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn network_lookup_equals_naive_reference(
        nets in prop::collection::vec(any_net(), 0..40),
        picks in prop::collection::vec((any::<prop::sample::Index>(), any::<u128>()), 0..30),
        randoms in prop::collection::vec(prop_oneof![any::<u32>().prop_map(|a| IpAddr::V4(a.into())), any::<u128>().prop_map(|a| IpAddr::V6(a.into()))], 0..30),
    ) {
        let set = build(&nets);
        let mut addrs = randoms;
        if !nets.is_empty() {
            addrs.extend(picks.iter().map(|(i, noise)| inside(nets[i.index(nets.len())], *noise)));
        }
        for addr in addrs {
            for spelled in spellings(canonical(addr)) {
                let expected = naive_lookup(&nets, spelled);
                let got = set.lookup(spelled).map(|r| r.origin().line() as usize - 1);
                prop_assert_eq!(got, expected, "address {} in {:?}", spelled, nets);
            }
        }
    }

    #[test]
    fn network_lookup_is_independent_of_rule_order(
        nets in prop::collection::vec(any_net(), 1..30),
        noise in any::<u128>(), pick in any::<prop::sample::Index>(),
    ) {
        let picked = nets[pick.index(nets.len())];
        let addr = inside(picked, noise);
        // A prefix covering ::ffff:0:0/96 from outside matches no IPv4
        // client, so an IPv4-mapped address inside it may match nothing.
        let mapped = matches!(addr, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some());
        prop_assume!(!(mapped && covers_ipv4_mapped(picked)));
        let mut reversed = nets.clone();
        reversed.reverse();
        // Equally specific rules may differ by order (the first written is
        // named), but how specific the named rule is may not.
        let specificity = |set: &NetworkSet| set.lookup(addr).and_then(|r| naive_specificity(&r.net(), addr));
        let forward = specificity(&build(&nets));
        prop_assert!(forward.is_some());
        prop_assert_eq!(forward, specificity(&build(&reversed)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// A prefix that covers the mapped block without being inside it lets
    /// in no IPv4 client, alone or among IPv6 rules outside the block.
    #[test]
    fn prefixes_covering_the_mapped_block_let_in_no_ipv4_client(
        broad in broad_low_v6_net(),
        others in prop::collection::vec(v6_net(), 0..10),
        client in any::<u32>(),
    ) {
        prop_assert!(covers_ipv4_mapped(broad));
        let mut nets = vec![broad];
        nets.extend(others.into_iter().filter(|n| !inside_mapped_block(n)));
        let set = build(&nets);
        for spelled in spellings(IpAddr::V4(client.into())) {
            prop_assert!(set.lookup(spelled).is_none(), "{} in {:?}", spelled, nets);
        }
    }
}

/// Whether `net` is written inside `::ffff:0:0/96`.
fn inside_mapped_block(net: &IpNet) -> bool {
    matches!(net, IpNet::V6(n) if n.network().to_ipv4_mapped().is_some())
}

proptest! {
    // Large lists get a bucket index: check it against the naive reference too.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn large_network_lists_equal_naive_reference(
        nets in prop::collection::vec(any_net(), 3000..5000),
        picks in prop::collection::vec((any::<prop::sample::Index>(), any::<u128>()), 200),
        randoms in prop::collection::vec(any::<u32>(), 100),
    ) {
        let set = build(&nets);
        prop_assert!(set.segment_count() > 4096, "the bucket index must be in use");
        let addrs = picks.iter().map(|(i, noise)| inside(nets[i.index(nets.len())], *noise))
            .chain(randoms.iter().map(|&a| IpAddr::V4(a.into())));
        for addr in addrs {
            let expected = naive_lookup(&nets, addr);
            let got = set.lookup(addr).map(|r| r.origin().line() as usize - 1);
            prop_assert_eq!(got, expected, "address {}", addr);
        }
    }
}

const NAMES: &[&str] = &[
    "LtpaToken2",
    "LtpaToken",
    "STPluginActivePage",
    "ltpatoken2",
    "XLtpaToken2",
    "LtpaToken2X",
    "JSESSIONID",
    "a",
    "",
];
const VALUES: &[&str] = &[
    "",
    "x",
    "LtpaToken2=x",
    "LtpaToken=",
    "stMeetingroom",
    "\"stMeetingroom\"",
    "\"\"",
    "\"",
    "stmeetingroom",
    "a=b",
    "AAECAzU1",
    " v ",
];
const SEPARATORS: &[&str] = &[";", "; ", ";;", ",", ", ", " ; ", ";\t", "; ;"];
const SPACES: &[&str] = &["", " ", "\t", "  "];

fn seed_rules() -> CookieRules {
    CookieRules::new(
        [
            "LtpaToken2",
            "LtpaToken",
            "STPluginActivePage=stMeetingroom",
        ]
        .iter()
        .enumerate()
        .map(|(i, t)| CookieRule::parse(t, Origin::new("p.conf", i as u32 + 1)).unwrap())
        .collect(),
    )
}

/// The reference: split naively, read each pair with the `cookie` crate,
/// and name the first written rule that some pair satisfies.
fn reference_match(rules: &CookieRules, header: &str) -> Option<u32> {
    let pairs: Vec<(String, String)> = header
        .split([';', ','])
        .filter_map(|segment| cookie::Cookie::parse(segment).ok())
        .map(|c| (c.name().to_string(), c.value_trimmed().to_string()))
        .collect();
    rules
        .rules()
        .iter()
        .find(|rule| {
            pairs
                .iter()
                .any(|(name, value)| rule.accepts(name.as_bytes(), value.as_bytes()))
        })
        .map(|rule| rule.origin().line())
}

fn header_strategy() -> impl Strategy<Value = String> {
    let pair = (
        prop::sample::select(SPACES),
        prop::sample::select(NAMES),
        prop::sample::select(SPACES),
        prop::option::weighted(0.9, prop::sample::select(VALUES)),
        prop::sample::select(SPACES),
    )
        .prop_map(|(s1, name, s2, value, s3)| match value {
            Some(v) => format!("{s1}{name}{s2}={v}{s3}"),
            None => format!("{s1}{name}{s3}"),
        });
    prop::collection::vec((pair, prop::sample::select(SEPARATORS)), 0..12).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(p, sep)| format!("{p}{sep}"))
            .collect::<String>()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn cookie_scanner_agrees_with_the_cookie_crate(header in header_strategy()) {
        let rules = seed_rules();
        let got = rules.find(header.as_bytes()).map(|r| r.origin().line());
        prop_assert_eq!(got, reference_match(&rules, &header), "header {:?}", header);
    }

    #[test]
    fn arbitrary_requests_never_panic_and_decide(
        peer in any::<u128>(), v4 in any::<bool>(),
        cookie in prop::option::of(prop::collection::vec(any::<u8>(), 0..300)),
        xff in prop::option::of(prop::collection::vec(any::<u8>(), 0..120)),
    ) {
        let mut scope = ScopeConfig::new();
        let ctx = DirectiveContext { origin: Origin::new("p.conf", 1), server_root: None };
        for (name, args) in [
            ("PhotoGuard", "On"),
            ("PhotoGuardAllowNetwork", "10.0.0.0/8 2001:db8::/32"),
            ("PhotoGuardAllowCookie", "LtpaToken2 STPluginActivePage=stMeetingroom"),
            ("PhotoGuardTrustedProxy", "0.0.0.0/0 ::/0"),
        ] {
            scope.apply(name, args, &ctx).unwrap();
        }
        let peer = if v4 { IpAddr::V4((peer as u32).into()) } else { IpAddr::V6(peer.into()) };
        let decision = scope.evaluate(&Request { peer, cookie_header: cookie.as_deref(), forwarded_for: xff.as_deref() });
        // Allowed only with a reason that is a rule.
        prop_assert_eq!(decision.verdict.passes(), decision.reason.as_str() != "no rule matched");
    }
}
