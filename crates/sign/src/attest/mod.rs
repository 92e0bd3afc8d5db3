//! Attestations: signed in-toto statements in DSSE envelopes.
//!
//! - [`dsse`]: [`Envelope`] (payload type, payload, signatures) signed through any
//!   [`crate::Signer`] over the DSSE pre-authentication encoding ([`pae`]) and verified through
//!   any [`crate::Verifier`]; for ECDSA keys the signature is the DER signature over the PAE.
//! - [`statement`]: [`Statement`] (in-toto Statement v1) about [`Subject`]s made from
//!   [`consign_core::Artifact`]s, with a [`Predicate`].
//! - [`provenance`]: [`Provenance`], SLSA provenance v1, by hand or from GitHub Actions.
//! - [`predicates`]: [`SbomPredicate`] (CycloneDX, SPDX) and [`VulnScanPredicate`].
//! - [`jsonl`]: [`JsonlWriter`] and [`read_jsonl`] for `.intoto.jsonl` files.
//!
//! ```
//! use consign_core::{Algorithm, Artifact, ArtifactKind, hash_reader};
//! use consign_sign::attest::{Envelope, JsonlWriter, Provenance, Statement, Subject};
//! use consign_sign::cosign::{CosignKey, CosignSigner, CosignVerifier};
//!
//! let written = hash_reader(&b"tarball"[..], &[Algorithm::Sha256])?;
//! let artifact = Artifact::new("app-1.0.tar.gz", ArtifactKind::Archive, &written)?;
//! let provenance = Provenance::new("https://consign.invalid/release/v1", "https://ci.example.com")
//!     .external_parameter("version", "1.0");
//! let statement = Statement::new(vec![Subject::from_artifact(&artifact)?], &provenance)?;
//!
//! let key = CosignKey::generate()?;
//! let verifier = CosignVerifier::new(key.public_key().clone());
//! let envelope = Envelope::sign_statement(&statement, &CosignSigner::new(key, "release"))?;
//! let mut jsonl = JsonlWriter::new(Vec::new());
//! jsonl.write(&envelope)?;
//!
//! envelope.verify(&verifier)?;
//! assert_eq!(envelope.statement()?, statement);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod dsse;
pub mod jsonl;
pub mod predicates;
pub mod provenance;
pub mod statement;

pub use dsse::{Envelope, EnvelopeSignature, pae};
pub use jsonl::{JsonlWriter, read_jsonl};
pub use predicates::{
    COSIGN_VULN_V1, CYCLONEDX_BOM, IN_TOTO_VULNS_V01, SPDX_DOCUMENT, SbomFormat, SbomPredicate,
    VulnFormat, VulnScanPredicate,
};
pub use provenance::{
    GITHUB_ACTIONS_VARIABLES, GITHUB_WORKFLOW_BUILD_TYPE, Provenance, ResourceDescriptor,
    SLSA_PROVENANCE_V1,
};
pub use statement::{IN_TOTO_PAYLOAD_TYPE, Predicate, STATEMENT_TYPE, Statement, Subject};
