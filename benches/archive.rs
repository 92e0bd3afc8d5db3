//! Archive writer throughput: a 64 MiB release tree (one large binary-like file and a few small
//! ones) written as each archive format to a sink, hashing with SHA-256 on the way.
//!
//! `cargo bench --bench archive`

mod common;

use std::hint::black_box;
use std::io;

use common::payload;
use consign::core::{Entry, FileTree, SourceDate};
use consign::package::ArtifactWriter;
use consign::package::{Archive, ArchiveFormat, ArchiveOptions};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn tree() -> FileTree {
    let mut t = FileTree::new();
    t.insert("bin/app", Entry::bytes(payload(60 << 20)).mode(0o755))
        .expect("valid path");
    for i in 0..8 {
        t.insert(
            format!("share/doc/file{i}.txt"),
            Entry::bytes(payload(512 << 10)),
        )
        .expect("valid path");
    }
    t
}

fn archives(c: &mut Criterion) {
    let tree = tree();
    let date = SourceDate::from_unix(1_700_000_000);
    let mut group = c.benchmark_group("archive");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(tree.total_size()));
    for (format, level) in [
        (ArchiveFormat::Tar, 0),
        (ArchiveFormat::TarGz, 6),
        (ArchiveFormat::TarZst, 3),
        (ArchiveFormat::TarXz, 6),
        (ArchiveFormat::Zip, 6),
    ] {
        group.bench_function(format!("{}-level{level}", format.extension()), |b| {
            b.iter(|| {
                Archive::new(format, black_box(&tree), date)
                    .options(ArchiveOptions::default().level(level))
                    .write_to(io::sink())
                    .expect("archive writes")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, archives);
criterion_main!(benches);
