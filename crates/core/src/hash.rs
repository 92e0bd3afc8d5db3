//! Streaming hashing: [`Hasher`], [`HashingWriter`], [`HashingReader`] and the [`Written`]
//! record they produce.
//!
//! Every writer in consign wraps its output in a [`HashingWriter`], so the digests of what it
//! wrote are known when it finishes, without reading the file again. Several algorithms can be
//! computed in the same pass. SHA-256 and SHA-512 come from the `sha2` crate, which selects the
//! SHA-NI / AVX2 code paths at run time when the CPU has them.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::digest::{Algorithm, Digest};
use crate::error::IoError;

/// Buffer size used when hashing files: large enough to amortize syscalls, small enough to stay
/// in L2.
pub(crate) const BUF_SIZE: usize = 256 * 1024;

/// An incremental hash for one [`Algorithm`].
///
/// ```
/// use consign_core::{Algorithm, Hasher};
/// let mut h = Hasher::new(Algorithm::Sha256);
/// h.update(b"a");
/// h.update(b"bc");
/// assert_eq!(h.finish().hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
/// ```
#[derive(Clone)]
pub struct Hasher(State);

#[derive(Clone)]
enum State {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
    Blake3(Box<blake3::Hasher>),
}

impl Hasher {
    /// Starts a hash.
    pub fn new(algorithm: Algorithm) -> Hasher {
        Hasher(match algorithm {
            Algorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => State::Sha512(sha2::Sha512::new()),
            Algorithm::Blake3 => State::Blake3(Box::default()),
        })
    }

    /// The algorithm of this hash.
    pub fn algorithm(&self) -> Algorithm {
        match self.0 {
            State::Sha256(_) => Algorithm::Sha256,
            State::Sha512(_) => Algorithm::Sha512,
            State::Blake3(_) => Algorithm::Blake3,
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            State::Sha256(h) => h.update(data),
            State::Sha512(h) => h.update(data),
            State::Blake3(h) => {
                h.update(data);
            }
        }
    }

    /// Finishes the hash.
    pub fn finish(self) -> Digest {
        let alg = self.algorithm();
        let result = match self.0 {
            State::Sha256(h) => Digest::from_bytes(alg, &h.finalize()),
            State::Sha512(h) => Digest::from_bytes(alg, &h.finalize()),
            State::Blake3(h) => Digest::from_bytes(alg, h.finalize().as_bytes()),
        };
        result.expect("hasher output length matches its algorithm")
    }
}

/// Several [`Hasher`]s fed the same bytes, plus a byte count.
#[derive(Clone)]
pub struct MultiHasher {
    hashers: Vec<Hasher>,
    size: u64,
}

impl MultiHasher {
    /// Starts one hash per distinct algorithm (duplicates are ignored).
    pub fn new(algorithms: &[Algorithm]) -> MultiHasher {
        let mut algs = algorithms.to_vec();
        algs.sort();
        algs.dedup();
        MultiHasher {
            hashers: algs.into_iter().map(Hasher::new).collect(),
            size: 0,
        }
    }

    /// Feeds bytes to every hash.
    pub fn update(&mut self, data: &[u8]) {
        for h in &mut self.hashers {
            h.update(data);
        }
        self.size += data.len() as u64;
    }

    /// Bytes fed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Finishes every hash.
    pub fn finish(self) -> Written {
        Written {
            size: self.size,
            digests: Digests(self.hashers.into_iter().map(Hasher::finish).collect()),
        }
    }
}

/// The digests of one byte stream, at most one per algorithm, sorted by algorithm.
///
/// Serialized as a JSON object `{"sha256": "sha256:…", …}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Digests(Vec<Digest>);

impl Digests {
    /// Collects digests, refusing two different values for one algorithm.
    pub fn new(digests: impl IntoIterator<Item = Digest>) -> Result<Digests, crate::DigestError> {
        let mut v: Vec<Digest> = digests.into_iter().collect();
        v.sort();
        v.dedup();
        if let Some(w) = v.windows(2).find(|w| w[0].algorithm() == w[1].algorithm()) {
            return Err(crate::DigestError::Conflict {
                first: Box::new(w[0]),
                second: Box::new(w[1]),
            });
        }
        Ok(Digests(v))
    }

    /// The digest for `algorithm`, if it was computed.
    pub fn get(&self, algorithm: Algorithm) -> Option<&Digest> {
        self.0.iter().find(|d| d.algorithm() == algorithm)
    }

    /// All digests, sorted by algorithm.
    pub fn iter(&self) -> impl Iterator<Item = &Digest> {
        self.0.iter()
    }

    /// True when no digest is held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Digests {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for d in &self.0 {
            m.serialize_entry(d.algorithm().name(), d)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Digests {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = std::collections::BTreeMap::<String, Digest>::deserialize(d)?;
        for (k, v) in &map {
            if k != v.algorithm().name() {
                return Err(serde::de::Error::custom(format!(
                    "digest {v} is filed under key {k:?}"
                )));
            }
        }
        Digests::new(map.into_values()).map_err(serde::de::Error::custom)
    }
}

/// What a writer wrote: the byte count and the digests of exactly those bytes.
///
/// ```
/// use consign_core::{Algorithm, HashingWriter};
/// use std::io::Write;
/// let mut w = HashingWriter::new(Vec::new(), &[Algorithm::Sha256, Algorithm::Sha512]);
/// w.write_all(b"abc")?;
/// let (bytes, written) = w.finish();
/// assert_eq!(written.size, 3);
/// assert_eq!(bytes, b"abc");
/// assert_eq!(
///     written.sha256().unwrap().hex(),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Written {
    /// Number of bytes.
    pub size: u64,
    /// Digests of those bytes.
    pub digests: Digests,
}

impl Written {
    /// The digest for `algorithm`, if it was computed.
    pub fn digest(&self, algorithm: Algorithm) -> Option<&Digest> {
        self.digests.get(algorithm)
    }

    /// The SHA-256 digest, if it was computed.
    pub fn sha256(&self) -> Option<&Digest> {
        self.digest(Algorithm::Sha256)
    }
}

/// A writer that hashes every byte it passes on to the inner writer.
///
/// Only the bytes the inner writer accepted are hashed, so the digests always describe what
/// reached it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: MultiHasher,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`, hashing with every algorithm in `algorithms`.
    pub fn new(inner: W, algorithms: &[Algorithm]) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: MultiHasher::new(algorithms),
        }
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.hasher.size()
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer, mutably. Bytes written to it directly are not hashed.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Returns the inner writer and what passed through.
    pub fn finish(self) -> (W, Written) {
        (self.inner, self.hasher.finish())
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes every byte read through it.
///
/// ```
/// use consign_core::{Algorithm, HashingReader};
/// use std::io::Read;
/// let mut r = HashingReader::new(&b"abc"[..], &[Algorithm::Sha256]);
/// let mut out = Vec::new();
/// r.read_to_end(&mut out)?;
/// let (_, written) = r.finish();
/// assert_eq!(written.size, 3);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct HashingReader<R> {
    inner: R,
    hasher: MultiHasher,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`, hashing with every algorithm in `algorithms`.
    pub fn new(inner: R, algorithms: &[Algorithm]) -> HashingReader<R> {
        HashingReader {
            inner,
            hasher: MultiHasher::new(algorithms),
        }
    }

    /// Returns the inner reader and what was read.
    pub fn finish(self) -> (R, Written) {
        (self.inner, self.hasher.finish())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Hashes everything `reader` yields.
pub fn hash_reader(mut reader: impl Read, algorithms: &[Algorithm]) -> io::Result<Written> {
    let mut hasher = MultiHasher::new(algorithms);
    let mut buf = vec![0u8; BUF_SIZE];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}

/// Hashes one file, streaming it once.
///
/// ```no_run
/// use consign_core::{hash_file, Algorithm};
/// let written = hash_file("dist/app.tar.gz", &[Algorithm::Sha256])?;
/// println!("{} {}", written.size, written.sha256().unwrap());
/// # Ok::<(), consign_core::IoError>(())
/// ```
pub fn hash_file(path: impl AsRef<Path>, algorithms: &[Algorithm]) -> Result<Written, IoError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| IoError::new("open", path, e))?;
    hash_reader(file, algorithms).map_err(|e| IoError::new("read", path, e))
}

/// Hashes one file with two threads: one reads the next buffers while the other hashes, so
/// reading costs no hashing time. Memory: a few buffers, whatever the file size.
pub(crate) fn hash_file_pipelined(
    path: &Path,
    algorithms: &[Algorithm],
    monitor: &crate::progress::Monitor,
) -> Result<Written, IoError> {
    let file = File::open(path).map_err(|e| IoError::new("open", path, e))?;
    hash_open_file_pipelined(file, path, algorithms, monitor)
}

/// [`hash_file_pipelined`] on a file opened already (`path` names it in errors).
pub(crate) fn hash_open_file_pipelined(
    file: File,
    path: &Path,
    algorithms: &[Algorithm],
    monitor: &crate::progress::Monitor,
) -> Result<Written, IoError> {
    use std::sync::mpsc::sync_channel;
    const BUFFERS: usize = 4;
    let mut file = monitor.reader(file);
    let (full_tx, full_rx) = sync_channel::<io::Result<(Vec<u8>, usize)>>(BUFFERS);
    let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(BUFFERS);
    for _ in 0..BUFFERS {
        // Cannot fail: the channel has room for every buffer and its receiver is alive.
        let _ = empty_tx.send(vec![0u8; BUF_SIZE]);
    }
    std::thread::scope(|s| {
        s.spawn(move || {
            while let Ok(mut buf) = empty_rx.recv() {
                let r = loop {
                    match file.read(&mut buf) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other,
                    }
                };
                let done = !matches!(r, Ok(n) if n > 0);
                if full_tx.send(r.map(|n| (buf, n))).is_err() || done {
                    break;
                }
            }
        });
        // Owns both channel ends it uses, so an early error return disconnects the reader.
        hash_buffers(full_rx, empty_tx, algorithms).map_err(|(op, e)| IoError::new(op, path, e))
    })
}

/// The hashing side of [`hash_file_pipelined`].
fn hash_buffers(
    full: std::sync::mpsc::Receiver<io::Result<(Vec<u8>, usize)>>,
    empty: std::sync::mpsc::SyncSender<Vec<u8>>,
    algorithms: &[Algorithm],
) -> Result<Written, (&'static str, io::Error)> {
    let mut hasher = MultiHasher::new(algorithms);
    loop {
        match full.recv() {
            Ok(Ok((_, 0))) => return Ok(hasher.finish()),
            Ok(Ok((buf, n))) => {
                hasher.update(&buf[..n]);
                // The reader may have stopped already; then the buffer is not needed.
                let _ = empty.send(buf);
            }
            Ok(Err(e)) => return Err(("read", e)),
            Err(_) => return Err(("read", io::Error::other("reading thread stopped"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that accepts at most 3 bytes per call.
    struct Short(Vec<u8>);
    impl Write for Short {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(3);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn hashes_only_accepted_bytes() {
        let mut w = HashingWriter::new(Short(Vec::new()), &[Algorithm::Sha256]);
        assert_eq!(w.write(b"abcdef").unwrap(), 3);
        let (inner, written) = w.finish();
        assert_eq!(inner.0, b"abc");
        assert_eq!(written.size, 3);
        assert_eq!(
            written.sha256(),
            Some(&Digest::of(Algorithm::Sha256, b"abc"))
        );
    }

    #[test]
    fn several_algorithms_one_pass() {
        let data = vec![7u8; 1 << 20];
        let w = hash_reader(&data[..], &Algorithm::ALL).unwrap();
        for alg in Algorithm::ALL {
            assert_eq!(w.digest(alg), Some(&Digest::of(alg, &data)));
        }
        let json = serde_json::to_string(&w).unwrap();
        let back: Written = serde_json::from_str(&json).unwrap();
        assert_eq!(back, w);
    }

    #[test]
    fn digests_refuse_conflicts() {
        let a = Digest::of(Algorithm::Sha256, b"a");
        let b = Digest::of(Algorithm::Sha256, b"b");
        assert!(Digests::new([a, b]).is_err());
        assert_eq!(Digests::new([a, a]).unwrap().iter().count(), 1);
    }

    #[test]
    fn pipelined_file_hash_equals_the_sequential_one() {
        let dir = tempfile::tempdir().unwrap();
        let algs = [Algorithm::Sha256, Algorithm::Blake3];
        for len in [0, 1, BUF_SIZE - 1, BUF_SIZE, 9 * BUF_SIZE + 17] {
            let p = dir.path().join(format!("f{len}"));
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            std::fs::write(&p, &data).unwrap();
            let piped = hash_file_pipelined(&p, &algs, &Default::default()).unwrap();
            assert_eq!(piped, hash_file(&p, &algs).unwrap(), "length {len}");
            assert_eq!(piped.size, len as u64);
            assert_eq!(piped.sha256(), Some(&Digest::of(Algorithm::Sha256, &data)));
        }
        let missing = hash_file_pipelined(&dir.path().join("missing"), &algs, &Default::default())
            .unwrap_err();
        assert_eq!(missing.source.kind(), io::ErrorKind::NotFound);
    }
}
