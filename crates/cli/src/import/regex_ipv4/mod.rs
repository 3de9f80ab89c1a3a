//! The exact set of IPv4 addresses a `RewriteCond %{REMOTE_ADDR}` regex
//! accepts.
//!
//! mod_rewrite runs the pattern as an unanchored PCRE search over the
//! client address as text, `10.20.16.5`: a dotted quad of canonical decimal
//! octets. We build a DFA for that search and walk it over all such texts,
//! octet by octet ("0".."255" with "." between), remembering for every
//! (octet position, DFA state) the set of address suffixes that lead to a
//! match. There are at most 4 × (number of DFA states) such pairs, so the
//! work is bounded by the automaton's size, never by the 2^32 addresses, and
//! nothing is sampled.
//!
//! Besides the set, the walk reports what an admin probably did not mean:
//! octet values above 255 that the pattern spells out, and addresses that
//! are accepted only because the pattern matched part of an octet (an
//! unanchored `^10\.1\.1\.1` also accepts 10.1.1.10-19 and 10.1.1.100-199).

mod pcre;
mod walk;

use std::fmt;

use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::nfa::thompson;
use regex_automata::util::{primitives::StateID, start, syntax};
use regex_automata::{Anchored, MatchKind};

use super::ipv4_set::Ipv4Set;
use pcre::check_pcre_compatibility;
use walk::Walk;

/// What a pattern accepts, and what looks unintended about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressRegexAnalysis {
    /// Exactly the addresses mod_rewrite's search would match.
    pub accepted: Ipv4Set,
    /// The addresses matched by a match that starts and ends on octet
    /// boundaries; `accepted` minus this is what a partial-octet match let in.
    /// `None` when the pattern could not be wrapped to compute it.
    pub aligned: Option<Ipv4Set>,
    /// Per octet position (0 = first), values 256-999 that the pattern spells
    /// out in a matching address, as ranges.
    pub over_255: [Vec<(u16, u16)>; 4],
}

impl AddressRegexAnalysis {
    /// Addresses accepted only because the pattern matched inside an octet.
    pub fn partial_octet_matches(&self) -> Ipv4Set {
        match &self.aligned {
            Some(aligned) => self.accepted.difference(aligned),
            None => Ipv4Set::empty(),
        }
    }
}

/// Why a pattern cannot be analysed: PCRE syntax the regex library does not
/// share, or an automaton too large to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslatable(pub String);

impl fmt::Display for Untranslatable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Bounds for building one DFA; a REMOTE_ADDR pattern that needs more is
/// reported rather than analysed slowly. A list of 2,000 addresses in one
/// alternation needs 400 KiB; an unanchored `2|20.{30}` grows without end
/// (the search remembers every place a `20` began), and the time spent
/// before the refusal grows with this limit: at 64 MiB it was seconds in a
/// release build and over a minute in a debug one (found by fuzzing).
const DFA_SIZE_LIMIT: usize = 4 << 20;
/// A result with more intervals than this is reported as too fragmented to
/// be a sensible allow list (the pattern probably tests single digits).
const MAX_INTERVALS: usize = 1 << 20;

/// Analyses one REMOTE_ADDR pattern. `case_insensitive` is the `[NC]` flag
/// (it cannot change which digits match, but is honoured anyway).
pub fn analyze(
    pattern: &str,
    case_insensitive: bool,
) -> Result<AddressRegexAnalysis, Untranslatable> {
    check_pcre_compatibility(pattern, case_insensitive)?;
    let dfa = build_search_dfa(pattern, case_insensitive)?;
    let mut walk = Walk::new(&dfa)?;
    let accepted = walk.run()?;
    let over_255 = walk.over_255_ranges();
    // A match is on octet boundaries when it starts and ends at an ASCII
    // word boundary: in a dotted quad those are exactly the text's ends and
    // the positions next to a dot.
    let aligned = if pattern.contains("(?x") || pattern.contains("(?-") {
        None
    } else {
        let wrapped = format!(r"(?-u:\b)(?:{pattern})(?-u:\b)");
        match build_search_dfa(&wrapped, case_insensitive) {
            Ok(dfa) => Some(Walk::new(&dfa)?.run()?),
            Err(_) => None,
        }
    };
    Ok(AddressRegexAnalysis {
        accepted,
        aligned,
        over_255,
    })
}

/// A DFA for an unanchored search with the pattern, over bytes (PCRE in
/// mod_rewrite is not in UTF mode: `\d` and `\b` are ASCII).
fn build_search_dfa(
    pattern: &str,
    case_insensitive: bool,
) -> Result<dense::DFA<Vec<u32>>, Untranslatable> {
    dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::All)
                .start_kind(StartKind::Unanchored)
                .dfa_size_limit(Some(DFA_SIZE_LIMIT))
                .determinize_size_limit(Some(DFA_SIZE_LIMIT)),
        )
        .syntax(
            syntax::Config::new()
                .unicode(false)
                .utf8(false)
                .case_insensitive(case_insensitive),
        )
        .thompson(thompson::Config::new().utf8(false))
        .build(pattern)
        .map_err(|e| Untranslatable(format!("cannot build an automaton for the pattern: {e}")))
}

/// Whether an unanchored search with `pattern` matches every URL path (any
/// bytes but NUL and newline), e.g. `^(.*)$` or `.*`: a breadth-first walk
/// over the DFA's states, looking for one from which the text can end
/// without a match. Used for a RewriteRule's pattern.
pub fn matches_every_path(pattern: &str, case_insensitive: bool) -> Result<bool, Untranslatable> {
    check_pcre_compatibility(pattern, case_insensitive)?;
    let dfa = build_search_dfa(pattern, case_insensitive)?;
    let start = search_start(&dfa)?;
    let mut seen = std::collections::HashSet::from([start]);
    let mut queue = vec![start];
    while let Some(state) = queue.pop() {
        if dfa.is_match_state(state) {
            continue; // matched already, whatever follows
        }
        if dfa.is_dead_state(state)
            || dfa.is_quit_state(state)
            || !dfa.is_match_state(dfa.next_eoi_state(state))
        {
            return Ok(false);
        }
        for byte in (1u8..=255).filter(|&b| b != b'\n') {
            let next = dfa.next_state(state, byte);
            if seen.insert(next) {
                queue.push(next);
            }
        }
    }
    Ok(true)
}

/// The state an unanchored search starts in.
fn search_start(dfa: &dense::DFA<Vec<u32>>) -> Result<StateID, Untranslatable> {
    dfa.start_state(&start::Config::new().anchored(Anchored::No))
        .map_err(|e| Untranslatable(format!("the automaton cannot start: {e}")))
}

#[cfg(test)]
mod tests {
    use super::super::ipv4_set::RangeText;
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(text: &str) -> u32 {
        u32::from(text.parse::<Ipv4Addr>().unwrap())
    }

    fn cidrs(pattern: &str) -> Vec<String> {
        analyze(pattern, false)
            .unwrap()
            .accepted
            .to_cidrs()
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    const OCTET: &str = r"([0-9]|[1-9][0-9]|1([0-9][0-9])|2([0-4][0-9]|5[0-5]))";

    #[test]
    fn seed_patterns_are_exactly_their_networks() {
        let seed = [
            (
                format!(r"^10\.20\.(1[6-9]|2[0-9]|3[01])\.{OCTET}$"),
                "10.20.16.0/20",
            ),
            (
                format!(r"^10\.30\.(6[4-9]|7[01])\.{OCTET}$"),
                "10.30.64.0/21",
            ),
            (
                format!(r"^172\.16\.(12[89]|13[01])\.{OCTET}$"),
                "172.16.128.0/22",
            ),
            (r"^192\.0\.2\.10$".to_string(), "192.0.2.10/32"),
        ];
        for (pattern, expected) in seed {
            let analysis = analyze(&pattern, true).unwrap();
            let nets: Vec<String> = analysis
                .accepted
                .to_cidrs()
                .iter()
                .map(|n| n.to_string())
                .collect();
            assert_eq!(nets, [expected], "{pattern}");
            assert!(analysis.partial_octet_matches().is_empty(), "{pattern}");
            assert!(analysis.over_255.iter().all(Vec::is_empty), "{pattern}");
        }
    }

    #[test]
    fn octets_above_255_are_reported_where_the_pattern_spells_them() {
        let analysis = analyze(r"^10\.0\.0\.25[0-9]$", false).unwrap();
        assert_eq!(
            analysis
                .accepted
                .to_cidrs()
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>(),
            ["10.0.0.250/31", "10.0.0.252/30"]
        );
        assert_eq!(analysis.over_255[3], [(256, 259)]);
        assert!(analysis.over_255[..3].iter().all(Vec::is_empty));
        // A prefix that stops before the octet does not "accept 300".
        let prefix = analyze(r"^10\.", false).unwrap();
        assert!(prefix.over_255.iter().all(Vec::is_empty));
        assert_eq!(cidrs(r"^10\."), ["10.0.0.0/8"]);
        // `[0-9]{1,3}` spells out every value up to 999.
        let loose = analyze(r"^10\.([0-9]{1,3})\.", false).unwrap();
        assert_eq!(loose.over_255[1], [(256, 999)]);
        assert_eq!(cidrs(r"^10\.([0-9]{1,3})\."), ["10.0.0.0/8"]);
    }

    #[test]
    fn unanchored_end_also_accepts_longer_addresses() {
        let analysis = analyze(r"^10\.1\.1\.1", false).unwrap();
        let extra = analysis.partial_octet_matches();
        let texts: Vec<String> = extra
            .ranges()
            .iter()
            .map(|&(a, b)| RangeText(a, b).to_string())
            .collect();
        assert_eq!(texts, ["10.1.1.10-10.1.1.19", "10.1.1.100-10.1.1.199"]);
        assert_eq!(analysis.accepted.count(), 1 + 10 + 100);
        assert!(analysis.accepted.contains(ip("10.1.1.1")));
    }

    #[test]
    fn unanchored_start_also_accepts_other_first_octets() {
        let analysis = analyze(r"0\.1\.1\.1$", false).unwrap();
        // 0.1.1.1 itself is aligned; 10.1.1.1, 20.1.1.1, ..., 250.1.1.1 are not.
        assert!(analysis.accepted.contains(ip("0.1.1.1")));
        let extra = analysis.partial_octet_matches();
        assert!(
            extra.contains(ip("10.1.1.1"))
                && extra.contains(ip("250.1.1.1"))
                && !extra.contains(ip("0.1.1.1"))
        );
        assert_eq!(extra.count(), 25);
    }

    #[test]
    fn a_prefix_ending_at_a_dot_is_a_deliberate_block() {
        let analysis = analyze(r"^10\.20\.", false).unwrap();
        assert_eq!(cidrs(r"^10\.20\."), ["10.20.0.0/16"]);
        assert!(analysis.partial_octet_matches().is_empty());
        // ...and so is a dot-delimited middle.
        let middle = analyze(r"\.20\.", false).unwrap();
        assert!(middle.partial_octet_matches().is_empty());
    }

    #[test]
    fn ranges_that_are_not_one_block() {
        assert_eq!(
            cidrs(r"^10\.0\.(1[0-9])\."),
            ["10.0.10.0/23", "10.0.12.0/22", "10.0.16.0/22"]
        );
    }

    #[test]
    fn empty_sets_and_everything() {
        assert!(analyze(r"^300\.", false).unwrap().accepted.is_empty());
        assert!(
            analyze(r"^10\.0\.0\.0\.0$", false)
                .unwrap()
                .accepted
                .is_empty()
        );
        assert_eq!(cidrs(""), ["0.0.0.0/0"]);
        assert_eq!(cidrs(r"\."), ["0.0.0.0/0"]);
    }

    /// Found by fuzzing (fuzz/fuzz_targets/rewrite_import.rs, a timeout):
    /// patterns whose search automaton explodes are refused quickly, and
    /// long lists of addresses still fit.
    #[test]
    fn exploding_patterns_are_refused_quickly_and_long_lists_fit() {
        for pattern in [r"2|20.{30}", r"1.{20}0", r"3|30.{14}x.{5}@.{25}"] {
            let start = std::time::Instant::now();
            let err = analyze(pattern, false).unwrap_err();
            assert!(
                err.0.contains("cannot build an automaton"),
                "{pattern}: {err}"
            );
            // About a second in a debug build; over a minute at 64 MiB.
            assert!(
                start.elapsed().as_secs() < 20,
                "{pattern}: {:?}",
                start.elapsed()
            );
        }
        let addresses: Vec<String> = (0..2000)
            .map(|i| format!(r"10\.20\.{}\.{}", i / 256, i % 256))
            .rev()
            .collect();
        let list = format!("^({})$", addresses.join("|"));
        let analysis = analyze(&list, false).unwrap();
        assert_eq!(analysis.accepted.count(), 2000);
        assert!(analysis.accepted.contains(ip("10.20.7.207")));
    }

    #[test]
    fn rule_patterns_that_match_every_path() {
        for pattern in ["^(.*)$", ".*", "^", "", "(.*)", "^/?(.*)$"] {
            assert!(matches_every_path(pattern, false).unwrap(), "{pattern}");
        }
        for pattern in ["^/photos/", r"\.jpg$", "^(.+)$", "^/(.*)$"] {
            assert!(!matches_every_path(pattern, false).unwrap(), "{pattern}");
        }
    }

    #[test]
    fn nc_and_classes_behave_like_pcre_on_digits() {
        assert_eq!(cidrs(r"^10\.20\.\d+\.\d+$"), ["10.20.0.0/16"]);
        assert_eq!(
            analyze(r"^10\.20\.", true).unwrap().accepted,
            analyze(r"^10\.20\.", false).unwrap().accepted
        );
        assert_eq!(
            cidrs(r"^192\.168\.[0-9]\.[0-9]$"),
            analyze(r"^192\.168\.[0-9]\.[0-9]$", false)
                .unwrap()
                .accepted
                .to_cidrs()
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
        );
    }

    /// The walk against brute force with PCRE2 itself (the engine Apache 2.4
    /// links) over 2^16-address sub-spaces, for patterns wrong in known ways.
    #[test]
    fn walk_agrees_with_pcre2_on_sub_spaces() {
        let patterns = [
            format!(r"^10\.20\.(1[6-9]|2[0-9]|3[01])\.{OCTET}$"),
            r"^10\.20\.1".to_string(),
            r"0\.1[0-9]\.".to_string(),
            r"^10\.20\.(25[0-9]|1?[0-9]?[0-9])$".to_string(),
            r"^10\.20\.[0-9]*[13579]\.(1|2)".to_string(),
            r"20\.2[0-4]".to_string(),
            r"^10\.20\.(\d|\d\d)\.\d$".to_string(),
            r"(?:^|\.)20\.(?:3|4)\d*$".to_string(),
            r"\b2\d\.\d\b".to_string(),
        ];
        // Sub-spaces: 10.20.x.y, 10.x.20.y, x.20.y.20 (cover every octet position).
        let spaces: [fn(u32, u32) -> [u32; 4]; 3] = [
            |x, y| [10, 20, x, y],
            |x, y| [10, x, 20, y],
            |x, y| [x, 20, y, 20],
        ];
        for pattern in &patterns {
            let analysis = analyze(pattern, false).unwrap();
            let pcre = pcre2::bytes::RegexBuilder::new().build(pattern).unwrap();
            for space in spaces {
                for x in 0..256 {
                    for y in 0..256 {
                        let octets = space(x, y);
                        let text =
                            format!("{}.{}.{}.{}", octets[0], octets[1], octets[2], octets[3]);
                        let addr = u32::from(Ipv4Addr::new(
                            octets[0] as u8,
                            octets[1] as u8,
                            octets[2] as u8,
                            octets[3] as u8,
                        ));
                        assert_eq!(
                            analysis.accepted.contains(addr),
                            pcre.is_match(text.as_bytes()).unwrap(),
                            "pattern {pattern} on {text}"
                        );
                    }
                }
            }
        }
    }

    /// And against the regex library's own matcher on formatted addresses.
    #[test]
    fn walk_agrees_with_meta_regex() {
        let pattern = r"^1[0-9]\.2[0-9]*\.";
        let analysis = analyze(pattern, false).unwrap();
        let re = regex_automata::meta::Regex::builder()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build(pattern)
            .unwrap();
        for a in 0..256u32 {
            for b in 0..256u32 {
                let text = format!("{a}.{b}.7.9");
                let addr = (a << 24) | (b << 16) | (7 << 8) | 9;
                assert_eq!(
                    analysis.accepted.contains(addr),
                    re.is_match(text.as_bytes()),
                    "{text}"
                );
            }
        }
    }
}
