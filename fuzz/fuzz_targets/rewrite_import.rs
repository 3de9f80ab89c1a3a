//! The RewriteCond importer's REMOTE_ADDR analysis (`regex_ipv4::analyze`,
//! the regex to CIDR set) on fuzzed pattern text; inputs of more than one
//! line go to the whole importer (`import_rewrite`) instead.
//!
//! Input: the first byte's low bit is the `[NC]` flag, the rest the pattern.
//!
//! Invariants: never panics or hangs; when the analysis claims the exact set
//! (`Ok`), it agrees with PCRE2 (the engine mod_rewrite runs: an unanchored
//! search over the dotted quad) on sampled addresses: every interval's ends
//! and the addresses just outside them, and pseudo-random ones derived from
//! the pattern; and the octet-aligned matches are a subset of the accepted.
//!
//! Patterns whose search automaton needs more than 256 KiB are skipped, for
//! speed: the analysis builds up to its own limit (4 MiB) before it refuses
//! them, and fuzzing found patterns that grow without end (`2|20.{30}`: an
//! unanchored search remembers every place a `20` began) and spent most of
//! its time there. Such patterns took seconds at the former 64 MiB limit (a
//! timeout here, now a regression test in crates/cli). Patterns that do
//! not parse are not skipped (their refusal is checked).
#![no_main]

use std::net::Ipv4Addr;

use libfuzzer_sys::fuzz_target;
use photoguard_cli::import::import_rewrite;
use photoguard_cli::import::regex_ipv4::analyze;
use regex_automata::dfa::{StartKind, dense};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;

/// Whether the pattern parses but its search DFA (built as the analysis
/// builds it) needs more than 256 KiB.
fn needs_a_large_automaton(pattern: &str, nc: bool) -> bool {
    let parses = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .case_insensitive(nc)
        .build()
        .parse(pattern)
        .is_ok();
    parses
        && dense::Builder::new()
            .configure(
                dense::Config::new()
                    .match_kind(regex_automata::MatchKind::All)
                    .start_kind(StartKind::Unanchored)
                    .dfa_size_limit(Some(1 << 18))
                    .determinize_size_limit(Some(1 << 18)),
            )
            .syntax(
                syntax::Config::new()
                    .unicode(false)
                    .utf8(false)
                    .case_insensitive(nc),
            )
            .thompson(thompson::Config::new().utf8(false))
            .build(pattern)
            .is_err()
}

/// splitmix64, seeded by the pattern: the same input samples the same addresses.
fn samples(seed: &[u8], n: usize) -> impl Iterator<Item = u32> {
    let mut state = seed.iter().fold(0x9e37_79b9_7f4a_7c15u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (0..n).map(move |_| {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as u32
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(pattern) = std::str::from_utf8(rest) else {
        return;
    };
    if pattern.contains('\n') {
        let outcome = import_rewrite("fuzz.conf", pattern);
        assert!(outcome.text.ends_with('\n'));
        return;
    }
    let nc = flags & 1 == 1;
    if needs_a_large_automaton(pattern, nc) {
        return;
    }
    let Ok(analysis) = analyze(pattern, nc) else {
        return;
    };
    if let Some(aligned) = &analysis.aligned {
        assert!(
            aligned.difference(&analysis.accepted).is_empty(),
            "aligned matches outside the accepted set"
        );
    }
    let Ok(pcre) = pcre2::bytes::RegexBuilder::new()
        .caseless(nc)
        .build(pattern)
    else {
        // PCRE2 refuses what the regex library read: httpd would not start
        // with this RewriteCond, so there is nothing to agree with.
        return;
    };
    let ranges = analysis.accepted.ranges();
    let mut addresses: Vec<u32> = ranges
        .iter()
        .take(32)
        .chain(ranges.iter().rev().take(8))
        .flat_map(|&(a, b)| [Some(a), Some(b), a.checked_sub(1), b.checked_add(1)])
        .flatten()
        .collect();
    addresses.extend(samples(rest, 24));
    addresses.extend([0, u32::MAX, u32::from(Ipv4Addr::new(10, 20, 16, 5))]);
    for addr in addresses {
        let text = Ipv4Addr::from(addr).to_string();
        let Ok(matched) = pcre.is_match(text.as_bytes()) else {
            continue;
        };
        assert_eq!(
            analysis.accepted.contains(addr),
            matched,
            "pattern {pattern:?} (NC {nc}) on {text}: analysis {} PCRE2 {}",
            analysis.accepted.contains(addr),
            matched
        );
    }
});
