//! consign-package: deterministic, streaming package and archive writers.
//!
//! Every writer here takes a [`consign_core::FileTree`] and a [`consign_core::SourceDate`],
//! streams its output to any `impl Write` (or atomically to a path) with memory bounded
//! whatever the payload size, and returns the [`consign_core::Written`] size and digests of
//! what it wrote, so checksums and signatures never need a second read.
//!
//! - [`archive`]: [`Archive`] writes `.tar`, `.tar.gz`, `.tar.xz`, `.tar.zst` and `.zip`.
//! - [`deb`]: [`Deb`] writes Debian packages (`.deb`); [`CargoDeb`] reads their inputs from
//!   Cargo and `[package.metadata.deb]`.
//! - [`rpm`]: [`Rpm`] writes binary `.rpm` packages (gzip, xz or zstd payload, every digest
//!   current rpm checks); [`CargoRpm`] reads `[package.metadata.generate-rpm]`.
//! - [`compress`]: the [`Codec`] and [`Compression`] every writer shares.
//!
//! ```
//! use consign_core::{Entry, FileTree, SourceDate};
//! use consign_package::{Archive, ArchiveFormat};
//!
//! let mut tree = FileTree::new();
//! tree.insert("bin/hello", Entry::bytes(b"#!/bin/sh\necho hello\n".to_vec()).mode(0o755))?;
//! tree.insert("README.md", Entry::bytes(b"# hello\n".to_vec()))?;
//!
//! let archive = Archive::new(ArchiveFormat::TarGz, &tree, SourceDate::from_unix(1_700_000_000))
//!     .top_level_dir("hello-1.0.0-x86_64-unknown-linux-gnu")?;
//! let mut out = Vec::new();
//! let written = archive.write_to(&mut out)?;
//! assert_eq!(written.size, out.len() as u64);
//! // Same inputs, same bytes.
//! assert_eq!(archive.write_to(Vec::new())?, written);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod archive;
pub mod compress;
pub mod deb;
pub mod rpm;
#[cfg(feature = "sign")]
mod signing;
mod spool;

pub use archive::{Archive, ArchiveError, ArchiveFormat, ArchiveOptions};
pub use compress::{Codec, Compression};
pub use deb::{CargoDeb, Deb, DebError, DebOptions};
pub use rpm::{
    CargoRpm, CargoTarget, ChangelogEntry, FileAttrs, RelationKind, Rpm, RpmError, RpmOptions,
    RpmSpec, Scriptlet, ScriptletKind,
};
