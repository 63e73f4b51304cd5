//! Part 2: output in EPSG:4326, 6668 and 6677 (checked against PROJ's cs2cs), `Content-Crs`,
//! and `bbox-crs`.

use super::*;
use crate::support::cs2cs::cs2cs;

// ---- Part 2: CRS ------------------------------------------------------------------------------

#[tokio::test]
async fn epsg_4326_and_6668_output_is_lat_lon_and_content_crs_names_it() {
    let app = spawn_app().await;
    let plain = app.get("/ogc/collections/providers/items?limit=5").await.expect(200).features();
    for (crs, uri) in [("EPSG:4326", EPSG4326), (EPSG4326, EPSG4326), (EPSG6668, EPSG6668)] {
        let reply =
            app.get(&format!("/ogc/collections/providers/items?limit=5&crs={}", urlencode(crs))).await.expect(200);
        assert_eq!(reply.headers["content-crs"], format!("<{uri}>").as_str());
        for (a, b) in plain.iter().zip(reply.features()) {
            let (lon, lat) = lon_lat(a);
            let c = &b["geometry"]["coordinates"];
            // JGD2011 and WGS84 agree far below a micro-degree here.
            assert!(
                (c[0].as_f64().unwrap() - lat).abs() < 1e-7 && (c[1].as_f64().unwrap() - lon).abs() < 1e-7,
                "{crs}: {c} vs {lon},{lat}"
            );
        }
    }
    let reply =
        app.get(&format!("/ogc/collections/providers/items?limit=1&crs={}", urlencode(CRS84))).await.expect(200);
    assert_eq!(reply.headers["content-crs"], format!("<{CRS84}>").as_str());
    assert_eq!(reply.features()[0]["geometry"], plain[0]["geometry"]);
}

#[tokio::test]
async fn epsg_6677_output_equals_cs2cs_within_a_centimetre() {
    let app = spawn_app().await;
    let plain = app.get("/ogc/collections/providers/items?limit=40").await.expect(200).features();
    let reply =
        app.get(&format!("/ogc/collections/providers/items?limit=40&crs={}", urlencode(EPSG6677))).await.expect(200);
    assert_eq!(reply.headers["content-crs"], format!("<{EPSG6677}>").as_str());
    let projected = reply.features();
    let input: Vec<[f64; 2]> = plain.iter().map(lon_lat).map(|(lon, lat)| [lat, lon]).collect();
    let expected = cs2cs("EPSG:4326", "EPSG:6677", &input);
    assert_eq!(projected.len(), expected.len());
    for (f, e) in projected.iter().zip(&expected) {
        let c = &f["geometry"]["coordinates"];
        let (northing, easting) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!((northing - e[0]).abs() < 0.01 && (easting - e[1]).abs() < 0.01, "{c} vs cs2cs {e:?}");
    }
    // One feature and the districts' polygons are converted the same way.
    let id = plain[0]["id"].as_str().unwrap();
    let one = app.get(&format!("/ogc/collections/providers/items/{id}?crs=EPSG:6677")).await.expect(200);
    assert_eq!(one.headers["content-crs"], format!("<{EPSG6677}>").as_str());
    assert_eq!(one.json()["geometry"], projected[0]["geometry"]);
    let north = app.get("/ogc/collections/districts/items/north?crs=EPSG:6677").await.expect(200).json();
    let first = &north["geometry"]["coordinates"][0][0][0];
    let lonlat = app.get("/ogc/collections/districts/items/north").await.expect(200).json();
    let p = &lonlat["geometry"]["coordinates"][0][0][0];
    let e = cs2cs("EPSG:4326", "EPSG:6677", &[[p[1].as_f64().unwrap(), p[0].as_f64().unwrap()]]);
    assert!((first[0].as_f64().unwrap() - e[0][0]).abs() < 0.01 && (first[1].as_f64().unwrap() - e[0][1]).abs() < 0.01);
    let bbox: Vec<f64> = north["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(
        bbox[0] <= first[0].as_f64().unwrap() && first[0].as_f64().unwrap() <= bbox[2],
        "bbox is in 6677 too: {bbox:?}"
    );
}

#[tokio::test]
async fn bbox_crs_4326_is_lat_lon() {
    let app = spawn_app().await;
    let lat_lon =
        ogc_ids(&app, "providers", &format!("bbox=35.83,139.88,35.87,139.92&bbox-crs={}", urlencode(EPSG4326))).await;
    assert!(!lat_lon.is_empty());
    assert_eq!(lat_lon, public_ids(&app, "bbox=139.88,35.83,139.92,35.87").await);
}

#[tokio::test]
async fn bbox_crs_6677_selects_exactly_the_providers_inside_the_projected_box() {
    let app = spawn_app().await;
    let projected = app.get("/ogc/collections/providers/items?limit=10000&crs=EPSG:6677").await.expect(200).features();
    let points: Vec<(String, f64, f64)> = projected
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (f["id"].as_str().unwrap().to_owned(), c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
        })
        .collect();
    // A box around the middle of the data, in metres (northing, easting).
    let mut ns: Vec<f64> = points.iter().map(|p| p.1).collect();
    let mut es: Vec<f64> = points.iter().map(|p| p.2).collect();
    ns.sort_by(f64::total_cmp);
    es.sort_by(f64::total_cmp);
    let (n0, n1, e0, e1) = (ns[ns.len() / 4], ns[3 * ns.len() / 4], es[es.len() / 4], es[3 * es.len() / 4]);
    let expected: Vec<String> = sorted(
        points.iter().filter(|p| (n0..=n1).contains(&p.1) && (e0..=e1).contains(&p.2)).map(|p| p.0.clone()).collect(),
    );
    assert!(expected.len() > 10, "{}", expected.len());
    let got = ogc_ids(&app, "providers", &format!("bbox={n0},{e0},{n1},{e1}&bbox-crs=EPSG:6677")).await;
    assert_eq!(got, expected);
}
