//! The soak test's load generator (see benches/soak.sh).
//!
//! CONNECTIONS threads, each holding one HTTP/1.1 connection at a time to
//! 127.0.0.1:PORT. A thread picks a client class (by weight), binds a new
//! connection to one of the class's loopback source addresses, sends a run of
//! requests on it (keep-alive), then closes it and picks again; a share of the
//! connections carry a single request with `Connection: close`. So keep-alive
//! and fresh connections mix, and every connection speaks for one class.
//!
//! Each response is checked on the client side too: its status must be one
//! the class expects under the policy that answered (the server names its
//! policy generation in a response header), and a 200 must carry the whole
//! photo. The access-log check (benches/soak/check.py) is the main one; this
//! one also catches a server that logs a denial but serves the photo.
//!
//! A keep-alive connection the server closed while idle (Apache does that on
//! a graceful restart) is retried once on a fresh connection, as browsers do,
//! when not one byte of the response had arrived; such retries are counted.
//!
//! Usage: soak-loadgen SPEC PORT CONNECTIONS SECONDS STATS_FILE [SEED]
//!
//! SPEC, one item a line (`#` comments):
//!   photo-size BYTES            size of every photo (a 200 must carry this many)
//!   policy-header NAME          response header naming the policy generation
//!   photos NAME...              photo names ({photo} in a path)
//!   class NAME                  starts a class; the lines below belong to it
//!   weight N                    relative share of connections (default 1)
//!   from ADDR...                source addresses (any IPv4 127.0.0.0/8)
//!   header LINE                 a request header, verbatim
//!   path TEMPLATE               {photo} {class} {seq} are replaced
//!   per-connection MIN MAX      requests per keep-alive connection (default 1 40)
//!   close-share PERCENT         connections with one request and Connection: close (default 20)
//!   expect POLICY STATUS...     statuses acceptable when POLICY answered
//!
//! STATS_FILE gets `key value...` lines (see `Stats::write`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

#[derive(Debug, Default, Clone)]
struct Class {
    name: String,
    weight: u32,
    from: Vec<Ipv4Addr>,
    headers: Vec<String>,
    path: String,
    per_connection: (u32, u32),
    close_share: u32,
    /// policy generation -> acceptable statuses
    expect: BTreeMap<String, Vec<u16>>,
}

#[derive(Debug, Default)]
struct Spec {
    photo_size: usize,
    policy_header: String,
    photos: Vec<String>,
    classes: Vec<Class>,
}

fn parse_spec(text: &str) -> Result<Spec, String> {
    let mut spec = Spec::default();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        let words: Vec<&str> = rest.split_whitespace().collect();
        let err = |what: &str| format!("spec line {}: {what}: {raw}", n + 1);
        let class = spec.classes.last_mut();
        match (key, class) {
            ("photo-size", _) => spec.photo_size = rest.parse().map_err(|_| err("bad size"))?,
            ("policy-header", _) => spec.policy_header = rest.to_ascii_lowercase(),
            ("photos", _) => spec.photos.extend(words.iter().map(|w| w.to_string())),
            ("class", _) => spec.classes.push(Class {
                name: rest.to_string(),
                weight: 1,
                path: "/photos/{photo}?c={class}&n={seq}".into(),
                per_connection: (1, 40),
                close_share: 20,
                ..Class::default()
            }),
            ("weight", Some(c)) => c.weight = rest.parse().map_err(|_| err("bad weight"))?,
            ("from", Some(c)) => {
                for w in &words {
                    let ip: Ipv4Addr = w.parse().map_err(|_| err("bad address"))?;
                    if !ip.is_loopback() {
                        return Err(err("only 127.0.0.0/8 source addresses"));
                    }
                    c.from.push(ip);
                }
            }
            ("header", Some(c)) => c.headers.push(rest.to_string()),
            ("path", Some(c)) => c.path = rest.to_string(),
            ("per-connection", Some(c)) => {
                let p = |i: usize| {
                    words
                        .get(i)
                        .and_then(|w| w.parse().ok())
                        .ok_or_else(|| err("MIN MAX"))
                };
                c.per_connection = (p(0)?, p(1)?);
                if c.per_connection.0 == 0 || c.per_connection.0 > c.per_connection.1 {
                    return Err(err("need 1 <= MIN <= MAX"));
                }
            }
            ("close-share", Some(c)) => {
                c.close_share = rest.parse().map_err(|_| err("bad percent"))?
            }
            ("expect", Some(c)) => {
                let (policy, statuses) = words
                    .split_first()
                    .ok_or_else(|| err("expect POLICY STATUS..."))?;
                let statuses: Result<Vec<u16>, _> = statuses.iter().map(|s| s.parse()).collect();
                c.expect
                    .insert(policy.to_string(), statuses.map_err(|_| err("bad status"))?);
            }
            (_, None) => return Err(err("outside a class")),
            _ => return Err(err("unknown item")),
        }
    }
    if spec.photos.is_empty() || spec.classes.is_empty() {
        return Err("spec: no photos or no classes".into());
    }
    for c in &spec.classes {
        if c.from.is_empty() || c.expect.is_empty() {
            return Err(format!("spec: class {} needs from and expect", c.name));
        }
    }
    Ok(spec)
}

/// xorshift64*: deterministic per thread, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What one thread saw; merged at the end.
#[derive(Default)]
struct Stats {
    responses: u64,
    /// (class, policy, status) -> count
    counts: BTreeMap<(String, String, u16), u64>,
    wrong: u64,
    wrong_samples: Vec<String>,
    retries: u64,
    errors: BTreeMap<String, u64>,
    error_samples: Vec<String>,
    connections: u64,
    /// latency histogram: bucket i holds [2^(i/4) ...) microseconds, 4 per octave
    latency: Vec<u64>,
}

const BUCKETS: usize = 4 * 32;

impl Stats {
    fn error(&mut self, kind: &str, detail: String) {
        *self.errors.entry(kind.to_string()).or_default() += 1;
        if self.error_samples.len() < 10 {
            self.error_samples.push(format!("{kind}: {detail}"));
        }
    }

    fn latency(&mut self, d: Duration) {
        if self.latency.is_empty() {
            self.latency = vec![0; BUCKETS];
        }
        let us = d.as_micros().max(1) as f64;
        let b = ((us.log2() * 4.0) as usize).min(BUCKETS - 1);
        self.latency[b] += 1;
    }

    fn merge(&mut self, o: Stats) {
        self.responses += o.responses;
        for (k, v) in o.counts {
            *self.counts.entry(k).or_default() += v;
        }
        self.wrong += o.wrong;
        self.wrong_samples.extend(o.wrong_samples);
        self.wrong_samples.truncate(20);
        self.retries += o.retries;
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.error_samples.extend(o.error_samples);
        self.error_samples.truncate(20);
        self.connections += o.connections;
        if self.latency.is_empty() {
            self.latency = vec![0; BUCKETS];
        }
        for (i, v) in o.latency.iter().enumerate() {
            self.latency[i] += v;
        }
    }

    fn percentile_us(&self, p: f64) -> f64 {
        let total: u64 = self.latency.iter().sum();
        let mut seen = 0;
        for (i, v) in self.latency.iter().enumerate() {
            seen += v;
            if total > 0 && seen as f64 >= p * total as f64 {
                return 2f64.powf((i + 1) as f64 / 4.0);
            }
        }
        0.0
    }

    fn write(&self, seconds: f64, connections: usize) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "responses {}", self.responses);
        let _ = writeln!(s, "seconds {seconds:.1}");
        let _ = writeln!(s, "rate {:.0}", self.responses as f64 / seconds);
        let _ = writeln!(s, "threads {connections}");
        let _ = writeln!(s, "connections {}", self.connections);
        let _ = writeln!(s, "retries {}", self.retries);
        let _ = writeln!(s, "wrong {}", self.wrong);
        let _ = writeln!(s, "errors {}", self.errors.values().sum::<u64>());
        for (k, v) in &self.errors {
            let _ = writeln!(s, "error {k} {v}");
        }
        for (p, name) in [(0.5, "p50"), (0.99, "p99"), (0.999, "p99.9")] {
            let _ = writeln!(s, "latency_{name}_us {:.0}", self.percentile_us(p));
        }
        for ((class, policy, status), v) in &self.counts {
            let _ = writeln!(s, "count {class} {policy} {status} {v}");
        }
        for w in &self.wrong_samples {
            let _ = writeln!(s, "wrong-sample {w}");
        }
        for e in &self.error_samples {
            let _ = writeln!(s, "error-sample {e}");
        }
        s
    }
}

fn connect(from: Ipv4Addr, server: SocketAddr) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    // Let connect() pick the source port per destination, so that many
    // connections from one address do not run out of ports at bind().
    let one: libc::c_int = 1;
    // SAFETY: a valid socket, and a c_int option value of the size given.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    socket.bind(&SocketAddr::V4(SocketAddrV4::new(from, 0)).into())?;
    socket.connect_timeout(&server.into(), Duration::from_secs(10))?;
    socket.set_tcp_nodelay(true)?;
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    Ok(stream)
}

struct Response {
    status: u16,
    policy: String,
    body_len: usize,
    close: bool,
}

enum Failure {
    /// The connection ended before the first byte of a response.
    ClosedBeforeResponse,
    Io(String),
}

/// Reads one response from `stream`, keeping bytes of the next (none, with
/// one request in flight) in `buf`.
fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    policy_header: &str,
) -> Result<Response, Failure> {
    buf.clear();
    let mut chunk = [0u8; 16384];
    let head_end = loop {
        if let Some(i) = memfind(buf, b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Err(Failure::ClosedBeforeResponse),
            Ok(0) => return Err(Failure::Io("eof in headers".into())),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if buf.is_empty() && e.kind() == io::ErrorKind::ConnectionReset => {
                return Err(Failure::ClosedBeforeResponse)
            }
            Err(e) => return Err(Failure::Io(format!("read headers: {e}"))),
        }
        if buf.len() > 65536 {
            return Err(Failure::Io("headers over 64 KB".into()));
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Failure::Io(format!("bad status line {status_line:?}")))?;
    let (mut length, mut close, mut policy) = (None, false, String::new());
    for l in lines {
        let Some((k, v)) = l.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        if k == "content-length" {
            length = v.parse::<usize>().ok();
        } else if k == "connection" && v.eq_ignore_ascii_case("close") {
            close = true;
        } else if k == "transfer-encoding" {
            return Err(Failure::Io(format!("unexpected Transfer-Encoding {v}")));
        } else if k == policy_header {
            policy = v.to_string();
        }
    }
    let mut body = buf.len() - head_end;
    match length {
        Some(want) => {
            while body < want {
                match stream.read(&mut chunk) {
                    Ok(0) => {
                        return Err(Failure::Io(format!(
                            "eof after {body} of {want} body bytes"
                        )))
                    }
                    Ok(n) => body += n,
                    Err(e) => return Err(Failure::Io(format!("read body: {e}"))),
                }
            }
            if body > want {
                return Err(Failure::Io("bytes after the body".into()));
            }
        }
        None => {
            close = true;
            loop {
                match stream.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => body += n,
                    Err(e) => return Err(Failure::Io(format!("read body to eof: {e}"))),
                }
            }
        }
    }
    Ok(Response {
        status,
        policy,
        body_len: body,
        close,
    })
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

struct Shared {
    spec: Spec,
    server: SocketAddr,
    end: Instant,
    stop: AtomicBool,
    done: AtomicU64,
    seq: AtomicU64,
}

fn worker(shared: Arc<Shared>, seed: u64) -> Stats {
    let spec = &shared.spec;
    let mut rng = Rng(seed | 1);
    let total_weight: u64 = spec.classes.iter().map(|c| c.weight as u64).sum();
    let mut stats = Stats::default();
    let mut buf = Vec::with_capacity(16384);
    let mut request = String::with_capacity(1024);
    while Instant::now() < shared.end && !shared.stop.load(Ordering::Relaxed) {
        let mut pick = rng.below(total_weight);
        let class = spec
            .classes
            .iter()
            .find(|c| {
                let hit = pick < c.weight as u64;
                pick = pick.saturating_sub(c.weight as u64);
                hit
            })
            .expect("weights add up");
        let from = class.from[rng.below(class.from.len() as u64) as usize];
        let one_shot = rng.below(100) < class.close_share as u64;
        let runs = if one_shot {
            1
        } else {
            let (lo, hi) = class.per_connection;
            lo + rng.below((hi - lo + 1) as u64) as u32
        };
        let mut stream = match connect(from, shared.server) {
            Ok(s) => s,
            Err(e) => {
                stats.error("connect", format!("{from}: {e}"));
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        stats.connections += 1;
        let mut i = 0;
        let mut retried = false;
        while i < runs {
            if Instant::now() >= shared.end {
                break;
            }
            let last = i + 1 == runs;
            let photo = &spec.photos[rng.below(spec.photos.len() as u64) as usize];
            let seq = shared.seq.fetch_add(1, Ordering::Relaxed);
            let path = class
                .path
                .replace("{photo}", photo)
                .replace("{class}", &class.name)
                .replace("{seq}", &seq.to_string());
            request.clear();
            let _ = write!(
                request,
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: photoguard-soak\r\n"
            );
            for h in &class.headers {
                request.push_str(h);
                request.push_str("\r\n");
            }
            if last && one_shot {
                request.push_str("Connection: close\r\n");
            }
            request.push_str("\r\n");
            let started = Instant::now();
            let outcome = match stream.write_all(request.as_bytes()) {
                Ok(()) => read_response(&mut stream, &mut buf, &spec.policy_header),
                Err(e)
                    if i > 0
                        && matches!(
                            e.kind(),
                            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                        ) =>
                {
                    Err(Failure::ClosedBeforeResponse)
                }
                Err(e) => Err(Failure::Io(format!("write: {e}"))),
            };
            match outcome {
                Ok(r) => {
                    retried = false;
                    stats.latency(started.elapsed());
                    stats.responses += 1;
                    shared.done.fetch_add(1, Ordering::Relaxed);
                    *stats
                        .counts
                        .entry((class.name.clone(), r.policy.clone(), r.status))
                        .or_default() += 1;
                    let ok = class
                        .expect
                        .get(&r.policy)
                        .is_some_and(|s| s.contains(&r.status))
                        && (r.status != 200 || r.body_len == spec.photo_size);
                    if !ok {
                        stats.wrong += 1;
                        if stats.wrong_samples.len() < 10 {
                            stats.wrong_samples.push(format!(
                                "{} from {from} {path}: policy {:?} status {} body {} bytes (expected {:?})",
                                class.name, r.policy, r.status, r.body_len, class.expect
                            ));
                        }
                    }
                    i += 1;
                    if r.close {
                        break;
                    }
                }
                // The server closed an idle keep-alive connection (graceful
                // restart, keep-alive timeout): retry once on a new one.
                Err(Failure::ClosedBeforeResponse) if i > 0 && !retried => {
                    stats.retries += 1;
                    retried = true;
                    match connect(from, shared.server) {
                        Ok(s) => {
                            stream = s;
                            stats.connections += 1;
                        }
                        Err(e) => {
                            stats.error("connect", format!("{from}: {e}"));
                            break;
                        }
                    }
                }
                Err(Failure::ClosedBeforeResponse) => {
                    stats.error(
                        "closed-before-response",
                        format!(
                            "{} from {from} {path} (request {i} on the connection)",
                            class.name
                        ),
                    );
                    break;
                }
                Err(Failure::Io(e)) => {
                    stats.error("io", format!("{} from {from} {path}: {e}", class.name));
                    break;
                }
            }
        }
    }
    stats
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        eprintln!("usage: soak-loadgen SPEC PORT CONNECTIONS SECONDS STATS_FILE [SEED]");
        std::process::exit(2);
    }
    let spec = std::fs::read_to_string(&args[1])
        .map_err(|e| e.to_string())
        .and_then(|t| parse_spec(&t))
        .unwrap_or_else(|e| {
            eprintln!("soak-loadgen: {e}");
            std::process::exit(2)
        });
    let port: u16 = args[2].parse().expect("PORT");
    let connections: usize = args[3].parse().expect("CONNECTIONS");
    let seconds: f64 = args[4].parse().expect("SECONDS");
    let seed: u64 = args.get(6).and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let started = Instant::now();
    let shared = Arc::new(Shared {
        spec,
        server: SocketAddr::from(([127, 0, 0, 1], port)),
        end: started + Duration::from_secs_f64(seconds),
        stop: AtomicBool::new(false),
        done: AtomicU64::new(0),
        seq: AtomicU64::new(0),
    });
    let threads: Vec<_> = (0..connections)
        .map(|t| {
            let shared = shared.clone();
            let seed = seed
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(t as u64 * 0x1234_5678_9ABC_DEF1);
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || worker(shared, seed))
                .expect("spawn a client thread")
        })
        .collect();
    // Progress on stderr every 30 s.
    let mut last = (Instant::now(), 0u64);
    while Instant::now() < shared.end {
        std::thread::sleep(
            Duration::from_millis(500).min(shared.end.saturating_duration_since(Instant::now())),
        );
        if last.0.elapsed() >= Duration::from_secs(30) {
            let done = shared.done.load(Ordering::Relaxed);
            eprintln!(
                "soak-loadgen: {:>4.0} s  {} responses  {:.0}/s in the last 30 s",
                started.elapsed().as_secs_f64(),
                done,
                (done - last.1) as f64 / last.0.elapsed().as_secs_f64()
            );
            last = (Instant::now(), done);
        }
    }
    let mut total = Stats::default();
    for t in threads {
        total.merge(t.join().expect("a client thread panicked"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut text = total.write(elapsed, connections);
    let _ = writeln!(text, "cpu_seconds {:.1}", cpu_seconds());
    std::fs::write(&args[5], text).expect("write the stats file");
}

/// User and system CPU time this process has used.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}
