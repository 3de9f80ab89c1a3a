//! The trusted-proxy walk (`resolve_client`) on fuzzed header bytes with a
//! fixed set of trusted proxies.
//!
//! Input: one byte choosing the peer (from a list of trusted and untrusted
//! addresses in both spellings, or the next 4/16 input bytes), the rest is
//! the client-IP header's value.
//!
//! Invariants (forwarded.rs): never panics; the result is the peer or an
//! address written in the header, always canonical (IPv4-mapped IPv6 as
//! IPv4); an untrusted peer's header is ignored; and the walk equals the
//! rule "from the right, over the well-formed entries, the first address
//! that is not a trusted proxy; if all are trusted, the leftmost well-formed
//! one (or the peer when the rightmost entry is malformed)". In particular
//! the result is a trusted proxy only when every entry it passed over was
//! one and the walk ran out of entries or met a malformed one.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use photoguard_engine::Origin;
use photoguard_engine::forwarded::resolve_client;
use photoguard_engine::network::{
    NetRule, NetworkSet, canonical, parse_client_address, parse_network,
};

const TRUSTED: &[&str] = &[
    "127.0.0.0/29",
    "192.0.2.10",
    "10.0.0.0/8",
    "2001:db8::/64",
    "::ffff:198.51.100.0/120",
    "::1",
];

const PEERS: &[&str] = &[
    "127.0.0.1",
    "::ffff:127.0.0.1",
    "192.0.2.10",
    "10.1.2.3",
    "2001:db8::1",
    "198.51.100.7",
    "::ffff:198.51.100.7",
    "::1",
    "192.0.2.11",
    "10.20.16.5",
    "2001:db9::1",
    "::",
    "0.0.0.0",
];

fn trusted() -> &'static NetworkSet {
    static SET: OnceLock<NetworkSet> = OnceLock::new();
    SET.get_or_init(|| {
        let set = NetworkSet::new(
            TRUSTED
                .iter()
                .map(|t| NetRule::new(parse_network(t).unwrap(), t, Origin::new("t.conf", 1)))
                .collect(),
        );
        set.prepare();
        set
    })
}

/// The walk restated: the well-formed entries from the right up to the
/// first malformed one, then the first untrusted of them, else the last.
fn reference(peer: IpAddr, header: &[u8], trusted: &NetworkSet) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.contains(peer) {
        return peer;
    }
    let good: Vec<IpAddr> = header
        .rsplit(|&b| b == b',')
        .map_while(parse_client_address)
        .map(canonical)
        .collect();
    good.iter()
        .copied()
        .find(|a| !trusted.contains(*a))
        .or(good.last().copied())
        .unwrap_or(peer)
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let (peer, header) = match choice as usize {
        c if c < PEERS.len() => (PEERS[c].parse::<IpAddr>().unwrap(), rest),
        c if c % 2 == 0 && rest.len() >= 4 => {
            let octets: [u8; 4] = rest[..4].try_into().unwrap();
            (IpAddr::V4(Ipv4Addr::from(octets)), &rest[4..])
        }
        _ if rest.len() >= 16 => {
            let octets: [u8; 16] = rest[..16].try_into().unwrap();
            (IpAddr::V6(Ipv6Addr::from(octets)), &rest[16..])
        }
        _ => return,
    };
    let trusted = trusted();

    // Without trusted proxies or without a header: the peer, canonical.
    assert_eq!(resolve_client(peer, Some(header), None), canonical(peer));
    assert_eq!(resolve_client(peer, None, Some(trusted)), canonical(peer));

    let client = resolve_client(peer, Some(header), Some(trusted));
    assert_eq!(client, canonical(client), "not canonical");
    let written: Vec<IpAddr> = header
        .split(|&b| b == b',')
        .filter_map(parse_client_address)
        .map(canonical)
        .collect();
    assert!(
        client == canonical(peer) || written.contains(&client),
        "{client} is neither the peer {peer} nor in the header"
    );
    if !trusted.contains(peer) {
        assert_eq!(
            client,
            canonical(peer),
            "an untrusted peer's header was believed"
        );
    }
    if trusted.contains(client) && trusted.contains(peer) {
        // A trusted proxy as the client: every well-formed entry from the
        // right (up to the first malformed one) was trusted, and the result
        // is the leftmost of them, or the peer when there is none.
        let good: Vec<IpAddr> = header
            .rsplit(|&b| b == b',')
            .map_while(parse_client_address)
            .map(canonical)
            .collect();
        assert!(
            good.iter().all(|a| trusted.contains(*a)),
            "a trusted result passed over an untrusted entry"
        );
        assert_eq!(client, good.last().copied().unwrap_or(canonical(peer)));
    }
    assert_eq!(
        client,
        reference(peer, header, trusted),
        "peer {peer} header {:?}",
        String::from_utf8_lossy(header)
    );
});
