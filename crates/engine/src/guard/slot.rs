//! The two words of a slot, packed. Window ends are 32-bit Unix seconds
//! (wrapping in 2106) compared by serial-number arithmetic, so a wrap or a
//! clock set far off never makes a comparison panic or invert for long.

/// Tag word: `fingerprint << 32 | window end`. A fingerprint is never 0,
/// so the all-zero word means an empty slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    pub fingerprint: u32,
    pub end: u32,
}

pub const EMPTY: u64 = 0;

impl Tag {
    pub fn pack(self) -> u64 {
        u64::from(self.fingerprint) << 32 | u64::from(self.end)
    }

    pub fn unpack(word: u64) -> Tag {
        Tag {
            fingerprint: (word >> 32) as u32,
            end: word as u32,
        }
    }
}

/// Count word: `digest of the owner's tag << 32 | count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountWord {
    pub digest: u32,
    pub count: u32,
}

impl CountWord {
    pub fn pack(self) -> u64 {
        u64::from(self.digest) << 32 | u64::from(self.count)
    }

    pub fn unpack(word: u64) -> CountWord {
        CountWord {
            digest: (word >> 32) as u32,
            count: word as u32,
        }
    }
}

/// Seconds from `b` to `a` as serial numbers: positive when `a` is later.
pub fn serial_diff(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let tag = Tag {
            fingerprint: 0xdead_beef,
            end: 0x1234_5678,
        };
        assert_eq!(Tag::unpack(tag.pack()), tag);
        let count = CountWord {
            digest: 7,
            count: u32::MAX,
        };
        assert_eq!(CountWord::unpack(count.pack()), count);
    }

    #[test]
    fn serial_order_survives_the_wrap() {
        assert_eq!(serial_diff(10, 5), 5);
        assert_eq!(serial_diff(5, 10), -5);
        assert_eq!(serial_diff(3, u32::MAX - 2), 6);
        assert_eq!(serial_diff(u32::MAX - 2, 3), -6);
    }
}
