//! [`Version`]: a package version, checked once, as text and as SemVer.
//!
//! Projects write versions as text (`1.2.3`, `1.2.3-rc.1+build.5`, sometimes `2024.05` or
//! `1:2.0~rc1`); formats want them in their own grammar (Debian turns the SemVer pre-release
//! separator into `~`, rpm forbids `-`). A [`Version`] keeps the text exactly as written and,
//! when the text is SemVer, its parsed parts, so each format converts from the parts instead of
//! splitting strings again.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::meta::MetaError;

/// A package version: the text as written, and its SemVer reading when it is SemVer.
///
/// ```
/// use consign_core::Version;
/// let v: Version = "1.4.0-rc.1+build.7".parse()?;
/// assert_eq!(v.as_str(), "1.4.0-rc.1+build.7");
/// assert_eq!(v.release(), "1.4.0");
/// assert_eq!(v.pre_release(), Some("rc.1"));
/// assert_eq!(v.build(), Some("build.7"));
///
/// // Not SemVer: kept as text, parts empty.
/// let calendar: Version = "2024.05".parse()?;
/// assert!(calendar.semver().is_none());
/// assert_eq!(calendar.release(), "2024.05");
/// assert!("1.0 beta".parse::<Version>().is_err());
/// # Ok::<(), consign_core::MetaError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Version {
    text: String,
    semver: Option<semver::Version>,
}

impl Version {
    /// Checks `text`: letters, digits and `-_.+~:`, not empty.
    pub fn new(text: impl Into<String>) -> Result<Version, MetaError> {
        let text = text.into();
        if text.is_empty()
            || !text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.+~:".contains(c))
        {
            return Err(MetaError::Invalid {
                field: "version",
                value: text,
                reason: "use letters, digits and -_.+~:",
            });
        }
        let semver = semver::Version::parse(&text).ok();
        Ok(Version { text, semver })
    }

    /// The version exactly as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The SemVer reading, when the text is SemVer.
    pub fn semver(&self) -> Option<&semver::Version> {
        self.semver.as_ref()
    }

    /// The release part: `major.minor.patch` of a SemVer version, the whole text otherwise.
    pub fn release(&self) -> &str {
        match &self.semver {
            Some(_) => self.text.split(['-', '+']).next().unwrap_or(&self.text),
            None => &self.text,
        }
    }

    /// The SemVer pre-release (`rc.1` of `1.0.0-rc.1`), if any.
    pub fn pre_release(&self) -> Option<&str> {
        self.semver
            .as_ref()
            .filter(|v| !v.pre.is_empty())
            .map(|v| v.pre.as_str())
    }

    /// The SemVer build metadata (`build.7` of `1.0.0+build.7`), if any.
    pub fn build(&self) -> Option<&str> {
        self.semver
            .as_ref()
            .filter(|v| !v.build.is_empty())
            .map(|v| v.build.as_str())
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Version {
    type Err = MetaError;

    fn from_str(text: &str) -> Result<Version, MetaError> {
        Version::new(text)
    }
}

impl TryFrom<String> for Version {
    type Error = MetaError;

    fn try_from(text: String) -> Result<Version, MetaError> {
        Version::new(text)
    }
}

impl From<Version> for String {
    fn from(v: Version) -> String {
        v.text
    }
}

impl AsRef<str> for Version {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl PartialEq<str> for Version {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Version {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_semver_and_other_versions() {
        let v = Version::new("0.3.0").unwrap();
        assert_eq!(
            (v.release(), v.pre_release(), v.build()),
            ("0.3.0", None, None)
        );
        let v = Version::new("1.0.0-alpha-2+x-y").unwrap();
        assert_eq!(
            (v.release(), v.pre_release(), v.build()),
            ("1.0.0", Some("alpha-2"), Some("x-y"))
        );
        let v = Version::new("1:2.0~rc1-3").unwrap();
        assert!(v.semver().is_none());
        assert_eq!((v.release(), v.pre_release()), ("1:2.0~rc1-3", None));
        for bad in ["", "1 2", "1/2", "é"] {
            assert!(Version::new(bad).is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, "\"1:2.0~rc1-3\"");
        assert_eq!(serde_json::from_str::<Version>(&json).unwrap(), v);
        assert!(serde_json::from_str::<Version>("\"a b\"").is_err());
    }
}
