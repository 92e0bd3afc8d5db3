//! `mish` block tables and the XML property list that carries them.
//!
//! A table (big-endian) is a 204-byte header — `mish`, version 1, first sector, sector
//! count, data offset, buffers needed, block descriptor, 24 reserved bytes, a checksum
//! record (136 bytes), the entry count — and 40-byte entries: kind, comment, first sector
//! and sector count (relative to the partition), offset and length in the data fork
//! (relative to the data offset). Checked against 7-Zip's `CFile::Parse` and libdmg-hfsplus's
//! `BLKXTable`.

use plist::{Dictionary, Value};

use super::koly::{Checksum, be32, be64};
use super::{CHUNK_SECTORS, SECTOR, UdifError, kind};

/// The header's size.
pub(super) const HEADER_LEN: usize = 0xCC;

/// An entry's size.
pub(super) const ENTRY_LEN: usize = 40;

/// Buffers needed, in sectors: one chunk and 8 more, as hdiutil and libdmg-hfsplus write it.
const BUFFERS_NEEDED: u32 = CHUNK_SECTORS as u32 + 8;

/// Block descriptor of a table that covers the whole device (no partition map).
pub(super) const WHOLE_DEVICE: u32 = 0xFFFF_FFFE;

/// The `Attributes` value hdiutil gives `blkx` resources.
const ATTRIBUTES: &str = "0x0050";

/// One entry of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) kind: u32,
    /// First sector, relative to the partition.
    pub(super) sector: u64,
    pub(super) sectors: u64,
    /// Offset in the data fork, relative to the table's data offset.
    pub(super) offset: u64,
    pub(super) length: u64,
}

impl Entry {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.kind.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&self.sector.to_be_bytes());
        out.extend_from_slice(&self.sectors.to_be_bytes());
        out.extend_from_slice(&self.offset.to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
    }
}

/// A partition's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Table {
    pub(super) first_sector: u64,
    pub(super) sectors: u64,
    pub(super) data_offset: u64,
    pub(super) descriptor: u32,
    pub(super) checksum: Checksum,
    /// The entries that hold sectors (comments and the terminator are dropped when parsed).
    pub(super) entries: Vec<Entry>,
}

impl Table {
    /// The table's bytes; `entries` must end with the terminator.
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER_LEN + self.entries.len() * ENTRY_LEN);
        b.extend_from_slice(b"mish");
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&self.first_sector.to_be_bytes());
        b.extend_from_slice(&self.sectors.to_be_bytes());
        b.extend_from_slice(&self.data_offset.to_be_bytes());
        b.extend_from_slice(&BUFFERS_NEEDED.to_be_bytes());
        b.extend_from_slice(&self.descriptor.to_be_bytes());
        b.extend_from_slice(&[0; 24]);
        let mut sum = [0; Checksum::LEN];
        self.checksum.put(&mut sum);
        b.extend_from_slice(&sum);
        let count = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        b.extend_from_slice(&count.to_be_bytes());
        for entry in &self.entries {
            entry.put(&mut b);
        }
        b
    }

    /// Parses and checks table `partition`: entries in order with contiguous sectors that
    /// add up to the table's count, a terminator last, data inside the `fork_length`-byte
    /// data fork, zero runs without data and raw runs as long as their sectors.
    pub(super) fn parse(b: &[u8], partition: usize, fork_length: u64) -> Result<Table, UdifError> {
        let bad = |reason| UdifError::Table { partition, reason };
        if b.len() < HEADER_LEN || &b[0..4] != b"mish" {
            return Err(bad("its Data is not a `mish` block table"));
        }
        if be32(b, 4) != 1 {
            return Err(bad("its table version is not 1"));
        }
        let count = usize::try_from(be32(b, 0xC8)).map_err(|_| bad("too many entries"))?;
        let expected_len = count
            .checked_mul(ENTRY_LEN)
            .and_then(|n| n.checked_add(HEADER_LEN));
        if expected_len != Some(b.len()) {
            return Err(bad("its entry count does not match its length"));
        }
        let mut raw_sum = [0; Checksum::LEN];
        raw_sum.copy_from_slice(&b[0x40..0x40 + Checksum::LEN]);
        let mut table = Table {
            first_sector: be64(b, 0x08),
            sectors: be64(b, 0x10),
            data_offset: be64(b, 0x18),
            descriptor: be32(b, 0x24),
            checksum: Checksum::parse(&raw_sum),
            entries: Vec::with_capacity(count),
        };
        if table.sectors > u64::MAX / SECTOR {
            return Err(bad("its sector count is too large"));
        }
        let mut next = 0u64;
        let mut ended = false;
        for (index, raw) in b[HEADER_LEN..].chunks_exact(ENTRY_LEN).enumerate() {
            let chunk = |reason| UdifError::Chunk {
                partition,
                index,
                reason,
            };
            if ended {
                return Err(chunk("an entry follows the terminator"));
            }
            let entry = Entry {
                kind: be32(raw, 0),
                sector: be64(raw, 8),
                sectors: be64(raw, 16),
                offset: be64(raw, 24),
                length: be64(raw, 32),
            };
            if entry.kind == kind::TERMINATOR {
                ended = true;
                continue;
            }
            if entry.kind == kind::COMMENT {
                continue;
            }
            if entry.sector != next {
                return Err(chunk("its first sector does not follow the previous chunk"));
            }
            next = next
                .checked_add(entry.sectors)
                .filter(|&n| n <= table.sectors)
                .ok_or_else(|| chunk("its sectors run past the partition's end"))?;
            let end = table
                .data_offset
                .checked_add(entry.offset)
                .and_then(|o| o.checked_add(entry.length));
            if end.is_none_or(|e| e > fork_length) {
                return Err(chunk("its data lies outside the data fork"));
            }
            match entry.kind {
                kind::ZERO | kind::IGNORE if entry.length != 0 => {
                    return Err(chunk("a zero-fill chunk has data"));
                }
                kind::RAW if Some(entry.length) != entry.sectors.checked_mul(SECTOR) => {
                    return Err(chunk("a raw chunk's length differs from its sectors"));
                }
                _ => {}
            }
            if entry.sectors > 0 {
                table.entries.push(entry);
            }
        }
        if !ended {
            return Err(bad("its table has no terminator"));
        }
        if next != table.sectors {
            return Err(bad("its chunks do not cover its sectors"));
        }
        Ok(table)
    }
}

/// One `blkx` resource: a partition's name and table bytes.
pub(super) struct Resource {
    pub(super) name: String,
    pub(super) data: Vec<u8>,
}

/// The property list of an image with the given `blkx` resources, as XML: keys sorted as
/// hdiutil writes them (dmg2img looks for `Name` after `Data`), ending in a newline.
pub(super) fn plist_xml(resources: &[Resource]) -> Result<Vec<u8>, plist::Error> {
    let blkx = resources
        .iter()
        .enumerate()
        .map(|(id, r)| {
            let mut d = Dictionary::new();
            d.insert("Attributes".into(), Value::String(ATTRIBUTES.into()));
            d.insert("CFName".into(), Value::String(r.name.clone()));
            d.insert("Data".into(), Value::Data(r.data.clone()));
            d.insert("ID".into(), Value::String(id.to_string()));
            d.insert("Name".into(), Value::String(r.name.clone()));
            Value::Dictionary(d)
        })
        .collect();
    let mut fork = Dictionary::new();
    fork.insert("blkx".into(), Value::Array(blkx));
    let mut root = Dictionary::new();
    root.insert("resource-fork".into(), Value::Dictionary(fork));
    let mut xml = Vec::new();
    Value::Dictionary(root).to_writer_xml(&mut xml)?;
    xml.push(b'\n');
    Ok(xml)
}

/// The `blkx` resources of a property list, in order.
pub(super) fn parse_plist(xml: &[u8]) -> Result<Vec<Resource>, UdifError> {
    let bad = |reason| UdifError::Plist {
        reason,
        source: None,
    };
    let root = Value::from_reader_xml(xml).map_err(|source| UdifError::Plist {
        reason: "it is not an XML property list",
        source: Some(source),
    })?;
    let blkx = root
        .as_dictionary()
        .and_then(|d| d.get("resource-fork"))
        .and_then(Value::as_dictionary)
        .ok_or_else(|| bad("it has no `resource-fork` dictionary"))?
        .get("blkx")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("it has no `blkx` array"))?;
    blkx.iter()
        .map(|item| {
            let d = item
                .as_dictionary()
                .ok_or_else(|| bad("a `blkx` item is not a dictionary"))?;
            let data = d
                .get("Data")
                .and_then(Value::as_data)
                .ok_or_else(|| bad("a `blkx` item has no `Data`"))?;
            let name = ["Name", "CFName"]
                .iter()
                .find_map(|k| {
                    d.get(k)
                        .and_then(Value::as_string)
                        .filter(|s| !s.is_empty())
                })
                .unwrap_or_default();
            Ok(Resource {
                name: name.to_owned(),
                data: data.to_vec(),
            })
        })
        .collect()
}
