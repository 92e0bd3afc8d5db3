//! [`promote`]: a manifest or index copied by digest to another repository or registry.

use std::collections::HashSet;
use std::path::Path;

use consign_core::Digest;
use futures_util::{StreamExt, TryStreamExt};

use super::push::check_digest;
use super::{Children, KINDS, children, unique};
use crate::registry::{BlobOutcome, BlobSource, Client, FetchedManifest, RegistryError};
use crate::{Descriptor, Error, Reference, Repository, Tag};

/// What [`promote`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PromoteSummary {
    /// The promoted manifest or index, as the destination holds it (same digest as the source).
    pub descriptor: Descriptor,
    /// Manifests and indexes copied, children and attachments included.
    pub manifests: usize,
    /// Blobs mounted from the source repository (same registry).
    pub blobs_mounted: usize,
    /// Blobs the destination had already.
    pub blobs_skipped: usize,
    /// Blobs downloaded from the source and uploaded.
    pub blobs_copied: usize,
    /// Bytes of the copied blobs.
    pub bytes_copied: u64,
    /// The attachments copied: `sha256-<hex>.sig/.att/.sbom` manifests and referrers.
    pub attachments: Vec<Descriptor>,
    /// The tags applied.
    pub tags: Vec<Tag>,
}

/// Copies the manifest or index `source` (a reference with a digest) from `source_client`'s
/// registry to the repository of `target` on `target_client`'s registry: its blobs (mounted
/// across repositories when both are on the same registry, else streamed through a temporary
/// file, never whole in memory), its child manifests, and what is attached to it and its
/// children (the `sha256-<hex>.sig/.att/.sbom` tags and its referrers, from the referrers API
/// or the referrers tag). Then checks that the destination holds the source digest and
/// applies `tags` (the tag of `target` is not used).
pub async fn promote(
    source_client: &Client,
    source: &Reference,
    target_client: &Client,
    target: &Reference,
    tags: &[Tag],
) -> Result<PromoteSummary, Error> {
    let monitor = &target_client.inner.options.monitor;
    monitor.begin(&format!("promote {source} to {target}"), None);
    let promoted = promote_monitored(source_client, source, target_client, target, tags).await;
    monitor.end();
    promoted
}

/// [`promote`] between the monitor's `begin` and `end`.
async fn promote_monitored(
    source_client: &Client,
    source: &Reference,
    target_client: &Client,
    target: &Reference,
    tags: &[Tag],
) -> Result<PromoteSummary, Error> {
    let digest = *source.digest().ok_or_else(|| Error::NoDigest {
        reference: source.to_string(),
    })?;
    let scratch = tempfile::tempdir().map_err(Error::TempDir)?;
    let copy = Copy {
        from: source_client,
        source,
        to: target_client,
        target,
        same_registry: source_client.registry() == target_client.registry(),
        scratch: scratch.path(),
    };
    let mut summary = PromoteSummary {
        descriptor: Descriptor::new(crate::MediaType::ImageManifest, digest, 0),
        manifests: 0,
        blobs_mounted: 0,
        blobs_skipped: 0,
        blobs_copied: 0,
        bytes_copied: 0,
        attachments: Vec::new(),
        tags: Vec::new(),
    };
    let (top, tree) = copy.tree(digest, &mut summary).await?;
    summary.descriptor = top.descriptor();

    let mut copied: HashSet<Digest> = tree.iter().copied().collect();
    for subject in &tree {
        for kind in KINDS {
            let tag = kind.tag(subject);
            let Some(attached) = source_client
                .manifest_descriptor(&source.retag(tag.clone()))
                .await?
            else {
                continue;
            };
            let (manifest, _) = copy.tree(attached.digest, &mut summary).await?;
            target_client
                .push_manifest(&target.retag(tag), &manifest.bytes, &manifest.media_type)
                .await?;
            copied.insert(attached.digest);
            summary.attachments.push(manifest.descriptor());
        }
        for referrer in source_client
            .referrers(source.repository(), subject, None)
            .await?
        {
            if !copied.insert(referrer.digest) {
                continue;
            }
            let (manifest, _) = copy.tree(referrer.digest, &mut summary).await?;
            summary.attachments.push(manifest.descriptor());
        }
    }

    let at = target.at_digest(digest);
    match target_client.manifest_descriptor(&at).await? {
        Some(held) => check_digest(&at, digest, held.digest)?,
        None => {
            return Err(Error::Registry(RegistryError::Protocol {
                what: format!("manifest {at}"),
                detail: "accepted, but not found by digest afterwards".to_owned(),
            }));
        }
    }
    for tag in tags {
        if summary.tags.contains(tag) {
            continue;
        }
        let tagged = target.retag(tag.clone());
        let pushed = target_client
            .push_manifest(&tagged, &top.bytes, &top.media_type)
            .await?;
        check_digest(&tagged, digest, pushed)?;
        summary.tags.push(tag.clone());
    }
    Ok(summary)
}

/// One promotion's endpoints.
struct Copy<'a> {
    from: &'a Client,
    source: &'a Reference,
    to: &'a Client,
    target: &'a Reference,
    same_registry: bool,
    scratch: &'a Path,
}

impl Copy<'_> {
    /// Copies the manifest or index `digest` with everything it points at (children before
    /// parents). Returns it as fetched and the digests of the manifests copied.
    async fn tree(
        &self,
        digest: Digest,
        summary: &mut PromoteSummary,
    ) -> Result<(FetchedManifest, Vec<Digest>), Error> {
        // Parents are fetched before their children: pushed in reverse, children come first.
        let mut order: Vec<(FetchedManifest, Vec<Descriptor>)> = Vec::new();
        let mut todo = vec![digest];
        while let Some(next) = todo.pop() {
            if order.iter().any(|(m, _)| m.digest == next) {
                continue;
            }
            let fetched = self
                .from
                .pull_manifest(&self.source.at_digest(next))
                .await?;
            let blobs = match children(&fetched.bytes, &fetched.media_type)? {
                Children::Manifests(manifests) => {
                    todo.extend(manifests.iter().map(|d| d.digest));
                    Vec::new()
                }
                Children::Blobs(blobs) => unique(blobs),
            };
            order.push((fetched, blobs));
        }
        let mut digests = Vec::with_capacity(order.len());
        let mut top = None;
        for (manifest, blobs) in order.into_iter().rev() {
            self.blobs(&blobs, summary).await?;
            let at = self.target.at_digest(manifest.digest);
            let pushed = self
                .to
                .push_manifest(&at, &manifest.bytes, &manifest.media_type)
                .await?;
            check_digest(&at, manifest.digest, pushed)?;
            summary.manifests += 1;
            digests.push(manifest.digest);
            top = Some(manifest);
        }
        let top = top.ok_or_else(|| Error::NoDigest {
            reference: self.source.at_digest(digest).to_string(),
        })?;
        Ok((top, digests))
    }

    /// Copies blobs: a mount on the same registry, else download to a temporary file and
    /// upload, a few at a time.
    async fn blobs(&self, blobs: &[Descriptor], summary: &mut PromoteSummary) -> Result<(), Error> {
        let outcomes: Vec<(BlobOutcome, u64)> = futures_util::stream::iter(blobs)
            .map(|blob| self.blob(blob))
            .buffer_unordered(4)
            .try_collect()
            .await?;
        for (outcome, size) in outcomes {
            match outcome {
                BlobOutcome::Existed => summary.blobs_skipped += 1,
                BlobOutcome::Mounted => summary.blobs_mounted += 1,
                _ => {
                    summary.blobs_copied += 1;
                    summary.bytes_copied += size;
                }
            }
        }
        Ok(())
    }

    async fn blob(&self, blob: &Descriptor) -> Result<(BlobOutcome, u64), Error> {
        let from_repo: &Repository = self.source.repository();
        let to_repo = self.target.repository();
        if self.to.blob_exists(to_repo, &blob.digest).await? {
            return Ok((BlobOutcome::Existed, blob.size));
        }
        if self.same_registry && self.to.mount_blob(to_repo, &blob.digest, from_repo).await? {
            return Ok((BlobOutcome::Mounted, blob.size));
        }
        let path = self.scratch.join(blob.digest.hex());
        self.from.pull_blob_to_file(from_repo, blob, &path).await?;
        let pushed = self
            .to
            .push_blob(to_repo, BlobSource::file(&path, blob.digest, blob.size))
            .await;
        let _ = tokio::fs::remove_file(&path).await;
        Ok((pushed?.outcome, blob.size))
    }
}
