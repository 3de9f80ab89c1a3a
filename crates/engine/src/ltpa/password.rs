//! The password file of `PhotoGuardLtpaKeys`: its first line is the keys
//! password, plain or in WebSphere's `{xor}` form.

use zeroize::Zeroizing;

use super::encoding::base64_strict;
use super::keys::KeyError;

/// WebSphere's `{xor}` "encoding": base64 of the password's bytes, each
/// XORed with `_`. It hides a password from a glance, nothing more.
const XOR_BYTE: u8 = b'_';

/// Reads a password file: the first line, without its line ending (a UTF-8
/// byte-order mark before it is dropped too). Blanks are kept: they may be
/// part of the password.
pub fn read_password_file(text: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
    let line = text.get(..end).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    decode_password(line)
}

/// Decodes one password as WebSphere and Liberty write it in their
/// configuration: `{xor}...` is decoded; `{aes}` and `{hash}` need the
/// server's own key and are refused with a hint; anything else is the
/// password itself.
pub fn decode_password(line: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    if line.is_empty() {
        return Err(KeyError::EmptyPassword);
    }
    if let Some(encoded) = strip_scheme(line, b"{xor}") {
        let mut bytes = Zeroizing::new(base64_strict(encoded).ok_or(KeyError::BadXorPassword)?);
        bytes.iter_mut().for_each(|b| *b ^= XOR_BYTE);
        if bytes.is_empty() {
            return Err(KeyError::EmptyPassword);
        }
        return Ok(bytes);
    }
    for scheme in ["{aes}", "{hash}"] {
        if strip_scheme(line, scheme.as_bytes()).is_some() {
            return Err(KeyError::UnsupportedPasswordEncoding(scheme.to_owned()));
        }
    }
    Ok(Zeroizing::new(line.to_vec()))
}

fn strip_scheme<'a>(line: &'a [u8], scheme: &[u8]) -> Option<&'a [u8]> {
    let head = line.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| line.get(scheme.len()..))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_xor_passwords() {
        assert_eq!(
            read_password_file(b"test123\nignored").unwrap().as_slice(),
            b"test123"
        );
        assert_eq!(
            read_password_file(b"\xEF\xBB\xBFtest123\r\n")
                .unwrap()
                .as_slice(),
            b"test123"
        );
        // "test123" XOR '_' = "+:,+nml", base64 "KzosK25tbA==".
        assert_eq!(
            read_password_file(b"{xor}KzosK25tbA==\n")
                .unwrap()
                .as_slice(),
            b"test123"
        );
        assert_eq!(
            read_password_file(b"{XOR}KzosK25tbA==").unwrap().as_slice(),
            b"test123"
        );
        assert_eq!(
            read_password_file(b" spaced pw \n").unwrap().as_slice(),
            b" spaced pw "
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(
            read_password_file(b"\nsecond").unwrap_err(),
            KeyError::EmptyPassword
        );
        assert_eq!(
            read_password_file(b"").unwrap_err(),
            KeyError::EmptyPassword
        );
        assert_eq!(
            read_password_file(b"{xor}not base64!").unwrap_err(),
            KeyError::BadXorPassword
        );
        assert_eq!(
            read_password_file(b"{aes}ARAtn6J").unwrap_err(),
            KeyError::UnsupportedPasswordEncoding("{aes}".into())
        );
    }
}
