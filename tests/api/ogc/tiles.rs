//! OGC API – Tiles: the tile matrix set, tileset metadata and tile responses (the tiles'
//! content is decoded by GDAL's MVT driver in tests/api/gdal.rs).

use super::*;

const MVT: &str = "application/vnd.mapbox-vector-tile";

#[tokio::test]
async fn web_mercator_quad_is_defined_and_linked_from_the_landing_page() {
    let app = spawn_app().await;
    let landing = app.get("/ogc").await.expect(200).json();
    let list = follow(&app, &href(&landing, "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", None)).await;
    let sets = list.expect(200).json();
    assert_eq!(sets["tileMatrixSets"][0]["id"], "WebMercatorQuad");
    let tms = app.get("/ogc/tileMatrixSets/WebMercatorQuad").await.expect(200).json();
    assert_eq!(tms["crs"], "http://www.opengis.net/def/crs/EPSG/0/3857");
    let z14 = &tms["tileMatrices"][14];
    assert_eq!(
        (z14["id"].as_str(), z14["matrixWidth"].as_u64(), z14["tileWidth"].as_u64()),
        (Some("14"), Some(16384), Some(256))
    );
    assert!((z14["scaleDenominator"].as_f64().unwrap() - 34_123.673_3).abs() < 0.01, "{z14}");
    app.get("/ogc/tileMatrixSets/WorldCRS84Quad").await.expect_problem(404, "WorldCRS84Quad");
}

#[tokio::test]
async fn each_collection_links_a_tileset_whose_tile_template_answers_with_vector_tiles() {
    let app = spawn_app().await;
    for c in COLLECTIONS {
        let collection = app.get(&format!("/ogc/collections/{c}")).await.expect(200).json();
        if c == "coverage" || c == "community-centers" {
            // The grid is computed per request over a whole area, and the centres are a handful
            // of points: features only, no tiles.
            assert!(link(&collection, "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", None).is_none());
            app.get(&format!("/ogc/collections/{c}/tiles/WebMercatorQuad/12/1610/3639")).await.expect_problem(404, c);
            continue;
        }
        let tilesets =
            follow(&app, &href(&collection, "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", None)).await;
        let tileset = &tilesets.expect(200).json()["tilesets"][0];
        assert_eq!(tileset["dataType"], "vector");
        let meta = follow(&app, &href(tileset, "self", None)).await.expect(200).json();
        assert_eq!(meta["layers"][0]["id"], c, "the layer is named after the collection");
        let template = href(&meta, "item", Some(MVT));
        let url = template.replace("{tileMatrix}", "12").replace("{tileRow}", "1610").replace("{tileCol}", "3639");
        let tile = follow(&app, &url).await.expect(200);
        assert_eq!(tile.content_type, MVT);
        assert!(!tile.body.is_empty(), "{c}: the city hall lies in tile 12/1610/3639");
    }
}

#[tokio::test]
async fn bad_tiles_and_parameters_are_problems_naming_them() {
    let app = spawn_app().await;
    let base = "/ogc/collections/providers/tiles/WebMercatorQuad";
    app.get(&format!("{base}/23/0/0")).await.expect_problem(400, "tileMatrix");
    app.get(&format!("{base}/2/4/0")).await.expect_problem(400, "tileRow");
    app.get(&format!("{base}/2/0/x")).await.expect_problem(400, "tileCol");
    app.get("/ogc/collections/providers/tiles/Other/0/0/0").await.expect_problem(404, "Other");
    app.get(&format!("{base}/0/0/0?colour=red")).await.expect_problem(400, "colour");
    app.get(&format!("{base}/0/0/0?filter=nmae%3D'x'")).await.expect_problem(400, "filter");
    app.get("/ogc/collections/districts/tiles/WebMercatorQuad/0/0/0?kind=care").await.expect_problem(400, "kind");
    // A filter that matches nothing gives a tile with an empty layer, smaller than the full one.
    let full = app.get(&format!("{base}/12/1610/3639")).await.expect(200).body.len();
    let none = app.get(&format!("{base}/12/1610/3639?filter=FALSE")).await.expect(200).body.len();
    assert!(none < full / 10, "{none} vs {full}");
}
