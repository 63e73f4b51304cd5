//! OGC API – Tiles (Part 1: core, tileset, tilesets list, geodata tilesets, MVT) over the
//! collections, in the WebMercatorQuad tile matrix set: its definition at
//! `/ogc/tileMatrixSets/WebMercatorQuad`, each collection's tileset list and tileset metadata,
//! and the tiles at `/ogc/collections/{id}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`
//! as Mapbox Vector Tiles. Provider tiles take the items' filters (queryables, `filter`).

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use geo::{Intersects, Rect, coord};
use serde_json::{Value, json};

use crate::catalog::Filter;
use crate::formats::mvt::{MVT, districts_tile, providers_tile};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::plumbing::params::Params;
use crate::spatial::web_mercator::{MAX_ZOOM, TileId, URI};

use super::filter::filter_param;
use super::{Base, CollectionId, Format, JSON, format_only, html, json_response, queryables};

/// The one tile matrix set served.
pub const TMS_ID: &str = "WebMercatorQuad";
/// Link relation of a collection's vector tilesets.
pub const REL_TILESETS_VECTOR: &str = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";

/// What a collection's tiles hold. Every collection must say (no wildcard arm), so a new
/// collection cannot get tiles of the wrong kind by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileContent {
    /// Provider points.
    Providers,
    /// District polygons.
    Districts,
}

/// What the collection's tiles hold; `None` for a collection without tiles.
pub fn tile_content(collection: CollectionId) -> Option<TileContent> {
    match collection {
        CollectionId::Providers | CollectionId::Care | CollectionId::Clinics => Some(TileContent::Providers),
        CollectionId::Districts => Some(TileContent::Districts),
        // The grid is computed per request over a whole area (its access scores depend on
        // every square), so it is served as features only, not cut into tiles.
        CollectionId::Coverage => None,
        // A handful of points: clients read them whole as features; the provider tiles are
        // cut from the provider catalogue, not from the centres.
        CollectionId::CommunityCenters => None,
    }
}

/// The collection named in a tiles path, when it has tiles.
fn tiled(collection_id: &str) -> ApiResult<(CollectionId, TileContent)> {
    let collection = CollectionId::from_path(collection_id)?;
    let content =
        tile_content(collection).ok_or_else(|| ApiError::NotFound(format!("tiles of collection '{collection_id}'")))?;
    Ok((collection, content))
}

fn tms_or_404(id: &str) -> ApiResult<()> {
    if id == TMS_ID { Ok(()) } else { Err(ApiError::NotFound(format!("tile matrix set '{id}'"))) }
}

fn respond(doc: &Value, format: Format, title: &str) -> Response {
    match format {
        Format::Json => json_response(doc, JSON),
        Format::Html => html::page(title, doc),
    }
}

/// The WebMercatorQuad definition (OGC 2D TileMatrixSet 2.0, JSON encoding).
fn tile_matrix_set(base: &Base) -> Value {
    let matrices: Vec<Value> = (0..=MAX_ZOOM)
        .map(|z| {
            let n = 1u64 << z;
            json!({
                "id": z.to_string(),
                "scaleDenominator": TileId::scale_denominator(z),
                "cellSize": TileId::cell_size_m(z),
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-crate::spatial::web_mercator::HALF_WORLD_M, crate::spatial::web_mercator::HALF_WORLD_M],
                "tileWidth": 256, "tileHeight": 256, "matrixWidth": n, "matrixHeight": n,
            })
        })
        .collect();
    json!({
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": URI,
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["E", "N"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
        "links": [{ "href": base.url(&format!("/tileMatrixSets/{TMS_ID}")), "rel": "self", "type": JSON }],
    })
}

/// `GET /ogc/tileMatrixSets`: the tile matrix sets served.
pub async fn tile_matrix_sets_list(RawQuery(raw): RawQuery, headers: HeaderMap, base: Base) -> ApiResult<Response> {
    let format = format_only(raw.as_deref(), &headers)?;
    let href = base.url(&format!("/tileMatrixSets/{TMS_ID}"));
    let doc = json!({ "tileMatrixSets": [{ "id": TMS_ID, "title": "WebMercatorQuad", "uri": URI,
        "links": [{ "href": href, "rel": "self", "type": JSON }] }] });
    Ok(respond(&doc, format, "タイル行列セット"))
}

/// `GET /ogc/tileMatrixSets/{id}`: the definition of WebMercatorQuad.
pub async fn tile_matrix_set_get(
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    base: Base,
) -> ApiResult<Response> {
    tms_or_404(&id)?;
    let format = format_only(raw.as_deref(), &headers)?;
    Ok(respond(&tile_matrix_set(&base), format, "WebMercatorQuad"))
}

/// The tileset metadata of a collection.
fn tileset(collection: CollectionId, content: TileContent, base: &Base) -> Value {
    let path = format!("/collections/{}/tiles/{TMS_ID}", collection.id());
    let geometry = match content {
        TileContent::Providers => "points",
        TileContent::Districts => "polygons",
    };
    json!({
        "title": format!("{}（ベクトルタイル）", collection.title()),
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": URI,
        "layers": [{ "id": collection.id(), "dataType": "vector", "geometryDimension": if geometry == "points" { 0 } else { 2 },
                     "minTileMatrix": "0", "maxTileMatrix": MAX_ZOOM.to_string() }],
        "links": [
            { "href": base.url(&path), "rel": "self", "type": JSON, "title": "このタイルセット" },
            { "href": base.url(&format!("/tileMatrixSets/{TMS_ID}")),
              "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "type": JSON },
            { "href": base.url(&format!("/collections/{}", collection.id())), "rel": "collection", "type": JSON },
            { "href": base.url(&format!("{path}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}")), "rel": "item",
              "type": MVT, "templated": true, "title": "Mapbox Vector Tile" },
        ],
    })
}

/// `GET /ogc/collections/{id}/tiles`: the collection's tilesets (one, WebMercatorQuad).
pub async fn tilesets_list(
    Path(collection_id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    base: Base,
) -> ApiResult<Response> {
    let (collection, content) = tiled(&collection_id)?;
    let format = format_only(raw.as_deref(), &headers)?;
    let mut set = tileset(collection, content, &base);
    set["tileMatrixSetURI"] = json!(URI);
    let doc = json!({ "tilesets": [set], "links": [
        { "href": base.url(&format!("/collections/{}/tiles", collection.id())), "rel": "self", "type": JSON }] });
    Ok(respond(&doc, format, &format!("{} – タイルセット", collection.title())))
}

/// `GET /ogc/collections/{id}/tiles/WebMercatorQuad`: the tileset metadata.
pub async fn tileset_get(
    Path((collection_id, tms)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    base: Base,
) -> ApiResult<Response> {
    let (collection, content) = tiled(&collection_id)?;
    tms_or_404(&tms)?;
    let format = format_only(raw.as_deref(), &headers)?;
    Ok(respond(&tileset(collection, content, &base), format, &format!("{} – タイルセット", collection.title())))
}

/// `GET /ogc/collections/{id}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`: a
/// Mapbox Vector Tile with one layer named after the collection; provider tiles take the
/// queryables and `filter`/`filter-lang`/`filter-crs` of the items.
pub async fn tile_get(
    State(state): State<AppState>,
    Path((collection_id, tms, z, row, col)): Path<(String, String, String, String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let (collection, content) = tiled(&collection_id)?;
    tms_or_404(&tms)?;
    let number = |name: &str, v: &str| v.parse::<u32>().map_err(|_| ApiError::param(name, "must be a whole number"));
    let tile = TileId::new(number("tileMatrix", &z)?, number("tileRow", &row)?, number("tileCol", &col)?).map_err(
        |reason| {
            let name = if reason.contains("row") {
                "tileRow"
            } else if reason.contains("column") {
                "tileCol"
            } else {
                "tileMatrix"
            };
            ApiError::param(name, reason)
        },
    )?;
    let snapshot = state.catalog.snapshot();
    let mut params = Params::parse(raw.as_deref())?.judging_staleness_by(state.vacancy_clock());
    let mut filter = Filter::default();
    if content == TileContent::Providers {
        filter = queryables::filter_params(&mut params, collection, &snapshot);
        if let Some((expr, lang)) = filter_param(&mut params) {
            let combined = match filter.cql.take() {
                Some(equalities) => (*equalities).clone().and(expr),
                None => expr,
            };
            filter.cql = Some(std::sync::Arc::new(combined));
            state.metrics.record_filter(lang);
        }
    }
    params.finish()?;
    let bbox = tile.bbox();
    let bytes = if content == TileContent::Providers {
        let found = snapshot.in_bbox(&bbox, &filter);
        let providers: Vec<_> = found.iter().map(|f| f.provider).collect();
        providers_tile(tile, collection.id(), &providers)
    } else {
        let rect =
            Rect::new(coord! { x: bbox.min.lon(), y: bbox.min.lat() }, coord! { x: bbox.max.lon(), y: bbox.max.lat() });
        let districts: Vec<_> = snapshot
            .districts()
            .iter()
            .filter(|d| d.area.intersects(&rect))
            .map(|d| (d, snapshot.all(&Filter { district: Some(d.id.clone()), ..Filter::default() }).len()))
            .collect();
        districts_tile(tile, collection.id(), &districts)
    }
    .map_err(|e| ApiError::Internal(format!("encoding a vector tile: {e}")))?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(MVT))], bytes).into_response())
}
