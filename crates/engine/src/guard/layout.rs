//! The counter table's layout in its `&[AtomicU64]`: fixed, and the same in
//! every process, because the words live in shared memory created by the
//! Apache parent and mapped by every child. Nothing in it is a pointer.
//!
//! ```text
//! word 0          MAGIC
//! word 1          LAYOUT: VERSION << 32 | SLOTS_PER_BUCKET << 16 | HEADER_WORDS
//! word 2          bucket count B
//! word 3, 4       hash seed k0, k1
//! word 5          fallback: when the store failure was last logged (secs + 1, 0 = never)
//! word 6          fallback: retry the remote store at (secs, 0 = the store answers)
//! word 7          live evictions so far (a statistic)
//! 8 + 16b ..+7    bucket b: 8 tag words   [fingerprint:32 | window end:32], 0 = empty
//! 8 + 16b+8 ..+15 bucket b: 8 count words [tag digest:32 | count:32]
//! ```
//!
//! A bucket is 128 bytes: with the header one 64-byte line and shared memory
//! page-aligned, the tags of a bucket are one cache line and its counts the
//! next, so a lookup scans one line and counts in the other.

/// "PGGUARD" and a format byte, little-endian.
pub const MAGIC: u64 = u64::from_le_bytes(*b"PGGUARD\x01");
pub const VERSION: u64 = 1;
pub const HEADER_WORDS: usize = 8;
pub const SLOTS_PER_BUCKET: usize = 8;
pub const BUCKET_WORDS: usize = 2 * SLOTS_PER_BUCKET;
pub const LAYOUT: u64 = VERSION << 32 | (SLOTS_PER_BUCKET as u64) << 16 | HEADER_WORDS as u64;

pub const H_MAGIC: usize = 0;
pub const H_LAYOUT: usize = 1;
pub const H_BUCKETS: usize = 2;
pub const H_SEED0: usize = 3;
pub const H_SEED1: usize = 4;
pub const H_LAST_LOG: usize = 5;
pub const H_STORE_RETRY: usize = 6;
pub const H_EVICTIONS: usize = 7;

/// Buckets that fit in `words` words. At most `u32::MAX`, which the bucket
/// choice in `table.rs` relies on (and 1 GiB holds 8 million).
pub fn buckets_for_words(words: usize) -> usize {
    (words.saturating_sub(HEADER_WORDS) / BUCKET_WORDS).min(u32::MAX as usize)
}

/// Words of a table of `size` bytes (what the host allocates, as `AtomicU64`s).
pub fn words_for_bytes(size: u64) -> usize {
    usize::try_from(size / 8).unwrap_or(usize::MAX)
}

/// Client windows (slots) a table of `size` bytes holds: printed at startup.
pub fn slots_for_bytes(size: u64) -> u64 {
    buckets_for_words(words_for_bytes(size)) as u64 * SLOTS_PER_BUCKET as u64
}

/// Index of bucket `b`'s first word.
pub fn bucket_start(bucket: usize) -> usize {
    HEADER_WORDS + bucket * BUCKET_WORDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_to_slots() {
        assert_eq!(slots_for_bytes(1 << 20), 65_528);
        assert_eq!(slots_for_bytes(64 << 10), 4_088);
        assert_eq!(slots_for_bytes(1 << 30), 67_108_856);
        assert_eq!(slots_for_bytes(0), 0);
        assert_eq!(slots_for_bytes(64 + 127), 0);
        assert_eq!(slots_for_bytes(64 + 128), 8);
        assert_eq!(slots_for_bytes(u64::MAX), u64::from(u32::MAX) * 8);
    }

    #[test]
    fn magic_spells_its_name() {
        assert_eq!(&MAGIC.to_le_bytes()[..7], b"PGGUARD");
        assert_eq!(LAYOUT, 0x0000_0001_0008_0008);
    }
}
