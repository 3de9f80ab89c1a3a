//! The arguments of the guard's five directives, already split into words
//! (as the engine's `split_words` does for RAW_ARGS). Errors name what is
//! wrong, not the directive: the caller prefixes the directive's name.

use super::class::ClassSet;
use super::key::{DEFAULT_IPV6_PREFIX, KeySpec};
use super::number::parse_decimal;
use super::rate::Rate;
use super::size::{DEFAULT_SHM_SIZE, parse_size};

/// `PhotoGuardLimit COUNT/PERIOD CLASS...`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSpec {
    pub rate: Rate,
    pub classes: ClassSet,
}

/// What a client past a limit gets (`PhotoGuardLimitAction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LimitAction {
    /// 429 Too Many Requests with `Retry-After`.
    #[default]
    TooManyRequests,
    /// The scope's deny action (403, 404 or its redirect).
    Deny,
}

/// Where counts live (`PhotoGuardLimitStore`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// This server's shared memory, `size` bytes.
    Shm { size: u64 },
    /// An Apache socache provider (`memcache`, `redis`, ...) with its
    /// argument string, passed to the provider as written.
    Socache {
        provider: Box<str>,
        args: Option<Box<str>>,
    },
}

impl Default for StoreSpec {
    fn default() -> Self {
        StoreSpec::Shm {
            size: DEFAULT_SHM_SIZE,
        }
    }
}

pub fn parse_limit<S: AsRef<str>>(words: &[S]) -> Result<LimitSpec, String> {
    let Some((rate, classes)) = words.split_first() else {
        return Err("needs COUNT/PERIOD and at least one class, e.g. 30/10m cookie".into());
    };
    let rate = Rate::parse(rate.as_ref())?;
    let classes = ClassSet::parse(classes)?;
    Ok(LimitSpec { rate, classes })
}

pub fn parse_limit_not_found<S: AsRef<str>>(words: &[S]) -> Result<Rate, String> {
    match words {
        [rate] => Rate::parse(rate.as_ref()),
        _ => Err(format!(
            "takes one argument, COUNT/PERIOD (e.g. 5/10m), got {}",
            words.len()
        )),
    }
}

/// `address`, `address /PREFIX` or `address/PREFIX`.
pub fn parse_limit_key<S: AsRef<str>>(words: &[S]) -> Result<KeySpec, String> {
    const USAGE: &str =
        "expected address, or address /PREFIX to group IPv6 clients (e.g. address /64)";
    let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
    let (what, prefix) = match words.as_slice() {
        [one] => match one.split_once('/') {
            Some((what, prefix)) => (what, Some(prefix)),
            None => (*one, None),
        },
        [what, prefix] => match prefix.strip_prefix('/') {
            Some(prefix) => (*what, Some(prefix)),
            None => return Err(format!("'{prefix}': {USAGE}")),
        },
        _ => return Err(USAGE.into()),
    };
    if !what.eq_ignore_ascii_case("address") {
        return Err(format!("'{what}': {USAGE}"));
    }
    let ipv6_prefix = match prefix {
        None => DEFAULT_IPV6_PREFIX,
        Some(text) => match parse_decimal(text.as_bytes()) {
            Ok(n) if n <= 128 => n as u8,
            Ok(_) => return Err(format!("'/{text}': an IPv6 prefix is /0 to /128")),
            Err(_) => return Err(format!("'/{text}': {USAGE}")),
        },
    };
    Ok(KeySpec { ipv6_prefix })
}

pub fn parse_limit_action<S: AsRef<str>>(words: &[S]) -> Result<LimitAction, String> {
    match words {
        [one] if one.as_ref() == "429" => Ok(LimitAction::TooManyRequests),
        [one] if one.as_ref().eq_ignore_ascii_case("deny") => Ok(LimitAction::Deny),
        [one] => Err(format!(
            "'{}': expected 429 (Too Many Requests with Retry-After) or deny (the scope's deny action)",
            one.as_ref()
        )),
        _ => Err(format!(
            "takes one argument, 429 or deny, got {}",
            words.len()
        )),
    }
}

/// `shm [SIZE]` or `socache PROVIDER[:ARGS]`. Only the syntax: whether the
/// provider is loaded, and whether this Apache has socache at all (2.2 has
/// not), is for the module to say.
pub fn parse_limit_store<S: AsRef<str>>(words: &[S]) -> Result<StoreSpec, String> {
    const USAGE: &str = "expected shm [SIZE] or socache PROVIDER[:ARGS] (e.g. shm 1M, socache memcache:127.0.0.1:11211)";
    let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
    match words.as_slice() {
        [kind] if kind.eq_ignore_ascii_case("shm") => Ok(StoreSpec::default()),
        [kind, size] if kind.eq_ignore_ascii_case("shm") => Ok(StoreSpec::Shm { size: parse_size(size)? }),
        [kind] if kind.eq_ignore_ascii_case("socache") => {
            Err("socache needs a provider, e.g. socache memcache:127.0.0.1:11211 or socache redis:127.0.0.1:6379".into())
        }
        [kind, spec] if kind.eq_ignore_ascii_case("socache") => {
            let (provider, args) = match spec.split_once(':') {
                Some((provider, args)) => (provider, Some(args)),
                None => (*spec, None),
            };
            let valid = !provider.is_empty()
                && provider.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !valid {
                return Err(format!("'{spec}': '{provider}' is not a socache provider name (e.g. memcache, redis)"));
            }
            let args = args.filter(|a| !a.is_empty()).map(Box::from);
            Ok(StoreSpec::Socache { provider: provider.to_ascii_lowercase().into(), args })
        }
        [kind, ..] if kind.eq_ignore_ascii_case("shm") || kind.eq_ignore_ascii_case("socache") => {
            Err(format!("too many arguments: {USAGE}"))
        }
        [kind, ..] => Err(format!("'{kind}': {USAGE}")),
        [] => Err(USAGE.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::class::AllowClass;

    fn refused<T: std::fmt::Debug>(result: Result<T, String>, expected: &str) {
        let err = result.unwrap_err();
        assert!(err.contains(expected), "expected '{expected}' in '{err}'");
    }

    #[test]
    fn limit() {
        let spec = parse_limit(&["30/10m", "cookie", "ltpa"]).unwrap();
        assert_eq!(spec.rate.to_string(), "30/10m");
        assert!(spec.classes.contains(AllowClass::Ltpa));
        assert!(!spec.classes.contains(AllowClass::Network));
        refused(parse_limit::<&str>(&[]), "needs COUNT/PERIOD");
        refused(parse_limit(&["30/10m"]), "at least one class");
        refused(parse_limit(&["cookie", "30/10m"]), "is not COUNT/PERIOD");
        refused(parse_limit(&["30/10m", "cookie", "cookie"]), "named twice");
        refused(parse_limit(&["30/10x", "cookie"]), "unknown unit 'x'");
    }

    #[test]
    fn not_found() {
        assert_eq!(parse_limit_not_found(&["5/10m"]).unwrap().count(), 5);
        refused(
            parse_limit_not_found(&["5/10m", "cookie"]),
            "takes one argument",
        );
        refused(parse_limit_not_found(&["0/10m"]), "at least 1");
    }

    #[test]
    fn key() {
        assert_eq!(parse_limit_key(&["address"]).unwrap().ipv6_prefix, 64);
        assert_eq!(
            parse_limit_key(&["address", "/56"]).unwrap().ipv6_prefix,
            56
        );
        assert_eq!(parse_limit_key(&["Address/48"]).unwrap().ipv6_prefix, 48);
        assert_eq!(parse_limit_key(&["address", "/0"]).unwrap().ipv6_prefix, 0);
        assert_eq!(
            parse_limit_key(&["address", "/128"]).unwrap().ipv6_prefix,
            128
        );
        refused(parse_limit_key(&["address", "/129"]), "/0 to /128");
        refused(
            parse_limit_key(&["address", "/99999999999999999999999"]),
            "expected address",
        );
        refused(parse_limit_key(&["address", "64"]), "expected address");
        refused(parse_limit_key(&["address", "/x"]), "expected address");
        refused(
            parse_limit_key(&["address", "/64", "/48"]),
            "expected address",
        );
        refused(parse_limit_key(&["cookie"]), "'cookie': expected address");
        refused(parse_limit_key::<&str>(&[]), "expected address");
    }

    #[test]
    fn action() {
        assert_eq!(
            parse_limit_action(&["429"]),
            Ok(LimitAction::TooManyRequests)
        );
        assert_eq!(parse_limit_action(&["Deny"]), Ok(LimitAction::Deny));
        refused(parse_limit_action(&["403"]), "expected 429");
        refused(parse_limit_action(&["429", "deny"]), "takes one argument");
    }

    #[test]
    fn store() {
        assert_eq!(
            parse_limit_store(&["shm"]),
            Ok(StoreSpec::Shm { size: 1 << 20 })
        );
        assert_eq!(
            parse_limit_store(&["shm", "4M"]),
            Ok(StoreSpec::Shm { size: 4 << 20 })
        );
        assert_eq!(
            parse_limit_store(&["socache", "memcache:127.0.0.1:11211,127.0.0.1:11212"]),
            Ok(StoreSpec::Socache {
                provider: "memcache".into(),
                args: Some("127.0.0.1:11211,127.0.0.1:11212".into())
            })
        );
        assert_eq!(
            parse_limit_store(&["socache", "Redis"]),
            Ok(StoreSpec::Socache {
                provider: "redis".into(),
                args: None
            })
        );
        refused(parse_limit_store(&["shm", "1K"]), "too small");
        refused(
            parse_limit_store(&["shm", "1M", "2M"]),
            "too many arguments",
        );
        refused(parse_limit_store(&["socache"]), "needs a provider");
        refused(
            parse_limit_store(&["socache", ":127.0.0.1"]),
            "not a socache provider",
        );
        refused(
            parse_limit_store(&["socache", "mem/cache:x"]),
            "not a socache provider",
        );
        refused(
            parse_limit_store(&["redis:127.0.0.1:6379"]),
            "expected shm [SIZE] or socache",
        );
        refused(parse_limit_store::<&str>(&[]), "expected shm");
    }
}
