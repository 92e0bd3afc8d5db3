//! The packages-and-images matrix (`examples/matrix-release`): eight runner processes (two
//! packages × two architectures, packages and images) and a fan-in job that counts, copies,
//! assembles each package's multi-arch index from the pushed digests and signs it. Checked
//! with dpkg-deb, debsig-verify, rpm, rpmkeys, sha256sum, skopeo and OpenSSL; and the count
//! check refuses an incomplete matrix having published nothing.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "registry/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::attached::check_signatures;
use common::{build_examples, require_tool, run, run_ok, static_program};
use consign::sign::KeyAlgorithm;
use consign::sign::openpgp::OpenPgpKey;
use support::{Registry, skopeo_raw};

const PACKAGES: [&str; 2] = ["kms", "kms-fips"];
const TARGETS: [(&str, &str); 2] = [
    ("x86_64-unknown-linux-musl", "amd64"),
    ("aarch64-unknown-linux-musl", "arm64"),
];

fn matrix(examples: &Path, dir: &Path, args: &[&str]) -> Output {
    run(Command::new(examples.join("matrix-release"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("DOCKER_CONFIG", dir.join("no-docker-config"))
        .env_remove("COSIGN_KEY"))
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fan_in(examples: &Path, dir: &Path, registry: &str, runners: &[PathBuf], out: &Path) -> Output {
    let mut args: Vec<String> = [
        "fan-in",
        "--release",
        "kms",
        "--version",
        "1.2.3",
        "--packages",
        "kms,kms-fips",
        "--targets",
        "x86_64-unknown-linux-musl,aarch64-unknown-linux-musl",
        "--registry",
        registry,
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(out.display().to_string());
    for runner in runners {
        args.push("--in".into());
        args.push(runner.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    matrix(examples, dir, &args)
}

#[test]
fn runners_build_the_matrix_and_the_fan_in_publishes_it_only_when_complete() {
    require_tool("dpkg-deb", "dpkg");
    require_tool("rpm", "rpm");
    require_tool("skopeo", "skopeo");
    let registry = Registry::start();
    let examples = build_examples(&["matrix-release"]);
    let dir = tempfile::tempdir().unwrap();
    let programs = [
        static_program("musl-gcc", "musl-tools", dir.path(), "kms-x86_64"),
        static_program(
            "aarch64-linux-gnu-gcc",
            "gcc-aarch64-linux-gnu and libc6-dev-arm64-cross",
            dir.path(),
            "kms-aarch64",
        ),
    ];
    let key = OpenPgpKey::generate(
        "KMS Release <release@example.invalid>",
        KeyAlgorithm::Ed25519,
        common::keys::date(),
    )
    .unwrap();
    let secret = dir.path().join("release.key");
    std::fs::write(&secret, key.secret_armored()).unwrap();
    let images = format!("{}/cosmian", registry.host());

    // The runners: separate processes, one output directory each.
    let mut runners = Vec::new();
    for package in PACKAGES {
        for ((triple, arch), program) in TARGETS.iter().zip(&programs) {
            let out = dir.path().join(format!("runner-{package}-{arch}"));
            let target = format!("{triple}={}", program.display());
            let common = [
                "--release",
                "kms",
                "--package",
                package,
                "--version",
                "1.2.3",
                "--target",
                &target,
                "--out",
                out.to_str().unwrap(),
            ];
            let man = common::lint::man_page(dir.path(), package, "key management server");
            let mut args = vec![
                "package",
                "--pgp-key",
                secret.to_str().unwrap(),
                "--summary",
                "Key management server",
                "--man",
                man.to_str().unwrap(),
            ];
            args.extend(common);
            ok(matrix(&examples, dir.path(), &args), "package runner");
            let mut args = vec!["image", "--registry", &images];
            args.extend(common);
            let said = ok(matrix(&examples, dir.path(), &args), "image runner");
            assert!(said.contains(&format!("as 1.2.3-{arch}")), "{said}");
            runners.push(out);
        }
    }

    // One runner's output missing: refused, naming what is missing, nothing published.
    let partial = dir.path().join("partial");
    let out = fan_in(&examples, dir.path(), &images, &runners[..3], &partial);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("aarch64"), "{err}");
    assert!(
        !partial.exists(),
        "the incomplete fan-in wrote {}",
        partial.display()
    );
    let none = run(Command::new("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{images}/kms-fips:1.2.3"),
    ]));
    assert!(
        !none.status.success(),
        "an index was pushed for an incomplete matrix"
    );

    // Complete: published.
    let dist = dir.path().join("dist");
    let said = ok(
        fan_in(&examples, dir.path(), &images, &runners, &dist),
        "fan-in",
    );
    assert!(said.contains("from 4 runners"), "{said}");
    let sums = run_ok(
        Command::new("sha256sum")
            .args(["-c", "SHA256SUMS"])
            .current_dir(&dist),
    );
    // Every package; the `.sha256` files are not listed in SHA256SUMS.
    assert_eq!(
        sums.lines().filter(|l| l.ends_with(": OK")).count(),
        8,
        "{sums}"
    );

    let (db, home) = common::rpmkeys::database(dir.path(), key.public_armored());
    let (policies, keyrings) = common::debsig::debsig_dirs(
        &dir.path().join("debsig"),
        key.public_armored(),
        key.fingerprint().as_str(),
    );
    for package in PACKAGES {
        for ((_, arch), rpm_arch) in TARGETS.iter().zip(["x86_64", "aarch64"]) {
            let deb = dist.join(format!("{package}_1.2.3_{arch}.deb"));
            let fields = run_ok(Command::new("dpkg-deb").args(["--field"]).arg(&deb).args([
                "Package",
                "Architecture",
                "Version",
            ]));
            assert_eq!(
                fields,
                format!("Package: {package}\nArchitecture: {arch}\nVersion: 1.2.3\n")
            );
            let (verified, said) = common::debsig::debsig_verify(&policies, &keyrings, &deb);
            assert!(verified, "debsig-verify {}: {said}", deb.display());
            common::lint::lintian_finds_nothing(&deb);
            let rpm = dist.join(format!("{package}-1.2.3-1.{rpm_arch}.rpm"));
            let query = run_ok(
                Command::new("rpm")
                    .args(["-qp", "--qf", "%{NAME} %{VERSION} %{ARCH}"])
                    .arg(&rpm),
            );
            assert_eq!(query, format!("{package} 1.2.3 {rpm_arch}"));
            common::lint::rpmlint_finds_no_error(dir.path(), &home, &rpm);
            let report = common::rpmkeys::check(&db, &rpm);
            assert!(
                report.contains("Signature, key ID") && report.contains(": OK"),
                "{report}"
            );
            assert!(!report.contains("NOT OK"), "{report}");
            for file in [deb, rpm] {
                let name = file.file_name().unwrap().to_str().unwrap().to_owned();
                let checked = run_ok(
                    Command::new("sha256sum")
                        .args(["-c", &format!("{name}.sha256")])
                        .current_dir(&dist),
                );
                assert_eq!(checked.trim(), format!("{name}: OK"));
            }
        }

        // The index assembled from the runners' digests, signed.
        let repo = format!("{images}/{package}");
        let raw = skopeo_raw(&format!("{repo}:1.2.3"));
        let index: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        let arches: Vec<&str> = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["platform"]["architecture"].as_str().unwrap())
            .collect();
        assert_eq!(arches, ["amd64", "arm64"]);
        for (_, arch) in TARGETS {
            let image = skopeo_raw(&format!("{repo}:1.2.3-{arch}"));
            let digest = consign::core::Digest::of(consign::core::Algorithm::Sha256, &image);
            assert!(String::from_utf8_lossy(&raw).contains(&digest.to_string()));
        }
        let digest = consign::core::Digest::of(consign::core::Algorithm::Sha256, &raw);
        let checks = dir.path().join(format!("checks-{package}"));
        std::fs::create_dir_all(&checks).unwrap();
        assert_eq!(
            check_signatures(&repo, &digest, &repo, &dist.join("cosign.pub"), &checks),
            1
        );
    }
}
