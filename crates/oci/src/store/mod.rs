//! [`BlobStore`]: where images and indexes are read from and written to, behind one trait.
//!
//! An image layout on disk ([`crate::OciLayout`]), a set of blobs in memory ([`MemoryStore`]) and a
//! registry repository (`RegistryStore`, feature `registry`) hold the same things: blobs
//! addressed by digest, and manifests or indexes by digest or tag. [`crate::Image::read`]
//! and [`crate::Image::write`] work on any of them, and an image read from one store keeps
//! pointing at it for its layers' bytes, so an image built on a base in a registry is pushed
//! to another repository or registry without passing through a layout: blobs the target
//! holds are skipped, blobs on the same registry are mounted, the rest are streamed through a
//! temporary file (bounded memory), never loaded whole.
//!
//! The trait's methods return boxed futures so that stores can be used as
//! `Arc<dyn BlobStore>`. The layout and memory stores do their file work on the calling
//! thread and need no runtime (any executor, or none: their futures are ready at once); the
//! registry store needs tokio.
//!
//! ```
//! use std::sync::Arc;
//! use consign_core::{Entry, FileTree, Platform, SourceDate};
//! use consign_oci::store::{BlobStore, MemoryStore};
//! use consign_oci::{History, Image, ImagePlatform, LayerBuilder, OciLayout, Tag};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let date = SourceDate::from_unix(1_700_000_000);
//! let mut tree = FileTree::new();
//! tree.insert("etc/motd", Entry::bytes(b"hello\n".to_vec()))?;
//!
//! // Build into memory: the layer's bytes live in the store.
//! let memory: Arc<dyn BlobStore> = Arc::new(MemoryStore::new());
//! let layer = LayerBuilder::new(&tree, date).write_into_store(memory.clone()).await?;
//! let platform = ImagePlatform::from(&Platform::from_oci("linux/amd64")?);
//! let image = Image::new(&platform).append_layer(layer, History::new("motd")).created(date);
//! let written = image.write(memory.as_ref(), Some(&Tag::new("1.0")?)).await?;
//!
//! // Read it back by tag and copy it, layers included, into a layout on disk.
//! let again = Image::read(memory.clone(), "1.0").await?;
//! assert_eq!(again.digest(), written.digest);
//! let dir = tempfile::tempdir()?;
//! let layout = OciLayout::create(dir.path())?;
//! again.write(&layout, Some(&Tag::new("1.0")?)).await?;
//! assert_eq!(layout.resolve("1.0")?.digest, written.digest);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```

mod attach;
mod cache;
mod layout;
mod memory;
#[cfg(feature = "registry")]
mod registry;

use std::fmt;
use std::future::Future;
use std::io::Read;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use consign_core::Digest;

use crate::layout::BlobReader;
use crate::{Descriptor, Error, MediaType, Tag};

pub use cache::CachingStore;
pub use memory::MemoryStore;
#[cfg(feature = "registry")]
pub use registry::RegistryStore;

/// What a [`BlobStore`] method returns: a boxed future, so that stores can be `dyn`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// The largest config (or other small blob) read into memory from a store.
pub(crate) const MAX_SMALL_BLOB: u64 = 4 << 20;

/// A place that holds blobs by digest and manifests or indexes by digest or tag: an image
/// layout, memory, a registry repository. See the [module documentation](self).
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// What the store is, for messages (`layout /tmp/x`, `registry 127.0.0.1:5000/acme/tool`).
    fn name(&self) -> String;

    /// Whether the store holds the blob.
    fn has_blob<'a>(&'a self, digest: &'a Digest) -> StoreFuture<'a, bool>;

    /// Where the blob's bytes can be had: a file, bytes in memory, or a registry repository
    /// (read when they are needed). Fails when the store lacks the blob, except for a
    /// registry, whose answer comes when the bytes are read.
    fn blob<'a>(&'a self, descriptor: &'a Descriptor) -> StoreFuture<'a, BlobData>;

    /// Stores the blob `descriptor` names, taking its bytes from `data`; they must have the
    /// descriptor's size and digest, or nothing is stored. A blob already held is kept.
    fn put_blob<'a>(&'a self, descriptor: &'a Descriptor, data: BlobData) -> StoreFuture<'a, ()>;

    /// The manifest or index `reference` (a tag, or a digest `sha256:…`) names: its
    /// descriptor and its bytes, untouched.
    fn manifest<'a>(&'a self, reference: &'a str) -> StoreFuture<'a, (Descriptor, Vec<u8>)>;

    /// Stores manifest or index `bytes` of `media_type` (every blob it names must be stored
    /// first), tagged `tag` when given; returns its descriptor.
    fn put_manifest<'a>(
        &'a self,
        bytes: &'a [u8],
        media_type: &'a MediaType,
        tag: Option<&'a Tag>,
    ) -> StoreFuture<'a, Descriptor>;
}

/// Where a blob's bytes are: what [`BlobStore::blob`] returns and [`BlobStore::put_blob`]
/// takes.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum BlobData {
    /// A file holding exactly the blob.
    File(PathBuf),
    /// The bytes.
    Bytes(Arc<[u8]>),
    /// A blob of a registry repository, downloaded (digest checked) when it is read; a
    /// registry store on the same registry mounts it instead.
    #[cfg(feature = "registry")]
    Remote {
        /// The client for its registry.
        client: crate::registry::Client,
        /// The repository holding it.
        repository: crate::Repository,
    },
}

impl BlobData {
    /// Reads a blob of at most [`MAX_SMALL_BLOB`] bytes (a config, an attachment) into
    /// memory, checking its size and digest.
    pub(crate) async fn read_small(self, descriptor: &Descriptor) -> Result<Vec<u8>, Error> {
        if descriptor.size > MAX_SMALL_BLOB {
            return Err(Error::Invalid {
                what: format!("blob {}", descriptor.digest),
                reason: format!(
                    "it is {} bytes, more than the {MAX_SMALL_BLOB} read into memory",
                    descriptor.size
                ),
            });
        }
        match self {
            BlobData::File(path) => {
                let file = std::fs::File::open(&path)
                    .map_err(|e| consign_core::IoError::new("open", &path, e))?;
                let what = format!("blob {} at {}", descriptor.digest, path.display());
                read_checked(BlobReader::new(file, descriptor.clone(), what), &path)
            }
            BlobData::Bytes(bytes) => {
                check_bytes(&bytes, descriptor, "blob in memory")?;
                Ok(bytes.to_vec())
            }
            #[cfg(feature = "registry")]
            BlobData::Remote { client, repository } => {
                let mut out = Vec::new();
                client.pull_blob(&repository, descriptor, &mut out).await?;
                Ok(out)
            }
        }
    }
}

/// Copies the manifest or index `reference` names in `from`, with everything it points at
/// (an index's images, each image's config and layers), into `to`, tagged `tag` when given;
/// blobs `to` holds are skipped. Returns the descriptor of the copy, whose digest is the
/// source's: the bytes are copied untouched.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// use consign_oci::store::{BlobStore, MemoryStore, copy};
/// use consign_oci::{Descriptor, Index, Manifest, MediaType, Tag};
///
/// let from = MemoryStore::new();
/// let config = from.insert(MediaType::ImageConfig, b"{}".to_vec());
/// let image = Manifest::new(config);
/// let image = from.put_manifest(&image.to_json(), &MediaType::ImageManifest, None).await?;
/// let index = Index::new().push(image.clone());
/// from.put_manifest(&index.to_json(), &MediaType::ImageIndex, Some(&Tag::new("1")?)).await?;
///
/// let to = MemoryStore::new();
/// let copied = copy(&from, &to, "1", Some(&Tag::new("1")?)).await?;
/// assert_eq!(copied.digest, Descriptor::of(MediaType::ImageIndex, &index.to_json()).digest);
/// assert!(to.has_blob(&image.digest).await? && to.get(&image.digest).is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn copy(
    from: &dyn BlobStore,
    to: &dyn BlobStore,
    reference: &str,
    tag: Option<&Tag>,
) -> Result<Descriptor, Error> {
    let (descriptor, bytes) = from.manifest(reference).await?;
    copy_children(from, to, &descriptor, &bytes).await?;
    to.put_manifest(&bytes, &descriptor.media_type, tag).await
}

/// Copies what the manifest or index `bytes` points at.
async fn copy_children(
    from: &dyn BlobStore,
    to: &dyn BlobStore,
    descriptor: &Descriptor,
    bytes: &[u8],
) -> Result<(), Error> {
    if descriptor.media_type.is_index() {
        for entry in crate::Index::from_json(bytes)?.manifests {
            if to.has_blob(&entry.digest).await? {
                continue;
            }
            let (child, child_bytes) = from.manifest(&entry.digest.to_string()).await?;
            // Boxed: an index may hold indexes.
            Box::pin(copy_children(from, to, &child, &child_bytes)).await?;
            to.put_manifest(&child_bytes, &child.media_type, None)
                .await?;
        }
        return Ok(());
    }
    let manifest = crate::Manifest::from_json(bytes)?;
    for blob in std::iter::once(&manifest.config).chain(&manifest.layers) {
        if !to.has_blob(&blob.digest).await? {
            to.put_blob(blob, from.blob(blob).await?).await?;
        }
    }
    Ok(())
}

/// Reads `reader` (a checking [`BlobReader`]) to its end.
fn read_checked(mut reader: BlobReader, path: &std::path::Path) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    reader
        .read_to_end(&mut out)
        .map_err(|e| crate::layout::unwrap_io(e, path))?;
    Ok(out)
}

/// Checks that `bytes` are what `descriptor` names.
pub(crate) fn check_bytes(bytes: &[u8], descriptor: &Descriptor, what: &str) -> Result<(), Error> {
    let actual = Descriptor::of(descriptor.media_type.clone(), bytes);
    if actual.digest != descriptor.digest || actual.size != descriptor.size {
        return Err(Error::mismatch(
            format!("{what} {}", descriptor.digest),
            descriptor,
            actual.digest,
            actual.size,
        ));
    }
    Ok(())
}

/// A store held by a layer, compared by identity.
#[derive(Clone)]
pub(crate) struct StoreRef(pub(crate) Arc<dyn BlobStore>);

impl fmt::Debug for StoreRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.name())
    }
}

impl PartialEq for StoreRef {
    fn eq(&self, other: &StoreRef) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for StoreRef {}
