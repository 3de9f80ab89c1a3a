//! Which address is the client's when a trusted proxy forwards the request.
//!
//! As Apache's mod_remoteip and nginx's `real_ip_recursive`: only a trusted
//! peer's header is believed; it is walked from right to left (the right end
//! was written by the proxy nearest to us), trusted proxies are skipped, and
//! the first address that is not a trusted proxy is the client. A malformed
//! entry stops the walk at the last good address, because anything to its
//! left was written by someone we cannot vouch for.

use std::net::IpAddr;

use super::network::{NetworkSet, canonical, parse_client_address};

/// The client's address, given the TCP peer (or Apache's view of the user
/// agent), the client-IP header's value and the trusted proxies.
pub fn resolve_client(peer: IpAddr, header: Option<&[u8]>, trusted: Option<&NetworkSet>) -> IpAddr {
    let peer = canonical(peer);
    let (Some(trusted), Some(header)) = (trusted, header) else {
        return peer;
    };
    if !trusted.contains(peer) {
        return peer;
    }
    let mut client = peer;
    for entry in header.rsplit(|&b| b == b',') {
        let Some(addr) = parse_client_address(entry) else {
            break;
        };
        client = canonical(addr);
        if !trusted.contains(client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{NetRule, parse_network};
    use crate::origin::Origin;

    fn trusted(tokens: &[&str]) -> NetworkSet {
        NetworkSet::new(
            tokens
                .iter()
                .map(|t| NetRule::new(parse_network(t).unwrap(), t, Origin::new("x", 1)))
                .collect(),
        )
    }

    fn resolve(peer: &str, header: Option<&str>) -> String {
        let t = trusted(&["127.0.0.0/29", "2001:db8::/64"]);
        resolve_client(peer.parse().unwrap(), header.map(str::as_bytes), Some(&t)).to_string()
    }

    #[test]
    fn untrusted_peer_header_is_ignored() {
        assert_eq!(resolve("192.0.2.1", Some("10.20.16.5")), "192.0.2.1");
    }

    #[test]
    fn trusted_peer_yields_the_rightmost_untrusted_entry() {
        assert_eq!(
            resolve("127.0.0.1", Some("10.9.9.9, 10.20.16.5")),
            "10.20.16.5"
        );
        assert_eq!(
            resolve("127.0.0.1", Some("10.9.9.9, 10.20.16.5, 127.0.0.2")),
            "10.20.16.5"
        );
        assert_eq!(
            resolve("127.0.0.1", Some("10.9.9.9,10.20.16.5,127.0.0.2")),
            "10.20.16.5"
        );
    }

    #[test]
    fn malformed_entry_stops_at_the_last_good_address() {
        assert_eq!(
            resolve("127.0.0.1", Some("10.20.16.5, garbage")),
            "127.0.0.1"
        );
        assert_eq!(
            resolve("127.0.0.1", Some("10.20.16.5, garbage, 127.0.0.3")),
            "127.0.0.3"
        );
        assert_eq!(
            resolve("127.0.0.1", Some("10.20.16.5, ,127.0.0.3")),
            "127.0.0.3"
        );
        assert_eq!(resolve("127.0.0.1", Some("")), "127.0.0.1");
    }

    #[test]
    fn all_trusted_yields_the_leftmost() {
        assert_eq!(
            resolve("127.0.0.1", Some("127.0.0.5, 127.0.0.2")),
            "127.0.0.5"
        );
    }

    #[test]
    fn ipv6_and_mapped_entries() {
        assert_eq!(resolve("2001:db8::1", Some("2001:db9::7")), "2001:db9::7");
        assert_eq!(
            resolve("::ffff:127.0.0.1", Some("::ffff:10.20.16.5")),
            "10.20.16.5"
        );
    }

    #[test]
    fn no_trusted_proxies_or_no_header_means_the_peer() {
        assert_eq!(
            resolve_client("127.0.0.1".parse().unwrap(), Some(b"10.1.1.1"), None).to_string(),
            "127.0.0.1"
        );
        assert_eq!(resolve("127.0.0.1", None), "127.0.0.1");
    }
}
