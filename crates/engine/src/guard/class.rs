//! What let a request in, and which of those a limit counts. A limit names
//! classes so that a client in an allowed network (the office, the Sametime
//! proxy) is never slowed down by a limit meant for meeting-room cookies.

use std::fmt;

/// The allow rule that let a request in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AllowClass {
    /// A `PhotoGuardAllowCookie` rule (e.g. the meeting-room cookie).
    Cookie,
    /// A validated LTPA token.
    Ltpa,
    /// An allowed network.
    Network,
}

impl AllowClass {
    pub const ALL: [AllowClass; 3] = [AllowClass::Cookie, AllowClass::Ltpa, AllowClass::Network];

    pub fn name(self) -> &'static str {
        match self {
            AllowClass::Cookie => "cookie",
            AllowClass::Ltpa => "ltpa",
            AllowClass::Network => "network",
        }
    }

    fn bit(self) -> u8 {
        match self {
            AllowClass::Cookie => 1,
            AllowClass::Ltpa => 2,
            AllowClass::Network => 4,
        }
    }
}

/// The classes a limit counts. `any` is kept apart from "all three named" only
/// so that a reason quotes what the admin wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClassSet {
    bits: u8,
}

const ANY_BIT: u8 = 8;

impl ClassSet {
    pub const ANY: ClassSet = ClassSet {
        bits: 1 | 2 | 4 | ANY_BIT,
    };

    pub fn contains(self, class: AllowClass) -> bool {
        self.bits & class.bit() != 0
    }

    /// Parses the CLASS... words of `PhotoGuardLimit`, case-insensitively.
    pub fn parse<S: AsRef<str>>(words: &[S]) -> Result<ClassSet, String> {
        if words.is_empty() {
            return Err(
                "needs at least one class after COUNT/PERIOD: cookie, ltpa, network or any".into(),
            );
        }
        let mut bits = 0u8;
        for word in words {
            let word = word.as_ref();
            let bit = match word.to_ascii_lowercase().as_str() {
                "cookie" => AllowClass::Cookie.bit(),
                "ltpa" => AllowClass::Ltpa.bit(),
                "network" => AllowClass::Network.bit(),
                "any" => ANY_BIT,
                _ => {
                    return Err(format!(
                        "'{word}' is not a class (use cookie, ltpa, network or any)"
                    ));
                }
            };
            if bits & bit != 0 {
                return Err(format!("'{word}' is named twice"));
            }
            bits |= bit;
        }
        if bits & ANY_BIT != 0 {
            if bits != ANY_BIT {
                return Err("'any' already counts every class: name it alone".into());
            }
            return Ok(ClassSet::ANY);
        }
        Ok(ClassSet { bits })
    }
}

impl fmt::Display for ClassSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bits & ANY_BIT != 0 {
            return f.write_str("any");
        }
        let mut first = true;
        for class in AllowClass::ALL.into_iter().filter(|c| self.contains(*c)) {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(class.name())?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_classes_only() {
        let set = ClassSet::parse(&["cookie"]).unwrap();
        assert!(set.contains(AllowClass::Cookie));
        assert!(!set.contains(AllowClass::Ltpa));
        assert!(!set.contains(AllowClass::Network));
        assert_eq!(set.to_string(), "cookie");
        let set = ClassSet::parse(&["LTPA", "cookie"]).unwrap();
        assert_eq!(set.to_string(), "cookie ltpa");
    }

    #[test]
    fn any_counts_all() {
        let set = ClassSet::parse(&["any"]).unwrap();
        assert!(AllowClass::ALL.into_iter().all(|c| set.contains(c)));
        assert_eq!(set.to_string(), "any");
    }

    #[test]
    fn refusals() {
        let none: [&str; 0] = [];
        for (words, expected) in [
            (&none[..], "at least one class"),
            (&["cookies"][..], "'cookies' is not a class"),
            (&["cookie", "Cookie"][..], "'Cookie' is named twice"),
            (&["any", "cookie"][..], "name it alone"),
            (&["network", "any"][..], "name it alone"),
            (&["any", "any"][..], "named twice"),
        ] {
            let err = ClassSet::parse(words).unwrap_err();
            assert!(err.contains(expected), "{words:?}: {err}");
        }
    }
}
