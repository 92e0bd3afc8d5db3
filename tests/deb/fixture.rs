//! Fixtures of tests/deb.rs: the `consign-sums` Cargo project, a small hand-made package,
//! a temporary dpkg root, and output parsing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{examples_dir, require_tool, run_ok};
use consign::core::{Dependency, Entry, FileTree, PackageMeta, Platform, VersionOp};
use consign::package::compress::{Codec, Compression};
use consign::package::deb::{CargoDeb, CargoTarget, DebOptions};

pub const DATE: u64 = 1_700_000_000; // 2023-11-14T22:13:20Z
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const MAINTAINER: &str = "Consign Maintainers <maintainers@example.org>";

pub const POSTINST: &str = r#"#!/bin/sh
set -e
case "$1" in
    configure)
        mkdir -p /var/lib/consign-sums
        echo configured > /var/lib/consign-sums/postinst-ran
        ;;
    triggered)
        echo triggered >> /var/lib/consign-sums/triggers
        ;;
    abort-upgrade|abort-remove|abort-deconfigure)
        ;;
    *)
        echo "postinst called with unknown argument '$1'" >&2
        exit 1
        ;;
esac
exit 0
"#;

pub const POSTRM: &str = r#"#!/bin/sh
set -e
if [ "$1" = purge ]; then
    rm -rf /var/lib/consign-sums
fi
exit 0
"#;

pub const MANPAGE: &str = r#".TH CONSIGN-SUMS 1 2023-11-14 "consign-sums" "User Commands"
.SH NAME
consign-sums \- print or check checksums, hashing files on every core
.SH SYNOPSIS
.B consign-sums
[\fIOPTIONS\fR] [\fIFILE\fR...]
.br
.B consign-sums \-\-check
[\fIOPTIONS\fR] \fISUMSFILE\fR...
.SH DESCRIPTION
.B consign-sums
prints or checks SHA-256, SHA-512 or BLAKE3 checksums in the formats of
.BR sha256sum (1).
"#;

/// The `consign-sums` example, stripped as `dh_strip` would, in `dir`.
pub fn stripped_sums(dir: &Path) -> PathBuf {
    require_tool("strip", "binutils");
    let bin = dir.join("consign-sums");
    fs::copy(examples_dir().join("consign-sums"), &bin).unwrap();
    run_ok(
        Command::new("strip")
            .args([
                "--remove-section=.comment",
                "--remove-section=.note",
                "--strip-unneeded",
            ])
            .arg(&bin),
    );
    bin
}

/// A Cargo project in `dir` whose `[package.metadata.deb]` ships the stripped `consign-sums`
/// with a man page, a conffile, maintainer scripts and triggers.
pub fn cargo_project(dir: &Path) -> CargoDeb {
    require_tool("gzip", "gzip");
    let bin = stripped_sums(dir);
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    fs::create_dir_all(dir.join("debian")).unwrap();
    fs::write(dir.join("debian/postinst"), POSTINST).unwrap();
    fs::write(dir.join("debian/postrm"), POSTRM).unwrap();
    fs::write(
        dir.join("debian/triggers"),
        "interest-noawait /usr/share/consign-sums/checks\n",
    )
    .unwrap();
    fs::write(dir.join("consign-sums.1"), MANPAGE).unwrap();
    run_ok(
        Command::new("gzip")
            .args(["-9n"])
            .arg(dir.join("consign-sums.1")),
    );
    fs::write(
        dir.join("consign-sums.conf"),
        "# consign-sums defaults\njobs = 0\n",
    )
    .unwrap();
    let manifest = format!(
        r#"[package]
name = "consign-sums"
version = "{VERSION}"
edition = "2024"
authors = ["Consign Maintainers <maintainers@example.org>"]
description = "Checksum tool that hashes files on every core"
license = "MIT OR Apache-2.0"
homepage = "https://github.com/consign-rs/consign"
repository = "https://github.com/consign-rs/consign"

[workspace]

[package.metadata.deb]
section = "utils"
priority = "optional"
depends = "libc6 (>= 2.34), libgcc-s1 (>= 4.2)"
recommends = "sqv | gpgv"
suggests = ["gnupg"]
conflicts = "consign-sums-legacy"
breaks = "consign (<< 0.1~)"
replaces = "consign (<< 0.1~)"
provides = "sha256sum-parallel (= {VERSION})"
extended-description = """
consign-sums prints or checks SHA-256, SHA-512 or BLAKE3 checksums in the
formats of sha256sum and of BSD tag files.

It hashes many files at once, one per core, and reads each file once."""
maintainer-scripts = "debian/"
assets = [
    ["{bin}", "usr/bin/", "755"],
    ["consign-sums.1.gz", "usr/share/man/man1/", "644"],
    ["consign-sums.conf", "etc/consign-sums/", "644"],
]
conf-files = ["/etc/consign-sums/consign-sums.conf"]
"#,
        bin = bin.display()
    );
    fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    let md = cargo_metadata::MetadataCommand::new()
        .cargo_path(env!("CARGO"))
        .manifest_path(dir.join("Cargo.toml"))
        .no_deps()
        .other_options(vec!["--offline".to_owned()])
        .exec()
        .unwrap();
    CargoDeb::from_metadata(
        &md,
        "consign-sums",
        &CargoTarget::default().platform(host()),
    )
    .unwrap()
}

pub fn host() -> Platform {
    Platform::host().unwrap()
}

pub fn with_codec(inputs: &CargoDeb, codec: Codec, level: u32) -> DebOptions {
    let mut o = inputs.options.clone();
    o.compression = Compression::new(codec).level(level).unwrap();
    o
}

/// The value of `field` in `dpkg-deb --info` / `dpkg -s` output.
pub fn field<'t>(text: &'t str, field: &str) -> Option<&'t str> {
    let prefix = format!("{field}: ");
    text.lines()
        .map(str::trim_start)
        .find_map(|l| l.strip_prefix(&prefix))
}

/// `dpkg --root` install, run the installed binary, then purge.
pub fn install_into_temporary_root(dir: &Path, deb: &Path) {
    let root = dir.join("root");
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "bin", "tmp"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    // Maintainer scripts run chrooted: give the root a static /bin/sh and its applets.
    let busybox = Path::new("/bin/busybox");
    fs::copy(busybox, root.join("bin/busybox")).unwrap();
    let applets = run_ok(Command::new(busybox).arg("--list"));
    for applet in applets.lines().filter(|a| *a != "busybox") {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    let dpkg = |args: &[&str]| {
        let mut c = Command::new("dpkg");
        c.arg(format!("--root={}", root.display()))
            .arg(format!("--log={}", dir.join("dpkg.log").display()))
            // Nothing else is installed in the temporary root: libc6 is the host's.
            .arg("--force-depends")
            .args(args);
        c
    };
    run_ok(dpkg(&["--install"]).arg(deb));

    let status = run_ok(&mut dpkg(&["--status", "consign-sums"]));
    assert_eq!(
        field(&status, "Status"),
        Some("install ok installed"),
        "{status}"
    );
    assert_eq!(
        field(&status, "Version"),
        Some(format!("{VERSION}-1").as_str())
    );
    assert!(
        status.contains("Conffiles:\n /etc/consign-sums/consign-sums.conf "),
        "{status}"
    );
    let version = run_ok(Command::new(root.join("usr/bin/consign-sums")).arg("--version"));
    assert_eq!(version, format!("consign-sums {VERSION}\n"));
    assert_eq!(
        fs::read_to_string(root.join("var/lib/consign-sums/postinst-ran")).unwrap(),
        "configured\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("etc/consign-sums/consign-sums.conf")).unwrap(),
        "# consign-sums defaults\njobs = 0\n"
    );

    run_ok(&mut dpkg(&["--purge", "consign-sums"]));
    assert!(!root.join("usr/bin/consign-sums").exists());
    assert!(!root.join("etc/consign-sums/consign-sums.conf").exists());
    assert!(
        !root.join("var/lib/consign-sums").exists(),
        "postrm purge did not run"
    );
}

pub fn long_target() -> String {
    format!("{}/{}", "d".repeat(90), "f".repeat(60))
}

/// A small hand-made package: metadata, a tree with every entry kind.
pub fn small_inputs(dir: &Path) -> (PackageMeta, FileTree) {
    let meta = PackageMeta::new("demo", "1.0.0")
        .unwrap()
        .description("Demonstrates the writer\nA package with every kind of entry.")
        .maintainer(MAINTAINER)
        .license("MIT")
        .depends(Dependency::new("libc6").version(VersionOp::GreaterEq, "2.34"));
    let payload = dir.join("payload.bin");
    let data: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(&payload, &data).unwrap();
    let mut tree = FileTree::new();
    tree.insert("usr/bin/demo", Entry::file(&payload).unwrap().mode(0o755))
        .unwrap();
    tree.insert("usr/bin/demo-link", Entry::symlink("demo"))
        .unwrap();
    tree.insert(
        "usr/lib/demo/hard",
        Entry::hardlink("usr/bin/demo".parse().unwrap()),
    )
    .unwrap();
    let deep = format!("usr/share/demo/{}/{}", "d".repeat(90), "f".repeat(60));
    tree.insert(&deep, Entry::bytes(b"deep\n".to_vec()))
        .unwrap();
    // A link target past the 100 bytes of the header field.
    tree.insert("usr/share/demo/long-link", Entry::symlink(long_target()))
        .unwrap();
    tree.insert("etc/demo.conf", Entry::bytes(b"x = 1\n".to_vec()).config())
        .unwrap();
    (meta, tree)
}

/// Files in `dir` (the output directory of a failed write must hold nothing new).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Peak resident memory of this process, in KiB.
pub fn peak_rss_kib() -> u64 {
    crate::common::peak_rss() / 1024
}
