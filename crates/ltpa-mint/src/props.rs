//! Just enough of Java's `.properties` format to write `ltpa.keys` the way
//! `Properties.store` does and to read such a file back.

use std::fmt::Write as _;

/// Escapes a value as `Properties.store` does: `\`, `=`, `:`, `#`, `!`,
/// control characters, a leading blank, and anything outside ASCII.
pub(crate) fn escape(value: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    for (i, c) in value.chars().enumerate() {
        match c {
            '\\' | '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            c if (' '..='~').contains(&c) => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04X}");
                }
            }
        }
    }
    out
}

/// Reads `key=value` lines (comments, `\` escapes; no continuation lines,
/// which `Properties.store` never writes).
pub(crate) fn read(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let mut key = String::new();
        let mut chars = line.chars();
        let mut escaped = false;
        for c in chars.by_ref() {
            if escaped {
                key.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '=' || c == ':' {
                break;
            } else {
                key.push(c);
            }
        }
        let mut value = String::new();
        let mut escaped = false;
        for c in chars {
            if escaped {
                value.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else {
                value.push(c);
            }
        }
        out.push((key.trim_end().to_owned(), value.trim_start().to_owned()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_style_escapes() {
        assert_eq!(escape("AAA=", false), "AAA\\=");
        assert_eq!(
            escape("Fri Mar 24 17:00:11 CET 2017", false),
            "Fri Mar 24 17\\:00\\:11 CET 2017"
        );
        assert_eq!(escape("r\u{e9}alm", false), "r\\u00E9alm");
        let back = read("# c\nk=AAA\\=\nd=17\\:00\n");
        assert_eq!(
            back,
            vec![("k".into(), "AAA=".into()), ("d".into(), "17:00".into())]
        );
    }
}
