//! `ScopeConfig::apply(name, args, ctx)` for every directive with fuzzed
//! arguments.
//!
//! Input: lines; the first byte of a line picks the directive (its low bits)
//! and the spelling of its name (upper, lower or as written: Apache matches
//! names case-insensitively), the rest is the raw argument text. All lines go
//! to one scope (16 at most), so that repeated directives add up.
//!
//! Invariants: never panics; a refused directive leaves the scope unchanged;
//! an accepted one leaves a scope that decides (alone, and merged under and
//! over another scope) without panicking, and does what it says: each
//! network rule lets its own network address in, each cookie rule its own
//! cookie, a redirect target is an http(s) URL with a host or a local path,
//! and the client-IP header is a header name no client or credential owns.
//!
//! `PhotoGuardAllowNetworkFile`, `PhotoGuardLtpaKeys` and
//! `PhotoGuardDominoSecret` read files: their arguments with a `/` are
//! skipped, so that only the fixture files in a private ServerRoot (made at
//! start-up: network files, the LTPA test vectors' key export, its password
//! and a Domino secret) and names that do not exist there can be named.
#![no_main]

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use photoguard_engine::{
    DIRECTIVES, DenyAction, DirectiveContext, DirectiveKind, Env, Origin, Peer, ScopeConfig,
    ScopeView, Verdict,
};

fn server_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("photoguard-fuzz-directives-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in [
            (
                "nets.txt",
                &b"# office\n10.20.16.0/20\n\n2001:db8::/32 # lab\n::ffff:192.0.2.0/120\n"[..],
            ),
            ("crlf.txt", b"10.0.0.0/8\r\n# caf\xe9\r\n"),
            ("bad.txt", b"10.0.0.0/8\n10.1.1.1/020\n"),
            ("empty.txt", b"# nothing\n"),
            ("passwd", b"root:x:0:0:root:/root:/bin/bash\n"),
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
            std::fs::write(dir.join(name), text).unwrap();
        }
        dir
    })
}

/// A scope to merge with: a gate with rules of every kind.
fn other_scope(ctx: &DirectiveContext) -> ScopeConfig {
    let mut s = ScopeConfig::new();
    for (name, args) in [
        ("PhotoGuard", "On"),
        ("PhotoGuardAllowNetwork", "192.0.2.0/24 2001:db8:1::/48"),
        (
            "PhotoGuardAllowCookie",
            "LtpaToken2 STPluginActivePage=stMeetingroom",
        ),
        ("PhotoGuardTrustedProxy", "127.0.0.1"),
        ("PhotoGuardDenyAction", "redirect https://www.example.com/"),
    ] {
        s.apply(name, args, ctx).unwrap();
    }
    s
}

const PEERS: &[&str] = &[
    "127.0.0.1",
    "10.20.16.5",
    "192.0.2.1",
    "::1",
    "2001:db8::1",
    "::ffff:10.20.16.5",
];
const COOKIES: &[Option<&[u8]>] = &[
    None,
    Some(b"LtpaToken2=x"),
    Some(b"STPluginActivePage=stMeetingroom; a=b"),
];
const XFF: &[Option<&[u8]>] = &[None, Some(b"10.20.16.5"), Some(b"2001:db8::7, 127.0.0.1")];

/// Decides a handful of requests (every peer, each with one of the cookie
/// and header combinations); a scope that is off allows everything.
fn decide_some(scope: &ScopeConfig) {
    for (i, peer) in PEERS.iter().enumerate() {
        for (j, cookie) in COOKIES.iter().enumerate() {
            let xff = XFF[(i + j) % XFF.len()];
            let d = scope.decide(Peer::Text(peer.as_bytes()), *cookie, xff);
            if i == 0 {
                let _ = d.to_string();
            }
            if !scope.enabled() {
                assert_eq!(d.verdict, Verdict::Allow);
            }
        }
    }
    let d = scope.decide(Peer::Octets(&[1, 2, 3]), None, None);
    assert_eq!(d.verdict, Verdict::Deny);
}

fn check_effects(scope: &ScopeConfig) {
    if let DenyAction::Redirect(url) = scope.deny_action() {
        assert!(
            !url.bytes()
                .any(|b| b.is_ascii_control() || b == b' ' || b == b'\\'),
            "{url:?}"
        );
        let lower = url.to_ascii_lowercase();
        let local = url.starts_with('/') && !url.starts_with("//");
        let absolute = ["http://", "https://"].iter().any(|s| {
            lower
                .strip_prefix(s)
                .is_some_and(|rest| !rest.is_empty() && !rest.starts_with(['/', '?', '#']))
        });
        assert!(local || absolute, "redirect target {url:?}");
    }
    let header = scope.client_ip_header();
    assert!(!header.is_empty());
    assert!(
        !["host", "cookie", "authorization", "proxy-authorization"]
            .contains(&header.to_ascii_lowercase().as_str()),
        "client-IP header {header:?}"
    );
    if !scope.enabled() {
        return;
    }
    if let Some(networks) = scope.networks() {
        for rule in networks.rules() {
            let addr: IpAddr = rule.net().network();
            let d = scope.decide(Peer::Ip(addr), None, None);
            assert_eq!(
                d.verdict,
                Verdict::Allow,
                "{addr} not let in by {:?}",
                rule.reason()
            );
        }
    }
    if let Some(cookies) = scope.cookies() {
        for rule in cookies.rules() {
            let mut header = rule.name().to_vec();
            header.push(b'=');
            header.extend_from_slice(rule.value().unwrap_or(b"x"));
            let d = scope.decide(Peer::Text(b"203.0.113.9"), Some(&header), None);
            assert_eq!(
                d.verdict,
                Verdict::Allow,
                "cookie {:?}",
                String::from_utf8_lossy(&header)
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let ctx = DirectiveContext {
        origin: Origin::new("fuzz.conf", 1),
        server_root: Some(server_root()),
    };
    let mut scope = ScopeConfig::new();
    for line in data.split(|&b| b == b'\n').take(16) {
        let Some((&pick, args)) = line.split_first() else {
            continue;
        };
        let info = &DIRECTIVES[pick as usize % DIRECTIVES.len()];
        let args = String::from_utf8_lossy(args);
        let reads_files = matches!(
            info.kind,
            DirectiveKind::AllowNetworkFile | DirectiveKind::LtpaKeys | DirectiveKind::DominoSecret
        );
        if reads_files && args.contains('/') {
            continue;
        }
        let name = match (pick as usize / DIRECTIVES.len()) % 3 {
            0 => info.name_str().to_string(),
            1 => info.name_str().to_ascii_lowercase(),
            _ => info.name_str().to_ascii_uppercase(),
        };
        let before = format!("{scope:?}");
        match scope.apply(&name, &args, &ctx) {
            Ok(()) => {}
            Err(e) => {
                assert_eq!(
                    format!("{scope:?}"),
                    before,
                    "a refused directive changed the scope"
                );
                assert!(!e.to_string().contains('\n'), "multi-line error {e}");
            }
        }
    }
    check_effects(&scope);
    decide_some(&scope);
    let other = other_scope(&ctx);
    decide_some(&ScopeConfig::merge(&other, &scope));
    decide_some(&ScopeConfig::merge(&scope, &other));
    // The borrowed merge Apache makes per request decides the same.
    let merged = ScopeConfig::merge(&other, &scope);
    let view = ScopeView::merge(other.view(), scope.view());
    for peer in PEERS {
        for cookie in COOKIES {
            let by_view = view.decide(Peer::Text(peer.as_bytes()), *cookie, None, &Env::system());
            let by_merge = merged.decide(Peer::Text(peer.as_bytes()), *cookie, None);
            assert_eq!(by_view.verdict, by_merge.verdict, "{peer} {cookie:?}");
            assert_eq!(
                by_view.reason.as_str(),
                by_merge.reason.as_str(),
                "{peer} {cookie:?}"
            );
        }
    }
    check_effects(&ScopeConfig::merge(&other, &scope));
});
