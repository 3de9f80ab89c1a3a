//! What counting adds to a request: the request-side work of a client let
//! in by a rule no limit names (uncounted) against one a limit counts (the
//! hit in a 1 MiB table and the decision). Goal: at most 200 ns more.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use photoguard_engine::guard::{
    AllowClass, KeySpec, Limit, Seed, Table, counting, limited, parse_limit, words_for_bytes,
};

const CLIENTS: u32 = 10_000;
const NOW: u64 = 1_800_000_000;

fn ip(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(
        0x0a00_0000 + i.wrapping_mul(2_654_435_761) % 0x00ff_ffff,
    ))
}

/// What the module does for one request, given the class that let it in.
fn request(
    table: &Table<'_>,
    limits: &[Limit],
    spec: KeySpec,
    addr: IpAddr,
    class: AllowClass,
) -> bool {
    let key = spec.client_key(addr);
    let counts = counting(limits, class)
        .map(|limit| (limit, table.hit(&key, limit.id, limit.window_secs(), NOW)));
    limited(counts, NOW).is_some()
}

fn bench(c: &mut Criterion) {
    let words: Vec<AtomicU64> = (0..words_for_bytes(1 << 20))
        .map(|_| AtomicU64::new(0))
        .collect();
    let table = Table::create(&words, Seed::random()).unwrap();
    let limits = [Limit::new(
        1,
        parse_limit(&["30/10m", "cookie"]).unwrap(),
        "photos.conf:20",
    )];
    let spec = KeySpec::default();
    let addrs: Vec<IpAddr> = (0..CLIENTS).map(ip).collect();

    let mut i = 0usize;
    let mut next = || {
        i = (i + 1) % addrs.len();
        addrs[i]
    };
    c.bench_function("request uncounted (network, 10k clients)", |b| {
        b.iter(|| {
            request(
                &table,
                &limits,
                spec,
                black_box(next()),
                black_box(AllowClass::Network),
            )
        })
    });
    c.bench_function("request counted (cookie, 10k clients, 1 MiB table)", |b| {
        b.iter(|| {
            request(
                &table,
                &limits,
                spec,
                black_box(next()),
                black_box(AllowClass::Cookie),
            )
        })
    });
    let key = spec.client_key(addrs[0]);
    c.bench_function("hit one client", |b| {
        b.iter(|| table.hit(black_box(&key), 1, 600, NOW))
    });
    c.bench_function("peek one client", |b| {
        b.iter(|| table.peek(black_box(&key), 1, 600, NOW))
    });
    println!(
        "table: {} slots, live evictions {}",
        table.capacity(),
        table.live_evictions()
    );
}

criterion_group! {
    name = benches;
    // Short runs: the machine is shared.
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
