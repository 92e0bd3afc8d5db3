//! [`Options`]: how commits count ([`Level`]), which tags are releases ([`TagPattern`]), and
//! the prerelease [`Channel`]; [`bump`] applies a level to a version.

use std::fmt;
use std::str::FromStr;

use semver::{BuildMetadata, Prerelease, Version};

use crate::error::{Error, Result};
use crate::tag::TagPattern;

/// How much a change moves the version: SemVer's three parts.
///
/// ```
/// use consign_version::Level;
/// assert!(Level::Major > Level::Minor && Level::Minor > Level::Patch);
/// assert_eq!(Level::Minor.to_string(), "minor");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Bug fixes: `1.2.3` → `1.2.4`.
    Patch,
    /// New features: `1.2.3` → `1.3.0`.
    Minor,
    /// Breaking changes: `1.2.3` → `2.0.0`.
    Major,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Patch => "patch",
            Level::Minor => "minor",
            Level::Major => "major",
        })
    }
}

/// What a commit whose message is not a Conventional Commit counts for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unconventional {
    /// Nothing: it neither triggers a release nor appears in the notes (semantic-release,
    /// git-cliff's `filter_unconventional`).
    #[default]
    Ignore,
    /// A patch release, listed under "Other changes" in the notes.
    Patch,
}

/// A prerelease channel: releases on it are `X.Y.Z-<name>.N`, `N` counting from 1 within the
/// channel, and the next stable release graduates to `X.Y.Z`.
///
/// ```
/// use consign_version::Channel;
/// let rc: Channel = "rc".parse()?;
/// assert_eq!(rc.as_str(), "rc");
/// assert!("1rc".parse::<Channel>().is_err());
/// assert!("rc.1".parse::<Channel>().is_err());
/// # Ok::<(), consign_version::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Channel(String);

impl Channel {
    /// Checks `name`: ASCII letters, digits and hyphens, starting with a letter (so that it
    /// cannot be mistaken for the counter).
    pub fn new(name: impl Into<String>) -> Result<Channel> {
        let name = name.into();
        let ok = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if ok {
            Ok(Channel(name))
        } else {
            Err(Error::Channel { name })
        }
    }

    /// The channel's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The counter `N` when `pre` is `<name>.N` on this channel.
    pub(crate) fn counter(&self, pre: &Prerelease) -> Option<u64> {
        let (name, n) = pre.as_str().rsplit_once('.')?;
        (name == self.0).then(|| n.parse().ok()).flatten()
    }

    /// `<name>.N`.
    pub(crate) fn prerelease(&self, n: u64) -> Prerelease {
        // A channel name is a valid identifier and N a number: this always parses.
        Prerelease::new(&format!("{}.{n}", self.0)).unwrap_or(Prerelease::EMPTY)
    }
}

impl FromStr for Channel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Channel> {
        Channel::new(s)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How commits count and which tags are releases. The defaults follow the Conventional
/// Commits rules as release-plz and semantic-release apply them:
///
/// - `feat` → minor; `fix`, `perf` and reverts → patch; `!` after the type or a
///   `BREAKING CHANGE:` / `BREAKING-CHANGE:` footer → major; other types → no release;
/// - below 1.0.0 a breaking change bumps the minor and a feature the patch;
/// - commits that are not conventional are ignored;
/// - tags `v1.2.3` and `1.2.3` are releases; new tags are written `v1.2.3`;
/// - the first release, when no release tag is reachable, is `0.1.0`.
///
/// ```
/// use consign_version::{Level, Options, TagPattern, Unconventional};
/// let options = Options::default()
///     .tag_pattern(TagPattern::new("consign-core-v{version}")?)
///     .below_1_0(Level::Major, Level::Minor) // 0.x behaves like 1.x
///     .unconventional(Unconventional::Patch)
///     .channel("rc".parse()?);
/// assert_eq!(options.level_of_type("feat"), Some(Level::Minor));
/// assert_eq!(options.level_of_type("docs"), None);
/// # Ok::<(), consign_version::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    pub(crate) tags: TagPattern,
    pub(crate) channel: Option<Channel>,
    pub(crate) unconventional: Unconventional,
    pub(crate) minor_types: Vec<String>,
    pub(crate) patch_types: Vec<String>,
    pub(crate) breaking_below_1: Level,
    pub(crate) feature_below_1: Level,
    pub(crate) initial: Version,
    pub(crate) package: Option<String>,
    pub(crate) skip: Vec<String>,
    pub(crate) paths: Vec<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            tags: TagPattern::default(),
            channel: None,
            unconventional: Unconventional::Ignore,
            minor_types: vec!["feat".into()],
            patch_types: vec!["fix".into(), "perf".into()],
            breaking_below_1: Level::Minor,
            feature_below_1: Level::Patch,
            initial: Version::new(0, 1, 0),
            package: None,
            skip: Vec::new(),
            paths: Vec::new(),
        }
    }
}

impl Options {
    /// Which tags are releases, and how new ones are named.
    #[must_use]
    pub fn tag_pattern(mut self, tags: TagPattern) -> Options {
        self.tags = tags;
        self
    }

    /// Release on a prerelease channel (`X.Y.Z-rc.N`) instead of a stable version.
    #[must_use]
    pub fn channel(mut self, channel: Channel) -> Options {
        self.channel = Some(channel);
        self
    }

    /// What a commit that is not a Conventional Commit counts for.
    #[must_use]
    pub fn unconventional(mut self, unconventional: Unconventional) -> Options {
        self.unconventional = unconventional;
        self
    }

    /// The commit types that bump the minor version (default `feat`). Types compare without
    /// regard to case.
    #[must_use]
    pub fn minor_types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Options {
        self.minor_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// The commit types that bump the patch version (default `fix`, `perf`).
    #[must_use]
    pub fn patch_types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Options {
        self.patch_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// What a breaking change and a feature bump below 1.0.0 (default: minor and patch, as
    /// Cargo reads `0.x` versions). `below_1_0(Level::Major, Level::Minor)` treats `0.x` like
    /// any other major version (a breaking change then releases 1.0.0).
    #[must_use]
    pub fn below_1_0(mut self, breaking: Level, feature: Level) -> Options {
        self.breaking_below_1 = breaking;
        self.feature_below_1 = feature;
        self
    }

    /// The first release when no release tag is reachable (default `0.1.0`).
    #[must_use]
    pub fn initial_version(mut self, version: Version) -> Options {
        self.initial = version;
        self
    }

    /// The package whose tags are read, for tag patterns with `{name}`
    /// (`consign-core-v1.2.3`).
    #[must_use]
    pub fn package(mut self, name: impl Into<String>) -> Options {
        self.package = Some(name.into());
        self
    }

    /// Tags that are not releases although they match the pattern (a tag pushed by mistake;
    /// or the release being checked, to compute it again from the commits before it).
    #[must_use]
    pub fn skip_tags<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Options {
        self.skip.extend(names.into_iter().map(Into::into));
        self
    }

    /// Count only the commits that change files under these directories (relative to the
    /// repository root, `/`-separated), as a monorepo's package is released from its own
    /// directory; compared with each commit's first parent.
    #[must_use]
    pub fn paths<S: Into<String>>(mut self, dirs: impl IntoIterator<Item = S>) -> Options {
        self.paths.extend(dirs.into_iter().map(Into::into));
        self
    }

    /// The tag pattern in use.
    pub fn tags(&self) -> &TagPattern {
        &self.tags
    }

    /// The level a conventional commit type bumps (ignoring `!` and footers), if any.
    pub fn level_of_type(&self, kind: &str) -> Option<Level> {
        let is = |list: &[String]| list.iter().any(|t| t.eq_ignore_ascii_case(kind));
        if is(&self.minor_types) {
            Some(Level::Minor)
        } else if is(&self.patch_types) {
            Some(Level::Patch)
        } else {
            None
        }
    }
}

/// The stable version after `current` for a change of `level`, with the below-1.0.0 rules of
/// `options`. Prerelease and build parts of `current` are dropped.
///
/// ```
/// use consign_version::{bump, Level, Options};
/// use semver::Version;
/// let o = Options::default();
/// assert_eq!(bump(&Version::new(1, 2, 3), Level::Minor, &o), Version::new(1, 3, 0));
/// assert_eq!(bump(&Version::new(0, 4, 1), Level::Major, &o), Version::new(0, 5, 0));
/// assert_eq!(bump(&Version::new(0, 4, 1), Level::Minor, &o), Version::new(0, 4, 2));
/// ```
pub fn bump(current: &Version, level: Level, options: &Options) -> Version {
    let level = match (current.major, level) {
        (0, Level::Major) => options.breaking_below_1,
        (0, Level::Minor) => options.feature_below_1,
        (_, level) => level,
    };
    let mut next = Version::new(current.major, current.minor, current.patch);
    match level {
        Level::Major => {
            next.major += 1;
            next.minor = 0;
            next.patch = 0;
        }
        Level::Minor => {
            next.minor += 1;
            next.patch = 0;
        }
        Level::Patch => next.patch += 1,
    }
    next.pre = Prerelease::EMPTY;
    next.build = BuildMetadata::EMPTY;
    next
}

/// `version` without prerelease and build parts.
pub(crate) fn release_part(version: &Version) -> Version {
    Version::new(version.major, version.minor, version.patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps_follow_semver_and_the_0x_rules() {
        let o = Options::default();
        let v = |s: &str| Version::parse(s).unwrap();
        assert_eq!(bump(&v("1.2.3"), Level::Major, &o), v("2.0.0"));
        assert_eq!(bump(&v("1.2.3"), Level::Patch, &o), v("1.2.4"));
        assert_eq!(bump(&v("1.2.3-rc.1+b"), Level::Patch, &o), v("1.2.4"));
        assert_eq!(bump(&v("0.0.3"), Level::Patch, &o), v("0.0.4"));
        assert_eq!(bump(&v("0.3.3"), Level::Major, &o), v("0.4.0"));
        let like_1x = Options::default().below_1_0(Level::Major, Level::Minor);
        assert_eq!(bump(&v("0.3.3"), Level::Major, &like_1x), v("1.0.0"));
        assert_eq!(bump(&v("0.3.3"), Level::Minor, &like_1x), v("0.4.0"));
    }

    #[test]
    fn channel_counters() {
        let rc = Channel::new("rc").unwrap();
        assert_eq!(rc.counter(&Prerelease::new("rc.4").unwrap()), Some(4));
        assert_eq!(rc.counter(&Prerelease::new("beta.4").unwrap()), None);
        assert_eq!(rc.counter(&Prerelease::new("rc4").unwrap()), None);
        assert_eq!(rc.prerelease(2).as_str(), "rc.2");
        assert!(Channel::new("").is_err());
        assert!(Channel::new("r c").is_err());
        assert!(Channel::new("pre-release").is_ok());
    }
}
