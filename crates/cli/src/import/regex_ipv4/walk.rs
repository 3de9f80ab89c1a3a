//! The octet-by-octet walk over a search DFA that gives the exact set of
//! addresses it matches (see the parent module for why it is bounded by the
//! automaton's size, not by the 2^32 addresses).

use std::collections::HashMap;
use std::rc::Rc;

use regex_automata::dfa::{Automaton, dense};
use regex_automata::util::primitives::StateID;

use super::super::ipv4_set::{Ipv4Set, Ipv4SetBuilder};
use super::{MAX_INTERVALS, Untranslatable, search_start};

/// The octet-by-octet walk over one DFA.
pub(super) struct Walk<'d> {
    dfa: &'d dense::DFA<Vec<u32>>,
    start: StateID,
    /// (octet position, state before that octet) → matching suffixes.
    memo: HashMap<(usize, StateID), Rc<Ipv4Set>>,
    /// `over_255[position][value - 256]`: the value was spelled out in a match.
    over_255: [Vec<bool>; 4],
}

/// The outcome of feeding one octet's digits.
enum OctetStep {
    /// A match ended before the octet's last digit: every completion matches,
    /// whatever the rest of this octet says.
    MatchedInside,
    /// No completion can match.
    Dead,
    /// The state after the digits.
    State(StateID),
}

impl<'d> Walk<'d> {
    pub(super) fn new(dfa: &'d dense::DFA<Vec<u32>>) -> Result<Walk<'d>, Untranslatable> {
        let start = search_start(dfa)?;
        Ok(Walk {
            dfa,
            start,
            memo: HashMap::new(),
            over_255: std::array::from_fn(|_| vec![false; 744]),
        })
    }

    pub(super) fn run(&mut self) -> Result<Ipv4Set, Untranslatable> {
        let set = self.suffixes(0, self.start)?;
        Ok((*set).clone())
    }

    /// The set of suffixes `o[position]...o[3]` (as offsets in a space of
    /// 256^(4 - position)) that complete a match from `state`, the DFA state
    /// after the text before octet `position` (dots included).
    fn suffixes(&mut self, position: usize, state: StateID) -> Result<Rc<Ipv4Set>, Untranslatable> {
        let remaining_octets = 4 - position;
        let last_offset = (1u64 << (8 * remaining_octets)) - 1;
        if self.dfa.is_match_state(state) {
            return Ok(Rc::new(Ipv4Set::up_to(last_offset as u32)));
        }
        if self.dfa.is_dead_state(state) {
            return Ok(Rc::new(Ipv4Set::empty()));
        }
        if self.dfa.is_quit_state(state) {
            return Err(Untranslatable(
                "the pattern needs look-around the automaton cannot decide".into(),
            ));
        }
        if let Some(known) = self.memo.get(&(position, state)) {
            return Ok(known.clone());
        }
        let child_span = 1u64 << (8 * (remaining_octets - 1));
        let child_all = Rc::new(Ipv4Set::up_to((child_span - 1) as u32));
        let child_none = Rc::new(Ipv4Set::empty());
        let mut builder = Ipv4SetBuilder::default();
        for value in 0u16..1000 {
            let (matched_inside, tail) = match self.feed_octet(state, value) {
                OctetStep::MatchedInside => (true, child_all.clone()),
                OctetStep::Dead => (false, child_none.clone()),
                OctetStep::State(after_digits) => (
                    false,
                    self.after_octet(position, after_digits, &child_all, &child_none)?,
                ),
            };
            if value <= 255 {
                builder.push_shifted((u64::from(value) * child_span) as u32, &tail);
                if builder.len() > MAX_INTERVALS {
                    return Err(Untranslatable(format!(
                        "the accepted set has more than {MAX_INTERVALS} separate ranges; the pattern is not an address list"
                    )));
                }
            } else if value >= 256 && !matched_inside && !tail.is_empty() {
                self.over_255[position][usize::from(value - 256)] = true;
            }
        }
        let set = Rc::new(builder.finish());
        self.memo.insert((position, state), set.clone());
        Ok(set)
    }

    /// Feeds the decimal digits of `value` (only 3-digit values above 255).
    fn feed_octet(&self, state: StateID, value: u16) -> OctetStep {
        let text = value.to_string();
        let mut current = state;
        for byte in text.bytes() {
            current = self.dfa.next_state(current, byte);
            // Match states are one byte late: entering one on this digit
            // means a match ended before it, inside the octet.
            if self.dfa.is_match_state(current) {
                return OctetStep::MatchedInside;
            }
            if self.dfa.is_dead_state(current) {
                return OctetStep::Dead;
            }
        }
        OctetStep::State(current)
    }

    /// What follows an octet's digits: the end of the text after the last
    /// octet, else a dot and the next octets.
    fn after_octet(
        &mut self,
        position: usize,
        state: StateID,
        all: &Rc<Ipv4Set>,
        none: &Rc<Ipv4Set>,
    ) -> Result<Rc<Ipv4Set>, Untranslatable> {
        if position == 3 {
            let end = self.dfa.next_eoi_state(state);
            return Ok(if self.dfa.is_match_state(end) {
                all.clone()
            } else {
                none.clone()
            });
        }
        let after_dot = self.dfa.next_state(state, b'.');
        if self.dfa.is_match_state(after_dot) {
            return Ok(all.clone());
        }
        self.suffixes(position + 1, after_dot)
    }

    pub(super) fn over_255_ranges(&self) -> [Vec<(u16, u16)>; 4] {
        std::array::from_fn(|position| {
            let mut ranges: Vec<(u16, u16)> = Vec::new();
            for (index, &seen) in self.over_255[position].iter().enumerate() {
                if !seen {
                    continue;
                }
                let value = index as u16 + 256;
                match ranges.last_mut() {
                    Some(last) if last.1 + 1 == value => last.1 = value,
                    _ => ranges.push((value, value)),
                }
            }
            ranges
        })
    }
}
