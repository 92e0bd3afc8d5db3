//! `.msi` packages read back by the reference tools: msitools' `msiinfo` (tables, every
//! table's rows, summary information) and `msiextract` (the files), compared with a
//! `wixl`-built package of the same tree, and installed, upgraded and removed by Wine's
//! `msiexec`.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{require_tool, run, run_ok};
use consign::core::{Entry, FileTree, PackageMeta, Platform, SourceDate};
use consign::package::msi::{Msi, MsiError, MsiOptions, MsiReport};
use consign::package::{ArtifactWriter, Error};

const DATE: u64 = 1_700_000_000;

fn x64() -> Platform {
    "x86_64-pc-windows-msvc".parse().unwrap()
}

/// Bytes that deflate partly: text-like runs and noise, `n` of them.
fn payload(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            if (i / 70_000) % 2 == 0 {
                b"MZ\x90\0program text "[(s % 16) as usize]
            } else {
                s as u8
            }
        })
        .collect()
}

/// A tree with nested directories, a long name, an empty directory and a hard link.
fn sample_tree(version: &str) -> FileTree {
    let mut tree = files_tree(version);
    tree.insert("share/empty", Entry::dir()).unwrap();
    tree
}

/// [`sample_tree`] without the empty directory. Wine 8's msiexec leaves `hello` and
/// `hello\share` behind on `/x` when `share\empty` comes from the `CreateFolder` table: its
/// RemoveFiles removes each component's folder tree depth first, but skips the created
/// folder (removed later by RemoveFolders), so the parents are not empty at that moment.
fn files_tree(version: &str) -> FileTree {
    let mut tree = FileTree::new();
    let exe = format!("MZ hello {version}\r\n").into_bytes();
    tree.insert("bin/hello.exe", Entry::bytes(exe)).unwrap();
    tree.insert(
        "bin/hello-helper-library.dll",
        Entry::bytes(payload(300_000, 7)),
    )
    .unwrap();
    tree.insert("README.txt", Entry::bytes(b"hello\r\n".to_vec()))
        .unwrap();
    tree.insert(
        "share/doc/a rather long file name.md",
        Entry::bytes(Vec::new()),
    )
    .unwrap();
    tree.insert(
        "bin/hello-copy.exe",
        Entry::hardlink("bin/hello.exe".parse().unwrap()),
    )
    .unwrap();
    tree
}

fn meta(version: &str) -> PackageMeta {
    PackageMeta::new("hello", version)
        .unwrap()
        .description("Greets the world")
}

fn options() -> MsiOptions {
    MsiOptions::default()
        .manufacturer("Acme")
        .path_entry("bin")
        .shortcut("bin/hello.exe")
}

fn write(
    tree: &FileTree,
    meta: &PackageMeta,
    options: MsiOptions,
    dir: &Path,
) -> (PathBuf, MsiReport) {
    let msi = Msi::new(tree, meta, x64(), SourceDate::from_unix(DATE)).options(options);
    let path = dir.join(msi.file_name().unwrap());
    let report = msi.write_to_path(&path).unwrap();
    assert_eq!(report.written.size, fs::metadata(&path).unwrap().len());
    (path, report)
}

/// `msiinfo` with its stderr checked: it exits 0 on some garbage.
fn msiinfo(args: &[&str], path: &Path) -> String {
    let out = run(Command::new("msiinfo")
        .args(&args[..1])
        .arg(path)
        .args(&args[1..])
        .env("TZ", "UTC"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "msiinfo {args:?} failed ({}): {stderr}",
        out.status
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The rows of `table` (after the three header lines), each split at tabs.
fn export(path: &Path, table: &str) -> Vec<Vec<String>> {
    msiinfo(&["export", table], path)
        .lines()
        .skip(3)
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// The long part of a `short|long` name.
fn long(name: &str) -> &str {
    name.rsplit('|').next().unwrap()
}

/// The path of the directory `id` below the system folders (`.`), from `dirs` (id to
/// parent and `DefaultDir`).
fn resolve_dir<'d>(dirs: &'d BTreeMap<String, (String, String)>, mut id: &'d str) -> String {
    let mut parts = Vec::new();
    while let Some((parent, default)) = dirs.get(id) {
        if id == "TARGETDIR" {
            break;
        }
        if default != "." {
            parts.push(long(default).to_owned());
        }
        id = parent;
    }
    parts.reverse();
    parts.join("/")
}

/// Each installed file's path (directories resolved through the `Directory` table, `.`
/// for the system folders) mapped to its `File` row.
fn installed_files(path: &Path) -> BTreeMap<String, Vec<String>> {
    let dirs: BTreeMap<String, (String, String)> = export(path, "Directory")
        .into_iter()
        .map(|r| (r[0].clone(), (r[1].clone(), r[2].clone())))
        .collect();
    let resolve = |id: &str| resolve_dir(&dirs, id);
    let components: BTreeMap<String, Vec<String>> = export(path, "Component")
        .into_iter()
        .map(|r| (r[0].clone(), r))
        .collect();
    export(path, "File")
        .into_iter()
        .map(|r| {
            let component = &components[&r[1]];
            assert_eq!(component[3], "256", "64-bit component");
            assert_eq!(component[5], r[0], "the file is its component's key path");
            (format!("{}/{}", resolve(&component[2]), long(&r[2])), r)
        })
        .collect()
}

#[test]
fn msiinfo_reads_every_table_and_the_summary() {
    require_tool("msiinfo", "msitools");
    let dir = tempfile::tempdir().unwrap();
    let tree = sample_tree("1.2.0");
    let (path, report) = write(&tree, &meta("1.2.0"), options(), dir.path());
    assert_eq!(path.file_name().unwrap(), "hello-1.2.0-x86_64.msi");

    let tables: BTreeSet<String> = msiinfo(&["tables"], &path)
        .lines()
        .map(str::to_owned)
        .collect();
    let expected = [
        "_SummaryInformation",
        "_ForceCodepage",
        "_Validation",
        "AdminExecuteSequence",
        "AdminUISequence",
        "AdvtExecuteSequence",
        "Component",
        "CreateFolder",
        "Directory",
        "Environment",
        "Feature",
        "FeatureComponents",
        "File",
        "InstallExecuteSequence",
        "InstallUISequence",
        "LaunchCondition",
        "Media",
        "Property",
        "Shortcut",
        "Upgrade",
    ];
    let expected: BTreeSet<String> = expected.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        tables.difference(&expected).collect::<Vec<_>>(),
        Vec::<&String>::new()
    );
    assert_eq!(
        expected.difference(&tables).collect::<Vec<_>>(),
        Vec::<&String>::new()
    );

    let properties: BTreeMap<String, String> = export(&path, "Property")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    for (k, v) in [
        ("ProductName", "hello"),
        ("Manufacturer", "Acme"),
        ("ProductVersion", "1.2.0"),
        ("ProductLanguage", "1033"),
        ("ALLUSERS", "1"),
    ] {
        assert_eq!(properties.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(properties["ProductCode"], report.product_code.to_string());
    assert_eq!(properties["UpgradeCode"], report.upgrade_code.to_string());

    // Every file of the tree, under ProgramFiles64Folder\Acme\hello, in sequence order.
    let files = installed_files(&path);
    let want: Vec<(String, u64)> = tree_bytes(&tree, "Acme/hello/")
        .into_iter()
        .map(|(p, data)| (p, data.len() as u64))
        .collect();
    let got: Vec<(String, u64)> = files
        .iter()
        .map(|(p, r)| (p.clone(), r[3].parse().unwrap()))
        .collect();
    assert_eq!(got, want);
    let mut sequences: Vec<u32> = files.values().map(|r| r[7].parse().unwrap()).collect();
    sequences.sort_unstable();
    assert_eq!(sequences, (1..=5).collect::<Vec<_>>());
    assert!(
        files
            .keys()
            .any(|p| p.ends_with("a rather long file name.md"))
    );
    assert_eq!(
        export(&path, "Media"),
        vec![vec![
            "1".to_owned(),
            "5".into(),
            String::new(),
            "#consign1.cab".into(),
            String::new(),
            String::new()
        ]]
    );
    assert!(
        msiinfo(&["streams"], &path)
            .lines()
            .any(|l| l == "consign1.cab")
    );
    assert_eq!(export(&path, "CreateFolder").len(), 1);
    assert_eq!(
        export(&path, "FeatureComponents").len(),
        export(&path, "Component").len()
    );

    let execute: BTreeMap<String, String> = export(&path, "InstallExecuteSequence")
        .into_iter()
        .map(|r| (r[0].clone(), r[2].clone()))
        .collect();
    for (action, n) in [
        ("FindRelatedProducts", "25"),
        ("LaunchConditions", "100"),
        ("InstallValidate", "1400"),
        ("RemoveExistingProducts", "1401"),
        ("InstallInitialize", "1500"),
        ("InstallFiles", "4000"),
        ("CreateShortcuts", "4500"),
        ("WriteEnvironmentStrings", "5200"),
        ("RegisterProduct", "6100"),
        ("PublishProduct", "6400"),
        ("InstallFinalize", "6600"),
    ] {
        assert_eq!(execute.get(action).map(String::as_str), Some(n), "{action}");
    }
    assert!(
        export(&path, "InstallUISequence")
            .iter()
            .any(|r| r[0] == "ExecuteAction")
    );
    assert!(
        export(&path, "AdminExecuteSequence")
            .iter()
            .any(|r| r[0] == "InstallAdminPackage")
    );
    let upgrade = export(&path, "Upgrade");
    assert_eq!(upgrade.len(), 2);
    assert!(
        upgrade
            .iter()
            .all(|r| r[0] == report.upgrade_code.to_string())
    );
    assert!(
        upgrade
            .iter()
            .any(|r| r[1].is_empty() && r[2] == "1.2.0" && r[4] == "513")
    );
    let env = export(&path, "Environment");
    assert_eq!(env.len(), 1);
    assert_eq!(
        &env[0][1..3],
        ["=-*PATH", &format!("[~];[{}]", dir_of(&path, "bin"))]
    );
    let shortcut = export(&path, "Shortcut");
    assert_eq!(shortcut[0][1], "ProgramMenuFolder");
    assert_eq!(long(&shortcut[0][2]), "hello");
    assert_eq!(
        shortcut[0][4],
        format!("[#{}]", files["Acme/hello/bin/hello.exe"][0])
    );

    let summary = msiinfo(&["suminfo"], &path);
    for line in [
        "Title: Installation Database".to_owned(),
        "Subject: hello".into(),
        "Author: Acme".into(),
        "Template: x64;1033".into(),
        format!("Revision number (UUID): {}", report.package_code),
        "Created: Tue Nov 14 22:13:20 2023".into(),
        "Last saved: Tue Nov 14 22:13:20 2023".into(),
        "Version: 500 (1f4)".into(),
        "Source: 2 (2)".into(),
        "Application: consign".into(),
    ] {
        assert!(
            summary.lines().any(|l| l == line),
            "{line:?} not in\n{summary}"
        );
    }
}

/// The `Directory` key of the tree directory `rel`.
fn dir_of(path: &Path, rel: &str) -> String {
    let name = rel.rsplit('/').next().unwrap();
    export(path, "Directory")
        .into_iter()
        .find(|r| long(&r[2]) == name && r[1] != "TARGETDIR")
        .map(|r| r[0].clone())
        .unwrap()
}

/// Extracts `msi` with `msiextract` into `out`; returns the files below `out` with their bytes.
fn extract(msi: &Path, out: &Path) -> BTreeMap<String, Vec<u8>> {
    let result = run(Command::new("msiextract").arg("-C").arg(out).arg(msi));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        result.status.success() && stderr.trim().is_empty(),
        "msiextract: {stderr}"
    );
    extract_dir(out)
}

fn tree_bytes(tree: &FileTree, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for (path, entry) in tree.iter() {
        let source = match entry.kind() {
            consign::core::EntryKind::Hardlink { target } => tree.get(target.as_str()).unwrap(),
            consign::core::EntryKind::Dir => continue,
            _ => entry,
        };
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut source.open().unwrap(), &mut data).unwrap();
        files.insert(format!("{prefix}{path}"), data);
    }
    files
}

#[test]
fn msiextract_gives_back_the_tree_from_one_or_several_cabinets() {
    require_tool("msiextract", "msitools");
    require_tool("msiinfo", "msitools");
    let dir = tempfile::tempdir().unwrap();
    let mut tree = sample_tree("1.0.0");
    // Several MiB across many MSZIP blocks, and a file of exactly one block.
    tree.insert("lib/big.bin", Entry::bytes(payload(5 << 20, 3)))
        .unwrap();
    tree.insert("lib/block.bin", Entry::bytes(payload(32 << 10, 4)))
        .unwrap();
    for (name, options) in [
        ("one", MsiOptions::default().manufacturer("Acme")),
        (
            "several",
            MsiOptions::default()
                .manufacturer("Acme")
                .cabinet_bytes(1 << 20),
        ),
    ] {
        let sub = dir.path().join(name);
        fs::create_dir(&sub).unwrap();
        let (path, _) = write(&tree, &meta("1.0.0"), options, &sub);
        let media = export(&path, "Media");
        if name == "several" {
            // 300 kB + small files | 5 MiB alone | the rest.
            assert_eq!(media.len(), 3, "{media:?}");
            let streams = msiinfo(&["streams"], &path);
            assert!(streams.contains("consign3.cab"), "{streams}");
        } else {
            assert_eq!(media.len(), 1);
        }
        let out = sub.join("out");
        assert_eq!(
            extract(&path, &out),
            tree_bytes(&tree, "Acme/hello/"),
            "{name}"
        );
    }
}

#[test]
fn same_inputs_same_bytes_and_content_changes_the_package_code() {
    let dir = tempfile::tempdir().unwrap();
    let tree = sample_tree("1.0.0");
    let (a, ra) = write(&tree, &meta("1.0.0"), options(), dir.path());
    let first = fs::read(&a).unwrap();
    let (b, rb) = write(
        &tree,
        &meta("1.0.0"),
        options().threads(1.try_into().unwrap()),
        dir.path(),
    );
    assert_eq!(
        fs::read(&b).unwrap(),
        first,
        "the thread count changed the bytes"
    );
    assert_eq!(ra, rb);

    let mut changed = tree.clone();
    changed
        .insert("extra.txt", Entry::bytes(b"x".to_vec()))
        .unwrap();
    let (_, rc) = write(&changed, &meta("1.0.0"), options(), dir.path());
    assert_ne!(rc.package_code, ra.package_code);
    assert_eq!(rc.product_code, ra.product_code);
    let (_, rd) = write(&tree, &meta("1.0.1"), options(), dir.path());
    assert_ne!(rd.product_code, ra.product_code);
    assert_eq!(rd.upgrade_code, ra.upgrade_code);
}

#[test]
fn bad_input_gets_typed_errors() {
    let date = SourceDate::from_unix(DATE);
    let attempt = |tree: &FileTree, meta: &PackageMeta| {
        Msi::new(tree, meta, x64(), date)
            .options(MsiOptions::default().manufacturer("Acme"))
            .write_to(Vec::new())
    };
    for name in [
        "a<b", "a>b", "c:d", "q\"q", "p|p", "why?", "st*r", "CON", "nul.txt", "COM1.log", "dots.",
    ] {
        let mut tree = FileTree::new();
        tree.insert(format!("bin/{name}"), Entry::bytes(Vec::new()))
            .unwrap();
        match attempt(&tree, &meta("1.0.0")) {
            Err(Error::Msi(MsiError::FileName { name: n, .. })) => assert_eq!(n, name),
            other => panic!("{name:?}: {other:?}"),
        }
    }
    let tree = sample_tree("1.0.0");
    for version in [
        "256.0.0",
        "1.256.0",
        "1.0.65536",
        "2024.05",
        "1.0.0-rc.70000",
    ] {
        assert!(
            matches!(
                attempt(&tree, &meta(version)),
                Err(Error::Msi(MsiError::Version { .. }))
            ),
            "{version}"
        );
    }
    let mut deep = FileTree::new();
    let long_path = vec!["a-directory-name"; 15].join("/");
    deep.insert(&long_path, Entry::bytes(Vec::new())).unwrap();
    assert!(matches!(
        attempt(&deep, &meta("1.0.0")),
        Err(Error::Msi(MsiError::PathTooLong { .. }))
    ));
    let mut case = FileTree::new();
    case.insert("bin/App.exe", Entry::bytes(Vec::new()))
        .unwrap();
    case.insert("bin/app.exe", Entry::bytes(Vec::new()))
        .unwrap();
    assert!(matches!(
        attempt(&case, &meta("1.0.0")),
        Err(Error::Msi(MsiError::CaseCollision { .. }))
    ));
    let linux: Platform = "x86_64-unknown-linux-gnu".parse().unwrap();
    assert!(matches!(
        Msi::new(&tree, &meta("1.0.0"), linux, date).write_to(Vec::new()),
        Err(Error::Msi(MsiError::Platform { .. }))
    ));
    // No manufacturer at all.
    assert!(matches!(
        Msi::new(&tree, &meta("1.0.0"), x64(), date).write_to(Vec::new()),
        Err(Error::Missing {
            field: "manufacturer",
            ..
        })
    ));
}

/// The column definitions `msiinfo export` prints (names and types) of our package and of
/// a `wixl` package of the same tree agree for the tables both write.
#[test]
fn columns_match_a_wixl_package_of_the_same_tree() {
    require_tool("wixl", "wixl");
    require_tool("msiinfo", "msitools");
    let dir = tempfile::tempdir().unwrap();
    let mut tree = FileTree::new();
    let src = dir.path().join("hello.exe");
    fs::write(&src, b"MZ hello").unwrap();
    tree.insert("hello.exe", Entry::file(&src).unwrap())
        .unwrap();
    let (ours, _) = write(
        &tree,
        &meta("1.0.0"),
        MsiOptions::default().manufacturer("Acme"),
        dir.path(),
    );
    let wxs = dir.path().join("hello.wxs");
    fs::write(
        &wxs,
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="hello" Language="1033" Version="1.0.0" Manufacturer="Acme"
           UpgradeCode="12345678-1234-1234-1234-123456789012">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"/>
    <MajorUpgrade DowngradeErrorMessage="A newer version is installed."/>
    <Media Id="1" Cabinet="cab1.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="MANUFACTURERFOLDER" Name="Acme">
          <Directory Id="INSTALLDIR" Name="hello">
            <Component Id="c1" Guid="11111111-1111-1111-1111-111111111111" Win64="yes">
              <File Id="f1" Source="hello.exe" KeyPath="yes"/>
            </Component>
          </Directory>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Complete" Level="1"><ComponentRef Id="c1"/></Feature>
  </Product>
</Wix>"#,
    )
    .unwrap();
    let theirs = dir.path().join("wixl.msi");
    run_ok(
        common::cmd_in(dir.path(), "wixl")
            .args(["-a", "x64", "-o"])
            .arg(&theirs)
            .arg(&wxs),
    );
    for table in [
        "Property",
        "Directory",
        "Component",
        "Feature",
        "FeatureComponents",
        "File",
        "Media",
        "Upgrade",
        "InstallExecuteSequence",
        "InstallUISequence",
        "AdminExecuteSequence",
    ] {
        let head = |p: &Path| {
            msiinfo(&["export", table], p)
                .lines()
                .take(3)
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(head(&ours), head(&theirs), "{table}");
    }
    // Both install the file at the same place.
    let a = extract(&ours, &dir.path().join("ours"));
    let b = extract(&theirs, &dir.path().join("theirs"));
    assert_eq!(a, b);
}

/// Runs `wine args…` in `prefix` (a temporary WINEPREFIX), waits for wineserver, and
/// returns the exit status with what Wine printed.
fn wine(prefix: &Path, args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new("timeout");
    cmd.arg("600").arg("wine").args(args);
    let out = run(wine_env(&mut cmd, prefix));
    run(wine_env(Command::new("wineserver").arg("-w"), prefix));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn wine_env<'c>(cmd: &'c mut Command, prefix: &Path) -> &'c mut Command {
    cmd.env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        // No desktop menus written outside the prefix, no Mono or Gecko installers.
        .env(
            "WINEDLLOVERRIDES",
            "winemenubuilder.exe=d;mscoree=d;mshtml=d",
        )
        .env_remove("DISPLAY")
}

/// A Windows path for a Unix one (Wine maps `Z:` to `/`).
fn z(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// Whether the product `code` is registered (its Uninstall key exists).
fn registered(prefix: &Path, code: &str) -> bool {
    let key = format!(r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\{code}");
    wine(prefix, &["reg", "query", &key]).0
}

/// Wine's `msiexec` installs version 1, upgrades it in place with version 2 (a file gone,
/// a file added, a file changed; one product registered), and removes everything.
/// Wine is slow to start: one test does it all.
#[test]
fn wine_installs_upgrades_in_place_and_removes() {
    require_tool("wine", "wine64 (and wine)");
    require_tool("wineserver", "wine");
    require_tool("timeout", "coreutils");
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("prefix");
    let (ok, log) = wine(&prefix, &["wineboot", "-i"]);
    assert!(ok, "wineboot -i failed:\n{log}");

    let mut v1 = files_tree("1.0.0");
    v1.insert("bin/old.txt", Entry::bytes(b"only in 1.0.0".to_vec()))
        .unwrap();
    let mut v2 = files_tree("2.0.0");
    v2.insert("bin/new.txt", Entry::bytes(b"only in 2.0.0".to_vec()))
        .unwrap();
    let (p1, r1) = write(&v1, &meta("1.0.0"), options(), dir.path());
    let (p2, r2) = write(&v2, &meta("2.0.0"), options(), dir.path());
    let installed = prefix.join("drive_c/Program Files/Acme/hello");
    let on_disk = || {
        let mut files = BTreeMap::new();
        if installed.exists() {
            files = extract_dir(&installed);
        }
        files
    };

    let (ok, log) = wine(&prefix, &["msiexec", "/i", &z(&p1), "/qn"]);
    assert!(ok, "msiexec /i 1.0.0 failed:\n{log}");
    assert_eq!(on_disk(), tree_bytes(&v1, ""), "1.0.0 installed");
    assert!(registered(&prefix, &r1.product_code.to_string()));
    let (_, path_value) = wine(
        &prefix,
        &[
            "reg",
            "query",
            r"HKLM\System\CurrentControlSet\Control\Session Manager\Environment",
            "/v",
            "PATH",
        ],
    );
    assert!(
        path_value.contains(r"Acme\hello\bin"),
        "PATH entry missing:\n{path_value}"
    );

    let (ok, log) = wine(&prefix, &["msiexec", "/i", &z(&p2), "/qn"]);
    assert!(ok, "msiexec /i 2.0.0 (upgrade) failed:\n{log}");
    assert_eq!(
        on_disk(),
        tree_bytes(&v2, ""),
        "2.0.0 replaced 1.0.0 in place"
    );
    assert!(registered(&prefix, &r2.product_code.to_string()));
    assert!(
        !registered(&prefix, &r1.product_code.to_string()),
        "1.0.0 still registered"
    );

    // Installing 1.0.0 again over 2.0.0 is refused by the launch condition.
    let (ok, _) = wine(&prefix, &["msiexec", "/i", &z(&p1), "/qn"]);
    assert!(!ok, "a downgrade was allowed");
    assert_eq!(on_disk(), tree_bytes(&v2, ""));

    let (ok, log) = wine(
        &prefix,
        &["msiexec", "/x", &r2.product_code.to_string(), "/qn"],
    );
    assert!(ok, "msiexec /x failed:\n{log}");
    let left = walk_dirs(&prefix.join("drive_c/Program Files/Acme"));
    assert!(!installed.exists(), "left behind: {left:?}");
    assert!(!registered(&prefix, &r2.product_code.to_string()));
    let (_, path_value) = wine(
        &prefix,
        &[
            "reg",
            "query",
            r"HKLM\System\CurrentControlSet\Control\Session Manager\Environment",
            "/v",
            "PATH",
        ],
    );
    assert!(
        !path_value.contains(r"Acme\hello"),
        "PATH entry left:\n{path_value}"
    );
}

/// The files below `root` with their bytes, by relative path.
fn extract_dir(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                files.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    files
}

/// Every directory and file below `root` (relative paths), for messages.
fn walk_dirs(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            found.push(p.strip_prefix(root).unwrap().display().to_string());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    found.sort();
    found
}
