//! The error type of consign-oci.

/// What went wrong building, reading, laying out, pushing or pulling images.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A repository, tag or image reference that the distribution grammar refuses.
    #[error("invalid {kind} {text:?}: {reason}")]
    InvalidName {
        /// `repository`, `tag` or `image reference`.
        kind: &'static str,
        /// The text given.
        text: String,
        /// The rule it breaks.
        reason: String,
    },
    /// A manifest, index or config whose JSON cannot be read.
    #[error("cannot read {what}: {source}")]
    Json {
        /// What was being read (`image manifest sha256:…`, `index.json`, …).
        what: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// JSON that parses but breaks the OCI specification.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was read.
        what: String,
        /// The rule it breaks.
        reason: String,
    },
    /// Content whose digest or size is not the one its descriptor names: the blob is corrupt
    /// or the descriptor is wrong. Remove the blob and fetch or build it again.
    #[error("{0}")]
    DigestMismatch(Box<Mismatch>),
    /// A blob, manifest or tag that is not in the image layout.
    #[error("{what} is not in the image layout {}: {hint}", layout.display())]
    NotFound {
        /// The blob digest, tag or digest looked for.
        what: String,
        /// The layout directory.
        layout: std::path::PathBuf,
        /// What to do.
        hint: &'static str,
    },
    /// A directory that is not an OCI image layout (no or a wrong `oci-layout` file).
    #[error("{} is not an OCI image layout: {reason}", path.display())]
    NotALayout {
        /// The directory.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A media type that cannot be used where it was found.
    #[error("{what} has media type {media_type}, expected {expected}")]
    MediaType {
        /// The content.
        what: String,
        /// The media type found.
        media_type: crate::MediaType,
        /// What was expected.
        expected: &'static str,
    },
    /// A layer whose bytes are not on this machine (read from a registry's manifest).
    #[error(
        "layer {digest} has no bytes on this machine: pull it into the layout first (OciLayout::write_blob_from)"
    )]
    LayerNotLocal {
        /// The layer blob's digest.
        digest: consign_core::Digest,
    },
    /// A layer whose tar or compression could not be written.
    #[error("cannot write the layer: {0}")]
    Layer(#[from] consign_package::Error),
    /// A digest algorithm other than SHA-256 where OCI layouts and configs require SHA-256.
    #[error("{what} uses {digest}: only sha256 digests are supported here")]
    Algorithm {
        /// The content.
        what: String,
        /// The digest.
        digest: consign_core::Digest,
    },
    /// See [`consign_core::IoError`].
    #[error(transparent)]
    Io(#[from] consign_core::IoError),
    /// Talking to a registry failed.
    #[cfg(feature = "registry")]
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
}

/// The details of [`Error::DigestMismatch`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: expected {expected} ({expected_size} bytes), got {actual} ({actual_size} bytes)")]
#[non_exhaustive]
pub struct Mismatch {
    /// The blob or manifest (`blob sha256:… in /path/layout`).
    pub what: String,
    /// The digest the descriptor names.
    pub expected: consign_core::Digest,
    /// The digest of the bytes.
    pub actual: consign_core::Digest,
    /// The size the descriptor names.
    pub expected_size: u64,
    /// The size of the bytes.
    pub actual_size: u64,
}

impl Error {
    /// An [`Error::DigestMismatch`].
    pub(crate) fn mismatch(
        what: String,
        expected: &crate::Descriptor,
        actual: consign_core::Digest,
        actual_size: u64,
    ) -> Error {
        Error::DigestMismatch(Box::new(Mismatch {
            what,
            expected: expected.digest,
            actual,
            expected_size: expected.size,
            actual_size,
        }))
    }
}
