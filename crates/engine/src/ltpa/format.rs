//! The token formats, and the set of them a scope accepts
//! (`PhotoGuardLtpaAccept ltpa2 domino websphere-v1`).

use core::fmt;

/// An LTPA token format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `LtpaToken2` of WebSphere / Liberty (and Domino with WebSphere keys).
    Ltpa2,
    /// `LtpaToken` of Domino Web SSO with a Domino secret.
    Domino,
    /// `LtpaToken` version 1 of WebSphere (Domino with imported WebSphere keys).
    WebSphereV1,
}

impl Format {
    /// The directive word, also used in reasons and `inspect` output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ltpa2 => "ltpa2",
            Self::Domino => "domino",
            Self::WebSphereV1 => "websphere-v1",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Self::Ltpa2 => 1,
            Self::Domino => 2,
            Self::WebSphereV1 => 4,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word of `PhotoGuardLtpaAccept` that names no format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown LTPA format '{}' (expected ltpa2, domino or websphere-v1)",
            self.0
        )
    }
}

impl std::error::Error for UnknownFormat {}

/// The formats accepted. The default is `ltpa2 domino`: WebSphere v1's
/// expiry is not signed, so it is accepted only when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Accept(u8);

impl Default for Accept {
    fn default() -> Self {
        Self::NONE.with(Format::Ltpa2).with(Format::Domino)
    }
}

impl Accept {
    pub const NONE: Accept = Accept(0);
    pub const ALL: Accept = Accept(1 | 2 | 4);

    #[must_use]
    pub const fn with(self, format: Format) -> Accept {
        Accept(self.0 | format.bit())
    }

    /// The set as bits (for telling settings apart).
    pub const fn bits(self) -> u8 {
        self.0
    }

    pub const fn contains(self, format: Format) -> bool {
        self.0 & format.bit() != 0
    }

    /// Parses directive words (ASCII case-insensitive, `websphere_v1` and
    /// `v1` allowed as spellings of `websphere-v1`).
    pub fn parse_words<'a>(
        words: impl IntoIterator<Item = &'a str>,
    ) -> Result<Accept, UnknownFormat> {
        words.into_iter().try_fold(Accept::NONE, |acc, word| {
            let format = match word.to_ascii_lowercase().as_str() {
                "ltpa2" | "ltpatoken2" => Format::Ltpa2,
                "domino" => Format::Domino,
                "websphere-v1" | "websphere_v1" | "v1" => Format::WebSphereV1,
                _ => return Err(UnknownFormat(word.to_owned())),
            };
            Ok(acc.with(format))
        })
    }

    /// The accepted formats, in a fixed order.
    pub fn iter(self) -> impl Iterator<Item = Format> {
        [Format::Ltpa2, Format::Domino, Format::WebSphereV1]
            .into_iter()
            .filter(move |f| self.contains(*f))
    }
}

impl fmt::Display for Accept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, format) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(format.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_show() {
        assert_eq!(Accept::default().to_string(), "ltpa2 domino");
        let all = Accept::parse_words(["Domino", "websphere-v1", "ltpa2"]).unwrap();
        assert_eq!(all, Accept::ALL);
        assert_eq!(all.to_string(), "ltpa2 domino websphere-v1");
        assert_eq!(
            Accept::parse_words(["ltpa2", "ltpa3"])
                .unwrap_err()
                .to_string(),
            "unknown LTPA format 'ltpa3' (expected ltpa2, domino or websphere-v1)"
        );
        assert!(!Accept::default().contains(Format::WebSphereV1));
    }
}
