//! Cookie rules and the Cookie-header scanner.
//!
//! Names are matched whole and case-sensitively (RFC 6265), values exactly.
//! Header reading is zero-copy and tolerant: `;` or `,` (Apache joins repeated
//! Cookie lines with `, `) with or without spaces, empty pairs, pairs with no
//! `=`, quoted values, stray white space and bytes that are not UTF-8. Its
//! reading of a pair agrees with the `cookie` crate's (tests/properties.rs).

use std::ffi::CStr;
use std::fmt;

use aho_corasick::{AhoCorasick, MatchKind, packed};

use super::origin::Origin;
use super::tokenize::is_token_byte;

/// `LtpaToken2` (any non-empty value) or `STPluginActivePage=stMeetingroom`.
#[derive(Debug, Clone)]
pub struct CookieRule {
    name: Box<[u8]>,
    value: Option<Box<[u8]>>,
    origin: Origin,
    reason: Box<CStr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieParseError {
    pub token: String,
    pub problem: String,
}

impl fmt::Display for CookieParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}': {}", self.token, self.problem)
    }
}

/// RFC 6265 `cookie-octet`: what a cookie value may consist of.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

impl CookieRule {
    /// Parses `NAME` or `NAME=VALUE` from the config.
    pub fn parse(token: &str, origin: Origin) -> Result<CookieRule, CookieParseError> {
        let error = |problem: &str| CookieParseError {
            token: token.to_string(),
            problem: problem.to_string(),
        };
        let (name, raw_value) = match token.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (token, None),
        };
        if name.is_empty() {
            return Err(error("no cookie name"));
        }
        if let Some(bad) = name.bytes().find(|&b| !is_token_byte(b)) {
            return Err(error(&format!(
                "cookie names cannot contain {:?}",
                bad as char
            )));
        }
        let value = match raw_value {
            None => None,
            Some(raw) => {
                let value = unquote(raw.as_bytes());
                if value.is_empty() {
                    return Err(error(
                        "empty value: write the name alone to allow any non-empty value",
                    ));
                }
                if let Some(&bad) = value.iter().find(|&&b| !is_cookie_octet(b)) {
                    return Err(error(&format!(
                        "cookie values cannot contain {:?}",
                        bad as char
                    )));
                }
                Some(Box::<[u8]>::from(value))
            }
        };
        let written = match &value {
            Some(v) => format!("{name}={}", String::from_utf8_lossy(v)),
            None => name.to_string(),
        };
        let reason = origin.reason("cookie", &written);
        Ok(CookieRule {
            name: name.as_bytes().into(),
            value,
            origin,
            reason,
        })
    }

    pub fn name(&self) -> &[u8] {
        &self.name
    }

    pub fn value(&self) -> Option<&[u8]> {
        self.value.as_deref()
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    pub fn reason(&self) -> &CStr {
        &self.reason
    }

    /// Does one cookie (already split and trimmed) satisfy this rule?
    pub fn accepts(&self, name: &[u8], value: &[u8]) -> bool {
        *self.name == *name
            && match &self.value {
                Some(wanted) => **wanted == *value,
                None => !value.is_empty(),
            }
    }
}

/// The cookie rules of one scope.
///
/// Matching makes one pass over the header with a multi-pattern search for
/// the rule names (Aho-Corasick, SIMD "Teddy" where the CPU has it): the
/// dozens of analytics and session cookies of a real header cost nothing
/// each, and only where a rule's name occurs is the pair read. An occurrence
/// counts only where a pair begins (start of header or after `;`/`,`, then
/// optional white space) and is followed by optional white space and `=`:
/// exactly where a pair-by-pair reader would read that name.
#[derive(Debug, Clone, Default)]
pub struct CookieRules {
    rules: Vec<CookieRule>,
    /// Finds any rule's name; `None` while there are no rules.
    names: Option<NameSearch>,
}

impl CookieRules {
    pub fn new(rules: Vec<CookieRule>) -> CookieRules {
        let mut set = CookieRules::default();
        set.extend(rules);
        set
    }

    pub fn extend(&mut self, more: impl IntoIterator<Item = CookieRule>) {
        self.rules.extend(more);
        self.names = Some(NameSearch::new(self.rules.iter().map(|r| &*r.name)));
    }

    pub fn rules(&self) -> &[CookieRule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule (in the order written) that some cookie in `header`
    /// satisfies.
    pub fn find(&self, header: &[u8]) -> Option<&CookieRule> {
        match self.names.as_ref()? {
            NameSearch::Teddy(s) => {
                self.first_satisfied(header, s.find_iter(header).map(|m| m.start()))
            }
            NameSearch::Automaton(a) => {
                self.first_satisfied(header, a.find_iter(header).map(|m| m.start()))
            }
        }
    }

    /// Reads the pairs at the candidate offsets where some rule name occurs.
    fn first_satisfied(
        &self,
        header: &[u8],
        candidates: impl Iterator<Item = usize>,
    ) -> Option<&CookieRule> {
        let mut best: Option<usize> = None;
        for at in candidates {
            let starts_pair = header[..at]
                .iter()
                .rev()
                .find(|&&b| !is_blank(b))
                .is_none_or(|&b| b == b';' || b == b',');
            if !starts_pair {
                continue;
            }
            // The hit names one pattern; a longer or shorter rule name may
            // begin at the same place (LtpaToken, LtpaToken2): try them all.
            let limit = best.unwrap_or(self.rules.len());
            if let Some(found) = self.rules[..limit]
                .iter()
                .position(|rule| satisfies(rule, &header[at..]))
            {
                if found == 0 {
                    return self.rules.first();
                }
                best = Some(found);
            }
        }
        best.map(|index| &self.rules[index])
    }
}

/// Where rule names occur in a header. Teddy (a SIMD multi-substring search
/// on 2-3 byte fingerprints, so base64 noise rarely triggers it) where the CPU
/// has it; the general automaton otherwise.
#[derive(Debug, Clone)]
enum NameSearch {
    Teddy(packed::Searcher),
    Automaton(AhoCorasick),
}

impl NameSearch {
    fn new<'a>(names: impl Iterator<Item = &'a [u8]> + Clone) -> NameSearch {
        let teddy = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(names.clone())
            .build();
        match teddy {
            Some(searcher) => NameSearch::Teddy(searcher),
            None => NameSearch::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(names)
                    .expect("a few short cookie names always build"),
            ),
        }
    }
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Whether the pair at the start of `rest` (name first, up to the next
/// separator) satisfies `rule`.
fn satisfies(rule: &CookieRule, rest: &[u8]) -> bool {
    let Some(after) = rest.strip_prefix(&*rule.name) else {
        return false;
    };
    let Some(eq) = after.iter().position(|&b| !is_blank(b)) else {
        return false;
    };
    if after[eq] != b'=' {
        return false;
    }
    let value = &after[eq + 1..];
    let value = &value[..memchr::memchr2(b';', b',', value).unwrap_or(value.len())];
    rule.accepts(&rule.name, unquote(trim(value)))
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |p| p + 1);
    &bytes[start..end]
}

fn unquote(value: &[u8]) -> &[u8] {
    match value {
        [b'"', inner @ .., b'"'] => inner,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(tokens: &[&str]) -> CookieRules {
        CookieRules::new(
            tokens
                .iter()
                .map(|t| CookieRule::parse(t, Origin::new("photos.conf", 17)).unwrap())
                .collect(),
        )
    }

    fn seed() -> CookieRules {
        rules(&[
            "LtpaToken2",
            "LtpaToken",
            "STPluginActivePage=stMeetingroom",
        ])
    }

    fn allowed_by(header: &[u8]) -> Option<String> {
        seed()
            .find(header)
            .map(|r| r.reason().to_str().unwrap().to_string())
    }

    #[test]
    fn names_are_matched_whole_and_case_sensitively() {
        assert_eq!(
            allowed_by(b"LtpaToken2=abc").as_deref(),
            Some("cookie LtpaToken2 (photos.conf:17)")
        );
        assert_eq!(allowed_by(b"XLtpaToken2=1"), None);
        assert_eq!(allowed_by(b"ltpatoken2=1"), None);
        assert_eq!(allowed_by(b"LtpaToken2X=1"), None);
        assert_eq!(allowed_by(b"LtpaToken2="), None);
        assert_eq!(allowed_by(b"LtpaToken2=\"\""), None);
        assert_eq!(allowed_by(b"LtpaToken2"), None);
    }

    #[test]
    fn values_are_matched_exactly() {
        assert!(allowed_by(b"STPluginActivePage=stMeetingroom").is_some());
        assert!(allowed_by(b"STPluginActivePage=\"stMeetingroom\"").is_some());
        assert_eq!(allowed_by(b"STPluginActivePage=stmeetingroom"), None);
        assert_eq!(allowed_by(b"STPluginActivePage=stMeetingroomX"), None);
        assert_eq!(allowed_by(b"STPluginActivePage=X stMeetingroom"), None);
    }

    #[test]
    fn tolerant_header_parsing() {
        assert!(allowed_by(b"a=1;LtpaToken=x").is_some());
        assert!(allowed_by(b"a=1;  LtpaToken = x ").is_some());
        assert!(allowed_by(b";;; ;LtpaToken=x;;").is_some());
        assert!(allowed_by(b"noequals; LtpaToken=x").is_some());
        assert!(allowed_by(b"\xff\xfe=\x80; LtpaToken=\xc3").is_some());
        assert!(
            allowed_by(b"a=1, LtpaToken=x").is_some(),
            "Apache joins repeated Cookie lines with ', '"
        );
        assert!(allowed_by(b"\tLtpaToken\t=\tx").is_some());
        assert!(
            allowed_by(b"a=LtpaToken=x").is_none(),
            "a name inside a value is no cookie"
        );
        assert!(
            allowed_by(b"a=b LtpaToken=x").is_none(),
            "a name after a space inside a pair is no cookie"
        );
        assert!(allowed_by(b"LtpaToken2 x=1; LtpaToken =y").is_some());
        assert_eq!(allowed_by(b""), None);
        assert_eq!(allowed_by(b";=;==;"), None);
    }

    #[test]
    fn the_first_written_rule_is_the_reason() {
        assert_eq!(
            allowed_by(b"LtpaToken=1; LtpaToken2=2").as_deref(),
            Some("cookie LtpaToken2 (photos.conf:17)")
        );
        assert_eq!(
            allowed_by(b"LtpaToken=1; LtpaToken2=").as_deref(),
            Some("cookie LtpaToken (photos.conf:17)")
        );
    }

    #[test]
    fn config_errors_name_the_token() {
        let err = |t: &str| {
            CookieRule::parse(t, Origin::new("x", 1))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("Ltpa Token"),
            "'Ltpa Token': cookie names cannot contain ' '"
        );
        assert_eq!(
            err("LtpaToken2="),
            "'LtpaToken2=': empty value: write the name alone to allow any non-empty value"
        );
        assert_eq!(err("a=b;c"), "'a=b;c': cookie values cannot contain ';'");
        assert_eq!(err("=x"), "'=x': no cookie name");
        assert_eq!(
            err("a=\"b c\""),
            "'a=\"b c\"': cookie values cannot contain ' '"
        );
    }

    #[test]
    fn quoted_value_in_config_is_unquoted() {
        let r =
            CookieRule::parse("STPluginActivePage=\"stMeetingroom\"", Origin::new("x", 1)).unwrap();
        assert_eq!(r.value(), Some(&b"stMeetingroom"[..]));
    }
}
