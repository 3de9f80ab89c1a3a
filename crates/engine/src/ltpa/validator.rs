//! One scope's LTPA configuration, and the decision for one cookie value:
//! decode, try every accepted format with every key, verify before reading,
//! then check realm and times.

use std::sync::Arc;

use super::cache::TokenCache;
use super::domino::{self, DominoSecret};
use super::encoding::{base64_strict, percent_decode};
use super::format::{Accept, Format};
use super::keys::KeySet;
use super::ltpa2;
use super::signed::{Outcome, Signed};
use super::token::{Refusal, Token};
use super::websphere_v1;

/// Longest cookie value looked at, before decoding. Real tokens are well
/// under 1 KB; the cap bounds the work a forged value can cause.
pub const MAX_COOKIE_LEN: usize = 4096;

/// `PhotoGuardLtpaClockSkew`'s default: a minute between servers is normal.
pub const DEFAULT_CLOCK_SKEW_SECS: u64 = 60;

/// The LTPA settings of one scope. Key sets are tried in order (rotation:
/// old and new both listed); an empty `realms` accepts any realm.
#[derive(Debug)]
pub struct Validator {
    pub key_sets: Vec<KeySet>,
    pub domino_secrets: Vec<DominoSecret>,
    pub accept: Accept,
    pub clock_skew_secs: u64,
    /// Compared ASCII case-insensitively with the token's realm.
    pub realms: Vec<String>,
}

impl Default for Validator {
    fn default() -> Self {
        Validator {
            key_sets: Vec::new(),
            domino_secrets: Vec::new(),
            accept: Accept::default(),
            clock_skew_secs: DEFAULT_CLOCK_SKEW_SECS,
            realms: Vec::new(),
        }
    }
}

/// Keeps the reason of the reading that got furthest.
struct Furthest(Refusal);

impl Furthest {
    fn note(&mut self, refusal: Refusal) {
        if refusal.rank() > self.0.rank() {
            self.0 = refusal;
        }
    }
}

impl Validator {
    /// The same settings, borrowed.
    pub fn borrowed(&self) -> ValidatorRef<'_> {
        ValidatorRef {
            key_sets: &self.key_sets,
            domino_secrets: &self.domino_secrets,
            accept: self.accept,
            clock_skew_secs: self.clock_skew_secs,
            realms: &self.realms,
        }
    }

    /// Validates one cookie value as the browser sent it, at `now`.
    pub fn validate(&self, cookie_value: &[u8], now_unix_millis: u64) -> Result<Token, Refusal> {
        self.borrowed().validate(cookie_value, now_unix_millis)
    }

    /// As [`Validator::validate`], remembering tokens that validated.
    pub fn validate_cached(
        &self,
        cache: &TokenCache,
        cookie_value: &[u8],
        now_unix_millis: u64,
    ) -> Result<Arc<Token>, Refusal> {
        self.borrowed()
            .validate_cached(cache, cookie_value, now_unix_millis)
    }
}

/// A validator's settings, borrowed from wherever they are kept: a host
/// that merges configuration scopes per request (Apache) assembles one from
/// several scopes without copying a key.
#[derive(Debug, Clone, Copy)]
pub struct ValidatorRef<'a> {
    pub key_sets: &'a [KeySet],
    pub domino_secrets: &'a [DominoSecret],
    pub accept: Accept,
    pub clock_skew_secs: u64,
    pub realms: &'a [String],
}

impl ValidatorRef<'_> {
    /// What tells these settings apart from others sharing a cache: where
    /// the key lists live, and the values of the rest. A token cached under
    /// one scope's keys is never taken for valid under another's.
    fn identity(&self) -> [u64; 8] {
        [
            self.key_sets.as_ptr() as usize as u64,
            self.key_sets.len() as u64,
            self.domino_secrets.as_ptr() as usize as u64,
            self.domino_secrets.len() as u64,
            self.realms.as_ptr() as usize as u64,
            self.realms.len() as u64,
            u64::from(self.accept.bits()),
            self.clock_skew_secs,
        ]
    }
    fn skew_millis(&self) -> u64 {
        self.clock_skew_secs.saturating_mul(1000)
    }

    /// Validates one cookie value as the browser sent it, at `now`.
    pub fn validate(&self, cookie_value: &[u8], now_unix_millis: u64) -> Result<Token, Refusal> {
        let raw = decode(cookie_value).ok_or(Refusal::Malformed)?;
        let mut furthest = Furthest(Refusal::Malformed);

        if domino::looks_like(&raw) {
            if !self.accept.contains(Format::Domino) {
                furthest.note(Refusal::FormatNotAccepted);
            } else {
                match domino::verify(&raw, self.domino_secrets) {
                    domino::Outcome::Verified(v) => return self.finish_domino(v, now_unix_millis),
                    domino::Outcome::NoKey => furthest.note(Refusal::NoKey),
                    domino::Outcome::Malformed => return Err(Refusal::Malformed),
                }
            }
        }
        // A Domino-looking value is still tried as ciphertext: the magic
        // bytes could begin one by chance.
        for format in [Format::Ltpa2, Format::WebSphereV1] {
            let block = if format == Format::Ltpa2 { 16 } else { 8 };
            if raw.is_empty() || raw.len() % block != 0 {
                continue;
            }
            if !self.accept.contains(format) {
                // Only a key that opens it shows it is of that format.
                let opens = self.key_sets.iter().any(|k| match format {
                    Format::Ltpa2 => ltpa2::opens(k, &raw),
                    _ => websphere_v1::opens(k, &raw),
                });
                furthest.note(if opens {
                    Refusal::FormatNotAccepted
                } else {
                    Refusal::NoKey
                });
                continue;
            }
            furthest.note(Refusal::NoKey);
            for (index, key) in self.key_sets.iter().enumerate() {
                let outcome = match format {
                    Format::Ltpa2 => ltpa2::attempt(key, &raw),
                    _ => websphere_v1::attempt(key, &raw),
                };
                match outcome {
                    None => {}
                    Some(Outcome::BadSignature) => furthest.note(Refusal::BadSignature),
                    Some(Outcome::Malformed) => return Err(Refusal::Malformed),
                    Some(Outcome::Verified(signed)) => {
                        return self.finish_signed(format, index, signed, now_unix_millis);
                    }
                }
            }
        }
        Err(furthest.0)
    }

    /// As [`Validator::validate`], answering a repeat of a token that
    /// validated before from `cache` (no decryption, no allocation). Use one
    /// cache per validator, and a new or cleared one when the configuration
    /// is read again: an entry records that *this* configuration accepted
    /// the token.
    pub fn validate_cached(
        &self,
        cache: &TokenCache,
        cookie_value: &[u8],
        now_unix_millis: u64,
    ) -> Result<Arc<Token>, Refusal> {
        if cookie_value.len() > MAX_COOKIE_LEN {
            return Err(Refusal::Malformed); // not even worth hashing
        }
        let tag = cache.tag(&self.identity(), cookie_value);
        if let Some(token) = cache.lookup(tag, now_unix_millis) {
            return Ok(token);
        }
        let token = Arc::new(self.validate(cookie_value, now_unix_millis)?);
        let valid_until = token.expires_unix_millis.saturating_add(self.skew_millis());
        cache.insert(tag, Arc::clone(&token), valid_until);
        Ok(token)
    }

    fn check_expiry(&self, expires_millis: u64, now: u64) -> Result<(), Refusal> {
        if now > expires_millis.saturating_add(self.skew_millis()) {
            return Err(Refusal::Expired {
                at_unix_millis: expires_millis,
            });
        }
        Ok(())
    }

    fn finish_signed(
        &self,
        format: Format,
        index: usize,
        s: Signed,
        now: u64,
    ) -> Result<Token, Refusal> {
        if !self.realms.is_empty() {
            let listed = s
                .realm
                .as_deref()
                .is_some_and(|r| self.realms.iter().any(|a| a.eq_ignore_ascii_case(r)));
            if !listed {
                return Err(Refusal::RealmNotAccepted);
            }
        }
        self.check_expiry(s.expires_millis, now)?;
        Ok(Token {
            format,
            user: s.user,
            realm: s.realm,
            created_unix_secs: None,
            expires_unix_millis: s.expires_millis,
            key_index: index,
        })
    }

    fn finish_domino(&self, v: domino::Verified, now: u64) -> Result<Token, Refusal> {
        if v.created_secs.saturating_mul(1000) > now.saturating_add(self.skew_millis()) {
            return Err(Refusal::NotYetValid {
                from_unix_secs: v.created_secs,
            });
        }
        let expires_millis = v.expires_secs.saturating_mul(1000);
        self.check_expiry(expires_millis, now)?;
        Ok(Token {
            format: Format::Domino,
            user: v.user,
            realm: None,
            created_unix_secs: Some(v.created_secs),
            expires_unix_millis: expires_millis,
            key_index: v.secret_index,
        })
    }
}

/// Cookie value to token bytes: capped, percent-decoded, strict base64.
fn decode(cookie_value: &[u8]) -> Option<Vec<u8>> {
    if cookie_value.is_empty() || cookie_value.len() > MAX_COOKIE_LEN {
        return None;
    }
    base64_strict(&percent_decode(cookie_value)?)
}
