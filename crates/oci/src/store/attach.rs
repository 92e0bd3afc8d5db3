//! Attachments (signatures, attestations, SBOMs) written to and read from any [`BlobStore`]:
//! a digest that exists only in a registry (an index assembled there) is signed in place,
//! without staging a layout.

use consign_core::Digest;

use super::{BlobData, BlobStore};
use crate::attach::{Attachment, Attachments, Kind};
use crate::{Descriptor, Error, Manifest, MediaType};

/// The referrer manifests' empty config.
const EMPTY_CONFIG: &[u8] = b"{}";

impl Attachments {
    /// Writes the items into `store` for `subject` in both schemes, merged with what is
    /// already attached there under the tag: the tag-scheme manifest tagged
    /// `sha256-<hex>.<suffix>`, and the referrer manifest with `subject`, which a registry
    /// lists in the subject's referrers (through the referrers API, or the
    /// `sha256-<hex>` fallback tag the client keeps when the registry has no such API).
    /// Returns the two manifests' descriptors (tag scheme, referrer).
    ///
    /// For an image layout, [`Attachments::write_to`] also lists the referrer in
    /// `index.json`.
    pub async fn write_to_store(
        &self,
        store: &dyn BlobStore,
        subject: &Descriptor,
    ) -> Result<(Descriptor, Descriptor), Error> {
        let mut all = match Attachments::read_from_store(store, &subject.digest, self.kind()).await
        {
            Ok(existing) => existing,
            Err(e) if e.is_not_found() => Attachments::new(self.kind()),
            Err(e) => return Err(e),
        };
        for item in self.items() {
            all = all.push(item.clone());
        }
        for item in all.items() {
            put_bytes(store, item.descriptor(), item.content()).await?;
        }
        let (manifest, config) = all.tag_manifest();
        put_bytes(store, manifest.config.clone(), &config).await?;
        let tag = self.kind().tag(&subject.digest);
        let tagged = store
            .put_manifest(&manifest.to_json(), &MediaType::ImageManifest, Some(&tag))
            .await?;
        put_bytes(
            store,
            Descriptor::of(MediaType::Empty, EMPTY_CONFIG),
            EMPTY_CONFIG,
        )
        .await?;
        let referrer = all.referrer_manifest(subject).to_json();
        let referrer = store
            .put_manifest(&referrer, &MediaType::ImageManifest, None)
            .await?
            .artifact_type(self.kind().artifact_type());
        Ok((tagged, referrer))
    }

    /// What is attached to `subject` in `store` under the tag scheme
    /// (`sha256-<hex>.<suffix>`), each item checked against its digest; a not-found error
    /// ([`Error::is_not_found`]) when nothing is.
    pub async fn read_from_store(
        store: &dyn BlobStore,
        subject: &Digest,
        kind: Kind,
    ) -> Result<Attachments, Error> {
        let (_, bytes) = store.manifest(kind.tag(subject).as_str()).await?;
        let manifest = Manifest::from_json(&bytes)?;
        let mut out = Attachments::new(kind);
        for layer in &manifest.layers {
            crate::attach::check_layer(layer)?;
            let content = store.blob(layer).await?.read_small(layer).await?;
            out = out.push(Attachment::from_layer(layer, content));
        }
        Ok(out)
    }
}

/// Stores `bytes` as the blob `descriptor` names, unless `store` has it.
async fn put_bytes(
    store: &dyn BlobStore,
    descriptor: Descriptor,
    bytes: &[u8],
) -> Result<(), Error> {
    if !store.has_blob(&descriptor.digest).await? {
        store
            .put_blob(&descriptor, BlobData::Bytes(bytes.into()))
            .await?;
    }
    Ok(())
}
