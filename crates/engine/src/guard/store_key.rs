//! How a count is written in a remote store (Apache socache: memcache,
//! redis), so that every server of a farm reads and writes the same entry:
//! key `pg1:<limit id>:<client key hex>:<window number>`, value the count in
//! decimal. Text, because it is what an admin sees with `memcached-tool` or
//! `redis-cli`; bounded buffers, because it is built on every counted request.

use super::key::{CLIENT_KEY_HEX_LEN, ClientKey};
use super::number::{TextBuf, parse_decimal};
use super::window::Window;

/// Bumped if the encoding ever changes, so old and new servers of a farm
/// never read each other's entries as their own.
pub const KEY_PREFIX: &[u8] = b"pg1:";

/// `pg1:` + u32 + `:` + hex + `:` + u64.
pub const MAX_KEY_LEN: usize = KEY_PREFIX.len() + 10 + 1 + CLIENT_KEY_HEX_LEN + 1 + 20;
/// u64 in decimal.
pub const MAX_VALUE_LEN: usize = 20;

#[derive(Debug, Clone, Copy)]
pub struct StoreKey(TextBuf<MAX_KEY_LEN>);

impl StoreKey {
    /// The window number (Unix time / window length) is the same on every
    /// server whose clock is within the window: windows are epoch-aligned.
    pub fn new(limit_id: u32, key: &ClientKey, window: Window) -> StoreKey {
        let mut text = TextBuf::new();
        text.push_bytes(KEY_PREFIX);
        text.push_decimal(u64::from(limit_id));
        text.push_bytes(b":");
        text.push_hex(key.bytes());
        text.push_hex(&[key.prefix()]);
        text.push_bytes(b":");
        text.push_decimal(window.number());
        StoreKey(text)
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

pub fn encode_count(count: u64) -> TextBuf<MAX_VALUE_LEN> {
    let mut text = TextBuf::new();
    text.push_decimal(count);
    text
}

/// `None` for anything but plain decimal digits: not a value this code wrote.
pub fn decode_count(value: &[u8]) -> Option<u64> {
    parse_decimal(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_text() {
        let key = ClientKey::new("192.0.2.7".parse().unwrap(), 64);
        let window = Window::containing(1_800_000_000, 600);
        let text = StoreKey::new(20, &key, window);
        assert_eq!(
            text.as_str(),
            "pg1:20:00000000000000000000ffffc000020780:3000000"
        );
        let v6 = ClientKey::new("2001:db8:1:2::9".parse().unwrap(), 64);
        assert_eq!(
            StoreKey::new(u32::MAX, &v6, Window::containing(u64::MAX, 1)).as_str(),
            "pg1:4294967295:20010db800010002000000000000000040:18446744073709551615"
        );
    }

    #[test]
    fn longest_key_fits() {
        let key = ClientKey::new("2001:db8::1".parse().unwrap(), 128);
        let text = StoreKey::new(u32::MAX, &key, Window::containing(u64::MAX, 1));
        assert_eq!(text.as_bytes().len(), MAX_KEY_LEN);
    }

    #[test]
    fn values() {
        assert_eq!(encode_count(31).as_bytes(), b"31");
        assert_eq!(encode_count(u64::MAX).as_bytes(), b"18446744073709551615");
        assert_eq!(decode_count(b"31"), Some(31));
        assert_eq!(decode_count(b""), None);
        assert_eq!(decode_count(b"31\0"), None);
        assert_eq!(decode_count(b"99999999999999999999999"), None);
    }
}
