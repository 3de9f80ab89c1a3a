//! The plaintext of LtpaToken2 and WebSphere v1 tokens:
//! `userdata%expireMillis%base64(signature)`, where userdata is
//! `key:value` attributes joined by `$`, and `\` escapes `%`, `$`, `:`
//! (and itself) inside keys and values.

/// The three fields, as raw bytes. Only `signed` is covered by the signature.
pub(crate) struct Sealed<'a> {
    pub signed: &'a [u8],
    pub expire_field: &'a [u8],
    pub signature_b64: &'a [u8],
}

/// Positions of the bytes equal to `sep` that no `\` escapes.
fn unescaped_positions(data: &[u8], sep: u8) -> impl Iterator<Item = usize> + '_ {
    let mut escaped = false;
    data.iter().enumerate().filter_map(move |(i, &b)| {
        if escaped {
            escaped = false;
            None
        } else if b == b'\\' {
            escaped = true;
            None
        } else {
            (b == sep).then_some(i)
        }
    })
}

/// Splits at the last two unescaped `%`. The signature is taken over the
/// bytes before the first of them exactly as they are: never re-serialised.
pub(crate) fn split(plain: &[u8]) -> Option<Sealed<'_>> {
    let (mut first, mut second) = (None, None);
    for at in unescaped_positions(plain, b'%') {
        first = second;
        second = Some(at);
    }
    let (first, second) = (first?, second?);
    let signed = plain.get(..first)?;
    let expire_field = plain.get(first.checked_add(1)?..second)?;
    let signature_b64 = plain.get(second.checked_add(1)?..)?;
    if signed.is_empty() || expire_field.is_empty() || signature_b64.is_empty() {
        return None;
    }
    Some(Sealed {
        signed,
        expire_field,
        signature_b64,
    })
}

/// Decimal milliseconds; no sign, no blanks, no overflow.
pub(crate) fn parse_millis(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// The attributes a validation needs, read only after the signature verified.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Attributes {
    /// The `u` attribute, unescaped: `user:REALM/UNIQUE-ID`.
    pub user: Option<String>,
    /// The signed `expire` attribute, when the token has one.
    pub expire_millis: Option<u64>,
}

/// Reads `u` and `expire`. A repeated one, bad UTF-8 or a bad number makes
/// the whole userdata unusable: a signer never writes those.
pub(crate) fn attributes(signed: &[u8]) -> Option<Attributes> {
    let mut attrs = Attributes::default();
    let mut start = 0;
    let ends = unescaped_positions(signed, b'$').chain(core::iter::once(signed.len()));
    for end in ends {
        let attr = signed.get(start..end)?;
        start = end.checked_add(1)?;
        let colon = unescaped_positions(attr, b':').next()?;
        let key = unescape(attr.get(..colon)?)?;
        let value = attr.get(colon.checked_add(1)?..)?;
        match key.as_str() {
            "u" if attrs.user.is_none() => attrs.user = Some(unescape(value)?),
            "expire" if attrs.expire_millis.is_none() => {
                attrs.expire_millis = Some(parse_millis(value)?);
            }
            "u" | "expire" => return None,
            _ => {}
        }
    }
    Some(attrs)
}

fn unescape(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut escaped = false;
    for &b in raw {
        if !escaped && b == b'\\' {
            escaped = true;
        } else {
            out.push(b);
            escaped = false;
        }
    }
    String::from_utf8(out).ok()
}

/// Splits `user:REALM/UNIQUE-ID` into (unique ID, realm). Other forms
/// (`server:...`) have no realm and are returned whole.
pub(crate) fn user_and_realm(u: &str) -> (String, Option<String>) {
    match u
        .strip_prefix("user:")
        .and_then(|rest| rest.split_once('/'))
    {
        Some((realm, id)) if !realm.is_empty() && !id.is_empty() => {
            (id.to_owned(), Some(realm.to_owned()))
        }
        _ => (u.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &[u8] =
        b"expire:1519043460000$u:user\\:LdapRegistry/CN=fae6d87c,OU=user,DC=foo,DC=bar%1519043460000%ipDldk+/=";

    #[test]
    fn splits_at_the_last_two_unescaped_percents() {
        let s = split(PLAIN).unwrap();
        assert!(s.signed.ends_with(b"DC=bar"));
        assert_eq!(s.expire_field, b"1519043460000");
        assert_eq!(s.signature_b64, b"ipDldk+/=");
        let escaped = split(b"u:a\\%b%12%sig").unwrap();
        assert_eq!(escaped.signed, b"u:a\\%b");
        for bad in [
            &b"no percent"[..],
            b"one%sig",
            b"%12%sig",
            b"u:a%%sig",
            b"u:a%12%",
            b"u:a\\%12%sig",
        ] {
            assert!(split(bad).is_none(), "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn reads_user_and_expire() {
        let s = split(PLAIN).unwrap();
        let a = attributes(s.signed).unwrap();
        assert_eq!(a.expire_millis, Some(1_519_043_460_000));
        let u = a.user.unwrap();
        assert_eq!(u, "user:LdapRegistry/CN=fae6d87c,OU=user,DC=foo,DC=bar");
        assert_eq!(
            user_and_realm(&u),
            (
                "CN=fae6d87c,OU=user,DC=foo,DC=bar".to_owned(),
                Some("LdapRegistry".to_owned())
            )
        );
        assert_eq!(
            user_and_realm("server:cell_node"),
            ("server:cell_node".to_owned(), None)
        );
        let with_escapes = attributes(b"host:h\\:1$u:user\\:r/uid=a\\$b").unwrap();
        assert_eq!(with_escapes.user.as_deref(), Some("user:r/uid=a$b"));
        assert_eq!(with_escapes.expire_millis, None);
    }

    #[test]
    fn refuses_ambiguous_or_broken_attributes() {
        assert!(attributes(b"u:a$u:b").is_none());
        assert!(attributes(b"expire:1$expire:2$u:a").is_none());
        assert!(attributes(b"expire:12x$u:a").is_none());
        assert!(attributes(b"novalue$u:a").is_none());
        assert!(attributes(b"u:\xff").is_none());
        assert_eq!(parse_millis(b"18446744073709551616"), None);
        assert_eq!(parse_millis(b"-1"), None);
    }
}
