//! English ordinals for reasons: `31st request`, `6th 404`.

use std::fmt;

/// Displays `n` with its suffix: 1st 2nd 3rd 4th ... 11th 12th 13th ... 21st.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ordinal(pub u64);

impl fmt::Display for Ordinal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let suffix = match (n % 10, n % 100) {
            (_, 11..=13) => "th",
            (1, _) => "st",
            (2, _) => "nd",
            (3, _) => "rd",
            _ => "th",
        };
        write!(f, "{n}{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes() {
        let cases = [
            (0, "0th"),
            (1, "1st"),
            (2, "2nd"),
            (3, "3rd"),
            (4, "4th"),
            (10, "10th"),
            (11, "11th"),
            (12, "12th"),
            (13, "13th"),
            (14, "14th"),
            (21, "21st"),
            (22, "22nd"),
            (23, "23rd"),
            (31, "31st"),
            (100, "100th"),
            (101, "101st"),
            (102, "102nd"),
            (111, "111th"),
            (112, "112th"),
            (113, "113th"),
            (121, "121st"),
            (1011, "1011th"),
            (1001, "1001st"),
            (u64::MAX, "18446744073709551615th"),
        ];
        for (n, text) in cases {
            assert_eq!(Ordinal(n).to_string(), text);
        }
    }
}
