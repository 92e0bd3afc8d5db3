//! The SBOM validators, shared by the tests that write SBOMs: CycloneDX 1.6 and 1.5 against
//! the official JSON schemas (`cyclonedx-python-lib[json-validation]`, strict), SPDX 2.3 by
//! `pyspdxtools -i` (`spdx-tools`) and against the SPDX 2.3 JSON schema (`jsonschema`), and the
//! reference checks the schemas cannot make.
//!
//! The validators live in a Python virtual environment: `$CONSIGN_VALIDATORS` (its `bin`
//! directory) or `target/validators/bin`, which `scripts/test` creates. The SPDX schema is
//! `$CONSIGN_SPDX_SCHEMA` or `tests/schemas/spdx-2.3.schema.json`.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::process::Command;

use consign::sbom::CdxVersion;
use serde_json::Value;

use super::run;

const INSTALL: &str = "python3 -m venv target/validators && target/validators/bin/pip install \
     spdx-tools 'cyclonedx-python-lib[json-validation]' jsonschema (or run scripts/test, which does)";

pub fn root() -> PathBuf {
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
        .unwrap_or_else(|| root().join("tests/schemas/spdx-2.3.schema.json"));
    assert!(
        path.is_file(),
        "the SPDX 2.3 JSON schema is not at {}: set CONSIGN_SPDX_SCHEMA to a copy of spdx-spec's schemas/spdx-schema.json (branch support/2.3)",
        path.display()
    );
    path
}

/// Validates CycloneDX (`Some(version)`) and SPDX (`None`) documents, all in one run of the
/// schema checker.
pub fn validate(docs: &[(PathBuf, Option<CdxVersion>)]) {
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
        let doc: Value =
            serde_json::from_slice(&std::fs::read(path).expect("well-formed document"))
                .expect("well-formed document");
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
pub fn check_cyclonedx_refs(doc: &Value) {
    let mut refs = HashSet::new();
    let mut components = vec![&doc["metadata"]["component"]];
    components.extend(doc["components"].as_array().expect("well-formed document"));
    for c in &components {
        let r = c["bom-ref"].as_str().expect("well-formed document");
        assert!(refs.insert(r), "bom-ref {r} is not unique");
    }
    let mut with_entry = HashSet::new();
    for d in doc["dependencies"]
        .as_array()
        .expect("well-formed document")
    {
        let r = d["ref"].as_str().expect("well-formed document");
        assert!(refs.contains(r), "dependency ref {r} does not resolve");
        assert!(with_entry.insert(r), "two dependency entries for {r}");
        for on in d["dependsOn"].as_array().expect("well-formed document") {
            let on = on.as_str().expect("well-formed document");
            assert!(
                refs.contains(on),
                "dependsOn {on} (of {r}) does not resolve"
            );
        }
    }
    assert_eq!(with_entry, refs, "every component has a dependencies entry");
}

/// Every relationship names an element; every LicenseRef used is declared.
pub fn check_spdx_refs(doc: &Value) {
    let mut ids = HashSet::from(["SPDXRef-DOCUMENT".to_owned()]);
    for list in ["packages", "files"] {
        for e in doc[list].as_array().into_iter().flatten() {
            assert!(
                ids.insert(
                    e["SPDXID"]
                        .as_str()
                        .expect("well-formed document")
                        .to_owned()
                ),
                "duplicate SPDXID"
            );
        }
    }
    for r in doc["relationships"]
        .as_array()
        .expect("well-formed document")
    {
        for side in ["spdxElementId", "relatedSpdxElement"] {
            let id = r[side].as_str().expect("well-formed document");
            assert!(ids.contains(id), "relationship names unknown element {id}");
        }
    }
    let declared: BTreeSet<&str> = doc["hasExtractedLicensingInfos"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| l["licenseId"].as_str().expect("well-formed document"))
        .collect();
    for p in doc["packages"].as_array().expect("well-formed document") {
        let expr = p["licenseDeclared"].as_str().expect("well-formed document");
        for word in expr.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
            if word.starts_with("LicenseRef-") {
                assert!(declared.contains(word), "{word} is used but not declared");
            }
        }
    }
}
