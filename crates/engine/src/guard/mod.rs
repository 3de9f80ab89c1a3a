//! The enumeration guard, engine side: how many photos a client let in by a
//! weak rule (the meeting-room cookie anyone can send) may fetch.
//!
//! - `directive`: the arguments of `PhotoGuardLimit`, `PhotoGuardLimitNotFound`,
//!   `PhotoGuardLimitKey`, `PhotoGuardLimitAction`, `PhotoGuardLimitStore`
//!   (with `rate`, `class`, `size`).
//! - `key`: a client (address after trusted proxies, IPv6 by prefix).
//! - `table`: the counts, in a slice of atomics the Apache module puts in
//!   shared memory (`layout`, `slot`, `hash`, `window`): exact across processes,
//!   no lock.
//! - `store`, `store_key`, `shared`, `fallback`: the same counts in a socache
//!   store for a farm, and what to do when it is down (`memory_store`: a mock).
//! - `decision`: which limits count a request, and the reason when one is past.
//! - `counter`: what the decision counts with ([`Counter`]), provided by the host.
//!
//! Safe Rust only, no threads, no panics on any input; the module provides
//! the memory and the socache calls. DESIGN.md says why it is built so.

pub mod class;
pub mod counter;
pub mod decision;
pub mod directive;
pub mod fallback;
mod hash;
pub mod key;
pub mod layout;
pub mod memory_store;
mod number;
pub mod ordinal;
pub mod rate;
pub mod shared;
pub mod size;
mod slot;
pub mod store;
pub mod store_key;
pub mod table;
pub mod window;

#[cfg(test)]
mod tests;

pub use class::{AllowClass, ClassSet};
pub use counter::Counter;
pub use decision::{
    Limit, Limited, NotFoundBlock, NotFoundLimit, counting, limited, stable_limit_id,
};
pub use directive::{
    LimitAction, LimitSpec, StoreSpec, parse_limit, parse_limit_action, parse_limit_key,
    parse_limit_not_found, parse_limit_store,
};
pub use fallback::{Fallback, LogGate};
pub use hash::Seed;
pub use key::{ClientKey, KeySpec};
pub use layout::{slots_for_bytes, words_for_bytes};
pub use memory_store::MemoryStore;
pub use ordinal::Ordinal;
pub use rate::Rate;
pub use shared::{SharedCount, Source, hit_shared, peek_shared};
pub use store::{Store, remote_hit, remote_peek};
pub use store_key::StoreKey;
pub use table::Table;
pub use window::{Count, Window, retry_after};
