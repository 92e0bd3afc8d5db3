//! DSSE envelopes and in-toto statements against independent libraries: PyPI
//! `securesystemslib` verifies our envelopes' signatures with our public key, and
//! `in-toto-attestation` parses our statements (Statement v1) and SLSA provenance v1
//! predicates with its protobuf bindings. Tampered envelopes and other keys are refused by both
//! sides. Attestation bundles (DSSE in a Sigstore bundle) are verified offline by npm
//! `@sigstore/verify`.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{intoto, sigstore};
use consign::core::{Algorithm, Artifact, ArtifactKind};
use consign::sign::attest::{
    Envelope, JsonlWriter, Provenance, SbomPredicate, Statement, Subject, VulnFormat,
    VulnScanPredicate, read_jsonl,
};
use consign::sign::cosign::{Bundle, CosignKey, CosignSigner, CosignVerifier, Passphrase};
use consign::sign::{Error, VerificationMaterial};
use time::macros::datetime;

fn artifacts(dir: &Path) -> Vec<Artifact> {
    ["app-1.0-x86_64.tar.gz", "app_1.0_amd64.deb"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            fs::write(dir.join(name), format!("artifact {i}").repeat(1000)).unwrap();
            let kind = if name.ends_with(".deb") {
                ArtifactKind::Deb
            } else {
                ArtifactKind::Archive
            };
            Artifact::from_file(dir, name, kind, &[Algorithm::Sha256, Algorithm::Sha512]).unwrap()
        })
        .collect()
}

/// The variables of a GitHub Actions run (the fixture consign-sign's own tests read).
fn github_env() -> BTreeMap<String, String> {
    include_str!("../crates/sign/testdata/github-actions.env")
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The four kinds of statement a release signs, about `subjects`.
fn statements(subjects: &[Subject]) -> Vec<Statement> {
    let provenance = Provenance::from_github_actions(&github_env())
        .unwrap()
        .unwrap()
        .started_on(datetime!(2026-11-23 10:00:00 UTC))
        .finished_on(datetime!(2026-11-23 10:07:31 UTC));
    let cyclonedx = SbomPredicate::from_json(
        br#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
             "components":[{"type":"library","name":"serde","version":"1.0.228",
                            "purl":"pkg:cargo/serde@1.0.228"}]}"#,
    )
    .unwrap();
    let spdx = SbomPredicate::from_json(
        br#"{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT",
             "name":"app","documentNamespace":"https://consign.invalid/spdx/app-1.0",
             "creationInfo":{"created":"2026-11-23T10:00:00Z","creators":["Tool: consign"]},
             "packages":[]}"#,
    )
    .unwrap();
    let cosign_vuln = VulnScanPredicate::new(
        VulnFormat::Cosign,
        "pkg:github/aquasecurity/trivy@v0.58.1",
        "0.58.1",
    )
    .db("pkg:github/aquasecurity/trivy-db", "2")
    .report(serde_json::json!({"SchemaVersion": 2, "Results": []}))
    .scan_started_on(datetime!(2026-11-23 10:08:00 UTC))
    .scan_finished_on(datetime!(2026-11-23 10:08:04 UTC));
    let intoto_vuln = VulnScanPredicate::new(
        VulnFormat::InToto,
        "pkg:github/anchore/grype@v0.84.0",
        "0.84.0",
    )
    .finding("CVE-2024-0001", "nvd", "7.5")
    .scan_started_on(datetime!(2026-11-23 10:08:00 UTC));
    [
        &provenance as &dyn consign::sign::attest::Predicate,
        &cyclonedx,
        &spdx,
        &cosign_vuln,
        &intoto_vuln,
    ]
    .into_iter()
    .map(|p| Statement::new(subjects.to_vec(), p).unwrap())
    .collect()
}

#[test]
fn python_in_toto_libraries_verify_and_parse_our_attestations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = CosignKey::generate().unwrap();
    let (_, pub_path) = key
        .write_key_pair(d, "cosign", &Passphrase::new(""))
        .unwrap();
    let verifier = CosignVerifier::new(key.public_key().clone());
    let signer = CosignSigner::new(key, "cosign.key");

    let artifacts = artifacts(d);
    let subjects: Vec<Subject> = artifacts
        .iter()
        .map(|a| Subject::from_artifact(a).unwrap())
        .collect();
    assert_eq!(subjects[0].digest.len(), 2, "sha256 and sha512");
    let statements = statements(&subjects);

    // One envelope on its own, and all of them in an .intoto.jsonl file.
    let envelopes: Vec<Envelope> = statements
        .iter()
        .map(|s| Envelope::sign_statement(s, &signer).unwrap())
        .collect();
    let single = d.join("provenance.json");
    fs::write(&single, envelopes[0].to_json()).unwrap();
    let jsonl = d.join("app-1.0.intoto.jsonl");
    let mut writer = JsonlWriter::new(fs::File::create(&jsonl).unwrap());
    for e in &envelopes {
        writer.write(e).unwrap();
    }
    assert_eq!(writer.len(), 5);
    writer.finish().unwrap();

    let (ok, out) = intoto::check(&pub_path, &[&single, &jsonl]);
    assert!(ok, "the in-toto libraries refused our attestations:\n{out}");
    let lines: Vec<&str> = out.lines().collect();
    let names = "app-1.0-x86_64.tar.gz app_1.0_amd64.deb";
    assert_eq!(
        lines,
        [
            format!("ok https://slsa.dev/provenance/v1 {names}"),
            format!("ok https://slsa.dev/provenance/v1 {names}"),
            format!("ok https://cyclonedx.org/bom {names}"),
            format!("ok https://spdx.dev/Document {names}"),
            format!("ok https://cosign.sigstore.dev/attestation/vuln/v1 {names}"),
            format!("ok https://in-toto.io/attestation/vulns/v0.1 {names}"),
        ],
        "{out}"
    );

    // Our reader gives the same envelopes back, and they verify with our key.
    let read: Vec<Envelope> = read_jsonl(std::io::BufReader::new(fs::File::open(&jsonl).unwrap()))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(read, envelopes);
    for (e, s) in read.iter().zip(&statements) {
        assert_eq!(e.verify(&verifier).unwrap().key, *signer.cosign_key().id());
        assert_eq!(&e.statement().unwrap(), s);
        let digest = artifacts[1].digests.get(Algorithm::Sha256).unwrap();
        assert_eq!(
            e.statement().unwrap().subject_for(digest).unwrap().name,
            "app_1.0_amd64.deb"
        );
    }
}

#[test]
fn tampered_envelopes_and_other_keys_are_refused_by_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = CosignKey::generate().unwrap();
    let (_, pub_path) = key
        .write_key_pair(d, "cosign", &Passphrase::new(""))
        .unwrap();
    let verifier = CosignVerifier::new(key.public_key().clone());
    let signer = CosignSigner::new(key, "cosign.key");
    let subjects: Vec<Subject> = artifacts(d)
        .iter()
        .map(|a| Subject::from_artifact(a).unwrap())
        .collect();
    let statement = statements(&subjects).remove(0);
    let envelope = Envelope::sign_statement(&statement, &signer).unwrap();

    // Swap the payload for a statement about another digest, keeping the signature.
    let mut json: serde_json::Value = serde_json::from_str(&envelope.to_json()).unwrap();
    let forged = statement
        .to_json()
        .replace(&subjects[0].digest["sha256"], &"0".repeat(64));
    json["payload"] = BASE64.encode(forged.as_bytes()).into();
    let tampered = d.join("tampered.json");
    fs::write(&tampered, json.to_string()).unwrap();
    let (ok, out) = intoto::check(&pub_path, &[&tampered]);
    assert!(!ok && out.contains("VerificationError"), "{out}");
    let err = Envelope::from_json(json.to_string().as_bytes())
        .unwrap()
        .verify(&verifier)
        .unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");

    // Signed by another key.
    let other = CosignSigner::new(CosignKey::generate().unwrap(), "other");
    let foreign = Envelope::sign_statement(&statement, &other).unwrap();
    let foreign_path = d.join("foreign.json");
    fs::write(&foreign_path, foreign.to_json()).unwrap();
    let (ok, out) = intoto::check(&pub_path, &[&foreign_path]);
    assert!(!ok && out.contains("VerificationError"), "{out}");
    let err = foreign.verify(&verifier).unwrap_err();
    assert!(matches!(err, Error::WrongKey { .. }), "{err}");

    // A garbage line in an .intoto.jsonl file is an error naming the line.
    let text = format!("{}\n\nnot json\n", envelope.to_json());
    let results: Vec<_> = read_jsonl(text.as_bytes()).collect();
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    let err = results[1].as_ref().unwrap_err();
    assert!(err.to_string().contains("line 3"), "{err}");
}

#[test]
fn sigstore_verify_accepts_our_attestation_bundle_offline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = CosignKey::generate().unwrap();
    let (_, pub_path) = key
        .write_key_pair(d, "cosign", &Passphrase::new(""))
        .unwrap();
    let verifier = CosignVerifier::new(key.public_key().clone());
    let hint = key.id().clone();
    let signer = CosignSigner::new(key, "cosign.key");
    let subjects: Vec<Subject> = artifacts(d)
        .iter()
        .map(|a| Subject::from_artifact(a).unwrap())
        .collect();
    let statement = statements(&subjects).remove(0);
    let envelope = Envelope::sign_statement(&statement, &signer).unwrap();
    let bundle = Bundle::dsse(
        envelope.clone(),
        VerificationMaterial::PublicKey { hint: hint.clone() },
    )
    .unwrap();
    let path = d.join("provenance.sigstore.json");
    fs::write(&path, bundle.to_json()).unwrap();

    let (ok, out) = sigstore::verify_bundle(&path, &pub_path, None);
    assert!(ok, "@sigstore/verify rejected our DSSE bundle: {out}");
    assert_eq!(out.trim(), format!("verified {hint}"));

    let read = Bundle::from_json(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(read, bundle);
    read.verify_envelope(&verifier).unwrap();
    assert_eq!(read.envelope().unwrap().statement().unwrap(), statement);

    // A forged statement in the bundle's envelope.
    let mut json: serde_json::Value = serde_json::from_str(&bundle.to_json()).unwrap();
    let forged = statement
        .to_json()
        .replace("refs/tags/v1.0.0", "refs/tags/v6.6.6");
    json["dsseEnvelope"]["payload"] = BASE64.encode(forged.as_bytes()).into();
    let bad = d.join("forged.sigstore.json");
    fs::write(&bad, json.to_string()).unwrap();
    let (ok, out) = sigstore::verify_bundle(&bad, &pub_path, None);
    assert!(!ok && out.contains("SIGNATURE_ERROR"), "{out}");
    let err = Bundle::from_json(json.to_string().as_bytes())
        .unwrap()
        .verify_envelope(&verifier)
        .unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");
}
