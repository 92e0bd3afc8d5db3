//! Writing an rpm keeps memory flat: the payload goes through a temporary file, never
//! through memory, so a large incompressible payload costs no more RAM than a small one.
//! (Its own test binary: peak RSS is per process, and other tests' compressors would share it.)

// Test code: an unwrap that fails is a failing test.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::io::Write;

use common::peak_rss;

use consign::core::{Entry, FileTree, PackageMeta, SourceDate};
use consign::package::ArtifactWriter;
use consign::package::compress::{Codec, Compression};
use consign::package::rpm::{Rpm, RpmOptions};

#[test]
fn a_large_incompressible_payload_does_not_grow_memory() {
    const SIZE: u64 = 256 << 20;
    let dir = tempfile::tempdir().unwrap();
    let noise = dir.path().join("noise.bin");
    let mut out = std::io::BufWriter::new(fs::File::create(&noise).unwrap());
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..SIZE >> 20 {
        for chunk in block.chunks_exact_mut(8) {
            // xorshift64: incompressible for zstd.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        out.write_all(&block).unwrap();
    }
    out.into_inner().unwrap().sync_all().unwrap();
    drop(block);

    let mut tree = FileTree::new();
    tree.insert("usr/share/noise/noise.bin", Entry::file(&noise).unwrap())
        .unwrap();
    let meta = PackageMeta::new("noise", "1.0")
        .unwrap()
        .description("Noise\nIncompressible bytes.")
        .license("MIT");
    let rpm = Rpm::new(
        &tree,
        &meta,
        "x86_64-unknown-linux-gnu".parse().unwrap(),
        SourceDate::from_unix(1_700_000_000),
    )
    .options(
        RpmOptions::default()
            // Two workers whatever the machine: each holds its own buffers.
            .compression(
                Compression::new(Codec::Zstd)
                    .level(1)
                    .unwrap()
                    .threads(2.try_into().unwrap()),
            )
            .reserved_space(0),
    );
    let before = peak_rss();
    let written = rpm
        .write_to_path(dir.path().join(rpm.file_name().unwrap()))
        .unwrap()
        .written;
    let grown = peak_rss().saturating_sub(before);
    assert!(written.size > SIZE, "the payload did not compress");
    assert!(
        grown < 64 << 20,
        "writing a {SIZE}-byte payload raised peak memory by {grown} bytes"
    );
}
