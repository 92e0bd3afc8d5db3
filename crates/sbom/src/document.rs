//! [`Sbom`]: an inventory and the artifacts it describes, written as CycloneDX or SPDX
//! [`Document`]s.
//!
//! Documents are reproducible: the CycloneDX serial number and the SPDX document namespace are
//! name-based UUIDs (version 5) of the document's own content, timestamps come from the
//! [`SourceDate`], and every list is sorted, so the same inputs always give the same bytes.

use std::io::Write;
use std::path::Path;

use consign_core::{
    Algorithm, Artifact, ArtifactKind, HashingWriter, IoError, SourceDate, Written,
};
use sha1::Digest as _;

use crate::error::SbomError;
use crate::inventory::Inventory;

/// A CycloneDX specification version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CdxVersion {
    /// CycloneDX 1.5.
    V1_5,
    /// CycloneDX 1.6.
    #[default]
    V1_6,
}

impl CdxVersion {
    /// `1.5` or `1.6`.
    pub fn as_str(self) -> &'static str {
        match self {
            CdxVersion::V1_5 => "1.5",
            CdxVersion::V1_6 => "1.6",
        }
    }
}

/// The format of a [`Document`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// CycloneDX JSON.
    CycloneDx(CdxVersion),
    /// SPDX 2.3 JSON.
    Spdx23,
}

impl Format {
    /// The in-toto predicate type for an attestation carrying the document.
    pub fn predicate_type(self) -> &'static str {
        match self {
            Format::CycloneDx(_) => "https://cyclonedx.org/bom",
            Format::Spdx23 => "https://spdx.dev/Document",
        }
    }

    /// The media type of the JSON document.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::CycloneDx(CdxVersion::V1_5) => "application/vnd.cyclonedx+json; version=1.5",
            Format::CycloneDx(CdxVersion::V1_6) => "application/vnd.cyclonedx+json; version=1.6",
            Format::Spdx23 => "application/spdx+json",
        }
    }

    /// The file name suffix: `cdx.json` or `spdx.json`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::CycloneDx(_) => "cdx.json",
            Format::Spdx23 => "spdx.json",
        }
    }
}

/// A written SBOM: its format and its bytes (pretty JSON with a final newline).
///
/// The document knows nothing about signing: an attestation wraps [`Document::as_bytes`] as
/// the predicate of type [`Format::predicate_type`].
///
/// ```
/// use consign_core::{PackageMeta, SourceDate};
/// use consign_sbom::{Format, Inventory, Sbom};
/// let inv = Inventory::from_meta(&PackageMeta::new("hello", "1.0.0")?)?;
/// let doc = Sbom::new(&inv, SourceDate::from_unix(0)).spdx()?;
/// assert_eq!(doc.format(), Format::Spdx23);
/// assert_eq!(doc.format().predicate_type(), "https://spdx.dev/Document");
/// let mut out = Vec::new();
/// let written = doc.write_to(&mut out)?;
/// assert_eq!(written.size, out.len() as u64);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    format: Format,
    bytes: Vec<u8>,
}

impl Document {
    pub(crate) fn new(format: Format, bytes: Vec<u8>) -> Document {
        Document { format, bytes }
    }

    /// The format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The JSON bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The JSON bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Writes the document, returning its size and SHA-256.
    pub fn write_to(&self, out: impl Write) -> Result<Written, std::io::Error> {
        let mut w = HashingWriter::new(out, &[Algorithm::Sha256]);
        w.write_all(&self.bytes)?;
        w.flush()?;
        Ok(w.finish().1)
    }

    /// Writes the document to `dir/name` atomically and returns it as an [`Artifact`] of kind
    /// [`ArtifactKind::Sbom`] (`name` relative to `dir`).
    pub fn write_artifact(&self, dir: impl AsRef<Path>, name: &str) -> Result<Artifact, SbomError> {
        let path = dir.as_ref().join(name);
        let mut f = consign_core::AtomicFile::create(&path)?;
        let written = self
            .write_to(&mut f)
            .map_err(|e| IoError::new("write", &path, e))?;
        f.commit()?;
        Ok(Artifact::new(name, ArtifactKind::Sbom, &written)?)
    }
}

/// Settings of the documents that are not part of the inventory.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SbomOptions {
    /// The URI prefix of SPDX document namespaces; the document name and a content UUID are
    /// appended. Default `https://spdx.org/spdxdocs/`.
    pub namespace_prefix: String,
    /// Who made the document, as SPDX writes creators (`Organization: Example Inc.`), besides
    /// the tool itself.
    pub creators: Vec<String>,
}

impl Default for SbomOptions {
    fn default() -> Self {
        SbomOptions {
            namespace_prefix: "https://spdx.org/spdxdocs/".into(),
            creators: Vec::new(),
        }
    }
}

/// An SBOM: an inventory, the released artifacts it describes (its subjects) and the source
/// date; written as CycloneDX ([`Sbom::cyclonedx`]) or SPDX ([`Sbom::spdx`]).
///
/// ```
/// use consign_core::{Algorithm, Artifact, ArtifactKind, PackageMeta, SourceDate, hash_reader};
/// use consign_sbom::{CdxVersion, Inventory, Sbom};
/// let inv = Inventory::from_meta(&PackageMeta::new("hello", "1.0.0")?.license("MIT"))?;
/// let w = hash_reader(&b"archive"[..], &[Algorithm::Sha256])?;
/// let tarball = Artifact::new("hello-1.0.0.tar.gz", ArtifactKind::Archive, &w)?;
/// let sbom = Sbom::new(&inv, SourceDate::from_unix(1_700_000_000)).subject(tarball);
/// let cdx = sbom.cyclonedx(CdxVersion::V1_6)?;
/// let spdx = sbom.spdx()?;
/// assert_eq!(cdx, sbom.cyclonedx(CdxVersion::V1_6)?); // same bytes every time
/// assert!(std::str::from_utf8(spdx.as_bytes())?.contains("\"SPDX-2.3\""));
/// assert_eq!(sbom.file_name(cdx.format()), "hello-1.0.0.tar.gz.cdx.json");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sbom<'a> {
    pub(crate) inventory: &'a Inventory,
    pub(crate) subjects: Vec<Artifact>,
    pub(crate) date: SourceDate,
    pub(crate) options: SbomOptions,
}

impl<'a> Sbom<'a> {
    /// An SBOM of `inventory`, dated `date`, with no subject artifact yet (the root crate is
    /// then what it describes).
    pub fn new(inventory: &'a Inventory, date: SourceDate) -> Sbom<'a> {
        Sbom {
            inventory,
            subjects: Vec::new(),
            date,
            options: SbomOptions::default(),
        }
    }

    /// Adds a released artifact the SBOM describes.
    #[must_use]
    pub fn subject(mut self, artifact: Artifact) -> Sbom<'a> {
        self.subjects.push(artifact);
        self.subjects.sort_by(|a, b| a.name.cmp(&b.name));
        self.subjects.dedup_by(|a, b| a.name == b.name);
        self
    }

    /// Adds several subjects.
    #[must_use]
    pub fn subjects(self, artifacts: impl IntoIterator<Item = Artifact>) -> Sbom<'a> {
        artifacts.into_iter().fold(self, Sbom::subject)
    }

    /// Replaces the options.
    #[must_use]
    pub fn options(mut self, options: SbomOptions) -> Sbom<'a> {
        self.options = options;
        self
    }

    /// The CycloneDX JSON document.
    pub fn cyclonedx(&self, version: CdxVersion) -> Result<Document, SbomError> {
        crate::cyclonedx::write(self, version)
    }

    /// The SPDX 2.3 JSON document.
    pub fn spdx(&self) -> Result<Document, SbomError> {
        crate::spdx::write(self)
    }

    /// The conventional file name of the document in `format`: `<subject>.cdx.json` /
    /// `<subject>.spdx.json` after the first subject, or `<name>-<version>.…` of the root
    /// crate when there is none.
    pub fn file_name(&self, format: Format) -> String {
        let stem = match self.subjects.first() {
            Some(a) => a.name.clone(),
            None => format!(
                "{}-{}",
                self.inventory.root().name,
                self.inventory.root().version
            ),
        };
        format!("{stem}.{}", format.extension())
    }

    /// Writes the CycloneDX (`version`) and SPDX documents into `dir` under
    /// [`Sbom::file_name`] and returns them as artifacts.
    pub fn write_all(
        &self,
        dir: impl AsRef<Path>,
        version: CdxVersion,
    ) -> Result<Vec<Artifact>, SbomError> {
        let dir = dir.as_ref();
        let mut out = Vec::new();
        for doc in [self.cyclonedx(version)?, self.spdx()?] {
            out.push(doc.write_artifact(dir, &self.file_name(doc.format()))?);
        }
        Ok(out)
    }

    /// The name of the tool, as documents record it.
    pub(crate) fn tool_version() -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
}

/// Pretty JSON with a final newline.
pub(crate) fn to_json(value: &impl serde::Serialize) -> Result<Vec<u8>, SbomError> {
    let mut v = serde_json::to_vec_pretty(value).map_err(|source| SbomError::Json { source })?;
    v.push(b'\n');
    Ok(v)
}

/// A name-based (version 5) UUID of `content` in consign's SBOM namespace.
pub(crate) fn content_uuid(content: &[u8]) -> String {
    // The namespace: the version 5 UUID of this URL in the RFC 9562 URL namespace.
    const URL_NAMESPACE: [u8; 16] = [
        0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
        0xc8,
    ];
    let ns = uuid5(
        &URL_NAMESPACE,
        b"https://github.com/consign-rs/consign/sbom",
    );
    let digest = consign_core::Digest::of(Algorithm::Sha256, content);
    format_uuid(&uuid5(&ns, digest.hex().as_bytes()))
}

fn uuid5(namespace: &[u8; 16], name: &[u8]) -> [u8; 16] {
    let mut h = sha1::Sha1::new();
    h.update(namespace);
    h.update(name);
    let d = h.finalize();
    let mut u = [0u8; 16];
    u.copy_from_slice(&d[..16]);
    u[6] = (u[6] & 0x0f) | 0x50;
    u[8] = (u[8] & 0x3f) | 0x80;
    u
}

fn format_uuid(u: &[u8; 16]) -> String {
    let h = hex::encode(u);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Makes identifiers unique in the order they are asked for: a repeated one gets `-2`, `-3`, ….
#[derive(Default)]
pub(crate) struct UniqueIds(std::collections::HashSet<String>);

impl UniqueIds {
    pub(crate) fn take(&mut self, wanted: String) -> String {
        if self.0.insert(wanted.clone()) {
            return wanted;
        }
        (2..)
            .map(|n| format!("{wanted}-{n}"))
            .find(|c| self.0.insert(c.clone()))
            .unwrap_or(wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid5_matches_rfc_example() {
        // RFC 9562 appendix A.4: v5 of "www.example.com" in the DNS namespace.
        let dns = [
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4,
            0x30, 0xc8,
        ];
        assert_eq!(
            format_uuid(&uuid5(&dns, b"www.example.com")),
            "2ed6657d-e927-568b-95e1-2665a8aea6a2"
        );
        let a = content_uuid(b"a");
        assert_eq!(a, content_uuid(b"a"));
        assert_ne!(a, content_uuid(b"b"));
        assert_eq!(&a[14..15], "5");
    }

    #[test]
    fn unique_ids() {
        let mut u = UniqueIds::default();
        assert_eq!(u.take("a".into()), "a");
        assert_eq!(u.take("a".into()), "a-2");
        assert_eq!(u.take("a-2".into()), "a-2-2");
        assert_eq!(u.take("a".into()), "a-3");
    }
}
