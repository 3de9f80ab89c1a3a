//! LTPA in the tool, run as a built binary: `ltpa inspect` on the public
//! vectors (expired long ago, so with `--now`) and on tokens minted here
//! with keys nobody else has; `check --now`; lint's LTPA warnings; the
//! import-rewrite note.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use photoguard_engine::ltpa::Rfc3339;
use photoguard_ltpa_mint::broken::flip_byte;
use photoguard_ltpa_mint::{
    Claims, MintKeys, domino_secret_b64, generate_domino_secret, mint_domino, mint_ltpa2, mint_v1,
};

use common::{FIXTURES, photoguard, temp_dir};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../engine/src/ltpa/testdata");
/// The user of sephiroth-j's LtpaToken2 vector, and its expiry.
const SEPHIROTH_USER: &str = "CN=fae6d87c-c642-45a6-9f09-915c7fd8b08c,OU=user,DC=foo,DC=bar";
const SEPHIROTH_EXPIRES: &str = "2018-02-19T12:31:00Z";
/// markusberg's Domino secret for example.com and its first token (user
/// "My Test User", created 1234567890 - 300, expires 1234567890 + 5400 + 300).
const MARKUSBERG_SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhM=";
const MARKUSBERG_TOKEN: &str =
    "AAECAzQ5OTYwMWE2NDk5NjE5MTZNeSBUZXN0IFVzZXJjcHMKyXIrtD4SZcV7DKWd67EFng==";

const PASSWORD: &str = "keys password";
const USER: &str = "uid=jane,ou=people,o=example";

fn vector(name: &str) -> String {
    format!("{VECTORS}/{name}")
}

fn sephiroth_token() -> String {
    std::fs::read_to_string(vector("sephiroth-ltpatoken2.txt"))
        .unwrap()
        .trim()
        .to_string()
}

fn sephiroth_keys() -> Vec<String> {
    [
        "--keys",
        &vector("sephiroth-ltpa.keys"),
        "--password-file",
        &vector("sephiroth-password.txt"),
    ]
    .map(String::from)
    .to_vec()
}

fn args<'a>(list: &'a [String], extra: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["ltpa", "inspect"];
    all.extend(list.iter().map(String::as_str));
    all.extend_from_slice(extra);
    all
}

/// Runs the binary with `input` on standard input.
fn photoguard_with_stdin(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_photoguard"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Writes a file readable by its owner alone (a world-readable password or
/// secret file is worth a warning, tested on its own).
fn write_private(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Minted key sets and a Domino secret, written where the tests look.
struct Minted {
    dir: PathBuf,
    first: MintKeys,
    second: MintKeys,
    secret: [u8; 20],
}

impl Minted {
    fn new(test: &str) -> Minted {
        let dir = temp_dir(test);
        let minted = Minted {
            first: MintKeys::generate("example.com"),
            second: MintKeys::generate("example.com"),
            secret: generate_domino_secret(),
            dir,
        };
        for (name, keys) in [("first", &minted.first), ("second", &minted.second)] {
            write_private(
                &minted.dir.join(format!("{name}.keys")),
                &keys.to_keys_file(PASSWORD.as_bytes(), 1_790_000_000, "was1.example.com"),
            );
        }
        write_private(&minted.dir.join("ltpa.password"), &format!("{PASSWORD}\n"));
        write_private(
            &minted.dir.join("domino.secret"),
            &format!("{}\n", domino_secret_b64(&minted.secret)),
        );
        minted
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// `--keys first.keys --password-file ltpa.password`.
    fn first_keys(&self) -> Vec<String> {
        vec![
            "--keys".into(),
            self.path("first.keys"),
            "--password-file".into(),
            self.path("ltpa.password"),
        ]
    }

    fn valid_token(&self, keys: &MintKeys) -> String {
        mint_ltpa2(
            keys,
            &Claims::new(USER, "example.com", (now_secs() + 3_600) * 1000),
        )
    }
}

// ---- ltpa inspect: the public vectors ----

#[test]
fn the_public_ltpatoken2_vector_is_valid_inside_its_validity() {
    let keys = sephiroth_keys();
    let token = sephiroth_token();
    let (code, stdout, stderr) =
        photoguard(&args(&keys, &["--now", "2018-02-19T12:00:00Z", &token]));
    assert_eq!((code, stderr.as_str()), (0, ""), "{stdout}");
    assert_eq!(
        stdout,
        format!(
            "format:     ltpa2 (LtpaToken2)\n\
             realm:      LdapRegistry\n\
             user:       {SEPHIROTH_USER}\n\
             created:    -\n\
             expires:    {SEPHIROTH_EXPIRES}\n\
             verified:   --keys {}\n\
             checked at: 2018-02-19T12:00:00Z\n\
             verdict:    valid\n",
            vector("sephiroth-ltpa.keys")
        )
    );
}

#[test]
fn the_public_vector_as_json_uri_encoded_and_with_its_cookie_name() {
    let keys = sephiroth_keys();
    let encoded = std::fs::read_to_string(vector("sephiroth-ltpatoken2-uri-encoded.txt")).unwrap();
    let (code, stdout, _) = photoguard(&args(
        &keys,
        &[
            "--now",
            "2018-02-19T13:00:00+01:00",
            "--json",
            encoded.trim(),
        ],
    ));
    assert_eq!(code, 0, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "format": "ltpa2",
            "realm": "LdapRegistry",
            "user": SEPHIROTH_USER,
            "created": null,
            "expires": SEPHIROTH_EXPIRES,
            "key": format!("--keys {}", vector("sephiroth-ltpa.keys")),
            "now": "2018-02-19T12:00:00Z",
            "valid": true,
            "reason": "valid",
        })
    );
    // Pasted with its name, as a browser's cookie list shows it.
    let cookie = format!("LtpaToken2={}", sephiroth_token());
    let (code, stdout, stderr) =
        photoguard(&args(&keys, &["--now", "2018-02-19T12:00:00Z", &cookie]));
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(
        stderr,
        "note: inspected the value of the cookie LtpaToken2\n"
    );
}

#[test]
fn the_public_vector_today_is_expired_and_exits_1() {
    let (code, stdout, _) = photoguard(&args(&sephiroth_keys(), &[&sephiroth_token()]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.ends_with(&format!(
            "verdict:    invalid: expired at {SEPHIROTH_EXPIRES}\n"
        )),
        "{stdout}"
    );
    // It verified: who it was for is shown, for the admin asking why.
    assert!(stdout.contains(SEPHIROTH_USER), "{stdout}");
    // Inside the clock skew it still passes; past it, not.
    let within = photoguard(&args(
        &sephiroth_keys(),
        &["--now", "2018-02-19T12:31:59Z", &sephiroth_token()],
    ));
    assert_eq!(within.0, 0, "{}", within.1);
    let past = photoguard(&args(
        &sephiroth_keys(),
        &[
            "--clock-skew",
            "0",
            "--now",
            "2018-02-19T12:31:01Z",
            &sephiroth_token(),
        ],
    ));
    assert_eq!(past.0, 1, "{}", past.1);
}

#[test]
fn the_public_domino_vector_from_standard_input() {
    let dir = temp_dir("domino-vector");
    let secret = dir.join("domino.secret");
    write_private(&secret, &format!("{MARKUSBERG_SECRET}\n"));
    let secret = secret.display().to_string();
    let (code, stdout, stderr) = photoguard_with_stdin(
        &[
            "ltpa",
            "inspect",
            "--domino-secret",
            &secret,
            "--now",
            "2009-02-13T23:31:30Z",
            "-",
        ],
        &format!("{MARKUSBERG_TOKEN}\n"),
    );
    assert_eq!((code, stderr.as_str()), (0, ""), "{stdout}");
    assert_eq!(
        stdout,
        format!(
            "format:     domino (LtpaToken)\n\
             realm:      -\n\
             user:       My Test User\n\
             created:    2009-02-13T23:26:30Z\n\
             expires:    2009-02-14T01:06:30Z\n\
             verified:   --domino-secret {secret}\n\
             checked at: 2009-02-13T23:31:30Z\n\
             verdict:    valid\n"
        )
    );
    // Before its creation time (beyond the skew): refused, and it says so.
    let (code, stdout, _) = photoguard_with_stdin(
        &[
            "ltpa",
            "inspect",
            "--domino-secret",
            &secret,
            "--now",
            "2009-02-13T23:20:00Z",
            "-",
        ],
        MARKUSBERG_TOKEN,
    );
    assert_eq!(code, 1);
    assert!(
        stdout.contains("verdict:    invalid: not yet valid until 2009-02-13T23:26:30Z\n"),
        "{stdout}"
    );
}

// ---- ltpa inspect: minted tokens ----

#[test]
fn a_minted_token_is_valid_and_a_forged_one_shows_nothing_but_why() {
    let m = Minted::new("inspect-minted");
    let keys = m.first_keys();
    let valid = m.valid_token(&m.first);
    let (code, stdout, _) = photoguard(&args(&keys, &[&valid]));
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains(&format!("user:       {USER}\n")),
        "{stdout}"
    );
    assert!(stdout.contains("realm:      example.com\n"), "{stdout}");

    let stranger = MintKeys::generate("example.com");
    let cases = [
        ("x".to_string(), "malformed"),
        ("LtpaToken2=x".to_string(), "malformed"),
        (m.valid_token(&stranger), "no key verifies it"),
        (flip_byte(&valid, 3, 0x01), "bad signature"),
        (
            mint_v1(
                &m.first,
                &Claims::new(USER, "example.com", (now_secs() + 60) * 1000),
            ),
            "format not accepted",
        ),
    ];
    for (token, reason) in cases {
        let (code, stdout, _) = photoguard(&args(&keys, &[&token]));
        assert_eq!(code, 1, "{reason}: {stdout}");
        assert!(
            stdout.contains(&format!("verdict:    invalid: {reason}\n")),
            "{reason}: {stdout}"
        );
        assert!(
            !stdout.contains("user:") && !stdout.contains(USER),
            "no field of an unverified token: {stdout}"
        );
        assert!(stdout.contains("it did not verify"), "{stdout}");
        let (_, json, _) = photoguard(&args(&keys, &["--json", &token]));
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(json["valid"], false);
        assert_eq!(json["reason"], reason);
        for field in ["format", "user", "realm", "created", "expires", "key"] {
            assert_eq!(json[field], serde_json::Value::Null, "{field}: {json}");
        }
    }
}

#[test]
fn realms_formats_expiry_and_rotation() {
    let m = Minted::new("inspect-options");
    let valid = m.valid_token(&m.first);
    let keys = m.first_keys();

    let (code, stdout, _) = photoguard(&args(&keys, &["--realm", "other.example", &valid]));
    assert_eq!(code, 1);
    assert!(stdout.contains("verdict:    invalid: realm not accepted\n"));
    assert!(stdout.contains("realm:      example.com\n"), "{stdout}");
    assert_eq!(
        photoguard(&args(&keys, &["--realm", "EXAMPLE.COM", &valid])).0,
        0
    );

    let v1 = mint_v1(
        &m.first,
        &Claims::new(USER, "example.com", (now_secs() + 60) * 1000),
    );
    let (code, stdout, _) = photoguard(&args(&keys, &["--accept", "ltpa2,websphere-v1", &v1]));
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("format:     websphere-v1 (LtpaToken)\n"));
    assert_eq!(
        photoguard(&args(&keys, &["--accept", "domino", &valid])).0,
        1
    );

    let an_hour_ago = now_secs() - 3_600;
    let expired = mint_ltpa2(
        &m.first,
        &Claims::new(USER, "example.com", an_hour_ago * 1000),
    );
    let (code, stdout, _) = photoguard(&args(&keys, &["--json", &expired]));
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json["reason"],
        format!("expired at {}", Rfc3339(an_hour_ago))
    );
    assert_eq!(json["user"], USER);
    assert_eq!(json["valid"], false);

    // Rotation: the old and the new key set, in order; each token names
    // the one that verified it.
    let mut both = keys.clone();
    both.extend([
        "--keys".into(),
        m.path("second.keys"),
        "--password-file".into(),
        m.path("ltpa.password"),
    ]);
    let newer = m.valid_token(&m.second);
    let (code, stdout, _) = photoguard(&args(&both, &[&newer]));
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains(&format!("verified:   --keys {}\n", m.path("second.keys"))),
        "{stdout}"
    );
    assert_eq!(photoguard(&args(&keys, &[&newer])).0, 1);

    let now = now_secs() as u32;
    let domino = mint_domino(&m.secret, b"CN=Jane Doe/O=Example", now - 60, now + 600);
    let secret = vec!["--domino-secret".to_string(), m.path("domino.secret")];
    let (code, stdout, _) = photoguard(&args(&secret, &[&domino]));
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("user:       CN=Jane Doe/O=Example\n"));
}

#[test]
fn key_and_usage_errors_exit_2_and_say_what_is_wrong() {
    let m = Minted::new("inspect-errors");
    let wrong = m.dir.join("wrong.password");
    write_private(&wrong, "not the password\n");
    let token = m.valid_token(&m.first);
    let run = |list: &[&str]| {
        let mut all = vec!["ltpa", "inspect"];
        all.extend_from_slice(list);
        photoguard(&all)
    };
    let first = m.path("first.keys");
    let wrong = wrong.display().to_string();
    let (code, stdout, stderr) = run(&["--keys", &first, "--password-file", &wrong, &token]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        format!(
            "photoguard ltpa inspect: --keys {first} with --password-file {wrong}: the password does not decrypt the LTPA keys (wrong password: use the keysPassword of the server that exported this file)\n"
        )
    );
    let password = m.path("ltpa.password");
    let missing = m.path("missing.keys");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--keys", &missing, "--password-file", &password, &token],
            "missing.keys: cannot read",
        ),
        (vec![&token], "nothing to verify with"),
        (
            vec![
                "--keys",
                &first,
                "--keys",
                &first,
                "--password-file",
                &password,
                &token,
            ],
            "each --keys needs its own --password-file",
        ),
        (
            vec![
                "--keys",
                &first,
                "--password-file",
                &password,
                "--now",
                "yesterday",
                &token,
            ],
            "--now 'yesterday': not an RFC 3339 time",
        ),
        (
            vec![
                "--keys",
                &first,
                "--password-file",
                &password,
                "--accept",
                "ltpa3",
                &token,
            ],
            "unknown LTPA format 'ltpa3'",
        ),
        (
            vec!["--domino-secret", &first, &token],
            "the Domino secret is malformed",
        ),
        (vec!["--keys", &first, &token], "--password-file"),
    ];
    for (list, needle) in cases {
        let (code, stdout, stderr) = run(&list);
        assert_eq!((code, stdout.as_str()), (2, ""), "{list:?}: {stderr}");
        assert!(stderr.contains(needle), "{list:?}: {stderr}");
    }
    let (code, _, stderr) = photoguard_with_stdin(
        &[
            "ltpa",
            "inspect",
            "--keys",
            &first,
            "--password-file",
            &password,
            "-",
        ],
        "\n",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("no token on standard input"), "{stderr}");
}

// ---- check --now ----

/// A ServerRoot for fixtures/ltpa/*.conf: keys/ with the public vectors'
/// keys (sephiroth-j's key export and password, markusberg's secret).
fn vector_server_root(test: &str) -> PathBuf {
    let root = temp_dir(test);
    let keys = root.join("keys");
    write_private(
        &keys.join("ltpa.keys"),
        &std::fs::read_to_string(vector("sephiroth-ltpa.keys")).unwrap(),
    );
    write_private(
        &keys.join("ltpa.password"),
        &std::fs::read_to_string(vector("sephiroth-password.txt")).unwrap(),
    );
    write_private(
        &keys.join("domino.secret"),
        &format!("{MARKUSBERG_SECRET}\n"),
    );
    root
}

fn check_photos(root: &Path, scope: &str, extra: &[&str]) -> (i32, String, String) {
    let config = format!("{FIXTURES}/ltpa/photos.conf");
    let root = root.display().to_string();
    let mut all = vec![
        "check",
        "--config",
        &config,
        "--server-root",
        &root,
        "--scope",
        scope,
        "--ip",
        "203.0.113.9",
    ];
    all.extend_from_slice(extra);
    photoguard(&all)
}

#[test]
fn check_decides_ltpa_at_the_time_given() {
    let root = vector_server_root("check-now");
    let cookie = format!("theme=dark; LtpaToken2={}", sephiroth_token());
    assert_eq!(
        check_photos(
            &root,
            "/photos/jane.jpg",
            &["--cookie", &cookie, "--now", "2018-02-19T12:00:00Z"]
        ),
        (
            0,
            format!("allow: ltpa LtpaToken2 (photos.conf:8) user {SEPHIROTH_USER}\n"),
            String::new()
        )
    );
    assert_eq!(
        check_photos(&root, "/photos/jane.jpg", &["--cookie", &cookie]),
        (
            1,
            format!(
                "deny (403): ltpa LtpaToken2 (photos.conf:8) refused: expired at {SEPHIROTH_EXPIRES}\n"
            ),
            String::new()
        )
    );
    let (code, stdout, _) = check_photos(
        &root,
        "/photos/jane.jpg",
        &[
            "--cookie",
            &format!("LtpaToken={MARKUSBERG_TOKEN}"),
            "--now",
            "2009-02-13T23:31:30Z",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["decision"], "allow");
    assert_eq!(json["user"], "My Test User");
    assert_eq!(
        json["reason"],
        "ltpa LtpaToken (photos.conf:8) user My Test User"
    );
    // A forged token: denied with its reason.
    assert_eq!(
        check_photos(&root, "/photos/jane.jpg", &["--cookie", "LtpaToken2=x"]).1,
        "deny (403): ltpa LtpaToken2 (photos.conf:8) refused: malformed\n"
    );
    let (code, _, stderr) = check_photos(&root, "/photos/jane.jpg", &["--now", "soon"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--now 'soon': not an RFC 3339 time"),
        "{stderr}"
    );
}

#[test]
fn check_says_that_it_does_not_apply_limits() {
    let root = vector_server_root("check-limits");
    let cookie = format!("LtpaToken2={}", sephiroth_token());
    let (code, stdout, stderr) = check_photos(
        &root,
        "/photos/limited/jane.jpg",
        &["--cookie", &cookie, "--now", "2018-02-19T12:00:00Z"],
    );
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("allow: ltpa LtpaToken2"), "{stdout}");
    assert_eq!(
        stderr,
        "note: limits (PhotoGuardLimit, PhotoGuardLimitNotFound) apply here but are not applied by check, which keeps no counts: the server may still limit this client\n"
    );
}

// ---- lint ----

#[test]
fn lint_warns_about_presence_rules_for_ltpa_cookies_and_ltpa_without_keys() {
    let root = vector_server_root("lint-presence");
    let config = format!("{FIXTURES}/ltpa/presence.conf");
    let (code, stdout, _) = photoguard(&[
        "lint",
        "--config",
        &config,
        "--server-root",
        &root.display().to_string(),
    ]);
    assert_eq!(code, 1, "{stdout}");
    let warnings: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(": warning: "))
        .collect();
    assert_eq!(
        warnings,
        [
            format!(
                "{config}:8: warning: PhotoGuardAllowCookie LtpaToken only checks that the cookie is there, while PhotoGuardLtpaKeys (presence.conf:6) configures LTPA keys for this scope: a forged LtpaToken=x still gets in through this rule; remove it and list LtpaToken in PhotoGuardAllowLtpa"
            ),
            format!(
                "{config}:8: warning: PhotoGuardAllowCookie SSOToken only checks that the cookie is there, while PhotoGuardLtpaKeys (presence.conf:6) configures LTPA keys for this scope: a forged SSOToken=x still gets in through this rule; remove it and list SSOToken in PhotoGuardAllowLtpa"
            ),
            format!(
                "{config}:13: warning: PhotoGuardAllowLtpa LtpaToken2: no PhotoGuardLtpaKeys or PhotoGuardDominoSecret here or around it, so no token can verify and this rule lets nobody in"
            ),
            format!(
                "{config}:21: warning: PhotoGuardAllowCookie LtpaToken2 only checks that the cookie is there, while PhotoGuardDominoSecret (presence.conf:18) configures LTPA keys for this scope: a forged LtpaToken2=x still gets in through this rule; remove it and list LtpaToken2 in PhotoGuardAllowLtpa"
            ),
        ]
    );
}

#[test]
fn lint_passes_the_engines_warning_about_a_world_readable_password_file() {
    let root = vector_server_root("lint-readable");
    let password = root.join("keys/ltpa.password");
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = format!("{FIXTURES}/ltpa/photos.conf");
    let (code, stdout, _) = photoguard(&[
        "lint",
        "--config",
        &config,
        "--server-root",
        &root.display().to_string(),
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout,
        format!(
            "{config}:6: warning: PhotoGuardLtpaKeys: the LTPA password file {} is readable by every user on this machine; chmod o-r it (Apache reads it as root at startup)\n\
             0 error(s), 1 warning(s)\n",
            password.display()
        )
    );
    // check says so too (the module logs it at startup), and still decides.
    let (code, stdout, stderr) = check_photos(&root, "/photos/a.jpg", &[]);
    assert_eq!(
        (code, stdout.as_str()),
        (1, "deny (403): no rule matched\n")
    );
    assert!(
        stderr.starts_with(&format!(
            "warning: {config}:6: PhotoGuardLtpaKeys: the LTPA password file"
        )),
        "{stderr}"
    );

    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        photoguard(&[
            "lint",
            "--config",
            &config,
            "--server-root",
            &root.display().to_string(),
        ]),
        (0, format!("{config}: no problems found\n"), String::new())
    );
}

#[test]
fn lint_reports_a_wrong_password_as_an_error() {
    let root = vector_server_root("lint-password");
    write_private(&root.join("keys/ltpa.password"), "wrong\n");
    let config = format!("{FIXTURES}/ltpa/photos.conf");
    let (code, stdout, _) = photoguard(&[
        "lint",
        "--config",
        &config,
        "--server-root",
        &root.display().to_string(),
    ]);
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stdout.starts_with(&format!("{config}:6: error: PhotoGuardLtpaKeys: ")),
        "{stdout}"
    );
    assert!(stdout.contains("wrong password"), "{stdout}");
}

// ---- import-rewrite ----

#[test]
fn import_rewrite_notes_that_ltpa_cookies_can_now_be_validated() {
    let (code, stdout, stderr) = photoguard(&["import-rewrite", &format!("{FIXTURES}/seed.conf")]);
    assert_eq!((code, stderr.as_str()), (0, ""), "{stdout}");
    for name in ["LtpaToken2", "LtpaToken"] {
        // Still a presence rule, as the RewriteCond was ...
        assert!(
            stdout
                .lines()
                .any(|l| l == format!("PhotoGuardAllowCookie {name}")),
            "{stdout}"
        );
        // ... with what can be done now.
        let note = format!(
            "# note: {name} is an LTPA single sign-on token; this rule only checks that it is present, so a forged {name}=x passes as it did before. photoguard can now validate it: PhotoGuardLtpaKeys KEYFILE PASSWORDFILE (WebSphere/Liberty ltpa.keys) or PhotoGuardDominoSecret FILE (Domino), then PhotoGuardAllowLtpa {name} in place of this line"
        );
        assert!(stdout.lines().any(|l| l == note), "{note}\n{stdout}");
    }
    assert!(!stdout.contains("STPluginActivePage is an LTPA"));
}
