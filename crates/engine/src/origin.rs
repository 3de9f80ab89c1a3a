//! Where a rule was written, so that every decision and every error can point
//! an admin at the line to look at.

use std::ffi::{CStr, CString};
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    file: Arc<str>,
    line: u32,
}

impl Origin {
    pub fn new(file: impl Into<Arc<str>>, line: u32) -> Origin {
        Origin {
            file: file.into(),
            line,
        }
    }

    /// The path as the config named it.
    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn line(&self) -> u32 {
        self.line
    }

    /// The file's last component (`photos.conf`), which keeps reasons short
    /// in access logs. Both separators, since IHS also runs on Windows.
    pub fn short_file(&self) -> &str {
        match memchr::memrchr2(b'/', b'\\', self.file.as_bytes()) {
            Some(slash) => &self.file[slash + 1..],
            None => &self.file,
        }
    }

    /// `{kind} {written} ({file}:{line})`, NUL-terminated, built once at
    /// config time. Written by hand rather than with `format!`: a 100,000
    /// line network file builds 100,000 of these.
    pub fn reason(&self, kind: &str, written: &str) -> Box<CStr> {
        let file = self.short_file();
        // Exact capacity (with the NUL): boxing then needs no reallocation.
        let digits = self.line.checked_ilog10().unwrap_or(0) as usize + 1;
        let mut text = Vec::with_capacity(kind.len() + written.len() + file.len() + digits + 6);
        for part in [kind, " ", written, " (", file, ":"] {
            text.extend_from_slice(part.as_bytes());
        }
        push_decimal(&mut text, self.line);
        text.push(b')');
        // Apache's config reader never passes a NUL; replace one rather than fail.
        text.iter_mut().filter(|b| **b == 0).for_each(|b| *b = b'?');
        CString::new(text)
            .expect("NULs were replaced")
            .into_boxed_c_str()
    }

    /// The same file, another line (entries of a network file).
    pub fn at_line(&self, line: u32) -> Origin {
        Origin {
            file: self.file.clone(),
            line,
        }
    }
}

/// `photos.conf:14`; errors print the full path separately.
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.short_file(), self.line)
    }
}

fn push_decimal(out: &mut Vec<u8>, n: u32) {
    let mut digits = [0u8; 10];
    let mut rest = n;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_short_file_and_line() {
        let origin = Origin::new("/etc/apache2/sites-enabled/photos.conf", 14);
        assert_eq!(
            origin.reason("network", "10.20.16.0/20").to_str().unwrap(),
            "network 10.20.16.0/20 (photos.conf:14)"
        );
        assert_eq!(
            Origin::new("C:\\IBM\\photos.conf", 0)
                .reason("cookie", "a")
                .to_str()
                .unwrap(),
            "cookie a (photos.conf:0)"
        );
        assert_eq!(Origin::new("x", 4294967295).to_string(), "x:4294967295");
        assert_eq!(
            Origin::new("x", 1)
                .reason("cookie", "a\0b")
                .to_str()
                .unwrap(),
            "cookie a?b (x:1)"
        );
    }
}
