//! SBOMs checked by the reference validators: CycloneDX 1.6 and 1.5 against the official JSON
//! schemas (`cyclonedx-python-lib[json-validation]`, strict), SPDX 2.3 by `pyspdxtools -i`
//! (`spdx-tools`) and against the SPDX 2.3 JSON schema (`jsonschema`), since pyspdxtools
//! ignores misspelt keys. We also check what the schemas cannot: every CycloneDX bom-ref is
//! unique and every dependency reference resolves; every SPDX relationship names an element of
//! the document and every `LicenseRef-…` used is declared.
//!
//! The validators live in a Python virtual environment: `$CONSIGN_VALIDATORS` (its `bin`
//! directory) or `target/validators/bin`, which `scripts/test` creates. The SPDX schema is
//! `$CONSIGN_SPDX_SCHEMA` or `tests/schemas/spdx-2.3.schema.json` (from spdx/spdx-spec, 2.3).
#![allow(clippy::unwrap_used)]

mod common;

use common::sbom::{root, validate};

use std::path::{Path, PathBuf};
use std::process::Command;

use consign::core::{
    Algorithm, Artifact, ArtifactKind, Entry, FileTree, Platform, SourceDate, hash_reader,
};
use consign::sbom::{
    CargoOptions, CdxVersion, Features, Inventory, LicensePolicy, Sbom, TargetTriple,
};

/// Writes the CycloneDX documents of `versions` and the SPDX document of `sbom` into `dir`;
/// returns them for [`validate`].
fn write_docs(
    sbom: &Sbom<'_>,
    dir: &Path,
    stem: &str,
    versions: &[CdxVersion],
) -> Vec<(PathBuf, Option<CdxVersion>)> {
    let mut docs = Vec::new();
    for &version in versions {
        let path = dir.join(format!("{stem}.{}.cdx.json", version.as_str()));
        std::fs::write(&path, sbom.cyclonedx(version).unwrap().as_bytes()).unwrap();
        docs.push((path, Some(version)));
    }
    let path = dir.join(format!("{stem}.spdx.json"));
    std::fs::write(&path, sbom.spdx().unwrap().as_bytes()).unwrap();
    docs.push((path, None));
    docs
}

fn archive(name: &str, data: &[u8]) -> Artifact {
    let w = hash_reader(
        data,
        &[Algorithm::Sha256, Algorithm::Sha512, Algorithm::Blake3],
    )
    .unwrap();
    Artifact::new(name, ArtifactKind::Archive, &w).unwrap()
}

#[test]
fn workspace_documents_pass_the_validators() {
    let dir = tempfile::tempdir().unwrap();
    let target = TargetTriple::from(Platform::host().unwrap());
    let manifest = root().join("Cargo.toml");
    let mut options = CargoOptions::default();
    options.build_dependencies = true;
    let inv = Inventory::from_cargo(
        &manifest,
        "consign",
        &target,
        &Features::default(),
        &options,
    )
    .unwrap();
    assert!(
        inv.crates().iter().any(|c| !c.shipped),
        "build-only crates are listed"
    );
    let mut tree = FileTree::new();
    tree.insert(
        "bin/consign-sums",
        Entry::file(manifest.clone()).unwrap().mode(0o755),
    )
    .unwrap();
    tree.insert(
        "share/doc/consign/LICENSE-MIT",
        Entry::file(root().join("LICENSE-MIT")).unwrap(),
    )
    .unwrap();
    tree.insert("share/doc/consign/LICENSE", Entry::symlink("LICENSE-MIT"))
        .unwrap();
    let inv = inv.with_files(&tree).unwrap();
    let date = SourceDate::from_unix(1_700_000_000);

    let one = Sbom::new(&inv, date).subject(archive("consign-0.1.0.tar.gz", b"tar"));
    let two = Sbom::new(&inv, date).subjects([archive("a.tar.gz", b"a"), archive("b.zip", b"b")]);
    let none = Sbom::new(&inv, date);
    // The schema check of a large CycloneDX document takes seconds: 1.5 once is enough.
    let mut docs = write_docs(
        &one,
        dir.path(),
        "one-subject",
        &[CdxVersion::V1_6, CdxVersion::V1_5],
    );
    docs.extend(write_docs(
        &two,
        dir.path(),
        "two-subjects",
        &[CdxVersion::V1_6],
    ));
    docs.extend(write_docs(
        &none,
        dir.path(),
        "no-subject",
        &[CdxVersion::V1_6],
    ));
    validate(&docs);

    // write_all names the files after the subject and reports them as artifacts.
    let written = one.write_all(dir.path(), CdxVersion::V1_6).unwrap();
    let names: Vec<_> = written.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "consign-0.1.0.tar.gz.cdx.json",
            "consign-0.1.0.tar.gz.spdx.json"
        ]
    );
    for a in &written {
        assert_eq!(a.kind, ArtifactKind::Sbom);
        let bytes = std::fs::read(dir.path().join(&a.name)).unwrap();
        assert_eq!(a.size, bytes.len() as u64);
    }
}

#[test]
fn golden_fixture_documents_pass_the_validators() {
    let golden = root().join("crates/sbom/tests/golden");
    validate(&[
        (golden.join("app.cdx-1.6.json"), Some(CdxVersion::V1_6)),
        (golden.join("app.cdx-1.5.json"), Some(CdxVersion::V1_5)),
        (golden.join("app.spdx.json"), None),
    ]);
}

#[test]
fn kept_license_text_passes_the_validators() {
    // A copy of the fixture whose crate has a license field that is no SPDX expression.
    let tmp = tempfile::tempdir().unwrap();
    let fixture = root().join("crates/sbom/tests/fixtures/ws");
    let status = Command::new("cp")
        .arg("-r")
        .arg(fixture.as_os_str())
        .arg(tmp.path().join("ws"))
        .status()
        .unwrap();
    assert!(status.success());
    let ws = tmp.path().join("ws");
    let lib = ws.join("weird-name/Cargo.toml");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        text.replace("edition", "license = \"BSD (see file), or MIT\"\nedition"),
    )
    .unwrap();
    let mut options = CargoOptions::default();
    options.offline = true;
    options.licenses = LicensePolicy::Keep;
    let inv = Inventory::from_cargo(
        ws.join("Cargo.toml"),
        "app",
        &"x86_64-unknown-linux-gnu".parse().unwrap(),
        &Features::all(),
        &options,
    )
    .unwrap();
    let sbom = Sbom::new(&inv, SourceDate::from_unix(0));
    validate(&write_docs(
        &sbom,
        tmp.path(),
        "kept",
        &[CdxVersion::V1_6, CdxVersion::V1_5],
    ));
    let spdx = String::from_utf8(sbom.spdx().unwrap().into_bytes()).unwrap();
    assert!(
        spdx.contains("\"extractedText\": \"BSD (see file), or MIT\""),
        "the text is carried"
    );
}
