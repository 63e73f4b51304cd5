//! Geocoding at a prefecture's scale (issue 15: 2 M 住居 points, p99 ≤ 200 µs in-process,
//! ≤ 300 MB extra memory, import ≤ 30 s): builds the server's gazetteer over 2 M generated 住居
//! (40 cities × 50 towns × 5 丁目 × 20 街区 × 10 住居, with their 町字 and 街区 points), prints
//! the resident memory before and after (from `/proc/self/status`) and the build time, then
//! geocodes 100 000 random addresses in three spellings and prints the latency percentiles.
//! With `CAREMAP_BENCH_IMPORT=1` it also writes the 2 M points into a fresh SQLite database in
//! one transaction and reads them back into a gazetteer (the import's store part and the
//! server's start).
//!
//! `cargo run --release --example geocode_2m`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use caremap::address::{AddressPoint, GazetteerBuilder, Level};
use caremap::domain::LonLat;
use caremap::store::{SqliteStore, Store};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const KANJI: &[char] = &[
    '青', '赤', '東', '西', '南', '北', '松', '竹', '梅', '桜', '川', '山', '田', '野', '原', '台', '森', '谷', '岡',
    '沢',
];
const CHOME_KANJI: [&str; 6] = ["", "一", "二", "三", "四", "五"];
const CITIES: usize = 40;
const TOWNS: usize = 50;
const CHOME: u32 = 5;
const BLOCKS: u32 = 20;
const RESIDENCES: u32 = 10;

/// The process's resident memory, KiB (what `/metrics` reports, Linux only).
fn rss_kib() -> u64 {
    caremap::http::plumbing::metrics::resident_memory_bytes().expect("VmRSS in /proc/self/status (Linux)") / 1024
}

fn city_name(c: usize) -> String {
    format!("{}{}市", KANJI[c % 20], KANJI[(c / 20 + 7) % 20])
}

fn town_base(c: usize, t: usize) -> String {
    let n = c * TOWNS + t;
    format!("{}{}{}", KANJI[n % 20], KANJI[(n / 20) % 20], KANJI[(n / 400) % 20])
}

fn position(c: usize, t: usize, k: u32, b: u32, r: u32) -> LonLat {
    let lon = 139.8 + 0.02 * c as f64 + 0.0004 * t as f64 + 0.00005 * f64::from(k) + 0.00001 * f64::from(b);
    let lat = 35.3 + 0.0003 * t as f64 + 0.00004 * f64::from(k) + 0.000_01 * f64::from(b) + 0.000_001 * f64::from(r);
    LonLat::new(lon, lat).unwrap()
}

/// Every point, in the order the store would give them.
fn each_point(mut f: impl FnMut(Level, usize, &str, &str, u32, u32, LonLat)) {
    for c in 0..CITIES {
        let city = city_name(c);
        for t in 0..TOWNS {
            let base = town_base(c, t);
            for k in 1..=CHOME {
                let town = format!("{base}{}丁目", CHOME_KANJI[k as usize]);
                f(Level::Town, c, &city, &town, 0, 0, position(c, t, k, 0, 0));
                for b in 1..=BLOCKS {
                    f(Level::Block, c, &city, &town, b, 0, position(c, t, k, b, 0));
                    for r in 1..=RESIDENCES {
                        f(Level::Residence, c, &city, &town, b, r, position(c, t, k, b, r));
                    }
                }
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let before = rss_kib();
    let started = Instant::now();
    let mut builder = GazetteerBuilder::default();
    each_point(|level, c, city, town, b, r, p| {
        let (block, residence) =
            (if b > 0 { b.to_string() } else { String::new() }, if r > 0 { r.to_string() } else { String::new() });
        builder.add(level, &format!("{:05}", 12_000 + c), "千葉県", city, town, &block, &residence, p, "abr");
    });
    let gazetteer = builder.build();
    let build = started.elapsed();
    let after = rss_kib();
    let counts = gazetteer.counts();
    println!(
        "{} 町字, {} 街区, {} 住居: built in {:.1} s; RSS {before} KiB → {after} KiB ({:.1} MiB for the gazetteer)",
        counts.towns,
        counts.blocks,
        counts.residences,
        build.as_secs_f64(),
        (after - before) as f64 / 1024.0
    );

    let mut rng = StdRng::seed_from_u64(15);
    let mut times = Vec::with_capacity(100_000);
    let mut wrong = 0;
    for i in 0..100_000 {
        let (c, t) = (rng.random_range(0..CITIES), rng.random_range(0..TOWNS));
        let (k, b, r) = (rng.random_range(1..=CHOME), rng.random_range(1..=BLOCKS), rng.random_range(1..=RESIDENCES));
        let base = town_base(c, t);
        let query = match i % 3 {
            0 => format!("千葉県{}{base}{k}丁目{b}番{r}号", city_name(c)),
            1 => format!("{}{base}{}-{}-{}", city_name(c), char::from_digit(k, 10).unwrap(), b, r),
            _ => format!("{}{base}{}丁目{b}－{r}", city_name(c), CHOME_KANJI[k as usize]),
        };
        let start = Instant::now();
        let found = gazetteer.geocode(&query, 5);
        times.push(start.elapsed());
        let expected = position(c, t, k, b, r);
        if found.first().is_none_or(|f| f.level != Level::Residence || f.location != expected) {
            wrong += 1;
        }
    }
    times.sort();
    println!(
        "100000 geocodes: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}; {wrong} not at the expected 住居",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        times[times.len() - 1]
    );

    if std::env::var("CAREMAP_BENCH_IMPORT").is_ok() {
        drop(gazetteer);
        let mut points = Vec::new();
        each_point(|level, c, city, town, b, r, p| {
            points.push(AddressPoint {
                level,
                city_code: format!("{:05}", 12_000 + c),
                pref: "千葉県".into(),
                city: city.into(),
                town: town.into(),
                block: if b > 0 { b.to_string() } else { String::new() },
                residence: if r > 0 { r.to_string() } else { String::new() },
                town_code: String::new(),
                location: p,
                source: "abr",
            });
        });
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("bench.db")).unwrap();
        let cities: Vec<String> = (0..CITIES).map(|c| format!("{:05}", 12_000 + c)).collect();
        let started = Instant::now();
        store.replace_addresses("abr", &cities, &points).unwrap();
        let write = started.elapsed();
        drop(points);
        let started = Instant::now();
        let mut builder = GazetteerBuilder::default();
        store
            .for_each_address(&mut |p| {
                builder.add_point(p);
            })
            .unwrap();
        let g = builder.build();
        println!(
            "store: {} points written in one transaction in {:.1} s; read back into a gazetteer in {:.1} s",
            g.counts().residences + g.counts().blocks + g.counts().towns,
            write.as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
    }
}
