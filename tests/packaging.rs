//! The Debian packages: `packaging/build-debs.sh` builds them with cargo-deb
//! (reusing `cargo build --release`), then this test unpacks them with
//! `dpkg-deb -x` into a temporary root and checks what an admin gets:
//!
//! - the files, the Depends fields, conffiles, the maintainer scripts, the
//!   man pages (gunzipped: every subcommand has one, with its exit statuses)
//!   and the bash and zsh completions;
//! - the tool runs from the unpacked root (`--version`, errors on stderr,
//!   `NO_COLOR`), and a C program links against the -dev package and runs
//!   with the runtime package's SONAME;
//! - the system's Apache (`/usr/sbin/apache2`) loads the packaged
//!   `photoguard.load` and `photoguard.conf` through `mods-enabled` symlinks
//!   into `mods-available`, as `a2enmod` makes them, in a temporary
//!   ServerRoot. The packaged `.load` names the standard path
//!   `/usr/lib/apache2/modules/mod_photoguard.so`; the ServerRoot's
//!   `mods-available/photoguard.load` is a copy with only that path moved
//!   into the unpacked root, and `photoguard.conf` is the packaged file as
//!   is. A small gated `<Directory>` then answers two loopback clients, one
//!   allowed and one denied; the commented example of `photoguard.conf`,
//!   uncommented, is loaded too, and the packaged tool checks the same
//!   config;
//! - `lintian` reports no error on any of the packages.
//!
//! Fails, naming `bash .ci/setup`, when cargo-deb, dpkg-dev, patchelf or
//! lintian is missing.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use support::{JANE, Options, Server, flavor};

const SETUP_HINT: &str = "install the packaging tools with `bash .ci/setup` (dpkg-dev, lintian, patchelf; cargo install cargo-deb --locked)";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const MODULE_PACKAGE: &str = "libapache2-mod-photoguard";
const DEV_PACKAGE: &str = "libphotoguard-dev";
const MODULE_PATH: &str = "/usr/lib/apache2/modules/mod_photoguard.so";

/// The built packages and the root they are unpacked into.
struct Packages {
    /// Package name -> .deb path.
    debs: Vec<(String, PathBuf)>,
    /// The three packages unpacked together (`dpkg-deb -x`).
    root: PathBuf,
    /// Package name -> its control files (`dpkg-deb -e`).
    control: PathBuf,
}

impl Packages {
    fn deb(&self, package: &str) -> &Path {
        &self
            .debs
            .iter()
            .find(|(name, _)| name == package)
            .unwrap_or_else(|| panic!("no package {package} among {:?}", self.debs))
            .1
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative.trim_start_matches('/'))
    }

    fn read(&self, relative: &str) -> String {
        let path = self.path(relative);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn field(&self, package: &str, field: &str) -> String {
        text(run(Command::new("dpkg-deb")
            .arg("-f")
            .arg(self.deb(package))
            .arg(field)))
        .trim()
        .to_string()
    }

    fn control_file(&self, package: &str, name: &str) -> Option<String> {
        fs::read_to_string(self.control.join(package).join(name)).ok()
    }

    /// The runtime library package: libphotoguard<ABI version>.
    fn runtime_package(&self) -> &str {
        self.debs
            .iter()
            .map(|(name, _)| name.as_str())
            .find(|name| name.starts_with("libphotoguard") && *name != DEV_PACKAGE)
            .expect("a libphotoguard runtime package")
    }

    fn tool(&self) -> Command {
        Command::new(self.path("usr/bin/photoguard"))
    }
}

fn packages() -> &'static Packages {
    static PACKAGES: OnceLock<Result<Packages, String>> = OnceLock::new();
    match PACKAGES.get_or_init(build_and_unpack) {
        Ok(packages) => packages,
        Err(message) => panic!("{message}"),
    }
}

fn tool_available(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn build_and_unpack() -> Result<Packages, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let missing: Vec<&str> = [
        ("cargo-deb", tool_available(&cargo, &["deb", "--version"])),
        ("dpkg-deb", tool_available("dpkg-deb", &["--version"])),
        (
            "dpkg-shlibdeps",
            tool_available("dpkg-shlibdeps", &["--version"]),
        ),
        ("patchelf", tool_available("patchelf", &["--version"])),
        ("lintian", tool_available("lintian", &["--version"])),
    ]
    .into_iter()
    .filter(|(_, found)| !found)
    .map(|(name, _)| name)
    .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the package test cannot run: {} missing; {SETUP_HINT}",
            missing.join(", ")
        ));
    }

    // Everything under target/tmp/packaging, replaced on each run.
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("packaging");
    let _ = fs::remove_dir_all(&work);
    let (out, root, control) = (work.join("debs"), work.join("root"), work.join("control"));
    for dir in [&out, &root, &control] {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/build-debs.sh");
    let built = Command::new("bash")
        .arg(&script)
        .arg(&out)
        .env("CARGO", &cargo)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !built.status.success() {
        return Err(format!(
            "{} failed ({}):\n{}",
            script.display(),
            built.status,
            String::from_utf8_lossy(&built.stderr)
        ));
    }
    let mut debs = Vec::new();
    for line in String::from_utf8_lossy(&built.stdout).lines() {
        let path = PathBuf::from(line.trim());
        let name = text(run(Command::new("dpkg-deb")
            .arg("-f")
            .arg(&path)
            .arg("Package")))
        .trim()
        .to_string();
        debs.push((name, path));
    }

    for (name, deb) in &debs {
        run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&root));
        run(Command::new("dpkg-deb")
            .arg("-e")
            .arg(deb)
            .arg(control.join(name)));
    }
    Ok(Packages {
        debs,
        root,
        control,
    })
}

/// Runs a command that must succeed; returns its output.
fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}; {SETUP_HINT}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn text(output: Output) -> String {
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// The files of a package (`dpkg-deb -c`), as absolute paths, links with
/// their targets.
fn listing(deb: &Path) -> BTreeSet<String> {
    text(run(Command::new("dpkg-deb").arg("-c").arg(deb)))
        .lines()
        .filter(|l| !l.starts_with('d'))
        .map(|l| {
            let path = l.split_once("./").expect("a path in dpkg-deb -c").1;
            format!("/{path}")
        })
        .collect()
}

fn gunzip(path: &Path) -> String {
    text(run(Command::new("gzip").arg("-dc").arg(path)))
}

/// The subcommands `photoguard --help` lists (`help` aside).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn module_package_holds_the_module_its_a2enmod_files_and_the_tool() {
    let p = packages();
    let deb = p.deb(MODULE_PACKAGE);
    assert_eq!(
        deb.file_name().unwrap().to_string_lossy(),
        format!("{MODULE_PACKAGE}_{VERSION}-1_amd64.deb")
    );
    assert_eq!(p.field(MODULE_PACKAGE, "Version"), format!("{VERSION}-1"));
    assert_eq!(p.field(MODULE_PACKAGE, "Section"), "httpd");
    let depends = p.field(MODULE_PACKAGE, "Depends");
    let depends: Vec<&str> = depends.split(',').map(str::trim).collect();
    assert!(depends.contains(&"apache2-api-20120211"), "{depends:?}");
    assert!(
        depends.iter().any(|d| d.starts_with("libc6 ")),
        "{depends:?}"
    );

    let files = listing(deb);
    for expected in [
        MODULE_PATH,
        "/etc/apache2/mods-available/photoguard.load",
        "/etc/apache2/mods-available/photoguard.conf",
        "/usr/bin/photoguard",
        "/usr/share/bash-completion/completions/photoguard",
        "/usr/share/zsh/vendor-completions/_photoguard",
        "/usr/share/doc/libapache2-mod-photoguard/copyright",
        "/usr/share/doc/libapache2-mod-photoguard/changelog.Debian.gz",
    ] {
        assert!(
            files.contains(expected),
            "{expected} missing from {files:#?}"
        );
    }
    let module = fs::read(p.path(MODULE_PATH)).unwrap();
    assert!(module.starts_with(b"\x7fELF"));
    assert!(module.windows(17).any(|w| w == b"photoguard_module"));

    assert_eq!(
        p.control_file(MODULE_PACKAGE, "conffiles")
            .unwrap_or_default(),
        "/etc/apache2/mods-available/photoguard.load\n/etc/apache2/mods-available/photoguard.conf\n"
    );
    assert_eq!(
        p.read("etc/apache2/mods-available/photoguard.load"),
        format!("LoadModule photoguard_module {MODULE_PATH}\n")
    );
    let conf = p.read("etc/apache2/mods-available/photoguard.conf");
    assert!(
        conf.lines()
            .all(|l| l.trim().is_empty() || l.starts_with('#')),
        "photoguard.conf is off by default: every line a comment\n{conf}"
    );
    assert!(
        conf.contains(
            "#        PhotoGuardAllowNetwork 10.20.16.0/20 10.30.64.0/21 172.16.128.0/22"
        )
    );

    // Enabled on installation and disabled on removal, as dh_apache2 does.
    for (script, line) in [
        ("postinst", "apache2_invoke enmod photoguard"),
        ("prerm", "apache2_invoke dismod photoguard"),
        ("postrm", "apache2_invoke dismod photoguard"),
    ] {
        let body = p
            .control_file(MODULE_PACKAGE, script)
            .unwrap_or_else(|| panic!("no {script}"));
        assert!(body.contains(line), "{script}: {body}");
        run(Command::new("sh")
            .arg("-n")
            .arg(p.control.join(MODULE_PACKAGE).join(script)));
    }
}

#[test]
fn man_pages_and_completions_cover_every_subcommand() {
    let p = packages();
    let help = text(run(p.tool().arg("--help")));
    let subcommands = subcommands(&help);
    for expected in ["check", "lint", "import-rewrite"] {
        assert!(subcommands.iter().any(|s| s == expected), "{help}");
    }
    // Every subcommand and every subcommand of one (`ltpa inspect`) has a page.
    let mut commands: Vec<Vec<String>> = Vec::new();
    for sub in &subcommands {
        commands.push(vec![sub.clone()]);
        let help = text(run(p.tool().arg(sub).arg("--help")));
        for nested in self::subcommands(&help) {
            commands.push(vec![sub.clone(), nested]);
        }
    }

    let man1 = p.path("usr/share/man/man1");
    let mut pages: Vec<String> = fs::read_dir(&man1)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = commands
        .iter()
        .map(|c| format!("photoguard-{}.1.gz", c.join("-")))
        .chain(["photoguard.1.gz".to_string()])
        .collect();
    expected.sort();
    assert_eq!(pages, expected);

    for command in &commands {
        let name = format!("photoguard-{}", command.join("-"));
        let page = gunzip(&man1.join(format!("{name}.1.gz")));
        assert!(page.contains(&format!(".TH {name} 1")), "{page}");
        assert!(
            page.contains(&format!("photoguard {}", command.join(" ")).replace('-', "\\-")),
            "{name}: the synopsis names the command:\n{page}"
        );
        assert!(page.contains(".SH \"EXIT STATUS\""), "{name}: {page}");
        for code in ["0", "1", "2"] {
            assert!(
                page.contains(&format!(".TP\n\\fB{code}\\fR")),
                "{name}: exit status {code} documented:\n{page}"
            );
        }
    }

    let top = gunzip(&man1.join("photoguard.1.gz"));
    assert!(top.contains(".TH photoguard 1"), "{top}");
    assert!(top.contains(".SH \"EXIT STATUS\""), "{top}");
    assert!(top.contains("NO_COLOR"), "{top}");
    for sub in &subcommands {
        assert!(
            top.contains(&format!("photoguard\\-{}(1)", sub.replace('-', "\\-"))),
            "photoguard(1) refers to photoguard-{sub}(1):\n{top}"
        );
    }
    assert!(
        !top.contains("generate"),
        "the packagers' subcommand stays hidden"
    );

    let bash = p.read("usr/share/bash-completion/completions/photoguard");
    assert!(bash.contains("complete -F _photoguard"), "{bash}");
    let zsh = p.read("usr/share/zsh/vendor-completions/_photoguard");
    assert!(zsh.starts_with("#compdef photoguard"), "{zsh}");
    for script in [&bash, &zsh] {
        for word in subcommands.iter().map(String::as_str).chain(["--config"]) {
            assert!(script.contains(word), "{word} completes");
        }
        assert!(!script.contains("generate"));
    }
    // bash accepts the script and registers the completion.
    let registered = text(run(Command::new("bash").arg("-c").arg(format!(
        "source {} && complete -p photoguard",
        p.path("usr/share/bash-completion/completions/photoguard")
            .display()
    ))));
    assert!(registered.contains("_photoguard"), "{registered}");
}

#[test]
fn the_unpacked_tool_runs_and_fits_the_shell() {
    let p = packages();
    let version = run(p.tool().arg("--version"));
    assert_eq!(text(version), format!("photoguard {VERSION}\n"));

    // A usage error: status 2, nothing on stdout, the error on stderr.
    let wrong = p.tool().arg("--no-such-option").output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(wrong.stdout.is_empty());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("--no-such-option"));
    // Not a terminal: no colour.
    assert!(!wrong.stderr.contains(&0x1b));

    // On a terminal (script(1) gives it one) clap colours its errors,
    // unless NO_COLOR is set.
    let on_terminal = |no_color: Option<&str>| {
        let mut command = Command::new("script");
        command.args(["-qec"]).arg(format!(
            "{} --no-such-option",
            p.path("usr/bin/photoguard").display()
        ));
        command.arg("/dev/null").env_remove("NO_COLOR");
        if let Some(value) = no_color {
            command.env("NO_COLOR", value);
        }
        let out = command.output().expect("script(1) from bsdutils");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = on_terminal(None);
    assert!(coloured.contains("\x1b["), "{coloured:?}");
    let plain = on_terminal(Some("1"));
    assert!(plain.contains("--no-such-option"), "{plain:?}");
    assert!(!plain.contains('\x1b'), "NO_COLOR=1: {plain:?}");
}

#[test]
fn library_packages_link_and_run_a_c_program() {
    let p = packages();
    let runtime = p.runtime_package();
    let multiarch = text(run(
        Command::new("dpkg-architecture").arg("-qDEB_HOST_MULTIARCH")
    ))
    .trim()
    .to_string();
    let abi = runtime.trim_start_matches("libphotoguard");
    let soname = format!("libphotoguard.so.{abi}");
    let libdir = format!("/usr/lib/{multiarch}");

    assert_eq!(p.field(runtime, "Section"), "libs");
    assert_eq!(p.field(runtime, "Multi-Arch"), "same");
    assert!(p.field(runtime, "Depends").contains("libc6"));
    assert_eq!(
        listing(p.deb(runtime)),
        BTreeSet::from([
            format!("{libdir}/{soname}"),
            format!("/usr/share/doc/{runtime}/changelog.Debian.gz"),
            format!("/usr/share/doc/{runtime}/copyright"),
        ])
    );
    assert_eq!(
        p.control_file(runtime, "shlibs").unwrap_or_default(),
        format!("libphotoguard {abi} {runtime} (>= {VERSION})\n")
    );
    assert_eq!(
        p.control_file(runtime, "triggers").unwrap_or_default(),
        "activate-noawait ldconfig\n"
    );
    let dynamic = text(run(Command::new("objdump")
        .arg("-p")
        .arg(p.path(&format!("{libdir}/{soname}")))));
    assert!(
        dynamic
            .lines()
            .any(|l| l.split_whitespace().eq(["SONAME", soname.as_str()])),
        "{dynamic}"
    );

    assert_eq!(p.field(DEV_PACKAGE, "Section"), "libdevel");
    assert_eq!(
        p.field(DEV_PACKAGE, "Depends"),
        format!("{runtime} (= {VERSION}-1)")
    );
    let files = listing(p.deb(DEV_PACKAGE));
    for expected in [
        "/usr/include/photoguard.h".to_string(),
        format!("{libdir}/libphotoguard.a"),
        format!("{libdir}/libphotoguard.so -> {soname}"),
        format!("{libdir}/pkgconfig/photoguard.pc"),
        "/usr/share/doc/libphotoguard-dev/copyright".to_string(),
    ] {
        assert!(
            files.contains(&expected),
            "{expected} missing from {files:#?}"
        );
    }
    assert_eq!(
        p.read("usr/include/photoguard.h"),
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/photoguard.h"))
            .unwrap(),
        "the packaged header is the checked-in one"
    );
    assert!(
        p.read(&format!("{libdir}/pkgconfig/photoguard.pc"))
            .contains(&format!("Version: {VERSION}"))
    );

    // -lphotoguard through the -dev link; run with the runtime's SONAME.
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("version.c");
    fs::write(
        &source,
        "#include <photoguard.h>\n#include <stdio.h>\nint main(void) { puts(photoguard_version()); return 0; }\n",
    )
    .unwrap();
    let program = dir.path().join("version");
    run(Command::new("cc")
        .arg(&source)
        .arg(format!("-I{}", p.path("usr/include").display()))
        .arg(format!("-L{}", p.path(&libdir).display()))
        .arg("-lphotoguard")
        .arg("-o")
        .arg(&program));
    let needed = text(run(Command::new("objdump").arg("-p").arg(&program)));
    assert!(
        needed.contains(&format!("NEEDED               {soname}")),
        "{needed}"
    );
    let ran = run(Command::new(&program).env("LD_LIBRARY_PATH", p.path(&libdir)));
    assert_eq!(text(ran), format!("{VERSION}\n"));
}

/// The commented example of photoguard.conf, uncommented: the lines from
/// `#<IfModule` to `#</IfModule>`, without their first `#`.
fn uncommented_example(conf: &str) -> String {
    let lines: Vec<&str> = conf.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("#<IfModule"))
        .expect("an example");
    let end = lines
        .iter()
        .position(|l| l.starts_with("#</IfModule>"))
        .expect("its end");
    lines[start..=end]
        .iter()
        .map(|l| format!("{}\n", l.strip_prefix('#').unwrap_or(l)))
        .collect()
}

#[test]
fn system_apache_loads_the_packaged_module_the_a2enmod_way() {
    let p = packages();
    let mut server = Server::prepare(Options::default());
    let root = server.dir().to_path_buf();

    // mods-available: the packaged files; the .load with the module's
    // standard path moved into the unpacked root, nothing else changed.
    let load = p.read("etc/apache2/mods-available/photoguard.load");
    assert_eq!(load.matches(MODULE_PATH).count(), 1, "{load}");
    let moved = load.replace(MODULE_PATH, &p.path(MODULE_PATH).display().to_string());
    server.write_file("mods-available/photoguard.load", &moved);
    server.write_file(
        "mods-available/photoguard.conf",
        &p.read("etc/apache2/mods-available/photoguard.conf"),
    );
    // mods-enabled: relative symlinks, as `a2enmod photoguard` makes them.
    fs::create_dir_all(root.join("mods-enabled")).unwrap();
    for file in ["photoguard.load", "photoguard.conf"] {
        symlink(
            format!("../mods-available/{file}"),
            root.join("mods-enabled").join(file),
        )
        .unwrap();
    }
    server.write_file(
        "conf-available/photo-example.conf",
        &uncommented_example(&p.read("etc/apache2/mods-available/photoguard.conf")),
    );

    let f = flavor();
    let mpm = format!("{:?}", f.available_mpms()[0]).to_lowercase();
    let mut modules = f.load(&format!("mpm_{mpm}_module"), &format!("mod_mpm_{mpm}.so"));
    modules += &f.load("authz_core_module", "mod_authz_core.so");
    if !f.is_builtin("mod_log_config.c") {
        modules += &f.load("log_config_module", "mod_log_config.so");
    }
    let user = if text(run(Command::new("id").arg("-u"))).trim() == "0" {
        "User www-data\nGroup www-data\n"
    } else {
        ""
    };
    let config = format!(
        "ServerRoot \"{{dir}}\"
ServerName 127.0.0.1
Listen 127.0.0.1:{{port}}
PidFile \"{{dir}}/run/httpd.pid\"
DefaultRuntimeDir \"{{dir}}/run\"
Mutex file:{{dir}}/run default
ErrorLog \"{{dir}}/logs/error.log\"
LogLevel warn
StartServers 1
{user}{modules}
# As Debian's apache2.conf: the enabled modules' .load files, then their .conf.
IncludeOptional mods-enabled/*.load
IncludeOptional mods-enabled/*.conf

# The example of photoguard.conf, uncommented (it logs to ${{APACHE_LOG_DIR}}).
Define APACHE_LOG_DIR \"{{dir}}/logs\"
Include conf-available/photo-example.conf

LogFormat \"%a|%s|%U|%{{PHOTOGUARD_DECISION}}e|%{{PHOTOGUARD_REASON}}e\" test
CustomLog \"{{dir}}/logs/access.log\" test
DocumentRoot \"{{docs}}\"
<Directory \"{{docs}}\">
    {}
    PhotoGuard On
    PhotoGuardAllowNetwork 127.0.16.0/20
</Directory>
",
        f.grant_all(),
    );
    server.write_file("httpd.conf", &server.expand(&config));
    let (ok, said) = server.config_test();
    assert!(ok, "apache2 -t: {said}");
    server.launch();

    let allowed = server.get(JANE).from("127.0.16.5").send();
    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.body, "JPEG jane.doe@example.com.jpg\n");
    let denied = server.get(JANE).from("127.0.0.1").send();
    assert_eq!(denied.status, 403);
    assert!(!denied.body.contains("JPEG"));
    let log = server.access_log(2);
    let decisions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.client.as_str(), e.decision.as_str()))
        .collect();
    assert_eq!(decisions, [("127.0.16.5", "allow"), ("127.0.0.1", "deny")]);
    assert!(
        log[0]
            .reason
            .starts_with("network 127.0.16.0/20 (httpd.conf:"),
        "{log:?}"
    );
    assert!(
        server
            .error_log()
            .contains("photoguard: denied client 127.0.0.1")
    );

    // The packaged tool reads the same config as Apache, a2enmod layout and all.
    let config_file = server.path("httpd.conf");
    let check = |args: &[&str]| {
        let out = p
            .tool()
            .arg("check")
            .arg("--config")
            .arg(&config_file)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, said) = check(&["--scope", JANE, "--ip", "127.0.0.1"]);
    assert_eq!((code, said.starts_with("deny")), (Some(1), true), "{said}");
    let (code, said) = check(&["--scope", JANE, "--ip", "127.0.16.5"]);
    assert_eq!(
        (code, said.starts_with("allow: network 127.0.16.0/20")),
        (Some(0), true),
        "{said}"
    );
    // The example: the photo host's policy, in report mode.
    let photo = ["--file", "/srv/photos/jane.doe@example.com.jpg"];
    let (code, said) = check(&[&photo[..], &["--ip", "10.20.16.5"]].concat());
    assert_eq!(
        (code, said.starts_with("allow: network 10.20.16.0/20")),
        (Some(0), true),
        "{said}"
    );
    let (code, said) = check(&[&photo[..], &["--ip", "203.0.113.9"]].concat());
    assert_eq!(
        (code, said.starts_with("would-deny")),
        (Some(0), true),
        "{said}"
    );
    let lint = p
        .tool()
        .arg("lint")
        .arg("-c")
        .arg(&config_file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&lint.stdout);
    assert_eq!(lint.status.code(), Some(1), "only warnings: {said}");
    assert!(said.contains("0 error(s)"), "{said}");
    assert!(
        said.contains("report"),
        "the example's report mode is pointed out: {said}"
    );

    server.stop();
}

#[test]
fn lintian_finds_no_errors() {
    let p = packages();
    let mut command = Command::new("lintian");
    command
        .args(["--fail-on", "error", "--tag-display-limit", "0"])
        .args(p.debs.iter().map(|(_, deb)| deb));
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run lintian: {e}; {SETUP_HINT}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let errors: Vec<&str> = said.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(
        out.status.success() && errors.is_empty(),
        "lintian errors:\n{said}"
    );
    eprintln!("lintian:\n{said}");
}
