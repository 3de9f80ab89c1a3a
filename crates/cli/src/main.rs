//! `photoguard`: test a policy before reloading the server, find mistakes in
//! it, and translate an old RewriteCond block. The logic lives in
//! `photoguard_cli`; this file parses arguments and sets the exit status.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use photoguard_cli::CommandOutput;
use photoguard_cli::check::{CheckOptions, run_check};
use photoguard_cli::import_rewrite::import_file;
use photoguard_cli::lint::{LintOptions, run_lint};

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

/// How the configuration is found.
#[derive(Args)]
struct ConfigArgs {
    /// httpd.conf or a fragment of it. Include/IncludeOptional paths are
    /// relative to the ServerRoot: --server-root, else the ServerRoot
    /// directive read before the Include, else this file's directory.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: PathBuf,
    /// The ServerRoot to resolve relative Include and
    /// PhotoGuardAllowNetworkFile paths against (overrides ServerRoot).
    #[arg(long, value_name = "DIR")]
    server_root: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the module's decision for one request.
    ///
    /// Exit status: 0 allow (and would-deny in report mode, since the request
    /// passes), 1 deny, 2 config or usage error.
    Check {
        #[command(flatten)]
        config: ConfigArgs,
        /// The URL path requested, e.g. /photos/jane.jpg; picks the
        /// <Location>, <Directory> (DocumentRoot + path) and <Files> sections.
        #[arg(long, value_name = "PATH", default_value = "/")]
        scope: String,
        /// The file the URL maps to, when it is not DocumentRoot + PATH
        /// (e.g. behind an Alias).
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// The <VirtualHost> by ServerName or ServerAlias; default: the first
        /// one (where httpd sends requests for unknown names).
        #[arg(long, value_name = "NAME")]
        vhost: Option<String>,
        /// The client's address.
        #[arg(long, value_name = "ADDR", required_unless_present = "peer")]
        ip: Option<String>,
        /// The TCP peer when it is a proxy in front of the client; the
        /// client-IP header then carries --ip unless --forwarded-for is given.
        #[arg(long, value_name = "ADDR")]
        peer: Option<String>,
        /// The Cookie header, e.g. 'LtpaToken2=abc; other=1'.
        #[arg(long, value_name = "HEADER")]
        cookie: Option<String>,
        /// The client-IP header (X-Forwarded-For by default) as sent.
        #[arg(long, value_name = "HEADER")]
        forwarded_for: Option<String>,
        /// Print the decision as JSON.
        #[arg(long)]
        json: bool,
        /// Also print the virtual host, file and sections merged.
        #[arg(long, short = 'v')]
        verbose: bool,
    },
    /// Report config errors (as httpd would) and likely mistakes.
    ///
    /// Exit status: 0 clean, 1 warnings, 2 errors.
    Lint {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Translate a RewriteCond/RewriteRule block into PhotoGuard directives.
    ///
    /// Exit status: 0 fully translated, 1 warnings or untranslated parts
    /// (shown as '#' comments), 2 when FILE cannot be read.
    ImportRewrite {
        /// A file holding the RewriteCond ... RewriteRule block.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let output = match Cli::parse().command {
        Command::Check {
            config,
            scope,
            file,
            vhost,
            ip,
            peer,
            cookie,
            forwarded_for,
            json,
            verbose,
        } => run_check(&CheckOptions {
            config: config.config,
            server_root: config.server_root,
            vhost,
            scope,
            file,
            ip,
            peer,
            cookie,
            forwarded_for,
            json,
            verbose,
        }),
        Command::Lint { config } => run_lint(&LintOptions {
            config: config.config,
            server_root: config.server_root,
        }),
        Command::ImportRewrite { file } => match import_file(&file) {
            Ok(outcome) => {
                let stderr = if outcome.exit_code() == 0 {
                    String::new()
                } else {
                    format!(
                        "import-rewrite: {} warning(s), {} part(s) not translated; see the '#' lines\n",
                        outcome.warnings, outcome.untranslated
                    )
                };
                CommandOutput {
                    code: outcome.exit_code(),
                    stdout: outcome.text,
                    stderr,
                }
            }
            Err(line) => CommandOutput::failure(vec![line]),
        },
    };
    // A closed pipe (`photoguard lint ... | head`) is not worth a panic.
    let _ = std::io::stdout().write_all(output.stdout.as_bytes());
    let _ = std::io::stderr().write_all(output.stderr.as_bytes());
    ExitCode::from(output.code)
}
