//! Release operations against registries: [`push_layout`] pushes an image or index from an
//! image layout with its attachments, [`assemble_index`] builds a multi-platform index from
//! images already pushed (by other runners) or local, and [`promote`] copies a manifest or
//! index by digest to another repository or registry with its blobs and attachments, and
//! [`pull_attachments`] reads what is attached to a manifest (cosign tag or referrers).
//!
//! Every operation pushes manifests by their exact bytes, so digests never change on the way,
//! and checks the digest the registry reports. Tags are applied last, once everything they
//! point at is in place.
//!
//! Failures are [`crate::Error`]s: what the registry said in [`crate::Error::Registry`], a
//! layout that cannot be read in its own variants, and what only these operations check in
//! [`crate::Error::PlatformMismatch`], [`crate::Error::NotAnImage`],
//! [`crate::Error::NoDigest`], [`crate::Error::DigestChanged`], [`crate::Error::TooLarge`] and
//! [`crate::Error::TempDir`].
//!
//! ```no_run
//! use consign_oci::ops::{IndexEntry, assemble_index, push_layout};
//! use consign_oci::registry::{Client, ClientOptions};
//! use consign_oci::{ImagePlatform, OciLayout, Reference, Tag};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let target: Reference = "127.0.0.1:5000/acme/tool".parse()?;
//! let client = Client::for_reference(&target, ClientOptions::default().plain_http(true))?;
//! // This runner pushes its amd64 image; another one pushed arm64 as `1.0-arm64`.
//! let layout = OciLayout::open("dist/oci")?;
//! let amd64 = push_layout(&client, &layout, "1.0-amd64", &target, &[Tag::new("1.0-amd64")?]).await?;
//! let arm64 = client.manifest_descriptor(&target.retag(Tag::new("1.0-arm64")?)).await?
//!     .ok_or("the arm64 runner did not push yet")?;
//! let index = assemble_index(
//!     &client,
//!     &target,
//!     vec![
//!         IndexEntry::remote(amd64.descriptor.digest, ImagePlatform::new("linux", "amd64")),
//!         IndexEntry::remote(arm64.digest, ImagePlatform::new("linux", "arm64")),
//!     ],
//!     &[Tag::new("1.0")?],
//! )
//! .await?;
//! println!("pushed {}@{}", target, index.digest);
//! # Ok(()) }
//! ```

mod assemble;
mod attachments;
mod promote;
mod push;

use consign_core::Digest;

use crate::attach::Kind;
use crate::{Descriptor, Error, Index, Manifest, MediaType};

pub use assemble::{AssembledIndex, IndexEntry, assemble_index};
pub use attachments::{pull_attachments, pull_referrer_attachments};
pub use promote::{PromoteSummary, promote};
pub use push::{PushSummary, push_layout};

/// The attachment kinds copied with a manifest (`sha256-<hex>.sig/.att/.sbom` tags).
const KINDS: [Kind; 3] = [Kind::Signatures, Kind::Attestations, Kind::Sboms];

/// The largest image config read to check an index entry's platform.
const MAX_CONFIG_SIZE: u64 = 4 << 20;

/// What a manifest or index points at.
pub(crate) enum Children {
    /// An index: its manifests.
    Manifests(Vec<Descriptor>),
    /// An image or artifact manifest: its config and layers (config first).
    Blobs(Vec<Descriptor>),
}

/// The children of the manifest or index `bytes` of type `media_type`.
pub(crate) fn children(bytes: &[u8], media_type: &MediaType) -> Result<Children, Error> {
    if media_type.is_index() {
        Ok(Children::Manifests(Index::from_json(bytes)?.manifests))
    } else {
        let manifest = Manifest::from_json(bytes)?;
        let mut blobs = Vec::with_capacity(manifest.layers.len() + 1);
        blobs.push(manifest.config);
        blobs.extend(manifest.layers);
        Ok(Children::Blobs(blobs))
    }
}

/// The subject digest of a manifest or index, if it has one.
pub(crate) fn subject_of(bytes: &[u8]) -> Option<Digest> {
    #[derive(serde::Deserialize)]
    struct Head {
        subject: Option<Descriptor>,
    }
    serde_json::from_slice::<Head>(bytes)
        .ok()?
        .subject
        .map(|s| s.digest)
}

/// Blob descriptors without duplicates (a layer used twice, or the empty config), in order.
pub(crate) fn unique(blobs: Vec<Descriptor>) -> Vec<Descriptor> {
    let mut seen = std::collections::HashSet::new();
    blobs
        .into_iter()
        .filter(|d| seen.insert(d.digest))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_subjects_and_duplicates() {
        let config = Descriptor::of(MediaType::ImageConfig, b"{}");
        let layer = Descriptor::of(MediaType::LayerGzip, b"layer");
        let manifest = Manifest::new(config.clone())
            .layer(layer.clone())
            .layer(layer.clone());
        let bytes = manifest.to_json();
        let Children::Blobs(blobs) = children(&bytes, &MediaType::ImageManifest).unwrap() else {
            panic!("an image manifest has blobs");
        };
        assert_eq!(blobs.len(), 3);
        assert_eq!(unique(blobs), [config.clone(), layer]);
        assert_eq!(subject_of(&bytes), None);

        let image = manifest.descriptor();
        let index = Index::new().push(image.clone()).subject(config.clone());
        let Children::Manifests(entries) =
            children(&index.to_json(), &MediaType::ImageIndex).unwrap()
        else {
            panic!("an index has manifests");
        };
        assert_eq!(entries, [image]);
        assert_eq!(subject_of(&index.to_json()), Some(config.digest));
        assert!(children(b"not json", &MediaType::ImageManifest).is_err());
        assert_eq!(subject_of(b"[]"), None);
    }
}
