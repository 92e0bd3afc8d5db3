//! The cross-target pipeline (`examples/cross-release`): static programs for
//! x86_64-unknown-linux-musl and aarch64-unknown-linux-musl (built here from C with musl-gcc
//! and the aarch64 cross compiler, as prebuilt binaries are passed in when no Rust cross
//! toolchain is installed), released as tarballs with `.sha256` files, a two-platform image
//! index pushed to a docker-registry, and signed SLSA provenance for both; checked with tar,
//! sha256sum, skopeo and the in-toto checkers.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/support.rs"]
mod support;

use std::process::Command;

use common::attached::{copy_tag, layer_path};
use common::{build_examples, require_tool, run, run_ok, static_program};
use consign::core::{Algorithm, ArtifactKind, Digest, Expected, Platform, ReleaseManifest};
use support::{Registry, skopeo_raw};

#[test]
fn musl_targets_are_released_as_tarballs_images_and_provenance() {
    require_tool("skopeo", "skopeo");
    require_tool("sha256sum", "coreutils");
    let registry = Registry::start();
    let examples = build_examples(&["cross-release"]);
    let dir = tempfile::tempdir().unwrap();
    let amd64 = static_program("musl-gcc", "musl-tools", dir.path(), "hello-x86_64");
    let arm64 = static_program(
        "aarch64-linux-gnu-gcc",
        "gcc-aarch64-linux-gnu and libc6-dev-arm64-cross",
        dir.path(),
        "hello-aarch64",
    );
    let out = dir.path().join("dist");
    let repo = format!("{}/enclave/odyn", registry.host());
    let said = run(Command::new(examples.join("cross-release"))
        .args(["--version", "1.2.3"])
        .arg("--target")
        .arg(format!("x86_64-unknown-linux-musl={}", amd64.display()))
        .arg("--target")
        .arg(format!("aarch64-unknown-linux-musl={}", arm64.display()))
        .args(["--registry", &repo, "--out"])
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("DOCKER_CONFIG", dir.path().join("no-docker-config"))
        .env_remove("COSIGN_KEY")
        .env_remove("GITHUB_ACTIONS"));
    assert!(
        said.status.success(),
        "cross-release failed: {}\n{}",
        String::from_utf8_lossy(&said.stderr),
        registry.log()
    );

    // Tarballs: the layout under one directory, the .sha256 files check, the program runs.
    for triple in ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"] {
        let tarball = format!("consign-sums-1.2.3-{triple}.tar.gz");
        let listed = run_ok(Command::new("tar").arg("-tzf").arg(out.join(&tarball)));
        let mut listed: Vec<&str> = listed.lines().collect();
        listed.sort_unstable();
        let top = format!("consign-sums-1.2.3-{triple}");
        let expected: Vec<String> = [
            "/",
            "/LICENSE-APACHE",
            "/LICENSE-MIT",
            "/README.md",
            "/consign-sums",
        ]
        .iter()
        .map(|p| format!("{top}{p}"))
        .collect();
        assert_eq!(listed, expected);
        let checked = run_ok(
            Command::new("sha256sum")
                .args(["-c", &format!("{tarball}.sha256")])
                .current_dir(&out),
        );
        assert_eq!(checked.trim(), format!("{tarball}: OK"));
    }
    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    run_ok(
        Command::new("tar")
            .arg("-xzf")
            .arg(out.join("consign-sums-1.2.3-x86_64-unknown-linux-musl.tar.gz"))
            .arg("-C")
            .arg(&unpacked),
    );
    let program = unpacked.join("consign-sums-1.2.3-x86_64-unknown-linux-musl/consign-sums");
    assert_eq!(
        run_ok(&mut Command::new(program)).trim(),
        "hello from a static program"
    );

    // Provenance of the tarballs, checked by the in-toto tools; its subjects are the tarballs.
    let public_key = out.join("cosign.pub");
    let jsonl = out.join("consign-sums-1.2.3.intoto.jsonl");
    let (accepted, checked) = common::intoto::check(&public_key, &[&jsonl]);
    assert!(accepted, "{checked}");
    assert!(
        checked.contains("consign-sums-1.2.3-aarch64-unknown-linux-musl.tar.gz"),
        "{checked}"
    );

    // The index: two platforms named by architecture, each image holding its program.
    let index = Digest::of(Algorithm::Sha256, &skopeo_raw(&format!("{repo}:1.2.3")));
    for tag in ["1.2", "1"] {
        assert_eq!(
            Digest::of(Algorithm::Sha256, &skopeo_raw(&format!("{repo}:{tag}"))),
            index
        );
    }
    let raw: serde_json::Value =
        serde_json::from_slice(&skopeo_raw(&format!("{repo}:1.2.3"))).unwrap();
    let platforms: Vec<String> = raw["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}/{}",
                m["platform"]["os"].as_str().unwrap(),
                m["platform"]["architecture"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    run_ok(Command::new("skopeo").args([
        "copy",
        "--all",
        "--src-tls-verify=false",
        &format!("docker://{repo}:1.2.3"),
        &format!("oci:{}:1.2.3", dir.path().join("copy").display()),
    ]));

    // The images' provenance, attached to the index in the registry.
    let (att_layout, att) = copy_tag(&repo, &format!("sha256-{}.att", index.hex()), dir.path());
    let envelope = layer_path(&att_layout, &att["layers"][0]);
    let (accepted, checked) = common::intoto::check(&public_key, &[&envelope]);
    assert!(accepted, "{checked}");
    assert!(
        checked.contains(&format!("consign-sums@{index}")),
        "{checked}"
    );

    // The draft release lists everything, and is complete for the two targets.
    let manifest =
        ReleaseManifest::from_json(&std::fs::read_to_string(out.join("release.json")).unwrap())
            .unwrap();
    let mut expected = vec![
        Expected {
            kind: ArtifactKind::Checksums,
            platform: None,
            count: 2,
        },
        Expected {
            kind: ArtifactKind::Attestation,
            platform: None,
            count: 1,
        },
    ];
    for triple in ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"] {
        expected.push(Expected {
            kind: ArtifactKind::Archive,
            platform: Some(triple.parse::<Platform>().unwrap()),
            count: 1,
        });
    }
    manifest.check_complete(&expected).unwrap();
    let images: Vec<_> = manifest.images().collect();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].digest, index);
    assert_eq!(images[0].platforms, ["linux/amd64", "linux/arm64/v8"]);
    assert_eq!(images[0].tags, ["1", "1.2", "1.2.3"]);
    assert_eq!(images[0].attachments.len(), 1);
}

#[test]
fn a_program_for_another_machine_is_refused() {
    let examples = build_examples(&["cross-release"]);
    let dir = tempfile::tempdir().unwrap();
    let amd64 = static_program("musl-gcc", "musl-tools", dir.path(), "hello-x86_64");
    let out = run(Command::new(examples.join("cross-release"))
        .args(["--version", "1.2.3", "--target"])
        .arg(format!("aarch64-unknown-linux-musl={}", amd64.display()))
        .arg("--out")
        .arg(dir.path().join("dist"))
        .env("SOURCE_DATE_EPOCH", "1700000000"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ELF executable for X86_64"), "{err}");
    assert!(!dir.path().join("dist/release.json").exists());
}
