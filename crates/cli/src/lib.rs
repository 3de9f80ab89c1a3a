//! The `photoguard` command-line tool's logic (src/main.rs only parses
//! arguments and writes out what a subcommand returns):
//!
//! - [`httpd`] reads an httpd.conf (or fragment) into a tree of sections,
//!   applies the `PhotoGuard*` directives and merges the sections that apply
//!   to a request, as Apache does;
//! - [`check`], [`lint`] and [`import`] are the three subcommands
//!   (`import-rewrite` translates a RewriteCond block, and turns a
//!   REMOTE_ADDR regex into CIDRs on the way);
//! - [`ltpa`] is `ltpa inspect`, one LTPA token checked with the keys.

use std::path::PathBuf;

pub mod check;
pub mod httpd;
pub mod import;
pub mod lint;
pub mod ltpa;

/// What a subcommand prints and its exit status; the binary writes it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

impl CommandOutput {
    /// Exit status 2 with one line per problem on stderr.
    pub fn failure(lines: Vec<String>) -> CommandOutput {
        let stderr = lines.iter().map(|l| format!("{l}\n")).collect();
        CommandOutput {
            stdout: String::new(),
            stderr,
            code: 2,
        }
    }
}

/// How the configuration is found (`check` and `lint` share these options).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigSource {
    /// httpd.conf or a fragment of it. Include/IncludeOptional paths are
    /// relative to the ServerRoot: --server-root, else the ServerRoot
    /// directive read before the Include, else this file's directory.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
    /// The ServerRoot to resolve relative Include and
    /// PhotoGuardAllowNetworkFile paths against (overrides ServerRoot).
    #[arg(long, value_name = "DIR")]
    pub server_root: Option<PathBuf>,
}

impl ConfigSource {
    /// Reads the configuration and everything it includes.
    pub fn load(&self) -> httpd::HttpdConfig {
        httpd::load(&self.config, self.server_root.as_deref())
    }
}
