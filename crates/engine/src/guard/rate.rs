//! `COUNT/PERIOD` (`30/10m`), the argument shared by `PhotoGuardLimit` and
//! `PhotoGuardLimitNotFound`. It keeps the unit the admin wrote so that a
//! reason quotes the config back (`limit 30/10m ...`), not `30/600s`.

use std::fmt;

use super::number::{DecimalError, parse_decimal};

/// The counters are 32 bits wide (see `slot.rs`) and saturate; a COUNT well
/// below that keeps "over the limit" always visible.
pub const MAX_COUNT: u32 = 1_000_000_000;

/// A year: longer windows are no longer a rate limit, and window ends then
/// stay far inside the 32-bit serial arithmetic of the table.
pub const MAX_PERIOD_SECS: u64 = 366 * 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl PeriodUnit {
    fn from_letter(letter: u8) -> Option<PeriodUnit> {
        // Case-insensitive: s, m, h and d are unambiguous here.
        match letter.to_ascii_lowercase() {
            b's' => Some(PeriodUnit::Seconds),
            b'm' => Some(PeriodUnit::Minutes),
            b'h' => Some(PeriodUnit::Hours),
            b'd' => Some(PeriodUnit::Days),
            _ => None,
        }
    }

    pub fn secs(self) -> u64 {
        match self {
            PeriodUnit::Seconds => 1,
            PeriodUnit::Minutes => 60,
            PeriodUnit::Hours => 3_600,
            PeriodUnit::Days => 86_400,
        }
    }

    pub fn letter(self) -> char {
        match self {
            PeriodUnit::Seconds => 's',
            PeriodUnit::Minutes => 'm',
            PeriodUnit::Hours => 'h',
            PeriodUnit::Days => 'd',
        }
    }
}

/// At most `count` events per `amount` `unit`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    count: u32,
    amount: u32,
    unit: PeriodUnit,
}

impl Rate {
    /// Parses `COUNT/PERIOD`; errors are meant for an Apache admin.
    pub fn parse(text: &str) -> Result<Rate, String> {
        let Some((count_text, period_text)) = text.split_once('/') else {
            return Err(format!(
                "'{text}' is not COUNT/PERIOD (e.g. 30/10m: 30 requests per 10 minutes)"
            ));
        };
        let count = match parse_decimal(count_text.as_bytes()) {
            Ok(0) => return Err(format!("'{text}': COUNT must be at least 1")),
            Ok(n) if n <= u64::from(MAX_COUNT) => n as u32,
            Ok(_) | Err(DecimalError::TooLarge) => {
                return Err(format!(
                    "'{text}': COUNT is too large (at most {MAX_COUNT})"
                ));
            }
            Err(DecimalError::NotANumber) => {
                return Err(format!(
                    "'{text}': COUNT '{count_text}' is not a whole number"
                ));
            }
        };
        let (amount_text, unit) = match period_text.as_bytes().split_last() {
            Some((&last, digits)) if last.is_ascii_alphabetic() => {
                match PeriodUnit::from_letter(last) {
                    Some(unit) => (digits, unit),
                    None => {
                        return Err(format!(
                            "'{text}': unknown unit '{}' in PERIOD (use s, m, h or d, e.g. 10m)",
                            char::from(last)
                        ));
                    }
                }
            }
            _ => {
                return Err(format!(
                    "'{text}': PERIOD needs a unit: s, m, h or d (e.g. 10m)"
                ));
            }
        };
        let amount = match parse_decimal(amount_text) {
            Ok(0) => {
                return Err(format!(
                    "'{text}': PERIOD must be at least 1{}",
                    unit.letter()
                ));
            }
            Ok(n) => n,
            Err(DecimalError::TooLarge) => u64::MAX,
            Err(DecimalError::NotANumber) => {
                return Err(format!(
                    "'{text}': PERIOD '{period_text}' is not a number with a unit (e.g. 10m)"
                ));
            }
        };
        match amount.checked_mul(unit.secs()) {
            Some(secs) if secs <= MAX_PERIOD_SECS => Ok(Rate {
                count,
                amount: amount as u32,
                unit,
            }),
            _ => Err(format!("'{text}': PERIOD is too long (at most 366d)")),
        }
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    /// The window length in seconds, 1 to `MAX_PERIOD_SECS`.
    pub fn period_secs(&self) -> u64 {
        u64::from(self.amount) * self.unit.secs()
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.count, self.amount, self.unit.letter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_unit() {
        for (text, count, secs) in [
            ("30/30s", 30, 30),
            ("30/10m", 30, 600),
            ("1/1h", 1, 3600),
            ("500/1d", 500, 86_400),
        ] {
            let rate = Rate::parse(text).unwrap();
            assert_eq!((rate.count(), rate.period_secs()), (count, secs), "{text}");
            assert_eq!(rate.to_string(), text);
        }
        assert_eq!(Rate::parse("30/10M").unwrap().to_string(), "30/10m");
        assert_eq!(
            Rate::parse("1/366d").unwrap().period_secs(),
            MAX_PERIOD_SECS
        );
        assert_eq!(Rate::parse("1000000000/1s").unwrap().count(), MAX_COUNT);
    }

    #[test]
    fn refuses_with_a_reason() {
        let cases = [
            ("30", "is not COUNT/PERIOD"),
            ("0/10m", "COUNT must be at least 1"),
            ("30/0m", "PERIOD must be at least 1m"),
            ("30/10", "PERIOD needs a unit"),
            ("30/m", "is not a number with a unit"),
            ("30/10w", "unknown unit 'w'"),
            ("30/10ms", "is not a number with a unit"),
            ("x/10m", "COUNT 'x' is not a whole number"),
            ("-1/10m", "is not a whole number"),
            ("1000000001/1m", "COUNT is too large"),
            ("99999999999999999999999/1m", "COUNT is too large"),
            ("1/367d", "PERIOD is too long"),
            ("1/99999999999999999999999s", "PERIOD is too long"),
            ("1/18446744073709551615d", "PERIOD is too long"),
            ("30/10m/2", "PERIOD needs a unit"),
            ("", "is not COUNT/PERIOD"),
            ("30/1é", "PERIOD needs a unit"),
        ];
        for (text, expected) in cases {
            let err = Rate::parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
