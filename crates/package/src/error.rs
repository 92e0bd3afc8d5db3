//! [`Error`]: the one error type of consign-package.
//!
//! What every writer can meet (an unreadable file of the tree, a failed output, a value the
//! format refuses, an interrupted monitor, a failing signer) is a variant of [`Error`] itself;
//! what only one format or reader can meet is in that format's sub-enum, carried by
//! [`Error::Archive`], [`Error::Deb`], [`Error::Rpm`], [`Error::Msi`], [`Error::Dmg`] or
//! [`Error::Cargo`].
//!
//! ```
//! use consign_core::{FileTree, PackageMeta, SourceDate};
//! use consign_package::{ArtifactWriter, DebError, Error, Rpm, RpmError};
//! use consign_package::compress::{Codec, Compression};
//! use consign_package::deb::Deb;
//! use consign_package::rpm::RpmOptions;
//!
//! let tree = FileTree::new();
//! let date = SourceDate::from_unix(0);
//! let linux = "x86_64-unknown-linux-gnu".parse()?;
//! // What every writer meets: a variant of Error itself.
//! let meta = PackageMeta::new("tool", "1.0.0")?.license("MIT");
//! match Deb::new(&tree, &meta, linux, date).write_to(Vec::new()) {
//!     Err(Error::Missing { field, .. }) => assert_eq!(field, "maintainer"),
//!     other => panic!("expected a missing maintainer, got {other:?}"),
//! }
//! // What only one format meets: its sub-enum.
//! let meta = meta.description("A tool\nIt does things.");
//! let plain = RpmOptions::default().compression(Compression::new(Codec::None));
//! let err = Rpm::new(&tree, &meta, linux, date).options(plain).write_to(Vec::new());
//! assert!(matches!(err, Err(Error::Rpm(RpmError::Compression { .. }))));
//! let bad: Result<consign_package::deb::DebVersion, Error> = "v1".parse();
//! assert!(matches!(bad, Err(Error::Deb(DebError::Version { .. }))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;

use consign_core::{Interrupted, IoError, MetaError, PlatformError, RelPath, TreeError};

pub use crate::archive::ArchiveError;
#[cfg(feature = "cargo")]
pub use crate::cargo::CargoError;
#[cfg(feature = "deb")]
pub use crate::deb::DebError;
#[cfg(feature = "dmg")]
pub use crate::dmg::DmgError;
#[cfg(feature = "msi")]
pub use crate::msi::MsiError;
#[cfg(feature = "rpm")]
pub use crate::rpm::RpmError;

/// A package or archive that could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value the format does not accept: a package name, a version, a relation, a control
    /// field, a file attribute, a script.
    #[error("invalid {field} {value:?}: {reason}")]
    Invalid {
        /// What the value is (`Debian version`, `rpm release`, `Homepage`, …).
        field: &'static str,
        /// The value found.
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
    /// Metadata the format requires is missing.
    #[error("missing {field}: {hint}")]
    Missing {
        /// What is missing (`description`, `license`, …).
        field: &'static str,
        /// How to give it.
        hint: &'static str,
    },
    /// A file of the tree could not be read, or changed while it was written out.
    #[error("cannot read {path}: {source}")]
    Entry {
        /// The entry.
        path: RelPath,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// An owner name longer than a tar header holds.
    #[error("cannot write {path}: owner name {name:?} is longer than 31 bytes")]
    OwnerName {
        /// The entry.
        path: RelPath,
        /// The name.
        name: String,
    },
    /// Writing the output failed.
    #[error("cannot write the output: {source}")]
    Output {
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A compressed member could not be spooled to its temporary file.
    #[error("cannot spool to a temporary file (is TMPDIR full?): {source}")]
    Spool {
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The signer failed, or (when verifying) a signature does not hold.
    #[error("package signature: {source}")]
    Sign {
        /// What the signer or verifier reported.
        #[source]
        source: consign_core::SignError,
    },
    /// The monitor's interrupt flag was set; nothing was committed.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    /// See [`TreeError`] (duplicate paths, paths outside the tree, unreadable files).
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// See [`IoError`].
    #[error(transparent)]
    Io(#[from] IoError),
    /// See [`MetaError`].
    #[error(transparent)]
    Meta(#[from] MetaError),
    /// See [`PlatformError`] (a platform without a Debian or rpm architecture).
    #[error(transparent)]
    Platform(#[from] PlatformError),
    /// What only archives meet.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// What only Debian packages meet.
    #[cfg(feature = "deb")]
    #[error(transparent)]
    Deb(#[from] DebError),
    /// What only rpm packages meet.
    #[cfg(feature = "rpm")]
    #[error(transparent)]
    Rpm(#[from] RpmError),
    /// What only Windows Installer packages meet.
    #[cfg(feature = "msi")]
    #[error(transparent)]
    Msi(#[from] MsiError),
    /// What only disk images meet.
    #[cfg(feature = "dmg")]
    #[error(transparent)]
    Dmg(#[from] DmgError),
    /// A `[package.metadata.deb]` or `[package.metadata.generate-rpm]` table the Cargo readers
    /// refuse.
    #[cfg(feature = "cargo")]
    #[error(transparent)]
    Cargo(#[from] CargoError),
}

impl Error {
    /// The error for a failed read of `path`'s data: [`Error::Interrupted`] when the monitor
    /// stopped the read, [`Error::Entry`] otherwise.
    pub(crate) fn entry(path: &RelPath, source: io::Error) -> Error {
        if Interrupted::is_cause_of(&source) {
            Error::Interrupted(Interrupted)
        } else {
            Error::Entry {
                path: path.clone(),
                source,
            }
        }
    }

    /// Whether the monitor's interrupt flag stopped the work.
    pub fn is_interrupted(&self) -> bool {
        matches!(self, Error::Interrupted(_))
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
