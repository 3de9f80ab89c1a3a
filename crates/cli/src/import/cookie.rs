//! `RewriteCond %{HTTP_COOKIE}` conditions: the cookie pattern forms
//! admins write, as `PhotoGuardAllowCookie` lines, with a note for every
//! client that is treated differently now.

use super::output::Output;
use super::parse::Cond;

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

pub(super) fn translate_cookie_condition(
    cond: &Cond,
    pattern: &str,
    nc: bool,
    out: &mut Output,
) -> usize {
    match translate_cookie_pattern(pattern, nc) {
        Ok(cookie) => {
            out.origin_comment(cond.line, &cond.raw);
            for note in &cookie.notes {
                out.note(note);
            }
            for warning in &cookie.warnings {
                out.warn(warning);
            }
            if let Some(note) = ltpa_note(&cookie.name) {
                out.note(note);
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

/// For the cookies LTPA tokens travel in: the translation stays a presence
/// rule (what the RewriteCond did), and the note says what can be done now.
fn ltpa_note(name: &str) -> Option<String> {
    let ltpa = ["LtpaToken", "LtpaToken2"]
        .iter()
        .any(|c| c.eq_ignore_ascii_case(name));
    ltpa.then(|| {
        format!(
            "{name} is an LTPA single sign-on token; this rule only checks that it is present, so a forged {name}=x passes as it did before. photoguard can now validate it: PhotoGuardLtpaKeys KEYFILE PASSWORDFILE (WebSphere/Liberty ltpa.keys) or PhotoGuardDominoSecret FILE (Domino), then PhotoGuardAllowLtpa {name} in place of this line"
        )
    })
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

/// The ways admins write "at the start of a cookie" before the name.
const COOKIE_STARTS: &[&str] = &[
    r"(^|;\s*)",
    r"(?:^|;\s*)",
    r"(^|; *)",
    r"(?:^|; *)",
    r"(^|;\s?)",
    r"(?:^|;\s?)",
    r"(^|; ?)",
    r"(?:^|; ?)",
    r"(^|;)\s*",
    r"(^|;) *",
    r"(^|[;,]\s*)",
    r"(?:^|[;,]\s*)",
    r"\b",
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
    let (start, rest) = match COOKIE_STARTS.iter().find_map(|p| pattern.strip_prefix(p)) {
        Some(rest) => (NameStart::CookieStart, rest),
        None => match pattern.strip_prefix('^') {
            Some(rest) => (NameStart::HeaderStart, rest),
            None => (NameStart::Anywhere, pattern),
        },
    };
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
