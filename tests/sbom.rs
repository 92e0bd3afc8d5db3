//! SBOMs checked by the reference validators: CycloneDX 1.6 and 1.5 against the official JSON
//! schemas (`cyclonedx-python-lib[json-validation]`, strict), SPDX 2.3 by `pyspdxtools -i`
//! (`spdx-tools`) and against the SPDX 2.3 JSON schema (`jsonschema`), since pyspdxtools
//! ignores misspelt keys. We also check what the schemas cannot: every CycloneDX bom-ref is
//! unique and every dependency reference resolves; every SPDX relationship names an element of
//! the document and every `LicenseRef-…` used is declared.
//!
//! The validators live in a Python virtual environment: `$CONSIGN_VALIDATORS` (its `bin`
//! directory) or `target/validators/bin`, which `scripts/test` creates. The SPDX schema is
//! `$CONSIGN_SPDX_SCHEMA` or `../shared/schemas/spdx-2.3.schema.json` beside the checkout.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::run;
use consign::core::{
    Algorithm, Artifact, ArtifactKind, Entry, FileTree, Platform, SourceDate, hash_reader,
};
use consign::sbom::{
    CargoOptions, CdxVersion, Features, Inventory, LicensePolicy, Sbom, TargetTriple,
};
use serde_json::Value;

const INSTALL: &str = "python3 -m venv target/validators && target/validators/bin/pip install \
     spdx-tools 'cyclonedx-python-lib[json-validation]' jsonschema (or run scripts/test, which does)";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `bin` directory of the validators' virtual environment; fails naming what to install.
fn validators() -> PathBuf {
    let bin = std::env::var_os("CONSIGN_VALIDATORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/validators/bin"));
    for tool in ["python", "pyspdxtools"] {
        assert!(
            bin.join(tool).is_file(),
            "{} is missing: the SBOM validators (PyPI spdx-tools, cyclonedx-python-lib[json-validation], jsonschema) are not installed; run: {INSTALL}",
            bin.join(tool).display()
        );
    }
    bin
}

fn spdx_schema() -> PathBuf {
    let path = std::env::var_os("CONSIGN_SPDX_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/schemas/spdx-2.3.schema.json"));
    assert!(
        path.is_file(),
        "the SPDX 2.3 JSON schema is not at {}: set CONSIGN_SPDX_SCHEMA to a copy of spdx-spec's schemas/spdx-schema.json (branch support/2.3)",
        path.display()
    );
    path
}

/// Validates CycloneDX (`Some(version)`) and SPDX (`None`) documents, all in one run of the
/// schema checker.
fn validate(docs: &[(PathBuf, Option<CdxVersion>)]) {
    let mut checker = Command::new(validators().join("python"));
    checker.arg(root().join("tests/tools/validate_sbom.py"));
    for (path, version) in docs {
        match version {
            Some(v) => checker.args(["cdx", v.as_str()]).arg(path),
            None => checker.arg("spdx-schema").arg(spdx_schema()).arg(path),
        };
    }
    let out = run(&mut checker);
    assert!(
        out.status.success(),
        "schema validation failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for (path, version) in docs {
        let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        if version.is_some() {
            check_cyclonedx_refs(&doc);
            continue;
        }
        let out = run(Command::new(validators().join("pyspdxtools"))
            .arg("-i")
            .arg(path));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // pyspdxtools reports some parse errors with exit status 0: read what it says as well.
        assert!(
            out.status.success() && !text.contains("ERROR") && !text.contains("rror while parsing"),
            "pyspdxtools rejects {}:\n{text}",
            path.display()
        );
        check_spdx_refs(&doc);
    }
}

/// Unique bom-refs; every dependency reference resolves; every component has an entry.
fn check_cyclonedx_refs(doc: &Value) {
    let mut refs = HashSet::new();
    let mut components = vec![&doc["metadata"]["component"]];
    components.extend(doc["components"].as_array().unwrap());
    for c in &components {
        let r = c["bom-ref"].as_str().unwrap();
        assert!(refs.insert(r), "bom-ref {r} is not unique");
    }
    let mut with_entry = HashSet::new();
    for d in doc["dependencies"].as_array().unwrap() {
        let r = d["ref"].as_str().unwrap();
        assert!(refs.contains(r), "dependency ref {r} does not resolve");
        assert!(with_entry.insert(r), "two dependency entries for {r}");
        for on in d["dependsOn"].as_array().unwrap() {
            let on = on.as_str().unwrap();
            assert!(
                refs.contains(on),
                "dependsOn {on} (of {r}) does not resolve"
            );
        }
    }
    assert_eq!(with_entry, refs, "every component has a dependencies entry");
}

/// Every relationship names an element; every LicenseRef used is declared.
fn check_spdx_refs(doc: &Value) {
    let mut ids = HashSet::from(["SPDXRef-DOCUMENT".to_owned()]);
    for list in ["packages", "files"] {
        for e in doc[list].as_array().into_iter().flatten() {
            assert!(
                ids.insert(e["SPDXID"].as_str().unwrap().to_owned()),
                "duplicate SPDXID"
            );
        }
    }
    for r in doc["relationships"].as_array().unwrap() {
        for side in ["spdxElementId", "relatedSpdxElement"] {
            let id = r[side].as_str().unwrap();
            assert!(ids.contains(id), "relationship names unknown element {id}");
        }
    }
    let declared: BTreeSet<&str> = doc["hasExtractedLicensingInfos"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| l["licenseId"].as_str().unwrap())
        .collect();
    for p in doc["packages"].as_array().unwrap() {
        let expr = p["licenseDeclared"].as_str().unwrap();
        for word in expr.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
            if word.starts_with("LicenseRef-") {
                assert!(declared.contains(word), "{word} is used but not declared");
            }
        }
    }
}

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
