//! [`Forge`]: links to commits and comparisons on GitHub and GitLab, read from a remote URL.

use std::fmt;

use crate::commit::CommitId;

/// The forges whose link forms are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForgeKind {
    /// github.com (and GitHub Enterprise hosts named `github.*`).
    GitHub,
    /// gitlab.com (and self-hosted instances named `gitlab.*`).
    GitLab,
}

/// A project on a forge, for links in release notes.
///
/// ```
/// use consign_version::{CommitId, Forge, ForgeKind};
/// let forge = Forge::from_remote_url("git@github.com:consign-rs/consign.git").unwrap();
/// assert_eq!(forge.kind(), ForgeKind::GitHub);
/// assert_eq!(forge.url(), "https://github.com/consign-rs/consign");
/// assert_eq!(
///     forge.compare_url("v1.0.0", "v1.1.0"),
///     "https://github.com/consign-rs/consign/compare/v1.0.0...v1.1.0"
/// );
/// let gitlab = Forge::from_remote_url("https://gitlab.com/group/sub/project.git").unwrap();
/// let id = CommitId::from_hex("2c26b46b68ffc68ff99b453c1d30413413422d70")?;
/// assert_eq!(
///     gitlab.commit_url(id),
///     "https://gitlab.com/group/sub/project/-/commit/2c26b46b68ffc68ff99b453c1d30413413422d70"
/// );
/// assert!(Forge::from_remote_url("/srv/git/project.git").is_none());
/// # Ok::<(), consign_version::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forge {
    kind: ForgeKind,
    url: String,
}

impl Forge {
    /// A project at `url` (`https://host/owner/name`, no trailing slash or `.git`).
    pub fn new(kind: ForgeKind, url: impl Into<String>) -> Forge {
        let url = url.into();
        let url = url.trim_end_matches('/');
        let url = url.strip_suffix(".git").unwrap_or(url).to_string();
        Forge { kind, url }
    }

    /// Reads a remote URL in any of git's forms (`https://host/o/r.git`,
    /// `git@host:o/r.git`, `ssh://git@host[:port]/o/r`, `git://host/o/r`); `None` when the
    /// host is not a known forge or the URL has no `owner/name` path.
    pub fn from_remote_url(url: &str) -> Option<Forge> {
        let url = url.trim();
        let (host, path) = if let Some((scheme, rest)) = url.split_once("://") {
            if !matches!(
                scheme,
                "https" | "http" | "ssh" | "git" | "git+ssh" | "ssh+git"
            ) {
                return None;
            }
            let (authority, path) = rest.split_once('/')?;
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let host = host.split_once(':').map_or(host, |(h, _)| h);
            (host, path)
        } else {
            // scp-like: [user@]host:path
            let (authority, path) = url.split_once(':')?;
            if authority.contains('/') || path.starts_with("//") {
                return None;
            }
            (
                authority.rsplit_once('@').map_or(authority, |(_, h)| h),
                path,
            )
        };
        let host = host.to_ascii_lowercase();
        let kind = if host == "github.com" || host.starts_with("github.") {
            ForgeKind::GitHub
        } else if host == "gitlab.com" || host.starts_with("gitlab.") {
            ForgeKind::GitLab
        } else {
            return None;
        };
        let path = path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        let valid = segments.len() >= 2
            && (kind == ForgeKind::GitLab || segments.len() == 2)
            && segments.iter().all(|s| {
                !s.is_empty()
                    && *s != ".."
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            });
        valid.then(|| Forge::new(kind, format!("https://{host}/{path}")))
    }

    /// Which forge.
    pub fn kind(&self) -> ForgeKind {
        self.kind
    }

    /// The project's web address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The web page of a commit.
    pub fn commit_url(&self, id: CommitId) -> String {
        match self.kind {
            ForgeKind::GitHub => format!("{}/commit/{id}", self.url),
            ForgeKind::GitLab => format!("{}/-/commit/{id}", self.url),
        }
    }

    /// The web page comparing two revisions (tags, commits).
    pub fn compare_url(&self, from: &str, to: &str) -> String {
        match self.kind {
            ForgeKind::GitHub => format!("{}/compare/{from}...{to}", self.url),
            ForgeKind::GitLab => format!("{}/-/compare/{from}...{to}", self.url),
        }
    }

    /// The web page of a tag's tree.
    pub fn tag_url(&self, tag: &str) -> String {
        match self.kind {
            ForgeKind::GitHub => format!("{}/tree/{tag}", self.url),
            ForgeKind::GitLab => format!("{}/-/tree/{tag}", self.url),
        }
    }
}

impl fmt::Display for Forge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn remote_forms() {
        let gh = |u: &str| Forge::from_remote_url(u).map(|f| f.url().to_string());
        let want = Some("https://github.com/o/r".to_string());
        assert_eq!(gh("https://github.com/o/r"), want);
        assert_eq!(gh("https://github.com/o/r.git"), want);
        assert_eq!(gh("https://token@github.com/o/r/"), want);
        assert_eq!(gh("git@github.com:o/r.git"), want);
        assert_eq!(gh("ssh://git@github.com:22/o/r.git"), want);
        assert_eq!(gh("git://github.com/o/r"), want);
        assert_eq!(gh("https://github.com/o"), None);
        assert_eq!(gh("https://github.com/o/r/extra"), None);
        assert_eq!(gh("https://example.com/o/r"), None);
        assert_eq!(gh("file:///tmp/x"), None);
        assert_eq!(gh("/tmp/x"), None);
        assert_eq!(gh("C:\\repo"), None);
        assert_eq!(
            gh("git@gitlab.example.org:a/b/c.git"),
            Some("https://gitlab.example.org/a/b/c".to_string())
        );
        let gl = Forge::from_remote_url("https://gitlab.com/a/b").unwrap();
        assert_eq!(
            gl.compare_url("v1", "v2"),
            "https://gitlab.com/a/b/-/compare/v1...v2"
        );
    }

    proptest! {
        #[test]
        fn any_url_is_read_without_panicking(url in "\\PC{0,60}") {
            let _ = Forge::from_remote_url(&url);
        }
    }
}
