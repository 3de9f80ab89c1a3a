//! The table against a reference model (a `HashMap` of exact counts per
//! client, limit and window) on random sequences of hits.
//!
//! With room to spare the table must agree exactly. In a table far too small
//! (one or two buckets for up to 40 clients) it must still never count more
//! than the model, and a client's count within a window only goes up by one
//! per hit, except right after a live eviction, when it starts again at 1.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::AtomicU64;

use proptest::prelude::*;

use crate::guard::layout::{BUCKET_WORDS, HEADER_WORDS};
use crate::guard::{ClientKey, Seed, Table, Window};

/// (limit id, window length): 10 s, 10 min and a day, so that sequences
/// cross many short windows and few long ones.
const LIMITS: [(u32, u64); 3] = [(1, 10), (2, 600), (3, 86_400)];

#[derive(Debug, Clone)]
struct Hit {
    client: u8,
    limit: usize,
    /// Seconds since the previous hit: time only moves forward.
    advance: u64,
}

fn client_key(n: u8) -> ClientKey {
    // Half IPv4, half IPv6 /64s (two addresses in the same /64 are one client).
    let ip = if n % 2 == 0 {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
    } else {
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            u16::from(n),
            0,
            0,
            0,
            0,
            u16::from(n) % 3,
        ))
    };
    ClientKey::new(ip, 64)
}

fn hits(clients: u8) -> impl Strategy<Value = Vec<Hit>> {
    let advance =
        prop_oneof![4 => Just(0u64), 4 => 0..5u64, 1 => 0..2_000u64, 1 => 80_000..90_000u64];
    prop::collection::vec(
        (0..clients, 0..LIMITS.len(), advance).prop_map(|(client, limit, advance)| Hit {
            client,
            limit,
            advance,
        }),
        1..400,
    )
}

/// Today-ish, and around 2106 when 32-bit window ends wrap.
fn start_time() -> impl Strategy<Value = u64> {
    prop_oneof![
        1_700_000_000..1_900_000_000u64,
        (1u64 << 32) - 200_000..(1u64 << 32) + 200_000
    ]
}

fn memory(words: usize) -> Vec<AtomicU64> {
    (0..words).map(|_| AtomicU64::new(0)).collect()
}

type ModelKey = (u8, usize, u64);

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn equals_the_model_when_nothing_is_evicted(hits in hits(20), start in start_time(), k0: u64, k1: u64) {
        let words = memory((1 << 20) / 8);
        let table = Table::create(&words, Seed { k0, k1 }).unwrap();
        let mut model: HashMap<ModelKey, u64> = HashMap::new();
        let mut now = start;
        for hit in &hits {
            now += hit.advance;
            let (id, len) = LIMITS[hit.limit];
            let window = Window::containing(now, len);
            let expected = model.entry((hit.client, hit.limit, window.number())).or_insert(0);
            *expected += 1;
            let got = table.hit(&client_key(hit.client), id, len, now);
            prop_assert_eq!(got.count_in_window, *expected);
            prop_assert_eq!(got.window_ends_at, window.end());
            let expected = *expected;
            prop_assert_eq!(table.peek(&client_key(hit.client), id, len, now).count_in_window, expected);
        }
        // Every client and limit, at the end.
        for client in 0..20 {
            for (limit, &(id, len)) in LIMITS.iter().enumerate() {
                let window = Window::containing(now, len);
                let expected = model.get(&(client, limit, window.number())).copied().unwrap_or(0);
                prop_assert_eq!(table.peek(&client_key(client), id, len, now).count_in_window, expected);
            }
        }
        prop_assert_eq!(table.live_evictions(), 0);
    }

    #[test]
    fn never_over_counts_when_full(hits in hits(40), start in start_time(), buckets in 1..3usize, k0: u64, k1: u64) {
        let words = memory(HEADER_WORDS + buckets * BUCKET_WORDS);
        let table = Table::create(&words, Seed { k0, k1 }).unwrap();
        let mut model: HashMap<ModelKey, u64> = HashMap::new();
        // Per client and limit: (window number, last count, evictions then).
        let mut last: HashMap<(u8, usize), (u64, u64, u64)> = HashMap::new();
        let mut now = start;
        for hit in &hits {
            now += hit.advance;
            let (id, len) = LIMITS[hit.limit];
            let window = Window::containing(now, len);
            let exact = model.entry((hit.client, hit.limit, window.number())).or_insert(0);
            *exact += 1;
            let got = table.hit(&client_key(hit.client), id, len, now);
            let evictions = table.live_evictions();
            prop_assert!(got.count_in_window >= 1);
            prop_assert!(got.count_in_window <= *exact, "over-counted: {} > {}", got.count_in_window, exact);
            prop_assert_eq!(got.window_ends_at, window.end());
            if let Some(&(previous_window, previous, evictions_then)) = last.get(&(hit.client, hit.limit)) {
                if previous_window == window.number() && got.count_in_window != previous + 1 {
                    prop_assert_eq!(got.count_in_window, 1, "a count may only restart");
                    prop_assert!(evictions > evictions_then, "restarted without a live eviction");
                }
            }
            last.insert((hit.client, hit.limit), (window.number(), got.count_in_window, evictions));
            prop_assert_eq!(table.peek(&client_key(hit.client), id, len, now).count_in_window, got.count_in_window);
        }
    }
}
