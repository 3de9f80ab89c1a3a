//! The scope's unit tests: directives, merges and decisions.
use super::*;
use crate::decision::Verdict;
use network_file::read_regular_file;

fn ctx(line: u32) -> DirectiveContext<'static> {
    DirectiveContext {
        origin: Origin::new("/etc/apache2/sites-enabled/photos.conf", line),
        server_root: None,
    }
}

fn scope(lines: &[(&str, &str)]) -> ScopeConfig {
    let mut scope = ScopeConfig::new();
    for (i, (name, args)) in lines.iter().enumerate() {
        scope
            .apply(name, args, &ctx(10 + i as u32))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    scope
}

fn error(name: &str, args: &str) -> String {
    ScopeConfig::new()
        .apply(name, args, &ctx(1))
        .unwrap_err()
        .to_string()
}

fn seed() -> ScopeConfig {
    scope(&[
        ("PhotoGuard", "On"),
        (
            "PhotoGuardAllowNetwork",
            "10.20.16.0/20 10.30.64.0/21 172.16.128.0/22 192.0.2.10",
        ),
        (
            "PhotoGuardAllowCookie",
            "LtpaToken2 LtpaToken STPluginActivePage=stMeetingroom",
        ),
        ("PhotoGuardDenyAction", "redirect https://www.example.com/"),
    ])
}

fn decide(scope: &ScopeConfig, peer: &str, cookie: Option<&str>, xff: Option<&str>) -> String {
    scope
        .evaluate_text(peer, cookie.map(str::as_bytes), xff.map(str::as_bytes))
        .unwrap()
        .to_string()
}

#[test]
fn seed_policy_decisions_carry_their_reasons() {
    let s = seed();
    assert_eq!(
        decide(&s, "10.20.31.255", None, None),
        "allow: network 10.20.16.0/20 (photos.conf:11)"
    );
    assert_eq!(
        decide(&s, "192.0.2.10", None, None),
        "allow: network 192.0.2.10 (photos.conf:11)"
    );
    assert_eq!(
        decide(&s, "198.51.100.1", Some("a=1; LtpaToken2=x"), None),
        "allow: cookie LtpaToken2 (photos.conf:12)"
    );
    assert_eq!(
        decide(
            &s,
            "198.51.100.1",
            Some("STPluginActivePage=stMeetingroom"),
            None
        ),
        "allow: cookie STPluginActivePage=stMeetingroom (photos.conf:12)"
    );
    assert_eq!(
        decide(&s, "10.20.32.0", Some("XLtpaToken2=1"), None),
        "deny (redirect https://www.example.com/): no rule matched"
    );
    assert_eq!(
        decide(&s, "::ffff:10.30.71.9", None, None),
        "allow: network 10.30.64.0/21 (photos.conf:11)"
    );
}

#[test]
fn network_is_checked_before_cookies() {
    assert_eq!(
        decide(&seed(), "10.20.16.1", Some("LtpaToken2=x"), None),
        "allow: network 10.20.16.0/20 (photos.conf:11)"
    );
}

#[test]
fn the_gate_is_off_unless_turned_on() {
    let mut s = seed();
    s.apply("PhotoGuard", "off", &ctx(20)).unwrap();
    let d = s.evaluate_text("198.51.100.1", None, None).unwrap();
    assert_eq!(
        (d.verdict, d.reason.as_str()),
        (Verdict::Allow, "PhotoGuard is off")
    );
    let unset = scope(&[("PhotoGuardAllowNetwork", "10.0.0.0/8")]);
    assert!(!unset.enabled());
}

#[test]
fn report_mode_would_deny_but_passes() {
    let s = ScopeConfig::merge(&seed(), &scope(&[("PhotoGuardMode", "Report")]));
    let d = s.evaluate_text("198.51.100.1", None, None).unwrap();
    assert_eq!(d.verdict, Verdict::WouldDeny);
    assert!(d.verdict.passes());
    assert_eq!(
        d.to_string(),
        "would-deny (redirect https://www.example.com/): no rule matched"
    );
}

#[test]
fn deny_actions_and_defaults() {
    let on = scope(&[("PhotoGuard", "On")]);
    assert_eq!(on.deny_action(), &DenyAction::Forbidden);
    assert_eq!(on.mode(), Mode::Enforce);
    assert_eq!(on.client_ip_header(), "X-Forwarded-For");
    assert!(!on.has_allow_rules());
    assert_eq!(
        decide(&on, "10.0.0.1", None, None),
        "deny (403): no rule matched"
    );
    assert_eq!(
        scope(&[("PhotoGuardDenyAction", "404")])
            .deny_action()
            .status(),
        404
    );
    assert_eq!(
        scope(&[("PhotoGuardDenyAction", "REDIRECT /denied.html")])
            .deny_action()
            .status(),
        302
    );
    assert_eq!(
        scope(&[(
            "PhotoGuardDenyAction",
            "redirect \"https://www.example.com/?a=b\""
        )])
        .deny_action(),
        &DenyAction::Redirect("https://www.example.com/?a=b".into())
    );
}

#[test]
fn trusted_proxy_header_is_used_only_from_trusted_peers() {
    let s = ScopeConfig::merge(
        &seed(),
        &scope(&[
            ("PhotoGuardTrustedProxy", "127.0.0.0/8"),
            ("PhotoGuardClientIPHeader", "X-Real-Client"),
        ]),
    );
    assert!(s.reads_client_ip_header());
    assert_eq!(s.client_ip_header(), "X-Real-Client");
    assert_eq!(
        decide(&s, "127.0.0.1", None, Some("10.20.16.9")),
        "allow: network 10.20.16.0/20 (photos.conf:11)"
    );
    let d = s
        .evaluate_text("198.51.100.1", None, Some(b"10.20.16.9"))
        .unwrap();
    assert_eq!(
        (d.verdict, d.client.to_string()),
        (Verdict::Deny, "198.51.100.1".to_string())
    );
    assert!(!seed().reads_client_ip_header());
}

#[test]
fn merging_inherits_and_lists_replace() {
    let parent = seed();
    let child = scope(&[("PhotoGuardAllowNetwork", "10.99.0.0/16")]);
    let merged = ScopeConfig::merge(&parent, &child);
    assert!(merged.enabled());
    assert_eq!(
        decide(&merged, "10.20.16.1", None, None),
        "deny (redirect https://www.example.com/): no rule matched"
    );
    assert_eq!(
        decide(&merged, "10.99.1.1", None, None),
        "allow: network 10.99.0.0/16 (photos.conf:10)"
    );
    assert_eq!(
        decide(&merged, "203.0.113.1", Some("LtpaToken=1"), None),
        "allow: cookie LtpaToken (photos.conf:12)"
    );
    let off = ScopeConfig::merge(&merged, &scope(&[("PhotoGuard", "Off")]));
    assert!(!off.enabled());
    let back_on = ScopeConfig::merge(&off, &scope(&[("PhotoGuard", "On")]));
    assert_eq!(
        decide(&back_on, "10.99.1.1", None, None),
        "allow: network 10.99.0.0/16 (photos.conf:10)"
    );
}

#[test]
fn repeated_list_directives_add_up() {
    let s = scope(&[
        ("PhotoGuard", "On"),
        ("PhotoGuardAllowNetwork", "10.1.0.0/16"),
        ("photoguardallownetwork", "10.2.0.0/16"),
    ]);
    assert_eq!(s.networks().unwrap().rules().len(), 2);
    assert_eq!(
        decide(&s, "10.2.3.4", None, None),
        "allow: network 10.2.0.0/16 (photos.conf:12)"
    );
}

#[test]
fn network_file_entries_name_their_file_and_line() {
    let dir = std::env::temp_dir().join(format!("photoguard-scope-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("nets.txt"),
        "# office\n\n10.20.16.0/20   # VPN\n2001:db8::/32\n",
    )
    .unwrap();
    std::fs::write(dir.join("bad.txt"), "10.0.0.0/8\n10.20.16.7/20\n").unwrap();
    std::fs::write(dir.join("two.txt"), "10.0.0.0/8 10.1.0.0/16\n").unwrap();
    std::fs::write(dir.join("empty.txt"), "# nothing\n").unwrap();
    let root = DirectiveContext {
        origin: Origin::new("photos.conf", 3),
        server_root: Some(&dir),
    };
    let mut s = scope(&[("PhotoGuard", "On")]);
    s.apply("PhotoGuardAllowNetworkFile", "nets.txt", &root)
        .unwrap();
    assert_eq!(
        decide(&s, "10.20.17.1", None, None),
        "allow: network 10.20.16.0/20 (nets.txt:3)"
    );
    assert_eq!(
        decide(&s, "2001:db8::5", None, None),
        "allow: network 2001:db8::/32 (nets.txt:4)"
    );
    let err = |file: &str| {
        ScopeConfig::new()
            .apply("PhotoGuardAllowNetworkFile", file, &root)
            .unwrap_err()
            .to_string()
    };
    let bad = dir.join("bad.txt");
    assert_eq!(
        err("bad.txt"),
        format!(
            "PhotoGuardAllowNetworkFile: {}:2: '10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?",
            bad.display()
        )
    );
    assert!(
        err("two.txt")
            .ends_with("two.txt:1: one entry a line, but '10.1.0.0/16' follows '10.0.0.0/8'")
    );
    assert!(err("empty.txt").ends_with("empty.txt: no networks in the file"));
    assert!(err("missing.txt").contains("cannot read"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_directive_error_names_the_directive_and_token() {
    assert_eq!(
        error("PhotoGuard", "maybe"),
        "PhotoGuard: 'maybe': expected On or Off"
    );
    assert_eq!(
        error("PhotoGuard", "On Off"),
        "PhotoGuard: takes one argument, got 2"
    );
    assert_eq!(
        error("PhotoGuardAllowNetwork", ""),
        "PhotoGuardAllowNetwork: needs an argument (one or more CIDRs or addresses (IPv4, IPv6) whose clients are allowed)"
    );
    assert_eq!(
        error("PhotoGuardAllowNetwork", "10.0.0.0/8 10.20.16.7/20"),
        "PhotoGuardAllowNetwork: '10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?"
    );
    assert_eq!(
        error("PhotoGuardTrustedProxy", "10.1"),
        "PhotoGuardTrustedProxy: '10.1': partial addresses are not accepted; write 10.1.0.0/16"
    );
    assert_eq!(
        error("PhotoGuardAllowCookie", "LtpaToken2="),
        "PhotoGuardAllowCookie: 'LtpaToken2=': empty value: write the name alone to allow any non-empty value"
    );
    assert_eq!(
        error("PhotoGuardClientIPHeader", "X Forwarded"),
        "PhotoGuardClientIPHeader: takes one argument, got 2"
    );
    assert_eq!(
        error("PhotoGuardClientIPHeader", "\"X:F\""),
        "PhotoGuardClientIPHeader: 'X:F' is not a header name"
    );
    assert_eq!(
        error("PhotoGuardDenyAction", "401"),
        "PhotoGuardDenyAction: '401': expected 403, 404 or redirect URL"
    );
    assert_eq!(
        error("PhotoGuardDenyAction", "redirect"),
        "PhotoGuardDenyAction: 'redirect' needs a URL"
    );
    assert_eq!(
        error("PhotoGuardDenyAction", "redirect www.example.com"),
        "PhotoGuardDenyAction: 'www.example.com': a redirect goes to an http(s):// URL or a /path"
    );
    assert_eq!(
        error(
            "PhotoGuardDenyAction",
            "redirect \"https://x/\r\nSet-Cookie: a=b\""
        ),
        "PhotoGuardDenyAction: 'https://x/\\x0D\\x0ASet-Cookie: a=b': a redirect URL cannot contain spaces or control characters"
    );
    assert_eq!(
        error("PhotoGuardMode", "dry-run"),
        "PhotoGuardMode: 'dry-run': expected enforce or report"
    );
    assert_eq!(
        error("PhotoGuardDenyAction", "redirect \"https://x/"),
        "PhotoGuardDenyAction: unterminated quote in the arguments"
    );
    assert_eq!(
        error("PhotoGuardAllowEverything", "On"),
        "PhotoGuardAllowEverything: not a photoguard directive"
    );
}

#[test]
fn a_trailing_comment_is_refused_in_every_directive() {
    const WHY: &str = "Apache has no trailing comments; put the comment on its own line";
    assert_eq!(
        error(
            "PhotoGuardAllowCookie",
            "LtpaToken LtpaToken2 # SSO cookies"
        ),
        format!("PhotoGuardAllowCookie: '# SSO cookies': {WHY}")
    );
    assert_eq!(
        error("PhotoGuardAllowNetwork", "10.0.0.0/8 #office"),
        format!("PhotoGuardAllowNetwork: '#office': {WHY}")
    );
    // Said before "takes one argument", which would hide the cause.
    for (name, args) in [
        ("PhotoGuard", "On # gate"),
        ("PhotoGuardMode", "report # for now"),
        ("PhotoGuardClientIPHeader", "X-Real-IP # from the F5"),
        ("PhotoGuardDenyAction", "403 # default"),
        ("PhotoGuardDenyAction", "redirect / #home"),
        ("PhotoGuardTrustedProxy", "127.0.0.1 # proxy"),
        ("PhotoGuardAllowNetworkFile", "conf/nets.txt # list"),
        ("photoguardallowcookie", "#"),
    ] {
        let message = error(name, args);
        assert!(message.ends_with(WHY), "{name} {args}: {message}");
    }
    // A # inside a word is not a comment.
    scope(&[("PhotoGuardAllowCookie", "a#b")]);
    assert!(
        ScopeConfig::new()
            .apply(
                "PhotoGuardDenyAction",
                "redirect https://www.example.com/#top",
                &ctx(1)
            )
            .is_ok()
    );
}

#[test]
fn client_ip_header_refuses_headers_a_client_controls_or_credentials() {
    let advice = "name the header your trusted proxies set, e.g. X-Forwarded-For";
    assert_eq!(
        error("PhotoGuardClientIPHeader", "Host"),
        format!(
            "PhotoGuardClientIPHeader: 'Host' cannot hold the client address: the client writes it (it names the site asked for) and proxies pass it on; {advice}"
        )
    );
    assert_eq!(
        error("PhotoGuardClientIPHeader", "cookie"),
        format!(
            "PhotoGuardClientIPHeader: 'cookie' cannot hold the client address: the browser sends it and the client controls what it holds; {advice}"
        )
    );
    for credentials in ["Authorization", "AUTHORIZATION", "proxy-authorization"] {
        assert_eq!(
            error("PhotoGuardClientIPHeader", credentials),
            format!(
                "PhotoGuardClientIPHeader: '{credentials}' cannot hold the client address: it carries the client's credentials; {advice}"
            )
        );
    }
    assert_eq!(
        error("PhotoGuardClientIPHeader", "\"\""),
        format!("PhotoGuardClientIPHeader: the header name is empty; {advice}")
    );
    assert_eq!(
        error("PhotoGuardClientIPHeader", "''"),
        format!("PhotoGuardClientIPHeader: the header name is empty; {advice}")
    );
    for fine in ["X-Forwarded-For", "X-Real-IP", "True-Client-IP", "Hosts"] {
        let s = scope(&[("PhotoGuardClientIPHeader", fine)]);
        assert_eq!(s.client_ip_header(), fine);
    }
}

#[test]
fn redirect_targets_are_http_urls_with_a_host_or_local_paths() {
    for good in [
        "https://www.example.com/",
        "http://www.example.com",
        "HTTPS://www.example.com/login?next=/photos",
        "https://[2001:db8::1]:8443/x",
        "https://user@www.example.com/",
        "https://www.example.com?x=1",
        "/",
        "/denied.html",
        "/login?next=//x",
    ] {
        let s = scope(&[("PhotoGuardDenyAction", &format!("redirect {good}"))]);
        assert_eq!(s.deny_action(), &DenyAction::Redirect(good.into()));
    }
    let no_host = "a redirect URL needs a host, e.g. https://www.example.com/";
    for bad in [
        "http://",
        "https://",
        "https:///",
        "http:///x",
        "https://?x",
        "https://#x",
        "https://:443/",
        "https://user@/",
        "https://[]/",
    ] {
        assert_eq!(
            error("PhotoGuardDenyAction", &format!("redirect {bad}")),
            format!("PhotoGuardDenyAction: '{bad}': {no_host}")
        );
    }
    assert_eq!(
        error("PhotoGuardDenyAction", "redirect //evil.example/"),
        "PhotoGuardDenyAction: '//evil.example/': browsers read a target starting with // as another host; write https://host/... or a path with a single /"
    );
    for backslash in [
        "/\\evil.example/",
        "\\\\evil.example/",
        "https://www.example.com\\@evil.example/",
    ] {
        assert_eq!(
            error("PhotoGuardDenyAction", &format!("redirect {backslash}")),
            format!(
                "PhotoGuardDenyAction: '{backslash}': a redirect URL cannot contain a backslash (browsers read it as /); write %5C"
            )
        );
    }
    for other in [
        "ftp://x/",
        "javascript:alert(1)",
        "http:/x",
        "www.example.com",
    ] {
        assert_eq!(
            error("PhotoGuardDenyAction", &format!("redirect {other}")),
            format!(
                "PhotoGuardDenyAction: '{other}': a redirect goes to an http(s):// URL or a /path"
            )
        );
    }
}

#[test]
fn network_files_must_be_small_regular_text_files() {
    let dir = std::env::temp_dir().join(format!("photoguard-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = DirectiveContext {
        origin: Origin::new("photos.conf", 3),
        server_root: Some(&dir),
    };
    let err = |file: &str| {
        ScopeConfig::new()
            .apply("PhotoGuardAllowNetworkFile", file, &root)
            .unwrap_err()
            .to_string()
    };
    let shown = |file: &str| dir.join(file).display().to_string();

    // A FIFO is refused without opening it (which would block forever).
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        assert_eq!(
            err("fifo"),
            format!(
                "PhotoGuardAllowNetworkFile: {} is a named pipe (FIFO), not a regular file; a network file must be a plain text file",
                shown("fifo")
            )
        );
    }
    assert!(
        err(dir.to_str().unwrap()).ends_with(
            "is a directory, not a regular file; a network file must be a plain text file"
        )
    );
    assert_eq!(
        err("/dev/zero"),
        "PhotoGuardAllowNetworkFile: /dev/zero is a character device, not a regular file; a network file must be a plain text file"
    );
    // A symbolic link to a regular file is fine.
    std::fs::write(dir.join("nets.txt"), "10.0.0.0/8\n").unwrap();
    let _ = std::fs::remove_file(dir.join("link.txt"));
    std::os::unix::fs::symlink(dir.join("nets.txt"), dir.join("link.txt")).unwrap();
    assert!(
        ScopeConfig::new()
            .apply("PhotoGuardAllowNetworkFile", "link.txt", &root)
            .is_ok()
    );

    // Over the cap: refused by its size, without reading it.
    let big = std::fs::File::create(dir.join("big.txt")).unwrap();
    big.set_len(NETWORK_FILE_MAX_BYTES + 1).unwrap();
    assert_eq!(
        err("big.txt"),
        format!(
            "PhotoGuardAllowNetworkFile: {} is 67108865 bytes, more than a network file may have (64 MiB)",
            shown("big.txt")
        )
    );
    std::fs::remove_file(dir.join("big.txt")).unwrap();
    let small = dir.join("small.txt");
    std::fs::write(&small, "10.0.0.0/8\n").unwrap();
    assert!(read_regular_file(&small, 11, "a network file").is_ok());
    assert_eq!(
        read_regular_file(&small, 10, "a network file").unwrap_err(),
        format!(
            "{} is 11 bytes, more than a network file may have (0 MiB)",
            small.display()
        )
    );

    // Contents of an arbitrary file: at most the offending token, and
    // only one made of what addresses are made of (escaped and cut),
    // never a line of, say, /etc/passwd.
    let not_an_address =
        "not an address or CIDR: the entry has characters no address has (is this a network file?)";
    std::fs::write(
        dir.join("passwd"),
        "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:\n",
    )
    .unwrap();
    assert_eq!(
        err("passwd"),
        format!(
            "PhotoGuardAllowNetworkFile: {}:1: {not_an_address}",
            shown("passwd")
        )
    );
    for (file, text) in [
        ("secret.txt", &b"password = hunter2\n"[..]),
        ("escape.txt", b"10.0.0.0/8\n\x1b]0;owned\x07\n"),
        ("latin1.txt", b"10.0.0.0/8\ncaf\xe9\n"),
        ("ctl.txt", b"10.0.0.0/8\x7f\n"),
    ] {
        std::fs::write(dir.join(file), text).unwrap();
        let message = err(file);
        assert!(message.ends_with(not_an_address), "{message}");
        assert!(!message.contains('\''), "{message}");
    }
    std::fs::write(dir.join("more.txt"), "10.0.0.0/8 ; office hours\n").unwrap();
    assert!(
        err("more.txt").ends_with("more.txt:1: one entry a line, but ';' follows '10.0.0.0/8'"),
    );
    std::fs::write(dir.join("words.txt"), "10.0.0.0/8 office\n").unwrap();
    assert!(
        err("words.txt")
            .ends_with("words.txt:1: one entry a line, but more text follows '10.0.0.0/8'"),
    );
    std::fs::write(dir.join("range.txt"), "10.0.0.0-10.0.0.255\n").unwrap();
    assert!(
        err("range.txt")
            .ends_with("range.txt:1: '10.0.0.0-10.0.0.255': not an IPv4 or IPv6 address"),
    );
    let long = format!("{}/8\n", "1".repeat(5000));
    std::fs::write(dir.join("long.txt"), long).unwrap();
    let message = err("long.txt");
    assert!(
        message.ends_with(&format!(
            "long.txt:1: '{}...': not an IPv4 or IPv6 address",
            "1".repeat(64)
        )),
        "{message}"
    );
    // A NUL byte says so (a C string would be cut there).
    std::fs::write(dir.join("nul.txt"), b"10.0.0.0/8\n10.1.\x000.0/16\n").unwrap();
    assert_eq!(
        err("nul.txt"),
        format!(
            "PhotoGuardAllowNetworkFile: {}:2: a NUL byte: this is not a text file of networks",
            shown("nul.txt")
        )
    );
    // CRLF files and comments in other encodings are fine.
    std::fs::write(dir.join("crlf.txt"), b"10.0.0.0/8\r\n# caf\xe9\r\n\r\n").unwrap();
    assert!(
        ScopeConfig::new()
            .apply("PhotoGuardAllowNetworkFile", "crlf.txt", &root)
            .is_ok()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn broad_ipv6_rules_do_not_allow_ipv4_clients() {
    let s = scope(&[("PhotoGuard", "On"), ("PhotoGuardAllowNetwork", "::/64")]);
    assert_eq!(
        decide(&s, "127.9.9.9", None, None),
        "deny (403): no rule matched"
    );
    assert_eq!(
        decide(&s, "::ffff:127.9.9.9", None, None),
        "deny (403): no rule matched"
    );
    assert_eq!(
        decide(&s, "::1", None, None),
        "allow: network ::/64 (photos.conf:11)"
    );
    let mapped = scope(&[
        ("PhotoGuard", "On"),
        ("PhotoGuardAllowNetwork", "::ffff:127.9.0.0/112"),
    ]);
    assert_eq!(
        decide(&mapped, "127.9.9.9", None, None),
        "allow: network ::ffff:127.9.0.0/112 (photos.conf:11)"
    );
    assert_eq!(
        decide(&mapped, "127.10.9.9", None, None),
        "deny (403): no rule matched"
    );
    // A trusted proxy written as ::/0 trusts no IPv4 peer.
    let proxied = scope(&[
        ("PhotoGuard", "On"),
        ("PhotoGuardAllowNetwork", "10.0.0.0/8"),
        ("PhotoGuardTrustedProxy", "::/0"),
    ]);
    assert_eq!(
        decide(&proxied, "127.0.0.1", None, Some("10.1.1.1")),
        "deny (403): no rule matched"
    );
}

#[test]
fn a_failed_directive_leaves_the_scope_unchanged() {
    let mut s = seed();
    assert!(
        s.apply("PhotoGuardAllowNetwork", "10.99.0.0/16 bogus", &ctx(30))
            .is_err()
    );
    assert_eq!(s.networks().unwrap().rules().len(), 4);
}

#[test]
fn unparsable_peer_text_gives_no_decision() {
    assert!(seed().evaluate_text("not-an-ip", None, None).is_none());
}
