//! The policy of a configuration: every section's own `PhotoGuard*`
//! directives applied with the engine, and the merge for one request, in
//! httpd's order:
//!
//! 1. the server config, then the chosen `<VirtualHost>`;
//! 2. `<Directory>` sections (plain and wildcard) from the shortest path to
//!    the longest, the server's before the virtual host's at equal length,
//!    then `<DirectoryMatch>`/`<Directory ~>` in the order written;
//! 3. `<Files>`/`<FilesMatch>`: the server's, the virtual host's, then those
//!    inside the matched `<Directory>` sections;
//! 4. `<Location>`/`<LocationMatch>`: the server's, then the virtual host's,
//!    in the order written.
//!
//! Matching, as httpd does it: a plain `<Location /photos>` matches
//! `/photos`, `/photos/...` but not `/photosX` (a prefix on a segment
//! boundary; `<Location /photos/>` needs the slash); a wildcard Location
//! must match the whole path, `*` not crossing `/`; a regex is searched
//! anywhere in the path. `<Directory>` matches the directories above the
//! file (DocumentRoot + URL path, or `--file`), and the path itself when it
//! is a directory; `<DirectoryMatch>` is searched in the file's directory.
//! `<Files>` matches the last path component.

use std::path::{Path, PathBuf};

use photoguard_engine::{DirectiveContext, ScopeConfig};

use super::fnmatch::fnmatch;
use super::httpd_conf::{Diagnostic, HttpdConfig, Section, SectionKind, SectionPattern};

/// One section with its own directives applied.
#[derive(Debug, Clone)]
pub struct BuiltSection<'c> {
    pub section: &'c Section,
    /// Index of the enclosing section (`None` for the server config).
    pub parent: Option<usize>,
    /// Only this section's directives, not merged with anything.
    pub scope: ScopeConfig,
}

/// Every section of a config, in the order written (the server first).
#[derive(Debug, Clone)]
pub struct Policy<'c> {
    pub config: &'c HttpdConfig,
    pub sections: Vec<BuiltSection<'c>>,
    /// The engine's errors, each with the directive's file and line.
    pub errors: Vec<Diagnostic>,
}

/// What a request is, for choosing sections.
#[derive(Debug, Clone, Default)]
pub struct RequestTarget<'a> {
    /// ServerName or ServerAlias of the virtual host; `None` takes the first.
    pub vhost: Option<&'a str>,
    /// The URL path, e.g. `/photos/jane.jpg` (query and fragment ignored).
    pub url_path: &'a str,
    /// The file the URL maps to, when it is not DocumentRoot + URL path.
    pub file_path: Option<&'a Path>,
}

/// The merged policy for one request and how it came about.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub scope: ScopeConfig,
    /// The sections merged, in order (indices into `Policy::sections`).
    pub applied: Vec<usize>,
    pub vhost: Option<usize>,
    /// The normalised URL path matched against `<Location>`.
    pub url_path: String,
    /// The file path matched against `<Directory>` and `<Files>`.
    pub file_path: Option<PathBuf>,
    /// What the tool could not take into account.
    pub notes: Vec<String>,
}

impl<'c> Policy<'c> {
    /// Applies every section's `PhotoGuard*` directives, collecting errors.
    pub fn build(config: &'c HttpdConfig) -> Policy<'c> {
        let mut policy = Policy {
            config,
            sections: Vec::new(),
            errors: Vec::new(),
        };
        policy.add(&config.root, None);
        policy
    }

    fn add(&mut self, section: &'c Section, parent: Option<usize>) {
        let mut scope = ScopeConfig::new();
        for directive in section.photoguard_directives() {
            let ctx = DirectiveContext {
                origin: directive.origin.clone(),
                server_root: Some(&self.config.server_root),
            };
            if let Err(e) = scope.apply(&directive.name, &directive.args, &ctx) {
                self.errors
                    .push(Diagnostic::at(&directive.origin, e.to_string()));
            }
        }
        let index = self.sections.len();
        self.sections.push(BuiltSection {
            section,
            parent,
            scope,
        });
        for child in &section.children {
            self.add(child, Some(index));
        }
    }

    /// The section and its enclosing ones, outermost first.
    pub fn chain(&self, index: usize) -> Vec<usize> {
        let mut chain = vec![index];
        while let Some(parent) = self.sections[*chain.last().expect("non-empty")].parent {
            chain.push(parent);
        }
        chain.reverse();
        chain
    }

    /// The section's scope merged with its enclosing sections' (what it sees
    /// when no other section applies to the request).
    pub fn enclosed_scope(&self, index: usize) -> ScopeConfig {
        self.chain(index)
            .iter()
            .fold(ScopeConfig::new(), |acc, &i| {
                ScopeConfig::merge(&acc, &self.sections[i].scope)
            })
    }

    /// The `<VirtualHost>` a section is in, if any.
    pub fn vhost_of(&self, index: usize) -> Option<usize> {
        self.chain(index)
            .into_iter()
            .find(|&i| self.sections[i].section.kind == SectionKind::VirtualHost)
    }

    pub fn vhosts(&self) -> Vec<usize> {
        self.children_of(0)
            .filter(|&i| self.sections[i].section.kind == SectionKind::VirtualHost)
            .collect()
    }

    fn children_of(&self, parent: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.sections.len()).filter(move |&i| self.sections[i].parent == Some(parent))
    }

    /// Merges the sections that apply to `target`.
    pub fn resolve(&self, target: &RequestTarget) -> Result<Resolved, String> {
        let url_path = normalize_url_path(target.url_path)?;
        let vhost = self.choose_vhost(target.vhost)?;
        let levels: Vec<usize> = std::iter::once(0).chain(vhost).collect();
        let mut notes = Vec::new();

        let document_root = levels
            .iter()
            .rev()
            .find_map(|&i| self.sections[i].section.last_value("DocumentRoot"));
        let file_path = match (target.file_path, &document_root) {
            (Some(path), _) => Some(path.to_path_buf()),
            (None, Some(root)) => Some(PathBuf::from(format!(
                "{}{}",
                root.trim_end_matches('/'),
                url_path
            ))),
            (None, None) => None,
        };
        let mut applied = levels.clone();

        // <Directory>: plain and wildcard by length, then regexes.
        let directories: Vec<(usize, usize)> = levels
            .iter()
            .enumerate()
            .flat_map(|(level, &parent)| self.children_of(parent).map(move |i| (level, i)))
            .filter(|&(_, i)| self.sections[i].section.kind == SectionKind::Directory)
            .collect();
        let mut matched_directories = Vec::new();
        match &file_path {
            Some(path) => {
                let walk = DirectoryWalk::new(path, url_path.ends_with('/'));
                let mut plain: Vec<(usize, usize, usize)> = directories
                    .iter()
                    .filter_map(|&(level, i)| match &self.sections[i].section.pattern {
                        Some(SectionPattern::Literal(p) | SectionPattern::Wildcard(p)) => {
                            Some((component_count(p), level, i))
                        }
                        _ => None,
                    })
                    .collect();
                plain.sort();
                for (_, _, i) in plain {
                    if walk.matches(self.sections[i].section.pattern.as_ref().expect("filtered")) {
                        matched_directories.push(i);
                    }
                }
                let mut regexes: Vec<(usize, usize)> = directories
                    .iter()
                    .copied()
                    .filter(|&(_, i)| {
                        matches!(
                            self.sections[i].section.pattern,
                            Some(SectionPattern::Regex(_))
                        )
                    })
                    .collect();
                regexes.sort();
                for (_, i) in regexes {
                    if walk.matches(self.sections[i].section.pattern.as_ref().expect("filtered")) {
                        matched_directories.push(i);
                    }
                }
            }
            None => {
                if directories
                    .iter()
                    .any(|&(_, i)| self.has_photoguard_directives_below(i))
                {
                    notes.push("no DocumentRoot applies, so no <Directory> section was matched (give --file PATH)".into());
                }
            }
        }
        applied.extend(&matched_directories);

        // <Files>: the server's, the virtual host's, then those inside the
        // matched directories.
        let basename = file_path
            .as_deref()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|| url_path.clone());
        let is_directory =
            basename.ends_with('/') || file_path.as_deref().is_some_and(Path::is_dir);
        let basename = basename.rsplit('/').next().unwrap_or("").to_string();
        let file_holders: Vec<usize> = levels.iter().chain(&matched_directories).copied().collect();
        for holder in file_holders {
            for i in self.children_of(holder) {
                let section = self.sections[i].section;
                if section.kind == SectionKind::Files
                    && !is_directory
                    && matches_name(section.pattern.as_ref(), &basename)
                {
                    applied.push(i);
                }
            }
        }

        // <Location>: in the order written, the server's first.
        for &level in &levels {
            for i in self.children_of(level) {
                let section = self.sections[i].section;
                if section.kind == SectionKind::Location
                    && matches_location(section.pattern.as_ref(), &url_path)
                {
                    applied.push(i);
                }
            }
        }

        for (i, built) in self.sections.iter().enumerate() {
            if matches!(built.section.kind, SectionKind::Other(_))
                && built.section.photoguard_directives().next().is_some()
            {
                notes.push(format!(
                    "{} was not evaluated (the tool cannot tell whether it applies)",
                    self.sections[i].section
                ));
            }
        }
        let scope = applied.iter().fold(ScopeConfig::new(), |acc, &i| {
            ScopeConfig::merge(&acc, &self.sections[i].scope)
        });
        Ok(Resolved {
            scope,
            applied,
            vhost,
            url_path,
            file_path,
            notes,
        })
    }

    fn has_photoguard_directives_below(&self, index: usize) -> bool {
        self.sections[index]
            .section
            .photoguard_directives()
            .next()
            .is_some()
            || self
                .children_of(index)
                .any(|child| self.has_photoguard_directives_below(child))
    }

    /// `--vhost NAME` by ServerName or ServerAlias (wildcards allowed), or
    /// the first virtual host, which is where httpd sends a request whose
    /// Host header names none of them.
    fn choose_vhost(&self, wanted: Option<&str>) -> Result<Option<usize>, String> {
        let vhosts = self.vhosts();
        let Some(wanted) = wanted else {
            return Ok(vhosts.first().copied());
        };
        let wanted = wanted.to_ascii_lowercase();
        let mut known = Vec::new();
        for &i in &vhosts {
            let section = self.sections[i].section;
            let mut names: Vec<String> = section
                .last_value("ServerName")
                .map(|n| server_name_host(&n))
                .into_iter()
                .collect();
            names.extend(
                section
                    .all_values("ServerAlias")
                    .iter()
                    .map(|n| n.to_ascii_lowercase()),
            );
            if names.iter().any(|name| fnmatch(name, &wanted, false)) {
                return Ok(Some(i));
            }
            known.extend(names);
        }
        if known.is_empty() {
            return Err(format!(
                "--vhost {wanted}: the config has no <VirtualHost> with a ServerName"
            ));
        }
        Err(format!(
            "--vhost {wanted}: no <VirtualHost> has that ServerName or ServerAlias (known: {})",
            known.join(", ")
        ))
    }
}

/// `https://photos.example.com:443` → `photos.example.com`.
fn server_name_host(name: &str) -> String {
    let name = name.split_once("://").map_or(name, |(_, rest)| rest);
    let host = if name.starts_with('[') {
        name.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        name.split(':').next().unwrap_or("").to_string()
    };
    host.to_ascii_lowercase()
}

/// A URL path as httpd matches it: query and fragment cut off,
/// percent-decoded, `.` and `..` segments resolved, repeated slashes merged.
pub fn normalize_url_path(raw: &str) -> Result<String, String> {
    let path = raw.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Err(format!("--scope '{raw}': a URL path starts with /"));
    }
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(0) | None => {
                    return Err(format!(
                        "--scope '{raw}': bad percent-encoding (httpd answers 400)"
                    ));
                }
                Some(byte) => decoded.push(byte),
            }
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8_lossy(&decoded).into_owned();
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/').skip(1) {
        match segment {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(format!(
                        "--scope '{raw}': the path climbs above / (httpd answers 400)"
                    ));
                }
            }
            s => segments.push(s),
        }
    }
    let trailing = decoded.ends_with('/') || decoded.ends_with("/.") || decoded.ends_with("/..");
    let mut normal = String::from("/");
    normal.push_str(&segments.join("/"));
    if trailing && !segments.is_empty() {
        normal.push('/');
    }
    Ok(normal)
}

/// `/` has 0 components, `/var/www` 2.
fn component_count(path: &str) -> usize {
    path.split('/').filter(|s| !s.is_empty()).count()
}

/// The directories httpd's directory walk visits for one file.
struct DirectoryWalk {
    /// `/`, `/srv`, `/srv/photos`: index = component count.
    levels: Vec<String>,
}

impl DirectoryWalk {
    fn new(path: &Path, url_is_directory: bool) -> DirectoryWalk {
        let text = path.to_string_lossy();
        let components: Vec<&str> = text.split('/').filter(|s| !s.is_empty()).collect();
        let is_directory = url_is_directory || text.ends_with('/') || path.is_dir();
        let directory_count = if is_directory {
            components.len()
        } else {
            components.len().saturating_sub(1)
        };
        let levels = (0..=directory_count)
            .map(|n| format!("/{}", components[..n].join("/")))
            .collect();
        DirectoryWalk { levels }
    }

    fn matches(&self, pattern: &SectionPattern) -> bool {
        match pattern {
            SectionPattern::Literal(dir) => self
                .levels
                .get(component_count(dir))
                .is_some_and(|level| level == dir),
            SectionPattern::Wildcard(dir) => self
                .levels
                .get(component_count(dir))
                .is_some_and(|level| fnmatch(dir, level, true)),
            SectionPattern::Regex(re) => {
                let deepest = self.levels.last().expect("the root is always a level");
                regex_search(re, deepest)
            }
        }
    }
}

fn matches_name(pattern: Option<&SectionPattern>, name: &str) -> bool {
    match pattern {
        Some(SectionPattern::Literal(p) | SectionPattern::Wildcard(p)) => fnmatch(p, name, false),
        Some(SectionPattern::Regex(re)) => regex_search(re, name),
        None => false,
    }
}

/// httpd's `<Location>` test (see the module comment).
fn matches_location(pattern: Option<&SectionPattern>, url_path: &str) -> bool {
    match pattern {
        Some(SectionPattern::Literal(prefix)) => {
            url_path.starts_with(prefix.as_str())
                && (prefix.ends_with('/')
                    || matches!(url_path.as_bytes().get(prefix.len()), None | Some(b'/')))
        }
        Some(SectionPattern::Wildcard(p)) => fnmatch(p, url_path, true),
        Some(SectionPattern::Regex(re)) => regex_search(re, url_path),
        None => false,
    }
}

fn regex_search(pattern: &str, text: &str) -> bool {
    // The pattern was compiled once when the config was read; a failure here
    // cannot happen, and not matching is the safe reading if it did.
    regex_automata::meta::Regex::new(pattern).is_ok_and(|re| re.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::httpd_conf::load;
    use std::net::IpAddr;

    fn write_config(name: &str, text: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("photoguard-sections-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("site.conf");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn applied_tags(policy: &Policy, resolved: &Resolved) -> Vec<String> {
        resolved
            .applied
            .iter()
            .map(|&i| policy.sections[i].section.tag.clone())
            .collect()
    }

    fn reason(scope: &ScopeConfig, ip: &str) -> String {
        let peer: IpAddr = ip.parse().unwrap();
        scope
            .evaluate(&photoguard_engine::Request {
                peer,
                cookie_header: None,
                forwarded_for: None,
            })
            .to_string()
    }

    #[test]
    fn location_prefixes_stop_at_segment_boundaries() {
        let literal = |p: &str| SectionPattern::Literal(p.to_string());
        assert!(matches_location(Some(&literal("/photos")), "/photos"));
        assert!(matches_location(
            Some(&literal("/photos")),
            "/photos/jane.jpg"
        ));
        assert!(!matches_location(Some(&literal("/photos")), "/photosX"));
        assert!(!matches_location(Some(&literal("/photos/")), "/photos"));
        assert!(matches_location(Some(&literal("/")), "/anything"));
        assert!(matches_location(
            Some(&SectionPattern::Wildcard("/p*/*.jpg".into())),
            "/photos/a.jpg"
        ));
        assert!(!matches_location(
            Some(&SectionPattern::Wildcard("/p*.jpg".into())),
            "/photos/a.jpg"
        ));
        assert!(matches_location(
            Some(&SectionPattern::Regex(r"\.jpg$".into())),
            "/photos/a.jpg"
        ));
    }

    #[test]
    fn url_paths_are_normalised_like_httpd() {
        assert_eq!(
            normalize_url_path("/photos//jane%2Edoe.jpg?x=1").unwrap(),
            "/photos/jane.doe.jpg"
        );
        assert_eq!(normalize_url_path("/a/./b/../c/").unwrap(), "/a/c/");
        assert_eq!(normalize_url_path("/").unwrap(), "/");
        assert!(normalize_url_path("photos").is_err());
        assert!(normalize_url_path("/../etc").is_err());
        assert!(normalize_url_path("/a%zz").is_err());
    }

    #[test]
    fn merge_order_follows_httpd() {
        let conf = write_config(
            "order",
            "PhotoGuard On\nPhotoGuardAllowNetwork 10.0.0.0/8\n\
             <VirtualHost *:80>\n ServerName first.example\n DocumentRoot /srv/www\n\
             <Location /photos>\n PhotoGuardAllowNetwork 10.4.0.0/16\n </Location>\n\
             <Directory /srv/www/photos>\n PhotoGuardAllowNetwork 10.2.0.0/16\n <Files *.jpg>\n PhotoGuardAllowNetwork 10.3.0.0/16\n </Files>\n </Directory>\n\
             <Directory />\n PhotoGuardAllowNetwork 10.1.0.0/16\n </Directory>\n\
             <DirectoryMatch ^/srv/www/ph>\n PhotoGuardDenyAction 404\n </DirectoryMatch>\n\
             </VirtualHost>\n\
             <VirtualHost *:80>\n ServerName second.example\n ServerAlias *.second.example\n</VirtualHost>\n\
             <Location /photosX>\n PhotoGuardAllowNetwork 10.9.0.0/16\n</Location>\n",
        );
        let config = load(&conf, None);
        assert!(config.errors.is_empty(), "{:?}", config.errors);
        let policy = Policy::build(&config);
        assert!(policy.errors.is_empty(), "{:?}", policy.errors);

        let jpg = policy
            .resolve(&RequestTarget {
                url_path: "/photos/jane.jpg",
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            applied_tags(&policy, &jpg),
            [
                "",
                "<VirtualHost *:80>",
                "<Directory />",
                "<Directory /srv/www/photos>",
                "<DirectoryMatch ^/srv/www/ph>",
                "<Files *.jpg>",
                "<Location /photos>"
            ]
        );
        // The last list set wins: the Location's.
        assert!(
            reason(&jpg.scope, "10.4.1.1").starts_with("allow: network 10.4.0.0/16 (site.conf:7)")
        );
        assert_eq!(
            reason(&jpg.scope, "10.3.1.1"),
            "deny (404): no rule matched"
        );

        let png = policy
            .resolve(&RequestTarget {
                url_path: "/photos/jane.png",
                ..Default::default()
            })
            .unwrap();
        assert!(!applied_tags(&policy, &png).contains(&"<Files *.jpg>".to_string()));

        let other = policy
            .resolve(&RequestTarget {
                url_path: "/index.html",
                ..Default::default()
            })
            .unwrap();
        assert!(reason(&other.scope, "10.1.2.3").starts_with("allow: network 10.1.0.0/16"));

        let second = policy
            .resolve(&RequestTarget {
                vhost: Some("www.Second.example"),
                url_path: "/photosX",
                file_path: None,
            })
            .unwrap();
        assert_eq!(
            applied_tags(&policy, &second),
            ["", "<VirtualHost *:80>", "<Location /photosX>"]
        );
        assert!(second.notes.is_empty());
        let err = policy
            .resolve(&RequestTarget {
                vhost: Some("nope"),
                url_path: "/",
                file_path: None,
            })
            .unwrap_err();
        assert!(
            err.contains("known: first.example, second.example, *.second.example"),
            "{err}"
        );
    }

    #[test]
    fn engine_errors_carry_file_and_line() {
        let conf = write_config(
            "errors",
            "PhotoGuard On\n<Location />\nPhotoGuardAllowNetwork 10.20.16.7/20\n</Location>\n",
        );
        let config = load(&conf, None);
        let policy = Policy::build(&config);
        let errors: Vec<String> = policy.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errors,
            [format!(
                "{}:3: PhotoGuardAllowNetwork: '10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?",
                conf.display()
            )]
        );
    }
}
