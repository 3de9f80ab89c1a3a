//! The Cookie-header scanner (`CookieRules::find`) against a reference that
//! splits the header on `;` and `,` and reads each pair with the `cookie`
//! crate, as the engine's property test does (crates/engine/tests/properties.rs).
//!
//! Input: `RULES \0 HEADER`, RULES being whitespace-separated rule tokens as
//! written in `PhotoGuardAllowCookie` (tokens the engine refuses are
//! dropped); without a NUL the whole input is the header and the rules are
//! the site's (`LtpaToken2 LtpaToken STPluginActivePage=stMeetingroom`).
//!
//! The one legitimate difference, constrained rather than checked loosely:
//! the engine takes only SP and HTAB as blanks around names and values (RFC
//! 6265's OWS), the `cookie` crate trims every Unicode white space (`\r`,
//! `\n`, `\x0b`, `\x0c`, U+0085, U+00A0, U+2000...). Headers holding any white
//! space other than SP/HTAB get only the no-panic check. Bytes that are not
//! UTF-8 are replaced (U+FFFD) for the reference, which cannot change a
//! match: rule names and values are ASCII and the replacement is no
//! separator and no white space.
#![no_main]

use libfuzzer_sys::fuzz_target;
use photoguard_engine::Origin;
use photoguard_engine::cookie::{CookieRule, CookieRules};

const SITE_RULES: &[&str] = &[
    "LtpaToken2",
    "LtpaToken",
    "STPluginActivePage=stMeetingroom",
];

fn rules(tokens: &[&str]) -> CookieRules {
    CookieRules::new(
        tokens
            .iter()
            .enumerate()
            .filter_map(|(i, t)| CookieRule::parse(t, Origin::new("p.conf", i as u32 + 1)).ok())
            .take(64)
            .collect(),
    )
}

/// The reference of the property test: split naively, read each pair with
/// the `cookie` crate, name the first written rule some pair satisfies.
fn reference_match(rules: &CookieRules, header: &str) -> Option<u32> {
    let pairs: Vec<(String, String)> = header
        .split([';', ','])
        .filter_map(|segment| cookie::Cookie::parse(segment).ok())
        .map(|c| (c.name().to_string(), c.value_trimmed().to_string()))
        .collect();
    rules
        .rules()
        .iter()
        .find(|rule| {
            pairs
                .iter()
                .any(|(name, value)| rule.accepts(name.as_bytes(), value.as_bytes()))
        })
        .map(|rule| rule.origin().line())
}

fuzz_target!(|data: &[u8]| {
    let (rules, header) = match data.iter().position(|&b| b == 0) {
        Some(nul) => {
            let spec = String::from_utf8_lossy(&data[..nul]);
            let tokens: Vec<&str> = spec.split_ascii_whitespace().collect();
            (rules(&tokens), &data[nul + 1..])
        }
        None => (rules(SITE_RULES), data),
    };
    let got = rules.find(header).map(|r| r.origin().line());
    if let Some(line) = got {
        // The rule named is one of the scope's, and some pair satisfies it.
        assert!(rules.rules().iter().any(|r| r.origin().line() == line));
    }
    let text = String::from_utf8_lossy(header);
    if text
        .chars()
        .any(|c| c.is_whitespace() && c != ' ' && c != '\t')
    {
        return;
    }
    assert_eq!(
        got,
        reference_match(&rules, &text),
        "header {:?} rules {:?}",
        text,
        rules
            .rules()
            .iter()
            .map(|r| (
                String::from_utf8_lossy(r.name()),
                r.value().map(String::from_utf8_lossy)
            ))
            .collect::<Vec<_>>()
    );
});
