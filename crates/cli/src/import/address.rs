//! `RewriteCond %{REMOTE_ADDR}` conditions: the exact set of addresses the
//! regex accepts (see [`super::regex_ipv4`]) as `PhotoGuardAllowNetwork`
//! lines, with a warning for everything in the set that looks unintended.

use super::ipv4_set::{Ipv4Set, RangeText, cidr_text};
use super::output::Output;
use super::parse::Cond;
use super::regex_ipv4::{self, AddressRegexAnalysis};

/// The longest CIDR list put on one directive line.
const NETWORKS_PER_LINE: usize = 8;

pub(super) fn translate_address_condition(
    cond: &Cond,
    pattern: &str,
    nc: bool,
    out: &mut Output,
) -> usize {
    if let Some(exact) = pattern.strip_prefix('=') {
        // `!=192.0.2.10`: mod_rewrite's string comparison, one address.
        out.origin_comment(cond.line, &cond.raw);
        return usize::from(out.directive(cond.line, &cond.raw, "PhotoGuardAllowNetwork", exact));
    }
    if pattern.starts_with(['<', '>']) || (pattern.starts_with('-') && pattern.len() > 1) {
        out.untranslated(
            cond.line,
            &cond.raw,
            "a comparison or file test, not a regex: write the networks by hand",
        );
        return 0;
    }
    let analysis = match regex_ipv4::analyze(pattern, nc) {
        Ok(analysis) => analysis,
        Err(why) => {
            out.untranslated(
                cond.line,
                &cond.raw,
                &format!("{why}; clients it let through are denied until their networks are added"),
            );
            return 0;
        }
    };
    out.origin_comment(cond.line, &cond.raw);
    warn_about_address_set(&analysis, pattern, out);
    let nets: Vec<String> = analysis.accepted.to_cidrs().iter().map(cidr_text).collect();
    let mut printed = 0;
    for chunk in nets.chunks(NETWORKS_PER_LINE) {
        printed += usize::from(out.directive(
            cond.line,
            &cond.raw,
            "PhotoGuardAllowNetwork",
            &chunk.join(" "),
        ));
    }
    printed
}

/// The warnings for a REMOTE_ADDR set that is probably not what was meant.
fn warn_about_address_set(analysis: &AddressRegexAnalysis, pattern: &str, out: &mut Output) {
    let accepted = &analysis.accepted;
    if accepted.is_empty() {
        out.warn("the pattern accepts no IPv4 address at all; nothing to allow");
        return;
    }
    for (position, ranges) in analysis.over_255.iter().enumerate() {
        if ranges.is_empty() {
            continue;
        }
        let values: Vec<String> = ranges
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        out.warn(format!(
            "octet {} of the pattern accepts {}, which no address has (a range meant to end at 255?)",
            position + 1,
            values.join(", ")
        ));
    }
    let partial = analysis.partial_octet_matches();
    if !partial.is_empty() {
        out.warn(format!(
            "the pattern matches inside an octet, so it also accepts {} address(es) such as {}; anchor it (^...$) or end it with \\.",
            partial.count(),
            first_ranges(&partial)
        ));
        if let Some(aligned) = &analysis.aligned {
            let meant = aligned.to_cidrs();
            if !meant.is_empty() && meant.len() <= NETWORKS_PER_LINE {
                let meant: Vec<String> = meant.iter().map(cidr_text).collect();
                out.note(format!(
                    "whole-octet matches only would be: PhotoGuardAllowNetwork {}",
                    meant.join(" ")
                ));
            }
        }
    }
    if accepted.ranges().len() > 1 || accepted.to_cidrs().len() > 1 {
        out.warn(format!(
            "the accepted addresses ({}) are not one CIDR block: {} blocks",
            first_ranges(accepted),
            accepted.to_cidrs().len()
        ));
    }
    if accepted.to_cidrs().iter().any(|n| n.prefix_len() < 8) {
        out.warn(format!(
            "the pattern accepts {} addresses, more than a /8",
            accepted.count()
        ));
    }
    if pattern.contains(':') {
        out.warn("the pattern may also match IPv6 client addresses; only its IPv4 addresses are translated");
    }
}

/// The first three ranges of a set for a message, `a-b, c, d-e, ...`.
fn first_ranges(set: &Ipv4Set) -> String {
    let shown: Vec<String> = set
        .ranges()
        .iter()
        .take(3)
        .map(|&(a, b)| RangeText(a, b).to_string())
        .collect();
    let more = if set.ranges().len() > 3 { ", ..." } else { "" };
    format!("{}{more}", shown.join(", "))
}
