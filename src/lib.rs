//! consign: composable, streaming, reproducible build and release primitives.
//!
//! This facade re-exports the consign crates, one feature each:
//!
//! | module | crate | feature | what it does |
//! |---|---|---|---|
//! | [`core`] | `consign-core` | always | digests, hashing, checksum files, file trees, platforms, package metadata, artifacts, atomic output; the signing seam (`Signer`), the writer shape (`ArtifactWriter`), progress and cancellation (`Monitor`) |
//! | `package` | `consign-package` | `package` | tar/zip archives, `.deb` and `.rpm` packages (every format feature on) |
//! | `sign` | `consign-sign` | `sign` | OpenPGP and cosign signers and verifiers, attestations |
//! | `oci` | `consign-oci` | `oci` | OCI images, layouts and registries |
//! | `sbom` | `consign-sbom` | `sbom` | CycloneDX and SPDX documents |
//! | `version` | `consign-version` | `version` | next version from Conventional Commits, workspace bumps, changelogs and release notes |
//!
//! ```
//! use consign::core::{Algorithm, Digest};
//! let d: Digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".parse()?;
//! assert_eq!(d, Digest::of(Algorithm::Sha256, b""));
//! # Ok::<(), consign::core::DigestError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use consign_core as core;
#[cfg(feature = "oci")]
pub use consign_oci as oci;
#[cfg(feature = "package")]
pub use consign_package as package;
#[cfg(feature = "sbom")]
pub use consign_sbom as sbom;
#[cfg(feature = "sign")]
pub use consign_sign as sign;
#[cfg(feature = "version")]
pub use consign_version as version;
