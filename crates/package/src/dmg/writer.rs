//! [`Dmg`]: a UDIF disk image holding an HFS+ volume of the tree.

use std::io::Write;
use std::num::NonZeroUsize;

use consign_core::{
    Algorithm, Arch, ArtifactKind, ArtifactWriter, FileTree, HashingWriter, Monitor, Os,
    PackageMeta, Platform, SourceDate, Written,
};

use super::hfs::{HfsOptions, HfsVolume};
use super::udif::{DmgFormat, UdifWriter, WHOLE_DISK_HFS};
use crate::Error;

/// How a disk image is made: chunk codec and level, volume name, case sensitivity, size.
///
/// ```
/// use consign_package::dmg::{DmgFormat, DmgOptions};
/// let options = DmgOptions::default().format(DmgFormat::Udbz).volume_name("Hello 1.0");
/// assert_eq!(options.format, DmgFormat::Udbz);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DmgOptions {
    /// How chunks are stored (default: zlib, UDZO).
    pub format: DmgFormat,
    /// The codec level; `None` for the format's default.
    pub level: Option<u32>,
    /// The volume name; `None` for the package name.
    pub volume_name: Option<String>,
    /// A case-sensitive HFSX volume instead of HFS+.
    pub case_sensitive: bool,
    /// The volume size in bytes; `None` for just large enough.
    pub size: Option<u64>,
    /// Compression threads; `None` for one per core. The bytes do not depend on it.
    pub threads: Option<NonZeroUsize>,
    /// Digests computed over the image while it is written.
    pub algorithms: Vec<Algorithm>,
    /// Progress and cancellation.
    pub monitor: Monitor,
}

output_setters!(DmgOptions);

impl Default for DmgOptions {
    fn default() -> DmgOptions {
        DmgOptions {
            format: DmgFormat::default(),
            level: None,
            volume_name: None,
            case_sensitive: false,
            size: None,
            threads: None,
            algorithms: vec![Algorithm::Sha256],
            monitor: Monitor::default(),
        }
    }
}

impl DmgOptions {
    /// Sets how chunks are stored.
    #[must_use]
    pub fn format(mut self, format: DmgFormat) -> DmgOptions {
        self.format = format;
        self
    }

    /// Sets the codec level (zlib 1..=9, bzip2 1..=9).
    #[must_use]
    pub fn level(mut self, level: u32) -> DmgOptions {
        self.level = Some(level);
        self
    }

    /// Sets the volume name.
    #[must_use]
    pub fn volume_name(mut self, name: impl Into<String>) -> DmgOptions {
        self.volume_name = Some(name.into());
        self
    }

    /// Asks for a case-sensitive HFSX volume.
    #[must_use]
    pub fn case_sensitive(mut self, yes: bool) -> DmgOptions {
        self.case_sensitive = yes;
        self
    }

    /// Sets the volume size in bytes (free space beyond the tree).
    #[must_use]
    pub fn size(mut self, bytes: u64) -> DmgOptions {
        self.size = Some(bytes);
        self
    }

    /// Sets the number of compression threads.
    #[must_use]
    pub fn threads(mut self, threads: NonZeroUsize) -> DmgOptions {
        self.threads = Some(threads);
        self
    }
}

/// A macOS disk image (`.dmg`) of a tree: an HFS+ volume in a UDIF container, streamed.
///
/// The image's single partition holds the volume, as `hdiutil create -layout NONE` makes it;
/// macOS mounts it, 7-Zip, `dmg2img` and the `hfsplus` tools read it. Put an app bundle and
/// an `/Applications` link in the tree with [`super::AppBundle`], or plain files for a
/// command-line tool.
///
/// ```
/// use consign_core::{Arch, Entry, FileTree, Os, PackageMeta, Platform, SourceDate};
/// use consign_package::ArtifactWriter;
/// use consign_package::dmg::{Dmg, UdifImage};
///
/// let mut tree = FileTree::new();
/// tree.insert("hello", Entry::bytes(b"#!/bin/sh\necho hello\n".to_vec()).mode(0o755))?;
/// let meta = PackageMeta::new("hello", "1.0.0")?;
/// let platform = Platform::new(Os::Macos, Arch::Aarch64, None)?;
/// let dmg = Dmg::new(&tree, &meta, platform, SourceDate::from_unix(1_700_000_000))?;
/// assert_eq!(dmg.file_name()?, "hello-1.0.0-arm64.dmg");
/// let mut image = Vec::new();
/// let written = dmg.write_to(&mut image)?;
/// assert_eq!(written.size, image.len() as u64);
/// // Same inputs, same bytes; our reader checks every checksum.
/// assert_eq!(dmg.write_to(Vec::new())?, written);
/// let mut raw = Vec::new();
/// UdifImage::open(std::io::Cursor::new(image))?.copy_raw(&mut raw)?;
/// assert_eq!(&raw[1024..1026], b"H+");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Dmg<'a> {
    tree: &'a FileTree,
    meta: &'a PackageMeta,
    platform: Platform,
    date: SourceDate,
    options: DmgOptions,
}

impl<'a> Dmg<'a> {
    /// A disk image of `tree` for `platform` (macOS), named after `meta`.
    pub fn new(
        tree: &'a FileTree,
        meta: &'a PackageMeta,
        platform: Platform,
        date: SourceDate,
    ) -> Result<Dmg<'a>, Error> {
        if platform.os() != Os::Macos || !matches!(platform.arch(), Arch::X86_64 | Arch::Aarch64) {
            return Err(Error::Invalid {
                field: "disk image platform",
                value: platform.rust_target(),
                reason: "a .dmg is for macOS (x86_64 or aarch64)",
            });
        }
        Ok(Dmg {
            tree,
            meta,
            platform,
            date,
            options: DmgOptions::default(),
        })
    }

    /// Sets the options.
    #[must_use]
    pub fn options(mut self, options: DmgOptions) -> Dmg<'a> {
        self.options = options;
        self
    }

    /// The architecture as macOS names it in file names (`x86_64`, `arm64`).
    fn arch(&self) -> &'static str {
        match self.platform.arch() {
            Arch::Aarch64 => "arm64",
            _ => "x86_64",
        }
    }

    /// Plans the volume (the part of writing that can fail before any byte is out).
    pub fn volume(&self) -> Result<HfsVolume<'a>, Error> {
        let name = self
            .options
            .volume_name
            .clone()
            .unwrap_or_else(|| self.meta.name().to_owned());
        let mut hfs = HfsOptions::new(name).case_sensitive(self.options.case_sensitive);
        if let Some(size) = self.options.size {
            hfs = hfs.size(size);
        }
        HfsVolume::new(self.tree, self.date, hfs)
    }
}

impl ArtifactWriter for Dmg<'_> {
    type Report = Written;
    type Error = Error;

    fn file_name(&self) -> Result<String, Error> {
        Ok(format!(
            "{}-{}-{}.dmg",
            self.meta.name(),
            self.meta.version().as_str(),
            self.arch()
        ))
    }

    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Dmg
    }

    fn platform(&self) -> Option<Platform> {
        Some(self.platform)
    }

    fn write_to<W: Write>(&self, out: W) -> Result<Written, Error> {
        let monitor = &self.options.monitor;
        monitor.check()?;
        let volume = self.volume()?;
        let task = self.file_name().unwrap_or_else(|_| "dmg".to_owned());
        monitor.begin(&task, Some(self.tree.total_size()));
        let result = self.write_volume(&volume, out);
        monitor.end();
        result
    }
}

impl Dmg<'_> {
    fn write_volume(&self, volume: &HfsVolume<'_>, out: impl Write) -> Result<Written, Error> {
        let output = |source| Error::Output { source };
        let hashing = HashingWriter::new(out, &self.options.algorithms);
        let threads = self
            .options
            .threads
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get);
        let mut udif = UdifWriter::new(
            hashing,
            self.options.format,
            self.options.level,
            threads,
            volume.size() / 512,
            WHOLE_DISK_HFS,
        )
        .map_err(output)?;
        volume.write_to(&mut udif, &self.options.monitor)?;
        let hashing = udif.finish().map_err(output)?;
        Ok(hashing.finish().1)
    }
}
