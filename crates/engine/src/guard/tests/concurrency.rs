//! Several threads on one table stand in for Apache's child processes on
//! one shared-memory segment: the atomics behave the same either way.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::AtomicU64;
use std::thread;

use crate::guard::layout::{BUCKET_WORDS, HEADER_WORDS};
use crate::guard::{ClientKey, Seed, Table};

const THREADS: usize = 4;

fn memory(words: usize) -> Vec<AtomicU64> {
    (0..words).map(|_| AtomicU64::new(0)).collect()
}

fn key(n: usize) -> ClientKey {
    ClientKey::new(IpAddr::V4(Ipv4Addr::from(0xc000_0200 + n as u32)), 64)
}

/// Runs `per_thread` hits of `clients` clients (each thread in its own
/// order) at `now(i)`; returns, per thread, each hit's (client, count, end).
fn hammer(
    table: &Table<'_>,
    clients: usize,
    per_thread: usize,
    now: impl Fn(usize) -> u64 + Sync,
) -> Vec<Vec<(usize, u64, u64)>> {
    thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let now = &now;
                scope.spawn(move || {
                    (0..per_thread)
                        .map(|i| {
                            let client = (i * (2 * t + 1) + t) % clients;
                            let count = table.hit(&key(client), 1, 600, now(i));
                            (client, count.count_in_window, count.window_ends_at)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    })
}

#[test]
fn exact_total_under_contention() {
    let words = memory((1 << 20) / 8);
    let table = Table::create(&words, Seed::random()).unwrap();
    let (clients, per_thread, now) = (16, 20_000, 1_800_000_000);
    let results = hammer(&table, clients, per_thread, |_| now);
    let mut hits = vec![0u64; clients];
    let mut highest = vec![0u64; clients];
    for (client, count, _) in results.iter().flatten() {
        hits[*client] += 1;
        highest[*client] = highest[*client].max(*count);
    }
    assert_eq!(hits.iter().sum::<u64>(), (THREADS * per_thread) as u64);
    for client in 0..clients {
        assert_eq!(
            table.peek(&key(client), 1, 600, now).count_in_window,
            hits[client],
            "client {client}"
        );
        // The last hit in the total order sees every other.
        assert_eq!(highest[client], hits[client], "client {client}");
    }
    assert_eq!(table.live_evictions(), 0);
}

#[test]
fn racing_claims_in_one_bucket_lose_nothing() {
    // 8 clients in one 8-slot bucket, claimed from empty by 4 threads at
    // once, many times over: slots claimed twice for one window must add up.
    for round in 0..200 {
        let words = memory(HEADER_WORDS + BUCKET_WORDS);
        let table = Table::create(&words, Seed { k0: round, k1: 7 }).unwrap();
        let now = 1_800_000_000;
        let results = hammer(&table, 8, 64, |_| now);
        for client in 0..8 {
            let hits = results
                .iter()
                .flatten()
                .filter(|(c, _, _)| *c == client)
                .count() as u64;
            assert_eq!(
                table.peek(&key(client), 1, 600, now).count_in_window,
                hits,
                "round {round}, client {client}"
            );
        }
        assert_eq!(table.live_evictions(), 0);
    }
}

#[test]
fn exact_across_a_window_boundary() {
    let words = memory((1 << 20) / 8);
    let table = Table::create(&words, Seed::random()).unwrap();
    let per_thread = 10_000;
    let boundary = 1_800_000_600;
    // Each thread crosses the boundary halfway through its hits.
    let results = hammer(&table, 4, per_thread, |i| {
        boundary - 1 + (i >= per_thread / 2) as u64
    });
    for client in 0..4 {
        let mine: Vec<_> = results
            .iter()
            .flatten()
            .filter(|(c, _, _)| *c == client)
            .collect();
        let highest = |end: u64| {
            mine.iter()
                .filter(|(_, _, e)| *e == end)
                .map(|(_, n, _)| *n)
                .max()
                .unwrap_or(0)
        };
        // Every hit is in one of the two windows, and nothing is lost.
        assert!(
            mine.iter()
                .all(|(_, _, e)| *e == boundary || *e == boundary + 600)
        );
        assert_eq!(
            highest(boundary) + highest(boundary + 600),
            mine.len() as u64,
            "client {client}"
        );
        assert_eq!(
            table.peek(&key(client), 1, 600, boundary).count_in_window,
            highest(boundary + 600)
        );
    }
}

#[test]
fn eviction_under_contention_never_over_counts() {
    // 32 clients for 8 slots: evictions all the time.
    let words = memory(HEADER_WORDS + BUCKET_WORDS);
    let table = Table::create(&words, Seed::random()).unwrap();
    let now = 1_800_000_000;
    let results = hammer(&table, 32, 5_000, |_| now);
    for client in 0..32 {
        let hits = results
            .iter()
            .flatten()
            .filter(|(c, _, _)| *c == client)
            .count() as u64;
        assert!(table.peek(&key(client), 1, 600, now).count_in_window <= hits);
        assert!(
            results
                .iter()
                .flatten()
                .filter(|(c, _, _)| *c == client)
                .all(|(_, n, _)| *n >= 1 && *n <= hits)
        );
    }
    assert!(table.live_evictions() > 0);
}
