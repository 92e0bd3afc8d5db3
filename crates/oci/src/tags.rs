//! Tag expansion: the tags a release, branch or pull-request build is published under.
//!
//! The conventions are the ones release pipelines already use (docker/metadata-action,
//! GoReleaser): a release `v1.2.3` is tagged `1.2.3`, `1.2` and `1` (and `latest` when asked);
//! a prerelease `1.3.0-rc.1` only under its full version, since its shorter tags would move
//! stable users onto it; build metadata (`+build.5`) is not part of any tag (`+` is not allowed
//! in tags). Branches are tagged by their sanitized name, pull requests `pr-<n>`, and a
//! per-platform image carries its architecture as a suffix (`1.2.3-amd64`, `pr-596-arm64`) until
//! the multi-arch index takes the plain tags.

use semver::Version;

use crate::{Error, ImagePlatform, Tag};

/// What a build is: a release version, a branch or a pull request.
///
/// ```
/// use consign_oci::tags::{BuildRef, TagOptions};
/// let build = BuildRef::from_git_ref("refs/tags/v1.2.3")?;
/// let tags: Vec<String> = build.tags(&TagOptions::default().latest(true))
///     .iter().map(|t| t.to_string()).collect();
/// assert_eq!(tags, ["1.2.3", "1.2", "1", "latest"]);
///
/// let rc = BuildRef::release("1.3.0-rc.1")?;
/// assert_eq!(rc.tags(&TagOptions::default().latest(true))[..], [consign_oci::Tag::new("1.3.0-rc.1")?]);
///
/// let pr = BuildRef::from_git_ref("refs/pull/596/merge")?;
/// assert_eq!(pr.tags(&TagOptions::default())[0].as_str(), "pr-596");
///
/// // A patch of an older line, with `v` tags and the commit: no `latest`.
/// let published = [consign_oci::Tag::new("v2.0.0")?, consign_oci::Tag::new("1.4.2")?];
/// let options = TagOptions::default()
///     .latest(true)
///     .v_prefixed(true)
///     .sha("7fd1a60b01f91b314f59955a4e4d4e80d8edf11d")?
///     .published(&published);
/// let tags: Vec<String> = BuildRef::release("1.4.3")?.tags(&options)
///     .iter().map(|t| t.to_string()).collect();
/// assert_eq!(tags, ["1.4.3", "v1.4.3", "1.4", "1", "sha-7fd1a60"]);
/// # Ok::<(), consign_oci::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildRef {
    /// A release of a semantic version (a leading `v` is accepted and dropped).
    Release(Version),
    /// A build of a branch.
    Branch(String),
    /// A build of a pull request.
    PullRequest(u64),
}

/// Which of the optional tags to produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagOptions {
    latest: bool,
    major_minor: bool,
    major: bool,
    major_zero: bool,
    v_prefixed: bool,
    sha: Option<String>,
    /// The highest stable release among the tags already published, when given.
    highest: Option<Version>,
}

impl Default for TagOptions {
    fn default() -> TagOptions {
        TagOptions {
            latest: false,
            major_minor: true,
            major: true,
            major_zero: true,
            v_prefixed: false,
            sha: None,
            highest: None,
        }
    }
}

impl TagOptions {
    /// Also tag a (non-prerelease) release `latest`. Default: no.
    #[must_use]
    pub fn latest(mut self, on: bool) -> TagOptions {
        self.latest = on;
        self
    }

    /// Tag releases `MAJOR.MINOR`. Default: yes.
    #[must_use]
    pub fn major_minor(mut self, on: bool) -> TagOptions {
        self.major_minor = on;
        self
    }

    /// Tag releases `MAJOR`. Default: yes.
    #[must_use]
    pub fn major(mut self, on: bool) -> TagOptions {
        self.major = on;
        self
    }

    /// Whether a `0.y.z` release gets the tag `0` (its minor releases may break). Default: yes.
    #[must_use]
    pub fn major_zero(mut self, on: bool) -> TagOptions {
        self.major_zero = on;
        self
    }

    /// Also tag a release with its `v`-prefixed version (`v1.2.3`, as Git tags write it).
    /// Default: no.
    #[must_use]
    pub fn v_prefixed(mut self, on: bool) -> TagOptions {
        self.v_prefixed = on;
        self
    }

    /// Also tag any build `sha-<first 7 hex digits of commit>` (docker/metadata-action's
    /// `type=sha`). Refused unless `commit` is hexadecimal, 7 to 64 digits.
    pub fn sha(mut self, commit: &str) -> Result<TagOptions, Error> {
        let commit = commit.trim();
        if !(7..=64).contains(&commit.len()) || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::InvalidName {
                kind: "commit",
                text: commit.to_owned(),
                reason: "expected a hexadecimal commit id of 7 to 64 digits".to_owned(),
            });
        }
        self.sha = Some(commit[..7].to_ascii_lowercase());
        Ok(self)
    }

    /// Gives `latest` (when asked for) only to the highest stable release: the tags already
    /// published are read for release versions (`1.2.3` or `v1.2.3`; others are ignored), and
    /// a release below the highest of them is not tagged `latest` (a patch of an old line).
    #[must_use]
    pub fn published<'t>(mut self, existing: impl IntoIterator<Item = &'t Tag>) -> TagOptions {
        self.highest = existing
            .into_iter()
            .filter_map(|t| {
                let text = t.as_str();
                Version::parse(text.strip_prefix('v').unwrap_or(text)).ok()
            })
            .filter(|v| v.pre.is_empty())
            .max();
        self
    }
}

impl BuildRef {
    /// A release of `version` (`1.2.3`, `v1.2.3`, `1.3.0-rc.1+build.5`).
    pub fn release(version: &str) -> Result<BuildRef, Error> {
        let bare = version.strip_prefix('v').unwrap_or(version);
        Version::parse(bare)
            .map(BuildRef::Release)
            .map_err(|e| Error::InvalidName {
                kind: "release version",
                text: version.to_owned(),
                reason: format!("{e}: expected a semantic version such as v1.2.3"),
            })
    }

    /// What a Git ref names: `refs/tags/<version>`, `refs/heads/<branch>`, `refs/pull/<n>/…`
    /// (as in `GITHUB_REF`).
    pub fn from_git_ref(git_ref: &str) -> Result<BuildRef, Error> {
        if let Some(tag) = git_ref.strip_prefix("refs/tags/") {
            BuildRef::release(tag)
        } else if let Some(branch) = git_ref.strip_prefix("refs/heads/") {
            Ok(BuildRef::Branch(branch.to_owned()))
        } else if let Some(rest) = git_ref.strip_prefix("refs/pull/") {
            let number = rest.split('/').next().unwrap_or("");
            number
                .parse()
                .map(BuildRef::PullRequest)
                .map_err(|_| Error::InvalidName {
                    kind: "Git ref",
                    text: git_ref.to_owned(),
                    reason: "a pull-request ref is refs/pull/<number>/merge".to_owned(),
                })
        } else {
            Err(Error::InvalidName {
                kind: "Git ref",
                text: git_ref.to_owned(),
                reason: "expected refs/tags/…, refs/heads/… or refs/pull/<number>/…".to_owned(),
            })
        }
    }

    /// The tags of this build, most specific first, without duplicates.
    pub fn tags(&self, options: &TagOptions) -> Vec<Tag> {
        let mut texts: Vec<String> = Vec::new();
        match self {
            BuildRef::Release(v) => {
                let mut full = format!("{}.{}.{}", v.major, v.minor, v.patch);
                if !v.pre.is_empty() {
                    full.push('-');
                    full.push_str(v.pre.as_str());
                }
                texts.push(full.clone());
                if options.v_prefixed {
                    texts.push(format!("v{full}"));
                }
                if v.pre.is_empty() {
                    if options.major_minor {
                        texts.push(format!("{}.{}", v.major, v.minor));
                    }
                    if options.major && (v.major > 0 || options.major_zero) {
                        texts.push(v.major.to_string());
                    }
                    let highest = options
                        .highest
                        .as_ref()
                        .is_none_or(|h| (v.major, v.minor, v.patch) >= (h.major, h.minor, h.patch));
                    if options.latest && highest {
                        texts.push("latest".to_owned());
                    }
                }
            }
            BuildRef::Branch(name) => texts.push(Tag::sanitize(name).to_string()),
            BuildRef::PullRequest(n) => texts.push(format!("pr-{n}")),
        }
        if let Some(sha) = &options.sha {
            texts.push(format!("sha-{sha}"));
        }
        let mut tags: Vec<Tag> = Vec::new();
        for text in texts {
            let tag = Tag::sanitize(&text);
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        tags
    }
}

/// The per-platform form of `tag`: `1.2.3` on linux/arm64 → `1.2.3-arm64`; a variant other than
/// the architecture's default is kept (`1.2.3-armv7`). Cut to the 128-character limit.
///
/// ```
/// use consign_oci::{ImagePlatform, Tag, tags::platform_tag};
/// let t = Tag::new("pr-596")?;
/// assert_eq!(platform_tag(&t, &ImagePlatform::new("linux", "arm64")).as_str(), "pr-596-arm64");
/// assert_eq!(platform_tag(&t, &ImagePlatform::new("linux", "arm").variant("v7")).as_str(), "pr-596-armv7");
/// # Ok::<(), consign_oci::Error>(())
/// ```
pub fn platform_tag(tag: &Tag, platform: &ImagePlatform) -> Tag {
    let mut suffix = platform.architecture.clone();
    if let Some(v) = &platform.variant
        && !(platform.architecture == "arm64" && v == "v8")
    {
        suffix.push_str(v);
    }
    if platform.os != "linux" {
        suffix = format!("{}-{suffix}", platform.os);
    }
    let keep = 128usize.saturating_sub(suffix.len() + 1);
    let base: String = tag.as_str().chars().take(keep).collect();
    Tag::sanitize(&format!("{base}-{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(b: &BuildRef, o: &TagOptions) -> Vec<String> {
        b.tags(o).iter().map(Tag::to_string).collect()
    }

    #[test]
    fn releases_expand_and_prereleases_do_not() {
        let o = TagOptions::default();
        assert_eq!(
            texts(&BuildRef::release("v1.2.3").unwrap(), &o),
            ["1.2.3", "1.2", "1"]
        );
        assert_eq!(
            texts(
                &BuildRef::release("1.2.3+build.5").unwrap(),
                &o.clone().latest(true)
            ),
            ["1.2.3", "1.2", "1", "latest"]
        );
        assert_eq!(
            texts(
                &BuildRef::release("2.0.0-beta.2").unwrap(),
                &o.clone().latest(true)
            ),
            ["2.0.0-beta.2"]
        );
        assert_eq!(
            texts(
                &BuildRef::release("0.4.1").unwrap(),
                &o.clone().major_zero(false)
            ),
            ["0.4.1", "0.4"]
        );
        assert_eq!(
            texts(
                &BuildRef::release("0.4.1").unwrap(),
                &o.clone().major_minor(false)
            ),
            ["0.4.1", "0"]
        );
    }

    #[test]
    fn latest_goes_to_the_highest_stable_release_only() {
        let published: Vec<Tag> = ["1.9.0", "v2.1.0", "2.2.0-rc.1", "latest", "edge"]
            .iter()
            .map(|t| Tag::new(t).unwrap())
            .collect();
        let o = TagOptions::default().latest(true).published(&published);
        let has_latest =
            |v: &str| texts(&BuildRef::release(v).unwrap(), &o).contains(&"latest".to_owned());
        assert!(!has_latest("2.0.5"), "a patch of an older line");
        assert!(has_latest("2.1.0"), "a rebuild of the highest");
        assert!(has_latest("2.1.1"));
        assert!(!has_latest("2.2.0-rc.2"), "a prerelease never");
        // With nothing published, the first release is the highest.
        let first = TagOptions::default().latest(true).published(&[]);
        assert!(texts(&BuildRef::release("0.1.0").unwrap(), &first).contains(&"latest".to_owned()));
        // sha- tags for any build, v-tags for releases; bad commits refused.
        let o = TagOptions::default()
            .v_prefixed(true)
            .sha("ABCDEF0123")
            .unwrap();
        assert_eq!(
            texts(&BuildRef::PullRequest(3), &o),
            ["pr-3", "sha-abcdef0"]
        );
        assert_eq!(
            texts(&BuildRef::release("1.0.0-rc.1").unwrap(), &o),
            ["1.0.0-rc.1", "v1.0.0-rc.1", "sha-abcdef0"]
        );
        for bad in ["abc", "xyz1234", &"a".repeat(65)] {
            assert!(TagOptions::default().sha(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refs_and_bad_input() {
        let o = TagOptions::default();
        assert_eq!(
            texts(
                &BuildRef::from_git_ref("refs/heads/feature/Login").unwrap(),
                &o
            ),
            ["feature-Login"]
        );
        assert_eq!(
            BuildRef::from_git_ref("refs/pull/7/head").unwrap(),
            BuildRef::PullRequest(7)
        );
        for bad in ["refs/pull/x/merge", "refs/notes/a", "refs/tags/1.2", "v1"] {
            let e = BuildRef::from_git_ref(bad)
                .or_else(|_| BuildRef::release(bad))
                .unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn platform_tags_stay_valid() {
        let long = Tag::new(&"a".repeat(128)).unwrap();
        let t = platform_tag(&long, &ImagePlatform::new("windows", "amd64"));
        assert!(t.as_str().ends_with("-windows-amd64") && t.as_str().len() == 128);
        let t = platform_tag(
            &Tag::new("1.2.3").unwrap(),
            &ImagePlatform::new("linux", "arm64").variant("v8"),
        );
        assert_eq!(t.as_str(), "1.2.3-arm64");
    }
}
