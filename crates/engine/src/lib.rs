//! The policy engine: pure Rust, no Apache, no `unsafe`. It turns the
//! `PhotoGuard*` directives into a policy and evaluates a request to a
//! decision with its reason.
#![forbid(unsafe_code)]

pub mod cookie;
pub mod decision;
pub mod directive;
pub mod forwarded;
pub mod guard;
pub mod ltpa;
pub mod network;
pub mod origin;
pub mod scope;
pub mod stats;
pub mod tokenize;

pub use decision::{Decision, DenyAction, Env, Mode, Peer, Reason, Request, Verdict};
pub use directive::{ConfigError, DIRECTIVES, DirectiveInfo, DirectiveKind};
pub use origin::Origin;
pub use scope::{DirectiveContext, ScopeConfig, ScopeView};
