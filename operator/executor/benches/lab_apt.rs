//! Benchmarks of the real package-manager operations on lab hosts: building a lab, collecting
//! inventory, and an upgrade followed by a roll back (two apt-get runs) through the executor.

#![allow(clippy::unwrap_used)] // a benchmark stops at the first unexpected error

use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use patchwarden_executor::{AssetRef, Executor, LabExecutor, LabVersion, source_targets};
use patchwarden_lab::{Lab, LabDelta, LabSpec};

fn lab_operations(c: &mut Criterion) {
    let delta = LabDelta::embedded().unwrap();
    let mut group = c.benchmark_group("lab");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));

    group.bench_function("create_3_hosts", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |tmp| Lab::create(&tmp.path().join("lab"), &delta, &LabSpec::new(3)).unwrap(),
            BatchSize::PerIteration,
        );
    });

    let tmp = tempfile::tempdir().unwrap();
    let (lab, _) = Lab::create(&tmp.path().join("lab"), &delta, &LabSpec::new(1)).unwrap();
    let fixed = source_targets(&lab, "openssl", LabVersion::Candidate);
    let recorded = source_targets(&lab, "openssl", LabVersion::Installed);
    let exec = LabExecutor::new(lab);
    let asset = AssetRef::named("lab-01");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    group.bench_function("collect_inventory", |b| {
        b.iter(|| rt.block_on(exec.collect_inventory(&asset)).unwrap());
    });
    group.bench_function("upgrade_and_roll_back_openssl_3_binaries", |b| {
        b.iter(|| {
            let up = rt.block_on(exec.upgrade(&asset, &fixed)).unwrap();
            assert!(up.succeeded());
            let back = rt.block_on(exec.roll_back(&asset, &recorded)).unwrap();
            assert!(back.succeeded());
        });
    });
    group.finish();
}

criterion_group!(benches, lab_operations);
criterion_main!(benches);
