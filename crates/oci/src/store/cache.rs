//! [`CachingStore`]: a store whose blobs are kept in an image layout once read.

use consign_core::Digest;

use super::{BlobData, BlobStore, StoreFuture};
use crate::{Descriptor, MediaType, OciLayout, Tag};

/// A store (a base image's registry repository, typically) whose blobs are copied into an
/// image layout the first time they are read and served from it afterwards: the next build
/// on the same base reads no layer from the network. Blobs are checked against their digest
/// on the way in; manifests and tags are always asked of the store itself (a tag may move),
/// and what is written goes to the store.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// use consign_oci::store::{BlobData, BlobStore, CachingStore, MemoryStore};
/// use consign_oci::{MediaType, OciLayout};
///
/// let remote = MemoryStore::new();
/// let blob = remote.insert(MediaType::Layer, b"layer bytes".to_vec());
/// let dir = tempfile::tempdir()?;
/// let cached = CachingStore::new(remote, OciLayout::create(dir.path())?);
/// let BlobData::File(path) = cached.blob(&blob).await? else { unreachable!() };
/// assert_eq!(std::fs::read(path)?, b"layer bytes");
/// assert!(cached.cache().contains(&blob.digest));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct CachingStore<S> {
    inner: S,
    cache: OciLayout,
}

impl<S: BlobStore> CachingStore<S> {
    /// `inner`, its blobs cached in `cache`.
    pub fn new(inner: S, cache: OciLayout) -> CachingStore<S> {
        CachingStore { inner, cache }
    }

    /// The layout holding the cached blobs.
    pub fn cache(&self) -> &OciLayout {
        &self.cache
    }

    /// The store behind the cache.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: BlobStore> BlobStore for CachingStore<S> {
    fn name(&self) -> String {
        format!(
            "{} (blobs cached in {})",
            self.inner.name(),
            self.cache.path().display()
        )
    }

    fn has_blob<'a>(&'a self, digest: &'a Digest) -> StoreFuture<'a, bool> {
        self.inner.has_blob(digest)
    }

    fn blob<'a>(&'a self, descriptor: &'a Descriptor) -> StoreFuture<'a, BlobData> {
        Box::pin(async move {
            if !self.cache.contains(&descriptor.digest) {
                let data = self.inner.blob(descriptor).await?;
                self.cache.put_blob(descriptor, data).await?;
            }
            Ok(BlobData::File(self.cache.blob_path(&descriptor.digest)))
        })
    }

    fn put_blob<'a>(&'a self, descriptor: &'a Descriptor, data: BlobData) -> StoreFuture<'a, ()> {
        self.inner.put_blob(descriptor, data)
    }

    fn manifest<'a>(&'a self, reference: &'a str) -> StoreFuture<'a, (Descriptor, Vec<u8>)> {
        self.inner.manifest(reference)
    }

    fn put_manifest<'a>(
        &'a self,
        bytes: &'a [u8],
        media_type: &'a MediaType,
        tag: Option<&'a Tag>,
    ) -> StoreFuture<'a, Descriptor> {
        self.inner.put_manifest(bytes, media_type, tag)
    }
}
