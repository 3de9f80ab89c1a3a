//! LTPA rules inside a scope: the directives read real key files, a valid
//! token allows with the user in the reason, a forged or expired one is
//! denied with why, a presence rule for the same cookie is unchanged, and
//! limits on `ltpa` count only token-allowed requests.

use std::time::{SystemTime, UNIX_EPOCH};

use photoguard_engine::{DirectiveContext, Origin, ScopeConfig, Verdict};
use photoguard_ltpa_mint::{Claims, MintKeys, mint_ltpa2};

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

struct Site {
    _dir: tempfile::TempDir,
    keys: MintKeys,
    scope: ScopeConfig,
}

fn site(extra: &[(&str, &str)]) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let keys = MintKeys::generate("defaultRealm");
    let key_file = dir.path().join("ltpa.keys");
    let password_file = dir.path().join("ltpa.password");
    std::fs::write(
        &key_file,
        keys.to_keys_file(b"s3cret", 1_700_000_000, "test"),
    )
    .unwrap();
    std::fs::write(&password_file, "s3cret\n").unwrap();
    let ctx = |line| DirectiveContext {
        origin: Origin::new("/etc/apache2/photos.conf", line),
        server_root: None,
    };
    let mut scope = ScopeConfig::new();
    let key_args = format!("{} {}", key_file.display(), password_file.display());
    let mut lines = vec![
        ("PhotoGuard", "On"),
        ("PhotoGuardLtpaKeys", key_args.as_str()),
        ("PhotoGuardAllowLtpa", "LtpaToken2"),
    ];
    lines.extend_from_slice(extra);
    for (i, (name, args)) in lines.iter().enumerate() {
        scope
            .apply(name, args, &ctx(10 + i as u32))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    Site {
        _dir: dir,
        keys,
        scope,
    }
}

#[test]
fn a_valid_token_allows_and_names_the_user() {
    let s = site(&[]);
    let token = mint_ltpa2(
        &s.keys,
        &Claims::new(
            "uid=jane,o=example",
            "defaultRealm",
            now_millis() + 3_600_000,
        ),
    );
    let header = format!("a=1; LtpaToken2={token}");
    let d = s
        .scope
        .evaluate_text("198.51.100.1", Some(header.as_bytes()), None)
        .unwrap();
    assert_eq!(d.verdict, Verdict::Allow);
    assert_eq!(d.reason.user(), Some("uid=jane,o=example"));
    let shown = d.reason.to_string();
    assert!(
        shown.starts_with("ltpa LtpaToken2 (photos.conf:12) user "),
        "{shown}"
    );
    assert!(shown.contains("uid=jane,o=example"), "{shown}");
}

#[test]
fn a_forged_or_expired_token_is_denied_with_why() {
    let s = site(&[]);
    let d = s
        .scope
        .evaluate_text("198.51.100.1", Some(b"LtpaToken2=x"), None)
        .unwrap();
    assert_eq!(d.verdict, Verdict::Deny);
    assert_eq!(
        d.reason.to_string(),
        "ltpa LtpaToken2 (photos.conf:12) refused: malformed"
    );
    let expired = mint_ltpa2(
        &s.keys,
        &Claims::new("uid=jane", "defaultRealm", now_millis() - 3_600_000),
    );
    let d = s
        .scope
        .evaluate_text(
            "198.51.100.1",
            Some(format!("LtpaToken2={expired}").as_bytes()),
            None,
        )
        .unwrap();
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(
        d.reason.to_string().contains("refused: expired at "),
        "{}",
        d.reason
    );
    let other = MintKeys::generate("defaultRealm");
    let foreign = mint_ltpa2(
        &other,
        &Claims::new("uid=jane", "defaultRealm", now_millis() + 3_600_000),
    );
    let d = s
        .scope
        .evaluate_text(
            "198.51.100.1",
            Some(format!("LtpaToken2={foreign}").as_bytes()),
            None,
        )
        .unwrap();
    assert_eq!(d.verdict, Verdict::Deny, "{}", d.reason);
}

#[test]
fn a_presence_rule_still_allows_as_before() {
    let s = site(&[("PhotoGuardAllowCookie", "STPluginActivePage=stMeetingroom")]);
    let d = s
        .scope
        .evaluate_text(
            "198.51.100.1",
            Some(b"LtpaToken2=x; STPluginActivePage=stMeetingroom"),
            None,
        )
        .unwrap();
    assert_eq!(d.verdict, Verdict::Allow);
    assert_eq!(
        d.reason.as_str(),
        "cookie STPluginActivePage=stMeetingroom (photos.conf:13)"
    );
}

#[test]
fn a_wrong_password_is_a_config_error_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let keys = MintKeys::generate("defaultRealm");
    std::fs::write(
        dir.path().join("ltpa.keys"),
        keys.to_keys_file(b"right", 1_700_000_000, "t"),
    )
    .unwrap();
    std::fs::write(dir.path().join("pw"), "wrong\n").unwrap();
    let err = ScopeConfig::new()
        .apply(
            "PhotoGuardLtpaKeys",
            "ltpa.keys pw",
            &DirectiveContext {
                origin: Origin::new("photos.conf", 3),
                server_root: Some(dir.path()),
            },
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("password"), "{err}");
    assert!(!err.contains("padding"), "{err}");
}
