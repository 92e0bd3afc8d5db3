//! [`DmgError`]: what only disk images meet.

use consign_core::RelPath;

/// What only disk images meet: carried by [`crate::Error::Dmg`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DmgError {
    /// A name longer than HFS+ holds (255 UTF-16 code units, counted decomposed).
    #[error(
        "{path}: the name is {units} UTF-16 code units once decomposed; HFS+ holds at most 255"
    )]
    NameTooLong {
        /// The entry (the volume name is reported as `.`).
        path: String,
        /// Its length in UTF-16 code units.
        units: usize,
    },
    /// Two names of one folder that a case-insensitive volume takes as the same name.
    #[error(
        "{path} and {other} are the same name on a case-insensitive volume: rename one, or \
         ask for a case-sensitive (HFSX) volume"
    )]
    NameClash {
        /// One entry.
        path: RelPath,
        /// The entry it clashes with.
        other: RelPath,
    },
    /// The tree does not fit the volume size asked for.
    #[error("the tree needs a volume of {needed} bytes; {asked} bytes were asked for")]
    VolumeTooSmall {
        /// Bytes the volume needs at least.
        needed: u64,
        /// Bytes asked for.
        asked: u64,
    },
    /// More than HFS+ addresses (2^32 allocation blocks, 2^32 catalog entries).
    #[error("the volume would need {blocks} allocation blocks of 4096 bytes; HFS+ holds 2^32")]
    VolumeTooLarge {
        /// Blocks needed.
        blocks: u64,
    },
    /// A date HFS+ cannot store (1904 to 2040).
    #[error("HFS+ stores dates up to 2040-02-06; {unix} (seconds since 1970) is later")]
    Date {
        /// The date, in seconds since 1970.
        unix: u64,
    },
    /// A hard link whose target is not a regular file of the tree (or a chain of links).
    #[error("hard link {path} points at {target}, which is not a regular file of the tree")]
    HardLink {
        /// The link.
        path: RelPath,
        /// Its target.
        target: RelPath,
    },
}
