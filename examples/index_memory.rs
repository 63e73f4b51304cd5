//! Memory of the spatial index at national scale (issue 19): builds the `SpatialIndex` of a
//! bulk-loaded base segment over 1 M synthetic providers, as the catalog does at start-up, and
//! prints the resident memory before and after (from `/proc/self/status`), with the server's
//! allocator (mimalloc).
//!
//! `cargo run --release --example index_memory [COUNT]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use caremap::spatial::index::{IndexEntry, SpatialIndex};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn main() {
    let count: usize = std::env::args().nth(1).map_or(1_000_000, |n| n.parse().expect("COUNT is a number"));
    // Only what the index is built from stays alive: the providers themselves are dropped.
    let entries: Vec<IndexEntry> = caremap::generate::synthetic::providers(count, 1)
        .iter()
        .enumerate()
        .map(|(i, p)| IndexEntry { slot: u32::try_from(i).unwrap(), location: p.location, services: p.service_set() })
        .collect();
    let services: usize = entries.iter().map(|e| e.services.indices().count()).sum();
    let before = rss_kib();
    let started = std::time::Instant::now();
    let index = SpatialIndex::bulk_load(entries.iter().copied());
    let took = started.elapsed();
    let after = rss_kib();
    println!(
        "{} providers ({services} service memberships): RSS {before} KiB → {after} KiB \
         ({:.1} MiB for the index, {:.0} bytes per provider), built in {:.2} s",
        index.len(),
        (after.saturating_sub(before)) as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 * 1024.0 / count.max(1) as f64,
        took.as_secs_f64()
    );
}
