//! [`Image`]: an image as a value (config + layers + annotations), changed by functions that
//! return a new image, in the spirit of go-containerregistry's `mutate`.

use std::sync::Arc;

use consign_core::{Digest, SourceDate};

use crate::store::{BlobData, BlobStore};

use crate::{
    Annotations, Config, Descriptor, Error, History, ImagePlatform, Index, Layer, Manifest,
    MediaType, OciLayout, Tag, annotation,
};

/// An image: a [`Config`], [`Layer`]s (base first) and manifest annotations.
///
/// An image read from a layout keeps the bytes of its manifest and config until it is changed,
/// so writing it elsewhere keeps its digest. Every change returns a new image whose config
/// stays consistent: [`Image::append_layer`] adds the diff_id and history entry with the layer.
///
/// ```
/// use consign_core::{Entry, FileTree, SourceDate};
/// use consign_oci::{History, Image, ImagePlatform, LayerBuilder, OciLayout, Tag};
///
/// let dir = tempfile::tempdir()?;
/// let layout = OciLayout::create(dir.path())?;
/// let date = SourceDate::from_unix(1_700_000_000);
/// let mut tree = FileTree::new();
/// tree.insert("usr/bin/hello", Entry::bytes(b"#!/bin/sh\necho hello\n".to_vec()).mode(0o755))?;
///
/// let layer = LayerBuilder::new(&tree, date).write_into(&layout)?;
/// let image = Image::new(&ImagePlatform::new("linux", "amd64"))
///     .append_layer(layer, History::new("hello").created(date))
///     .with_config(|c| c.entrypoint(["/usr/bin/hello"]))
///     .created(date);
/// let written = image.write_to(&layout, Some(&Tag::new("1.0")?))?;
/// assert_eq!(written.digest, image.digest());
///
/// let read = Image::from_layout(&layout, "1.0")?;
/// assert_eq!(read.digest(), image.digest());
/// assert_eq!(read.config().rootfs.diff_ids.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Image {
    config: Config,
    layers: Vec<Layer>,
    annotations: Annotations,
    /// The config's bytes as read, while the config is unchanged.
    read_config: Option<(Arc<[u8]>, MediaType)>,
    /// The manifest's bytes as read, while nothing is changed.
    read_manifest: Option<(Arc<[u8]>, MediaType)>,
}

impl Image {
    /// An empty image (no layers) for `platform`.
    pub fn new(platform: &ImagePlatform) -> Image {
        Image {
            config: Config::new(platform),
            layers: Vec::new(),
            annotations: Annotations::new(),
            read_config: None,
            read_manifest: None,
        }
    }

    /// An image from the bytes of its manifest (OCI or Docker schema 2) and of its config, as
    /// pulled from a registry. Its layers' bytes are not located; see
    /// [`Image::locate_layers`].
    pub fn from_bytes(manifest: &[u8], config: &[u8]) -> Result<Image, Error> {
        let m = Manifest::from_json(manifest)?;
        let config_descriptor = Descriptor::of(m.config.media_type.clone(), config);
        if config_descriptor.digest != m.config.digest || config_descriptor.size != m.config.size {
            return Err(Error::mismatch(
                "image config".to_owned(),
                &m.config,
                config_descriptor.digest,
                config_descriptor.size,
            ));
        }
        let parsed = Config::from_json(config)?;
        if parsed.rootfs.diff_ids.len() != m.layers.len() {
            return Err(Error::Invalid {
                what: "image".to_owned(),
                reason: format!(
                    "the manifest lists {} layers but the config {} diff_ids",
                    m.layers.len(),
                    parsed.rootfs.diff_ids.len()
                ),
            });
        }
        let layers = m
            .layers
            .iter()
            .zip(&parsed.rootfs.diff_ids)
            .map(|(d, id)| Layer::new(d.clone(), *id))
            .collect();
        Ok(Image {
            config: parsed,
            layers,
            annotations: m.annotations.clone(),
            read_config: Some((config.into(), m.config.media_type.clone())),
            read_manifest: Some((manifest.into(), m.media_type())),
        })
    }

    /// The image `reference` (a tag or a digest) names in `layout`; it must name a manifest,
    /// not an index (see [`Image::from_layout_for`]).
    pub fn from_layout(layout: &OciLayout, reference: &str) -> Result<Image, Error> {
        let (descriptor, bytes) = layout.manifest(reference)?;
        if descriptor.media_type.is_index() {
            return Err(Error::MediaType {
                what: format!("{reference:?} in {}", layout.path().display()),
                media_type: descriptor.media_type,
                expected: "an image manifest (name a platform with Image::from_layout_for)",
            });
        }
        Image::from_layout_manifest(layout, &bytes)
    }

    /// The image for `platform` that `reference` names in `layout`: the matching entry of
    /// an index, or a manifest whose config is for `platform`.
    pub fn from_layout_for(
        layout: &OciLayout,
        reference: &str,
        platform: &ImagePlatform,
    ) -> Result<Image, Error> {
        let (descriptor, bytes) = layout.manifest(reference)?;
        let image = if descriptor.media_type.is_index() {
            let index = Index::from_json(&bytes)?;
            let entry = index.find(platform).ok_or_else(|| Error::NotFound {
                what: format!("platform {platform} in {reference:?}"),
                layout: layout.path().to_path_buf(),
                hint: "the index has no image for this platform",
            })?;
            Image::from_layout_manifest(layout, &layout.manifest_bytes(entry)?)?
        } else {
            Image::from_layout_manifest(layout, &bytes)?
        };
        let found = image.config.platform();
        if found.matches(platform) {
            Ok(image)
        } else {
            Err(Error::NotFound {
                what: format!("platform {platform} in {reference:?} (it is {found})"),
                layout: layout.path().to_path_buf(),
                hint: "name an index or an image built for this platform",
            })
        }
    }

    fn from_layout_manifest(layout: &OciLayout, bytes: &[u8]) -> Result<Image, Error> {
        let m = Manifest::from_json(bytes)?;
        let config = layout.read_blob(&m.config)?;
        Ok(Image::from_bytes(bytes, &config)?.locate_layers(layout))
    }

    /// Points the layers whose blobs `layout` holds at their files there.
    #[must_use]
    pub fn locate_layers(mut self, layout: &OciLayout) -> Image {
        for layer in &mut self.layers {
            let digest = &layer.descriptor().digest;
            if layout.contains(digest) {
                *layer = layer.clone().at(layout.blob_path(digest));
            }
        }
        self
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The layers, base first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The manifest annotations.
    pub fn annotations(&self) -> &Annotations {
        &self.annotations
    }

    /// With `layer` on top, its diff_id and `history` added to the config.
    #[must_use]
    pub fn append_layer(mut self, layer: Layer, history: History) -> Image {
        self.config.rootfs.diff_ids.push(*layer.diff_id());
        self.config.history.push(history);
        self.layers.push(layer);
        self.changed_config()
    }

    /// With the config `change` makes of it. The root file system (diff_ids) stays the
    /// layers'; change layers with [`Image::append_layer`].
    #[must_use]
    pub fn with_config(mut self, change: impl FnOnce(Config) -> Config) -> Image {
        let rootfs = self.config.rootfs.clone();
        let mut config = change(self.config);
        config.rootfs = rootfs;
        self.config = config;
        self.changed_config()
    }

    /// With `created` in the config and the `org.opencontainers.image.created` annotation set
    /// to `date`.
    #[must_use]
    pub fn created(self, date: SourceDate) -> Image {
        self.with_config(|c| c.created(date))
            .annotation(annotation::CREATED, annotation::created(date))
    }

    /// With one more manifest annotation (replacing a previous value of `key`).
    #[must_use]
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Image {
        self.annotations.insert(key.into(), value.into());
        self.read_manifest = None;
        self
    }

    /// With `annotations` added to the manifest's (replacing previous values of their keys),
    /// for instance [`annotation::from_meta`]'s.
    #[must_use]
    pub fn with_annotations(mut self, annotations: Annotations) -> Image {
        self.annotations.extend(annotations);
        self.read_manifest = None;
        self
    }

    fn changed_config(mut self) -> Image {
        self.read_config = None;
        self.read_manifest = None;
        self
    }

    /// The config's bytes: as read, or serialized after a change.
    pub fn config_bytes(&self) -> Arc<[u8]> {
        match &self.read_config {
            Some((bytes, _)) => bytes.clone(),
            None => self.config.to_json().into(),
        }
    }

    /// The manifest.
    pub fn manifest(&self) -> Manifest {
        let config_type = match &self.read_config {
            Some((_, MediaType::DockerConfig)) | None => MediaType::ImageConfig,
            Some((_, other)) => other.clone(),
        };
        let mut m = Manifest::new(Descriptor::of(config_type, &self.config_bytes()));
        m.layers = self
            .layers
            .iter()
            .map(|l| {
                let mut d = l.descriptor().clone();
                if d.media_type == MediaType::DockerLayerGzip {
                    // The same bytes under their OCI name.
                    d.media_type = MediaType::LayerGzip;
                }
                d
            })
            .collect();
        m.annotations = self.annotations.clone();
        m
    }

    /// The manifest's bytes: as read, or serialized after a change.
    pub fn manifest_bytes(&self) -> Arc<[u8]> {
        match &self.read_manifest {
            Some((bytes, _)) => bytes.clone(),
            None => self.manifest().to_json().into(),
        }
    }

    /// The manifest's media type (Docker's for an unchanged Docker image).
    pub fn media_type(&self) -> MediaType {
        match &self.read_manifest {
            Some((_, t)) => t.clone(),
            None => MediaType::ImageManifest,
        }
    }

    /// The manifest's digest.
    pub fn digest(&self) -> Digest {
        self.descriptor().digest
    }

    /// The manifest's descriptor, with the config's platform: an index entry.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::of(self.media_type(), &self.manifest_bytes()).platform(self.config.platform())
    }

    /// Writes the image into `layout`: the layers it lacks (copied from their files, digests
    /// checked), the config and the manifest; with `tag`, names it in `index.json`. Returns
    /// the manifest's descriptor.
    pub fn write_to(&self, layout: &OciLayout, tag: Option<&Tag>) -> Result<Descriptor, Error> {
        for layer in &self.layers {
            let d = layer.descriptor();
            if !layout.contains(&d.digest) {
                let reader = layer.open()?;
                layout.write_blob_from(reader, d)?;
            }
        }
        layout.write_blob(&self.config_bytes())?;
        let descriptor = layout.put_manifest(&self.manifest_bytes(), self.media_type())?;
        if let Some(tag) = tag {
            layout.tag(&descriptor, tag)?;
        }
        Ok(descriptor)
    }
}

/// Reading from and writing to any [`BlobStore`].
impl Image {
    /// The image `reference` (a tag or a digest) names in `store`; it must name a manifest,
    /// not an index (see [`Image::read_for`]). Its layers keep pointing at `store` for their
    /// bytes, so [`Image::write`] can copy them to another store.
    pub async fn read(store: Arc<dyn BlobStore>, reference: &str) -> Result<Image, Error> {
        let (descriptor, bytes) = store.manifest(reference).await?;
        if descriptor.media_type.is_index() {
            return Err(Error::MediaType {
                what: format!("{reference:?} in the {}", store.name()),
                media_type: descriptor.media_type,
                expected: "an image manifest (name a platform with Image::read_for)",
            });
        }
        Image::read_manifest(store, &bytes).await
    }

    /// The image for `platform` that `reference` names in `store`: the matching entry of an
    /// index, or a manifest whose config is for `platform`.
    pub async fn read_for(
        store: Arc<dyn BlobStore>,
        reference: &str,
        platform: &ImagePlatform,
    ) -> Result<Image, Error> {
        let not_found = |what: String| Error::NotInStore {
            what,
            store: store.name(),
        };
        let (descriptor, bytes) = store.manifest(reference).await?;
        let image = if descriptor.media_type.is_index() {
            let index = Index::from_json(&bytes)?;
            let entry = index
                .find(platform)
                .ok_or_else(|| not_found(format!("platform {platform} in {reference:?}")))?;
            let (_, bytes) = store.manifest(&entry.digest.to_string()).await?;
            Image::read_manifest(store.clone(), &bytes).await?
        } else {
            Image::read_manifest(store.clone(), &bytes).await?
        };
        let found = image.config.platform();
        if found.matches(platform) {
            Ok(image)
        } else {
            Err(not_found(format!(
                "platform {platform} in {reference:?} (it is {found})"
            )))
        }
    }

    async fn read_manifest(store: Arc<dyn BlobStore>, bytes: &[u8]) -> Result<Image, Error> {
        let m = Manifest::from_json(bytes)?;
        let config = store.blob(&m.config).await?.read_small(&m.config).await?;
        let mut image = Image::from_bytes(bytes, &config)?;
        for layer in &mut image.layers {
            *layer = layer.clone().in_store(store.clone());
        }
        Ok(image)
    }

    /// Writes the image into `store`: the layers it lacks (from their files or their
    /// stores), the config and the manifest, tagged `tag` when given. Returns the manifest's
    /// descriptor.
    pub async fn write(
        &self,
        store: &dyn BlobStore,
        tag: Option<&Tag>,
    ) -> Result<Descriptor, Error> {
        for layer in &self.layers {
            let d = layer.descriptor();
            if !store.has_blob(&d.digest).await? {
                store.put_blob(d, layer.data().await?).await?;
            }
        }
        let config = self.manifest().config;
        if !store.has_blob(&config.digest).await? {
            store
                .put_blob(&config, BlobData::Bytes(self.config_bytes()))
                .await?;
        }
        store
            .put_manifest(&self.manifest_bytes(), &self.media_type(), tag)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LayerBuilder, LayerCompression, LayerOptions};
    use consign_core::{Entry, FileTree};

    fn layer(compression: LayerCompression) -> Layer {
        let mut tree = FileTree::new();
        tree.insert("a/b", Entry::bytes(b"b".to_vec())).unwrap();
        LayerBuilder::new(&tree, SourceDate::from_unix(0))
            .options(LayerOptions::default().compression(compression))
            .write_to(std::io::sink())
            .unwrap()
    }

    #[test]
    fn a_plain_layer_has_its_digest_as_diff_id() {
        let plain = layer(LayerCompression::None);
        assert_eq!(plain.descriptor().digest, *plain.diff_id());
        assert_eq!(plain.descriptor().media_type, MediaType::Layer);
        let gz = layer(LayerCompression::Gzip);
        assert_eq!(gz.diff_id(), plain.diff_id());
        assert_ne!(gz.descriptor().digest, *gz.diff_id());
        let mut tree = FileTree::new();
        tree.insert("x", Entry::dir()).unwrap();
        let err = LayerBuilder::new(&tree, SourceDate::from_unix(0))
            .options(LayerOptions::default().level(99))
            .write_to(std::io::sink())
            .unwrap_err();
        assert!(err.to_string().contains("out of range"), "{err}");
    }

    #[test]
    fn a_layer_without_bytes_cannot_be_written() {
        let remote = Layer::new(
            Descriptor::of(MediaType::LayerGzip, b"elsewhere"),
            Descriptor::of(MediaType::Layer, b"tar").digest,
        );
        let image = Image::new(&ImagePlatform::new("linux", "amd64"))
            .append_layer(remote.clone(), History::new("remote"));
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).unwrap();
        let err = image.write_to(&layout, None).unwrap_err();
        assert!(
            matches!(err, Error::LayerNotLocal { digest } if digest == remote.descriptor().digest)
        );
        // Once pulled into the layout, it can.
        layout
            .write_blob_from(&b"elsewhere"[..], remote.descriptor())
            .unwrap();
        let written = image.write_to(&layout, None).unwrap();
        assert_eq!(written.digest, image.digest());
    }

    #[test]
    fn with_config_cannot_break_the_rootfs() {
        let image = Image::new(&ImagePlatform::new("linux", "amd64"))
            .append_layer(layer(LayerCompression::Gzip), History::new("a"));
        let changed = image.clone().with_config(|mut c| {
            c.rootfs.diff_ids.clear();
            c.user("nobody")
        });
        assert_eq!(changed.config().rootfs, image.config().rootfs);
        assert_ne!(changed.digest(), image.digest());
        let m = changed.manifest();
        assert_eq!(m.layers.len(), 1);
        assert_eq!(
            m.config.digest,
            Descriptor::of(MediaType::ImageConfig, &changed.config_bytes()).digest
        );
    }

    #[test]
    fn a_read_image_keeps_its_bytes_until_changed_and_then_becomes_oci() {
        let config = br#"{"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":["sha256:4693057ce2364720d39e57e85a5b8e0bd9ac3573716237736d6470ec5b7b7230"]}}"#;
        let c = Descriptor::of(MediaType::DockerConfig, config);
        let manifest = format!(
            r#"{{ "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
              "config": {{"mediaType": "application/vnd.docker.container.image.v1+json", "size": {}, "digest": "{}"}},
              "layers": [{{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 3,
                "digest": "sha256:59bf1c3509f33515622619af21ed55bbe26d24913cedbca106468a5fb37a50c3"}}] }}"#,
            c.size, c.digest
        );
        let image = Image::from_bytes(manifest.as_bytes(), config).unwrap();
        assert_eq!(&*image.manifest_bytes(), manifest.as_bytes());
        assert_eq!(image.media_type(), MediaType::DockerManifest);
        assert_eq!(
            image.digest(),
            Descriptor::of(MediaType::DockerManifest, manifest.as_bytes()).digest
        );

        let annotated = image.clone().annotation("k", "v");
        assert_eq!(
            &*annotated.config_bytes(),
            &config[..],
            "the config is unchanged"
        );
        let m = Manifest::from_json(&annotated.manifest_bytes()).unwrap();
        assert_eq!(m.media_type, Some(MediaType::ImageManifest));
        assert_eq!(m.config.media_type, MediaType::ImageConfig);
        assert_eq!(m.config.digest, c.digest);
        assert_eq!(m.layers[0].media_type, MediaType::LayerGzip);

        // The wrong config, or one that disagrees with the manifest on the layers, is refused.
        assert!(matches!(
            Image::from_bytes(manifest.as_bytes(), b"{}"),
            Err(Error::DigestMismatch(_))
        ));
        let empty =
            br#"{"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let d = Descriptor::of(MediaType::DockerConfig, empty);
        let manifest = manifest
            .replace(&c.digest.to_string(), &d.digest.to_string())
            .replace(
                &format!("\"size\": {}", c.size),
                &format!("\"size\": {}", d.size),
            );
        let err = Image::from_bytes(manifest.as_bytes(), empty).unwrap_err();
        assert!(
            err.to_string()
                .contains("1 layers but the config 0 diff_ids"),
            "{err}"
        );
    }
}
