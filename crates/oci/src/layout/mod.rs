//! [`OciLayout`]: an OCI image layout on disk (`oci-layout`, `index.json`, `blobs/`), the
//! store images are built into and read from without any registry.
//!
//! Blobs are written to a temporary file in the layout while they are hashed, then renamed to
//! `blobs/sha256/<hex>` (an existing blob is kept: content addressing makes it the same);
//! `index.json` is replaced atomically. Reading checks sizes and digests. Manifests are named in
//! `index.json` by `org.opencontainers.image.ref.name` annotations, the tags tools like skopeo
//! and umoci use (`oci:<dir>:<tag>`).

mod blob;

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use consign_core::{Algorithm, Digest, IoError, write_atomic};
use serde::Deserialize;

pub(crate) use blob::sha256;
pub use blob::{BlobFile, BlobReader, BlobWriter};

use crate::{Descriptor, Error, Index, MediaType, Tag, annotation, json};

/// The content of `oci-layout`.
const OCI_LAYOUT: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;

/// The largest manifest or index read (registries refuse larger ones too).
pub const MAX_MANIFEST_SIZE: u64 = 4 << 20;

/// An OCI image layout directory.
///
/// ```
/// use consign_oci::{Descriptor, Manifest, MediaType, OciLayout, Tag};
///
/// let dir = tempfile::tempdir()?;
/// let layout = OciLayout::create(dir.path().join("image"))?;
/// let config = layout.write_blob(br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#)?;
/// let manifest = Manifest::new(Descriptor::new(MediaType::ImageConfig, config.digest, config.size));
/// let written = layout.put_manifest(&manifest.to_json(), MediaType::ImageManifest)?;
/// layout.tag(&written, &Tag::new("latest")?)?;
///
/// let (found, bytes) = layout.manifest("latest")?;
/// assert_eq!(found.digest, written.digest);
/// assert_eq!(Manifest::from_json(&bytes)?, manifest);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct OciLayout {
    root: PathBuf,
}

#[derive(Deserialize)]
struct LayoutFile {
    #[serde(rename = "imageLayoutVersion")]
    version: String,
}

/// Just enough of a manifest or index to tell which it is.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sniff {
    media_type: Option<MediaType>,
    manifests: Option<serde::de::IgnoredAny>,
}

impl OciLayout {
    /// Opens the layout at `dir`, creating the directory, `oci-layout`, an empty `index.json`
    /// and `blobs/sha256` where missing.
    pub fn create(dir: impl AsRef<Path>) -> Result<OciLayout, Error> {
        let root = dir.as_ref().to_path_buf();
        let blobs = root.join("blobs").join("sha256");
        let fresh = !blobs.is_dir();
        fs::create_dir_all(&blobs).map_err(|e| IoError::new("create", &blobs, e))?;
        if fresh {
            // `blobs/sha256` itself must survive a crash; the root's entries are synced by
            // the atomic writes below (or were, when the layout was made).
            blob::sync_dir(&root.join("blobs"))?;
            blob::sync_dir(&root)?;
        }
        let marker = root.join("oci-layout");
        if !marker.exists() {
            write_atomic(&marker, OCI_LAYOUT.as_bytes())?;
        }
        let index = root.join("index.json");
        if !index.exists() {
            write_atomic(&index, &Index::new().to_json())?;
        }
        OciLayout::open(root)
    }

    /// Opens an existing layout: `oci-layout` must name version 1.x and `index.json` exist.
    pub fn open(dir: impl AsRef<Path>) -> Result<OciLayout, Error> {
        let root = dir.as_ref().to_path_buf();
        let not_layout = |reason: String| Error::NotALayout {
            path: root.clone(),
            reason,
        };
        let marker = root.join("oci-layout");
        let text = fs::read(&marker)
            .map_err(|e| not_layout(format!("cannot read {}: {e}", marker.display())))?;
        let file: LayoutFile = serde_json::from_slice(&text)
            .map_err(|e| not_layout(format!("oci-layout is not valid: {e}")))?;
        if !file.version.starts_with("1.") {
            return Err(not_layout(format!(
                "imageLayoutVersion is {:?}, expected 1.x",
                file.version
            )));
        }
        if !root.join("index.json").is_file() {
            return Err(not_layout("index.json is missing".to_owned()));
        }
        Ok(OciLayout { root })
    }

    /// The layout's directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Where the blob `digest` is (or would be).
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(digest.algorithm().name())
            .join(digest.hex())
    }

    /// True when the layout holds the blob `digest` (its content is not checked).
    pub fn contains(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    fn not_found(&self, what: String, hint: &'static str) -> Error {
        Error::NotFound {
            what,
            layout: self.root.clone(),
            hint,
        }
    }

    /// The blob `digest`: its path and size, to stream from.
    pub fn blob(&self, digest: &Digest) -> Result<BlobFile, Error> {
        let path = self.blob_path(digest);
        match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(BlobFile {
                digest: *digest,
                path,
                size: meta.len(),
            }),
            Ok(_) => Err(self.not_found(format!("blob {digest}"), "it is not a regular file")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(self.not_found(
                format!("blob {digest}"),
                "write or pull it into the layout first",
            )),
            Err(e) => Err(IoError::new("read", &path, e).into()),
        }
    }

    /// Opens the blob `descriptor` names; the reader checks its size and digest at the end.
    pub fn open_blob(&self, descriptor: &Descriptor) -> Result<BlobReader, Error> {
        let blob = self.blob(&descriptor.digest)?;
        let file = fs::File::open(&blob.path).map_err(|e| IoError::new("open", &blob.path, e))?;
        Ok(BlobReader::new(
            file,
            descriptor.clone(),
            format!("blob {} in {}", descriptor.digest, self.root.display()),
        ))
    }

    /// Reads the whole blob `descriptor` names, checking its size and digest.
    pub fn read_blob(&self, descriptor: &Descriptor) -> Result<Vec<u8>, Error> {
        let mut reader = self.open_blob(descriptor)?;
        let mut bytes =
            Vec::with_capacity(usize::try_from(descriptor.size.min(1 << 20)).unwrap_or(0));
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| unwrap_io(e, &self.blob_path(&descriptor.digest)))?;
        Ok(bytes)
    }

    /// Makes the directory entry of the blob `digest` durable, after a rename into `blobs/`
    /// done elsewhere than [`BlobWriter::commit`] (which does it itself): a pull from a
    /// registry.
    #[cfg(feature = "registry")]
    pub(crate) fn sync_blob_dir(&self, digest: &Digest) -> Result<(), Error> {
        match self.blob_path(digest).parent() {
            Some(dir) => Ok(blob::sync_dir(dir)?),
            None => Ok(()),
        }
    }

    /// Starts streaming a blob into the layout.
    pub fn blob_writer(&self) -> Result<BlobWriter, Error> {
        BlobWriter::new(&self.root)
    }

    /// Writes `bytes` as a blob.
    pub fn write_blob(&self, bytes: &[u8]) -> Result<BlobFile, Error> {
        let digest = Digest::of(Algorithm::Sha256, bytes);
        if self.contains(&digest) {
            return self.blob(&digest);
        }
        let mut w = self.blob_writer()?;
        io::Write::write_all(&mut w, bytes)
            .map_err(|e| IoError::new("write a blob in", &self.root, e))?;
        w.commit(None)
    }

    /// Streams the blob `expected` names from `reader` into the layout, checking its size and
    /// SHA-256 digest before it takes its name (a pull from a registry). When the layout
    /// holds the blob already, `reader` is not read.
    pub fn write_blob_from(
        &self,
        mut reader: impl Read,
        expected: &Descriptor,
    ) -> Result<BlobFile, Error> {
        if expected.digest.algorithm() != Algorithm::Sha256 {
            return Err(Error::Algorithm {
                what: format!("blob {}", expected.digest),
                digest: expected.digest,
            });
        }
        if self.contains(&expected.digest) {
            return self.blob(&expected.digest);
        }
        let mut w = self.blob_writer()?;
        io::copy(&mut reader, &mut w).map_err(|e| unwrap_io(e, &self.root))?;
        w.commit(Some(expected))
    }

    /// Writes manifest or index `bytes` as a blob, untouched, and returns their descriptor
    /// with `media_type`. [`OciLayout::tag`] names it in `index.json`.
    pub fn put_manifest(&self, bytes: &[u8], media_type: MediaType) -> Result<Descriptor, Error> {
        let blob = self.write_blob(bytes)?;
        Ok(Descriptor::new(media_type, blob.digest, blob.size))
    }

    /// The layout's `index.json`.
    pub fn index(&self) -> Result<Index, Error> {
        let path = self.root.join("index.json");
        let bytes = fs::read(&path).map_err(|e| IoError::new("read", &path, e))?;
        let what = format!("{}", path.display());
        let index: Index = json::from_slice(&bytes, &what)?;
        json::check_schema_version(index.schema_version, &what)?;
        Ok(index)
    }

    fn write_index(&self, index: &Index) -> Result<(), Error> {
        write_atomic(self.root.join("index.json"), &index.to_json())?;
        Ok(())
    }

    /// Lists `descriptor` in `index.json` without a name (a referrer: a manifest whose
    /// `subject` is another manifest of the layout). Listing it twice keeps one entry.
    pub fn add_untagged(&self, descriptor: &Descriptor) -> Result<(), Error> {
        if !self.contains(&descriptor.digest) {
            return Err(self.not_found(
                format!("manifest {}", descriptor.digest),
                "write it with put_manifest before listing it",
            ));
        }
        let mut index = self.index()?;
        let listed = index.manifests.iter().any(|d| {
            d.digest == descriptor.digest && !d.annotations.contains_key(annotation::REF_NAME)
        });
        if !listed {
            index.manifests.push(descriptor.clone());
            self.write_index(&index)?;
        }
        Ok(())
    }

    /// Names `descriptor` `tag` in `index.json` (the entry that had this name loses it).
    /// The manifest must be in the layout already.
    pub fn tag(&self, descriptor: &Descriptor, tag: &Tag) -> Result<(), Error> {
        if !self.contains(&descriptor.digest) {
            return Err(self.not_found(
                format!("manifest {}", descriptor.digest),
                "write it with put_manifest before tagging it",
            ));
        }
        let mut index = self.index()?;
        index.manifests.retain(|d| {
            d.annotations.get(annotation::REF_NAME).map(String::as_str) != Some(tag.as_str())
        });
        index.manifests.push(
            descriptor
                .clone()
                .annotation(annotation::REF_NAME, tag.as_str()),
        );
        self.write_index(&index)
    }

    /// The names (`ref.name` annotations) in `index.json`, in its order.
    pub fn tags(&self) -> Result<Vec<String>, Error> {
        Ok(self
            .index()?
            .manifests
            .into_iter()
            .filter_map(|mut d| d.annotations.remove(annotation::REF_NAME))
            .collect())
    }

    /// The descriptor of the manifest or index named `reference`: a `ref.name` in
    /// `index.json`, or a digest (`sha256:…`) of an entry or of any manifest blob.
    pub fn resolve(&self, reference: &str) -> Result<Descriptor, Error> {
        let index = self.index()?;
        if let Some(d) = index.manifests.iter().find(|d| {
            d.annotations.get(annotation::REF_NAME).map(String::as_str) == Some(reference)
        }) {
            return Ok(d.clone());
        }
        let Ok(digest) = reference.parse::<Digest>() else {
            return Err(self.not_found(
                format!("tag {reference:?}"),
                "list the tags with `tags()` or name a digest",
            ));
        };
        if let Some(d) = index.get(&digest) {
            return Ok(d.clone());
        }
        // A manifest blob that index.json does not list (a platform image of an index).
        let blob = self.blob(&digest)?;
        if blob.size > MAX_MANIFEST_SIZE {
            return Err(too_large(&digest, blob.size));
        }
        let probe = Descriptor::new(MediaType::ImageManifest, digest, blob.size);
        let bytes = self.read_blob(&probe)?;
        let sniff: Sniff = json::from_slice(&bytes, &format!("manifest {digest}"))?;
        let media_type = match (sniff.media_type, sniff.manifests) {
            (Some(t), _) => t,
            (None, Some(_)) => MediaType::ImageIndex,
            (None, None) => MediaType::ImageManifest,
        };
        Ok(Descriptor::new(media_type, digest, blob.size))
    }

    /// The descriptor and untouched bytes of the manifest or index named `reference` (see
    /// [`OciLayout::resolve`]), digest checked.
    pub fn manifest(&self, reference: &str) -> Result<(Descriptor, Vec<u8>), Error> {
        let descriptor = self.resolve(reference)?;
        let bytes = self.manifest_bytes(&descriptor)?;
        Ok((descriptor, bytes))
    }

    /// The bytes of the manifest or index `descriptor` names, digest checked.
    pub fn manifest_bytes(&self, descriptor: &Descriptor) -> Result<Vec<u8>, Error> {
        if descriptor.size > MAX_MANIFEST_SIZE {
            return Err(too_large(&descriptor.digest, descriptor.size));
        }
        self.read_blob(descriptor)
    }
}

fn too_large(digest: &Digest, size: u64) -> Error {
    Error::Invalid {
        what: format!("manifest {digest}"),
        reason: format!("{size} bytes, more than the {MAX_MANIFEST_SIZE}-byte limit for manifests"),
    }
}

/// An I/O error from a [`BlobReader`] back into the digest error it carries, or an
/// [`IoError`] on `path`.
pub(crate) fn unwrap_io(e: io::Error, path: &Path) -> Error {
    if e.kind() == io::ErrorKind::InvalidData && e.get_ref().is_some_and(|i| i.is::<Error>()) {
        match e.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(err)) => *err,
            Some(Err(other)) => IoError::new("read", path, io::Error::other(other)).into(),
            None => IoError::new("read", path, io::Error::other("unknown error")).into(),
        }
    } else {
        IoError::new("read", path, e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_blob_is_refused_with_both_digests() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).unwrap();
        let blob = layout.write_blob(b"hello").unwrap();
        let d = Descriptor::new(MediaType::Empty, blob.digest, blob.size);
        assert_eq!(layout.read_blob(&d).unwrap(), b"hello");
        fs::write(&blob.path, b"hellO").unwrap();
        let err = layout.read_blob(&d).unwrap_err();
        let Error::DigestMismatch(m) = &err else {
            panic!("{err}")
        };
        assert_eq!(m.expected, blob.digest);
        assert_eq!(m.actual, Digest::of(Algorithm::Sha256, b"hellO"));
        fs::write(&blob.path, b"hello!").unwrap();
        assert!(matches!(
            layout.read_blob(&d),
            Err(Error::DigestMismatch(m)) if m.actual_size == 6
        ));
    }

    #[cfg(unix)]
    #[test]
    fn blobs_follow_the_umask_like_other_outputs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let written = layout.write_blob(b"config").unwrap();
        let mut w = layout.blob_writer().unwrap();
        io::Write::write_all(&mut w, b"streamed layer").unwrap();
        let streamed = w.commit(None).unwrap();
        // index.json is written by AtomicFile: every output gets the same mode.
        let output = mode(&dir.path().join("index.json"));
        assert_eq!(mode(&written.path), output);
        assert_eq!(mode(&streamed.path), output);
        // 0644 under the usual umask 022; whatever the umask, 0644 less it.
        let umask = fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Umask:"))
                    .map(|v| u32::from_str_radix(v.trim(), 8).unwrap())
            })
            .expect("Umask in /proc/self/status");
        assert_eq!(mode(&written.path), 0o644 & !umask, "umask {umask:03o}");
    }

    #[test]
    fn write_blob_from_checks_before_naming_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).unwrap();
        let want = Descriptor::of(MediaType::Empty, b"expected");
        let err = layout
            .write_blob_from(&b"something else"[..], &want)
            .unwrap_err();
        assert!(matches!(err, Error::DigestMismatch(_)), "{err}");
        assert!(!layout.contains(&want.digest));
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        let blob = layout.write_blob_from(&b"expected"[..], &want).unwrap();
        assert_eq!(fs::read(blob.path).unwrap(), b"expected");
    }

    #[test]
    fn tags_move_and_unknown_names_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).unwrap();
        let a = layout
            .put_manifest(br#"{"schemaVersion":2}"#, MediaType::ImageManifest)
            .unwrap();
        let b = layout
            .put_manifest(
                br#"{"schemaVersion":2,"manifests":[]}"#,
                MediaType::ImageIndex,
            )
            .unwrap();
        let tag = Tag::new("v1").unwrap();
        layout.tag(&a, &tag).unwrap();
        layout.tag(&b, &tag).unwrap();
        assert_eq!(layout.tags().unwrap(), ["v1"]);
        assert_eq!(layout.resolve("v1").unwrap().digest, b.digest);
        // By digest, not in index.json: the kind is read from the blob.
        assert_eq!(
            layout.resolve(&a.digest.to_string()).unwrap().media_type,
            MediaType::ImageManifest
        );
        let err = layout.resolve("v2").unwrap_err();
        assert!(
            err.to_string()
                .contains("tag \"v2\" is not in the image layout"),
            "{err}"
        );
        assert!(OciLayout::open(dir.path().join("blobs")).is_err());
    }

    #[test]
    fn broken_layout_files_give_errors_that_name_them() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).unwrap();
        fs::write(dir.path().join("index.json"), b"{\"manifests\":[{").unwrap();
        let err = layout.resolve("latest").unwrap_err();
        assert!(err.to_string().contains("index.json"), "{err}");
        fs::write(
            dir.path().join("index.json"),
            br#"{"schemaVersion":3,"manifests":[]}"#,
        )
        .unwrap();
        assert!(
            layout
                .tags()
                .unwrap_err()
                .to_string()
                .contains("schemaVersion is 3")
        );
        fs::write(
            dir.path().join("oci-layout"),
            br#"{"imageLayoutVersion":"2.0.0"}"#,
        )
        .unwrap();
        let err = OciLayout::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("expected 1.x"), "{err}");
    }
}
