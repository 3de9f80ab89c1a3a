//! `photoguard lint`: every error httpd would refuse to start with (the
//! engine's own messages, with file and line), and warnings about policies
//! that are legal but probably not meant: in each section's own lists, and
//! around a gate, where another module's setting does not do what it seems
//! to (`Satisfy Any`, mod_cache's quick handler, a `<Location>` gate with an
//! `Alias` to its files, mod_remoteip trusting the same proxy), and about
//! LTPA: a presence rule for a token cookie where keys could validate it,
//! `PhotoGuardAllowLtpa` without keys, key files anyone may read.
//!
//! Exit status: 0 clean, 1 warnings only, 2 errors.

mod aliases;
mod cache;
mod cookies;
mod layout;
mod ltpa;
mod networks;
mod remoteip;
mod satisfy;

use std::fmt;

use photoguard_engine::{DirectiveInfo, DirectiveKind, Mode, Origin};

use super::httpd::{Directive, Policy, Section};
use super::{CommandOutput, ConfigSource};

pub use networks::is_private_address;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding: `photos.conf:14: warning: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub file: String,
    pub line: u32,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        if self.line == 0 {
            write!(f, "{}: {severity}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}: {severity}: {}",
                self.file, self.line, self.message
            )
        }
    }
}

fn warning(origin: &Origin, message: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Warning,
        file: origin.file().to_string(),
        line: origin.line(),
        message: message.into(),
    }
}

pub fn run_lint(options: &ConfigSource) -> CommandOutput {
    let findings = lint(options);
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let mut stdout: String = findings.iter().map(|f| format!("{f}\n")).collect();
    if findings.is_empty() {
        stdout.push_str(&format!(
            "{}: no problems found\n",
            options.config.display()
        ));
    } else {
        stdout.push_str(&format!("{errors} error(s), {warnings} warning(s)\n"));
    }
    let code = if errors > 0 {
        2
    } else if warnings > 0 {
        1
    } else {
        0
    };
    CommandOutput {
        stdout,
        stderr: String::new(),
        code,
    }
}

/// All findings for a config: errors first, then warnings in config order.
pub fn lint(options: &ConfigSource) -> Vec<Finding> {
    let config = options.load();
    let policy = Policy::build(&config);
    let mut findings: Vec<Finding> = policy
        .all_errors()
        .map(|d| Finding {
            severity: Severity::Error,
            file: d.file.clone(),
            line: d.line,
            message: d.message.clone(),
        })
        .collect();
    // What the engine warns about as it reads the directives (httpd logs
    // these at startup): a key or secret file anyone may read.
    findings.extend(policy.warnings.iter().map(|d| Finding {
        severity: Severity::Warning,
        file: d.file.clone(),
        line: d.line,
        message: d.message.clone(),
    }));
    for index in 0..policy.sections.len() {
        lint_section(&policy, index, &mut findings);
    }
    ltpa::ltpa_warnings(&policy, &mut findings);
    let layout = layout::Layout::new(&policy);
    satisfy::satisfy_any(&layout, &mut findings);
    cache::quick_handler(&layout, &mut findings);
    aliases::location_gates(&layout, &mut findings);
    remoteip::double_walk(&layout, &mut findings);
    findings
}

/// The `PhotoGuard On|Off` directive that sets a section's switch (the last).
fn gate_directive(section: &Section) -> Option<&Directive> {
    section
        .photoguard_directives()
        .filter(|d| {
            DirectiveInfo::lookup(&d.name).map(|info| info.kind) == Some(DirectiveKind::Enable)
        })
        .last()
}

fn lint_section(policy: &Policy, index: usize, findings: &mut Vec<Finding>) {
    let built = &policy.sections[index];
    let scope = &built.scope;
    networks::network_warnings(scope, findings);
    if let Some(cookies) = scope.cookies() {
        cookies::cookie_overlaps(cookies.rules(), findings);
    }

    let directives: Vec<&Directive> = built.section.photoguard_directives().collect();
    let kind_of = |d: &Directive| DirectiveInfo::lookup(&d.name).map(|info| info.kind);
    let turned_on = directives
        .iter()
        .rev()
        .find(|d| kind_of(d) == Some(DirectiveKind::Enable))
        .filter(|_| scope.enabled_setting() == Some(true));
    if let Some(on) = turned_on {
        if !policy.enclosed_scope(index).has_allow_rules() {
            findings.push(warning(
                &on.origin,
                format!(
                    "PhotoGuard is On in {} with no allow rule here or around it: it denies everyone (unless a section that also matches adds rules)",
                    built.section
                ),
            ));
        }
    }
    if scope.mode() == Mode::Report && scope.enabled_setting() != Some(false) {
        if let Some(report) = directives
            .iter()
            .rev()
            .find(|d| kind_of(d) == Some(DirectiveKind::Mode))
        {
            findings.push(warning(
                &report.origin,
                "report mode is on: requests that would be denied are let through and only logged",
            ));
        }
    }
    let first_rule = directives
        .iter()
        .find(|d| !matches!(kind_of(d), Some(DirectiveKind::Enable) | None));
    if let Some(rule) = first_rule {
        if !turned_on_anywhere_for(policy, index) {
            findings.push(warning(
                &rule.origin,
                format!("{} has PhotoGuard rules but PhotoGuard is never turned On where they apply: they have no effect", built.section),
            ));
        }
    }
}

/// Whether `PhotoGuard On` appears in any section that can be merged with
/// section `index` for some request: a virtual host's sections meet the main
/// server's and their own; the main server's sections meet everything.
fn turned_on_anywhere_for(policy: &Policy, index: usize) -> bool {
    let own_vhost = policy.vhost_of(index);
    policy.sections.iter().enumerate().any(|(i, built)| {
        let reachable = match (own_vhost, policy.vhost_of(i)) {
            (None, _) => true,
            (Some(_), None) => true,
            (Some(mine), Some(theirs)) => mine == theirs,
        };
        reachable && built.scope.enabled_setting() == Some(true)
    })
}
