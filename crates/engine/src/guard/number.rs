//! Decimal numbers as an admin writes them in a directive, and as the engine
//! writes them into a fixed buffer without allocating (store keys, values).

/// Why a decimal number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalError {
    /// Empty, or a character other than `0`-`9` (no sign, no spaces).
    NotANumber,
    /// More than fits in a `u64`.
    TooLarge,
}

/// Parses ASCII digits only. `str::parse` would also take a leading `+`,
/// which nobody writes in a config and which a store value never has.
pub fn parse_decimal(text: &[u8]) -> Result<u64, DecimalError> {
    if text.is_empty() {
        return Err(DecimalError::NotANumber);
    }
    let mut value: u64 = 0;
    for &b in text {
        if !b.is_ascii_digit() {
            return Err(DecimalError::NotANumber);
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(DecimalError::TooLarge)?;
    }
    Ok(value)
}

/// A small fixed buffer that text is appended to; what does not fit is
/// dropped (callers size it for the longest text they write).
#[derive(Clone, Copy)]
pub struct TextBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> TextBuf<N> {
    pub fn new() -> Self {
        TextBuf {
            bytes: [0; N],
            len: 0,
        }
    }

    pub fn push_bytes(&mut self, text: &[u8]) {
        for &b in text {
            if let Some(slot) = self.bytes.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
    }

    pub fn push_decimal(&mut self, mut value: u64) {
        // u64::MAX has 20 digits.
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 || start == 0 {
                break;
            }
        }
        self.push_bytes(&digits[start..]);
    }

    pub fn push_hex(&mut self, bytes: &[u8]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for &b in bytes {
            self.push_bytes(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// Always valid: only ASCII is ever pushed by this crate.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

impl<const N: usize> Default for TextBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> std::fmt::Debug for TextBuf<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_digits_only() {
        assert_eq!(parse_decimal(b"0"), Ok(0));
        assert_eq!(parse_decimal(b"30"), Ok(30));
        assert_eq!(parse_decimal(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_decimal(b"18446744073709551616"),
            Err(DecimalError::TooLarge)
        );
        for bad in [&b""[..], b"+1", b"-1", b" 1", b"1 ", b"1.0", b"x"] {
            assert_eq!(parse_decimal(bad), Err(DecimalError::NotANumber), "{bad:?}");
        }
    }

    #[test]
    fn writes_decimal_and_hex() {
        let mut buf = TextBuf::<64>::new();
        buf.push_decimal(0);
        buf.push_bytes(b":");
        buf.push_decimal(u64::MAX);
        buf.push_bytes(b":");
        buf.push_hex(&[0x00, 0xab, 0xff]);
        assert_eq!(buf.as_str(), "0:18446744073709551615:00abff");
    }

    #[test]
    fn overflowing_text_is_cut_not_a_panic() {
        let mut buf = TextBuf::<3>::new();
        buf.push_decimal(12345);
        assert_eq!(buf.as_str(), "123");
    }
}
