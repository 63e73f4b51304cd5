//! Memory of the catalog at national scale (issue 19: RSS with 1 M providers ≤ 400 MB): loads
//! generated providers into a `Catalog` in chunks, as start-up streams them from the store (so
//! the providers are never all held at once), and prints the resident memory before and after
//! (from `/proc/self/status`) and the bytes per provider, records and trees together.
//!
//! `cargo run --release --example catalog_memory [COUNT]` (default 1 000 000)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use caremap::catalog::{Catalog, Filter};
use caremap::domain::LonLat;

/// The server's allocator, so the numbers are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CHUNK: usize = 50_000;

/// The process's resident memory, KiB (what `/metrics` reports, Linux only).
fn rss_kib() -> u64 {
    caremap::http::plumbing::metrics::resident_memory_bytes().expect("VmRSS in /proc/self/status (Linux)") / 1024
}

fn main() {
    let count: usize = std::env::args().nth(1).map_or(1_000_000, |n| n.parse().expect("COUNT is a number"));
    let before = rss_kib();
    let started = Instant::now();
    let catalog = Catalog::load(Vec::new(), |each| -> Result<(), ()> {
        for (n, start) in (0..count).step_by(CHUNK).enumerate() {
            // A seed per chunk (the generator makes ids from 0), ids renumbered to stay unique.
            let mut chunk = caremap::generate::synthetic::providers(CHUNK.min(count - start), n as u64 + 1);
            for (i, p) in chunk.iter_mut().enumerate() {
                p.id = format!("gen-{:08}", start + i);
            }
            each(chunk)?;
        }
        Ok(())
    })
    .unwrap();
    let loaded = started.elapsed();
    let after = rss_kib();
    let snapshot = catalog.snapshot();
    let near = snapshot.nearest(LonLat::new(139.7671, 35.6812).unwrap(), 10, None, &Filter::default());
    assert_eq!((snapshot.len(), near.len()), (count, 10.min(count)));
    let grown = after.saturating_sub(before) as f64 * 1024.0;
    println!(
        "{count} providers loaded in {:.2} s: RSS {before} KiB → {after} KiB ({:.1} MiB for the catalog, {:.0} bytes per provider)",
        loaded.as_secs_f64(),
        grown / 1024.0 / 1024.0,
        grown / count as f64
    );
}
