//! GDAL as a real OGC API – Features client (Debian's gdal-bin, installed by `make test`): the
//! OAPIF driver lists the collections, pages through every provider (and the 地域包括支援センター)
//! and applies a spatial filter, against the server started in-process on port 0. GDAL runs as
//! a child process (`tokio::process`), so the server keeps serving while it waits.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::support::app::{TestApp, ids, spawn_app};

/// Runs a GDAL command-line tool against the test server; returns its stdout, failing the test
/// (with stderr) when it exits non-zero.
async fn gdal(tool: &str, args: &[&str]) -> String {
    gdal_logged(tool, args, false).await.0
}

/// Like [`gdal`], with GDAL's debug log (which names every URL fetched) on stderr when `debug`.
async fn gdal_logged(tool: &str, args: &[&str], debug: bool) -> (String, String) {
    let out = tokio::process::Command::new(tool)
        .args(args)
        .env("CPL_DEBUG", if debug { "ON" } else { "OFF" })
        .env("GDAL_HTTP_TIMEOUT", "60")
        .env("GDAL_HTTP_MAX_RETRY", "0")
        // The server is local: never send its requests through a proxy from the environment.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .output()
        .await
        .unwrap_or_else(|e| panic!("{tool} runs (apt-get install gdal-bin; `make test` does it): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{tool} {args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    (stdout, stderr)
}

fn connection(app: &TestApp) -> String {
    format!("OAPIF:{}", app.url("/ogc"))
}

/// The provider ids in a GeoJSON file written by ogr2ogr (GDAL keeps string ids as a field).
fn ids_in_file(path: &Path) -> Vec<String> {
    let fc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut ids: Vec<String> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().or(f["id"].as_str()).unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// The cells of a GeoJSON file written by ogr2ogr, by mesh code: nearest_m and count_within.
fn cells_in_file(path: &Path) -> Vec<(String, Option<f64>, u64)> {
    let fc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut cells: Vec<(String, Option<f64>, u64)> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let code = p["mesh_code"].as_str().unwrap().to_owned();
            (code, p["nearest_m"].as_f64(), p["count_within"].as_u64().unwrap())
        })
        .collect();
    cells.sort_by(|a, b| a.0.cmp(&b.0));
    cells
}

/// Ids and `numberMatched` of a public API query.
async fn public(app: &TestApp, query: &str) -> (Vec<String>, u64) {
    let reply = app.get(&format!("/api/providers?limit=10000{query}")).await.expect(200);
    let matched = reply.json()["numberMatched"].as_u64().unwrap();
    let mut ids = ids(&reply.features());
    ids.sort();
    (ids, matched)
}

#[tokio::test]
async fn ogrinfo_lists_the_six_collections() {
    let app = spawn_app().await;
    let out = gdal("ogrinfo", &["-ro", "-so", &connection(&app)]).await;
    let layers: BTreeSet<&str> = out
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(_, rest)| rest.split_whitespace().next().unwrap_or("")))
        .collect();
    for id in ["providers", "care", "clinics", "districts", "coverage", "community-centers"] {
        assert!(layers.contains(id), "{id} missing from:\n{out}");
    }
    let summary = gdal("ogrinfo", &["-ro", "-so", &connection(&app), "providers"]).await;
    assert!(summary.contains("Feature Count: 368"), "GDAL reads numberMatched:\n{summary}");
}

#[tokio::test]
async fn ogr2ogr_reads_the_community_centres_with_their_names_phones_and_areas() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("centers.geojson");
    let args = ["-f", "GeoJSON", file.to_str().unwrap(), &connection(&app), "community-centers", "-oo", "PAGE_SIZE=2"];
    gdal("ogr2ogr", &args).await;
    let expected = app.get("/api/community-centers").await.expect(200).features();
    let mut want: Vec<String> = ids(&expected);
    want.sort();
    assert_eq!(ids_in_file(&file), want, "two pages of two");
    let fc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for f in fc["features"].as_array().unwrap() {
        let id = f["properties"]["id"].as_str().or(f["id"].as_str()).unwrap();
        let original = expected.iter().find(|e| e["id"] == id).unwrap();
        for key in ["name", "address", "phone"] {
            assert_eq!(f["properties"][key], original["properties"][key], "{id} {key}");
        }
        // GDAL keeps the 担当区域 list (as a JSON string or a list, depending on its version).
        let areas = &f["properties"]["areas"];
        let areas: Value = areas.as_str().map_or_else(|| areas.clone(), |s| serde_json::from_str(s).unwrap());
        assert_eq!(areas, original["properties"]["areas"], "{id} areas");
    }
}

#[tokio::test]
async fn ogr2ogr_with_a_small_page_size_gets_every_provider() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("providers.geojson");
    let args = ["-f", "GeoJSON", file.to_str().unwrap(), &connection(&app), "providers", "-oo", "PAGE_SIZE=25"];
    gdal("ogr2ogr", &args).await;
    let (expected, matched) = public(&app, "").await;
    assert_eq!(matched, 368, "the bundled sample");
    let got = ids_in_file(&file);
    assert_eq!(got.len() as u64, matched, "15 pages of 25 hold every provider once");
    assert_eq!(got, expected);
}

#[tokio::test]
async fn ogr2ogr_with_a_spatial_filter_gets_exactly_the_providers_in_the_box() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("box.geojson");
    let (w, s, e, n) = ("139.88", "35.83", "139.92", "35.87");
    let args = [
        "-f",
        "GeoJSON",
        file.to_str().unwrap(),
        &connection(&app),
        "providers",
        "-oo",
        "PAGE_SIZE=25",
        "-spat",
        w,
        s,
        e,
        n,
    ];
    gdal("ogr2ogr", &args).await;
    let (expected, matched) = public(&app, &format!("&bbox={w},{s},{e},{n}")).await;
    assert!(matched > 25 && matched < 368, "the box spans several pages but not everything: {matched}");
    assert_eq!(ids_in_file(&file), expected);
}

#[tokio::test]
async fn gdal_finds_the_queryables_in_the_api_definition_and_sends_them_to_the_server() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hospitals.geojson");
    let args = ["-f", "GeoJSON", file.to_str().unwrap(), &connection(&app), "clinics", "-where", "kind = 'hospital'"];
    let (_, log) = gdal_logged("ogr2ogr", &args, true).await;
    // The API definition declares `filter-lang`, so GDAL writes the clause as CQL text.
    assert!(
        log.contains("/ogc/collections/clinics/items?") && log.contains("filter=kind%20%3D%20'hospital'"),
        "server-side filter:\n{log}"
    );
    let (expected, _) = public(&app, "&kind=hospital").await;
    assert!(!expected.is_empty());
    assert_eq!(ids_in_file(&file), expected);
}

#[tokio::test]
async fn ogr2ogr_reads_the_coverage_collection_as_the_cells_of_api_coverage() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("coverage.geojson");
    let args = ["-f", "GeoJSON", file.to_str().unwrap(), &connection(&app), "coverage", "-oo", "PAGE_SIZE=100"];
    gdal("ogr2ogr", &args).await;

    // A client that sends no parameters gets the collection's default question.
    let api = app.get("/api/coverage?preset=home-care-24h-2km&mesh=250m").await.expect(200).features();
    let mut expected: Vec<(String, Option<f64>, u64)> = api
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (p["mesh_code"].as_str().unwrap().to_owned(), p["nearest_m"].as_f64(), p["count_within"].as_u64().unwrap())
        })
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(expected.len() > 100, "several pages of cells: {}", expected.len());
    let got = cells_in_file(&file);
    assert_eq!(got, expected);
    let summary = gdal("ogrinfo", &["-ro", "-so", &connection(&app), "coverage"]).await;
    assert!(summary.contains("Polygon"), "{summary}");
}

/// The count of filtered items requests the server has answered in `lang`, from `/metrics`.
async fn filters_answered(app: &TestApp, lang: &str) -> u64 {
    let metrics = app.get("/metrics").await.expect(200).text();
    let series = format!("caremap_ogc_filters_total{{lang=\"{lang}\"}} ");
    metrics.lines().find_map(|l| l.strip_prefix(&series)).map_or(0, |n| n.trim().parse().unwrap())
}

#[tokio::test]
async fn ogr2ogr_sends_a_where_clause_to_the_server_as_cql2_and_gets_the_same_features() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("clinics.geojson");
    // GDAL 3.6 (Debian 12) turns AND, OR, LIKE and comparisons into CQL text; it evaluates
    // what it cannot translate (IN, here) itself, after the server has filtered by the rest.
    let clause =
        "(kind = 'clinic' OR kind = 'hospital') AND name LIKE '%クリニック%' AND district IN ('north', 'east')";
    let before = filters_answered(&app, "cql2-text").await;
    let args = ["-f", "GeoJSON", file.to_str().unwrap(), &connection(&app), "providers", "-where", clause];
    let (_, log) = gdal_logged("ogr2ogr", &args, true).await;
    assert!(filters_answered(&app, "cql2-text").await > before, "the server answered a filter:\n{log}");
    let sent = log
        .lines()
        .find(|l| l.contains("/ogc/collections/providers/items?") && l.contains("filter="))
        .unwrap_or_else(|| panic!("no filtered request:\n{log}"));
    for part in ["OR", "LIKE", "AND", "kind", "name"] {
        assert!(sent.contains(part), "{part} goes to the server: {sent}");
    }
    let all = app.get("/api/providers?limit=10000").await.expect(200).features();
    let mut expected: Vec<String> = all
        .iter()
        .filter(|f| {
            let p = &f["properties"];
            (p["kind"] == "clinic" || p["kind"] == "hospital")
                && p["name"].as_str().unwrap().contains("クリニック")
                && (p["district"] == "north" || p["district"] == "east")
        })
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(ids_in_file(&file), expected);
}

#[tokio::test]
async fn ogrinfo_counts_what_a_filter_with_states_and_numbers_selects() {
    let app = spawn_app().await;
    // `accepting` is a state ('yes', 'consult', 'no'): GDAL sees a string field.
    let clause = "accepting = 'yes' AND capacity >= 10 AND kind = 'care'";
    let before = filters_answered(&app, "cql2-text").await;
    let out = gdal("ogrinfo", &["-ro", "-so", &connection(&app), "providers", "-where", clause]).await;
    assert!(filters_answered(&app, "cql2-text").await > before, "the server answered a filter");
    let all = app.get("/api/providers?limit=10000").await.expect(200).features();
    let expected = all
        .iter()
        .filter(|f| {
            let p = &f["properties"];
            p["accepting"] == "yes" && p["capacity"].as_u64().is_some_and(|c| c >= 10) && p["kind"] == "care"
        })
        .count();
    assert!(expected > 0);
    assert!(out.contains(&format!("Feature Count: {expected}")), "expected {expected}:\n{out}");
}

/// Downloads a vector tile into `dir/z/x/y.pbf` (the layout GDAL's MVT driver georeferences)
/// and converts layer `layer` to GeoJSON in lon/lat with ogr2ogr: the features GDAL decodes.
async fn decoded_tile(app: &TestApp, dir: &Path, collection: &str, (z, row, col): (u32, u32, u32)) -> Vec<Value> {
    let url = format!("/ogc/collections/{collection}/tiles/WebMercatorQuad/{z}/{row}/{col}");
    let tile = app.get(&url).await.expect(200);
    assert_eq!(tile.content_type, "application/vnd.mapbox-vector-tile");
    let folder = dir.join(format!("{collection}/{z}/{col}"));
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join(format!("{row}.pbf"));
    std::fs::write(&file, &tile.body).unwrap();
    let out = dir.join(format!("{collection}-{z}-{row}-{col}.geojson"));
    let args = ["-f", "GeoJSON", "-t_srs", "EPSG:4326", out.to_str().unwrap(), file.to_str().unwrap(), collection];
    gdal("ogr2ogr", &args).await;
    let fc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    fc["features"].as_array().cloned().unwrap_or_default()
}

/// The lon/lat box of a WebMercatorQuad tile.
fn tile_bbox((z, row, col): (u32, u32, u32)) -> String {
    let n = f64::from(1u32 << z);
    let lon = |c: f64| c / n * 360.0 - 180.0;
    let lat = |r: f64| (std::f64::consts::PI * (1.0 - 2.0 * r / n)).sinh().atan().to_degrees();
    let (c, r) = (f64::from(col), f64::from(row));
    format!("{},{},{},{}", lon(c), lat(r + 1.0), lon(c + 1.0), lat(r))
}

#[tokio::test]
async fn gdal_decodes_provider_tiles_into_the_providers_inside_each_tile() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    for tile in [(12, 1610, 3639), (14, 6441, 14559), (13, 3219, 7280)] {
        let features = decoded_tile(&app, dir.path(), "providers", tile).await;
        let reply = app.get(&format!("/api/providers?limit=10000&bbox={}", tile_bbox(tile))).await.expect(200);
        let expected = reply.features();
        assert!(!expected.is_empty(), "{tile:?} holds providers");
        let mut got: Vec<String> =
            features.iter().map(|f| f["properties"]["id"].as_str().unwrap().to_owned()).collect();
        got.sort();
        let mut want = ids(&expected);
        want.sort();
        assert_eq!(got, want, "tile {tile:?}");
        // Positions survive the 4096-unit grid of the tile: within a few metres at zoom 12.
        for f in &features {
            let id = f["properties"]["id"].as_str().unwrap();
            let original = expected.iter().find(|e| e["id"] == id).unwrap();
            let d = crate::support::app::geodesic_m(
                crate::support::app::lon_lat(f),
                crate::support::app::lon_lat(original),
            );
            assert!(d < 10.0, "{id} moved {d} m in tile {tile:?}");
            assert_eq!(f["properties"]["name"], original["properties"]["name"]);
        }
    }
    // The items' filters apply to tiles too.
    let filtered = app
        .get("/ogc/collections/providers/tiles/WebMercatorQuad/12/1610/3639?kind=clinic&filter=accepting%20%3D%20TRUE")
        .await
        .expect(200);
    let file = dir.path().join("filtered/12/3639/1610.pbf");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &filtered.body).unwrap();
    let out = gdal("ogrinfo", &["-ro", "-al", "-so", file.to_str().unwrap()]).await;
    let expected = app
        .get(&format!("/api/providers?limit=10000&kind=clinic&accepting=true&bbox={}", tile_bbox((12, 1610, 3639))))
        .await
        .expect(200)
        .features()
        .len();
    assert!(expected > 0 && out.contains(&format!("Feature Count: {expected}")), "{expected}:\n{out}");
}

#[tokio::test]
async fn gdal_decodes_district_tiles_into_the_district_polygons() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    // Zoom 8 tile 100/227 holds the whole city.
    let features = decoded_tile(&app, dir.path(), "districts", (8, 100, 227)).await;
    let mut got: Vec<&str> = features.iter().map(|f| f["properties"]["id"].as_str().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, ["central", "east", "north", "south"]);
    let districts = app.get("/api/districts").await.expect(200).features();
    for f in &features {
        assert!(matches!(f["geometry"]["type"].as_str(), Some("Polygon" | "MultiPolygon")), "{f}");
        let id = f["properties"]["id"].as_str().unwrap();
        let original = districts.iter().find(|d| d["id"] == id).unwrap();
        assert_eq!(f["properties"]["provider_count"], original["properties"]["provider_count"], "{id}");
        // The outline survives the tile grid (about 40 m a unit at zoom 8).
        let (a, b) = (outline_box(&f["geometry"]), outline_box(&original["geometry"]));
        for i in 0..4 {
            assert!((a[i] - b[i]).abs() < 0.002, "{id}: {a:?} vs {b:?}");
        }
    }
}

/// The lon/lat box of every position of a GeoJSON geometry.
fn outline_box(geometry: &Value) -> [f64; 4] {
    fn walk(v: &Value, b: &mut [f64; 4]) {
        match v.as_array() {
            Some(a) if a.len() >= 2 && a[0].is_number() => {
                let (x, y) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
                *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
            }
            Some(a) => a.iter().for_each(|x| walk(x, b)),
            None => {}
        }
    }
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    walk(&geometry["coordinates"], &mut b);
    b
}
