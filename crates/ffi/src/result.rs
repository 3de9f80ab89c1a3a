//! Result codes of the C ABI and their text.

use std::borrow::Cow;
use std::ffi::{CStr, c_char};

use super::boundary;

/// What a fallible photoguard function returns; `PHOTOGUARD_OK` (0) is
/// success, every other value an error. The type is a `uint32_t` so that the
/// ABI does not depend on the compiler's enum size.
///
/// A value a caller passes back (to `photoguard_result_text`) is taken as the
/// raw number, so a code this library does not know is well defined there.
///
/// Rust spells the values without their `PHOTOGUARD_` prefix:
/// cbindgen:rename-all=prefix:PHOTOGUARD_
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum photoguard_result {
    /// Success.
    OK = 0,
    /// A required pointer argument was NULL.
    ERROR_NULL_ARGUMENT = 1,
    /// A text argument (directive, args, file) is not valid UTF-8.
    ERROR_INVALID_UTF8 = 2,
    /// The directive was refused; the error buffer holds the reason, e.g.
    /// "PhotoGuardAllowNetwork: '10.20.16.7/20': host bits are set for a /20;
    /// did you mean 10.20.16.0/20?". The policy is unchanged.
    ERROR_CONFIG = 3,
    /// The peer address is not an IPv4 or IPv6 address (the request was
    /// denied).
    ERROR_BAD_ADDRESS = 4,
    /// An internal panic was caught (the request was denied).
    ERROR_PANIC = 5,
    /// A length is larger than any buffer can be (the request was denied).
    ERROR_INVALID_ARGUMENT = 6,
    /// The policy was left unusable by a panic during
    /// `photoguard_policy_apply`: every later call on it fails (closed). Free
    /// it and build a new one.
    ERROR_POISONED = 7,
}

impl photoguard_result {
    /// Every code, in order.
    pub(crate) const ALL: [photoguard_result; 8] = [
        photoguard_result::OK,
        photoguard_result::ERROR_NULL_ARGUMENT,
        photoguard_result::ERROR_INVALID_UTF8,
        photoguard_result::ERROR_CONFIG,
        photoguard_result::ERROR_BAD_ADDRESS,
        photoguard_result::ERROR_PANIC,
        photoguard_result::ERROR_INVALID_ARGUMENT,
        photoguard_result::ERROR_POISONED,
    ];

    pub fn from_code(code: u32) -> Option<photoguard_result> {
        Self::ALL.into_iter().find(|r| *r as u32 == code)
    }

    pub fn text(self) -> &'static CStr {
        match self {
            photoguard_result::OK => c"success",
            photoguard_result::ERROR_NULL_ARGUMENT => c"a required pointer argument is NULL",
            photoguard_result::ERROR_INVALID_UTF8 => c"a text argument is not valid UTF-8",
            photoguard_result::ERROR_CONFIG => {
                c"the directive cannot be applied (the error buffer says why)"
            }
            photoguard_result::ERROR_BAD_ADDRESS => {
                c"the peer address is not an IPv4 or IPv6 address"
            }
            photoguard_result::ERROR_PANIC => {
                c"internal error: a panic was caught at the C boundary"
            }
            photoguard_result::ERROR_INVALID_ARGUMENT => c"an argument is out of range",
            photoguard_result::ERROR_POISONED => {
                c"the policy is unusable after an internal error; free it and build a new one"
            }
        }
    }
}

/// Why a call failed: the code it returns and the text it reports (into the
/// caller's error buffer, or as a fail-closed decision's reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub code: photoguard_result,
    pub message: Cow<'static, str>,
}

impl Failure {
    pub fn new(code: photoguard_result, message: impl Into<Cow<'static, str>>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// A required pointer argument, named as the header names it, is NULL.
    pub fn null(argument: &'static str) -> Failure {
        Failure::new(
            photoguard_result::ERROR_NULL_ARGUMENT,
            format!("{argument} is NULL"),
        )
    }

    /// What a caught panic reports.
    pub fn panic() -> Failure {
        Failure::new(
            photoguard_result::ERROR_PANIC,
            "internal error (a panic was caught); failing closed",
        )
    }
}

const UNKNOWN: &CStr = c"unknown photoguard_result code";

/// A static, NUL-terminated description of a result code; never NULL (an
/// unknown code gets "unknown photoguard_result code"). Do not free.
///
/// `result` is any `photoguard_result` value, taken as its `uint32_t` so that
/// every number a caller passes is well defined.
#[unsafe(no_mangle)]
pub extern "C" fn photoguard_result_text(result: u32) -> *const c_char {
    boundary::guard(
        || UNKNOWN.as_ptr(),
        || {
            photoguard_result::from_code(result)
                .map_or(UNKNOWN, photoguard_result::text)
                .as_ptr()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(code: u32) -> String {
        // SAFETY: photoguard_result_text always returns a static C string.
        unsafe { CStr::from_ptr(photoguard_result_text(code)) }
            .to_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn codes_are_stable() {
        // These numbers are the ABI: the generated header spells them out.
        let codes: Vec<u32> = photoguard_result::ALL.iter().map(|r| *r as u32).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn every_code_has_its_own_text() {
        let texts: Vec<String> = (0..8).map(text_of).collect();
        assert_eq!(texts[0], "success");
        assert_eq!(
            texts[5],
            "internal error: a panic was caught at the C boundary"
        );
        let mut unique = texts.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), texts.len());
    }

    #[test]
    fn unknown_codes_are_named_unknown() {
        assert_eq!(text_of(8), "unknown photoguard_result code");
        assert_eq!(text_of(u32::MAX), "unknown photoguard_result code");
    }
}
