use super::*;
use crate::deb::RelationField;
use consign_core::ArtifactWriter;

/// A Cargo project on disk with `[package.metadata.deb]` set to `deb`.
fn project(deb: &str) -> (tempfile::TempDir, cargo_metadata::Metadata) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("src")).unwrap();
    fs::create_dir_all(root.join("debian")).unwrap();
    fs::write(root.join("src/main.rs"), "fn main() {}\n").unwrap();
    fs::write(root.join("tool.conf"), "x = 1\n").unwrap();
    fs::write(root.join("LICENSE"), "Copyright line\n\nTerms.\n").unwrap();
    fs::write(root.join("debian/postinst"), "#!/bin/sh\nset -e\n").unwrap();
    fs::write(
        root.join("debian/triggers"),
        "interest-noawait /usr/share/x\n",
    )
    .unwrap();
    fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"my_tool\"\nversion = \"1.2.0-rc.1\"\nedition = \"2021\"\n\
                 authors = [\"Jane Doe <jane@example.org>\"]\ndescription = \"A tool\"\n\
                 license = \"MIT\"\n\n[workspace]\n\n[package.metadata.deb]\n{deb}\n"
        ),
    )
    .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let md = cargo_metadata::MetadataCommand::new()
        .cargo_path(cargo)
        .manifest_path(root.join("Cargo.toml"))
        .no_deps()
        // The project's own target directory, whatever the test run uses.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .other_options(vec!["--offline".into()])
        .exec()
        .unwrap();
    put_binary(&md, &CargoTarget::default(), b"\x7fELF");
    (dir, md)
}

/// Writes `my_tool` into Cargo's build directory for `target`.
fn put_binary(md: &cargo_metadata::Metadata, target: &CargoTarget, bytes: &[u8]) {
    let dir = target.build_dir(md.target_directory.as_std_path());
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("my_tool"), bytes).unwrap();
}

#[test]
fn reads_cargo_deb_keys() {
    let (dir, md) = project(
        r#"section = "utils"
priority = "optional"
depends = "libc6 (>= 2.34)"
recommends = ["ca-certificates", "curl | wget"]
conflicts = "old-tool (<< 1.0)"
extended-description = "Line one.\n\nLine two."
license-file = ["LICENSE", 2]
maintainer-scripts = "debian"
assets = [["target/release/my_tool", "usr/bin/", "755"], ["tool.conf", "/etc/my-tool/tool.conf", "644"]]
conf-files = ["/etc/my-tool/tool.conf"]"#,
    );
    let platform: Platform = "aarch64-unknown-linux-gnu".parse().unwrap();
    let target = CargoTarget::default().platform(platform);
    put_binary(&md, &target, b"\x7fELF");
    let inputs = CargoDeb::from_metadata(&md, "my_tool", &target).unwrap();
    let o = &inputs.options;
    assert_eq!(o.name.as_ref().unwrap().as_str(), "my-tool");
    assert_eq!(o.revision.as_deref(), Some("1"));
    assert_eq!(o.license_text.as_deref(), Some("Terms.\n"));
    assert!(o.scripts.contains_key(&Script::Postinst));
    assert_eq!(
        o.triggers.as_deref(),
        Some("interest-noawait /usr/share/x\n")
    );
    assert!(
        inputs
            .tree
            .get("etc/my-tool/tool.conf")
            .unwrap()
            .is_config()
    );
    assert_eq!(
        inputs.tree.get("usr/bin/my_tool").unwrap().permissions(),
        0o755
    );
    let deb = inputs.deb(SourceDate::from_unix(0));
    assert_eq!(deb.file_name().unwrap(), "my-tool_1.2.0~rc.1-1_arm64.deb");
    let control = deb.control().unwrap().to_string();
    for line in [
        "Package: my-tool\n",
        "Version: 1.2.0~rc.1-1\n",
        "Maintainer: Jane Doe <jane@example.org>\n",
        "Depends: libc6 (>= 2.34)\n",
        "Recommends: ca-certificates, curl | wget\n",
        "Conflicts: old-tool (<< 1.0)\n",
        "Section: utils\n",
        "Description: A tool\n Line one.\n .\n Line two.\n",
    ] {
        assert!(control.contains(line), "{line:?} missing from\n{control}");
    }
    assert_eq!(
        dir.path().join("Cargo.toml"),
        md.workspace_root.join("Cargo.toml")
    );
}

#[test]
fn default_assets_are_the_binaries() {
    let (_dir, md) = project("");
    put_binary(&md, &CargoTarget::default(), b"bin");
    let inputs = CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()).unwrap();
    let paths: Vec<_> = inputs.tree.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["usr", "usr/bin", "usr/bin/my_tool"]);
    let nowhere = CargoTarget::default().profile("nowhere");
    let err = CargoDeb::from_metadata(&md, "my_tool", &nowhere).unwrap_err();
    assert!(matches!(err, Error::Tree(_)), "{err}");
}

#[test]
fn bad_keys_are_named() {
    for (deb, key) in [
        ("systemd-units = {}", "systemd-units"),
        ("frobnicate = 1", "frobnicate"),
        ("depends = \"$shlibs:Depends\"", "depends"),
        ("recommends = \"$auto\"", "recommends"),
        ("features = \"tls\"", "features"),
        ("strip = \"yes\"", "strip"),
        (
            "assets = [\"$auto\", [\"$other\", \"usr/\", \"644\"]]",
            "assets[1]",
        ),
        ("depends = \"libc6 (> 2)\"", "depends"),
        ("section = 3", "section"),
        ("priority = \"extra\"", "priority"),
        ("name = \"Bad_Name\"", "name"),
        (
            "assets = [[\"nothing/*.rs\", \"usr/share/\", \"644\"]]",
            "assets[0]",
        ),
        ("assets = [[\"tool.conf\", \"etc/\", \"999\"]]", "assets[0]"),
        ("assets = [[\"tool.conf\", \"etc/\"]]", "assets[0]"),
        (
            "assets = [[\"tool.conf\", \"etc/\", \"644\"]]\nconf-files = [\"/etc/other\"]",
            "conf-files[0]",
        ),
        ("license-file = [\"LICENSE\", \"x\"]", "license-file"),
        ("maintainer-scripts = \"nope\"", "maintainer-scripts"),
    ] {
        let (_dir, md) = project(deb);
        match CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()) {
            Err(Error::Cargo(e)) => assert_eq!(e.key(), format!("{TABLE}.{key}"), "{deb}"),
            other => panic!("{deb}: {other:?}"),
        }
    }
    let (_dir, md) = project("assets = [[\"tool.conf\", \"../etc/x\", \"644\"]]");
    let err = CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()).unwrap_err();
    assert!(matches!(err, Error::Tree(_)), "{err}");
    let (_dir, md) = project("assets = [[\"missing.txt\", \"usr/share/\", \"644\"]]");
    let err = CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()).unwrap_err();
    assert!(err.to_string().contains("missing.txt"), "{err}");
}

/// The regular files of `inputs` with their modes.
fn files(inputs: &CargoDeb) -> Vec<(String, u32)> {
    inputs
        .tree
        .iter()
        .filter(|(_, e)| matches!(e.kind(), consign_core::EntryKind::File { .. }))
        .map(|(p, e)| (p.as_str().to_owned(), e.permissions()))
        .collect()
}

#[test]
fn glob_assets_follow_cargo_deb_placement() {
    let (dir, md) = project(
        r#"assets = [
  "$auto",
  ["assets/*", "usr/share/my-tool/", "640"],
  ["assets/**/*.txt", "usr/share/doc/my-tool/", "644"],
  ["target/release/gen/*.1", "usr/share/man/man1", "644"],
  ["assets/*/deep.txt", "usr/share/flat/", "600"],
]"#,
    );
    let root = dir.path();
    for f in [
        "assets/a.txt",
        "assets/b.conf",
        "assets/sub/deep.txt",
        "assets/sub/x/deeper.txt",
    ] {
        let p = root.join(f);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, f).unwrap();
    }
    let gen_dir = CargoTarget::default()
        .build_dir(md.target_directory.as_std_path())
        .join("gen");
    fs::create_dir_all(&gen_dir).unwrap();
    fs::write(gen_dir.join("my_tool.1"), ".TH MY_TOOL 1\n").unwrap();
    let inputs = CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()).unwrap();
    let want: Vec<(String, u32)> = [
        ("usr/bin/my_tool", 0o755),
        ("usr/share/doc/my-tool/a.txt", 0o644),
        ("usr/share/doc/my-tool/sub/deep.txt", 0o644),
        ("usr/share/doc/my-tool/sub/x/deeper.txt", 0o644),
        ("usr/share/flat/deep.txt", 0o600),
        ("usr/share/man/man1/my_tool.1", 0o644),
        ("usr/share/my-tool/a.txt", 0o640),
        ("usr/share/my-tool/b.conf", 0o640),
    ]
    .iter()
    .map(|(p, m)| ((*p).to_owned(), *m))
    .collect();
    assert_eq!(files(&inputs), want);

    let (_dir, md) = project(r#"assets = [["assets/*.none", "usr/share/", "644"]]"#);
    let err = CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Cargo(CargoError::AssetNotFound { key, pattern })
            if key == "package.metadata.deb.assets[0]" && pattern.ends_with("assets/*.none")),
        "{err}"
    );
}

#[test]
fn build_keys_are_recorded() {
    let (_dir, md) = project(
        r#"features = ["tls", "zstd"]
default-features = false
separate-debug-symbols = true
compress-debug-symbols = "zstd"
strip = false
profile = "dist""#,
    );
    let inputs = CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()).unwrap();
    let b = &inputs.build;
    assert_eq!(b.features, ["tls", "zstd"]);
    assert!(!b.default_features);
    assert_eq!(b.separate_debug_symbols, Some(true));
    assert_eq!(b.compress_debug_symbols.as_deref(), Some("zstd"));
    assert_eq!(b.strip, Some(false));
    assert_eq!(b.profile.as_deref(), Some("dist"));
    assert_eq!(b.dbgsym, None);
    let (_dir, md) = project("");
    let inputs = CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()).unwrap();
    assert_eq!(inputs.build, BuildSettings::default());
}

#[test]
fn auto_depends_come_from_dpkg_shlibdeps_and_merge_in_place() {
    let (_dir, md) = project(
        r#"depends = ["base-files", "$auto", "libc6", "base-files"]
assets = ["$auto", ["tool.conf", "etc/my-tool/", "644"]]"#,
    );
    put_binary(
        &md,
        &CargoTarget::default(),
        &fs::read("/bin/true").unwrap(),
    );
    let inputs = CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default())
        .unwrap_or_else(|e| panic!("dpkg-shlibdeps (Debian package dpkg-dev) is needed: {e}"));
    let depends: Vec<String> = inputs
        .options
        .relations
        .iter()
        .filter(|(f, _)| *f == RelationField::Depends)
        .map(|(_, r)| r.to_string())
        .collect();
    assert_eq!(depends[0], "base-files");
    assert!(depends[1].starts_with("libc6 (>= "), "{depends:?}");
    assert_eq!(depends[2..], ["libc6"], "listed items stay, each once");

    // Files that are not ELF need nothing.
    let (_dir, md) = project("depends = \"$auto\"");
    let inputs = CargoDeb::from_metadata(&md, "my_tool", &CargoTarget::default()).unwrap();
    assert!(inputs.options.relations.is_empty());
}
