//! A real Apache httpd for the integration tests (`tests/apache_*.rs`).
//!
//! Each [`Server`] gets its own temp directory (config, document root,
//! logs, lock files), a free port on 127.0.0.1 (and `[::1]`), runs httpd in
//! the foreground as a child process with the built photoguard module, and
//! stops it when dropped (then checks its error log for crashed children).
//! Clients bind to chosen loopback source addresses.
//!
//! Which Apache, by environment variable:
//! - `PHOTOGUARD_HTTPD`: the httpd binary (default `/usr/sbin/apache2`, Debian's
//!   2.4; e.g. `/opt/httpd22/bin/httpd` for 2.2). Its version decides the
//!   config dialect (2.2: `Order`/`Allow`, `LockFile`, `MaxClients`).
//! - `PHOTOGUARD_APACHE_MODULES`: its modules directory (default: Debian's
//!   `/usr/lib/apache2/modules` for 2.4, else `<httpd>/../modules`).
//! - `PHOTOGUARD_MODULE`: the photoguard .so (default: the
//!   `libmod_photoguard.so` cargo built next to this test, i.e. for the headers
//!   `APXS` named when the tests were built).
//!
//! Against 2.2: `APXS=/opt/httpd22/bin/apxs PHOTOGUARD_HTTPD=/opt/httpd22/bin/httpd
//! cargo test --target-dir target/apache22 --test 'apache_*'`.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const INSTALL_HINT: &str = "install Apache and its headers with `bash .ci/setup` (or `apt-get install apache2 apache2-dev`), then rebuild";

/// How long to wait for httpd to come up, restart or answer.
const PATIENCE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V22,
    V24,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mpm {
    Prefork,
    Event,
}

impl Mpm {
    fn name(self) -> &'static str {
        match self {
            Mpm::Prefork => "prefork",
            Mpm::Event => "event",
        }
    }
}

/// The Apache under test.
#[derive(Debug)]
pub struct Flavor {
    pub httpd: PathBuf,
    pub version: Version,
    pub modules: PathBuf,
    pub module_so: PathBuf,
    /// The MPM compiled into httpd, if any (2.2 builds have one; Debian's
    /// 2.4 loads it as a module).
    pub builtin_mpm: Option<Mpm>,
    builtin_modules: String,
}

pub fn flavor() -> &'static Flavor {
    static FLAVOR: OnceLock<Flavor> = OnceLock::new();
    FLAVOR.get_or_init(Flavor::detect)
}

impl Flavor {
    fn detect() -> Flavor {
        let httpd = std::env::var_os("PHOTOGUARD_HTTPD")
            .map(PathBuf::from)
            .unwrap_or_else(|| "/usr/sbin/apache2".into());
        assert!(
            httpd.is_file(),
            "Apache httpd not found at {} (set PHOTOGUARD_HTTPD to another httpd); {INSTALL_HINT}",
            httpd.display()
        );
        let version_text = run_text(Command::new(&httpd).arg("-v"));
        let version = if version_text.contains("Apache/2.2.") {
            Version::V22
        } else if version_text.contains("Apache/2.4.") {
            Version::V24
        } else {
            panic!(
                "{} -v says {version_text:?}: photoguard's tests know Apache 2.2 and 2.4",
                httpd.display()
            )
        };
        let builtin_modules = run_text(Command::new(&httpd).arg("-l"));
        let builtin_mpm = [Mpm::Prefork, Mpm::Event]
            .into_iter()
            .find(|m| builtin_modules.contains(&format!("{}.c", m.name())));
        let modules = std::env::var_os("PHOTOGUARD_APACHE_MODULES")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let debian = PathBuf::from("/usr/lib/apache2/modules");
                if version == Version::V24 && debian.is_dir() {
                    debian
                } else {
                    httpd
                        .parent()
                        .and_then(Path::parent)
                        .map(|root| root.join("modules"))
                        .unwrap_or(debian)
                }
            });
        let module_so = std::env::var_os("PHOTOGUARD_MODULE")
            .map(PathBuf::from)
            .unwrap_or_else(built_module);
        check_module(&module_so, version);
        Flavor {
            httpd,
            version,
            modules,
            module_so,
            builtin_mpm,
            builtin_modules,
        }
    }

    /// The MPMs a test can run with: what is compiled in, or both for a
    /// modular (2.4) build.
    pub fn available_mpms(&self) -> Vec<Mpm> {
        match self.builtin_mpm {
            Some(mpm) => vec![mpm],
            None => vec![Mpm::Prefork, Mpm::Event],
        }
    }

    /// Whether one of httpd's modules is compiled in (`httpd -l`).
    pub fn is_builtin(&self, source_file: &str) -> bool {
        self.builtin_modules
            .lines()
            .any(|l| l.trim() == source_file)
    }

    /// Grants every request at the HTTP-auth layer, in this version's dialect.
    pub fn grant_all(&self) -> &'static str {
        match self.version {
            Version::V24 => "Require all granted",
            Version::V22 => "Order allow,deny\n    Allow from all",
        }
    }

    /// Denies every request at the HTTP-auth layer, in this version's dialect.
    pub fn deny_all(&self) -> &'static str {
        match self.version {
            Version::V24 => "Require all denied",
            Version::V22 => "Order deny,allow\n    Deny from all",
        }
    }

    /// Turns on photoguard's debug messages (the allow lines).
    pub fn debug_log_level(&self) -> &'static str {
        match self.version {
            Version::V24 => "LogLevel warn photoguard:debug",
            Version::V22 => "LogLevel debug",
        }
    }

    /// A `LoadModule` line for one of httpd's own modules.
    pub fn load(&self, name: &str, file: &str) -> String {
        format!(
            "LoadModule {name} \"{}\"\n",
            self.modules.join(file).display()
        )
    }
}

/// `libmod_photoguard.so` next to the test binary (target/<profile>/deps/):
/// `cargo test` builds the library's cdylib there, with the same profile and
/// `APXS` as the test itself.
fn built_module() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .expect("the test binary sits in target/<profile>/deps")
        .join("libmod_photoguard.so")
}

/// The module exists, was built with Apache support, and for this version.
fn check_module(so: &Path, version: Version) {
    let bytes = fs::read(so).unwrap_or_else(|e| panic!("the photoguard module {} cannot be read ({e}); build it with `cargo build` ({INSTALL_HINT})", so.display()));
    let has = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        has("photoguard_module"),
        "{} has no photoguard_module: build.rs found no Apache headers when it was built; {INSTALL_HINT}",
        so.display()
    );
    let built_for = if has("ap_hook_check_access") {
        Version::V24
    } else {
        Version::V22
    };
    assert_eq!(
        built_for,
        version,
        "{} was built for Apache {built_for:?} but the httpd under test is {version:?}; build with APXS pointing at that server's apxs \
         (e.g. APXS=/opt/httpd22/bin/apxs cargo test --target-dir target/apache22)",
        so.display()
    );
}

fn run_text(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}; {INSTALL_HINT}"));
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What a test asks for besides its own config text.
#[derive(Debug, Clone)]
pub struct Options {
    pub mpm: Mpm,
    /// Also listen on `[::1]`.
    pub ipv6: bool,
    /// Listen on `[::]` (dual stack) instead of 127.0.0.1 and [::1].
    pub dual_stack: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            mpm: flavor().builtin_mpm.unwrap_or(Mpm::Event),
            ipv6: true,
            dual_stack: false,
        }
    }
}

/// A running httpd. Stopped (SIGTERM, then checked for crashes) on drop.
pub struct Server {
    dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
    options: Options,
    /// The test's own config text, kept to rewrite the config on a new port.
    site: std::cell::RefCell<String>,
}

impl Server {
    /// Starts httpd with the base config plus `site` (see [`Server::write_config`]).
    pub fn start(site: &str) -> Server {
        Server::start_with(Options::default(), site)
    }

    pub fn start_with(options: Options, site: &str) -> Server {
        let mut server = Server::prepare(options);
        server.write_config(site);
        server.launch();
        server
    }

    /// A temp dir with the document root and its sample photos, no httpd yet.
    pub fn prepare(options: Options) -> Server {
        let dir = tempfile::Builder::new()
            .prefix("photoguard-apache-")
            .tempdir_in("/tmp")
            .expect("a temp dir in /tmp");
        let server = Server {
            port: free_port(options.ipv6),
            dir,
            child: None,
            options,
            site: Default::default(),
        };
        for sub in ["docs", "logs", "run"] {
            fs::create_dir_all(server.path(sub)).unwrap();
        }
        for photo in ["jane.doe@example.com.jpg", "john.smith@example.com.jpg"] {
            server.write_file(&format!("docs/{photo}"), &format!("JPEG {photo}\n"));
        }
        server.write_file("docs/index.html", "<h1>photos</h1>\n");
        server
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn docs(&self) -> PathBuf {
        self.path("docs")
    }

    /// Writes a file under the server's directory, readable by the `User`
    /// httpd's children run as (they read `.htaccess` and the photos).
    pub fn write_file(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        make_world_readable(self.dir.path(), &path);
    }

    /// Writes `httpd.conf`: the base config (listeners, logs, modules, the
    /// access log format with PHOTOGUARD_DECISION/REASON) followed by `site`,
    /// in which `{docs}`, `{dir}` and `{port}` are replaced.
    pub fn write_config(&self, site: &str) -> PathBuf {
        self.site.replace(site.to_string());
        let text = format!(
            "{}\n# ---- the test's own config ----\n{}\n",
            self.base_config(),
            self.expand(site)
        );
        self.write_file("httpd.conf", &text);
        self.path("httpd.conf")
    }

    pub fn expand(&self, text: &str) -> String {
        text.replace("{docs}", &self.docs().display().to_string())
            .replace("{dir}", &self.dir().display().to_string())
            .replace("{port}", &self.port.to_string())
    }

    fn base_config(&self) -> String {
        let f = flavor();
        let dir = self.dir().display().to_string();
        let port = self.port;
        let mut c = String::new();
        let _ = writeln!(
            c,
            "ServerRoot \"{dir}\"\nServerName 127.0.0.1\nPidFile \"{dir}/run/httpd.pid\""
        );
        if self.options.dual_stack {
            let _ = writeln!(c, "Listen [::]:{port}");
        } else {
            let _ = writeln!(c, "Listen 127.0.0.1:{port}");
            if self.options.ipv6 {
                let _ = writeln!(c, "Listen [::1]:{port}");
            }
        }
        let _ = writeln!(
            c,
            "ErrorLog \"{dir}/logs/error.log\"\nLogLevel warn\nTimeout 20"
        );
        match f.version {
            Version::V24 => {
                let _ = writeln!(
                    c,
                    "DefaultRuntimeDir \"{dir}/run\"\nMutex file:{dir}/run default"
                );
            }
            Version::V22 => {
                let _ = writeln!(
                    c,
                    "LockFile \"{dir}/run/accept.lock\"\nScoreBoardFile \"{dir}/run/scoreboard\""
                );
            }
        }
        if f.builtin_mpm.is_none() {
            let mpm = self.options.mpm.name();
            c += &f.load(&format!("mpm_{mpm}_module"), &format!("mod_mpm_{mpm}.so"));
        }
        match f.version {
            Version::V24 => c += &f.load("authz_core_module", "mod_authz_core.so"),
            Version::V22 => c += &f.load("authz_host_module", "mod_authz_host.so"),
        }
        if !f.is_builtin("mod_log_config.c") {
            c += &f.load("log_config_module", "mod_log_config.so");
        }
        let _ = writeln!(
            c,
            "LoadModule photoguard_module \"{}\"",
            f.module_so.display()
        );
        if running_as_root() {
            c += "User www-data\nGroup www-data\n";
        }
        // Few processes: tests run in parallel on a small machine.
        match (self.options.mpm, f.version) {
            (Mpm::Prefork, Version::V22) => {
                c += "StartServers 2\nMinSpareServers 1\nMaxSpareServers 3\nMaxClients 8\n"
            }
            (Mpm::Prefork, Version::V24) => {
                c += "StartServers 2\nMinSpareServers 1\nMaxSpareServers 3\nMaxRequestWorkers 8\n"
            }
            (Mpm::Event, _) => {
                c += "StartServers 1\nServerLimit 4\nThreadsPerChild 4\nMinSpareThreads 4\nMaxSpareThreads 8\nMaxRequestWorkers 16\n"
            }
        }
        let _ = writeln!(
            c,
            "LogFormat \"%a|%s|%U|%{{PHOTOGUARD_DECISION}}e|%{{PHOTOGUARD_REASON}}e\" photoguard\n\
             CustomLog \"{dir}/logs/access.log\" photoguard\n\
             DocumentRoot \"{dir}/docs\"\n\
             <Directory />\n    AllowOverride None\n    {}\n</Directory>",
            f.grant_all()
        );
        c
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&flavor().httpd);
        // Its own process group: httpd signals its whole group (prefork on
        // restart and shutdown), which must not include the test runner.
        command.process_group(0);
        command
            .arg("-f")
            .arg(self.path("httpd.conf"))
            .arg("-d")
            .arg(self.dir());
        command
    }

    /// `httpd -t` on the current config: (syntax ok, what httpd printed).
    pub fn config_test(&self) -> (bool, String) {
        let out = self.command().arg("-t").output().expect("run httpd -t");
        (out.status.success(), output_text(&out))
    }

    /// `httpd <args>` with the current config (e.g. `-L`).
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run httpd")
    }

    /// Starts httpd in the foreground as our child and waits for its port.
    /// The port was free when chosen, but another process (a test client's
    /// ephemeral port) may take it before httpd binds; then it retries on a
    /// new port.
    pub fn launch(&mut self) {
        for attempt in 1..=3 {
            match self.try_launch() {
                Ok(()) => return,
                Err(logs) if attempt < 3 && logs.contains("Address already in use") => {
                    self.port = free_port(self.options.ipv6);
                    let site = self.site.borrow().clone();
                    self.write_config(&site);
                }
                Err(logs) => panic!("{logs}"),
            }
        }
    }

    fn try_launch(&mut self) -> Result<(), String> {
        let child = self
            .command()
            .arg("-DFOREGROUND")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                fs::File::create(self.path("logs/stderr.log")).unwrap(),
            ))
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {}: {e}; {INSTALL_HINT}",
                    flavor().httpd.display()
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                return Err(format!(
                    "httpd exited at startup ({status}):\n{}\n{}",
                    self.stderr_log(),
                    self.error_log()
                ));
            }
            // Ready once the parent says so (before that a signal such as a
            // graceful restart's USR1 would kill it) and the port answers.
            let listening = || {
                TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                    || TcpStream::connect(("::1", self.port)).is_ok()
            };
            if self.generations() >= 1 && listening() {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "httpd did not open port {} in time:\n{}",
                self.port,
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts httpd expecting it to refuse (e.g. an error in post_config):
    /// waits for it to exit and returns what it printed and logged. Fails
    /// (after stopping it) if it starts.
    pub fn start_fails(&self) -> String {
        let mut child = self
            .command()
            .arg("-DFOREGROUND")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                fs::File::create(self.path("logs/stderr.log")).unwrap(),
            ))
            .spawn()
            .expect("start httpd");
        let deadline = Instant::now() + PATIENCE;
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline || self.generations() >= 1 {
                signal(child.id(), "TERM");
                let _ = child.wait();
                panic!(
                    "httpd started, expected it to refuse:\n{}",
                    self.error_log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        format!("{}{}", self.stderr_log(), self.error_log())
    }

    /// The httpd parent's pid.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("httpd is running").id()
    }

    /// Rewrites the config with `site` and does a graceful restart (SIGUSR1),
    /// returning once the parent says it runs the new configuration.
    pub fn graceful_restart(&self, site: &str) {
        self.write_config(site);
        self.graceful();
    }

    pub fn graceful(&self) {
        let before = self.generations();
        signal(self.pid(), "USR1");
        let deadline = Instant::now() + PATIENCE;
        while self.generations() <= before {
            assert!(
                Instant::now() < deadline,
                "httpd did not finish a graceful restart:\n{}",
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How many times the parent has said it (re)configured.
    fn generations(&self) -> usize {
        self.error_log()
            .matches("resuming normal operations")
            .count()
    }

    /// A GET request builder for `path`.
    pub fn get(&self, path: &str) -> RequestBuilder<'_> {
        RequestBuilder {
            server: self,
            path: path.to_string(),
            from: None,
            headers: Vec::new(),
        }
    }

    pub fn error_log(&self) -> String {
        fs::read_to_string(self.path("logs/error.log")).unwrap_or_default()
    }

    fn stderr_log(&self) -> String {
        fs::read_to_string(self.path("logs/stderr.log")).unwrap_or_default()
    }

    /// The access log's entries, waiting until there are at least `count`
    /// (httpd logs a request just after answering it).
    pub fn access_log(&self, count: usize) -> Vec<AccessEntry> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = fs::read_to_string(self.path("logs/access.log")).unwrap_or_default();
            let entries: Vec<AccessEntry> = text.lines().map(AccessEntry::parse).collect();
            if entries.len() >= count || Instant::now() > deadline {
                return entries;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The parent's resident memory in KiB.
    pub fn parent_rss_kib(&self) -> u64 {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("httpd's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc status")
    }

    /// Error-log lines that mean a child died of a signal or crashed.
    pub fn crash_lines(&self) -> Vec<String> {
        self.error_log()
            .lines()
            .filter(|l| {
                [
                    "exit signal",
                    "Segmentation fault",
                    "segfault",
                    "Aborted",
                    "panicked",
                ]
                .iter()
                .any(|bad| l.contains(bad))
            })
            .map(str::to_string)
            .collect()
    }

    /// Stops httpd (SIGTERM) and waits for it; asserts no child crashed.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        signal(child.id(), "TERM");
        let deadline = Instant::now() + PATIENCE;
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if !std::thread::panicking() {
            let crashes = self.crash_lines();
            assert!(
                crashes.is_empty(),
                "httpd children crashed:\n{}",
                crashes.join("\n")
            );
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            // Keep the evidence of a failed test.
            let kept = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap()).keep();
            eprintln!("httpd's files kept in {}", kept.display());
        }
    }
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid} failed");
}

fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("Uid:")
                    .map(|v| v.split_whitespace().nth(1) == Some("0"))
            })
        })
        .unwrap_or(false)
}

/// Makes `path` and its directories up to `root` readable (and searchable)
/// by everybody: httpd's children run as www-data.
/// A directory httpd's children (running as `User`) may write to, such as a
/// cache root.
#[allow(dead_code)]
pub fn make_world_writable(dir: &Path) {
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o1777));
}

fn make_world_readable(root: &Path, path: &Path) {
    for p in path.ancestors() {
        let mode = if p.is_dir() { 0o755 } else { 0o644 };
        let _ = fs::set_permissions(p, fs::Permissions::from_mode(mode));
        if p == root {
            break;
        }
    }
}

/// A port free on 127.0.0.1 (and [::1]) right now.
fn free_port(ipv6: bool) -> u16 {
    loop {
        let v4 = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = v4.local_addr().unwrap().port();
        if !ipv6 || TcpListener::bind(("::1", port)).is_ok() {
            return port;
        }
    }
}

pub struct RequestBuilder<'s> {
    server: &'s Server,
    path: String,
    from: Option<IpAddr>,
    headers: Vec<(String, String)>,
}

impl RequestBuilder<'_> {
    /// The client's source address: any 127.0.0.0/8 address, or ::1.
    pub fn from(mut self, address: &str) -> Self {
        let ip: IpAddr = address.parse().expect("a client address");
        assert!(
            ip.is_loopback(),
            "tests use loopback addresses only, not {ip}"
        );
        self.from = Some(ip);
        self
    }

    /// Adds a header line (repeat a name for repeated lines).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn cookie(self, value: &str) -> Self {
        self.header("Cookie", value)
    }

    pub fn send(self) -> Response {
        let from = self.from.unwrap_or("127.0.0.1".parse().unwrap());
        let mut stream = connect_from(from, self.server.port);
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut request = format!(
            "GET {} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n",
            self.path, self.server.port
        );
        for (name, value) in &self.headers {
            let _ = write!(request, "{name}: {value}\r\n");
        }
        request += "\r\n";
        stream
            .write_all(request.as_bytes())
            .expect("send the request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read the response");
        Response::parse(&raw)
    }
}

/// A TCP connection to the server from `from` (bound before connecting).
fn connect_from(from: IpAddr, port: u16) -> TcpStream {
    let target: SocketAddr = match from {
        IpAddr::V4(_) => ([127, 0, 0, 1], port).into(),
        IpAddr::V6(_) => (Ipv6Addr::LOCALHOST, port).into(),
    };
    let domain = socket2::Domain::for_address(target);
    let socket =
        socket2::Socket::new(domain, socket2::Type::STREAM, None).expect("a client socket");
    socket
        .bind(&SocketAddr::new(from, 0).into())
        .unwrap_or_else(|e| panic!("bind the client to {from}: {e}"));
    socket
        .connect(&target.into())
        .unwrap_or_else(|e| panic!("connect from {from} to {target}: {e}"));
    socket.into()
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    fn parse(raw: &[u8]) -> Response {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status_line = lines.next().unwrap_or("");
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        Response {
            status,
            headers,
            body: body.to_string(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One access-log line: `%a|%s|%U|%{PHOTOGUARD_DECISION}e|%{PHOTOGUARD_REASON}e`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry {
    pub client: String,
    pub status: String,
    pub path: String,
    pub decision: String,
    pub reason: String,
}

impl AccessEntry {
    fn parse(line: &str) -> AccessEntry {
        let mut parts = line.splitn(5, '|').map(str::to_string);
        let mut next = || parts.next().unwrap_or_default();
        AccessEntry {
            client: next(),
            status: next(),
            path: next(),
            decision: next(),
            reason: next(),
        }
    }
}

/// The seed policy of the photo host, rewritten to loopback ranges:
/// networks 127.0.16.0/20, 127.30.64.0/21, 127.172.128.0/22 (the office and
/// VPN ranges), the proxy host 127.0.2.10; cookies LtpaToken2, LtpaToken,
/// STPluginActivePage=stMeetingroom; deny by redirect to the home page.
pub const SEED_POLICY: &str = "PhotoGuard On
    PhotoGuardAllowNetwork 127.0.16.0/20 127.30.64.0/21
    PhotoGuardAllowNetwork 127.172.128.0/22
    PhotoGuardAllowNetwork 127.0.2.10
    PhotoGuardAllowCookie LtpaToken2 LtpaToken STPluginActivePage=stMeetingroom
    PhotoGuardDenyAction redirect https://www.example.com/";

/// `SEED_POLICY` on the document root.
pub fn seed_site() -> String {
    format!("<Directory \"{{docs}}\">\n    {SEED_POLICY}\n</Directory>\n")
}

pub const JANE: &str = "/jane.doe@example.com.jpg";
