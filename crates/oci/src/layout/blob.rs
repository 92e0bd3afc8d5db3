//! Blobs of an image layout: [`BlobWriter`] streams one in, [`BlobReader`] streams one out
//! and checks its digest, [`BlobFile`] names one on disk.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use consign_core::{Algorithm, Digest, HashingWriter, IoError, MultiHasher, Written};

use crate::{Descriptor, Error};

/// A blob in a layout: its path and size, for streaming uploads from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlobFile {
    /// The blob's digest.
    pub digest: Digest,
    /// Where it is (`<layout>/blobs/sha256/<hex>`).
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
}

/// Streams a blob into a layout: bytes go to a temporary file in the layout, hashed as they
/// pass; [`BlobWriter::commit`] moves the file to `blobs/sha256/<hex>`.
///
/// The blob is created with mode 0644 less the umask, like every other output (not the 0600
/// of a temporary file). Dropped without a commit, the temporary file is removed.
pub struct BlobWriter {
    out: HashingWriter<BufWriter<tempfile::NamedTempFile>>,
    blobs: PathBuf,
}

impl BlobWriter {
    pub(crate) fn new(root: &Path) -> Result<BlobWriter, Error> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".blob-").suffix(".partial");
        #[cfg(unix)]
        {
            // An ordinary output file, as `AtomicFile` makes them: 0644 less the umask.
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o644));
        }
        let tmp = builder
            .tempfile_in(root)
            .map_err(|e| IoError::new("create a temporary file in", root, e))?;
        Ok(BlobWriter {
            out: HashingWriter::new(
                BufWriter::with_capacity(256 * 1024, tmp),
                &[Algorithm::Sha256],
            ),
            blobs: root.join("blobs"),
        })
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.out.size()
    }

    /// Syncs the blob and moves it into place under its digest (an existing blob of the same
    /// digest is kept); with `expected`, first checks the digest and size against it. The
    /// blob's directory is synced before this returns, so a crash after `index.json` names
    /// the blob cannot lose it.
    pub fn commit(self, expected: Option<&Descriptor>) -> Result<BlobFile, Error> {
        let (buffered, written) = self.out.finish();
        let digest = sha256(&written);
        let blobs = self.blobs;
        let tmp = buffered
            .into_inner()
            .map_err(|e| IoError::new("write a blob in", &blobs, e.into_error()))?;
        if let Some(want) = expected {
            check(&written, &digest, want, || format!("blob {}", want.digest))?;
        }
        let dir = blobs.join(digest.algorithm().name());
        let created = !dir.is_dir();
        std::fs::create_dir_all(&dir).map_err(|e| IoError::new("create", &dir, e))?;
        let path = dir.join(digest.hex());
        if !path.exists() {
            tmp.as_file()
                .sync_all()
                .map_err(|e| IoError::new("sync", tmp.path(), e))?;
            tmp.persist(&path)
                .map_err(|e| IoError::new("rename into place", &path, e.error))?;
        }
        // The rename (or the earlier one that made the blob) is durable before a caller
        // names the blob in index.json; directories just made, their entries too.
        sync_dir(&dir)?;
        if created {
            sync_dir(&blobs)?;
            if let Some(root) = blobs.parent() {
                sync_dir(root)?;
            }
        }
        Ok(BlobFile {
            digest,
            path,
            size: written.size,
        })
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Makes the entries of the directory `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), IoError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| IoError::new("sync directory", dir, e))
}

/// Reads a blob and checks, at its end (the read that returns 0 bytes), that its size and digest are the descriptor's: the
/// last read returns an error of kind `InvalidData` when they are not (the error's inner
/// value is the [`Error::DigestMismatch`]).
pub struct BlobReader {
    file: io::Take<File>,
    hasher: MultiHasher,
    expected: Descriptor,
    what: String,
    checked: bool,
}

impl BlobReader {
    pub(crate) fn new(file: File, expected: Descriptor, what: String) -> BlobReader {
        BlobReader {
            // One byte more than expected, to notice a blob that is too long.
            file: file.take(expected.size.saturating_add(1)),
            hasher: MultiHasher::new(&[expected.digest.algorithm()]),
            expected,
            what,
            checked: false,
        }
    }

    /// The size the descriptor gives.
    pub fn size(&self) -> u64 {
        self.expected.size
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.hasher.update(&buf[..n]);
        let at_end = self.hasher.size() > self.expected.size || (n == 0 && !buf.is_empty());
        if at_end && !self.checked {
            self.checked = true;
            let algorithm = self.expected.digest.algorithm();
            let written =
                std::mem::replace(&mut self.hasher, MultiHasher::new(&[algorithm])).finish();
            let digest = written
                .digest(algorithm)
                .cloned()
                .unwrap_or_else(|| Digest::of(algorithm, b""));
            let what = self.what.clone();
            check(&written, &digest, &self.expected, || what)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
        Ok(n)
    }
}

/// The SHA-256 digest of a [`Written`] made with SHA-256 among its algorithms.
pub(crate) fn sha256(written: &Written) -> Digest {
    written
        .sha256()
        .cloned()
        .unwrap_or_else(|| Digest::of(Algorithm::Sha256, b""))
}

/// Checks `written`/`digest` against `want`.
pub(crate) fn check(
    written: &Written,
    digest: &Digest,
    want: &Descriptor,
    what: impl FnOnce() -> String,
) -> Result<(), Error> {
    if digest == &want.digest && written.size == want.size {
        Ok(())
    } else {
        Err(Error::mismatch(what(), want, *digest, written.size))
    }
}
