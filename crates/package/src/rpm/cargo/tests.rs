use std::fs;

use consign_core::{ArtifactWriter, EntryKind};

use super::*;

/// A one-package project whose manifest ends with `generate_rpm` (the table body).
fn project(generate_rpm: &str) -> (tempfile::TempDir, cargo_metadata::Metadata) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("src")).unwrap();
    fs::write(root.join("src/main.rs"), "fn main() {}\n").unwrap();
    fs::create_dir_all(root.join("target/x86_64-unknown-linux-gnu/release")).unwrap();
    fs::write(
        root.join("target/x86_64-unknown-linux-gnu/release/demo"),
        b"ELF",
    )
    .unwrap();
    fs::create_dir_all(root.join("target/release")).unwrap();
    fs::write(root.join("target/release/demo"), b"host ELF").unwrap();
    fs::create_dir_all(root.join("share/icons/48/apps")).unwrap();
    fs::create_dir_all(root.join("share/icons/64/apps")).unwrap();
    fs::write(root.join("share/icons/48/apps/demo.png"), b"png48").unwrap();
    fs::write(root.join("share/icons/64/apps/demo.png"), b"png64").unwrap();
    fs::write(root.join("demo.conf"), b"x = 1\n").unwrap();
    fs::write(root.join("README.md"), b"# demo\n").unwrap();
    fs::write(root.join("post.sh"), "echo from file\n").unwrap();
    fs::write(
        root.join("Cargo.toml"),
        format!(
            r#"[package]
name = "demo"
version = "1.2.0-rc.1"
edition = "2021"
license = "MIT"
description = "A demo\nLonger text."
homepage = "https://example.org/demo"

[workspace]

[package.metadata.generate-rpm]
{generate_rpm}
"#
        ),
    )
    .unwrap();
    let md = cargo_metadata::MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .no_deps()
        // The project's own target directory, whatever the test run uses.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .exec()
        .unwrap();
    (dir, md)
}

fn x86() -> CargoTarget {
    CargoTarget::default().platform("x86_64-unknown-linux-gnu".parse().unwrap())
}

#[test]
fn reads_cargo_generate_rpm_tables() {
    let (_dir, md) = project(
        r#"release = "3"
epoch = 1
vendor = "Example"
group = "Applications/System"
assets = [
  { source = "target/release/demo", dest = "/usr/bin/demo", mode = "755" },
  { source = "demo.conf", dest = "/etc/demo/", config = "noreplace", user = "root", group = "demo" },
  { source = "README.md", dest = "/usr/share/doc/demo/README.md", doc = true },
  { source = "share/icons/*/apps/demo.png", dest = "/usr/share/icons/hicolor/" },
]
post_install_script = "post.sh"
pre_uninstall_script = "echo bye"
pre_uninstall_script_prog = ["/bin/bash", "-e"]
require-sh = false
[package.metadata.generate-rpm.requires]
glibc = ">= 2.34, < 3"
tzdata = "*"
[package.metadata.generate-rpm.obsoletes]
demo-old = "< 1"
"#,
    );
    let pkg = CargoRpm::from_metadata(&md, "demo", &x86()).unwrap();
    let paths: Vec<&str> = pkg
        .tree
        .iter()
        .filter(|(_, e)| !e.is_implied())
        .map(|(p, _)| p.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "etc/demo/demo.conf",
            "usr/bin/demo",
            "usr/share/doc/demo/README.md",
            "usr/share/icons/hicolor/48/apps/demo.png",
            "usr/share/icons/hicolor/64/apps/demo.png",
        ]
    );
    let bin = pkg.tree.get("usr/bin/demo").unwrap();
    assert_eq!(bin.size(), 3, "the target-triple build, not the host one");
    assert_eq!(bin.permissions(), 0o755);
    let conf = pkg.tree.get("etc/demo/demo.conf").unwrap();
    assert!(conf.is_config());
    assert_eq!(conf.owner().group.as_deref(), Some("demo"));
    assert!(pkg.spec.files.is_empty(), "noreplace is the default");
    assert!(
        pkg.tree
            .get("usr/share/doc/demo/README.md")
            .unwrap()
            .is_doc()
    );
    assert!(matches!(bin.kind(), EntryKind::File { .. }));

    let s = &pkg.spec;
    assert_eq!(s.version, None, "the writer converts the package version");
    assert_eq!((s.release.as_deref(), s.epoch), (Some("3"), Some(1)));
    assert_eq!(s.vendor.as_deref(), Some("Example"));
    assert_eq!(s.group.as_deref(), Some("Applications/System"));
    let rels: Vec<String> = s
        .relations
        .iter()
        .map(|(k, d)| format!("{k:?} {d}"))
        .collect();
    assert_eq!(
        rels,
        [
            "Obsoletes demo-old (<< 1)",
            "Requires glibc (>= 2.34)",
            "Requires glibc (<< 3)",
            "Requires tzdata",
        ]
    );
    assert_eq!(s.scriptlets.len(), 2);
    let post = s
        .scriptlets
        .iter()
        .find(|x| x.kind == ScriptletKind::Post)
        .unwrap();
    assert_eq!(post.body, "echo from file\n");
    let preun = s
        .scriptlets
        .iter()
        .find(|x| x.kind == ScriptletKind::PreUn)
        .unwrap();
    assert_eq!(preun.interpreter, ["/bin/bash", "-e"]);

    // It makes an rpm, named after the converted version.
    let rpm = pkg.rpm(SourceDate::from_unix(1_700_000_000));
    assert_eq!(rpm.file_name().unwrap(), "demo-1.2.0~rc.1-3.x86_64.rpm");
    let report = rpm.write_to(Vec::new()).unwrap();
    assert_eq!(report.version, "1.2.0~rc.1");
}

#[test]
fn plain_config_variants_and_the_host_build_dir() {
    let (_dir, md) = project(
        r#"assets = [
  { source = "target/release/demo", dest = "/usr/bin/demo" },
  { source = "demo.conf", dest = "/etc/demo.conf", config = true, caps = "cap_net_raw=ep" },
]
[package.metadata.generate-rpm.variants.el9]
release = "1.el9"
"#,
    );
    let host = CargoTarget::default().variant("el9");
    match CargoRpm::from_metadata(&md, "demo", &host) {
        // On a host rpm has a name for: the host build directory, the variant applied.
        Ok(pkg) => {
            assert_eq!(pkg.tree.get("usr/bin/demo").unwrap().size(), 8);
            assert_eq!(pkg.spec.release.as_deref(), Some("1.el9"));
            let attrs = &pkg.spec.files[&RelPath::new("etc/demo.conf").unwrap()];
            assert!(attrs.replace);
            assert_eq!(attrs.caps.as_deref(), Some("cap_net_raw=ep"));
            assert!(pkg.spec.relations.iter().any(|(_, d)| d.name == "/bin/sh"));
        }
        Err(Error::Platform(_)) => {}
        Err(e) => panic!("{e}"),
    }
    let missing = x86().variant("el8");
    match CargoRpm::from_metadata(&md, "demo", &missing) {
        Err(Error::Cargo(CargoError::BadKey { key, .. })) => {
            assert_eq!(key, "package.metadata.generate-rpm.variants.el8");
        }
        other => panic!("{other:?}"),
    }
}

/// The error for a table, as text, and the key it names.
fn error_for(table: &str) -> (String, String) {
    let (_dir, md) = project(table);
    let err = CargoRpm::from_metadata(&md, "demo", &x86()).unwrap_err();
    let key = match &err {
        Error::Cargo(e) => e.key().to_owned(),
        Error::Tree(e) => format!("tree: {e}"),
        other => panic!("unexpected {other:?}"),
    };
    (err.to_string(), key)
}

#[test]
fn bad_tables_name_the_key() {
    let asset = r#"{ source = "demo.conf", dest = "/etc/demo.conf" }"#;
    let cases = [
        (
            format!("assets = [{asset}]\nsumary = \"typo\""),
            "package.metadata.generate-rpm.sumary",
        ),
        (
            r#"assets = [{ source = "demo.conf", dest = "/etc/x", mode = "rwx" }]"#.into(),
            "package.metadata.generate-rpm.assets[0].mode",
        ),
        (
            r#"assets = [{ source = "demo.conf", dest = "/etc/x", owner = "me" }]"#.into(),
            "package.metadata.generate-rpm.assets[0].owner",
        ),
        (
            r#"assets = [{ source = "nope.conf", dest = "/etc/x" }]"#.into(),
            "package.metadata.generate-rpm.assets[0].source",
        ),
        (
            r#"assets = [{ source = "demo.conf", dest = "etc/x" }]"#.into(),
            "package.metadata.generate-rpm.assets[0].dest",
        ),
        (
            r#"assets = [{ source = "share/icons/*/apps/demo.png", dest = "/usr/x" }]"#.into(),
            "package.metadata.generate-rpm.assets[0].dest",
        ),
        (
            format!("assets = [{asset}]\nepoch = \"one\""),
            "package.metadata.generate-rpm.epoch",
        ),
        (
            format!("assets = [{asset}]\nauto-req = \"/usr/lib/rpm/find-requires\""),
            "package.metadata.generate-rpm.auto-req",
        ),
        (
            format!(
                "assets = [{asset}]\n[package.metadata.generate-rpm.requires]\nglibc = \"2.34\""
            ),
            "package.metadata.generate-rpm.requires.glibc",
        ),
        (
            "release = \"1\"".into(),
            "package.metadata.generate-rpm.assets",
        ),
    ];
    for (table, key) in cases {
        let (message, found) = error_for(&table);
        assert_eq!(found, key, "{table}");
        assert!(message.contains(key), "{message}");
    }
}

#[test]
fn duplicate_and_escaping_destinations_are_tree_errors() {
    let (msg, key) = error_for(
        r#"assets = [
  { source = "demo.conf", dest = "/etc/demo.conf" },
  { source = "README.md", dest = "/etc/demo.conf" },
]"#,
    );
    assert!(
        key.starts_with("tree: duplicate path etc/demo.conf"),
        "{msg}"
    );
    let (msg, key) = error_for(r#"assets = [{ source = "demo.conf", dest = "/../etc/x" }]"#);
    assert!(key.starts_with("tree: invalid path"), "{msg}");
}

#[test]
fn versions() {
    let rpm_version = |v: &str| crate::rpm::assemble::rpm_version(&v.parse().unwrap());
    assert_eq!(rpm_version("1.2.3"), "1.2.3");
    assert_eq!(rpm_version("1.0.0-alpha-2"), "1.0.0~alpha.2");
    assert_eq!(rpm_version("1.0.0-rc.1+build-5"), "1.0.0~rc.1+build.5");
    assert_eq!(rpm_version("2024.05"), "2024.05");
}

#[test]
fn globs_keep_the_path_below_the_first_wildcard() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    for p in ["a/x.png", "a/b/y.png", "a/b/c/z.png", "a/b/c/z.txt"] {
        let p = base.join(p);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, b"").unwrap();
    }
    let below = |pattern: &str| -> Vec<String> {
        glob::glob(base, pattern)
            .into_iter()
            .map(|(_, b)| b)
            .collect()
    };
    assert_eq!(below("a/**/*.png"), ["b/c/z.png", "b/y.png", "x.png"]);
    assert_eq!(below("a/*/?.png"), ["b/y.png"]);
    assert_eq!(below("a/b/c/z.*"), ["z.png", "z.txt"]);
    assert_eq!(below("a/x.png").len(), 1);
    assert!(below("a/nothing*").is_empty());
}

#[test]
fn auto_req_lists_the_libraries_elf_assets_need() {
    let assets = r#"assets = [
  { source = "target/release/demo", dest = "/usr/bin/demo", mode = "755" },
  { source = "demo.conf", dest = "/etc/demo/" },
]"#;
    let (dir, md) = project(assets);
    fs::copy("/bin/true", dir.path().join("target/release/demo")).unwrap();
    let requires = |spec: &RpmSpec| -> Vec<String> {
        spec.relations
            .iter()
            .filter(|(k, _)| *k == RelationKind::Requires)
            .map(|(_, d)| d.to_string())
            .collect()
    };
    let auto = CargoRpm::from_metadata(&md, "demo", &CargoTarget::default()).unwrap();
    let found = requires(&auto.spec);
    assert_eq!(found[0], "/bin/sh");
    let want = if cfg!(target_pointer_width = "64") {
        "libc.so.6()(64bit)"
    } else {
        "libc.so.6"
    };
    assert!(found.iter().any(|r| r == want), "{found:?}");
    assert_eq!(
        found.len(),
        found
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    for off in ["no", "disabled"] {
        let (dir, md) = project(&format!("{assets}\nauto-req = \"{off}\""));
        fs::copy("/bin/true", dir.path().join("target/release/demo")).unwrap();
        let none = CargoRpm::from_metadata(&md, "demo", &CargoTarget::default()).unwrap();
        assert_eq!(requires(&none.spec), ["/bin/sh"]);
    }
}
