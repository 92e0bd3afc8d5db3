//! [`SbomError`]: everything that can stop an inventory or a document.

use std::path::PathBuf;

use consign_core::IoError;

use crate::license::LicenseError;

/// An inventory that cannot be built or a document that cannot be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SbomError {
    /// `cargo metadata` could not run or refused the project.
    #[error("cargo metadata failed for {}: {source}", manifest.display())]
    Cargo {
        /// The manifest given.
        manifest: PathBuf,
        /// Cargo's error.
        #[source]
        source: Box<cargo_metadata::Error>,
    },
    /// The package is not a member of the workspace.
    #[error("package {name:?} is not in the workspace (members: {})", available.join(", "))]
    PackageNotFound {
        /// The name asked for.
        name: String,
        /// The members found.
        available: Vec<String>,
    },
    /// No `Cargo.lock` next to the manifest or in a directory above it.
    #[error(
        "no Cargo.lock for {}: run `cargo generate-lockfile` and commit the lock file",
        manifest.display()
    )]
    MissingLockfile {
        /// The manifest given.
        manifest: PathBuf,
    },
    /// `Cargo.lock` is not a lock file Cargo writes.
    #[error("cannot parse {}: {source}", lockfile_name(path.as_deref()))]
    Lockfile {
        /// The lock file, when it was read from one.
        path: Option<PathBuf>,
        /// The TOML parser's error.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A `Cargo.lock` checksum that is not a SHA-256 digest, or contradicts another.
    #[error(
        "{}: the checksum {value:?} of {package} {version} is unusable: {reason}; run \
         `cargo update --workspace` to have Cargo write the lock file again",
        lockfile_name(path.as_deref())
    )]
    LockfileChecksum {
        /// The lock file, when it was read from one.
        path: Option<PathBuf>,
        /// The package.
        package: String,
        /// Its version.
        version: String,
        /// The checksum as written.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `rustc` does not know the target triple.
    #[error("unknown target triple {triple:?}: {detail} (see `rustc --print target-list`)")]
    UnknownTarget {
        /// The triple asked for.
        triple: String,
        /// What rustc said.
        detail: String,
    },
    /// `rustc` could not be run to read a target's configuration.
    #[error("cannot run {rustc} to read the target configuration: {source}")]
    Rustc {
        /// The rustc program.
        rustc: String,
        /// The spawn error.
        #[source]
        source: std::io::Error,
    },
    /// A feature asked for that the package does not have.
    #[error("package {package:?} has no feature {feature:?} (features: {})", available.join(", "))]
    UnknownFeature {
        /// The package.
        package: String,
        /// The feature asked for.
        feature: String,
        /// The features it has.
        available: Vec<String>,
    },
    /// A dependency that the features activate is missing from Cargo's resolve.
    #[error(
        "dependency {dependency:?} of {package} is activated but not in Cargo's resolve: run `cargo update -p {dependency}`"
    )]
    Unresolved {
        /// The depending package (`name@version`).
        package: String,
        /// The dependency name.
        dependency: String,
    },
    /// A package's license field is not an SPDX expression.
    #[error("package {package} declares license {value:?}: {source}")]
    License {
        /// The package (`name@version`).
        package: String,
        /// The license field.
        value: String,
        /// Why it does not parse.
        #[source]
        source: LicenseError,
    },
    /// A file of the tree cannot be read for hashing.
    #[error("cannot read {path} of the file tree: {source}")]
    File {
        /// The path in the tree.
        path: String,
        /// The read error.
        #[source]
        source: std::io::Error,
    },
    /// Writing a document failed.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A document could not be serialized.
    #[error("cannot serialize the document: {source}")]
    Json {
        /// serde_json's error.
        #[source]
        source: serde_json::Error,
    },
    /// An SBOM file name that is not a valid artifact name.
    #[error(transparent)]
    Artifact(#[from] consign_core::ManifestError),
}

fn lockfile_name(path: Option<&std::path::Path>) -> String {
    path.map_or_else(|| "Cargo.lock".to_owned(), |p| p.display().to_string())
}
