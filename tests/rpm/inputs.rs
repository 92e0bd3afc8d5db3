//! Large files, refused input, and packages described by Cargo metadata.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{require_tool, run_ok};
use crate::support::{DATE, MAINTAINER, VERSION, check_digests, examples, platform, rpm_query};
use consign::core::{Algorithm, Dependency, Entry, FileTree, PackageMeta, Platform, SourceDate};
use consign::package::ArtifactWriter;
use consign::package::Error;
use consign::package::compress::{Codec, Compression};
use consign::package::rpm::{Rpm, RpmError, RpmOptions, RpmSpec, Scriptlet, ScriptletKind};

#[test]
fn files_of_4_gib_and_more_use_the_large_file_format() {
    require_tool("rpm", "rpm");
    require_tool("rpmkeys", "rpm");
    let dir = tempfile::tempdir().unwrap();
    let size: u64 = 5 << 30;
    let sparse = dir.path().join("disk.img");
    fs::File::create(&sparse).unwrap().set_len(size).unwrap();
    let mut tree = FileTree::new();
    tree.insert("var/lib/images/disk.img", Entry::file(&sparse).unwrap())
        .unwrap();
    tree.insert(
        "var/lib/images/README",
        Entry::bytes(b"disk images\n".to_vec()),
    )
    .unwrap();
    let meta = PackageMeta::new("disk-images", "1.0")
        .unwrap()
        .description("Disk images\nOne large sparse image.")
        .license("MIT");
    let rpm = Rpm::new(&tree, &meta, platform(), SourceDate::from_unix(DATE)).options(
        RpmOptions::default().compression(Compression::new(Codec::Zstd).level(1).unwrap()),
    );
    let pkg = dir.path().join(rpm.file_name().unwrap());
    rpm.write_to_path(&pkg).unwrap();
    assert!(
        fs::metadata(&pkg).unwrap().len() < 1 << 20,
        "zeros compress"
    );

    check_digests(&pkg);
    let mut zeros = consign::core::Hasher::new(Algorithm::Sha256);
    let block = vec![0u8; 1 << 20];
    for _ in 0..size >> 20 {
        zeros.update(&block);
    }
    let dump = rpm_query(&pkg, &["-qlp", "--dump"]);
    assert!(
        dump.contains(&format!(
            "/var/lib/images/disk.img {size} {DATE} {} 0100644 root root 0 0 0 X\n",
            zeros.finish().hex()
        )),
        "{dump}"
    );
    let requires = rpm_query(&pkg, &["-qp", "--requires"]);
    assert!(
        requires.contains("rpmlib(LargeFiles) <= 4.12.0-1"),
        "{requires}"
    );
    assert_eq!(
        rpm_query(&pkg, &["-qp", "--qf", "%{LONGSIZE} %{SIZE}"]),
        format!("{} (none)", size + 12)
    );
}

/// Writes `rpm` to a fresh path, expecting an error; nothing may be left there.
fn refused(rpm: &Rpm<'_>, dir: &Path) -> Error {
    let out = dir.join("out.rpm");
    let before: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let err = rpm.write_to_path(&out).unwrap_err();
    assert!(!out.exists(), "{err}: partial package left behind");
    let after: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "{err}: temporary files left behind");
    err
}

#[test]
fn bad_input_is_a_typed_error_naming_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let date = SourceDate::from_unix(DATE);
    let mut tree = FileTree::new();
    tree.insert(
        "usr/bin/tool",
        Entry::bytes(b"#!/bin/sh\n".to_vec()).mode(0o755),
    )
    .unwrap();
    let meta = PackageMeta::new("tool", "1.0")
        .unwrap()
        .description("A tool\nIt does things.")
        .license("MIT");
    let ok = || Rpm::new(&tree, &meta, platform(), date);
    ok().write_to(Vec::new()).unwrap();

    let invalid = |err: Error, field: &str, value: &str| match &err {
        Error::Invalid {
            field: f, value: v, ..
        } if *f == field && v == value => {
            assert!(err.to_string().contains(&format!("{value:?}")), "{err}");
        }
        other => panic!("expected invalid {field} {value:?}, got {other:?}"),
    };
    invalid(
        refused(&ok().spec(RpmSpec::default().name("-tool")), dir.path()),
        "name",
        "-tool",
    );
    let dashed = PackageMeta::new("tool", "1.0-rc1")
        .unwrap()
        .description("A\nB")
        .license("MIT");
    invalid(
        refused(&Rpm::new(&tree, &dashed, platform(), date), dir.path()),
        "version",
        "1.0-rc1",
    );
    invalid(
        refused(&ok().spec(RpmSpec::default().release("1-2")), dir.path()),
        "release",
        "1-2",
    );
    invalid(
        refused(
            &ok().spec(RpmSpec::default().requires(Dependency::new("glibc >= 2"))),
            dir.path(),
        ),
        "dependency",
        "glibc >= 2",
    );
    let twice = RpmSpec::default()
        .scriptlet(Scriptlet::new(ScriptletKind::Post, "true"))
        .scriptlet(Scriptlet::new(ScriptletKind::Post, "false"));
    invalid(refused(&ok().spec(twice), dir.path()), "scriptlet", "%post");

    // Architectures: only Linux platforms have one, and unknown CPUs never parse.
    let windows: Platform = "x86_64-pc-windows-msvc".parse().unwrap();
    let err = refused(&Rpm::new(&tree, &meta, windows, date), dir.path());
    assert!(
        matches!(err, Error::Platform(_)) && err.to_string().contains("windows"),
        "{err}"
    );
    let sparc = "sparc64-unknown-linux-gnu".parse::<Platform>().unwrap_err();
    assert!(Error::from(sparc).to_string().contains("sparc64"));

    // Required metadata.
    for (meta, field) in [
        (
            PackageMeta::new("tool", "1.0").unwrap().description("A\nB"),
            "license",
        ),
        (
            PackageMeta::new("tool", "1.0").unwrap().license("MIT"),
            "summary",
        ),
    ] {
        match refused(&Rpm::new(&tree, &meta, platform(), date), dir.path()) {
            Error::Missing { field: f, .. } => assert_eq!(f, field),
            other => panic!("{other:?}"),
        }
    }

    // Files that change or vanish after they were added.
    let src = dir.path().join("inputs");
    fs::create_dir(&src).unwrap();
    let shrinks = src.join("shrinks");
    let vanishes = src.join("vanishes");
    fs::write(&shrinks, vec![1u8; 10_000]).unwrap();
    fs::write(&vanishes, b"soon gone").unwrap();
    let mut changing = FileTree::new();
    changing
        .insert("usr/lib/tool/a", Entry::file(&shrinks).unwrap())
        .unwrap();
    fs::write(&shrinks, b"short").unwrap();
    let mut missing = FileTree::new();
    missing
        .insert("usr/lib/tool/b", Entry::file(&vanishes).unwrap())
        .unwrap();
    fs::remove_file(&vanishes).unwrap();
    for (t, path) in [(&changing, "usr/lib/tool/a"), (&missing, "usr/lib/tool/b")] {
        match refused(&Rpm::new(t, &meta, platform(), date), dir.path()) {
            Error::Entry { path: p, .. } => assert_eq!(p.as_str(), path),
            other => panic!("{other:?}"),
        }
    }

    // Attributes for a path the tree lacks; an owner rpm cannot name; no payload codec.
    let spec = RpmSpec::default()
        .file_attrs("etc/none.conf", Default::default())
        .unwrap();
    match refused(&ok().spec(spec), dir.path()) {
        Error::Rpm(RpmError::UnknownPath { path }) => assert_eq!(path.as_str(), "etc/none.conf"),
        other => panic!("{other:?}"),
    }
    let mut anonymous = FileTree::new();
    anonymous
        .insert("srv/tool", Entry::dir().ids(1234, 1234).names(None, None))
        .unwrap();
    match refused(&Rpm::new(&anonymous, &meta, platform(), date), dir.path()) {
        Error::Rpm(RpmError::UnnamedOwner { path, id, .. }) => {
            assert_eq!((path.as_str(), id), ("srv/tool", 1234))
        }
        other => panic!("{other:?}"),
    }
    match refused(
        &ok().options(RpmOptions::default().reserved_space(64 << 20)),
        dir.path(),
    ) {
        Error::Rpm(RpmError::TooLarge { size, .. }) => assert_eq!(size, 64 << 20),
        other => panic!("{other:?}"),
    }
    let plain = RpmOptions::default().compression(Compression::new(Codec::None));
    assert!(matches!(
        refused(&ok().options(plain), dir.path()),
        Error::Rpm(RpmError::Compression { codec: Codec::None })
    ));

    // Duplicate paths, paths outside the tree and unreadable sources are refused by the
    // tree, with the path named; they reach callers as Error::Tree.
    let mut t = FileTree::new();
    t.insert("etc/a", Entry::bytes(vec![1])).unwrap();
    for err in [
        t.insert("etc/a", Entry::bytes(vec![2])).unwrap_err(),
        t.insert("../etc/shadow", Entry::bytes(vec![2]))
            .unwrap_err(),
        t.insert("etc/b", Entry::symlink("../../root")).unwrap_err(),
        Entry::file(dir.path().join("no-such-file")).unwrap_err(),
    ] {
        let text = err.to_string();
        assert!(matches!(Error::from(err), Error::Tree(_)));
        assert!(
            ["etc/a", "../etc/shadow", "etc/b", "no-such-file"]
                .iter()
                .any(|p| text.contains(p)),
            "{text}"
        );
    }
}

#[test]
fn a_cargo_package_described_for_cargo_generate_rpm_packages_unchanged() {
    require_tool("rpm", "rpm");
    require_tool("rpmkeys", "rpm");
    require_tool("strip", "binutils");
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("consign-sums");
    let build = project.join("target/x86_64-unknown-linux-gnu/release");
    fs::create_dir_all(&build).unwrap();
    fs::create_dir_all(project.join("src")).unwrap();
    fs::create_dir_all(project.join("packaging")).unwrap();
    fs::write(project.join("src/main.rs"), "fn main() {}\n").unwrap();
    run_ok(
        Command::new("strip")
            .arg("-o")
            .arg(build.join("consign-sums"))
            .arg(examples().join("consign-sums")),
    );
    fs::write(project.join("packaging/sums.conf"), "algorithm = sha256\n").unwrap();
    fs::write(project.join("README.md"), "# consign-sums\n").unwrap();
    fs::write(
        project.join("Cargo.toml"),
        format!(
            r#"[package]
name = "consign-sums"
version = "{VERSION}"
edition = "2024"
license = "MIT OR Apache-2.0"
description = "Parallel sha256sum-compatible checksum tool"
repository = "https://github.com/consign-rs/consign"
authors = ["{MAINTAINER}"]

[workspace]

[package.metadata.generate-rpm]
release = "2"
group = "Applications/System"
assets = [
  {{ source = "target/release/consign-sums", dest = "/usr/bin/consign-sums", mode = "755" }},
  {{ source = "packaging/sums.conf", dest = "/etc/consign-sums/", config = "noreplace" }},
  {{ source = "README.md", dest = "/usr/share/doc/consign-sums/README.md", doc = true }},
]
post_install_script = "echo installed"

[package.metadata.generate-rpm.requires]
glibc = ">= 2.17"
"#
        ),
    )
    .unwrap();
    // The project's own target directory, whatever the test run uses.
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(project.join("Cargo.toml"))
        .no_deps()
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .exec()
        .unwrap();
    let target = consign::package::rpm::CargoTarget::default().platform(platform());
    let package =
        consign::package::rpm::CargoRpm::from_metadata(&metadata, "consign-sums", &target).unwrap();
    let rpm = package.rpm(SourceDate::from_unix(DATE));
    let pkg = dir.path().join(rpm.file_name().unwrap());
    assert!(pkg.ends_with(format!("consign-sums-{VERSION}-2.x86_64.rpm")));
    rpm.write_to_path(&pkg).unwrap();

    check_digests(&pkg);
    let dump = rpm_query(&pkg, &["-qlp", "--dump"]);
    let paths: Vec<(&str, &str)> = dump
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split(' ').collect();
            (cols[0], cols[4])
        })
        .collect();
    assert_eq!(
        paths,
        [
            ("/etc/consign-sums/sums.conf", "0100644"),
            ("/usr/bin/consign-sums", "0100755"),
            ("/usr/share/doc/consign-sums/README.md", "0100644"),
        ]
    );
    let flags = rpm_query(&pkg, &["-qp", "--qf", "[%{FILEFLAGS:fflags},]"]);
    assert_eq!(flags, "cn,,d,");
    let requires = rpm_query(&pkg, &["-qp", "--requires"]);
    for want in ["/bin/sh\n", "glibc >= 2.17\n", "config(consign-sums) = "] {
        assert!(requires.contains(want), "{want} missing:\n{requires}");
    }
    let info = rpm_query(&pkg, &["-qip"]);
    for want in [
        "Release     : 2\n",
        "Group       : Applications/System\n",
        "Packager    : consign maintainers <maintainers@consign.invalid>\n",
        "URL         : https://github.com/consign-rs/consign\n",
        "Summary     : Parallel sha256sum-compatible checksum tool\n",
    ] {
        assert!(info.contains(want), "{want} missing:\n{info}");
    }
    assert!(rpm_query(&pkg, &["-qp", "--scripts"]).contains("echo installed"));
}
