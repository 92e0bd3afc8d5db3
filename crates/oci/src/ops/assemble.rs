//! [`assemble_index`]: a multi-platform index from images in a registry or in layouts.

use consign_core::Digest;

use super::push::check_digest;
use super::{MAX_CONFIG_SIZE, push_layout};
use crate::registry::Client;
use crate::{
    Config, Descriptor, Error, ImagePlatform, Index, Manifest, MediaType, OciLayout, Reference, Tag,
};

/// One platform's image for [`assemble_index`], with the platform it must be for.
#[derive(Clone, Debug)]
pub struct IndexEntry {
    source: Source,
    platform: ImagePlatform,
}

#[derive(Clone, Debug)]
enum Source {
    Remote(Digest),
    Local {
        layout: OciLayout,
        reference: String,
    },
}

impl IndexEntry {
    /// An image already in the target repository (pushed by another runner), by digest.
    pub fn remote(digest: Digest, platform: ImagePlatform) -> IndexEntry {
        IndexEntry {
            source: Source::Remote(digest),
            platform,
        }
    }

    /// An image in a local layout (a tag or digest there), pushed before the index.
    pub fn local(layout: OciLayout, reference: &str, platform: ImagePlatform) -> IndexEntry {
        IndexEntry {
            source: Source::Local {
                layout,
                reference: reference.to_owned(),
            },
            platform,
        }
    }
}

/// What [`assemble_index`] pushed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssembledIndex {
    /// The index's digest.
    pub digest: Digest,
    /// Its descriptor.
    pub descriptor: Descriptor,
    /// The index as pushed.
    pub index: Index,
    /// Its exact bytes.
    pub bytes: Vec<u8>,
    /// The tags applied.
    pub tags: Vec<Tag>,
}

/// Builds an OCI index of `entries` (in the order given) in the repository of `target`,
/// pushes it by digest and tags it with `tags` (the tag of `target` is not used).
///
/// Local entries are pushed first. Every entry is then read back from the registry: it must be
/// an image manifest whose config names the platform given for it (OS, architecture and
/// variant; a missing `arm64` variant is `v8`), else nothing is pushed and the error names the
/// digest, the expected and the actual platform. The index entries carry the platform from the
/// image's config. The same entries give the same index bytes, so the same digest.
pub async fn assemble_index(
    client: &Client,
    target: &Reference,
    entries: Vec<IndexEntry>,
    tags: &[Tag],
) -> Result<AssembledIndex, Error> {
    let repo = target.repository();
    let mut index = Index::new();
    for entry in entries {
        let digest = match &entry.source {
            Source::Remote(digest) => *digest,
            Source::Local { layout, reference } => {
                push_layout(client, layout, reference, target, &[])
                    .await?
                    .descriptor
                    .digest
            }
        };
        let fetched = client.pull_manifest(&target.at_digest(digest)).await?;
        let not_an_image = || Error::NotAnImage {
            digest: Box::new(digest),
            repository: repo.to_string(),
            media_type: fetched.media_type.clone(),
        };
        if !fetched.media_type.is_manifest() {
            return Err(not_an_image());
        }
        let manifest = Manifest::from_json(&fetched.bytes)?;
        if manifest.artifact_type.is_some() || !is_image_config(&manifest.config) {
            return Err(not_an_image());
        }
        if manifest.config.size > MAX_CONFIG_SIZE {
            return Err(Error::TooLarge {
                what: format!("config {} of {digest}", manifest.config.digest),
                size: manifest.config.size,
                limit: MAX_CONFIG_SIZE,
            });
        }
        let mut config_bytes = Vec::new();
        client
            .pull_blob(repo, &manifest.config, &mut config_bytes)
            .await?;
        let actual = Config::from_json(&config_bytes)?.platform();
        if !actual.matches(&entry.platform) {
            return Err(Error::PlatformMismatch {
                digest: Box::new(digest),
                repository: repo.to_string(),
                expected: Box::new(entry.platform),
                actual: Box::new(actual),
            });
        }
        index = index.push(fetched.descriptor().platform(actual));
    }
    let bytes = index.to_json();
    let descriptor = Descriptor::of(index.media_type(), &bytes);
    let at = target.at_digest(descriptor.digest);
    let digest = client
        .push_manifest(&at, &bytes, &descriptor.media_type)
        .await?;
    check_digest(&at, descriptor.digest, digest)?;
    let mut applied: Vec<Tag> = Vec::new();
    for tag in tags {
        if applied.contains(tag) {
            continue;
        }
        let tagged = target.retag(tag.clone());
        let digest = client
            .push_manifest(&tagged, &bytes, &descriptor.media_type)
            .await?;
        check_digest(&tagged, descriptor.digest, digest)?;
        applied.push(tag.clone());
    }
    Ok(AssembledIndex {
        digest,
        descriptor,
        index,
        bytes,
        tags: applied,
    })
}

/// Whether a config descriptor is an image configuration (OCI or Docker).
fn is_image_config(config: &Descriptor) -> bool {
    matches!(
        config.media_type,
        MediaType::ImageConfig | MediaType::DockerConfig
    )
}
