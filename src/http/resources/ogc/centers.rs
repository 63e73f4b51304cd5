//! The 地域包括支援センター as the OGC collection `community-centers`: points with `name`,
//! `address`, `phone` and `areas` (the 担当区域, 町丁目 names), the same Features as
//! `/api/community-centers`. Items are paged by id, filtered by `bbox` (any offered
//! `bbox-crs`) and served in any offered `crs`; there are no other queryables and no tiles.

use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::address::centers::CommunityCenter;
use crate::spatial::crs::Crs;

use super::collections::queryables_link;
use super::datetime::format_utc;
use super::items::{item_links, page_links, render, window, with_headers};
use super::links::Query;
use super::reproject::{crs_param, feature_value_out};
use super::{Base, CollectionId, Format};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::plumbing::params::Params;
use crate::http::resources::community_centers;

const COLLECTION: CollectionId = CollectionId::CommunityCenters;

/// A centre as a Feature in `crs`.
fn feature_in(c: &CommunityCenter, crs: Crs) -> ApiResult<Value> {
    let mut value =
        serde_json::to_value(community_centers::feature(c)).map_err(|e| ApiError::Internal(e.to_string()))?;
    feature_value_out(&mut value, crs).map_err(|e| ApiError::param("crs", e.to_string()))?;
    Ok(value)
}

/// `GET /ogc/collections/community-centers/items`: a page of centres by id, with
/// `numberMatched`, `numberReturned` and `next`/`prev` links.
pub fn items_list(state: &AppState, raw: Option<&str>, headers: &HeaderMap, base: &Base) -> ApiResult<Response> {
    let mut params = Params::parse(raw)?;
    let w = window(&mut params);
    let format = Format::from_params(&mut params, true, headers);
    params.finish()?;
    let centers = state.community_centers.load_full();
    let mut found: Vec<&CommunityCenter> = centers.all().iter().collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(b) = &w.bbox {
        let mut kept = Vec::with_capacity(found.len());
        for c in found {
            let inside = b.envelope.contains(c.location)
                && b.contains(c.location).map_err(|e| ApiError::param("bbox", e.to_string()))?;
            if inside {
                kept.push(c);
            }
        }
        found = kept;
    }
    let features =
        found.iter().skip(w.offset).take(w.limit).map(|c| feature_in(c, w.crs)).collect::<ApiResult<Vec<_>>>()?;
    let body = json!({
        "type": "FeatureCollection",
        "timeStamp": format_utc(OffsetDateTime::now_utc()),
        "numberMatched": found.len(),
        "numberReturned": features.len(),
        "features": features,
        "links": page_links(base, COLLECTION, &Query::parse(raw), (format, w.limit, w.offset), found.len()),
    });
    let title = format!("{} – 地物", COLLECTION.title());
    Ok(with_headers(render(&body, format, &title), w.crs, Some(queryables_link(COLLECTION, base))))
}

/// `GET /ogc/collections/community-centers/items/{id}[?crs=][&f=]`: one centre with `self`,
/// `alternate` and `collection` links; 404 for an unknown id.
pub fn item_get(
    state: &AppState,
    feature_id: &str,
    raw: Option<&str>,
    headers: &HeaderMap,
    base: &Base,
) -> ApiResult<Response> {
    let mut params = Params::parse(raw)?;
    let crs = crs_param(&mut params, "crs").unwrap_or(Crs::Crs84);
    let format = Format::from_params(&mut params, true, headers);
    params.finish()?;
    let centers = state.community_centers.load_full();
    let center = centers
        .all()
        .iter()
        .find(|c| c.id == feature_id)
        .ok_or_else(|| ApiError::NotFound(format!("feature '{feature_id}' in collection '{}'", COLLECTION.id())))?;
    let mut value = feature_in(center, crs)?;
    let links = item_links(base, COLLECTION, feature_id, raw, format);
    value["links"] = serde_json::to_value(&links).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(with_headers(render(&value, format, &center.name), crs, None))
}
