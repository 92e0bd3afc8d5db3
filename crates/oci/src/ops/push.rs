//! [`push_layout`]: an image or index from an image layout to a registry, with its
//! attachments.

use consign_core::Digest;

use super::{Children, KINDS, children, subject_of, unique};
use crate::registry::{BlobOutcome, BlobSource, Client};
use crate::{Descriptor, Error, MediaType, OciLayout, Reference, Tag};

/// What [`push_layout`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushSummary {
    /// The pushed manifest or index (its digest is the layout's).
    pub descriptor: Descriptor,
    /// Manifests and indexes pushed, children and attachments included.
    pub manifests: usize,
    /// Blobs uploaded.
    pub blobs_uploaded: usize,
    /// Blobs the repository had already.
    pub blobs_skipped: usize,
    /// Blobs mounted from another repository.
    pub blobs_mounted: usize,
    /// Bytes of the uploaded blobs.
    pub bytes_uploaded: u64,
    /// The tags applied to the pushed manifest or index.
    pub tags: Vec<Tag>,
    /// The attachments pushed: `sha256-<hex>.sig/.att/.sbom` manifests and referrers.
    pub attachments: Vec<Descriptor>,
}

impl PushSummary {
    fn new(descriptor: Descriptor) -> PushSummary {
        PushSummary {
            descriptor,
            manifests: 0,
            blobs_uploaded: 0,
            blobs_skipped: 0,
            blobs_mounted: 0,
            bytes_uploaded: 0,
            tags: Vec::new(),
            attachments: Vec::new(),
        }
    }
}

/// Pushes the manifest or index `source` (a tag or digest in `layout`) to the repository of
/// `target` by its exact bytes: for an index its child manifests first, for each manifest its
/// config and layers (in parallel, skipping what the repository has), then the manifest. Then
/// what the layout attaches to it and to its children: the `sha256-<hex>.sig/.att/.sbom`
/// tagged manifests (tagged alike in the registry) and the referrer manifests whose `subject`
/// it is (listed by the registry's referrers API, or the referrers tag on registries without
/// it). Last, `tags` are applied. Only the registry and repository of `target` are used
/// (a reference parsed without a tag says `latest`, which is not applied unless in `tags`).
///
/// Fails when the registry reports another digest than the layout's.
pub async fn push_layout(
    client: &Client,
    layout: &OciLayout,
    source: &str,
    target: &Reference,
    tags: &[Tag],
) -> Result<PushSummary, Error> {
    let monitor = &client.inner.options.monitor;
    monitor.begin(&format!("push {target}"), None);
    let pushed = push_layout_monitored(client, layout, source, target, tags).await;
    monitor.end();
    pushed
}

/// [`push_layout`] between the monitor's `begin` and `end`.
async fn push_layout_monitored(
    client: &Client,
    layout: &OciLayout,
    source: &str,
    target: &Reference,
    tags: &[Tag],
) -> Result<PushSummary, Error> {
    let top = layout.resolve(source)?;
    let mut summary = PushSummary::new(top.clone());
    let tree = push_tree(client, layout, target, &top, &mut summary).await?;

    // Attachments of the pushed manifest and of its children.
    let layout_index = layout.index()?;
    for subject in &tree {
        for kind in KINDS {
            let tag = kind.tag(subject);
            let attached = match layout.resolve(tag.as_str()) {
                Ok(d) => d,
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            push_tree(client, layout, target, &attached, &mut summary).await?;
            let bytes = layout.manifest_bytes(&attached)?;
            client
                .push_manifest(&target.retag(tag), &bytes, &attached.media_type)
                .await?;
            summary.attachments.push(attached);
        }
        let mut seen = std::collections::HashSet::new();
        for entry in &layout_index.manifests {
            if !seen.insert(entry.digest) || tree.contains(&entry.digest) {
                continue;
            }
            let bytes = layout.manifest_bytes(entry)?;
            if subject_of(&bytes) == Some(*subject) {
                push_tree(client, layout, target, entry, &mut summary).await?;
                summary.attachments.push(entry.clone());
            }
        }
    }

    let bytes = layout.manifest_bytes(&top)?;
    for tag in tags {
        if summary.tags.contains(tag) {
            continue;
        }
        let digest = client
            .push_manifest(&target.retag(tag.clone()), &bytes, &top.media_type)
            .await?;
        check_digest(&target.retag(tag.clone()), top.digest, digest)?;
        summary.tags.push(tag.clone());
    }
    Ok(summary)
}

/// Pushes `top` and everything it points at (children before parents) by digest. Returns the
/// digests of the manifests pushed.
async fn push_tree(
    client: &Client,
    layout: &OciLayout,
    target: &Reference,
    top: &Descriptor,
    summary: &mut PushSummary,
) -> Result<Vec<Digest>, Error> {
    // Parents are read before their children: pushed in reverse, children come first.
    let mut order: Vec<(Descriptor, Vec<u8>, Vec<Descriptor>)> = Vec::new();
    let mut todo = vec![top.clone()];
    while let Some(descriptor) = todo.pop() {
        if order.iter().any(|(d, _, _)| d.digest == descriptor.digest) {
            continue;
        }
        let bytes = layout.manifest_bytes(&descriptor)?;
        let blobs = match children(&bytes, &descriptor.media_type)? {
            Children::Manifests(manifests) => {
                todo.extend(manifests);
                Vec::new()
            }
            Children::Blobs(blobs) => unique(blobs),
        };
        order.push((descriptor, bytes, blobs));
    }
    let repo = target.repository();
    let mut pushed = Vec::with_capacity(order.len());
    for (descriptor, bytes, blobs) in order.into_iter().rev() {
        let sources = blobs
            .iter()
            .map(|b| BlobSource::file(layout.blob_path(&b.digest), b.digest, b.size))
            .collect();
        for blob in client.push_blobs(repo, sources).await? {
            match blob.outcome {
                BlobOutcome::Existed => summary.blobs_skipped += 1,
                BlobOutcome::Mounted => summary.blobs_mounted += 1,
                _ => {
                    summary.blobs_uploaded += 1;
                    summary.bytes_uploaded += blob.size;
                }
            }
        }
        let at = target.at_digest(descriptor.digest);
        let digest = client
            .push_manifest(&at, &bytes, &manifest_type(&descriptor, &bytes))
            .await?;
        check_digest(&at, descriptor.digest, digest)?;
        summary.manifests += 1;
        pushed.push(descriptor.digest);
    }
    Ok(pushed)
}

/// The media type to push a manifest with: the descriptor's, unless it is not a manifest type
/// (then the document's own `mediaType`).
fn manifest_type(descriptor: &Descriptor, bytes: &[u8]) -> MediaType {
    if descriptor.media_type.is_manifest() || descriptor.media_type.is_index() {
        return descriptor.media_type.clone();
    }
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v.get("mediaType")?.as_str().map(MediaType::from))
        .unwrap_or_else(|| descriptor.media_type.clone())
}

/// Fails unless the registry's digest is the expected one.
pub(crate) fn check_digest(at: &Reference, expected: Digest, actual: Digest) -> Result<(), Error> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::DigestChanged {
            what: at.to_string(),
            expected: Box::new(expected),
            actual: Box::new(actual),
        })
    }
}
