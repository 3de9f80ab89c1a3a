//! The `PhotoGuard*` directives: their names and usage (one table that the
//! Apache module registers and the command-line tool reads), and the errors a
//! directive can raise.

use std::fmt;

/// One directive: its name as Apache matches it (case-insensitively) and the
/// usage text `apachectl -L` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectiveInfo {
    pub kind: DirectiveKind,
    pub name: &'static std::ffi::CStr,
    pub usage: &'static std::ffi::CStr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectiveKind {
    Enable,
    AllowNetwork,
    AllowNetworkFile,
    AllowCookie,
    TrustedProxy,
    ClientIpHeader,
    DenyAction,
    Mode,
    Limit,
    LimitNotFound,
    LimitKey,
    LimitAction,
    LimitStore,
    LtpaKeys,
    DominoSecret,
    AllowLtpa,
    LtpaAccept,
    LtpaClockSkew,
    LtpaRealm,
}

impl DirectiveKind {
    /// Whether the directive sets a limit (or where limits count), so that
    /// a host must provide a counter.
    pub fn counts(self) -> bool {
        matches!(
            self,
            DirectiveKind::Limit | DirectiveKind::LimitNotFound | DirectiveKind::LimitStore
        )
    }

    /// Whether the directive adds to a network list, whose lookup index a
    /// host should build once the configuration is read
    /// ([`crate::ScopeConfig::prepare`]) rather than on the first request.
    pub fn builds_network_index(self) -> bool {
        matches!(
            self,
            DirectiveKind::AllowNetwork
                | DirectiveKind::AllowNetworkFile
                | DirectiveKind::TrustedProxy
        )
    }
}

pub const DIRECTIVES: &[DirectiveInfo] = &[
    DirectiveInfo { kind: DirectiveKind::Enable, name: c"PhotoGuard", usage: c"On|Off - enable the photoguard gate for this scope" },
    DirectiveInfo {
        kind: DirectiveKind::AllowNetwork,
        name: c"PhotoGuardAllowNetwork",
        usage: c"one or more CIDRs or addresses (IPv4, IPv6) whose clients are allowed",
    },
    DirectiveInfo {
        kind: DirectiveKind::AllowNetworkFile,
        name: c"PhotoGuardAllowNetworkFile",
        usage: c"a file of allowed CIDRs, one a line; # comments and blank lines ignored",
    },
    DirectiveInfo {
        kind: DirectiveKind::AllowCookie,
        name: c"PhotoGuardAllowCookie",
        usage: c"one or more NAME (any non-empty value) or NAME=VALUE (exactly) cookies that allow a request",
    },
    DirectiveInfo {
        kind: DirectiveKind::TrustedProxy,
        name: c"PhotoGuardTrustedProxy",
        usage: c"one or more CIDRs of proxies whose client-IP header is believed",
    },
    DirectiveInfo {
        kind: DirectiveKind::ClientIpHeader,
        name: c"PhotoGuardClientIPHeader",
        usage: c"the header trusted proxies put the client address in (default X-Forwarded-For)",
    },
    DirectiveInfo {
        kind: DirectiveKind::DenyAction,
        name: c"PhotoGuardDenyAction",
        usage: c"403|404|redirect URL - what a denied client gets (default 403)",
    },
    DirectiveInfo {
        kind: DirectiveKind::Mode,
        name: c"PhotoGuardMode",
        usage: c"enforce|report - report decides and logs but never blocks",
    },
    DirectiveInfo {
        kind: DirectiveKind::Limit,
        name: c"PhotoGuardLimit",
        usage: c"COUNT/PERIOD CLASS... - at most COUNT requests per PERIOD (30s, 10m, 1h, 1d) per client, counting requests let in by the classes cookie, ltpa, network or any",
    },
    DirectiveInfo {
        kind: DirectiveKind::LimitNotFound,
        name: c"PhotoGuardLimitNotFound",
        usage: c"COUNT/PERIOD - past COUNT 404s per PERIOD a client is refused everything in the scope until the period ends",
    },
    DirectiveInfo {
        kind: DirectiveKind::LimitKey,
        name: c"PhotoGuardLimitKey",
        usage: c"address [/PREFIX6] - what a client is for limits: its address, IPv6 grouped by prefix (default /64)",
    },
    DirectiveInfo {
        kind: DirectiveKind::LimitAction,
        name: c"PhotoGuardLimitAction",
        usage: c"429|deny - past a limit: 429 with Retry-After (default), or the scope's deny action",
    },
    DirectiveInfo {
        kind: DirectiveKind::LimitStore,
        name: c"PhotoGuardLimitStore",
        usage: c"shm [SIZE] | socache PROVIDER[:ARGS] - where counts live (server-wide; default shm 1M)",
    },
    DirectiveInfo {
        kind: DirectiveKind::LtpaKeys,
        name: c"PhotoGuardLtpaKeys",
        usage: c"KEYFILE PASSWORDFILE - a WebSphere/Liberty ltpa.keys export and the file holding its password (repeatable: key sets tried in order)",
    },
    DirectiveInfo {
        kind: DirectiveKind::DominoSecret,
        name: c"PhotoGuardDominoSecret",
        usage: c"FILE - a file holding the base64 LTPA_DominoSecret of the Web SSO configuration (repeatable)",
    },
    DirectiveInfo {
        kind: DirectiveKind::AllowLtpa,
        name: c"PhotoGuardAllowLtpa",
        usage: c"one or more cookie names whose LTPA token, verified with the configured keys and not expired, allows a request",
    },
    DirectiveInfo {
        kind: DirectiveKind::LtpaAccept,
        name: c"PhotoGuardLtpaAccept",
        usage: c"ltpa2 domino websphere-v1 - the token formats accepted (default ltpa2 domino)",
    },
    DirectiveInfo {
        kind: DirectiveKind::LtpaClockSkew,
        name: c"PhotoGuardLtpaClockSkew",
        usage: c"SECONDS - tolerance for token expiry and Domino's creation time (default 60)",
    },
    DirectiveInfo {
        kind: DirectiveKind::LtpaRealm,
        name: c"PhotoGuardLtpaRealm",
        usage: c"one or more realms whose LtpaToken2/v1 tokens are accepted (default any)",
    },
];

impl DirectiveInfo {
    pub fn name_str(&self) -> &'static str {
        self.name.to_str().expect("directive names are ASCII")
    }

    /// Finds a directive by name, ignoring case as Apache does.
    pub fn lookup(name: &str) -> Option<&'static DirectiveInfo> {
        DIRECTIVES
            .iter()
            .find(|d| d.name_str().eq_ignore_ascii_case(name))
    }
}

/// A directive that cannot be applied: which directive, and what is wrong,
/// with a hint where there is a likely intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub directive: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(directive: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            directive: directive.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.directive, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The longest excerpt of a token an error message quotes, in characters.
const QUOTED_MAX: usize = 64;

/// A token as an error message quotes it: in single quotes, printable ASCII
/// kept, every other byte as `\xNN` (so no NUL, newline or terminal escape
/// reaches a log), and cut after about 64 characters with `...`. For text
/// from anywhere, above all from files that are not the admin's config.
pub fn quoted(token: impl AsRef<[u8]>) -> String {
    format!("'{}'", escaped(token))
}

/// [`quoted`] without the quotes.
pub fn escaped(token: impl AsRef<[u8]>) -> String {
    use std::fmt::Write as _;
    let token = token.as_ref();
    let width = |b: u8| if (0x20..0x7f).contains(&b) { 1 } else { 4 };
    // Every byte is at least one character wide: a long token is cut
    // without a look at all of it.
    let whole =
        token.len() <= QUOTED_MAX && token.iter().map(|&b| width(b)).sum::<usize>() <= QUOTED_MAX;
    let mut out = String::with_capacity(QUOTED_MAX + 3);
    let mut shown = 0;
    for &b in token {
        if !whole && shown + width(b) > QUOTED_MAX {
            out.push_str("...");
            break;
        }
        if width(b) == 1 {
            out.push(b as char);
        } else {
            let _ = write!(out, "\\x{b:02X}");
        }
        shown += width(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_keeps_printable_ascii_and_escapes_the_rest() {
        assert_eq!(quoted("10.0.0.0/8"), "'10.0.0.0/8'");
        assert_eq!(quoted("a\0b\r\n\x1b[31m"), "'a\\x00b\\x0D\\x0A\\x1B[31m'");
        assert_eq!(quoted("caf\u{e9}"), "'caf\\xC3\\xA9'");
        assert_eq!(quoted(b"\xff/\\"), "'\\xFF/\\'");
        assert_eq!(quoted(""), "''");
    }

    #[test]
    fn quoted_cuts_long_tokens() {
        let long = "x".repeat(1000);
        let q = quoted(&long);
        assert_eq!(q, format!("'{}...'", "x".repeat(64)));
        // Exactly the limit is shown whole.
        assert_eq!(quoted("y".repeat(64)), format!("'{}'", "y".repeat(64)));
        // An escape is never cut in half.
        let q = quoted([0u8; 100]);
        assert!(q.ends_with("\\x00...'"), "{q}");
        assert!(q.len() <= 64 + 5);
    }
}
