//! What "a client" is for counting: its address (after trusted proxies), with
//! IPv6 grouped by prefix because one subscriber usually holds a whole /64
//! and could otherwise rotate through 2^64 addresses, each with a fresh count.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const DEFAULT_IPV6_PREFIX: u8 = 64;

/// `PhotoGuardLimitKey`: how clients are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// 0 to 128.
    pub ipv6_prefix: u8,
}

impl Default for KeySpec {
    fn default() -> Self {
        KeySpec {
            ipv6_prefix: DEFAULT_IPV6_PREFIX,
        }
    }
}

impl KeySpec {
    pub fn client_key(&self, ip: IpAddr) -> ClientKey {
        ClientKey::new(ip, self.ipv6_prefix)
    }
}

/// A fixed-size client identity: 16 address bytes (IPv4 as `::ffff:a.b.c.d`,
/// IPv6 masked to the prefix) and the prefix length, 128 for IPv4. The prefix
/// is part of the key so that `2001:db8::/64` and the single address
/// `2001:db8::` never share a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey {
    bytes: [u8; 16],
    prefix: u8,
}

/// Hex length of a key: 16 address bytes and the prefix byte.
pub const CLIENT_KEY_HEX_LEN: usize = 34;

impl ClientKey {
    /// `ipv6_prefix` above 128 is taken as 128. An IPv4-mapped IPv6 address
    /// (a dual-stack socket's view of an IPv4 client) is the IPv4 client.
    pub fn new(ip: IpAddr, ipv6_prefix: u8) -> ClientKey {
        match ip {
            IpAddr::V4(v4) => ClientKey::v4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::v4(v4),
                None => {
                    let prefix = ipv6_prefix.min(128);
                    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                    ClientKey {
                        bytes: (u128::from(v6) & mask).to_be_bytes(),
                        prefix,
                    }
                }
            },
        }
    }

    fn v4(v4: Ipv4Addr) -> ClientKey {
        ClientKey {
            bytes: v4.to_ipv6_mapped().octets(),
            prefix: 128,
        }
    }

    pub fn bytes(&self) -> &[u8; 16] {
        &self.bytes
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The key as two words and the prefix, for hashing.
    pub(crate) fn words(&self) -> (u64, u64, u8) {
        let value = u128::from_be_bytes(self.bytes);
        ((value >> 64) as u64, value as u64, self.prefix)
    }

    pub fn is_ipv4(&self) -> bool {
        Ipv6Addr::from(self.bytes).to_ipv4_mapped().is_some() && self.prefix == 128
    }
}

/// For logs: `192.0.2.7`, `2001:db8:1:2::/64`.
impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v6 = Ipv6Addr::from(self.bytes);
        match (self.is_ipv4(), v6.to_ipv4_mapped()) {
            (true, Some(v4)) => write!(f, "{v4}"),
            _ => write!(f, "{v6}/{}", self.prefix),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str, prefix: u8) -> ClientKey {
        ClientKey::new(text.parse().unwrap(), prefix)
    }

    #[test]
    fn ipv4_and_mapped_are_one_client() {
        assert_eq!(key("192.0.2.7", 64), key("::ffff:192.0.2.7", 64));
        assert_eq!(key("192.0.2.7", 64).to_string(), "192.0.2.7");
        assert_ne!(key("192.0.2.7", 64), key("192.0.2.8", 64));
        // Mapped is not compatible: ::192.0.2.7 is an (obsolete) IPv6 address.
        assert_ne!(key("::192.0.2.7", 128), key("192.0.2.7", 128));
    }

    #[test]
    fn ipv6_grouped_by_prefix() {
        assert_eq!(key("2001:db8:1:2::1", 64), key("2001:db8:1:2:ffff::9", 64));
        assert_ne!(key("2001:db8:1:2::1", 64), key("2001:db8:1:3::1", 64));
        assert_eq!(key("2001:db8:1:2::1", 64).to_string(), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2::1", 48), key("2001:db8:1:ffff::1", 48));
        assert_ne!(key("2001:db8:1:2::1", 128), key("2001:db8:1:2::2", 128));
        assert_eq!(key("2001:db8::1", 0), key("fe80::1", 0));
        assert_eq!(key("2001:db8::1", 200), key("2001:db8::1", 128));
    }

    #[test]
    fn prefix_is_part_of_the_key() {
        assert_ne!(key("2001:db8::", 64), key("2001:db8::", 128));
        assert!(key("::ffff:0.0.0.1", 64).is_ipv4());
        assert!(!key("::1", 128).is_ipv4());
    }
}
