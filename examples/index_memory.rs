//! Memory of the spatial index at national scale (issue 19): builds the `SpatialIndex` of a
//! bulk-loaded base segment over 1 M synthetic providers, as the catalog does at start-up, and
//! prints the resident memory before and after (from `/proc/self/status`), with the server's
//! allocator (mimalloc).
//!
//! The providers are generated in this process and handed to a child process (this example
//! again) as text, one entry a line: the pages the generated records leave behind in the
//! allocator would otherwise be given back during the build and hide what the index takes.
//!
//! `cargo run --release --example index_memory [COUNT]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufWriter, Write};
use std::process::{Command, Stdio};

use caremap::domain::{LonLat, ServiceSet};
use caremap::spatial::index::{IndexEntry, SpatialIndex};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CHILD: &str = "CAREMAP_INDEX_MEMORY_CHILD";

/// The process's resident memory, KiB (what `/metrics` reports, Linux only).
fn rss_kib() -> u64 {
    caremap::http::plumbing::metrics::resident_memory_bytes().expect("VmRSS in /proc/self/status (Linux)") / 1024
}

fn main() {
    let count: usize = std::env::args().nth(1).map_or(1_000_000, |n| n.parse().expect("COUNT is a number"));
    if std::env::var_os(CHILD).is_some() {
        return build(count);
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg(count.to_string())
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufWriter::new(child.stdin.take().unwrap());
    for (i, p) in caremap::generate::synthetic::providers(count, 1).iter().enumerate() {
        // `{:?}` of an f64 reads back to the same bits.
        writeln!(out, "{i} {:?} {:?} {}", p.location.lon(), p.location.lat(), p.services.join(",")).unwrap();
    }
    drop(out);
    assert!(child.wait().unwrap().success());
}

/// Reads the entries from stdin, then measures the build.
fn build(count: usize) {
    let mut entries: Vec<IndexEntry> = Vec::with_capacity(count);
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let mut fields = line.split(' ');
        let mut next = || fields.next().unwrap();
        let (slot, lon, lat, codes) =
            (next().parse().unwrap(), next().parse().unwrap(), next().parse().unwrap(), next());
        let services = ServiceSet::parse(codes.split(',').filter(|c| !c.is_empty())).unwrap();
        entries.push(IndexEntry { slot, location: LonLat::new(lon, lat).unwrap(), services });
    }
    let memberships: usize = entries.iter().map(|e| e.services.indices().count()).sum();
    let before = rss_kib();
    let started = std::time::Instant::now();
    let index = SpatialIndex::bulk_load(entries.iter().copied());
    let took = started.elapsed();
    let after = rss_kib();
    println!(
        "{} providers ({memberships} service memberships): RSS {before} KiB → {after} KiB \
         ({:.1} MiB for the index, {:.0} bytes per provider), built in {:.2} s",
        index.len(),
        (after.saturating_sub(before)) as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 * 1024.0 / count.max(1) as f64,
        took.as_secs_f64()
    );
}
