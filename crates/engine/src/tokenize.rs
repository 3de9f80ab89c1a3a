//! Splits a directive's argument string into words the way Apache's
//! `ap_getword_conf` does, so that the engine, the module and the command-line
//! tool agree on what an admin wrote: words are separated by white space, and a
//! word may be quoted with `"` or `'` (a backslash escapes the quote inside).

/// RFC 7230 `tchar`: what a header name or a cookie name may consist of.
/// One table for every such check (cookie names, `PhotoGuardClientIPHeader`).
pub fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Why an argument string could not be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnterminatedQuote;

/// Splits `args` into words. An unterminated quote is an error rather than a
/// silent guess, because a guess could change which clients are allowed.
pub fn split_words(args: &str) -> Result<Vec<String>, UnterminatedQuote> {
    let mut words = Vec::new();
    let mut chars = args.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                if c == '\\' && chars.peek() == Some(&first) {
                    word.push(first);
                    chars.next();
                } else if c == first {
                    closed = true;
                    break;
                } else {
                    word.push(c);
                }
            }
            if !closed {
                return Err(UnterminatedQuote);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_any_white_space() {
        assert_eq!(split_words("  a\tb  c ").unwrap(), vec!["a", "b", "c"]);
        assert!(split_words("   ").unwrap().is_empty());
    }

    #[test]
    fn quoted_words_keep_spaces_and_escaped_quotes() {
        assert_eq!(
            split_words(r#"redirect "https://x/a b" 'it\'s'"#).unwrap(),
            vec!["redirect", "https://x/a b", "it's"]
        );
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        assert_eq!(
            split_words(r#"redirect "https://x"#),
            Err(UnterminatedQuote)
        );
    }
}
