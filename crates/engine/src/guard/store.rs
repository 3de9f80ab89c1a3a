//! A remote store of counts shared by the servers of a farm, as the Apache
//! module provides it over mod_socache_memcache / mod_socache_redis.
//!
//! socache offers store, retrieve and remove, and no atomic increment, so a
//! remote count is read-modify-write: retrieve `n`, store `n + 1`. Two
//! servers (or two children) that read the same `n` at the same moment both
//! write `n + 1`, and one request goes uncounted. The loss is at most the
//! number of requests of one client in flight at once across the farm, and
//! `remote_hit` never writes less than the local table's exact count for
//! this server (`at_least`), so a client is never counted lower than one
//! server alone would count it. See DESIGN.md.

use super::key::ClientKey;
use super::store_key::{MAX_VALUE_LEN, StoreKey, decode_count, encode_count};
use super::window::{Count, Window};

/// Entries outlive their window by this much: the servers of a farm may
/// disagree on the time by a minute, and a server behind must still find
/// the entry of the window it is in. Past that an entry is garbage.
pub const EXPIRY_SLACK_SECS: u64 = 120;

/// The two socache operations the guard uses, in socache's terms. `&mut
/// self`: the module builds one per request around the request's pool.
pub trait Store {
    /// Copies the value stored under `key` into `value` and returns its
    /// length, or `None` if there is none (or it expired). A value longer than
    /// `value` is an error (socache's APR_ENOSPC).
    fn retrieve(&mut self, key: &[u8], value: &mut [u8]) -> Result<Option<usize>, String>;

    /// Stores `value` under `key` until Unix second `expires_at`.
    fn store(&mut self, key: &[u8], value: &[u8], expires_at: u64) -> Result<(), String>;
}

/// Counts one request in the store, read-modify-write (see the module
/// comment), writing at least `at_least`. A value that is not a decimal
/// count is not one this code wrote, and is replaced.
pub fn remote_hit<S: Store + ?Sized>(
    store: &mut S,
    key: &ClientKey,
    limit_id: u32,
    window_len_secs: u64,
    now_secs: u64,
    at_least: u64,
) -> Result<Count, String> {
    let window = Window::containing(now_secs, window_len_secs);
    let store_key = StoreKey::new(limit_id, key, window);
    let count = read(store, &store_key)?.saturating_add(1).max(at_least);
    let expires_at = window.end().saturating_add(EXPIRY_SLACK_SECS);
    store.store(
        store_key.as_bytes(),
        encode_count(count).as_bytes(),
        expires_at,
    )?;
    Ok(Count {
        count_in_window: count,
        window_ends_at: window.end(),
    })
}

/// The store's count, without counting.
pub fn remote_peek<S: Store + ?Sized>(
    store: &mut S,
    key: &ClientKey,
    limit_id: u32,
    window_len_secs: u64,
    now_secs: u64,
) -> Result<Count, String> {
    let window = Window::containing(now_secs, window_len_secs);
    let count = read(store, &StoreKey::new(limit_id, key, window))?;
    Ok(Count {
        count_in_window: count,
        window_ends_at: window.end(),
    })
}

fn read<S: Store + ?Sized>(store: &mut S, key: &StoreKey) -> Result<u64, String> {
    let mut value = [0u8; MAX_VALUE_LEN];
    Ok(match store.retrieve(key.as_bytes(), &mut value)? {
        None => 0,
        Some(len) => value.get(..len).and_then(decode_count).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::memory_store::MemoryStore;

    fn key() -> ClientKey {
        ClientKey::new("192.0.2.7".parse().unwrap(), 64)
    }

    #[test]
    fn counts_in_the_store() {
        let mut store = MemoryStore::new();
        let now = 1_800_000_000;
        for i in 1..=3 {
            assert_eq!(
                remote_hit(&mut store, &key(), 1, 600, now, 0)
                    .unwrap()
                    .count_in_window,
                i
            );
        }
        let (value, expires_at) = store
            .get("pg1:1:00000000000000000000ffffc000020780:3000000")
            .unwrap();
        assert_eq!(
            (value.as_slice(), expires_at),
            (&b"3"[..], now + 600 + EXPIRY_SLACK_SECS)
        );
        assert_eq!(
            remote_peek(&mut store, &key(), 1, 600, now)
                .unwrap()
                .count_in_window,
            3
        );
        // The next window is another entry.
        assert_eq!(
            remote_hit(&mut store, &key(), 1, 600, now + 600, 0)
                .unwrap()
                .count_in_window,
            1
        );
    }

    #[test]
    fn never_below_the_local_count() {
        let mut store = MemoryStore::new();
        assert_eq!(
            remote_hit(&mut store, &key(), 1, 600, 0, 7)
                .unwrap()
                .count_in_window,
            7
        );
        assert_eq!(
            remote_hit(&mut store, &key(), 1, 600, 0, 2)
                .unwrap()
                .count_in_window,
            8
        );
    }

    #[test]
    fn foreign_values_are_replaced() {
        let mut store = MemoryStore::new();
        let window = Window::containing(0, 600);
        let name = StoreKey::new(1, &key(), window);
        store.store(name.as_bytes(), b"junk", 600).unwrap();
        assert_eq!(
            remote_hit(&mut store, &key(), 1, 600, 0, 0)
                .unwrap()
                .count_in_window,
            1
        );
        store
            .store(name.as_bytes(), b"123456789012345678901234567890", 600)
            .unwrap();
        assert!(
            remote_hit(&mut store, &key(), 1, 600, 0, 0).is_err(),
            "too long for the buffer: the store says so"
        );
    }

    #[test]
    fn errors_pass_through() {
        let mut store = MemoryStore::new();
        store.fail_with(Some("connection refused"));
        assert_eq!(
            remote_hit(&mut store, &key(), 1, 600, 0, 0),
            Err("connection refused".to_string())
        );
        assert_eq!(
            remote_peek(&mut store, &key(), 1, 600, 0),
            Err("connection refused".to_string())
        );
    }
}
