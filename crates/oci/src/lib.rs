//! consign-oci: OCI images, image layouts, registry client and multi-arch indexes.
//!
//! Images are built from a [`consign_core::FileTree`] with a [`consign_core::SourceDate`] and
//! described per [`consign_core::Platform`]; blobs are addressed by [`consign_core::Digest`].
//!
//! It has no public items yet; see the project README for what is available today.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
