//! A repeat of a validated token is answered from the cache without
//! allocating: a counting global allocator watches this thread.

#[path = "ltpa_support/mod.rs"]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use photoguard_engine::ltpa::TokenCache;
use photoguard_ltpa_mint::{broken, mint_domino, mint_ltpa2, mint_v1};
use support::*;

struct CountingAllocator;

thread_local! {
    // const-initialised, no destructor: safe to touch from the allocator.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; it only
// counts, in a thread-local cell that itself never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

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
