//! consign-sign: signatures and attestations for release artifacts.
//!
//! This crate is the home of the `Signer`/`Verifier` seam (OpenPGP, cosign keys, DSSE/in-toto
//! attestations). It composes with the rest of consign only through `consign-core` types:
//! an [`consign_core::Artifact`] or a [`consign_core::Digest`] is what gets signed.
//!
//! It has no public items yet; see the project README for what is available today.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
