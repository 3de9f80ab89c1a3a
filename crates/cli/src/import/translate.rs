//! One block's translation: each negated condition becomes allow rules
//! (see [`super::address`] and [`super::cookie`]), the RewriteRule becomes
//! the `PhotoGuardDenyAction`.

use super::address::translate_address_condition;
use super::cookie::translate_cookie_condition;
use super::output::Output;
use super::parse::{Block, Cond, Rule};
use super::regex_ipv4;

pub(super) fn translate_block(block: &Block, out: &mut Output) {
    let Some(rule) = &block.rule else { return };
    out.push(String::new());
    out.push("PhotoGuard On".into());
    for note in &block.notes {
        out.note(note);
    }
    for (line, raw, why) in &block.stray {
        out.untranslated(*line, raw, why);
    }
    let mut allow_rules = 0;
    let mut previous_or = false;
    for cond in &block.conds {
        let in_or_chain = previous_or || cond.flags.has(&["OR", "ORNEXT"]);
        previous_or = cond.flags.has(&["OR", "ORNEXT"]);
        if in_or_chain {
            out.untranslated(
                cond.line,
                &cond.raw,
                "part of an [OR] chain: a client would have to pass every condition of the chain at once, which photoguard's alternatives cannot express (such clients are denied now)",
            );
            continue;
        }
        allow_rules += translate_condition(cond, out);
    }
    translate_rule(rule, out);
    if allow_rules == 0 {
        out.warn("no allow rule was translated: this policy denies every request");
    }
}

/// Translates one condition; returns how many allow directives it printed.
fn translate_condition(cond: &Cond, out: &mut Output) -> usize {
    let Some(pattern) = cond.pattern.strip_prefix('!') else {
        out.untranslated(
            cond.line,
            &cond.raw,
            "a positive condition limits which requests the rule denies; photoguard's rules only allow (put the block in a narrower section instead)",
        );
        return 0;
    };
    let nc = cond.flags.has(&["NC", "NOCASE"]);
    let unknown_flags = cond.flags.others(&["NC", "NOCASE", "NV", "NOVARY"]);
    let variable = cond.test.to_ascii_uppercase();
    let printed = match variable.as_str() {
        "%{REMOTE_ADDR}" => translate_address_condition(cond, pattern, nc, out),
        "%{HTTP_COOKIE}" | "%{HTTP:COOKIE}" => translate_cookie_condition(cond, pattern, nc, out),
        _ => {
            out.untranslated(
                cond.line,
                &cond.raw,
                &format!("{} is not something photoguard tests (it allows by client address and cookies)", cond.test),
            );
            return 0;
        }
    };
    if printed > 0 && !unknown_flags.is_empty() {
        out.warn(format!(
            "flags [{}] of this condition are not translated",
            unknown_flags.join(",")
        ));
    }
    printed
}

/// Flags that do not change what a deny-everyone-else rule means.
const HARMLESS_RULE_FLAGS: &[&str] = &[
    "L",
    "LAST",
    "END",
    "NC",
    "NOCASE",
    "NE",
    "NOESCAPE",
    "R",
    "REDIRECT",
    "F",
    "FORBIDDEN",
];

fn translate_rule(rule: &Rule, out: &mut Output) {
    out.origin_comment(rule.line, &rule.raw);
    match regex_ipv4::matches_every_path(&rule.pattern, rule.flags.has(&["NC", "NOCASE"])) {
        Ok(true) => {}
        Ok(false) => out.warn(format!(
            "the rule only applied to URL paths matching {}; photoguard applies to every request in its section: put this block in a <LocationMatch> for those paths",
            rule.pattern
        )),
        Err(why) => out.warn(format!("cannot tell which URL paths the rule pattern {} matches ({why}); photoguard applies to every request in its section", rule.pattern)),
    }
    let other_flags = rule.flags.others(HARMLESS_RULE_FLAGS);
    if !other_flags.is_empty() {
        out.warn(format!(
            "flags [{}] of the rule are not translated",
            other_flags.join(",")
        ));
    }
    let substitution = rule.substitution.as_str();
    let redirect_code = rule
        .flags
        .find(&["R", "REDIRECT"])
        .map(|(_, code)| code.as_deref().unwrap_or("302"));
    if rule.flags.has(&["F", "FORBIDDEN"]) || redirect_code == Some("403") {
        out.directive(rule.line, &rule.raw, "PhotoGuardDenyAction", "403");
        return;
    }
    if rule.flags.has(&["G", "GONE"]) {
        out.untranslated(
            rule.line,
            &rule.raw,
            "[G] answers 410; photoguard denies with 403, 404 or a redirect (PhotoGuardDenyAction)",
        );
        return;
    }
    if redirect_code == Some("404") {
        out.directive(rule.line, &rule.raw, "PhotoGuardDenyAction", "404");
        return;
    }
    let is_absolute = substitution.starts_with("http://") || substitution.starts_with("https://");
    let redirect_target = match redirect_code {
        Some(code)
            if matches!(
                code.to_ascii_lowercase().as_str(),
                "301" | "302" | "303" | "307" | "308" | "permanent" | "temp" | "seeother"
            ) =>
        {
            if !matches!(code.to_ascii_lowercase().as_str(), "302" | "temp") {
                out.note(format!(
                    "the rule redirected with R={code}; photoguard redirects with 302"
                ));
            }
            substitution
        }
        Some(code) => {
            out.untranslated(
                rule.line,
                &rule.raw,
                &format!("R={code} is not a redirect photoguard can give"),
            );
            return;
        }
        None if is_absolute => {
            out.note("an absolute URL without [R] made mod_rewrite redirect (302); photoguard redirects with 302");
            substitution
        }
        None => {
            out.untranslated(
                rule.line,
                &rule.raw,
                &format!(
                    "without [R] or [F] the rule rewrote the request internally to {substitution}; photoguard can redirect there instead: PhotoGuardDenyAction redirect {substitution}"
                ),
            );
            return;
        }
    };
    if redirect_target == "-" {
        out.untranslated(
            rule.line,
            &rule.raw,
            "a redirect needs a URL, and the substitution is '-'",
        );
        return;
    }
    if redirect_target.contains('$') || redirect_target.contains('%') {
        out.untranslated(
            rule.line,
            &rule.raw,
            &format!("the redirect target {redirect_target} uses back-references or variables; photoguard redirects to one fixed URL"),
        );
        return;
    }
    if rule.flags.has(&["QSA", "QSAPPEND"]) {
        out.note("[QSA] appended the query string; photoguard's redirect does not");
    }
    out.directive(
        rule.line,
        &rule.raw,
        "PhotoGuardDenyAction",
        &format!("redirect {redirect_target}"),
    );
}
