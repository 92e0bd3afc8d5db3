//! `--registry HOST[:PORT]/REPO`: pushes the release's image and index from `dist/oci/` and
//! applies the release tags.
//!
//! The per-platform image goes under `<version>-<arch>`, the index under the tags of
//! `BuildRef::release(version)` (`1.2.3`, `1.2`, `1`; a prerelease gets only its full tag; a
//! version that is not semantic only itself). Plain HTTP is used for loopback registries
//! only; credentials come from the Docker config.

use std::path::Path;

use consign::core::Monitor;
use consign::oci::ops::push_layout;
use consign::oci::registry::{Client, ClientOptions};
use consign::oci::tags::{BuildRef, TagOptions};
use consign::oci::{OciLayout, Reference, Tag};

use crate::Error;

/// Pushes the image tagged `image_tag` and the index tagged `index_tag` in the layout at
/// `layout_dir` to `registry` (`HOST[:PORT]/REPO`). Returns the pushed index reference.
pub fn publish(
    layout_dir: &Path,
    registry: &str,
    image_tag: &Tag,
    index_tag: &Tag,
    version: &str,
    monitor: &Monitor,
) -> Result<Reference, Error> {
    let target: Reference = registry
        .parse()
        .map_err(|e| format!("--registry {registry:?}: {e}; expected HOST[:PORT]/REPO"))?;
    let last = registry.rsplit_once('/').map_or(registry, |(_, last)| last);
    if last.contains(':') || last.contains('@') {
        return Err(format!(
            "--registry {registry:?} names a tag or digest; give HOST[:PORT]/REPO only"
        )
        .into());
    }
    let tags = match BuildRef::release(version) {
        Ok(build) => build.tags(&TagOptions::default()),
        Err(_) => vec![index_tag.clone()],
    };
    let layout = OciLayout::open(layout_dir)?;
    let options = ClientOptions::default()
        .plain_http(target.is_loopback())
        .monitor(monitor.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = Client::for_reference(&target, options)?;
        let image = push_layout(
            &client,
            &layout,
            image_tag.as_str(),
            &target,
            std::slice::from_ref(image_tag),
        )
        .await?;
        let index = push_layout(&client, &layout, index_tag.as_str(), &target, &tags).await?;
        let shown: Vec<&str> = index.tags.iter().map(Tag::as_str).collect();
        println!(
            "registry: {}@{} as {image_tag}; index {} as {}; {} blobs uploaded ({} bytes), {} already there",
            target.repository(),
            image.descriptor.digest,
            index.descriptor.digest,
            shown.join(", "),
            image.blobs_uploaded + index.blobs_uploaded,
            image.bytes_uploaded + index.bytes_uploaded,
            image.blobs_skipped + index.blobs_skipped,
        );
        Ok(target.at_digest(index.descriptor.digest))
    })
}
