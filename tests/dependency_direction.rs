//! The layering of the workspace, checked on Cargo's own view of it: format crates reach the
//! signing seam without cryptography, image layers without the package formats, and core
//! without Cargo.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::run_ok;

/// The crate names `cargo tree` prints for `args` (normal dependencies only).
fn tree(args: &[&str]) -> BTreeSet<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let out = run_ok(
        Command::new(env!("CARGO"))
            .args([
                "tree",
                "--locked",
                "--offline",
                "-e",
                "normal",
                "--prefix",
                "none",
            ])
            .args(["--format", "{p}"])
            .arg("--manifest-path")
            .arg(&manifest)
            .args(args),
    );
    out.lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn assert_absent(crates: &BTreeSet<String>, forbidden: &[&str], what: &str) {
    let found: Vec<&&str> = forbidden
        .iter()
        .filter(|name| crates.contains(**name))
        .collect();
    assert!(
        found.is_empty(),
        "{what} depends on {found:?}; its tree is {crates:?}"
    );
}

#[test]
fn oci_builds_layers_without_package_formats_signing_or_cargo() {
    let crates = tree(&["-p", "consign-oci"]);
    assert!(crates.contains("consign-package"), "{crates:?}");
    assert_absent(
        &crates,
        &["pgp", "p256", "zip", "liblzma", "cargo_metadata", "md-5"],
        "consign-oci",
    );
}

#[test]
fn oci_layouts_work_without_the_registry_stack() {
    let crates = tree(&["-p", "consign-oci", "--no-default-features"]);
    assert_absent(
        &crates,
        &["reqwest", "rustls", "tokio", "hyper", "pgp", "zip"],
        "consign-oci without `registry`",
    );
}

#[test]
fn package_signing_needs_no_cryptography() {
    let crates = tree(&["-p", "consign-package", "--no-default-features"]);
    assert_absent(
        &crates,
        &[
            "pgp",
            "p256",
            "rsa",
            "scrypt",
            "consign-sign",
            "zip",
            "liblzma",
            "cargo_metadata",
        ],
        "consign-package without default features",
    );
    // The full package crate signs through the seam too, never through consign-sign.
    let full = tree(&["-p", "consign-package"]);
    assert_absent(
        &full,
        &["pgp", "p256", "rsa", "scrypt", "consign-sign"],
        "consign-package",
    );
}

#[test]
fn core_is_types_and_hashing_by_default() {
    let crates = tree(&["-p", "consign-core"]);
    assert_absent(
        &crates,
        &["cargo_metadata", "pgp", "p256", "reqwest", "tokio"],
        "consign-core",
    );
    let with_cargo = tree(&["-p", "consign-core", "--features", "cargo"]);
    assert!(with_cargo.contains("cargo_metadata"), "{with_cargo:?}");
}

#[test]
fn version_reads_git_in_process_without_a_network_stack_or_the_format_crates() {
    let crates = tree(&["-p", "consign-version"]);
    assert!(crates.contains("gix"), "{crates:?}");
    assert_absent(
        &crates,
        &[
            "reqwest",
            "curl",
            "hyper",
            "rustls",
            "openssl-sys",
            "tokio",
            "consign-package",
            "consign-sign",
            "consign-oci",
            "consign-sbom",
            "cargo_metadata",
        ],
        "consign-version",
    );
}
