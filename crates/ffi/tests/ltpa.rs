//! LTPA through the C ABI: a policy given `PhotoGuardLtpaKeys` and
//! `PhotoGuardAllowLtpa` with `photoguard_policy_apply` reads the key files
//! then, and `photoguard_policy_evaluate` allows a valid token (naming its
//! user) and denies a forged, an expired and a stranger's one with their
//! reasons. Key sets and tokens are minted here, with keys nobody else has.

use std::ffi::{CStr, CString, c_char};
use std::mem::MaybeUninit;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use photoguard::{
    photoguard_decision, photoguard_policy, photoguard_policy_apply, photoguard_policy_evaluate,
    photoguard_policy_free, photoguard_policy_new, photoguard_result, photoguard_verdict,
};
use photoguard_engine::ltpa::Rfc3339;
use photoguard_ltpa_mint::{
    Claims, MintKeys, domino_secret_b64, generate_domino_secret, mint_domino, mint_ltpa2,
};

const PASSWORD: &[u8] = b"keys password";
const USER: &str = "uid=jane,ou=people,o=example";

fn scratch_dir(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("photoguard-ffi-ltpa-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A key export and its password file, as a WebSphere admin would copy them.
fn write_keys(dir: &Path, keys: &MintKeys) -> (PathBuf, PathBuf) {
    let key_file = dir.join("ltpa.keys");
    let password_file = dir.join("ltpa.password");
    std::fs::write(
        &key_file,
        keys.to_keys_file(PASSWORD, 1_790_000_000, "was1.example.com"),
    )
    .unwrap();
    std::fs::write(&password_file, [PASSWORD, b"\n"].concat()).unwrap();
    (key_file, password_file)
}

/// A policy that frees itself.
struct Policy(*mut photoguard_policy);

impl Policy {
    fn new() -> Policy {
        let policy = photoguard_policy_new();
        assert!(!policy.is_null());
        Policy(policy)
    }

    /// Applies a directive as written at photos.conf:`line`; the error text.
    fn apply(&self, directive: &str, args: &str, line: u32) -> Result<(), String> {
        let (directive, args) = (
            CString::new(directive).unwrap(),
            CString::new(args).unwrap(),
        );
        let mut err = [0 as c_char; 512];
        // SAFETY: a live policy used by this thread alone; NUL-terminated
        // strings; the buffer is writable for its length.
        let result = unsafe {
            photoguard_policy_apply(
                self.0,
                directive.as_ptr(),
                args.as_ptr(),
                c"photos.conf".as_ptr(),
                line,
                err.as_mut_ptr(),
                err.len(),
                std::ptr::null_mut(),
            )
        };
        // SAFETY: the library NUL-terminates what it writes into err.
        let message = unsafe { CStr::from_ptr(err.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        match result {
            photoguard_result::OK => Ok(()),
            code => {
                assert_eq!(code, photoguard_result::ERROR_CONFIG, "{message}");
                Err(message)
            }
        }
    }

    /// The decision for a client outside every network sending `cookie`.
    fn evaluate(&self, cookie: &str) -> (photoguard_verdict, String) {
        let mut out = MaybeUninit::<photoguard_decision>::uninit();
        // SAFETY: a live policy; NUL-terminated peer; the cookie is readable
        // for its length; `out` is writable for one decision.
        let result = unsafe {
            photoguard_policy_evaluate(
                self.0,
                c"203.0.113.9".as_ptr(),
                cookie.as_ptr(),
                cookie.len(),
                std::ptr::null(),
                0,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(result, photoguard_result::OK);
        // SAFETY: evaluate wrote every field.
        let decision = unsafe { out.assume_init() };
        // SAFETY: the reason is NUL-terminated.
        let reason = unsafe { CStr::from_ptr(decision.reason.as_ptr()) };
        (decision.verdict, reason.to_string_lossy().into_owned())
    }
}

impl Drop for Policy {
    fn drop(&mut self) {
        // SAFETY: from photoguard_policy_new, freed once, used by no one else.
        unsafe { photoguard_policy_free(self.0) };
    }
}

fn quoted(path: &Path) -> String {
    format!("\"{}\"", path.display())
}

#[test]
fn a_minted_token_is_allowed_and_a_forged_one_denied() {
    let dir = scratch_dir("allow");
    let keys = MintKeys::generate("example.com");
    let (key_file, password_file) = write_keys(&dir, &keys);
    let policy = Policy::new();
    policy.apply("PhotoGuard", "On", 1).unwrap();
    policy
        .apply(
            "PhotoGuardLtpaKeys",
            &format!("{} {}", quoted(&key_file), quoted(&password_file)),
            2,
        )
        .unwrap();
    policy
        .apply("PhotoGuardAllowLtpa", "LtpaToken2", 3)
        .unwrap();

    let hour = 3_600_000;
    let valid = mint_ltpa2(
        &keys,
        &Claims::new(USER, "example.com", now_millis() + hour),
    );
    assert_eq!(
        policy.evaluate(&format!("theme=dark; LtpaToken2={valid}")),
        (
            photoguard_verdict::ALLOW,
            format!("ltpa LtpaToken2 (photos.conf:3) user {USER}")
        )
    );
    // The same token again: from the cache, the same answer.
    assert_eq!(
        policy.evaluate(&format!("LtpaToken2={valid}")).0,
        photoguard_verdict::ALLOW
    );

    assert_eq!(
        policy.evaluate("LtpaToken2=x"),
        (
            photoguard_verdict::DENY,
            "ltpa LtpaToken2 (photos.conf:3) refused: malformed".into()
        )
    );
    let two_hours_ago = now_millis() / 1000 - 7_200;
    let expired = mint_ltpa2(
        &keys,
        &Claims::new(USER, "example.com", two_hours_ago * 1000),
    );
    assert_eq!(
        policy.evaluate(&format!("LtpaToken2={expired}")),
        (
            photoguard_verdict::DENY,
            format!(
                "ltpa LtpaToken2 (photos.conf:3) refused: expired at {}",
                Rfc3339(two_hours_ago)
            )
        )
    );
    let stranger = MintKeys::generate("example.com");
    let forged = mint_ltpa2(
        &stranger,
        &Claims::new(USER, "example.com", now_millis() + hour),
    );
    assert_eq!(
        policy.evaluate(&format!("LtpaToken2={forged}")),
        (
            photoguard_verdict::DENY,
            "ltpa LtpaToken2 (photos.conf:3) refused: no key verifies it".into()
        )
    );
    // No token at all: no rule matched.
    assert_eq!(
        policy.evaluate("theme=dark"),
        (photoguard_verdict::DENY, "no rule matched".into())
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_domino_secret_is_read_at_apply_time_relative_to_the_process() {
    let dir = scratch_dir("domino");
    let secret = generate_domino_secret();
    let secret_file = dir.join("domino.secret");
    std::fs::write(&secret_file, format!("{}\n", domino_secret_b64(&secret))).unwrap();
    let policy = Policy::new();
    policy.apply("PhotoGuard", "On", 1).unwrap();
    // A relative path is relative to the working directory, not to any root.
    let relative = pathdiff(&secret_file);
    policy
        .apply("PhotoGuardDominoSecret", &relative, 2)
        .unwrap();
    policy.apply("PhotoGuardAllowLtpa", "LtpaToken", 3).unwrap();
    // The file is not read again: removing it changes nothing.
    std::fs::remove_file(&secret_file).unwrap();

    let now = (now_millis() / 1000) as u32;
    let token = mint_domino(&secret, b"CN=Jane Doe/O=Example", now - 60, now + 3_600);
    assert_eq!(
        policy.evaluate(&format!("LtpaToken={token}")),
        (
            photoguard_verdict::ALLOW,
            "ltpa LtpaToken (photos.conf:3) user CN=Jane Doe/O=Example".into()
        )
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `path` relative to the current directory, with as many `..` as it takes.
fn pathdiff(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap();
    let depth = cwd.components().count() - 1;
    let up = "../".repeat(depth);
    let absolute = path.display().to_string();
    format!("{up}{}", absolute.trim_start_matches('/'))
}

#[test]
fn key_errors_are_config_errors_that_say_what_is_wrong() {
    let dir = scratch_dir("errors");
    let keys = MintKeys::generate("example.com");
    let (key_file, _) = write_keys(&dir, &keys);
    let wrong = dir.join("wrong.password");
    std::fs::write(&wrong, "not the password\n").unwrap();
    let policy = Policy::new();
    let message = policy
        .apply(
            "PhotoGuardLtpaKeys",
            &format!("{} {}", quoted(&key_file), quoted(&wrong)),
            7,
        )
        .unwrap_err();
    assert!(message.contains("wrong password"), "{message}");
    assert!(message.contains("ltpa.keys"), "{message}");

    let missing = dir.join("missing.keys");
    let message = policy
        .apply(
            "PhotoGuardLtpaKeys",
            &format!("{} {}", quoted(&missing), quoted(&wrong)),
            8,
        )
        .unwrap_err();
    assert!(message.contains("missing.keys"), "{message}");

    // Without keys, PhotoGuardAllowLtpa verifies nothing: a token is refused.
    policy.apply("PhotoGuard", "On", 9).unwrap();
    policy
        .apply("PhotoGuardAllowLtpa", "LtpaToken2", 10)
        .unwrap();
    let valid = mint_ltpa2(
        &keys,
        &Claims::new(USER, "example.com", now_millis() + 60_000),
    );
    assert_eq!(
        policy.evaluate(&format!("LtpaToken2={valid}")),
        (
            photoguard_verdict::DENY,
            "ltpa LtpaToken2 (photos.conf:10) refused: no key verifies it".into()
        )
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_merged_policy_uses_its_parents_keys_and_shares_them() {
    let dir = scratch_dir("merge");
    let keys = MintKeys::generate("example.com");
    let (key_file, password_file) = write_keys(&dir, &keys);
    let key_args = format!("{} {}", quoted(&key_file), quoted(&password_file));
    let parent = Policy::new();
    parent.apply("PhotoGuard", "On", 1).unwrap();
    parent.apply("PhotoGuardLtpaKeys", &key_args, 2).unwrap();
    let child = Policy::new();
    child.apply("PhotoGuardAllowLtpa", "LtpaToken2", 5).unwrap();
    // SAFETY: two live policies that no call changes meanwhile.
    let merged = Policy(unsafe { photoguard::photoguard_policy_merge(parent.0, child.0) });
    assert!(!merged.0.is_null());

    let valid = mint_ltpa2(
        &keys,
        &Claims::new(USER, "example.com", now_millis() + 60_000),
    );
    assert_eq!(
        merged.evaluate(&format!("LtpaToken2={valid}")),
        (
            photoguard_verdict::ALLOW,
            format!("ltpa LtpaToken2 (photos.conf:5) user {USER}")
        )
    );
    // The key list is shared now: adding to it is refused, nothing changes.
    let message = parent
        .apply("PhotoGuardLtpaKeys", &key_args, 3)
        .unwrap_err();
    assert!(message.contains("before merging"), "{message}");
    assert_eq!(
        merged.evaluate(&format!("LtpaToken2={valid}")).0,
        photoguard_verdict::ALLOW
    );
    let _ = std::fs::remove_dir_all(dir);
}
