//! Where a rule was written, so that every decision and every error can point
//! an admin at the line to look at.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    file: Arc<str>,
    line: u32,
}

impl Origin {
    pub fn new(file: impl Into<Arc<str>>, line: u32) -> Origin {
        Origin { file: file.into(), line }
    }

    /// The path as the config named it.
    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn line(&self) -> u32 {
        self.line
    }

    /// The same file, another line (entries of a network file).
    pub fn at_line(&self, line: u32) -> Origin {
        Origin { file: self.file.clone(), line }
    }
}

/// `photos.conf:14`: the file's last component keeps reasons short in access
/// logs; errors print the full path separately.
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Path::new(&*self.file).file_name().and_then(|n| n.to_str()).unwrap_or(&self.file);
        write!(f, "{}:{}", name, self.line)
    }
}
