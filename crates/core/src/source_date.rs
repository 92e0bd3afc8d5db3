//! [`SourceDate`]: the one timestamp a reproducible build may use.
//!
//! Every writer takes a `SourceDate` for the mtimes and creation dates it records, so building
//! the same inputs twice gives the same bytes. It comes from `SOURCE_DATE_EPOCH`
//! (<https://reproducible-builds.org/specs/source-date-epoch/>), the commit time of a git
//! revision, or an explicit value.

use std::fmt;
use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The source date: seconds since the Unix epoch, UTC.
///
/// ```
/// use consign_core::SourceDate;
/// let d = SourceDate::from_unix(1_700_000_000);
/// assert_eq!(d.to_rfc3339(), "2023-11-14T22:13:20Z");
/// assert_eq!("1700000000".parse::<SourceDate>()?, d);
/// # Ok::<(), consign_core::SourceDateError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SourceDate(u64);

/// The environment variable defined by the reproducible-builds specification.
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

impl SourceDate {
    /// The latest date every format consign writes can hold (9999-12-31T23:59:59Z).
    pub const MAX: u64 = 253_402_300_799;

    /// A date given in seconds since the epoch.
    ///
    /// Values past [`SourceDate::MAX`] are clamped to it.
    pub fn from_unix(seconds: u64) -> SourceDate {
        SourceDate(seconds.min(Self::MAX))
    }

    /// Reads `SOURCE_DATE_EPOCH`: `Ok(None)` when unset, an error when set but not a
    /// non-negative integer.
    pub fn from_env() -> Result<Option<SourceDate>, SourceDateError> {
        match std::env::var(SOURCE_DATE_EPOCH) {
            Ok(v) => v.parse().map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(SourceDateError::Invalid {
                value: "<non-UTF-8>".into(),
            }),
        }
    }

    /// The committer time of `revision` (a commit, tag or `HEAD`) in the git repository at
    /// `repo`. Runs `git show -s --format=%ct`.
    pub fn from_git(repo: impl AsRef<Path>, revision: &str) -> Result<SourceDate, SourceDateError> {
        let repo = repo.as_ref();
        let out = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["show", "-s", "--format=%ct", revision, "--"])
            .output()
            .map_err(|source| SourceDateError::GitSpawn { source })?;
        if !out.status.success() {
            return Err(SourceDateError::Git {
                revision: revision.to_owned(),
                repo: repo.to_path_buf(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        String::from_utf8_lossy(&out.stdout).trim().parse()
    }

    /// Seconds since the epoch.
    pub fn unix(self) -> u64 {
        self.0
    }

    /// The date as a UTC date-time.
    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.0 as i64)
            .expect("SourceDate is clamped to the range OffsetDateTime holds")
    }

    /// RFC 3339 text in UTC with a `Z` suffix (`2023-11-14T22:13:20Z`).
    pub fn to_rfc3339(self) -> String {
        self.to_datetime()
            .format(&Rfc3339)
            .expect("a clamped UTC date formats as RFC 3339")
    }
}

impl std::str::FromStr for SourceDate {
    type Err = SourceDateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SourceDateError::Invalid {
                value: s.to_owned(),
            });
        }
        t.parse::<u64>()
            .ok()
            .filter(|v| *v <= Self::MAX)
            .map(SourceDate)
            .ok_or_else(|| SourceDateError::Invalid {
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for SourceDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// A source date that could not be determined.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceDateError {
    /// Not a count of seconds since the epoch.
    #[error("invalid source date {value:?}: expected seconds since 1970-01-01 (0..=253402300799)")]
    Invalid {
        /// The value found.
        value: String,
    },
    /// `git` could not be started.
    #[error("cannot run git to read a commit time (is git installed?): {source}")]
    GitSpawn {
        /// The spawn error.
        #[source]
        source: std::io::Error,
    },
    /// `git` refused the revision.
    #[error("git could not read revision {revision:?} in {}: {stderr}", repo.display())]
    Git {
        /// The revision asked for.
        revision: String,
        /// The repository.
        repo: std::path::PathBuf,
        /// What git printed.
        stderr: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format() {
        assert_eq!(
            SourceDate::from_unix(0).to_rfc3339(),
            "1970-01-01T00:00:00Z"
        );
        assert!("-1".parse::<SourceDate>().is_err());
        assert!("1.5".parse::<SourceDate>().is_err());
        assert!("".parse::<SourceDate>().is_err());
        assert!("253402300800".parse::<SourceDate>().is_err());
        assert_eq!(SourceDate::from_unix(u64::MAX).unix(), SourceDate::MAX);
    }

    #[test]
    fn from_git_reads_commit_time() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let st = Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(args)
                .env("GIT_COMMITTER_DATE", "@1600000000 +0200")
                .env("GIT_AUTHOR_DATE", "@1500000000 +0000")
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
                .status()
                .expect("git is installed (Debian package git)");
            assert!(st.success());
        };
        git(&["init", "-q"]);
        git(&["commit", "-q", "--allow-empty", "-m", "x"]);
        assert_eq!(
            SourceDate::from_git(dir.path(), "HEAD").unwrap(),
            SourceDate::from_unix(1_600_000_000)
        );
        assert!(matches!(
            SourceDate::from_git(dir.path(), "no-such-rev"),
            Err(SourceDateError::Git { .. })
        ));
    }
}
