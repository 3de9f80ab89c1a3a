//! `Satisfy Any` (mod_access_compat) in, or inherited by, a scope where
//! `PhotoGuard On` is in effect. The module enforces its denial anyway (again
//! in fixups), but an admin who wrote `Satisfy Any` there probably expects it
//! to let in clients photoguard denies.

use super::layout::Layout;
use super::{Finding, warning};
use crate::httpd::Directive;
use crate::httpd::lines::first_word;

pub(super) fn satisfy_any(layout: &Layout, findings: &mut Vec<Finding>) {
    let policy = layout.policy;
    let gates: Vec<usize> = (0..policy.sections.len())
        .filter(|&i| policy.sections[i].scope.enabled_setting() == Some(true))
        .collect();
    for index in 0..policy.sections.len() {
        let Some(satisfy) = last_satisfy(index, layout).filter(|d| is_any(d)) else {
            continue;
        };
        let Some(&gate) = gates.iter().find(|&&g| reaches(layout, index, g)) else {
            continue;
        };
        let gate_section = policy.sections[gate].section;
        findings.push(warning(
            &satisfy.origin,
            format!(
                "Satisfy Any here applies where PhotoGuard is On ({gate_section}): photoguard's denial holds regardless (it is enforced again after the access checks); Satisfy Any only ORs the other access rules (Require, Allow, authentication) with each other, and lets in no client photoguard denies"
            ),
        ));
    }
}

fn last_satisfy<'c>(index: usize, layout: &Layout<'_, 'c>) -> Option<&'c Directive> {
    layout.policy.sections[index]
        .section
        .directives
        .iter()
        .rev()
        .find(|d| d.name.eq_ignore_ascii_case("Satisfy"))
}

fn is_any(directive: &Directive) -> bool {
    first_word(&directive.args).is_some_and(|w| w.eq_ignore_ascii_case("any"))
}

/// Whether the `Satisfy Any` of section `satisfy` is in effect for some
/// request that gate `gate` applies to: the gate is around it (and not
/// turned Off on the way), or it is around the gate or matches some of the
/// same requests, and no section merged after it says `Satisfy All` on the
/// gate's side (or `PhotoGuard Off` on its own).
fn reaches(layout: &Layout, satisfy: usize, gate: usize) -> bool {
    let policy = layout.policy;
    if policy.chain(satisfy).contains(&gate) {
        return policy.enclosed_scope(satisfy).enabled();
    }
    if !layout.places_overlap(satisfy, gate) {
        return false;
    }
    let rank = layout.merge_rank(satisfy);
    let satisfy_all_after = policy.chain(gate).into_iter().any(|i| {
        layout.merge_rank(i) > rank && last_satisfy(i, layout).is_some_and(|d| !is_any(d))
    });
    let turned_off_after = policy.sections[satisfy].scope.enabled_setting() == Some(false)
        && rank > layout.merge_rank(gate);
    !satisfy_all_after && !turned_off_after
}
