//! consign-sbom: CycloneDX and SPDX documents from the dependency graph Cargo resolved for the
//! shipped binary and from the files actually shipped.
//!
//! A tour, one main type per module:
//!
//! - [`inventory`]: [`Inventory`], the crates a release is built from (with purls, licenses,
//!   checksums, sources and dependency edges) and the files it ships.
//! - [`cargo`](Inventory::from_cargo): [`Inventory::from_cargo`] resolves a workspace member for
//!   a [`TargetTriple`] and a set of [`Features`] the way Cargo does, listing only the crates
//!   that build compiles; [`LockFile`] reads a `Cargo.lock` on its own (packages, sources,
//!   checksums, dependencies).
//! - [`license`]: [`LicenseExpression`], SPDX expressions parsed and normalized; [`License`].
//! - [`purl`]: package URLs for Cargo crates.
//! - [`document`]: [`Sbom`] writes CycloneDX 1.6/1.5 and SPDX 2.3 JSON [`Document`]s,
//!   reproducibly (content-derived serial numbers and namespaces, [`consign_core::SourceDate`]
//!   timestamps, sorted lists).
//!
//! ```no_run
//! use consign_core::{Algorithm, Artifact, ArtifactKind, SourceDate};
//! use consign_sbom::{CargoOptions, CdxVersion, Features, Inventory, Sbom};
//!
//! let inventory = Inventory::from_cargo(
//!     "Cargo.toml",
//!     "app",
//!     &"x86_64-unknown-linux-musl".parse()?,
//!     &Features::default().with(["tls"]),
//!     &CargoOptions::default(),
//! )?;
//! let tarball = Artifact::from_file(
//!     "dist",
//!     "app-1.0.0-x86_64-unknown-linux-musl.tar.gz",
//!     ArtifactKind::Archive,
//!     &[Algorithm::Sha256],
//! )?;
//! let sbom = Sbom::new(&inventory, SourceDate::from_unix(1_700_000_000)).subject(tarball);
//! // dist/app-1.0.0-x86_64-unknown-linux-musl.tar.gz.cdx.json and .spdx.json
//! let written = sbom.write_all("dist", CdxVersion::V1_6)?;
//! assert_eq!(written.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cargo;
mod cyclonedx;
pub mod document;
mod error;
pub mod inventory;
pub mod license;
pub mod purl;
mod spdx;

pub use cargo::lock::{LockFile, LockedPackage};
pub use cargo::{CargoOptions, Features, GraphSource, LicensePolicy, TargetTriple};
pub use document::{CdxVersion, Document, Format, Sbom, SbomOptions};
pub use error::SbomError;
pub use inventory::{Crate, DepKind, Edge, FileKind, FileRecord, Inventory, Source};
pub use license::{License, LicenseError, LicenseExpression};
