//! consign-core: the types every consign crate composes through.
//!
//! A tour, one main type per module:
//!
//! - [`digest`]: [`Digest`] and [`Algorithm`], parsed once from `sha256:<hex>`.
//! - [`hash`]: [`HashingWriter`] / [`HashingReader`] hash what passes through and yield a
//!   [`Written`] (size and digests); [`hash_file`] streams a file once.
//! - [`parallel`]: [`hash_files`] hashes many files on every core.
//! - [`checksum`]: [`ChecksumFile`] reads and writes GNU (`sha256sum`) and BSD tag files,
//!   verifies a directory ([`VerifyReport`]) and merges files from several runners.
//! - [`source_date`]: [`SourceDate`], the only clock a writer may read.
//! - [`tree`]: [`FileTree`], the staging model packages, archives and images are written from.
//! - [`platform`]: [`Platform`], one target named the Rust, Debian, RPM and OCI ways.
//! - [`meta`]: [`PackageMeta`], what a package says about its software, from Cargo or by hand.
//! - [`artifact`]: [`Artifact`] and [`ReleaseManifest`], the record of what a release produced.
//! - [`atomic`]: [`AtomicFile`], output that appears only when complete.
//! - [`writer`]: [`ArtifactWriter`], the one shape of archive and package writers.
//! - [`progress`]: [`Monitor`], progress reports and cancellation of long operations.
//! - [`sign`]: the [`Signer`] / [`Verifier`] seam and the [`Signature`] they exchange, with no
//!   cryptography of its own (consign-sign implements it).
//!
//! ```
//! use consign_core::{Algorithm, ChecksumFile, Entry, FileTree, HashingWriter, Style};
//! use std::io::Write;
//!
//! let mut tree = FileTree::new();
//! tree.insert("bin/hello", Entry::bytes(b"#!/bin/sh\necho hello\n".to_vec()).mode(0o755))?;
//!
//! // Any writer: hash while writing, never read the output again.
//! let mut out = HashingWriter::new(Vec::new(), &[Algorithm::Sha256]);
//! for (path, entry) in tree.iter() {
//!     out.write_all(path.as_str().as_bytes())?;
//!     std::io::copy(&mut entry.open()?, &mut out)?;
//! }
//! let (_bytes, written) = out.finish();
//!
//! let mut sums = ChecksumFile::new(Algorithm::Sha256);
//! sums.insert("hello.bin", *written.sha256().unwrap())?;
//! print!("{}", sums.to_text(Style::Gnu));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod artifact;
pub mod atomic;
pub mod checksum;
pub mod digest;
mod error;
pub mod executable;
pub mod hash;
pub mod meta;
pub mod parallel;
pub mod platform;
pub mod progress;
pub mod sign;
pub mod source_date;
pub mod tree;
pub mod version;
pub mod writer;

pub use artifact::{Artifact, ArtifactKind, Expected, ImageRecord, ManifestError, ReleaseManifest};
pub use atomic::{AtomicFile, write_atomic};
pub use checksum::{
    ChecksumEntry, ChecksumError, ChecksumFile, FileCheck, NodeKind, Status, Style, VerifyReport,
};
pub use digest::{Algorithm, Digest};
pub use error::{DigestError, Error, IoError};
pub use executable::{Executable, ExecutableFormat};
pub use hash::{
    Digests, Hasher, HashingReader, HashingWriter, MultiHasher, Written, hash_file, hash_reader,
};
pub use meta::{Dependency, MetaError, PackageMeta, VersionOp};
pub use parallel::{Jobs, hash_files, hash_files_monitored, map_parallel};
pub use platform::{Arch, Libc, Os, Platform, PlatformError};
pub use progress::{Interrupted, Monitor, Progress};
pub use sign::{
    KeyAlgorithm, KeyId, KeyInfo, SignError, Signature, SignatureFormat, Signer, TlogEntry,
    VerificationMaterial, Verified, Verifier,
};
pub use source_date::{SOURCE_DATE_EPOCH, SourceDate, SourceDateError};
pub use tree::{
    Entry, EntryKind, EntryReader, FileSource, FileTree, Owner, PathProblem, RelPath, TreeError,
};
pub use version::Version;
pub use writer::{ArtifactWriter, WriteReport};
