//! [`Manifest`]: an OCI image manifest, or a Docker schema 2 manifest read into the same type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Annotations, Descriptor, Error, MediaType, json};

/// An image manifest: a config descriptor, layer descriptors, an optional subject and
/// annotations.
///
/// OCI image manifests and Docker schema 2 manifests (`mediaType` tells which) read into this
/// type. Written JSON is deterministic: fields in the specification's order, annotations sorted,
/// no whitespace. A manifest's digest is over its bytes, so a manifest read from a layout or a
/// registry is copied by its bytes ([`crate::OciLayout::put_manifest`]), never re-serialized.
///
/// ```
/// use consign_oci::{Descriptor, Manifest, MediaType};
///
/// let config = Descriptor::of(MediaType::ImageConfig, b"{}");
/// let layer = Descriptor::of(MediaType::LayerGzip, b"not really gzip");
/// let m = Manifest::new(config).layer(layer).annotation("org.opencontainers.image.version", "1.0");
/// let bytes = m.to_json();
/// assert!(bytes.starts_with(br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":"#));
/// assert_eq!(Manifest::from_json(&bytes)?, m);
/// assert_eq!(m.descriptor().digest, Descriptor::of(MediaType::ImageManifest, &bytes).digest);
/// # Ok::<(), consign_oci::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// [`MediaType::ImageManifest`] or [`MediaType::DockerManifest`]; absent in some old OCI
    /// manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    /// The type of an artifact manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<MediaType>,
    /// The image config (or an artifact's config blob).
    pub config: Descriptor,
    /// The layers, base first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (signatures, SBOMs, attestations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: Annotations,
}

impl Manifest {
    /// An OCI image manifest with `config` and no layers.
    pub fn new(config: Descriptor) -> Manifest {
        Manifest {
            schema_version: 2,
            media_type: Some(MediaType::ImageManifest),
            artifact_type: None,
            config,
            layers: Vec::new(),
            subject: None,
            annotations: Annotations::new(),
        }
    }

    /// Parses an OCI image manifest or a Docker schema 2 manifest.
    ///
    /// Refused: JSON that does not parse, a `schemaVersion` other than 2, a `mediaType` that
    /// is not a manifest's (an index, for instance).
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, Error> {
        let what = "image manifest";
        json::check_head(
            bytes,
            what,
            MediaType::is_manifest,
            "an OCI image manifest or a Docker schema 2 manifest",
        )?;
        json::from_slice(bytes, what)
    }

    /// The manifest's JSON.
    pub fn to_json(&self) -> Vec<u8> {
        json::to_vec(self)
    }

    /// The descriptor of [`Manifest::to_json`]'s bytes (no platform).
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::of(self.media_type(), &self.to_json())
    }

    /// The media type, [`MediaType::ImageManifest`] when absent.
    pub fn media_type(&self) -> MediaType {
        self.media_type.clone().unwrap_or(MediaType::ImageManifest)
    }

    /// True for a Docker schema 2 manifest.
    pub fn is_docker(&self) -> bool {
        self.media_type == Some(MediaType::DockerManifest)
    }

    /// With one more layer.
    #[must_use]
    pub fn layer(mut self, layer: Descriptor) -> Manifest {
        self.layers.push(layer);
        self
    }

    /// With one more annotation (replacing a previous value of `key`).
    #[must_use]
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Manifest {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// With a subject.
    #[must_use]
    pub fn subject(mut self, subject: Descriptor) -> Manifest {
        self.subject = Some(subject);
        self
    }

    /// With an artifact type.
    #[must_use]
    pub fn artifact_type(mut self, artifact_type: MediaType) -> Manifest {
        self.artifact_type = Some(artifact_type);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKER: &str = r#"{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1469,
      "digest": "sha256:9c7a54a9a43cca047013b82af109fe963fde787f63f9e016fdc3384500c2823d"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 2818413,
         "digest": "sha256:59bf1c3509f33515622619af21ed55bbe26d24913cedbca106468a5fb37a50c3"
      }
   ]
}"#;

    #[test]
    fn docker_schema2_reads_into_the_same_type() {
        let m = Manifest::from_json(DOCKER.as_bytes()).unwrap();
        assert!(m.is_docker());
        assert_eq!(m.config.media_type, MediaType::DockerConfig);
        assert_eq!(m.layers[0].media_type, MediaType::DockerLayerGzip);
        assert_eq!(m.layers[0].size, 2_818_413);
    }

    #[test]
    fn an_index_is_not_a_manifest() {
        let err = Manifest::from_json(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("expected an OCI image manifest"),
            "{err}"
        );
        let err = Manifest::from_json(
            br#"{"schemaVersion":1,"config":{"mediaType":"a","digest":"sha256:9c7a54a9a43cca047013b82af109fe963fde787f63f9e016fdc3384500c2823d","size":1}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("schemaVersion is 1"), "{err}");
    }

    #[test]
    fn annotations_are_written_sorted() {
        let m = Manifest::new(Descriptor::of(MediaType::ImageConfig, b"{}"))
            .annotation("z", "1")
            .annotation("a", "2");
        let text = String::from_utf8(m.to_json()).unwrap();
        assert!(
            text.ends_with(r#""annotations":{"a":"2","z":"1"}}"#),
            "{text}"
        );
    }

    proptest::proptest! {
        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = Manifest::from_json(&bytes);
        }

        #[test]
        fn mutated_manifests_never_panic(cut in 0usize..DOCKER.len(), byte in proptest::num::u8::ANY) {
            let mut bytes = DOCKER.as_bytes().to_vec();
            bytes[cut] = byte;
            let _ = Manifest::from_json(&bytes);
            let _ = Manifest::from_json(&bytes[..cut]);
        }
    }
}
