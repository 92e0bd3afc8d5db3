//! The inventory against Cargo itself: the crate set equals what `cargo tree -e normal`
//! prints for the same package, target and features, on the fixture workspace
//! (`tests/fixtures/ws`: target-specific, optional, renamed, weak-feature, proc-macro, build and
//! dev dependencies, all local) and on this workspace; bad input gives typed errors naming the
//! value; documents are golden files and come out byte-identical on every run.
//!
//! Golden files live in `tests/golden/`; after an intended change of output, regenerate them
//! with `CONSIGN_BLESS=1 cargo test -p consign-sbom --test cargo_graph` and review the diff.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use consign_core::{Algorithm, Artifact, ArtifactKind, Entry, FileTree, SourceDate, hash_reader};
use consign_sbom::{
    CargoOptions, CdxVersion, Features, GraphSource, Inventory, License, LicensePolicy, Sbom,
    SbomError, Source, TargetTriple,
};

const LINUX: &str = "x86_64-unknown-linux-gnu";
const WINDOWS: &str = "x86_64-pc-windows-msvc";
const MAC: &str = "aarch64-apple-darwin";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ws")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn offline() -> CargoOptions {
    let mut o = CargoOptions::default();
    o.offline = true;
    o
}

/// `(name, version)` of every crate `cargo tree` prints.
fn cargo_tree(
    ws: &Path,
    package: &str,
    target: &str,
    edges: &str,
    args: &[&str],
) -> BTreeSet<(String, String)> {
    let out = Command::new(env!("CARGO"))
        .current_dir(ws)
        .args([
            "tree", "--locked", "--prefix", "none", "-e", edges, "-p", package, "--target", target,
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next().unwrap().to_owned();
            let version = words.next().unwrap().trim_start_matches('v').to_owned();
            (name, version)
        })
        .collect()
}

fn ours(inv: &Inventory) -> BTreeSet<(String, String)> {
    inv.crates()
        .iter()
        .map(|c| (c.name.clone(), c.version.clone()))
        .collect()
}

fn inventory(
    ws: &Path,
    package: &str,
    target: &str,
    features: &Features,
    options: &CargoOptions,
) -> Inventory {
    Inventory::from_cargo(
        ws.join("Cargo.toml"),
        package,
        &target.parse().unwrap(),
        features,
        options,
    )
    .unwrap()
}

#[test]
fn fixture_matches_cargo_tree() {
    let ws = fixture();
    let cases: [(&str, Features, &[&str]); 7] = [
        (LINUX, Features::default(), &[]),
        (WINDOWS, Features::default(), &[]),
        (
            LINUX,
            Features::default().no_default_features(),
            &["--no-default-features"],
        ),
        (
            WINDOWS,
            Features::default().with(["extra,shiny"]),
            &["-F", "extra,shiny"],
        ),
        (
            LINUX,
            Features::default().with(["app/shiny"]),
            &["-F", "app/shiny"],
        ),
        (MAC, Features::all(), &["--all-features"]),
        (
            LINUX,
            Features::default()
                .with(["core-lib/fast-impl", "extra"])
                .no_default_features(),
            &["--no-default-features", "-F", "core-lib/fast-impl,extra"],
        ),
    ];
    for (target, features, args) in cases {
        let inv = inventory(&ws, "app", target, &features, &offline());
        let expected = cargo_tree(
            &ws,
            "app",
            target,
            "normal",
            &[args, &["--offline"]].concat(),
        );
        assert_eq!(ours(&inv), expected, "{target} {args:?}");
        assert!(inv.crates().iter().all(|c| c.shipped));
        // The same from a full `cargo metadata`.
        let mut o = offline();
        o.graph = GraphSource::Metadata;
        assert_eq!(
            inventory(&ws, "app", target, &features, &o),
            inv,
            "{target} {args:?}"
        );
    }
}

#[test]
fn fixture_build_and_dev_dependencies_when_asked() {
    let ws = fixture();
    let mut o = offline();
    o.build_dependencies = true;
    let inv = inventory(&ws, "app", LINUX, &Features::default(), &o);
    assert_eq!(
        ours(&inv),
        cargo_tree(&ws, "app", LINUX, "normal,build", &["--offline"])
    );
    let helper = inv
        .crates()
        .iter()
        .find(|c| c.name == "build-helper")
        .unwrap();
    assert!(!helper.shipped);
    o.build_dependencies = false;
    o.dev_dependencies = true;
    let inv = inventory(&ws, "app", LINUX, &Features::default(), &o);
    assert_eq!(
        ours(&inv),
        cargo_tree(&ws, "app", LINUX, "normal,dev", &["--offline"])
    );
    assert!(
        !inv.crates()
            .iter()
            .find(|c| c.name == "test-helper")
            .unwrap()
            .shipped
    );
}

#[test]
fn fixture_details() {
    let ws = fixture();
    let inv = inventory(
        &ws,
        "app",
        LINUX,
        &Features::default().with(["extra"]),
        &offline(),
    );
    let get = |n: &str| inv.crates().iter().find(|c| c.name == n).unwrap();
    let app = inv.root();
    assert_eq!(app.name, "app");
    assert_eq!(app.purl, "pkg:cargo/app@1.2.3?download_url=file://app");
    assert_eq!(app.source, Source::Path { path: "app".into() });
    assert_eq!(inv.features(), ["default", "extra", "fast"]);
    assert_eq!(inv.target(), Some(LINUX));
    assert_eq!(app.authors.len(), 2);
    let deps: BTreeSet<&str> = app
        .dependencies
        .iter()
        .map(|e| inv.crates()[e.to].name.as_str())
        .collect();
    assert_eq!(
        deps,
        BTreeSet::from([
            "core-lib",
            "helper-macro",
            "opt-a",
            "unix-only",
            "weird-name"
        ])
    );
    assert_eq!(
        get("core-lib").license.expression().unwrap().as_str(),
        "MIT OR Apache-2.0"
    );
    assert_eq!(
        get("fast-impl").license,
        License::File("LICENSE.custom".into())
    );
    assert_eq!(
        get("opt-a").license.expression().unwrap().as_str(),
        "LicenseRef-Proprietary-Foo AND MIT"
    );
    assert_eq!(
        get("helper-macro").license.expression().unwrap().as_str(),
        "GPL-2.0-or-later WITH Classpath-exception-2.0"
    );
    assert_eq!(get("weird-name").license, License::NotDeclared);
    // Edges point at crates of the inventory, and every crate but the root is reached.
    let mut reached = BTreeSet::new();
    for c in inv.crates() {
        for e in &c.dependencies {
            reached.insert(e.to);
        }
    }
    assert_eq!(reached.len(), inv.crates().len() - 1);
    assert!(!reached.contains(&inv.root_index()));
}

#[test]
fn this_workspace_matches_cargo_tree() {
    let ws = workspace();
    for (package, target) in [
        ("consign", LINUX),
        ("consign-sbom", WINDOWS),
        ("consign-core", MAC),
    ] {
        let inv = inventory(
            &ws,
            package,
            target,
            &Features::default(),
            &CargoOptions::default(),
        );
        assert_eq!(
            ours(&inv),
            cargo_tree(&ws, package, target, "normal", &[]),
            "{package} {target}"
        );
        // Registry crates carry Cargo.lock's checksum; workspace members have none.
        for c in inv.crates() {
            match c.source {
                Source::CratesIo => assert!(c.checksum.is_some(), "{}", c.name),
                Source::Path { .. } => assert!(c.checksum.is_none()),
                _ => {}
            }
        }
    }
}

#[test]
fn bad_input_is_a_typed_error_naming_the_value() {
    let ws = fixture();
    let manifest = ws.join("Cargo.toml");
    let t: TargetTriple = LINUX.parse().unwrap();
    let f = Features::default();
    match Inventory::from_cargo(&manifest, "no-such-package", &t, &f, &offline()) {
        Err(e @ SbomError::PackageNotFound { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("no-such-package") && msg.contains("app"),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }
    let bad: TargetTriple = "sparc-nonesuch-plan9".parse().unwrap();
    match Inventory::from_cargo(&manifest, "app", &bad, &f, &offline()) {
        Err(e @ SbomError::UnknownTarget { .. }) => {
            assert!(e.to_string().contains("sparc-nonesuch-plan9"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        "no spaces".parse::<TargetTriple>(),
        Err(SbomError::UnknownTarget { .. })
    ));
    match Inventory::from_cargo(
        &manifest,
        "app",
        &t,
        &Features::default().with(["turbo"]),
        &offline(),
    ) {
        Err(e @ SbomError::UnknownFeature { .. }) => {
            assert!(e.to_string().contains("\"turbo\""), "{e}")
        }
        other => panic!("{other:?}"),
    }

    // A copy without Cargo.lock, then with an unparseable license.
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&ws, tmp.path());
    std::fs::remove_file(tmp.path().join("Cargo.lock")).unwrap();
    let copy = tmp.path().join("Cargo.toml");
    match Inventory::from_cargo(&copy, "app", &t, &f, &offline()) {
        Err(e @ SbomError::MissingLockfile { .. }) => {
            assert!(e.to_string().contains("Cargo.lock"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !tmp.path().join("Cargo.lock").exists(),
        "the lock file is not created behind the user's back"
    );
    std::fs::copy(ws.join("Cargo.lock"), tmp.path().join("Cargo.lock")).unwrap();
    let lib = tmp.path().join("weird-name/Cargo.toml");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        text.replace("edition", "license = \"MIT OR (Apache-2.0\"\nedition"),
    )
    .unwrap();
    match Inventory::from_cargo(&copy, "app", &t, &f, &offline()) {
        Err(e @ SbomError::License { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("weird-name@0.0.1") && msg.contains("MIT OR (Apache-2.0"),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }
    let mut keep = offline();
    keep.licenses = LicensePolicy::Keep;
    let inv = Inventory::from_cargo(&copy, "app", &t, &f, &keep).unwrap();
    let weird = inv
        .crates()
        .iter()
        .find(|c| c.name == "weird-name")
        .unwrap();
    assert_eq!(weird.license, License::Text("MIT OR (Apache-2.0".into()));
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() == "target" {
                continue;
            }
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// The fixture's SBOM with a subject archive and three shipped files.
fn fixture_sbom_inputs() -> (Inventory, Artifact) {
    let inv = inventory(
        &fixture(),
        "app",
        LINUX,
        &Features::default().with(["extra", "shiny"]),
        &offline(),
    );
    let mut tree = FileTree::new();
    tree.insert(
        "usr/bin/app",
        Entry::bytes(b"\x7fELF fixture".to_vec()).mode(0o755),
    )
    .unwrap();
    tree.insert(
        "usr/share/doc/app/README",
        Entry::bytes(b"read me\n".to_vec()),
    )
    .unwrap();
    tree.insert("usr/bin/app-alias", Entry::symlink("app"))
        .unwrap();
    let inv = inv.with_files(&tree).unwrap();
    let w = hash_reader(&b"the archive"[..], &[Algorithm::Sha256, Algorithm::Sha512]).unwrap();
    let subject = Artifact::new(
        "app-1.2.3-x86_64-unknown-linux-gnu.tar.gz",
        ArtifactKind::Archive,
        &w,
    )
    .unwrap()
    .with_platform(LINUX.parse().unwrap());
    (inv, subject)
}

#[test]
fn golden_documents() {
    let (inv, subject) = fixture_sbom_inputs();
    let sbom = Sbom::new(&inv, SourceDate::from_unix(1_700_000_000)).subject(subject);
    let docs = [
        (
            "app.cdx-1.6.json",
            sbom.cyclonedx(CdxVersion::V1_6).unwrap(),
        ),
        (
            "app.cdx-1.5.json",
            sbom.cyclonedx(CdxVersion::V1_5).unwrap(),
        ),
        ("app.spdx.json", sbom.spdx().unwrap()),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("CONSIGN_BLESS").is_some();
    for (name, doc) in docs {
        let path = dir.join(name);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, doc.as_bytes()).unwrap();
            continue;
        }
        let want = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (CONSIGN_BLESS=1 writes it)", path.display()));
        assert!(
            want == doc.as_bytes(),
            "{name} differs from {}; if intended, regenerate with CONSIGN_BLESS=1",
            path.display()
        );
    }
}

#[test]
fn building_twice_gives_identical_bytes() {
    let (inv1, subject) = fixture_sbom_inputs();
    let (inv2, _) = fixture_sbom_inputs();
    assert_eq!(inv1, inv2);
    let date = SourceDate::from_unix(1_600_000_000);
    let a = Sbom::new(&inv1, date).subject(subject.clone());
    let b = Sbom::new(&inv2, date).subject(subject.clone());
    for v in [CdxVersion::V1_5, CdxVersion::V1_6] {
        assert_eq!(a.cyclonedx(v).unwrap(), b.cyclonedx(v).unwrap());
    }
    assert_eq!(a.spdx().unwrap(), b.spdx().unwrap());
    // The serial number and namespace follow the content: another date, other identifiers.
    let later = Sbom::new(&inv1, SourceDate::from_unix(1_600_000_001)).subject(subject);
    let serial = |d: &[u8]| {
        let v: serde_json::Value = serde_json::from_slice(d).unwrap();
        v["serialNumber"].as_str().unwrap().to_owned()
    };
    assert_ne!(
        serial(a.cyclonedx(CdxVersion::V1_6).unwrap().as_bytes()),
        serial(later.cyclonedx(CdxVersion::V1_6).unwrap().as_bytes())
    );
    let ns = |d: &[u8]| {
        let v: serde_json::Value = serde_json::from_slice(d).unwrap();
        v["documentNamespace"].as_str().unwrap().to_owned()
    };
    assert_ne!(
        ns(a.spdx().unwrap().as_bytes()),
        ns(later.spdx().unwrap().as_bytes())
    );
}
