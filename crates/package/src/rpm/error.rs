//! [`RpmError`]: what only rpm packages meet, written or read.

use consign_core::{Digest, RelPath, SourceDate};

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
    /// Not an rpm: the file does not start with the lead's magic bytes.
    #[error("not an rpm package: it does not start with the lead's magic bytes (ed ab ee db)")]
    NotRpm,
    /// The input ends inside a part of the package.
    #[error("the rpm package ends inside its {part}: the file is truncated")]
    Truncated {
        /// `lead`, `signature header` or `main header`.
        part: &'static str,
    },
    /// A part of the package breaks the format.
    #[error("damaged rpm package: the {part} is malformed: {reason}")]
    Malformed {
        /// `lead`, `signature header` or `main header`.
        part: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The main header lacks a tag every package has.
    #[error("the rpm's main header has no {name} (tag {tag})")]
    MissingTag {
        /// The tag number.
        tag: u32,
        /// What it holds.
        name: &'static str,
    },
    /// Bytes of the package do not hash to the digest its headers record for them.
    #[error(
        "the rpm's {what} does not match its recorded digest: recorded {recorded}, computed \
         {actual}; the package was changed or damaged after it was built"
    )]
    DigestMismatch {
        /// `main header` or `payload`.
        what: &'static str,
        /// The digest the package records.
        recorded: Box<Digest>,
        /// The digest of the bytes read.
        actual: Box<Digest>,
    },
    /// The package is larger or smaller than its signature header says.
    #[error(
        "the rpm's {what} is {actual} bytes, its signature header says {recorded}: the package \
         is truncated or has bytes appended"
    )]
    SizeMismatch {
        /// What was measured.
        what: &'static str,
        /// The size recorded.
        recorded: u64,
        /// The size read.
        actual: u64,
    },
    /// The package could not be read.
    #[error("cannot read the rpm package: {source}")]
    Read {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
