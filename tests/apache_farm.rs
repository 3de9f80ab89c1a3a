//! A farm: two real Apache 2.4 servers that count a client's requests
//! together through `PhotoGuardLimitStore socache` (Debian's memcached and
//! redis-server, started here on free loopback ports), and keep serving on
//! their own counts when the store goes down. On Apache 2.2 (no socache),
//! `socache` stops the server at startup with a clear message.
//!
//! Needs Apache (tests/support/mod.rs), memcached and redis-server
//! (`bash .ci/setup` installs them). `cargo test --test apache_farm --
//! --ignored --nocapture guard_store_cost` measures what a counted request
//! costs with each store (BENCHMARKS.md, "Guard stores").

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{JANE, Mpm, Options, Server, Version, flavor};

const MEETING: &str = "STPluginActivePage=stMeetingroom";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Memcache,
    Redis,
}

impl Kind {
    fn provider(self) -> &'static str {
        match self {
            Kind::Memcache => "memcache",
            Kind::Redis => "redis",
        }
    }

    fn program(self) -> &'static str {
        match self {
            Kind::Memcache => "memcached",
            Kind::Redis => "redis-server",
        }
    }
}

/// memcached or redis-server on a free port of 127.0.0.1, our child,
/// killed when dropped.
struct Daemon {
    kind: Kind,
    port: u16,
    child: Option<Child>,
}

impl Daemon {
    fn start(kind: Kind) -> Daemon {
        let program = find_program(kind.program());
        for _ in 0..3 {
            let port = free_port();
            let mut command = Command::new(&program);
            match kind {
                Kind::Memcache => {
                    command.args(["-l", "127.0.0.1", "-p", &port.to_string(), "-U", "0"]);
                    // memcached refuses to run as root without -u.
                    if running_as_root() {
                        command.args(["-u", "nobody"]);
                    }
                }
                Kind::Redis => {
                    command.args([
                        "--port",
                        &port.to_string(),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                    ]);
                }
            }
            let child = command
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
            let mut daemon = Daemon {
                kind,
                port,
                child: Some(child),
            };
            if daemon.wait_until_listening() {
                return daemon;
            }
            // The port was taken between choosing and binding: another one.
            daemon.stop();
        }
        panic!("{} did not start listening", kind.program());
    }

    fn wait_until_listening(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                eprintln!("{} exited: {status}", self.kind.program());
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// `PROVIDER:127.0.0.1:PORT`, as `PhotoGuardLimitStore socache` takes it.
    fn spec(&self) -> String {
        format!("{}:127.0.0.1:{}", self.kind.provider(), self.port)
    }

    /// Kills the daemon (our own child, by its pid) and waits for it.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The program on PATH (or in /usr/bin, /usr/sbin), or a failure that
/// says how to install it: a missing store must not skip the farm tests.
fn find_program(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin".into(), "/usr/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} is not installed: the farm tests need memcached and redis-server; run `bash .ci/setup`")
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a loopback port")
        .local_addr()
        .unwrap()
        .port()
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("Uid:")
                    .map(|v| v.split_whitespace().nth(1) == Some("0"))
            })
        })
        .unwrap_or(false)
}

/// One server of the farm: its MPM with several processes, the socache
/// provider's module and the store (the policy: [`photos_conf`]).
fn farm_site(kind: Kind, store: &str, mpm: Mpm) -> String {
    site_with_store(kind, &format!("socache {store}"), mpm)
}

/// `PhotoGuardLimitStore STORE` (with `kind`'s provider module loaded). The
/// policy is in an included `photos.conf`, as a farm shares it: a limit's
/// key in the store comes from its file name, line and arguments, so every
/// server must define it at the same place.
fn site_with_store(kind: Kind, store: &str, mpm: Mpm) -> String {
    let processes = match mpm {
        Mpm::Prefork => "StartServers 4\nMinSpareServers 4\nMaxSpareServers 6\n",
        Mpm::Event => {
            "StartServers 2\nServerLimit 4\nThreadsPerChild 4\nMinSpareThreads 8\nMaxSpareThreads 16\n"
        }
    };
    let module = kind.provider();
    format!(
        "{processes}{load}PhotoGuardLimitStore {store}
KeepAlive On
MaxKeepAliveRequests 0
Include \"{{dir}}/photos.conf\"
",
        load = flavor().load(
            &format!("socache_{module}_module"),
            &format!("mod_socache_{module}.so")
        ),
    )
}

/// The farm's shared policy file: `limit` on the meeting-room cookie, and
/// `not_found` (COUNT/PERIOD) 404s, if any.
fn photos_conf(limit: &str, not_found: Option<&str>) -> String {
    let not_found = not_found
        .map(|rate| format!("    PhotoGuardLimitNotFound {rate}\n"))
        .unwrap_or_default();
    format!(
        "<Directory \"{{docs}}\">
    PhotoGuard On
    PhotoGuardAllowNetwork 127.0.16.0/20
    PhotoGuardAllowCookie {MEETING}
    PhotoGuardLimit {limit} cookie
{not_found}</Directory>
"
    )
}

/// Starts a server of the farm with its `photos.conf`.
fn start_member(mpm: Mpm, site: &str, photos_conf: &str) -> Server {
    let mut server = Server::prepare(Options {
        mpm,
        ..Options::default()
    });
    server.write_file("photos.conf", &server.expand(photos_conf));
    server.write_config(site);
    server.launch();
    server
}

fn two_servers(daemon: &Daemon) -> (Server, Server) {
    let start = |mpm| {
        start_member(
            mpm,
            &farm_site(daemon.kind, &daemon.spec(), mpm),
            &photos_conf("30/10m", Some("5/10m")),
        )
    };
    (start(Mpm::Prefork), start(Mpm::Event))
}

fn get(server: &Server, client: &str) -> u16 {
    server.get(JANE).from(client).cookie(MEETING).send().status
}

/// The lines the module wrote about the store (not the startup notice).
fn store_lines(server: &Server) -> Vec<String> {
    server
        .error_log()
        .lines()
        .filter(|l| l.contains("the limit store"))
        .map(str::to_string)
        .collect()
}

fn farm_counts_together_and_survives_the_store(kind: Kind) {
    let mut daemon = Daemon::start(kind);
    let (a, b) = two_servers(&daemon);
    for server in [&a, &b] {
        let log = server.error_log();
        assert!(
            log.contains(&format!(
                "limit counts shared through socache {}",
                daemon.spec()
            )),
            "{kind:?}: the startup notice names the store:\n{log}"
        );
    }

    // 20 requests to one server and 11 to the other: the 31st is limited.
    let client = "127.9.9.9";
    for n in 1..=20 {
        assert_eq!(get(&a, client), 200, "{kind:?}: request {n} on server A");
    }
    for n in 21..=30 {
        assert_eq!(get(&b, client), 200, "{kind:?}: request {n} on server B");
    }
    let limited = b.get(JANE).from(client).cookie(MEETING).send();
    assert_eq!(limited.status, 429, "{kind:?}: the 31st request, on B");
    assert!(limited.header("Retry-After").is_some(), "{kind:?}");
    let entry = b.access_log(11).pop().unwrap();
    assert_eq!(entry.decision, "limited", "{kind:?}: {entry:?}");
    assert!(
        entry.reason.ends_with("): 31st request"),
        "{kind:?}: {entry:?}"
    );
    // A knows of them too, and another client is not affected.
    assert_eq!(get(&a, client), 429, "{kind:?}: the 32nd, on A");
    assert_eq!(get(&a, "127.9.9.10"), 200, "{kind:?}: another client");
    assert_eq!(get(&b, "127.9.9.10"), 200, "{kind:?}: another client");
    // A graceful restart makes a new provider instance; the counts stay in
    // the store (A's own table knows of only 21 requests).
    a.graceful();
    assert_eq!(get(&a, client), 429, "{kind:?}: after A's graceful restart");
    // 404s add up across the farm too: 3 on each server, then blocked.
    let guesser = "127.0.16.20"; // in the allowed network
    for (n, server) in [&a, &a, &a, &b, &b, &b].into_iter().enumerate() {
        let missing = server
            .get(&format!("/guess{n}@example.com.jpg"))
            .from(guesser)
            .send();
        assert_eq!(missing.status, 404, "{kind:?}: guess {n}");
    }
    let blocked = a.get(JANE).from(guesser).send();
    assert_eq!(
        blocked.status, 429,
        "{kind:?}: 3 404s on A and 3 on B block the client on A"
    );
    for server in [&a, &b] {
        assert!(
            store_lines(server).is_empty(),
            "{kind:?}: {:?}",
            store_lines(server)
        );
    }

    // The store goes down: both servers keep serving, each on its own
    // counts, and each says why once.
    daemon.stop();
    let client = "127.9.9.11";
    for n in 1..=15 {
        assert_eq!(
            get(&a, client),
            200,
            "{kind:?}: store down, request {n} on A"
        );
        assert_eq!(
            get(&b, client),
            200,
            "{kind:?}: store down, request {n} on B"
        );
    }
    // 30 requests across the farm, but 15 on each server: A's own count
    // still limits at its 31st.
    for n in 16..=30 {
        assert_eq!(get(&a, client), 200, "{kind:?}: store down, A's {n}th");
    }
    assert_eq!(
        get(&a, client),
        429,
        "{kind:?}: store down, A's 31st request is limited on A's own count"
    );
    for (name, server) in [("A", &a), ("B", &b)] {
        let lines = store_lines(server);
        assert_eq!(
            lines.len(),
            1,
            "{kind:?}: server {name} logs the failure once, not per request: {lines:#?}"
        );
        assert!(
            lines[0].contains(&format!(
                "the limit store (socache {}) failed (",
                daemon.spec()
            )) && lines[0].contains("counting on this server's shared memory"),
            "{kind:?}: {}",
            lines[0]
        );
        eprintln!("{kind:?}, server {name}: {}", lines[0]);
        let log = server.error_log();
        assert!(
            !log.contains("scache_mc") && !log.contains("scache_rd"),
            "{kind:?}: the provider's own per-call lines are kept out:\n{log}"
        );
        let server_errors: Vec<_> = server
            .access_log(1)
            .into_iter()
            .filter(|e| e.status.starts_with('5'))
            .collect();
        assert!(server_errors.is_empty(), "{kind:?}: {server_errors:?}");
        assert!(
            server.crash_lines().is_empty(),
            "{:?}",
            server.crash_lines()
        );
    }
}

#[test]
fn a_memcache_farm_counts_together_and_survives_memcached_stopping() {
    if flavor().version == Version::V22 {
        return socache_is_refused_on_apache_22();
    }
    farm_counts_together_and_survives_the_store(Kind::Memcache);
}

#[test]
fn a_redis_farm_counts_together_and_survives_redis_stopping() {
    if flavor().version == Version::V22 {
        return socache_is_refused_on_apache_22();
    }
    farm_counts_together_and_survives_the_store(Kind::Redis);
}

#[test]
fn an_unknown_or_unsafe_provider_stops_apache() {
    if flavor().version == Version::V22 {
        return;
    }
    let site = |store: &str, load: &str| {
        format!(
            "{load}PhotoGuardLimitStore socache {store}\n<Directory \"{{docs}}\">\n    PhotoGuard On\n    PhotoGuardAllowCookie {MEETING}\n    PhotoGuardLimit 30/10m cookie\n</Directory>\n"
        )
    };
    let f = flavor();
    for (store, load, expected) in [
        (
            "memcache:127.0.0.1:1",
            String::new(),
            "no socache provider 'memcache' is loaded; add LoadModule socache_memcache_module",
        ),
        (
            "shmcb",
            f.load("socache_shmcb_module", "mod_socache_shmcb.so"),
            "needs a global lock around every call",
        ),
        (
            "memcache",
            f.load("socache_memcache_module", "mod_socache_memcache.so"),
            "List of server names required",
        ),
    ] {
        let server = Server::prepare(Options::default());
        server.write_config(&site(store, &load));
        let log = server.start_fails();
        assert!(log.contains(expected), "{store}: {log}");
    }
}

/// Apache 2.2 has no socache: the server refuses to start, and says so.
fn socache_is_refused_on_apache_22() {
    let server = Server::prepare(Options::default());
    server.write_config(&format!(
        "PhotoGuardLimitStore socache memcache:127.0.0.1:11211\n<Directory \"{{docs}}\">\n    PhotoGuard On\n    PhotoGuardAllowCookie {MEETING}\n    PhotoGuardLimit 30/10m cookie\n</Directory>\n"
    ));
    let log = server.start_fails();
    assert!(
        log.contains("Apache 2.2 has no shared object cache"),
        "{log}"
    );
}

// ---- the cost of a counted request with each store ----

/// `requests` GETs of the photo over one keep-alive connection from
/// `from`, with the meeting cookie: the time per request.
fn time_requests(port: u16, from: &str, requests: u32) -> Duration {
    let target: SocketAddr = ([127, 0, 0, 1], port).into();
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::new(from.parse().unwrap(), 0).into())
        .unwrap();
    socket.connect(&target.into()).unwrap();
    socket.set_tcp_nodelay(true).unwrap();
    let stream: TcpStream = socket.into();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let request =
        format!("GET {JANE} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {MEETING}\r\n\r\n");
    let started = Instant::now();
    for _ in 0..requests {
        writer.write_all(request.as_bytes()).unwrap();
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        assert!(status.contains(" 200 "), "{status}");
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
    }
    started.elapsed() / requests
}

/// Not a test: `cargo test --release --test apache_farm -- --ignored
/// --nocapture guard_store_cost`. One server per store (event MPM), a limit
/// no request reaches; 1,000 requests over one keep-alive connection from a
/// client the limit counts and from a network client it does not count,
/// interleaved, 7 rounds; prints the median time per request.
#[test]
#[ignore]
fn guard_store_cost() {
    const REQUESTS: u32 = 1000;
    const ROUNDS: usize = 7;
    const LIMIT: &str = "100000000/1h";
    // PHOTOGUARD_BENCH_NOT_FOUND=1: with PhotoGuardLimitNotFound, which
    // reads the client's 404 count (a store round trip) on every request.
    let not_found = std::env::var_os("PHOTOGUARD_BENCH_NOT_FOUND").map(|_| "1000000/1h");
    let memcached = Daemon::start(Kind::Memcache);
    let redis = Daemon::start(Kind::Redis);
    let site = |store: &str, kind: Kind| {
        site_with_store(kind, store, Mpm::Event).replace(
            "StartServers 2\nServerLimit 4",
            "StartServers 1\nServerLimit 1",
        )
    };
    let start = |store: &str, kind: Kind| {
        start_member(
            Mpm::Event,
            &site(store, kind),
            &photos_conf(LIMIT, not_found),
        )
    };
    let servers = [
        ("shm", start("shm", Kind::Memcache)),
        (
            "memcache",
            start(&format!("socache {}", memcached.spec()), Kind::Memcache),
        ),
        (
            "redis",
            start(&format!("socache {}", redis.spec()), Kind::Redis),
        ),
    ];
    let mut counted: Vec<Vec<Duration>> = vec![Vec::new(); servers.len()];
    let mut uncounted: Vec<Vec<Duration>> = vec![Vec::new(); servers.len()];
    for (_, server) in &servers {
        // Warm up: every thread's first connection to the store, caches.
        time_requests(server.port, "127.9.9.9", 200);
        time_requests(server.port, "127.0.16.5", 200);
    }
    for round in 0..ROUNDS {
        for (i, (_, server)) in servers.iter().enumerate() {
            // A new client each round: its count starts at 0.
            let client = format!("127.9.{}.9", round + 10);
            counted[i].push(time_requests(server.port, &client, REQUESTS));
            uncounted[i].push(time_requests(server.port, "127.0.16.5", REQUESTS));
        }
    }
    // The median round, and the fastest (the least disturbed by other
    // work on the machine), in ms per request.
    let stats = |v: &[Duration]| {
        let mut v: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[0])
    };
    let (shm_median, shm_fastest) = stats(&counted[0]);
    println!(
        "store | counted, median (fastest) of {ROUNDS} x {REQUESTS} | uncounted (network client) | counted - uncounted | counted - shm counted"
    );
    for (i, (name, server)) in servers.iter().enumerate() {
        let (c, c_min) = stats(&counted[i]);
        let (u, u_min) = stats(&uncounted[i]);
        println!(
            "{name} | {c:.4} ({c_min:.4}) ms | {u:.4} ({u_min:.4}) ms | {:+.4} ({:+.4}) ms | {:+.4} ({:+.4}) ms",
            c - u,
            c_min - u_min,
            c - shm_median,
            c_min - shm_fastest,
        );
        assert!(
            store_lines(server).is_empty(),
            "{name}: {:?}",
            store_lines(server)
        );
    }
}
