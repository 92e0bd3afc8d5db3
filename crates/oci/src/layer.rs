//! [`Layer`]: a layer blob with its diff_id; [`LayerBuilder`] writes one from a
//! [`FileTree`].
//!
//! The tar stream is consign-package's deterministic tar (entries sorted, parents before
//! children, every mtime the [`SourceDate`], owners from the tree, no atime/ctime/PAX records).
//! It is hashed (the diff_id), compressed and hashed again (the blob digest) in one streaming
//! pass: memory does not grow with the layer, and nothing is read twice.

use std::io::Write;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use consign_core::{Algorithm, Digest, FileTree, HashingWriter, Monitor, SourceDate};
use consign_package::compress::{Codec, Compression};

use crate::layout::{BlobReader, OciLayout};
use crate::store::{BlobData, BlobStore, StoreRef};
use crate::{Descriptor, Error, MediaType};

/// How a layer's tar is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LayerCompression {
    /// Plain tar ([`MediaType::Layer`]).
    None,
    /// gzip ([`MediaType::LayerGzip`]), what every runtime reads.
    Gzip,
    /// Zstandard ([`MediaType::LayerZstd`]): faster and smaller; needs recent runtimes.
    Zstd,
}

impl LayerCompression {
    /// The layer media type.
    pub fn media_type(self) -> MediaType {
        match self {
            LayerCompression::None => MediaType::Layer,
            LayerCompression::Gzip => MediaType::LayerGzip,
            LayerCompression::Zstd => MediaType::LayerZstd,
        }
    }

    fn codec(self) -> Codec {
        match self {
            LayerCompression::None => Codec::None,
            LayerCompression::Gzip => Codec::Gzip,
            LayerCompression::Zstd => Codec::Zstd,
        }
    }

    /// The default level: gzip 6, zstd 3 (fast, as registries' consumers expect).
    pub fn default_level(self) -> u32 {
        match self {
            LayerCompression::None => 0,
            LayerCompression::Gzip => 6,
            LayerCompression::Zstd => 3,
        }
    }
}

/// Behaviour switches for [`LayerBuilder`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LayerOptions {
    /// The compression (gzip by default).
    pub compression: LayerCompression,
    /// The level; `None` for [`LayerCompression::default_level`].
    pub level: Option<u32>,
    /// zstd worker threads; `None` for one per core. The output does not depend on it.
    pub threads: Option<NonZeroUsize>,
    /// Progress (bytes of file data read) and cancellation.
    pub monitor: Monitor,
}

impl Default for LayerOptions {
    fn default() -> LayerOptions {
        LayerOptions {
            compression: LayerCompression::Gzip,
            level: None,
            threads: None,
            monitor: Monitor::default(),
        }
    }
}

impl LayerOptions {
    /// Reports progress to, and stops when interrupted through, `monitor`.
    #[must_use]
    pub fn monitor(mut self, monitor: Monitor) -> LayerOptions {
        self.monitor = monitor;
        self
    }

    /// Sets the compression.
    #[must_use]
    pub fn compression(mut self, compression: LayerCompression) -> LayerOptions {
        self.compression = compression;
        self
    }

    /// Sets the level.
    #[must_use]
    pub fn level(mut self, level: u32) -> LayerOptions {
        self.level = Some(level);
        self
    }

    /// Sets the number of zstd threads.
    #[must_use]
    pub fn threads(mut self, threads: NonZeroUsize) -> LayerOptions {
        self.threads = Some(threads);
        self
    }
}

/// A layer of an image: the descriptor of its (compressed) blob, the digest of its
/// uncompressed tar (the diff_id the image config lists), and where its bytes are: a file on
/// this machine, or a [`BlobStore`] (a registry repository, memory), when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    descriptor: Descriptor,
    diff_id: Digest,
    blob: Option<PathBuf>,
    store: Option<StoreRef>,
}

impl Layer {
    /// A layer from its descriptor and diff_id, bytes elsewhere (in a registry).
    pub fn new(descriptor: Descriptor, diff_id: Digest) -> Layer {
        Layer {
            descriptor,
            diff_id,
            blob: None,
            store: None,
        }
    }

    /// With its bytes in the file `path`.
    #[must_use]
    pub fn at(mut self, path: impl Into<PathBuf>) -> Layer {
        self.blob = Some(path.into());
        self
    }

    /// With its bytes in `store` (used when the layer has no file on this machine).
    #[must_use]
    pub fn in_store(mut self, store: Arc<dyn BlobStore>) -> Layer {
        self.store = Some(StoreRef(store));
        self
    }

    /// The store holding its bytes, if one was named.
    pub fn store(&self) -> Option<&Arc<dyn BlobStore>> {
        self.store.as_ref().map(|s| &s.0)
    }

    /// Where its bytes can be had: its file, else its store.
    pub(crate) async fn data(&self) -> Result<BlobData, Error> {
        if let Some(path) = &self.blob {
            return Ok(BlobData::File(path.clone()));
        }
        match &self.store {
            Some(store) => store.0.blob(&self.descriptor).await,
            None => Err(Error::LayerNotLocal {
                digest: self.descriptor.digest,
            }),
        }
    }

    /// The descriptor of the blob.
    pub fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    /// The SHA-256 of the uncompressed tar.
    pub fn diff_id(&self) -> &Digest {
        &self.diff_id
    }

    /// Where the blob is on this machine, if it is.
    pub fn blob_path(&self) -> Option<&Path> {
        self.blob.as_deref()
    }

    /// Opens the blob; the reader checks its size and digest at the end.
    pub fn open(&self) -> Result<BlobReader, Error> {
        let Some(path) = &self.blob else {
            return Err(Error::LayerNotLocal {
                digest: self.descriptor.digest,
            });
        };
        let file =
            std::fs::File::open(path).map_err(|e| consign_core::IoError::new("open", path, e))?;
        Ok(BlobReader::new(
            file,
            self.descriptor.clone(),
            format!("layer {} at {}", self.descriptor.digest, path.display()),
        ))
    }
}

/// The prefix of whiteout names in OCI (and Docker) layers.
const WHITEOUT_PREFIX: &str = ".wh.";

/// Refuses a tree with a whiteout name. Every component of a path is an entry of the tree
/// (parents are implied), so looking at last components sees them all.
fn check_whiteouts(tree: &FileTree) -> Result<(), Error> {
    match tree
        .iter()
        .find(|(path, _)| path.file_name().starts_with(WHITEOUT_PREFIX))
    {
        Some((path, _)) => Err(Error::Whiteout { path: path.clone() }),
        None => Ok(()),
    }
}

/// Writes a layer from a [`FileTree`].
///
/// ```
/// use consign_core::{Entry, FileTree, SourceDate};
/// use consign_oci::{LayerBuilder, LayerCompression, LayerOptions, MediaType};
///
/// let mut tree = FileTree::new();
/// tree.insert("usr/bin/hello", Entry::bytes(b"#!/bin/sh\necho hello\n".to_vec()).mode(0o755))?;
/// let builder = LayerBuilder::new(&tree, SourceDate::from_unix(1_700_000_000))
///     .options(LayerOptions::default().compression(LayerCompression::Zstd));
///
/// let mut blob = Vec::new();
/// let layer = builder.write_to(&mut blob)?;
/// assert_eq!(layer.descriptor().media_type, MediaType::LayerZstd);
/// assert_eq!(layer.descriptor().size, blob.len() as u64);
/// // Same tree, same date: same bytes.
/// assert_eq!(builder.write_to(std::io::sink())?, layer);
///
/// let dir = tempfile::tempdir()?;
/// let layout = consign_oci::OciLayout::create(dir.path())?;
/// let stored = builder.write_into(&layout)?;
/// assert_eq!(stored.blob_path(), Some(layout.blob_path(&stored.descriptor().digest).as_path()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct LayerBuilder<'a> {
    tree: &'a FileTree,
    date: SourceDate,
    options: LayerOptions,
}

impl<'a> LayerBuilder<'a> {
    /// A layer of `tree`, every mtime set to `date`.
    pub fn new(tree: &'a FileTree, date: SourceDate) -> LayerBuilder<'a> {
        LayerBuilder {
            tree,
            date,
            options: LayerOptions::default(),
        }
    }

    /// Sets the options.
    #[must_use]
    pub fn options(mut self, options: LayerOptions) -> LayerBuilder<'a> {
        self.options = options;
        self
    }

    fn compression(&self) -> Result<Compression, Error> {
        let c = self.options.compression;
        let level = self.options.level.unwrap_or(c.default_level());
        let mut compression =
            Compression::new(c.codec())
                .level(level)
                .map_err(|e| Error::Invalid {
                    what: "layer compression".to_owned(),
                    reason: e.to_string(),
                })?;
        if let Some(threads) = self.options.threads {
            compression = compression.threads(threads);
        }
        Ok(compression)
    }

    /// Writes the blob to `out` and returns the layer (its bytes are wherever `out` put them).
    ///
    /// A tree with a name starting with `.wh.` (at any depth) is refused with
    /// [`Error::Whiteout`] before anything is written: in a layer such a name is a whiteout,
    /// which deletes files of the layers below instead of adding itself.
    pub fn write_to(&self, out: impl Write) -> Result<Layer, Error> {
        check_whiteouts(self.tree)?;
        let compression = self.compression()?;
        let output = |source| Error::Layer(consign_package::Error::Output { source });
        let blob = HashingWriter::new(out, &[Algorithm::Sha256]);
        let compressed = compression.writer(blob).map_err(output)?;
        let tar = HashingWriter::new(compressed, &[Algorithm::Sha256]);
        let monitor = &self.options.monitor;
        monitor.check().map_err(consign_package::Error::from)?;
        monitor.begin("layer", Some(self.tree.total_size()));
        let tar = consign_package::archive::write_tar(self.tree, self.date, monitor, tar);
        monitor.end();
        let tar = tar?;
        let (compressed, tar_written) = tar.finish();
        let blob = compressed.finish().map_err(output)?;
        let (mut out, blob_written) = blob.finish();
        out.flush().map_err(output)?;
        let digest = crate::layout::sha256(&blob_written);
        let diff_id = crate::layout::sha256(&tar_written);
        Ok(Layer::new(
            Descriptor::new(
                self.options.compression.media_type(),
                digest,
                blob_written.size,
            ),
            diff_id,
        ))
    }

    /// Writes the blob into `layout` and returns the layer, located there.
    pub fn write_into(&self, layout: &OciLayout) -> Result<Layer, Error> {
        let mut w = layout.blob_writer()?;
        let layer = self.write_to(&mut w)?;
        let blob = w.commit(Some(layer.descriptor()))?;
        Ok(layer.at(blob.path))
    }

    /// Writes the blob into `store` (through a temporary file, so memory stays flat whatever
    /// the store) and returns the layer, its bytes in `store`.
    pub async fn write_into_store(&self, store: Arc<dyn BlobStore>) -> Result<Layer, Error> {
        let mut temp = tempfile::NamedTempFile::new()
            .map_err(|e| consign_core::IoError::new("create", std::env::temp_dir(), e))?;
        let layer = self.write_to(temp.as_file_mut())?;
        let data = BlobData::File(temp.path().to_path_buf());
        store.put_blob(layer.descriptor(), data).await?;
        drop(temp);
        Ok(layer.in_store(store))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use consign_core::{Entry, RelPath};

    #[test]
    fn whiteout_names_are_refused_before_anything_is_written() {
        for (path, reported) in [
            (".wh.etc", ".wh.etc"),
            ("etc/.wh.passwd", "etc/.wh.passwd"),
            ("usr/.wh..wh..opq", "usr/.wh..wh..opq"),
            // A directory named like a whiteout is one too (its parent comes first).
            ("opt/.wh.app/bin/app", "opt/.wh.app"),
        ] {
            let mut tree = FileTree::new();
            tree.insert("bin/sh", Entry::bytes(b"#!".to_vec())).unwrap();
            tree.insert(path, Entry::bytes(b"x".to_vec())).unwrap();
            let mut out = Vec::new();
            match LayerBuilder::new(&tree, SourceDate::from_unix(0)).write_to(&mut out) {
                Err(Error::Whiteout { path }) => assert_eq!(path.as_str(), reported),
                other => panic!("{path}: {other:?}"),
            }
            assert!(out.is_empty(), "{path}: bytes written before the refusal");
        }
        let err = Error::Whiteout {
            path: RelPath::new("etc/.wh.passwd").unwrap(),
        };
        assert!(err.to_string().contains("etc/.wh.passwd"), "{err}");

        // Names that only look alike are fine.
        let mut tree = FileTree::new();
        for path in ["etc/.whitelist", "etc/wh.conf", "etc/a.wh.b", "etc/.wh"] {
            tree.insert(path, Entry::bytes(b"x".to_vec())).unwrap();
        }
        LayerBuilder::new(&tree, SourceDate::from_unix(0))
            .write_to(std::io::sink())
            .unwrap();
    }
}
