//! cargo-deb and cargo-generate-rpm manifests packaged as they are: glob assets, `$auto`
//! assets and dependencies, build keys, checked with `dpkg-deb` and `rpm`.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{require_tool, run_ok};
use consign::core::SourceDate;
use consign::package::ArtifactWriter;
use consign::package::cargo::CargoTarget;
use consign::package::deb::CargoDeb;
use consign::package::rpm::CargoRpm;

const MANIFEST: &str = r#"[package]
name = "dropin"
version = "0.3.1"
edition = "2021"
authors = ["Jane Doe <jane@example.org>"]
description = "A drop-in test tool"
license = "MIT"

[workspace]

[[bin]]
name = "dropin"
path = "src/main.rs"

[[bin]]
name = "dropin-helper"
path = "src/helper.rs"

[package.metadata.deb]
depends = "$auto, adduser"
features = ["fast"]
default-features = false
separate-debug-symbols = true
strip = true
assets = [
  "$auto",
  ["assets/*", "usr/share/dropin/", "644"],
  ["assets/**/*.md", "usr/share/doc/dropin/", "644"],
  ["target/release/completions/*", "usr/share/bash-completion/completions/", "644"],
  ["dropin.conf", "etc/dropin/", "640"],
]
conf-files = ["/etc/dropin/dropin.conf"]

[package.metadata.deb.variants.extra]
section = "utils"
merge-assets.append = [["extra/*.txt", "usr/share/dropin/extra/", "644"]]
merge-assets.by.dest = [["assets/logo.svg", "usr/share/dropin/", "600"]]

[package.metadata.generate-rpm]
assets = [
  { source = "target/release/dropin", dest = "/usr/bin/dropin", mode = "755" },
  { source = "assets/*", dest = "/usr/share/dropin/", mode = "644" },
  { source = "assets/**/*.md", dest = "/usr/share/doc/dropin/", mode = "644" },
]
"#;

/// The crate of `MANIFEST` with its assets, the binaries copies of `/bin/true`.
fn project(root: &Path) -> cargo_metadata::Metadata {
    let files: [(&str, &[u8]); 9] = [
        ("Cargo.toml", MANIFEST.as_bytes()),
        ("src/main.rs", b"fn main() {}\n"),
        ("src/helper.rs", b"fn main() {}\n"),
        ("assets/logo.svg", b"<svg/>\n"),
        ("assets/README.md", b"# dropin\n"),
        ("assets/guide/intro.md", b"# intro\n"),
        ("dropin.conf", b"level = 1\n"),
        ("extra/one.txt", b"1\n"),
        ("extra/two.txt", b"2\n"),
    ];
    for (path, bytes) in files {
        let p = root.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
    let release = root.join("target/release");
    fs::create_dir_all(release.join("completions")).unwrap();
    fs::write(
        release.join("completions/dropin"),
        "complete -F _dropin dropin\n",
    )
    .unwrap();
    for bin in ["dropin", "dropin-helper"] {
        fs::copy("/bin/true", release.join(bin)).unwrap();
    }
    cargo_metadata::MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .no_deps()
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .other_options(vec!["--offline".into()])
        .exec()
        .unwrap()
}

#[test]
fn cargo_deb_manifest_with_globs_and_auto_packages_as_written() {
    require_tool("dpkg-deb", "dpkg");
    require_tool("dpkg-shlibdeps", "dpkg-dev");
    let dir = tempfile::tempdir().unwrap();
    let md = project(dir.path());
    let target = CargoTarget::default();
    let inputs = CargoDeb::from_metadata(&md, "dropin", &target).unwrap();
    assert_eq!(inputs.build.features, ["fast"]);
    assert!(!inputs.build.default_features);
    assert_eq!(inputs.build.separate_debug_symbols, Some(true));
    assert_eq!(inputs.build.strip, Some(true));

    let deb = inputs.deb(SourceDate::from_unix(1_700_000_000));
    let path = dir.path().join(deb.file_name().unwrap());
    deb.write_to_path(&path).unwrap();

    let depends = run_ok(
        Command::new("dpkg-deb")
            .arg("--field")
            .arg(&path)
            .arg("Depends"),
    );
    // What dpkg-shlibdeps itself says of the binary, then the listed package.
    let shlibs = tempfile::tempdir().unwrap();
    fs::create_dir(shlibs.path().join("debian")).unwrap();
    fs::write(shlibs.path().join("debian/control"), "").unwrap();
    let substvars = run_ok(
        Command::new("dpkg-shlibdeps")
            .arg("-O")
            .arg(dir.path().join("target/release/dropin"))
            .current_dir(shlibs.path()),
    );
    let auto = substvars
        .lines()
        .find_map(|l| l.strip_prefix("shlibs:Depends="))
        .unwrap();
    assert!(auto.starts_with("libc6 (>= "), "{auto}");
    assert_eq!(depends.trim(), format!("{auto}, adduser"));

    let files = contents(&path);
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(m, p)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(
        files,
        [
            ("-rw-r-----", "./etc/dropin/dropin.conf"),
            ("-rwxr-xr-x", "./usr/bin/dropin"),
            ("-rwxr-xr-x", "./usr/bin/dropin-helper"),
            (
                "-rw-r--r--",
                "./usr/share/bash-completion/completions/dropin"
            ),
            ("-rw-r--r--", "./usr/share/doc/dropin/README.md"),
            ("-rw-r--r--", "./usr/share/doc/dropin/guide/intro.md"),
            ("-rw-r--r--", "./usr/share/dropin/README.md"),
            ("-rw-r--r--", "./usr/share/dropin/logo.svg"),
        ]
    );
    let info = run_ok(
        Command::new("dpkg-deb")
            .arg("--info")
            .arg(&path)
            .arg("conffiles"),
    );
    assert_eq!(info, "/etc/dropin/dropin.conf\n");
}

/// The regular files of the package at `path`: (mode, path) from `dpkg-deb --contents`,
/// without the generated copyright and changelog.
fn contents(path: &Path) -> Vec<(String, String)> {
    run_ok(Command::new("dpkg-deb").arg("--contents").arg(path))
        .lines()
        .filter(|l| l.starts_with('-'))
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols[0].to_owned(), (*cols.last().unwrap()).to_owned())
        })
        .filter(|(_, p)| !p.ends_with("/copyright") && !p.ends_with("/changelog.Debian.gz"))
        .collect()
}

#[test]
fn a_variant_merges_assets_and_renames_the_package() {
    require_tool("dpkg-deb", "dpkg");
    require_tool("dpkg-shlibdeps", "dpkg-dev");
    let dir = tempfile::tempdir().unwrap();
    let md = project(dir.path());
    let target = CargoTarget::default().variant("extra");
    let inputs = CargoDeb::from_metadata(&md, "dropin", &target).unwrap();
    let deb = inputs.deb(SourceDate::from_unix(1_700_000_000));
    let path = dir.path().join(deb.file_name().unwrap());
    assert!(path.to_string_lossy().contains("dropin-extra_0.3.1-1_"));
    deb.write_to_path(&path).unwrap();
    let fields = |name: &str| {
        run_ok(Command::new("dpkg-deb").arg("--field").arg(&path).arg(name))
            .trim()
            .to_owned()
    };
    assert_eq!(fields("Package"), "dropin-extra");
    assert_eq!(fields("Section"), "utils");
    let found = contents(&path);
    let found: Vec<(&str, &str)> = found
        .iter()
        .map(|(m, p)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("-rw-r-----", "./etc/dropin/dropin.conf"),
            ("-rwxr-xr-x", "./usr/bin/dropin"),
            ("-rwxr-xr-x", "./usr/bin/dropin-helper"),
            (
                "-rw-r--r--",
                "./usr/share/bash-completion/completions/dropin"
            ),
            ("-rw-r--r--", "./usr/share/doc/dropin/README.md"),
            ("-rw-r--r--", "./usr/share/doc/dropin/guide/intro.md"),
            ("-rw-r--r--", "./usr/share/dropin/extra/one.txt"),
            ("-rw-r--r--", "./usr/share/dropin/extra/two.txt"),
            ("-rw-------", "./usr/share/dropin/logo.svg"),
        ]
    );
}

#[test]
fn a_glob_matching_nothing_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let md = project(dir.path());
    fs::remove_dir_all(dir.path().join("target/release/completions")).unwrap();
    let target = CargoTarget::default();
    let err = CargoDeb::from_metadata(&md, "dropin", &target).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("package.metadata.deb.assets[3]")
            && message.contains("target/release/completions/*"),
        "{message}"
    );
}

#[test]
fn generate_rpm_manifest_gets_elf_requires() {
    require_tool("rpm", "rpm");
    let dir = tempfile::tempdir().unwrap();
    let md = project(dir.path());
    let target = CargoTarget::default();
    let inputs = CargoRpm::from_metadata(&md, "dropin", &target).unwrap();
    let rpm = inputs.rpm(SourceDate::from_unix(1_700_000_000));
    let path = dir.path().join(rpm.file_name().unwrap());
    rpm.write_to_path(&path).unwrap();

    let requires = run_ok(Command::new("rpm").arg("-qp").arg("--requires").arg(&path));
    let want = if cfg!(target_pointer_width = "64") {
        "libc.so.6()(64bit)"
    } else {
        "libc.so.6"
    };
    assert!(requires.lines().any(|l| l == want), "{requires}");
    let listed = run_ok(Command::new("rpm").arg("-qlp").arg(&path));
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [
            "/usr/bin/dropin",
            "/usr/share/doc/dropin/README.md",
            "/usr/share/doc/dropin/guide/intro.md",
            "/usr/share/dropin/README.md",
            "/usr/share/dropin/logo.svg",
        ]
    );
}
