//! A scope's LTPA settings: reading `PhotoGuardLtpaKeys` and
//! `PhotoGuardDominoSecret` files, the `PhotoGuardAllowLtpa` cookie rules,
//! and checking a request's LTPA cookies against them.

use std::ffi::CStr;
use std::path::Path;
use std::sync::Arc;

use crate::directive::quoted;
use crate::ltpa::{
    Accept, DominoSecret, KeySet, Refusal, Token, TokenCache, ValidatorRef, read_password_file,
};
use crate::origin::Origin;
use crate::tokenize::is_token_byte;

use super::network_file::read_regular_file;

/// Key and secret files are small; anything bigger is not one.
const KEY_FILE_MAX_BYTES: u64 = 1024 * 1024;

/// One `PhotoGuardAllowLtpa` cookie name, where it was written, and its
/// reason text (`ltpa LtpaToken2 (photos.conf:12)`), made once.
#[derive(Debug)]
pub struct LtpaRule {
    name: Box<[u8]>,
    reason: Box<CStr>,
}

impl LtpaRule {
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    pub fn reason(&self) -> &CStr {
        &self.reason
    }
}

/// The `PhotoGuardAllowLtpa` rules of a scope, with the cache of tokens that
/// validated under them (per process: each Apache child has its own copy;
/// a new configuration starts with an empty one).
#[derive(Debug, Default)]
pub struct LtpaRules {
    rules: Vec<LtpaRule>,
    cache: TokenCache,
}

/// What a request's LTPA cookies came to.
#[derive(Debug, Clone)]
pub enum LtpaOutcome<'a> {
    /// A token that verified and has not expired.
    Valid(&'a LtpaRule, Arc<Token>),
    /// Tokens were sent but none verified: the first rule's cookie and why.
    Refused(&'a LtpaRule, Refusal),
    /// No cookie of these names.
    Absent,
}

impl LtpaRules {
    pub fn rules(&self) -> &[LtpaRule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Tries every cookie of every configured name in the Cookie header (a
    /// browser may send several of one name), in the order the rules were
    /// written. Allocates nothing for a token the cache holds.
    pub fn check(
        &self,
        header: &[u8],
        validator: ValidatorRef,
        now_unix_millis: u64,
    ) -> LtpaOutcome<'_> {
        let mut refused = None;
        for rule in &self.rules {
            for value in cookie_values(header, &rule.name) {
                match validator.validate_cached(&self.cache, value, now_unix_millis) {
                    Ok(token) => return LtpaOutcome::Valid(rule, token),
                    Err(why) => {
                        refused.get_or_insert((rule, why));
                    }
                }
            }
        }
        match refused {
            Some((rule, why)) => LtpaOutcome::Refused(rule, why),
            None => LtpaOutcome::Absent,
        }
    }

    pub(super) fn parse(words: &[String], origin: &Origin) -> Result<Vec<LtpaRule>, String> {
        words
            .iter()
            .map(|word| {
                if word.is_empty() || !word.bytes().all(is_token_byte) {
                    return Err(format!("{}: not a cookie name", quoted(word)));
                }
                Ok(LtpaRule {
                    name: word.as_bytes().into(),
                    reason: origin.reason("ltpa", word),
                })
            })
            .collect()
    }

    pub(super) fn extend(&mut self, rules: Vec<LtpaRule>) {
        self.rules.extend(rules);
    }
}

/// The values of every cookie named `name` in a Cookie header, read as the
/// engine's cookie rules read it: pairs separated by `;` (or the `, ` Apache
/// puts between repeated Cookie lines), blanks trimmed, quotes removed.
fn cookie_values<'h>(header: &'h [u8], name: &'h [u8]) -> impl Iterator<Item = &'h [u8]> + 'h {
    header
        .split(|&b| b == b';' || b == b',')
        .filter_map(move |pair| {
            let eq = pair.iter().position(|&b| b == b'=')?;
            let (key, value) = (trim(&pair[..eq]), trim(&pair[eq + 1..]));
            (key == name).then(|| unquote(value))
        })
        .filter(|value| !value.is_empty())
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

fn unquote(value: &[u8]) -> &[u8] {
    match value {
        [b'"', inner @ .., b'"'] => inner,
        _ => value,
    }
}

/// `PhotoGuardLtpaKeys KEYFILE PASSWORDFILE`: the key set, and warnings.
pub(super) fn read_key_set(
    key_file: &Path,
    password_file: &Path,
) -> Result<(KeySet, Vec<String>), String> {
    let mut warnings = Vec::new();
    let keys = read_small_file(key_file, "LTPA keys file")?;
    let password_text = read_small_file(password_file, "LTPA password file")?;
    warn_if_world_readable(password_file, "LTPA password file", &mut warnings);
    let password = read_password_file(&password_text)
        .map_err(|e| format!("{}: {e}", password_file.display()))?;
    let key_set = KeySet::from_keys_file(&keys, &password).map_err(|e| {
        format!(
            "{} with the password in {}: {e}",
            key_file.display(),
            password_file.display()
        )
    })?;
    Ok((key_set, warnings))
}

/// `PhotoGuardDominoSecret FILE`: the secret, and warnings.
pub(super) fn read_domino_secret(file: &Path) -> Result<(DominoSecret, Vec<String>), String> {
    let mut warnings = Vec::new();
    let text = read_small_file(file, "Domino secret file")?;
    warn_if_world_readable(file, "Domino secret file", &mut warnings);
    let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = trim(line.strip_suffix(b"\r").unwrap_or(line));
    let secret =
        DominoSecret::from_base64_line(line).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok((secret, warnings))
}

/// `PhotoGuardLtpaAccept ltpa2 domino websphere-v1`.
pub(super) fn parse_accept(words: &[String]) -> Result<Accept, String> {
    Accept::parse_words(words.iter().map(String::as_str)).map_err(|e| e.to_string())
}

/// `PhotoGuardLtpaClockSkew SECONDS` (at most a day: more is a typo).
pub(super) fn parse_clock_skew(word: &str) -> Result<u64, String> {
    let secs: u64 = word
        .parse()
        .map_err(|_| format!("{}: expected a number of seconds, e.g. 60", quoted(word)))?;
    if secs > 86_400 {
        return Err(format!(
            "{secs} seconds is more than a day; a minute or two is usual"
        ));
    }
    Ok(secs)
}

fn read_small_file(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    read_regular_file(path, KEY_FILE_MAX_BYTES, &format!("the {what}"))
        .map_err(|e| format!("{what}: {e}"))
}

fn warn_if_world_readable(path: &Path, what: &str, warnings: &mut Vec<String>) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o004 != 0 {
            warnings.push(format!(
                "the {what} {} is readable by every user on this machine; chmod o-r it (Apache reads it as root at startup)",
                path.display()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cookie_of_a_name_is_found_and_only_whole_names() {
        let header = b"a=1; LtpaToken2=first; XLtpaToken2=no, LtpaToken2=\"second\"; LtpaToken2=";
        let values: Vec<&[u8]> = cookie_values(header, b"LtpaToken2").collect();
        assert_eq!(values, vec![&b"first"[..], &b"second"[..]]);
    }
}
