//! consign-sbom: CycloneDX and SPDX documents from the resolved Cargo graph and from the files
//! actually shipped.
//!
//! Inventories are made from [`consign_core::PackageMeta`], [`consign_core::FileTree`] and the
//! [`consign_core::Artifact`] records of a release, with timestamps from
//! [`consign_core::SourceDate`].
//!
//! It has no public items yet; see the project README for what is available today.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
