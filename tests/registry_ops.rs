//! Release operations against real registries (`docker-registry`, distribution 2.8, on
//! loopback ports): per-platform pushes from two "runners", index assembly from their remote
//! digests, promotion between repositories and between registries with the attachments, all
//! read back with `skopeo`.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/support.rs"]
mod support;

use std::path::Path;

use consign::core::{Entry, FileTree, SourceDate};
use consign::oci::attach::{Attachment, Attachments, Kind};
use consign::oci::ops::{
    IndexEntry, assemble_index, promote, pull_attachments, pull_referrer_attachments, push_layout,
};
use consign::oci::registry::referrers_tag;
use consign::oci::{
    Descriptor, Error, History, Image, ImagePlatform, LayerBuilder, OciLayout, Reference, Tag,
};
use serde_json::Value;
use support::{Registry, skopeo_raw};

fn tag(text: &str) -> Tag {
    Tag::new(text).unwrap()
}

fn reference(host: &str, path: &str) -> Reference {
    format!("{host}/{path}").parse().unwrap()
}

/// A one-layer image for `platform` with a tiny per-platform payload, tagged `tag` in a new
/// layout in `dir`.
fn platform_image(
    dir: &Path,
    platform: &ImagePlatform,
    image_tag: &str,
) -> (OciLayout, Descriptor) {
    let date = SourceDate::from_unix(1_700_000_000);
    let mut tree = FileTree::new();
    let payload = format!("#!/bin/sh\necho tool for {platform}\n");
    tree.insert(
        "usr/bin/tool",
        Entry::bytes(payload.into_bytes()).mode(0o755),
    )
    .unwrap();
    let layout = OciLayout::create(dir).unwrap();
    let layer = LayerBuilder::new(&tree, date).write_into(&layout).unwrap();
    let image = Image::new(platform)
        .append_layer(layer, History::new("consign: tool").created(date))
        .with_config(|c| c.entrypoint(["/usr/bin/tool"]))
        .created(date);
    let descriptor = image.write_to(&layout, Some(&tag(image_tag))).unwrap();
    (layout, descriptor)
}

fn amd64() -> ImagePlatform {
    ImagePlatform::new("linux", "amd64")
}

fn arm64() -> ImagePlatform {
    ImagePlatform::new("linux", "arm64").variant("v8")
}

/// The platforms of an index as skopeo reads it, `os/arch[/variant]`.
fn platforms_of(raw: &[u8]) -> Vec<String> {
    let doc: Value = serde_json::from_slice(raw).unwrap();
    doc["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let p = &m["platform"];
            let mut s = format!(
                "{}/{}",
                p["os"].as_str().unwrap(),
                p["architecture"].as_str().unwrap()
            );
            if let Some(v) = p["variant"].as_str() {
                s.push('/');
                s.push_str(v);
            }
            s
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runners_push_their_platforms_and_the_index_is_assembled_from_the_digests() {
    let registry = Registry::start();
    let host = registry.host();
    let target = reference(&host, "acme/tool");

    // Runner one (amd64) and runner two (arm64), each with its own layout and client.
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (layout_a, image_a) = platform_image(dir_a.path(), &amd64(), "1.0-amd64");
    let (layout_b, image_b) = platform_image(dir_b.path(), &arm64(), "1.0-arm64");
    let pushed_a = push_layout(
        &registry.client(),
        &layout_a,
        "1.0-amd64",
        &target,
        &[tag("1.0-amd64")],
    )
    .await
    .unwrap();
    let pushed_b = push_layout(
        &registry.client(),
        &layout_b,
        "1.0-arm64",
        &target,
        &[tag("1.0-arm64")],
    )
    .await
    .unwrap();
    assert_eq!(pushed_a.descriptor.digest, image_a.digest);
    assert_eq!(pushed_b.descriptor.digest, image_b.digest);
    assert_eq!((pushed_a.manifests, pushed_a.blobs_uploaded), (1, 2));
    assert_eq!(pushed_a.tags, [tag("1.0-amd64")]);

    // A third job knows only the digests.
    let client = registry.client();
    let entries = vec![
        IndexEntry::remote(image_a.digest, amd64()),
        IndexEntry::remote(image_b.digest, ImagePlatform::new("linux", "arm64")),
    ];
    let index = assemble_index(&client, &target, entries.clone(), &[tag("1.0"), tag("1")])
        .await
        .unwrap();
    assert_eq!(index.tags, [tag("1.0"), tag("1")]);
    let raw = skopeo_raw(&format!("{host}/acme/tool:1.0"));
    assert_eq!(raw, index.bytes);
    assert_eq!(platforms_of(&raw), ["linux/amd64", "linux/arm64/v8"]);
    let doc: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(doc["manifests"][0]["digest"], image_a.digest.to_string());
    assert_eq!(doc["manifests"][1]["digest"], image_b.digest.to_string());
    assert_eq!(skopeo_raw(&format!("{host}/acme/tool:1")), index.bytes);

    // Reproducible: the same inputs built again elsewhere give the same digests.
    let dir_c = tempfile::tempdir().unwrap();
    let (_, again) = platform_image(dir_c.path(), &amd64(), "1.0-amd64");
    assert_eq!(again.digest, image_a.digest);
    let twice = assemble_index(&client, &target, entries, &[])
        .await
        .unwrap();
    assert_eq!(twice.digest, index.digest);
    assert_eq!(twice.bytes, index.bytes);

    // A digest given for the wrong platform is refused, and nothing is tagged.
    let wrong = vec![
        IndexEntry::remote(image_a.digest, amd64()),
        IndexEntry::remote(image_a.digest, arm64()),
    ];
    let err = assemble_index(&client, &target, wrong, &[tag("broken")])
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::PlatformMismatch { .. }), "{message}");
    assert!(message.contains(&image_a.digest.to_string()), "{message}");
    assert!(
        message.contains("linux/amd64") && message.contains("linux/arm64"),
        "{message}"
    );
    assert!(
        !client
            .list_tags(target.repository())
            .await
            .unwrap()
            .contains(&tag("broken"))
    );

    // An index is not an image entry.
    let err = assemble_index(
        &client,
        &target,
        vec![IndexEntry::remote(index.digest, amd64())],
        &[],
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NotAnImage { .. }), "{err}");

    // A local image is pushed as part of the assembly.
    let local = assemble_index(
        &client,
        &reference(&host, "acme/local"),
        vec![IndexEntry::local(layout_b, "1.0-arm64", arm64())],
        &[tag("2.0")],
    )
    .await
    .unwrap();
    assert_eq!(
        platforms_of(&skopeo_raw(&format!("{host}/acme/local:2.0"))),
        ["linux/arm64/v8"]
    );
    assert_eq!(local.index.manifests[0].digest, image_b.digest);
}

/// A cosign signature (base64 text) as a signer returns it.
fn test_signature() -> consign::core::Signature {
    consign::core::Signature::new(
        consign::core::SignatureFormat::CosignBlob,
        b"MEUCIQDtest".to_vec(),
        consign::core::VerificationMaterial::PublicKey {
            hint: consign::core::KeyId::new(""),
        },
    )
}

/// A layout with an amd64 image tagged `1.0` signed in both schemes; returns the image.
fn signed_image(dir: &Path) -> (OciLayout, Descriptor) {
    let (layout, image) = platform_image(dir, &amd64(), "1.0");
    Attachments::new(Kind::Signatures)
        .push(
            Attachment::simple_signing(
                br#"{"critical":{"type":"cosign container image signature"}}"#.to_vec(),
                &test_signature(),
            )
            .unwrap(),
        )
        .write_to(&layout, &image)
        .unwrap();
    (layout, image)
}

/// The signature tag and the referrers of `image` in `repo` on `registry`.
async fn check_attachments(registry: &Registry, repo: &str, image: &Descriptor) {
    let host = registry.host();
    let sig_tag = Kind::Signatures.tag(&image.digest);
    let raw = skopeo_raw(&format!("{host}/{repo}:{sig_tag}"));
    let sig: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        sig["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"],
        "MEUCIQDtest"
    );
    let client = registry.client();
    let repo = reference(&host, repo);
    let referrers = client
        .referrers(repo.repository(), &image.digest, None)
        .await
        .unwrap();
    assert_eq!(referrers.len(), 1, "{referrers:?}");
    assert_eq!(
        referrers[0].artifact_type,
        Some(Kind::Signatures.artifact_type())
    );
    // Distribution 2.8 has no referrers API: the referrers tag holds them.
    let fallback = skopeo_raw(&format!(
        "{host}/{}:{}",
        repo.repository(),
        referrers_tag(&image.digest).unwrap()
    ));
    assert!(String::from_utf8_lossy(&fallback).contains(&referrers[0].digest.to_string()));
    // Read back both ways, they are the signature that was attached.
    let attached = Attachment::simple_signing(
        br#"{"critical":{"type":"cosign container image signature"}}"#.to_vec(),
        &test_signature(),
    )
    .unwrap();
    for pulled in [
        pull_attachments(&client, &repo, &image.digest, Kind::Signatures).await,
        pull_referrer_attachments(&client, &repo, &image.digest, Kind::Signatures).await,
    ] {
        assert_eq!(pulled.unwrap().items(), std::slice::from_ref(&attached));
    }
    let none = pull_attachments(&client, &repo, &image.digest, Kind::Sboms)
        .await
        .unwrap();
    assert!(none.items().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_layout_sends_the_attachments_and_a_repush_sends_no_blob() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let (layout, image) = signed_image(dir.path());
    let target = reference(&registry.host(), "acme/signed:1.0");
    let client = registry.client();
    let summary = push_layout(
        &client,
        &layout,
        "1.0",
        &target,
        &[tag("1.0"), tag("latest")],
    )
    .await
    .unwrap();
    assert_eq!(summary.descriptor.digest, image.digest);
    assert_eq!(summary.tags, [tag("1.0"), tag("latest")]);
    assert_eq!(summary.attachments.len(), 2, "{:?}", summary.attachments);
    assert_eq!(summary.manifests, 3);
    check_attachments(&registry, "acme/signed", &image).await;
    assert_eq!(
        skopeo_raw(&target.to_string()),
        layout.manifest_bytes(&image).unwrap()
    );

    let again = push_layout(&client, &layout, "1.0", &target, &[])
        .await
        .unwrap();
    assert_eq!((again.blobs_uploaded, again.bytes_uploaded), (0, 0));
    assert!(again.blobs_skipped > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promotion_between_repositories_mounts_and_keeps_digest_and_signatures() {
    let registry = Registry::start();
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();
    let (layout, image) = signed_image(dir.path());
    let staging = reference(&host, "staging/tool:1.0");
    let client = registry.client();
    push_layout(&client, &layout, "1.0", &staging, &[])
        .await
        .unwrap();
    // The index over the image is what gets promoted.
    let index = assemble_index(
        &client,
        &reference(&host, "staging/tool"),
        vec![IndexEntry::remote(image.digest, amd64())],
        &[tag("1.0-index")],
    )
    .await
    .unwrap();

    let promoter = registry.client();
    let source = staging.at_digest(index.digest);
    let summary = promote(
        &promoter,
        &source,
        &promoter,
        &reference(&host, "prod/tool"),
        &[tag("1.0"), tag("stable")],
    )
    .await
    .unwrap();
    assert_eq!(summary.descriptor.digest, index.digest);
    assert!(summary.blobs_mounted >= 2, "{summary:?}");
    assert_eq!((summary.blobs_copied, summary.bytes_copied), (0, 0));
    assert!(promoter.stats().blobs_mounted >= 2);
    assert_eq!(promoter.stats().blob_bytes_sent, 0);
    assert_eq!(summary.attachments.len(), 2, "{:?}", summary.attachments);
    assert_eq!(skopeo_raw(&format!("{host}/prod/tool:stable")), index.bytes);
    assert_eq!(
        skopeo_raw(&format!("{host}/prod/tool@{}", image.digest)),
        layout.manifest_bytes(&image).unwrap()
    );
    check_attachments(&registry, "prod/tool", &image).await;

    // A source without a digest is refused.
    let err = promote(
        &promoter,
        &staging,
        &promoter,
        &reference(&host, "prod/tool"),
        &[],
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NoDigest { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promotion_between_registries_copies_blobs_and_attachments() {
    let (one, two) = (Registry::start(), Registry::start());
    let dir = tempfile::tempdir().unwrap();
    let (layout, image) = signed_image(dir.path());
    let staged = reference(&one.host(), "acme/tool:1.0");
    push_layout(&one.client(), &layout, "1.0", &staged, &[])
        .await
        .unwrap();

    let (from, to) = (one.client(), two.client());
    let summary = promote(
        &from,
        &staged.at_digest(image.digest),
        &to,
        &reference(&two.host(), "release/tool"),
        &[tag("1.0")],
    )
    .await
    .unwrap();
    assert_eq!(summary.descriptor.digest, image.digest);
    assert_eq!(summary.blobs_mounted, 0);
    assert!(summary.blobs_copied >= 2, "{summary:?}");
    assert_eq!(summary.tags, [tag("1.0")]);
    assert_eq!(
        skopeo_raw(&format!("{}/release/tool:1.0", two.host())),
        layout.manifest_bytes(&image).unwrap()
    );
    check_attachments(&two, "release/tool", &image).await;
    // A second promotion finds everything in place.
    let again = promote(
        &from,
        &staged.at_digest(image.digest),
        &to,
        &reference(&two.host(), "release/tool"),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(again.blobs_copied, 0);
}
