//! `Include` and `IncludeOptional`, as httpd resolves them: a relative path
//! is relative to the ServerRoot, wildcards may appear in any path component
//! and their matches are read in sorted order, and a directory includes every
//! file below it. `Include` of nothing is an error, `IncludeOptional` of
//! nothing is not.

use std::path::{Path, PathBuf};

use photoguard_engine::Origin;

use super::fnmatch::{fnmatch, has_wildcards};
use super::lines::first_word;
use super::reader::Reader;
use super::tree::Section;

impl Reader {
    /// Reads the files an `Include` (or, with `optional`, an
    /// `IncludeOptional`) names into `section`, one level deeper.
    pub(super) fn include(
        &mut self,
        args: &str,
        optional: bool,
        section: &mut Section,
        origin: &Origin,
        depth: usize,
    ) {
        let Some(target) = first_word(args) else {
            self.error(origin, "Include needs a file name");
            return;
        };
        let path = if Path::new(&target).is_relative() {
            self.server_root.join(&target)
        } else {
            PathBuf::from(&target)
        };
        let files = if has_wildcards(&target) {
            let matches = expand_glob(&path);
            if matches.is_empty() && !optional {
                self.error(
                    origin,
                    format!(
                        "no matches for the wildcard {} (use IncludeOptional if that is expected)",
                        path.display()
                    ),
                );
            }
            matches
        } else {
            vec![path]
        };
        for file in files {
            if file.is_dir() {
                for inner in files_below(&file) {
                    self.read_file(&inner, section, origin, depth + 1, optional);
                }
            } else {
                self.read_file(&file, section, origin, depth + 1, optional);
            }
        }
    }
}

/// The files matching a path with wildcards in any component, sorted per
/// directory as httpd reads them. Names starting with a dot only match a
/// pattern that starts with a dot.
fn expand_glob(path: &Path) -> Vec<PathBuf> {
    let mut current: Vec<PathBuf> = vec![PathBuf::new()];
    for component in path.components() {
        let text = component.as_os_str().to_string_lossy();
        if !has_wildcards(&text) {
            current
                .iter_mut()
                .for_each(|p| p.push(component.as_os_str()));
            continue;
        }
        let mut next = Vec::new();
        for dir in &current {
            let listing = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir.as_path()
            };
            let Ok(entries) = std::fs::read_dir(listing) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                if name.starts_with('.') && !text.starts_with('.') {
                    continue;
                }
                if fnmatch(&text, &name, true) {
                    next.push(dir.join(&name));
                }
            }
        }
        current = next;
    }
    current.into_iter().filter(|p| p.exists()).collect()
}

/// Every file below a directory, sorted, recursively (httpd's Include of a
/// directory).
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    paths
        .into_iter()
        .flat_map(|p| if p.is_dir() { files_below(&p) } else { vec![p] })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::reader::load;
    use super::super::testing::{names, temp_dir, write};

    #[test]
    fn includes_are_relative_to_the_server_root_and_follow_globs_and_directories() {
        let dir = temp_dir("include");
        write(&dir, "conf.d/b.conf", "PhotoGuardAllowCookie B\n");
        write(&dir, "conf.d/a.conf", "PhotoGuardAllowCookie A\n");
        write(
            &dir,
            "conf.d/.hidden.conf",
            "PhotoGuardAllowCookie Hidden\n",
        );
        write(&dir, "sites/x/one.conf", "PhotoGuardAllowCookie One\n");
        write(&dir, "root/extra.conf", "PhotoGuardAllowCookie Extra\n");
        let conf = write(
            &dir,
            "httpd.conf",
            &format!(
                "Include conf.d/*.conf\n<VirtualHost *:80>\nInclude sites\n</VirtualHost>\nIncludeOptional nothing/*.conf\nServerRoot {}\nInclude extra.conf\n",
                dir.join("root").display()
            ),
        );
        let config = load(&conf, None);
        assert!(config.errors.is_empty(), "{:?}", config.errors);
        assert_eq!(
            names(&config.root),
            [
                "PhotoGuardAllowCookie A",
                "PhotoGuardAllowCookie B",
                "PhotoGuardAllowCookie Extra"
            ]
        );
        assert_eq!(
            names(&config.root.children[0]),
            ["PhotoGuardAllowCookie One"]
        );
        assert!(
            config.root.directives[0]
                .origin
                .file()
                .ends_with("conf.d/a.conf")
        );
    }

    #[test]
    fn include_loops_stop() {
        let dir = temp_dir("loop");
        let conf = write(&dir, "loop.conf", "Include loop.conf\n");
        let config = load(&conf, None);
        assert_eq!(config.errors.len(), 1);
        assert!(config.errors[0].message.contains("Include loop"));
    }
}
