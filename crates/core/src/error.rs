//! Errors of consign-core, one enum per area, all gathered in [`Error`].

use std::io;
use std::path::{Path, PathBuf};

use crate::digest::{Algorithm, Digest};

/// An I/O failure, with the operation and the path it concerned.
#[derive(Debug, thiserror::Error)]
#[error("cannot {op} {}: {source}", path.display())]
pub struct IoError {
    /// What was being done (`open`, `read`, `write`, `rename`, …).
    pub op: &'static str,
    /// The file concerned.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: io::Error,
}

impl IoError {
    /// Records a failed `op` on `path`.
    pub fn new(op: &'static str, path: impl AsRef<Path>, source: io::Error) -> IoError {
        IoError {
            op,
            path: path.as_ref().to_path_buf(),
            source,
        }
    }
}

/// A digest or algorithm that could not be parsed or combined.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// The algorithm name is not one consign knows.
    #[error("unknown digest algorithm {name:?}: expected one of sha256, sha512, blake3")]
    UnknownAlgorithm {
        /// The name found.
        name: String,
    },
    /// A digest text without the `algorithm:` prefix.
    #[error("digest {text:?} has no algorithm prefix: write it as sha256:<hex>")]
    MissingAlgorithm {
        /// The text found.
        text: String,
    },
    /// The hex part has the wrong length.
    #[error("{algorithm} digest must have {expected} hex digits, found {found}")]
    Length {
        /// The algorithm.
        algorithm: Algorithm,
        /// Hex digits expected.
        expected: usize,
        /// Hex digits found.
        found: usize,
    },
    /// The hex part is not lowercase hexadecimal.
    #[error("digest value {text:?} is not lowercase hexadecimal")]
    Hex {
        /// The text found.
        text: String,
    },
    /// Two different digests for the same algorithm.
    #[error("conflicting digests {first} and {second}")]
    Conflict {
        /// One value.
        first: Box<Digest>,
        /// The other value.
        second: Box<Digest>,
    },
}

/// Any error of consign-core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// See [`IoError`].
    #[error(transparent)]
    Io(#[from] IoError),
    /// See [`DigestError`].
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// See [`crate::checksum::ChecksumError`].
    #[error(transparent)]
    Checksum(#[from] crate::checksum::ChecksumError),
    /// See [`crate::tree::TreeError`].
    #[error(transparent)]
    Tree(#[from] crate::tree::TreeError),
    /// See [`crate::platform::PlatformError`].
    #[error(transparent)]
    Platform(#[from] crate::platform::PlatformError),
    /// See [`crate::source_date::SourceDateError`].
    #[error(transparent)]
    SourceDate(#[from] crate::source_date::SourceDateError),
    /// See [`crate::meta::MetaError`].
    #[error(transparent)]
    Meta(#[from] crate::meta::MetaError),
    /// See [`crate::artifact::ManifestError`].
    #[error(transparent)]
    Manifest(#[from] crate::artifact::ManifestError),
    /// See [`crate::sign::SignError`].
    #[error(transparent)]
    Sign(#[from] crate::sign::SignError),
}
