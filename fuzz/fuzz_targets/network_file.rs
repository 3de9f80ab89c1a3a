//! The network-file loader (`read_network_file`, which takes a path: the
//! input is written to a private temp file and read back).
//!
//! Invariants: never panics; an error is one line of printable ASCII (the
//! file may be anything, and its text goes to the error log) that quotes at
//! most about 64 characters of it; a result equals a naive reading: per line,
//! text before `#`, split on ASCII white space, nothing or exactly one token
//! that `parse_network` accepts, no NUL anywhere in a line, at least one entry;
//! each rule carries its line number.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ipnet::IpNet;
use libfuzzer_sys::fuzz_target;
use photoguard_engine::network::parse_network;
use photoguard_engine::scope::read_network_file;

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

fn file() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = scratch_dir("photoguard-fuzz-netfile");
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("networks.txt")
    })
}

/// The file read naively: `Some(networks with their line numbers)`, or
/// `None` where the loader must refuse it.
fn naive(bytes: &[u8]) -> Option<Vec<(IpNet, u32)>> {
    let mut nets = Vec::new();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.contains(&0) {
            return None;
        }
        let entry = &line[..line.iter().position(|&b| b == b'#').unwrap_or(line.len())];
        let tokens: Vec<&[u8]> = entry
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
            .collect();
        match tokens.as_slice() {
            [] => {}
            [one] => nets.push((
                parse_network(std::str::from_utf8(one).ok()?).ok()?,
                index as u32 + 1,
            )),
            _ => return None,
        }
    }
    (!nets.is_empty()).then_some(nets)
}

fuzz_target!(|data: &[u8]| {
    let path = file();
    std::fs::write(path, data).unwrap();
    let shown = path.display().to_string();
    match read_network_file(path) {
        Ok(rules) => {
            let got: Vec<(IpNet, u32)> =
                rules.iter().map(|r| (r.net(), r.origin().line())).collect();
            assert_eq!(
                Some(got),
                naive(data),
                "file {:?}",
                String::from_utf8_lossy(data)
            );
            for rule in &rules {
                assert_eq!(rule.origin().file(), shown);
            }
        }
        Err(message) => {
            assert_eq!(
                naive(data),
                None,
                "refused {:?}: {message}",
                String::from_utf8_lossy(data)
            );
            assert!(message.starts_with(&shown), "{message}");
            let own = &message[shown.len()..];
            assert!(
                own.bytes().all(|b| (0x20..0x7f).contains(&b)),
                "not printable ASCII: {own:?}"
            );
            // The line number, the problem and hint, two quoted tokens of at most ~64 characters each.
            assert!(own.len() < 400, "{} bytes: {own}", own.len());
        }
    }
});
