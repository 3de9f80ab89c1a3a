//! What the gate did, counted: per gated scope and per rule, how many
//! requests were allowed, denied, would-deny (report mode), limited, and
//! LTPA tokens refused by reason; in a slice of atomics the host provides
//! (the Apache module: shared memory every child adds to), and rendered for
//! a status page as HTML, JSON or the Prometheus text format.
//!
//! The layout ([`StatsLayout`]) is made once from the configuration: every
//! scope and rule gets a row of counters; a decision finds its rows by the
//! addresses of the rule and of the scope that turned the gate on (a hash
//! lookup each), then adds with one relaxed atomic add each. No lock, no
//! allocation on the request path.

use std::collections::HashMap;
use std::fmt::Write;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::decision::{Decision, Reason, Verdict};
use crate::ltpa::Refusal;
use crate::scope::ScopeConfig;

/// A scope's counters, in this order.
const SCOPE_COLUMNS: [&str; 5] = ["allow", "deny", "would-deny", "limited", "would-limit"];
/// Why LTPA tokens were refused, in this order (a scope's next counters).
const REFUSALS: [&str; 7] = [
    "expired",
    "not-yet-valid",
    "bad-signature",
    "no-key",
    "malformed",
    "realm-not-accepted",
    "format-not-accepted",
];
const SCOPE_WIDTH: usize = SCOPE_COLUMNS.len() + REFUSALS.len();
/// A rule's counters: requests it allowed, and (a limit) requests it limited.
const RULE_COLUMNS: [&str; 2] = ["allow", "limited"];

/// One gated scope's row and its rules'.
#[derive(Debug)]
struct ScopeRow {
    label: String,
    first: usize,
    rules: Vec<RuleRow>,
}

#[derive(Debug)]
struct RuleRow {
    kind: &'static str,
    label: String,
    first: usize,
}

/// Where each scope's and rule's counters are.
#[derive(Debug, Default)]
pub struct StatsLayout {
    scopes: Vec<ScopeRow>,
    /// Address of a scope or rule → index of its first counter.
    by_address: HashMap<usize, usize, BuildHasherDefault<AddressHasher>>,
    words: usize,
}

impl StatsLayout {
    /// Lays out counters for `scopes` (each with a label such as
    /// `<Directory /srv/photos> (photos.conf:10)`), in the order given.
    pub fn new<'a>(scopes: impl IntoIterator<Item = (&'a ScopeConfig, String)>) -> StatsLayout {
        let mut layout = StatsLayout::default();
        for (scope, label) in scopes {
            let key = scope as *const ScopeConfig as usize;
            // A scope that only changes a setting of its parent's gate (the
            // mode, the deny action) is counted as part of that gate.
            let gates = scope.enabled_setting().is_some()
                || scope.has_allow_rules()
                || !scope.limits().is_empty();
            if !gates || layout.by_address.contains_key(&key) {
                continue;
            }
            let first = layout.take(SCOPE_WIDTH);
            layout.by_address.insert(key, first);
            let mut rules = Vec::new();
            let mut add = |layout: &mut StatsLayout, address: usize, kind, label: String| {
                if layout.by_address.contains_key(&address) {
                    return;
                }
                let first = layout.take(RULE_COLUMNS.len());
                layout.by_address.insert(address, first);
                rules.push(RuleRow { kind, label, first });
            };
            for rule in scope.networks().map_or(&[][..], |n| n.rules()) {
                add(
                    &mut layout,
                    rule as *const _ as usize,
                    "network",
                    rule.reason().to_string_lossy().into_owned(),
                );
            }
            for rule in scope.ltpa_rules().map_or(&[][..], |l| l.rules()) {
                add(
                    &mut layout,
                    rule as *const _ as usize,
                    "ltpa",
                    rule.reason().to_string_lossy().into_owned(),
                );
            }
            for rule in scope.cookies().map_or(&[][..], |c| c.rules()) {
                add(
                    &mut layout,
                    rule as *const _ as usize,
                    "cookie",
                    rule.reason().to_string_lossy().into_owned(),
                );
            }
            for limit in scope.limits() {
                add(
                    &mut layout,
                    limit as *const _ as usize,
                    "limit",
                    limit.text.to_string_lossy().into_owned(),
                );
            }
            if let Some(limit) = scope.not_found_limit() {
                add(
                    &mut layout,
                    limit as *const _ as usize,
                    "limit",
                    limit.text.to_string_lossy().into_owned(),
                );
            }
            layout.scopes.push(ScopeRow {
                label,
                first,
                rules,
            });
        }
        layout
    }

    fn take(&mut self, n: usize) -> usize {
        let first = self.words;
        self.words += n;
        first
    }

    /// How many counters (words) the layout needs.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Counts `decision`, made in the scope whose `PhotoGuard On` is
    /// `gated_by` (from [`crate::ScopeView::gated_by`]). Unknown scopes and
    /// rules (from `.htaccess`, read after the layout was made) are not
    /// counted.
    pub fn record(
        &self,
        counters: &[AtomicU64],
        decision: &Decision,
        gated_by: Option<&ScopeConfig>,
    ) {
        let add = |index: usize| {
            if let Some(word) = counters.get(index) {
                word.fetch_add(1, Relaxed);
            }
        };
        let rule = |address: usize, column: usize| {
            if let Some(&first) = self.by_address.get(&address) {
                add(first + column);
            }
        };
        let scope_first = gated_by.and_then(|s| {
            self.by_address
                .get(&(s as *const ScopeConfig as usize))
                .copied()
        });
        let scope = |column: usize| {
            if let Some(first) = scope_first {
                add(first + column);
            }
        };
        match decision.verdict {
            Verdict::Allow => scope(0),
            Verdict::Deny => scope(1),
            Verdict::WouldDeny => scope(2),
            Verdict::Limited => scope(3),
            Verdict::WouldLimit => scope(4),
        }
        match &decision.reason {
            Reason::Network(r) => rule(*r as *const _ as usize, 0),
            Reason::Cookie(r) => rule(*r as *const _ as usize, 0),
            Reason::Ltpa(r, _) => rule(*r as *const _ as usize, 0),
            Reason::Limited(l, _) => rule(*l as *const _ as usize, 1),
            Reason::NotFoundBlocked(l, _) => rule(*l as *const _ as usize, 1),
            Reason::LtpaRefused(_, why) => scope(SCOPE_COLUMNS.len() + refusal_index(why)),
            Reason::NoRuleMatched | Reason::GateOff | Reason::NoClientAddress => {}
        }
    }

    /// The counts as a snapshot, scope by scope.
    fn read(&self, counters: &[AtomicU64], index: usize) -> u64 {
        counters.get(index).map_or(0, |w| w.load(Relaxed))
    }

    /// A plain HTML table; rules that never allowed a request are marked,
    /// since they are candidates for removal.
    pub fn html(&self, counters: &[AtomicU64], header: &str) -> String {
        let mut out = String::from(
            "<!DOCTYPE html>\n<html><head><title>photoguard status</title></head><body>\n<h1>photoguard status</h1>\n",
        );
        let _ = writeln!(out, "<p>{}</p>", escape(header));
        for scope in &self.scopes {
            let _ = writeln!(
                out,
                "<h2>{}</h2>\n<table border=\"1\">",
                escape(&scope.label)
            );
            out.push_str("<tr>");
            for column in SCOPE_COLUMNS {
                let _ = write!(out, "<th>{column}</th>");
            }
            for refusal in REFUSALS {
                let _ = write!(out, "<th>ltpa refused: {refusal}</th>");
            }
            out.push_str("</tr>\n<tr>");
            for i in 0..SCOPE_WIDTH {
                let _ = write!(out, "<td>{}</td>", self.read(counters, scope.first + i));
            }
            out.push_str("</tr>\n</table>\n<table border=\"1\">\n<tr><th>rule</th><th>allowed</th><th>limited</th><th></th></tr>\n");
            for rule in &scope.rules {
                let allowed = self.read(counters, rule.first);
                let limited = self.read(counters, rule.first + 1);
                let unused = if rule.kind != "limit" && allowed == 0 {
                    "never matched"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{allowed}</td><td>{limited}</td><td>{unused}</td></tr>",
                    escape(&rule.label)
                );
            }
            out.push_str("</table>\n");
        }
        out.push_str("</body></html>\n");
        out
    }

    /// One object: `{"generation":..,"started":..,"scopes":[{"scope":..,
    /// "decisions":{..},"ltpa_refused":{..},"rules":[{"rule":..,"kind":..,
    /// "allowed":..,"limited":..}]}]}`.
    pub fn json(&self, counters: &[AtomicU64], generation: u64, started: &str) -> String {
        let mut out = format!(
            "{{\"generation\":{generation},\"started\":{},\"scopes\":[",
            json_str(started)
        );
        for (i, scope) in self.scopes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"scope\":{},\"decisions\":{{",
                json_str(&scope.label)
            );
            for (c, column) in SCOPE_COLUMNS.iter().enumerate() {
                let sep = if c > 0 { "," } else { "" };
                let _ = write!(
                    out,
                    "{sep}\"{column}\":{}",
                    self.read(counters, scope.first + c)
                );
            }
            out.push_str("},\"ltpa_refused\":{");
            for (c, refusal) in REFUSALS.iter().enumerate() {
                let sep = if c > 0 { "," } else { "" };
                let value = self.read(counters, scope.first + SCOPE_COLUMNS.len() + c);
                let _ = write!(out, "{sep}\"{refusal}\":{value}");
            }
            out.push_str("},\"rules\":[");
            for (r, rule) in scope.rules.iter().enumerate() {
                let sep = if r > 0 { "," } else { "" };
                let _ = write!(
                    out,
                    "{sep}{{\"rule\":{},\"kind\":\"{}\",\"allowed\":{},\"limited\":{}}}",
                    json_str(&rule.label),
                    rule.kind,
                    self.read(counters, rule.first),
                    self.read(counters, rule.first + 1)
                );
            }
            out.push_str("]}");
        }
        out.push_str("]}\n");
        out
    }

    /// The Prometheus text exposition format: `photoguard_decisions_total`
    /// by scope and decision, `photoguard_rule_decisions_total` by scope,
    /// rule and decision, `photoguard_ltpa_refused_total` by scope and
    /// reason, and the generation.
    pub fn prometheus(&self, counters: &[AtomicU64], generation: u64) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP photoguard_decisions_total Requests decided in a gated scope, by decision.\n",
        );
        out.push_str("# TYPE photoguard_decisions_total counter\n");
        for scope in &self.scopes {
            for (c, column) in SCOPE_COLUMNS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "photoguard_decisions_total{{scope=\"{}\",rule=\"\",decision=\"{column}\"}} {}",
                    label_value(&scope.label),
                    self.read(counters, scope.first + c)
                );
            }
        }
        out.push_str("# HELP photoguard_rule_decisions_total Requests a rule allowed (or a limit limited).\n");
        out.push_str("# TYPE photoguard_rule_decisions_total counter\n");
        for scope in &self.scopes {
            for rule in &scope.rules {
                let (column, value) = if rule.kind == "limit" {
                    ("limited", self.read(counters, rule.first + 1))
                } else {
                    ("allow", self.read(counters, rule.first))
                };
                let _ = writeln!(
                    out,
                    "photoguard_rule_decisions_total{{scope=\"{}\",rule=\"{}\",decision=\"{column}\"}} {value}",
                    label_value(&scope.label),
                    label_value(&rule.label),
                );
            }
        }
        out.push_str("# HELP photoguard_ltpa_refused_total LTPA tokens refused, by reason.\n");
        out.push_str("# TYPE photoguard_ltpa_refused_total counter\n");
        for scope in &self.scopes {
            for (c, refusal) in REFUSALS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "photoguard_ltpa_refused_total{{scope=\"{}\",reason=\"{refusal}\"}} {}",
                    label_value(&scope.label),
                    self.read(counters, scope.first + SCOPE_COLUMNS.len() + c)
                );
            }
        }
        out.push_str("# HELP photoguard_config_generation The configuration generation (graceful restarts since start).\n");
        out.push_str("# TYPE photoguard_config_generation gauge\n");
        let _ = writeln!(out, "photoguard_config_generation {generation}");
        out
    }

    /// A few lines for mod_status's page: totals over every scope.
    pub fn summary(&self, counters: &[AtomicU64]) -> String {
        let mut totals = [0u64; SCOPE_COLUMNS.len()];
        for scope in &self.scopes {
            for (c, total) in totals.iter_mut().enumerate() {
                *total += self.read(counters, scope.first + c);
            }
        }
        let parts: Vec<String> = SCOPE_COLUMNS
            .iter()
            .zip(totals)
            .map(|(c, t)| format!("{c} {t}"))
            .collect();
        format!("{} gated scope(s): {}", self.scopes.len(), parts.join(", "))
    }
}

/// Hashes an address with one multiplication: the keys are addresses of
/// configuration objects, not chosen by clients, so a keyed hash (SipHash,
/// a few hundred instructions per lookup on the request path) buys nothing.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, address: usize) {
        // Fibonacci hashing; the low bits of an address (alignment) carry
        // nothing, the multiplication spreads the rest into the top bits
        // hashbrown uses.
        self.0 = (address as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

fn refusal_index(why: &Refusal) -> usize {
    match why {
        Refusal::Expired { .. } => 0,
        Refusal::NotYetValid { .. } => 1,
        Refusal::BadSignature => 2,
        Refusal::NoKey => 3,
        Refusal::Malformed => 4,
        Refusal::RealmNotAccepted => 5,
        Refusal::FormatNotAccepted => 6,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn json_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Prometheus label value: `\`, `"` and newlines escaped.
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DirectiveContext, Origin};

    fn scope() -> ScopeConfig {
        let mut s = ScopeConfig::new();
        let ctx = DirectiveContext {
            origin: Origin::new("photos.conf", 5),
            server_root: None,
        };
        for (n, a) in [
            ("PhotoGuard", "On"),
            ("PhotoGuardAllowNetwork", "10.0.0.0/8 192.0.2.0/24"),
            ("PhotoGuardAllowCookie", "STPluginActivePage=stMeetingroom"),
        ] {
            s.apply(n, a, &ctx).unwrap();
        }
        s
    }

    #[test]
    fn decisions_are_counted_per_scope_and_rule() {
        let s = scope();
        let layout =
            StatsLayout::new([(&s, "<Directory /srv/photos> (photos.conf:4)".to_string())]);
        let counters: Vec<AtomicU64> = (0..layout.words()).map(|_| AtomicU64::new(0)).collect();
        for (ip, cookie) in [
            ("10.1.2.3", None),
            ("10.1.2.4", None),
            ("198.51.100.1", Some("STPluginActivePage=stMeetingroom")),
            ("198.51.100.2", None),
        ] {
            let d = s
                .evaluate_text(ip, cookie.map(str::as_bytes), None)
                .unwrap();
            layout.record(&counters, &d, Some(&s));
        }
        let json = layout.json(&counters, 1, "2026-11-26T00:00:00Z");
        assert!(
            json.contains("\"decisions\":{\"allow\":3,\"deny\":1,"),
            "{json}"
        );
        assert!(json.contains("{\"rule\":\"network 10.0.0.0/8 (photos.conf:5)\",\"kind\":\"network\",\"allowed\":2,"), "{json}");
        assert!(json.contains("\"rule\":\"network 192.0.2.0/24 (photos.conf:5)\",\"kind\":\"network\",\"allowed\":0,"), "{json}");
        let html = layout.html(&counters, "generation 1");
        assert!(html.contains("never matched"), "{html}");
        let prom = layout.prometheus(&counters, 1);
        assert!(prom.contains("photoguard_decisions_total{scope=\"<Directory /srv/photos> (photos.conf:4)\",rule=\"\",decision=\"deny\"} 1"), "{prom}");
    }
}
