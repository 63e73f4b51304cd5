//! The load of the soak test (`benches/soak.sh` runs it; not part of `make test`): readers
//! and staff writers against a running caremap on loopback for a set time, a row every
//! `--interval-s` with requests, errors, latencies and the server's resident memory (from
//! `/proc/PID/status`), and a summary at the end.
//!
//! Writers keep the data size steady (updates, soft deletes and restores of a fixed pool of
//! providers each writer created at the start), so memory that grows is a leak, not data.
//! The staff token is read from `CAREMAP_SOAK_TOKEN` (not an argument: `ps` would show it).
//!
//! `cargo run --release --example soak -- --base http://127.0.0.1:8080 --pid 1234 --duration-s 600`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Settings {
    base: String,
    pid: u32,
    duration: Duration,
    interval: Duration,
    readers: usize,
    writers: usize,
    pool: usize,
    token: String,
}

fn settings() -> Settings {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let number = |name: &str, default: u64| value(name).map_or(default, |v| v.parse().expect(name));
    Settings {
        base: value("--base").expect("--base http://HOST:PORT"),
        pid: u32::try_from(number("--pid", 0)).unwrap(),
        duration: Duration::from_secs(number("--duration-s", 600)),
        interval: Duration::from_secs(number("--interval-s", 10)),
        readers: usize::try_from(number("--readers", 16)).unwrap(),
        writers: usize::try_from(number("--writers", 2)).unwrap(),
        pool: usize::try_from(number("--pool", 50)).unwrap(),
        token: std::env::var("CAREMAP_SOAK_TOKEN").expect("CAREMAP_SOAK_TOKEN"),
    }
}

/// What happened in one interval (or in the whole run).
#[derive(Default, Clone)]
struct Tally {
    reads: u64,
    writes: u64,
    read_ms: Vec<f64>,
    write_ms: Vec<f64>,
    /// Unexpected answers: status (or `transport`) → count.
    errors: BTreeMap<String, u64>,
}

impl Tally {
    fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    fn merge(&mut self, other: &Tally) {
        self.reads += other.reads;
        self.writes += other.writes;
        self.read_ms.extend_from_slice(&other.read_ms);
        self.write_ms.extend_from_slice(&other.write_ms);
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
    }
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let i = ((values.len() - 1) as f64 * p).round() as usize;
    values[i]
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// A small deterministic generator, so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Metropolitan centres the synthetic data is spread around (lon, lat).
const CENTRES: [(f64, f64); 6] =
    [(139.69, 35.69), (135.50, 34.69), (136.91, 35.18), (130.40, 33.59), (141.35, 43.06), (139.91, 35.86)];

fn read_path(rng: &mut Rng, ids: &[String]) -> String {
    let (lon, lat) = CENTRES[rng.below(CENTRES.len())];
    let (lon, lat) = (lon + (rng.unit() - 0.5) * 0.4, lat + (rng.unit() - 0.5) * 0.4);
    match rng.below(10) {
        0..=2 => format!("/api/providers/nearest?lon={lon:.5}&lat={lat:.5}&k=10"),
        3 => format!("/api/providers/nearest?lon={lon:.5}&lat={lat:.5}&k=20&service=130&accepting=true"),
        4 => format!("/api/providers?near={lon:.5},{lat:.5}&radius_m=3000&limit=200"),
        5 => format!(
            "/api/providers?bbox={:.4},{:.4},{:.4},{:.4}&limit=500",
            lon - 0.05,
            lat - 0.05,
            lon + 0.05,
            lat + 0.05
        ),
        6 => format!("/api/providers/{}", ids[rng.below(ids.len())]),
        7 => format!(
            "/api/providers?bbox={:.4},{:.4},{:.4},{:.4}&limit=1000&f=csv",
            lon - 0.1,
            lat - 0.1,
            lon + 0.1,
            lat + 0.1
        ),
        8 => format!(
            "/ogc/collections/providers/items?bbox={:.4},{:.4},{:.4},{:.4}&limit=100",
            lon - 0.05,
            lat - 0.05,
            lon + 0.05,
            lat + 0.05
        ),
        _ => "/api/districts".to_owned(),
    }
}

async fn reader(s: Arc<Settings>, seed: u64, ids: Arc<Vec<String>>, tally: Arc<Mutex<Tally>>, stop: Arc<AtomicBool>) {
    let http = reqwest::Client::new();
    let mut rng = Rng(seed);
    while !stop.load(Ordering::Relaxed) {
        let path = read_path(&mut rng, &ids);
        let started = Instant::now();
        let outcome = match http.get(format!("{}{path}", s.base)).send().await {
            Ok(r) => {
                let status = r.status();
                let ok = r.bytes().await.is_ok();
                if status.is_success() && ok { Ok(()) } else { Err(format!("read {status}")) }
            }
            Err(_) => Err("read transport".to_owned()),
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let mut t = tally.lock().unwrap();
        t.reads += 1;
        t.read_ms.push(ms);
        if let Err(e) = outcome {
            *t.errors.entry(e).or_default() += 1;
        }
    }
}

fn feature(id: &str, name: &str, lon: f64, lat: f64, accepting: bool) -> Value {
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, lat]},
           "properties": {"kind": "care", "name": name, "services": ["130", "430"], "accepting": accepting,
                          "address": "千葉県流山市（ソーク試験）", "notes": "soak <test> & 'quotes'"}})
}

/// Creates the writer's pool, then updates (80 %), deletes and restores (20 %) its members.
async fn writer(s: Arc<Settings>, n: usize, tally: Arc<Mutex<Tally>>, stop: Arc<AtomicBool>) {
    let http = reqwest::Client::new();
    let auth = format!("Bearer {}", s.token);
    let mut rng = Rng(0x5eed + n as u64);
    // id → (version, deleted)
    let mut pool: Vec<(String, i64, bool)> = Vec::new();
    for i in 0..s.pool {
        let id = format!("soak-{n}-{i}");
        let (lon, lat) = (139.88 + rng.unit() * 0.07, 35.83 + rng.unit() * 0.09);
        let r = http
            .post(format!("{}/api/admin/providers", s.base))
            .header("authorization", &auth)
            .json(&feature(&id, &id, lon, lat, true))
            .send()
            .await;
        match r {
            Ok(r) if r.status() == 201 => pool.push((id, 1, false)),
            Ok(r) if r.status() == 409 => {
                // From an earlier run on the same database: take its current version.
                let got = http
                    .get(format!("{}/api/admin/providers/{id}", s.base))
                    .header("authorization", &auth)
                    .send()
                    .await
                    .unwrap();
                let body: Value = got.json().await.unwrap();
                let deleted = body["properties"]["deleted_at"].is_string();
                pool.push((id, body["properties"]["version"].as_i64().unwrap(), deleted));
            }
            Ok(r) => panic!("creating the writer pool: {}", r.status()),
            Err(e) => panic!("creating the writer pool: {e}"),
        }
    }
    let mut step = 0u64;
    while !stop.load(Ordering::Relaxed) {
        step += 1;
        let i = rng.below(pool.len());
        let (id, version, deleted) = pool[i].clone();
        let base = &s.base;
        let request = if deleted {
            http.post(format!("{base}/api/admin/providers/{id}/restore"))
        } else if rng.below(10) < 2 {
            http.delete(format!("{base}/api/admin/providers/{id}"))
        } else {
            let (lon, lat) = (139.88 + rng.unit() * 0.07, 35.83 + rng.unit() * 0.09);
            http.put(format!("{base}/api/admin/providers/{id}")).json(&feature(
                &id,
                &format!("{id} 更新{step}"),
                lon,
                lat,
                rng.below(2) == 0,
            ))
        };
        let started = Instant::now();
        let outcome =
            match request.header("authorization", &auth).header("if-match", format!("\"{version}\"")).send().await {
                Ok(r) if r.status().is_success() => {
                    let body: Value = r.json().await.unwrap_or_default();
                    match body["properties"]["version"].as_i64() {
                        Some(v) => {
                            pool[i] = (id, v, body["properties"]["deleted_at"].is_string());
                            Ok(())
                        }
                        None => Err("write: no version in the answer".to_owned()),
                    }
                }
                Ok(r) => Err(format!("write {}", r.status())),
                Err(_) => Err("write transport".to_owned()),
            };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let mut t = tally.lock().unwrap();
        t.writes += 1;
        t.write_ms.push(ms);
        if let Err(e) = outcome {
            *t.errors.entry(e).or_default() += 1;
        }
    }
}

#[tokio::main]
async fn main() {
    let s = Arc::new(settings());
    let http = reqwest::Client::new();
    let sample: Value = http
        .get(format!("{}/api/providers?bbox=122,20,154,46&limit=2000", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<String> =
        sample["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect();
    assert!(!ids.is_empty(), "the server has no providers");
    let ids = Arc::new(ids);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for r in 0..s.readers {
        tasks.push(tokio::spawn(reader(
            s.clone(),
            0x9e37_79b9_7f4a_7c15 ^ (r as u64 + 1),
            ids.clone(),
            tally.clone(),
            stop.clone(),
        )));
    }
    for w in 0..s.writers {
        tasks.push(tokio::spawn(writer(s.clone(), w, tally.clone(), stop.clone())));
    }

    println!(
        "| t (s) | reads | reads/s | read p50 (ms) | read p99 (ms) | writes | writes/s | write p50 (ms) | write p99 (ms) | errors | RSS (MiB) | fds |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let started = Instant::now();
    let mut total = Tally::default();
    let mut rss = Vec::new();
    while started.elapsed() < s.duration {
        tokio::time::sleep(s.interval).await;
        let mut t = std::mem::take(&mut *tally.lock().unwrap());
        let secs = s.interval.as_secs_f64();
        let memory = rss_mib(s.pid);
        rss.push(memory);
        println!(
            "| {:.0} | {} | {:.0} | {:.1} | {:.1} | {} | {:.1} | {:.1} | {:.1} | {} | {:.1} | {} |",
            started.elapsed().as_secs_f64(),
            t.reads,
            t.reads as f64 / secs,
            percentile(&mut t.read_ms, 0.5),
            percentile(&mut t.read_ms, 0.99),
            t.writes,
            t.writes as f64 / secs,
            percentile(&mut t.write_ms, 0.5),
            percentile(&mut t.write_ms, 0.99),
            t.error_count(),
            memory,
            open_fds(s.pid),
        );
        total.merge(&t);
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let third = rss.len() / 3;
    let settled = if third > 0 { rss[third] } else { rss.first().copied().unwrap_or(f64::NAN) };
    let last = rss.last().copied().unwrap_or(f64::NAN);
    let max = rss.iter().copied().fold(f64::NAN, f64::max);
    println!();
    println!("summary: {elapsed:.0} s, {} readers, {} writers", s.readers, s.writers);
    println!(
        "  reads {} ({:.0}/s, p50 {:.1} ms, p99 {:.1} ms); writes {} ({:.1}/s, p50 {:.1} ms, p99 {:.1} ms)",
        total.reads,
        total.reads as f64 / elapsed,
        percentile(&mut total.read_ms, 0.5),
        percentile(&mut total.read_ms, 0.99),
        total.writes,
        total.writes as f64 / elapsed,
        percentile(&mut total.write_ms, 0.5),
        percentile(&mut total.write_ms, 0.99),
    );
    println!("  errors {} {:?}", total.error_count(), total.errors);
    println!(
        "  RSS first {:.1} MiB, at one third {settled:.1} MiB, last {last:.1} MiB, max {max:.1} MiB (last vs one third: {:+.1} %)",
        rss.first().copied().unwrap_or(f64::NAN),
        (last - settled) / settled * 100.0
    );
    if total.error_count() > 0 {
        std::process::exit(1);
    }
}
