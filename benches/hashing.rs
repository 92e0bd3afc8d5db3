//! Hashing throughput: each algorithm on a 64 MiB buffer, SHA-256 and SHA-512 in one pass
//! through a [`HashingWriter`], and a 16-file, 256 MiB directory hashed with one thread and
//! with one per core (`hash_files`, files in the page cache).
//!
//! `cargo bench --bench hashing`; `scripts/bench-peers.sh` times `sha256sum` and
//! `openssl dgst` on the same inputs and prints ratios.

mod common;

use std::hint::black_box;
use std::io::{self, Write};
use std::num::NonZeroUsize;

use common::payload;
use consign::core::{Algorithm, Hasher, HashingWriter, Jobs, hash_files};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const BUFFER: usize = 64 << 20;
const FILES: usize = 16;
const FILE_SIZE: usize = 16 << 20;

fn algorithms(c: &mut Criterion) {
    let data = payload(BUFFER);
    let mut group = c.benchmark_group("hash-64MiB");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(BUFFER as u64));
    for algorithm in [Algorithm::Sha256, Algorithm::Sha512, Algorithm::Blake3] {
        group.bench_function(algorithm.name(), |b| {
            b.iter(|| {
                let mut h = Hasher::new(algorithm);
                h.update(black_box(&data));
                h.finish()
            })
        });
    }
    group.bench_function("sha256+sha512-writer", |b| {
        b.iter(|| {
            let mut w = HashingWriter::new(io::sink(), &[Algorithm::Sha256, Algorithm::Sha512]);
            for chunk in black_box(&data).chunks(256 << 10) {
                w.write_all(chunk).expect("sink accepts everything");
            }
            w.finish().1
        })
    });
    group.finish();
}

fn directory(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = payload(FILE_SIZE);
    let paths: Vec<_> = (0..FILES)
        .map(|i| {
            let p = dir.path().join(format!("file{i:02}"));
            std::fs::write(&p, &data).expect("write bench input");
            p
        })
        .collect();
    let mut group = c.benchmark_group("hash-files-16x16MiB");
    group.sample_size(10);
    group.throughput(Throughput::Bytes((FILES * FILE_SIZE) as u64));
    let one = Jobs::Exactly(NonZeroUsize::MIN);
    for (name, jobs) in [("jobs-1", one), ("jobs-all", Jobs::All)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                for r in hash_files(black_box(&paths), &[Algorithm::Sha256], jobs) {
                    r.expect("bench input readable");
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, algorithms, directory);
criterion_main!(benches);
