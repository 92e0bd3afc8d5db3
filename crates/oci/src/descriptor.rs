//! [`Descriptor`]: what a manifest or index says about a blob, and [`ImagePlatform`].

use std::collections::BTreeMap;
use std::fmt;

use consign_core::{Digest, Platform};
use serde::{Deserialize, Serialize};

use crate::MediaType;

/// Annotations: `org.opencontainers.image.*` and any others, sorted by key so that JSON
/// output is deterministic.
pub type Annotations = BTreeMap<String, String>;

/// A content descriptor: media type, digest and size of a blob or manifest, with optional
/// platform, annotations and artifact type.
///
/// Unknown fields read from a registry are ignored on input; the fields below are written back
/// in the order of the OCI specification, and absent ones are omitted.
///
/// ```
/// use consign_core::{Algorithm, Digest, Platform};
/// use consign_oci::{Descriptor, ImagePlatform, MediaType};
///
/// let manifest = br#"{"schemaVersion":2}"#;
/// let d = Descriptor::of(MediaType::ImageManifest, manifest)
///     .platform(ImagePlatform::from(&Platform::from_oci("linux/arm64")?))
///     .annotation("org.opencontainers.image.version", "1.2.3");
/// assert_eq!(d.size, manifest.len() as u64);
/// assert_eq!(d.digest, Digest::of(Algorithm::Sha256, manifest));
/// let json = serde_json::to_string(&d)?;
/// assert!(json.starts_with(r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:"#));
/// assert!(json.contains(r#""platform":{"architecture":"arm64","os":"linux","variant":"v8"}"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Descriptor {
    /// The media type of the referenced content.
    pub media_type: MediaType,
    /// The digest of the referenced content.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// URLs the content may also be fetched from (foreign layers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: Annotations,
    /// Embedded content, base64 (rarely used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// The platform of an index entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<ImagePlatform>,
    /// The artifact type of an artifact manifest (referrers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<MediaType>,
}

impl Descriptor {
    /// A descriptor from its required parts.
    pub fn new(media_type: MediaType, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type,
            digest,
            size,
            urls: Vec::new(),
            annotations: Annotations::new(),
            data: None,
            platform: None,
            artifact_type: None,
        }
    }

    /// The descriptor of `content` (SHA-256, the digest OCI registries use).
    pub fn of(media_type: MediaType, content: &[u8]) -> Descriptor {
        Descriptor::new(
            media_type,
            Digest::of(consign_core::Algorithm::Sha256, content),
            content.len() as u64,
        )
    }

    /// With a platform.
    #[must_use]
    pub fn platform(mut self, platform: ImagePlatform) -> Descriptor {
        self.platform = Some(platform);
        self
    }

    /// With one more annotation (replacing a previous value of `key`).
    #[must_use]
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Descriptor {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// With an artifact type.
    #[must_use]
    pub fn artifact_type(mut self, artifact_type: MediaType) -> Descriptor {
        self.artifact_type = Some(artifact_type);
        self
    }
}

/// The platform of an image as OCI writes it (`architecture`, `os`, `variant`, …).
///
/// Wider than [`consign_core::Platform`]: registries hold platforms consign does not build for
/// (`unknown/unknown` attestation manifests, `os.version` of Windows images), and they must
/// survive a read and a write unchanged.
///
/// ```
/// use consign_core::Platform;
/// use consign_oci::ImagePlatform;
/// let p = ImagePlatform::from(&Platform::from_oci("linux/arm/v7")?);
/// assert_eq!(p.to_string(), "linux/arm/v7");
/// assert_eq!(p.to_platform()?, Platform::from_oci("linux/arm/v7")?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImagePlatform {
    /// CPU architecture (`amd64`, `arm64`, …).
    pub architecture: String,
    /// Operating system (`linux`, `windows`, …).
    pub os: String,
    /// Operating system version (Windows images).
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    /// Operating system features.
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    /// CPU variant (`v7`, `v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// CPU features (reserved by the specification).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
}

impl ImagePlatform {
    /// A platform from its OS and architecture names.
    pub fn new(os: impl Into<String>, architecture: impl Into<String>) -> ImagePlatform {
        ImagePlatform {
            architecture: architecture.into(),
            os: os.into(),
            os_version: None,
            os_features: Vec::new(),
            variant: None,
            features: Vec::new(),
        }
    }

    /// With a CPU variant.
    #[must_use]
    pub fn variant(mut self, variant: impl Into<String>) -> ImagePlatform {
        self.variant = Some(variant.into());
        self
    }

    /// The consign platform this names (Linux gets glibc), or an error for platforms consign
    /// does not know.
    pub fn to_platform(&self) -> Result<Platform, consign_core::PlatformError> {
        Platform::from_oci(&self.to_string())
    }

    /// Whether `self` and `other` name the same OS, architecture and variant. A missing variant
    /// matches the architecture's default (`arm64` = `arm64/v8`).
    pub fn matches(&self, other: &ImagePlatform) -> bool {
        let default_variant = |p: &ImagePlatform| match (p.architecture.as_str(), &p.variant) {
            (_, Some(v)) => Some(v.clone()),
            ("arm64", None) => Some("v8".to_owned()),
            _ => None,
        };
        self.os == other.os
            && self.architecture == other.architecture
            && default_variant(self) == default_variant(other)
    }
}

impl From<&Platform> for ImagePlatform {
    fn from(p: &Platform) -> ImagePlatform {
        let mut out = ImagePlatform::new(p.oci_os(), p.oci_arch());
        out.variant = p.oci_variant().map(str::to_owned);
        out
    }
}

impl fmt::Display for ImagePlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_json_reads_and_keeps_unknown_platform_fields() {
        let json = r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "size":0,"platform":{"architecture":"unknown","os":"unknown"},
            "annotations":{"vnd.docker.reference.type":"attestation-manifest"},"extra":1}"#;
        let d: Descriptor = serde_json::from_str(json).unwrap();
        let p = d.platform.as_ref().unwrap();
        assert_eq!(p.to_string(), "unknown/unknown");
        assert!(p.to_platform().is_err());
        let again: Descriptor = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(again, d);
    }

    #[test]
    fn arm64_without_variant_matches_v8() {
        let a = ImagePlatform::new("linux", "arm64");
        let b = ImagePlatform::new("linux", "arm64").variant("v8");
        assert!(a.matches(&b));
        assert!(!a.matches(&ImagePlatform::new("linux", "amd64")));
    }
}
