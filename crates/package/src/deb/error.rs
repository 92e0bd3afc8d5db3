//! [`DebError`]: why a package could not be built.

use std::io;

use consign_core::{IoError, MetaError, PlatformError, RelPath, TreeError};

use crate::archive::ArchiveError;

/// A package that could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DebError {
    /// The package name breaks Debian policy 5.6.1.
    #[error("invalid Debian package name {name:?}: {reason}")]
    Name {
        /// The name.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The version breaks Debian policy 5.6.12.
    #[error("invalid Debian version {version:?}: {reason}")]
    Version {
        /// The version.
        version: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A relation (`Depends`, …) that Debian cannot parse.
    #[error("invalid package relation {relation:?}: {reason}")]
    Relation {
        /// The relation as given.
        relation: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A control field, script or document with a value Debian does not accept.
    #[error("invalid {field} {value:?}: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// The value.
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
    /// Required metadata is missing.
    #[error("missing {field}: {hint}")]
    Missing {
        /// What is missing.
        field: &'static str,
        /// How to give it.
        hint: &'static str,
    },
    /// A configuration-file flag on something that is not a file.
    #[error("{path} is marked as a configuration file but is not a regular file")]
    Conffile {
        /// The entry.
        path: RelPath,
    },
    /// A member larger than an `ar` header can announce.
    #[error("{member} is {size} bytes compressed: an ar member holds at most 9999999999")]
    TooLarge {
        /// The member.
        member: String,
        /// Its size.
        size: u64,
    },
    /// A file of the tree could not be read, or changed while it was packaged.
    #[error("cannot package {path}: {source}")]
    Entry {
        /// The entry.
        path: RelPath,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// An owner name longer than tar can hold.
    #[error("cannot package {path}: owner name {name:?} is longer than 31 bytes")]
    OwnerName {
        /// The entry.
        path: RelPath,
        /// The name.
        name: String,
    },
    /// A `[package.metadata.deb]` key that is unknown or malformed.
    #[error("[package.metadata.deb] key `{key}`: {reason}")]
    Metadata {
        /// The key (`assets[2]`, `depends`, …).
        key: String,
        /// What is wrong and what to write instead.
        reason: String,
    },
    /// Writing the output failed.
    #[error("cannot write the package: {source}")]
    Output {
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// See [`PlatformError`] (a platform without a Debian architecture).
    #[error(transparent)]
    Platform(#[from] PlatformError),
    /// See [`TreeError`].
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// See [`IoError`].
    #[error(transparent)]
    Io(#[from] IoError),
    /// See [`MetaError`].
    #[error(transparent)]
    Meta(#[from] MetaError),
    /// The monitor's interrupt flag was set; nothing was committed.
    #[error(transparent)]
    Interrupted(#[from] consign_core::Interrupted),
    /// The signer failed, or (when verifying) the origin signature does not hold.
    #[error("package signature: {source}")]
    Sign {
        /// What the signer or verifier reported.
        #[source]
        source: consign_core::SignError,
    },
    /// The package has no origin signature (`_gpgorigin` member).
    #[error(
        "{path} has no origin signature (_gpgorigin member): sign it with Deb::signer or debsigs --sign=origin"
    )]
    Unsigned {
        /// The package.
        path: String,
    },
}

impl From<ArchiveError> for DebError {
    fn from(e: ArchiveError) -> Self {
        match e {
            ArchiveError::Entry { path, source } => DebError::Entry { path, source },
            ArchiveError::OwnerName { path, name } => DebError::OwnerName { path, name },
            ArchiveError::Output { source } => DebError::Output { source },
            ArchiveError::Tree(e) => DebError::Tree(e),
            ArchiveError::Io(e) => DebError::Io(e),
            ArchiveError::Interrupted(e) => DebError::Interrupted(e),
            // The tar stage has no level to check, no file name and no zip entry.
            other => DebError::Output {
                source: io::Error::other(other),
            },
        }
    }
}
