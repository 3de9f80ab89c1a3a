//! Which limits count a request, and what to say and do when one is past.
//!
//! A request is counted by every configured limit that names the class of
//! rule that let it in (`any` names all); a class a limit does not name is
//! never counted by it, so a client in an allowed network is never slowed
//! by a limit on `cookie`. Every counting limit counts the request, limited
//! or not; the request is limited if any of them is past its COUNT, and the
//! one reported is the one that keeps the client out longest.

use std::ffi::{CStr, CString};
use std::fmt;

use super::class::AllowClass;
use super::directive::LimitSpec;
use super::ordinal::Ordinal;
use super::rate::Rate;
use super::window::Count;

/// One `PhotoGuardLimit`, with the caller's id for its counters and where it
/// was written (`photos.conf:20`), for the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub id: u32,
    pub spec: LimitSpec,
    pub origin: Box<str>,
    /// `limit 30/10m cookie (photos.conf:20)`, made once, so that a host can
    /// name the limit without formatting per request.
    pub text: Box<CStr>,
}

impl Limit {
    pub fn new(id: u32, spec: LimitSpec, origin: impl Into<Box<str>>) -> Limit {
        let origin = origin.into();
        let text = c_text(format!("limit {} {} ({origin})", spec.rate, spec.classes));
        Limit {
            id,
            spec,
            origin,
            text,
        }
    }

    pub fn counts(&self, class: AllowClass) -> bool {
        self.spec.classes.contains(class)
    }

    pub fn window_secs(&self) -> u64 {
        self.spec.rate.period_secs()
    }

    pub fn is_exceeded(&self, count: &Count) -> bool {
        count.exceeds(self.spec.rate.count())
    }

    /// `limit 30/10m cookie (photos.conf:20): 31st request`
    pub fn reason(&self, count: &Count) -> String {
        format!(
            "limit {} {} ({}): {} request",
            self.spec.rate,
            self.spec.classes,
            self.origin,
            Ordinal(count.count_in_window)
        )
    }
}

/// A stable id from the text that defines a limit (e.g. its file, line and
/// arguments): the same on every server of a farm and across restarts, as
/// the store's keys need. FNV-1a: not secret, only spread.
pub fn stable_limit_id(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The limits that count a request let in by `class`, in config order.
pub fn counting(limits: &[Limit], class: AllowClass) -> impl Iterator<Item = &Limit> {
    limits.iter().filter(move |limit| limit.counts(class))
}

/// A request past a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited<'a> {
    pub limit: &'a Limit,
    pub count: Count,
    /// For the `Retry-After` header.
    pub retry_after: u64,
}

impl Limited<'_> {
    pub fn reason(&self) -> String {
        self.limit.reason(&self.count)
    }
}

/// Given each counting limit's count for this request, the limit that stops
/// it, if any: of those past their COUNT, the one whose window ends last
/// (the client has to wait for it anyway); the first in config order on a tie.
pub fn limited<'a>(
    counts: impl IntoIterator<Item = (&'a Limit, Count)>,
    now_secs: u64,
) -> Option<Limited<'a>> {
    let mut worst: Option<Limited<'a>> = None;
    for (limit, count) in counts {
        if !limit.is_exceeded(&count) {
            continue;
        }
        let retry_after = count.retry_after(now_secs);
        if worst.as_ref().is_none_or(|w| retry_after > w.retry_after) {
            worst = Some(Limited {
                limit,
                count,
                retry_after,
            });
        }
    }
    worst
}

/// `PhotoGuardLimitNotFound`: a client past COUNT 404s in the window is
/// refused everything in the scope until the window ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFoundLimit {
    pub id: u32,
    pub rate: Rate,
    pub origin: Box<str>,
    /// `limit 5/10m notfound (photos.conf:21)`, made once.
    pub text: Box<CStr>,
}

impl NotFoundLimit {
    pub fn new(id: u32, rate: Rate, origin: impl Into<Box<str>>) -> NotFoundLimit {
        let origin = origin.into();
        let text = c_text(format!("limit {rate} notfound ({origin})"));
        NotFoundLimit {
            id,
            rate,
            origin,
            text,
        }
    }

    pub fn window_secs(&self) -> u64 {
        self.rate.period_secs()
    }

    /// Whether a client whose 404 count (from `peek`) is `count` is refused:
    /// with 5/10m, five 404s are allowed and the sixth blocks what follows.
    pub fn blocks(&self, count: &Count) -> bool {
        count.exceeds(self.rate.count())
    }

    /// `limit 5/10m notfound (photos.conf:21): 6th 404`
    pub fn reason(&self, count: &Count) -> String {
        format!(
            "limit {} notfound ({}): {} 404",
            self.rate,
            self.origin,
            Ordinal(count.count_in_window)
        )
    }

    /// The block, if a client with this 404 `count` is refused: its reason
    /// and `Retry-After`.
    pub fn limited(&self, count: Count, now_secs: u64) -> Option<NotFoundBlock> {
        self.blocks(&count).then(|| NotFoundBlock {
            reason: self.reason(&count),
            retry_after: count.retry_after(now_secs),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFoundBlock {
    pub reason: String,
    pub retry_after: u64,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "limit {} {} ({})",
            self.spec.rate, self.spec.classes, self.origin
        )
    }
}

/// Text for a C string: the parts it is made of (a rate, classes, a file
/// name from the config) hold no NUL, but a NUL would only end it early.
fn c_text(text: String) -> Box<CStr> {
    let bytes: Vec<u8> = text
        .into_bytes()
        .into_iter()
        .take_while(|&b| b != 0)
        .collect();
    CString::new(bytes).unwrap_or_default().into_boxed_c_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::directive::{parse_limit, parse_limit_not_found};

    fn limit(id: u32, words: &[&str], line: u32) -> Limit {
        Limit::new(
            id,
            parse_limit(words).unwrap(),
            format!("photos.conf:{line}"),
        )
    }

    #[test]
    fn only_named_classes_count() {
        let limits = [
            limit(1, &["30/10m", "cookie"], 20),
            limit(2, &["1000/1d", "any"], 21),
            limit(3, &["100/1h", "ltpa"], 22),
        ];
        let ids = |class| counting(&limits, class).map(|l| l.id).collect::<Vec<_>>();
        assert_eq!(ids(AllowClass::Cookie), [1, 2]);
        assert_eq!(ids(AllowClass::Ltpa), [2, 3]);
        assert_eq!(ids(AllowClass::Network), [2]);
        let no_any = [limit(1, &["30/10m", "cookie", "ltpa"], 20)];
        assert_eq!(
            counting(&no_any, AllowClass::Network).count(),
            0,
            "a network client is never counted"
        );
    }

    #[test]
    fn reason_text() {
        let l = limit(1, &["30/10m", "cookie"], 20);
        let count = Count {
            count_in_window: 31,
            window_ends_at: 1_000,
        };
        assert_eq!(
            l.reason(&count),
            "limit 30/10m cookie (photos.conf:20): 31st request"
        );
        assert_eq!(l.to_string(), "limit 30/10m cookie (photos.conf:20)");
        let any = limit(2, &["100/1h", "ANY"], 3);
        let count = Count {
            count_in_window: 112,
            window_ends_at: 1_000,
        };
        assert_eq!(
            any.reason(&count),
            "limit 100/1h any (photos.conf:3): 112th request"
        );
    }

    #[test]
    fn the_longest_wait_wins() {
        let short = limit(1, &["30/10m", "cookie"], 20);
        let long = limit(2, &["100/1d", "cookie"], 21);
        let now = 1_000;
        let under = Count {
            count_in_window: 30,
            window_ends_at: 1_500,
        };
        assert_eq!(limited([(&short, under)], now), None);
        let over_short = Count {
            count_in_window: 31,
            window_ends_at: 1_500,
        };
        let over_long = Count {
            count_in_window: 101,
            window_ends_at: 80_000,
        };
        let l = limited([(&short, over_short), (&long, over_long)], now).unwrap();
        assert_eq!((l.limit.id, l.retry_after), (2, 79_000));
        let l = limited(
            [
                (&short, over_short),
                (
                    &long,
                    Count {
                        count_in_window: 5,
                        ..over_long
                    },
                ),
            ],
            now,
        )
        .unwrap();
        assert_eq!((l.limit.id, l.retry_after), (1, 500));
        assert_eq!(
            l.reason(),
            "limit 30/10m cookie (photos.conf:20): 31st request"
        );
        // Retry-After never 0, even at the window's last instant.
        let edge = Count {
            count_in_window: 31,
            window_ends_at: now,
        };
        assert_eq!(limited([(&short, edge)], now).unwrap().retry_after, 1);
    }

    #[test]
    fn not_found_blocks_after_count() {
        let nf = NotFoundLimit::new(
            9,
            parse_limit_not_found(&["5/10m"]).unwrap(),
            "photos.conf:21",
        );
        let at = |n| Count {
            count_in_window: n,
            window_ends_at: 1_600,
        };
        assert!(!nf.blocks(&at(5)));
        assert!(nf.blocks(&at(6)));
        assert_eq!(nf.limited(at(5), 1_000), None);
        let block = nf.limited(at(6), 1_000).unwrap();
        assert_eq!(
            block,
            NotFoundBlock {
                reason: "limit 5/10m notfound (photos.conf:21): 6th 404".into(),
                retry_after: 600
            }
        );
    }

    #[test]
    fn stable_ids() {
        assert_eq!(stable_limit_id(""), 0x811c_9dc5);
        assert_eq!(stable_limit_id("a"), 0xe40c_292c);
        assert_ne!(
            stable_limit_id("photos.conf:20 30/10m cookie"),
            stable_limit_id("photos.conf:21 30/10m cookie")
        );
    }
}
