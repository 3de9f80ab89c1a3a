//! Reading `PhotoGuardAllowNetworkFile`: a regular file of at most
//! [`NETWORK_FILE_MAX_BYTES`], one network a line.

use std::path::{Path, PathBuf};

use crate::directive::quoted;
use crate::network::{NetRule, parse_network};
use crate::origin::Origin;

pub(super) fn resolve_path(path: &str, server_root: Option<&Path>) -> PathBuf {
    match server_root {
        Some(root) if Path::new(path).is_relative() => root.join(path),
        _ => PathBuf::from(path),
    }
}

/// The largest network file read: far above any real list (100,000 IPv6
/// CIDRs are about 4 MiB), far below what would hurt a server.
pub const NETWORK_FILE_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a network file: one entry a line, `#` starts a comment, blank lines
/// are skipped. An error names the file and line, and quotes at most the
/// offending token (escaped, cut to about 64 characters): the file may be
/// anything a path names, and its text goes to the error log.
///
/// Only a regular file of at most [`NETWORK_FILE_MAX_BYTES`] is read: a FIFO
/// would hang `apachectl -t` (or, in `.htaccess`, a worker per request), a
/// device such as `/dev/zero` never ends.
pub fn read_network_file(path: &Path) -> Result<Vec<NetRule>, String> {
    let shown = path.display();
    let bytes = read_regular_file(path, NETWORK_FILE_MAX_BYTES, "a network file")?;
    let origin = Origin::new(path.to_string_lossy().as_ref(), 0);
    let mut rules = Vec::with_capacity(memchr::memchr_iter(b'\n', &bytes).count() + 1);
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let number = index as u32 + 1;
        if line.contains(&0) {
            return Err(format!(
                "{shown}:{number}: a NUL byte: this is not a text file of networks"
            ));
        }
        let entry = line.split(|&b| b == b'#').next().unwrap_or(b"");
        let mut tokens = entry
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty());
        let Some(token) = tokens.next() else { continue };
        let at = format!("{shown}:{number}");
        let Some(token) = address_like(token) else {
            return Err(format!("{at}: {NOT_AN_ADDRESS}"));
        };
        if let Some(extra) = tokens.next() {
            let extra = address_like(extra).map_or("more text".into(), quoted);
            return Err(format!(
                "{at}: one entry a line, but {extra} follows {}",
                quoted(token)
            ));
        }
        let net = parse_network(token).map_err(|e| format!("{at}: {e}"))?;
        rules.push(NetRule::new(net, token, origin.at_line(number)));
    }
    if rules.is_empty() {
        return Err(format!("{shown}: no networks in the file"));
    }
    Ok(rules)
}

/// Said of an entry in a network file that is not quoted.
const NOT_AN_ADDRESS: &str =
    "not an address or CIDR: the entry has characters no address has (is this a network file?)";

/// `token` as text, if it consists of what an address, a CIDR or a near miss
/// (`10.0.0.0-10.0.0.255`, `[2001:db8::1]`, `10.0.0.0/8;`) consists of.
/// Only such tokens of a network file are quoted in errors: the path may
/// name any file the server can read (`/etc/passwd`, whose first line is one
/// token), and the error log is no place for its contents.
fn address_like(token: &[u8]) -> Option<&str> {
    if token
        .iter()
        .all(|b| b.is_ascii_hexdigit() || b".:/-,;%[]".contains(b))
    {
        std::str::from_utf8(token).ok()
    } else {
        None
    }
}

/// The whole content of `path`, if it is a regular file of at most `cap`
/// bytes. What the path names is checked before it is opened (opening a FIFO
/// blocks until a writer comes), the file is opened non-blocking in case it
/// was swapped meanwhile and checked again, and at most `cap + 1` bytes are
/// read whatever its size claims. `kind` names the file in the hints ("a
/// network file", "the LTPA keys file").
pub(super) fn read_regular_file(path: &Path, cap: u64, kind: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display();
    let cannot = |e: std::io::Error| format!("cannot read {shown}: {e}");
    let check = |meta: &std::fs::Metadata| -> Result<(), String> {
        if !meta.is_file() {
            return Err(format!(
                "{shown} is {}, not a regular file; {kind} must be a plain text file",
                file_kind(meta)
            ));
        }
        if meta.len() > cap {
            return Err(format!(
                "{shown} is {} bytes, more than {kind} may have ({} MiB)",
                meta.len(),
                cap / (1024 * 1024)
            ));
        }
        Ok(())
    };
    check(&std::fs::metadata(path).map_err(cannot)?)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    check(&meta)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > cap {
        return Err(format!(
            "{shown} has more than {} MiB, more than {kind} may have",
            cap / (1024 * 1024)
        ));
    }
    Ok(bytes)
}

/// What a path names, for an admin: "a directory", "a named pipe (FIFO)".
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}
