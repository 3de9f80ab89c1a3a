//! What happens while the remote store (memcache, redis) does not answer:
//! the site stays up on this server's own counts, the error is logged at
//! most once a minute (not once per request, per child), and the store is
//! retried every few seconds rather than on every request, so that a store
//! that hangs until its timeout does not add that timeout to each request.
//!
//! The state is two words; `Table::fallback` puts them in the table's header
//! so that every child process shares one "last logged" and one "retry at".

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::SeqCst;

pub const LOG_INTERVAL_SECS: u64 = 60;
pub const STORE_RETRY_SECS: u64 = 5;

/// "Log at most once per `LOG_INTERVAL_SECS`", shared through one word.
#[derive(Debug, Clone, Copy)]
pub struct LogGate<'a> {
    /// Unix seconds of the last log + 1; 0: never logged.
    last: &'a AtomicU64,
}

impl<'a> LogGate<'a> {
    pub fn new(last: &'a AtomicU64) -> Self {
        LogGate { last }
    }

    /// True for exactly one caller per interval, whichever process asks.
    pub fn should_log(&self, now_secs: u64) -> bool {
        let previous = self.last.load(SeqCst);
        let due = match previous.checked_sub(1) {
            None => true,
            Some(last) => {
                now_secs >= last.saturating_add(LOG_INTERVAL_SECS)
                    // The clock went back by more than an interval: start over.
                    || now_secs.saturating_add(LOG_INTERVAL_SECS) < last
            }
        };
        due && self
            .last
            .compare_exchange(previous, now_secs.saturating_add(1), SeqCst, SeqCst)
            .is_ok()
    }
}

/// The shared fallback state: when to try the store again, and the log gate.
#[derive(Debug, Clone, Copy)]
pub struct Fallback<'a> {
    gate: LogGate<'a>,
    /// Unix seconds from which to try the store again; 0: the store answers.
    retry_at: &'a AtomicU64,
}

impl<'a> Fallback<'a> {
    pub fn new(last_log: &'a AtomicU64, retry_at: &'a AtomicU64) -> Self {
        Fallback {
            gate: LogGate::new(last_log),
            retry_at,
        }
    }

    /// Whether this request should ask the store (it answered last time, or
    /// its retry time has come).
    pub fn should_try_store(&self, now_secs: u64) -> bool {
        now_secs >= self.retry_at.load(SeqCst)
    }

    /// The store failed: count locally until `STORE_RETRY_SECS` from now.
    /// Returns the line to log, if this is the caller that should.
    pub fn store_failed(&self, now_secs: u64, error: &str) -> Option<String> {
        self.retry_at
            .store(now_secs.saturating_add(STORE_RETRY_SECS).max(1), SeqCst);
        self.gate.should_log(now_secs).then(|| {
            format!(
                "photoguard: the limit store failed ({error}); counting on this server's \
                 shared memory until it answers (logged at most once a minute)"
            )
        })
    }

    /// The store answered. Returns a line to log when it had been failing
    /// (once, and within the same once-a-minute budget).
    pub fn store_answered(&self, now_secs: u64) -> Option<String> {
        // Load first: on the normal path this word is only read, so the
        // header's cache line is not bounced between processes.
        if self.retry_at.load(SeqCst) == 0 || self.retry_at.swap(0, SeqCst) == 0 {
            return None;
        }
        self.gate
            .should_log(now_secs)
            .then(|| "photoguard: the limit store answers again; counting there".to_string())
    }

    pub fn is_falling_back(&self) -> bool {
        self.retry_at.load(SeqCst) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_once_a_minute() {
        let word = AtomicU64::new(0);
        let gate = LogGate::new(&word);
        assert!(gate.should_log(0), "the first time, even at time 0");
        assert!(!gate.should_log(0));
        assert!(!gate.should_log(59));
        assert!(gate.should_log(60));
        assert!(!gate.should_log(61));
        assert!(!gate.should_log(100));
        assert!(gate.should_log(125));
        // A clock set back by more than a minute does not silence the log
        // until it has caught up again.
        assert!(gate.should_log(10));
        assert!(!gate.should_log(11));
        // Extreme times: no panic.
        gate.should_log(u64::MAX);
        gate.should_log(u64::MAX);
    }

    #[test]
    fn falls_back_and_retries() {
        let (last, retry) = (AtomicU64::new(0), AtomicU64::new(0));
        let fallback = Fallback::new(&last, &retry);
        assert!(fallback.should_try_store(1_000));
        assert_eq!(fallback.store_answered(1_000), None);
        let line = fallback.store_failed(1_000, "connection refused").unwrap();
        assert!(line.contains("connection refused"), "{line}");
        assert!(fallback.is_falling_back());
        assert!(!fallback.should_try_store(1_004));
        assert!(fallback.should_try_store(1_005));
        assert_eq!(
            fallback.store_failed(1_005, "again"),
            None,
            "not logged twice a minute"
        );
        assert!(!fallback.should_try_store(1_009));
        // Answers again within the minute: not logged; later outages are.
        assert_eq!(fallback.store_answered(1_010), None);
        assert!(!fallback.is_falling_back());
        assert!(fallback.store_failed(1_070, "down").is_some());
        assert!(
            fallback
                .store_answered(1_140)
                .unwrap()
                .contains("answers again")
        );
        assert_eq!(fallback.store_answered(1_141), None);
    }
}
