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

use std::path::Path;

use photoguard_engine::{DirectiveContext, Origin, ScopeConfig};

use super::config_lines::{logical_lines, split_directive};
use super::ipv4_set::{RangeText, cidr_text};
use super::regex_ipv4::{self, AddressRegexAnalysis};

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

/// Translates the mod_rewrite block in `text`; `source` names it in comments.
pub fn import_rewrite(source: &str, text: &str) -> ImportOutcome {
    let mut out = Output::new(source);
    out.push(format!("# photoguard import-rewrite {source}"));
    out.push(
        "# Paste this where the RewriteCond block was; '#' lines are notes, warnings and".into(),
    );
    out.push("# anything that could not be translated.".into());

    let mut blocks: Vec<Block> = Vec::new();
    let mut pending = Block::default();
    for line in logical_lines(text) {
        let (name, args) = split_directive(&line.text);
        let words = rewrite_words(args);
        let raw = line.text.clone();
        match name.to_ascii_lowercase().as_str() {
            "rewritecond" => match words.as_slice() {
                [test, pattern, rest @ ..] if rest.len() <= 1 => pending.conds.push(Cond {
                    line: line.number,
                    raw,
                    test: test.clone(),
                    pattern: pattern.clone(),
                    flags: Flags::parse(rest.first().map(String::as_str)),
                }),
                _ => pending.stray.push((
                    line.number,
                    raw,
                    "RewriteCond takes a test string, a pattern and optional [flags]".into(),
                )),
            },
            "rewriterule" => match words.as_slice() {
                [pattern, substitution, rest @ ..] if rest.len() <= 1 => {
                    pending.rule = Some(Rule {
                        line: line.number,
                        raw,
                        pattern: pattern.clone(),
                        substitution: substitution.clone(),
                        flags: Flags::parse(rest.first().map(String::as_str)),
                    });
                    blocks.push(std::mem::take(&mut pending));
                }
                _ => pending.stray.push((
                    line.number,
                    raw,
                    "RewriteRule takes a pattern, a substitution and optional [flags]".into(),
                )),
            },
            "rewriteengine" => pending.notes.push(format!(
                "{source}:{}: {raw}: photoguard needs no engine switch",
                line.number
            )),
            _ => pending.stray.push((
                line.number,
                raw,
                "not part of a RewriteCond/RewriteRule block".into(),
            )),
        }
    }
    let leftover = pending;

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

#[derive(Debug, Default)]
struct Block {
    conds: Vec<Cond>,
    rule: Option<Rule>,
    notes: Vec<String>,
    /// Lines in the block that are not conditions: (line, text, why).
    stray: Vec<(u32, String, String)>,
}

#[derive(Debug)]
struct Cond {
    line: u32,
    raw: String,
    test: String,
    pattern: String,
    flags: Flags,
}

#[derive(Debug)]
struct Rule {
    line: u32,
    raw: String,
    pattern: String,
    substitution: String,
    flags: Flags,
}

/// `[NC,OR]`, `[R=301,L]`: upper-cased names with optional values.
#[derive(Debug, Default)]
struct Flags(Vec<(String, Option<String>)>);

impl Flags {
    fn parse(word: Option<&str>) -> Flags {
        let Some(word) = word else {
            return Flags::default();
        };
        let inner = word.trim_start_matches('[').trim_end_matches(']');
        Flags(
            inner
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(|f| match f.split_once('=') {
                    Some((name, value)) => (name.to_ascii_uppercase(), Some(value.to_string())),
                    None => (f.to_ascii_uppercase(), None),
                })
                .collect(),
        )
    }

    fn find(&self, names: &[&str]) -> Option<&(String, Option<String>)> {
        self.0
            .iter()
            .find(|(name, _)| names.contains(&name.as_str()))
    }

    fn has(&self, names: &[&str]) -> bool {
        self.find(names).is_some()
    }

    /// Flags not in `known`, as written, for a note.
    fn others(&self, known: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|(name, _)| !known.contains(&name.as_str()))
            .map(|(name, value)| match value {
                Some(v) => format!("{name}={v}"),
                None => name.clone(),
            })
            .collect()
    }
}

/// Splits a mod_rewrite line into words: white space separates, `"` or `'`
/// quote, and a backslash is kept (it belongs to the regex) except before
/// white space, where it makes the space part of the word.
fn rewrite_words(args: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = args.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut word = String::new();
        let quote = (first == '"' || first == '\'').then(|| {
            chars.next();
            first
        });
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', _)
                    if chars
                        .peek()
                        .is_some_and(|n| n.is_whitespace() || Some(*n) == quote) =>
                {
                    word.push(chars.next().expect("peeked"));
                }
                (c, Some(q)) if c == q => break,
                (c, None) if c.is_whitespace() => break,
                (c, _) => word.push(c),
            }
        }
        words.push(word);
    }
    words
}

/// The text being built and its counters.
struct Output {
    source: String,
    lines: Vec<String>,
    warnings: usize,
    untranslated: usize,
}

impl Output {
    fn new(source: &str) -> Output {
        Output {
            source: source.to_string(),
            lines: Vec::new(),
            warnings: 0,
            untranslated: 0,
        }
    }

    fn push(&mut self, line: String) {
        self.lines.push(line);
    }

    fn note(&mut self, text: impl AsRef<str>) {
        self.push(format!("# note: {}", text.as_ref()));
    }

    fn warn(&mut self, text: impl AsRef<str>) {
        self.warnings += 1;
        self.push(format!("# warning: {}", text.as_ref()));
    }

    fn untranslated_text(&mut self, why: &str) {
        self.untranslated += 1;
        self.push(format!("# NOT TRANSLATED: {why}"));
    }

    fn untranslated(&mut self, line: u32, raw: &str, why: &str) {
        self.untranslated += 1;
        self.push(format!("# NOT TRANSLATED {}:{line}: {raw}", self.source));
        self.push(format!("#   {why}"));
    }

    fn origin_comment(&mut self, line: u32, raw: &str) {
        self.push(String::new());
        self.push(format!("# {}:{line}: {raw}", self.source));
    }

    /// Prints a directive once the engine has accepted it (applied to a
    /// fresh scope each time: a scope that kept growing would rebuild its
    /// network index on every line).
    fn directive(&mut self, line: u32, raw: &str, name: &str, args: &str) -> bool {
        let ctx = DirectiveContext {
            origin: Origin::new(self.source.as_str(), line),
            server_root: None,
        };
        match ScopeConfig::new().apply(name, args, &ctx) {
            Ok(()) => {
                self.push(format!("{name} {args}"));
                true
            }
            Err(e) => {
                self.untranslated(
                    line,
                    raw,
                    &format!("photoguard would refuse the translation: {e}"),
                );
                false
            }
        }
    }
}

fn translate_block(block: &Block, out: &mut Output) {
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

/// The longest CIDR list put on one directive line.
const NETWORKS_PER_LINE: usize = 8;

fn translate_address_condition(cond: &Cond, pattern: &str, nc: bool, out: &mut Output) -> usize {
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
        let examples: Vec<String> = partial
            .ranges()
            .iter()
            .take(3)
            .map(|&(a, b)| RangeText(a, b).to_string())
            .collect();
        let more = if partial.ranges().len() > 3 {
            ", ..."
        } else {
            ""
        };
        out.warn(format!(
            "the pattern matches inside an octet, so it also accepts {} address(es) such as {}{more}; anchor it (^...$) or end it with \\.",
            partial.count(),
            examples.join(", ")
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
        let ranges: Vec<String> = accepted
            .ranges()
            .iter()
            .take(3)
            .map(|&(a, b)| RangeText(a, b).to_string())
            .collect();
        let more = if accepted.ranges().len() > 3 {
            ", ..."
        } else {
            ""
        };
        out.warn(format!(
            "the accepted addresses ({}{more}) are not one CIDR block: {} blocks",
            ranges.join(", "),
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

/// What a cookie condition becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieTranslation {
    pub name: String,
    pub value: Option<String>,
    /// What matches differently now, stricter.
    pub notes: Vec<String>,
    /// What matches differently now, looser.
    pub warnings: Vec<String>,
}

impl CookieTranslation {
    pub fn argument(&self) -> String {
        match &self.value {
            Some(value) => format!("{}={value}", self.name),
            None => self.name.clone(),
        }
    }
}

fn translate_cookie_condition(cond: &Cond, pattern: &str, nc: bool, out: &mut Output) -> usize {
    match translate_cookie_pattern(pattern, nc) {
        Ok(cookie) => {
            out.origin_comment(cond.line, &cond.raw);
            for note in &cookie.notes {
                out.note(note);
            }
            for warning in &cookie.warnings {
                out.warn(warning);
            }
            usize::from(out.directive(
                cond.line,
                &cond.raw,
                "PhotoGuardAllowCookie",
                &cookie.argument(),
            ))
        }
        Err(why) => {
            out.untranslated(
                cond.line,
                &cond.raw,
                &format!("{why}; requests it let through are denied until a cookie rule is added"),
            );
            0
        }
    }
}

/// Where a cookie pattern required the name to begin.
#[derive(Debug, Clone, Copy)]
enum NameStart {
    /// Anywhere in the header (a substring test).
    Anywhere,
    /// At the start of the header only (`^NAME=`).
    HeaderStart,
    /// At the start of a cookie (`(^|;\s*)NAME=`, `\bNAME=`).
    CookieStart,
}

const NAME_STARTS: &[(&str, NameStart)] = &[
    (r"(^|;\s*)", NameStart::CookieStart),
    (r"(?:^|;\s*)", NameStart::CookieStart),
    (r"(^|; *)", NameStart::CookieStart),
    (r"(?:^|; *)", NameStart::CookieStart),
    (r"(^|;\s?)", NameStart::CookieStart),
    (r"(?:^|;\s?)", NameStart::CookieStart),
    (r"(^|; ?)", NameStart::CookieStart),
    (r"(?:^|; ?)", NameStart::CookieStart),
    (r"(^|;)\s*", NameStart::CookieStart),
    (r"(^|;) *", NameStart::CookieStart),
    (r"(^|[;,]\s*)", NameStart::CookieStart),
    (r"(?:^|[;,]\s*)", NameStart::CookieStart),
    (r"\b", NameStart::CookieStart),
    ("^", NameStart::HeaderStart),
];

/// Value patterns that accept any value, the empty one included.
const ANY_VALUE: &[&str] = &[
    "", ".*", ".*$", "(.*)", "(.*)$", "[^;]*", "[^;]*$", "([^;]*)", "([^;]*)$",
];
/// Value patterns that need at least one character.
const SOME_VALUE: &[&str] = &[
    ".+", ".+$", "(.+)", "(.+)$", "[^;]+", "[^;]+$", "([^;]+)", "([^;]+)$",
];
/// What may follow a literal value for it to be the whole value.
const VALUE_ENDS: &[&str] = &[
    "(;|$)",
    "($|;)",
    "(?:;|$)",
    "(?:$|;)",
    "(;.*)?$",
    "(?:;.*)?$",
];

/// Translates a cookie pattern (without its `!`) of the forms admins write:
/// `NAME=.*$`, `NAME=`, `NAME=.+`, `NAME=VALUE`, optionally preceded by `^`
/// or `(^|;\s*)` and followed by `$` or `(;|$)`.
pub fn translate_cookie_pattern(pattern: &str, nc: bool) -> Result<CookieTranslation, String> {
    let (start, rest) = NAME_STARTS
        .iter()
        .find_map(|&(prefix, kind)| pattern.strip_prefix(prefix).map(|rest| (kind, rest)))
        .unwrap_or((NameStart::Anywhere, pattern));
    let (name, after_name) = read_literal(rest);
    if name.is_empty() {
        return Err(format!(
            "'{pattern}' is not of the form NAME=... with a literal cookie name"
        ));
    }
    let Some(value_part) = after_name.strip_prefix('=') else {
        return Err(format!(
            "'{pattern}': the cookie name is not followed by '=' (it would also match inside other names or values)"
        ));
    };
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    if nc {
        notes.push(format!(
            "[NC] let any letter case pass ({}=...); photoguard compares cookie names and values case-sensitively",
            name.to_ascii_lowercase()
        ));
    }
    let value = if ANY_VALUE.contains(&value_part) {
        notes.push(format!(
            "an empty value ({name}=) passed; photoguard requires a non-empty value"
        ));
        None
    } else if SOME_VALUE.contains(&value_part) {
        None
    } else {
        let (value, end) = read_literal(value_part);
        if value.is_empty() {
            return Err(format!(
                "'{pattern}': the value is neither a literal nor .* / .+"
            ));
        }
        if end.is_empty() {
            notes.push(format!("any value starting with {value} passed ({value}x); photoguard requires exactly {value}"));
        } else if end == "$" {
            warnings.push(format!("'$' required {name}={value} to be the last cookie; photoguard accepts it in any position"));
        } else if end == ";" {
            warnings.push(format!("';' required {name}={value} not to be the last cookie; photoguard accepts it in any position"));
        } else if !VALUE_ENDS.contains(&end) {
            return Err(format!(
                "'{pattern}': cannot read '{end}' after the value {value}"
            ));
        }
        Some(value)
    };
    let example = format!("{name}={}", value.as_deref().unwrap_or("1"));
    match start {
        NameStart::Anywhere => notes.insert(0, format!(
            "the pattern was a substring test on the whole Cookie header, so X{example} or the text inside another cookie's value passed; photoguard matches the cookie name whole"
        )),
        NameStart::HeaderStart => warnings.push(format!(
            "'^' required {name} to be the first cookie in the header; photoguard accepts it in any position"
        )),
        NameStart::CookieStart => {}
    }
    Ok(CookieTranslation {
        name,
        value,
        notes,
        warnings,
    })
}

/// Reads literal characters of a regex (escaped punctuation included) up to
/// the first `=` or regex operator; returns the literal and the rest.
fn read_literal(text: &str) -> (String, &str) {
    const OPERATORS: &str = r".^$|?*+()[]{}\=";
    let mut literal = String::new();
    let mut rest = text;
    loop {
        let mut chars = rest.chars();
        match chars.next() {
            Some('\\') => match chars.next() {
                Some(c) if c.is_ascii_punctuation() => {
                    literal.push(c);
                    rest = chars.as_str();
                }
                _ => break,
            },
            Some(c) if !OPERATORS.contains(c) && !c.is_whitespace() => {
                literal.push(c);
                rest = chars.as_str();
            }
            _ => break,
        }
    }
    (literal, rest)
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

#[cfg(test)]
mod tests {
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

    #[test]
    fn cookie_pattern_forms() {
        let any = translate_cookie_pattern("LtpaToken2=.*$", true).unwrap();
        assert_eq!(any.argument(), "LtpaToken2");
        assert_eq!(any.notes.len(), 3);
        let some = translate_cookie_pattern(r"(^|;\s*)LtpaToken2=[^;]+", false).unwrap();
        assert_eq!(
            (some.argument(), some.notes.len(), some.warnings.len()),
            ("LtpaToken2".into(), 0, 0)
        );
        let exact =
            translate_cookie_pattern(r"(?:^|;\s*)STPluginActivePage=stMeetingroom(;|$)", false)
                .unwrap();
        assert_eq!(
            (exact.argument(), exact.notes.len()),
            ("STPluginActivePage=stMeetingroom".into(), 0)
        );
        let prefix = translate_cookie_pattern("STPluginActivePage=stMeetingroom", false).unwrap();
        assert!(
            prefix
                .notes
                .iter()
                .any(|n| n.contains("starting with stMeetingroom"))
        );
        let first = translate_cookie_pattern("^LtpaToken=.+", false).unwrap();
        assert_eq!(first.warnings.len(), 1);
        let escaped = translate_cookie_pattern(r"my\.cookie=a\-b$", false).unwrap();
        assert_eq!(escaped.argument(), "my.cookie=a-b");
        assert_eq!(escaped.warnings.len(), 1);
        assert!(translate_cookie_pattern("Ltpa.*=", false).is_err());
        assert!(translate_cookie_pattern("LtpaToken2", false).is_err());
        assert!(translate_cookie_pattern("LtpaToken2=(a|b)", false).is_err());
    }

    #[test]
    fn words_keep_regex_backslashes() {
        assert_eq!(
            rewrite_words(r#"%{REMOTE_ADDR} !^10\.20\. [NC]"#),
            ["%{REMOTE_ADDR}", r"!^10\.20\.", "[NC]"]
        );
        assert_eq!(
            rewrite_words(r#"^ "https://x/a b" [R]"#),
            ["^", "https://x/a b", "[R]"]
        );
        assert_eq!(rewrite_words(r"a\ b c"), ["a b", "c"]);
    }
}
