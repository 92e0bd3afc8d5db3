//! [`RpmHeader`]: one header structure of an `.rpm` read back, its index checked against its
//! data store once so that every value decodes without further checks.

use std::io::Read;

use super::{RpmError, read_exact};
use crate::Error;

/// Header magic, version 1, four reserved bytes.
const MAGIC: [u8; 8] = [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
/// The most index entries read (rpm's `HEADER_TAGS_MAX`).
pub(crate) const MAX_ENTRIES: u32 = 0xffff;
/// The largest data store read (rpm's `HEADER_DATA_MAX`, 256 MiB).
pub(crate) const MAX_DATA: u32 = 0x0fff_ffff;
/// The region tags (`HEADER_IMAGE`, `HEADER_SIGNATURES`, `HEADER_IMMUTABLE`): the first entry
/// of a header, pointing at a trailer rather than at data of its own.
const REGION_TAGS: [u32; 3] = [61, 62, 63];

/// The data type of a header entry (rpm's `rpmTagType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TagType {
    /// Bytes (type 1, `CHAR`).
    Char,
    /// Unsigned bytes (type 2, `INT8`).
    Int8,
    /// Big-endian 16-bit integers (type 3).
    Int16,
    /// Big-endian 32-bit integers (type 4).
    Int32,
    /// Big-endian 64-bit integers (type 5).
    Int64,
    /// One NUL-terminated string (type 6).
    String,
    /// Opaque bytes (type 7, `BIN`).
    Bin,
    /// NUL-terminated strings (type 8).
    StringArray,
    /// NUL-terminated strings, one per locale of the header's `HEADERI18NTABLE` (type 9).
    I18nString,
}

impl TagType {
    /// The type of number `n` in an index entry.
    fn from_number(n: u32) -> Option<TagType> {
        Some(match n {
            1 => TagType::Char,
            2 => TagType::Int8,
            3 => TagType::Int16,
            4 => TagType::Int32,
            5 => TagType::Int64,
            6 => TagType::String,
            7 => TagType::Bin,
            8 => TagType::StringArray,
            9 => TagType::I18nString,
            _ => return None,
        })
    }

    /// The size of one fixed-size value (1 for bytes), `None` for strings.
    fn width(self) -> Option<usize> {
        match self {
            TagType::Char | TagType::Int8 | TagType::Bin => Some(1),
            TagType::Int16 => Some(2),
            TagType::Int32 => Some(4),
            TagType::Int64 => Some(8),
            TagType::String | TagType::StringArray | TagType::I18nString => None,
        }
    }
}

/// One entry of a header's index: which tag, its type, how many values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeaderEntry {
    /// The tag number (`1000` is the package name; see rpm's `rpmtag.h`).
    pub tag: u32,
    /// The data type.
    pub kind: TagType,
    /// How many values (bytes for `Char`, `Int8` and `Bin`).
    pub count: u32,
    /// Where its data starts in the data store.
    offset: u32,
    /// How many bytes of the data store it spans.
    len: u32,
}

/// The value of a header entry, borrowed from the header.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TagValue<'h> {
    /// `Char` values.
    Char(&'h [u8]),
    /// `Int8` values.
    Int8(&'h [u8]),
    /// `Int16` values.
    Int16(Vec<u16>),
    /// `Int32` values.
    Int32(Vec<u32>),
    /// `Int64` values.
    Int64(Vec<u64>),
    /// A string.
    String(&'h str),
    /// Opaque bytes.
    Bin(&'h [u8]),
    /// Strings.
    StringArray(Vec<&'h str>),
    /// Strings, one per locale.
    I18nString(Vec<&'h str>),
}

/// A header of an `.rpm` (the signature header or the main header), as read.
///
/// Reading checks what rpm checks before it trusts an index: at most 65535 entries and
/// 256 MiB of data (rpm's limits), known types, a count of at least one (exactly one for a
/// string), integers aligned to their size, every value inside the data store, entries after
/// the region tag laid out in index order without overlap, strings NUL-terminated and UTF-8.
/// The header keeps its bytes as read ([`RpmHeader::as_bytes`], what its digest and signature
/// cover) and decodes values when asked, so memory stays the size of the header.
///
/// ```
/// use consign_core::{ArtifactWriter, FileTree, PackageMeta, SourceDate};
/// use consign_package::rpm::{Rpm, RpmPackage, TagType, TagValue};
///
/// let meta = PackageMeta::new("hello", "1.0")?.description("Hello\nSays hello.").license("MIT");
/// let tree = FileTree::new();
/// let rpm = Rpm::new(&tree, &meta, "x86_64-unknown-linux-gnu".parse()?, SourceDate::from_unix(0));
/// let mut bytes = Vec::new();
/// rpm.write_to(&mut bytes)?;
///
/// let package = RpmPackage::read(&bytes[..])?;
/// let header = package.headers.header();
/// assert_eq!(header.string(1000), Some("hello")); // RPMTAG_NAME
/// assert_eq!(header.entry(1000).map(|e| e.kind), Some(TagType::String));
/// assert_eq!(header.value(1021), Some(TagValue::String("linux"))); // RPMTAG_OS
/// assert_eq!(header.int32(1006), Some(0)); // RPMTAG_BUILDTIME
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpmHeader {
    /// The whole header: magic, index, data store.
    bytes: Vec<u8>,
    /// The index, as in the file (sorted by tag when rpm wrote it).
    entries: Vec<HeaderEntry>,
}

impl RpmHeader {
    /// Reads one header from `reader`; `part` names it in errors.
    pub(crate) fn read(reader: &mut impl Read, part: &'static str) -> Result<RpmHeader, Error> {
        let mut intro = [0u8; 16];
        read_exact(reader, &mut intro, part)?;
        if intro[..8] != MAGIC {
            return Err(malformed(part, "it does not start with the header magic"));
        }
        let il = be32(&intro, 8);
        let dl = be32(&intro, 12);
        if il == 0 {
            return Err(malformed(part, "it has no index entries"));
        }
        if il > MAX_ENTRIES {
            return Err(RpmError::TooLarge {
                what: index_name(part),
                size: u64::from(il),
            }
            .into());
        }
        if dl > MAX_DATA {
            return Err(RpmError::TooLarge {
                what: data_name(part),
                size: u64::from(dl),
            }
            .into());
        }
        // Both fit the limits above: at most 1 MiB of index and 256 MiB of data, and only as
        // many bytes as the reader really holds are ever allocated.
        let rest = il as usize * 16 + dl as usize;
        let mut bytes = Vec::with_capacity(16 + rest.min(1 << 16));
        bytes.extend_from_slice(&intro);
        let got = reader
            .take(rest as u64)
            .read_to_end(&mut bytes)
            .map_err(|source| RpmError::Read { source })?;
        if got < rest {
            return Err(RpmError::Truncated { part }.into());
        }
        let entries = index(&bytes, il as usize, dl as usize, part)?;
        Ok(RpmHeader { bytes, entries })
    }

    /// The header's bytes, exactly as read: magic, index and data store (what the
    /// signature header's digests and signatures of the main header cover).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Every index entry, in the file's order.
    pub fn entries(&self) -> &[HeaderEntry] {
        &self.entries
    }

    /// The entry for `tag`, the first one if the header repeats it.
    pub fn entry(&self, tag: u32) -> Option<&HeaderEntry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    /// The value of `tag`.
    pub fn value(&self, tag: u32) -> Option<TagValue<'_>> {
        self.entry(tag).map(|e| self.decode(e))
    }

    /// Every entry with its value, in the file's order.
    pub fn values(&self) -> impl Iterator<Item = (&HeaderEntry, TagValue<'_>)> {
        self.entries.iter().map(|e| (e, self.decode(e)))
    }

    /// The value of `entry`, one of this header's entries (checked when it was read).
    fn decode(&self, entry: &HeaderEntry) -> TagValue<'_> {
        let data = &self.bytes[16 + self.entries.len() * 16..];
        let raw = &data[entry.offset as usize..][..entry.len as usize];
        let ints = |w: usize| raw.chunks_exact(w);
        // The index was checked: strings are UTF-8, integers whole.
        let strings = || -> Vec<&str> {
            raw.split(|&b| b == 0)
                .take(entry.count as usize)
                .map(|s| std::str::from_utf8(s).unwrap_or_default())
                .collect()
        };
        match entry.kind {
            TagType::Char => TagValue::Char(raw),
            TagType::Int8 => TagValue::Int8(raw),
            TagType::Bin => TagValue::Bin(raw),
            TagType::Int16 => {
                TagValue::Int16(ints(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect())
            }
            TagType::Int32 => TagValue::Int32(ints(4).map(|c| be32(c, 0)).collect()),
            TagType::Int64 => TagValue::Int64(
                ints(8)
                    .map(|c| (u64::from(be32(c, 0)) << 32) | u64::from(be32(c, 4)))
                    .collect(),
            ),
            TagType::String => TagValue::String(strings().first().copied().unwrap_or_default()),
            TagType::StringArray => TagValue::StringArray(strings()),
            TagType::I18nString => TagValue::I18nString(strings()),
        }
    }

    /// The string value of `tag`: a `String`, or the first of a `StringArray` or
    /// `I18nString` (its default locale).
    pub fn string(&self, tag: u32) -> Option<&str> {
        match self.value(tag)? {
            TagValue::String(s) => Some(s),
            TagValue::StringArray(v) | TagValue::I18nString(v) => v.first().copied(),
            _ => None,
        }
    }

    /// The strings of `tag`: a `String` counts as one.
    pub fn strings(&self, tag: u32) -> Option<Vec<&str>> {
        match self.value(tag)? {
            TagValue::String(s) => Some(vec![s]),
            TagValue::StringArray(v) | TagValue::I18nString(v) => Some(v),
            _ => None,
        }
    }

    /// The first value of an `Int32` tag.
    pub fn int32(&self, tag: u32) -> Option<u32> {
        match self.value(tag)? {
            TagValue::Int32(v) => v.first().copied(),
            _ => None,
        }
    }

    /// The first value of an `Int64` tag, or of an `Int32` one widened.
    pub fn int64(&self, tag: u32) -> Option<u64> {
        match self.value(tag)? {
            TagValue::Int64(v) => v.first().copied(),
            TagValue::Int32(v) => v.first().map(|&x| u64::from(x)),
            _ => None,
        }
    }

    /// The bytes of a `Bin` tag.
    pub fn bin(&self, tag: u32) -> Option<&[u8]> {
        match self.value(tag)? {
            TagValue::Bin(b) => Some(b),
            _ => None,
        }
    }
}

/// Decodes and checks the index of `bytes` (a header of `il` entries and `dl` data bytes).
fn index(
    bytes: &[u8],
    il: usize,
    dl: usize,
    part: &'static str,
) -> Result<Vec<HeaderEntry>, Error> {
    let data = &bytes[16 + il * 16..];
    let mut entries = Vec::with_capacity(il);
    // Where the previous entry's data ends: each entry after the region starts at or past it.
    let mut end = 0usize;
    for i in 0..il {
        let at = 16 + i * 16;
        let tag = be32(bytes, at);
        let bad = |reason: String| malformed(part, &format!("tag {tag}: {reason}"));
        let kind = TagType::from_number(be32(bytes, at + 4))
            .ok_or_else(|| bad(format!("unknown data type {}", be32(bytes, at + 4))))?;
        let offset = be32(bytes, at + 8);
        let count = be32(bytes, at + 12);
        // Offsets are signed in the format: a negative one reads as past the data store.
        let start = offset as usize;
        if count == 0 || (kind == TagType::String && count != 1) {
            return Err(bad(format!("{count} values of type {kind:?}")));
        }
        if start >= dl {
            return Err(bad(format!(
                "data at {offset}, past the {dl}-byte data store"
            )));
        }
        let len = match kind.width() {
            Some(width) => {
                if !start.is_multiple_of(width) {
                    return Err(bad(format!("{kind:?} data at {offset} is not aligned")));
                }
                let len = (count as usize)
                    .checked_mul(width)
                    .filter(|n| start + n <= dl);
                len.ok_or_else(|| bad(format!("{count} values overrun the data store")))?
            }
            None => {
                strings_len(&data[start..dl], count).map_err(|reason| bad(reason.to_owned()))?
            }
        };
        let region = i == 0 && REGION_TAGS.contains(&tag);
        if !region {
            if start < end {
                return Err(bad("its data overlaps the previous entry's".to_owned()));
            }
            end = start + len;
        }
        entries.push(HeaderEntry {
            tag,
            kind,
            count,
            offset,
            // At most the data store's size, which fits 32 bits.
            len: len as u32,
        });
    }
    Ok(entries)
}

/// The length of `count` NUL-terminated UTF-8 strings at the start of `data`.
fn strings_len(data: &[u8], count: u32) -> Result<usize, &'static str> {
    let mut len = 0;
    for _ in 0..count {
        let rest = &data[len..];
        let nul = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or("a string runs past the data store")?;
        std::str::from_utf8(&rest[..nul]).map_err(|_| "a string is not UTF-8")?;
        len += nul + 1;
    }
    Ok(len)
}

pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(crate) fn malformed(part: &'static str, reason: &str) -> Error {
    RpmError::Malformed {
        part,
        reason: reason.to_owned(),
    }
    .into()
}

fn index_name(part: &'static str) -> &'static str {
    if part == super::SIGNATURE {
        "signature header index"
    } else {
        "main header index"
    }
}

fn data_name(part: &'static str) -> &'static str {
    if part == super::SIGNATURE {
        "signature header data"
    } else {
        "main header data"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpm::header::{Header, Value};

    /// A header of the given index entries (tag, type, offset, count) and data store.
    fn raw(entries: &[(u32, u32, i32, u32)], data: &[u8]) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        b.extend_from_slice(&(data.len() as u32).to_be_bytes());
        for &(tag, ty, off, count) in entries {
            for v in [tag, ty, off as u32, count] {
                b.extend_from_slice(&v.to_be_bytes());
            }
        }
        b.extend_from_slice(data);
        b
    }

    fn read(bytes: &[u8]) -> Result<RpmHeader, Error> {
        RpmHeader::read(&mut &bytes[..], "main header")
    }

    fn reason(bytes: &[u8]) -> String {
        match read(bytes) {
            Err(Error::Rpm(RpmError::Malformed { reason, .. })) => reason,
            other => panic!("expected a malformed header, got {other:?}"),
        }
    }

    #[test]
    fn reads_back_what_the_writer_encodes() {
        let mut h = Header::new(63);
        h.string(1000, "hello");
        h.put(1030, Value::Int16(vec![0o100644, 0o40755]));
        h.int32(1006, 7);
        h.int64(5009, 1 << 40);
        h.strings(1117, vec!["x".into(), "".into(), "yz".into()]);
        h.i18n(1004, "Summary");
        h.put(1008, Value::Bin(vec![1, 2, 3]));
        let bytes = h.encode().unwrap();
        let back = read(&bytes).unwrap();
        assert_eq!(back.as_bytes(), &bytes[..]);
        assert_eq!(back.entries().len(), 8);
        assert_eq!(back.entries()[0].tag, 63);
        assert_eq!(back.string(1000), Some("hello"));
        assert_eq!(
            back.value(1030),
            Some(TagValue::Int16(vec![0o100644, 0o40755]))
        );
        assert_eq!(back.int32(1006), Some(7));
        assert_eq!(back.int64(5009), Some(1 << 40));
        assert_eq!(back.int64(1006), Some(7));
        assert_eq!(back.strings(1117), Some(vec!["x", "", "yz"]));
        assert_eq!(
            back.value(1004),
            Some(TagValue::I18nString(vec!["Summary"]))
        );
        assert_eq!(back.bin(1008), Some(&[1u8, 2, 3][..]));
        assert_eq!(back.value(1001), None);
        assert_eq!(back.int32(1000), None, "a string is not an integer");
        // The reader stops at the header's end.
        let mut more = bytes.clone();
        more.extend_from_slice(b"payload");
        let mut input = &more[..];
        RpmHeader::read(&mut input, "main header").unwrap();
        assert_eq!(input, b"payload");
    }

    #[test]
    fn refuses_what_rpm_refuses() {
        let ok = raw(&[(1000, 6, 0, 1), (1006, 4, 4, 1)], b"abc\0\0\0\0\x07");
        assert_eq!(read(&ok).unwrap().int32(1006), Some(7));

        assert!(reason(&raw(&[], b"")).contains("no index entries"));
        let mut bad_magic = ok.clone();
        bad_magic[3] = 2;
        assert!(reason(&bad_magic).contains("magic"));
        assert!(reason(&raw(&[(1000, 10, 0, 1)], b"a\0")).contains("unknown data type"));
        assert!(reason(&raw(&[(1000, 0, 0, 1)], b"a\0")).contains("unknown data type"));
        assert!(reason(&raw(&[(1000, 4, 0, 0)], b"\0\0\0\0")).contains("0 values"));
        assert!(reason(&raw(&[(1000, 6, 0, 2)], b"a\0b\0")).contains("2 values"));
        assert!(reason(&raw(&[(1000, 4, 4, 1)], b"\0\0\0\0")).contains("past"));
        assert!(reason(&raw(&[(1000, 4, -4, 1)], b"\0\0\0\0")).contains("past"));
        assert!(reason(&raw(&[(1000, 4, 2, 1)], b"\0\0\0\0\0\0\0\0")).contains("aligned"));
        assert!(reason(&raw(&[(1000, 4, 0, 3)], b"\0\0\0\0\0\0\0\0")).contains("overrun"));
        assert!(reason(&raw(&[(1000, 5, 0, u32::MAX)], &[0; 8])).contains("overrun"));
        assert!(reason(&raw(&[(1000, 8, 0, 3)], b"a\0b\0")).contains("runs past"));
        assert!(reason(&raw(&[(1000, 6, 0, 1)], b"\xff\0")).contains("UTF-8"));
        let overlap = raw(&[(1000, 6, 0, 1), (1001, 6, 1, 1)], b"abc\0");
        assert!(reason(&overlap).contains("overlaps"));
        // The region entry points at the trailer, after the other entries' data.
        let region = raw(&[(63, 7, 4, 4), (1000, 6, 0, 1)], b"abc\0\0\0\0\0");
        assert_eq!(read(&region).unwrap().string(1000), Some("abc"));

        let mut huge = raw(&[(1000, 6, 0, 1)], b"a\0");
        huge[8..12].copy_from_slice(&(MAX_ENTRIES + 1).to_be_bytes());
        assert!(matches!(
            read(&huge),
            Err(Error::Rpm(RpmError::TooLarge { size: 65536, .. }))
        ));
        huge[8..12].copy_from_slice(&1u32.to_be_bytes());
        huge[12..16].copy_from_slice(&(MAX_DATA + 1).to_be_bytes());
        assert!(matches!(
            read(&huge),
            Err(Error::Rpm(RpmError::TooLarge { .. }))
        ));
        // Announced but absent: refused without allocating what was announced.
        huge[12..16].copy_from_slice(&MAX_DATA.to_be_bytes());
        assert!(matches!(
            read(&huge),
            Err(Error::Rpm(RpmError::Truncated { .. }))
        ));
        for cut in 0..ok.len() {
            assert!(matches!(
                read(&ok[..cut]),
                Err(Error::Rpm(RpmError::Truncated { .. }))
            ));
        }
    }
}
