//! consign-sign: signatures and attestations for release artifacts.
//!
//! Everything here signs through one seam, so that a KMS, HSM or agent backend can be added
//! without touching callers:
//!
//! - The seam itself — the object-safe [`Signer`] and [`Verifier`] traits, the [`Signature`]
//!   they exchange (with room for a certificate chain and transparency-log entries), [`KeyInfo`],
//!   [`SignatureFormat`] and [`Error`] — lives in [`consign_core::sign`] so that package writers
//!   reach it without compiling cryptography; it is re-exported here.
//! - [`cosign`]: [`cosign::CosignKey`] (cosign's encrypted key files, ECDSA P-256) and the
//!   [`cosign::CosignSigner`] / [`cosign::CosignVerifier`] pair for `cosign sign-blob`
//!   signatures, and [`cosign::Bundle`] (Sigstore bundle v0.3).
//! - [`attest`]: DSSE [`attest::Envelope`]s around in-toto [`attest::Statement`]s (SLSA
//!   provenance, SBOM and vulnerability predicates), and `.intoto.jsonl` files.
//! - [`openpgp`]: [`OpenPgpSigner`](openpgp::OpenPgpSigner) and
//!   [`OpenPgpVerifier`](openpgp::OpenPgpVerifier) (detached and cleartext signatures, pure
//!   Rust), and [`OpenPgpKey`](openpgp::OpenPgpKey) to generate release keys.
//! - [`policy`]: [`ImagePolicy`](policy::ImagePolicy), what an image must be signed and
//!   attested with before it is trusted (`cosign verify` and `verify-attestation` as a check).
//! - `gpgme` (feature `gpgme`): `GpgAgentSigner`, signing with keys in a GnuPG keyring or on
//!   a smartcard through gpg-agent.
//!
//! Backends implement the traits; callers hold a `&dyn Signer` and a stream:
//!
//! ```
//! use consign_sign::{KeyInfo, Signer, SignatureFormat};
//!
//! fn sign_release(signer: &dyn Signer, sums: &[u8]) -> Result<Vec<u8>, consign_sign::Error> {
//!     let format = signer.formats()[0];
//!     let signature = signer.sign(&mut &sums[..], format)?;
//!     Ok(signature.bytes().to_vec())
//! }
//! # let _ = sign_release;
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod attest;
pub mod cosign;
#[cfg(feature = "gpgme")]
pub mod gpgme;
pub mod openpgp;
pub mod policy;

pub use consign_core::sign::{
    KeyAlgorithm, KeyId, KeyInfo, SignError as Error, Signature, SignatureFormat, Signer,
    TlogEntry, VerificationMaterial, Verified, Verifier,
};
