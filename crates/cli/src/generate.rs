//! `photoguard generate man DIR` and `photoguard generate completions SHELL`
//! (a hidden subcommand, for packagers): the man pages and the shell
//! completion scripts, made from the same clap definitions as `--help`, so
//! they cannot drift from the tool. `packaging/build-debs.sh` calls them.
//!
//! The pages are clap_mangen's (NAME, SYNOPSIS, DESCRIPTION, OPTIONS,
//! SUBCOMMANDS, VERSION) followed by sections written here: EXIT STATUS
//! (from [`EXIT_STATUS`]), ENVIRONMENT (`NO_COLOR`) and SEE ALSO.

use std::path::{Path, PathBuf};

use clap::Command;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use photoguard_cli::CommandOutput;

/// What `photoguard generate` writes.
#[derive(clap::Subcommand)]
pub enum Generate {
    /// Write photoguard.1 and one photoguard-SUBCOMMAND.1 per subcommand into DIR.
    Man {
        /// The directory (created if missing).
        dir: PathBuf,
    },
    /// Print the completion script for SHELL on stdout.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

/// Each visible subcommand's exit statuses, as its `--help` states them.
/// A test checks that every visible subcommand has an entry.
pub const EXIT_STATUS: &[(&str, &[(&str, &str)])] = &[
    (
        "check",
        &[
            (
                "0",
                "the request passes: allow, or would-deny in report mode (report mode never blocks)",
            ),
            ("1", "the request is denied"),
            (
                "2",
                "a config error (one line each on stderr, with file and line) or a usage error",
            ),
        ],
    ),
    (
        "lint",
        &[
            ("0", "clean"),
            ("1", "warnings only"),
            (
                "2",
                "errors (directives Apache would refuse, unreadable includes, bad sections) or a usage error",
            ),
        ],
    ),
    (
        "import-rewrite",
        &[
            ("0", "the block was fully translated"),
            (
                "1",
                "warnings or untranslated parts (printed as '#' comment lines)",
            ),
            ("2", "FILE cannot be read, or a usage error"),
        ],
    ),
    (
        "ltpa",
        &[
            ("0", "ltpa inspect: the token is valid"),
            (
                "1",
                "the token is not valid: expired, forged, of another key set, realm or format (the verdict says why)",
            ),
            (
                "2",
                "a usage error, or a key file, password or Domino secret that cannot be used (e.g. a wrong password)",
            ),
        ],
    ),
];

pub fn run(what: &Generate, cli: Command) -> CommandOutput {
    let result = match what {
        Generate::Man { dir } => write_man_pages(cli, dir).map(|written| {
            written
                .iter()
                .map(|p| format!("{}\n", p.display()))
                .collect()
        }),
        Generate::Completions { shell } => Ok(completions(cli, *shell)),
    };
    match result {
        Ok(stdout) => CommandOutput {
            stdout,
            stderr: String::new(),
            code: 0,
        },
        Err(message) => CommandOutput::failure(vec![format!("photoguard generate: {message}")]),
    }
}

/// The tool as users see it: built, without `help` and hidden subcommands'
/// pages (clap_mangen skips hidden ones itself).
fn built(cli: Command) -> Command {
    let mut cli = cli.disable_help_subcommand(true);
    cli.build();
    cli
}

fn visible_subcommands(cli: &Command) -> impl Iterator<Item = &Command> {
    cli.get_subcommands().filter(|s| !s.is_hide_set())
}

/// Writes `photoguard.1` and `photoguard-NAME.1`; returns their paths.
pub fn write_man_pages(cli: Command, dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let cli = built(cli);
    let mut written = Vec::new();
    let mut write = |name: String, page: Vec<u8>| {
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, page).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
        Ok::<(), String>(())
    };
    write(cli.get_name().to_string(), top_page(&cli))?;
    for sub in visible_subcommands(&cli) {
        let name = sub.get_display_name().unwrap_or(sub.get_name()).to_string();
        write(name, subcommand_page(&cli, sub, sub))?;
        // `photoguard ltpa inspect`: a page of its own, with the exit
        // statuses of the group it belongs to.
        for nested in visible_subcommands(sub) {
            let name = nested
                .get_display_name()
                .unwrap_or(nested.get_name())
                .to_string();
            write(name, subcommand_page(&cli, sub, nested))?;
        }
    }
    Ok(written)
}

/// The completion script for `shell`, hidden subcommands left out
/// (clap_complete would complete them: the command is rebuilt without them).
pub fn completions(cli: Command, shell: clap_complete::Shell) -> String {
    assert_eq!(cli.get_name(), BIN, "the binary's name");
    // The derive's own arguments (before build adds --help and --version).
    let args: Vec<clap::Arg> = cli
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .cloned()
        .collect();
    let cli = built(cli);
    let mut public = Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_subcommand(true)
        .args(args)
        .subcommands(visible_subcommands(&cli).cloned());
    if let Some(about) = cli.get_about() {
        public = public.about(about.clone());
    }
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut public, BIN, &mut out);
    String::from_utf8(out).expect("clap_complete writes UTF-8")
}

const BIN: &str = "photoguard";

fn render(man: &Man) -> Vec<u8> {
    let mut page = Vec::new();
    man.render(&mut page)
        .expect("rendering into memory cannot fail");
    page
}

fn man(cmd: &Command) -> Man {
    Man::new(cmd.clone())
        .source(format!("{BIN} {}", env!("CARGO_PKG_VERSION")))
        .manual("photoguard manual")
}

fn top_page(cli: &Command) -> Vec<u8> {
    let mut page = render(&man(cli));
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    roff.text([roman(
        "0 when a subcommand succeeds (and for --help and --version); 2 for a usage error \
         (an unknown option, a missing argument). Otherwise each subcommand's own:",
    )]);
    for (name, codes) in EXIT_STATUS {
        roff.control("TP", []);
        roff.text([bold(format!("photoguard {name}"))]);
        let summary = codes
            .iter()
            .map(|(code, meaning)| format!("{code} {meaning}"))
            .collect::<Vec<_>>()
            .join("; ");
        roff.text([roman(format!("{summary}."))]);
    }
    environment(&mut roff);
    roff.control("SH", ["FILES"]);
    roff.control("TP", []);
    roff.text([bold("/etc/apache2/mods-available/photoguard.conf")]);
    roff.text([roman(
        "the module's example policy (commented out) in the Debian package; \
         enable the module with a2enmod photoguard",
    )]);
    let mut see_also: Vec<String> = visible_subcommands(cli)
        .map(|s| format!("{}(1)", s.get_display_name().unwrap_or(s.get_name())))
        .collect();
    see_also.extend(["a2enmod(8)".into(), "apache2ctl(8)".into()]);
    see_also_section(&mut roff, &see_also);
    roff.to_writer(&mut page).expect("writing into memory");
    page
}

/// The page of `page_of`: `sub` itself, or a subcommand of `sub`, whose
/// exit statuses are `sub`'s.
fn subcommand_page(cli: &Command, sub: &Command, page_of: &Command) -> Vec<u8> {
    let mut page = render(&man(page_of));
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    let codes = EXIT_STATUS
        .iter()
        .find(|(name, _)| *name == sub.get_name())
        .map(|(_, codes)| *codes)
        .unwrap_or(&[]);
    for (code, meaning) in codes {
        roff.control("TP", []);
        roff.text([bold(*code)]);
        roff.text([roman(*meaning)]);
    }
    environment(&mut roff);
    let mut see_also = vec![format!("{}(1)", cli.get_name())];
    see_also.extend(
        visible_subcommands(cli)
            .filter(|s| s.get_name() != sub.get_name())
            .map(|s| format!("{}(1)", s.get_display_name().unwrap_or(s.get_name()))),
    );
    see_also_section(&mut roff, &see_also);
    roff.to_writer(&mut page).expect("writing into memory");
    page
}

fn environment(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    roff.control("TP", []);
    roff.text([bold("NO_COLOR")]);
    roff.text([roman(
        "when set to a non-empty value, the help text and usage errors carry no colour; \
         they carry none either when they do not go to a terminal. \
         Results are never coloured. Results go to standard output, \
         errors and warnings about the invocation to standard error.",
    )]);
}

fn see_also_section(roff: &mut Roff, pages: &[String]) {
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(pages.join(", "))]);
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn cli() -> Command {
        built(crate::Cli::command())
    }

    #[test]
    fn every_visible_subcommand_documents_its_exit_status() {
        let cli = cli();
        let names: Vec<&str> = visible_subcommands(&cli).map(Command::get_name).collect();
        let documented: Vec<&str> = EXIT_STATUS.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, documented);
        for sub in visible_subcommands(&cli) {
            let help = sub.get_long_about().expect("long help").to_string();
            assert!(
                help.contains("Exit status: 0"),
                "{}: {help}",
                sub.get_name()
            );
        }
    }

    #[test]
    fn man_pages_for_the_tool_and_each_subcommand() {
        let dir = std::env::temp_dir().join(format!("photoguard-man-{}", std::process::id()));
        let written = write_man_pages(crate::Cli::command(), &dir).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "photoguard.1",
                "photoguard-check.1",
                "photoguard-lint.1",
                "photoguard-import-rewrite.1",
                "photoguard-ltpa.1",
                "photoguard-ltpa-inspect.1"
            ]
        );
        let check = std::fs::read_to_string(dir.join("photoguard-check.1")).unwrap();
        assert!(check.contains(".SH \"EXIT STATUS\""), "{check}");
        assert!(check.contains("the request is denied"));
        assert!(
            check.contains("photoguard check"),
            "the synopsis names the command"
        );
        let top = std::fs::read_to_string(dir.join("photoguard.1")).unwrap();
        assert!(
            !top.contains("generate"),
            "the hidden subcommand stays hidden"
        );
        assert!(top.contains("photoguard\\-import\\-rewrite(1)"), "{top}");
        let inspect = std::fs::read_to_string(dir.join("photoguard-ltpa-inspect.1")).unwrap();
        assert!(inspect.contains("\\-\\-domino\\-secret"), "{inspect}");
        assert!(inspect.contains("the token is valid"), "{inspect}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn completions_leave_the_hidden_subcommand_out() {
        for shell in [clap_complete::Shell::Bash, clap_complete::Shell::Zsh] {
            let script = completions(crate::Cli::command(), shell);
            assert!(script.contains("import-rewrite"), "{shell}");
            assert!(script.contains("--domino-secret"), "{shell}");
            assert!(script.contains("--server-root"), "{shell}");
            assert!(!script.contains("generate"), "{shell}: {script}");
        }
    }
}
