//! Shell wildcards as Apache uses them (apr_fnmatch): `*`, `?`, `[a-z]`,
//! `[!x]`/`[^x]` and `\` escapes, for `Include` globs, `<Files>` names and
//! wildcard `<Directory>`/`<Location>` paths. With `pathname`, no wildcard
//! matches a `/` (APR's FNM_PATHNAME), so `/home/*/photos` matches
//! `/home/jane/photos` but not `/home/a/b/photos`.

/// Whether `text` matches the wildcard `pattern` as a whole.
pub fn fnmatch(pattern: &str, text: &str, pathname: bool) -> bool {
    matches_from(pattern.as_bytes(), text.as_bytes(), pathname)
}

/// Whether `text` has any wildcard character.
pub fn has_wildcards(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

fn matches_from(pattern: &[u8], text: &[u8], pathname: bool) -> bool {
    // Iterative matching with one backtrack point for the last `*`, linear in
    // practice and never exponential.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let step = match pattern.get(p) {
            Some(b'*') => {
                star = Some((p + 1, t));
                p += 1;
                continue;
            }
            Some(b'?') if !(pathname && text[t] == b'/') => Some(p + 1),
            Some(b'[') => match class_matches(&pattern[p..], text[t], pathname) {
                Some((true, len)) => Some(p + len),
                Some((false, _)) => None,
                // An unterminated `[` is an ordinary character.
                None => (text[t] == b'[').then_some(p + 1),
            },
            Some(b'\\') if p + 1 < pattern.len() => (pattern[p + 1] == text[t]).then_some(p + 2),
            Some(&c) if c != b'?' => (c == text[t]).then_some(p + 1),
            _ => None,
        };
        match step {
            Some(next) => {
                p = next;
                t += 1;
            }
            None => match star {
                // Let the last `*` swallow one more character and retry.
                Some((after_star, from)) if !(pathname && text[from] == b'/') => {
                    star = Some((after_star, from + 1));
                    p = after_star;
                    t = from + 1;
                }
                _ => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Matches one byte against the bracket expression at the start of
/// `pattern`: `Some((matched, length of the expression))`, or `None` when the
/// bracket is never closed.
fn class_matches(pattern: &[u8], byte: u8, pathname: bool) -> Option<(bool, usize)> {
    let mut i = 1;
    let negated = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let c = *pattern.get(i)?;
        if c == b']' && !first {
            break;
        }
        first = false;
        let (low, next) = if c == b'\\' {
            (*pattern.get(i + 1)?, i + 2)
        } else {
            (c, i + 1)
        };
        if pattern.get(next) == Some(&b'-') && pattern.get(next + 1).is_some_and(|&h| h != b']') {
            let high = pattern[next + 1];
            matched |= (low..=high).contains(&byte);
            i = next + 2;
        } else {
            matched |= low == byte;
            i = next;
        }
    }
    if pathname && byte == b'/' {
        matched = false;
    } else if negated {
        matched = !matched;
    }
    Some((matched, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(fnmatch("*.conf", "photos.conf", false));
        assert!(!fnmatch("*.conf", "photos.conf.bak", false));
        assert!(fnmatch("*.jpg", ".jpg", false));
        assert!(fnmatch("a*b*c", "axxbyyc", false));
        assert!(fnmatch("p?oto*", "photos", false));
        assert!(fnmatch("*", "", false));
        assert!(!fnmatch("?", "", false));
    }

    #[test]
    fn classes_ranges_negation_and_escapes() {
        assert!(fnmatch("img[0-9].jpg", "img7.jpg", false));
        assert!(!fnmatch("img[!0-9].jpg", "img7.jpg", false));
        assert!(fnmatch("img[^0-9].jpg", "imgx.jpg", false));
        assert!(fnmatch("a[]]b", "a]b", false));
        assert!(fnmatch(r"a\*b", "a*b", false));
        assert!(!fnmatch(r"a\*b", "axb", false));
        assert!(fnmatch("a[b", "a[b", false));
    }

    #[test]
    fn pathname_keeps_wildcards_inside_one_component() {
        assert!(fnmatch("/home/*/photos", "/home/jane/photos", true));
        assert!(!fnmatch("/home/*/photos", "/home/a/b/photos", true));
        assert!(fnmatch("/home/*/photos", "/home/a/b/photos", false));
        assert!(!fnmatch("/photos/?", "/photos//", true));
        assert!(!fnmatch("/a[/]b", "/a/b", true));
    }
}
