//! What a host counts with, as the decision sees it: the shared-memory
//! [`Table`], or the Apache module's socache store that falls back to it.

use super::key::ClientKey;
use super::table::Table;
use super::window::Count;

/// Counts per (client, limit, window).
pub trait Counter {
    /// Adds one request and returns the count in the current window.
    fn hit(&self, key: &ClientKey, limit_id: u32, window_secs: u64, now_secs: u64) -> Count;
    /// The count in the current window, without adding.
    fn peek(&self, key: &ClientKey, limit_id: u32, window_secs: u64, now_secs: u64) -> Count;
}

impl Counter for Table<'_> {
    fn hit(&self, key: &ClientKey, limit_id: u32, window_secs: u64, now_secs: u64) -> Count {
        Table::hit(self, key, limit_id, window_secs, now_secs)
    }

    fn peek(&self, key: &ClientKey, limit_id: u32, window_secs: u64, now_secs: u64) -> Count {
        Table::peek(self, key, limit_id, window_secs, now_secs)
    }
}
