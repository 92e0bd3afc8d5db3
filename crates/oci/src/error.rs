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
    /// Talking to a registry failed.
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
}
