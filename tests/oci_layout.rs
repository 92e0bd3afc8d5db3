//! OCI images and image layouts checked with the reference tools: umoci unpacks what we
//! write and runs nothing of ours to do it; skopeo reads, inspects and copies it (keeping our
//! digests); we read layouts umoci and skopeo write, zstd layers and Docker schema 2 included.

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{require_tool, run_ok};
use consign::core::{Entry, FileTree, Platform, RelPath, SourceDate};
use consign::oci::{
    Config, History, Image, ImagePlatform, LayerBuilder, LayerCompression, LayerOptions, Manifest,
    MediaType, OciLayout, Tag, annotation,
};
use serde_json::Value;

const DATE: u64 = 1_700_000_000;
/// A directory name that makes paths longer than tar's 100-byte name field.
const LONG: &str =
    "a-directory-name-long-enough-to-need-a-gnu-long-name-record-in-the-tar-stream-of-the-layer";

fn busybox() -> PathBuf {
    require_tool("busybox", "busybox-static");
    let path = run_ok(Command::new("sh").args(["-c", "command -v busybox"]));
    PathBuf::from(path.trim())
}

/// A small root file system: a static busybox, a symlink to it, a private config file and a
/// directory with unusual permissions, under parents the tree implies.
fn tree() -> FileTree {
    let mut tree = FileTree::new();
    tree.insert("bin/busybox", Entry::file(busybox()).unwrap().mode(0o755))
        .unwrap();
    tree.insert("bin/sh", Entry::symlink("busybox")).unwrap();
    tree.insert(
        "bin/ls",
        Entry::hardlink(RelPath::new("bin/busybox").unwrap()),
    )
    .unwrap();
    tree.insert(
        format!("usr/share/doc/tool/{LONG}/notes.txt"),
        Entry::bytes(b"a long path\n".to_vec()),
    )
    .unwrap();
    tree.insert(
        "etc/tool/tool.conf",
        Entry::bytes(b"port = 8080\n".to_vec()).mode(0o640),
    )
    .unwrap();
    tree.insert("var/lib/tool", Entry::dir().mode(0o700))
        .unwrap();
    tree.insert(
        "usr/share/doc/tool/README",
        Entry::bytes(b"tool\n".to_vec()).mode(0o644),
    )
    .unwrap();
    tree
}

fn image(layout: &OciLayout, compression: LayerCompression, date: SourceDate) -> Image {
    let tree = tree();
    let layer = LayerBuilder::new(&tree, date)
        .options(LayerOptions::default().compression(compression))
        .write_into(layout)
        .unwrap();
    let platform = ImagePlatform::from(&Platform::from_oci("linux/amd64").unwrap());
    Image::new(&platform)
        .append_layer(
            layer,
            History::new("consign: busybox and tool files").created(date),
        )
        .with_config(|c: Config| {
            c.entrypoint(["/bin/busybox"])
                .cmd(["echo", "hello from the image"])
                .env("PATH", "/bin")
                .env("TOOL_MODE", "release")
                .user("1000:1000")
                .working_dir("/var/lib/tool")
                .label("org.opencontainers.image.title", "tool")
                .expose("8080/tcp")
        })
        .created(date)
        .annotation(annotation::VERSION, "1.2.3")
}

fn write(dir: &Path, compression: LayerCompression) -> (OciLayout, Image) {
    let layout = OciLayout::create(dir).unwrap();
    let image = image(&layout, compression, SourceDate::from_unix(DATE));
    image
        .write_to(&layout, Some(&Tag::new("v1").unwrap()))
        .unwrap();
    (layout, image)
}

fn skopeo(args: &[&str]) -> String {
    require_tool("skopeo", "skopeo");
    run_ok(Command::new("skopeo").args(args))
}

fn oci(layout: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", layout.display())
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn umoci_unpacks_our_layout_and_the_program_runs() {
    require_tool("umoci", "umoci");
    require_tool("tar", "tar");
    let dir = tempfile::tempdir().unwrap();
    let (layout, image) = write(&dir.path().join("layout"), LayerCompression::Gzip);

    // The layer tar: parents before children, every mtime the source date.
    let blob = layout.blob_path(&image.layers()[0].descriptor().digest);
    let listing = run_ok(Command::new("tar").arg("-tvzf").arg(&blob).env("TZ", "UTC"));
    let names: Vec<&str> = listing
        .lines()
        .map(|l| l.split_whitespace().nth(5).unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "bin/",
            "bin/busybox",
            "bin/ls",
            "bin/sh",
            "etc/",
            "etc/tool/",
            "etc/tool/tool.conf",
            "usr/",
            "usr/share/",
            "usr/share/doc/",
            "usr/share/doc/tool/",
            "usr/share/doc/tool/README",
            &format!("usr/share/doc/tool/{LONG}/"),
            &format!("usr/share/doc/tool/{LONG}/notes.txt"),
            "var/",
            "var/lib/",
            "var/lib/tool/"
        ],
        "{listing}"
    );
    assert!(
        listing.lines().all(|l| l.contains("2023-11-14 22:13")),
        "{listing}"
    );

    let bundle = dir.path().join("bundle");
    run_ok(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image"])
            .arg(format!("{}:v1", layout.path().display()))
            .arg(&bundle),
    );
    let rootfs = bundle.join("rootfs");
    assert_eq!(
        fs::read(rootfs.join("bin/busybox")).unwrap(),
        fs::read(busybox()).unwrap()
    );
    assert_eq!(mode(&rootfs.join("bin/busybox")), 0o755);
    assert_eq!(
        fs::read_link(rootfs.join("bin/sh")).unwrap(),
        Path::new("busybox")
    );
    assert_eq!(mode(&rootfs.join("etc/tool/tool.conf")), 0o640);
    assert_eq!(
        fs::read(rootfs.join("etc/tool/tool.conf")).unwrap(),
        b"port = 8080\n"
    );
    assert_eq!(mode(&rootfs.join("var/lib/tool")), 0o700);
    assert_eq!(mode(&rootfs.join("usr/share/doc")), 0o755);
    assert_eq!(
        fs::read(rootfs.join(format!("usr/share/doc/tool/{LONG}/notes.txt"))).unwrap(),
        b"a long path\n"
    );
    let (busybox_ino, ls_ino) = (
        fs::metadata(rootfs.join("bin/busybox")).unwrap().ino(),
        fs::metadata(rootfs.join("bin/ls")).unwrap().ino(),
    );
    assert_eq!(busybox_ino, ls_ino, "bin/ls is a hard link to bin/busybox");

    // umoci turns our config into the runtime's: entrypoint + cmd, env, user, cwd.
    let runtime: Value =
        serde_json::from_slice(&fs::read(bundle.join("config.json")).unwrap()).unwrap();
    let process = &runtime["process"];
    assert_eq!(
        process["args"],
        serde_json::json!(["/bin/busybox", "echo", "hello from the image"])
    );
    assert!(
        process["env"]
            .as_array()
            .unwrap()
            .contains(&Value::from("TOOL_MODE=release"))
    );
    assert_eq!(process["cwd"], "/var/lib/tool");

    // The program from the image runs, and so does the shell through its symlink.
    let args: Vec<String> = process["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    let out = run_ok(Command::new(rootfs.join(args[0].trim_start_matches('/'))).args(&args[1..]));
    assert_eq!(out, "hello from the image\n");
    let out = run_ok(Command::new(rootfs.join("bin/sh")).args(["-c", "echo $((6 * 7))"]));
    assert_eq!(out, "42\n");
}

#[test]
fn skopeo_reads_inspects_and_copies_keeping_our_digests() {
    for compression in [LayerCompression::Gzip, LayerCompression::Zstd] {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("ours");
        let (layout, image) = write(&ours, compression);

        let raw = skopeo(&["inspect", "--raw", &oci(&ours, "v1")]);
        assert_eq!(raw.as_bytes(), &*image.manifest_bytes());
        let manifest: Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(
            manifest["layers"][0]["mediaType"],
            compression.media_type().as_str()
        );
        assert_eq!(
            manifest["annotations"][annotation::CREATED],
            "2023-11-14T22:13:20Z"
        );

        let info: Value = serde_json::from_str(&skopeo(&["inspect", &oci(&ours, "v1")])).unwrap();
        assert_eq!(info["Architecture"], "amd64");
        assert_eq!(info["Os"], "linux");
        assert_eq!(info["Digest"], image.digest().to_string());
        assert_eq!(info["Created"], "2023-11-14T22:13:20Z");
        assert_eq!(info["Labels"]["org.opencontainers.image.title"], "tool");
        assert!(
            info["Env"]
                .as_array()
                .unwrap()
                .contains(&Value::from("PATH=/bin"))
        );
        assert_eq!(
            info["Layers"][0],
            image.layers()[0].descriptor().digest.to_string()
        );

        let config: Value =
            serde_json::from_str(&skopeo(&["inspect", "--config", &oci(&ours, "v1")])).unwrap();
        assert_eq!(
            config["config"]["Entrypoint"],
            serde_json::json!(["/bin/busybox"])
        );
        assert_eq!(config["config"]["User"], "1000:1000");
        assert_eq!(
            config["config"]["ExposedPorts"],
            serde_json::json!({"8080/tcp": {}})
        );
        assert_eq!(
            config["rootfs"]["diff_ids"][0],
            image.layers()[0].diff_id().to_string()
        );

        // A copy keeps every digest: skopeo neither re-encodes our manifest nor our layers.
        let theirs = dir.path().join("theirs");
        skopeo(&["copy", &oci(&ours, "v1"), &oci(&theirs, "copy")]);
        let copied = OciLayout::open(&theirs).unwrap();
        assert_eq!(copied.resolve("copy").unwrap().digest, image.digest());
        let again = Image::from_layout(&copied, "copy").unwrap();
        assert_eq!(again.digest(), image.digest());
        assert_eq!(again.config(), image.config());
        assert_eq!(
            layout.resolve("v1").unwrap().digest,
            copied.resolve("copy").unwrap().digest
        );
    }
}

#[test]
fn we_read_layouts_skopeo_recompresses_and_build_on_them() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours");
    let (_, image) = write(&ours, LayerCompression::Gzip);

    // skopeo recompresses the layer with zstd: a new blob digest, the same diff_id.
    let theirs = dir.path().join("theirs");
    skopeo(&[
        "copy",
        "--dest-compress-format",
        "zstd",
        &oci(&ours, "v1"),
        &oci(&theirs, "zstd"),
    ]);
    let layout = OciLayout::open(&theirs).unwrap();
    let base = Image::from_layout(&layout, "zstd").unwrap();
    assert_ne!(base.digest(), image.digest());
    let layer = &base.layers()[0];
    assert_eq!(layer.descriptor().media_type, MediaType::LayerZstd);
    assert_eq!(layer.diff_id(), image.layers()[0].diff_id());
    let mut blob = Vec::new();
    layer.open().unwrap().read_to_end(&mut blob).unwrap();
    assert_eq!(blob.len() as u64, layer.descriptor().size);
    // Unchanged, it is written back byte for byte.
    let copy = OciLayout::create(dir.path().join("copy")).unwrap();
    assert_eq!(base.write_to(&copy, None).unwrap().digest, base.digest());

    // On top of it: one more layer, its diff_id and history appended.
    let mut extra = FileTree::new();
    extra
        .insert("etc/tool/extra.conf", Entry::bytes(b"extra\n".to_vec()))
        .unwrap();
    let date = SourceDate::from_unix(DATE + 60);
    let top = LayerBuilder::new(&extra, date)
        .options(LayerOptions::default().compression(LayerCompression::Zstd))
        .write_into(&layout)
        .unwrap();
    let built = base
        .clone()
        .append_layer(top, History::new("consign: extra").created(date))
        .created(date);
    built
        .write_to(&layout, Some(&Tag::new("on-top").unwrap()))
        .unwrap();
    let config: Value =
        serde_json::from_str(&skopeo(&["inspect", "--config", &oci(&theirs, "on-top")])).unwrap();
    assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
    assert_eq!(config["history"].as_array().unwrap().len(), 2);
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/bin/busybox"])
    );
    assert_eq!(config["created"], "2023-11-14T22:14:20Z");
    // A copy of the result through skopeo still verifies every blob.
    skopeo(&[
        "copy",
        &oci(&theirs, "on-top"),
        &oci(&dir.path().join("again"), "x"),
    ]);
}

#[test]
fn we_build_on_a_base_image_umoci_made() {
    require_tool("umoci", "umoci");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layout");
    let image_ref = |tag: &str| format!("{}:{tag}", path.display());
    run_ok(Command::new("umoci").args(["init", "--layout"]).arg(&path));
    run_ok(Command::new("umoci").args(["new", "--image", &image_ref("base")]));
    let bundle = dir.path().join("base-bundle");
    run_ok(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image", &image_ref("base")])
            .arg(&bundle),
    );
    fs::create_dir_all(bundle.join("rootfs/etc")).unwrap();
    fs::write(bundle.join("rootfs/etc/base.txt"), "from the base\n").unwrap();
    run_ok(
        Command::new("umoci")
            .args(["repack", "--image", &image_ref("base")])
            .arg(&bundle),
    );
    run_ok(Command::new("umoci").args([
        "config",
        "--image",
        &image_ref("base"),
        "--config.env",
        "BASE=1",
        "--config.label",
        "base.label=kept",
    ]));

    let layout = OciLayout::open(&path).unwrap();
    let base = Image::from_layout(&layout, "base").unwrap();
    assert_eq!(base.layers().len(), 1);
    assert_eq!(
        base.layers()[0].descriptor().media_type,
        MediaType::LayerGzip
    );
    assert!(base.layers()[0].blob_path().is_some());

    let mut tree = FileTree::new();
    tree.insert("bin/busybox", Entry::file(busybox()).unwrap().mode(0o755))
        .unwrap();
    let date = SourceDate::from_unix(DATE);
    let layer = LayerBuilder::new(&tree, date).write_into(&layout).unwrap();
    let built = base
        .append_layer(layer, History::new("consign: busybox").created(date))
        .with_config(|c| c.entrypoint(["/bin/busybox", "cat", "/etc/base.txt"]))
        .created(date);
    built
        .write_to(&layout, Some(&Tag::new("built").unwrap()))
        .unwrap();

    let unpacked = dir.path().join("built-bundle");
    run_ok(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image", &image_ref("built")])
            .arg(&unpacked),
    );
    let rootfs = unpacked.join("rootfs");
    let out = run_ok(
        Command::new(rootfs.join("bin/busybox"))
            .args(["cat"])
            .arg(rootfs.join("etc/base.txt")),
    );
    assert_eq!(out, "from the base\n");
    let runtime: Value =
        serde_json::from_slice(&fs::read(unpacked.join("config.json")).unwrap()).unwrap();
    let env = runtime["process"]["env"].as_array().unwrap();
    assert!(env.contains(&Value::from("BASE=1")), "{env:?}");
    assert_eq!(runtime["annotations"]["base.label"], "kept");
}

#[test]
fn docker_schema2_from_skopeo_reads_into_our_types() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours");
    let (_, image) = write(&ours, LayerCompression::Gzip);
    let docker = dir.path().join("docker");
    skopeo(&[
        "copy",
        "--format",
        "v2s2",
        &oci(&ours, "v1"),
        &format!("dir:{}", docker.display()),
    ]);
    let manifest_bytes = fs::read(docker.join("manifest.json")).unwrap();
    let manifest = Manifest::from_json(&manifest_bytes).unwrap();
    assert!(manifest.is_docker());
    assert_eq!(manifest.config.media_type, MediaType::DockerConfig);
    assert_eq!(manifest.layers[0].media_type, MediaType::DockerLayerGzip);
    let config_bytes = fs::read(docker.join(manifest.config.digest.hex())).unwrap();
    let read = Image::from_bytes(&manifest_bytes, &config_bytes).unwrap();
    assert_eq!(read.media_type(), MediaType::DockerManifest);
    assert_eq!(read.layers()[0].diff_id(), image.layers()[0].diff_id());
    assert_eq!(
        read.config().run_config().entrypoint,
        image.config().run_config().entrypoint
    );
    assert_eq!(read.config().platform().to_string(), "linux/amd64");

    // As if pulled: the blobs stream into a layout with their digests checked, and an image
    // built on the Docker base is an OCI image that umoci unpacks.
    require_tool("umoci", "umoci");
    let layout = OciLayout::create(dir.path().join("pulled")).unwrap();
    for layer in &manifest.layers {
        let file = fs::File::open(docker.join(layer.digest.hex())).unwrap();
        layout.write_blob_from(file, layer).unwrap();
    }
    let base = read.locate_layers(&layout);
    base.write_to(&layout, Some(&Tag::new("base").unwrap()))
        .unwrap();
    assert_eq!(
        layout.manifest("base").unwrap().1,
        manifest_bytes,
        "an unchanged Docker image keeps its manifest bytes"
    );
    let mut tree = FileTree::new();
    tree.insert("etc/added", Entry::bytes(b"added\n".to_vec()))
        .unwrap();
    let date = SourceDate::from_unix(DATE);
    let layer = LayerBuilder::new(&tree, date).write_into(&layout).unwrap();
    let built = base.append_layer(layer, History::new("added").created(date));
    assert_eq!(built.media_type(), MediaType::ImageManifest);
    let m = built.manifest();
    assert_eq!(m.config.media_type, MediaType::ImageConfig);
    assert_eq!(m.layers[0].media_type, MediaType::LayerGzip);
    built
        .write_to(&layout, Some(&Tag::new("built").unwrap()))
        .unwrap();
    let bundle = dir.path().join("bundle");
    run_ok(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image"])
            .arg(format!("{}:built", layout.path().display()))
            .arg(&bundle),
    );
    assert_eq!(
        fs::read(bundle.join("rootfs/etc/added")).unwrap(),
        b"added\n"
    );
    assert!(bundle.join("rootfs/bin/busybox").is_file());
}

#[test]
fn same_inputs_same_manifest_digest_and_a_new_date_changes_it() {
    let dir = tempfile::tempdir().unwrap();
    let digest = |name: &str, date: u64, compression| {
        let layout = OciLayout::create(dir.path().join(name)).unwrap();
        image(&layout, compression, SourceDate::from_unix(date)).digest()
    };
    for compression in [LayerCompression::Gzip, LayerCompression::Zstd] {
        let first = digest("a", DATE, compression);
        assert_eq!(first, digest("b", DATE, compression));
        assert_ne!(first, digest("c", DATE + 1, compression));
    }
}

#[test]
fn a_multi_platform_index_reads_in_skopeo_and_back_per_platform() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("multi");
    let layout = OciLayout::create(&path).unwrap();
    let date = SourceDate::from_unix(DATE);
    let mut tree = FileTree::new();
    tree.insert("etc/motd", Entry::bytes(b"hello\n".to_vec()))
        .unwrap();
    let layer = LayerBuilder::new(&tree, date).write_into(&layout).unwrap();
    let mut index = consign::oci::Index::new();
    let mut images = Vec::new();
    for platform in ["linux/amd64", "linux/arm64", "linux/arm/v7"] {
        let platform = ImagePlatform::from(&Platform::from_oci(platform).unwrap());
        let image = Image::new(&platform)
            .append_layer(layer.clone(), History::new("motd").created(date))
            .created(date);
        image.write_to(&layout, None).unwrap();
        index = index.replace(image.descriptor());
        images.push(image);
    }
    assert_eq!(index.manifests.len(), 3);
    let bytes = index.to_json();
    let written = layout.put_manifest(&bytes, index.media_type()).unwrap();
    layout.tag(&written, &Tag::new("multi").unwrap()).unwrap();

    assert_eq!(
        skopeo(&["inspect", "--raw", &oci(&path, "multi")]).as_bytes(),
        &bytes[..]
    );
    let arm: Value = serde_json::from_str(&skopeo(&[
        "--override-arch",
        "arm64",
        "inspect",
        &oci(&path, "multi"),
    ]))
    .unwrap();
    assert_eq!(arm["Architecture"], "arm64");
    // skopeo names the index's digest, and shows the arm64 image's config.
    assert_eq!(arm["Digest"], written.digest.to_string());

    let arm7 = ImagePlatform::new("linux", "arm").variant("v7");
    let read = Image::from_layout_for(&layout, "multi", &arm7).unwrap();
    assert_eq!(read.digest(), images[2].digest());
    assert!(Image::from_layout(&layout, "multi").is_err());
    assert!(
        Image::from_layout_for(&layout, "multi", &ImagePlatform::new("linux", "s390x")).is_err()
    );

    // skopeo copies the whole index and keeps its digest.
    let copy = dir.path().join("copy");
    skopeo(&["copy", "--all", &oci(&path, "multi"), &oci(&copy, "m")]);
    assert_eq!(
        OciLayout::open(&copy).unwrap().resolve("m").unwrap().digest,
        written.digest
    );
}

#[test]
fn the_image_example_builds_the_same_runnable_image_twice() {
    require_tool("umoci", "umoci");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    run_ok(
        Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", "image", "--manifest-path"])
            .arg(&manifest),
    );
    // target/<profile>/deps/oci_layout-<hash> -> target/<profile>/examples/image
    let exe = std::env::current_exe().unwrap();
    let program = exe.ancestors().nth(2).unwrap().join("examples/image");
    let dir = tempfile::tempdir().unwrap();
    let build = |layout: &str| {
        let out = run_ok(
            Command::new(&program)
                .env("SOURCE_DATE_EPOCH", DATE.to_string())
                .args([
                    "--tag",
                    "t",
                    "--entrypoint",
                    "/usr/local/bin/busybox",
                    "--layout",
                ])
                .arg(dir.path().join(layout))
                .arg(busybox()),
        );
        out.trim().to_owned()
    };
    let first = build("a");
    assert_eq!(first, build("b"));
    let bundle = dir.path().join("bundle");
    run_ok(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image"])
            .arg(format!("{}:t", dir.path().join("a").display()))
            .arg(&bundle),
    );
    let out =
        run_ok(Command::new(bundle.join("rootfs/usr/local/bin/busybox")).args(["echo", "ok"]));
    assert_eq!(out, "ok\n");
    assert_eq!(
        OciLayout::open(dir.path().join("b"))
            .unwrap()
            .resolve("t")
            .unwrap()
            .digest
            .to_string(),
        first
    );
}
