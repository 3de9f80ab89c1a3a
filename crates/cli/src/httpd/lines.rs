//! Logical lines of an Apache-style configuration file, as httpd reads them:
//! a line ending in a backslash continues on the next one, leading and
//! trailing white space is dropped, and lines whose first character is `#`
//! are comments. (A `#` later on a line is not a comment in httpd; it is
//! passed to the directive like any other text.) Also the split of a line
//! into a directive's name and arguments.

/// One logical line: its text and the number of its first physical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLine {
    pub number: u32,
    pub text: String,
}

/// The non-empty, non-comment logical lines of `text`.
pub fn logical_lines(text: &str) -> Vec<ConfigLine> {
    let mut lines = Vec::new();
    let mut pending: Option<ConfigLine> = None;
    for (index, physical) in text.split('\n').enumerate() {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        let (body, continues) = match physical.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (physical, false),
        };
        let line = pending.get_or_insert_with(|| ConfigLine {
            number: index as u32 + 1,
            text: String::new(),
        });
        line.text.push_str(body);
        if continues {
            continue;
        }
        let done = pending.take().expect("set above");
        push_logical(&mut lines, done);
    }
    if let Some(last) = pending {
        push_logical(&mut lines, last);
    }
    lines
}

fn push_logical(lines: &mut Vec<ConfigLine>, line: ConfigLine) {
    let text = line.text.trim();
    if text.is_empty() || text.starts_with('#') {
        return;
    }
    lines.push(ConfigLine {
        number: line.number,
        text: text.to_string(),
    });
}

/// Splits a directive line into its name and its raw arguments (the rest of
/// the line, as Apache passes RAW_ARGS).
pub fn split_directive(text: &str) -> (&str, &str) {
    match text.find(char::is_whitespace) {
        Some(end) => (&text[..end], text[end..].trim_start()),
        None => (text, ""),
    }
}

/// The first word of a directive's arguments, unquoted; `None` when there is
/// none or a quote is not closed.
pub fn first_word(args: &str) -> Option<String> {
    photoguard_engine::tokenize::split_words(args)
        .ok()?
        .into_iter()
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &str) -> Vec<(u32, String)> {
        logical_lines(input)
            .into_iter()
            .map(|l| (l.number, l.text))
            .collect()
    }

    #[test]
    fn comments_blank_lines_and_white_space() {
        let input = "# a comment\n\n  PhotoGuard On  \r\n\t# indented comment\nPhotoGuardMode report # not a comment\n";
        assert_eq!(
            texts(input),
            [
                (3, "PhotoGuard On".to_string()),
                (5, "PhotoGuardMode report # not a comment".to_string())
            ]
        );
    }

    #[test]
    fn backslash_continues_a_line_and_keeps_its_first_line_number() {
        let input = "PhotoGuardAllowNetwork 10.0.0.0/8 \\\n    192.168.0.0/16\\\n 172.16.0.0/12\nPhotoGuard On\n";
        assert_eq!(
            texts(input),
            [
                (
                    1,
                    "PhotoGuardAllowNetwork 10.0.0.0/8     192.168.0.0/16 172.16.0.0/12"
                        .to_string()
                ),
                (4, "PhotoGuard On".to_string())
            ]
        );
    }

    #[test]
    fn a_continued_comment_swallows_the_next_line_as_httpd_does() {
        assert_eq!(
            texts("# comment \\\nPhotoGuard On\nPhotoGuard Off"),
            [(3, "PhotoGuard Off".to_string())]
        );
    }

    #[test]
    fn directive_name_and_raw_arguments() {
        assert_eq!(
            split_directive("PhotoGuardDenyAction   redirect  https://x/"),
            ("PhotoGuardDenyAction", "redirect  https://x/")
        );
        assert_eq!(split_directive("PhotoGuard"), ("PhotoGuard", ""));
    }
}
