//! [`Artifact`]: the record of one produced file, and [`ReleaseManifest`], the list of them.
//!
//! Checksums, signatures, SBOMs and release notes are made from artifacts, never by looking at
//! the output directory again. A release manifest serializes to JSON (`release.json`) and
//! merges across CI runners: each runner writes the artifacts it built, and a later job merges
//! the manifests, refusing two different files under one name.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::checksum::{ChecksumError, ChecksumFile};
use crate::digest::Algorithm;
use crate::error::IoError;
use crate::hash::{Digests, Written, hash_file};
use crate::platform::Platform;
use crate::source_date::SourceDate;
use crate::tree::RelPath;

/// What kind of file an artifact is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ArtifactKind {
    /// A bare executable.
    Binary,
    /// A tar or zip archive.
    Archive,
    /// A Debian package.
    Deb,
    /// An RPM package.
    Rpm,
    /// A macOS disk image.
    Dmg,
    /// A Windows installer.
    Msi,
    /// An OCI image layout or image manifest.
    OciImage,
    /// An OCI image index.
    OciIndex,
    /// A checksum file.
    Checksums,
    /// A detached signature or signature bundle.
    Signature,
    /// A public key.
    PublicKey,
    /// A software bill of materials.
    Sbom,
    /// An in-toto attestation.
    Attestation,
    /// A release manifest or other metadata document.
    Metadata,
}

/// One produced file: where it is (relative to the release directory), what it is, what it is
/// for, its size and digests.
///
/// ```
/// use consign_core::{Algorithm, Artifact, ArtifactKind, HashingWriter, Platform};
/// use std::io::Write;
/// let mut w = HashingWriter::new(Vec::new(), &[Algorithm::Sha256]);
/// w.write_all(b"archive bytes")?;
/// let (_, written) = w.finish();
/// let a = Artifact::new("app-1.0-x86_64-unknown-linux-gnu.tar.gz", ArtifactKind::Archive, &written)?
///     .with_platform("x86_64-unknown-linux-gnu".parse()?);
/// assert_eq!(a.size, 13);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// Path relative to the release directory, `/`-separated.
    pub name: String,
    /// What it is.
    pub kind: ArtifactKind,
    /// The platform it is for; `None` for platform-independent files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Size in bytes.
    pub size: u64,
    /// Digests of the file.
    pub digests: Digests,
    /// The artifacts that attach to this one (its signatures, SBOMs, attestations), by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

impl Artifact {
    /// An artifact from what a writer reported.
    pub fn new(
        name: impl AsRef<str>,
        kind: ArtifactKind,
        written: &Written,
    ) -> Result<Artifact, ManifestError> {
        let name = name.as_ref();
        let rel = RelPath::new(name).map_err(|_| ManifestError::InvalidName {
            name: name.to_owned(),
        })?;
        if rel.as_str() != name {
            return Err(ManifestError::InvalidName {
                name: name.to_owned(),
            });
        }
        Ok(Artifact {
            name: name.to_owned(),
            kind,
            platform: None,
            size: written.size,
            digests: written.digests.clone(),
            attachments: Vec::new(),
        })
    }

    /// An artifact for the file `name` already in `dir`, hashed now.
    pub fn from_file(
        dir: impl AsRef<Path>,
        name: impl AsRef<str>,
        kind: ArtifactKind,
        algorithms: &[Algorithm],
    ) -> Result<Artifact, ManifestError> {
        let written = hash_file(dir.as_ref().join(name.as_ref()), algorithms)?;
        Artifact::new(name, kind, &written)
    }

    /// Sets the platform.
    #[must_use]
    pub fn with_platform(mut self, platform: Platform) -> Artifact {
        self.platform = Some(platform);
        self
    }

    /// Names `attachment` (a signature, SBOM or attestation artifact) as attached to this one.
    #[must_use]
    pub fn with_attachment(mut self, attachment: impl Into<String>) -> Artifact {
        let attachment = attachment.into();
        insert_sorted(&mut self.attachments, attachment);
        self
    }

    /// The size and digests as a [`Written`].
    pub fn written(&self) -> Written {
        Written {
            size: self.size,
            digests: self.digests.clone(),
        }
    }
}

/// The manifest of a release: its name, version, source date and artifacts (sorted by name).
///
/// ```
/// use consign_core::{Algorithm, Artifact, ArtifactKind, ReleaseManifest, SourceDate, Written};
/// let date = SourceDate::from_unix(1_700_000_000);
/// let mut amd64 = ReleaseManifest::new("app", "1.0.0", date);
/// let w = consign_core::hash_reader(&b"x"[..], &[Algorithm::Sha256])?;
/// amd64.add(Artifact::new("app-amd64.tar.gz", ArtifactKind::Archive, &w)?)?;
/// let mut arm64 = ReleaseManifest::new("app", "1.0.0", date);
/// arm64.add(Artifact::new("app-arm64.tar.gz", ArtifactKind::Archive, &w)?)?;
/// amd64.merge(&arm64)?;
/// assert_eq!(amd64.artifacts().count(), 2);
/// let sums = amd64.checksums(Algorithm::Sha256)?;
/// assert_eq!(sums.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseManifest {
    /// The project name.
    pub name: String,
    /// The released version.
    pub version: String,
    /// The source date every artifact was built with.
    pub source_date_epoch: SourceDate,
    #[serde(with = "artifact_list")]
    artifacts: BTreeMap<String, Artifact>,
    /// Images and indexes published with the release, by reference.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "image_list"
    )]
    images: BTreeMap<String, ImageRecord>,
}

/// An image or index a release published: where (`registry/repository`, or a layout's
/// directory), its digest, its tags, its platforms and the digests of what is attached to it.
///
/// ```
/// use consign_core::{Algorithm, Digest, ImageRecord};
/// let index = ImageRecord::new("ghcr.io/acme/tool", Digest::of(Algorithm::Sha256, b"index"))
///     .index()
///     .tag("1.4.2")
///     .platform("linux/amd64")
///     .platform("linux/arm64/v8");
/// assert!(index.key().starts_with("ghcr.io/acme/tool@sha256:"));
/// assert_eq!(index.platforms, ["linux/amd64", "linux/arm64/v8"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImageRecord {
    /// `registry/repository`, or a path for an image layout.
    pub repository: String,
    /// The manifest's or index's digest.
    pub digest: crate::digest::Digest,
    /// Whether it is an index (a multi-platform image).
    #[serde(default)]
    pub is_index: bool,
    /// Its tags, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Its platforms (`linux/arm64/v8`), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// The digests of the manifests attached to it (signatures, attestations, SBOMs), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::digest::Digest>,
}

impl ImageRecord {
    /// An image manifest `digest` in `repository`.
    pub fn new(repository: impl Into<String>, digest: crate::digest::Digest) -> ImageRecord {
        ImageRecord {
            repository: repository.into(),
            digest,
            is_index: false,
            tags: Vec::new(),
            platforms: Vec::new(),
            attachments: Vec::new(),
        }
    }

    /// Marks it an index.
    #[must_use]
    pub fn index(mut self) -> ImageRecord {
        self.is_index = true;
        self
    }

    /// Adds a tag.
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> ImageRecord {
        insert_sorted(&mut self.tags, tag.into());
        self
    }

    /// Adds a platform.
    #[must_use]
    pub fn platform(mut self, platform: impl Into<String>) -> ImageRecord {
        insert_sorted(&mut self.platforms, platform.into());
        self
    }

    /// Adds the digest of an attached manifest.
    #[must_use]
    pub fn attachment(mut self, digest: crate::digest::Digest) -> ImageRecord {
        insert_sorted(&mut self.attachments, digest);
        self
    }

    /// `repository@digest`, the key it is recorded under.
    pub fn key(&self) -> String {
        format!("{}@{}", self.repository, self.digest)
    }

    /// This record with what `other` (the same image) adds.
    fn union(&self, other: &ImageRecord) -> ImageRecord {
        let mut out = self.clone();
        out.is_index |= other.is_index;
        for t in &other.tags {
            insert_sorted(&mut out.tags, t.clone());
        }
        for p in &other.platforms {
            insert_sorted(&mut out.platforms, p.clone());
        }
        for a in &other.attachments {
            insert_sorted(&mut out.attachments, *a);
        }
        out
    }
}

fn insert_sorted<T: Ord>(list: &mut Vec<T>, item: T) {
    if let Err(at) = list.binary_search(&item) {
        list.insert(at, item);
    }
}

/// What a complete release holds: `count` artifacts of `kind` for `platform` (any platform
/// when `None`). See [`ReleaseManifest::check_complete`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The kind.
    pub kind: ArtifactKind,
    /// The platform, or any.
    pub platform: Option<Platform>,
    /// How many.
    pub count: usize,
}

impl ReleaseManifest {
    /// An empty manifest.
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
        source_date: SourceDate,
    ) -> ReleaseManifest {
        ReleaseManifest {
            name: name.into(),
            version: version.into(),
            source_date_epoch: source_date,
            artifacts: BTreeMap::new(),
            images: BTreeMap::new(),
        }
    }

    /// Records an image or index; recording the same one again adds its tags, platforms and
    /// attachments.
    pub fn add_image(&mut self, image: ImageRecord) {
        let key = image.key();
        let merged = match self.images.get(&key) {
            Some(old) => old.union(&image),
            None => image,
        };
        self.images.insert(key, merged);
    }

    /// The images and indexes recorded, by `repository@digest`.
    pub fn images(&self) -> impl Iterator<Item = &ImageRecord> {
        self.images.values()
    }

    /// Refuses a release that lacks what `expected` lists (say, a `.deb` and an `.rpm` for
    /// each of two architectures), naming every gap: the check a pipeline runs before it
    /// publishes.
    ///
    /// ```
    /// use consign_core::{Algorithm, Artifact, ArtifactKind, Expected, ReleaseManifest, SourceDate};
    /// let w = consign_core::hash_reader(&b"x"[..], &[Algorithm::Sha256])?;
    /// let mut m = ReleaseManifest::new("app", "1.0.0", SourceDate::from_unix(0));
    /// let amd64: consign_core::Platform = "x86_64-unknown-linux-gnu".parse()?;
    /// let arm64: consign_core::Platform = "aarch64-unknown-linux-gnu".parse()?;
    /// m.add(Artifact::new("app_1.0.0_amd64.deb", ArtifactKind::Deb, &w)?.with_platform(amd64))?;
    /// let want = [amd64, arm64].map(|p| Expected { kind: ArtifactKind::Deb, platform: Some(p), count: 1 });
    /// let err = m.check_complete(&want).unwrap_err();
    /// assert!(err.to_string().contains("aarch64-unknown-linux-gnu"), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_complete(&self, expected: &[Expected]) -> Result<(), ManifestError> {
        let mut missing = Vec::new();
        for e in expected {
            let found = self
                .artifacts
                .values()
                .filter(|a| a.kind == e.kind && (e.platform.is_none() || a.platform == e.platform))
                .count();
            if found < e.count {
                let place = e
                    .platform
                    .map_or_else(|| "any platform".to_owned(), |p| p.to_string());
                missing.push(format!("{:?} for {place}: {found} of {}", e.kind, e.count));
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ManifestError::Incomplete { missing })
        }
    }

    /// Adds an artifact; the same file again is accepted (its attachments added to those
    /// recorded), another file under the same name is a conflict.
    pub fn add(&mut self, artifact: Artifact) -> Result<(), ManifestError> {
        match self.artifacts.get_mut(&artifact.name) {
            Some(old) => {
                let same_file = (&old.kind, &old.platform, old.size, &old.digests)
                    == (
                        &artifact.kind,
                        &artifact.platform,
                        artifact.size,
                        &artifact.digests,
                    );
                if !same_file {
                    return Err(ManifestError::Conflict {
                        name: artifact.name,
                    });
                }
                for a in artifact.attachments {
                    insert_sorted(&mut old.attachments, a);
                }
                Ok(())
            }
            None => {
                self.artifacts.insert(artifact.name.clone(), artifact);
                Ok(())
            }
        }
    }

    /// Artifacts sorted by name.
    pub fn artifacts(&self) -> impl Iterator<Item = &Artifact> {
        self.artifacts.values()
    }

    /// The artifact named `name`.
    pub fn get(&self, name: &str) -> Option<&Artifact> {
        self.artifacts.get(name)
    }

    /// Adds the artifacts of a manifest made by another runner for the same release. Refused
    /// (and `self` unchanged) when the name, version or source date differ or an artifact name
    /// holds two different files.
    pub fn merge(&mut self, other: &ReleaseManifest) -> Result<(), ManifestError> {
        if (&self.name, &self.version, self.source_date_epoch)
            != (&other.name, &other.version, other.source_date_epoch)
        {
            return Err(ManifestError::DifferentRelease {
                ours: format!(
                    "{} {} @{}",
                    self.name,
                    self.version,
                    self.source_date_epoch.unix()
                ),
                theirs: format!(
                    "{} {} @{}",
                    other.name,
                    other.version,
                    other.source_date_epoch.unix()
                ),
            });
        }
        let mut merged = self.clone();
        for a in other.artifacts.values() {
            merged.add(a.clone())?;
        }
        for image in other.images.values() {
            merged.add_image(image.clone());
        }
        *self = merged;
        Ok(())
    }

    /// A checksum file listing every artifact that has an `algorithm` digest, except checksum
    /// files themselves and signatures of them.
    pub fn checksums(&self, algorithm: Algorithm) -> Result<ChecksumFile, ManifestError> {
        let mut sums = ChecksumFile::new(algorithm);
        for a in self.artifacts.values() {
            if a.kind == ArtifactKind::Checksums {
                continue;
            }
            let d = a
                .digests
                .get(algorithm)
                .ok_or_else(|| ManifestError::MissingDigest {
                    name: a.name.clone(),
                    algorithm,
                })?;
            sums.insert(a.name.clone(), *d)?;
        }
        Ok(sums)
    }

    /// Pretty JSON with a final newline; the same manifest always gives the same bytes.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("manifest serializes");
        s.push('\n');
        s
    }

    /// Parses the JSON form.
    pub fn from_json(text: &str) -> Result<ReleaseManifest, ManifestError> {
        serde_json::from_str(text).map_err(|source| ManifestError::Json { source })
    }
}

mod image_list {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        m: &BTreeMap<String, ImageRecord>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.values())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, ImageRecord>, D::Error> {
        let list = Vec::<ImageRecord>::deserialize(d)?;
        Ok(list.into_iter().map(|i| (i.key(), i)).collect())
    }
}

mod artifact_list {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        m: &BTreeMap<String, Artifact>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.values())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Artifact>, D::Error> {
        let list = Vec::<Artifact>::deserialize(d)?;
        let mut m = BTreeMap::new();
        for a in list {
            if RelPath::new(&a.name)
                .map(|p| p.as_str() != a.name)
                .unwrap_or(true)
            {
                return Err(serde::de::Error::custom(format!(
                    "invalid artifact name {:?}",
                    a.name
                )));
            }
            if let Some(old) = m.insert(a.name.clone(), a) {
                return Err(serde::de::Error::custom(format!(
                    "artifact {:?} listed twice",
                    old.name
                )));
            }
        }
        Ok(m)
    }
}

/// A release manifest that cannot be built, merged or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// Artifacts an expected release matrix names are missing.
    #[error("the release is incomplete: {}", missing.join("; "))]
    Incomplete {
        /// What is missing, one entry per gap.
        missing: Vec<String>,
    },
    /// Two different records under one artifact name.
    #[error("artifact {name} is listed twice with different contents")]
    Conflict {
        /// The artifact name.
        name: String,
    },
    /// Manifests of different releases.
    #[error("cannot merge manifests of different releases: {ours} and {theirs}")]
    DifferentRelease {
        /// This manifest's release.
        ours: String,
        /// The other one's.
        theirs: String,
    },
    /// An artifact name that is not a normalized relative path.
    #[error(
        "invalid artifact name {name:?}: give a normalized path relative to the release directory"
    )]
    InvalidName {
        /// The name.
        name: String,
    },
    /// An artifact lacks a digest needed for a checksum file.
    #[error("artifact {name} has no {algorithm} digest")]
    MissingDigest {
        /// The artifact.
        name: String,
        /// The algorithm.
        algorithm: Algorithm,
    },
    /// See [`ChecksumError`].
    #[error(transparent)]
    Checksum(#[from] ChecksumError),
    /// See [`IoError`].
    #[error(transparent)]
    Io(#[from] IoError),
    /// Invalid JSON.
    #[error("invalid release manifest: {source}")]
    Json {
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash_reader;

    fn art(name: &str, data: &[u8]) -> Artifact {
        let w = hash_reader(data, &[Algorithm::Sha256, Algorithm::Sha512]).unwrap();
        Artifact::new(name, ArtifactKind::Archive, &w).unwrap()
    }

    #[test]
    fn json_round_trip_and_merge_conflicts() {
        let date = SourceDate::from_unix(1);
        let mut a = ReleaseManifest::new("x", "1", date);
        a.add(art("b.tar.gz", b"b").with_platform("x86_64-unknown-linux-gnu".parse().unwrap()))
            .unwrap();
        a.add(art("a.zip", b"a")).unwrap();
        let json = a.to_json();
        assert!(json.find("a.zip").unwrap() < json.find("b.tar.gz").unwrap());
        assert_eq!(ReleaseManifest::from_json(&json).unwrap(), a);
        let mut b = ReleaseManifest::new("x", "1", date);
        b.add(art("a.zip", b"other")).unwrap();
        assert!(matches!(a.merge(&b), Err(ManifestError::Conflict { .. })));
        let c = ReleaseManifest::new("x", "2", date);
        assert!(matches!(
            a.merge(&c),
            Err(ManifestError::DifferentRelease { .. })
        ));
        assert!(Artifact::new("../x", ArtifactKind::Binary, &art("q", b"").written()).is_err());
        assert!(Artifact::new("./x", ArtifactKind::Binary, &art("q", b"").written()).is_err());
        let dup = json.replace("b.tar.gz", "a.zip");
        assert!(ReleaseManifest::from_json(&dup).is_err());
    }

    #[test]
    fn runners_merge_images_and_attachments_and_the_matrix_is_checked() {
        let date = SourceDate::from_unix(1);
        let digest = |b: &[u8]| crate::Digest::of(Algorithm::Sha256, b);
        let amd64: Platform = "x86_64-unknown-linux-gnu".parse().unwrap();
        let arm64: Platform = "aarch64-unknown-linux-gnu".parse().unwrap();
        let mut one = ReleaseManifest::new("x", "1", date);
        one.add(
            art("x.tar.gz", b"x")
                .with_platform(amd64)
                .with_attachment("x.tar.gz.sig"),
        )
        .unwrap();
        one.add_image(
            ImageRecord::new("reg/x", digest(b"amd"))
                .tag("1-amd64")
                .platform("linux/amd64"),
        );
        let mut two = ReleaseManifest::new("x", "1", date);
        two.add(
            art("x.tar.gz", b"x")
                .with_platform(amd64)
                .with_attachment("x.tar.gz.cdx.json"),
        )
        .unwrap();
        two.add(art("x-arm.tar.gz", b"y").with_platform(arm64))
            .unwrap();
        two.add_image(
            ImageRecord::new("reg/x", digest(b"amd"))
                .tag("1")
                .attachment(digest(b"sig")),
        );
        one.merge(&two).unwrap();
        assert_eq!(
            one.get("x.tar.gz").unwrap().attachments,
            ["x.tar.gz.cdx.json", "x.tar.gz.sig"]
        );
        let images: Vec<_> = one.images().collect();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].tags, ["1", "1-amd64"]);
        assert_eq!(images[0].attachments, [digest(b"sig")]);
        // Round trip; a manifest written before images and attachments existed still reads.
        let json = one.to_json();
        assert_eq!(ReleaseManifest::from_json(&json).unwrap(), one);
        let old = ReleaseManifest::new("x", "1", date).to_json();
        assert!(!old.contains("images"));
        assert!(ReleaseManifest::from_json(&old).is_ok());

        let archives = |p: Platform| Expected {
            kind: ArtifactKind::Archive,
            platform: Some(p),
            count: 1,
        };
        one.check_complete(&[archives(amd64), archives(arm64)])
            .unwrap();
        let riscv: Platform = "riscv64gc-unknown-linux-gnu".parse().unwrap();
        let err = one
            .check_complete(&[
                archives(amd64),
                archives(riscv),
                Expected {
                    kind: ArtifactKind::Deb,
                    platform: None,
                    count: 2,
                },
            ])
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("riscv64gc") && text.contains("Deb for any platform: 0 of 2"),
            "{text}"
        );
    }
}
