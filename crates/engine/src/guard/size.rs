//! The SIZE of `PhotoGuardLimitStore shm [SIZE]`: bytes of shared memory the
//! Apache parent creates for the counter table.

use super::number::{DecimalError, parse_decimal};

/// 1 MiB: 65,528 client windows, a few hundred kB more than any site needs
/// for its legitimate clients, and small next to Apache's own footprint.
pub const DEFAULT_SHM_SIZE: u64 = 1 << 20;
/// 64 KiB (4,088 windows): below that an attacker with a few thousand
/// addresses empties the table at will.
pub const MIN_SHM_SIZE: u64 = 64 << 10;
/// 1 GiB (67 million windows): more is a typo, not a plan.
pub const MAX_SHM_SIZE: u64 = 1 << 30;

/// Parses `65536`, `512K`, `1M`, `1G` (case-insensitive; binary multiples, as
/// Apache's own size directives), within `MIN_SHM_SIZE..=MAX_SHM_SIZE`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, multiple) = match text.as_bytes().split_last() {
        Some((&last, digits)) if last.is_ascii_alphabetic() => match last.to_ascii_uppercase() {
            b'K' => (digits, 1u64 << 10),
            b'M' => (digits, 1 << 20),
            b'G' => (digits, 1 << 30),
            _ => {
                return Err(format!(
                    "'{text}': unknown size unit '{}' (use K, M or G, e.g. 1M)",
                    char::from(last)
                ));
            }
        },
        _ => (text.as_bytes(), 1),
    };
    let size = match parse_decimal(digits) {
        Ok(n) => n.saturating_mul(multiple),
        Err(DecimalError::TooLarge) => u64::MAX,
        Err(DecimalError::NotANumber) => {
            return Err(format!(
                "'{text}' is not a size (bytes, or a number with K, M or G, e.g. 1M)"
            ));
        }
    };
    if size < MIN_SHM_SIZE {
        return Err(format!(
            "'{text}' is too small: the table needs at least 64K"
        ));
    }
    if size > MAX_SHM_SIZE {
        return Err(format!("'{text}' is too large: at most 1G"));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("64K"), Ok(MIN_SHM_SIZE));
        assert_eq!(parse_size("1g"), Ok(MAX_SHM_SIZE));
        assert_eq!(parse_size("65536"), Ok(65536));
    }

    #[test]
    fn refusals() {
        for (text, expected) in [
            ("63K", "too small"),
            ("0", "too small"),
            ("2G", "too large"),
            ("99999999999999999999G", "too large"),
            ("18446744073709551615K", "too large"),
            ("1T", "unknown size unit 'T'"),
            ("1MB", "unknown size unit 'B'"),
            ("M", "is not a size"),
            ("", "is not a size"),
            ("1.5M", "is not a size"),
        ] {
            let err = parse_size(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
