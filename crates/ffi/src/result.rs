//! Result codes of the C ABI and their text.

use std::borrow::Cow;
use std::ffi::{CStr, c_char};

use super::boundary;

/// What a photoguard function returns. `Ok` is 0; every other value is an
/// error. The header declares the codes as `PHOTOGUARD_OK`,
/// `PHOTOGUARD_ERROR_NULL_ARGUMENT`, ... with a `uint32_t` typedef, so a C
/// caller never hands Rust an enum value it does not know (see
/// [`photoguard_result_text`], which takes the raw number).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum photoguard_result {
    Ok = 0,
    NullArgument = 1,
    InvalidUtf8 = 2,
    Config = 3,
    BadAddress = 4,
    Panic = 5,
    InvalidArgument = 6,
    Poisoned = 7,
}

impl photoguard_result {
    pub const ALL: [photoguard_result; 8] = [
        photoguard_result::Ok,
        photoguard_result::NullArgument,
        photoguard_result::InvalidUtf8,
        photoguard_result::Config,
        photoguard_result::BadAddress,
        photoguard_result::Panic,
        photoguard_result::InvalidArgument,
        photoguard_result::Poisoned,
    ];

    pub fn from_code(code: u32) -> Option<photoguard_result> {
        Self::ALL.into_iter().find(|r| *r as u32 == code)
    }

    pub fn text(self) -> &'static CStr {
        match self {
            photoguard_result::Ok => c"success",
            photoguard_result::NullArgument => c"a required pointer argument is NULL",
            photoguard_result::InvalidUtf8 => c"a text argument is not valid UTF-8",
            photoguard_result::Config => {
                c"the directive cannot be applied (the error buffer says why)"
            }
            photoguard_result::BadAddress => c"the peer address is not an IPv4 or IPv6 address",
            photoguard_result::Panic => c"internal error: a panic was caught at the C boundary",
            photoguard_result::InvalidArgument => c"an argument is out of range",
            photoguard_result::Poisoned => {
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
            photoguard_result::NullArgument,
            format!("{argument} is NULL"),
        )
    }

    /// What a caught panic reports.
    pub fn panic() -> Failure {
        Failure::new(
            photoguard_result::Panic,
            "internal error (a panic was caught); failing closed",
        )
    }
}

const UNKNOWN: &CStr = c"unknown photoguard_result code";

/// A static NUL-terminated description of a result code (never NULL; unknown
/// codes get a text saying so). Takes the raw number so that any value a C
/// caller passes is well defined.
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
        // These numbers are the ABI: the header spells them out.
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
