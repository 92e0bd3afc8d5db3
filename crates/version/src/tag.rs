//! [`TagPattern`]: which tag names are releases, and the version each names.

use std::fmt;

use semver::Version;

use crate::error::{Error, Result};

/// Which tag names are releases: templates with a `{version}` placeholder (a SemVer version)
/// and an optional `{name}` (the package, for per-crate tags such as `consign-core-v1.2.3`).
///
/// The first template names new tags; every template is accepted when reading. Tags whose
/// `{version}` part is not SemVer (`v1.2`, `nightly`) are not releases and are skipped.
///
/// ```
/// use consign_version::TagPattern;
/// use semver::Version;
///
/// let default = TagPattern::default(); // "v{version}", also accepting "{version}"
/// assert_eq!(default.version_of("v1.2.3", None), Some(Version::new(1, 2, 3)));
/// assert_eq!(default.version_of("1.2.3", None), Some(Version::new(1, 2, 3)));
/// assert_eq!(default.version_of("v1.2", None), None);
/// assert_eq!(default.tag_name(&Version::new(2, 0, 0), None), "v2.0.0");
///
/// let per_crate = TagPattern::new("{name}-v{version}")?;
/// let core = Some("consign-core");
/// assert_eq!(per_crate.version_of("consign-core-v0.3.0", core), Some(Version::new(0, 3, 0)));
/// assert_eq!(per_crate.version_of("consign-v0.3.0", core), None);
/// assert_eq!(per_crate.tag_name(&Version::new(0, 4, 0), core), "consign-core-v0.4.0");
/// # Ok::<(), consign_version::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagPattern {
    templates: Vec<String>,
}

const VERSION: &str = "{version}";
const NAME: &str = "{name}";

impl Default for TagPattern {
    fn default() -> TagPattern {
        TagPattern {
            templates: vec![format!("v{VERSION}"), VERSION.to_string()],
        }
    }
}

impl TagPattern {
    /// One template, such as `v{version}`, `{version}`, `{name}-v{version}` or
    /// `release/{version}`.
    pub fn new(template: impl Into<String>) -> Result<TagPattern> {
        let template = check(template.into())?;
        Ok(TagPattern {
            templates: vec![template],
        })
    }

    /// Also accept tags named after `template` when reading (new tags keep the first form).
    pub fn or(mut self, template: impl Into<String>) -> Result<TagPattern> {
        self.templates.push(check(template.into())?);
        Ok(self)
    }

    /// Whether the templates name the package (`{name}`).
    pub fn is_per_package(&self) -> bool {
        self.templates.iter().any(|t| t.contains(NAME))
    }

    /// The version `tag` names, if it is a release tag of `package` (templates with `{name}`
    /// match only when a package is given).
    pub fn version_of(&self, tag: &str, package: Option<&str>) -> Option<Version> {
        self.templates.iter().find_map(|template| {
            let (prefix, suffix) = parts(template, package)?;
            let middle = tag
                .strip_prefix(prefix.as_str())?
                .strip_suffix(suffix.as_str())?;
            Version::parse(middle).ok()
        })
    }

    /// The tag name for `version` (first template).
    pub fn tag_name(&self, version: &Version, package: Option<&str>) -> String {
        let template = &self.templates[0];
        template
            .replace(NAME, package.unwrap_or_default())
            .replace(VERSION, &version.to_string())
    }
}

impl fmt::Display for TagPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.templates.join(" | "))
    }
}

fn check(template: String) -> Result<String> {
    let reason = if template.matches(VERSION).count() != 1 {
        Some("write {version} exactly once")
    } else if template.matches(NAME).count() > 1 {
        Some("write {name} at most once")
    } else if template
        .replace(VERSION, "")
        .replace(NAME, "")
        .contains(['{', '}'])
    {
        Some("the only placeholders are {version} and {name}")
    } else if template
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(c))
    {
        Some("git does not allow spaces or any of ~^:?*[\\ in tag names")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::TagPattern {
            pattern: template,
            reason,
        }),
        None => Ok(template),
    }
}

/// The literal text before and after `{version}`, with `{name}` filled in.
fn parts(template: &str, package: Option<&str>) -> Option<(String, String)> {
    let filled = if template.contains(NAME) {
        template.replace(NAME, package?)
    } else {
        template.to_string()
    };
    let (prefix, suffix) = filled.split_once(VERSION)?;
    Some((prefix.to_string(), suffix.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn patterns_are_checked() {
        assert!(TagPattern::new("release").is_err());
        assert!(TagPattern::new("{version}-{version}").is_err());
        assert!(TagPattern::new("{crate}-{version}").is_err());
        assert!(TagPattern::new("v {version}").is_err());
        assert!(TagPattern::new("release/{version}").is_ok());
        let p = TagPattern::new("{name}@{version}").unwrap();
        assert!(p.is_per_package());
        assert_eq!(p.version_of("a@1.0.0", None), None);
        assert_eq!(
            p.version_of("a@1.0.0", Some("a")),
            Some(Version::new(1, 0, 0))
        );
    }

    #[test]
    fn alternatives_and_prereleases() {
        let p = TagPattern::new("v{version}")
            .unwrap()
            .or("release-{version}")
            .unwrap();
        assert_eq!(
            p.version_of("release-1.0.0-rc.2", None),
            Version::parse("1.0.0-rc.2").ok()
        );
        assert_eq!(p.version_of("1.0.0", None), None);
        assert_eq!(p.tag_name(&Version::new(1, 0, 0), None), "v1.0.0");
    }

    proptest! {
        #[test]
        fn any_tag_name_is_read_without_panicking(tag in "\\PC{0,40}") {
            let p = TagPattern::new("{name}-v{version}").unwrap();
            let _ = p.version_of(&tag, Some("x"));
            let _ = TagPattern::default().version_of(&tag, None);
        }

        #[test]
        fn tag_names_read_back(major in 0u64..1000, minor in 0u64..1000, patch in 0u64..1000) {
            let v = Version::new(major, minor, patch);
            let p = TagPattern::new("{name}-v{version}").unwrap();
            let name = p.tag_name(&v, Some("pkg"));
            prop_assert_eq!(p.version_of(&name, Some("pkg")), Some(v));
        }
    }
}
