//! An in-memory `Store` for tests: a map with socache's semantics (values
//! expire, retrieve fails on a too-small buffer), a switch to make it fail
//! like a memcached that went away, and call counters.

use std::collections::HashMap;

use super::store::Store;

#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: HashMap<Vec<u8>, (Vec<u8>, u64)>,
    /// Entries that expire at or before this second are gone.
    now: u64,
    failure: Option<String>,
    pub retrievals: u64,
    pub stores: u64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// `Some(error)`: every call fails with it until `fail_with(None)`.
    pub fn fail_with(&mut self, error: Option<&str>) {
        self.failure = error.map(str::to_string);
    }

    pub fn set_now(&mut self, now_secs: u64) {
        self.now = now_secs;
    }

    /// The value and expiry under `key`, expired or not.
    pub fn get(&self, key: &str) -> Option<(Vec<u8>, u64)> {
        self.entries.get(key.as_bytes()).cloned()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn check(&self) -> Result<(), String> {
        self.failure.clone().map_or(Ok(()), Err)
    }
}

impl Store for MemoryStore {
    fn retrieve(&mut self, key: &[u8], value: &mut [u8]) -> Result<Option<usize>, String> {
        self.retrievals += 1;
        self.check()?;
        match self.entries.get(key) {
            Some((stored, expires_at)) if *expires_at > self.now => {
                let room = value.len();
                let target = value.get_mut(..stored.len()).ok_or_else(|| {
                    format!("value of {} bytes does not fit in {room}", stored.len())
                })?;
                target.copy_from_slice(stored);
                Ok(Some(stored.len()))
            }
            _ => Ok(None),
        }
    }

    fn store(&mut self, key: &[u8], value: &[u8], expires_at: u64) -> Result<(), String> {
        self.stores += 1;
        self.check()?;
        self.entries
            .insert(key.to_vec(), (value.to_vec(), expires_at));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_socache() {
        let mut store = MemoryStore::new();
        let mut buf = [0u8; 4];
        assert_eq!(store.retrieve(b"k", &mut buf), Ok(None));
        store.store(b"k", b"12", 100).unwrap();
        assert_eq!(store.retrieve(b"k", &mut buf), Ok(Some(2)));
        assert_eq!(&buf[..2], b"12");
        store.set_now(100);
        assert_eq!(store.retrieve(b"k", &mut buf), Ok(None), "expired");
        store.store(b"k", b"12345", 200).unwrap();
        assert!(store.retrieve(b"k", &mut buf).is_err());
        store.fail_with(Some("down"));
        assert_eq!(store.store(b"k", b"1", 300), Err("down".into()));
        assert_eq!((store.retrievals, store.stores), (4, 3));
    }
}
