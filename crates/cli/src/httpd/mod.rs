//! Reading an httpd.conf as httpd would, and the policy it gives a request:
//!
//! - [`lines`]: logical lines (continuations, comments) and directive words;
//! - [`reader`] and [`include`]: the file and what it includes, into the
//!   tree of sections in [`tree`];
//! - [`fnmatch`]: the shell wildcards of `Include` and section patterns;
//! - [`policy`]: every section's `PhotoGuard*` directives applied;
//! - [`merge`] and [`matching`]: the sections that apply to one request,
//!   merged in httpd's order.

pub mod fnmatch;
mod include;
pub mod lines;
pub mod matching;
pub mod merge;
pub mod policy;
pub mod reader;
pub mod tree;

#[cfg(test)]
mod testing;

pub use merge::{RequestTarget, Resolved};
pub use policy::{BuiltSection, Policy};
pub use reader::load;
pub use tree::{Diagnostic, Directive, HttpdConfig, Section, SectionKind, SectionPattern};
