//! Stream compression shared by every writer: [`Codec`] and [`Compression`] choose it.
//!
//! Output is deterministic and does not depend on the thread count: gzip is compressed in
//! fixed-size 128 KiB blocks on several threads (one member, mtime 0, OS "unknown"); xz and
//! zstd always use their multithreaded encoders (with at least one worker). Compressed streams
//! are never flushed mid-stream.

mod gzip;

use std::io::{self, Write};
use std::num::NonZeroUsize;

#[cfg(feature = "xz")]
use liblzma::stream::{Check, MtStreamBuilder};

/// A compression codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// No compression.
    None,
    /// gzip (DEFLATE, zlib-rs, compressed in 128 KiB blocks on several threads).
    Gzip,
    /// xz (LZMA2, multithreaded).
    Xz,
    /// Zstandard (multithreaded).
    Zstd,
}

impl Codec {
    /// Every codec compiled into this build (xz only with the `xz` feature).
    pub const ALL: &'static [Codec] = &[
        Codec::None,
        Codec::Gzip,
        #[cfg(feature = "xz")]
        Codec::Xz,
        Codec::Zstd,
    ];

    /// Whether this build can write the codec (xz needs the `xz` feature).
    pub fn is_available(self) -> bool {
        Codec::ALL.contains(&self)
    }

    /// The file-name suffix, without a dot (`gz`, `xz`, `zst`; empty for [`Codec::None`]).
    pub fn extension(self) -> &'static str {
        match self {
            Codec::None => "",
            Codec::Gzip => "gz",
            Codec::Xz => "xz",
            Codec::Zstd => "zst",
        }
    }

    /// The default level: gzip 9, xz 6, zstd 19.
    pub fn default_level(self) -> u32 {
        match self {
            Codec::None => 0,
            Codec::Gzip => 9,
            Codec::Xz => 6,
            Codec::Zstd => 19,
        }
    }

    /// The highest level the codec accepts.
    pub fn max_level(self) -> u32 {
        match self {
            Codec::None => 0,
            Codec::Gzip | Codec::Xz => 9,
            Codec::Zstd => 22,
        }
    }
}

/// A codec, a level and a thread count.
///
/// ```
/// use consign_package::compress::{Codec, Compression};
/// let c = Compression::new(Codec::Zstd).level(3)?;
/// assert_eq!((c.codec(), c.get_level()), (Codec::Zstd, 3));
/// assert!(Compression::new(Codec::Xz).level(10).is_err());
/// # Ok::<(), consign_package::compress::LevelError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compression {
    codec: Codec,
    level: u32,
    threads: Option<NonZeroUsize>,
}

/// A compression level out of range for its codec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("compression level {level} is out of range for {codec:?} (0..={max})")]
pub struct LevelError {
    /// The codec.
    pub codec: Codec,
    /// The level asked for.
    pub level: u32,
    /// The highest level.
    pub max: u32,
}

impl Compression {
    /// `codec` at its default level, one thread per core.
    pub fn new(codec: Codec) -> Compression {
        Compression {
            codec,
            level: codec.default_level(),
            threads: None,
        }
    }

    /// Sets the level; an error when the codec does not have it.
    pub fn level(mut self, level: u32) -> Result<Compression, LevelError> {
        if level > self.codec.max_level() {
            return Err(LevelError {
                codec: self.codec,
                level,
                max: self.codec.max_level(),
            });
        }
        self.level = level;
        Ok(self)
    }

    /// Sets the number of compression threads; the output does not depend on it.
    pub fn threads(mut self, threads: NonZeroUsize) -> Compression {
        self.threads = Some(threads);
        self
    }

    /// The codec.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The level.
    pub fn get_level(&self) -> u32 {
        self.level
    }

    /// The thread count asked for, or one per core; at least one.
    fn thread_count(&self) -> usize {
        self.threads
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get)
    }

    /// [`Compression::thread_count`] for the C encoders.
    fn thread_count_u32(&self) -> u32 {
        u32::try_from(self.thread_count()).unwrap_or(u32::MAX)
    }

    /// Starts compressing into `out`; call [`Compressor::finish`] to end the stream.
    ///
    /// ```
    /// use std::io::Write;
    /// use consign_package::compress::{Codec, Compression};
    /// let mut z = Compression::new(Codec::Gzip).writer(Vec::new())?;
    /// z.write_all(b"hello")?;
    /// let gz = z.finish()?;
    /// assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn writer<W: Write>(&self, out: W) -> io::Result<Compressor<W>> {
        Ok(Compressor(match self.codec {
            Codec::None => Inner::Plain(out),
            Codec::Gzip => Inner::Gz(gzip::ParGzEncoder::new(
                out,
                self.level,
                self.thread_count(),
            )?),
            #[cfg(feature = "xz")]
            Codec::Xz => {
                let stream = MtStreamBuilder::new()
                    .preset(self.level)
                    .threads(self.thread_count_u32())
                    .check(Check::Crc64)
                    .encoder()
                    .map_err(io::Error::other)?;
                Inner::Xz(liblzma::write::XzEncoder::new_stream(out, stream))
            }
            Codec::Zstd => {
                let level = i32::try_from(self.level).unwrap_or(i32::MAX);
                let mut enc = zstd::stream::write::Encoder::new(out, level)?;
                enc.include_checksum(true)?;
                enc.multithread(self.thread_count_u32())?;
                // Fixed-size jobs bound the encoder's buffers (the default grows with the
                // level's window); the output still does not depend on the thread count.
                enc.set_parameter(zstd::stream::raw::CParameter::JobSize(ZSTD_JOB_SIZE))?;
                Inner::Zst(enc)
            }
            #[cfg(not(feature = "xz"))]
            Codec::Xz => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "xz compression is not compiled in: enable consign-package's `xz` feature",
                ));
            }
        }))
    }
}

impl Compression {
    /// Compresses `data` whole into a new buffer: for small inputs (manual pages, changelogs)
    /// that go into a package as files. Same bytes as streaming through [`Compression::writer`].
    ///
    /// ```
    /// use consign_package::compress::{Codec, Compression};
    /// let gz = Compression::new(Codec::Gzip).level(9)?.compress(b".TH HELLO 1\n")?;
    /// assert_eq!(&gz[..3], &[0x1f, 0x8b, 8]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compress(&self, data: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = self.writer(Vec::with_capacity(data.len() / 2 + 64))?;
        out.write_all(data)?;
        out.finish()
    }
}

/// The zstd multithreaded job size: memory per worker is a small multiple of it.
const ZSTD_JOB_SIZE: u32 = 2 << 20;

/// A streaming compressor made by [`Compression::writer`].
pub struct Compressor<W: Write>(Inner<W>);

enum Inner<W: Write> {
    Plain(W),
    Gz(gzip::ParGzEncoder<W>),
    #[cfg(feature = "xz")]
    Xz(liblzma::write::XzEncoder<W>),
    Zst(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Compressor<W> {
    /// Ends the compressed stream and returns the output writer.
    pub fn finish(self) -> io::Result<W> {
        match self.0 {
            Inner::Plain(w) => Ok(w),
            Inner::Gz(e) => e.finish(),
            #[cfg(feature = "xz")]
            Inner::Xz(e) => e.finish(),
            Inner::Zst(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            Inner::Plain(w) => w.write(buf),
            Inner::Gz(e) => e.write(buf),
            #[cfg(feature = "xz")]
            Inner::Xz(e) => e.write(buf),
            Inner::Zst(e) => e.write(buf),
        }
    }

    /// Compressed streams are only flushed by [`Compressor::finish`]: a mid-stream flush
    /// would insert sync points whose position depends on buffering, not on the input.
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.0 {
            Inner::Plain(w) => w.flush(),
            _ => Ok(()),
        }
    }
}
