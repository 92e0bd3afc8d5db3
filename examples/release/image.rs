//! The release's container image: `dist/oci/`, an OCI image layout holding an image of the
//! released program for the target platform and an index naming it.
//!
//! The image has two layers: the program (in `/usr/local/bin`, with the licenses in
//! `/usr/share/doc/<name>`) and, for a dynamically linked Linux program built for this host,
//! the shared libraries and loader `ldd` resolves for it, so the image runs without a base
//! image. The image is tagged `<version>-<arch>` and the index `<version>` in `index.json`.

use std::path::Path;
use std::process::Command;

use consign::core::{Entry, FileTree, Monitor, PackageMeta, Platform, SourceDate};
use consign::oci::tags::platform_tag;
use consign::oci::{
    Descriptor, History, Image, ImagePlatform, Index, LayerBuilder, LayerOptions, OciLayout, Tag,
    annotation,
};

use crate::{Error, workspace_root};

/// What the job put into the layout.
pub struct ImageRelease {
    /// The per-platform image's manifest.
    pub image: Descriptor,
    /// Its tag in the layout.
    pub image_tag: Tag,
    /// The index naming the image.
    pub index: Descriptor,
    /// The index's tag in the layout.
    pub index_tag: Tag,
}

/// Writes the image and its index into `dir`.
pub fn write_layout(
    dir: &Path,
    program: &Path,
    meta: &PackageMeta,
    platform: &Platform,
    date: SourceDate,
    monitor: &Monitor,
) -> Result<ImageRelease, Error> {
    let layout = OciLayout::create(dir)?;
    let layer_options = LayerOptions::default().monitor(monitor.clone());
    let image_platform = ImagePlatform::from(platform);
    let name = &meta.name();
    let entrypoint = format!("/usr/local/bin/{name}");

    let mut files = FileTree::new();
    files.insert(&entrypoint[1..], Entry::file(program)?.mode(0o755))?;
    for doc in ["LICENSE-MIT", "LICENSE-APACHE"] {
        files.insert(
            format!("usr/share/doc/{name}/{doc}"),
            Entry::file(workspace_root().join(doc))?.mode(0o644),
        )?;
    }
    let mut image = Image::new(&image_platform).append_layer(
        LayerBuilder::new(&files, date)
            .options(layer_options.clone())
            .write_into(&layout)?,
        History::new(format!("consign release: {name} {}", meta.version())).created(date),
    );
    let libraries = runtime_libraries(program, platform)?;
    if !libraries.is_empty() {
        image = image.append_layer(
            LayerBuilder::new(&libraries, date)
                .options(layer_options)
                .write_into(&layout)?,
            History::new("consign release: shared libraries of the build host").created(date),
        );
    }
    let mut annotations = annotation::from_meta(meta);
    annotations.insert(annotation::CREATED.into(), annotation::created(date));
    let image = image
        .with_config(|c| {
            c.entrypoint([entrypoint.as_str()])
                .env("PATH", "/usr/local/bin:/usr/bin:/bin")
                .working_dir("/")
                .user("65534:65534")
        })
        .created(date)
        .with_annotations(annotations.clone());

    let version = Tag::sanitize(meta.version().as_str());
    let image_tag = platform_tag(&version, &image_platform);
    image.write_to(&layout, Some(&image_tag))?;
    // The index entry carries the image's platform.
    let image_descriptor = image.descriptor();

    let mut index = Index::new().push(image_descriptor.clone());
    for (key, value) in &annotations {
        index = index.annotation(key, value);
    }
    let index_bytes = index.to_json();
    let index_descriptor = layout.put_manifest(&index_bytes, index.media_type())?;
    layout.tag(&index_descriptor, &version)?;
    Ok(ImageRelease {
        image: image_descriptor,
        image_tag,
        index: index_descriptor,
        index_tag: version,
    })
}

/// The shared libraries and loader of a dynamically linked program for this host, at the
/// paths `ldd` resolves them to (each a regular file holding the library). Empty for a static
/// program, or a program for another platform (its libraries are not on this machine).
fn runtime_libraries(program: &Path, platform: &Platform) -> Result<FileTree, Error> {
    let mut tree = FileTree::new();
    if Platform::host().ok() != Some(*platform) || platform.oci_os() != "linux" {
        return Ok(tree);
    }
    let out = Command::new("ldd")
        .arg(program)
        .output()
        .map_err(|e| format!("cannot run ldd (Debian package libc-bin): {e}"))?;
    if !out.status.success() {
        // "not a dynamic executable": nothing to add.
        return Ok(tree);
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.trim(),
            None => line.trim(),
        };
        let path = path.split(" (").next().unwrap_or("").trim();
        if !path.starts_with('/') {
            continue; // linux-vdso.so.1 lives in the kernel
        }
        tree.insert(&path[1..], Entry::file(Path::new(path))?.mode(0o755))?;
    }
    Ok(tree)
}
