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
    // mod_rewrite's PCRE is not in UTF mode: it reads `Ь*` as the byte D0
    // then any number of AC, the regex library as any number of `Ь`. An
    // address pattern has no use for such text (found by fuzzing).
    if let Some(offset) = pattern.bytes().position(|b| !b.is_ascii()) {
        return Err(Untranslatable(format!(
            "PCRE syntax not supported here: a character that is not ASCII (at byte {offset}), which PCRE reads byte by byte and the regex library as one character"
        )));
    }
    if let Some(offset) = possessive_quantifier(pattern) {
        return Err(Untranslatable(format!(
            "PCRE syntax not supported here: possessive quantifier (at byte {offset}), which the regex library reads as a nested repetition"
        )));
    }
    if let Some(offset) = word_boundary_escape(pattern) {
        return Err(Untranslatable(format!(
            "PCRE syntax not supported here: '\\<', '\\>' or '\\b{{' (at byte {offset}), which PCRE reads as characters and the regex library as a word boundary"
        )));
    }
    if let Some(offset) = class_set_syntax(pattern) {
        return Err(Untranslatable(format!(
            "PCRE syntax not supported here: '[', '&&', '--' or '~~' inside a character class (at byte {offset}), which PCRE reads as characters and the regex library as a nested class or set operation"
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

/// Where the pattern has `\<`, `\>` (a literal `<`, `>` in PCRE) or
/// `\b{`/`\B{` (`\b` then a `{` in PCRE): the regex library reads them as
/// word boundaries (`\b{start}`, `\b{end}`, ...). Found by fuzzing.
fn word_boundary_escape(pattern: &str) -> Option<usize> {
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(b'<' | b'>'), _) | (Some(b'b' | b'B'), Some(b'{')) => return Some(i),
                _ => i += 1,
            }
        }
        i += 1;
    }
    None
}

/// Where a character class holds what the regex library reads as class set
/// syntax and PCRE as plain characters: a `[` that does not open a POSIX
/// class (`[[0]]` is the class `[0]` there; in PCRE the class of `[` and
/// `0`, then a `]`), or `&&`, `--`, `~~` (intersection, difference,
/// symmetric difference there; characters and ranges in PCRE). Found by
/// fuzzing (fuzz/fuzz_targets/rewrite_import.rs).
fn class_set_syntax(pattern: &str) -> Option<usize> {
    let bytes = pattern.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if !in_class => {
                in_class = true;
                if bytes.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if bytes.get(i + 1) == Some(&b']') {
                    i += 1;
                }
            }
            b'[' => match posix_class_len(&bytes[i..]) {
                Some(len) => i += len - 1,
                None => return Some(i),
            },
            b']' if in_class => in_class = false,
            b'&' | b'-' | b'~' if in_class && bytes.get(i + 1) == Some(&bytes[i]) => {
                return Some(i);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The length of a POSIX class such as `[:digit:]` or `[:^alpha:]` at the
/// start of `bytes`, if one is there.
fn posix_class_len(bytes: &[u8]) -> Option<usize> {
    let rest = bytes.strip_prefix(b"[:")?;
    let rest = rest.strip_prefix(b"^").unwrap_or(rest);
    let name = rest.iter().take_while(|b| b.is_ascii_lowercase()).count();
    (name > 0 && rest[name..].starts_with(b":]")).then(|| bytes.len() - rest.len() + name + 2)
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
            r"20.[[0]]",
            r"^10\.[0-9&&[^5]]\.",
            r"^10\.[+--]",
            r"^10\.[1~~2]",
            r"\<",
            r"^10\>",
            r"\b{start}10\.",
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

    /// Found by fuzzing: PCRE without UTF reads `Ь*` as `\xD0\xAC*`, so
    /// `^1Ь*[(?x90]\.(1|2)` matches no address in mod_rewrite, while the
    /// regex library read `(Ь)*` and accepted 10.1.0.0 and more.
    #[test]
    fn text_that_is_not_ascii_is_untranslatable() {
        for pattern in ["^1Ь*[(?x90]\\.(1|2)", "^10\\.é?1", "^10\\.[é0-9]"] {
            let err = analyze(pattern, true).unwrap_err();
            assert!(err.0.contains("not ASCII (at byte"), "{pattern}: {err}");
        }
        assert!(analyze(r"^10\.1\.", true).is_ok());
    }

    /// Found by fuzzing: `\<` is a literal `<` in PCRE, so `\<` matches no
    /// address in mod_rewrite; the regex library read it as the start of a
    /// word and the analysis accepted every address.
    #[test]
    fn word_boundary_escapes_are_untranslatable() {
        assert_eq!(word_boundary_escape(r"\<"), Some(0));
        assert_eq!(word_boundary_escape(r"^10\.1\>"), Some(6));
        assert_eq!(word_boundary_escape(r"\b{start}1"), Some(0));
        assert_eq!(word_boundary_escape(r"1\B{end}"), Some(1));
        for fine in [r"\\<", r"\b10\b", r"^10\.\d{1,3}$", r"<>", r"\\b{"] {
            assert_eq!(word_boundary_escape(fine), None, "{fine}");
        }
        let err = analyze(r"\<", true).unwrap_err();
        assert!(err.0.contains("word boundary"), "{err}");
    }

    /// Found by fuzzing: `[[0]]` is the class `[0]` to the regex library, but
    /// in PCRE the class of `[` and `0` followed by a literal `]`, so
    /// `20.[[0]]` matched 0.0.20.0 in the analysis and never in mod_rewrite.
    #[test]
    fn class_set_syntax_is_untranslatable() {
        assert_eq!(class_set_syntax(r"20.[[0]]"), Some(4));
        assert_eq!(class_set_syntax(r"^1[0-9&&[^5]]"), Some(6));
        assert_eq!(class_set_syntax(r"[+--]"), Some(2));
        assert_eq!(class_set_syntax(r"[a~~b]"), Some(2));
        assert_eq!(class_set_syntax(r"[[:<:]]"), Some(1));
        assert_eq!(class_set_syntax(r"^1[^][]"), Some(5));
        for fine in [
            r"^10\.[[:digit:]]+\.[[:^alpha:]]",
            r"^1[]a]",
            r"^1[^]a]",
            r"^1[\[\-\-]",
            r"^10\.(1[6-9]|2[0-9])\.",
            r"^10\.[0-9]--",
            r"[a-]-",
            r"\[\[0]]",
        ] {
            assert_eq!(class_set_syntax(fine), None, "{fine}");
        }
        let err = analyze(r"20.[[0]]", false).unwrap_err();
        assert!(
            err.0.contains("inside a character class (at byte 4)"),
            "{err}"
        );
    }
}
