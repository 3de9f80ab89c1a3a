//! Cookie rules and the Cookie-header scanner.
//!
//! Names are matched whole and case-sensitively (RFC 6265), values exactly.
//! The scanner is zero-copy and tolerant: `;` or `,` (Apache joins repeated
//! Cookie lines with `, `) with or without spaces, empty pairs, pairs with no
//! `=`, quoted values, stray white space and bytes that are not UTF-8. Its
//! reading of a pair agrees with the `cookie` crate's (tests/properties.rs).

use std::ffi::{CStr, CString};
use std::fmt;
use std::sync::Arc;

use super::origin::Origin;

/// `LtpaToken2` (any non-empty value) or `STPluginActivePage=stMeetingroom`.
#[derive(Debug, Clone)]
pub struct CookieRule {
    name: Box<[u8]>,
    value: Option<Box<[u8]>>,
    origin: Origin,
    reason: Arc<CStr>,
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

/// RFC 7230 `tchar`: what a cookie name may consist of.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 6265 `cookie-octet`: what a cookie value may consist of.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

impl CookieRule {
    /// Parses `NAME` or `NAME=VALUE` from the config.
    pub fn parse(token: &str, origin: Origin) -> Result<CookieRule, CookieParseError> {
        let error = |problem: &str| CookieParseError { token: token.to_string(), problem: problem.to_string() };
        let (name, raw_value) = match token.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (token, None),
        };
        if name.is_empty() {
            return Err(error("no cookie name"));
        }
        if let Some(bad) = name.bytes().find(|&b| !is_token_byte(b)) {
            return Err(error(&format!("cookie names cannot contain {:?}", bad as char)));
        }
        let value = match raw_value {
            None => None,
            Some(raw) => {
                let value = unquote(raw.as_bytes());
                if value.is_empty() {
                    return Err(error("empty value: write the name alone to allow any non-empty value"));
                }
                if let Some(&bad) = value.iter().find(|&&b| !is_cookie_octet(b)) {
                    return Err(error(&format!("cookie values cannot contain {:?}", bad as char)));
                }
                Some(Box::<[u8]>::from(value))
            }
        };
        let written = match &value {
            Some(v) => format!("{name}={}", String::from_utf8_lossy(v)),
            None => name.to_string(),
        };
        let reason = CString::new(format!("cookie {written} ({origin})")).expect("validated bytes").into();
        Ok(CookieRule { name: name.as_bytes().into(), value, origin, reason })
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
#[derive(Debug, Clone, Default)]
pub struct CookieRules {
    rules: Vec<CookieRule>,
}

impl CookieRules {
    pub fn new(rules: Vec<CookieRule>) -> CookieRules {
        CookieRules { rules }
    }

    pub fn extend(&mut self, more: impl IntoIterator<Item = CookieRule>) {
        self.rules.extend(more);
    }

    pub fn rules(&self) -> &[CookieRule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule (in the order written) that a cookie in `header`
    /// satisfies.
    pub fn find(&self, header: &[u8]) -> Option<&CookieRule> {
        if self.rules.is_empty() {
            return None;
        }
        for (name, value) in CookiePairs::new(header) {
            if let Some(rule) = self.rules.iter().find(|r| r.accepts(name, value)) {
                return Some(rule);
            }
        }
        None
    }
}

/// Iterates the `(name, value)` pairs of a Cookie header without copying:
/// names and values trimmed of spaces and tabs, values of their surrounding
/// double quotes. Pairs with no `=` have an empty value.
pub struct CookiePairs<'a> {
    rest: &'a [u8],
}

impl<'a> CookiePairs<'a> {
    pub fn new(header: &'a [u8]) -> CookiePairs<'a> {
        CookiePairs { rest: header }
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_space(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_space(b)).map_or(start, |p| p + 1);
    &bytes[start..end]
}

fn unquote(value: &[u8]) -> &[u8] {
    match value {
        [b'"', inner @ .., b'"'] => inner,
        other => other,
    }
}

impl<'a> Iterator for CookiePairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.rest.is_empty() {
            let end = memchr::memchr2(b';', b',', self.rest).unwrap_or(self.rest.len());
            let pair = &self.rest[..end];
            self.rest = self.rest.get(end + 1..).unwrap_or(&[]);
            let (name, value) = match memchr::memchr(b'=', pair) {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &[][..]),
            };
            let name = trim(name);
            if name.is_empty() && value.is_empty() {
                continue; // an empty pair: `a=1;; b=2`
            }
            return Some((name, unquote(trim(value))));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(tokens: &[&str]) -> CookieRules {
        CookieRules::new(tokens.iter().map(|t| CookieRule::parse(t, Origin::new("photos.conf", 17)).unwrap()).collect())
    }

    fn seed() -> CookieRules {
        rules(&["LtpaToken2", "LtpaToken", "STPluginActivePage=stMeetingroom"])
    }

    fn allowed_by(header: &[u8]) -> Option<String> {
        seed().find(header).map(|r| r.reason().to_str().unwrap().to_string())
    }

    #[test]
    fn names_are_matched_whole_and_case_sensitively() {
        assert_eq!(allowed_by(b"LtpaToken2=abc").as_deref(), Some("cookie LtpaToken2 (photos.conf:17)"));
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
        assert!(allowed_by(b"a=1, LtpaToken=x").is_some(), "Apache joins repeated Cookie lines with ', '");
        assert!(allowed_by(b"\tLtpaToken\t=\tx").is_some());
        assert_eq!(allowed_by(b""), None);
        assert_eq!(allowed_by(b";=;==;"), None);
    }

    #[test]
    fn the_first_written_rule_is_the_reason() {
        assert_eq!(allowed_by(b"LtpaToken=1; LtpaToken2=2").as_deref(), Some("cookie LtpaToken (photos.conf:17)"));
    }

    #[test]
    fn config_errors_name_the_token() {
        let err = |t: &str| CookieRule::parse(t, Origin::new("x", 1)).unwrap_err().to_string();
        assert_eq!(err("Ltpa Token"), "'Ltpa Token': cookie names cannot contain ' '");
        assert_eq!(err("LtpaToken2="), "'LtpaToken2=': empty value: write the name alone to allow any non-empty value");
        assert_eq!(err("a=b;c"), "'a=b;c': cookie values cannot contain ';'");
        assert_eq!(err("=x"), "'=x': no cookie name");
        assert_eq!(err("a=\"b c\""), "'a=\"b c\"': cookie values cannot contain ' '");
    }

    #[test]
    fn quoted_value_in_config_is_unquoted() {
        let r = CookieRule::parse("STPluginActivePage=\"stMeetingroom\"", Origin::new("x", 1)).unwrap();
        assert_eq!(r.value(), Some(&b"stMeetingroom"[..]));
    }
}
