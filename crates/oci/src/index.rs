//! [`Index`]: an OCI image index (multi-platform image), or a Docker manifest list read into
//! the same type.

use std::collections::BTreeMap;

use consign_core::Digest;
use serde::{Deserialize, Serialize};

use crate::{Annotations, Descriptor, Error, ImagePlatform, MediaType, json};

/// An image index: descriptors of manifests (one per platform, usually), with an optional
/// subject and annotations.
///
/// Changes return a new value, in the spirit of go-containerregistry's `mutate`:
/// [`Index::push`] appends an entry, [`Index::replace`] puts an entry in place of the one for the
/// same platform, [`Index::remove`] drops entries by digest. JSON output is deterministic.
///
/// ```
/// use consign_oci::{Descriptor, ImagePlatform, Index, MediaType};
///
/// let amd64 = Descriptor::of(MediaType::ImageManifest, b"amd64 v1")
///     .platform(ImagePlatform::new("linux", "amd64"));
/// let arm64 = Descriptor::of(MediaType::ImageManifest, b"arm64 v1")
///     .platform(ImagePlatform::new("linux", "arm64"));
/// let index = Index::new().push(amd64.clone()).push(arm64);
///
/// let rebuilt = Descriptor::of(MediaType::ImageManifest, b"amd64 v2")
///     .platform(ImagePlatform::new("linux", "amd64"));
/// let index = index.replace(rebuilt.clone());
/// assert_eq!(index.manifests.len(), 2);
/// assert_eq!(index.find(&ImagePlatform::new("linux", "amd64")), Some(&rebuilt));
/// assert!(index.get(&amd64.digest).is_none());
/// assert_eq!(Index::from_json(&index.to_json())?, index);
/// # Ok::<(), consign_oci::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// [`MediaType::ImageIndex`] or [`MediaType::DockerManifestList`]; absent in some
    /// `index.json` files of image layouts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    /// The type of an artifact index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<MediaType>,
    /// The manifests (or nested indexes).
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    /// The manifest this index refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: Annotations,
}

impl Default for Index {
    fn default() -> Index {
        Index::new()
    }
}

impl Index {
    /// An empty OCI image index.
    pub fn new() -> Index {
        Index {
            schema_version: 2,
            media_type: Some(MediaType::ImageIndex),
            artifact_type: None,
            manifests: Vec::new(),
            subject: None,
            annotations: Annotations::new(),
        }
    }

    /// Parses an OCI image index or a Docker manifest list.
    pub fn from_json(bytes: &[u8]) -> Result<Index, Error> {
        let what = "image index";
        json::check_head(
            bytes,
            what,
            MediaType::is_index,
            "an OCI image index or a Docker manifest list",
        )?;
        json::from_slice(bytes, what)
    }

    /// The index's JSON.
    pub fn to_json(&self) -> Vec<u8> {
        json::to_vec(self)
    }

    /// The descriptor of [`Index::to_json`]'s bytes.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::of(self.media_type(), &self.to_json())
    }

    /// The media type, [`MediaType::ImageIndex`] when absent.
    pub fn media_type(&self) -> MediaType {
        self.media_type.clone().unwrap_or(MediaType::ImageIndex)
    }

    /// True for a Docker manifest list.
    pub fn is_docker(&self) -> bool {
        self.media_type == Some(MediaType::DockerManifestList)
    }

    /// The first entry for `platform` (see [`ImagePlatform::matches`]).
    pub fn find(&self, platform: &ImagePlatform) -> Option<&Descriptor> {
        self.manifests
            .iter()
            .find(|d| d.platform.as_ref().is_some_and(|p| p.matches(platform)))
    }

    /// The entry with `digest`.
    pub fn get(&self, digest: &Digest) -> Option<&Descriptor> {
        self.manifests.iter().find(|d| &d.digest == digest)
    }

    /// With `entry` appended.
    #[must_use]
    pub fn push(mut self, entry: Descriptor) -> Index {
        self.manifests.push(entry);
        self
    }

    /// With `entry` in place of the entries for its platform (appended when there is none;
    /// an entry without a platform replaces the entries without one).
    #[must_use]
    pub fn replace(mut self, entry: Descriptor) -> Index {
        let same = |d: &Descriptor| match (&d.platform, &entry.platform) {
            (Some(a), Some(b)) => a.matches(b),
            (None, None) => true,
            _ => false,
        };
        match self.manifests.iter().position(same) {
            Some(at) => {
                self.manifests[at] = entry.clone();
                let mut i = at + 1;
                while i < self.manifests.len() {
                    if same(&self.manifests[i]) {
                        self.manifests.remove(i);
                    } else {
                        i += 1;
                    }
                }
            }
            None => self.manifests.push(entry),
        }
        self
    }

    /// Without the entries whose digest is `digest`.
    #[must_use]
    pub fn remove(mut self, digest: &Digest) -> Index {
        self.manifests.retain(|d| &d.digest != digest);
        self
    }

    /// With one more annotation (replacing a previous value of `key`).
    #[must_use]
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Index {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// With a subject.
    #[must_use]
    pub fn subject(mut self, subject: Descriptor) -> Index {
        self.subject = Some(subject);
        self
    }

    /// With an artifact type.
    #[must_use]
    pub fn artifact_type(mut self, artifact_type: MediaType) -> Index {
        self.artifact_type = Some(artifact_type);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"{
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 7143,
     "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
     "platform": {"architecture": "ppc64le", "os": "linux"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 7682,
     "digest": "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
     "platform": {"architecture": "amd64", "os": "linux", "features": ["sse4"]}}
  ]
}"#;

    #[test]
    fn docker_manifest_lists_read_into_the_same_type() {
        let index = Index::from_json(LIST.as_bytes()).unwrap();
        assert!(index.is_docker());
        let amd64 = index.find(&ImagePlatform::new("linux", "amd64")).unwrap();
        assert_eq!(amd64.size, 7682);
        assert_eq!(amd64.platform.as_ref().unwrap().features, ["sse4"]);
        assert!(index.find(&ImagePlatform::new("linux", "arm64")).is_none());
    }

    #[test]
    fn layout_index_without_media_type_reads() {
        let index = Index::from_json(br#"{"schemaVersion":2,"manifests":[]}"#).unwrap();
        assert_eq!(index.media_type(), MediaType::ImageIndex);
        assert!(
            Index::from_json(
                br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn replace_keeps_one_entry_per_platform_and_remove_drops_by_digest() {
        let index = Index::from_json(LIST.as_bytes()).unwrap();
        let first = index.manifests[0].digest;
        let new = Descriptor::of(MediaType::ImageManifest, b"x")
            .platform(ImagePlatform::new("linux", "ppc64le"));
        let index = index
            .clone()
            .push(index.manifests[0].clone())
            .replace(new.clone());
        assert_eq!(index.manifests.len(), 2);
        assert_eq!(index.manifests[0], new);
        assert!(index.get(&first).is_none());
        let index = index.remove(&new.digest);
        assert_eq!(index.manifests.len(), 1);
    }

    proptest::proptest! {
        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = Index::from_json(&bytes);
        }

        #[test]
        fn mutated_lists_never_panic(cut in 0usize..LIST.len(), byte in proptest::num::u8::ANY) {
            let mut bytes = LIST.as_bytes().to_vec();
            bytes[cut] = byte;
            let _ = Index::from_json(&bytes);
            let _ = Index::from_json(&bytes[..cut]);
        }
    }
}
