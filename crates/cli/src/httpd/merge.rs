//! The merge for one request, in httpd's order:
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
//! Which sections match is [`super::matching`]'s job.

use std::path::{Path, PathBuf};

use photoguard_engine::ScopeConfig;

use super::matching::{
    DirectoryWalk, component_count, matches_location, matches_name, normalize_url_path,
};
use super::policy::Policy;
use super::tree::{SectionKind, SectionPattern};

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

impl Policy<'_> {
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
        let matched_directories = match &file_path {
            Some(path) => {
                let walk = DirectoryWalk::new(path, url_path.ends_with('/'));
                self.matched_directories(&directories, &walk)
            }
            None => {
                if directories
                    .iter()
                    .any(|&(_, i)| self.has_photoguard_directives_below(i))
                {
                    notes.push("no DocumentRoot applies, so no <Directory> section was matched (give --file PATH)".into());
                }
                Vec::new()
            }
        };
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
        if !is_directory {
            applied.extend(
                self.children_matching(&file_holders, SectionKind::Files, |p| {
                    matches_name(p, &basename)
                }),
            );
        }

        // <Location>: in the order written, the server's first.
        applied.extend(self.children_matching(&levels, SectionKind::Location, |p| {
            matches_location(p, &url_path)
        }));

        for built in &self.sections {
            if matches!(built.section.kind, SectionKind::Other(_))
                && built.section.photoguard_directives().next().is_some()
            {
                notes.push(format!(
                    "{} was not evaluated (the tool cannot tell whether it applies)",
                    built.section
                ));
            }
        }
        let scope = self.merged_scope(&applied);
        Ok(Resolved {
            scope,
            applied,
            vhost,
            url_path,
            file_path,
            notes,
        })
    }

    /// The sections of `kind` directly inside `holders`, holder by holder in
    /// the order written, whose pattern `matches`.
    fn children_matching(
        &self,
        holders: &[usize],
        kind: SectionKind,
        matches: impl Fn(Option<&SectionPattern>) -> bool,
    ) -> Vec<usize> {
        holders
            .iter()
            .flat_map(|&holder| self.children_of(holder))
            .filter(|&i| {
                let section = self.sections[i].section;
                section.kind == kind && matches(section.pattern.as_ref())
            })
            .collect()
    }

    /// The `<Directory>` sections among `directories` (level, index) that
    /// the walk matches, in merge order: plain and wildcard ones by length,
    /// the server's first at equal length, then regexes in the order written.
    fn matched_directories(
        &self,
        directories: &[(usize, usize)],
        walk: &DirectoryWalk,
    ) -> Vec<usize> {
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
        plain
            .into_iter()
            .map(|(_, _, i)| i)
            .chain(regexes.into_iter().map(|(_, i)| i))
            .filter(|&i| walk.matches(self.sections[i].section.pattern.as_ref().expect("filtered")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::super::reader::load;
    use super::super::testing::write_config;
    use super::*;

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
}
