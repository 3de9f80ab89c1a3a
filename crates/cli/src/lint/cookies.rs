//! Lint's warnings about one section's `PhotoGuardAllowCookie` list.

use std::collections::HashMap;

use photoguard_engine::cookie::CookieRule;

use super::{Finding, warning};

/// Repeated cookie rules, and `NAME=VALUE` next to `NAME` (which already
/// allows any non-empty value).
pub(super) fn cookie_overlaps(rules: &[CookieRule], findings: &mut Vec<Finding>) {
    let mut by_name: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (i, rule) in rules.iter().enumerate() {
        by_name.entry(rule.name()).or_default().push(i);
    }
    for (i, rule) in rules.iter().enumerate() {
        let name = String::from_utf8_lossy(rule.name());
        let same_name = &by_name[rule.name()];
        let earlier_same = same_name
            .iter()
            .find(|&&j| j < i && rules[j].value() == rule.value());
        let any_value = same_name
            .iter()
            .find(|&&j| j != i && rules[j].value().is_none());
        if let Some(&j) = earlier_same {
            findings.push(warning(
                rule.origin(),
                format!(
                    "PhotoGuardAllowCookie {} is listed twice (also at {})",
                    written(rule),
                    rules[j].origin()
                ),
            ));
        } else if let (Some(&j), Some(_)) = (any_value, rule.value()) {
            findings.push(warning(
                rule.origin(),
                format!("PhotoGuardAllowCookie {} adds nothing: {name} alone ({}) already allows any non-empty value", written(rule), rules[j].origin()),
            ));
        }
    }
}

fn written(rule: &CookieRule) -> String {
    match rule.value() {
        Some(value) => format!(
            "{}={}",
            String::from_utf8_lossy(rule.name()),
            String::from_utf8_lossy(value)
        ),
        None => String::from_utf8_lossy(rule.name()).into_owned(),
    }
}
