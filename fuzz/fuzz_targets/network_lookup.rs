//! `NetworkSet::lookup` against a naive scan of the rules, with the engine
//! property test's reference semantics (crates/engine/tests/properties.rs):
//! the most specific rule containing the canonical address wins, the first
//! written among equally specific ones; an IPv4 client (or its IPv4-mapped
//! spelling) matches IPv4 rules and IPv6 rules written inside
//! `::ffff:0:0/96` (and then as a /(len-96)); broader IPv6 rules such as
//! `::/64` match no IPv4 client.
//!
//! Input, first byte:
//! - even: binary rules, each a kind byte then its bytes (IPv4 4+1, IPv6
//!   16+1, mapped 4+1, a low IPv6 prefix 1, or a run of sibling IPv4 blocks
//!   4+1+2: up to 16, or up to 4200 with the mode byte 0x40, which gets the
//!   set past the size where the lookup uses its bucket index); a kind byte of 0xff ends the rules and the rest
//!   are probe addresses (4 or 16 bytes each, by a tag byte);
//! - odd: text, one token a line, each through `parse_network` (a token it
//!   accepts must print and parse back to the same network).
//!
//! Every rule's first and last address and their neighbours are probed too,
//! in both spellings for IPv4.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use libfuzzer_sys::fuzz_target;
use photoguard_engine::Origin;
use photoguard_engine::network::{NetRule, NetworkSet, canonical, parse_network};

fn naive_specificity(net: &IpNet, addr: IpAddr) -> Option<u8> {
    match (net, canonical(addr)) {
        (IpNet::V4(n), IpAddr::V4(a)) => n.contains(&a).then_some(n.prefix_len()),
        (IpNet::V6(n), IpAddr::V6(a)) => n.contains(&a).then_some(n.prefix_len()),
        (IpNet::V6(n), IpAddr::V4(a)) => {
            (n.prefix_len() >= 96 && n.contains(&a.to_ipv6_mapped())).then(|| n.prefix_len() - 96)
        }
        (IpNet::V4(_), IpAddr::V6(_)) => None,
    }
}

fn naive_lookup(nets: &[IpNet], addr: IpAddr) -> Option<usize> {
    let addr = canonical(addr);
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

struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn byte(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }
}

const MAX_RULES: usize = 4600;
/// The mode byte that lets runs of sibling blocks be long (up to 4200).
const LARGE: u8 = 0x40;

fn binary_rules(input: &mut Bytes, large: bool, nets: &mut Vec<IpNet>, probes: &mut Vec<IpAddr>) {
    while nets.len() < MAX_RULES {
        let Some(kind) = input.byte() else { return };
        let net = match kind % 8 {
            _ if kind == 0xff => break,
            0 | 1 | 2 => {
                let (Some(a), Some(p)) = (input.take::<4>(), input.byte()) else {
                    return;
                };
                IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), p % 33).unwrap().trunc())
            }
            3 | 4 => {
                let (Some(a), Some(p)) = (input.take::<16>(), input.byte()) else {
                    return;
                };
                IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), p % 129).unwrap().trunc())
            }
            5 => {
                let (Some(a), Some(p)) = (input.take::<4>(), input.byte()) else {
                    return;
                };
                let mapped = Ipv4Addr::from(a).to_ipv6_mapped();
                IpNet::V6(Ipv6Net::new(mapped, 96 + p % 33).unwrap().trunc())
            }
            6 => {
                let Some(p) = input.byte() else { return };
                IpNet::V6(Ipv6Net::new(Ipv6Addr::UNSPECIFIED, p % 97).unwrap())
            }
            _ => {
                let (Some(a), Some(p), Some(n)) =
                    (input.take::<4>(), input.byte(), input.take::<2>())
                else {
                    return;
                };
                let prefix = 16 + p % 17;
                let first = Ipv4Net::new(Ipv4Addr::from(a), prefix).unwrap().trunc();
                let step = 1u64 << (32 - prefix);
                let count = u64::from(u16::from_le_bytes(n) % if large { 4201 } else { 17 });
                for i in 0..count {
                    let start = u64::from(u32::from(first.network())) + i * step;
                    if start > u64::from(u32::MAX) || nets.len() >= MAX_RULES {
                        break;
                    }
                    nets.push(IpNet::V4(
                        Ipv4Net::new(Ipv4Addr::from(start as u32), prefix).unwrap(),
                    ));
                }
                continue;
            }
        };
        nets.push(net);
    }
    while let Some(tag) = input.byte() {
        let addr = if tag % 2 == 0 {
            input.take::<4>().map(|a| IpAddr::V4(a.into()))
        } else {
            input.take::<16>().map(|a| IpAddr::V6(a.into()))
        };
        match addr {
            Some(a) => probes.push(a),
            None => return,
        }
    }
}

fn text_rules(text: &[u8], nets: &mut Vec<IpNet>) {
    let text = String::from_utf8_lossy(text);
    for token in text.split(['\n', ' ']).take(MAX_RULES) {
        if let Ok(net) = parse_network(token) {
            assert_eq!(net.network(), net.addr(), "host bits in {token}");
            let printed = net.to_string();
            assert_eq!(
                parse_network(&printed).ok(),
                Some(net),
                "{token} printed as {printed}"
            );
            nets.push(net);
        }
    }
}

fn spellings(addr: IpAddr) -> Vec<IpAddr> {
    match canonical(addr) {
        IpAddr::V4(v4) => vec![IpAddr::V4(v4), IpAddr::V6(v4.to_ipv6_mapped())],
        v6 => vec![v6],
    }
}

fn edges(net: &IpNet) -> Vec<IpAddr> {
    match net {
        IpNet::V4(n) => {
            let (lo, hi) = (u32::from(n.network()), u32::from(n.broadcast()));
            [Some(lo), Some(hi), lo.checked_sub(1), hi.checked_add(1)]
                .into_iter()
                .flatten()
                .map(|a| IpAddr::V4(a.into()))
                .collect()
        }
        IpNet::V6(n) => {
            let (lo, hi) = (u128::from(n.network()), u128::from(n.broadcast()));
            [Some(lo), Some(hi), lo.checked_sub(1), hi.checked_add(1)]
                .into_iter()
                .flatten()
                .map(|a| IpAddr::V6(a.into()))
                .collect()
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut nets = Vec::new();
    let mut probes = Vec::new();
    if mode % 2 == 0 {
        binary_rules(&mut Bytes(rest), mode == LARGE, &mut nets, &mut probes);
    } else {
        text_rules(rest, &mut nets);
    }
    let set = NetworkSet::new(
        nets.iter()
            .enumerate()
            .map(|(i, n)| NetRule::new(*n, &n.to_string(), Origin::new("p.conf", i as u32 + 1)))
            .collect(),
    );
    // Probe the edges of every rule of a small set, of 16 rules of a larger
    // one (the naive scan is what costs: rules x probes).
    let stride = (nets.len() / 16).max(1);
    let given = std::mem::take(&mut probes);
    probes.extend(nets.iter().step_by(stride).flat_map(edges));
    probes.extend(given);
    probes.truncate((4_000 / nets.len().max(1)).max(16));
    probes.extend([
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V4(Ipv4Addr::BROADCAST),
    ]);
    probes.extend([
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::from(u128::MAX)),
    ]);
    for probe in probes {
        for addr in spellings(probe) {
            let expected = naive_lookup(&nets, addr);
            let got = set.lookup(addr).map(|r| r.origin().line() as usize - 1);
            assert_eq!(got, expected, "address {addr} in {nets:?}");
            assert_eq!(set.contains(addr), expected.is_some());
        }
    }
});
