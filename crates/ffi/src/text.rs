//! Text across the boundary: C strings in, NUL-terminated text out into
//! fixed-size buffers, truncated without ever splitting a UTF-8 sequence and
//! always terminated.

use std::ffi::{CStr, c_char};

/// Copies as much of `text` as fits into `dst` followed by a NUL, cutting
/// only between UTF-8 sequences. Returns the number of bytes copied (without
/// the NUL). An empty `dst` receives nothing.
pub fn copy_terminated(text: &[u8], dst: &mut [u8]) -> usize {
    let Some(room) = dst.len().checked_sub(1) else {
        return 0;
    };
    let end = cut_point(text, room);
    dst[..end].copy_from_slice(&text[..end]);
    dst[end] = 0;
    end
}

/// [`copy_terminated`] into a `c_char` array (a field of a C struct).
pub fn copy_into_chars(text: &[u8], dst: &mut [c_char]) -> usize {
    let Some(room) = dst.len().checked_sub(1) else {
        return 0;
    };
    let end = cut_point(text, room);
    // c_char is i8 or u8 depending on the platform; `as` keeps the bit
    // pattern either way.
    for (d, &s) in dst.iter_mut().zip(&text[..end]) {
        *d = s as c_char;
    }
    dst[end] = 0;
    end
}

/// How many bytes of `text` to keep when at most `room` fit: all of it, or
/// the longest prefix that does not end inside a UTF-8 sequence.
fn cut_point(text: &[u8], room: usize) -> usize {
    let mut end = text.len().min(room);
    if end < text.len() {
        // text[end] is the first byte left out: if it continues a sequence,
        // back off to that sequence's first byte.
        while end > 0 && is_utf8_continuation(text[end]) {
            end -= 1;
        }
    }
    end
}

fn is_utf8_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

/// A caller's error buffer (`err_buf`, `err_len`, `err_written`), any part of
/// which may be absent.
pub struct ErrorBuffer<'a> {
    buf: Option<&'a mut [u8]>,
    written: Option<&'a mut usize>,
}

impl<'a> ErrorBuffer<'a> {
    /// # Safety
    /// `buf` is NULL or valid for writes of `len` bytes, `written` is NULL or
    /// valid for a write of one `size_t`, and neither is accessed by anyone
    /// else for `'a`.
    pub unsafe fn from_raw(buf: *mut c_char, len: usize, written: *mut usize) -> ErrorBuffer<'a> {
        let buf = if buf.is_null() || len == 0 || len > isize::MAX as usize {
            None
        } else {
            // SAFETY: non-NULL, and the caller guarantees `len` writable
            // bytes that nobody else touches for 'a; u8 has c_char's layout.
            Some(unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), len) })
        };
        // SAFETY: NULL or valid for a write, as the caller guarantees.
        let written = unsafe { written.as_mut() };
        ErrorBuffer { buf, written }
    }

    /// Writes `message` (truncated, NUL-terminated) and its length.
    pub fn set(&mut self, message: &str) {
        let n = match self.buf.as_deref_mut() {
            Some(buf) => copy_terminated(message.as_bytes(), buf),
            None => 0,
        };
        if let Some(written) = self.written.as_deref_mut() {
            *written = n;
        }
    }

    /// Empties the buffer: success leaves `""` and a length of 0.
    pub fn clear(&mut self) {
        self.set("");
    }
}

/// Why a C string argument cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadText {
    Null,
    NotUtf8,
}

/// Borrows a NUL-terminated UTF-8 C string.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid and
/// unchanged for `'a`.
pub unsafe fn borrow_str<'a>(ptr: *const c_char) -> Result<&'a str, BadText> {
    if ptr.is_null() {
        return Err(BadText::Null);
    }
    // SAFETY: non-NULL and NUL-terminated, valid for 'a (caller's promise).
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().map_err(|_| BadText::NotUtf8)
}

/// Borrows `len` bytes at `ptr`; NULL means the value is absent.
///
/// # Safety
/// `ptr` is NULL or valid for reads of `len` bytes that stay unchanged for `'a`.
pub unsafe fn borrow_bytes<'a>(ptr: *const u8, len: usize) -> Result<Option<&'a [u8]>, TooLong> {
    if ptr.is_null() {
        return Ok(None);
    }
    if len > isize::MAX as usize {
        return Err(TooLong);
    }
    // SAFETY: non-NULL, len fits a Rust slice, and the caller guarantees the
    // bytes are readable and unchanged for 'a.
    Ok(Some(unsafe { std::slice::from_raw_parts(ptr, len) }))
}

/// A length larger than any object can be (more than `isize::MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong;

#[cfg(test)]
mod tests {
    use super::*;

    fn copied(text: &str, room: usize) -> (Vec<u8>, usize) {
        let mut dst = vec![0xAAu8; room];
        let n = copy_terminated(text.as_bytes(), &mut dst);
        (dst, n)
    }

    #[test]
    fn text_that_fits_is_copied_whole() {
        let (dst, n) = copied("deny", 8);
        assert_eq!(n, 4);
        assert_eq!(&dst[..5], b"deny\0");
    }

    #[test]
    fn text_that_does_not_fit_is_cut_and_terminated() {
        let (dst, n) = copied("no rule matched", 5);
        assert_eq!(n, 4);
        assert_eq!(dst, b"no r\0");
    }

    #[test]
    fn a_one_byte_buffer_holds_the_terminator_only() {
        assert_eq!(copied("anything", 1), (vec![0], 0));
    }

    #[test]
    fn an_empty_buffer_is_left_alone() {
        assert_eq!(copied("anything", 0), (vec![], 0));
    }

    #[test]
    fn a_cut_never_splits_a_utf8_sequence() {
        // "é" is two bytes and "€" three: a cut inside either backs off.
        let (dst, n) = copied("aé", 3);
        assert_eq!((&dst[..], n), (&b"a\0\xAA"[..], 1));
        let (dst, n) = copied("a€b", 4);
        assert_eq!((&dst[..2], n), (&b"a\0"[..], 1));
        let (dst, n) = copied("a€b", 5);
        assert_eq!((&dst[..], n), ("a€\0".as_bytes(), 4));
    }

    #[test]
    fn chars_arrays_get_the_same_treatment() {
        let mut field = [0x55 as c_char; 6];
        assert_eq!(copy_into_chars(b"10.20.16.5", &mut field), 5);
        let bytes: Vec<u8> = field.iter().map(|&c| c as u8).collect();
        assert_eq!(bytes, b"10.20\0");
    }

    #[test]
    fn error_buffer_tolerates_missing_parts() {
        // SAFETY: all-NULL is allowed.
        let mut nothing =
            unsafe { ErrorBuffer::from_raw(std::ptr::null_mut(), 10, std::ptr::null_mut()) };
        nothing.set("ignored");
        let mut written = 99usize;
        // SAFETY: a NULL buffer and a valid length slot.
        let mut count_only =
            unsafe { ErrorBuffer::from_raw(std::ptr::null_mut(), 0, &mut written) };
        count_only.set("ignored");
        assert_eq!(written, 0);
    }

    #[test]
    fn strings_are_borrowed_or_refused() {
        // SAFETY: NULL and static C strings.
        unsafe {
            assert_eq!(borrow_str(std::ptr::null()), Err(BadText::Null));
            assert_eq!(borrow_str(c"On".as_ptr()), Ok("On"));
            assert_eq!(borrow_str(c"\xff".as_ptr()), Err(BadText::NotUtf8));
        }
    }

    #[test]
    fn bytes_are_absent_borrowed_or_refused() {
        let data = b"LtpaToken2=x";
        // SAFETY: NULL, a valid slice, and a length refused before any read.
        unsafe {
            assert_eq!(borrow_bytes(std::ptr::null(), 5), Ok(None));
            assert_eq!(borrow_bytes(data.as_ptr(), data.len()), Ok(Some(&data[..])));
            assert_eq!(borrow_bytes(data.as_ptr(), usize::MAX), Err(TooLong));
        }
    }
}
