#![allow(clippy::unwrap_used)]

use consign_core::{Algorithm, Digest};

use super::{Evidence, ImagePolicy, Unmet};
use crate::attest::{Envelope, Provenance, SLSA_PROVENANCE_V1, SPDX_DOCUMENT, Statement, Subject};
use crate::cosign::{CosignKey, CosignSigner, CosignVerifier, SimpleSigning};

const REPO: &str = "registry.example/app";

struct Signed {
    payload: Vec<u8>,
    signature: String,
}

fn key() -> (CosignSigner, CosignVerifier) {
    let key = CosignKey::generate().unwrap();
    let verifier = CosignVerifier::new(key.public_key().clone());
    (CosignSigner::new(key, "test"), verifier)
}

fn image(n: u8) -> Digest {
    Digest::of(Algorithm::Sha256, &[n])
}

fn sign(signer: &CosignSigner, repository: &str, subject: Digest) -> Signed {
    let (payload, signature) = SimpleSigning::new(repository, subject)
        .sign(signer)
        .unwrap();
    Signed {
        payload,
        signature: String::from_utf8(signature.bytes().to_vec()).unwrap(),
    }
}

fn attest(signer: &CosignSigner, subject: Digest) -> String {
    let statement = Statement::new(
        vec![Subject::new(REPO, &subject)],
        &Provenance::new("https://example.com/build/v1", "https://ci.example.com"),
    )
    .unwrap();
    Envelope::sign_statement(&statement, signer)
        .unwrap()
        .to_json()
}

fn policy(verifier: CosignVerifier) -> ImagePolicy {
    ImagePolicy::new(Box::new(verifier)).require_attestation(SLSA_PROVENANCE_V1)
}

#[test]
fn a_signed_and_attested_image_meets_the_policy() {
    let (signer, verifier) = key();
    let s = sign(&signer, REPO, image(1));
    let provenance = attest(&signer, image(1));
    let evidence = Evidence::new()
        .signature(&s.payload, &s.signature)
        .attestation(provenance.as_bytes());
    let verdict = policy(verifier)
        .repository(REPO)
        .check(&image(1), &evidence)
        .require()
        .unwrap();
    assert_eq!(verdict.signatures().len(), 1);
    assert_eq!(verdict.attested(SLSA_PROVENANCE_V1), 1);
    assert_eq!(
        verdict.attestations().collect::<Vec<_>>(),
        [(SLSA_PROVENANCE_V1, 1)]
    );
}

#[test]
fn every_unmet_requirement_is_listed_with_its_reasons() {
    let (signer, _) = key();
    let (_, verifier) = key();
    let s = sign(&signer, REPO, image(1));
    let provenance = attest(&signer, image(1));
    let evidence = Evidence::new()
        .signature(&s.payload, &s.signature)
        .attestation(provenance.as_bytes())
        .attestation(b"{not an envelope");
    let verdict = policy(verifier)
        .require_attestation(SPDX_DOCUMENT)
        .check(&image(1), &evidence);
    assert!(!verdict.is_met());
    let unmet = verdict.unmet();
    assert_eq!(unmet.len(), 3, "{unmet:?}");
    let Unmet::Signature { refused } = &unmet[0] else {
        panic!("{unmet:?}")
    };
    assert_eq!(refused.len(), 1);
    let Unmet::Attestation {
        predicate_type,
        refused,
    } = &unmet[1]
    else {
        panic!("{unmet:?}")
    };
    assert_eq!(predicate_type, SLSA_PROVENANCE_V1);
    // The provenance signed by the wrong key, and the envelope that could not be read.
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused[1].contains("DSSE"), "{refused:?}");
    assert!(unmet[2].to_string().contains(SPDX_DOCUMENT), "{}", unmet[2]);
    let err = verdict.require().unwrap_err().to_string();
    assert!(err.contains("does not meet the policy"), "{err}");
    assert!(err.contains("no valid signature"), "{err}");
}

#[test]
fn a_signature_of_another_image_or_repository_does_not_count() {
    let (signer, verifier) = key();
    let other = sign(&signer, REPO, image(2));
    let elsewhere = sign(&signer, "registry.example/other", image(1));
    let evidence = Evidence::new()
        .signature(&other.payload, &other.signature)
        .signature(&elsewhere.payload, &elsewhere.signature);
    let verdict = ImagePolicy::new(Box::new(verifier))
        .repository(REPO)
        .check(&image(1), &evidence);
    let [Unmet::Signature { refused }] = verdict.unmet() else {
        panic!("{:?}", verdict.unmet())
    };
    assert!(refused[0].contains("other data"), "{refused:?}");
    assert!(refused[1].contains("registry.example/other"), "{refused:?}");
}

#[test]
fn promoted_signatures_name_their_first_repository_and_still_verify() {
    let (signer, verifier) = key();
    let s = sign(&signer, "ghcr.example/org/app", image(1));
    let evidence = Evidence::new().signature(&s.payload, &s.signature);
    // Without a repository requirement the signature made before promotion verifies.
    assert!(
        ImagePolicy::new(Box::new(verifier))
            .check(&image(1), &evidence)
            .is_met()
    );
}

#[test]
fn an_altered_payload_or_an_attestation_of_another_image_is_refused() {
    let (signer, verifier) = key();
    let s = sign(&signer, REPO, image(1));
    let mut altered = s.payload.clone();
    let at = altered.len() - 2;
    altered.insert(at, b' ');
    let provenance = attest(&signer, image(2));
    let evidence = Evidence::new()
        .signature(&altered, &s.signature)
        .attestation(provenance.as_bytes());
    let verdict = policy(verifier).check(&image(1), &evidence);
    let [
        Unmet::Signature { refused: sig },
        Unmet::Attestation { refused: att, .. },
    ] = verdict.unmet()
    else {
        panic!("{:?}", verdict.unmet())
    };
    assert!(sig[0].contains("bad signature"), "{sig:?}");
    assert!(att[0].contains("other subjects"), "{att:?}");
}

#[test]
fn no_evidence_is_unmet_and_says_none_was_attached() {
    let (_, verifier) = key();
    let evidence = Evidence::new();
    assert!(evidence.is_empty());
    let verdict = policy(verifier).check(&image(1), &evidence);
    let text: Vec<String> = verdict.unmet().iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "no valid signature (none attached)".to_owned(),
            format!("no valid attestation of type {SLSA_PROVENANCE_V1} (none attached)"),
        ]
    );
}
