//! Atomic output: [`AtomicFile`].
//!
//! Bytes go to a hidden temporary file beside the target (`.<name>.<random>.partial`, same
//! directory so the final rename stays on one file system; `<name>` is the target's name cut
//! to its first 32 bytes, so the temporary name stays short whatever the target's length).
//! [`AtomicFile::commit`] flushes, `fsync`s the file, renames it over the target and
//! `fsync`s the directory. Dropping an uncommitted `AtomicFile` (an error, a panic, an
//! interrupted run) removes the temporary file, and in any case a half-written file never
//! carries the target's name.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::IoError;

/// A file that appears at its path only when complete.
///
/// ```
/// use consign_core::AtomicFile;
/// use std::io::Write;
/// let dir = tempfile::tempdir()?;
/// let target = dir.path().join("SHA256SUMS");
/// let mut f = AtomicFile::create(&target)?;
/// f.write_all(b"...")?;
/// assert!(!target.exists());
/// f.commit()?;
/// assert_eq!(std::fs::read(&target)?, b"...");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AtomicFile {
    tmp: BufWriter<tempfile::NamedTempFile>,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path`; its directory must exist.
    pub fn create(path: impl AsRef<Path>) -> Result<AtomicFile, IoError> {
        let target = path.as_ref().to_path_buf();
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target.file_name().ok_or_else(|| {
            IoError::new(
                "create",
                &target,
                io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"),
            )
        })?;
        let prefix = format!(".{}.", temporary_stem(&name.to_string_lossy()));
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".partial");
        #[cfg(unix)]
        {
            // An ordinary output file (0644 less the umask), not the 0600 of a temporary file.
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o644));
        }
        let tmp = builder
            .tempfile_in(&dir)
            .map_err(|e| IoError::new("create a temporary file in", &dir, e))?;
        Ok(AtomicFile {
            tmp: BufWriter::with_capacity(256 * 1024, tmp),
            target,
        })
    }

    /// The path the file will have once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the file to its target, replacing any file there.
    pub fn commit(self) -> Result<(), IoError> {
        let target = self.target;
        let tmp = self
            .tmp
            .into_inner()
            .map_err(|e| IoError::new("write", &target, e.into_error()))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| IoError::new("sync", &target, e))?;
        tmp.persist(&target)
            .map_err(|e| IoError::new("rename into place", &target, e.error))?;
        if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            // Make the rename itself durable.
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| IoError::new("sync directory", dir, e))?;
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tmp.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.tmp.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

/// Bytes of the target's name kept in the temporary name: enough to tell what a leftover
/// temporary file was for, short enough that `.<stem>.<random>.partial` fits in the 255 bytes
/// file systems allow for any target name that fits.
const STEM_BYTES: usize = 32;

/// The first [`STEM_BYTES`] bytes of `name`, cut at a character boundary.
fn temporary_stem(name: &str) -> &str {
    let mut end = name.len().min(STEM_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), IoError> {
    let path = path.as_ref();
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)
        .map_err(|e| IoError::new("write", path, e))?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.tar.gz");
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(&[0u8; 1000]).unwrap();
            let names: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            assert_eq!(names.len(), 1);
            assert!(names[0].starts_with(".out.tar.gz.") && names[0].ends_with(".partial"));
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_atomic(&target, b"x").unwrap();
        write_atomic(&target, b"yz").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"yz");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&target).unwrap().permissions().mode();
            assert_eq!(mode & 0o600, 0o600);
            assert_ne!(
                mode & 0o044,
                0,
                "output readable by others unless the umask says no"
            );
        }
        assert!(AtomicFile::create(dir.path().join("no/such/dir/f")).is_err());
    }

    #[test]
    fn long_names_get_a_short_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        // 250 bytes: a legal name, too long for `.<name>.<random>.partial`.
        let name = format!("{}.tar.gz", "n".repeat(243));
        assert_eq!(name.len(), 250);
        let target = dir.path().join(&name);
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"data").unwrap();
        let temporary: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(temporary.len(), 1);
        assert!(
            temporary[0].starts_with(&format!(".{}.", &name[..32]))
                && temporary[0].ends_with(".partial")
                && temporary[0].len() < 64,
            "{temporary:?}"
        );
        f.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"data");
        write_atomic(&target, b"again").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"again");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        // Multi-byte characters are not cut in the middle.
        let wide = "é".repeat(120); // 240 bytes
        write_atomic(dir.path().join(&wide), b"x").unwrap();
        assert_eq!(temporary_stem(&wide).len(), 32);
        assert_eq!(temporary_stem("ab\u{e9}").len(), 4);
        let cut = format!("{}é", "a".repeat(31));
        assert_eq!(temporary_stem(&cut), "a".repeat(31));
    }
}
