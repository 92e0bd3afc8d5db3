//! Block-parallel gzip, deterministic whatever the thread count.
//!
//! The input is cut into fixed [`BLOCK`]-byte blocks: the cut points depend only on the byte
//! count, never on how the input arrives or on thread timing. Each block is deflated on its
//! own (on a worker thread when there are several) with the previous block's last 32 KiB as
//! preset dictionary, so matches still reach back across block boundaries, and ends with a
//! sync flush (an empty stored block, byte-aligned) so the raw deflate outputs concatenate
//! into one stream; the last block ends the stream. Each block's CRC-32 is taken beside its
//! compression and the CRCs are combined in order. One gzip header (mtime 0, no name, OS
//! "unknown") and one trailer frame the stream: the output is a function of the input, the
//! level and the block size alone, and any gzip reader takes it as one member.
//!
//! Memory is bounded: at most two blocks per worker are in flight, each with its input, its
//! dictionary and its output.

use std::collections::VecDeque;
use std::io::{self, Write};

use flate2::{Compress, FlushCompress, Status};

use crate::pool::{Pool, Reply};

/// The block size: the unit of parallel work.
pub(crate) const BLOCK: usize = 128 * 1024;

/// The deflate window, and so the useful dictionary size.
const WINDOW: usize = 32 * 1024;

/// Blocks in flight per worker: one being compressed, one queued.
const IN_FLIGHT_PER_WORKER: usize = 2;

/// A gzip stream compressed block by block on `threads` workers (on the calling thread when
/// there is one, or when the stream ends within its first block).
pub(crate) struct ParGzEncoder<W: Write> {
    out: W,
    block: Vec<u8>,
    dict: Vec<u8>,
    crc: crc32fast::Hasher,
    engine: Engine,
    /// Set once the last block went out: the stream is complete.
    done: bool,
}

/// Where blocks are compressed.
enum Engine {
    /// Not chosen yet: a stream that ends within its first block is compressed inline,
    /// without starting threads.
    Unstarted { threads: usize, level: u32 },
    /// On the calling thread.
    Inline(Deflater),
    /// On a pool of workers; replies in input order.
    Pool {
        pool: Pool<Job, Packed>,
        pending: VecDeque<Reply<Packed>>,
        limit: usize,
    },
}

impl<W: Write> ParGzEncoder<W> {
    /// Writes the gzip header to `out` and starts a stream at `level` (0..=9).
    pub(crate) fn new(mut out: W, level: u32, threads: usize) -> io::Result<ParGzEncoder<W>> {
        // XFL: 2 for the slowest level, 4 for the fastest, as gzip(1) sets it.
        let xfl = match level {
            9 => 2,
            1 => 4,
            _ => 0,
        };
        out.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255])?;
        Ok(ParGzEncoder {
            out,
            block: Vec::with_capacity(BLOCK),
            dict: Vec::new(),
            crc: crc32fast::Hasher::new(),
            engine: Engine::Unstarted { threads, level },
            done: false,
        })
    }

    /// Compresses what is left, writes the trailer and returns the output writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.dispatch(true)?;
        if let Engine::Pool { pending, .. } = &mut self.engine {
            while let Some(reply) = pending.pop_front() {
                let packed = reply.wait()?;
                self.crc.combine(&packed.crc);
                self.out.write_all(&packed.deflated)?;
            }
        }
        let size = self.crc.total_len();
        let crc = std::mem::take(&mut self.crc).finalize();
        self.out.write_all(&crc.to_le_bytes())?;
        // ISIZE is the input size modulo 2^32 (RFC 1952).
        self.out.write_all(&(size as u32).to_le_bytes())?;
        Ok(self.out)
    }

    /// Sends the current block out: compressed inline, or queued for a worker (writing the
    /// oldest replies while too many blocks are in flight).
    fn dispatch(&mut self, last: bool) -> io::Result<()> {
        if self.done {
            return Err(io::Error::other("gzip stream already finished"));
        }
        let data = std::mem::replace(&mut self.block, Vec::with_capacity(BLOCK));
        let next_dict = data[data.len().saturating_sub(WINDOW)..].to_vec();
        let dict = std::mem::replace(&mut self.dict, next_dict);
        self.done = last;
        if let Engine::Unstarted { threads, level } = self.engine {
            self.engine = if threads <= 1 || last {
                Engine::Inline(Deflater::new(level))
            } else {
                Engine::Pool {
                    pool: Pool::new("gzip", threads, || {
                        let mut deflater = Deflater::new(level);
                        move |job: Job| deflater.block(&job.dict, job.data, job.last)
                    })?,
                    pending: VecDeque::new(),
                    limit: threads * IN_FLIGHT_PER_WORKER,
                }
            };
        }
        match &mut self.engine {
            Engine::Unstarted { .. } => {
                return Err(io::Error::other("gzip encoder has no engine"));
            }
            Engine::Inline(deflater) => {
                let packed = deflater.block(&dict, data, last)?;
                self.crc.combine(&packed.crc);
                self.out.write_all(&packed.deflated)?;
            }
            Engine::Pool {
                pool,
                pending,
                limit,
            } => {
                pending.push_back(pool.submit(Job { dict, data, last })?);
                while pending.len() > *limit {
                    if let Some(oldest) = pending.pop_front() {
                        let packed = oldest.wait()?;
                        self.crc.combine(&packed.crc);
                        self.out.write_all(&packed.deflated)?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl<W: Write> Write for ParGzEncoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.done {
            return Err(io::Error::other("gzip stream already finished"));
        }
        let take = (BLOCK - self.block.len()).min(buf.len());
        self.block.extend_from_slice(&buf[..take]);
        if self.block.len() == BLOCK {
            self.dispatch(false)?;
        }
        Ok(take)
    }

    /// A no-op: a flush would cut a block early, and the cut points must not depend on how
    /// the input is buffered.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A compressed block and the CRC-32 of its input.
struct Packed {
    deflated: Vec<u8>,
    crc: crc32fast::Hasher,
}

/// One block to compress.
struct Job {
    dict: Vec<u8>,
    data: Vec<u8>,
    last: bool,
}

/// Makes a raw deflate compressor for each block. A compressor is not reused: a reset one
/// can still carry state from the block it compressed before (seen with zlib-rs), and which
/// block a worker compressed before depends on thread timing, so reuse would make the output
/// depend on timing too.
struct Deflater {
    level: u32,
}

impl Deflater {
    fn new(level: u32) -> Deflater {
        Deflater { level }
    }

    /// Deflates `data` after `dict`: a sync flush at the end, or the end of the stream.
    fn block(&mut self, dict: &[u8], data: Vec<u8>, last: bool) -> io::Result<Packed> {
        let mut crc = crc32fast::Hasher::new();
        crc.update(&data);
        let mut compress = Compress::new(flate2::Compression::new(self.level), false);
        let c = &mut compress;
        if !dict.is_empty() {
            c.set_dictionary(dict).map_err(io::Error::other)?;
        }
        let flush = if last {
            FlushCompress::Finish
        } else {
            FlushCompress::Sync
        };
        // Stored blocks bound the worst case: 5 bytes per 16 KiB more than the input.
        let mut deflated = Vec::with_capacity(data.len() + data.len() / 1024 + 64);
        let mut input = &data[..];
        loop {
            if deflated.capacity() - deflated.len() < 64 {
                deflated.reserve(deflated.capacity().max(4096));
            }
            let (in_before, out_before) = (c.total_in(), c.total_out());
            let status = c
                .compress_vec(input, &mut deflated, flush)
                .map_err(io::Error::other)?;
            let used = usize::try_from(c.total_in() - in_before).unwrap_or(input.len());
            input = input.get(used..).unwrap_or_default();
            let spare = deflated.len() < deflated.capacity();
            match status {
                Status::StreamEnd => break,
                // A sync flush is complete when input is used up and output space is left.
                _ if !last && input.is_empty() && spare => break,
                _ if spare && c.total_in() == in_before && c.total_out() == out_before => {
                    return Err(io::Error::other("deflate made no progress on a block"));
                }
                _ => {}
            }
        }
        Ok(Packed { deflated, crc })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample(len: usize) -> Vec<u8> {
        // Compressible but not trivial: text-like runs with a slow-moving counter.
        (0..len)
            .map(|i| b"abcdefghij klmnop"[(i / 7 + i / 1031) % 17] ^ ((i / 4093) as u8 & 3))
            .collect()
    }

    fn encode(data: &[u8], level: u32, threads: usize, chunk: usize) -> Vec<u8> {
        let mut enc = ParGzEncoder::new(Vec::new(), level, threads).unwrap();
        for piece in data.chunks(chunk.max(1)) {
            enc.write_all(piece).unwrap();
        }
        enc.finish().unwrap()
    }

    fn decode(gz: &[u8]) -> Vec<u8> {
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut back)
            .unwrap();
        back
    }

    #[test]
    fn same_bytes_whatever_the_threads_and_write_sizes() {
        let data = sample(3 * BLOCK + 12_345);
        let one = encode(&data, 6, 1, 1 << 20);
        for (threads, chunk) in [(2, 4096), (8, 77_777), (3, 1), (1, 100_003)] {
            let chunked = if chunk == 1 {
                &data[..BLOCK + 5]
            } else {
                &data
            };
            let want = if chunk == 1 {
                encode(chunked, 6, 1, 1 << 20)
            } else {
                one.clone()
            };
            assert_eq!(
                encode(chunked, 6, threads, chunk),
                want,
                "{threads} threads"
            );
        }
        assert_eq!(decode(&one), data);
    }

    #[test]
    fn every_level_and_edge_size_round_trips() {
        for len in [0, 1, WINDOW, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK] {
            let data = sample(len);
            for level in [0, 1, 9] {
                let gz = encode(&data, level, 2, 50_000);
                assert_eq!(decode(&gz), data, "{len} bytes, level {level}");
                assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 0]);
                let isize = u32::from_le_bytes(gz[gz.len() - 4..].try_into().unwrap());
                assert_eq!(isize as usize, len);
            }
        }
    }

    #[test]
    fn dictionary_keeps_the_ratio_of_one_stream() {
        let data = sample(8 * BLOCK);
        let ours = encode(&data, 9, 2, 1 << 16).len();
        let deflate = |bytes: &[u8]| {
            let level = flate2::Compression::new(9);
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), level);
            e.write_all(bytes).unwrap();
            e.finish().unwrap().len()
        };
        let single = deflate(&data) + 18;
        let independent: usize = data.chunks(BLOCK).map(deflate).sum::<usize>() + 18;
        // A block boundary costs a new deflate block header and an empty stored block; without
        // the dictionary each block would also start its matches from nothing.
        assert!(ours <= single + 8 * 64, "{ours} vs {single}");
        assert!(
            ours < independent,
            "{ours} vs {independent} without dictionaries"
        );
    }

    #[test]
    fn writing_after_the_end_is_an_error() {
        let mut enc = ParGzEncoder::new(Vec::new(), 6, 1).unwrap();
        enc.dispatch(true).unwrap();
        assert!(enc.write(b"x").is_err());
    }
}
