//! Sets of IPv4 addresses as sorted, disjoint, non-adjacent closed intervals,
//! and their minimal list of CIDR blocks.
//!
//! `import-rewrite` builds these from a regex's automaton and prints them as
//! `PhotoGuardAllowNetwork` lines; keeping intervals normalised (merged when
//! they touch) is what makes the CIDR list minimal.

use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

/// A set of `u32` values (IPv4 addresses, or offsets within a sub-space) as
/// closed intervals `(first, last)`, sorted, disjoint and not touching.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ipv4Set {
    ranges: Vec<(u32, u32)>,
}

impl Ipv4Set {
    pub fn empty() -> Ipv4Set {
        Ipv4Set::default()
    }

    /// All of `0..=last`.
    pub fn up_to(last: u32) -> Ipv4Set {
        Ipv4Set {
            ranges: vec![(0, last)],
        }
    }

    /// Normalises any list of closed intervals (in any order, overlapping or not).
    pub fn from_ranges(mut ranges: Vec<(u32, u32)>) -> Ipv4Set {
        ranges.retain(|&(a, b)| a <= b);
        ranges.sort_unstable();
        let mut builder = Ipv4SetBuilder::default();
        for (a, b) in ranges {
            builder.push(a, b);
        }
        builder.finish()
    }

    pub fn from_cidrs(nets: &[Ipv4Net]) -> Ipv4Set {
        Ipv4Set::from_ranges(
            nets.iter()
                .map(|n| (u32::from(n.network()), u32::from(n.broadcast())))
                .collect(),
        )
    }

    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// How many values the set holds (up to 2^32, hence u64).
    pub fn count(&self) -> u64 {
        self.ranges.iter().map(|&(a, b)| u64::from(b - a) + 1).sum()
    }

    pub fn contains(&self, value: u32) -> bool {
        let i = self.ranges.partition_point(|&(_, last)| last < value);
        self.ranges.get(i).is_some_and(|&(first, _)| first <= value)
    }

    /// The values in `self` that are not in `other`, by one sweep over both.
    pub fn difference(&self, other: &Ipv4Set) -> Ipv4Set {
        let mut builder = Ipv4SetBuilder::default();
        let mut j = 0;
        for &(first, last) in &self.ranges {
            let mut from = u64::from(first);
            let last = u64::from(last);
            while j < other.ranges.len() && u64::from(other.ranges[j].1) < from {
                j += 1;
            }
            let mut k = j;
            while from <= last && k < other.ranges.len() && u64::from(other.ranges[k].0) <= last {
                let (cut_first, cut_last) =
                    (u64::from(other.ranges[k].0), u64::from(other.ranges[k].1));
                if cut_first > from {
                    builder.push(from as u32, (cut_first - 1) as u32);
                }
                from = from.max(cut_last + 1);
                k += 1;
            }
            if from <= last {
                builder.push(from as u32, last as u32);
            }
        }
        builder.finish()
    }

    /// The minimal list of CIDR blocks covering exactly this set: each
    /// interval is cut greedily into the largest aligned blocks, and since
    /// intervals never touch, no two blocks could be joined.
    pub fn to_cidrs(&self) -> Vec<Ipv4Net> {
        let mut nets = Vec::new();
        for &(first, last) in &self.ranges {
            range_to_cidrs(first, last, &mut nets);
        }
        nets
    }
}

/// Appends the minimal CIDR cover of `first..=last` to `out`.
pub fn range_to_cidrs(first: u32, last: u32, out: &mut Vec<Ipv4Net>) {
    let mut start = u64::from(first);
    let end = u64::from(last) + 1; // exclusive
    while start < end {
        // The largest block aligned at `start` that still fits before `end`.
        let align = if start == 0 {
            32
        } else {
            start.trailing_zeros().min(32)
        };
        let mut size_log = align;
        while size_log > 0 && start + (1u64 << size_log) > end {
            size_log -= 1;
        }
        let prefix = 32 - size_log as u8;
        nets_push(out, start as u32, prefix);
        start += 1u64 << size_log;
    }
}

fn nets_push(out: &mut Vec<Ipv4Net>, start: u32, prefix: u8) {
    out.push(Ipv4Net::new(Ipv4Addr::from(start), prefix).expect("prefix is at most 32"));
}

/// Builds a set from intervals pushed in increasing order, merging those that
/// overlap or touch.
#[derive(Debug, Default)]
pub struct Ipv4SetBuilder {
    ranges: Vec<(u32, u32)>,
}

impl Ipv4SetBuilder {
    /// Adds `first..=last`; `first` must not be below the previous interval's start.
    pub fn push(&mut self, first: u32, last: u32) {
        if let Some(prev) = self.ranges.last_mut() {
            debug_assert!(first >= prev.0, "intervals must be pushed in order");
            if u64::from(first) <= u64::from(prev.1) + 1 {
                prev.1 = prev.1.max(last);
                return;
            }
        }
        self.ranges.push((first, last));
    }

    /// Adds every interval of `set` shifted up by `offset`.
    pub fn push_shifted(&mut self, offset: u32, set: &Ipv4Set) {
        for &(a, b) in &set.ranges {
            self.push(offset + a, offset + b);
        }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn finish(self) -> Ipv4Set {
        Ipv4Set {
            ranges: self.ranges,
        }
    }
}

/// `10.1.1.10-10.1.1.19` (or one address), for messages about a set.
pub struct RangeText(pub u32, pub u32);

impl fmt::Display for RangeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == self.1 {
            write!(f, "{}", Ipv4Addr::from(self.0))
        } else {
            write!(f, "{}-{}", Ipv4Addr::from(self.0), Ipv4Addr::from(self.1))
        }
    }
}

/// A CIDR as an admin writes it: a bare address for a /32.
pub fn cidr_text(net: &Ipv4Net) -> String {
    if net.prefix_len() == 32 {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> u32 {
        u32::from(text.parse::<Ipv4Addr>().unwrap())
    }

    fn cidrs(set: &Ipv4Set) -> Vec<String> {
        set.to_cidrs().iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn aligned_ranges_are_one_block() {
        let set = Ipv4Set::from_ranges(vec![(ip("10.20.16.0"), ip("10.20.31.255"))]);
        assert_eq!(cidrs(&set), ["10.20.16.0/20"]);
    }

    #[test]
    fn unaligned_range_is_cut_into_the_fewest_blocks() {
        // 10.0.10.0 - 10.0.19.255: what `^10\.0\.(1[0-9])\.` accepts.
        let set = Ipv4Set::from_ranges(vec![(ip("10.0.10.0"), ip("10.0.19.255"))]);
        assert_eq!(
            cidrs(&set),
            ["10.0.10.0/23", "10.0.12.0/22", "10.0.16.0/22"]
        );
    }

    #[test]
    fn whole_space_and_single_addresses() {
        assert_eq!(cidrs(&Ipv4Set::up_to(u32::MAX)), ["0.0.0.0/0"]);
        assert_eq!(
            cidrs(&Ipv4Set::from_ranges(vec![(
                ip("192.0.2.10"),
                ip("192.0.2.10")
            )])),
            ["192.0.2.10/32"]
        );
        assert_eq!(
            cidrs(&Ipv4Set::from_ranges(vec![(u32::MAX, u32::MAX)])),
            ["255.255.255.255/32"]
        );
    }

    #[test]
    fn touching_and_overlapping_ranges_merge() {
        let set = Ipv4Set::from_ranges(vec![(5, 9), (0, 3), (4, 4), (8, 12)]);
        assert_eq!(set.ranges(), [(0, 12)]);
        assert_eq!(set.count(), 13);
        assert!(set.contains(12) && !set.contains(13));
    }

    #[test]
    fn cidr_cover_is_exact_and_minimal_on_every_small_range() {
        // Exhaustive over [0, 64): the cover is exact, its blocks disjoint,
        // and no two blocks could be merged into one aligned block.
        for first in 0u32..64 {
            for last in first..64 {
                let nets = Ipv4Set::from_ranges(vec![(first, last)]).to_cidrs();
                let covered = Ipv4Set::from_cidrs(&nets);
                assert_eq!(covered.ranges(), [(first, last)]);
                let total: u64 = nets.iter().map(|n| 1u64 << (32 - n.prefix_len())).sum();
                assert_eq!(
                    total,
                    u64::from(last - first + 1),
                    "blocks overlap for {first}-{last}"
                );
                for pair in nets.windows(2) {
                    let joined = pair[0].supernet();
                    let same_parent = pair[0].prefix_len() == pair[1].prefix_len()
                        && joined == pair[1].supernet();
                    assert!(
                        !same_parent,
                        "{} and {} could be one block",
                        pair[0], pair[1]
                    );
                }
            }
        }
    }

    #[test]
    fn difference_cuts_holes() {
        let a = Ipv4Set::from_ranges(vec![(0, 100), (200, 300)]);
        let b = Ipv4Set::from_ranges(vec![(10, 20), (50, 250), (300, 400)]);
        assert_eq!(a.difference(&b).ranges(), [(0, 9), (21, 49), (251, 299)]);
        assert!(a.difference(&a).is_empty());
        assert_eq!(a.difference(&Ipv4Set::empty()), a);
        let full = Ipv4Set::up_to(u32::MAX);
        assert_eq!(
            full.difference(&Ipv4Set::from_ranges(vec![(0, 0)]))
                .ranges(),
            [(1, u32::MAX)]
        );
    }

    #[test]
    fn texts() {
        assert_eq!(
            RangeText(ip("10.1.1.10"), ip("10.1.1.19")).to_string(),
            "10.1.1.10-10.1.1.19"
        );
        assert_eq!(cidr_text(&"192.0.2.10/32".parse().unwrap()), "192.0.2.10");
        assert_eq!(cidr_text(&"10.0.0.0/8".parse().unwrap()), "10.0.0.0/8");
    }
}
