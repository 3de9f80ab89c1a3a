//! What the reader makes of a configuration: a tree of [`Section`]s holding
//! the [`Directive`]s photoguard's decision depends on, and the structural
//! [`Diagnostic`]s that would stop httpd from starting.

use std::fmt;
use std::path::{Path, PathBuf};

use photoguard_engine::{DirectiveInfo, Origin};

use super::lines::first_word;

/// A directive the tool keeps, with where it was written.
#[derive(Debug, Clone)]
pub struct Directive {
    pub name: String,
    pub args: String,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionKind {
    /// The main server: everything outside any section.
    Server,
    VirtualHost,
    Directory,
    Files,
    Location,
    /// A section the tool keeps but does not evaluate, by its name.
    Other(String),
}

/// What a `<Directory>`, `<Files>` or `<Location>` section matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionPattern {
    /// A plain path (Directory, Location) or name (Files).
    Literal(String),
    /// A shell wildcard.
    Wildcard(String),
    /// A regular expression (`<...Match>` or `~`).
    Regex(String),
}

#[derive(Debug, Clone)]
pub struct Section {
    pub kind: SectionKind,
    /// The opening tag as written, `<Location "/photos">`, for messages.
    pub tag: String,
    pub pattern: Option<SectionPattern>,
    pub origin: Origin,
    /// Kept directives, in order.
    pub directives: Vec<Directive>,
    pub children: Vec<Section>,
}

impl Section {
    pub(super) fn new(
        kind: SectionKind,
        tag: String,
        pattern: Option<SectionPattern>,
        origin: Origin,
    ) -> Section {
        Section {
            kind,
            tag,
            pattern,
            origin,
            directives: Vec::new(),
            children: Vec::new(),
        }
    }

    /// The directives that are `PhotoGuard*` ones.
    pub fn photoguard_directives(&self) -> impl Iterator<Item = &Directive> {
        self.directives
            .iter()
            .filter(|d| DirectiveInfo::lookup(&d.name).is_some())
    }

    /// The last value of a core directive kept in this section
    /// (`DocumentRoot`, `ServerName`), unquoted.
    pub fn last_value(&self, name: &str) -> Option<String> {
        let directive = self
            .directives
            .iter()
            .rev()
            .find(|d| d.name.eq_ignore_ascii_case(name))?;
        first_word(&directive.args)
    }

    /// Every word of every `name` directive (`ServerAlias a b`).
    pub fn all_values(&self, name: &str) -> Vec<String> {
        self.directives
            .iter()
            .filter(|d| d.name.eq_ignore_ascii_case(name))
            .flat_map(|d| photoguard_engine::tokenize::split_words(&d.args).unwrap_or_default())
            .collect()
    }
}

/// `<Location /photos> (photos.conf:12)`.
impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SectionKind::Server => {
                let file = Path::new(self.origin.file())
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                write!(f, "server config ({file})")
            }
            _ => write!(f, "{} ({})", self.tag, self.origin),
        }
    }
}

/// A problem in the config file's structure that would stop httpd from
/// starting: `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    pub message: String,
}

impl Diagnostic {
    pub fn at(origin: &Origin, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: origin.file().to_string(),
            line: origin.line(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// A configuration as read.
#[derive(Debug, Clone)]
pub struct HttpdConfig {
    pub root: Section,
    /// The ServerRoot in effect at the end of reading: relative
    /// `PhotoGuardAllowNetworkFile` paths are resolved against it.
    pub server_root: PathBuf,
    /// Structural errors (unreadable files, unclosed sections, bad nesting).
    pub errors: Vec<Diagnostic>,
}
