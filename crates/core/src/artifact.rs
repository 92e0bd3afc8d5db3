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
        }
    }

    /// Adds an artifact; the same record again is accepted, another record under the same name
    /// is a conflict.
    pub fn add(&mut self, artifact: Artifact) -> Result<(), ManifestError> {
        match self.artifacts.get(&artifact.name) {
            Some(old) if *old != artifact => Err(ManifestError::Conflict {
                name: artifact.name,
            }),
            Some(_) => Ok(()),
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
}
