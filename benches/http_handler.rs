//! Where the time of an HTTP nearest query goes, in process (no sockets): the index query,
//! the GeoJSON encoding of the answer, and the whole axum handler path (routing, parameters,
//! query, encoding, response headers) for nearest k=10, k=1 and /healthz, on 1 M generated
//! providers. Complements `make bench-http` (the same path over TCP under wrk) and explains it.
//! Run with `cargo bench --bench http_handler`; results go in BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use caremap::app::config::ServeConfig;
use caremap::catalog::{Catalog, Filter, Found, Record};
use caremap::domain::{LonLat, Provider, VacancyClock};
use caremap::formats::geojson::FeatureOut;
use caremap::http::plumbing::output::{Format, feature_collection_bytes, respond};
use caremap::http::{AppState, HttpConfig, SiteInfo, router};
use caremap::store::{SqliteStore, Store};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

const PROVIDERS: usize = 1_000_000;

/// Query points drawn from the same distribution as the data (people search where providers are).
fn query_points(n: usize) -> Vec<LonLat> {
    caremap::generate::synthetic::providers(n, 999).into_iter().map(|p| p.location).collect()
}

/// The bundled sample's providers: every text field filled in, as in real MHLW data.
fn sample_providers() -> Vec<Provider> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/providers.geojson");
    caremap::app::startup::read_providers_file(&path).unwrap().0
}

fn body_len(response: axum::response::Response) -> usize {
    let (_, body) = response.into_parts();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(axum::body::to_bytes(body, usize::MAX)).unwrap().len()
}

/// The encoding before `FeatureOut::write_json`: serde over the Feature structs (same bytes).
#[derive(serde::Serialize)]
struct SerdeCollection<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "numberMatched")]
    number_matched: usize,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    features: Vec<FeatureOut<'a, Record>>,
}

fn serde_bytes(page: &[Found<'_>]) -> Vec<u8> {
    serde_json::to_vec(&SerdeCollection {
        kind: "FeatureCollection",
        number_matched: page.len(),
        number_returned: page.len(),
        features: page
            .iter()
            .map(|f| FeatureOut::new(f.provider, f.distance_m).fresh(&VacancyClock::now(30)))
            .collect(),
    })
    .unwrap()
}

fn bench_encoding(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    let synthetic = caremap::generate::synthetic::providers(100, 7);
    let sample = sample_providers();
    for (name, providers) in [("synthetic", &synthetic), ("sample", &sample)] {
        for n in [1, 10, 100] {
            let records: Vec<Record> = providers.iter().take(n).map(Record::new).collect();
            let found: Vec<Found<'_>> =
                records.iter().map(|p| Found { provider: p, distance_m: Some(1234.56) }).collect();
            let bytes = feature_collection_bytes(&found, n, &VacancyClock::now(30)).unwrap();
            assert_eq!(bytes, serde_bytes(&found));
            assert_eq!(body_len(respond(&found, n, Format::GeoJson, &VacancyClock::now(30))), bytes.len());
            let label = format!("{name}_{n}_features_{}_bytes", bytes.len());
            group.bench_function(format!("{label}/serde"), |b| b.iter(|| black_box(serde_bytes(black_box(&found)))));
            group.bench_function(format!("{label}/write_json"), |b| {
                b.iter(|| black_box(feature_collection_bytes(black_box(&found), n, &VacancyClock::now(30))))
            });
        }
    }
    group.finish();
}

fn bench_handler(c: &mut Criterion) {
    // A filter that names only the other group (`-- encode`) skips the 1 M catalog this one
    // builds. Option values (`--profile-time 10`) are words too, so only a word naming `encode`
    // and none naming `handler` counts as such a filter.
    let words: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if words.iter().any(|w| w.contains("encode")) && !words.iter().any(|w| w.contains("handler")) {
        return;
    }
    let queries = query_points(1024);
    let catalog = Arc::new(Catalog::new(caremap::generate::synthetic::providers(PROVIDERS, 1), Vec::new()));
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("bench.db")).unwrap());
    let config = ServeConfig::for_paths(dir.path().join("bench.db"), dir.path().into(), dir.path().into());
    let site = Arc::new(SiteInfo { dataset: Some("synthetic".into()), tiles: config.tile_layers() });
    let http = HttpConfig::new(dir.path().into());
    let app = router(AppState::new(catalog.clone(), store, site, &http), &http);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let get = |uri: String| {
        let response = rt.block_on(app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap())).unwrap();
        assert!(response.status().is_success());
        rt.block_on(axum::body::to_bytes(response.into_body(), usize::MAX)).unwrap()
    };

    let mut group = c.benchmark_group(format!("handler/{PROVIDERS}"));
    let snapshot = catalog.snapshot();
    let mut i = 0;
    group.bench_function("query_only_nearest_10", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            black_box(snapshot.nearest(queries[i], 10, None, &Filter::default()).len())
        })
    });
    group.bench_function("query_and_encode_nearest_10", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            let found = snapshot.nearest(queries[i], 10, None, &Filter::default());
            black_box(respond(&found, found.len(), Format::GeoJson, &VacancyClock::now(30)))
        })
    });
    // The answers of 1024 queries, encoded in turn: the providers are scattered over the
    // heap of a 1 M catalog, as in the server, not hot in cache as in `encode/`.
    let answers: Vec<Vec<Found<'_>>> =
        queries.iter().map(|q| snapshot.nearest(*q, 10, None, &Filter::default())).collect();
    group.bench_function("encode_only_nearest_10/serde", |b| {
        b.iter(|| {
            i = (i + 1) % answers.len();
            black_box(serde_bytes(&answers[i]))
        })
    });
    group.bench_function("encode_only_nearest_10/write_json", |b| {
        b.iter(|| {
            i = (i + 1) % answers.len();
            black_box(feature_collection_bytes(&answers[i], 10, &VacancyClock::now(30)))
        })
    });
    group.bench_function("encode_only_nearest_10/respond", |b| {
        b.iter(|| {
            i = (i + 1) % answers.len();
            black_box(respond(&answers[i], 10, Format::GeoJson, &VacancyClock::now(30)))
        })
    });
    drop(answers);
    for k in [10, 1] {
        group.bench_function(format!("http_nearest_{k}"), |b| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                let q = queries[i];
                black_box(get(format!("/api/providers/nearest?lon={:.6}&lat={:.6}&k={k}", q.lon(), q.lat())))
            })
        });
    }
    group.bench_function("http_healthz", |b| b.iter(|| black_box(get("/healthz".into()))));
    group.finish();
}

criterion_group!(benches, bench_encoding, bench_handler);
criterion_main!(benches);
