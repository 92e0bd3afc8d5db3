//! The main job with `--registry`: it pushes the image and the index it wrote to `dist/oci`
//! to a real registry (`docker-registry` on a loopback port) with the release tags, read back
//! with `skopeo`.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/support.rs"]
mod support;

use std::process::Command;

use common::attached::check_signatures;
use common::{examples_dir, run, run_ok, stripped_program};
use consign::core::{Algorithm, Digest, Platform};
use consign::oci::tags::platform_tag;
use consign::oci::{ImagePlatform, OciLayout, Tag};
use support::{Registry, skopeo_raw};

#[test]
fn main_job_pushes_the_image_and_index_with_the_release_tags() {
    let registry = Registry::start();
    let examples = examples_dir();
    let dir = tempfile::tempdir().unwrap();
    let program = stripped_program(&examples, dir.path());
    let dist = dir.path().join("dist");
    let repo = format!("{}/consign/consign-sums", registry.host());
    let out = run(Command::new(examples.join("release"))
        .arg("--binary")
        .arg(&program)
        .args(["--version", "1.2.3", "--registry", &repo])
        .arg("--out")
        .arg(&dist)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("DOCKER_CONFIG", dir.path().join("no-docker-config")));
    assert!(
        out.status.success(),
        "release failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        registry.log()
    );

    let layout = OciLayout::open(dist.join("oci")).unwrap();
    let index = layout.resolve("1.2.3").unwrap();
    for tag in ["1.2.3", "1.2", "1"] {
        let raw = skopeo_raw(&format!("{repo}:{tag}"));
        assert_eq!(
            Digest::of(Algorithm::Sha256, &raw),
            index.digest,
            "tag {tag}"
        );
    }
    let platform = ImagePlatform::from(&Platform::host().unwrap());
    let image_tag = platform_tag(&Tag::new("1.2.3").unwrap(), &platform);
    let image = layout.resolve(image_tag.as_str()).unwrap();
    let raw = skopeo_raw(&format!("{repo}:{image_tag}"));
    assert_eq!(raw, layout.manifest_bytes(&image).unwrap());

    // skopeo copies the whole index back, verifying every blob.
    let copy = dir.path().join("copy");
    run_ok(Command::new("skopeo").args([
        "copy",
        "--all",
        "--src-tls-verify=false",
        &format!("docker://{repo}:1"),
        &format!("oci:{}:1", copy.display()),
    ]));
    assert_eq!(
        OciLayout::open(&copy).unwrap().resolve("1").unwrap().digest,
        index.digest
    );

    // The signatures travelled: the cosign tag of each manifest, copied out of the registry
    // with skopeo, holds a payload naming the manifest (and the repository) whose signature
    // OpenSSL verifies with the published key; the attestation tag and the referrers
    // fallback tag (distribution 2.8 has no referrers API) are there too.
    for digest in [index.digest, image.digest] {
        let checks = dir.path().join(format!("checks-{}", digest.hex()));
        std::fs::create_dir_all(&checks).unwrap();
        assert_eq!(
            check_signatures(
                &repo,
                &digest,
                &repo,
                &dist.join("keys/cosign.pub"),
                &checks
            ),
            1
        );
        let att = skopeo_raw(&format!("{repo}:sha256-{}.att", digest.hex()));
        assert!(String::from_utf8_lossy(&att).contains("https://slsa.dev/provenance/v1"));
        let referrers = skopeo_raw(&format!("{repo}:sha256-{}", digest.hex()));
        assert!(
            String::from_utf8_lossy(&referrers)
                .contains("application/vnd.dev.cosign.artifact.sig.v1+json"),
            "{}",
            String::from_utf8_lossy(&referrers)
        );
    }

    // A registry reference with a tag is refused.
    let out = run(Command::new(examples.join("release"))
        .arg("--binary")
        .arg(&program)
        .args(["--version", "1.2.3", "--registry", &format!("{repo}:1.2.3")])
        .arg("--out")
        .arg(dir.path().join("dist2"))
        .env("SOURCE_DATE_EPOCH", "1700000000"));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("HOST[:PORT]/REPO"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
