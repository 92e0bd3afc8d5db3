//! Archives: [`Archive`] writes a [`FileTree`] as tar (plain, gzip, xz, zstd) or zip.
//!
//! Output is deterministic: entries in path order, every mtime the [`SourceDate`], owners from
//! the tree (root 0/0 by default), fixed compression parameters, no host-dependent fields (gzip
//! header mtime 0 and OS "unknown"; gzip is compressed in fixed 128 KiB blocks, xz and zstd
//! always use their multithreaded encoders: the output does not depend on the thread count). Long names use GNU long-name records in tar;
//! sizes past 8 GiB use the GNU base-256 size field in tar and ZIP64 in zip. Zip entries are
//! deflated and carry Unix modes, symlinks and an extended-timestamp field (so the mtime does
//! not depend on the reader's time zone).
//!
//! File data is streamed from disk through one bounded buffer, and the compressed output is
//! hashed as it is written.

pub(crate) mod tarball;
#[cfg(feature = "zip")]
mod zipfile;

use std::io::Write;
use std::num::NonZeroUsize;

use crate::Error;
use crate::compress::{Codec, Compression};
use consign_core::{
    Algorithm, ArtifactKind, ArtifactWriter, FileTree, Monitor, PackageMeta, Platform, RelPath,
    SourceDate, Written,
};

/// An archive format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArchiveFormat {
    /// Uncompressed tar.
    Tar,
    /// Gzip-compressed tar (DEFLATE, zlib-rs).
    TarGz,
    /// Xz-compressed tar (LZMA2, multithreaded).
    TarXz,
    /// Zstandard-compressed tar (multithreaded).
    TarZst,
    /// Zip with deflated entries.
    Zip,
}

impl ArchiveFormat {
    /// Every format.
    pub const ALL: [ArchiveFormat; 5] = [
        ArchiveFormat::Tar,
        ArchiveFormat::TarGz,
        ArchiveFormat::TarXz,
        ArchiveFormat::TarZst,
        ArchiveFormat::Zip,
    ];

    /// The Cargo feature of consign-package this format needs, when this build lacks it
    /// (`xz` for `.tar.xz`, `zip` for `.zip`); `None` when it can be written.
    pub fn missing_feature(self) -> Option<&'static str> {
        match self {
            ArchiveFormat::TarXz if !Codec::Xz.is_available() => Some("xz"),
            #[cfg(not(feature = "zip"))]
            ArchiveFormat::Zip => Some("zip"),
            _ => None,
        }
    }

    /// The file extension, without a leading dot (`tar.gz`).
    pub fn extension(self) -> &'static str {
        match self {
            ArchiveFormat::Tar => "tar",
            ArchiveFormat::TarGz => "tar.gz",
            ArchiveFormat::TarXz => "tar.xz",
            ArchiveFormat::TarZst => "tar.zst",
            ArchiveFormat::Zip => "zip",
        }
    }

    /// The format a file name's extension names (`.tgz` and `.tzst` included).
    pub fn from_file_name(name: &str) -> Option<ArchiveFormat> {
        let n = name.to_ascii_lowercase();
        [
            (".tar.gz", ArchiveFormat::TarGz),
            (".tgz", ArchiveFormat::TarGz),
            (".tar.xz", ArchiveFormat::TarXz),
            (".txz", ArchiveFormat::TarXz),
            (".tar.zst", ArchiveFormat::TarZst),
            (".tzst", ArchiveFormat::TarZst),
            (".tar", ArchiveFormat::Tar),
            (".zip", ArchiveFormat::Zip),
        ]
        .into_iter()
        .find(|(ext, _)| n.ends_with(ext))
        .map(|(_, f)| f)
    }

    /// The default compression level: gzip 9, xz 6, zstd 19, zip (deflate) 9; 0 for plain tar.
    pub fn default_level(self) -> u32 {
        match self {
            ArchiveFormat::Tar => 0,
            ArchiveFormat::TarGz | ArchiveFormat::Zip => 9,
            ArchiveFormat::TarXz => 6,
            ArchiveFormat::TarZst => 19,
        }
    }

    /// The codec of a tar format ([`Codec::None`] for plain tar and for zip, whose entries
    /// are deflated one by one).
    pub fn codec(self) -> Codec {
        match self {
            ArchiveFormat::TarGz => Codec::Gzip,
            ArchiveFormat::TarXz => Codec::Xz,
            ArchiveFormat::TarZst => Codec::Zstd,
            ArchiveFormat::Tar | ArchiveFormat::Zip => Codec::None,
        }
    }

    /// The highest level the format accepts.
    pub fn max_level(self) -> u32 {
        match self {
            ArchiveFormat::Tar => 0,
            ArchiveFormat::TarGz | ArchiveFormat::Zip | ArchiveFormat::TarXz => 9,
            ArchiveFormat::TarZst => 22,
        }
    }
}

/// Behaviour switches for [`Archive`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArchiveOptions {
    /// Compression level; `None` for [`ArchiveFormat::default_level`].
    pub level: Option<u32>,
    /// Compression threads for gzip, xz and zstd; `None` for one per core. The output does
    /// not depend on it.
    pub threads: Option<NonZeroUsize>,
    /// Digests computed over the archive while it is written.
    pub algorithms: Vec<Algorithm>,
    /// Progress (bytes of file data read) and cancellation.
    pub monitor: Monitor,
}

impl Default for ArchiveOptions {
    fn default() -> Self {
        ArchiveOptions {
            level: None,
            threads: None,
            algorithms: vec![Algorithm::Sha256],
            monitor: Monitor::default(),
        }
    }
}

output_setters!(ArchiveOptions);

impl ArchiveOptions {
    /// Sets the compression level.
    #[must_use]
    pub fn level(mut self, level: u32) -> Self {
        self.level = Some(level);
        self
    }

    /// Sets the number of compression threads.
    #[must_use]
    pub fn threads(mut self, threads: NonZeroUsize) -> Self {
        self.threads = Some(threads);
        self
    }
}

/// An archive of a [`FileTree`], ready to be written.
///
/// See the crate documentation for an example.
#[derive(Clone, Debug)]
pub struct Archive<'a> {
    format: ArchiveFormat,
    tree: &'a FileTree,
    date: SourceDate,
    prefix: Option<RelPath>,
    stem: Option<String>,
    platform: Option<Platform>,
    options: ArchiveOptions,
}

impl<'a> Archive<'a> {
    /// An archive of `tree` in `format`, every mtime set to `date`.
    pub fn new(format: ArchiveFormat, tree: &'a FileTree, date: SourceDate) -> Archive<'a> {
        Archive {
            format,
            tree,
            date,
            prefix: None,
            stem: None,
            platform: None,
            options: ArchiveOptions::default(),
        }
    }

    /// Puts every entry under one top-level directory (`name-version-target`).
    pub fn top_level_dir(mut self, dir: impl AsRef<str>) -> Result<Archive<'a>, Error> {
        self.prefix = Some(RelPath::new(dir)?);
        Ok(self)
    }

    /// Names the output file `<stem>.<extension>` (by default the top-level directory's
    /// name). A stem with a `/` or nothing in it is refused.
    pub fn file_stem(mut self, stem: impl Into<String>) -> Result<Archive<'a>, Error> {
        let stem = stem.into();
        if stem.is_empty() || stem.contains(['/', '\\', '\0']) || stem == "." || stem == ".." {
            return Err(ArchiveError::FileName { stem }.into());
        }
        self.stem = Some(stem);
        Ok(self)
    }

    /// The platform the archive is for, recorded in its [`consign_core::Artifact`].
    #[must_use]
    pub fn platform(mut self, platform: Platform) -> Archive<'a> {
        self.platform = Some(platform);
        self
    }

    /// Sets the options.
    #[must_use]
    pub fn options(mut self, options: ArchiveOptions) -> Archive<'a> {
        self.options = options;
        self
    }

    /// The format.
    pub fn format(&self) -> ArchiveFormat {
        self.format
    }
}

impl ArtifactWriter for Archive<'_> {
    type Report = Written;
    type Error = crate::Error;

    /// `<stem>.<extension>`, the stem given by [`Archive::file_stem`] or else the top-level
    /// directory (`hello-1.0.0-x86_64-unknown-linux-gnu.tar.gz`).
    fn file_name(&self) -> Result<String, Error> {
        let stem = match (&self.stem, &self.prefix) {
            (Some(stem), _) => stem.clone(),
            (None, Some(dir)) => dir.as_str().to_owned(),
            (None, None) => {
                return Err(ArchiveError::FileName {
                    stem: String::new(),
                }
                .into());
            }
        };
        Ok(format!("{stem}.{}", self.format.extension()))
    }

    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Archive
    }

    fn platform(&self) -> Option<Platform> {
        self.platform
    }

    /// Writes the archive to `out`, returning the size and digests of the bytes written.
    fn write_to<W: Write>(&self, out: W) -> Result<Written, Error> {
        if let Some(feature) = self.format.missing_feature() {
            return Err(ArchiveError::NotCompiled {
                format: self.format,
                feature,
            }
            .into());
        }
        let level = self.options.level.unwrap_or(self.format.default_level());
        if level > self.format.max_level() {
            return Err(ArchiveError::Level {
                format: self.format,
                level,
                max: self.format.max_level(),
            }
            .into());
        }
        let prefixed;
        let tree = match &self.prefix {
            Some(p) => {
                prefixed = self.tree.with_prefix(p);
                &prefixed
            }
            None => self.tree,
        };
        let monitor = &self.options.monitor;
        monitor.check()?;
        let task = self
            .file_name()
            .unwrap_or_else(|_| self.format.extension().to_owned());
        monitor.begin(&task, Some(tree.total_size()));
        let hashing = consign_core::HashingWriter::new(out, &self.options.algorithms);
        let written = self.write_tree(tree, level, hashing);
        monitor.end();
        written
    }
}

impl Archive<'_> {
    fn write_tree<W: Write>(
        &self,
        tree: &FileTree,
        level: u32,
        hashing: consign_core::HashingWriter<W>,
    ) -> Result<Written, Error> {
        let output = |source| Error::Output { source };
        let monitor = &self.options.monitor;
        let hashing = match self.format {
            #[cfg(feature = "zip")]
            ArchiveFormat::Zip => zipfile::write(tree, self.date, level, monitor, hashing)?,
            tar_format => {
                let mut compression =
                    Compression::new(tar_format.codec())
                        .level(level)
                        .map_err(|e| ArchiveError::Level {
                            format: self.format,
                            level: e.level,
                            max: e.max,
                        })?;
                if let Some(threads) = self.options.threads {
                    compression = compression.threads(threads);
                }
                let sink = compression.writer(hashing).map_err(output)?;
                tarball::write(tree, self.date, monitor, sink)?
                    .finish()
                    .map_err(output)?
            }
        };
        let (mut out, written) = hashing.finish();
        out.flush().map_err(output)?;
        Ok(written)
    }
}

/// Writes `tree` as an uncompressed tar stream into `out` and returns `out` (not flushed):
/// the tar stage of [`Archive`], for formats that wrap a tar stream themselves (OCI layers).
///
/// Entries come in path order, parent directories before their children, every mtime `date`,
/// GNU headers with long-name records; no atime, ctime or PAX records.
///
/// ```
/// use consign_core::{Entry, FileTree, SourceDate};
/// let mut tree = FileTree::new();
/// tree.insert("usr/bin/hello", Entry::bytes(b"hi\n".to_vec()).mode(0o755))?;
/// let monitor = consign_core::Monitor::default();
/// let tar =
///     consign_package::archive::write_tar(&tree, SourceDate::from_unix(0), &monitor, Vec::new())?;
/// assert_eq!(tar.len() % 512, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_tar<W: Write>(
    tree: &FileTree,
    date: SourceDate,
    monitor: &Monitor,
    out: W,
) -> Result<W, Error> {
    tarball::write(tree, date, monitor, out)
}

/// The conventional archive stem for a release: `name-version-target`.
///
/// ```
/// use consign_core::PackageMeta;
/// let meta = PackageMeta::new("app", "1.2.3")?;
/// let stem = consign_package::archive::release_stem(&meta, &"aarch64-apple-darwin".parse()?);
/// assert_eq!(stem, "app-1.2.3-aarch64-apple-darwin");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn release_stem(meta: &PackageMeta, platform: &Platform) -> String {
    format!(
        "{}-{}-{}",
        meta.name(),
        meta.version(),
        platform.rust_target()
    )
}

/// What only archives meet: carried by [`crate::Error::Archive`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// A compression level out of range.
    #[error("compression level {level} is out of range for {format:?} (0..={max})")]
    Level {
        /// The format.
        format: ArchiveFormat,
        /// The level asked for.
        level: u32,
        /// The highest level.
        max: u32,
    },
    /// No file name can be made: no stem and no top-level directory were given, or the stem
    /// is not a plain file name.
    #[error(
        "cannot name the archive file {stem:?}: give a plain file stem (Archive::file_stem) or a top-level directory"
    )]
    FileName {
        /// The stem given (empty when none).
        stem: String,
    },
    /// The format is not compiled into this build of consign-package.
    #[error(
        "{format:?} archives are not compiled in: enable consign-package's `{feature}` feature"
    )]
    NotCompiled {
        /// The format asked for.
        format: ArchiveFormat,
        /// The feature that adds it.
        feature: &'static str,
    },
    /// The zip library refused an entry.
    #[cfg(feature = "zip")]
    #[error("cannot write zip entry {path}: {source}")]
    Zip {
        /// The entry.
        path: String,
        /// The zip error.
        #[source]
        source: zip::result::ZipError,
    },
}
