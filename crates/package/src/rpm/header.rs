//! The rpm header structure: an index of typed, tagged entries and their data store, wrapped
//! in one immutable region.
//!
//! Layout (all integers big-endian):
//!
//! ```text
//! magic 8e ad e8 01 00 00 00 00 | index count (u32) | data length (u32)
//! index: (tag, type, offset, count) × count, sorted by tag, the region tag first
//! data:  each entry's values, in index order, integers aligned to their size,
//!        strings NUL-terminated; last, the 16-byte region trailer
//!        (region tag, BIN, -(index count × 16), 16)
//! ```
//!
//! rpm requires the region to span the whole header, entry data in index order without
//! overlap, and counts of at least one, so empty arrays are never stored.

use std::collections::BTreeMap;

use super::tags::Type;

const MAGIC: [u8; 8] = [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
const ENTRY: usize = 16;
/// rpm refuses headers whose data store exceeds this (`HEADER_DATA_MAX`).
const DATA_MAX: usize = 0x0fff_ffff;
/// rpm refuses headers with more entries than this (`HEADER_TAGS_MAX`).
const TAGS_MAX: usize = 0xffff;

/// The values of one header entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Int16(Vec<u16>),
    Int32(Vec<u32>),
    Int64(Vec<u64>),
    String(String),
    Bin(Vec<u8>),
    StringArray(Vec<String>),
    I18nString(String),
}

impl Value {
    pub(crate) fn data_type(&self) -> Type {
        match self {
            Value::Int16(_) => Type::Int16,
            Value::Int32(_) => Type::Int32,
            Value::Int64(_) => Type::Int64,
            Value::String(_) => Type::String,
            Value::Bin(_) => Type::Bin,
            Value::StringArray(_) => Type::StringArray,
            Value::I18nString(_) => Type::I18nString,
        }
    }

    fn count(&self) -> usize {
        match self {
            Value::Int16(v) => v.len(),
            Value::Int32(v) => v.len(),
            Value::Int64(v) => v.len(),
            Value::Bin(v) => v.len(),
            Value::StringArray(v) => v.len(),
            Value::String(_) | Value::I18nString(_) => 1,
        }
    }

    fn strings(&self) -> &[String] {
        match self {
            Value::String(s) | Value::I18nString(s) => std::slice::from_ref(s),
            Value::StringArray(v) => v,
            _ => &[],
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Value::Int16(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
            Value::Int32(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
            Value::Int64(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
            Value::Bin(v) => out.extend_from_slice(v),
            Value::String(_) | Value::I18nString(_) | Value::StringArray(_) => {
                for s in self.strings() {
                    out.extend_from_slice(s.as_bytes());
                    out.push(0);
                }
            }
        }
    }
}

/// Why a header could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EncodeError {
    /// A string holds a NUL byte, which would end it early.
    Nul { tag: u32, value: String },
    /// More data or entries than rpm reads.
    TooLarge { entries: usize, data: usize },
}

/// A header under construction: entries keyed (and so sorted) by tag.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    region: u32,
    entries: BTreeMap<u32, Value>,
}

impl Header {
    /// An empty header whose region tag is `region` (62 for the signature, 63 for the main
    /// header).
    pub(crate) fn new(region: u32) -> Header {
        Header {
            region,
            entries: BTreeMap::new(),
        }
    }

    /// Sets `tag`; empty arrays are left out (rpm refuses a count of zero).
    pub(crate) fn put(&mut self, tag: u32, value: Value) {
        if value.count() > 0 {
            self.entries.insert(tag, value);
        } else {
            self.entries.remove(&tag);
        }
    }

    pub(crate) fn string(&mut self, tag: u32, value: impl Into<String>) {
        self.put(tag, Value::String(value.into()));
    }

    pub(crate) fn i18n(&mut self, tag: u32, value: impl Into<String>) {
        self.put(tag, Value::I18nString(value.into()));
    }

    pub(crate) fn int32(&mut self, tag: u32, value: u32) {
        self.put(tag, Value::Int32(vec![value]));
    }

    pub(crate) fn int64(&mut self, tag: u32, value: u64) {
        self.put(tag, Value::Int64(vec![value]));
    }

    pub(crate) fn strings(&mut self, tag: u32, values: Vec<String>) {
        self.put(tag, Value::StringArray(values));
    }

    /// The entries, in tag order.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> impl Iterator<Item = (u32, &Value)> {
        self.entries.iter().map(|(t, v)| (*t, v))
    }

    /// Encodes the header, region included.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        for (&tag, value) in &self.entries {
            if let Some(s) = value.strings().iter().find(|s| s.contains('\0')) {
                return Err(EncodeError::Nul {
                    tag,
                    value: s.clone(),
                });
            }
        }
        let count = self.entries.len() + 1;
        let mut index = Vec::with_capacity(count * ENTRY);
        let mut data = Vec::new();
        for (&tag, value) in &self.entries {
            let ty = value.data_type();
            data.resize(data.len().next_multiple_of(ty.align()), 0);
            push_entry(&mut index, tag, ty, data.len() as i64, value.count());
            value.encode(&mut data);
        }
        // The trailer closes the region: it covers every entry, so it is the last 16 bytes.
        let trailer_at = data.len();
        push_entry(
            &mut data,
            self.region,
            Type::Bin,
            -((count * ENTRY) as i64),
            ENTRY,
        );
        if count > TAGS_MAX || data.len() > DATA_MAX {
            return Err(EncodeError::TooLarge {
                entries: count,
                data: data.len(),
            });
        }
        let mut out = Vec::with_capacity(16 + count * ENTRY + data.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&(count as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        push_entry(&mut out, self.region, Type::Bin, trailer_at as i64, ENTRY);
        out.extend_from_slice(&index);
        out.extend_from_slice(&data);
        Ok(out)
    }
}

/// Appends one 16-byte index entry (also the shape of the region trailer). Offsets and counts
/// fit in 32 bits once the size checks pass; they are truncated only in headers `encode`
/// refuses anyway.
fn push_entry(out: &mut Vec<u8>, tag: u32, ty: Type, offset: i64, count: usize) {
    out.extend_from_slice(&tag.to_be_bytes());
    out.extend_from_slice(&(ty as u32).to_be_bytes());
    out.extend_from_slice(&(offset as i32).to_be_bytes());
    out.extend_from_slice(&(count as u32).to_be_bytes());
}

/// Zero bytes that bring `len` to a multiple of 8 (after the signature header).
pub(crate) fn padding_to_8(len: usize) -> usize {
    len.next_multiple_of(8) - len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be32(b: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
    }

    /// Decodes (tag, type, offset, count) of every index entry.
    fn index(b: &[u8]) -> Vec<(u32, u32, i32, u32)> {
        let n = be32(b, 8) as usize;
        (0..n)
            .map(|i| {
                let at = 16 + i * 16;
                (
                    be32(b, at),
                    be32(b, at + 4),
                    be32(b, at + 8) as i32,
                    be32(b, at + 12),
                )
            })
            .collect()
    }

    #[test]
    fn layout_alignment_and_region() {
        let mut h = Header::new(63);
        // Inserted out of order: the index is sorted by tag.
        h.string(1000, "ab");
        h.put(1030, Value::Int16(vec![0o100644, 0o40755]));
        h.int32(1006, 7);
        h.int64(5009, 1 << 40);
        h.strings(1117, vec!["x".into(), "yz".into()]);
        h.put(1118, Value::StringArray(vec![])); // empty: left out
        let b = h.encode().unwrap();
        assert_eq!(&b[..8], &MAGIC);
        let idx = index(&b);
        let tags: Vec<u32> = idx.iter().map(|e| e.0).collect();
        assert_eq!(tags, [63, 1000, 1006, 1030, 1117, 5009]);
        let dl = be32(&b, 12) as usize;
        let data = &b[16 + idx.len() * 16..];
        assert_eq!(data.len(), dl);
        // name "ab\0" at 0; int32 aligned to 4; int16 right after; strings; int64 aligned to 8.
        assert_eq!(idx[1], (1000, 6, 0, 1));
        assert_eq!(idx[2], (1006, 4, 4, 1));
        assert_eq!(idx[3], (1030, 3, 8, 2));
        assert_eq!(idx[4], (1117, 8, 12, 2));
        assert_eq!(idx[5], (5009, 5, 24, 1));
        assert_eq!(&data[0..3], b"ab\0");
        assert_eq!(data[3], 0, "padding is zero");
        assert_eq!(be32(data, 4), 7);
        assert_eq!(&data[8..12], &[0x81, 0xa4, 0x41, 0xed]);
        assert_eq!(&data[12..17], b"x\0yz\0");
        assert_eq!(&data[24..32], &(1u64 << 40).to_be_bytes());
        // The region entry points at the trailer, which closes the data and covers all entries.
        assert_eq!(idx[0], (63, 7, (dl - 16) as i32, 16));
        let trailer = &data[dl - 16..];
        assert_eq!(be32(trailer, 0), 63);
        assert_eq!(be32(trailer, 4), 7);
        assert_eq!(be32(trailer, 8) as i32, -(idx.len() as i32 * 16));
        assert_eq!(be32(trailer, 12), 16);
    }

    #[test]
    fn every_offset_is_aligned_and_increasing() {
        let mut h = Header::new(62);
        for (i, tag) in (2000..2040).enumerate() {
            match i % 5 {
                0 => h.string(tag, "s".repeat(i)),
                1 => h.put(tag, Value::Int16(vec![1; i])),
                2 => h.put(tag, Value::Int32(vec![2; i])),
                3 => h.put(tag, Value::Int64(vec![3; i])),
                _ => h.put(tag, Value::Bin(vec![4; i])),
            }
        }
        let b = h.encode().unwrap();
        let idx = index(&b);
        let data = &b[16 + idx.len() * 16..];
        let mut end = 0;
        for (tag, ty, off, count) in idx.into_iter().skip(1) {
            let off = off as usize;
            let (align, len) = match ty {
                3 => (2, 2 * count as usize),
                4 => (4, 4 * count as usize),
                5 => (8, 8 * count as usize),
                6 => (1, data[off..].iter().position(|&c| c == 0).unwrap() + 1),
                _ => (1, count as usize),
            };
            assert_eq!(off % align, 0, "tag {tag} misaligned");
            assert!(off >= end, "tag {tag} overlaps the previous entry");
            end = off + len;
        }
        assert_eq!(end, data.len() - 16, "the trailer follows the last entry");
    }

    #[test]
    fn refuses_nul_and_reports_the_tag() {
        let mut h = Header::new(63);
        h.strings(1049, vec!["ok".into(), "bad\0x".into()]);
        assert_eq!(
            h.encode(),
            Err(EncodeError::Nul {
                tag: 1049,
                value: "bad\0x".into()
            })
        );
    }

    #[test]
    fn signature_padding() {
        assert_eq!(padding_to_8(16), 0);
        assert_eq!(padding_to_8(17), 7);
        assert_eq!(padding_to_8(23), 1);
    }
}
