//! [`ProgramImages`]: images that run one program, one per platform, and the index naming
//! them: what a `FROM scratch` Dockerfile with a `COPY` of the binary gives, or `ko` builds,
//! without a container engine.

use std::path::PathBuf;

use consign_core::{Entry, FileTree, Platform, SourceDate};

use crate::tags::platform_tag;
use crate::{
    Annotations, Descriptor, Error, History, Image, ImagePlatform, Index, LayerBuilder,
    LayerOptions, OciLayout, Tag,
};

/// Images of one program for several platforms: each holds the program at
/// `/usr/local/bin/<name>` (mode 0755) as its entrypoint, run as `nobody` (65534:65534), and
/// nothing else (no base image: the program must be static, or bring what it loads as extra
/// files). Each program's header is checked against its platform, so an x86-64 build never goes
/// into an arm64 image.
///
/// ```
/// use consign_core::{Platform, SourceDate};
/// use consign_oci::{OciLayout, ProgramImages, Tag};
///
/// let dir = tempfile::tempdir()?;
/// let script = dir.path().join("hello");
/// std::fs::write(&script, "#!/bin/sh\necho hello\n")?;
/// let layout = OciLayout::create(dir.path().join("oci"))?;
/// let written = ProgramImages::new("hello", SourceDate::from_unix(1_700_000_000))
///     .program(&Platform::from_oci("linux/amd64")?, &script)?
///     .program(&Platform::from_oci("linux/arm64")?, &script)?
///     .annotation("org.opencontainers.image.version", "1.0.0")
///     .write_to(&layout, &Tag::new("1.0.0")?)?;
/// assert_eq!(written.images.len(), 2);
/// assert_eq!(layout.resolve("1.0.0")?.digest, written.index.digest);
/// assert_eq!(layout.resolve("1.0.0-arm64")?.digest, written.images[1].digest);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct ProgramImages {
    name: String,
    date: SourceDate,
    programs: Vec<(Platform, PathBuf)>,
    extra: Vec<(String, Entry)>,
    annotations: Annotations,
    layer_options: LayerOptions,
}

/// What [`ProgramImages::write_to`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WrittenImages {
    /// The index naming the images.
    pub index: Descriptor,
    /// The images, in the order their programs were given (each with its platform).
    pub images: Vec<Descriptor>,
}

impl ProgramImages {
    /// Images of the program `name`, dated `date`.
    pub fn new(name: impl Into<String>, date: SourceDate) -> ProgramImages {
        ProgramImages {
            name: name.into(),
            date,
            programs: Vec::new(),
            extra: Vec::new(),
            annotations: Annotations::new(),
            layer_options: LayerOptions::default(),
        }
    }

    /// Adds the build of the program for `platform`, refused when its header names another
    /// operating system or machine.
    pub fn program(
        mut self,
        platform: &Platform,
        path: impl Into<PathBuf>,
    ) -> Result<ProgramImages, Error> {
        let path = path.into();
        platform.check_executable(&path)?;
        self.programs.push((*platform, path));
        Ok(self)
    }

    /// Adds a file to every image (licenses, certificates), at `path` (relative to `/`).
    #[must_use]
    pub fn file(mut self, path: impl Into<String>, entry: Entry) -> ProgramImages {
        self.extra.push((path.into(), entry));
        self
    }

    /// Adds an annotation to every image manifest and to the index.
    #[must_use]
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// Layer compression, threads and progress.
    #[must_use]
    pub fn layer_options(mut self, options: LayerOptions) -> ProgramImages {
        self.layer_options = options;
        self
    }

    /// The image for `platform` (its layer written into `layout`).
    pub fn image(&self, layout: &OciLayout, platform: &Platform) -> Result<Image, Error> {
        let path = self
            .programs
            .iter()
            .find(|(p, _)| p == platform)
            .map(|(_, path)| path)
            .ok_or_else(|| Error::Invalid {
                what: format!("images of {}", self.name),
                reason: format!("no program was given for {platform}"),
            })?;
        let entrypoint = format!("/usr/local/bin/{}", self.name);
        let mut files = FileTree::new();
        files.insert(&entrypoint[1..], Entry::file(path)?.mode(0o755))?;
        for (path, entry) in &self.extra {
            files.insert(path, entry.clone())?;
        }
        let layer = LayerBuilder::new(&files, self.date)
            .options(self.layer_options.clone())
            .write_into(layout)?;
        Ok(Image::new(&ImagePlatform::from(platform))
            .append_layer(
                layer,
                History::new(format!("COPY {} {entrypoint}", self.name)).created(self.date),
            )
            .with_config(|c| c.entrypoint([entrypoint.as_str()]).user("65534:65534"))
            .created(self.date)
            .with_annotations(self.annotations.clone()))
    }

    /// Writes every image into `layout`, tagged `<tag>-<arch>` (`1.0.0-arm64`), and the index
    /// naming them, tagged `tag`.
    pub fn write_to(&self, layout: &OciLayout, tag: &Tag) -> Result<WrittenImages, Error> {
        if self.programs.is_empty() {
            return Err(Error::Invalid {
                what: format!("images of {}", self.name),
                reason: "no program was given".to_owned(),
            });
        }
        let mut index = Index::new();
        let mut images = Vec::new();
        for (platform, _) in &self.programs {
            let image = self.image(layout, platform)?;
            let image_platform = ImagePlatform::from(platform);
            image.write_to(layout, Some(&platform_tag(tag, &image_platform)))?;
            // The index entry carries the image's platform.
            let descriptor = image.descriptor();
            index = index.push(descriptor.clone());
            images.push(descriptor);
        }
        let mut annotations = self.annotations.clone();
        annotations.insert(
            crate::annotation::CREATED.to_owned(),
            crate::annotation::created(self.date),
        );
        for (key, value) in annotations {
            index = index.annotation(key, value);
        }
        let descriptor = layout.put_manifest(&index.to_json(), index.media_type())?;
        layout.tag(&descriptor, tag)?;
        Ok(WrittenImages {
            index: descriptor,
            images,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_for_another_machine_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("prog");
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[5] = 1;
        elf[18] = 62; // x86-64
        std::fs::write(&program, &elf).unwrap();
        let arm = Platform::from_oci("linux/arm64").unwrap();
        let err = ProgramImages::new("prog", SourceDate::from_unix(0))
            .program(&arm, &program)
            .unwrap_err();
        assert!(matches!(err, Error::Platform(_)), "{err}");
        let layout = OciLayout::create(dir.path().join("oci")).unwrap();
        let none = ProgramImages::new("prog", SourceDate::from_unix(0))
            .write_to(&layout, &Tag::new("1").unwrap())
            .unwrap_err();
        assert!(none.to_string().contains("no program"), "{none}");
    }

    #[test]
    fn images_are_the_same_bytes_when_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("hello");
        std::fs::write(&program, "#!/bin/sh\necho hello\n").unwrap();
        let images = ProgramImages::new("hello", SourceDate::from_unix(1_700_000_000))
            .program(&Platform::from_oci("linux/amd64").unwrap(), &program)
            .unwrap()
            .file("etc/hello.conf", Entry::bytes(b"loud = true\n".to_vec()));
        let tag = Tag::new("1.0.0").unwrap();
        let first = images
            .write_to(&OciLayout::create(dir.path().join("a")).unwrap(), &tag)
            .unwrap();
        let layout = OciLayout::create(dir.path().join("b")).unwrap();
        let second = images.write_to(&layout, &tag).unwrap();
        assert_eq!(first, second);
        assert_eq!(
            second.images[0].platform,
            Some(ImagePlatform::new("linux", "amd64"))
        );
        let index =
            crate::Index::from_json(&layout.manifest_bytes(&second.index).unwrap()).unwrap();
        assert_eq!(index.manifests, second.images);
        let image = Image::from_layout(&layout, "1.0.0-amd64").unwrap();
        assert_eq!(
            image.config().run_config().entrypoint,
            Some(vec!["/usr/local/bin/hello".to_owned()])
        );
        assert_eq!(
            image.config().run_config().user.as_deref(),
            Some("65534:65534")
        );
    }
}
