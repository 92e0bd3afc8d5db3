//! MSZIP cabinets (MS-CAB), written streaming with the blocks deflated on several threads.
//!
//! A cabinet here is one folder of MSZIP blocks holding the files of one `Media` row in
//! sequence order, each named by its `File` key. Everything but the cabinet's total size is
//! known before the data: the file entries (sizes and offsets come from the tree) and the
//! number of data blocks (the folder's bytes cut into 32 KiB blocks). So the headers go out
//! first, the blocks follow as they are deflated, and one seek back writes the total.
//!
//! Each block is deflated on its own, with the previous 32 KiB as preset dictionary (the
//! MSZIP decoders of Windows, libmspack and gcab keep that history), and ends its own deflate
//! stream. So blocks are independent units of work: they are deflated in batches over a pool
//! of scoped threads while the next batch is read, and the bytes depend only on the input
//! and the level, never on the thread count. A block that deflate would grow is stored.
//! Memory: two batches of input and one of output, a few MiB whatever the payload.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::num::NonZeroUsize;

use consign_core::progress::Monitored;
use consign_core::{Entry, EntryReader, Monitor, RelPath, SourceDate};
use flate2::{Compress, FlushCompress, Status};

use super::MsiError;
use crate::Error;

/// The uncompressed size of an MSZIP block.
pub(crate) const BLOCK: usize = 32 * 1024;

/// The most bytes one folder holds: its block count is 16 bits.
pub(crate) const MAX_FOLDER_BYTES: u64 = 0xffff * BLOCK as u64;

/// The largest file: a cabinet's offsets are 31 bits, and an incompressible file grows by a
/// few bytes per block.
pub(crate) const MAX_FILE: u64 = 0x7f00_0000;

/// Blocks per thread in one batch.
const BLOCKS_PER_THREAD: usize = 64;

/// One file of a cabinet.
pub(crate) struct CabEntry<'a> {
    /// Its name in the cabinet: the `File` table key.
    pub(crate) key: &'a str,
    /// The tree entry (for errors).
    pub(crate) path: &'a RelPath,
    /// Where the bytes come from (the target of a hard link).
    pub(crate) source: &'a Entry,
}

/// How blocks are deflated.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mszip {
    /// Deflate level, 0 to 9.
    pub(crate) level: u32,
    /// Worker threads.
    pub(crate) threads: NonZeroUsize,
}

/// Writes a cabinet of `files` to `out` (positioned at its start); returns its size.
/// `fingerprint` receives the CRC-32 and size of every block, a digest of the content that
/// costs nothing beside the compression.
pub(crate) fn write<W: Write + Seek>(
    out: &mut W,
    files: &[CabEntry<'_>],
    date: SourceDate,
    mszip: Mszip,
    monitor: &Monitor,
    fingerprint: &mut Vec<u8>,
) -> Result<u64, Error> {
    let total: u64 = files.iter().map(|f| f.source.size()).sum();
    let blocks = total.div_ceil(BLOCK as u64);
    let count = |what: &'static str, n: u64| -> Result<u16, Error> {
        u16::try_from(n).map_err(|_| {
            MsiError::Database {
                action: "plan a cabinet",
                source: io::Error::other(format!("{n} {what} do not fit one cabinet")),
            }
            .into()
        })
    };
    let (n_blocks, n_files) = (
        count("data blocks", blocks)?,
        count("files", files.len() as u64)?,
    );
    let names: usize = files.iter().map(|f| 16 + f.key.len() + 1).sum();
    let first_block = 36 + 8 + names as u64;
    let (dos_date, dos_time) = dos_datetime(date);

    let mut head = Vec::with_capacity(first_block as usize);
    head.extend_from_slice(b"MSCF");
    put32(&mut head, 0); // reserved
    put32(&mut head, 0); // cabinet size, written at the end
    put32(&mut head, 0); // reserved
    put32(&mut head, 36 + 8); // first file entry
    put32(&mut head, 0); // reserved
    head.extend_from_slice(&[3, 1]); // format 1.3
    put16(&mut head, 1); // folders
    put16(&mut head, n_files);
    put16(&mut head, 0); // flags
    put16(&mut head, 0); // set id
    put16(&mut head, 0); // index in the set
    put32(&mut head, first_block as u32);
    put16(&mut head, n_blocks);
    put16(&mut head, 1); // MSZIP
    let mut offset = 0u64;
    for f in files {
        put32(&mut head, f.source.size() as u32);
        put32(&mut head, offset as u32);
        put16(&mut head, 0); // folder
        put16(&mut head, dos_date);
        put16(&mut head, dos_time);
        put16(&mut head, 0x20); // archive
        head.extend_from_slice(f.key.as_bytes());
        head.push(0);
        offset += f.source.size();
    }
    let start = out.stream_position().map_err(cab_output)?;
    out.write_all(&head).map_err(cab_output)?;

    let mut reader = FolderReader {
        files,
        index: 0,
        current: None,
        monitor,
    };
    let threads = mszip.threads.get();
    let batch = BLOCK * BLOCKS_PER_THREAD * threads;
    let mut size = head.len() as u64;
    let mut prev: Vec<u8> = Vec::new();
    let mut cur = vec![0u8; batch];
    let mut next = vec![0u8; batch];
    let mut cur_len = reader.fill(&mut cur)?;
    while cur_len > 0 {
        let data = &cur[..cur_len];
        let (packed, next_len) = std::thread::scope(|s| {
            let per = data.len().div_ceil(BLOCK).div_ceil(threads) * BLOCK;
            let workers: Vec<_> = (0..threads)
                .filter(|t| t * per < data.len())
                .map(|t| {
                    let prev = &prev;
                    s.spawn(move || deflate_range(mszip.level, prev, data, t * per, per))
                })
                .collect();
            let next_len = reader.fill(&mut next);
            let packed: io::Result<Vec<Vec<u8>>> = workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|_| Err(io::Error::other("a deflate worker panicked")))
                })
                .collect::<io::Result<Vec<_>>>()
                .map(|v| v.into_iter().flatten().collect());
            (packed, next_len)
        });
        let packed = packed.map_err(cab_output)?;
        for (block, raw) in packed.iter().zip(data.chunks(BLOCK)) {
            let crc = crc32fast::hash(raw);
            fingerprint.extend_from_slice(&crc.to_le_bytes());
            fingerprint.extend_from_slice(&(raw.len() as u16).to_le_bytes());
            let mut header = [0u8; 8];
            header[4..6].copy_from_slice(&(block.len() as u16).to_le_bytes());
            header[6..8].copy_from_slice(&(raw.len() as u16).to_le_bytes());
            let sum = checksum(&header[4..8], checksum(block, 0));
            header[..4].copy_from_slice(&sum.to_le_bytes());
            out.write_all(&header).map_err(cab_output)?;
            out.write_all(block).map_err(cab_output)?;
            size += 8 + block.len() as u64;
        }
        prev.clear();
        prev.extend_from_slice(&data[data.len().saturating_sub(BLOCK)..]);
        std::mem::swap(&mut cur, &mut next);
        cur_len = next_len?;
    }
    let cab_size = u32::try_from(size).map_err(|_| {
        cab_output(io::Error::other(format!(
            "a {size}-byte cabinet is past the 4 GiB limit"
        )))
    })?;
    out.seek(SeekFrom::Start(start + 8)).map_err(cab_output)?;
    out.write_all(&cab_size.to_le_bytes()).map_err(cab_output)?;
    out.seek(SeekFrom::Start(start + size))
        .map_err(cab_output)?;
    Ok(size)
}

fn cab_output(source: io::Error) -> Error {
    MsiError::Database {
        action: "write a cabinet",
        source,
    }
    .into()
}

fn put16(v: &mut Vec<u8>, n: u16) {
    v.extend_from_slice(&n.to_le_bytes());
}

fn put32(v: &mut Vec<u8>, n: u32) {
    v.extend_from_slice(&n.to_le_bytes());
}

/// The MS-DOS date and time of `date` (what cabinet file entries record), clamped to the
/// range they hold (1980 to 2107).
fn dos_datetime(date: SourceDate) -> (u16, u16) {
    let t = date.to_datetime();
    match t.year() {
        ..1980 => (1 << 5 | 1, 0),
        2108.. => ((127 << 9) | (12 << 5) | 31, (23 << 11) | (59 << 5) | 29),
        year => (
            (((year - 1980) as u16) << 9) | ((u8::from(t.month()) as u16) << 5) | t.day() as u16,
            ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2),
        ),
    }
}

/// The cabinet checksum (MS-CAB 2.5): 32-bit little-endian words XORed, the 1 to 3 bytes
/// left over taken most significant first.
fn checksum(data: &[u8], seed: u32) -> u32 {
    let mut sum = seed;
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        sum ^= u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
    }
    let rest = words.remainder();
    let mut last = 0u32;
    for &b in rest {
        last = (last << 8) | u32::from(b);
    }
    sum ^ last
}

/// Deflates the blocks of `data[from..from + len]`, each after the 32 KiB before it (`prev`
/// for the first block of the batch).
fn deflate_range(
    level: u32,
    prev: &[u8],
    data: &[u8],
    from: usize,
    len: usize,
) -> io::Result<Vec<Vec<u8>>> {
    let end = (from + len).min(data.len());
    let mut out = Vec::with_capacity(len / BLOCK + 1);
    let mut at = from;
    while at < end {
        let block = &data[at..(at + BLOCK).min(end)];
        let dict = if at == 0 { prev } else { &data[at - BLOCK..at] };
        out.push(deflate_block(level, dict, block)?);
        at += BLOCK;
    }
    Ok(out)
}

/// One MSZIP block: `CK` and a complete deflate stream of `block`, with `dict` preset.
fn deflate_block(level: u32, dict: &[u8], block: &[u8]) -> io::Result<Vec<u8>> {
    let mut c = Compress::new(flate2::Compression::new(level), false);
    if !dict.is_empty() {
        c.set_dictionary(dict).map_err(io::Error::other)?;
    }
    let mut out = Vec::with_capacity(block.len() + 64);
    out.extend_from_slice(b"CK");
    let mut input = block;
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(4096);
        }
        let before = c.total_in();
        let status = c
            .compress_vec(input, &mut out, FlushCompress::Finish)
            .map_err(io::Error::other)?;
        let used = usize::try_from(c.total_in() - before).unwrap_or(input.len());
        input = input.get(used..).unwrap_or_default();
        if status == Status::StreamEnd {
            break;
        }
    }
    // A stored block bounds the size: CK, one header byte, LEN and NLEN, the data.
    if out.len() > block.len() + 7 {
        out.clear();
        out.extend_from_slice(b"CK\x01");
        let n = block.len() as u16;
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&(!n).to_le_bytes());
        out.extend_from_slice(block);
    }
    Ok(out)
}

/// The files of a folder read back to back.
struct FolderReader<'a, 'b> {
    files: &'a [CabEntry<'b>],
    index: usize,
    current: Option<Monitored<EntryReader>>,
    monitor: &'a Monitor,
}

impl FolderReader<'_, '_> {
    /// Fills `buf` as far as the files go; returns the bytes read (less than `buf` only at
    /// the end of the last file).
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut filled = 0;
        while filled < buf.len() {
            let Some(file) = self.files.get(self.index) else {
                break;
            };
            let reader = match &mut self.current {
                Some(r) => r,
                None => {
                    let r = file.source.open().map_err(|e| Error::entry(file.path, e))?;
                    self.current.insert(self.monitor.reader(r))
                }
            };
            match reader.read(&mut buf[filled..]) {
                Ok(0) => {
                    self.current = None;
                    self.index += 1;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::entry(file.path, e)),
            }
        }
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use consign_core::Entry;
    use std::io::Cursor;

    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut s = seed | 1;
        (0..n)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                // Half text-like, half random: some blocks deflate, some are stored.
                if (i / 50_000) % 2 == 0 {
                    b"abcabd"[(s % 6) as usize]
                } else {
                    s as u8
                }
            })
            .collect()
    }

    fn cabinet(files: &[(&str, Vec<u8>)], threads: usize, level: u32) -> (Vec<u8>, Vec<u8>) {
        let entries: Vec<(String, RelPath, Entry)> = files
            .iter()
            .map(|(k, d)| {
                (
                    (*k).to_owned(),
                    RelPath::new(k).expect("path"),
                    Entry::bytes(d.clone()),
                )
            })
            .collect();
        let cab: Vec<CabEntry<'_>> = entries
            .iter()
            .map(|(k, p, e)| CabEntry {
                key: k,
                path: p,
                source: e,
            })
            .collect();
        let mut out = Cursor::new(Vec::new());
        let mut fp = Vec::new();
        let mszip = Mszip {
            level,
            threads: NonZeroUsize::new(threads).expect("nonzero"),
        };
        let size = write(
            &mut out,
            &cab,
            SourceDate::from_unix(1_700_000_000),
            mszip,
            &Monitor::default(),
            &mut fp,
        )
        .expect("cabinet written");
        assert_eq!(size, out.get_ref().len() as u64);
        (out.into_inner(), fp)
    }

    #[test]
    fn the_cab_crate_reads_back_every_file() {
        let files = vec![
            ("fa", noise(300_000, 1)),
            ("fempty", Vec::new()),
            ("fb", noise(BLOCK * 3, 2)),
            ("fc", b"hello\n".to_vec()),
        ];
        let (bytes, fp) = cabinet(&files, 3, 6);
        assert_eq!(fp.len(), 6 * (300_000 + BLOCK * 3 + 6usize).div_ceil(BLOCK));
        let mut cab = cab::Cabinet::new(Cursor::new(bytes)).expect("a cabinet");
        {
            let folder = cab.folder_entries().next().expect("one folder");
            assert_eq!(folder.compression_type(), cab::CompressionType::MsZip);
            let names: Vec<&str> = folder.file_entries().map(|f| f.name()).collect();
            assert_eq!(names, ["fa", "fempty", "fb", "fc"]);
            let when = folder
                .file_entries()
                .next()
                .and_then(|f| f.datetime())
                .expect("a date");
            assert_eq!((when.year(), when.hour(), when.minute()), (2023, 22, 13));
        }
        for (name, data) in &files {
            let mut back = Vec::new();
            cab.read_file(name)
                .expect("file")
                .read_to_end(&mut back)
                .expect("read");
            assert_eq!(&back, data, "{name}");
        }
    }

    #[test]
    fn bytes_do_not_depend_on_threads() {
        let files = vec![("f1", noise(BLOCK * 70 + 5, 3)), ("f2", noise(1000, 4))];
        let one = cabinet(&files, 1, 6);
        assert_eq!(cabinet(&files, 4, 6), one);
        assert_ne!(cabinet(&files, 1, 1).0, one.0);
        // Level 0 stores every block and still reads back.
        let (stored, _) = cabinet(&files, 2, 0);
        let mut cab = cab::Cabinet::new(Cursor::new(stored)).expect("a cabinet");
        let mut back = Vec::new();
        cab.read_file("f1")
            .expect("file")
            .read_to_end(&mut back)
            .expect("read");
        assert_eq!(back, files[0].1);
    }

    #[test]
    fn checksum_and_dates_follow_the_spec() {
        assert_eq!(checksum(&[], 7), 7);
        assert_eq!(checksum(&[1, 0, 0, 0], 0), 1);
        // Leftover bytes: the first is the most significant.
        assert_eq!(checksum(&[0xaa, 0xbb, 0xcc], 0), 0x00aa_bbcc);
        assert_eq!(dos_datetime(SourceDate::from_unix(0)), (0x21, 0));
        // 2023-11-14 22:13:20
        assert_eq!(
            dos_datetime(SourceDate::from_unix(1_700_000_000)),
            ((43 << 9) | (11 << 5) | 14, (22 << 11) | (13 << 5) | 10)
        );
    }
}
