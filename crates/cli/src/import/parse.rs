//! Reading a mod_rewrite block: its lines, split into words the way
//! mod_rewrite splits them, grouped into blocks of RewriteConds that each
//! end with their RewriteRule.

use super::super::httpd::lines::{logical_lines, split_directive};

/// The RewriteConds before one RewriteRule, or (with no rule) the lines
/// left over after the last rule.
#[derive(Debug, Default)]
pub(super) struct Block {
    pub(super) conds: Vec<Cond>,
    pub(super) rule: Option<Rule>,
    pub(super) notes: Vec<String>,
    /// Lines in the block that are not conditions: (line, text, why).
    pub(super) stray: Vec<(u32, String, String)>,
}

/// `RewriteCond TEST PATTERN [FLAGS]` and where it was written.
#[derive(Debug)]
pub(super) struct Cond {
    pub(super) line: u32,
    pub(super) raw: String,
    pub(super) test: String,
    pub(super) pattern: String,
    pub(super) flags: Flags,
}

/// `RewriteRule PATTERN SUBSTITUTION [FLAGS]` and where it was written.
#[derive(Debug)]
pub(super) struct Rule {
    pub(super) line: u32,
    pub(super) raw: String,
    pub(super) pattern: String,
    pub(super) substitution: String,
    pub(super) flags: Flags,
}

/// `[NC,OR]`, `[R=301,L]`: upper-cased names with optional values.
#[derive(Debug, Default)]
pub(super) struct Flags(Vec<(String, Option<String>)>);

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

    pub(super) fn find(&self, names: &[&str]) -> Option<&(String, Option<String>)> {
        self.0
            .iter()
            .find(|(name, _)| names.contains(&name.as_str()))
    }

    pub(super) fn has(&self, names: &[&str]) -> bool {
        self.find(names).is_some()
    }

    /// Flags not in `known`, as written, for a note.
    pub(super) fn others(&self, known: &[&str]) -> Vec<String> {
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

/// Groups the lines of `text` into blocks, each ending with its RewriteRule,
/// and the lines after the last rule. `source` names the file in notes.
pub(super) fn parse_blocks(source: &str, text: &str) -> (Vec<Block>, Block) {
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
    (blocks, pending)
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

#[cfg(test)]
mod tests {
    use super::*;

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
