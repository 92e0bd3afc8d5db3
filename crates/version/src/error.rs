//! [`Error`]: everything that can stop reading a history, planning a release or editing a
//! workspace. "Nothing to release" is not an error: it is [`Next::Nothing`](crate::Next).

use std::path::PathBuf;

use consign_core::IoError;
use consign_core::sign::{SignError, SignatureFormat};

/// A history that cannot be read, a plan that cannot be made or a manifest that cannot be
/// edited.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No git repository at or above the directory.
    #[error("no git repository at {}: {source}", path.display())]
    Open {
        /// The directory given.
        path: PathBuf,
        /// gix's error.
        #[source]
        source: Box<gix::Error>,
    },
    /// The revision does not name a commit (a typo, an unborn branch, a tag not fetched).
    #[error("cannot resolve revision {rev:?} to a commit: {detail}")]
    Revision {
        /// The revision given.
        rev: String,
        /// What failed.
        detail: String,
    },
    /// Reading objects or references failed (a damaged repository).
    #[error("git: cannot {action}: {source}")]
    Git {
        /// What was being read.
        action: &'static str,
        /// gix's error.
        #[source]
        source: Box<gix::Error>,
    },
    /// The clone is shallow and its history stops before the last release tag, so the commits
    /// since that release cannot all be seen.
    #[error(
        "the clone at {} is shallow and its history stops before the last release tag{}: run \
         `git fetch --unshallow --tags` (in CI, check out with full history, e.g. \
         actions/checkout's `fetch-depth: 0`)",
        path.display(),
        tag.as_deref().map(|t| format!(" (last tag seen: {t})")).unwrap_or_default()
    )]
    Shallow {
        /// The repository.
        path: PathBuf,
        /// The release tag found within the shallow history, if any.
        tag: Option<String>,
    },
    /// A tag pattern without `{version}`, or with a placeholder this crate does not know.
    #[error("invalid tag pattern {pattern:?}: {reason}")]
    TagPattern {
        /// The pattern given.
        pattern: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A prerelease channel name that SemVer does not allow (`rc`, `beta`, `alpha.x` are fine).
    #[error(
        "invalid prerelease channel {name:?}: use ASCII letters, digits and hyphens, starting with a letter"
    )]
    Channel {
        /// The name given.
        name: String,
    },
    /// A version that is not SemVer where one is required.
    #[error("{what} {text:?} is not a SemVer version: {source}")]
    Version {
        /// Where it was found.
        what: String,
        /// The text.
        text: String,
        /// The parser's error.
        #[source]
        source: semver::Error,
    },
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A manifest or lock file that is not valid TOML.
    #[error("cannot parse {}: {source}", path.display())]
    Toml {
        /// The file.
        path: PathBuf,
        /// toml_edit's error.
        #[source]
        source: Box<toml_edit::TomlError>,
    },
    /// A manifest that Cargo would refuse, or that this crate cannot edit safely.
    #[error("{}: {reason}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A dependency requirement on a workspace crate that cannot be moved to the new version
    /// without changing its meaning (a range such as `>=0.1, <0.3`).
    #[error(
        "{}: the requirement {requirement:?} on {dependency} does not accept {version}; \
         write it as a single version (\"{version}\") so it can be updated",
        path.display()
    )]
    Requirement {
        /// The manifest holding it.
        path: PathBuf,
        /// The dependency's package name.
        dependency: String,
        /// The requirement as written.
        requirement: String,
        /// The new version.
        version: semver::Version,
    },
    /// Crates that share `workspace.package.version` were given different versions.
    #[error(
        "crates {} inherit workspace.package.version but would get different versions ({}); \
         give them their own `version` to release them separately",
        crates.join(", "),
        versions.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
    )]
    SharedVersion {
        /// The crates that inherit the version.
        crates: Vec<String>,
        /// The versions asked for.
        versions: Vec<semver::Version>,
    },
    /// The package is not a member of the workspace.
    #[error("package {name:?} is not a member of the workspace (members: {})", members.join(", "))]
    UnknownPackage {
        /// The name given.
        name: String,
        /// The members found.
        members: Vec<String>,
    },
    /// The changelog already has a section for the version.
    #[error("{} already has a section for {version}", path.display())]
    AlreadyReleased {
        /// The changelog.
        path: PathBuf,
        /// The version.
        version: String,
    },
    /// A tagger identity git would refuse.
    #[error("invalid tagger {text:?}: {reason}")]
    Tagger {
        /// The identity given.
        text: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A tag that cannot be written as git would read it: a name git refuses, or a message
    /// with a line git would take for a signature.
    #[error("cannot create tag {name:?}: {reason}")]
    TagObject {
        /// The tag's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A signer that cannot make what a signed git tag carries: an armored detached OpenPGP
    /// signature.
    #[error(
        "key {key} signs {} only: a signed git tag needs an armored OpenPGP signature; use an \
         OpenPGP key",
        formats.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(", ")
    )]
    TagSigner {
        /// The signer's key.
        key: String,
        /// What it can produce (or what it produced).
        formats: Vec<SignatureFormat>,
    },
    /// Signing the tag failed.
    #[error("cannot sign tag {tag}: {source}")]
    Sign {
        /// The tag's name.
        tag: String,
        /// The signer's error.
        #[source]
        source: SignError,
    },
    /// The tag already exists and names another object.
    #[error(
        "tag {name} already exists (object {existing}) and differs from the one asked for: \
         delete it (`git tag -d {name}`) or release under another name"
    )]
    TagExists {
        /// The tag's name.
        name: String,
        /// The object the existing reference names.
        existing: String,
    },
}

impl Error {
    pub(crate) fn git(action: &'static str, source: impl Into<gix::Error>) -> Error {
        Error::Git {
            action,
            source: Box::new(source.into()),
        }
    }
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
