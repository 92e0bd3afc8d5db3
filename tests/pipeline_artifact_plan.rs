//! The full artifact plan (`examples/artifact-plan`): archives and packages for a two-target
//! matrix, SBOMs, OpenPGP and cosign signatures of each file and of both checksum files, notes
//! from a Conventional Commits history, provenance; then its own verification step, which
//! passes on what was published and names what a tampered file breaks. Everything is also
//! checked with the reference tools: sha256sum/sha512sum, gpgv, OpenSSL, the SBOM validators,
//! the in-toto checkers, dpkg-deb and rpmkeys.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "version/git.rs"]
mod git;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{build_examples, require_tool, run, run_ok, static_program};
use consign::sbom::CdxVersion;
use git::Git;

fn plan(examples: &Path, args: &[&str]) -> Output {
    run(Command::new(examples.join("artifact-plan"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("GITHUB_ACTIONS"))
}

fn verify(examples: &Path, dist: &Path) -> Output {
    plan(
        examples,
        &[
            "verify",
            "--dist",
            dist.to_str().unwrap(),
            "--pgp-public",
            dist.join("keys/release.asc").to_str().unwrap(),
            "--cosign-public",
            dist.join("keys/cosign.pub").to_str().unwrap(),
        ],
    )
}

#[test]
fn the_plan_is_published_and_verifies_and_a_tampered_file_does_not() {
    require_tool("gpgv", "gpgv");
    require_tool("openssl", "openssl");
    require_tool("dpkg-deb", "dpkg");
    let examples = build_examples(&["artifact-plan"]);
    let dir = tempfile::tempdir().unwrap();
    let amd64 = static_program("musl-gcc", "musl-tools", dir.path(), "plan-x86_64");
    let arm64 = static_program(
        "aarch64-linux-gnu-gcc",
        "gcc-aarch64-linux-gnu and libc6-dev-arm64-cross",
        dir.path(),
        "plan-aarch64",
    );
    let git = Git::init();
    git.commit_file("README.md", "plan\n", "feat: first release");
    git.run(&["tag", "-a", "v1.1.0", "-m", "v1.1.0"]);
    git.commit_file("src.txt", "a\n", "feat(cli): add a verbose flag");
    git.commit_file("src.txt", "b\n", "fix(core): handle empty input");
    let dist = dir.path().join("dist");
    let man = common::lint::man_page(dir.path(), "plan", "checksum tool");
    let out = plan(
        &examples,
        &[
            "publish",
            "--name",
            "plan",
            "--version",
            "1.2.0",
            "--target",
            &format!("x86_64-unknown-linux-musl={}", amd64.display()),
            "--target",
            &format!("aarch64-unknown-linux-musl={}", arm64.display()),
            "--repo",
            git.dir.to_str().unwrap(),
            "--man",
            man.to_str().unwrap(),
            "--out",
            dist.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "publish failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Its own verification step passes.
    let checked = verify(&examples, &dist);
    assert!(
        checked.status.success(),
        "verify failed: {}",
        String::from_utf8_lossy(&checked.stderr)
    );

    // The reference tools agree.
    for (tool, file) in [("sha256sum", "SHA256SUMS"), ("sha512sum", "SHA512SUMS")] {
        let said = run_ok(Command::new(tool).args(["-c", file]).current_dir(&dist));
        // 2 targets × (tar.gz, zip, deb, rpm) with 2 SBOMs and 2 signatures each, the notes
        // and the provenance.
        assert_eq!(
            said.lines().filter(|l| l.ends_with(": OK")).count(),
            8 * 5 + 2,
            "{said}"
        );
    }
    let gnupg = dir.path().join("gnupg");
    std::fs::create_dir_all(&gnupg).unwrap();
    let keyring = dir.path().join("release.gpg");
    run_ok(
        Command::new("gpg")
            .env("GNUPGHOME", &gnupg)
            .args(["--batch", "--dearmor", "--output"])
            .arg(&keyring)
            .arg(dist.join("keys/release.asc")),
    );
    use base64::Engine;
    for file in [
        "SHA256SUMS",
        "SHA512SUMS",
        "plan-1.2.0-aarch64-unknown-linux-musl.zip",
        "plan_1.2.0_amd64.deb",
    ] {
        run_ok(
            Command::new("gpgv")
                .arg("--keyring")
                .arg(&keyring)
                .arg(dist.join(format!("{file}.asc")))
                .arg(dist.join(file)),
        );
        let der = base64::engine::general_purpose::STANDARD
            .decode(std::fs::read(dist.join(format!("{file}.sig"))).unwrap())
            .unwrap();
        let der_path = dir.path().join(format!("{file}.der"));
        std::fs::write(&der_path, der).unwrap();
        run_ok(
            Command::new("openssl")
                .args(["dgst", "-sha256", "-verify"])
                .arg(dist.join("keys/cosign.pub"))
                .arg("-signature")
                .arg(&der_path)
                .arg(dist.join(file)),
        );
    }
    let mut sboms: Vec<(PathBuf, Option<CdxVersion>)> = Vec::new();
    for entry in std::fs::read_dir(&dist).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.ends_with(".cdx.json") {
            sboms.push((path, Some(CdxVersion::V1_6)));
        } else if name.ends_with(".spdx.json") {
            sboms.push((path, None));
        }
    }
    assert_eq!(sboms.len(), 16);
    common::sbom::validate(&sboms);
    let (accepted, said) = common::intoto::check(
        &dist.join("keys/cosign.pub"),
        &[&dist.join("plan-1.2.0.intoto.jsonl")],
    );
    assert!(accepted, "{said}");
    let (db, home) = common::rpmkeys::database(
        &dir.path().join("rpm"),
        &std::fs::read(dist.join("keys/release.asc")).unwrap(),
    );
    for (deb, rpm) in [
        ("plan_1.2.0_amd64.deb", "plan-1.2.0-1.x86_64.rpm"),
        ("plan_1.2.0_arm64.deb", "plan-1.2.0-1.aarch64.rpm"),
    ] {
        common::lint::lintian_finds_nothing(&dist.join(deb));
        common::lint::rpmlint_finds_no_error(dir.path(), &home, &dist.join(rpm));
    }
    let report = common::rpmkeys::check(&db, &dist.join("plan-1.2.0-1.aarch64.rpm"));
    assert!(
        report.contains("Signature, key ID") && !report.contains("NOT OK"),
        "{report}"
    );
    let fields = run_ok(
        Command::new("dpkg-deb")
            .arg("--field")
            .arg(dist.join("plan_1.2.0_arm64.deb"))
            .args(["Package", "Architecture"]),
    );
    assert_eq!(fields, "Package: plan\nArchitecture: arm64\n");
    let notes = std::fs::read_to_string(dist.join("RELEASE_NOTES.md")).unwrap();
    assert!(notes.contains("add a verbose flag"), "{notes}");
    assert!(notes.contains("handle empty input"), "{notes}");
    assert!(!notes.contains("first release"), "{notes}");

    // A tampered archive: the verification step names it, and what fails for it.
    let tampered = dist.join("plan-1.2.0-x86_64-unknown-linux-musl.tar.gz");
    let mut bytes = std::fs::read(&tampered).unwrap();
    bytes.push(0);
    std::fs::write(&tampered, bytes).unwrap();
    let refused = verify(&examples, &dist);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    for expected in [
        "SHA256SUMS: plan-1.2.0-x86_64-unknown-linux-musl.tar.gz: FAILED",
        "SHA512SUMS: plan-1.2.0-x86_64-unknown-linux-musl.tar.gz: FAILED",
        "plan-1.2.0-x86_64-unknown-linux-musl.tar.gz.asc:",
        "plan-1.2.0-x86_64-unknown-linux-musl.tar.gz.sig:",
        "4 problems found",
    ] {
        assert!(said.contains(expected), "{expected:?} missing:\n{said}");
    }
}
