//! Feed lag between two caremap servers on one PostgreSQL (issue 18: "a write answered by one
//! server is visible on the others within 1 s (p99, measured)", "feed lag p50/p99 at 100
//! writes/s"). For BENCHMARKS.md; `benches/pg_store.sh` starts the servers and runs it.
//!
//! It creates PROVIDERS providers through server A and waits until B has them all. Then it
//! paces staff updates to A at RATE a second for SECONDS: update `i` is sent at
//! `start + i / RATE` (on its own task, so a slow answer does not delay the next send), a
//! `PUT /api/admin/providers/{id}` with `If-Match` on the version of provider `i mod
//! PROVIDERS` (round robin, so each provider is written every PROVIDERS / RATE seconds, far
//! longer than a write takes).
//!
//! Meanwhile one watcher asks B's `/readyz` for its `applied_seq` (the seq of the catalog
//! snapshot B's reads are answered from) every millisecond and notes when each new value
//! arrived. After the run, A's `/api/admin/changes` gives each write's seq; a write is visible
//! on B from the first watcher answer with `applied_seq` ≥ its seq. Its lag is the time from
//! A's answer to that arrival (0 when B had it before A's answer arrived, counted as
//! `before_ack`): an upper bound, at most one watcher period (`watch_period_us`, the mean time
//! between two answers, about 1 ms plus a round trip) above the true moment. One watcher rather
//! than one per write keeps the measuring load on B small and the same at any lag.
//!
//! Usage: `feed_lag A_URL B_URL TOKEN [RATE] [SECONDS] [PROVIDERS]` (defaults 100, 30, 200).
//! Prints one line of `key=value`; exits non-zero when a write failed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How often the watcher asks B.
const WATCH_EVERY: Duration = Duration::from_millis(1);
/// B must hold every write this long after the last was answered, or the run fails.
const GIVE_UP: Duration = Duration::from_secs(30);

/// One paced write that A answered.
struct Written {
    id: String,
    version: u64,
    /// When it was due.
    due: Instant,
    /// When it was sent.
    sent: Instant,
    /// When A's answer arrived.
    acked: Instant,
}

/// What the watcher saw on B: when each new `applied_seq` arrived, and how many answers in all.
struct Watched {
    seen: Vec<(Instant, i64)>,
    answers: u64,
    started: Instant,
    ended: Instant,
}

fn feature(id: &str, name: &str, i: usize) -> Value {
    // Spread over a few km of Nagareyama, so the providers land in different districts.
    #[allow(clippy::cast_precision_loss)]
    let (lon, lat) = (139.89 + (i % 20) as f64 * 0.002, 35.84 + (i / 20 % 20) as f64 * 0.002);
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, lat]},
           "properties": {"kind": "care", "name": name, "services": ["130"]}})
}

/// The version `base` serves of `id` (0 when it has none).
async fn version_on(client: &reqwest::Client, base: &str, id: &str) -> u64 {
    let reply = client.get(format!("{base}/api/providers/{id}")).send().await.expect("GET a provider");
    if reply.status() != reqwest::StatusCode::OK {
        return 0;
    }
    let body: Value = reply.json().await.expect("JSON");
    body["properties"]["version"].as_u64().unwrap_or(0)
}

/// The `applied_seq` that `base`'s `/readyz` reports.
async fn applied_seq(client: &reqwest::Client, base: &str) -> i64 {
    let body: Value =
        client.get(format!("{base}/readyz")).send().await.expect("GET /readyz").json().await.expect("JSON");
    body["applied_seq"].as_i64().unwrap_or_else(|| panic!("no applied_seq in /readyz: {body}"))
}

/// Asks B's `/readyz` every [`WATCH_EVERY`] until `stop`, noting each new `applied_seq`.
async fn watch(client: reqwest::Client, b: Arc<String>, stop: Arc<AtomicBool>) -> Watched {
    let mut ticks = tokio::time::interval(WATCH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (started, mut seen, mut answers, mut last) = (Instant::now(), Vec::new(), 0, i64::MIN);
    while !stop.load(Ordering::Acquire) {
        ticks.tick().await;
        let seq = applied_seq(&client, &b).await;
        answers += 1;
        if seq > last {
            seen.push((Instant::now(), seq));
            last = seq;
        }
    }
    Watched { seen, answers, started, ended: Instant::now() }
}

/// The seq of each `(provider id, version)` committed after `since`, from A's change feed.
async fn seqs(client: &reqwest::Client, a: &str, token: &str, mut since: i64) -> HashMap<(String, u64), i64> {
    let mut out = HashMap::new();
    loop {
        let page: Value = client
            .get(format!("{a}/api/admin/changes?since={since}&limit=1000"))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET /api/admin/changes")
            .json()
            .await
            .expect("JSON");
        for e in page["entries"].as_array().expect("entries") {
            let key = (e["provider_id"].as_str().unwrap().to_owned(), e["version"].as_u64().unwrap());
            out.insert(key, e["seq"].as_i64().unwrap());
        }
        if page["next"].is_null() {
            return out;
        }
        since = page["next_since"].as_i64().unwrap();
    }
}

/// Nearest-rank percentile of sorted `v`, in milliseconds.
fn pct(v: &[Duration], p: f64) -> f64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let rank = ((p / 100.0 * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1].as_secs_f64() * 1e3
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: feed_lag A_URL B_URL TOKEN [RATE] [SECONDS] [PROVIDERS]";
    let (a, b, token) = (
        Arc::new(args.get(1).expect(usage).trim_end_matches('/').to_owned()),
        Arc::new(args.get(2).expect(usage).trim_end_matches('/').to_owned()),
        Arc::new(args.get(3).expect(usage).clone()),
    );
    let rate: u32 = args.get(4).map_or(100, |s| s.parse().expect("RATE"));
    let seconds: u32 = args.get(5).map_or(30, |s| s.parse().expect("SECONDS"));
    let providers: usize = args.get(6).map_or(200, |s| s.parse().expect("PROVIDERS"));
    let client = reqwest::Client::new();

    // The providers, created through A and seen on B.
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let ids: Arc<Vec<String>> = Arc::new((0..providers).map(|i| format!("lag-{run}-{i}")).collect());
    for (i, id) in ids.iter().enumerate() {
        let reply = client
            .post(format!("{a}/api/admin/providers"))
            .bearer_auth(token.as_str())
            .json(&feature(id, "遅延計測", i))
            .send()
            .await
            .expect("POST on A");
        assert_eq!(reply.status(), reqwest::StatusCode::CREATED, "{}", reply.text().await.unwrap_or_default());
    }
    for id in ids.iter() {
        while version_on(&client, &b, id).await < 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let versions: Arc<Vec<AtomicU64>> = Arc::new((0..providers).map(|_| AtomicU64::new(1)).collect());
    let seq_before = applied_seq(&client, &a).await;

    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch(client.clone(), b.clone(), stop.clone()));

    // The paced writes.
    let total = rate * seconds;
    let period = Duration::from_secs(1) / rate;
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::new();
    for i in 0..total {
        let due = start + period * i;
        tokio::time::sleep_until(due.into()).await;
        let (client, a, token, ids, versions) =
            (client.clone(), a.clone(), token.clone(), ids.clone(), versions.clone());
        tasks.push(tokio::spawn(async move {
            let p = i as usize % ids.len();
            let id = ids[p].clone();
            let version = versions[p].load(Ordering::Acquire);
            let sent = Instant::now();
            let reply = client
                .put(format!("{a}/api/admin/providers/{id}"))
                .bearer_auth(token.as_str())
                .header("if-match", format!("\"{version}\""))
                .json(&feature(&id, &format!("遅延計測 {i}"), p))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let acked = Instant::now();
            let status = reply.status();
            let body: Value = reply.json().await.map_err(|e| e.to_string())?;
            if status != reqwest::StatusCode::OK {
                return Err(format!("write {i} on {id}: {status} {body}"));
            }
            let version = body["properties"]["version"].as_u64().ok_or("no version in the answer")?;
            versions[p].store(version, Ordering::Release);
            Ok(Written { id, version, due, sent, acked })
        }));
    }
    let mut writes = Vec::new();
    let mut failures = Vec::new();
    for task in tasks {
        match task.await.expect("a write task panicked") {
            Ok(w) => writes.push(w),
            Err(e) => failures.push(e),
        }
    }
    for f in failures.iter().take(5) {
        eprintln!("failed: {f}");
    }
    assert!(!writes.is_empty(), "no write succeeded");

    // Every write's seq; the watcher runs until B has the last.
    let seq_of = seqs(&client, &a, &token, seq_before).await;
    let last_seq = *seq_of.values().max().expect("changes");
    let deadline = Instant::now() + GIVE_UP;
    while applied_seq(&client, &b).await < last_seq {
        assert!(Instant::now() < deadline, "B did not reach seq {last_seq}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    stop.store(true, Ordering::Release);
    let watched = watcher.await.expect("the watcher panicked");

    // How well the pacing held, and when B had each write.
    let mut lag = Vec::new();
    let mut before_ack = 0;
    for w in &writes {
        let seq = seq_of[&(w.id.clone(), w.version)];
        let (visible, _) = *watched.seen.iter().find(|(_, s)| *s >= seq).expect("the watcher saw every seq");
        if visible < w.acked {
            before_ack += 1;
        }
        lag.push(visible.saturating_duration_since(w.acked));
    }
    let first_sent = writes.iter().map(|w| w.sent).min().unwrap();
    let last_sent = writes.iter().map(|w| w.sent).max().unwrap();
    let last_acked = writes.iter().map(|w| w.acked).max().unwrap();
    #[allow(clippy::cast_precision_loss)]
    let (sent_rate, acked_rate, watch_period_us) = (
        (writes.len() - 1) as f64 / (last_sent - first_sent).as_secs_f64(),
        writes.len() as f64 / (last_acked - first_sent).as_secs_f64(),
        (watched.ended - watched.started).as_secs_f64() * 1e6 / watched.answers as f64,
    );
    let mut slip: Vec<Duration> = writes.iter().map(|w| w.sent - w.due).collect();
    let mut ack: Vec<Duration> = writes.iter().map(|w| w.acked - w.sent).collect();
    for v in [&mut slip, &mut ack, &mut lag] {
        v.sort_unstable();
    }
    println!(
        "writes={total} ok={} failed={} rate_target={rate} sent_per_s={sent_rate:.1} acked_per_s={acked_rate:.1} \
         send_slip_p99_ms={:.2} ack_p50_ms={:.2} ack_p99_ms={:.2} lag_p50_ms={:.2} lag_p90_ms={:.2} lag_p99_ms={:.2} \
         lag_max_ms={:.2} before_ack={before_ack} watch_period_us={watch_period_us:.0} providers={providers}",
        writes.len(),
        failures.len(),
        pct(&slip, 99.0),
        pct(&ack, 50.0),
        pct(&ack, 99.0),
        pct(&lag, 50.0),
        pct(&lag, 90.0),
        pct(&lag, 99.0),
        lag.last().unwrap().as_secs_f64() * 1e3,
    );
    if !failures.is_empty() {
        std::process::exit(1);
    }
}
