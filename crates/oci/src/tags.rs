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
}

impl Default for TagOptions {
    fn default() -> TagOptions {
        TagOptions {
            latest: false,
            major_minor: true,
            major: true,
            major_zero: true,
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
                texts.push(full);
                if v.pre.is_empty() {
                    if options.major_minor {
                        texts.push(format!("{}.{}", v.major, v.minor));
                    }
                    if options.major && (v.major > 0 || options.major_zero) {
                        texts.push(v.major.to_string());
                    }
                    if options.latest {
                        texts.push("latest".to_owned());
                    }
                }
            }
            BuildRef::Branch(name) => texts.push(Tag::sanitize(name).to_string()),
            BuildRef::PullRequest(n) => texts.push(format!("pr-{n}")),
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
