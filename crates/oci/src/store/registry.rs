//! [`RegistryStore`]: a registry repository as a [`BlobStore`].

use consign_core::Digest;

use super::{BlobData, BlobStore, StoreFuture};
use crate::registry::{BlobSource, Client};
use crate::{Descriptor, Error, MediaType, Reference, Repository, Tag};

/// A repository of a registry as a [`BlobStore`]: blobs are checked, uploaded and mounted
/// through the [`Client`] (with its retries, credentials and monitor), manifests pushed and
/// pulled by tag or digest.
///
/// Blobs from another repository of the same registry are mounted, not sent; blobs from
/// another registry are downloaded to a temporary file (digest checked) and uploaded from it,
/// so memory stays flat whatever their size.
///
/// ```no_run
/// use std::sync::Arc;
/// use consign_oci::registry::{Client, ClientOptions};
/// use consign_oci::store::RegistryStore;
/// use consign_oci::{Image, ImagePlatform, Repository, Tag};
///
/// # async fn demo() -> Result<(), consign_oci::Error> {
/// let client = Client::new("ghcr.io", ClientOptions::default())?;
/// let base = Arc::new(RegistryStore::new(client.clone(), Repository::new("acme/base")?));
/// let platform = ImagePlatform::new("linux", "amd64");
/// let image = Image::read_for(base, "1.4", &platform).await?;
/// // … append layers, change the config …
/// let app = RegistryStore::new(client, Repository::new("acme/app")?);
/// image.write(&app, Some(&Tag::new("2.0")?)).await?; // base layers are mounted
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct RegistryStore {
    client: Client,
    repository: Repository,
}

impl RegistryStore {
    /// The repository `repository` of the registry `client` talks to.
    pub fn new(client: Client, repository: Repository) -> RegistryStore {
        RegistryStore { client, repository }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The repository.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// `reference` (a tag or a digest) in this repository.
    fn reference(&self, reference: &str) -> Result<Reference, Error> {
        let registry = self.client.registry();
        let repository = self.repository.clone();
        Ok(match reference.parse::<Digest>() {
            Ok(digest) => Reference::with_digest(registry, repository, digest),
            Err(_) => Reference::with_tag(registry, repository, Tag::new(reference)?),
        })
    }

    /// Uploads the blob from `source`.
    async fn upload(&self, source: BlobSource) -> Result<(), Error> {
        self.client.push_blob(&self.repository, source).await?;
        Ok(())
    }
}

impl BlobStore for RegistryStore {
    fn name(&self) -> String {
        format!("registry {}/{}", self.client.registry(), self.repository)
    }

    fn has_blob<'a>(&'a self, digest: &'a Digest) -> StoreFuture<'a, bool> {
        Box::pin(self.client.blob_exists(&self.repository, digest))
    }

    fn blob<'a>(&'a self, _descriptor: &'a Descriptor) -> StoreFuture<'a, BlobData> {
        Box::pin(async move {
            Ok(BlobData::Remote {
                client: self.client.clone(),
                repository: self.repository.clone(),
            })
        })
    }

    fn put_blob<'a>(&'a self, descriptor: &'a Descriptor, data: BlobData) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (digest, size) = (descriptor.digest, descriptor.size);
            match data {
                BlobData::File(path) => self.upload(BlobSource::file(path, digest, size)).await,
                BlobData::Bytes(bytes) => {
                    super::check_bytes(&bytes, descriptor, "blob")?;
                    self.upload(BlobSource::bytes(bytes::Bytes::copy_from_slice(&bytes)))
                        .await
                }
                BlobData::Remote { client, repository } => {
                    let held = if client.registry() == self.client.registry() {
                        self.client
                            .mount_blob(&self.repository, &digest, &repository)
                            .await?
                    } else {
                        self.client.blob_exists(&self.repository, &digest).await?
                    };
                    if held {
                        return Ok(());
                    }
                    // Through a temporary file: flat memory, and a source that can be retried.
                    let dir = tempfile::tempdir().map_err(Error::TempDir)?;
                    let path = dir.path().join("blob");
                    client
                        .pull_blob_to_file(&repository, descriptor, &path)
                        .await?;
                    self.upload(BlobSource::file(path, digest, size)).await
                }
            }
        })
    }

    fn manifest<'a>(&'a self, reference: &'a str) -> StoreFuture<'a, (Descriptor, Vec<u8>)> {
        Box::pin(async move {
            let fetched = self
                .client
                .pull_manifest(&self.reference(reference)?)
                .await?;
            Ok((fetched.descriptor(), fetched.bytes))
        })
    }

    fn put_manifest<'a>(
        &'a self,
        bytes: &'a [u8],
        media_type: &'a MediaType,
        tag: Option<&'a Tag>,
    ) -> StoreFuture<'a, Descriptor> {
        Box::pin(async move {
            let registry = self.client.registry();
            let repository = self.repository.clone();
            let reference = match tag {
                Some(tag) => Reference::with_tag(registry, repository, tag.clone()),
                None => Reference::with_digest(
                    registry,
                    repository,
                    Descriptor::of(media_type.clone(), bytes).digest,
                ),
            };
            let digest = self
                .client
                .push_manifest(&reference, bytes, media_type)
                .await?;
            Ok(Descriptor::new(
                media_type.clone(),
                digest,
                bytes.len() as u64,
            ))
        })
    }
}
