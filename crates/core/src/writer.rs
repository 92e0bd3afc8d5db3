//! [`ArtifactWriter`]: the one shape of every artifact writer (archives, .deb, .rpm, and the
//! formats added after them).
//!
//! A writer knows its conventional file name, the [`ArtifactKind`] it makes and the platform it
//! is for, streams itself into any `impl Write`, and reports what it wrote. Most writers report
//! a [`Written`] (size and digests); a writer whose output a later stage needs to describe
//! (repository metadata needs a .deb's control paragraph, an .rpm's name, version, arch,
//! provides and requires) reports a richer value that still gives the [`Written`] through
//! [`WriteReport`]. Writing to a path is atomic and provided; so is writing into a release
//! directory under the conventional name, which yields the [`Artifact`] to record.
//!
//! ```
//! use std::io::Write;
//! use consign_core::{
//!     Algorithm, ArtifactKind, ArtifactWriter, HashingWriter, IoError, Platform, Written,
//! };
//!
//! /// A writer of a plain text file.
//! struct Notes(String);
//!
//! impl ArtifactWriter for Notes {
//!     type Report = Written;
//!     type Error = IoError;
//!     fn file_name(&self) -> Result<String, IoError> {
//!         Ok("NOTES.md".to_owned())
//!     }
//!     fn kind(&self) -> ArtifactKind {
//!         ArtifactKind::Metadata
//!     }
//!     fn write_to<W: Write>(&self, out: W) -> Result<Written, IoError> {
//!         let mut out = HashingWriter::new(out, &[Algorithm::Sha256]);
//!         out.write_all(self.0.as_bytes())
//!             .map_err(|e| IoError::new("write", "NOTES.md", e))?;
//!         Ok(out.finish().1)
//!     }
//! }
//!
//! let dir = tempfile::tempdir()?;
//! let (artifact, written) = Notes("# 1.0\n".into()).write_into(dir.path())?;
//! assert_eq!(artifact.name, "NOTES.md");
//! assert_eq!(artifact.size, 6);
//! assert_eq!(written.size, 6);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Write};
use std::path::Path;

use crate::artifact::{Artifact, ArtifactKind};
use crate::atomic::AtomicFile;
use crate::error::IoError;
use crate::hash::Written;
use crate::platform::Platform;

/// What a writer reports: at least the size and digests of its output.
pub trait WriteReport {
    /// The size and digests of the bytes written.
    fn written(&self) -> &Written;
}

impl WriteReport for Written {
    fn written(&self) -> &Written {
        self
    }
}

/// A writer of one release artifact. See the [module documentation](self).
pub trait ArtifactWriter {
    /// What [`ArtifactWriter::write_to`] reports ([`Written`], or a richer value).
    type Report: WriteReport;
    /// The writer's error type.
    type Error: std::error::Error + From<IoError>;

    /// The conventional file name of the output (`hello_1.0-1_amd64.deb`), without a directory.
    fn file_name(&self) -> Result<String, Self::Error>;

    /// What kind of artifact the writer makes.
    fn kind(&self) -> ArtifactKind;

    /// The platform the artifact is for; `None` for platform-independent output.
    fn platform(&self) -> Option<Platform> {
        None
    }

    /// Streams the artifact into `out` and reports what was written. Memory does not grow
    /// with the payload.
    fn write_to<W: Write>(&self, out: W) -> Result<Self::Report, Self::Error>;

    /// Writes the artifact to `path` atomically: the file appears only when complete, and
    /// nothing is left there when writing fails or is interrupted.
    fn write_to_path(&self, path: impl AsRef<Path>) -> Result<Self::Report, Self::Error> {
        let mut file = AtomicFile::create(path.as_ref())?;
        let report = self.write_to(&mut file)?;
        file.commit()?;
        Ok(report)
    }

    /// Writes the artifact into the directory `dir` under its [file
    /// name](ArtifactWriter::file_name) and returns the [`Artifact`] to record with the report.
    fn write_into(&self, dir: impl AsRef<Path>) -> Result<(Artifact, Self::Report), Self::Error> {
        let name = self.file_name()?;
        let path = dir.as_ref().join(&name);
        let report = self.write_to_path(&path)?;
        let artifact = Artifact::new(&name, self.kind(), report.written()).map_err(|e| {
            IoError::new(
                "record",
                &path,
                io::Error::new(io::ErrorKind::InvalidInput, e.to_string()),
            )
        })?;
        let artifact = match self.platform() {
            Some(platform) => artifact.with_platform(platform),
            None => artifact,
        };
        Ok((artifact, report))
    }
}
