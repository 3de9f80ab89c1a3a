//! photoguard-ltpa-mint: test keys and tokens for photoguard's LTPA tests.
//! Prints the cookie value on stdout. Test use only: it signs.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use photoguard_ltpa_mint::{
    Claims, MintKeys, broken, domino_secret_b64, generate_domino_secret, mint_domino, mint_ltpa2,
    mint_v1, read_password_file, xor_password,
};

const USAGE: &str = "\
usage:
  photoguard-ltpa-mint keys --out FILE --password PW [--password-out FILE [--xor]] [--realm R] [--host H]
  photoguard-ltpa-mint domino-secret --out FILE
  photoguard-ltpa-mint ltpa2|v1 --keys FILE --password-file FILE --user ID [--realm R] --expires T [--break KIND]
  photoguard-ltpa-mint domino --secret-file FILE --user NAME [--created T] --expires T [--break KIND]
T: unix seconds, or +N / -N seconds from now.
KIND: flip-first | flip-last | swap-signature | expire-mismatch | oversized | truncated | not-base64 | percent-encoded
";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

struct Args(Vec<String>);

impl Args {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .position(|a| a == name)
            .and_then(|i| self.0.get(i + 1))
            .map(String::as_str)
    }
    fn need(&self, name: &str) -> Result<&str, String> {
        self.get(name).ok_or_else(|| format!("missing {name}"))
    }
    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|a| a == name)
    }
    fn time(&self, name: &str) -> Result<Option<u64>, String> {
        let Some(t) = self.get(name) else {
            return Ok(None);
        };
        let bad = || format!("{name}: not a time: {t}");
        let v = if let Some(rel) = t.strip_prefix('+') {
            now() + rel.parse::<u64>().map_err(|_| bad())?
        } else if let Some(rel) = t.strip_prefix('-') {
            now().saturating_sub(rel.parse::<u64>().map_err(|_| bad())?)
        } else {
            t.parse().map_err(|_| bad())?
        };
        Ok(Some(v))
    }
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{path}: {e}"))
}

fn write(path: &str, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))
}

fn run(cmd: &str, args: &Args) -> Result<String, String> {
    match cmd {
        "keys" => {
            let password = args.need("--password")?;
            let keys = MintKeys::generate(args.get("--realm").unwrap_or("defaultRealm"));
            let host = args.get("--host").unwrap_or("localhost");
            write(
                args.need("--out")?,
                &keys.to_keys_file(password.as_bytes(), now(), host),
            )?;
            if let Some(path) = args.get("--password-out") {
                let line = if args.has("--xor") {
                    xor_password(password.as_bytes())
                } else {
                    password.to_owned()
                };
                write(path, &format!("{line}\n"))?;
            }
            Ok(String::new())
        }
        "domino-secret" => {
            write(
                args.need("--out")?,
                &format!("{}\n", domino_secret_b64(&generate_domino_secret())),
            )?;
            Ok(String::new())
        }
        "ltpa2" | "v1" => {
            let text = String::from_utf8(read(args.need("--keys")?)?)
                .map_err(|_| "keys file: not UTF-8")?;
            let password = read_password_file(&read(args.need("--password-file")?)?);
            let keys = MintKeys::from_keys_file(&text, &password).map_err(|e| e.to_string())?;
            let realm = args.get("--realm").unwrap_or(&keys.realm).to_owned();
            let expires = args.time("--expires")?.ok_or("missing --expires")? * 1000;
            let claims = Claims::new(args.need("--user")?, &realm, expires);
            let token = if cmd == "v1" {
                mint_v1(&keys, &claims)
            } else {
                mint_ltpa2(&keys, &claims)
            };
            let other = Claims::new("uid=someone-else", &realm, expires);
            Ok(match args.get("--break") {
                None => token,
                Some("swap-signature") => broken::swapped_signature(&keys, &claims, &other),
                Some("expire-mismatch") => {
                    broken::expire_mismatch(&keys, &claims, expires + 3_600_000)
                }
                Some("oversized") => broken::oversized(&keys, &claims),
                Some(kind) => damage(&token, kind)?,
            })
        }
        "domino" => {
            let line = read(args.need("--secret-file")?)?;
            let secret: [u8; 20] = base64_decode(line.trim_ascii())?
                .try_into()
                .map_err(|_| "secret: not 20 bytes")?;
            let created = args.time("--created")?.unwrap_or_else(now);
            let expires = args.time("--expires")?.ok_or("missing --expires")?;
            let fit = |t: u64| u32::try_from(t).map_err(|_| "time beyond 2106".to_owned());
            let token = mint_domino(
                &secret,
                args.need("--user")?.as_bytes(),
                fit(created)?,
                fit(expires)?,
            );
            match args.get("--break") {
                None => Ok(token),
                Some(kind) => damage(&token, kind),
            }
        }
        _ => Err(format!("unknown command {cmd}")),
    }
}

fn base64_decode(text: &[u8]) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| "secret: not base64".to_owned())
}

fn damage(token: &str, kind: &str) -> Result<String, String> {
    Ok(match kind {
        "flip-first" => broken::flip_byte(token, 3, 0x20),
        "flip-last" => broken::flip_last_byte(token, 0x01),
        "truncated" => broken::truncated(token, token.len() - 10),
        "not-base64" => broken::not_base64(token),
        "percent-encoded" => broken::percent_encoded(token),
        other => return Err(format!("--break {other}: not for this format")),
    })
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = argv.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    match run(cmd, &Args(rest.to_vec())) {
        Ok(out) => {
            if !out.is_empty() {
                println!("{out}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("photoguard-ltpa-mint: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
