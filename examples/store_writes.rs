//! Single-provider updates per second through the `Store` trait, on SQLite or PostgreSQL: each
//! update is what a staff edit commits (the If-Match version checked inside the transaction,
//! the row, its history entry with the next feed seq, and on PostgreSQL the NOTIFY), one
//! provider per thread, THREADS threads at once. For BENCHMARKS.md (benches/pg_store.sh runs it).
//!
//! Usage: `cargo run --release --example store_writes -- DB [COUNT] [THREADS]`
//! (DB: a SQLite file or a postgres:// URL; COUNT updates in all, default 2000; THREADS 1).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use caremap::domain::{Kind, LonLat, Provider, Stamp, action};
use caremap::store::{open_store, shown_db};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let db = args.get(1).expect("usage: store_writes DB [COUNT] [THREADS]");
    let count: usize = args.get(2).map_or(2000, |s| s.parse().expect("COUNT"));
    let threads: usize = args.get(3).map_or(1, |s| s.parse().expect("THREADS"));
    let store = open_store(Path::new(db)).expect("open the store");
    let start_seq = store.last_seq().unwrap();
    let providers: Vec<Provider> = (0..threads)
        .map(|t| {
            let p = Provider::new(
                format!("bench-{t}-{start_seq}"),
                Kind::Care,
                "書き込み計測".into(),
                LonLat::new(139.9, 35.86).unwrap(),
            );
            store.create_provider(&p, &Stamp::now("bench")).unwrap().record.provider
        })
        .collect();
    let per_thread = count / threads;
    let started = Instant::now();
    std::thread::scope(|s| {
        for p in &providers {
            let store = &store;
            s.spawn(move || {
                let mut current = p.clone();
                for i in 0..per_thread {
                    let edit = Provider { notes: Some(format!("更新 {i}")), ..current.clone() };
                    let written =
                        store.update_provider(&edit, &[current.version], &Stamp::now("bench"), action::UPDATE).unwrap();
                    current = written.record.provider;
                }
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let done = per_thread * threads;
    assert_eq!(store.last_seq().unwrap(), start_seq + (threads + done) as i64, "every update took one seq");
    #[allow(clippy::cast_precision_loss)]
    let rate = done as f64 / seconds;
    println!("{} updates={done} threads={threads} seconds={seconds:.2} per_second={rate:.0}", shown_db(Path::new(db)));
}
