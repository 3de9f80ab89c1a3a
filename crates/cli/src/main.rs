//! `photoguard`: test a policy before reloading the server, find mistakes in
//! it, and translate an old RewriteCond block. The logic lives in
//! `photoguard_cli`; this file parses arguments and sets the exit status.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use photoguard_cli::ConfigSource;
use photoguard_cli::check::{CheckOptions, run_check};
use photoguard_cli::import::run_import;
use photoguard_cli::lint::run_lint;
use photoguard_cli::ltpa::{LtpaCommand, run_ltpa};

mod generate;

#[derive(Parser)]
#[command(
    name = "photoguard",
    version,
    about = "Check, lint and migrate photoguard policies (Apache httpd / IBM HTTP Server)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the module's decision for one request.
    ///
    /// Exit status: 0 allow (and would-deny in report mode, since the request
    /// passes), 1 deny, 2 config or usage error.
    Check(CheckOptions),
    /// Report config errors (as httpd would) and likely mistakes.
    ///
    /// Exit status: 0 clean, 1 warnings, 2 errors.
    Lint(ConfigSource),
    /// Translate a RewriteCond/RewriteRule block into PhotoGuard directives.
    ///
    /// Exit status: 0 fully translated, 1 warnings or untranslated parts
    /// (shown as '#' comments), 2 when FILE cannot be read.
    ImportRewrite {
        /// A file holding the RewriteCond ... RewriteRule block.
        file: PathBuf,
    },
    /// Check an LTPA token (LtpaToken, LtpaToken2) with the server's keys.
    ///
    /// `photoguard ltpa inspect TOKEN` prints its format, realm, user, times
    /// and verdict.
    ///
    /// Exit status: 0 the token is valid, 1 it is not, 2 a usage error or a
    /// key file, password or secret that cannot be used.
    #[command(subcommand)]
    Ltpa(LtpaCommand),
    /// Man pages and shell completions, for packagers (packaging/build-debs.sh).
    #[command(hide = true, subcommand)]
    Generate(generate::Generate),
}

fn main() -> ExitCode {
    let output = match Cli::parse().command {
        Command::Check(options) => run_check(&options),
        Command::Lint(config) => run_lint(&config),
        Command::ImportRewrite { file } => run_import(&file),
        Command::Ltpa(command) => run_ltpa(&command),
        Command::Generate(what) => generate::run(&what, Cli::command()),
    };
    // A closed pipe (`photoguard lint ... | head`) is not worth a panic.
    let _ = std::io::stdout().write_all(output.stdout.as_bytes());
    let _ = std::io::stderr().write_all(output.stderr.as_bytes());
    ExitCode::from(output.code)
}
