//! Reads an httpd.conf (or a fragment of one) into a tree of sections, the
//! way httpd reads it, keeping only what photoguard's decision depends on:
//! the `PhotoGuard*` directives, `ServerName`/`ServerAlias` and
//! `DocumentRoot` (and, for lint, `Satisfy`, mod_cache's, mod_alias's and
//! mod_remoteip's directives: see `KEPT_CORE_DIRECTIVES`), and the `<VirtualHost>`, `<Directory>`, `<Files>` and
//! `<Location>` sections (with their `Match` and `~` forms) around them.
//!
//! - Lines: see [`super::lines`] (continuations, comments).
//! - `Include`/`IncludeOptional`: see the `include` module. The ServerRoot is
//!   `--server-root`, else the last `ServerRoot` directive read so far, else
//!   the directory of the main config file.
//! - `<IfModule>`, `<IfDefine>`, `<IfVersion>`, `<IfFile>`, `<IfDirective>`,
//!   `<IfSection>`, `<Limit>` and `<LimitExcept>` are transparent: what they
//!   hold is read as if they were not there (the tool cannot know which
//!   modules and defines the server has).
//! - Other sections (`<If>`, `<Proxy>`, ...) are kept, so that lint can check
//!   their directives, but `check` does not apply them.
//! - `${NAME}` is replaced by a `Define`d value or the environment variable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use photoguard_engine::{DirectiveInfo, Origin};

use super::fnmatch::has_wildcards;
use super::lines::{ConfigLine, first_word, logical_lines, split_directive};
use super::tree::{Diagnostic, Directive, HttpdConfig, Section, SectionKind, SectionPattern};

/// httpd's own limit on nested includes, which also stops include loops.
const MAX_INCLUDE_DEPTH: usize = 128;

/// Reads `path` and everything it includes.
pub fn load(path: &Path, server_root: Option<&Path>) -> HttpdConfig {
    let default_root = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut reader = Reader {
        server_root: server_root.map(Path::to_path_buf).unwrap_or(default_root),
        server_root_fixed: server_root.is_some(),
        defines: HashMap::new(),
        errors: Vec::new(),
    };
    let origin = Origin::new(path.display().to_string(), 0);
    let mut root = Section::new(SectionKind::Server, String::new(), None, origin.clone());
    reader.read_file(path, &mut root, &origin, 0, false);
    HttpdConfig {
        root,
        server_root: reader.server_root,
        errors: reader.errors,
    }
}

/// The state of one reading: what later lines depend on, and the errors.
pub(super) struct Reader {
    /// Where relative `Include` paths point (see [`super::include`]).
    pub(super) server_root: PathBuf,
    /// `--server-root` was given: `ServerRoot` directives do not move it.
    server_root_fixed: bool,
    defines: HashMap<String, String>,
    errors: Vec<Diagnostic>,
}

/// Sections whose contents are read as if the section were not there.
const TRANSPARENT: &[&str] = &[
    "ifmodule",
    "ifdefine",
    "ifversion",
    "iffile",
    "ifdirective",
    "ifsection",
    "limit",
    "limitexcept",
];

/// Other modules' directives the tool keeps besides the PhotoGuard ones:
/// the virtual host's names and DocumentRoot (for `check`), and what lint
/// looks at around a gate (mod_access_compat's `Satisfy`, mod_cache,
/// mod_alias, mod_remoteip). Keeping them changes no decision: the merge
/// reads only `PhotoGuard*` directives and `DocumentRoot`.
const KEPT_CORE_DIRECTIVES: &[&str] = &[
    "servername",
    "serveralias",
    "documentroot",
    "satisfy",
    "cacheenable",
    "cachedisable",
    "cachequickhandler",
    "alias",
    "aliasmatch",
    "scriptalias",
    "scriptaliasmatch",
    "remoteipheader",
    "remoteiptrustedproxy",
    "remoteipinternalproxy",
    "remoteiptrustedproxylist",
    "remoteipinternalproxylist",
];

impl Reader {
    pub(super) fn error(&mut self, origin: &Origin, message: impl Into<String>) {
        self.errors.push(Diagnostic::at(origin, message));
    }

    /// Reads one file's lines into `section`. `included_from` is where the
    /// `Include` was (for the error when the file is missing).
    pub(super) fn read_file(
        &mut self,
        path: &Path,
        section: &mut Section,
        included_from: &Origin,
        depth: usize,
        optional: bool,
    ) {
        if depth > MAX_INCLUDE_DEPTH {
            self.error(
                included_from,
                format!(
                    "includes nested deeper than {MAX_INCLUDE_DEPTH} levels (an Include loop?)"
                ),
            );
            return;
        }
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(_) if optional => return,
            Err(e) => {
                let message = format!("could not open configuration file {}: {e}", path.display());
                if included_from.line() == 0 {
                    self.errors.push(Diagnostic {
                        file: path.display().to_string(),
                        line: 0,
                        message: format!("cannot read: {e}"),
                    });
                } else {
                    self.error(included_from, message);
                }
                return;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let lines = logical_lines(&text);
        let file: std::sync::Arc<str> = path.display().to_string().into();
        let mut position = 0;
        self.read_block(&file, &lines, &mut position, section, None, depth);
    }

    /// Reads lines into `section` until the closing tag `closing` (or the end
    /// of the file when `None`).
    fn read_block(
        &mut self,
        file: &std::sync::Arc<str>,
        lines: &[ConfigLine],
        position: &mut usize,
        section: &mut Section,
        closing: Option<(&str, &Origin)>,
        depth: usize,
    ) {
        while *position < lines.len() {
            let line = &lines[*position];
            *position += 1;
            let origin = Origin::new(file.clone(), line.number);
            let text = self.expand_variables(&line.text);
            if let Some(close) = text.strip_prefix("</") {
                let name = close.trim_end_matches('>').trim();
                match closing {
                    Some((expected, _)) if expected.eq_ignore_ascii_case(name) => return,
                    Some((expected, _)) => {
                        self.error(&origin, format!("expected </{expected}> but saw </{name}>"));
                        return;
                    }
                    None => self.error(
                        &origin,
                        format!("</{name}> without matching <{name}> section"),
                    ),
                }
                continue;
            }
            if let Some(open) = text.strip_prefix('<') {
                self.read_section(file, lines, position, section, open, &origin, depth);
                continue;
            }
            self.read_directive(&text, section, &origin, depth);
        }
        if let Some((name, opened)) = closing {
            self.error(
                opened,
                format!("<{name}> is not closed before the end of the file"),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn read_section(
        &mut self,
        file: &std::sync::Arc<str>,
        lines: &[ConfigLine],
        position: &mut usize,
        section: &mut Section,
        open: &str,
        origin: &Origin,
        depth: usize,
    ) {
        let Some(inner) = open.strip_suffix('>') else {
            let name = split_directive(open).0;
            self.error(origin, format!("<{name}> directive missing closing '>'"));
            return;
        };
        let (name, args) = split_directive(inner.trim());
        let lower = name.to_ascii_lowercase();
        if TRANSPARENT.contains(&lower.as_str()) {
            self.read_block(file, lines, position, section, Some((name, origin)), depth);
            return;
        }
        let tag = format!("<{}>", inner.trim());
        let kind_and_pattern = match lower.as_str() {
            "virtualhost" => Ok((SectionKind::VirtualHost, None)),
            "directory" | "directorymatch" => {
                section_pattern(name, args, lower.ends_with("match"), true)
                    .map(|p| (SectionKind::Directory, Some(p)))
            }
            "files" | "filesmatch" => section_pattern(name, args, lower.ends_with("match"), false)
                .map(|p| (SectionKind::Files, Some(p))),
            "location" | "locationmatch" => {
                section_pattern(name, args, lower.ends_with("match"), false)
                    .map(|p| (SectionKind::Location, Some(p)))
            }
            _ => Ok((SectionKind::Other(name.to_string()), None)),
        };
        let (kind, pattern) = match kind_and_pattern {
            Ok(found) => found,
            Err(message) => {
                self.error(origin, message);
                (SectionKind::Other(name.to_string()), None)
            }
        };
        if let Some(message) = nesting_error(&kind, name, section) {
            self.error(origin, message);
        }
        let mut child = Section::new(kind, tag, pattern, origin.clone());
        self.read_block(
            file,
            lines,
            position,
            &mut child,
            Some((name, origin)),
            depth,
        );
        section.children.push(child);
    }

    fn read_directive(&mut self, text: &str, section: &mut Section, origin: &Origin, depth: usize) {
        let (name, args) = split_directive(text);
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "include" | "includeoptional" => {
                self.include(args, lower == "includeoptional", section, origin, depth)
            }
            "serverroot" => {
                if section.kind != SectionKind::Server {
                    self.error(origin, "ServerRoot cannot occur within a section");
                } else if !self.server_root_fixed {
                    if let Some(root) = first_word(args) {
                        self.server_root = PathBuf::from(root);
                    }
                }
            }
            "define" => {
                let words = photoguard_engine::tokenize::split_words(args).unwrap_or_default();
                if let Some(var) = words.first() {
                    self.defines
                        .insert(var.clone(), words.get(1).cloned().unwrap_or_default());
                }
            }
            "undefine" => {
                if let Some(var) = first_word(args) {
                    self.defines.remove(&var);
                }
            }
            _ if KEPT_CORE_DIRECTIVES.contains(&lower.as_str())
                || DirectiveInfo::lookup(name).is_some() =>
            {
                section.directives.push(Directive {
                    name: name.to_string(),
                    args: args.to_string(),
                    origin: origin.clone(),
                });
            }
            _ => {}
        }
    }

    /// Replaces `${NAME}` by a `Define`d value or an environment variable;
    /// an unknown name is left as written, as httpd does.
    fn expand_variables(&self, text: &str) -> String {
        if !text.contains("${") {
            return text.to_string();
        }
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            match after.find('}') {
                Some(end) => {
                    let name = &after[..end];
                    match self
                        .defines
                        .get(name)
                        .cloned()
                        .or_else(|| std::env::var(name).ok())
                    {
                        Some(value) => out.push_str(&value),
                        None => out.push_str(&rest[start..start + 3 + end]),
                    }
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str(&rest[start..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// The pattern of a `<Directory>`, `<Files>` or `<Location>` section (or
/// their `Match` forms): a `~` first argument or a `Match` name makes a regex.
fn section_pattern(
    name: &str,
    args: &str,
    is_match: bool,
    is_directory: bool,
) -> Result<SectionPattern, String> {
    let words = photoguard_engine::tokenize::split_words(args)
        .map_err(|_| format!("<{name}>: unterminated quote"))?;
    let (regex, text) = match words.as_slice() {
        [tilde, pattern] if tilde == "~" && !is_match => (true, pattern.clone()),
        [pattern] => (is_match, pattern.clone()),
        [] => return Err(format!("<{name}> directive requires additional arguments")),
        _ => return Err(format!("<{name}> takes one argument")),
    };
    if regex {
        regex_automata::meta::Regex::new(&text)
            .map_err(|e| format!("<{name}>: regex '{text}' is not supported: {e}"))?;
        return Ok(SectionPattern::Regex(text));
    }
    // httpd drops a directory's trailing slash ("/" itself stays).
    let text = if is_directory && text.len() > 1 {
        text.trim_end_matches('/').to_string()
    } else {
        text
    };
    Ok(if has_wildcards(&text) {
        SectionPattern::Wildcard(text)
    } else {
        SectionPattern::Literal(text)
    })
}

/// httpd's rules for where a section may appear.
fn nesting_error(kind: &SectionKind, name: &str, parent: &Section) -> Option<String> {
    let inside = |p: &Section| match &p.kind {
        SectionKind::Server => None,
        _ => Some(
            p.tag
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches('>')
                .to_string()
                + ">",
        ),
    };
    let allowed = match kind {
        SectionKind::VirtualHost => parent.kind == SectionKind::Server,
        SectionKind::Directory | SectionKind::Location => {
            matches!(parent.kind, SectionKind::Server | SectionKind::VirtualHost)
        }
        SectionKind::Files => matches!(
            parent.kind,
            SectionKind::Server | SectionKind::VirtualHost | SectionKind::Directory
        ),
        SectionKind::Other(_) | SectionKind::Server => true,
    };
    if allowed {
        None
    } else {
        Some(format!(
            "<{name}> cannot occur within {} section",
            inside(parent).unwrap_or_default()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{names, temp_dir, write};
    use super::*;

    #[test]
    fn sections_nest_and_transparent_ones_disappear() {
        let dir = temp_dir("nest");
        let conf = write(
            &dir,
            "httpd.conf",
            "ServerName main\nLoadModule x y\n<IfModule photoguard_module>\n  PhotoGuard On\n</IfModule>\n\
             <VirtualHost *:80>\n  ServerName photos.example.com\n  DocumentRoot \"/srv/photos\"\n\
             <Directory \"/srv/photos/\">\n    <Files \"*.jpg\">\n      photoguardallownetwork 10.0.0.0/8\n    </Files>\n  </Directory>\n\
             <LocationMatch \"^/p\">\n  </LocationMatch>\n  <Location ~ \"^/q\">\n  </Location>\n</VirtualHost>\n",
        );
        let config = load(&conf, None);
        assert!(config.errors.is_empty(), "{:?}", config.errors);
        assert_eq!(config.server_root, dir);
        assert_eq!(names(&config.root), ["ServerName main", "PhotoGuard On"]);
        let vhost = &config.root.children[0];
        assert_eq!(vhost.kind, SectionKind::VirtualHost);
        assert_eq!(
            vhost.last_value("servername").as_deref(),
            Some("photos.example.com")
        );
        assert_eq!(
            vhost.last_value("DocumentRoot").as_deref(),
            Some("/srv/photos")
        );
        let directory = &vhost.children[0];
        assert_eq!(
            directory.pattern,
            Some(SectionPattern::Literal("/srv/photos".into()))
        );
        let files = &directory.children[0];
        assert_eq!(
            files.pattern,
            Some(SectionPattern::Wildcard("*.jpg".into()))
        );
        assert_eq!(names(files), ["photoguardallownetwork 10.0.0.0/8"]);
        assert_eq!(files.directives[0].origin.line(), 11);
        assert_eq!(
            vhost.children[1].pattern,
            Some(SectionPattern::Regex("^/p".into()))
        );
        assert_eq!(
            vhost.children[2].pattern,
            Some(SectionPattern::Regex("^/q".into()))
        );
        assert_eq!(files.to_string(), "<Files \"*.jpg\"> (httpd.conf:10)");
    }

    #[test]
    fn structural_errors_name_file_and_line() {
        let dir = temp_dir("errors");
        let conf = write(
            &dir,
            "bad.conf",
            "Include missing.conf\nInclude none/*.conf\n<Location /a>\n<Directory /x>\n</Directory>\n</Location>\n</Files>\n<Location /b\n<Files x>\n",
        );
        let config = load(&conf, None);
        let errors: Vec<String> = config.errors.iter().map(|e| e.to_string()).collect();
        let path = conf.display().to_string();
        assert!(
            errors[0].starts_with(&format!("{path}:1: could not open configuration file")),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with(&format!("{path}:2: no matches for the wildcard")),
            "{errors:?}"
        );
        assert_eq!(
            errors[2],
            format!("{path}:4: <Directory> cannot occur within <Location> section")
        );
        assert_eq!(
            errors[3],
            format!("{path}:7: </Files> without matching <Files> section")
        );
        assert_eq!(
            errors[4],
            format!("{path}:8: <Location> directive missing closing '>'")
        );
        assert_eq!(
            errors[5],
            format!("{path}:9: <Files> is not closed before the end of the file")
        );
        assert_eq!(errors.len(), 6);
        let unreadable = load(&dir.join("nope.conf"), None);
        assert!(
            unreadable.errors[0]
                .to_string()
                .contains("nope.conf: cannot read")
        );
    }

    #[test]
    fn variables_come_from_define_and_the_environment() {
        let dir = temp_dir("vars");
        write(&dir, "inc/x.conf", "PhotoGuardAllowCookie X\n");
        let conf = write(
            &dir,
            "v.conf",
            "Define INC inc\nInclude ${INC}/x.conf\nDocumentRoot ${PHOTOGUARD_SURELY_UNSET}/x\n",
        );
        let config = load(&conf, None);
        assert!(config.errors.is_empty(), "{:?}", config.errors);
        assert_eq!(
            names(&config.root),
            [
                "PhotoGuardAllowCookie X",
                "DocumentRoot ${PHOTOGUARD_SURELY_UNSET}/x"
            ]
        );
    }
}
