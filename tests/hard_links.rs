//! Hard links whose names sort before the file they link to, in every format that has hard
//! links, read back by the reference tools: GNU tar and bsdtar extract the archives, dpkg
//! installs the .deb into a temporary root, and rpm2cpio | cpio, `rpm -qlvp`, `rpmkeys -Kv`
//! and `rpm --root -i` read the rpm. (Zip stores a hard link as a copy: checked by content.)

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{require_tool, run, run_ok};
use consign::core::{Entry, FileTree, PackageMeta, Platform, RelPath, SourceDate};
use consign::package::deb::Deb;
use consign::package::rpm::Rpm;
use consign::package::{Archive, ArchiveFormat, ArtifactWriter};

const DATE: u64 = 1_700_000_000;
const PROGRAM: &[u8] = b"#!/bin/sh\necho linked\n";
/// The file, then its links: one in the same directory sorting before it, one in a directory
/// sorting before its directory, one after it.
const FILE: &str = "usr/bin/zz-tool";
const LINKS: [&str; 3] = ["usr/bin/aa-tool", "usr/bin/mm-tool", "usr/a-lib/tool"];

fn tree() -> FileTree {
    let mut t = FileTree::new();
    t.insert(FILE, Entry::bytes(PROGRAM.to_vec()).mode(0o755))
        .unwrap();
    for link in LINKS {
        // Hard links get 0644 by default: the installed inode must keep the file's 0755.
        t.insert(link, Entry::hardlink(RelPath::new(FILE).unwrap()))
            .unwrap();
    }
    t.insert(
        "usr/share/doc/demo-links/README",
        Entry::bytes(b"links\n".to_vec()),
    )
    .unwrap();
    t
}

fn meta() -> PackageMeta {
    PackageMeta::new("demo-links", "1.0.0")
        .unwrap()
        .description("Hard links before their target\nA file and three hard links to it.")
        .maintainer("Consign Maintainers <maintainers@example.org>")
        .license("MIT")
}

/// Installing into a temporary root sets owners (and rpm chroots): it needs root.
fn require_root(what: &str) {
    assert_eq!(
        fs::metadata("/proc/self").unwrap().uid(),
        0,
        "{what} into a temporary root needs root (it sets file owners)"
    );
}

fn host() -> Platform {
    Platform::host().unwrap()
}

/// Checks that the file and its links under `root` are one inode with the file's data and
/// mode; `shared` is false for formats that copy (zip).
fn check_set(root: &Path, shared: bool, what: &str) {
    let md = |p: &str| fs::metadata(root.join(p)).unwrap_or_else(|e| panic!("{what}: {p}: {e}"));
    let file = md(FILE);
    for path in LINKS.into_iter().chain([FILE]) {
        let m = md(path);
        assert_eq!(
            fs::read(root.join(path)).unwrap(),
            PROGRAM,
            "{what}: {path}"
        );
        assert_eq!(m.mode() & 0o7777, 0o755, "{what}: mode of {path}");
        if shared {
            assert_eq!(m.ino(), file.ino(), "{what}: {path} is not a hard link");
            assert_eq!(m.nlink(), 4, "{what}: links of {path}");
        }
    }
}

#[test]
fn tar_and_zip_archives_extract_with_gnu_tar_and_bsdtar() {
    require_tool("tar", "tar");
    require_tool("bsdtar", "libarchive-tools");
    let dir = tempfile::tempdir().unwrap();
    let tree = tree();
    for format in [ArchiveFormat::Tar, ArchiveFormat::TarGz, ArchiveFormat::Zip] {
        let file = dir.path().join(format!("demo.{}", format.extension()));
        Archive::new(format, &tree, SourceDate::from_unix(DATE))
            .write_to_path(&file)
            .unwrap();
        let zip = format == ArchiveFormat::Zip;
        let mut tools = vec!["bsdtar"];
        if !zip {
            tools.push("tar");
            // GNU tar lists the first name as the file, the later ones as links to it.
            let listing = run_ok(Command::new("tar").arg("-tvf").arg(&file));
            let first = listing
                .lines()
                .find(|l| l.contains("tool"))
                .unwrap_or_default();
            assert!(
                first.starts_with("-rwxr-xr-x") && first.ends_with("usr/a-lib/tool"),
                "{format:?}:\n{listing}"
            );
            for later in ["usr/bin/aa-tool", "usr/bin/mm-tool", FILE] {
                assert!(
                    listing.contains(&format!("{later} link to usr/a-lib/tool")),
                    "{format:?}: {later}\n{listing}"
                );
            }
        }
        for tool in tools {
            let out = dir.path().join(format!("{tool}-{}", format.extension()));
            fs::create_dir_all(&out).unwrap();
            run_ok(
                Command::new(tool)
                    .arg("-xpf")
                    .arg(&file)
                    .arg("-C")
                    .arg(&out),
            );
            check_set(&out, !zip, &format!("{tool} {format:?}"));
        }
    }
}

#[test]
fn deb_installs_with_dpkg_into_a_temporary_root() {
    require_tool("dpkg", "dpkg");
    require_tool("dpkg-deb", "dpkg");
    let dir = tempfile::tempdir().unwrap();
    let (tree, meta) = (tree(), meta());
    let deb = Deb::new(&tree, &meta, host(), SourceDate::from_unix(DATE));
    let path = dir.path().join(deb.file_name().unwrap());
    deb.write_to_path(&path).unwrap();

    let contents = run_ok(Command::new("dpkg-deb").arg("--contents").arg(&path));
    assert!(
        contents.contains("./usr/bin/zz-tool link to ./usr/a-lib/tool"),
        "{contents}"
    );

    // dpkg-deb -x extracts with the same tar rules dpkg installs with.
    let x = dir.path().join("x");
    run_ok(Command::new("dpkg-deb").arg("-x").arg(&path).arg(&x));
    check_set(&x, true, "dpkg-deb -x");

    require_root("dpkg --install");
    let root = dir.path().join("root");
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    let dpkg = |args: &[&str]| {
        let mut c = Command::new("dpkg");
        c.arg(format!("--root={}", root.display()))
            .arg(format!("--log={}", dir.path().join("dpkg.log").display()))
            .args(args);
        c
    };
    run_ok(dpkg(&["--install"]).arg(&path));
    check_set(&root, true, "dpkg --install");
    // Every file, links included, matches its md5sums entry.
    let verify = run(&mut dpkg(&["--verify", "demo-links"]));
    assert!(
        verify.status.success() && verify.stdout.is_empty(),
        "dpkg --verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    run_ok(&mut dpkg(&["--purge", "demo-links"]));
    for path in LINKS.into_iter().chain([FILE]) {
        assert!(!root.join(path).exists(), "{path} left after purge");
    }
}

/// `rpm2cpio pkg | cpio -idm` in `dir`.
fn unpack_rpm(pkg: &Path, dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let mut rpm2cpio = Command::new("rpm2cpio")
        .arg(pkg)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let cpio = Command::new("cpio")
        .args(["-idm", "--quiet"])
        .current_dir(dir)
        .stdin(rpm2cpio.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(rpm2cpio.wait().unwrap().success());
    assert!(
        cpio.status.success() && cpio.stderr.is_empty(),
        "cpio: {}",
        String::from_utf8_lossy(&cpio.stderr)
    );
}

#[test]
fn rpm_payload_unpacks_with_cpio_and_installs_with_rpm() {
    require_tool("rpm", "rpm");
    require_tool("rpm2cpio", "rpm2cpio");
    require_tool("rpmkeys", "rpm");
    require_tool("cpio", "cpio");
    let dir = tempfile::tempdir().unwrap();
    let (tree, meta) = (tree(), meta());
    let rpm = Rpm::new(&tree, &meta, host(), SourceDate::from_unix(DATE));
    let pkg: PathBuf = dir.path().join(rpm.file_name().unwrap());
    rpm.write_to_path(&pkg).unwrap();

    let report = run_ok(
        Command::new("rpmkeys")
            .args(["--define", "__gpg /usr/bin/gpg", "-Kv"])
            .arg(&pkg),
    );
    for want in ["Header SHA256 digest: OK", "Payload SHA256 digest: OK"] {
        assert!(report.contains(want), "{want} missing:\n{report}");
    }
    let listing = run_ok(Command::new("rpm").env("TZ", "UTC").arg("-qlvp").arg(&pkg));
    for path in LINKS.into_iter().chain([FILE]) {
        let line = listing
            .lines()
            .find(|l| l.ends_with(&format!("/{path}")))
            .unwrap_or_else(|| panic!("{path} not listed:\n{listing}"));
        assert!(
            line.starts_with("-rwxr-xr-x") && line.contains(&format!(" {} ", PROGRAM.len())),
            "{line}"
        );
    }

    unpack_rpm(&pkg, &dir.path().join("cpio"));
    check_set(&dir.path().join("cpio"), true, "rpm2cpio | cpio -idm");

    // And rpm itself, into a temporary root (no scriptlets: no shell needed there).
    require_root("rpm -i");
    let root = dir.path().join("root");
    fs::create_dir_all(&root).unwrap();
    let rpm_in_root = |args: &[&str]| run(Command::new("rpm").arg("--root").arg(&root).args(args));
    assert!(rpm_in_root(&["--initdb"]).status.success());
    let installed = rpm_in_root(&["-i", "--nodeps", pkg.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&installed.stderr);
    assert!(
        installed.status.success() && !stderr.contains("error") && !stderr.contains("failed"),
        "rpm -i: {stderr}"
    );
    check_set(&root, true, "rpm -i");
    let verified = rpm_in_root(&["-V", "demo-links"]);
    assert!(
        verified.status.success() && verified.stdout.is_empty(),
        "rpm -V: {}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(rpm_in_root(&["-e", "demo-links"]).status.success());
    assert!(!root.join(FILE).exists());
}
