//! Files on disk for the unit tests of the reader and the policy.

use std::path::{Path, PathBuf};

use super::tree::Section;

/// An empty directory of its own for one test; `name` keeps the tests that
/// run at the same time in this process apart.
pub(super) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("photoguard-httpd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(super) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// A section's kept directives as written, `Name args`.
pub(super) fn names(section: &Section) -> Vec<String> {
    section
        .directives
        .iter()
        .map(|d| format!("{} {}", d.name, d.args))
        .collect()
}

/// A config file `site.conf` of its own for one policy test.
pub(super) fn write_config(name: &str, text: &str) -> PathBuf {
    write(&temp_dir(&format!("sections-{name}")), "site.conf", text)
}
