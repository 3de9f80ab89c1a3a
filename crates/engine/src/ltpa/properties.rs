//! A reader for Java `.properties` files, as `java.util.Properties.load`
//! reads them: that is how WebSphere and Liberty write `ltpa.keys`, and a
//! base64 value there ends in `\=`, a date in `17\:00\:11`.

/// One `key=value` entry, unescaped, with the line it started on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Property {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// A `\u` escape without four hex digits (Java refuses those too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadEscape {
    pub line: usize,
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\x0c')
}

/// Splits the text into natural lines (`\n`, `\r` or `\r\n`), numbered from 1.
fn natural_lines(text: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut rest = text;
    let mut number = 0;
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        number += 1;
        let end = rest
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(rest.len());
        let (line, tail) = rest.split_at(end);
        rest = match tail {
            [b'\r', b'\n', t @ ..] | [b'\r', t @ ..] | [b'\n', t @ ..] => t,
            _ => &[],
        };
        Some((number, line))
    })
}

/// A line continues on the next when it ends in an odd number of backslashes.
fn continues(line: &[u8]) -> bool {
    line.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// Parses the whole file. The bytes are ISO-8859-1, as `Properties.load`
/// reads a stream; other characters come as `\uXXXX`.
pub(crate) fn parse(text: &[u8]) -> Result<Vec<Property>, BadEscape> {
    let mut out = Vec::new();
    let mut lines = natural_lines(text);
    while let Some((number, first)) = lines.next() {
        let first = trim_start(first);
        if first.is_empty() || first.starts_with(b"#") || first.starts_with(b"!") {
            continue;
        }
        // Join continuation lines: drop the final backslash and the next
        // line's leading blanks.
        let mut logical = first.to_vec();
        while continues(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.extend_from_slice(trim_start(next)),
                None => break,
            }
        }
        let (key, value) = split_key_value(&logical);
        out.push(Property {
            key: unescape(key).ok_or(BadEscape { line: number })?,
            value: unescape(value).ok_or(BadEscape { line: number })?,
            line: number,
        });
    }
    Ok(out)
}

fn trim_start(line: &[u8]) -> &[u8] {
    let n = line.iter().take_while(|&&b| is_blank(b)).count();
    line.get(n..).unwrap_or_default()
}

/// The key ends at the first unescaped `=`, `:` or blank; then blanks, at
/// most one `=` or `:`, and blanks again precede the value.
fn split_key_value(line: &[u8]) -> (&[u8], &[u8]) {
    let mut escaped = false;
    let mut end = line.len();
    for (i, &b) in line.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        } else if b == b'=' || b == b':' || is_blank(b) {
            end = i;
            break;
        }
    }
    let (key, rest) = line.split_at(end);
    let rest = trim_start(rest);
    let rest = match rest.split_first() {
        Some((b'=' | b':', tail)) => trim_start(tail),
        _ => rest,
    };
    (key, rest)
}

fn unescape(raw: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'\\' {
            out.push(char::from(b)); // ISO-8859-1: byte value = code point
            continue;
        }
        let Some((&e, tail)) = rest.split_first() else {
            break; // a lone trailing backslash (end of file) is dropped, as Java does
        };
        rest = tail;
        match e {
            b't' => out.push('\t'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b'f' => out.push('\x0c'),
            b'u' => {
                let hex = rest.get(..4)?;
                rest = rest.get(4..)?;
                let text = core::str::from_utf8(hex).ok()?;
                let unit = u32::from_str_radix(text, 16).ok()?;
                // Lone surrogates cannot be a `char`; no LTPA value has them.
                out.push(char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            other => out.push(char::from(other)),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text.as_bytes())
            .unwrap()
            .into_iter()
            .map(|p| (p.key, p.value))
            .collect()
    }

    #[test]
    fn reads_a_websphere_export() {
        let got = pairs(
            "#Fri Mar 24 17:00:11 CET 2017\n\
             com.ibm.websphere.CreationDate=Fri Mar 24 17\\:00\\:11 CET 2017\r\n\
             com.ibm.websphere.ltpa.3DESKey=JvywHhxC+EhtUdeusbo31E5IUOEPmbMxMnKTTOB39fo\\=\n",
        );
        assert_eq!(
            got[0],
            (
                "com.ibm.websphere.CreationDate".into(),
                "Fri Mar 24 17:00:11 CET 2017".into()
            )
        );
        assert_eq!(got[1].1, "JvywHhxC+EhtUdeusbo31E5IUOEPmbMxMnKTTOB39fo=");
    }

    #[test]
    fn java_syntax_corners() {
        let got = pairs(
            "  ! comment\n\
             a : b\n\
             c\tspaced value \n\
             key\\ with\\:odd = v\\u00e9\\n\n\
             long = one \\\n      two\\\\\n\
             empty\n\
             last=end\\",
        );
        assert_eq!(
            got,
            vec![
                ("a".into(), "b".into()),
                ("c".into(), "spaced value ".into()),
                ("key with:odd".into(), "v\u{e9}\n".into()),
                ("long".into(), "one two\\".into()),
                ("empty".into(), String::new()),
                ("last".into(), "end".into()),
            ]
        );
    }

    #[test]
    fn bad_unicode_escape_names_its_line() {
        assert_eq!(parse(b"a=1\nb=\\u12"), Err(BadEscape { line: 2 }));
        assert_eq!(parse(b"a=1\r\n\r\nb=\\uzzzz"), Err(BadEscape { line: 3 }));
    }
}
