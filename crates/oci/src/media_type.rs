//! [`MediaType`]: the media types of OCI and Docker manifests, configs and layers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A media type as it appears in descriptors, manifests and `Content-Type` headers.
///
/// The types consign reads and writes are variants; anything else (artifact types, signature
/// payloads, vendor layers) is kept verbatim in [`MediaType::Other`], so nothing read from a
/// registry is lost when it is written back.
///
/// ```
/// use consign_oci::MediaType;
/// let m: MediaType = "application/vnd.oci.image.manifest.v1+json".parse().unwrap();
/// assert_eq!(m, MediaType::ImageManifest);
/// assert!(m.is_manifest());
/// assert_eq!(MediaType::DockerManifestList.to_string(),
///            "application/vnd.docker.distribution.manifest.list.v2+json");
/// let other: MediaType = "application/vnd.dev.cosign.simplesigning.v1+json".parse().unwrap();
/// assert_eq!(other.as_str(), "application/vnd.dev.cosign.simplesigning.v1+json");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MediaType {
    /// `application/vnd.oci.image.manifest.v1+json`
    ImageManifest,
    /// `application/vnd.oci.image.index.v1+json`
    ImageIndex,
    /// `application/vnd.oci.image.config.v1+json`
    ImageConfig,
    /// `application/vnd.oci.image.layer.v1.tar`
    Layer,
    /// `application/vnd.oci.image.layer.v1.tar+gzip`
    LayerGzip,
    /// `application/vnd.oci.image.layer.v1.tar+zstd`
    LayerZstd,
    /// `application/vnd.oci.empty.v1+json` (the `{}` config of artifacts)
    Empty,
    /// `application/vnd.docker.distribution.manifest.v2+json` (Docker schema 2)
    DockerManifest,
    /// `application/vnd.docker.distribution.manifest.list.v2+json`
    DockerManifestList,
    /// `application/vnd.docker.container.image.v1+json`
    DockerConfig,
    /// `application/vnd.docker.image.rootfs.diff.tar.gzip`
    DockerLayerGzip,
    /// Any other media type, verbatim.
    Other(String),
}

const KNOWN: &[(MediaType, &str)] = &[
    (
        MediaType::ImageManifest,
        "application/vnd.oci.image.manifest.v1+json",
    ),
    (
        MediaType::ImageIndex,
        "application/vnd.oci.image.index.v1+json",
    ),
    (
        MediaType::ImageConfig,
        "application/vnd.oci.image.config.v1+json",
    ),
    (MediaType::Layer, "application/vnd.oci.image.layer.v1.tar"),
    (
        MediaType::LayerGzip,
        "application/vnd.oci.image.layer.v1.tar+gzip",
    ),
    (
        MediaType::LayerZstd,
        "application/vnd.oci.image.layer.v1.tar+zstd",
    ),
    (MediaType::Empty, "application/vnd.oci.empty.v1+json"),
    (
        MediaType::DockerManifest,
        "application/vnd.docker.distribution.manifest.v2+json",
    ),
    (
        MediaType::DockerManifestList,
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ),
    (
        MediaType::DockerConfig,
        "application/vnd.docker.container.image.v1+json",
    ),
    (
        MediaType::DockerLayerGzip,
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
    ),
];

impl MediaType {
    /// The media type's text.
    pub fn as_str(&self) -> &str {
        match self {
            MediaType::Other(text) => text,
            known => KNOWN
                .iter()
                .find(|(m, _)| m == known)
                .map_or("", |(_, text)| text),
        }
    }

    /// An image manifest (OCI or Docker schema 2).
    pub fn is_manifest(&self) -> bool {
        matches!(self, MediaType::ImageManifest | MediaType::DockerManifest)
    }

    /// An index (OCI index or Docker manifest list).
    pub fn is_index(&self) -> bool {
        matches!(self, MediaType::ImageIndex | MediaType::DockerManifestList)
    }

    /// A layer compressed with gzip (OCI or Docker).
    pub fn is_gzip_layer(&self) -> bool {
        matches!(self, MediaType::LayerGzip | MediaType::DockerLayerGzip)
    }
}

impl FromStr for MediaType {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<MediaType, Self::Err> {
        // Content-Type headers may carry parameters (`; charset=utf-8`).
        let bare = text.split(';').next().unwrap_or(text).trim();
        Ok(KNOWN
            .iter()
            .find(|(_, t)| *t == bare)
            .map_or_else(|| MediaType::Other(bare.to_owned()), |(m, _)| m.clone()))
    }
}

impl From<&str> for MediaType {
    fn from(text: &str) -> MediaType {
        match text.parse() {
            Ok(m) => m,
            Err(never) => match never {},
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MediaType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MediaType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MediaType, D::Error> {
        let text = String::deserialize(d)?;
        Ok(MediaType::from(text.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_type_round_trips() {
        for (m, text) in KNOWN {
            assert_eq!(m.as_str(), *text);
            assert_eq!(&MediaType::from(*text), m);
            let json = serde_json::to_string(m).unwrap();
            assert_eq!(serde_json::from_str::<MediaType>(&json).unwrap(), *m);
        }
    }

    #[test]
    fn parameters_are_dropped_and_unknown_types_kept() {
        assert_eq!(
            MediaType::from("application/vnd.oci.image.index.v1+json; charset=utf-8"),
            MediaType::ImageIndex
        );
        let m = MediaType::from("application/vnd.in-toto+json");
        assert_eq!(m.to_string(), "application/vnd.in-toto+json");
        assert!(!m.is_manifest() && !m.is_index());
    }
}
