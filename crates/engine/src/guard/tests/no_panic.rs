//! "No panics on any input": every entry point on arbitrary input.

use std::net::IpAddr;
use std::sync::atomic::AtomicU64;

use proptest::prelude::*;

use crate::guard::fallback::{Fallback, LogGate};
use crate::guard::store_key::decode_count;
use crate::guard::*;

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}",
        "[0-9]{0,25}/[0-9]{0,25}[smhdxSMHD]?",
        "[0-9]{0,22}[kKmMgGx]?",
        "(address|shm|socache|any|cookie|ltpa|network|deny|429)",
        "/[0-9]{0,5}",
        "[a-z]{0,8}:[0-9.:,]{0,20}",
    ]
}

proptest! {
    #[test]
    fn parsers_return_errors_not_panics(words in prop::collection::vec(word(), 0..5)) {
        let _ = parse_limit(&words);
        let _ = parse_limit_not_found(&words);
        let _ = parse_limit_key(&words);
        let _ = parse_limit_action(&words);
        let _ = parse_limit_store(&words);
        for w in &words {
            let _ = Rate::parse(w);
            let _ = size::parse_size(w);
            let _ = decode_count(w.as_bytes());
        }
    }

    #[test]
    fn counting_takes_any_numbers(
        addr: [u8; 16], v4: bool, prefix: u8, limit_id: u32,
        len in prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>(), 1..100_000u64],
        now in prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()],
        k0: u64, k1: u64,
    ) {
        let ip = if v4 { IpAddr::from([addr[0], addr[1], addr[2], addr[3]]) } else { IpAddr::from(addr) };
        let key = ClientKey::new(ip, prefix);
        let _ = key.to_string();
        let words: Vec<AtomicU64> = (0..40).map(|_| AtomicU64::new(0)).collect();
        let table = Table::create(&words, Seed { k0, k1 }).unwrap();
        let hit = table.hit(&key, limit_id, len, now);
        prop_assert!(hit.count_in_window >= 1);
        let _ = table.peek(&key, limit_id, len, now);
        let _ = StoreKey::new(limit_id, &key, Window::containing(now, len));
        let _ = hit.retry_after(now);
        let mut store = MemoryStore::new();
        let _ = hit_shared(&mut store, &table, &key, limit_id, len, now);
        let (a, b) = (AtomicU64::new(now), AtomicU64::new(now));
        let fallback = Fallback::new(&a, &b);
        let _ = fallback.store_failed(now, "x");
        let _ = fallback.store_answered(now);
        let _ = LogGate::new(&a).should_log(now);
        let _ = Ordinal(now).to_string();
    }
}
