//! The `photoguard` command-line tool's logic (src/bin/photoguard.rs only
//! parses arguments and maps results to exit codes):
//!
//! - [`httpd_conf`] reads an httpd.conf (or fragment) into a tree of sections;
//! - [`sections`] applies the `PhotoGuard*` directives and merges the sections
//!   that apply to a request, as Apache does;
//! - [`check`], [`lint`] and [`import_rewrite`] are the three subcommands;
//! - [`ipv4_set`] and [`regex_ipv4`] turn a REMOTE_ADDR regex into CIDRs.

pub mod check;
pub mod config_lines;
pub mod fnmatch;
pub mod httpd_conf;
pub mod import_rewrite;
pub mod ipv4_set;
pub mod regex_ipv4;
pub mod sections;

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
pub mod lint;
