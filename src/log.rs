//! Messages to Apache's error log. The messages are built in Rust and passed
//! as one string to the C shim (`apache/shim.c`), which owns Apache's
//! variadic, version-specific logging macros. Nothing here ever sees a cookie
//! value: callers log addresses, the URI and the reason only.

use std::ffi::c_char;
use std::fmt::Write;

use super::bindings::*;

pub const ERR: i32 = APLOG_ERR as i32;
pub const WARNING: i32 = APLOG_WARNING as i32;
pub const NOTICE: i32 = APLOG_NOTICE as i32;
pub const DEBUG: i32 = APLOG_DEBUG as i32;

/// Whether a message at `level` for `r` would be written (2.4 honours
/// `LogLevel photoguard:debug`), so that callers format nothing otherwise.
///
/// # Safety
/// `r` is the live request Apache passed to a hook.
pub unsafe fn enabled(r: *const request_rec, level: i32) -> bool {
    // SAFETY: live request (caller); the shim only reads its config.
    unsafe { pg_log_enabled(r, level) != 0 }
}

/// Logs `message` for request `r`, marked with the caller's source line.
///
/// # Safety
/// `r` is the live request Apache passed to a hook.
#[track_caller]
pub unsafe fn request(r: *const request_rec, level: i32, message: &str) {
    let (file, line) = caller();
    let text = c_text(message);
    // SAFETY: live request (caller); `file` and `text` are NUL-terminated,
    // and the shim prints `text` with "%s", never as a format.
    unsafe {
        pg_log_rerror(
            file.as_ptr().cast::<c_char>(),
            line,
            r,
            level,
            0,
            text.as_ptr().cast::<c_char>(),
        )
    }
}

/// Logs `message` for the main server, outside a request.
#[track_caller]
pub fn server(level: i32, message: &str) {
    // SAFETY: a NULL server is Apache's main server.
    unsafe { for_server(std::ptr::null(), level, message) }
}

/// Logs `message` for server `s` (its LogLevel applies; NULL: the main
/// server, at the default level).
///
/// # Safety
/// `s` is NULL or a live server_rec.
#[track_caller]
pub unsafe fn for_server(s: *const server_rec, level: i32, message: &str) {
    let (file, line) = caller();
    let text = c_text(message);
    // SAFETY: `s` is NULL or live (caller); `file` and `text` are
    // NUL-terminated, and `text` is printed with "%s".
    unsafe {
        pg_log_error(
            file.as_ptr().cast::<c_char>(),
            line,
            s,
            level,
            0,
            text.as_ptr().cast::<c_char>(),
        )
    }
}

/// The Rust file and line that logs, for Apache's debug-level `file(line):`.
#[track_caller]
fn caller() -> (Vec<u8>, i32) {
    let location = std::panic::Location::caller();
    (c_text(location.file()), location.line() as i32)
}

/// `message` with a NUL appended; an interior NUL (impossible from our own
/// text) ends the message early rather than failing.
fn c_text(message: &str) -> Vec<u8> {
    let mut bytes: Vec<u8> = message.bytes().take_while(|&b| b != 0).collect();
    bytes.push(0);
    bytes
}

/// Request-supplied bytes (the decoded URI) made safe for a log line:
/// printable ASCII stays, everything else (control bytes, non-ASCII, space,
/// `%`, `\\`, `"`) is percent-encoded again, so nobody can forge log lines or
/// terminal escapes through a URL. Percent-encoding reads the same whether or
/// not Apache escapes the message again (2.4 doubles backslashes).
pub fn escaped(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_graphic() && !matches!(b, b'%' | b'\\' | b'"') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
