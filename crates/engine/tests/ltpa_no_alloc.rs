//! A repeat of a validated token is answered from the cache without
//! allocating: a counting global allocator watches this thread.

#[path = "counting_alloc/mod.rs"]
mod counting_alloc;
use counting_alloc::allocations_during;

#[path = "ltpa_support/mod.rs"]
mod support;

use photoguard_engine::ltpa::TokenCache;
use photoguard_ltpa_mint::{broken, mint_domino, mint_ltpa2, mint_v1};
use support::*;

#[test]
fn cached_repeats_allocate_nothing() {
    let f = fixture();
    let v = validator();
    let cache = TokenCache::default();
    let tokens = [
        mint_ltpa2(&f.a, &claims()),
        broken::percent_encoded(&mint_ltpa2(&f.b, &claims())),
        mint_v1(&f.a, &claims()),
        mint_domino(&f.secret, DOMINO_USER, 0, EXPIRES_SECS as u32),
    ];
    // First validations decrypt, verify and allocate the cached entries.
    let first = allocations_during(|| {
        for t in &tokens {
            v.validate_cached(&cache, t.as_bytes(), NOW).unwrap();
        }
    });
    assert!(first > 0, "the counter counts");
    let repeats = allocations_during(|| {
        for round in 0..1_000u64 {
            for t in &tokens {
                let token = v
                    .validate_cached(&cache, t.as_bytes(), NOW + round)
                    .unwrap();
                assert!(!token.user.is_empty());
            }
        }
    });
    assert_eq!(repeats, 0, "a cached repeat allocated");
}
