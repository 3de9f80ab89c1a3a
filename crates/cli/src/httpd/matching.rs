//! Which sections match a request, as httpd decides it: a plain
//! `<Location /photos>` matches `/photos`, `/photos/...` but not `/photosX`
//! (a prefix on a segment boundary; `<Location /photos/>` needs the slash);
//! a wildcard Location must match the whole path, `*` not crossing `/`; a
//! regex is searched anywhere in the path. `<Directory>` matches the
//! directories above the file (DocumentRoot + URL path, or `--file`), and
//! the path itself when it is a directory; `<DirectoryMatch>` is searched in
//! the file's directory. `<Files>` matches the last path component.

use std::path::Path;

use super::fnmatch::fnmatch;
use super::tree::SectionPattern;

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
pub(super) fn component_count(path: &str) -> usize {
    path.split('/').filter(|s| !s.is_empty()).count()
}

/// The directories httpd's directory walk visits for one file.
pub(super) struct DirectoryWalk {
    /// `/`, `/srv`, `/srv/photos`: index = component count.
    levels: Vec<String>,
}

impl DirectoryWalk {
    pub(super) fn new(path: &Path, url_is_directory: bool) -> DirectoryWalk {
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

    pub(super) fn matches(&self, pattern: &SectionPattern) -> bool {
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

pub(super) fn matches_name(pattern: Option<&SectionPattern>, name: &str) -> bool {
    match pattern {
        Some(SectionPattern::Literal(p) | SectionPattern::Wildcard(p)) => fnmatch(p, name, false),
        Some(SectionPattern::Regex(re)) => regex_search(re, name),
        None => false,
    }
}

/// httpd's `<Location>` test (see the module comment).
pub fn matches_location(pattern: Option<&SectionPattern>, url_path: &str) -> bool {
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
}
