//! RFC 3339 UTC text for unix times (refusal reasons, `inspect`) and back
//! (`--now`). A civil-from-days conversion is all it takes; no time crate.

use core::fmt;

const SECS_PER_DAY: u64 = 86_400;

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
/// Howard Hinnant's `civil_from_days`, shifted so the year starts in March
/// (the leap day is then the last day of the "year").
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both values are in range by construction; the casts cannot truncate.
    (year, month as u32, day as u32)
}

/// (year, month, day) to days since 1970-01-01; the inverse of the above.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// Unix seconds shown as `2026-11-20T10:00:00Z`. Formatting writes straight
/// into the formatter: no allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rfc3339(pub u64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // u64 seconds / 86400 always fits an i64.
        let days = i64::try_from(self.0 / SECS_PER_DAY).unwrap_or(i64::MAX / 2);
        let rem = self.0 % SECS_PER_DAY;
        let (y, mo, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3_600,
            rem % 3_600 / 60,
            rem % 60
        )
    }
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |acc, &b| {
        acc.checked_mul(10)?.checked_add(u32::from(b - b'0'))
    })
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (a `t`, `z` or space is
/// accepted as RFC 3339 allows) into unix seconds; fractions are dropped.
/// Times before 1970 are refused: tokens never carry them.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let s = text.as_bytes();
    let field = |from: usize, to: usize| s.get(from..to).and_then(digits);
    let sep = |at: usize, ok: &[u8]| s.get(at).is_some_and(|c| ok.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (field(0, 4)?, field(5, 7)?, field(8, 10)?);
    let (hour, min, sec) = (field(11, 13)?, field(14, 16)?, field(17, 19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_len = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    // 60 is a leap second; it is counted as the next second's start.
    if day == 0 || day > month_len || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut rest = s.get(19..)?;
    if let Some((b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = frac.get(n..)?;
    }
    let offset_secs: i64 = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = i64::from(digits(&[*h1, *h2])?);
            let m = i64::from(digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3_600 + m * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(year), month, day);
    let local = days * 86_400 + i64::from(hour * 3_600 + min * 60 + sec);
    u64::try_from(local - offset_secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(Rfc3339(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Rfc3339(1_519_043_460).to_string(), "2018-02-19T12:31:00Z");
        assert_eq!(Rfc3339(1_795_168_800).to_string(), "2026-11-20T10:00:00Z");
        assert_eq!(Rfc3339(951_782_400).to_string(), "2000-02-29T00:00:00Z");
        assert!(Rfc3339(u64::MAX).to_string().ends_with("T07:00:15Z"));
    }

    #[test]
    fn parses_what_it_formats_and_offsets() {
        for t in [
            0,
            59,
            951_782_400,
            1_234_567_890,
            1_795_168_800,
            4_102_444_800,
        ] {
            assert_eq!(parse_rfc3339(&Rfc3339(t).to_string()), Some(t));
        }
        assert_eq!(
            parse_rfc3339("2026-11-20T11:00:00+01:00"),
            Some(1_795_168_800)
        );
        assert_eq!(
            parse_rfc3339("2026-11-20t10:00:00.999z"),
            Some(1_795_168_800)
        );
        for bad in [
            "",
            "2026-11-20",
            "2026-02-30T00:00:00Z",
            "2026-11-20T10:00:00",
            "2026-11-20T24:00:00Z",
            "1969-12-31T23:59:59Z",
            "2026-11-20T10:00:00.Z",
            "+026-11-20T10:00:00Z",
            "2026-11-20T10:00:00+1:00",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_round_trip_over_centuries() {
        for days in (-800_000..800_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
