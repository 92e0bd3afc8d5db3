//! consign-oci: OCI images, image layouts, registry client and multi-arch indexes.
//!
//! Images are built from a [`consign_core::FileTree`] with a [`consign_core::SourceDate`] and
//! described per [`consign_core::Platform`]; blobs are addressed by [`consign_core::Digest`].
//!
//! - [`media_type`]: [`MediaType`], OCI and Docker media types (others kept verbatim).
//! - [`descriptor`]: [`Descriptor`] and [`ImagePlatform`], what manifests and indexes point at.
//! - [`mod@reference`]: [`Reference`], [`Repository`] and [`Tag`], image names parsed once.
//! - [`tags`]: [`tags::BuildRef`] expands a release, branch or pull request into its tags.
//! - [`manifest`]: [`Manifest`], OCI image manifests and Docker schema 2 manifests.
//! - [`index`]: [`Index`], OCI image indexes and Docker manifest lists, changed functionally.
//! - [`config`]: [`Config`], the image configuration (unknown fields kept).
//! - [`annotation`]: the `org.opencontainers.image.*` keys.
//! - [`layer`]: [`Layer`], and [`LayerBuilder`], which writes one from a `FileTree`.
//! - [`image`]: [`Image`], config + layers, changed functionally.
//! - [`layout`]: [`OciLayout`], the OCI image layout on disk.
//! - [`store`]: [`store::BlobStore`], one trait over layouts, memory
//!   ([`store::MemoryStore`]) and registry repositories (`store::RegistryStore`), which
//!   [`Image::read`] and [`Image::write`] work on: an image built on a base in a registry is
//!   pushed without passing through a layout.
//! - [`attach`]: [`attach::Attachments`], signatures, attestations and SBOMs attached to a
//!   manifest by cosign tag (`sha256-<hex>.sig`) and as OCI 1.1 referrers.
//! - `registry` (feature `registry`, on by default): `registry::Client`, an async registry
//!   client (push, pull, referrers) on tokio, reqwest and rustls.
//! - `ops` (feature `registry`): release operations on registries: push a layout with its
//!   attachments, assemble a multi-platform index, promote by digest.
//!
//! Every fallible function returns [`Error`]. What a registry said is kept typed inside it
//! (`Error::Registry` holds a `registry::RegistryError`) and read without matching:
//! [`Error::is_not_found`], and with the `registry` feature `status()`, `is_transient()`,
//! `registry_errors()`, `has_code(&ErrorCode::…)` and `as_registry()`.
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
//!
//! Building an image into a layout, with no registry at all:
//!
//! ```
//! use consign_core::{Entry, FileTree, Platform, SourceDate};
//! use consign_oci::{History, Image, ImagePlatform, LayerBuilder, OciLayout, Tag};
//!
//! let mut tree = FileTree::new();
//! tree.insert("usr/bin/tool", Entry::bytes(b"#!/bin/sh\necho tool\n".to_vec()).mode(0o755))?;
//! let date = SourceDate::from_unix(1_700_000_000);
//!
//! let dir = tempfile::tempdir()?;
//! let layout = OciLayout::create(dir.path())?;
//! let layer = LayerBuilder::new(&tree, date).write_into(&layout)?;
//! let platform = ImagePlatform::from(&Platform::from_oci("linux/amd64")?);
//! let image = Image::new(&platform)
//!     .append_layer(layer, History::new("consign: tool").created(date))
//!     .with_config(|c| c.entrypoint(["/usr/bin/tool"]).env("PATH", "/usr/bin"))
//!     .created(date);
//! let descriptor = image.write_to(&layout, Some(&Tag::new("1.0")?))?;
//! assert_eq!(layout.resolve("1.0")?.digest, descriptor.digest);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod annotation;
pub mod attach;
pub mod config;
pub mod descriptor;
mod error;
pub mod image;
pub mod index;
mod json;
pub mod layer;
pub mod layout;
pub mod manifest;
pub mod media_type;
#[cfg(feature = "registry")]
pub mod ops;
pub mod program;
pub mod reference;
#[cfg(feature = "registry")]
pub mod registry;
pub mod store;
pub mod tags;

pub use config::{Config, History, RootFs, RunConfig};
pub use descriptor::{Annotations, Descriptor, ImagePlatform};
pub use error::{Error, Mismatch};
pub use image::Image;
pub use index::Index;
pub use layer::{Layer, LayerBuilder, LayerCompression, LayerOptions};
pub use layout::{BlobFile, BlobReader, BlobWriter, OciLayout};
pub use manifest::Manifest;
pub use media_type::MediaType;
pub use program::{ProgramImages, WrittenImages};
pub use reference::{DOCKER_HUB, Reference, Repository, Tag, registry_is_loopback};
