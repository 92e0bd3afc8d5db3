//! The publish-and-promote pipeline (`examples/publish-promote`): an image pushed under its
//! commit to one docker-registry, attested and signed there, verified, promoted by digest to a
//! second docker-registry with its attachments and semver tags, and verified again; every
//! output read back with skopeo, OpenSSL, the in-toto checkers and the SPDX validator.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::attached::{check_signatures, copy_tag, layer_path};
use common::{build_examples, require_tool, run, run_ok, stripped_program};
use consign::core::{Algorithm, Digest};
use support::{Registry, skopeo_raw};

const COMMIT: &str = "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d";

fn example(examples: &Path, dir: &Path, args: &[&str]) -> Output {
    run(Command::new(examples.join("publish-promote"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("DOCKER_CONFIG", dir.join("no-docker-config"))
        .env_remove("COSIGN_KEY")
        .env_remove("GITHUB_ACTIONS"))
}

fn ok(out: Output, what: &str, registries: &[&Registry]) -> String {
    let logs: Vec<String> = registries.iter().map(|r| r.log()).collect();
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        logs.join("\n")
    );
    String::from_utf8(out.stdout).unwrap()
}

fn list_tags(repo: &str) -> Vec<String> {
    let out = run_ok(Command::new("skopeo").args([
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{repo}"),
    ]));
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut tags: Vec<String> = listed["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    tags.sort();
    tags
}

fn digest_of(repo: &str, tag: &str) -> Digest {
    Digest::of(Algorithm::Sha256, &skopeo_raw(&format!("{repo}:{tag}")))
}

/// Every attestation on `digest` in `repo`: checked by the in-toto tools with `public_key`;
/// the SPDX SBOM inside validated. Returns the predicate types found.
fn check_attestations(repo: &str, digest: &Digest, public_key: &Path, dir: &Path) -> Vec<String> {
    let (layout, manifest) = copy_tag(repo, &format!("sha256-{}.att", digest.hex()), dir);
    let mut files: Vec<PathBuf> = Vec::new();
    let mut types = Vec::new();
    for layer in manifest["layers"].as_array().unwrap() {
        let path = layer_path(&layout, layer);
        let envelope: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        use base64::Engine;
        let payload = base64::engine::general_purpose::STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap();
        let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(statement["subject"][0]["digest"]["sha256"], digest.hex());
        let predicate_type = statement["predicateType"].as_str().unwrap().to_owned();
        if predicate_type == "https://spdx.dev/Document" {
            let sbom = dir.join(format!("{}.spdx.json", digest.hex()));
            std::fs::write(&sbom, statement["predicate"].to_string()).unwrap();
            common::sbom::validate(&[(sbom, None)]);
        }
        types.push(predicate_type);
        files.push(path);
    }
    let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (accepted, said) = common::intoto::check(public_key, &files);
    assert!(
        accepted,
        "in-toto checkers refused the attestations: {said}"
    );
    types.sort();
    types
}

#[test]
fn published_images_are_verified_promoted_with_their_attachments_and_verified_again() {
    require_tool("skopeo", "skopeo");
    require_tool("openssl", "openssl");
    let staging = Registry::start();
    let production = Registry::start();
    let registries = [&staging, &production];
    let examples = build_examples(&["publish-promote", "consign-sums"]);
    let dir = tempfile::tempdir().unwrap();
    let program = stripped_program(&examples, dir.path());
    let dist = dir.path().join("dist");
    let report = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pipelines/trivy-report.json");
    let source = format!("{}/org/app", staging.host());
    let target = format!("{}/org/app", production.host());

    // Main branch: build, push, attest, sign, verify.
    let said = ok(
        example(
            &examples,
            dir.path(),
            &[
                "publish",
                "--registry",
                &source,
                "--commit",
                COMMIT,
                "--binary",
                program.to_str().unwrap(),
                "--scan",
                report.to_str().unwrap(),
                "--out",
                dist.to_str().unwrap(),
            ],
        ),
        "publish",
        &registries,
    );
    assert!(said.contains("as main, sha-7fd1a60"), "{said}");
    assert!(said.contains("verified org/app@sha256:"), "{said}");
    let public_key = dist.join("cosign.pub");
    let index = digest_of(&source, "sha-7fd1a60");
    assert_eq!(digest_of(&source, "main"), index);
    // The pushed index is the one in the layout, and skopeo copies it whole.
    let layout = consign::oci::OciLayout::open(dist.join("oci")).unwrap();
    assert_eq!(layout.resolve("sha-7fd1a60").unwrap().digest, index);
    run_ok(Command::new("skopeo").args([
        "copy",
        "--all",
        "--src-tls-verify=false",
        &format!("docker://{source}:sha-7fd1a60"),
        &format!("oci:{}:copy", dir.path().join("copy").display()),
    ]));

    let source_ref = format!("{}/{}", staging.host(), "org/app");
    let checks = dir.path().join("checks");
    std::fs::create_dir_all(&checks).unwrap();
    assert_eq!(
        check_signatures(&source, &index, &source_ref, &public_key, &checks),
        1
    );
    let expected_types = [
        "https://cosign.sigstore.dev/attestation/vuln/v1",
        "https://slsa.dev/provenance/v1",
        "https://spdx.dev/Document",
    ];
    assert_eq!(
        check_attestations(&source, &index, &public_key, &checks),
        expected_types
    );

    // Release: promote by digest with the semver tags.
    let said = ok(
        example(
            &examples,
            dir.path(),
            &[
                "promote",
                "--key",
                public_key.to_str().unwrap(),
                "--from",
                &format!("{source}:sha-7fd1a60"),
                "--to",
                &target,
                "--version",
                "v1.2.3",
            ],
        ),
        "promote",
        &registries,
    );
    assert_eq!(said.matches("verified").count(), 2, "{said}");
    let sig_tag = format!("sha256-{}.sig", index.hex());
    let att_tag = format!("sha256-{}.att", index.hex());
    let mut expected: Vec<String> = ["1", "1.2", "1.2.3", "latest", "v1.2.3"]
        .iter()
        .map(|t| t.to_string())
        .collect();
    expected.push(att_tag.clone());
    expected.push(sig_tag.clone());
    // distribution 2.8 has no referrers API: the referrers tag fallback travels too.
    let mut listed = list_tags(&target);
    listed.retain(|t| t != &format!("sha256-{}", index.hex()));
    expected.sort();
    assert_eq!(listed, expected);
    for tag in ["1", "1.2", "1.2.3", "latest", "v1.2.3"] {
        assert_eq!(digest_of(&target, tag), index, "tag {tag}");
    }
    let production_checks = dir.path().join("production-checks");
    std::fs::create_dir_all(&production_checks).unwrap();
    // The signatures name the repository they were made in, and still verify.
    assert_eq!(
        check_signatures(
            &target,
            &index,
            &source_ref,
            &public_key,
            &production_checks
        ),
        1
    );
    assert_eq!(
        check_attestations(&target, &index, &public_key, &production_checks),
        expected_types
    );

    // An older patch release does not take `latest`.
    let said = ok(
        example(
            &examples,
            dir.path(),
            &[
                "promote",
                "--key",
                public_key.to_str().unwrap(),
                "--from",
                &format!("{source}@{index}"),
                "--to",
                &target,
                "--version",
                "1.1.9",
            ],
        ),
        "promote 1.1.9",
        &registries,
    );
    assert!(said.contains("as 1.1.9, v1.1.9, 1.1, 1 "), "{said}");

    // Verification with another key fails and names what is missing.
    let other = dir.path().join("other.pub");
    let key = consign::sign::cosign::CosignKey::generate().unwrap();
    std::fs::write(&other, key.public_key().to_pem()).unwrap();
    let out = example(
        &examples,
        dir.path(),
        &[
            "verify",
            "--key",
            other.to_str().unwrap(),
            &format!("{target}:1.2.3"),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not meet the policy"), "{err}");
    for missing in ["no valid signature", "https://slsa.dev/provenance/v1"] {
        assert!(err.contains(missing), "{err}");
    }
    ok(
        example(
            &examples,
            dir.path(),
            &[
                "verify",
                "--key",
                public_key.to_str().unwrap(),
                &format!("{target}:latest"),
            ],
        ),
        "verify",
        &registries,
    );
}

#[test]
fn an_unsigned_image_is_not_promoted() {
    require_tool("skopeo", "skopeo");
    let staging = Registry::start();
    let production = Registry::start();
    let examples = build_examples(&["publish-promote"]);
    let dir = tempfile::tempdir().unwrap();
    // An image pushed without attestations or signatures.
    let image = support::test_image(dir.path(), 1024);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let source = format!("{}/org/app", staging.host());
    let client = staging.client();
    let reference: consign::oci::Reference = format!("{source}:sha-0000000").parse().unwrap();
    runtime.block_on(async {
        client
            .push_blobs(reference.repository(), image.blobs(dir.path()))
            .await
            .unwrap();
        client
            .push_manifest(
                &reference,
                &image.manifest,
                &consign::oci::MediaType::ImageManifest,
            )
            .await
            .unwrap();
    });
    let key = consign::sign::cosign::CosignKey::generate().unwrap();
    let public_key = dir.path().join("cosign.pub");
    std::fs::write(&public_key, key.public_key().to_pem()).unwrap();
    let target = format!("{}/org/app", production.host());
    let out = example(
        &examples,
        dir.path(),
        &[
            "promote",
            "--key",
            public_key.to_str().unwrap(),
            "--from",
            &format!("{source}:sha-0000000"),
            "--to",
            &target,
            "--version",
            "1.0.0",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no valid signature (none attached)"), "{err}");
    assert!(
        err.contains("no valid attestation of type https://spdx.dev/Document (none attached)"),
        "{err}"
    );
    // Nothing reached production.
    let listed = run(Command::new("skopeo").args([
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{target}"),
    ]));
    assert!(!listed.status.success() || !String::from_utf8_lossy(&listed.stdout).contains("1.0.0"));
}
