//! Verification policies: what an image must carry before it is trusted.
//!
//! A release pipeline verifies an image twice the way `cosign verify --key` and
//! `cosign verify-attestation --key --type …` do: once before promoting it, once after. An
//! [`ImagePolicy`] states the requirement (a verifier for the signing key, optionally the
//! repository the signatures must name, and the predicate types that must be attested), and
//! [`ImagePolicy::check`] applies it to the [`Evidence`] pulled from a registry or a layout
//! (the simple-signing payloads with their signatures, and the DSSE envelopes), for one
//! manifest digest.
//!
//! The check never stops at the first problem: the [`Verdict`] lists every requirement that is
//! not met, with the reason each candidate was refused, so one run says everything that is
//! wrong. [`Verdict::require`] turns an unmet verdict into
//! [`Error::PolicyUnmet`](crate::Error::PolicyUnmet).
//!
//! The evidence comes in as bytes, so this module needs no registry client: consign-oci's
//! `pull_attachments` (or `Attachments::read`) gives the payloads ([`Attachment::content`])
//! and the base64 signatures ([`Attachment::signature`]).
//!
//! [`Attachment::content`]: https://docs.rs/consign-oci/latest/consign_oci/attach/struct.Attachment.html#method.content
//! [`Attachment::signature`]: https://docs.rs/consign-oci/latest/consign_oci/attach/struct.Attachment.html#method.signature

use std::collections::BTreeMap;
use std::fmt;

use consign_core::Digest;

use crate::attest::Envelope;
use crate::cosign::SimpleSigning;
use crate::{Error, KeyId, Signature, SignatureFormat, VerificationMaterial, Verified, Verifier};

/// What an image must carry: a valid signature by the policy's key over a payload naming the
/// image's digest (and, when set, its repository), and for each required predicate type at
/// least one DSSE envelope signed by that key whose statement names the image's digest.
///
/// ```
/// use consign_core::{Algorithm, Digest};
/// use consign_sign::attest::{Envelope, SLSA_PROVENANCE_V1, SPDX_DOCUMENT, Statement, Subject, Provenance};
/// use consign_sign::cosign::{CosignKey, CosignSigner, CosignVerifier, SimpleSigning};
/// use consign_sign::policy::{Evidence, ImagePolicy, Unmet};
///
/// let key = CosignKey::generate()?;
/// let verifier = CosignVerifier::new(key.public_key().clone());
/// let signer = CosignSigner::new(key, "release");
/// let image = Digest::of(Algorithm::Sha256, b"manifest");
///
/// let (payload, signature) = SimpleSigning::new("registry.example/app", image).sign(&signer)?;
/// let statement = Statement::new(
///     vec![Subject::new("registry.example/app", &image)],
///     &Provenance::new("https://example.com/build/v1", "https://ci.example.com"),
/// )?;
/// let provenance = Envelope::sign_statement(&statement, &signer)?.to_json();
///
/// let evidence = Evidence::new()
///     .signature(&payload, std::str::from_utf8(signature.bytes())?)
///     .attestation(provenance.as_bytes());
/// let policy = ImagePolicy::new(Box::new(verifier))
///     .repository("registry.example/app")
///     .require_attestation(SLSA_PROVENANCE_V1)
///     .require_attestation(SPDX_DOCUMENT);
///
/// let verdict = policy.check(&image, &evidence);
/// assert_eq!(verdict.attested(SLSA_PROVENANCE_V1), 1);
/// // No SBOM was attested: the verdict says so, and `require` turns it into an error.
/// assert!(matches!(&verdict.unmet()[..], [Unmet::Attestation { predicate_type, .. }] if predicate_type == SPDX_DOCUMENT));
/// assert!(verdict.require().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ImagePolicy {
    verifier: Box<dyn Verifier>,
    repository: Option<String>,
    attestations: Vec<String>,
}

/// What was found attached to an image: simple-signing payloads with their base64
/// signatures, and DSSE envelopes (JSON). Borrowed, so it costs no copies of what was pulled.
#[derive(Clone, Debug, Default)]
pub struct Evidence<'a> {
    signatures: Vec<(&'a [u8], &'a str)>,
    attestations: Vec<&'a [u8]>,
}

/// One requirement of an [`ImagePolicy`] that the evidence does not meet.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unmet {
    /// No signature verifies (or none names the image, or its repository).
    Signature {
        /// Why each candidate was refused (empty when there were none).
        refused: Vec<String>,
    },
    /// No valid attestation of this predicate type names the image.
    Attestation {
        /// The required predicate type.
        predicate_type: String,
        /// Why each candidate of that type was refused (empty when there were none).
        refused: Vec<String>,
    },
}

impl fmt::Display for Unmet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, refused) = match self {
            Unmet::Signature { refused } => ("no valid signature".to_owned(), refused),
            Unmet::Attestation {
                predicate_type,
                refused,
            } => (
                format!("no valid attestation of type {predicate_type}"),
                refused,
            ),
        };
        f.write_str(&what)?;
        match refused.len() {
            0 => f.write_str(" (none attached)"),
            _ => write!(f, " ({})", refused.join(", ")),
        }
    }
}

/// The outcome of [`ImagePolicy::check`]: what verified, and what is missing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    subject: Digest,
    signatures: Vec<Verified>,
    attested: BTreeMap<String, usize>,
    unmet: Vec<Unmet>,
}

impl ImagePolicy {
    /// A policy trusting signatures that `verifier` accepts (a cosign public key, an OpenPGP
    /// key): one valid signature is required; attestations only as added.
    pub fn new(verifier: Box<dyn Verifier>) -> ImagePolicy {
        ImagePolicy {
            verifier,
            repository: None,
            attestations: Vec::new(),
        }
    }

    /// Also requires the signed payload to name `repository` (`registry/path`, no tag) as its
    /// `docker-reference`. Leave unset to verify an image promoted from another repository
    /// with its signatures (they name the repository they were made for).
    #[must_use]
    pub fn repository(mut self, repository: impl Into<String>) -> ImagePolicy {
        self.repository = Some(repository.into());
        self
    }

    /// Requires at least one valid attestation of `predicate_type` (e.g.
    /// [`SLSA_PROVENANCE_V1`](crate::attest::SLSA_PROVENANCE_V1)).
    #[must_use]
    pub fn require_attestation(mut self, predicate_type: impl Into<String>) -> ImagePolicy {
        let predicate_type = predicate_type.into();
        if !self.attestations.contains(&predicate_type) {
            self.attestations.push(predicate_type);
        }
        self
    }

    /// Applies the policy to what is attached to the manifest `subject`.
    pub fn check(&self, subject: &Digest, evidence: &Evidence<'_>) -> Verdict {
        let mut unmet = Vec::new();
        let mut signatures = Vec::new();
        let mut refused = Vec::new();
        for (payload, signature) in &evidence.signatures {
            match self.check_signature(subject, payload, signature) {
                Ok(verified) => signatures.push(verified),
                Err(reason) => refused.push(reason),
            }
        }
        if signatures.is_empty() {
            unmet.push(Unmet::Signature { refused });
        }

        let mut attested: BTreeMap<String, usize> = BTreeMap::new();
        let mut refused_by_type: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for envelope in &evidence.attestations {
            match self.check_attestation(subject, envelope) {
                Ok(predicate_type) => *attested.entry(predicate_type).or_default() += 1,
                Err((Some(predicate_type), reason)) => refused_by_type
                    .entry(predicate_type)
                    .or_default()
                    .push(reason),
                Err((None, reason)) => refused_by_type
                    .entry(String::new())
                    .or_default()
                    .push(reason),
            }
        }
        for predicate_type in &self.attestations {
            if attested.contains_key(predicate_type) {
                continue;
            }
            let mut refused = refused_by_type.remove(predicate_type).unwrap_or_default();
            // Envelopes that could not even be read might have been of this type.
            refused.extend(refused_by_type.get("").into_iter().flatten().cloned());
            unmet.push(Unmet::Attestation {
                predicate_type: predicate_type.clone(),
                refused,
            });
        }
        Verdict {
            subject: *subject,
            signatures,
            attested,
            unmet,
        }
    }

    fn check_signature(
        &self,
        subject: &Digest,
        payload: &[u8],
        signature: &str,
    ) -> Result<Verified, String> {
        let signature = Signature::new(
            SignatureFormat::CosignBlob,
            signature.trim().as_bytes().to_vec(),
            VerificationMaterial::PublicKey {
                hint: KeyId::new(""),
            },
        );
        let signed = SimpleSigning::verify(payload, &signature, self.verifier.as_ref())
            .map_err(|e| e.to_string())?;
        signed.require_digest(subject).map_err(|e| e.to_string())?;
        if let Some(repository) = &self.repository {
            let named = signed.payload.docker_reference();
            if named != repository {
                return Err(format!("a valid signature names {named}, not {repository}"));
            }
        }
        Ok(signed.verified)
    }

    /// The predicate type of a valid attestation of `subject`, or (its type when known, why
    /// it was refused).
    fn check_attestation(
        &self,
        subject: &Digest,
        envelope: &[u8],
    ) -> Result<String, (Option<String>, String)> {
        let envelope = Envelope::from_json(envelope).map_err(|e| (None, e.to_string()))?;
        let statement = envelope.statement().map_err(|e| (None, e.to_string()))?;
        let predicate_type = statement.predicate_type().to_owned();
        let refuse = |reason: String| (Some(predicate_type.clone()), reason);
        envelope
            .verify(self.verifier.as_ref())
            .map_err(|e| refuse(e.to_string()))?;
        if statement.subject_for(subject).is_none() {
            return Err(refuse(format!(
                "a valid {predicate_type} attestation is about other subjects, not {subject}"
            )));
        }
        Ok(predicate_type)
    }
}

impl fmt::Debug for ImagePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImagePolicy")
            .field("repository", &self.repository)
            .field("attestations", &self.attestations)
            .finish_non_exhaustive()
    }
}

impl<'a> Evidence<'a> {
    /// No evidence yet.
    pub fn new() -> Evidence<'a> {
        Evidence::default()
    }

    /// Adds a simple-signing `payload` with its base64 `signature` (the
    /// `dev.cosignproject.cosign/signature` annotation of its layer).
    #[must_use]
    pub fn signature(mut self, payload: &'a [u8], signature: &'a str) -> Evidence<'a> {
        self.signatures.push((payload, signature));
        self
    }

    /// Adds a DSSE envelope (JSON, as cosign attaches it).
    #[must_use]
    pub fn attestation(mut self, envelope: &'a [u8]) -> Evidence<'a> {
        self.attestations.push(envelope);
        self
    }

    /// How many signatures and attestations were given.
    pub fn len(&self) -> usize {
        self.signatures.len() + self.attestations.len()
    }

    /// Whether nothing was given.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Verdict {
    /// The digest checked.
    pub fn subject(&self) -> &Digest {
        &self.subject
    }

    /// The keys of the signatures that verified.
    pub fn signatures(&self) -> &[Verified] {
        &self.signatures
    }

    /// How many valid attestations of `predicate_type` name the image.
    pub fn attested(&self, predicate_type: &str) -> usize {
        self.attested.get(predicate_type).copied().unwrap_or(0)
    }

    /// The predicate types with at least one valid attestation, with their counts.
    pub fn attestations(&self) -> impl Iterator<Item = (&str, usize)> {
        self.attested.iter().map(|(t, n)| (t.as_str(), *n))
    }

    /// What is not met (empty when the policy holds).
    pub fn unmet(&self) -> &[Unmet] {
        &self.unmet
    }

    /// Whether every requirement is met.
    pub fn is_met(&self) -> bool {
        self.unmet.is_empty()
    }

    /// The verdict when every requirement is met, else
    /// [`Error::PolicyUnmet`](crate::Error::PolicyUnmet) listing what is not.
    pub fn require(self) -> Result<Verdict, Error> {
        if self.is_met() {
            return Ok(self);
        }
        Err(Error::PolicyUnmet {
            subject: Box::new(self.subject),
            unmet: self.unmet.iter().map(ToString::to_string).collect(),
        })
    }
}

#[cfg(test)]
mod tests;
