//! [`MemoryStore`]: blobs and manifests in memory.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

use consign_core::Digest;

use super::{BlobData, BlobStore, StoreFuture, check_bytes};
use crate::{Descriptor, Error, MediaType, Tag};

/// Blobs, manifests and tags held in memory: for images assembled and pushed without touching
/// the disk, and for tests. Every blob put into it is read whole into memory (digest
/// checked), so keep it for small images; a layout or a registry suits large layers.
///
/// ```
/// use consign_oci::store::MemoryStore;
/// use consign_oci::{Descriptor, MediaType};
///
/// let store = MemoryStore::new();
/// let config = store.insert(MediaType::ImageConfig, b"{}".to_vec());
/// assert_eq!(config, Descriptor::of(MediaType::ImageConfig, b"{}"));
/// assert_eq!(store.get(&config.digest).as_deref(), Some(&b"{}"[..]));
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    blobs: HashMap<Digest, Arc<[u8]>>,
    /// The media types of the manifests and indexes stored.
    manifests: HashMap<Digest, MediaType>,
    tags: BTreeMap<String, Digest>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        // Nothing half-done is left behind by a panic: every change is one insert.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `bytes` as a blob and returns its descriptor with `media_type`.
    pub fn insert(&self, media_type: MediaType, bytes: impl Into<Arc<[u8]>>) -> Descriptor {
        let bytes = bytes.into();
        let descriptor = Descriptor::of(media_type, &bytes);
        self.held().blobs.insert(descriptor.digest, bytes);
        descriptor
    }

    /// The bytes of a blob (or manifest), if held.
    pub fn get(&self, digest: &Digest) -> Option<Arc<[u8]>> {
        self.held().blobs.get(digest).cloned()
    }

    /// The tags, in order.
    pub fn tags(&self) -> Vec<String> {
        self.held().tags.keys().cloned().collect()
    }

    fn not_found(&self, what: String) -> Error {
        Error::NotInStore {
            what,
            store: self.name(),
        }
    }
}

impl BlobStore for MemoryStore {
    fn name(&self) -> String {
        "memory store".to_owned()
    }

    fn has_blob<'a>(&'a self, digest: &'a Digest) -> StoreFuture<'a, bool> {
        Box::pin(async move { Ok(self.held().blobs.contains_key(digest)) })
    }

    fn blob<'a>(&'a self, descriptor: &'a Descriptor) -> StoreFuture<'a, BlobData> {
        Box::pin(async move {
            self.get(&descriptor.digest)
                .map(BlobData::Bytes)
                .ok_or_else(|| self.not_found(format!("blob {}", descriptor.digest)))
        })
    }

    fn put_blob<'a>(&'a self, descriptor: &'a Descriptor, data: BlobData) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if self.held().blobs.contains_key(&descriptor.digest) {
                return Ok(());
            }
            let bytes: Arc<[u8]> = match data {
                BlobData::Bytes(bytes) => bytes,
                BlobData::File(path) => {
                    let mut out = Vec::new();
                    std::fs::File::open(&path)
                        .and_then(|mut f| f.read_to_end(&mut out))
                        .map_err(|e| consign_core::IoError::new("read", &path, e))?;
                    out.into()
                }
                #[cfg(feature = "registry")]
                BlobData::Remote { client, repository } => {
                    let mut out = Vec::new();
                    client.pull_blob(&repository, descriptor, &mut out).await?;
                    out.into()
                }
            };
            check_bytes(&bytes, descriptor, "blob")?;
            self.held().blobs.insert(descriptor.digest, bytes);
            Ok(())
        })
    }

    fn manifest<'a>(&'a self, reference: &'a str) -> StoreFuture<'a, (Descriptor, Vec<u8>)> {
        Box::pin(async move {
            let held = self.held();
            let digest = match reference.parse::<Digest>() {
                Ok(digest) => digest,
                Err(_) => *held
                    .tags
                    .get(reference)
                    .ok_or_else(|| self.not_found(format!("tag {reference:?}")))?,
            };
            let media_type = held
                .manifests
                .get(&digest)
                .ok_or_else(|| self.not_found(format!("manifest {digest}")))?;
            let bytes = &held.blobs[&digest];
            let descriptor = Descriptor::new(media_type.clone(), digest, bytes.len() as u64);
            Ok((descriptor, bytes.to_vec()))
        })
    }

    fn put_manifest<'a>(
        &'a self,
        bytes: &'a [u8],
        media_type: &'a MediaType,
        tag: Option<&'a Tag>,
    ) -> StoreFuture<'a, Descriptor> {
        Box::pin(async move {
            let descriptor = Descriptor::of(media_type.clone(), bytes);
            let mut held = self.held();
            held.blobs.insert(descriptor.digest, bytes.into());
            held.manifests.insert(descriptor.digest, media_type.clone());
            if let Some(tag) = tag {
                held.tags.insert(tag.as_str().to_owned(), descriptor.digest);
            }
            Ok(descriptor)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    #[test]
    fn blobs_are_checked_and_manifests_found_by_tag_and_digest() {
        let store = MemoryStore::new();
        let wanted = Descriptor::of(MediaType::Layer, b"layer");
        let wrong = BlobData::Bytes(Arc::from(&b"other"[..]));
        let err = block_on(store.put_blob(&wanted, wrong)).unwrap_err();
        assert!(matches!(err, Error::DigestMismatch(_)), "{err}");
        assert!(!block_on(store.has_blob(&wanted.digest)).unwrap());

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("blob");
        std::fs::write(&file, b"layer").unwrap();
        block_on(store.put_blob(&wanted, BlobData::File(file))).unwrap();
        assert!(block_on(store.has_blob(&wanted.digest)).unwrap());
        assert!(
            matches!(block_on(store.blob(&wanted)).unwrap(), BlobData::Bytes(b) if &b[..] == b"layer")
        );

        let index = br#"{"schemaVersion":2,"manifests":[]}"#;
        let tag = Tag::new("v1").unwrap();
        let put = block_on(store.put_manifest(index, &MediaType::ImageIndex, Some(&tag))).unwrap();
        for reference in ["v1".to_owned(), put.digest.to_string()] {
            let (found, bytes) = block_on(store.manifest(&reference)).unwrap();
            assert_eq!((found, bytes.as_slice()), (put.clone(), &index[..]));
        }
        assert_eq!(store.tags(), ["v1"]);
        let err = block_on(store.manifest("v2")).unwrap_err();
        assert!(
            err.is_not_found() && err.to_string().contains("memory store"),
            "{err}"
        );
        let missing = Descriptor::of(MediaType::Layer, b"none");
        assert!(block_on(store.blob(&missing)).unwrap_err().is_not_found());
    }
}
