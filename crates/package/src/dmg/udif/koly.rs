//! The 512-byte `koly` trailer and the checksum record it shares with `mish` tables.
//!
//! Layout (big-endian), as 7-Zip's `DmgHandler.cpp` and libdmg-hfsplus's `dmg.h` read it:
//!
//! | offset | field |
//! | --- | --- |
//! | 0x000 | `koly`, version 4, header size 512, flags (1: flattened) |
//! | 0x010 | running data fork offset, data fork offset, data fork length (u64 each) |
//! | 0x028 | resource fork offset, length (u64 each) |
//! | 0x038 | segment number, segment count (u32 each), segment ID (16 bytes) |
//! | 0x050 | data fork checksum (136 bytes) |
//! | 0x0D8 | XML offset, XML length (u64 each), 120 reserved bytes |
//! | 0x160 | master checksum (136 bytes) |
//! | 0x1E8 | image variant (u32), sector count (u64), 12 reserved bytes |

use super::UdifError;

/// The trailer's size.
pub(super) const KOLY_LEN: usize = 512;

/// Checksum kind: CRC-32 (IEEE, as zlib computes it).
pub(super) const CHECKSUM_CRC32: u32 = 2;

/// Image variant of an image without a partition map (a partition image).
pub(super) const VARIANT_PARTITION: u32 = 2;

/// A `UDIFChecksum`: kind, size in bits and up to 128 bytes of value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Checksum {
    pub(super) kind: u32,
    pub(super) bits: u32,
    pub(super) data: [u8; 128],
}

impl Checksum {
    /// The record's size.
    pub(super) const LEN: usize = 136;

    /// A CRC-32 record.
    pub(super) fn crc32(value: u32) -> Checksum {
        let mut data = [0; 128];
        data[..4].copy_from_slice(&value.to_be_bytes());
        Checksum {
            kind: CHECKSUM_CRC32,
            bits: 32,
            data,
        }
    }

    /// The CRC-32 value, when the record holds one.
    pub(super) fn as_crc32(&self) -> Option<u32> {
        (self.kind == CHECKSUM_CRC32 && self.bits == 32)
            .then(|| u32::from_be_bytes([self.data[0], self.data[1], self.data[2], self.data[3]]))
    }

    /// The bytes of the value (`bits / 8` of them), as the master checksum takes them.
    pub(super) fn value_bytes(&self) -> Option<&[u8]> {
        if !self.bits.is_multiple_of(8) {
            return None;
        }
        self.data.get(..usize::try_from(self.bits / 8).ok()?)
    }

    pub(super) fn put(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.kind.to_be_bytes());
        out[4..8].copy_from_slice(&self.bits.to_be_bytes());
        out[8..Self::LEN].copy_from_slice(&self.data);
    }

    pub(super) fn parse(raw: &[u8; Self::LEN]) -> Checksum {
        let mut data = [0; 128];
        data.copy_from_slice(&raw[8..]);
        Checksum {
            kind: be32(raw, 0),
            bits: be32(raw, 4),
            data,
        }
    }
}

/// The fields of a trailer that matter here (the running data fork offset and the
/// reserved bytes are written as zeros and not read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Koly {
    pub(super) data_fork_offset: u64,
    pub(super) data_fork_length: u64,
    pub(super) segment_id: [u8; 16],
    pub(super) data_checksum: Checksum,
    pub(super) xml_offset: u64,
    pub(super) xml_length: u64,
    pub(super) master_checksum: Checksum,
    pub(super) image_variant: u32,
    pub(super) sectors: u64,
}

impl Koly {
    pub(super) fn to_bytes(&self) -> [u8; KOLY_LEN] {
        let mut b = [0u8; KOLY_LEN];
        b[0..4].copy_from_slice(b"koly");
        b[4..8].copy_from_slice(&4u32.to_be_bytes());
        b[8..12].copy_from_slice(&(KOLY_LEN as u32).to_be_bytes());
        b[12..16].copy_from_slice(&1u32.to_be_bytes());
        b[0x18..0x20].copy_from_slice(&self.data_fork_offset.to_be_bytes());
        b[0x20..0x28].copy_from_slice(&self.data_fork_length.to_be_bytes());
        b[0x38..0x3C].copy_from_slice(&1u32.to_be_bytes());
        b[0x3C..0x40].copy_from_slice(&1u32.to_be_bytes());
        b[0x40..0x50].copy_from_slice(&self.segment_id);
        self.data_checksum.put(&mut b[0x50..0xD8]);
        b[0xD8..0xE0].copy_from_slice(&self.xml_offset.to_be_bytes());
        b[0xE0..0xE8].copy_from_slice(&self.xml_length.to_be_bytes());
        self.master_checksum.put(&mut b[0x160..0x1E8]);
        b[0x1E8..0x1EC].copy_from_slice(&self.image_variant.to_be_bytes());
        b[0x1EC..0x1F4].copy_from_slice(&self.sectors.to_be_bytes());
        b
    }

    /// Parses a trailer and checks its fixed fields; `limit` is its own offset in the file,
    /// which the data fork and the plist must end before.
    pub(super) fn parse(b: &[u8; KOLY_LEN], limit: u64) -> Result<Koly, UdifError> {
        if &b[0..4] != b"koly" {
            return Err(UdifError::NotUdif {
                reason: "the last 512 bytes do not start with `koly`",
            });
        }
        let field = |field: &'static str, value: u64, reason: &'static str| UdifError::Trailer {
            field,
            value,
            reason,
        };
        let version = be32(b, 4);
        if version != 4 {
            return Err(field("version", version.into(), "only version 4 is known"));
        }
        let header = be32(b, 8);
        if header != KOLY_LEN as u32 {
            return Err(field("header size", header.into(), "must be 512"));
        }
        let segment = (be32(b, 0x38), be32(b, 0x3C));
        if !matches!(segment, (0 | 1, 0 | 1)) {
            return Err(field(
                "segment count",
                segment.1.into(),
                "segmented images (.dmgpart) are not supported",
            ));
        }
        let koly = Koly {
            data_fork_offset: be64(b, 0x18),
            data_fork_length: be64(b, 0x20),
            segment_id: sub(b, 0x40),
            data_checksum: Checksum::parse(&sub(b, 0x50)),
            xml_offset: be64(b, 0xD8),
            xml_length: be64(b, 0xE0),
            master_checksum: Checksum::parse(&sub(b, 0x160)),
            image_variant: be32(b, 0x1E8),
            sectors: be64(b, 0x1EC),
        };
        let end = |offset: u64, length: u64| offset.checked_add(length).filter(|&e| e <= limit);
        if end(koly.data_fork_offset, koly.data_fork_length).is_none() {
            return Err(field(
                "data fork length",
                koly.data_fork_length,
                "the data fork does not end before the trailer",
            ));
        }
        if koly.xml_length == 0 {
            return Err(field(
                "XML length",
                0,
                "images without an XML property list (resource fork only) are not supported",
            ));
        }
        if end(koly.xml_offset, koly.xml_length).is_none() {
            return Err(field(
                "XML length",
                koly.xml_length,
                "the property list does not end before the trailer",
            ));
        }
        if koly.sectors > u64::MAX / super::SECTOR {
            return Err(field("sector count", koly.sectors, "too large"));
        }
        Ok(koly)
    }
}

/// A big-endian u32 at `at`.
pub(super) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(sub(b, at))
}

/// A big-endian u64 at `at`.
pub(super) fn be64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(sub(b, at))
}

/// `N` bytes at `at`; callers check the length first (a short slice reads as zeros).
fn sub<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    if let Some(s) = b.get(at..at.saturating_add(N)) {
        out.copy_from_slice(s);
    }
    out
}
