//! [`UdifWriter`]: raw volume bytes in, a UDIF image out, chunks compressed on a worker pool.

use std::collections::VecDeque;
use std::io::{self, Write};

use consign_core::{Algorithm, Digest};

use super::blkx::{Entry, Resource, Table, WHOLE_DEVICE, plist_xml};
use super::koly::{Checksum, Koly, VARIANT_PARTITION};
use super::{CHUNK_BYTES, DmgFormat, SECTOR, kind};
use crate::pool::{Pool, Reply};

/// Chunks in flight per worker: one being compressed, one queued.
const IN_FLIGHT_PER_WORKER: usize = 2;

/// Streams a raw disk image (a whole-volume byte stream, whose size is known up front) into
/// a UDIF image with one partition.
pub(crate) struct UdifWriter<W: Write> {
    fork: Fork<W>,
    name: String,
    /// The bytes the volume has: `sectors * 512`.
    expected: u64,
    /// The bytes taken so far.
    taken: u64,
    chunk: Vec<u8>,
    engine: Engine,
}

/// The data fork as it is written, and the partition's table.
struct Fork<W> {
    out: W,
    table: Table,
    /// CRC-32 of the bytes the partition's runs produce (ignore runs add none).
    partition_crc: crc32fast::Hasher,
    /// CRC-32 of the data fork.
    fork_crc: crc32fast::Hasher,
    /// The data fork's length so far.
    fork_len: u64,
}

/// Where chunks are compressed.
enum Engine {
    /// Not chosen yet: a volume of one chunk is compressed inline, without threads.
    Unstarted { packer: Packer, threads: usize },
    /// On the calling thread.
    Inline(Packer),
    /// On a pool of workers; replies in input order.
    Pool {
        pool: Pool<Vec<u8>, Packed>,
        pending: VecDeque<Reply<Packed>>,
        limit: usize,
    },
}

impl<W: Write> UdifWriter<W> {
    /// Starts an image of `sectors` 512-byte sectors (the bytes written must be exactly
    /// `sectors * 512`) whose one partition is named `partition_name` (for an HFS+ volume,
    /// hdiutil's [`super::WHOLE_DISK_HFS`]). `level` is the compression level (`None`:
    /// [`DmgFormat::default_level`]); `threads` workers compress (1: the calling thread).
    pub(crate) fn new(
        out: W,
        format: DmgFormat,
        level: Option<u32>,
        threads: usize,
        sectors: u64,
        partition_name: &str,
    ) -> io::Result<UdifWriter<W>> {
        let level = format.check_level(level.unwrap_or(format.default_level()))?;
        let expected = sectors.checked_mul(SECTOR).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "too many sectors for a disk image",
            )
        })?;
        Ok(UdifWriter {
            fork: Fork {
                out,
                table: Table {
                    first_sector: 0,
                    sectors,
                    data_offset: 0,
                    descriptor: WHOLE_DEVICE,
                    checksum: Checksum::crc32(0),
                    entries: Vec::new(),
                },
                partition_crc: crc32fast::Hasher::new(),
                fork_crc: crc32fast::Hasher::new(),
                fork_len: 0,
            },
            name: partition_name.to_owned(),
            expected,
            taken: 0,
            chunk: Vec::with_capacity(CHUNK_BYTES.min(usize::try_from(expected).unwrap_or(0))),
            engine: Engine::Unstarted {
                packer: Packer { format, level },
                threads: threads.max(1),
            },
        })
    }

    /// Writes the last chunks, the property list and the `koly` trailer; returns `out`.
    /// Fails (`InvalidInput`) when fewer than `sectors * 512` bytes were written.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        if self.taken != self.expected {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the disk image got {} bytes, {} were announced",
                    self.taken, self.expected
                ),
            ));
        }
        if !self.chunk.is_empty() {
            self.dispatch()?;
        }
        if let Engine::Pool { pending, .. } = &mut self.engine {
            while let Some(reply) = pending.pop_front() {
                let packed = reply.wait()?;
                self.fork.put(packed)?;
            }
        }
        let name = std::mem::take(&mut self.name);
        let f = &mut self.fork;
        let sectors = f.table.sectors;
        f.table.entries.push(Entry {
            kind: kind::TERMINATOR,
            sector: sectors,
            sectors: 0,
            offset: f.fork_len,
            length: 0,
        });
        let partition_crc = std::mem::take(&mut f.partition_crc).finalize();
        f.table.checksum = Checksum::crc32(partition_crc);
        let mish = f.table.to_bytes();
        let master = crc32fast::hash(&partition_crc.to_be_bytes());
        let fork_crc = std::mem::take(&mut f.fork_crc).finalize();
        let xml = plist_xml(&[Resource {
            name,
            data: mish.clone(),
        }])
        .map_err(io::Error::other)?;
        f.out.write_all(&xml)?;
        // The segment ID: a UUID (version 8, RFC 9562's custom layout) from a SHA-256 of the
        // table and the checksums, so it names the content and never a moment.
        let mut seed = b"consign UDIF segment ID\0".to_vec();
        seed.extend_from_slice(&fork_crc.to_be_bytes());
        seed.extend_from_slice(&master.to_be_bytes());
        seed.extend_from_slice(&mish);
        let digest = Digest::of(Algorithm::Sha256, &seed);
        let mut segment_id = [0u8; 16];
        segment_id.copy_from_slice(&digest.as_bytes()[..16]);
        segment_id[6] = (segment_id[6] & 0x0F) | 0x80;
        segment_id[8] = (segment_id[8] & 0x3F) | 0x80;
        let koly = Koly {
            data_fork_offset: 0,
            data_fork_length: f.fork_len,
            segment_id,
            data_checksum: Checksum::crc32(fork_crc),
            xml_offset: f.fork_len,
            xml_length: xml.len() as u64,
            master_checksum: Checksum::crc32(master),
            image_variant: VARIANT_PARTITION,
            sectors,
        };
        f.out.write_all(&koly.to_bytes())?;
        Ok(self.fork.out)
    }

    /// Sends the current chunk out: compressed inline, or queued for a worker (writing the
    /// oldest results while too many chunks are in flight).
    fn dispatch(&mut self) -> io::Result<()> {
        let last = self.taken == self.expected;
        let data = std::mem::replace(
            &mut self.chunk,
            if last {
                Vec::new()
            } else {
                Vec::with_capacity(CHUNK_BYTES)
            },
        );
        if let Engine::Unstarted { packer, threads } = self.engine {
            self.engine = if threads <= 1 || last {
                Engine::Inline(packer)
            } else {
                Engine::Pool {
                    pool: Pool::new("udif", threads, || move |data| packer.pack(data))?,
                    pending: VecDeque::new(),
                    limit: threads * IN_FLIGHT_PER_WORKER,
                }
            };
        }
        match &mut self.engine {
            Engine::Unstarted { .. } => Err(io::Error::other("UDIF writer has no engine")),
            Engine::Inline(packer) => {
                let packed = packer.pack(data)?;
                self.fork.put(packed)
            }
            Engine::Pool {
                pool,
                pending,
                limit,
            } => {
                pending.push_back(pool.submit(data)?);
                while pending.len() > *limit {
                    if let Some(oldest) = pending.pop_front() {
                        let packed = oldest.wait()?;
                        self.fork.put(packed)?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl<W: Write> Fork<W> {
    /// Writes a packed chunk to the data fork and records its entry.
    fn put(&mut self, packed: Packed) -> io::Result<()> {
        let sector = self
            .table
            .entries
            .last()
            .map_or(0, |e| e.sector + e.sectors);
        if let Some(crc) = &packed.crc {
            self.partition_crc.combine(crc);
        }
        self.out.write_all(&packed.bytes)?;
        self.fork_crc.update(&packed.bytes);
        let length = packed.bytes.len() as u64;
        self.table.entries.push(Entry {
            kind: packed.kind,
            sector,
            sectors: packed.sectors,
            offset: self.fork_len,
            length,
        });
        self.fork_len += length;
        Ok(())
    }
}

impl<W: Write> Write for UdifWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let left = self.expected - self.taken;
        if left == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the disk image is full: {} bytes were announced",
                    self.expected
                ),
            ));
        }
        let room = CHUNK_BYTES - self.chunk.len();
        let take = room
            .min(buf.len())
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        self.chunk.extend_from_slice(&buf[..take]);
        self.taken += take as u64;
        if self.chunk.len() == CHUNK_BYTES || self.taken == self.expected {
            self.dispatch()?;
        }
        Ok(take)
    }

    /// A no-op: chunk boundaries depend on the byte count alone.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A chunk as it goes into the data fork.
struct Packed {
    kind: u32,
    bytes: Vec<u8>,
    sectors: u64,
    /// CRC-32 of the raw bytes; `None` for an ignore run, which the checksum skips.
    crc: Option<crc32fast::Hasher>,
}

/// Compresses one chunk with a fresh compressor: which chunk a worker handled before never
/// shows in the output.
#[derive(Clone, Copy)]
struct Packer {
    format: DmgFormat,
    level: u32,
}

impl Packer {
    fn pack(&self, data: Vec<u8>) -> io::Result<Packed> {
        let sectors = (data.len() as u64).div_ceil(SECTOR);
        if data.iter().all(|&b| b == 0) {
            return Ok(Packed {
                kind: kind::IGNORE,
                bytes: Vec::new(),
                sectors,
                crc: None,
            });
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&data);
        let packed = match self.format {
            DmgFormat::Udzo => {
                let level = flate2::Compression::new(self.level);
                let sink = Vec::with_capacity(data.len() / 2);
                let mut z = flate2::write::ZlibEncoder::new(sink, level);
                z.write_all(&data)?;
                Some((kind::ZLIB, z.finish()?))
            }
            DmgFormat::Udbz => {
                let level = bzip2::Compression::new(self.level);
                let sink = Vec::with_capacity(data.len() / 2);
                let mut bz = bzip2::write::BzEncoder::new(sink, level);
                bz.write_all(&data)?;
                Some((kind::BZIP2, bz.finish()?))
            }
            DmgFormat::Udro => None,
        };
        // A chunk that does not shrink is stored raw, as hdiutil does.
        let (kind, bytes) = match packed {
            Some((kind, bytes)) if bytes.len() < data.len() => (kind, bytes),
            _ => (kind::RAW, data),
        };
        Ok(Packed {
            kind,
            bytes,
            sectors,
            crc: Some(crc),
        })
    }
}
