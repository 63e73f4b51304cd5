//! Criterion benchmarks of coverage by grid square (issue 17): every 250 m square of a
//! prefecture-sized box (about 80 000 squares) and of the sample city, over 1 M synthetic
//! providers, for one service filter. Run with `cargo bench --bench coverage`; results go in
//! BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use caremap::catalog::{Catalog, Filter};
use caremap::coverage::{Population, Supply, compute};
use caremap::domain::ServiceSet;
use caremap::spatial::mesh::{MeshCell, MeshLevel};
use criterion::{Criterion, criterion_group, criterion_main};

/// A box the size of Chiba prefecture around Chiba city: 0.9° × 0.6°, 288 × 288 squares at 250 m.
const PREFECTURE: [f64; 4] = [139.75, 35.30, 140.65, 35.90];
/// The sample city's bbox (Nagareyama).
const CITY: [f64; 4] = [139.8745, 35.8275, 139.9578, 35.9199];

fn population(bounds: [f64; 4]) -> Population {
    let cells = MeshCell::covering(bounds, MeshLevel::Half).unwrap();
    Population::new(MeshLevel::Half, cells.into_iter().enumerate().map(|(i, c)| (c, (i % 1500) as f64)))
}

fn bench_coverage(c: &mut Criterion) {
    let n = std::env::var("COVERAGE_PROVIDERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let catalog = Catalog::new(caremap::generate::synthetic::providers(n, 1), Vec::new());
    let snapshot = catalog.snapshot();
    let nursing = Filter { services: ServiceSet::parse(["130"]).unwrap(), ..Filter::default() };
    let prefecture = MeshCell::covering(PREFECTURE, MeshLevel::Quarter).unwrap();
    let city = MeshCell::covering(CITY, MeshLevel::Quarter).unwrap();
    let layer = population(PREFECTURE);
    eprintln!(
        "coverage bench: {n} providers, {} prefecture squares, {} city squares, population layer {} squares of 500 m",
        prefecture.len(),
        city.len(),
        MeshCell::covering(PREFECTURE, MeshLevel::Half).unwrap().len()
    );
    let mut group = c.benchmark_group(format!("coverage/{n}"));
    group.sample_size(10);
    group.bench_function("prefecture_250m_service130_2km", |b| {
        b.iter(|| black_box(compute(&snapshot, &prefecture, &nursing, 2_000.0, None, Supply::Providers)))
    });
    group.bench_function("city_250m_service130_2km", |b| {
        b.iter(|| black_box(compute(&snapshot, &city, &nursing, 2_000.0, None, Supply::Providers)))
    });
    group.bench_function("city_250m_service130_2km_with_population", |b| {
        b.iter(|| black_box(compute(&snapshot, &city, &nursing, 2_000.0, Some(&layer), Supply::Providers)))
    });
    group.finish();
}

criterion_group!(benches, bench_coverage);
criterion_main!(benches);
