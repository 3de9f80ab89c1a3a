//! Counting for a farm: the remote store when it answers, this server's
//! table when it does not. The local table counts every request either way,
//! so that (1) a fallback starts from this server's real counts instead of
//! from zero, and (2) the store's count, which read-modify-write can leave
//! short, is never taken below this server's exact one.

use super::fallback::Fallback;
use super::key::ClientKey;
use super::store::{Store, remote_hit, remote_peek};
use super::table::Table;
use super::window::Count;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The remote store's count (all servers).
    Store,
    /// This server's table: the store failed, or is being left alone until
    /// its retry time.
    Local,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedCount {
    pub count: Count,
    pub source: Source,
    /// A line for the error log, at most one a minute across all processes.
    pub log: Option<String>,
}

/// Counts one request locally and in `store`.
pub fn hit_shared<S: Store + ?Sized>(
    store: &mut S,
    table: &Table<'_>,
    key: &ClientKey,
    limit_id: u32,
    window_len_secs: u64,
    now_secs: u64,
) -> SharedCount {
    let local = table.hit(key, limit_id, window_len_secs, now_secs);
    let result = with_store(table.fallback(), now_secs, || {
        remote_hit(
            store,
            key,
            limit_id,
            window_len_secs,
            now_secs,
            local.count_in_window,
        )
    });
    settle(result, local)
}

/// The count without counting: the store's, or this server's if higher or
/// if the store fails.
pub fn peek_shared<S: Store + ?Sized>(
    store: &mut S,
    table: &Table<'_>,
    key: &ClientKey,
    limit_id: u32,
    window_len_secs: u64,
    now_secs: u64,
) -> SharedCount {
    let local = table.peek(key, limit_id, window_len_secs, now_secs);
    let result = with_store(table.fallback(), now_secs, || {
        remote_peek(store, key, limit_id, window_len_secs, now_secs)
    });
    settle(result, local)
}

/// `None` when the store is not to be asked now; else its answer, with the
/// fallback state updated and a log line if one is due.
fn with_store(
    fallback: Fallback<'_>,
    now_secs: u64,
    ask: impl FnOnce() -> Result<Count, String>,
) -> Option<(Result<Count, ()>, Option<String>)> {
    if !fallback.should_try_store(now_secs) {
        return None;
    }
    Some(match ask() {
        Ok(count) => (Ok(count), fallback.store_answered(now_secs)),
        Err(error) => (Err(()), fallback.store_failed(now_secs, &error)),
    })
}

fn settle(result: Option<(Result<Count, ()>, Option<String>)>, local: Count) -> SharedCount {
    match result {
        Some((Ok(remote), log)) => SharedCount {
            count: Count {
                count_in_window: remote.count_in_window.max(local.count_in_window),
                ..remote
            },
            source: Source::Store,
            log,
        },
        Some((Err(()), log)) => SharedCount {
            count: local,
            source: Source::Local,
            log,
        },
        None => SharedCount {
            count: local,
            source: Source::Local,
            log: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::hash::Seed;
    use crate::guard::memory_store::MemoryStore;
    use std::sync::atomic::AtomicU64;

    fn key() -> ClientKey {
        ClientKey::new("192.0.2.7".parse().unwrap(), 64)
    }

    fn memory() -> Vec<AtomicU64> {
        (0..8192).map(|_| AtomicU64::new(0)).collect()
    }

    #[test]
    fn two_servers_share_the_store() {
        let (a, b) = (memory(), memory());
        let (server_a, server_b) = (
            Table::create(&a, Seed::random()).unwrap(),
            Table::create(&b, Seed::random()).unwrap(),
        );
        let mut store = MemoryStore::new();
        let now = 1_800_000_000;
        for i in 1..=20 {
            let counted = hit_shared(&mut store, &server_a, &key(), 1, 600, now + i);
            assert_eq!(
                (counted.count.count_in_window, counted.source),
                (i, Source::Store)
            );
        }
        let mut last = None;
        for i in 1..=11 {
            last = Some(hit_shared(
                &mut store,
                &server_b,
                &key(),
                1,
                600,
                now + 20 + i,
            ));
        }
        let last = last.unwrap();
        assert_eq!(last.count.count_in_window, 31);
        assert!(last.count.exceeds(30));
        assert_eq!(
            peek_shared(&mut store, &server_b, &key(), 1, 600, now + 40)
                .count
                .count_in_window,
            31
        );
    }

    #[test]
    fn a_failing_store_falls_back_to_local_counts() {
        let words = memory();
        let table = Table::create(&words, Seed::random()).unwrap();
        let mut store = MemoryStore::new();
        let now = 1_800_000_000;
        for _ in 0..5 {
            hit_shared(&mut store, &table, &key(), 1, 600, now);
        }
        store.fail_with(Some("memcache: connection refused"));
        let first = hit_shared(&mut store, &table, &key(), 1, 600, now + 1);
        assert_eq!(
            (first.count.count_in_window, first.source),
            (6, Source::Local)
        );
        assert!(first.log.unwrap().contains("connection refused"));
        // Within the retry interval the store is not even asked.
        let asked = store.retrievals;
        let second = hit_shared(&mut store, &table, &key(), 1, 600, now + 2);
        assert_eq!(
            (second.count.count_in_window, second.source, second.log),
            (7, Source::Local, None)
        );
        assert_eq!(store.retrievals, asked);
        // Retried, still down: counted locally, not logged again this minute.
        let third = hit_shared(&mut store, &table, &key(), 1, 600, now + 7);
        assert_eq!((third.count.count_in_window, third.log), (8, None));
        assert_eq!(store.retrievals, asked + 1);
        // Back: the store had 5, this server knows of 9.
        store.fail_with(None);
        let back = hit_shared(&mut store, &table, &key(), 1, 600, now + 70);
        assert_eq!(
            (back.count.count_in_window, back.source),
            (9, Source::Store)
        );
        assert!(back.log.unwrap().contains("answers again"));
        assert_eq!(
            hit_shared(&mut store, &table, &key(), 1, 600, now + 71)
                .count
                .count_in_window,
            10
        );
    }
}
