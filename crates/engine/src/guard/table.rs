//! The counter table: fixed windows counted in a caller-provided slice of
//! `AtomicU64`, exact across every process that maps the same memory, with
//! no lock: every change is one compare-and-swap on one word.
//!
//! A slot is a tag word (whose window this is) and a count word. A hit finds
//! its bucket by a keyed hash, scans the bucket's 8 tags for its
//! `(fingerprint, window end)`, claims a slot by CAS on the tag if there is
//! none (an empty slot, else the one whose window ended longest ago), and
//! adds one by CAS on the count word.
//!
//! Why the count word carries a digest of its owner's tag: claiming a slot
//! changes the tag first and the count after, in two steps that other
//! processes can run between. A count is only ever incremented when its
//! digest is the incrementer's, and only ever restarted at 1 (with the new
//! digest) by a process that has just seen the tag as its own. So a process
//! that still believes in a slot it lost can neither add to the new owner's
//! count nor wipe it; the worst it does is lose its own, already evicted, hit.
//!
//! Two processes that claim two different slots for the same new window at
//! the same moment (each saw the other's slot as not yet taken) would split
//! the window's count in two; so a count is always the sum over the slots
//! tagged with the window, and nothing is lost. The extra slot is reused
//! first once the window ends.
//!
//! All atomics are SeqCst: on x86-64 loads are plain loads and every CAS is
//! a locked instruction anyway, and the argument above needs one total order.

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};

use super::fallback::Fallback;
use super::hash::{Seed, sip13, tag_digest};
use super::key::ClientKey;
use super::layout::*;
use super::slot::{CountWord, EMPTY, Tag, serial_diff};
use super::window::{Count, Window};

/// Rescans after losing a race for a slot. Each lost race means another
/// process made progress; 8 in a row only under pathological contention.
const MAX_ATTEMPTS: usize = 8;
/// CAS retries on one count word: a bound so that `hit` always returns.
const MAX_CAS_TRIES: usize = 1 << 16;

type Words = [AtomicU64; SLOTS_PER_BUCKET];

/// A view of a counter table. Cheap to copy; every process (or thread) makes
/// its own over the same memory.
#[derive(Clone, Copy)]
pub struct Table<'a> {
    header: &'a [AtomicU64; HEADER_WORDS],
    buckets_words: &'a [AtomicU64],
    buckets: usize,
    seed: Seed,
}

impl<'a> Table<'a> {
    /// Lays out a new, empty table over `words` (in Apache, by the parent,
    /// before any child runs). The magic word is written last, so a process
    /// that opens the memory before then gets an error, not half a table.
    pub fn create(words: &'a [AtomicU64], seed: Seed) -> Result<Table<'a>, String> {
        let buckets = buckets_for_words(words.len());
        let Some((header, rest)) = words.split_first_chunk::<HEADER_WORDS>() else {
            return Err(too_small(words.len()));
        };
        if buckets == 0 {
            return Err(too_small(words.len()));
        }
        header[H_MAGIC].store(0, SeqCst);
        rest.iter().for_each(|w| w.store(0, Relaxed));
        header[H_LAYOUT].store(LAYOUT, Relaxed);
        header[H_BUCKETS].store(buckets as u64, Relaxed);
        header[H_SEED0].store(seed.k0, Relaxed);
        header[H_SEED1].store(seed.k1, Relaxed);
        header[H_LAST_LOG].store(0, Relaxed);
        header[H_STORE_RETRY].store(0, Relaxed);
        header[H_EVICTIONS].store(0, Relaxed);
        header[H_MAGIC].store(MAGIC, SeqCst);
        Ok(Table {
            header,
            buckets_words: rest,
            buckets,
            seed,
        })
    }

    /// Opens a table that `create` laid out, possibly in another process (a
    /// child, or the parent again after a graceful restart, which so keeps
    /// the counts), after checking that it is one and of this layout.
    pub fn open(words: &'a [AtomicU64]) -> Result<Table<'a>, String> {
        let Some((header, rest)) = words.split_first_chunk::<HEADER_WORDS>() else {
            return Err(too_small(words.len()));
        };
        if header[H_MAGIC].load(SeqCst) != MAGIC {
            return Err(
                "this shared memory holds no photoguard limit table (wrong magic number)".into(),
            );
        }
        let layout = header[H_LAYOUT].load(SeqCst);
        if layout != LAYOUT {
            return Err(format!(
                "the limit table has layout {layout:#x}, this module expects {LAYOUT:#x}: \
                 stop and start Apache to create a new one"
            ));
        }
        let buckets = header[H_BUCKETS].load(SeqCst);
        let fits = buckets_for_words(words.len());
        if buckets == 0 || buckets > fits as u64 {
            return Err(format!(
                "the limit table claims {buckets} buckets but its memory holds {fits}"
            ));
        }
        let seed = Seed {
            k0: header[H_SEED0].load(SeqCst),
            k1: header[H_SEED1].load(SeqCst),
        };
        Ok(Table {
            header,
            buckets_words: rest,
            buckets: buckets as usize,
            seed,
        })
    }

    /// Client windows the table holds.
    pub fn capacity(&self) -> usize {
        self.buckets * SLOTS_PER_BUCKET
    }

    /// Slots taken from a window that had not ended yet, since creation:
    /// more than a few means the table is too small, or someone is trying
    /// to push counts out.
    pub fn live_evictions(&self) -> u64 {
        self.header[H_EVICTIONS].load(Relaxed)
    }

    /// The store-fallback state, shared by every process through the header.
    pub fn fallback(&self) -> Fallback<'a> {
        Fallback::new(&self.header[H_LAST_LOG], &self.header[H_STORE_RETRY])
    }

    /// Counts one request of `key` for limit `limit_id` (the caller's number
    /// for a limit in a scope: different ids count separately) in the fixed
    /// window of `window_len_secs` containing `now_secs`, and returns the
    /// count with this request.
    ///
    /// A request that arrives just after another process opened the next
    /// window (its `now` was read a moment earlier) is counted in that next
    /// window: never in a window already left behind.
    pub fn hit(
        &self,
        key: &ClientKey,
        limit_id: u32,
        window_len_secs: u64,
        now_secs: u64,
    ) -> Count {
        let window = Window::containing(now_secs, window_len_secs);
        let (fingerprint, bucket) = self.locate(key, limit_id, window.len_secs());
        let Some((tags, counts)) = self.bucket(bucket) else {
            // Not reachable: `locate` stays below the bucket count.
            return Count {
                count_in_window: 1,
                window_ends_at: window.end(),
            };
        };
        let now32 = now_secs as u32;
        for _ in 0..MAX_ATTEMPTS {
            let seen = tags.each_ref().map(|t| t.load(SeqCst));
            let (window, tag) = target(&seen, fingerprint, window);
            let digest = tag_digest(self.seed, tag);
            let slot = match seen.iter().position(|&t| t == tag) {
                Some(slot) => slot,
                None => {
                    let victim = choose_victim(&seen, now32);
                    let old = seen[victim];
                    if tags[victim]
                        .compare_exchange(old, tag, SeqCst, SeqCst)
                        .is_err()
                    {
                        continue;
                    }
                    if old != EMPTY && serial_diff(Tag::unpack(old).end, now32) > 0 {
                        self.header[H_EVICTIONS].fetch_add(1, Relaxed);
                    }
                    victim
                }
            };
            if let Some(own) = add_one(&tags[slot], &counts[slot], tag, digest) {
                let others = sum_matching(tags, counts, tag, digest, Some(slot));
                return Count {
                    count_in_window: own + others,
                    window_ends_at: window.end(),
                };
            }
        }
        // Lost every race: report one more than is there rather than
        // under-count; the request itself went uncounted.
        let seen = self.peek(key, limit_id, window_len_secs, now_secs);
        Count {
            count_in_window: seen.count_in_window + 1,
            ..seen
        }
    }

    /// The current count of `key` for `limit_id`, without counting (e.g. "has
    /// this client had too many 404s?" before serving it).
    pub fn peek(
        &self,
        key: &ClientKey,
        limit_id: u32,
        window_len_secs: u64,
        now_secs: u64,
    ) -> Count {
        let window = Window::containing(now_secs, window_len_secs);
        let (fingerprint, bucket) = self.locate(key, limit_id, window.len_secs());
        let Some((tags, counts)) = self.bucket(bucket) else {
            return Count {
                count_in_window: 0,
                window_ends_at: window.end(),
            };
        };
        let seen = tags.each_ref().map(|t| t.load(SeqCst));
        let (window, tag) = target(&seen, fingerprint, window);
        let digest = tag_digest(self.seed, tag);
        Count {
            count_in_window: sum_matching(tags, counts, tag, digest, None),
            window_ends_at: window.end(),
        }
    }

    /// The fingerprint (never 0) and bucket of a counter. The window length
    /// is hashed in so that a limit id reused with another period cannot
    /// mix windows of two lengths.
    fn locate(&self, key: &ClientKey, limit_id: u32, window_len: u64) -> (u32, usize) {
        let (high, low, prefix) = key.words();
        let h = sip13(
            self.seed,
            [
                high,
                low,
                u64::from(prefix) << 32 | u64::from(limit_id),
                window_len,
            ],
        );
        let fingerprint = (h as u32).max(1);
        // Multiply-shift onto 0..buckets (buckets < 2^32): no division, no bias
        // worth the name, and independent of the fingerprint's bits.
        let bucket = ((h >> 32) * self.buckets as u64) >> 32;
        (fingerprint, bucket as usize)
    }

    fn bucket(&self, bucket: usize) -> Option<(&'a Words, &'a Words)> {
        let start = bucket_start(bucket) - HEADER_WORDS;
        let words = self.buckets_words.get(start..start + BUCKET_WORDS)?;
        let (tags, counts) = words.split_first_chunk::<SLOTS_PER_BUCKET>()?;
        Some((tags, counts.first_chunk::<SLOTS_PER_BUCKET>()?))
    }
}

fn too_small(words: usize) -> String {
    format!(
        "the limit table needs at least {} bytes of shared memory, got {}",
        (HEADER_WORDS + BUCKET_WORDS) * 8,
        words * 8
    )
}

/// The window to count in and its tag: `window`, or the next one if a
/// process already opened it for this counter.
fn target(seen: &[u64; SLOTS_PER_BUCKET], fingerprint: u32, window: Window) -> (Window, u64) {
    let next = window.next();
    let next_tag = Tag {
        fingerprint,
        end: next.end() as u32,
    }
    .pack();
    if seen.contains(&next_tag) {
        (next, next_tag)
    } else {
        (
            window,
            Tag {
                fingerprint,
                end: window.end() as u32,
            }
            .pack(),
        )
    }
}

/// An empty slot, else the one whose window ended longest ago (or, in a
/// bucket full of live windows, ends soonest). Ties go to the lowest index,
/// so that racing claimers tend to pick the same slot and one CAS fails.
fn choose_victim(seen: &[u64; SLOTS_PER_BUCKET], now32: u32) -> usize {
    let mut victim = 0;
    let mut oldest = i64::MIN;
    for (i, &word) in seen.iter().enumerate() {
        if word == EMPTY {
            return i;
        }
        let age = serial_diff(now32, Tag::unpack(word).end);
        if age > oldest {
            victim = i;
            oldest = age;
        }
    }
    victim
}

/// Adds one to the slot's count for `tag`, or starts it at 1 if the count
/// word is not yet this window's. `None`: the slot is no longer this window's.
fn add_one(tag_word: &AtomicU64, count_word: &AtomicU64, tag: u64, digest: u32) -> Option<u64> {
    let mut current = count_word.load(SeqCst);
    for _ in 0..MAX_CAS_TRIES {
        let word = CountWord::unpack(current);
        let next = if word.digest == digest {
            CountWord {
                digest,
                count: word.count.saturating_add(1),
            }
        } else {
            // Left by the previous owner (or none): restart it, but only
            // while the tag is still ours, read after the count word so that
            // a new owner's restart in between makes the CAS below fail.
            if tag_word.load(SeqCst) != tag {
                return None;
            }
            CountWord { digest, count: 1 }
        };
        match count_word.compare_exchange_weak(current, next.pack(), SeqCst, SeqCst) {
            Ok(_) => return Some(u64::from(next.count)),
            Err(actual) => current = actual,
        }
    }
    None
}

/// The counts of every slot tagged `tag` whose count is that tag's, but `skip`.
fn sum_matching(tags: &Words, counts: &Words, tag: u64, digest: u32, skip: Option<usize>) -> u64 {
    let mut sum = 0;
    for (i, (t, c)) in tags.iter().zip(counts).enumerate() {
        if Some(i) == skip || t.load(SeqCst) != tag {
            continue;
        }
        let word = CountWord::unpack(c.load(SeqCst));
        if word.digest == digest {
            sum += u64::from(word.count);
        }
    }
    sum
}

impl fmt::Debug for Table<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("buckets", &self.buckets)
            .field("capacity", &self.capacity())
            .field("live_evictions", &self.live_evictions())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    pub(crate) fn words(bytes: usize) -> Vec<AtomicU64> {
        (0..bytes / 8).map(|_| AtomicU64::new(0)).collect()
    }

    fn key(n: u32) -> ClientKey {
        ClientKey::new(IpAddr::from(n.to_be_bytes()), 64)
    }

    const SEED: Seed = Seed { k0: 1, k1: 2 };

    #[test]
    fn counts_per_key_limit_and_window() {
        let memory = words(64 << 10);
        let table = Table::create(&memory, SEED).unwrap();
        let now = 1_800_000_000;
        for i in 1..=31 {
            let count = table.hit(&key(1), 7, 600, now + i);
            assert_eq!(count.count_in_window, i);
            assert_eq!(count.window_ends_at, 1_800_000_600);
        }
        assert_eq!(table.hit(&key(2), 7, 600, now).count_in_window, 1);
        assert_eq!(
            table.hit(&key(1), 8, 600, now).count_in_window,
            1,
            "another limit counts apart"
        );
        assert_eq!(
            table.hit(&key(1), 7, 60, now).count_in_window,
            1,
            "another period counts apart"
        );
        assert_eq!(table.peek(&key(1), 7, 600, now).count_in_window, 31);
        assert_eq!(table.peek(&key(3), 7, 600, now).count_in_window, 0);
        assert_eq!(table.live_evictions(), 0);
    }

    #[test]
    fn window_rollover() {
        let memory = words(64 << 10);
        let table = Table::create(&memory, SEED).unwrap();
        let end = 1_800_000_600;
        assert_eq!(table.hit(&key(1), 1, 600, end - 1).count_in_window, 1);
        assert_eq!(table.hit(&key(1), 1, 600, end - 1).count_in_window, 2);
        // The last second of a window and the first of the next.
        let next = table.hit(&key(1), 1, 600, end);
        assert_eq!(
            next,
            Count {
                count_in_window: 1,
                window_ends_at: end + 600
            }
        );
        assert_eq!(table.peek(&key(1), 1, 600, end).count_in_window, 1);
        // A process whose `now` was read just before the boundary counts in
        // the window already opened, not in the finished one.
        let late = table.hit(&key(1), 1, 600, end - 1);
        assert_eq!(
            late,
            Count {
                count_in_window: 2,
                window_ends_at: end + 600
            }
        );
        assert_eq!(table.peek(&key(1), 1, 600, end - 1).count_in_window, 2);
        // Two windows later: a fresh count, and no eviction reported (the
        // slot reused had ended).
        assert_eq!(table.hit(&key(1), 1, 600, end + 600).count_in_window, 1);
        assert_eq!(table.live_evictions(), 0);
        // A clock that jumps back a day starts its own window rather than
        // adding to one far ahead.
        assert_eq!(table.hit(&key(1), 1, 600, end - 86_400).count_in_window, 1);
    }

    #[test]
    fn full_bucket_reuses_the_oldest_window() {
        // One bucket: 8 slots.
        let memory = words((HEADER_WORDS + BUCKET_WORDS) * 8);
        let table = Table::create(&memory, SEED).unwrap();
        assert_eq!(table.capacity(), 8);
        let now = 1_800_000_000;
        // Key 0's window ends first (10 s windows), the others' later.
        table.hit(&key(0), 1, 10, now);
        for k in 1..8 {
            table.hit(&key(k), 1, 600, now);
            table.hit(&key(k), 1, 600, now);
        }
        // After key 0's window ended, key 8 takes its slot: not a live eviction.
        assert_eq!(table.hit(&key(8), 1, 600, now + 20).count_in_window, 1);
        assert_eq!(table.live_evictions(), 0);
        for k in 1..8 {
            assert_eq!(
                table.peek(&key(k), 1, 600, now + 20).count_in_window,
                2,
                "key {k}"
            );
        }
        // A ninth live client pushes out a live window (the lowest index
        // among equals), and that client starts again from 1.
        assert_eq!(table.hit(&key(9), 1, 600, now + 20).count_in_window, 1);
        assert_eq!(table.live_evictions(), 1);
        let survivors = (1..10)
            .filter(|&k| table.peek(&key(k), 1, 600, now + 20).count_in_window > 0)
            .count();
        assert_eq!(survivors, 8);
    }

    /// Index of the tag word of slot `i` in a one-bucket table, and of its count.
    fn slot_words(i: usize) -> (usize, usize) {
        (HEADER_WORDS + i, HEADER_WORDS + SLOTS_PER_BUCKET + i)
    }

    #[test]
    fn a_window_claimed_twice_is_summed() {
        let memory = words((HEADER_WORDS + BUCKET_WORDS) * 8);
        let table = Table::create(&memory, SEED).unwrap();
        assert_eq!(table.hit(&key(1), 1, 600, 0).count_in_window, 1);
        // What two processes claiming slots 0 and 3 at once leave behind.
        let ((tag0, count0), (tag3, count3)) = (slot_words(0), slot_words(3));
        let digest = CountWord::unpack(memory[count0].load(SeqCst)).digest;
        memory[tag3].store(memory[tag0].load(SeqCst), SeqCst);
        memory[count3].store(CountWord { digest, count: 5 }.pack(), SeqCst);
        assert_eq!(table.peek(&key(1), 1, 600, 0).count_in_window, 6);
        assert_eq!(table.hit(&key(1), 1, 600, 0).count_in_window, 7);
        assert_eq!(
            CountWord::unpack(memory[count0].load(SeqCst)).count,
            2,
            "the first slot counts on"
        );
    }

    #[test]
    fn a_count_left_by_the_previous_owner_is_never_taken() {
        let memory = words((HEADER_WORDS + BUCKET_WORDS) * 8);
        let table = Table::create(&memory, SEED).unwrap();
        for _ in 0..3 {
            table.hit(&key(1), 1, 600, 0);
        }
        table.hit(&key(2), 1, 600, 0);
        let ((tag0, count0), (tag1, count1)) = (slot_words(0), slot_words(1));
        // Key 2 has taken key 1's slot 0 by its tag, and has not yet
        // restarted the count, which is still key 1's 3.
        memory[tag0].store(memory[tag1].load(SeqCst), SeqCst);
        memory[tag1].store(EMPTY, SeqCst);
        memory[count1].store(0, SeqCst);
        assert_eq!(CountWord::unpack(memory[count0].load(SeqCst)).count, 3);
        assert_eq!(
            table.peek(&key(2), 1, 600, 0).count_in_window,
            0,
            "key 1's count is not key 2's"
        );
        assert_eq!(table.hit(&key(2), 1, 600, 0).count_in_window, 1);
        // Key 1, evicted, starts again elsewhere.
        assert_eq!(table.hit(&key(1), 1, 600, 0).count_in_window, 1);
        assert_eq!(table.peek(&key(2), 1, 600, 0).count_in_window, 1);
    }

    #[test]
    fn open_checks_the_header() {
        let memory = words(64 << 10);
        assert!(
            Table::open(&memory)
                .unwrap_err()
                .contains("no photoguard limit table")
        );
        let table = Table::create(&memory, SEED).unwrap();
        table.hit(&key(1), 1, 60, 1_000);
        // Another view of the same words: what a child process does.
        let view: &[AtomicU64] = &memory[..];
        let child = Table::open(view).unwrap();
        assert_eq!(child.capacity(), table.capacity());
        assert_eq!(child.peek(&key(1), 1, 60, 1_000).count_in_window, 1);
        assert_eq!(child.hit(&key(1), 1, 60, 1_001).count_in_window, 2);
        assert_eq!(table.peek(&key(1), 1, 60, 1_002).count_in_window, 2);
        // A shorter mapping than the header says.
        assert!(
            Table::open(&memory[..memory.len() / 2])
                .unwrap_err()
                .contains("claims")
        );
        memory[H_LAYOUT].store(LAYOUT + 1, SeqCst);
        assert!(Table::open(&memory).unwrap_err().contains("layout"));
        assert!(Table::open(&memory[..3]).unwrap_err().contains("at least"));
        assert!(
            Table::create(&memory[..HEADER_WORDS + BUCKET_WORDS - 1], SEED)
                .unwrap_err()
                .contains("at least 192 bytes")
        );
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        let memory = words((HEADER_WORDS + BUCKET_WORDS) * 8);
        let table = Table::create(&memory, SEED).unwrap();
        for now in [0, 1, u32::MAX as u64, u64::MAX - 1, u64::MAX] {
            for len in [0, 1, 600, u64::MAX] {
                let count = table.hit(&key(1), u32::MAX, len, now);
                assert!(count.count_in_window >= 1);
                assert!(count.window_ends_at >= now || count.window_ends_at == u64::MAX);
                table.peek(&key(1), u32::MAX, len, now);
            }
        }
    }

    #[test]
    fn counts_saturate() {
        let memory = words(64 << 10);
        let table = Table::create(&memory, SEED).unwrap();
        table.hit(&key(1), 1, 60, 0);
        // Set the count word to the maximum by hand.
        let slot = memory
            .iter()
            .enumerate()
            .skip(HEADER_WORDS)
            .find(|(_, w)| CountWord::unpack(w.load(SeqCst)).count == 1)
            .map(|(i, _)| i)
            .unwrap();
        let digest = CountWord::unpack(memory[slot].load(SeqCst)).digest;
        memory[slot].store(
            CountWord {
                digest,
                count: u32::MAX,
            }
            .pack(),
            SeqCst,
        );
        assert_eq!(
            table.hit(&key(1), 1, 60, 1).count_in_window,
            u64::from(u32::MAX)
        );
    }
}
