//! Fixed windows aligned on the Unix epoch: `[n*len, (n+1)*len)`.
//!
//! Fixed rather than sliding, because (1) a count is one atomic word, exact
//! and cheap, where a sliding estimate needs the previous window too and is
//! approximate by design; (2) epoch alignment makes every process and every
//! server of a farm agree on the window from the clock alone, which the
//! socache key relies on; (3) the cost, up to 2 x COUNT in a burst straddling
//! a boundary, is harmless against enumeration (a meeting needs dozens of
//! photos, a scraper thousands).

use super::rate::MAX_PERIOD_SECS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    len: u64,
    number: u64,
}

impl Window {
    /// The window of length `len_secs` (taken as 1 to `MAX_PERIOD_SECS`)
    /// that contains `now_secs`.
    pub fn containing(now_secs: u64, len_secs: u64) -> Window {
        let len = len_secs.clamp(1, MAX_PERIOD_SECS);
        Window {
            len,
            number: now_secs / len,
        }
    }

    pub fn len_secs(&self) -> u64 {
        self.len
    }

    pub fn number(&self) -> u64 {
        self.number
    }

    pub fn start(&self) -> u64 {
        // number * len <= now: cannot overflow.
        self.number.saturating_mul(self.len)
    }

    /// The first second after the window.
    pub fn end(&self) -> u64 {
        self.start().saturating_add(self.len)
    }

    pub fn next(&self) -> Window {
        Window {
            len: self.len,
            number: self.number.saturating_add(1),
        }
    }
}

/// A client's count in one window, as `hit` and `peek` report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// Requests counted in the window, this one included for `hit`.
    pub count_in_window: u64,
    /// Unix seconds at which the window ends and the count starts over.
    pub window_ends_at: u64,
}

impl Count {
    /// Past a limit of `limit` per window.
    pub fn exceeds(&self, limit: u32) -> bool {
        self.count_in_window > u64::from(limit)
    }

    /// `Retry-After` seconds: until the window ends, and at least 1 (0 would
    /// invite an immediate retry that is refused again).
    pub fn retry_after(&self, now_secs: u64) -> u64 {
        retry_after(self.window_ends_at, now_secs)
    }
}

pub fn retry_after(window_ends_at: u64, now_secs: u64) -> u64 {
    window_ends_at.saturating_sub(now_secs).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_epoch_aligned() {
        let w = Window::containing(1_000_000_123, 600);
        assert_eq!((w.start(), w.end()), (999_999_600, 1_000_000_200));
        assert_eq!(Window::containing(1_000_000_199, 600), w);
        assert_eq!(Window::containing(1_000_000_200, 600), w.next());
        assert_eq!(w.next().start(), w.end());
    }

    #[test]
    fn extreme_inputs_clamp() {
        assert_eq!(Window::containing(5, 0).len_secs(), 1);
        assert_eq!(Window::containing(5, u64::MAX).len_secs(), MAX_PERIOD_SECS);
        let w = Window::containing(u64::MAX, 1);
        assert_eq!(w.end(), u64::MAX);
        assert_eq!(w.next().number(), u64::MAX);
    }

    #[test]
    fn retry_after_is_at_least_one() {
        assert_eq!(retry_after(1_000, 400), 600);
        assert_eq!(retry_after(1_000, 999), 1);
        assert_eq!(retry_after(1_000, 1_000), 1);
        assert_eq!(retry_after(1_000, 5_000), 1);
        let count = Count {
            count_in_window: 31,
            window_ends_at: 1_000,
        };
        assert!(count.exceeds(30));
        assert!(!count.exceeds(31));
        assert_eq!(count.retry_after(990), 10);
    }
}
