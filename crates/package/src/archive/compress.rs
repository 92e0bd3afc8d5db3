//! The compression stage of tar archives: one [`Compressor`] over the hashed output.

use std::io::{self, Write};

use flate2::{Compression, GzBuilder};
use liblzma::stream::{Check, MtStreamBuilder};

use super::{ArchiveError, ArchiveFormat};

/// A streaming compressor for one tar format.
pub(crate) enum Compressor<W: Write> {
    Plain(W),
    Gz(flate2::write::GzEncoder<W>),
    Xz(liblzma::write::XzEncoder<W>),
    Zst(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Compressor<W> {
    /// Starts compressing into `out`. xz and zstd always use their multithreaded encoders
    /// (with at least one worker), so the output does not depend on `threads`.
    pub(crate) fn new(
        format: ArchiveFormat,
        level: u32,
        threads: u32,
        out: W,
    ) -> Result<Self, ArchiveError> {
        let output = |source| ArchiveError::Output { source };
        Ok(match format {
            ArchiveFormat::Tar => Compressor::Plain(out),
            ArchiveFormat::TarGz => Compressor::Gz(
                // mtime 0, no name, OS "unknown": nothing from the host.
                GzBuilder::new()
                    .mtime(0)
                    .operating_system(255)
                    .write(out, Compression::new(level)),
            ),
            ArchiveFormat::TarXz => {
                let stream = MtStreamBuilder::new()
                    .preset(level)
                    .threads(threads.max(1))
                    .check(Check::Crc64)
                    .encoder()
                    .map_err(|e| output(io::Error::other(e)))?;
                Compressor::Xz(liblzma::write::XzEncoder::new_stream(out, stream))
            }
            ArchiveFormat::TarZst => {
                let level = i32::try_from(level).unwrap_or(i32::MAX);
                let mut enc = zstd::stream::write::Encoder::new(out, level).map_err(output)?;
                enc.include_checksum(true).map_err(output)?;
                enc.multithread(threads.max(1)).map_err(output)?;
                Compressor::Zst(enc)
            }
            ArchiveFormat::Zip => unreachable!("zip archives are not tar streams"),
        })
    }

    /// Ends the compressed stream and returns the output writer.
    pub(crate) fn finish(self) -> Result<W, ArchiveError> {
        let done = match self {
            Compressor::Plain(w) => Ok(w),
            Compressor::Gz(e) => e.finish(),
            Compressor::Xz(e) => e.finish(),
            Compressor::Zst(e) => e.finish(),
        };
        done.map_err(|source| ArchiveError::Output { source })
    }
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Compressor::Plain(w) => w.write(buf),
            Compressor::Gz(e) => e.write(buf),
            Compressor::Xz(e) => e.write(buf),
            Compressor::Zst(e) => e.write(buf),
        }
    }

    /// Compressed streams are only flushed by [`Compressor::finish`]: a mid-stream flush
    /// would insert sync points whose position depends on buffering, not on the input.
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Compressor::Plain(w) => w.flush(),
            _ => Ok(()),
        }
    }
}
