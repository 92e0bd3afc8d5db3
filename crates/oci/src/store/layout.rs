//! [`OciLayout`] as a [`BlobStore`].

use consign_core::Digest;

use super::{BlobData, BlobStore, StoreFuture, check_bytes};
use crate::{Descriptor, MediaType, OciLayout, Tag};

impl BlobStore for OciLayout {
    fn name(&self) -> String {
        format!("layout {}", self.path().display())
    }

    fn has_blob<'a>(&'a self, digest: &'a Digest) -> StoreFuture<'a, bool> {
        Box::pin(async move { Ok(self.contains(digest)) })
    }

    fn blob<'a>(&'a self, descriptor: &'a Descriptor) -> StoreFuture<'a, BlobData> {
        Box::pin(async move {
            // Fails, naming the layout, when the blob is not there.
            let file = OciLayout::blob(self, &descriptor.digest)?;
            Ok(BlobData::File(file.path))
        })
    }

    fn put_blob<'a>(&'a self, descriptor: &'a Descriptor, data: BlobData) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if self.contains(&descriptor.digest) {
                return Ok(());
            }
            match data {
                BlobData::File(path) => {
                    let file = std::fs::File::open(&path)
                        .map_err(|e| consign_core::IoError::new("open", &path, e))?;
                    self.write_blob_from(file, descriptor)?;
                }
                BlobData::Bytes(bytes) => {
                    check_bytes(&bytes, descriptor, "blob")?;
                    self.write_blob_from(&bytes[..], descriptor)?;
                }
                #[cfg(feature = "registry")]
                BlobData::Remote { client, repository } => {
                    if descriptor.digest.algorithm() != consign_core::Algorithm::Sha256 {
                        return Err(crate::Error::Algorithm {
                            what: format!("blob {}", descriptor.digest),
                            digest: descriptor.digest,
                        });
                    }
                    // Through `<blob>.partial`, renamed once the digest is checked.
                    let path = self.blob_path(&descriptor.digest);
                    client
                        .pull_blob_to_file(&repository, descriptor, &path)
                        .await?;
                    // The rename is durable before index.json can name the blob.
                    self.sync_blob_dir(&descriptor.digest)?;
                }
            }
            Ok(())
        })
    }

    fn manifest<'a>(&'a self, reference: &'a str) -> StoreFuture<'a, (Descriptor, Vec<u8>)> {
        Box::pin(async move { OciLayout::manifest(self, reference) })
    }

    fn put_manifest<'a>(
        &'a self,
        bytes: &'a [u8],
        media_type: &'a MediaType,
        tag: Option<&'a Tag>,
    ) -> StoreFuture<'a, Descriptor> {
        Box::pin(async move {
            let descriptor = OciLayout::put_manifest(self, bytes, media_type.clone())?;
            if let Some(tag) = tag {
                self.tag(&descriptor, tag)?;
            }
            Ok(descriptor)
        })
    }
}
