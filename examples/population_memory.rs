//! Memory of a prefecture's population layer (issue 17: ≤ 50 MB): builds the in-memory
//! layers of three columns over every 500 m square of a Chiba-sized box, as the server holds
//! them, and prints the resident memory before and after (from `/proc/self/status`).
//!
//! `cargo run --release --example population_memory`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use caremap::coverage::PopulationLayers;
use caremap::spatial::mesh::{MeshCell, MeshLevel};
use caremap::store::PopulationColumn;

/// A box the size of Chiba prefecture (the coverage bench's).
const PREFECTURE: [f64; 4] = [139.75, 35.30, 140.65, 35.90];

/// The process's resident memory, KiB (what `/metrics` reports, Linux only).
fn rss_kib() -> u64 {
    caremap::http::plumbing::metrics::resident_memory_bytes().expect("VmRSS in /proc/self/status (Linux)") / 1024
}

fn main() {
    let cells = MeshCell::covering(PREFECTURE, MeshLevel::Half).unwrap();
    let before = rss_kib();
    let columns: Vec<PopulationColumn> = ["T001141001", "T001141019", "T001141022"]
        .iter()
        .map(|code| PopulationColumn {
            code: (*code).into(),
            label: String::new(),
            level: MeshLevel::Half,
            source: "population_memory example".into(),
            imported_at: None,
            counts: cells.iter().enumerate().map(|(i, c)| (*c, Some((i % 1500) as f64))).collect(),
        })
        .collect();
    let layers = PopulationLayers::new(columns);
    let after = rss_kib();
    println!(
        "{} squares of 500 m × {} columns: RSS {before} KiB → {after} KiB ({:.1} MiB for the layers)",
        cells.len(),
        layers.columns().len(),
        (after.saturating_sub(before)) as f64 / 1024.0
    );
}
