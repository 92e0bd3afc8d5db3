//! The UDIF container of `.dmg` disk images: [`UdifWriter`] (crate-internal, fed the raw bytes
//! of a volume) writes one, [`UdifImage`] reads and checks one.
//!
//! A UDIF image (Apple's Universal Disk Image Format) is a *data fork* followed by an XML
//! property list and a 512-byte big-endian trailer, the `koly` block:
//!
//! ```text
//! ┌───────────────────────────┬───────────────────────┬──────────────┐
//! │ data fork: chunk, chunk … │ XML plist             │ koly (512 B) │
//! └───────────────────────────┴───────────────────────┴──────────────┘
//! ```
//!
//! - The raw disk (a whole volume here) is cut into chunks of 2048 sectors of 512 bytes
//!   (1 MiB, hdiutil's default; the last chunk may be shorter). Each chunk is stored zlib
//!   compressed (`0x80000005`, [`DmgFormat::Udzo`]), bzip2 compressed (`0x80000006`,
//!   [`DmgFormat::Udbz`]) or raw (`0x00000001`, [`DmgFormat::Udro`]). A chunk that does not
//!   shrink is stored raw in any format, as hdiutil does; an all-zero chunk is stored as an
//!   "ignore" run (`0x00000002`, no bytes in the fork), which readers expand to zeros.
//! - The plist's `resource-fork` → `blkx` array has one dictionary per partition
//!   (`Attributes` `0x0050`, `CFName`, `Data`, `ID`, `Name`): `Data` is the partition's
//!   `mish` table, a 204-byte header (first sector, sector count, buffers needed: 2056
//!   sectors, block descriptor, CRC-32 of the partition) and one 40-byte entry per chunk
//!   (kind, first sector and sector count relative to the partition, offset and length in
//!   the fork), ended by a `0xFFFFFFFF` entry.
//! - The trailer holds the fork's position and CRC-32, the plist's position, the *master*
//!   checksum (CRC-32 of the partitions' CRC-32 values, each as four big-endian bytes), the
//!   total sector count and a segment ID.
//!
//! The images written here have one partition and no partition map, as `hdiutil create
//! -layout NONE` writes them: the partition is named as the caller says (hdiutil's name for
//! an HFS+ volume is [`WHOLE_DISK_HFS`]), its block descriptor is `-2` (the whole device),
//! its plist `ID` is `"0"` and the trailer's image variant is 2 (a partition image). As in
//! hdiutil's images (and as 7-Zip checks them), a partition's CRC-32 covers the bytes its
//! runs produce: "ignore" runs add nothing to it.
//!
//! Output is a function of the raw bytes, the format and the level alone: chunks are cut at
//! fixed offsets and each is compressed by a fresh compressor, on `threads` workers, with
//! their results written in order; the segment ID is derived from a SHA-256 of the tables
//! and checksums (no clock, no randomness). Memory is bounded: at most two chunks per
//! worker are in flight; the chunk table (40 bytes per MiB of volume) is all that grows.
//!
//! Why our own: the `udif` crate (0.4) and `apple-dmg` (0.5) both take each partition as
//! one in-memory `&[u8]` and need `Write + Seek`; `apple-dmg` writes zlib only, on one
//! thread, with a random segment ID; `udif` parallelizes only behind an optional rayon
//! feature. Neither streams with bounded memory nor is reproducible by construction.
//!
//! The reader, [`UdifImage`], checks everything a tool would: trailer fields and bounds,
//! the plist, every table (chunks in order, sectors contiguous, data inside the fork) and,
//! while [`UdifImage::copy_raw`] streams the raw disk out, each partition's CRC-32, the
//! master checksum and the data fork's CRC-32. It reads zlib, bzip2, raw and zero chunks
//! (not ADC, LZFSE or LZMA, which [`UdifError::Codec`] names).

// Until the HFS+ volume writer calls `UdifWriter`, the writing half runs in tests only.

mod blkx;
mod koly;
mod read;
mod write;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tools;

use std::io;

pub use read::{UdifImage, UdifPartition};
pub(crate) use write::UdifWriter;

/// hdiutil's `blkx` name for the one HFS+ partition of a `-layout NONE` image.
pub(crate) const WHOLE_DISK_HFS: &str = "whole disk (Apple_HFS : 0)";

/// How the chunks of the image are stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DmgFormat {
    /// zlib (`UDZO`), the default: every macOS reads it.
    #[default]
    Udzo,
    /// bzip2 (`UDBZ`): smaller, slower to write and read; macOS 10.4 and later.
    Udbz,
    /// Raw, uncompressed (`UDRO`, read-only).
    Udro,
}

impl DmgFormat {
    /// hdiutil's name for the format (`UDZO`, `UDBZ`, `UDRO`).
    pub fn name(self) -> &'static str {
        match self {
            DmgFormat::Udzo => "UDZO",
            DmgFormat::Udbz => "UDBZ",
            DmgFormat::Udro => "UDRO",
        }
    }

    /// The level used when none is given: 9 for zlib and bzip2 (a release image is written
    /// once and downloaded many times; hdiutil's default zlib level is 1), 0 for raw.
    pub fn default_level(self) -> u32 {
        match self {
            DmgFormat::Udzo | DmgFormat::Udbz => 9,
            DmgFormat::Udro => 0,
        }
    }

    /// Checks `level` against the codec's range: zlib 0..=9, bzip2 1..=9; raw takes any.
    fn check_level(self, level: u32) -> io::Result<u32> {
        let range = match self {
            DmgFormat::Udzo => 0..=9,
            DmgFormat::Udbz => 1..=9,
            DmgFormat::Udro => return Ok(0),
        };
        if range.contains(&level) {
            Ok(level)
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} level {level} is outside {}..={}",
                    self.name(),
                    range.start(),
                    range.end()
                ),
            ))
        }
    }
}

/// A UDIF image that could not be read, or whose contents do not check out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UdifError {
    /// The file does not end with a `koly` trailer: it is not a UDIF image (or it is cut
    /// short).
    #[error("not a UDIF disk image: {reason}")]
    NotUdif {
        /// What was found instead.
        reason: &'static str,
    },
    /// A trailer field holds a value the format does not allow.
    #[error("UDIF trailer: {field} is {value}: {reason}")]
    Trailer {
        /// The field (`version`, `XML length`, …).
        field: &'static str,
        /// The value found.
        value: u64,
        /// What is allowed.
        reason: &'static str,
    },
    /// The XML property list is not what a UDIF image carries.
    #[error("UDIF property list: {reason}")]
    Plist {
        /// What is wrong.
        reason: &'static str,
        /// The XML parser's error, when it failed.
        #[source]
        source: Option<plist::Error>,
    },
    /// A partition's `mish` table is malformed.
    #[error("UDIF partition {partition}: {reason}")]
    Table {
        /// The partition's index in the `blkx` array.
        partition: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A chunk entry is inconsistent, or its data does not decode to its sectors.
    #[error("UDIF partition {partition}, chunk {index}: {reason}")]
    Chunk {
        /// The partition's index in the `blkx` array.
        partition: usize,
        /// The chunk's index in the partition's table.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A chunk's compressed data is corrupt.
    #[error("UDIF partition {partition}, chunk {index}: corrupt {codec} data: {source}")]
    Decode {
        /// The partition's index in the `blkx` array.
        partition: usize,
        /// The chunk's index in the partition's table.
        index: usize,
        /// The codec (`zlib`, `bzip2`).
        codec: &'static str,
        /// The decoder's error.
        #[source]
        source: io::Error,
    },
    /// A chunk uses a codec this reader does not decode (ADC, LZFSE, LZMA or unknown).
    #[error(
        "UDIF partition {partition}, chunk {index}: chunk kind {kind:#010x} is not supported \
         (zlib, bzip2, raw and zero chunks are; convert with `hdiutil convert -format UDZO`)"
    )]
    Codec {
        /// The partition's index in the `blkx` array.
        partition: usize,
        /// The chunk's index in the partition's table.
        index: usize,
        /// The chunk kind.
        kind: u32,
    },
    /// A checksum does not match the data: the image is corrupt.
    #[error("UDIF {what} checksum mismatch: expected {expected:#010x}, computed {actual:#010x}")]
    Checksum {
        /// Which checksum (`data fork`, `master`, `partition 0`, …).
        what: String,
        /// The value the image declares.
        expected: u32,
        /// The value of the data.
        actual: u32,
    },
    /// Reading the image failed.
    #[error("cannot read the UDIF image: {source}")]
    Io {
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Writing the raw disk out failed.
    #[error("cannot write the raw disk: {source}")]
    Output {
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl From<io::Error> for UdifError {
    fn from(source: io::Error) -> UdifError {
        UdifError::Io { source }
    }
}

/// Bytes per sector.
const SECTOR: u64 = 512;

/// Sectors per chunk: 1 MiB, hdiutil's default.
const CHUNK_SECTORS: u64 = 2048;

/// Bytes per chunk.
const CHUNK_BYTES: usize = (CHUNK_SECTORS * SECTOR) as usize;

/// Chunk kinds of a `mish` table.
mod kind {
    /// Zeros; counted in the partition checksum.
    pub(super) const ZERO: u32 = 0x0000_0000;
    /// Stored as is.
    pub(super) const RAW: u32 = 0x0000_0001;
    /// Free space, read as zeros, not counted in the partition checksum.
    pub(super) const IGNORE: u32 = 0x0000_0002;
    /// zlib (`UDZO`).
    pub(super) const ZLIB: u32 = 0x8000_0005;
    /// bzip2 (`UDBZ`).
    pub(super) const BZIP2: u32 = 0x8000_0006;
    /// A comment (`+beg`, `+end`); no sectors.
    pub(super) const COMMENT: u32 = 0x7FFF_FFFE;
    /// The last entry of a table.
    pub(super) const TERMINATOR: u32 = 0xFFFF_FFFF;
}
