//! [`Error`]: the one error type of consign-oci.

#[cfg(feature = "registry")]
use crate::registry::{ErrorCode, RegistryError, RegistryMessage};

/// What went wrong building, reading, laying out, pushing or pulling images: the error of
/// every fallible function of consign-oci.
///
/// With the `registry` feature, registry failures are carried typed in `Error::Registry` (a
/// `registry::RegistryError`, holding the HTTP status and the distribution specification's
/// error codes) and the release operations' failures have variants of their own. The
/// accessors answer the usual questions without matching: [`Error::is_not_found`], and with
/// the `registry` feature `status`, `is_transient`, `registry_errors`, `has_code` and
/// `as_registry`.
///
/// ```
/// # #[cfg(feature = "registry")]
/// fn explain(err: &consign_oci::Error) -> &'static str {
///     use consign_oci::registry::ErrorCode;
///     if err.is_not_found() {
///         "not there (yet)"
///     } else if err.has_code(&ErrorCode::Denied) || err.status() == Some(401) {
///         "check the credentials"
///     } else if err.is_transient() {
///         "try again later"
///     } else {
///         "see the message"
///     }
/// }
/// ```
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
    /// A blob, manifest or tag that a [`crate::store::BlobStore`] does not hold.
    #[error("{what} is not in the {store}")]
    NotInStore {
        /// The blob digest, tag or digest looked for.
        what: String,
        /// The store ([`crate::store::BlobStore::name`]).
        store: String,
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
        "layer {digest} has no bytes on this machine and no store holding them: read the image \
         from its store (Image::read) or pull the layer into the layout (OciLayout::write_blob_from)"
    )]
    LayerNotLocal {
        /// The layer blob's digest.
        digest: consign_core::Digest,
    },
    /// A layer whose tar or compression could not be written.
    #[error("cannot write the layer: {0}")]
    Layer(#[from] consign_package::Error),
    /// A layer tree holding a name OCI layers reserve for whiteouts: a file or directory
    /// named `.wh.<name>` deletes `<name>` from the layers below when the image is unpacked
    /// (and `.wh..wh..opq` hides a whole directory of them), so it cannot stand for itself.
    /// Rename it, or leave it out of the layer.
    #[error(
        "cannot put {path} in a layer: a name starting with `.wh.` is a whiteout in OCI layers \
         (it deletes files of the layers below when unpacked); rename it"
    )]
    Whiteout {
        /// The path of the tree whose last component starts with `.wh.`.
        path: consign_core::RelPath,
    },
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
    /// A program for another platform than the image it was to go into, or one that cannot
    /// be read ([`crate::ProgramImages`]).
    #[error(transparent)]
    Platform(#[from] consign_core::PlatformError),
    /// A file that cannot go into an image's file tree.
    #[error(transparent)]
    Tree(#[from] consign_core::TreeError),
    /// Talking to a registry failed; see [`Error::status`], [`Error::registry_errors`] and
    /// [`Error::is_transient`] for what the registry said.
    #[cfg(feature = "registry")]
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// An index entry's image is for another platform than the one it was given for
    /// ([`crate::ops::assemble_index`]).
    #[cfg(feature = "registry")]
    #[error(
        "manifest {digest} in {repository} is an image for {actual}, not {expected}; pass the \
         digest the {expected} runner pushed"
    )]
    PlatformMismatch {
        /// The manifest.
        digest: Box<consign_core::Digest>,
        /// The repository it is in.
        repository: String,
        /// The platform the caller gave for it.
        expected: Box<crate::ImagePlatform>,
        /// The platform in its config.
        actual: Box<crate::ImagePlatform>,
    },
    /// An index entry that is not a single-platform image manifest
    /// ([`crate::ops::assemble_index`]).
    #[cfg(feature = "registry")]
    #[error(
        "manifest {digest} in {repository} has media type {media_type}: index entries must be \
         image manifests (pass the digest of each platform's image, not of an index)"
    )]
    NotAnImage {
        /// The manifest.
        digest: Box<consign_core::Digest>,
        /// The repository it is in.
        repository: String,
        /// Its media type.
        media_type: crate::MediaType,
    },
    /// A reference that must name a digest does not ([`crate::ops::promote`]).
    #[cfg(feature = "registry")]
    #[error("{reference} names no digest: promote copies by digest (repository@sha256:…)")]
    NoDigest {
        /// The reference given.
        reference: String,
    },
    /// After a copy or push, the registry holds another digest than the source: it rewrote
    /// the manifest.
    #[cfg(feature = "registry")]
    #[error(
        "{what}: the destination has {actual}, the source {expected}; the registry rewrote the \
         manifest, do not tag it"
    )]
    DigestChanged {
        /// The destination reference.
        what: String,
        /// The source digest.
        expected: Box<consign_core::Digest>,
        /// What the destination has.
        actual: Box<consign_core::Digest>,
    },
    /// A blob or manifest is larger than a release operation ([`crate::ops`]) reads into
    /// memory.
    #[cfg(feature = "registry")]
    #[error("{what} is {size} bytes, more than the {limit} bytes read into memory")]
    TooLarge {
        /// The content.
        what: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A temporary directory for blobs copied between registries ([`crate::ops::promote`])
    /// could not be made.
    #[cfg(feature = "registry")]
    #[error("cannot create a temporary directory for copied blobs: {0}; check TMPDIR")]
    TempDir(#[source] std::io::Error),
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
    /// Whether what was asked for does not exist: a blob, manifest, tag or platform not in
    /// the image layout ([`Error::NotFound`]) or a store ([`Error::NotInStore`]), or a
    /// registry that answered 404.
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::NotFound { .. } | Error::NotInStore { .. } => true,
            #[cfg(feature = "registry")]
            Error::Registry(e) => e.is_not_found(),
            _ => false,
        }
    }

    /// The registry error inside, if this is one ([`Error::Registry`]).
    #[cfg(feature = "registry")]
    pub fn as_registry(&self) -> Option<&RegistryError> {
        match self {
            Error::Registry(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status the registry answered with, when it answered with one the operation
    /// could not continue from ([`RegistryError::Status`]).
    #[cfg(feature = "registry")]
    pub fn status(&self) -> Option<u16> {
        self.as_registry().and_then(RegistryError::status)
    }

    /// Whether the same request may succeed if sent again later: the registry answered a
    /// status it uses for overload or outages (408, 429, 5xx) or the connection dropped.
    /// Not after the client's own retries ran out ([`RegistryError::GaveUp`]).
    #[cfg(feature = "registry")]
    pub fn is_transient(&self) -> bool {
        self.as_registry().is_some_and(RegistryError::is_transient)
    }

    /// The registry's error entries (code and message), when it answered with the
    /// distribution specification's error body; empty otherwise.
    #[cfg(feature = "registry")]
    pub fn registry_errors(&self) -> &[RegistryMessage] {
        self.as_registry()
            .map_or(&[], RegistryError::registry_errors)
    }

    /// Whether the registry answered with the distribution error code `code`
    /// (`MANIFEST_UNKNOWN`, `DENIED`, …).
    #[cfg(feature = "registry")]
    pub fn has_code(&self, code: &ErrorCode) -> bool {
        self.as_registry().is_some_and(|e| e.has_code(code))
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn not_in_layout() -> Error {
        Error::NotFound {
            what: "tag 1.0".to_owned(),
            layout: "dist/oci".into(),
            hint: "build it first",
        }
    }

    #[test]
    fn a_layout_miss_is_not_found() {
        assert!(not_in_layout().is_not_found());
        let invalid = Error::Invalid {
            what: "index.json".to_owned(),
            reason: "no manifests".to_owned(),
        };
        assert!(!invalid.is_not_found());
    }

    #[cfg(feature = "registry")]
    fn status(status: u16, code: ErrorCode, message: &str) -> Error {
        Error::from(RegistryError::Status {
            what: "manifest 127.0.0.1:5000/acme/tool:1.0".to_owned(),
            status,
            errors: vec![RegistryMessage {
                code,
                message: message.to_owned(),
            }],
            hint: "",
        })
    }

    #[cfg(feature = "registry")]
    #[test]
    fn registry_answers_are_read_through_the_accessors() {
        let unknown = status(404, ErrorCode::ManifestUnknown, "manifest unknown");
        assert_eq!(unknown.status(), Some(404));
        assert!(unknown.is_not_found());
        assert!(!unknown.is_transient());
        assert!(unknown.has_code(&ErrorCode::ManifestUnknown));
        assert!(!unknown.has_code(&ErrorCode::BlobUnknown));
        assert_eq!(unknown.registry_errors().len(), 1);
        assert_eq!(unknown.registry_errors()[0].message, "manifest unknown");
        assert!(matches!(
            unknown.as_registry(),
            Some(RegistryError::Status { status: 404, .. })
        ));
        let text = unknown.to_string();
        assert!(text.contains("404") && text.contains("MANIFEST_UNKNOWN: manifest unknown"));

        let busy = status(429, ErrorCode::TooManyRequests, "slow down");
        assert!(busy.is_transient());
        assert!(!busy.is_not_found());
        assert!(busy.has_code(&ErrorCode::TooManyRequests));
        assert!(status(503, ErrorCode::Unsupported, "").is_transient());
        assert!(!status(401, ErrorCode::Unauthorized, "").is_transient());

        // A real transport error: nothing listens on port 1.
        let refused = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let options = crate::registry::ClientOptions::default();
                let http = reqwest::Client::builder()
                    .tls_backend_preconfigured(crate::registry::client::tls_config(&options)?)
                    .build()
                    .map_err(|e| RegistryError::Tls {
                        detail: e.to_string(),
                    })?;
                Ok::<_, RegistryError>(http.get("http://127.0.0.1:1/").send().await)
            })
            .unwrap()
            .unwrap_err();
        let dropped = Error::from(RegistryError::Dropped {
            what: "blob".to_owned(),
            source: refused,
        });
        assert!(
            std::error::Error::source(&dropped).is_some(),
            "the cause is chained"
        );
        assert!(dropped.is_transient());
        assert_eq!(dropped.status(), None);
        assert!(dropped.registry_errors().is_empty());

        let gave_up = Error::from(RegistryError::GaveUp {
            what: "blob".to_owned(),
            attempts: 3,
            elapsed: std::time::Duration::from_secs(1),
            last: "HTTP 503".to_owned(),
        });
        assert!(!gave_up.is_transient());
    }

    #[cfg(feature = "registry")]
    #[test]
    fn other_errors_answer_nothing_registry_like() {
        let layout = not_in_layout();
        assert_eq!(layout.status(), None);
        assert!(!layout.is_transient());
        assert!(layout.registry_errors().is_empty());
        assert!(!layout.has_code(&ErrorCode::ManifestUnknown));
        assert!(layout.as_registry().is_none());

        let temp = Error::TempDir(std::io::Error::other("read-only file system"));
        assert!(!temp.is_not_found() && !temp.is_transient());
        let source = std::error::Error::source(&temp).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("read-only file system"));
    }

    #[cfg(feature = "registry")]
    #[test]
    fn release_operation_messages_name_the_digests() {
        let a = consign_core::Digest::of(consign_core::Algorithm::Sha256, b"a");
        let b = consign_core::Digest::of(consign_core::Algorithm::Sha256, b"b");
        let err = Error::DigestChanged {
            what: "127.0.0.1:5000/acme/tool@sha256:…".to_owned(),
            expected: Box::new(a),
            actual: Box::new(b),
        };
        let text = err.to_string();
        assert!(text.contains(&format!("the destination has {b}, the source {a}")));
    }
}
