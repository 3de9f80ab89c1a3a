//! The command-line tool's httpd.conf reader on fuzzed text: `load`, the
//! policy of every section, the merge for a few requests and their
//! decisions; `lint`, and `check` with JSON output, each on every fourth
//! input (by length).
//!
//! Invariants: never panics or hangs, whatever the text (continuations,
//! sections nested or unclosed, `${VAR}`, `Define`, directives in any case).
//!
//! The reader touches the file system, so the input is constrained (not the
//! checks): the file sits in a private ServerRoot (with a network file
//! `nets.txt` and the LTPA test vectors' `ltpa.keys`, `ltpa.password` and
//! `domino.secret`); inputs that could `Include`/`IncludeOptional` anything
//! are skipped (the word `include` anywhere once continuation lines are
//! joined, or `Define` together with `${`, which could spell it), and so are
//! `PhotoGuardAllowNetworkFile`, `PhotoGuardLtpaKeys` and
//! `PhotoGuardDominoSecret` lines naming a path with `/` or a variable:
//! otherwise the fuzzer would read the machine's files, `/` recursively,
//! or the input itself 2^128 times.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use photoguard_cli::ConfigSource;
use photoguard_cli::check::{CheckOptions, run_check};
use photoguard_cli::httpd::lines::logical_lines;
use photoguard_cli::httpd::{Policy, RequestTarget, load};
use photoguard_cli::lint::run_lint;
use photoguard_engine::Peer;

struct Place {
    root: PathBuf,
    config: PathBuf,
    /// Some environment variable's value says "include": `${` is skipped.
    env_includes: bool,
}

/// A private scratch directory, in memory where the system has one: the
/// file is rewritten on every input, and on ext4 a truncating rewrite
/// waits for the disk.
fn scratch_dir(name: &str) -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    base.join(format!("{name}-{}", std::process::id()))
}

fn place() -> &'static Place {
    static PLACE: OnceLock<Place> = OnceLock::new();
    PLACE.get_or_init(|| {
        let root = scratch_dir("photoguard-fuzz-httpd");
        std::fs::create_dir_all(&root).unwrap();
        for (name, text) in [
            ("nets.txt", &b"10.20.16.0/20\n# vpn\n2001:db8::/32\n"[..]),
            (
                "ltpa.keys",
                include_bytes!("../../crates/engine/src/ltpa/testdata/sephiroth-ltpa.keys"),
            ),
            (
                "ltpa.password",
                include_bytes!("../../crates/engine/src/ltpa/testdata/sephiroth-password.txt"),
            ),
            ("domino.secret", b"AAECAwQFBgcICQoLDA0ODxAREhM=\n"),
        ] {
            std::fs::write(root.join(name), text).unwrap();
        }
        Place {
            config: root.join("httpd.conf"),
            root,
            env_includes: std::env::vars_os()
                .any(|(_, v)| v.to_string_lossy().to_ascii_lowercase().contains("include")),
        }
    })
}

/// Whether the text stays inside the private ServerRoot (see the top).
fn stays_inside(text: &str, place: &Place) -> bool {
    let joined = text
        .replace("\\\r\n", "")
        .replace("\\\n", "")
        .to_ascii_lowercase();
    if joined.contains("include") {
        return false;
    }
    if joined.contains("${") && (joined.contains("define") || place.env_includes) {
        return false;
    }
    logical_lines(text).iter().all(|line| {
        let lower = line.text.to_ascii_lowercase();
        let reads_files = ["networkfile", "ltpakeys", "dominosecret"]
            .iter()
            .any(|d| lower.contains(d));
        !reads_files || !(lower.contains('/') || lower.contains("${"))
    })
}

const TARGETS: &[(Option<&str>, &str, Option<&str>)] = &[
    (None, "/", None),
    (None, "/photos/jane.doe@example.com.jpg", None),
    (
        Some("photos.example.com"),
        "/photos/public/../staff/x.jpg",
        None,
    ),
    (
        Some("photos"),
        "/photos/trial/a.txt",
        Some("/srv/www/photos/a.txt"),
    ),
    (Some("unknown.example.com"), "/x/", None),
];

fuzz_target!(|data: &[u8]| {
    let place = place();
    let text = String::from_utf8_lossy(data);
    if !stays_inside(&text, place) {
        return;
    }
    std::fs::write(&place.config, data).unwrap();
    let config = load(&place.config, Some(&place.root));
    let policy = Policy::build(&config);
    for error in policy.all_errors() {
        let _ = error.to_string();
    }
    for (vhost, url_path, file) in TARGETS {
        let target = RequestTarget {
            vhost: *vhost,
            url_path,
            file_path: file.map(Path::new),
        };
        if let Ok(resolved) = policy.resolve(&target) {
            for peer in ["10.20.16.5", "203.0.113.9", "::1"] {
                let d = resolved.scope.decide(
                    Peer::Text(peer.as_bytes()),
                    Some(b"LtpaToken2=x"),
                    Some(b"10.1.1.1"),
                );
                let _ = d.to_string();
            }
        }
    }
    let source = ConfigSource {
        config: place.config.clone(),
        server_root: Some(place.root.clone()),
    };
    // `lint` and `check` read the file again (and compile its regexes):
    // each on every fourth input.
    match data.len() % 4 {
        0 => {
            let _ = run_lint(&source);
            return;
        }
        1 => {}
        _ => return,
    }
    let _ = run_check(&CheckOptions {
        config: source,
        scope: "/photos/jane.doe@example.com.jpg".into(),
        ip: Some("203.0.113.9".into()),
        peer: Some("127.0.0.1".into()),
        cookie: Some("LtpaToken=abc".into()),
        json: true,
        verbose: true,
        ..CheckOptions::default()
    });
});
