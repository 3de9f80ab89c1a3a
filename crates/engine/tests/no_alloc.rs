//! A decision allocates nothing (once the policy is prepared): a counting global allocator watches this
//! thread while realistic requests are decided (large mixed range lists, the
//! trusted-proxy walk, a 1 KB Cookie header, allow and deny).

#[path = "counting_alloc/mod.rs"]
mod counting_alloc;
use counting_alloc::allocations_during;

use std::net::IpAddr;

use photoguard_engine::{Request, Verdict};

#[path = "../benches/support/workload.rs"]
mod workload;

#[test]
fn deciding_requests_allocates_nothing() {
    let ranges = workload::mixed_ranges(100_000, 7);
    let mut policy = workload::policy_with_ranges(&ranges);
    workload::apply(&mut policy, 30, "PhotoGuardTrustedProxy", "127.0.0.0/8 ::1");
    // Indexes are built once the configuration is read, before any request.
    policy.prepare();
    let probes = workload::probe_addresses(&ranges, 2_000, 11);
    let with_cookie = workload::typical_cookie_header(Some("LtpaToken2=AAECAzU2Nzg5"));
    let without_cookie = workload::typical_cookie_header(None);
    let proxy: IpAddr = "127.0.0.1".parse().unwrap();
    let outside: IpAddr = "203.0.113.9".parse().unwrap();
    assert!(
        !policy.networks().unwrap().contains(outside),
        "the workload must leave 203.0.113.9 unlisted"
    );

    let mut verdicts = [0usize; 3];
    let count = allocations_during(|| {
        for addr in &probes {
            let d = policy.evaluate(&Request {
                peer: *addr,
                cookie_header: Some(&without_cookie),
                forwarded_for: None,
            });
            verdicts[d.verdict as usize] += 1;
            let d = policy.evaluate(&Request {
                peer: *addr,
                cookie_header: Some(&with_cookie),
                forwarded_for: None,
            });
            verdicts[d.verdict as usize] += 1;
        }
        let xff = b"198.51.100.7, 203.0.113.9, 127.0.0.5";
        let d = policy.evaluate(&Request {
            peer: proxy,
            cookie_header: None,
            forwarded_for: Some(xff),
        });
        assert_eq!((d.verdict, d.client), (Verdict::Deny, outside));
        let _ = d.reason.text();
    });
    assert_eq!(count, 0, "decisions allocated {count} times");
    // The run decided both ways, so both paths were measured.
    assert!(
        verdicts[Verdict::Allow as usize] > 2_000 && verdicts[Verdict::Deny as usize] > 100,
        "{verdicts:?}"
    );
}
