//! OCI layer building: a 64 MiB tree on disk (one large binary-like file and a few small ones)
//! written as a layer — tar, diff_id, compression and blob digest in one pass — against the
//! same tree through GNU tar piped into gzip or zstd, and sha256sum, in the same run.
//!
//! `cargo bench --bench layer`

mod common;

use std::hint::black_box;
use std::io;
use std::path::Path;
use std::process::Command;

use common::payload;
use consign::core::{FileTree, SourceDate};
use consign::oci::{LayerBuilder, LayerCompression, LayerOptions};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn files(dir: &Path) {
    let bin = dir.join("bin");
    let doc = dir.join("share/doc");
    std::fs::create_dir_all(&bin).expect("bench dir");
    std::fs::create_dir_all(&doc).expect("bench dir");
    std::fs::write(bin.join("app"), payload(60 << 20)).expect("bench file");
    for i in 0..8 {
        std::fs::write(doc.join(format!("file{i}.txt")), payload(512 << 10)).expect("bench file");
    }
}

/// GNU tar, deterministic flags, into a compressor and the layer's two digests.
fn peer(dir: &Path, compressor: &str) {
    let script = format!(
        "tar --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner -C \"$1\" -cf - . \
         | tee >(sha256sum >/dev/null) | {compressor} | sha256sum >/dev/null"
    );
    let status = Command::new("bash")
        .args(["-c", &script, "bash"])
        .arg(dir)
        .status()
        .expect("bash runs");
    assert!(status.success(), "{script}");
}

fn layers(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    files(dir.path());
    let mut tree = FileTree::new();
    tree.insert_dir_all("", dir.path()).expect("tree");
    let date = SourceDate::from_unix(1_700_000_000);
    let mut group = c.benchmark_group("layer");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(tree.total_size()));
    for (name, compression, level, peer_cmd) in [
        ("tar", LayerCompression::None, 0, "cat"),
        ("gzip-6", LayerCompression::Gzip, 6, "gzip -6 -n"),
        ("zstd-3", LayerCompression::Zstd, 3, "zstd -3 -T0 -q"),
    ] {
        group.bench_function(format!("consign/{name}"), |b| {
            b.iter(|| {
                LayerBuilder::new(black_box(&tree), date)
                    .options(
                        LayerOptions::default()
                            .compression(compression)
                            .level(level),
                    )
                    .write_to(io::sink())
                    .expect("layer writes")
            })
        });
        group.bench_function(format!("tar+{name}"), |b| {
            b.iter(|| peer(dir.path(), peer_cmd))
        });
    }
    group.finish();
}

criterion_group!(benches, layers);
criterion_main!(benches);
