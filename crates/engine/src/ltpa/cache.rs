//! Per-process memory of tokens that validated, so a browser's repeat
//! request costs a hash and a lookup instead of a decryption and an RSA
//! verification.
//!
//! - Keyed by SipHash-1-3 (128-bit) of the cookie value under a random key:
//!   the value itself is not kept, and without the key nobody can aim a
//!   forged value at a cached one's slot, let alone its 128-bit tag.
//! - Bounded: a fixed table of 2-way buckets allocated once; a new entry
//!   replaces an empty or expired slot, else the one expiring first.
//! - A hit is honoured only until the token's expiry plus the clock skew;
//!   after that the full validation runs again (and says "expired at").
//! - Lookups allocate nothing: they hash, lock, compare and clone an `Arc`.
//! - A plain `Mutex`: no threads, no thread-locals, and it is held for a
//!   few dozen nanoseconds.

use core::fmt;
use core::hash::Hasher as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use siphasher::sip128::{Hasher128 as _, SipHasher13};

use super::token::Token;

#[derive(Default)]
struct Slot {
    tag: u128,
    valid_until_millis: u64,
    token: Option<Arc<Token>>,
}

/// A bounded cache of validated tokens. Create it with the configuration,
/// and clear it (or make a new one) whenever the configuration is read.
pub struct TokenCache {
    key: (u64, u64),
    slots: Mutex<Vec<Slot>>,
    mask: usize,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl TokenCache {
    /// Enough for the users one Apache process sees within a token's life.
    pub const DEFAULT_CAPACITY: usize = 1024;
    const MAX_CAPACITY: usize = 1 << 20;

    /// A cache of `capacity` entries (rounded up to a power of two, at least
    /// 2, at most 2^20). Its memory is allocated here, once.
    pub fn new(capacity: usize) -> TokenCache {
        let capacity = capacity.clamp(2, Self::MAX_CAPACITY).next_power_of_two();
        let mut slots = Vec::with_capacity(capacity);
        slots.resize_with(capacity, Slot::default);
        TokenCache {
            key: random_key(),
            slots: Mutex::new(slots),
            mask: capacity - 1,
        }
    }

    pub fn capacity(&self) -> usize {
        self.mask + 1
    }

    /// Entries held, expired or not.
    pub fn len(&self) -> usize {
        self.lock().iter().filter(|s| s.token.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every token (on a configuration reload).
    pub fn clear(&self) {
        self.lock().iter_mut().for_each(|s| *s = Slot::default());
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Slot>> {
        // Nothing panics while the lock is held; should it ever, the table
        // is still consistent (every write is a whole slot).
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The tag of a cookie value under the validator settings `identity`.
    pub(crate) fn tag(&self, identity: &[u64], cookie_value: &[u8]) -> u128 {
        let mut h = SipHasher13::new_with_keys(self.key.0, self.key.1);
        for word in identity {
            h.write_u64(*word);
        }
        h.write(cookie_value);
        h.finish128().as_u128()
    }

    /// The two slots a tag may live in.
    fn bucket(&self, tag: u128) -> [usize; 2] {
        // Truncating the tag to pick a bucket is the point.
        let first = (tag as usize) & self.mask & !1;
        [first, first | 1]
    }

    pub(crate) fn lookup(&self, tag: u128, now_unix_millis: u64) -> Option<Arc<Token>> {
        let mut slots = self.lock();
        for i in self.bucket(tag) {
            let Some(slot) = slots.get_mut(i) else {
                continue;
            };
            if slot.tag != tag || slot.token.is_none() {
                continue;
            }
            if now_unix_millis > slot.valid_until_millis {
                *slot = Slot::default(); // expired: let the full check say so
                return None;
            }
            return slot.token.clone();
        }
        None
    }

    pub(crate) fn insert(&self, tag: u128, token: Arc<Token>, valid_until_millis: u64) {
        let mut slots = self.lock();
        let [a, b] = self.bucket(tag);
        // Same tag, else a free slot, else the one that expires first.
        let rank = |s: &Slot| match &s.token {
            _ if s.tag == tag && s.token.is_some() => 0u8,
            None => 1,
            Some(_) => 2,
        };
        let pick = match (slots.get(a), slots.get(b)) {
            (Some(sa), Some(sb)) => {
                let (ra, rb) = (rank(sa), rank(sb));
                if ra < rb || (ra == rb && sa.valid_until_millis <= sb.valid_until_millis) {
                    a
                } else {
                    b
                }
            }
            _ => return,
        };
        if let Some(slot) = slots.get_mut(pick) {
            *slot = Slot {
                tag,
                valid_until_millis,
                token: Some(token),
            };
        }
    }
}

/// A fresh SipHash key from the OS. Should the OS refuse (it does not on
/// any platform photoguard runs on), the clock and an address still make
/// the key differ between processes and runs.
fn random_key() -> (u64, u64) {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let here = &bytes as *const _ as usize as u128;
        bytes = (nanos ^ here.rotate_left(64)).to_le_bytes();
    }
    let (k0, k1) = bytes.split_at(8);
    let word = |s: &[u8]| s.try_into().map(u64::from_le_bytes).unwrap_or(0);
    (word(k0), word(k1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ltpa::Format;

    fn token(user: &str, expires: u64) -> Arc<Token> {
        Arc::new(Token {
            format: Format::Domino,
            user: user.into(),
            realm: None,
            created_unix_secs: Some(0),
            expires_unix_millis: expires,
            key_index: 0,
        })
    }

    #[test]
    fn hit_until_expiry_then_gone() {
        let cache = TokenCache::new(8);
        let tag = cache.tag(&[], b"value");
        assert!(cache.lookup(tag, 0).is_none());
        cache.insert(tag, token("a", 1_000), 1_000);
        assert_eq!(cache.lookup(tag, 1_000).unwrap().user, "a");
        assert!(cache.lookup(tag, 1_001).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn bounded_and_clearable() {
        let cache = TokenCache::new(5);
        assert_eq!(cache.capacity(), 8);
        for i in 0..100u32 {
            let tag = cache.tag(&[], &i.to_le_bytes());
            cache.insert(tag, token("u", u64::from(i)), u64::from(i));
        }
        assert!(cache.len() <= 8);
        let tag = cache.tag(&[], &99u32.to_le_bytes());
        assert!(
            cache.lookup(tag, 0).is_some(),
            "the newest, latest-expiring entry stays"
        );
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn tags_depend_on_the_random_key() {
        let (a, b) = (TokenCache::new(2), TokenCache::new(2));
        assert_ne!(a.tag(&[], b"same"), b.tag(&[], b"same"));
        assert_eq!(a.tag(&[], b"same"), a.tag(&[], b"same"));
    }
}
