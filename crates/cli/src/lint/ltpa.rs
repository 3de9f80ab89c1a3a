//! Lint's LTPA warnings: a presence rule for an LTPA cookie where the keys
//! to validate it are configured (a forged token still gets in through the
//! presence rule), and `PhotoGuardAllowLtpa` with no key to verify with.

use std::collections::HashSet;

use photoguard_engine::{DirectiveInfo, DirectiveKind};

use super::super::httpd::{Directive, Policy};
use super::{Finding, warning};

/// The cookies LTPA tokens travel in, whatever `PhotoGuardAllowLtpa` names.
const LTPA_COOKIES: &[&[u8]] = &[b"LtpaToken", b"LtpaToken2"];

fn kind_of(directive: &Directive) -> Option<DirectiveKind> {
    DirectiveInfo::lookup(&directive.name).map(|info| info.kind)
}

fn sets_keys(directive: &Directive) -> bool {
    matches!(
        kind_of(directive),
        Some(DirectiveKind::LtpaKeys | DirectiveKind::DominoSecret)
    )
}

/// The nearest key directive in effect for section `index`: in the section
/// itself or the closest enclosing one (a child's keys replace its parent's).
fn keys_directive<'p>(policy: &'p Policy, index: usize) -> Option<&'p Directive> {
    policy.chain(index).into_iter().rev().find_map(|i| {
        policy.sections[i]
            .section
            .photoguard_directives()
            .find(|d| sets_keys(d))
    })
}

fn sets_keys_below(policy: &Policy, index: usize) -> bool {
    policy.children_of(index).any(|child| {
        policy.sections[child]
            .section
            .photoguard_directives()
            .any(sets_keys)
            || sets_keys_below(policy, child)
    })
}

/// Every section's LTPA warnings, each given once however many sections
/// inherit the rule it is about.
pub(super) fn ltpa_warnings(policy: &Policy, findings: &mut Vec<Finding>) {
    let mut seen: HashSet<(String, u32, Vec<u8>)> = HashSet::new();
    for index in 0..policy.sections.len() {
        let merged = policy.enclosed_scope(index);
        let view = merged.view();
        let validator = view.ltpa_validator();
        let has_keys = !validator.key_sets.is_empty() || !validator.domino_secrets.is_empty();

        // Where the gate is off the presence rule lets nobody in or out.
        if let (true, Some(cookies), Some(keys)) = (
            has_keys && merged.enabled(),
            merged.cookies(),
            keys_directive(policy, index),
        ) {
            let allow_ltpa: Vec<&[u8]> = view
                .ltpa_rules()
                .map(|rules| rules.rules().iter().map(|r| r.name()).collect())
                .unwrap_or_default();
            for rule in cookies.rules() {
                let name = rule.name();
                let is_ltpa = LTPA_COOKIES.contains(&name) || allow_ltpa.contains(&name);
                let origin = rule.origin();
                let key = (origin.file().to_string(), origin.line(), name.to_vec());
                if !is_ltpa || !seen.insert(key) {
                    continue;
                }
                let name = String::from_utf8_lossy(name);
                let written = match rule.value() {
                    Some(value) => format!("{name}={}", String::from_utf8_lossy(value)),
                    None => name.to_string(),
                };
                findings.push(warning(
                    rule.origin(),
                    format!(
                        "PhotoGuardAllowCookie {written} only checks that the cookie is there, while {} ({}) configures LTPA keys for this scope: a forged {name}=x still gets in through this rule; remove it and list {name} in PhotoGuardAllowLtpa",
                        DirectiveInfo::lookup(&keys.name).map_or(keys.name.as_str(), |i| i.name_str()),
                        keys.origin
                    ),
                ));
            }
        }

        // Keys that failed to load are an error already.
        if has_keys || keys_directive(policy, index).is_some() || sets_keys_below(policy, index) {
            continue;
        }
        for directive in policy.sections[index].section.photoguard_directives() {
            if kind_of(directive) == Some(DirectiveKind::AllowLtpa) {
                findings.push(warning(
                    &directive.origin,
                    format!(
                        "PhotoGuardAllowLtpa {}: no PhotoGuardLtpaKeys or PhotoGuardDominoSecret here or around it, so no token can verify and this rule lets nobody in",
                        directive.args.trim()
                    ),
                ));
            }
        }
    }
}
