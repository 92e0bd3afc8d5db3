//! [`RpmError`]: what only rpm packages meet.

use consign_core::{RelPath, SourceDate};

use crate::compress::Codec;

/// What only rpm packages meet: carried by [`crate::Error::Rpm`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpmError {
    /// An architecture rpm has no name for.
    #[error("unknown rpm architecture {arch:?}")]
    UnknownArch {
        /// The architecture.
        arch: String,
    },
    /// A payload codec rpm does not read.
    #[error("rpm payloads here are gzip, xz or zstd: {codec:?} is not supported")]
    Compression {
        /// The codec asked for.
        codec: Codec,
    },
    /// An owner without a name: rpm records owners by name.
    #[error(
        "cannot package {path}: rpm records owners by name and {kind} id {id} has none; name it (Entry::names)"
    )]
    UnnamedOwner {
        /// The entry.
        path: RelPath,
        /// `user` or `group`.
        kind: &'static str,
        /// The numeric id.
        id: u32,
    },
    /// Attributes given for a path the tree does not list.
    #[error("rpm file attributes given for {path}, which is not an entry of the tree")]
    UnknownPath {
        /// The path.
        path: RelPath,
    },
    /// A date past what rpm's 32-bit times hold (2106-02-07).
    #[error("date {date} is past 2106-02-07T06:28:15Z, the last time rpm can record")]
    DateOutOfRange {
        /// The date.
        date: SourceDate,
    },
    /// More than the rpm format holds.
    #[error("the {what} ({size}) is larger than an rpm header can hold")]
    TooLarge {
        /// What is too large.
        what: &'static str,
        /// Its size.
        size: u64,
    },
}
