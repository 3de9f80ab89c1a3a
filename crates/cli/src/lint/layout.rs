//! The server's layout as lint's checks of other modules around a gate need
//! it: the hosts a request can land in, the server-config directives each
//! one sees, the routes from URLs to files (`DocumentRoot`, `Alias`,
//! `ScriptAlias` and their `Match` forms), and where each section applies,
//! as a path prefix.
//!
//! These are approximations that err on the side of "may overlap": a
//! wildcard or regex section is taken as the longest literal prefix it
//! starts with, and an `AliasMatch` target as the directory before its
//! first `$`. `check` does not use any of this.

use std::collections::HashMap;
use std::fmt;

use crate::httpd::{Directive, Policy, SectionKind, SectionPattern};

/// Where a request lands: the main server (when the config has no virtual
/// host) or one `<VirtualHost>` (an index into `Policy::sections`).
pub(super) type Host = Option<usize>;

/// A set of paths: every path that starts with `path`, and with `segment`,
/// only on a `/` boundary (`/photos` holds `/photos` and `/photos/a`, not
/// `/photosX`); without, any continuation (`^/photos` as a regex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Prefix {
    pub path: String,
    pub segment: bool,
}

impl Prefix {
    /// A directory or URL path as written, trailing slashes dropped.
    pub(super) fn segment(path: &str) -> Prefix {
        let trimmed = path.trim_end_matches('/');
        Prefix {
            path: if trimmed.is_empty() { "/" } else { trimmed }.to_string(),
            segment: true,
        }
    }

    /// Every path that starts with `path`.
    pub(super) fn text(path: &str) -> Prefix {
        Prefix {
            path: path.to_string(),
            segment: false,
        }
    }

    /// Every path.
    pub(super) fn everything() -> Prefix {
        Prefix::segment("/")
    }

    /// Whether `path` is in the set.
    pub(super) fn holds(&self, path: &str) -> bool {
        path.starts_with(&self.path)
            && (!self.segment
                || self.path.ends_with('/')
                || matches!(path.as_bytes().get(self.path.len()), None | Some(b'/')))
    }

    /// Whether the two sets share a path (prefix sets do exactly when one
    /// holds the other's start).
    pub(super) fn overlaps(&self, other: &Prefix) -> bool {
        self.holds(&other.path) || other.holds(&self.path)
    }

    /// The path after `self.path` in `inner`, which `self` holds.
    fn rest_of<'a>(&self, inner: &'a str) -> &'a str {
        &inner[self.path.len().min(inner.len())..]
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segment || self.path.ends_with('/') {
            f.write_str(&self.path)
        } else {
            write!(f, "{}*", self.path)
        }
    }
}

/// `base` + `rest` as paths: `/` + `/photos`, `/pics` + `` or `/a`.
fn join(base: &str, rest: &str) -> String {
    match (base.trim_end_matches('/'), rest) {
        ("", "") => "/".to_string(),
        (base, rest) if rest.is_empty() || rest.starts_with('/') => format!("{base}{rest}"),
        (base, rest) => format!("{base}/{rest}"),
    }
}

/// The paths a section pattern can match, as a prefix (see the module
/// comment).
pub(super) fn pattern_prefix(pattern: Option<&SectionPattern>) -> Prefix {
    match pattern {
        Some(SectionPattern::Literal(p)) => Prefix::segment(p),
        Some(SectionPattern::Wildcard(p)) => {
            let literal = p.find(['*', '?', '[']).map_or(p.as_str(), |at| &p[..at]);
            Prefix::text(if literal.is_empty() { "/" } else { literal })
        }
        Some(SectionPattern::Regex(re)) => regex_prefix(re),
        None => Prefix::everything(),
    }
}

/// The literal start of an anchored regex (`^/photos/.*\.jpg$` →
/// `/photos/`); every path when the regex is not anchored or has an
/// alternative.
pub(super) fn regex_prefix(re: &str) -> Prefix {
    let Some(body) = re.strip_prefix('^') else {
        return Prefix::everything();
    };
    if has_top_level_alternative(body) {
        return Prefix::everything();
    }
    let mut literal = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next) if "./-_~".contains(next) => {
                    literal.push(next);
                    chars.next();
                }
                _ => break,
            },
            '?' | '*' | '{' => {
                // The character before is optional or repeated.
                literal.pop();
                break;
            }
            '.' | '[' | '(' | ')' | '+' | '$' | '^' | '}' | ']' => break,
            c => literal.push(c),
        }
    }
    if literal.starts_with('/') {
        Prefix::text(&literal)
    } else {
        Prefix::everything()
    }
}

/// Whether `re` has a `|` outside any group or bracket (`^/a|/b`), which
/// makes its start not a prefix of every match.
fn has_top_level_alternative(re: &str) -> bool {
    let (mut depth, mut in_class, mut escaped) = (0usize, false, false);
    for c in re.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            _ if in_class => {}
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '|' if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// A way from URLs to files: `DocumentRoot` (`/` to the root), `Alias`,
/// `ScriptAlias` or their `Match` forms.
#[derive(Debug, Clone)]
pub(super) struct Route<'c> {
    pub directive: &'c Directive,
    /// The URL prefix (for a `Match` form, the regex's literal start).
    pub url: Prefix,
    /// Whether `url` stands for a regex (an `AliasMatch`), which the tool
    /// does not apply when it maps a URL to a file.
    pub is_regex: bool,
    /// The file or directory it reaches.
    pub target: Prefix,
}

impl fmt::Display for Route<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({})",
            self.directive.name,
            self.directive.args.trim(),
            self.directive.origin
        )
    }
}

/// Where a section applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Place {
    /// Every request of its hosts (the server config, a virtual host, a
    /// `<Files>` outside any `<Directory>`).
    Everywhere,
    /// Files under a directory (`<Directory>`, `<Files>` inside one).
    Files(Prefix),
    /// URL paths (`<Location>`).
    Urls(Prefix),
}

pub(super) struct Layout<'p, 'c> {
    pub policy: &'p Policy<'c>,
    hosts: Vec<Host>,
    /// Each host's routes, worked out once (see [`Layout::routes`]).
    routes: HashMap<Host, Vec<Route<'c>>>,
}

const ALIASES: &[&str] = &["alias", "scriptalias", "aliasmatch", "scriptaliasmatch"];

impl<'p, 'c> Layout<'p, 'c> {
    pub(super) fn new(policy: &'p Policy<'c>) -> Layout<'p, 'c> {
        let vhosts = policy.vhosts();
        let hosts = if vhosts.is_empty() {
            vec![None]
        } else {
            vhosts.into_iter().map(Some).collect()
        };
        let mut layout = Layout {
            policy,
            hosts,
            routes: HashMap::new(),
        };
        let routes = layout
            .hosts
            .iter()
            .chain([&None])
            .map(|&host| (host, layout.find_routes(host)))
            .collect();
        layout.routes = routes;
        layout
    }

    pub(super) fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// The hosts whose requests section `index` can apply to.
    pub(super) fn hosts_of(&self, index: usize) -> Vec<Host> {
        match self.policy.vhost_of(index) {
            Some(vhost) => vec![Some(vhost)],
            None => self.hosts.clone(),
        }
    }

    /// Whether sections `a` and `b` can apply to one request's host.
    pub(super) fn share_a_host(&self, a: usize, b: usize) -> bool {
        match (self.policy.vhost_of(a), self.policy.vhost_of(b)) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        }
    }

    /// `<VirtualHost *:80> (site.conf:9)`, for naming a host in a message.
    pub(super) fn host_name(&self, host: Host) -> String {
        match host {
            Some(vhost) => self.policy.sections[vhost].section.to_string(),
            None => "the main server".to_string(),
        }
    }

    /// The server-config directives named `name` (any case) a host sees:
    /// the main server's, then the virtual host's.
    pub(super) fn server_directives(&self, host: Host, names: &[&str]) -> Vec<&'c Directive> {
        let levels = std::iter::once(0).chain(host);
        levels
            .flat_map(|i| &self.policy.sections[i].section.directives)
            .filter(|d| names.iter().any(|n| d.name.eq_ignore_ascii_case(n)))
            .collect()
    }

    /// A server-config setting: the virtual host's last, else the main
    /// server's.
    pub(super) fn server_setting(&self, host: Host, name: &str) -> Option<&'c Directive> {
        let levels: Vec<usize> = host.into_iter().chain([0]).collect();
        levels.into_iter().find_map(|i| {
            self.policy.sections[i]
                .section
                .directives
                .iter()
                .rev()
                .find(|d| d.name.eq_ignore_ascii_case(name))
        })
    }

    /// The routes from URLs to files of a host, in the order mod_alias
    /// tries them (the virtual host's aliases, the main server's, aliases
    /// inside `<Location>`), then DocumentRoot.
    pub(super) fn routes(&self, host: Host) -> &[Route<'c>] {
        self.routes.get(&host).map_or(&[], Vec::as_slice)
    }

    fn find_routes(&self, host: Host) -> Vec<Route<'c>> {
        let mut routes = Vec::new();
        let levels: Vec<usize> = host.into_iter().chain([0]).collect();
        for &level in &levels {
            let section = self.policy.sections[level].section;
            for directive in &section.directives {
                if let Some(route) = alias_route(directive, None) {
                    routes.push(route);
                }
            }
        }
        for &level in &levels {
            for child in self.policy.children_of(level) {
                let section = self.policy.sections[child].section;
                if section.kind != SectionKind::Location {
                    continue;
                }
                if let Some(SectionPattern::Literal(url)) = &section.pattern {
                    routes.extend(
                        section
                            .directives
                            .iter()
                            .filter_map(|d| alias_route(d, Some(url))),
                    );
                }
            }
        }
        if let Some(root) = self.server_setting(host, "DocumentRoot") {
            if let Some(path) = crate::httpd::lines::first_word(&root.args) {
                routes.push(Route {
                    directive: root,
                    url: Prefix::everything(),
                    is_regex: false,
                    target: Prefix::segment(&path),
                });
            }
        }
        routes
    }

    /// The files the URLs of `urls` reach on `host`: through the first
    /// alias that holds them all, else DocumentRoot; plus the targets of
    /// aliases inside them.
    pub(super) fn files_of_urls(&self, host: Host, urls: &Prefix) -> Vec<Prefix> {
        let routes = self.routes(host);
        let literal = || routes.iter().filter(|r| !r.is_regex);
        let whole = literal().find(|r| r.url.holds(&urls.path));
        let mut files: Vec<Prefix> = whole
            .map(|r| Prefix {
                path: join(&r.target.path, r.url.rest_of(&urls.path)),
                segment: urls.segment,
            })
            .into_iter()
            .collect();
        files.extend(
            literal()
                .filter(|r| r.url.path != urls.path && urls.holds(&r.url.path))
                .map(|r| r.target.clone()),
        );
        files
    }

    /// The URLs through which `route` reaches files in `files`, if any: the
    /// route's own URL when its target lies inside them, else the URL of
    /// their start below the target.
    pub(super) fn url_to(route: &Route, files: &Prefix) -> Option<Prefix> {
        if route.target.holds(&files.path) {
            Some(Prefix {
                path: join(&route.url.path, route.target.rest_of(&files.path)),
                segment: files.segment && route.url.segment,
            })
        } else if files.holds(&route.target.path) {
            Some(route.url.clone())
        } else {
            None
        }
    }

    /// The URLs a host serves from `files`, over every route.
    pub(super) fn urls_of_files(&self, host: Host, files: &Prefix) -> Vec<Prefix> {
        self.routes(host)
            .iter()
            .filter_map(|r| Layout::url_to(r, files))
            .collect()
    }

    /// Where section `index` applies.
    pub(super) fn place(&self, index: usize) -> Place {
        let section = self.policy.sections[index].section;
        match &section.kind {
            SectionKind::Server | SectionKind::VirtualHost => Place::Everywhere,
            SectionKind::Directory => Place::Files(pattern_prefix(section.pattern.as_ref())),
            SectionKind::Location => Place::Urls(pattern_prefix(section.pattern.as_ref())),
            SectionKind::Files | SectionKind::Other(_) => {
                match self.policy.sections[index].parent {
                    Some(parent) => self.place(parent),
                    None => Place::Everywhere,
                }
            }
        }
    }

    /// Whether one request can be in both places, on some host both
    /// sections apply to. A URL place is compared with a file place through
    /// the host's routes; with no route known, only `/` is taken to reach
    /// the files.
    pub(super) fn places_overlap(&self, a: usize, b: usize) -> bool {
        if !self.share_a_host(a, b) {
            return false;
        }
        match (self.place(a), self.place(b)) {
            (Place::Everywhere, _) | (_, Place::Everywhere) => true,
            (Place::Files(x), Place::Files(y)) | (Place::Urls(x), Place::Urls(y)) => x.overlaps(&y),
            (Place::Files(files), Place::Urls(urls)) | (Place::Urls(urls), Place::Files(files)) => {
                let hosts: Vec<Host> = self
                    .hosts_of(a)
                    .into_iter()
                    .filter(|h| self.hosts_of(b).contains(h))
                    .collect();
                let mapped: Vec<Prefix> = hosts
                    .iter()
                    .flat_map(|&h| self.files_of_urls(h, &urls))
                    .collect();
                if mapped.is_empty() {
                    urls.path == "/"
                } else {
                    mapped.iter().any(|m| m.overlaps(&files))
                }
            }
        }
    }

    /// An order in which httpd merges sections for one request: the server,
    /// the virtual host, `<Directory>` by length, `<DirectoryMatch>`,
    /// `<Files>`, `<Location>` in the order written (ties by index).
    pub(super) fn merge_rank(&self, index: usize) -> (u8, usize, usize) {
        let section = self.policy.sections[index].section;
        match &section.kind {
            SectionKind::Server => (0, 0, index),
            SectionKind::VirtualHost => (1, 0, index),
            SectionKind::Directory => match &section.pattern {
                Some(SectionPattern::Regex(_)) => (3, 0, index),
                Some(SectionPattern::Literal(p) | SectionPattern::Wildcard(p)) => {
                    (2, p.split('/').filter(|s| !s.is_empty()).count(), index)
                }
                None => (2, 0, index),
            },
            SectionKind::Files => (4, 0, index),
            SectionKind::Location => (5, 0, index),
            SectionKind::Other(_) => match self.policy.sections[index].parent {
                Some(parent) => self.merge_rank(parent),
                None => (0, 0, index),
            },
        }
    }
}

/// An `Alias`-like directive as a route; `location` is the URL of the
/// `<Location>` holding a one-argument `Alias`.
fn alias_route<'c>(directive: &'c Directive, location: Option<&str>) -> Option<Route<'c>> {
    let lower = directive.name.to_ascii_lowercase();
    if !ALIASES.contains(&lower.as_str()) {
        return None;
    }
    let words = photoguard_engine::tokenize::split_words(&directive.args).ok()?;
    let is_regex = lower.ends_with("match");
    let (url, target) = match (words.as_slice(), location) {
        ([url, target], None) => (url.as_str(), target.as_str()),
        ([target], Some(url)) if !is_regex => (url, target.as_str()),
        _ => return None,
    };
    let url = if is_regex {
        regex_prefix(url)
    } else {
        Prefix::segment(url)
    };
    let target = if is_regex {
        // `/srv/photos/$1`: the directory before the first substitution.
        let literal = target.find('$').map_or(target, |at| &target[..at]);
        Prefix::text(literal)
    } else {
        Prefix::segment(target)
    };
    Some(Route {
        directive,
        url,
        is_regex,
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_hold_paths_on_segment_boundaries() {
        let photos = Prefix::segment("/photos/");
        assert_eq!(photos.path, "/photos");
        assert!(photos.holds("/photos") && photos.holds("/photos/a.jpg"));
        assert!(!photos.holds("/photosX"));
        assert!(Prefix::text("/photos").holds("/photosX"));
        assert!(Prefix::everything().holds("/anything"));
        assert!(Prefix::segment("/srv").overlaps(&Prefix::segment("/srv/www/photos")));
        assert!(!Prefix::segment("/srv/a").overlaps(&Prefix::segment("/srv/ab")));
    }

    #[test]
    fn regexes_give_their_literal_start() {
        assert_eq!(regex_prefix(r"^/photos/.*\.jpg$"), Prefix::text("/photos/"));
        assert_eq!(regex_prefix(r"^/pho\.tos(/|$)"), Prefix::text("/pho.tos"));
        assert_eq!(regex_prefix("^/photos?"), Prefix::text("/photo"));
        assert_eq!(regex_prefix(r"\.jpg$"), Prefix::everything());
        assert_eq!(regex_prefix("^/a|/b"), Prefix::everything());
        assert_eq!(regex_prefix("^/a(b|c)"), Prefix::text("/a"));
        assert_eq!(regex_prefix(r"^/a[|]\|b"), Prefix::text("/a"));
        assert_eq!(regex_prefix("^(/a)"), Prefix::everything());
    }

    #[test]
    fn joined_paths() {
        assert_eq!(join("/", "/photos"), "/photos");
        assert_eq!(join("/pics", ""), "/pics");
        assert_eq!(join("/", ""), "/");
        assert_eq!(join("/srv/www", "/photos"), "/srv/www/photos");
    }
}
