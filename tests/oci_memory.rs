//! Building a layer keeps memory flat: the tar is hashed, compressed and hashed again as it
//! streams into the layout, so a 2 GiB file costs no more RAM than a small one.
//! (Its own test binary: peak RSS is per process.)

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::process::Command;

use common::{peak_rss, require_tool, run_ok};
use consign::core::{Entry, FileTree, SourceDate};
use consign::oci::{LayerBuilder, LayerCompression, LayerOptions, MediaType, OciLayout};

#[test]
fn a_2_gib_layer_does_not_grow_memory_and_its_diff_id_is_the_tars() {
    require_tool("zstd", "zstd");
    require_tool("openssl", "openssl");
    const SIZE: u64 = 2 << 30;
    let dir = tempfile::tempdir().unwrap();
    let sparse = dir.path().join("sparse.img");
    fs::File::create(&sparse).unwrap().set_len(SIZE).unwrap();
    let mut tree = FileTree::new();
    tree.insert("var/lib/disk.img", Entry::file(&sparse).unwrap())
        .unwrap();
    tree.insert("etc/motd", Entry::bytes(b"hello\n".to_vec()))
        .unwrap();

    let layout = OciLayout::create(dir.path().join("layout")).unwrap();
    let before = peak_rss();
    let layer = LayerBuilder::new(&tree, SourceDate::from_unix(1_700_000_000))
        .options(
            LayerOptions::default()
                .compression(LayerCompression::Zstd)
                .level(1)
                .threads(2.try_into().unwrap()),
        )
        .write_into(&layout)
        .unwrap();
    let grown = peak_rss().saturating_sub(before);
    assert!(
        grown < 64 << 20,
        "writing a {SIZE}-byte layer raised peak memory by {grown} bytes"
    );
    assert_eq!(layer.descriptor().media_type, MediaType::LayerZstd);
    let blob = layer.blob_path().unwrap();
    assert_eq!(fs::metadata(blob).unwrap().len(), layer.descriptor().size);
    assert!(layer.descriptor().size < SIZE / 100, "zeros compress");

    // The diff_id is the SHA-256 of what zstd decompresses, the blob digest that of the file.
    let sha256 = |cmd: &str| {
        let out = run_ok(Command::new("sh").args(["-c", cmd]).arg("sh").arg(blob));
        out.trim().rsplit(' ').next().unwrap().to_owned()
    };
    assert_eq!(
        sha256("zstd -dc \"$1\" | openssl dgst -sha256 -r | cut -d' ' -f1"),
        layer.diff_id().hex()
    );
    assert_eq!(
        sha256("openssl dgst -sha256 -r \"$1\" | cut -d' ' -f1"),
        layer.descriptor().digest.hex()
    );
}
