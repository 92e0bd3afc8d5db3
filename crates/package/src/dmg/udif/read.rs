//! [`UdifImage`]: opens a UDIF image, checks its structure, and streams out its raw disk
//! while checking every checksum.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::blkx::{Table, parse_plist};
use super::koly::{KOLY_LEN, Koly};
use super::{DmgFormat, SECTOR, UdifError, kind};

/// The largest property list read: 40 bytes of table per MiB of disk, in base64, stay far
/// below it for any disk that exists.
const XML_MAX: u64 = 1 << 30;

/// The buffer for streaming data.
const BUF: usize = 64 * 1024;

/// A UDIF disk image (`.dmg`), opened and checked: its trailer, its property list and every
/// partition's block table. [`UdifImage::copy_raw`] streams the raw disk out, checking each
/// partition's CRC-32, the master checksum and the data fork's CRC-32.
///
/// ```
/// use std::io::Cursor;
/// use consign_package::dmg::{UdifError, UdifImage};
///
/// // Anything without a `koly` trailer is refused with a typed error.
/// let err = UdifImage::open(Cursor::new(vec![0u8; 4096])).err();
/// assert!(matches!(err, Some(UdifError::NotUdif { .. })));
/// // So is a file too short to hold one.
/// let err = UdifImage::open(Cursor::new(b"koly".to_vec())).err();
/// assert!(matches!(err, Some(UdifError::NotUdif { .. })));
/// ```
///
/// Checking an image on disk and writing out its raw disk:
///
/// ```no_run
/// use std::fs::File;
/// use std::io::BufReader;
/// use consign_package::dmg::UdifImage;
///
/// let mut image = UdifImage::open(BufReader::new(File::open("app.dmg")?))?;
/// for partition in image.partitions() {
///     println!("{}: {} sectors", partition.name, partition.sectors);
/// }
/// println!("format {:?}, {} sectors", image.format(), image.sectors());
/// let bytes = image.copy_raw(File::create("app.img")?)?;
/// assert_eq!(bytes, image.sectors() * 512);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct UdifImage<R> {
    reader: R,
    pub(super) koly: Koly,
    pub(super) tables: Vec<Table>,
    partitions: Vec<UdifPartition>,
}

/// A partition of a UDIF image: its `blkx` name and sector range.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UdifPartition {
    /// The `Name` (or `CFName`) of its `blkx` resource, as `whole disk (Apple_HFS : 0)`.
    pub name: String,
    /// Its first 512-byte sector on the disk.
    pub first_sector: u64,
    /// Its length in 512-byte sectors.
    pub sectors: u64,
}

impl<R: Read + Seek> UdifImage<R> {
    /// Reads and checks the trailer (signature, version, sizes within the file), the XML
    /// property list and every `blkx` table (chunks in order, sectors contiguous, data inside
    /// the data fork; partitions one after the other, covering the trailer's sector count).
    pub fn open(mut reader: R) -> Result<UdifImage<R>, UdifError> {
        let len = reader.seek(SeekFrom::End(0))?;
        let koly_at = len.checked_sub(KOLY_LEN as u64).ok_or(UdifError::NotUdif {
            reason: "the file is shorter than a 512-byte trailer",
        })?;
        reader.seek(SeekFrom::Start(koly_at))?;
        let mut raw = [0u8; KOLY_LEN];
        reader.read_exact(&mut raw)?;
        let koly = Koly::parse(&raw, koly_at)?;
        if koly.xml_length > XML_MAX {
            return Err(UdifError::Trailer {
                field: "XML length",
                value: koly.xml_length,
                reason: "larger than any property list of a UDIF image (1 GiB)",
            });
        }
        reader.seek(SeekFrom::Start(koly.xml_offset))?;
        let mut xml = Vec::new();
        (&mut reader).take(koly.xml_length).read_to_end(&mut xml)?;
        let resources = parse_plist(&xml)?;
        drop(xml);
        if resources.is_empty() {
            return Err(UdifError::Plist {
                reason: "its `blkx` array is empty",
                source: None,
            });
        }
        let fork_end = koly.data_fork_length;
        let mut tables = Vec::with_capacity(resources.len());
        let mut partitions = Vec::with_capacity(resources.len());
        let mut next = 0u64;
        for (index, resource) in resources.into_iter().enumerate() {
            let table = Table::parse(&resource.data, index, fork_end)?;
            if table.first_sector != next {
                return Err(UdifError::Table {
                    partition: index,
                    reason: "it does not start where the previous partition ends",
                });
            }
            next = next.checked_add(table.sectors).ok_or(UdifError::Table {
                partition: index,
                reason: "its sectors run past any disk size",
            })?;
            partitions.push(UdifPartition {
                name: resource.name,
                first_sector: table.first_sector,
                sectors: table.sectors,
            });
            tables.push(table);
        }
        if next != koly.sectors {
            return Err(UdifError::Trailer {
                field: "sector count",
                value: koly.sectors,
                reason: "differs from the sectors of the partitions",
            });
        }
        Ok(UdifImage {
            reader,
            koly,
            tables,
            partitions,
        })
    }

    /// The disk's size in 512-byte sectors.
    pub fn sectors(&self) -> u64 {
        self.koly.sectors
    }

    /// The format of the chunks: [`DmgFormat::Udzo`] when they are zlib, raw or zero,
    /// [`DmgFormat::Udbz`] when bzip2, raw or zero, [`DmgFormat::Udro`] when raw or zero
    /// only (compressed images store the chunks that do not shrink raw); `None` when zlib
    /// and bzip2 mix, or another codec is used.
    pub fn format(&self) -> Option<DmgFormat> {
        let (mut zlib, mut bzip2) = (false, false);
        for entry in self.tables.iter().flat_map(|t| &t.entries) {
            match entry.kind {
                kind::ZLIB => zlib = true,
                kind::BZIP2 => bzip2 = true,
                kind::RAW | kind::ZERO | kind::IGNORE => {}
                _ => return None,
            }
        }
        match (zlib, bzip2) {
            (true, true) => None,
            (true, false) => Some(DmgFormat::Udzo),
            (false, true) => Some(DmgFormat::Udbz),
            (false, false) => Some(DmgFormat::Udro),
        }
    }

    /// The partitions, in disk order.
    pub fn partitions(&self) -> &[UdifPartition] {
        &self.partitions
    }

    /// Streams the raw disk (every partition's chunks, decompressed, in order) to `out` and
    /// returns the bytes written (`sectors() * 512`). The master checksum and the data
    /// fork's CRC-32 are checked before anything is written; each partition's CRC-32 as
    /// its last chunk is written (so `out` may hold bad bytes when that check fails).
    /// Memory stays bounded: data passes through a 64 KiB buffer.
    pub fn copy_raw(&mut self, mut out: impl Write) -> Result<u64, UdifError> {
        self.check_master()?;
        self.check_data_fork()?;
        let mut buf = vec![0u8; BUF];
        let mut written = 0u64;
        for (partition, table) in self.tables.iter().enumerate() {
            let mut crc = crc32fast::Hasher::new();
            for (index, entry) in table.entries.iter().enumerate() {
                let at = ChunkAt { partition, index };
                let size = entry
                    .sectors
                    .checked_mul(SECTOR)
                    .ok_or(at.error("its sector count is too large"))?;
                let start = self
                    .koly
                    .data_fork_offset
                    .checked_add(table.data_offset)
                    .and_then(|o| o.checked_add(entry.offset))
                    .ok_or(at.error("its data lies outside the file"))?;
                let mut sink = Sink {
                    out: &mut out,
                    crc: &mut crc,
                    counted: entry.kind != kind::IGNORE,
                    left: size,
                };
                match entry.kind {
                    kind::ZERO | kind::IGNORE => {
                        buf.fill(0);
                        while sink.left > 0 {
                            let n = usize::try_from(sink.left).unwrap_or(BUF).min(BUF);
                            sink.put(&buf[..n], at)?;
                        }
                    }
                    kind::RAW => {
                        self.reader.seek(SeekFrom::Start(start))?;
                        let data = (&mut self.reader).take(entry.length);
                        copy_chunk(data, &mut sink, &mut buf, at, "raw")?;
                    }
                    kind::ZLIB => {
                        self.reader.seek(SeekFrom::Start(start))?;
                        let data = (&mut self.reader).take(entry.length);
                        let mut z = flate2::read::ZlibDecoder::new(data);
                        copy_chunk(&mut z, &mut sink, &mut buf, at, "zlib")?;
                        if z.total_in() != entry.length {
                            return Err(at.error("its zlib stream ends before its data does"));
                        }
                    }
                    kind::BZIP2 => {
                        self.reader.seek(SeekFrom::Start(start))?;
                        let data = (&mut self.reader).take(entry.length);
                        let mut bz = bzip2::read::BzDecoder::new(data);
                        copy_chunk(&mut bz, &mut sink, &mut buf, at, "bzip2")?;
                        if bz.total_in() != entry.length {
                            return Err(at.error("its bzip2 stream ends before its data does"));
                        }
                    }
                    other => {
                        return Err(UdifError::Codec {
                            partition,
                            index,
                            kind: other,
                        });
                    }
                }
                written = written.saturating_add(size);
            }
            let actual = crc.finalize();
            if let Some(expected) = table.checksum.as_crc32()
                && expected != actual
            {
                return Err(UdifError::Checksum {
                    what: format!("partition {partition}"),
                    expected,
                    actual,
                });
            }
        }
        Ok(written)
    }

    /// The master checksum: CRC-32 of each partition's checksum value, in order.
    fn check_master(&self) -> Result<(), UdifError> {
        let Some(expected) = self.koly.master_checksum.as_crc32() else {
            return Ok(());
        };
        let mut crc = crc32fast::Hasher::new();
        for table in &self.tables {
            // 7-Zip skips the check when a value is not whole bytes; so does this.
            let Some(value) = table.checksum.value_bytes() else {
                return Ok(());
            };
            crc.update(value);
        }
        let actual = crc.finalize();
        if actual != expected {
            return Err(UdifError::Checksum {
                what: "master".into(),
                expected,
                actual,
            });
        }
        Ok(())
    }

    /// The data fork's CRC-32.
    fn check_data_fork(&mut self) -> Result<(), UdifError> {
        let Some(expected) = self.koly.data_checksum.as_crc32() else {
            return Ok(());
        };
        self.reader
            .seek(SeekFrom::Start(self.koly.data_fork_offset))?;
        let mut fork = (&mut self.reader).take(self.koly.data_fork_length);
        let mut crc = crc32fast::Hasher::new();
        let mut buf = vec![0u8; BUF];
        let mut read = 0u64;
        loop {
            let n = match fork.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            crc.update(&buf[..n]);
            read += n as u64;
        }
        if read != self.koly.data_fork_length {
            return Err(UdifError::NotUdif {
                reason: "the file ends inside its data fork",
            });
        }
        let actual = crc.finalize();
        if actual != expected {
            return Err(UdifError::Checksum {
                what: "data fork".into(),
                expected,
                actual,
            });
        }
        Ok(())
    }
}

/// Where a chunk is, for its errors.
#[derive(Clone, Copy)]
struct ChunkAt {
    partition: usize,
    index: usize,
}

impl ChunkAt {
    fn error(self, reason: &'static str) -> UdifError {
        UdifError::Chunk {
            partition: self.partition,
            index: self.index,
            reason,
        }
    }
}

/// Where a chunk's bytes go: `out`, and the partition's CRC when the run counts.
struct Sink<'a, W> {
    out: &'a mut W,
    crc: &'a mut crc32fast::Hasher,
    counted: bool,
    /// The bytes the chunk has yet to produce.
    left: u64,
}

impl<W: Write> Sink<'_, W> {
    fn put(&mut self, data: &[u8], at: ChunkAt) -> Result<(), UdifError> {
        let n = data.len() as u64;
        if n > self.left {
            return Err(at.error("it decodes to more bytes than its sectors hold"));
        }
        self.left -= n;
        if self.counted {
            self.crc.update(data);
        }
        self.out
            .write_all(data)
            .map_err(|source| UdifError::Output { source })
    }
}

/// Reads a chunk's decoded bytes into `sink` until the decoder ends; the chunk must fill its
/// sectors exactly. A decoder's error is the chunk's (`Decode`), unless it is a read error
/// of the file itself.
fn copy_chunk<W: Write>(
    mut data: impl Read,
    sink: &mut Sink<'_, W>,
    buf: &mut [u8],
    at: ChunkAt,
    codec: &'static str,
) -> Result<(), UdifError> {
    loop {
        let n = match data.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) if is_data_error(&source) => {
                return Err(UdifError::Decode {
                    partition: at.partition,
                    index: at.index,
                    codec,
                    source,
                });
            }
            Err(source) => return Err(UdifError::Io { source }),
        };
        sink.put(&buf[..n], at)?;
    }
    if sink.left != 0 {
        return Err(at.error("it decodes to fewer bytes than its sectors hold"));
    }
    Ok(())
}

/// Whether a decoder's error is about its input's bytes (rather than reading them).
fn is_data_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof
    ) || e.get_ref().is_some()
}
