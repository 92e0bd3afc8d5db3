//! consign-oci: OCI images, image layouts, registry client and multi-arch indexes.
//!
//! Images are built from a [`consign_core::FileTree`] with a [`consign_core::SourceDate`] and
//! described per [`consign_core::Platform`]; blobs are addressed by [`consign_core::Digest`].
//!
//! - [`media_type`]: [`MediaType`], OCI and Docker media types (others kept verbatim).
//! - [`descriptor`]: [`Descriptor`] and [`ImagePlatform`], what manifests and indexes point at.
//! - [`reference`]: [`Reference`], [`Repository`] and [`Tag`], image names parsed once.
//! - [`registry`]: [`registry::Client`], an async registry client (push, pull, referrers).
//!
//! ```
//! use consign_oci::{Descriptor, MediaType, Reference, Tag};
//!
//! let image: Reference = "127.0.0.1:5000/acme/tool:1.2.3-amd64".parse()?;
//! let config = Descriptor::of(MediaType::ImageConfig, b"{}");
//! let release = image.retag(Tag::new("1.2.3")?);
//! assert_eq!(release.to_string(), "127.0.0.1:5000/acme/tool:1.2.3");
//! assert_eq!(config.size, 2);
//! # Ok::<(), consign_oci::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod descriptor;
mod error;
pub mod media_type;
pub mod reference;
pub mod registry;

pub use descriptor::{Annotations, Descriptor, ImagePlatform};
pub use error::Error;
pub use media_type::MediaType;
pub use reference::{DOCKER_HUB, Reference, Repository, Tag, registry_is_loopback};
