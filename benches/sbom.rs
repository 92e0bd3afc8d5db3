//! SBOM generation for this workspace's graph: the inventory of the `consign` package for the
//! host (cargo metadata, rustc's target configuration, feature resolution, Cargo.lock) and both
//! documents written from it.
//!
//! `cargo bench --bench sbom`; `scripts/bench-sbom.sh` times the whole `sbom` example against
//! `cargo cyclonedx` on the same workspace and prints the ratio.

use std::hint::black_box;
use std::path::Path;

use consign::core::{Platform, SourceDate};
use consign::sbom::{CargoOptions, CdxVersion, Features, Inventory, Sbom, TargetTriple};
use criterion::{Criterion, criterion_group, criterion_main};

fn workspace(c: &mut Criterion) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let target = TargetTriple::from(Platform::host().expect("a host consign knows"));
    let features = Features::default();
    let options = CargoOptions::default();
    let inventory = || {
        Inventory::from_cargo(&manifest, "consign", &target, &features, &options)
            .expect("the workspace resolves")
    };
    let inv = inventory();
    let date = SourceDate::from_unix(1_700_000_000);
    let mut group = c.benchmark_group("sbom-workspace");
    group.sample_size(20);
    group.bench_function("inventory", |b| b.iter(|| black_box(inventory())));
    group.bench_function("cyclonedx-1.6+spdx-2.3", |b| {
        b.iter(|| {
            let sbom = Sbom::new(black_box(&inv), date);
            let cdx = sbom.cyclonedx(CdxVersion::V1_6).expect("serializes");
            let spdx = sbom.spdx().expect("serializes");
            (cdx, spdx)
        })
    });
    group.finish();
}

criterion_group!(benches, workspace);
criterion_main!(benches);
