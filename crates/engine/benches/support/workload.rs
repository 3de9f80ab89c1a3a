//! Deterministic workloads shared by the criterion benches and the
//! allocation test: generated range lists, the seed policy, a typical Cookie
//! header. No randomness crate: a fixed xorshift keeps runs comparable.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use photoguard_engine::{DirectiveContext, Origin, ScopeConfig};

pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// `count` CIDRs, about two thirds IPv4 (/16 to /32) and one third IPv6
/// (/32 to /128), as an admin's list would hold them.
pub fn mixed_ranges(count: usize, seed: u64) -> Vec<String> {
    let mut rng = XorShift::new(seed);
    (0..count)
        .map(|i| {
            if i % 3 != 2 {
                let prefix = 16 + (rng.next() % 17) as u32;
                let mask = if prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - prefix)
                };
                let addr = Ipv4Addr::from(rng.next() as u32 & mask);
                format!("{addr}/{prefix}")
            } else {
                let prefix = 32 + (rng.next() % 97) as u32;
                let raw = (u128::from(rng.next()) << 64 | u128::from(rng.next()))
                    & (u128::MAX >> 3)
                    | (1 << 125);
                let mask = u128::MAX << (128 - prefix);
                format!("{}/{prefix}", Ipv6Addr::from(raw & mask))
            }
        })
        .collect()
}

/// Client addresses to look up: half inside the listed ranges, half random.
pub fn probe_addresses(ranges: &[String], count: usize, seed: u64) -> Vec<IpAddr> {
    let mut rng = XorShift::new(seed);
    (0..count)
        .map(|i| {
            if i % 2 == 0 && !ranges.is_empty() {
                let net: ipnet::IpNet = ranges[rng.next() as usize % ranges.len()].parse().unwrap();
                let host = u128::from(rng.next());
                match net {
                    ipnet::IpNet::V4(n) => IpAddr::V4(Ipv4Addr::from(
                        u32::from(n.network()) | (host as u32 & !u32::from(n.netmask())),
                    )),
                    ipnet::IpNet::V6(n) => IpAddr::V6(Ipv6Addr::from(
                        u128::from(n.network()) | (host & !u128::from(n.netmask())),
                    )),
                }
            } else if i % 4 == 1 {
                IpAddr::V4(Ipv4Addr::from(rng.next() as u32))
            } else {
                IpAddr::V6(Ipv6Addr::from(
                    u128::from(rng.next()) << 64 | u128::from(rng.next()),
                ))
            }
        })
        .collect()
}

pub fn apply(scope: &mut ScopeConfig, line: u32, name: &str, args: &str) {
    let ctx = DirectiveContext {
        origin: Origin::new("photos.conf", line),
        server_root: None,
    };
    scope
        .apply(name, args, &ctx)
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The seed policy of the IHS photo host (issue 2), as photoguard directives.
pub fn seed_policy() -> ScopeConfig {
    let mut scope = ScopeConfig::new();
    apply(&mut scope, 10, "PhotoGuard", "On");
    apply(
        &mut scope,
        11,
        "PhotoGuardAllowNetwork",
        "10.20.16.0/20 10.30.64.0/21 172.16.128.0/22 192.0.2.10",
    );
    apply(
        &mut scope,
        12,
        "PhotoGuardAllowCookie",
        "LtpaToken2 LtpaToken STPluginActivePage=stMeetingroom",
    );
    apply(
        &mut scope,
        13,
        "PhotoGuardDenyAction",
        "redirect https://www.example.com/",
    );
    scope
}

/// A policy with the seed's cookies and `ranges` as its networks.
pub fn policy_with_ranges(ranges: &[String]) -> ScopeConfig {
    let mut scope = seed_policy();
    let mut networks = ScopeConfig::new();
    apply(
        &mut networks,
        20,
        "PhotoGuardAllowNetwork",
        &ranges.join(" "),
    );
    // A child's list replaces the parent's: the seed cookies stay.
    scope = ScopeConfig::merge(&scope, &networks);
    scope
}

/// A typical ~1 KB Cookie header of a portal user: analytics and session
/// cookies first, the interesting one (if any) last.
pub fn typical_cookie_header(last: Option<&str>) -> Vec<u8> {
    let mut header = String::from(
        "_ga=GA1.2.1234567890.1600000000; _gid=GA1.2.987654321.1700000000; JSESSIONID=0000aBcDeFgHiJkLmNoPqRsTuV:1a2b3c4d5; \
         WASReqURL=https://portal.example.com/wps/myportal; cookiesession1=678A3E0F2B3C4D5E6F708192A3B4C5D6; \
         PD-S-SESSION-ID=1_2_0_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV; \
         DomAuthSessId=0123456789ABCDEF0123456789ABCDEF; ShimSessionID=9f8e7d6c5b4a3f2e1d0c; lang=en; ",
    );
    while header.len() < 900 {
        header.push_str("pref_");
        header.push_str(&header.len().to_string());
        header.push_str("=aGVsbG8gd29ybGQgdGhpcyBpcyBhIHByZWY; ");
    }
    match last {
        Some(pair) => header.push_str(pair),
        None => header.push_str("theme=dark"),
    }
    header.into_bytes()
}
