//! Reading what is attached to a manifest in a registry, by either scheme.

use consign_core::Digest;

use crate::attach::{Attachment, Attachments, Kind};
use crate::registry::Client;
use crate::{Descriptor, Error, Manifest, Reference};

/// The largest attached layer (payload, envelope, SBOM) read into memory.
const MAX_ATTACHED_SIZE: u64 = 16 << 20;

/// The most layers (signatures, attestations) read from one attachment manifest.
const MAX_ATTACHED_LAYERS: usize = 1024;

/// What is attached to `subject` in `target`'s repository, of `kind`: read from the cosign
/// tag (`sha256-<hex>.sig`, …) when the registry has it, else from the referrers (the OCI
/// referrers API, or its tag fallback). Every layer is pulled and checked against its digest;
/// an empty result means nothing is attached.
///
/// Verify the items before trusting them (for signatures: consign-sign's
/// `SimpleSigning::verify` over [`Attachment::content`] with [`Attachment::signature`]).
pub async fn pull_attachments(
    client: &Client,
    target: &Reference,
    subject: &Digest,
    kind: Kind,
) -> Result<Attachments, Error> {
    let tagged = target.retag(kind.tag(subject));
    match client.pull_manifest(&tagged).await {
        Ok(fetched) => read_layers(client, target, &fetched.bytes, Attachments::new(kind)).await,
        Err(e) if e.is_not_found() => {
            pull_referrer_attachments(client, target, subject, kind).await
        }
        Err(e) => Err(e),
    }
}

/// What the referrers of `subject` of `kind`'s artifact type carry (the OCI 1.1 scheme only).
pub async fn pull_referrer_attachments(
    client: &Client,
    target: &Reference,
    subject: &Digest,
    kind: Kind,
) -> Result<Attachments, Error> {
    let mut all = Attachments::new(kind);
    let referrers = client
        .referrers(target.repository(), subject, Some(&kind.artifact_type()))
        .await?;
    for referrer in referrers {
        let fetched = client
            .pull_manifest(&target.at_digest(referrer.digest))
            .await?;
        all = read_layers(client, target, &fetched.bytes, all).await?;
    }
    Ok(all)
}

async fn read_layers(
    client: &Client,
    target: &Reference,
    manifest: &[u8],
    mut into: Attachments,
) -> Result<Attachments, Error> {
    let manifest = Manifest::from_json(manifest)?;
    // Each layer is read into memory: a manifest naming thousands would take gigabytes.
    if manifest.layers.len() > MAX_ATTACHED_LAYERS {
        return Err(Error::TooLarge {
            what: format!("the attachment manifest of {target} (its layer count)"),
            size: manifest.layers.len() as u64,
            limit: MAX_ATTACHED_LAYERS as u64,
        });
    }
    for layer in &manifest.layers {
        let content = pull_small(client, target, layer).await?;
        into = into.push(Attachment::from_layer(layer, content));
    }
    Ok(into)
}

async fn pull_small(
    client: &Client,
    target: &Reference,
    layer: &Descriptor,
) -> Result<Vec<u8>, Error> {
    if layer.size > MAX_ATTACHED_SIZE {
        return Err(Error::TooLarge {
            what: format!("attached layer {}", layer.digest),
            size: layer.size,
            limit: MAX_ATTACHED_SIZE,
        });
    }
    let mut content = Vec::with_capacity(usize::try_from(layer.size).unwrap_or(0));
    client
        .pull_blob(target.repository(), layer, &mut content)
        .await?;
    Ok(content)
}
