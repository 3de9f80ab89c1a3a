//! `photoguard ltpa inspect`: one LTPA token checked with the keys the
//! server uses, as the module would check it: what an admin runs when
//! "photos stopped showing for user X".
//!
//! Fields are shown only for a token whose signature or MAC verified (also
//! when it was then refused for its expiry, creation time or realm): the
//! fields of a token that did not verify could say anything, so for one
//! only the reason is shown.
//!
//! Exit status: 0 valid, 1 invalid, 2 a usage, key, password or secret error.

use std::io::Read;
use std::path::{Path, PathBuf};

use photoguard_engine::ltpa::{
    Accept, DEFAULT_CLOCK_SKEW_SECS, DominoSecret, Format, KeySet, Refusal, Rfc3339, Token,
    Validator, parse_rfc3339, read_password_file,
};

use super::CommandOutput;

/// `photoguard ltpa ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum LtpaCommand {
    /// Check one token (a cookie value) with the server's keys: format,
    /// realm, user, creation and expiry times, and the verdict.
    ///
    /// Fields are printed only when the token's signature (or Domino MAC)
    /// verifies; for any other token only the reason is printed.
    ///
    /// Exit status: 0 the token is valid, 1 it is not (the reason says why),
    /// 2 a usage error or a key file, password or secret that cannot be used.
    Inspect(InspectOptions),
}

/// `photoguard ltpa inspect` (the field docs are its `--help`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct InspectOptions {
    /// A WebSphere/Liberty key export (ltpa.keys), as PhotoGuardLtpaKeys
    /// names it. Repeatable (rotation): each takes the --password-file
    /// given in the same position.
    #[arg(long = "keys", value_name = "KEYFILE", requires = "password_files")]
    pub keys: Vec<PathBuf>,
    /// The file whose first line is the keys' password (plain or {xor}).
    #[arg(long = "password-file", value_name = "FILE", requires = "keys")]
    pub password_files: Vec<PathBuf>,
    /// A file holding the Domino Web SSO document's LTPA_DominoSecret
    /// (base64, one line), as PhotoGuardDominoSecret names it. Repeatable.
    #[arg(long = "domino-secret", value_name = "FILE")]
    pub domino_secrets: Vec<PathBuf>,
    /// Formats accepted, as PhotoGuardLtpaAccept: ltpa2, domino,
    /// websphere-v1 (comma-separated or repeated) [default: ltpa2,domino].
    #[arg(long, value_name = "FORMATS", value_delimiter = ',')]
    pub accept: Vec<String>,
    /// Accept only tokens of this realm, as PhotoGuardLtpaRealm
    /// (repeatable; default: any realm).
    #[arg(long = "realm", value_name = "REALM")]
    pub realms: Vec<String>,
    /// Tolerance for expiry and Domino's creation time, as
    /// PhotoGuardLtpaClockSkew.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_CLOCK_SKEW_SECS,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub clock_skew: u64,
    /// The time to check expiry against, e.g. 2026-11-20T10:00:00Z
    /// [default: now].
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Print one JSON object: format, realm, user, created, expires, key,
    /// now, valid, reason.
    #[arg(long)]
    pub json: bool,
    /// The cookie value as the browser sends it (NAME=VALUE is accepted
    /// too), or - to read it from standard input.
    #[arg(value_name = "TOKEN", allow_hyphen_values = true)]
    pub token: String,
}

pub fn run_ltpa(command: &LtpaCommand) -> CommandOutput {
    match command {
        LtpaCommand::Inspect(options) => run_inspect(options, &mut std::io::stdin().lock()),
    }
}

/// `inspect`, reading a `-` token from `stdin`.
pub fn run_inspect(options: &InspectOptions, stdin: &mut dyn Read) -> CommandOutput {
    match inspect(options, stdin) {
        Ok(output) => output,
        Err(message) => CommandOutput::failure(vec![format!("photoguard ltpa inspect: {message}")]),
    }
}

/// Key files and secrets the size of a real one; bigger is not one.
const KEY_FILE_MAX_BYTES: u64 = 1024 * 1024;
/// Far more than a cookie value can be (the validator looks at 4 KB).
const TOKEN_INPUT_MAX_BYTES: u64 = 64 * 1024;

/// The keys as given, with the option that named each (for the output).
struct Keys {
    validator: Validator,
    key_names: Vec<String>,
    secret_names: Vec<String>,
}

fn inspect(options: &InspectOptions, stdin: &mut dyn Read) -> Result<CommandOutput, String> {
    let now_secs = match &options.now {
        Some(text) => parse_rfc3339(text).ok_or_else(|| {
            format!("--now '{text}': not an RFC 3339 time (e.g. 2026-11-20T10:00:00Z)")
        })?,
        None => photoguard_engine::Env::system().now_unix_secs(),
    };
    let now_millis = now_secs.saturating_mul(1000);
    let input = token_input(&options.token, stdin)?;
    let (cookie_name, value) = cookie_value(&input);
    let keys = load_keys(options)?;
    let result = keys.validator.validate(value.as_bytes(), now_millis);
    let verdict = result.as_ref().map(|_| ()).map_err(|why| *why);
    let token = match result {
        Ok(token) => Some(token),
        Err(why) => verified_but_refused(&keys.validator, value, now_millis, why),
    };
    let report = Report {
        token: token.as_ref(),
        key: token.as_ref().map(|t| keys.describe(t)),
        now_secs,
        verdict,
    };
    let stdout = if options.json {
        report.json() + "\n"
    } else {
        report.text()
    };
    let stderr = match cookie_name {
        Some(name) => format!("note: inspected the value of the cookie {name}\n"),
        None => String::new(),
    };
    Ok(CommandOutput {
        stdout,
        stderr,
        code: if verdict.is_ok() { 0 } else { 1 },
    })
}

/// The token argument, or standard input for `-`, without surrounding blanks.
fn token_input(argument: &str, stdin: &mut dyn Read) -> Result<String, String> {
    let text = if argument == "-" {
        let mut bytes = Vec::new();
        stdin
            .take(TOKEN_INPUT_MAX_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the token from standard input: {e}"))?;
        String::from_utf8(bytes)
            .map_err(|_| "the token on standard input is not text".to_string())?
    } else {
        argument.to_string()
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(if argument == "-" {
            "no token on standard input".into()
        } else {
            "the token is empty".into()
        });
    }
    Ok(text.to_string())
}

/// `NAME=VALUE` (a cookie copied with its name) to its value. A token alone
/// has no `=` but its base64 padding at the end, so an `=` followed by
/// anything else separates a name.
fn cookie_value(input: &str) -> (Option<&str>, &str) {
    if let Some((name, value)) = input.split_once('=') {
        let is_name =
            !name.is_empty() && name.bytes().all(photoguard_engine::tokenize::is_token_byte);
        if is_name && value.bytes().any(|b| b != b'=') {
            return (Some(name), value.trim_end_matches(';').trim());
        }
    }
    (None, input)
}

fn load_keys(options: &InspectOptions) -> Result<Keys, String> {
    if options.keys.len() != options.password_files.len() {
        return Err(format!(
            "each --keys needs its own --password-file (got {} --keys and {} --password-file)",
            options.keys.len(),
            options.password_files.len()
        ));
    }
    if options.keys.is_empty() && options.domino_secrets.is_empty() {
        return Err(
            "nothing to verify with: give --keys KEYFILE --password-file FILE (WebSphere, Liberty) or --domino-secret FILE (Domino)"
                .into(),
        );
    }
    let mut accept_words = Vec::new();
    for word in &options.accept {
        accept_words.extend(word.split_whitespace());
    }
    let accept = if accept_words.is_empty() {
        Accept::default()
    } else {
        Accept::parse_words(accept_words.iter().copied()).map_err(|e| format!("--accept: {e}"))?
    };
    let mut validator = Validator {
        accept,
        clock_skew_secs: options.clock_skew,
        realms: options.realms.clone(),
        ..Validator::default()
    };
    for (key_file, password_file) in options.keys.iter().zip(&options.password_files) {
        let keys = read_small_file(key_file, "--keys")?;
        let password_text = read_small_file(password_file, "--password-file")?;
        let password = read_password_file(&password_text)
            .map_err(|e| format!("--password-file {}: {e}", password_file.display()))?;
        let key_set = KeySet::from_keys_file(&keys, &password).map_err(|e| {
            format!(
                "--keys {} with --password-file {}: {e}",
                key_file.display(),
                password_file.display()
            )
        })?;
        validator.key_sets.push(key_set);
    }
    for file in &options.domino_secrets {
        let text = read_small_file(file, "--domino-secret")?;
        let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
        let secret = DominoSecret::from_base64_line(line)
            .map_err(|e| format!("--domino-secret {}: {e}", file.display()))?;
        validator.domino_secrets.push(secret);
    }
    Ok(Keys {
        validator,
        key_names: options
            .keys
            .iter()
            .map(|p| format!("--keys {}", p.display()))
            .collect(),
        secret_names: options
            .domino_secrets
            .iter()
            .map(|p| format!("--domino-secret {}", p.display()))
            .collect(),
    })
}

fn read_small_file(path: &Path, option: &str) -> Result<Vec<u8>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("{option} {}: cannot read: {e}", path.display());
    let meta = std::fs::metadata(path).map_err(|e| fail(&e))?;
    if !meta.is_file() {
        return Err(fail(&"not a regular file"));
    }
    if meta.len() > KEY_FILE_MAX_BYTES {
        return Err(fail(&"larger than 1 MiB: not a key file"));
    }
    std::fs::read(path).map_err(|e| fail(&e))
}

impl Keys {
    /// Which option's key verified the token.
    fn describe(&self, token: &Token) -> String {
        let names = match token.format {
            Format::Domino => &self.secret_names,
            Format::Ltpa2 | Format::WebSphereV1 => &self.key_names,
        };
        names
            .get(token.key_index)
            .cloned()
            .unwrap_or_else(|| format!("key {}", token.key_index + 1))
    }
}

/// The fields of a token that verified but was refused for its times or
/// realm: validated again with those checks out of the way. A token that
/// did not verify gives nothing.
fn verified_but_refused(
    validator: &Validator,
    value: &str,
    now_millis: u64,
    why: Refusal,
) -> Option<Token> {
    let mut relaxed = validator.borrowed();
    relaxed.realms = &[];
    let at = match why {
        Refusal::Expired { at_unix_millis } => at_unix_millis,
        Refusal::NotYetValid { from_unix_secs } => from_unix_secs.saturating_mul(1000),
        Refusal::RealmNotAccepted => now_millis,
        Refusal::BadSignature
        | Refusal::NoKey
        | Refusal::Malformed
        | Refusal::FormatNotAccepted => {
            return None;
        }
    };
    match relaxed.validate(value.as_bytes(), at) {
        Ok(token) => Some(token),
        // Refused for its realm and expired too: its expiry is the moment.
        Err(Refusal::Expired { at_unix_millis }) => {
            relaxed.validate(value.as_bytes(), at_unix_millis).ok()
        }
        Err(_) => None,
    }
}

struct Report<'t> {
    token: Option<&'t Token>,
    key: Option<String>,
    now_secs: u64,
    verdict: Result<(), Refusal>,
}

impl Report<'_> {
    fn reason(&self) -> String {
        match self.verdict {
            Ok(()) => "valid".into(),
            Err(why) => why.to_string(),
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        let mut line = |label: &str, value: &str| out.push_str(&format!("{label:<11} {value}\n"));
        if let Some(token) = self.token {
            line(
                "format:",
                &format!("{} ({})", token.format, cookie_of(token.format)),
            );
            line(
                "realm:",
                &token.realm.as_deref().map_or("-".into(), printable),
            );
            line("user:", &printable(&token.user));
            line(
                "created:",
                &token
                    .created_unix_secs
                    .map_or("-".into(), |s| Rfc3339(s).to_string()),
            );
            line(
                "expires:",
                &Rfc3339(token.expires_unix_millis / 1000).to_string(),
            );
            line("verified:", self.key.as_deref().unwrap_or("-"));
        }
        line("checked at:", &Rfc3339(self.now_secs).to_string());
        match self.verdict {
            Ok(()) => line("verdict:", "valid"),
            Err(why) => line("verdict:", &format!("invalid: {why}")),
        }
        if self.token.is_none() {
            out.push_str(
                "(no field of the token is shown: it did not verify, so none can be trusted)\n",
            );
        }
        out
    }

    fn json(&self) -> String {
        let token = self.token;
        serde_json::json!({
            "format": token.map(|t| t.format.as_str()),
            "realm": token.and_then(|t| t.realm.as_deref()),
            "user": token.map(|t| t.user.as_str()),
            "created": token.and_then(|t| t.created_unix_secs).map(|s| Rfc3339(s).to_string()),
            "expires": token.map(|t| Rfc3339(t.expires_unix_millis / 1000).to_string()),
            "key": self.key,
            "now": Rfc3339(self.now_secs).to_string(),
            "valid": self.verdict.is_ok(),
            "reason": self.reason(),
        })
        .to_string()
    }
}

/// The cookie a format travels in.
fn cookie_of(format: Format) -> &'static str {
    match format {
        Format::Ltpa2 => "LtpaToken2",
        Format::Domino | Format::WebSphereV1 => "LtpaToken",
    }
}

/// Text from a token for a terminal: control characters escaped, so that a
/// signed but odd user name cannot move the cursor or forge a line.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_copied_with_its_name_gives_its_value() {
        assert_eq!(cookie_value("abc+/=="), (None, "abc+/=="));
        assert_eq!(cookie_value("abc="), (None, "abc="));
        assert_eq!(
            cookie_value("LtpaToken2=abc+/=="),
            (Some("LtpaToken2"), "abc+/==")
        );
        assert_eq!(cookie_value("LtpaToken=abc;"), (Some("LtpaToken"), "abc"));
        // Not a cookie name: left alone (and refused as malformed).
        assert_eq!(cookie_value("a b=c"), (None, "a b=c"));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("CN=Jürgen\n/O=x"), "CN=Jürgen\\u{a}/O=x");
    }
}
