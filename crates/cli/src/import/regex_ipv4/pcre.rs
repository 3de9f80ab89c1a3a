//! What the regex library would read differently from PCRE, the engine
//! mod_rewrite runs: such patterns are refused with one line saying why,
//! rather than analysed as something they are not.

use super::Untranslatable;

/// Rejects syntax that the regex library would read differently from PCRE
/// (where it would not simply refuse it).
pub(super) fn check_pcre_compatibility(
    pattern: &str,
    case_insensitive: bool,
) -> Result<(), Untranslatable> {
    // PCRE before 10.43 reads `x{,3}` as literal text; the regex library as a
    // quantifier. Neither reading can be trusted to be what mod_rewrite does.
    if pattern.contains("{,") {
        return Err(Untranslatable(
            "'{,' means literal text in older PCRE and a repetition here".into(),
        ));
    }
    if let Some(offset) = possessive_quantifier(pattern) {
        return Err(Untranslatable(format!(
            "PCRE syntax not supported here: possessive quantifier (at byte {offset}), which the regex library reads as a nested repetition"
        )));
    }
    let mut parser = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .case_insensitive(case_insensitive)
        .build();
    parser
        .parse(pattern)
        .map(|_| ())
        .map_err(|e| Untranslatable(syntax_error_text(&e)))
}

/// Where a possessive quantifier (`a++`, `a*+`, `a?+`, `a{2}+`) starts, if
/// the pattern has one outside a character class: PCRE makes it refuse to
/// backtrack, the regex library parses it as a repetition of a repetition.
fn possessive_quantifier(pattern: &str) -> Option<usize> {
    let bytes = pattern.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if !in_class => {
                in_class = true;
                // A `]` right after `[` or `[^` is a literal.
                if bytes.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if bytes.get(i + 1) == Some(&b']') {
                    i += 1;
                }
            }
            b'[' if in_class && bytes.get(i + 1) == Some(&b':') => {
                if let Some(end) = pattern[i..].find(":]") {
                    i += end + 1;
                }
            }
            b']' if in_class => in_class = false,
            b'*' | b'+' | b'?' | b'}' if !in_class => {
                let opens_group = bytes[i] == b'?' && i > 0 && bytes[i - 1] == b'(';
                if !opens_group && bytes.get(i + 1) == Some(&b'+') {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// One line for a regex syntax error (the library's own Display draws a
/// caret diagram over several lines).
fn syntax_error_text(error: &regex_syntax::Error) -> String {
    match error {
        regex_syntax::Error::Parse(e) => format!(
            "PCRE syntax not supported here: {} (at byte {})",
            e.kind(),
            e.span().start.offset
        ),
        regex_syntax::Error::Translate(e) => format!(
            "PCRE syntax not supported here: {} (at byte {})",
            e.kind(),
            e.span().start.offset
        ),
        other => format!("PCRE syntax not supported here: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::analyze;
    use super::*;

    #[test]
    fn pcre_only_syntax_is_untranslatable_with_one_line() {
        for pattern in [
            r"^(10)\.\1\.",
            r"^10\.(?=2)",
            r"^10++\.",
            r"^(?>10)\.",
            r"^10\.{,3}",
            r"\Q10.\E",
        ] {
            let err = analyze(pattern, false).unwrap_err();
            assert!(!err.0.contains('\n'), "{pattern}: {err}");
        }
    }

    #[test]
    fn possessive_quantifiers_are_found_outside_classes_only() {
        assert_eq!(possessive_quantifier(r"^10++\."), Some(3));
        assert_eq!(possessive_quantifier(r"^1\d{2}+\."), Some(6));
        assert_eq!(possessive_quantifier(r"^1[+]+\."), None);
        assert_eq!(possessive_quantifier(r"^1[]+]+\."), None);
        assert_eq!(possessive_quantifier(r"^1\++"), None);
        assert_eq!(possessive_quantifier(r"^(?:1)+"), None);
    }
}
