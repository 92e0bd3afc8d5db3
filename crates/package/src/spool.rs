//! Spooling: a payload compressed to an anonymous temporary file while both its uncompressed
//! and its compressed bytes are hashed, for formats whose headers must record the payload's
//! digests and sizes before the payload itself (`.deb` ar members, `.rpm` headers). Memory
//! stays flat whatever the payload size; the payload is read once.

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};

use consign_core::{Algorithm, HashingWriter, Written};

use crate::compress::{Compression, Compressor};

const SPOOL_BUF: usize = 256 * 1024;

/// Compresses a payload into an anonymous temporary file, hashing the uncompressed bytes
/// (`raw`) and the compressed bytes (`packed`) on the way. Write the payload, then
/// [`SpoolWriter::finish`].
pub(crate) struct SpoolWriter {
    inner: HashingWriter<Compressor<HashingWriter<BufWriter<File>>>>,
}

impl SpoolWriter {
    /// A spool in the system temporary directory.
    pub(crate) fn new(
        compression: &Compression,
        raw: &[Algorithm],
        packed: &[Algorithm],
    ) -> io::Result<SpoolWriter> {
        let file = tempfile::tempfile()?;
        let packed = HashingWriter::new(BufWriter::with_capacity(SPOOL_BUF, file), packed);
        Ok(SpoolWriter {
            inner: HashingWriter::new(compression.writer(packed)?, raw),
        })
    }

    /// Ends compression; the spool is ready to be copied out.
    pub(crate) fn finish(self) -> io::Result<Spool> {
        let (compressor, raw) = self.inner.finish();
        let (buffered, packed) = compressor.finish()?.finish();
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        Ok(Spool { file, raw, packed })
    }
}

impl Write for SpoolWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A compressed payload waiting in a temporary file (deleted when dropped).
pub(crate) struct Spool {
    file: File,
    /// Size and digests of the uncompressed payload (the rpm header records them).
    #[cfg_attr(not(feature = "rpm"), allow(dead_code))]
    pub(crate) raw: Written,
    /// Size and digests of the compressed payload (what [`Spool::copy_to`] writes).
    pub(crate) packed: Written,
}

impl Spool {
    /// Copies the compressed payload to `out`; returns the number of bytes copied.
    pub(crate) fn copy_to(mut self, out: &mut impl Write) -> io::Result<u64> {
        self.file.rewind()?;
        let copied = io::copy(&mut self.file, out)?;
        if copied != self.packed.size {
            return Err(io::Error::other(format!(
                "spool file changed size: wrote {} bytes, read back {copied}",
                self.packed.size
            )));
        }
        Ok(copied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::Codec;
    use std::io::Read;

    #[test]
    fn spool_hashes_both_sides_and_round_trips() {
        let payload: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        for &codec in Codec::ALL {
            let c = Compression::new(codec)
                .level(1)
                .unwrap_or(Compression::new(codec));
            let mut w = SpoolWriter::new(&c, &[Algorithm::Sha256], &[Algorithm::Sha256]).unwrap();
            w.write_all(&payload).unwrap();
            let spool = w.finish().unwrap();
            assert_eq!(spool.raw.size, payload.len() as u64);
            assert_eq!(
                spool.raw.sha256().copied(),
                Some(consign_core::Digest::of(Algorithm::Sha256, &payload))
            );
            let packed_digest = spool.packed.sha256().copied();
            let mut out = Vec::new();
            let n = spool.copy_to(&mut out).unwrap();
            assert_eq!(n, out.len() as u64);
            assert_eq!(
                packed_digest,
                Some(consign_core::Digest::of(Algorithm::Sha256, &out))
            );
            let mut back = Vec::new();
            match codec {
                Codec::None => back = out,
                Codec::Gzip => {
                    flate2::read::GzDecoder::new(&out[..])
                        .read_to_end(&mut back)
                        .unwrap();
                }
                #[cfg(feature = "xz")]
                Codec::Xz => {
                    liblzma::read::XzDecoder::new(&out[..])
                        .read_to_end(&mut back)
                        .unwrap();
                }
                Codec::Zstd => back = zstd::decode_all(&out[..]).unwrap(),
                #[cfg(not(feature = "xz"))]
                Codec::Xz => unreachable!("Codec::ALL holds xz only with the feature"),
            }
            assert_eq!(back, payload, "{codec:?}");
        }
    }
}
