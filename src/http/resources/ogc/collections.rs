//! Collection metadata: `/ogc/collections` and `/ogc/collections/{id}`, with extents computed
//! from the current data (CRS84 box; `updated_at` range), the CRSs offered (Part 2) and links
//! to the items and queryables.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use geo::BoundingRect;
use serde::Serialize;
use time::OffsetDateTime;

use crate::address::centers::Centers;
use crate::catalog::Snapshot;
use crate::domain::ProviderFields;
use crate::spatial::crs::Crs;

use super::datetime::{format_utc, parse_timestamp};
use super::reproject::offered_uris;
use super::{
    Base, CollectionId, Format, GEOJSON, HTML, JSON, Link, REL_QUERYABLES, SCHEMA_JSON, format_only, html,
    json_response,
};
use crate::http::AppState;
use crate::http::error::ApiResult;

/// The temporal reference system of temporal extents (the Gregorian calendar).
const GREGORIAN: &str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian";

/// One collection's metadata, as in `/collections` and `/collections/{id}`.
#[derive(Debug, Serialize)]
pub struct CollectionOut {
    id: &'static str,
    title: &'static str,
    description: &'static str,
    #[serde(rename = "itemType")]
    item_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    extent: Option<Extent>,
    crs: Vec<&'static str>,
    #[serde(rename = "storageCrs")]
    storage_crs: &'static str,
    links: Vec<Link>,
}

#[derive(Debug, Serialize)]
struct Extent {
    #[serde(skip_serializing_if = "Option::is_none")]
    spatial: Option<Spatial>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temporal: Option<Temporal>,
}

#[derive(Debug, Serialize)]
struct Spatial {
    /// `[[minLon, minLat, maxLon, maxLat]]` in CRS84.
    bbox: Vec<[f64; 4]>,
    crs: &'static str,
}

#[derive(Debug, Serialize)]
struct Temporal {
    /// `[[earliest updated_at, latest updated_at]]`.
    interval: Vec<[String; 2]>,
    trs: &'static str,
}

#[derive(Serialize)]
struct CollectionsOut {
    links: Vec<Link>,
    collections: Vec<CollectionOut>,
}

/// Grows a `[minX, minY, maxX, maxY]` box to include another.
fn grow(acc: Option<[f64; 4]>, b: [f64; 4]) -> Option<[f64; 4]> {
    Some(match acc {
        None => b,
        Some(a) => [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])],
    })
}

/// The spatial and temporal extent of a collection's current features.
fn extent(collection: CollectionId, snapshot: &Snapshot, centers: &Centers) -> Option<Extent> {
    let mut bbox = None;
    let mut times: Option<(OffsetDateTime, OffsetDateTime)> = None;
    match collection.kinds() {
        Some(kinds) => {
            for p in snapshot.providers().filter(|p| kinds.contains(&p.kind())) {
                let (lon, lat) = (p.location().lon(), p.location().lat());
                bbox = grow(bbox, [lon, lat, lon, lat]);
                if let Some(t) = parse_timestamp(p.updated_at()) {
                    times = Some(times.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
                }
            }
        }
        None if collection == CollectionId::Coverage => bbox = super::coverage::extent(snapshot),
        None if collection == CollectionId::CommunityCenters => {
            for c in centers.all() {
                let (lon, lat) = (c.location.lon(), c.location.lat());
                bbox = grow(bbox, [lon, lat, lon, lat]);
            }
        }
        None => {
            for d in snapshot.districts() {
                if let Some(r) = d.area.bounding_rect() {
                    bbox = grow(bbox, [r.min().x, r.min().y, r.max().x, r.max().y]);
                }
            }
        }
    }
    let spatial = bbox.map(|b| Spatial { bbox: vec![b], crs: Crs::Crs84.uri() });
    let temporal = times.map(|(a, b)| Temporal { interval: vec![[format_utc(a), format_utc(b)]], trs: GREGORIAN });
    (spatial.is_some() || temporal.is_some()).then_some(Extent { spatial, temporal })
}

/// The link to a collection's queryables.
pub fn queryables_link(collection: CollectionId, base: &Base) -> Link {
    Link::new(
        base.url(&format!("/collections/{}/queryables", collection.id())),
        REL_QUERYABLES,
        SCHEMA_JSON,
        "検索条件（queryables）",
    )
}

/// The metadata of one collection.
pub fn collection_out(collection: CollectionId, snapshot: &Snapshot, centers: &Centers, base: &Base) -> CollectionOut {
    let path = format!("/collections/{}", collection.id());
    CollectionOut {
        id: collection.id(),
        title: collection.title(),
        description: collection.description(),
        item_type: "feature",
        extent: extent(collection, snapshot, centers),
        crs: offered_uris(),
        storage_crs: Crs::Crs84.uri(),
        links: [
            Link::new(base.url(&path), "self", JSON, "このコレクション（JSON）"),
            Link::new(base.url(&format!("{path}?f=html")), "alternate", HTML, "このコレクション（HTML）"),
            Link::new(base.url(&format!("{path}/items")), "items", GEOJSON, "地物（GeoJSON）"),
            Link::new(base.url(&format!("{path}/items?f=html")), "items", HTML, "地物（HTML）"),
            queryables_link(collection, base),
        ]
        .into_iter()
        .chain(super::tiles::tile_content(collection).map(|_| {
            Link::new(
                base.url(&format!("{path}/tiles")),
                super::tiles::REL_TILESETS_VECTOR,
                JSON,
                "ベクトルタイル（Mapbox Vector Tile）",
            )
        }))
        .collect(),
    }
}

/// `GET /ogc/collections[?f=json|html]`: every collection's metadata.
pub async fn collections_list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    base: Base,
) -> ApiResult<Response> {
    let format = format_only(query.as_deref(), &headers)?;
    let snapshot = state.catalog.snapshot();
    let body = CollectionsOut {
        links: vec![
            Link::new(base.url("/collections"), "self", JSON, "コレクション一覧（JSON）"),
            Link::new(base.url("/collections?f=html"), "alternate", HTML, "コレクション一覧（HTML）"),
        ],
        collections: CollectionId::ALL
            .iter()
            .map(|c| collection_out(*c, &snapshot, &state.community_centers.load(), &base))
            .collect(),
    };
    Ok(match format {
        Format::Json => json_response(&body, JSON),
        Format::Html => html::page("コレクション一覧", &serde_json::to_value(&body).unwrap_or_default()),
    })
}

/// `GET /ogc/collections/{collection_id}[?f=json|html]`: one collection's metadata, with a
/// `Link` header to its queryables.
pub async fn collection_get(
    State(state): State<AppState>,
    Path(collection_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    base: Base,
) -> ApiResult<Response> {
    let collection = CollectionId::from_path(&collection_id)?;
    let format = format_only(query.as_deref(), &headers)?;
    let body = collection_out(collection, &state.catalog.snapshot(), &state.community_centers.load(), &base);
    let mut response = match format {
        Format::Json => json_response(&body, JSON),
        Format::Html => html::page(collection.title(), &serde_json::to_value(&body).unwrap_or_default()),
    };
    if let Ok(v) = HeaderValue::from_str(&queryables_link(collection, &base).header_value()) {
        response.headers_mut().insert(header::LINK, v);
    }
    Ok(response)
}
