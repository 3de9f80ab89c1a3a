//! LTPA tokens in a real Apache: key sets and a Domino secret the test
//! generates (with the test-only minter), tokens it mints and breaks, and
//! what the module answers and logs for each. A valid token allows and sets
//! PHOTOGUARD_USER; a refused one is denied with why, in PHOTOGUARD_REASON
//! and the error log, and the token itself is never logged. Configuration
//! mistakes stop `httpd -t` with the file, line and a hint.
//!
//! Needs Apache: see tests/support/mod.rs (PHOTOGUARD_HTTPD etc. for 2.2).

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use photoguard_engine::ltpa::Rfc3339;
use photoguard_ltpa_mint::{
    Claims, MintKeys, broken, domino_secret_b64, generate_domino_secret, mint_domino, mint_ltpa2,
    xor_password,
};
use support::{JANE, Options, Server, flavor};

const PASSWORD: &str = "s3cret pass";
const SECOND_PASSWORD: &str = "n3xt-year";
const REALM: &str = "defaultRealm";
const JANE_ID: &str = "uid=jane,o=example";
const DOMINO_USER: &str = "CN=Jane Doe/O=Example";

/// Key material, generated once for all tests of this binary.
struct Material {
    keys: MintKeys,
    /// The key set after a rotation (its password file is `{xor}` encoded).
    next: MintKeys,
    /// A key set nobody configured.
    stranger: MintKeys,
    secret: [u8; 20],
}

fn material() -> &'static Material {
    static M: OnceLock<Material> = OnceLock::new();
    M.get_or_init(|| Material {
        keys: MintKeys::generate(REALM),
        next: MintKeys::generate(REALM),
        stranger: MintKeys::generate(REALM),
        secret: generate_domino_secret(),
    })
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn in_an_hour_millis() -> u64 {
    (now_secs() + 3600) * 1000
}

/// A valid LtpaToken2 for `user` whose base64 holds `+`, `/` and `=` (so
/// that percent-encoding and form-decoding change it): minted again with a
/// slightly different expiry until it does.
fn ltpa2_with_specials(keys: &MintKeys, user: &str) -> String {
    let base = in_an_hour_millis();
    (0..500)
        .map(|i| mint_ltpa2(keys, &Claims::new(user, REALM, base + i * 1000)))
        .find(|t| t.contains('+') && t.contains('/') && t.ends_with('='))
        .expect("a token with + / and = within 500 tries")
}

/// Writes a file only its owner may read (as key material should be).
fn write_private(server: &Server, relative: &str, text: &str) {
    let path = server.path(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
}

/// The key files of `material()` in the server's directory: `ltpa.keys` with
/// a plain password file, `next.keys` with an `{xor}` one, `domino.secret`.
fn write_key_files(server: &Server) {
    let m = material();
    let created = now_secs() - 86_400;
    write_private(
        server,
        "keys/ltpa.keys",
        &m.keys.to_keys_file(PASSWORD.as_bytes(), created, "was1"),
    );
    write_private(server, "keys/ltpa.password", &format!("{PASSWORD}\n"));
    write_private(
        server,
        "keys/next.keys",
        &m.next
            .to_keys_file(SECOND_PASSWORD.as_bytes(), created, "liberty2"),
    );
    write_private(
        server,
        "keys/next.password",
        &format!("{}\n", xor_password(SECOND_PASSWORD.as_bytes())),
    );
    write_private(
        server,
        "keys/domino.secret",
        &format!("{}\n", domino_secret_b64(&m.secret)),
    );
}

/// An access log with the user: status|path|decision|reason|user.
const LTPA_LOG: &str =
    "LogFormat \"%s|%U|%{PHOTOGUARD_DECISION}e|%{PHOTOGUARD_REASON}e|%{PHOTOGUARD_USER}e\" ltpa
CustomLog \"{dir}/logs/ltpa.log\" ltpa
";

/// The photo host's policy with validated LTPA cookies instead of presence
/// rules; key paths relative to ServerRoot; a second key set (rotation).
fn ltpa_site(extra: &str) -> String {
    format!(
        "{LTPA_LOG}<Directory \"{{docs}}\">
    PhotoGuard On
    PhotoGuardAllowNetwork 127.0.16.0/20
    PhotoGuardLtpaKeys keys/ltpa.keys keys/ltpa.password
    PhotoGuardLtpaKeys keys/next.keys keys/next.password
    PhotoGuardDominoSecret keys/domino.secret
    PhotoGuardAllowLtpa LtpaToken2 LtpaToken
    PhotoGuardAllowCookie STPluginActivePage=stMeetingroom
    PhotoGuardDenyAction 403
    {extra}
</Directory>
"
    )
}

fn start_ltpa(extra: &str) -> Server {
    start_ltpa_with(Options::default(), extra)
}

fn start_ltpa_with(options: Options, extra: &str) -> Server {
    let mut server = Server::prepare(options);
    write_key_files(&server);
    server.write_config(&ltpa_site(extra));
    server.launch();
    server
}

/// The 1-based line of `httpd.conf` holding `needle` (for reasons).
fn config_line(server: &Server, needle: &str) -> usize {
    let text = fs::read_to_string(server.path("httpd.conf")).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in httpd.conf"))
        + 1
}

#[derive(Debug)]
struct Entry {
    status: String,
    path: String,
    decision: String,
    reason: String,
    user: String,
}

/// The ltpa.log entries, waiting until there are at least `count`.
fn ltpa_log(server: &Server, count: usize) -> Vec<Entry> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = fs::read_to_string(server.path("logs/ltpa.log")).unwrap_or_default();
        let entries: Vec<Entry> = text
            .lines()
            .map(|line| {
                let mut p = line.splitn(5, '|').map(str::to_string);
                let mut next = || p.next().unwrap_or_default();
                Entry {
                    status: next(),
                    path: next(),
                    decision: next(),
                    reason: next(),
                    user: next(),
                }
            })
            .collect();
        if entries.len() >= count || Instant::now() > deadline {
            return entries;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asserts that no log of the server holds the token or a long piece of it.
fn assert_never_logged(server: &Server, token: &str, label: &str) {
    let mut logs = String::new();
    for name in ["error.log", "access.log", "ltpa.log", "stderr.log"] {
        logs += &fs::read_to_string(server.path(&format!("logs/{name}"))).unwrap_or_default();
    }
    let piece = |at: usize| token.get(at..at + 16);
    for probe in [Some(token), piece(0), piece(token.len() / 2)]
        .into_iter()
        .flatten()
        .filter(|p| p.len() >= 8)
    {
        assert!(
            !logs.contains(probe),
            "{label}: the token (or a piece {probe:?}) is in the logs"
        );
    }
}

#[test]
fn valid_tokens_allow_and_name_the_user() {
    for mpm in flavor().available_mpms() {
        valid_tokens_allow(Options {
            mpm,
            ..Options::default()
        });
    }
}

fn valid_tokens_allow(options: Options) {
    let m = material();
    let mpm = options.mpm;
    let server = start_ltpa_with(options, "PhotoGuardLtpaRealm defaultRealm");
    let rule = config_line(&server, "PhotoGuardAllowLtpa");
    let ltpa2 = ltpa2_with_specials(&m.keys, JANE_ID);
    let rotated = mint_ltpa2(
        &m.next,
        &Claims::new("uid=john,o=example", REALM, in_an_hour_millis()),
    );
    let now = now_secs() as u32;
    let domino = mint_domino(&m.secret, DOMINO_USER.as_bytes(), now - 60, now + 3600);
    let cases = [
        ("LtpaToken2", format!("LtpaToken2={ltpa2}"), JANE_ID),
        (
            "LtpaToken2 percent-encoded (+ kept, %2F %3D decoded)",
            format!("LtpaToken2={}", broken::percent_encoded(&ltpa2)),
            JANE_ID,
        ),
        (
            "LtpaToken2 quoted, after a forged duplicate",
            format!("a=1; LtpaToken2=x; LtpaToken2=\"{ltpa2}\""),
            JANE_ID,
        ),
        (
            "LtpaToken2 of the second key set (rotation)",
            format!("LtpaToken2={rotated}"),
            "uid=john,o=example",
        ),
        (
            "Domino LtpaToken",
            format!("LtpaToken={domino}"),
            DOMINO_USER,
        ),
    ];
    for (n, (label, cookie, user)) in cases.iter().enumerate() {
        let response = server.get(JANE).from("127.0.0.1").cookie(cookie).send();
        assert_eq!(response.status, 200, "{mpm:?} {label}: {response:?}");
        assert!(response.body.contains("JPEG"), "{label}");
        assert_eq!(response.header("Cache-Control"), Some("private"), "{label}");
        let entry = ltpa_log(&server, n + 1).pop().unwrap();
        let cookie_name = if label.starts_with("Domino") {
            "LtpaToken"
        } else {
            "LtpaToken2"
        };
        assert_eq!(entry.status, "200", "{label}: {entry:?}");
        assert_eq!(entry.decision, "allow", "{label}: {entry:?}");
        assert_eq!(
            entry.reason,
            format!("ltpa {cookie_name} (httpd.conf:{rule}) user {user}"),
            "{label}"
        );
        assert_eq!(entry.user, *user, "{label}: PHOTOGUARD_USER");
    }
    // The harness' own access log (its format has no user) still parses.
    let plain = server.access_log(cases.len());
    assert!(plain.iter().all(|e| e.decision == "allow"), "{plain:?}");
    // A network allow sets no PHOTOGUARD_USER, even with a valid token.
    let office = server
        .get(JANE)
        .from("127.0.16.5")
        .cookie(&format!("LtpaToken2={ltpa2}"))
        .send();
    assert_eq!(office.status, 200);
    let entry = ltpa_log(&server, cases.len() + 1).pop().unwrap();
    assert!(entry.reason.starts_with("network "), "{entry:?}");
    assert_eq!(entry.user, "-", "{entry:?}");
    for (label, cookie, _) in &cases {
        assert_never_logged(&server, cookie.split_once('=').unwrap().1, label);
    }
    assert!(
        server.crash_lines().is_empty(),
        "{:?}",
        server.crash_lines()
    );
}

/// Every way a token is refused: status 403, the reason in
/// PHOTOGUARD_REASON and in the error log's denial line, no user, and the
/// token in no log.
#[test]
fn refused_tokens_are_denied_with_why_and_never_logged() {
    let m = material();
    let server = start_ltpa("PhotoGuardLtpaRealm defaultRealm");
    let rule = config_line(&server, "PhotoGuardAllowLtpa");
    let hour = in_an_hour_millis();
    let jane = Claims::new(JANE_ID, REALM, hour);
    let valid = ltpa2_with_specials(&m.keys, JANE_ID);
    let expired_at = (now_secs() - 3600) * 1000;
    let expired = mint_ltpa2(&m.keys, &Claims::new(JANE_ID, REALM, expired_at));
    let now = now_secs() as u32;
    let future = mint_domino(&m.secret, DOMINO_USER.as_bytes(), now + 3600, now + 7200);
    let stale = mint_domino(&m.secret, DOMINO_USER.as_bytes(), now - 7200, now - 3600);
    let good_domino = mint_domino(&m.secret, DOMINO_USER.as_bytes(), now - 60, now + 3600);
    let stranger_secret = generate_domino_secret();
    let foreign_domino = mint_domino(
        &stranger_secret,
        DOMINO_USER.as_bytes(),
        now - 60,
        now + 3600,
    );
    let expired_text = format!("expired at {}", Rfc3339(expired_at / 1000));
    let stale_text = format!("expired at {}", Rfc3339(u64::from(now) - 3600));
    let future_text = format!("not yet valid until {}", Rfc3339(u64::from(now) + 3600));
    let mid = valid.len() / 2;
    let cases: Vec<(&str, &str, String, String)> = vec![
        ("expired", "LtpaToken2", expired, expired_text),
        (
            "flipped ciphertext byte",
            "LtpaToken2",
            broken::flip_byte(&valid, 3, 0x20),
            "bad signature".into(),
        ),
        (
            "swapped signature",
            "LtpaToken2",
            broken::swapped_signature(&m.keys, &jane, &Claims::new("uid=mallory", REALM, hour)),
            "bad signature".into(),
        ),
        (
            "body expire disagreeing with the field",
            "LtpaToken2",
            broken::expire_mismatch(&m.keys, &jane, hour + 3_600_000),
            "bad signature".into(),
        ),
        (
            "wrong key set",
            "LtpaToken2",
            mint_ltpa2(&m.stranger, &jane),
            "no key verifies it".into(),
        ),
        (
            "another realm",
            "LtpaToken2",
            mint_ltpa2(&m.keys, &Claims::new(JANE_ID, "otherRealm", hour)),
            "realm not accepted".into(),
        ),
        (
            "truncated",
            "LtpaToken2",
            broken::truncated(&valid, valid.len() - 10),
            "malformed".into(),
        ),
        (
            "oversized (over 4 KB)",
            "LtpaToken2",
            broken::oversized(&m.keys, &jane),
            "malformed".into(),
        ),
        (
            "not base64",
            "LtpaToken2",
            broken::not_base64(&valid),
            "malformed".into(),
        ),
        (
            "+ decoded as a space (form decoding)",
            "LtpaToken2",
            broken::plus_as_space(&valid),
            "malformed".into(),
        ),
        (
            "a bad percent escape",
            "LtpaToken2",
            format!("{}%G1{}", &valid[..mid], &valid[mid..]),
            "malformed".into(),
        ),
        (
            "percent-encoded and flipped",
            "LtpaToken2",
            broken::percent_encoded(&broken::flip_byte(&valid, 3, 0x20)),
            "bad signature".into(),
        ),
        ("forged x", "LtpaToken2", "x".into(), "malformed".into()),
        ("Domino not yet valid", "LtpaToken", future, future_text),
        ("Domino expired", "LtpaToken", stale, stale_text),
        (
            "Domino flipped MAC",
            "LtpaToken",
            broken::flip_last_byte(&good_domino, 1),
            "no key verifies it".into(),
        ),
        (
            "Domino of another secret",
            "LtpaToken",
            foreign_domino,
            "no key verifies it".into(),
        ),
    ];
    for (n, (label, name, token, why)) in cases.iter().enumerate() {
        let response = server
            .get(JANE)
            .from("127.0.0.1")
            .cookie(&format!("{name}={token}"))
            .send();
        assert_eq!(response.status, 403, "{label}: {response:?}");
        assert!(!response.body.contains("JPEG"), "{label}");
        let expected = format!("ltpa {name} (httpd.conf:{rule}) refused: {why}");
        let entry = ltpa_log(&server, n + 1).pop().unwrap();
        assert_eq!(entry.status, "403", "{label}: {entry:?}");
        assert_eq!(entry.path, JANE, "{label}: {entry:?}");
        assert_eq!(entry.decision, "deny", "{label}: {entry:?}");
        assert_eq!(entry.reason, expected, "{label}");
        assert_eq!(entry.user, "-", "{label}: no PHOTOGUARD_USER on a denial");
        let errors = server.error_log();
        assert!(
            errors.contains(&format!(
                "denied client 127.0.0.1 for {JANE}: {expected} (403)"
            )),
            "{label}: no denial line with {expected:?} in\n{errors}"
        );
    }
    for (label, _, token, _) in &cases {
        assert_never_logged(&server, token, label);
    }
    // A token that is refused does not stop another rule from allowing.
    let meeting = server
        .get(JANE)
        .from("127.0.0.1")
        .cookie("LtpaToken2=x; STPluginActivePage=stMeetingroom")
        .send();
    assert_eq!(meeting.status, 200);
    assert!(
        server.crash_lines().is_empty(),
        "{:?}",
        server.crash_lines()
    );
}

#[test]
fn a_presence_rule_alone_still_allows_any_value() {
    let server = Server::start(&format!(
        "{LTPA_LOG}<Directory \"{{docs}}\">
    PhotoGuard On
    PhotoGuardAllowCookie LtpaToken2
    PhotoGuardDenyAction 403
</Directory>
"
    ));
    let rule = config_line(&server, "PhotoGuardAllowCookie LtpaToken2");
    let response = server
        .get(JANE)
        .from("127.0.0.1")
        .cookie("LtpaToken2=x")
        .send();
    assert_eq!(response.status, 200);
    let entry = ltpa_log(&server, 1).pop().unwrap();
    assert_eq!(
        entry.reason,
        format!("cookie LtpaToken2 (httpd.conf:{rule})")
    );
    assert_eq!(entry.user, "-");
}

/// `httpd -t` on the LTPA site with `edit` applied to the key files first:
/// fails, naming httpd.conf and the directive's line, with `hints`.
fn config_fails(
    directive_line: &str,
    edit: impl FnOnce(&Server),
    extra: &str,
    hints: &[&str],
    not: &[&str],
) {
    let server = Server::prepare(Options::default());
    write_key_files(&server);
    edit(&server);
    let config = server.write_config(&ltpa_site(extra));
    let line = config_line(&server, directive_line);
    let (ok, out) = server.config_test();
    assert!(!ok, "httpd -t accepted it:\n{out}");
    let place = format!("line {line} of {}", config.display());
    assert!(out.contains(&place), "no {place:?} in:\n{out}");
    for hint in hints {
        assert!(out.contains(hint), "no {hint:?} in:\n{out}");
    }
    for bad in not {
        assert!(!out.contains(bad), "{bad:?} in:\n{out}");
    }
    // Nothing secret in the message.
    assert!(
        !out.contains(PASSWORD) && !out.contains(SECOND_PASSWORD),
        "{out}"
    );
}

fn replace_in(server: &Server, relative: &str, from: &str, to: &str) {
    let path = server.path(relative);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in {relative}");
    fs::write(&path, text.replace(from, to)).unwrap();
}

#[test]
fn config_errors_name_file_line_and_a_hint() {
    // A missing key file.
    config_fails(
        "keys/ltpa.keys",
        |s| fs::remove_file(s.path("keys/ltpa.keys")).unwrap(),
        "",
        &["LTPA keys file", "keys/ltpa.keys", "No such file"],
        &[],
    );
    // An unreadable password file (root reads any mode: a directory then).
    config_fails(
        "keys/next.keys",
        |s| {
            let path = s.path("keys/next.password");
            if running_as_root() {
                fs::remove_file(&path).unwrap();
                fs::create_dir(&path).unwrap();
            } else {
                fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
            }
        },
        "",
        &["LTPA password file", "keys/next.password"],
        &["network file"],
    );
    // A password that does not open the keys: says so, not "padding".
    config_fails(
        "keys/ltpa.keys",
        |s| write_private(s, "keys/ltpa.password", "not-the-password\n"),
        "",
        &["wrong password", "keys/ltpa.keys", "keys/ltpa.password"],
        &["padding", "not-the-password"],
    );
    // FIPS-mode exports: version 2.0, or a SharedKey property.
    config_fails(
        "keys/ltpa.keys",
        |s| replace_in(s, "keys/ltpa.keys", "ltpa.version=1.0", "ltpa.version=2.0"),
        "",
        &["version 2.0 is not supported", "export version 1.0 keys"],
        &[],
    );
    config_fails(
        "keys/next.keys",
        |s| {
            let path = s.path("keys/next.keys");
            let mut text = fs::read_to_string(&path).unwrap();
            text += "com.ibm.websphere.ltpa.SharedKey=AAAA\n";
            fs::write(&path, text).unwrap();
        },
        "",
        &["SharedKey", "export version 1.0 keys"],
        &[],
    );
    // A Domino secret that is not one.
    config_fails(
        "PhotoGuardDominoSecret",
        |s| write_private(s, "keys/domino.secret", "not*base64\n"),
        "",
        &["keys/domino.secret", "not base64"],
        &[],
    );
    config_fails(
        "PhotoGuardDominoSecret",
        |s| write_private(s, "keys/domino.secret", "AAECAwQF\n"),
        "",
        &["keys/domino.secret", "not 20 bytes"],
        &[],
    );
    // The other LTPA directives check their words too.
    config_fails(
        "PhotoGuardLtpaAccept",
        |_| {},
        "PhotoGuardLtpaAccept ltpa2 jwt",
        &["jwt"],
        &[],
    );
    config_fails(
        "PhotoGuardLtpaClockSkew",
        |_| {},
        "PhotoGuardLtpaClockSkew 100000",
        &["more than a day"],
        &[],
    );
}

#[test]
fn a_world_readable_password_file_is_warned_about_at_startup() {
    let mut server = Server::prepare(Options::default());
    write_key_files(&server);
    fs::set_permissions(
        server.path("keys/ltpa.password"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    fs::set_permissions(
        server.path("keys/domino.secret"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    server.write_config(&ltpa_site(""));
    let keys_line = config_line(&server, "keys/ltpa.keys");
    let secret_line = config_line(&server, "PhotoGuardDominoSecret");
    let (ok, out) = server.config_test();
    assert!(ok, "a warning is not an error:\n{out}");
    assert!(
        out.contains("ltpa.password is readable by every user") && out.contains("chmod o-r"),
        "httpd -t shows the warning:\n{out}"
    );
    server.launch();
    let errors = server.error_log();
    for (file, line) in [
        ("keys/ltpa.password", keys_line),
        ("keys/domino.secret", secret_line),
    ] {
        assert!(
            errors.lines().any(|l| l.contains("photoguard:")
                && l.contains(&format!("httpd.conf:{line}"))
                && l.contains(file)
                && l.contains("is readable by every user on this machine; chmod o-r it")),
            "no warning for {file} (line {line}) in the error log:\n{errors}"
        );
    }
    // The private files are not warned about.
    assert!(!errors.contains("next.password is readable"), "{errors}");
    // And the server works.
    let token = mint_ltpa2(
        &material().keys,
        &Claims::new(JANE_ID, REALM, in_an_hour_millis()),
    );
    let response = server
        .get(JANE)
        .from("127.0.0.1")
        .cookie(&format!("LtpaToken2={token}"))
        .send();
    assert_eq!(response.status, 200);
}

/// A graceful restart with the old key set removed: its tokens are refused
/// from then on (the per-process cache does not keep them), the new set's
/// still allowed.
#[test]
fn removing_the_old_key_set_refuses_its_tokens_after_a_graceful_restart() {
    let m = material();
    let server = start_ltpa("");
    let old = mint_ltpa2(&m.keys, &Claims::new(JANE_ID, REALM, in_an_hour_millis()));
    let new = mint_ltpa2(&m.next, &Claims::new(JANE_ID, REALM, in_an_hour_millis()));
    for token in [&old, &new, &old] {
        let r = server
            .get(JANE)
            .from("127.0.0.1")
            .cookie(&format!("LtpaToken2={token}"))
            .send();
        assert_eq!(r.status, 200);
    }
    let site = ltpa_site("").replace(
        "    PhotoGuardLtpaKeys keys/ltpa.keys keys/ltpa.password\n",
        "",
    );
    server.graceful_restart(&site);
    let before = ltpa_log(&server, 3).len();
    let old_r = server
        .get(JANE)
        .from("127.0.0.1")
        .cookie(&format!("LtpaToken2={old}"))
        .send();
    assert_eq!(old_r.status, 403, "the removed key set's token");
    let entry = ltpa_log(&server, before + 1).pop().unwrap();
    assert!(
        entry.reason.ends_with("refused: no key verifies it"),
        "{entry:?}"
    );
    let new_r = server
        .get(JANE)
        .from("127.0.0.1")
        .cookie(&format!("LtpaToken2={new}"))
        .send();
    assert_eq!(new_r.status, 200, "the remaining key set's token");
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

/// A nested scope that inherits the parent's `PhotoGuardAllowLtpa` (and so
/// its token cache) but narrows the realms: a token the parent accepted and
/// cached is refused there, and a child with its own key set accepts only
/// that set's tokens.
#[test]
fn nested_scopes_do_not_share_a_verdict() {
    let m = material();
    let mut server = Server::prepare(Options::default());
    write_key_files(&server);
    server.write_file("docs/team/jane.doe@example.com.jpg", "JPEG team jane\n");
    server.write_file("docs/next/jane.doe@example.com.jpg", "JPEG next jane\n");
    let site = format!(
        "{}<Directory \"{{docs}}/team\">
    PhotoGuardLtpaRealm partnerRealm
</Directory>
<Directory \"{{docs}}/next\">
    PhotoGuardLtpaKeys keys/next.keys keys/next.password
</Directory>
",
        ltpa_site("")
    );
    server.write_config(&site);
    server.launch();
    let rule = config_line(&server, "PhotoGuardAllowLtpa");
    let old = mint_ltpa2(&m.keys, &Claims::new(JANE_ID, REALM, in_an_hour_millis()));
    let new = mint_ltpa2(&m.next, &Claims::new(JANE_ID, REALM, in_an_hour_millis()));
    let get = |path: &str, token: &str| {
        server
            .get(path)
            .from("127.0.0.1")
            .cookie(&format!("LtpaToken2={token}"))
            .send()
            .status
    };
    // One connection after another may land on the same child: repeat so
    // that the cache is warm wherever the next request goes.
    for _ in 0..4 {
        assert_eq!(get(JANE, &old), 200, "the parent accepts it");
    }
    assert_eq!(get("/team/jane.doe@example.com.jpg", &old), 403);
    let entries = ltpa_log(&server, 5);
    assert_eq!(
        entries.last().unwrap().reason,
        format!("ltpa LtpaToken2 (httpd.conf:{rule}) refused: realm not accepted")
    );
    assert_eq!(get("/next/jane.doe@example.com.jpg", &old), 403);
    assert_eq!(get("/next/jane.doe@example.com.jpg", &new), 200);
    assert_eq!(get(JANE, &new), 200, "the parent has both key sets");
}

/// Key files are read once, by root, at startup: `.htaccess` may not name
/// them (it would read them on every request, as the children's user), but
/// may use the keys the server configuration gives its directory.
#[test]
fn htaccess_uses_the_server_keys_and_may_not_name_key_files() {
    let m = material();
    let mut server = Server::prepare(Options::default());
    write_key_files(&server);
    server.write_file(
        "docs/.htaccess",
        "PhotoGuard On\nPhotoGuardAllowLtpa LtpaToken2\nPhotoGuardDenyAction 403\n",
    );
    server.write_file("docs/bad/jane.doe@example.com.jpg", "JPEG bad\n");
    server.write_file(
        "docs/bad/.htaccess",
        "PhotoGuardLtpaKeys keys/ltpa.keys keys/ltpa.password\n",
    );
    server.write_file("docs/bad2/jane.doe@example.com.jpg", "JPEG bad\n");
    server.write_file(
        "docs/bad2/.htaccess",
        "PhotoGuardDominoSecret keys/domino.secret\n",
    );
    server.write_config(&format!(
        "{LTPA_LOG}<Directory \"{{docs}}\">
    AllowOverride AuthConfig
    PhotoGuardLtpaKeys keys/ltpa.keys keys/ltpa.password
</Directory>
"
    ));
    server.launch();
    let token = mint_ltpa2(&m.keys, &Claims::new(JANE_ID, REALM, in_an_hour_millis()));
    let get = |path: &str, cookie: &str| server.get(path).from("127.0.0.1").cookie(cookie).send();
    let allowed = get(JANE, &format!("LtpaToken2={token}"));
    assert_eq!(allowed.status, 200);
    let entry = ltpa_log(&server, 1).pop().unwrap();
    assert_eq!(
        entry.reason,
        format!("ltpa LtpaToken2 (.htaccess:2) user {JANE_ID}")
    );
    assert_eq!(entry.user, JANE_ID);
    assert_eq!(get(JANE, "LtpaToken2=x").status, 403);
    for (dir, directive) in [
        ("bad", "PhotoGuardLtpaKeys"),
        ("bad2", "PhotoGuardDominoSecret"),
    ] {
        let refused = get(
            &format!("/{dir}/jane.doe@example.com.jpg"),
            &format!("LtpaToken2={token}"),
        );
        assert_eq!(refused.status, 500, "{dir}");
        let errors = server.error_log();
        assert!(
            errors.contains(&format!("{directive} not allowed here")),
            "{errors}"
        );
    }
}
