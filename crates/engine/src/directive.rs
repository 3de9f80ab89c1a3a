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
}

impl DirectiveKind {
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
