//! Domino writes the user name of its `LtpaToken` in LMBCS, Notes' own
//! character set. ASCII is itself; the Western European letters come as
//! code page 850, alone (the default "optimisation group") or after the group
//! byte 0x01; 0x14 introduces a UTF-16BE unit. Other groups (Greek,
//! Cyrillic, Asian...) are shown as U+FFFD: the name is only displayed, the
//! MAC was checked over the raw bytes.

/// Code page 850, bytes 0x80..=0xFF.
const CP850_HIGH: [char; 128] = [
    '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{00E0}', '\u{00E5}', '\u{00E7}',
    '\u{00EA}', '\u{00EB}', '\u{00E8}', '\u{00EF}', '\u{00EE}', '\u{00EC}', '\u{00C4}', '\u{00C5}',
    '\u{00C9}', '\u{00E6}', '\u{00C6}', '\u{00F4}', '\u{00F6}', '\u{00F2}', '\u{00FB}', '\u{00F9}',
    '\u{00FF}', '\u{00D6}', '\u{00DC}', '\u{00F8}', '\u{00A3}', '\u{00D8}', '\u{00D7}', '\u{0192}',
    '\u{00E1}', '\u{00ED}', '\u{00F3}', '\u{00FA}', '\u{00F1}', '\u{00D1}', '\u{00AA}', '\u{00BA}',
    '\u{00BF}', '\u{00AE}', '\u{00AC}', '\u{00BD}', '\u{00BC}', '\u{00A1}', '\u{00AB}', '\u{00BB}',
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{00C1}', '\u{00C2}', '\u{00C0}',
    '\u{00A9}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{00A2}', '\u{00A5}', '\u{2510}',
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{00E3}', '\u{00C3}',
    '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}', '\u{00A4}',
    '\u{00F0}', '\u{00D0}', '\u{00CA}', '\u{00CB}', '\u{00C8}', '\u{0131}', '\u{00CD}', '\u{00CE}',
    '\u{00CF}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{00A6}', '\u{00CC}', '\u{2580}',
    '\u{00D3}', '\u{00DF}', '\u{00D4}', '\u{00D2}', '\u{00F5}', '\u{00D5}', '\u{00B5}', '\u{00FE}',
    '\u{00DE}', '\u{00DA}', '\u{00DB}', '\u{00D9}', '\u{00FD}', '\u{00DD}', '\u{00AF}', '\u{00B4}',
    '\u{00AD}', '\u{00B1}', '\u{2017}', '\u{00BE}', '\u{00B6}', '\u{00A7}', '\u{00F7}', '\u{00B8}',
    '\u{00B0}', '\u{00A8}', '\u{00B7}', '\u{00B9}', '\u{00B3}', '\u{00B2}', '\u{25A0}', '\u{00A0}',
];

const GROUP_LATIN1: u8 = 0x01;
const GROUP_UNICODE: u8 = 0x14;

fn cp850(b: u8) -> char {
    CP850_HIGH
        .get(usize::from(b.wrapping_sub(0x80)))
        .copied()
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// Decodes an LMBCS name; never fails (unknown parts become U+FFFD).
pub(crate) fn decode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            0x20..=0x7f => out.push(char::from(b)),
            0x80..=0xff => out.push(cp850(b)),
            GROUP_LATIN1 => match rest.split_first() {
                Some((&c, tail)) if c >= 0x80 => {
                    out.push(cp850(c));
                    rest = tail;
                }
                _ => out.push(char::REPLACEMENT_CHARACTER),
            },
            GROUP_UNICODE => match rest {
                [hi, lo, tail @ ..] => {
                    let unit = u32::from(*hi) << 8 | u32::from(*lo);
                    out.push(char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER));
                    rest = tail;
                }
                _ => {
                    out.push(char::REPLACEMENT_CHARACTER);
                    rest = &[];
                }
            },
            // Other single-byte groups take one byte, double-byte groups two.
            0x02..=0x0b | 0x10..=0x13 => {
                out.push(char::REPLACEMENT_CHARACTER);
                let skip = if b >= 0x10 { 2 } else { 1 };
                rest = rest.get(skip..).unwrap_or_default();
            }
            _ => out.push(char::REPLACEMENT_CHARACTER),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_latin1_group_and_unicode() {
        assert_eq!(decode(b"CN=Jane Doe/O=Example"), "CN=Jane Doe/O=Example");
        assert_eq!(decode(b"J\x01\x94rg M\x81ller"), "J\u{f6}rg M\u{fc}ller");
        assert_eq!(decode(b"Ren\x82"), "Ren\u{e9}");
        assert_eq!(decode(b"\x14\x04\x10x"), "\u{410}x");
        assert_eq!(decode(b"\x05\xe0a\x14\x01"), "\u{fffd}a\u{fffd}");
        assert_eq!(decode(b"\x00\x01"), "\u{fffd}\u{fffd}");
    }
}
