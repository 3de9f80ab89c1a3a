//! `photoguard import-rewrite FILE`: turns a mod_rewrite block of the seed's
//! shape (negated `%{REMOTE_ADDR}` and `%{HTTP_COOKIE}` conditions, then a
//! RewriteRule that redirects or forbids) into `PhotoGuard*` directives.
//!
//! Such a block denies a request when *every* condition holds, i.e. when the
//! client matches *none* of the negated patterns; that is photoguard's "allow
//! if any rule matches", one allow rule per condition. Whatever does not fit
//! that shape is printed as a `# NOT TRANSLATED` comment with the reason,
//! never dropped. Every directive printed has been applied to a scratch
//! scope with the engine, so the block pastes without config errors.

mod address;
pub mod cookie;
pub mod ipv4_set;
mod output;
mod parse;
pub mod regex_ipv4;
mod translate;

use std::path::Path;

use super::CommandOutput;
use output::Output;
use parse::parse_blocks;
use translate::translate_block;

/// The printed block and what it had to say.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub text: String,
    pub warnings: usize,
    pub untranslated: usize,
}

impl ImportOutcome {
    /// 0 when everything translated without warnings, else 1.
    pub fn exit_code(&self) -> u8 {
        if self.warnings + self.untranslated > 0 {
            1
        } else {
            0
        }
    }
}

/// Reads `path` and translates it; the error is one line for exit status 2.
pub fn import_file(path: &Path) -> Result<ImportOutcome, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(import_rewrite(&path.display().to_string(), &text))
}

/// `photoguard import-rewrite FILE`: the translation on stdout, a summary
/// on stderr when anything needs a look.
pub fn run_import(path: &Path) -> CommandOutput {
    match import_file(path) {
        Ok(outcome) => {
            let stderr = if outcome.exit_code() == 0 {
                String::new()
            } else {
                format!(
                    "import-rewrite: {} warning(s), {} part(s) not translated; see the '#' lines\n",
                    outcome.warnings, outcome.untranslated
                )
            };
            CommandOutput {
                code: outcome.exit_code(),
                stdout: outcome.text,
                stderr,
            }
        }
        Err(line) => CommandOutput::failure(vec![line]),
    }
}

/// Translates the mod_rewrite block in `text`; `source` names it in comments.
pub fn import_rewrite(source: &str, text: &str) -> ImportOutcome {
    let mut out = Output::new(source);
    out.push(format!("# photoguard import-rewrite {source}"));
    out.push(
        "# Paste this where the RewriteCond block was; '#' lines are notes, warnings and".into(),
    );
    out.push("# anything that could not be translated.".into());

    let (blocks, leftover) = parse_blocks(source, text);

    if blocks.is_empty() {
        out.untranslated_text("no RewriteRule found: there is no deny action to translate");
    }
    if blocks.len() > 1 {
        out.warn(format!(
            "{} RewriteRules: each block below is one photoguard scope; put each in its own section or merge them by hand",
            blocks.len()
        ));
    }
    for (index, block) in blocks.iter().enumerate() {
        if blocks.len() > 1 {
            out.push(String::new());
            out.push(format!(
                "# ---- block {} (the RewriteRule at {source}:{}) ----",
                index + 1,
                block.rule.as_ref().map_or(0, |r| r.line)
            ));
        }
        translate_block(block, &mut out);
    }
    for note in &leftover.notes {
        out.note(note.clone());
    }
    for (line, raw, why) in &leftover.stray {
        out.untranslated(*line, raw, why);
    }
    for cond in &leftover.conds {
        out.untranslated(
            cond.line,
            &cond.raw,
            "no RewriteRule follows this condition, so it had no effect",
        );
    }
    out.push(String::new());
    out.push(format!(
        "# {} warning(s), {} part(s) not translated.",
        out.warnings, out.untranslated
    ));
    ImportOutcome {
        text: out.lines.join("\n") + "\n",
        warnings: out.warnings,
        untranslated: out.untranslated,
    }
}

#[cfg(test)]
mod tests {
    use photoguard_engine::{DirectiveContext, Origin, ScopeConfig};

    use super::super::httpd::lines::split_directive;
    use super::*;

    const SEED: &str = r#"RewriteCond %{HTTP_COOKIE} !LtpaToken2=.*$ [NC]
RewriteCond %{HTTP_COOKIE} !LtpaToken=.*$ [NC]
RewriteCond %{HTTP_COOKIE} !STPluginActivePage=stMeetingroom [NC]
RewriteCond %{REMOTE_ADDR} !^10\.20\.(1[6-9]|2[0-9]|3[01])\.([0-9]|[1-9][0-9]|1([0-9][0-9])|2([0-4][0-9]|5[0-5]))$
RewriteCond %{REMOTE_ADDR} !^10\.30\.(6[4-9]|7[01])\.([0-9]|[1-9][0-9]|1([0-9][0-9])|2([0-4][0-9]|5[0-5]))$
RewriteCond %{REMOTE_ADDR} !^172\.16\.(12[89]|13[01])\.([0-9]|[1-9][0-9]|1([0-9][0-9])|2([0-4][0-9]|5[0-5]))$
RewriteCond %{REMOTE_ADDR} !^192\.0\.2\.10$ [NC]
RewriteRule ^(.*)$ https://www.example.com/ [R,L]
"#;

    fn directives(outcome: &ImportOutcome) -> Vec<&str> {
        outcome
            .text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    }

    #[test]
    fn the_seed_block_translates_exactly() {
        let outcome = import_rewrite("seed.conf", SEED);
        assert_eq!(
            directives(&outcome),
            [
                "PhotoGuard On",
                "PhotoGuardAllowCookie LtpaToken2",
                "PhotoGuardAllowCookie LtpaToken",
                "PhotoGuardAllowCookie STPluginActivePage=stMeetingroom",
                "PhotoGuardAllowNetwork 10.20.16.0/20",
                "PhotoGuardAllowNetwork 10.30.64.0/21",
                "PhotoGuardAllowNetwork 172.16.128.0/22",
                "PhotoGuardAllowNetwork 192.0.2.10",
                "PhotoGuardDenyAction redirect https://www.example.com/",
            ],
            "{}",
            outcome.text
        );
        assert_eq!(
            (outcome.warnings, outcome.untranslated),
            (0, 0),
            "{}",
            outcome.text
        );
        assert_eq!(outcome.exit_code(), 0);
        assert!(
            outcome
                .text
                .contains("# seed.conf:4: RewriteCond %{REMOTE_ADDR}")
        );
        assert!(outcome.text.contains("XLtpaToken2=1"), "{}", outcome.text);
        assert!(outcome.text.contains("empty value (LtpaToken2=)"));
        assert!(outcome.text.contains("case-sensitively"));
        assert!(outcome.text.contains("starting with stMeetingroom"));
    }

    #[test]
    fn the_translation_decides_like_the_rewrite_block_for_the_intended_clients() {
        let outcome = import_rewrite("seed.conf", SEED);
        let mut scope = ScopeConfig::new();
        let ctx = DirectiveContext {
            origin: Origin::new("t.conf", 1),
            server_root: None,
        };
        for line in directives(&outcome) {
            let (name, args) = split_directive(line);
            scope.apply(name, args, &ctx).unwrap();
        }
        let allowed = |ip: &str, cookie: Option<&str>| {
            scope
                .evaluate_text(ip, cookie.map(str::as_bytes), None)
                .unwrap()
                .verdict
                .passes()
        };
        assert!(allowed("10.20.31.255", None));
        assert!(allowed("172.16.131.1", None));
        assert!(allowed("192.0.2.10", None));
        assert!(!allowed("192.0.2.11", None));
        assert!(!allowed("10.20.32.0", None));
        assert!(allowed(
            "203.0.113.9",
            Some("STPluginActivePage=stMeetingroom")
        ));
        assert!(!allowed("203.0.113.9", Some("XLtpaToken2=1")));
    }

    #[test]
    fn wrong_regexes_are_translated_exactly_with_warnings() {
        let input = "RewriteCond %{REMOTE_ADDR} !^10\\.1\\.1\\.1\nRewriteCond %{REMOTE_ADDR} !^10\\.0\\.(1[0-9])\\.\nRewriteCond %{REMOTE_ADDR} !^10\\.2\\.0\\.25[0-9]$\nRewriteCond %{REMOTE_ADDR} !^300\\.\nRewriteRule .* - [F]\n";
        let outcome = import_rewrite("bad.conf", input);
        let text = &outcome.text;
        assert!(directives(&outcome).contains(&"PhotoGuardAllowNetwork 10.1.1.1 10.1.1.10/31 10.1.1.12/30 10.1.1.16/30 10.1.1.100/30 10.1.1.104/29 10.1.1.112/28 10.1.1.128/26"), "{text}");
        assert!(
            text.contains(
                "also accepts 110 address(es) such as 10.1.1.10-10.1.1.19, 10.1.1.100-10.1.1.199"
            ),
            "{text}"
        );
        assert!(
            text.contains("whole-octet matches only would be: PhotoGuardAllowNetwork 10.1.1.1\n"),
            "{text}"
        );
        assert!(
            directives(&outcome)
                .contains(&"PhotoGuardAllowNetwork 10.0.10.0/23 10.0.12.0/22 10.0.16.0/22"),
            "{text}"
        );
        assert!(
            text.contains("(10.0.10.0-10.0.19.255) are not one CIDR block: 3 blocks"),
            "{text}"
        );
        assert!(
            text.contains("octet 4 of the pattern accepts 256-259"),
            "{text}"
        );
        assert!(text.contains("accepts no IPv4 address at all"), "{text}");
        assert!(directives(&outcome).contains(&"PhotoGuardDenyAction 403"));
        assert_eq!(outcome.untranslated, 0, "{text}");
        assert!(outcome.warnings >= 5, "{text}");
        assert_eq!(outcome.exit_code(), 1);
    }

    #[test]
    fn everything_else_is_reported_never_dropped() {
        let input = "RewriteEngine On\nRewriteBase /\nRewriteCond %{REQUEST_URI} ^/photos\nRewriteCond %{REMOTE_ADDR} !^10\\. [OR]\nRewriteCond %{REMOTE_ADDR} !^11\\.\nRewriteCond %{HTTP_USER_AGENT} !curl\nRewriteCond %{REMOTE_ADDR} !^(10)\\.\\1\nRewriteCond %{HTTP_COOKIE} !Ltpa.*Token=\nRewriteCond %{REMOTE_ADDR} ^10\\.\nRewriteRule ^/photos/(.*)$ /denied.html\nRewriteCond %{REMOTE_ADDR} !^12\\.\n";
        let outcome = import_rewrite("mixed.conf", input);
        let text = &outcome.text;
        for needle in [
            "NOT TRANSLATED mixed.conf:2: RewriteBase /",
            "NOT TRANSLATED mixed.conf:3: RewriteCond %{REQUEST_URI} ^/photos",
            "NOT TRANSLATED mixed.conf:4:",
            "NOT TRANSLATED mixed.conf:5:",
            "NOT TRANSLATED mixed.conf:6:",
            "NOT TRANSLATED mixed.conf:7:",
            "backreferences are not supported",
            "NOT TRANSLATED mixed.conf:8:",
            "NOT TRANSLATED mixed.conf:9:",
            "NOT TRANSLATED mixed.conf:10:",
            "PhotoGuardDenyAction redirect /denied.html",
            "NOT TRANSLATED mixed.conf:11:",
            "no RewriteRule follows",
            "only applied to URL paths matching ^/photos/(.*)$",
            "this policy denies every request",
            "mixed.conf:1: RewriteEngine On: photoguard needs no engine switch",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        assert_eq!(outcome.untranslated, 10, "{text}");
        assert_eq!(outcome.exit_code(), 1);
    }

    #[test]
    fn redirect_codes_and_actions() {
        let translate = |rule: &str| {
            import_rewrite(
                "r.conf",
                &format!("RewriteCond %{{REMOTE_ADDR}} !^10\\.\n{rule}\n"),
            )
        };
        let permanent = translate("RewriteRule ^ https://www.example.com/ [R=301,L]");
        assert!(
            directives(&permanent)
                .contains(&"PhotoGuardDenyAction redirect https://www.example.com/")
        );
        assert!(
            permanent
                .text
                .contains("R=301; photoguard redirects with 302")
        );
        assert_eq!(permanent.exit_code(), 0);
        assert!(
            directives(&translate("RewriteRule ^ - [R=404]")).contains(&"PhotoGuardDenyAction 404")
        );
        assert!(
            directives(&translate("RewriteRule ^ https://x.example/ [L]"))
                .contains(&"PhotoGuardDenyAction redirect https://x.example/")
        );
        assert_eq!(translate("RewriteRule ^ - [G]").untranslated, 1);
        assert_eq!(
            translate("RewriteRule ^(.*)$ https://x.example/$1 [R]").untranslated,
            1
        );
        assert_eq!(
            translate("RewriteRule ^ \"https://x.example/a b\" [R]").untranslated,
            1
        );
        let extra_flags = translate("RewriteRule ^ - [F,E=denied:1]");
        assert!(
            extra_flags
                .text
                .contains("flags [E=denied:1] of the rule are not translated")
        );
    }

    #[test]
    fn exact_address_comparison() {
        let outcome = import_rewrite(
            "eq.conf",
            "RewriteCond %{REMOTE_ADDR} !=192.0.2.10\nRewriteRule ^ - [F]\n",
        );
        assert_eq!(
            directives(&outcome),
            [
                "PhotoGuard On",
                "PhotoGuardAllowNetwork 192.0.2.10",
                "PhotoGuardDenyAction 403"
            ]
        );
    }
}
