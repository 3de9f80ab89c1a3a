//! Networks: parsing what an admin writes (with hints for what is probably a
//! typo) and a lookup structure whose cost does not grow with the number of
//! ranges, only with its logarithm.
//!
//! The lookup structure is a partition of the whole address space into
//! segments, each labelled with the rule that covers it (the most specific one
//! when rules nest) or with "no rule". CIDR blocks are either nested or
//! disjoint, so one sweep over the rules sorted by start builds the partition,
//! and a lookup is one binary search over the segment starts.
//!
//! IPv4 and IPv6 are separate spaces. A client connected over IPv4-mapped
//! IPv6 (`::ffff:10.20.16.5`, a dual-stack listener) is an IPv4 client. An
//! IPv6 rule covers IPv4 clients only when it is written inside the mapped
//! block `::ffff:0:0/96` (`::ffff:10.20.16.0/116` is `10.20.16.0/20`), and
//! then only the addresses it maps: a broad IPv6 prefix such as `::/64` or
//! `::/0` contains the mapped block but lets in no IPv4 client
//! ([`covers_ipv4_mapped`] tells a linter to warn about it).

use std::ffi::CStr;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::directive::{escaped, quoted};
use super::origin::Origin;

/// One allowed (or trusted) network, as written, with where it was written.
#[derive(Debug, Clone)]
pub struct NetRule {
    net: IpNet,
    origin: Origin,
    /// `network 10.20.16.0/20 (photos.conf:14)`, made once at config time so
    /// that a decision never formats text.
    reason: Box<CStr>,
}

impl NetRule {
    pub fn new(net: IpNet, written: &str, origin: Origin) -> NetRule {
        let reason = origin.reason("network", written);
        NetRule {
            net,
            origin,
            reason,
        }
    }

    pub fn net(&self) -> IpNet {
        self.net
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The reason text of a decision made by this rule.
    pub fn reason(&self) -> &CStr {
        &self.reason
    }
}

/// Why a network token was refused. The message names the token and, where a
/// likely intent exists, says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetParseError {
    pub token: String,
    pub problem: String,
    pub hint: Option<String>,
}

impl fmt::Display for NetParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", quoted(&self.token), self.problem)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

fn net_error(token: &str, problem: impl Into<String>, hint: Option<String>) -> NetParseError {
    NetParseError {
        token: token.to_string(),
        problem: problem.into(),
        hint,
    }
}

/// Parses one CIDR or bare address. A bare address is a /32 or /128.
///
/// Refused, each with a hint: host bits set (`10.20.16.7/20`), Apache's partial
/// forms (`10.1`), dotted netmasks, prefix lengths out of range, octets with
/// leading zeros (which some tools read as octal), prefix lengths with
/// leading zeros (`/020`).
pub fn parse_network(token: &str) -> Result<IpNet, NetParseError> {
    let (addr_text, prefix_text) = match token.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (token, None),
    };
    let addr = parse_address(token, addr_text)?;
    let max_len = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix_text {
        None => max_len,
        Some(p) => parse_prefix(token, addr_text, p, max_len)?,
    };
    let net = IpNet::new(addr, prefix).map_err(|_| {
        net_error(
            token,
            format!("prefix length /{prefix} is out of range (0-{max_len})"),
            None,
        )
    })?;
    if net.network() != addr {
        return Err(net_error(
            token,
            format!("host bits are set for a /{prefix}"),
            Some(format!("did you mean {}/{}?", net.network(), prefix)),
        ));
    }
    Ok(net)
}

fn parse_address(token: &str, text: &str) -> Result<IpAddr, NetParseError> {
    if text.is_empty() {
        return Err(net_error(token, "no address", None));
    }
    if let Ok(addr) = text.parse::<IpAddr>() {
        return Ok(addr);
    }
    // Dotted decimal that std refuses: a partial form or leading zeros. The
    // hints are made of the octets' values, never of the text (which may be
    // as long as a line of a network file).
    let octets: Option<Vec<u8>> = if text.contains(':') {
        None
    } else {
        text.split('.')
            .map(|o| match o.bytes().all(|b| b.is_ascii_digit()) {
                true => o.parse::<u8>().ok(),
                false => None,
            })
            .collect()
    };
    if let Some(octets) = octets {
        let dotted = |values: &[u8]| {
            values
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(".")
        };
        if octets.len() < 4 {
            // Apache's mod_authz_host reads `10.1` as 10.1.0.0/16; say so
            // instead of guessing, since a partial form is easy to mistype.
            let mut full = octets.clone();
            full.resize(4, 0);
            return Err(net_error(
                token,
                "partial addresses are not accepted",
                Some(format!("write {}/{}", dotted(&full), 8 * octets.len())),
            ));
        }
        if octets.len() == 4 {
            return Err(net_error(
                token,
                "octets with leading zeros are ambiguous (octal in some tools)",
                Some(format!("write {}", dotted(&octets))),
            ));
        }
    }
    Err(net_error(token, "not an IPv4 or IPv6 address", None))
}

fn parse_prefix(
    token: &str,
    addr_text: &str,
    text: &str,
    max_len: u8,
) -> Result<u8, NetParseError> {
    if let Ok(mask) = text.parse::<Ipv4Addr>() {
        let bits = u32::from(mask);
        let hint = if bits.leading_ones() + bits.trailing_zeros() == 32 {
            Some(format!("write {addr_text}/{}", bits.leading_ones()))
        } else {
            None
        };
        return Err(net_error(token, "dotted netmasks are not accepted", hint));
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(net_error(
            token,
            format!("{} is not a prefix length", quoted(format!("/{text}"))),
            None,
        ));
    }
    let digits = text.trim_start_matches('0');
    let value = match digits.parse::<u16>() {
        _ if digits.is_empty() => Some(0),
        Ok(p) if p <= u16::from(max_len) => Some(p as u8),
        _ => None,
    };
    match value {
        // A leading zero is a typo, or octal to some tool: refuse rather
        // than guess.
        Some(p) if text.len() > 1 && text.starts_with('0') => Err(net_error(
            token,
            "prefix length with a leading zero",
            Some(format!("did you mean /{p}?")),
        )),
        Some(p) => Ok(p),
        None => Err(net_error(
            token,
            format!(
                "prefix length /{} is out of range (0-{max_len})",
                escaped(text)
            ),
            None,
        )),
    }
}

/// An address as the engine compares it: IPv4-mapped IPv6 becomes IPv4, so a
/// dual-stack listener's `::ffff:10.20.16.5` matches IPv4 rules (and IPv6
/// rules only if they are written inside `::ffff:0:0/96`).
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

const NO_RULE: u32 = u32::MAX;

/// A partition of one address family's space: segment `i` runs from
/// `starts[i]` up to `starts[i + 1] - 1` and is covered by rule `labels[i]`.
///
/// Large partitions get a bucket index on the key's top 16 bits, so that a
/// lookup reads one index entry and binary-searches a few neighbouring
/// segments instead of the whole array (which, at 100,000 ranges, would miss
/// the cache at nearly every step).
#[derive(Debug, Clone)]
struct Partition<K> {
    starts: Vec<K>,
    labels: Vec<u32>,
    /// `buckets[b]`: the segment holding the first key of bucket `b`, for
    /// `b` in `0..=65536` (the last entry closes the last bucket). Empty for
    /// small partitions, which a plain binary search serves from cache.
    buckets: Vec<u32>,
}

/// Below this many segments the bucket index (256 KiB) is not worth it.
const BUCKET_THRESHOLD: usize = 4096;

trait Key: Copy + Ord {
    const ZERO: Self;
    /// The next key, `None` past the end of the space.
    fn successor(self) -> Option<Self>;
    /// The top 16 bits.
    fn bucket(self) -> usize;
    /// The first key of bucket `b`.
    fn bucket_start(b: usize) -> Self;
}

impl Key for u32 {
    const ZERO: u32 = 0;
    fn successor(self) -> Option<u32> {
        self.checked_add(1)
    }
    fn bucket(self) -> usize {
        (self >> 16) as usize
    }
    fn bucket_start(b: usize) -> u32 {
        (b as u32) << 16
    }
}

impl Key for u128 {
    const ZERO: u128 = 0;
    fn successor(self) -> Option<u128> {
        self.checked_add(1)
    }
    fn bucket(self) -> usize {
        (self >> 112) as usize
    }
    fn bucket_start(b: usize) -> u128 {
        (b as u128) << 112
    }
}

impl<K: Key> Partition<K> {
    fn new(starts: Vec<K>, labels: Vec<u32>) -> Partition<K> {
        let mut partition = Partition {
            starts,
            labels,
            buckets: Vec::new(),
        };
        if partition.starts.len() >= BUCKET_THRESHOLD {
            let mut buckets = Vec::with_capacity(65537);
            let mut segment = 0usize;
            for b in 0..65536 {
                let first = K::bucket_start(b);
                while segment + 1 < partition.starts.len() && partition.starts[segment + 1] <= first
                {
                    segment += 1;
                }
                buckets.push(segment as u32);
            }
            buckets.push(partition.starts.len() as u32 - 1);
            partition.buckets = buckets;
        }
        partition
    }

    fn lookup(&self, key: K) -> u32 {
        let (low, high) = match self.buckets.is_empty() {
            true => (0, self.starts.len() - 1),
            false => {
                let b = key.bucket();
                (self.buckets[b] as usize, self.buckets[b + 1] as usize)
            }
        };
        // The segment holding `key` is in low..=high, and starts[low] <= key
        // (starts[0] is 0; a bucket's first segment starts at or before it).
        let after = self.starts[low + 1..=high].partition_point(|&s| s <= key);
        self.labels[low + after]
    }
}

/// A set of networks with a rule per address, looked up in O(log n).
///
/// The lookup index is built once, when first needed (or by
/// [`NetworkSet::prepare`]), not on every directive: a scope with thousands
/// of `PhotoGuardAllowNetwork` lines would otherwise rebuild it thousands of
/// times.
#[derive(Debug, Clone, Default)]
pub struct NetworkSet {
    rules: Vec<NetRule>,
    index: OnceLock<Index>,
}

#[derive(Debug, Clone)]
struct Index {
    v4: Partition<u32>,
    v6: Partition<u128>,
}

/// One rule's interval in one family's key space.
struct Span<K> {
    start: K,
    end: K,
    rule: u32,
}

impl NetworkSet {
    pub fn new(rules: Vec<NetRule>) -> NetworkSet {
        NetworkSet {
            rules,
            index: OnceLock::new(),
        }
    }

    /// Adds rules (a further directive in the same scope).
    pub fn extend(&mut self, more: impl IntoIterator<Item = NetRule>) {
        self.rules.extend(more);
        self.index = OnceLock::new();
    }

    /// Builds the lookup index now, so that no decision pays for it (and, in
    /// Apache, so that it is built once in the parent and shared by the
    /// children). Thread-safe; later calls do nothing.
    pub fn prepare(&self) {
        self.index();
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| build_index(&self.rules))
    }

    pub fn rules(&self) -> &[NetRule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The most specific rule covering `addr` (the first written, among equal
    /// ones), or `None`.
    pub fn lookup(&self, addr: IpAddr) -> Option<&NetRule> {
        if self.rules.is_empty() {
            return None;
        }
        let index = self.index();
        let label = match canonical(addr) {
            IpAddr::V4(v4) => index.v4.lookup(u32::from(v4)),
            IpAddr::V6(v6) => index.v6.lookup(u128::from(v6)),
        };
        self.rules.get(label as usize)
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        self.lookup(addr).is_some()
    }

    /// How many segments the lookup structure holds (for memory reports).
    pub fn segment_count(&self) -> usize {
        let index = self.index();
        index.v4.starts.len() + index.v6.starts.len()
    }
}

/// The IPv4-mapped block `::ffff:0.0.0.0/96`.
fn mapped_block() -> Ipv6Net {
    Ipv6Net::new(Ipv4Addr::UNSPECIFIED.to_ipv6_mapped(), 96).expect("96 is a valid prefix")
}

/// Whether `net` is an IPv6 prefix that contains all of `::ffff:0:0/96` without
/// being written inside it (`::/64`, `::/0`, `::fffe:0:0/95`): it reads as if
/// it allowed every IPv4 client, but allows none (IPv4 clients match only
/// IPv4 rules and IPv6 rules inside `::ffff:0:0/96`). For a linter's warning.
pub fn covers_ipv4_mapped(net: IpNet) -> bool {
    match net {
        IpNet::V6(net) => net.prefix_len() < 96 && net.contains(&mapped_block()),
        IpNet::V4(_) => false,
    }
}

fn v4_span(net: Ipv4Net, rule: u32) -> Span<u32> {
    Span {
        start: net.network().into(),
        end: net.broadcast().into(),
        rule,
    }
}

fn build_index(rules: &[NetRule]) -> Index {
    let mapped = mapped_block();
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let index = index as u32;
        match rule.net {
            IpNet::V4(net) => v4.push(v4_span(net, index)),
            IpNet::V6(net) => {
                v6.push(Span {
                    start: u128::from(net.network()),
                    end: u128::from(net.broadcast()),
                    rule: index,
                });
                // A v6 rule written inside the mapped block also covers the
                // IPv4 addresses it maps, since clients are canonicalised to
                // v4. One that merely contains the block (`::/64`, `::/0`)
                // covers no IPv4 client: the admin wrote IPv6.
                if net.prefix_len() >= 96 && mapped.contains(&net) {
                    let v4_addr = Ipv4Addr::from(u128::from(net.network()) as u32);
                    let v4_net =
                        Ipv4Net::new(v4_addr, net.prefix_len() - 96).expect("prefix within 0-32");
                    v4.push(v4_span(v4_net, index));
                }
            }
        }
    }
    Index {
        v4: sweep(v4),
        v6: sweep(v6),
    }
}

/// Builds the partition of a family's whole key space from laminar spans
/// (nested or disjoint). Inside nested spans the innermost wins; among
/// identical spans the first written wins.
fn sweep<K: Key>(mut spans: Vec<Span<K>>) -> Partition<K> {
    // Outer spans before inner ones at the same start; every (start, end,
    // rule) is distinct, so an unstable sort is exact.
    spans.sort_unstable_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(b.end.cmp(&a.end))
            .then(a.rule.cmp(&b.rule))
    });
    let (mut starts, mut labels) = (Vec::new(), Vec::new());
    // Starts a segment at `start`, unless it continues the previous one. The
    // loop below always emits a segment at 0, so `starts[0] == 0`.
    let mut emit = |start: K, label: u32| {
        if labels.last() != Some(&label) {
            starts.push(start);
            labels.push(label);
        }
    };
    // Open spans, outermost first; `pos` is the first key not yet emitted.
    let mut open: Vec<Span<K>> = Vec::new();
    let mut pos = K::ZERO;
    for span in spans {
        while let Some(top) = open.last() {
            if top.end >= span.start {
                break;
            }
            // An inner span may have ended where this one ends: then nothing
            // of this one is left to emit.
            if pos <= top.end {
                emit(pos, top.rule);
                pos = top.end.successor().expect("top.end < span.start");
            }
            open.pop();
        }
        if span.start > pos {
            emit(pos, open.last().map_or(NO_RULE, |s| s.rule));
            pos = span.start;
        }
        let duplicate = open
            .last()
            .is_some_and(|top| top.start == span.start && top.end == span.end);
        if !duplicate {
            open.push(span);
        }
    }
    let mut next = Some(pos);
    while let Some(top) = open.pop() {
        let Some(p) = next else { break };
        if p <= top.end {
            emit(p, top.rule);
            next = top.end.successor();
        }
    }
    if let Some(p) = next {
        emit(p, NO_RULE);
    }
    Partition::new(starts, labels)
}

/// Parses an address the way a client address arrives (text from Apache or a
/// header), with no allocation.
pub fn parse_client_address(text: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(text).ok()?;
    text.trim_matches(|c| c == ' ' || c == '\t')
        .parse::<IpAddr>()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin::new("photos.conf", 14)
    }

    fn set(tokens: &[&str]) -> NetworkSet {
        NetworkSet::new(
            tokens
                .iter()
                .map(|t| NetRule::new(parse_network(t).unwrap(), t, origin()))
                .collect(),
        )
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn bare_addresses_are_single_hosts() {
        assert_eq!(
            parse_network("192.0.2.10").unwrap().to_string(),
            "192.0.2.10/32"
        );
        assert_eq!(
            parse_network("2001:db8::1").unwrap().to_string(),
            "2001:db8::1/128"
        );
    }

    #[test]
    fn host_bits_set_suggests_the_network() {
        let err = parse_network("10.20.16.7/20").unwrap_err();
        assert_eq!(
            err.to_string(),
            "'10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?"
        );
        let err = parse_network("2001:db8::1/32").unwrap_err();
        assert_eq!(err.hint.as_deref(), Some("did you mean 2001:db8::/32?"));
    }

    #[test]
    fn partial_forms_are_refused_with_the_full_form() {
        let err = parse_network("10.1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "'10.1': partial addresses are not accepted; write 10.1.0.0/16"
        );
        assert_eq!(
            parse_network("10").unwrap_err().hint.as_deref(),
            Some("write 10.0.0.0/8")
        );
    }

    #[test]
    fn prefix_out_of_range_is_refused() {
        assert_eq!(
            parse_network("10.0.0.0/33").unwrap_err().to_string(),
            "'10.0.0.0/33': prefix length /33 is out of range (0-32)"
        );
        assert_eq!(
            parse_network("::/129").unwrap_err().to_string(),
            "'::/129': prefix length /129 is out of range (0-128)"
        );
        assert!(
            parse_network("10.0.0.0/")
                .unwrap_err()
                .to_string()
                .contains("is not a prefix length")
        );
        assert!(
            parse_network("10.0.0.0/-1")
                .unwrap_err()
                .to_string()
                .contains("is not a prefix length")
        );
    }

    #[test]
    fn prefix_lengths_with_leading_zeros_are_refused_with_a_hint() {
        assert_eq!(
            parse_network("10.20.16.0/020").unwrap_err().to_string(),
            "'10.20.16.0/020': prefix length with a leading zero; did you mean /20?"
        );
        assert_eq!(
            parse_network("0.0.0.0/00").unwrap_err().to_string(),
            "'0.0.0.0/00': prefix length with a leading zero; did you mean /0?"
        );
        assert_eq!(
            parse_network("2001:db8::/0032")
                .unwrap_err()
                .hint
                .as_deref(),
            Some("did you mean /32?")
        );
        // Out of range is said first; /0 itself stays valid.
        assert_eq!(
            parse_network("10.0.0.0/033").unwrap_err().to_string(),
            "'10.0.0.0/033': prefix length /033 is out of range (0-32)"
        );
        assert_eq!(parse_network("0.0.0.0/0").unwrap().to_string(), "0.0.0.0/0");
        assert_eq!(parse_network("::/0").unwrap().to_string(), "::/0");
        assert_eq!(
            parse_network("10.0.0.0/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
    }

    #[test]
    fn errors_quote_tokens_escaped_and_cut() {
        assert_eq!(
            parse_network("10.0.0.0/\x1b[2J").unwrap_err().to_string(),
            "'10.0.0.0/\\x1B[2J': '/\\x1B[2J' is not a prefix length"
        );
        // Hints are built from values, never from (unbounded) text.
        let long = "1".repeat(10_000);
        assert_eq!(
            parse_network(&long).unwrap_err().to_string(),
            format!("'{}...': not an IPv4 or IPv6 address", "1".repeat(64))
        );
        assert_eq!(
            parse_network("300.1").unwrap_err().to_string(),
            "'300.1': not an IPv4 or IPv6 address"
        );
        assert_eq!(
            parse_network("10.01").unwrap_err().hint.as_deref(),
            Some("write 10.1.0.0/16")
        );
        let long = format!("10.0.0.0/{}", "9".repeat(10_000));
        let message = parse_network(&long).unwrap_err().to_string();
        assert!(message.len() < 200, "{message}");
        assert!(message.contains("is out of range"), "{message}");
    }

    #[test]
    fn netmasks_and_leading_zeros_are_refused_with_hints() {
        let err = parse_network("10.0.0.0/255.255.0.0").unwrap_err();
        assert_eq!(
            err.to_string(),
            "'10.0.0.0/255.255.0.0': dotted netmasks are not accepted; write 10.0.0.0/16"
        );
        let err = parse_network("010.1.2.3").unwrap_err();
        assert_eq!(
            err.to_string(),
            "'010.1.2.3': octets with leading zeros are ambiguous (octal in some tools); write 10.1.2.3"
        );
        assert_eq!(
            parse_network("photos").unwrap_err().to_string(),
            "'photos': not an IPv4 or IPv6 address"
        );
    }

    #[test]
    fn lookup_finds_the_most_specific_rule() {
        let s = set(&["10.0.0.0/8", "10.20.16.0/20", "192.0.2.10", "2001:db8::/32"]);
        assert_eq!(
            s.lookup(ip("10.20.17.1")).unwrap().net().to_string(),
            "10.20.16.0/20"
        );
        assert_eq!(
            s.lookup(ip("10.21.0.1")).unwrap().net().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            s.lookup(ip("10.255.255.255")).unwrap().net().to_string(),
            "10.0.0.0/8"
        );
        assert!(s.lookup(ip("11.0.0.0")).is_none());
        assert!(s.lookup(ip("9.255.255.255")).is_none());
        assert!(s.lookup(ip("192.0.2.11")).is_none());
        assert!(s.lookup(ip("192.0.2.10")).is_some());
        assert!(s.lookup(ip("2001:db8:ffff::1")).is_some());
        assert!(s.lookup(ip("2001:db9::")).is_none());
    }

    #[test]
    fn mapped_clients_match_ipv4_rules_and_mapped_rules_match_ipv4_clients() {
        let s = set(&["10.20.16.0/20"]);
        assert!(s.contains(ip("::ffff:10.20.16.5")));
        let s = set(&["::ffff:10.20.16.0/116"]);
        assert!(s.contains(ip("10.20.16.5")));
        assert!(!s.contains(ip("10.20.32.5")));
        assert!(s.contains(ip("::ffff:10.20.16.5")));
        let block = set(&["::ffff:0:0/96"]);
        assert!(block.contains(ip("1.2.3.4")));
        assert!(block.contains(ip("::ffff:1.2.3.4")));
    }

    #[test]
    fn broad_ipv6_prefixes_let_in_no_ipv4_client() {
        for broad in ["::/0", "::/64", "::/80", "::fffe:0:0/95"] {
            let s = set(&[broad]);
            assert!(!s.contains(ip("127.9.9.9")), "{broad}");
            assert!(!s.contains(ip("::ffff:127.9.9.9")), "{broad}");
            assert!(!s.contains(ip("0.0.0.0")), "{broad}");
            assert!(!s.contains(ip("255.255.255.255")), "{broad}");
        }
        assert!(set(&["::/0"]).contains(ip("2001:db8::1")));
        assert!(set(&["::/64"]).contains(ip("::1")));
        // Nested under a broad prefix, a mapped rule still covers its IPv4
        // addresses, and an IPv4 rule its own.
        let s = set(&["::/0", "::ffff:10.0.0.0/104", "192.0.2.0/24"]);
        assert_eq!(
            s.lookup(ip("10.1.2.3")).unwrap().net().to_string(),
            "::ffff:10.0.0.0/104"
        );
        assert_eq!(
            s.lookup(ip("192.0.2.9")).unwrap().net().to_string(),
            "192.0.2.0/24"
        );
        assert!(!s.contains(ip("11.0.0.1")));
    }

    #[test]
    fn covers_ipv4_mapped_names_prefixes_that_look_like_they_allow_ipv4() {
        let covers = |t: &str| covers_ipv4_mapped(parse_network(t).unwrap());
        for yes in ["::/0", "::/1", "::/64", "::/80", "::fffe:0:0/95"] {
            assert!(covers(yes), "{yes}");
        }
        for no in [
            "::ffff:0:0/96",
            "::ffff:10.0.0.0/104",
            "::ffff:10.0.0.1",
            "2001:db8::/32",
            "8000::/1",
            "::/97",
            "::1",
            "0.0.0.0/0",
            "10.0.0.0/8",
        ] {
            assert!(!covers(no), "{no}");
        }
    }

    #[test]
    fn edges_of_the_space() {
        let s = set(&["0.0.0.0/0", "255.255.255.255"]);
        assert_eq!(
            s.lookup(ip("255.255.255.255")).unwrap().net().to_string(),
            "255.255.255.255/32"
        );
        assert_eq!(
            s.lookup(ip("0.0.0.0")).unwrap().net().to_string(),
            "0.0.0.0/0"
        );
        let s = set(&["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]);
        assert!(s.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        assert!(!s.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")));
        assert!(!NetworkSet::default().contains(ip("1.2.3.4")));
    }

    #[test]
    fn duplicates_keep_the_first_written_rule() {
        let a = NetRule::new(
            parse_network("10.0.0.0/8").unwrap(),
            "10.0.0.0/8",
            Origin::new("a.conf", 1),
        );
        let b = NetRule::new(
            parse_network("10.0.0.0/8").unwrap(),
            "10.0.0.0/8",
            Origin::new("b.conf", 2),
        );
        let s = NetworkSet::new(vec![a, b]);
        assert_eq!(
            s.lookup(ip("10.1.1.1")).unwrap().reason().to_str().unwrap(),
            "network 10.0.0.0/8 (a.conf:1)"
        );
    }

    #[test]
    fn client_addresses_parse_without_surprises() {
        assert_eq!(parse_client_address(b" 10.0.0.1 "), Some(ip("10.0.0.1")));
        assert_eq!(parse_client_address(b"::1"), Some(ip("::1")));
        assert_eq!(parse_client_address(b"10.0.0.1:80"), None);
        assert_eq!(parse_client_address(b"\xff"), None);
        assert_eq!(parse_client_address(b""), None);
    }
}
