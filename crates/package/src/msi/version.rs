//! [`MsiVersion`]: the `ProductVersion` of a Windows Installer package, and the rule that
//! maps a project's version to it.
//!
//! Windows Installer versions are `major.minor.build` with `major` and `minor` at most 255
//! and `build` at most 65535; an optional fourth field is carried but **ignored** when
//! Windows Installer compares versions (so it never decides an upgrade). The rule, applied
//! by [`MsiVersion::from_version`]:
//!
//! | project version | MSI version | why |
//! |---|---|---|
//! | `1.4.2` | `1.4.2` | the three fields as they are |
//! | `1.4.2+build.7` | `1.4.2` | build metadata does not order versions (SemVer §10) |
//! | `1.4.2-rc.3` | `1.4.2.3` | the pre-release's last numeric identifier (or the digits ending it, `rc3`) becomes the fourth field; `0` when it has none (`beta`) |
//! | `2.1`, `7`, `1.2.3.4` | `2.1.0`, `7.0.0`, `1.2.3.4` | non-SemVer: one to four decimal fields |
//! | `256.0.0`, `1.0.70000`, `2024.05`, `1.0-foo` | refused ([`MsiError::Version`]) | does not fit |
//!
//! Because the fourth field does not count, a pre-release and its release are the same
//! version to Windows Installer. The package's upgrade row therefore includes its own
//! version (`msidbUpgradeAttributesVersionMaxInclusive`): installing `1.4.2` over
//! `1.4.2-rc.3` (another ProductCode, the same three fields) replaces it in place, as does
//! installing a rebuild with other build metadata.

use std::fmt;
use std::str::FromStr;

use consign_core::Version;

use super::MsiError;

/// A Windows Installer product version: `major.minor.build[.revision]`.
///
/// ```
/// use consign_package::msi::MsiVersion;
/// let v = MsiVersion::from_version(&"1.4.2-rc.3".parse()?)?;
/// assert_eq!(v.to_string(), "1.4.2.3");
/// assert_eq!(v.upgrade_key(), "1.4.2");
/// assert_eq!("2.1".parse::<MsiVersion>()?.to_string(), "2.1.0");
/// assert!("256.0.0".parse::<MsiVersion>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MsiVersion {
    major: u8,
    minor: u8,
    build: u16,
    revision: Option<u16>,
}

impl MsiVersion {
    /// A version from its three compared fields.
    pub fn new(major: u8, minor: u8, build: u16) -> MsiVersion {
        MsiVersion {
            major,
            minor,
            build,
            revision: None,
        }
    }

    /// Sets the fourth field (carried, not compared by Windows Installer).
    #[must_use]
    pub fn with_revision(mut self, revision: u16) -> MsiVersion {
        self.revision = Some(revision);
        self
    }

    /// Maps a project version by the rule in the [module documentation](self).
    pub fn from_version(version: &Version) -> Result<MsiVersion, MsiError> {
        let bad = |reason| MsiError::Version {
            version: version.as_str().to_owned(),
            reason,
        };
        let Some(semver) = version.semver() else {
            return version.as_str().parse();
        };
        let major = u8::try_from(semver.major).map_err(|_| bad(MAJOR))?;
        let minor = u8::try_from(semver.minor).map_err(|_| bad(MINOR))?;
        let build = u16::try_from(semver.patch).map_err(|_| bad(BUILD))?;
        let mut v = MsiVersion::new(major, minor, build);
        if !semver.pre.is_empty() {
            let last = semver.pre.as_str().rsplit('.').next().unwrap_or_default();
            let digits = &last[last.trim_end_matches(|c: char| c.is_ascii_digit()).len()..];
            let n = if digits.is_empty() {
                0
            } else {
                digits.parse::<u16>().map_err(|_| bad(PRE))?
            };
            v.revision = Some(n);
        }
        Ok(v)
    }

    /// The major field (at most 255).
    pub fn major(&self) -> u8 {
        self.major
    }

    /// The minor field (at most 255).
    pub fn minor(&self) -> u8 {
        self.minor
    }

    /// The build field (at most 65535).
    pub fn build(&self) -> u16 {
        self.build
    }

    /// The fourth field, if any.
    pub fn revision(&self) -> Option<u16> {
        self.revision
    }

    /// The three fields Windows Installer compares (`1.4.2`): what the Upgrade table holds.
    pub fn upgrade_key(&self) -> String {
        format!("{}.{}.{}", self.major, self.minor, self.build)
    }
}

const MAJOR: &str = "the major version is at most 255";
const MINOR: &str = "the minor version is at most 255";
const BUILD: &str = "the third field (patch) is at most 65535";
const PRE: &str = "the pre-release's number becomes the fourth field, at most 65535";

impl fmt::Display for MsiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)?;
        if let Some(r) = self.revision {
            write!(f, ".{r}")?;
        }
        Ok(())
    }
}

impl FromStr for MsiVersion {
    type Err = MsiError;

    /// Parses one to four decimal fields (`7`, `2.1`, `1.2.3`, `1.2.3.4`); missing fields
    /// of the first three are 0.
    fn from_str(text: &str) -> Result<MsiVersion, MsiError> {
        let bad = |reason| MsiError::Version {
            version: text.to_owned(),
            reason,
        };
        let fields: Vec<&str> = text.split('.').collect();
        if fields.len() > 4
            || fields
                .iter()
                .any(|f| f.is_empty() || f.len() > 5 || !f.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad(
                "use SemVer or one to four decimal fields (major.minor.build[.revision])",
            ));
        }
        // Each field is at most five digits: it parses as u32.
        let n: Vec<u32> = fields
            .iter()
            .map(|f| f.parse().unwrap_or(u32::MAX))
            .collect();
        let field = |i: usize| n.get(i).copied().unwrap_or(0);
        let mut v = MsiVersion::new(
            u8::try_from(field(0)).map_err(|_| bad(MAJOR))?,
            u8::try_from(field(1)).map_err(|_| bad(MINOR))?,
            u16::try_from(field(2)).map_err(|_| bad(BUILD))?,
        );
        if let Some(&r) = n.get(3) {
            v.revision =
                Some(u16::try_from(r).map_err(|_| bad("the fourth field is at most 65535"))?);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> Result<String, MsiError> {
        MsiVersion::from_version(&Version::new(text).expect("a valid version"))
            .map(|v| v.to_string())
    }

    #[test]
    fn maps_semver_and_plain_versions() {
        for (from, to) in [
            ("1.4.2", "1.4.2"),
            ("0.0.0", "0.0.0"),
            ("255.255.65535", "255.255.65535"),
            ("1.4.2+build.7", "1.4.2"),
            ("1.4.2-rc.3", "1.4.2.3"),
            ("1.4.2-rc3", "1.4.2.3"),
            ("1.4.2-beta", "1.4.2.0"),
            ("1.4.2-alpha.1.beta", "1.4.2.0"),
            ("1.4.2-rc.65535+x", "1.4.2.65535"),
            ("2.1", "2.1.0"),
            ("7", "7.0.0"),
            ("1.2.3.4", "1.2.3.4"),
        ] {
            assert_eq!(map(from).expect(from), to, "{from}");
        }
    }

    #[test]
    fn refuses_what_does_not_fit() {
        for bad in [
            "256.0.0",
            "1.256.0",
            "1.0.65536",
            "1.0.0-rc.65536",
            "2024.05",
            "1.0-foo",
            "1.2.3.4.5",
            "1.2.3.70000",
            "1..2",
            "1:2.0",
            "99999999999",
        ] {
            match map(bad) {
                Err(MsiError::Version { version, .. }) => assert_eq!(version, bad),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn upgrade_key_drops_the_fourth_field() {
        let v: MsiVersion = "3.2.1.9".parse().expect("fits");
        assert_eq!(v.upgrade_key(), "3.2.1");
        assert_eq!(
            (v.major(), v.minor(), v.build(), v.revision()),
            (3, 2, 1, Some(9))
        );
        assert!(MsiVersion::new(1, 2, 3) < MsiVersion::new(1, 3, 0));
    }
}
