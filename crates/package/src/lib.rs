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
//! - [`msi`]: [`Msi`] writes Windows Installer packages (`.msi`, x64 and Arm64) with their
//!   MSZIP cabinets embedded, authoring the database itself: no WiX, `wixl` or Windows.
//! - [`dmg`]: [`dmg::Dmg`] writes macOS disk images (`.dmg`): an HFS+ volume of the tree in
//!   a UDIF container, with [`dmg::AppBundle`] for `.app` layouts; [`dmg::UdifImage`] reads
//!   and checks a UDIF image and streams out the raw disk.
//! - [`compress`]: the [`Codec`] and [`Compression`] every writer shares.
//!
//! Every writer implements [`ArtifactWriter`] (`file_name`, `kind`, `write_to`, atomic
//! `write_to_path`, `write_into` a release directory), takes a [`consign_core::Monitor`] in
//! its options for progress and cancellation, and signs through the seam in consign-core
//! (`Deb::signer`, `Rpm::signer` take any `&dyn consign_core::Signer`). Features (all on by
//! default): `deb`, `rpm`, `msi`, `dmg`, `zip`, `xz`, `cargo` (the Cargo readers); without
//! them the crate is the tar writer and the gzip and zstd codecs.
//!
//! ```
//! use consign_core::{Entry, FileTree, SourceDate};
//! use consign_package::{Archive, ArchiveFormat, ArtifactWriter};
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

/// The setters every writer's options share: `monitor`, `algorithms`, and `compression`
/// when the options have one. One definition, so the writers' options read and behave alike.
macro_rules! output_setters {
    ($options:ty) => {
        impl $options {
            /// Reports progress to, and stops when interrupted through, `monitor`.
            #[must_use]
            pub fn monitor(mut self, monitor: consign_core::Monitor) -> Self {
                self.monitor = monitor;
                self
            }

            /// Sets the digests computed over the output while it is written.
            #[must_use]
            pub fn algorithms(mut self, algorithms: &[consign_core::Algorithm]) -> Self {
                self.algorithms = algorithms.to_vec();
                self
            }
        }
    };
    ($options:ty, compression) => {
        output_setters!($options);

        impl $options {
            /// Sets the compression.
            #[must_use]
            pub fn compression(mut self, compression: $crate::Compression) -> Self {
                self.compression = compression;
                self
            }
        }
    };
}

pub mod archive;
#[cfg(feature = "cargo")]
pub mod cargo;
pub mod compress;
#[cfg(feature = "deb")]
pub mod deb;
#[cfg(feature = "dmg")]
pub mod dmg;
#[cfg(feature = "msi")]
pub mod msi;
mod pool;
#[cfg(feature = "rpm")]
pub mod rpm;
#[cfg(any(feature = "deb", feature = "rpm"))]
mod signing;
#[cfg(any(feature = "deb", feature = "rpm"))]
mod spool;

mod error;

#[cfg(feature = "msi")]
pub use crate::msi::{Msi, MsiOptions, MsiReport, MsiVersion};
pub use archive::{Archive, ArchiveFormat, ArchiveOptions};
#[cfg(feature = "cargo")]
pub use cargo::CargoTarget;
pub use compress::{Codec, Compression};
/// The trait every writer here implements (`file_name`, `kind`, `write_to`, `write_to_path`,
/// `write_into`), re-exported so that `use consign_package::ArtifactWriter` brings its methods.
pub use consign_core::ArtifactWriter;
#[cfg(all(feature = "deb", feature = "cargo"))]
pub use deb::CargoDeb;
#[cfg(feature = "deb")]
pub use deb::{Deb, DebOptions, DebReport};
#[cfg(feature = "cargo")]
pub use error::CargoError;
#[cfg(feature = "deb")]
pub use error::DebError;
#[cfg(feature = "dmg")]
pub use error::DmgError;
#[cfg(feature = "msi")]
pub use error::MsiError;
#[cfg(feature = "rpm")]
pub use error::RpmError;
pub use error::{ArchiveError, Error, Result};
#[cfg(all(feature = "rpm", feature = "cargo"))]
pub use rpm::CargoRpm;
#[cfg(feature = "rpm")]
pub use rpm::{
    ChangelogEntry, FileAttrs, RelationKind, Rpm, RpmOptions, RpmRelation, RpmReport, RpmSpec,
    Scriptlet, ScriptletKind,
};
