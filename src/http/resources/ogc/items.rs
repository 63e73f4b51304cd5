//! Features: `/ogc/collections/{id}/items` (paged, filtered by `bbox`, `datetime`, the
//! queryables, a CQL2 `filter` and the `near`/`k` extension, sorted by `sortby`, reduced to
//! `properties`, in any offered CRS) and `/ogc/collections/{id}/items/{featureId}`. Provider
//! features are the public API's [`FeatureOut`]; pages are ordered by id (nearest first with
//! `near`; by `sortby` then id when given), so paging is stable.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::catalog::{Filter, Found, Record, Snapshot, SortBy};
use crate::domain::{District, LonLat, ProviderFields};
use crate::formats::geojson::FeatureOut;
use crate::spatial::crs::{Crs, CrsError};
use crate::spatial::index::{Stop, Stopped};

use super::collections::queryables_link;
use super::datetime::{Interval, format_utc};
use super::filter::filter_param;
use super::links::{Query, segment};
use super::reproject::{BboxQuery, crs_param, feature_value_out, position_out};
use super::{Base, CollectionId, Format, GEOJSON, HTML, JSON, Link, html, json_response, queryables};
use crate::http::error::{ApiError, ApiResult};
use crate::http::plumbing::output::{feature_selecting, parse_properties};
use crate::http::plumbing::params::Params;
use crate::http::{AppState, DEFAULT_LIMIT, MAX_K, MAX_LIMIT, districts};

/// Default `k` of the `near` extension.
pub const DEFAULT_K: u64 = 10;

/// What an items request asks for, validated.
#[derive(Debug)]
struct ItemsQuery {
    limit: usize,
    offset: usize,
    crs: Crs,
    bbox: Option<BboxQuery>,
    datetime: Option<Interval>,
    near: Option<(LonLat, usize)>,
    filter: Filter,
    /// The `filter-lang` of a CQL2 `filter`, when one was given.
    filter_lang: Option<&'static str>,
    sortby: SortBy,
    properties: Option<Vec<String>>,
    format: Format,
}

fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// The paging and spatial parameters every collection's items share.
pub(super) struct Window {
    pub(super) limit: usize,
    pub(super) offset: usize,
    pub(super) crs: Crs,
    pub(super) bbox: Option<BboxQuery>,
}

/// Reads `limit`, `offset`, `crs`, `bbox` and `bbox-crs`; errors name the parameter.
pub(super) fn window(params: &mut Params) -> Window {
    let limit = to_usize(params.integer("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT));
    let offset = to_usize(params.integer("offset", 0, 0..=u64::from(u32::MAX)));
    let crs = crs_param(params, "crs").unwrap_or(Crs::Crs84);
    let bbox_crs_given = params.has("bbox-crs");
    let bbox_crs = crs_param(params, "bbox-crs");
    let bbox = match params.raw("bbox") {
        Some(raw) if bbox_crs.is_some() || !bbox_crs_given => {
            BboxQuery::parse(&raw, bbox_crs.unwrap_or(Crs::Crs84)).map_err(|reason| params.error("bbox", reason)).ok()
        }
        Some(_) => None,
        None if bbox_crs_given => {
            params.error("bbox-crs", "is given without bbox");
            None
        }
        None => None,
    };
    Window { limit, offset, crs, bbox }
}

/// Reads every parameter of an items request; parameters a collection does not have
/// (`datetime`, `near`, `k` and the queryables on districts) are left for
/// [`Params::finish`] to refuse as unknown.
fn items_query(params: &mut Params, collection: CollectionId, snapshot: &Snapshot, headers: &HeaderMap) -> ItemsQuery {
    let bbox_given = params.has("bbox");
    let Window { limit, offset, crs, bbox } = window(params);
    let mut query = ItemsQuery {
        limit,
        offset,
        crs,
        bbox,
        datetime: None,
        near: None,
        filter: Filter::default(),
        filter_lang: None,
        sortby: SortBy::default(),
        properties: None,
        format: Format::Json,
    };
    if collection.kinds().is_some() {
        query.datetime =
            params.raw("datetime").and_then(|raw| Interval::parse(&raw).map_err(|r| params.error("datetime", r)).ok());
        let near_given = params.has("near");
        let k_given = params.has("k");
        if near_given && bbox_given {
            params.error("near", "cannot be combined with bbox");
        }
        let center = params.position("near");
        let k = to_usize(params.integer("k", DEFAULT_K, 1..=MAX_K));
        if k_given && !near_given {
            params.error("k", "is only used with near");
        }
        query.near = center.map(|c| (c, k));
        query.filter = queryables::filter_params(params, collection, snapshot);
        if let Some((expr, lang)) = filter_param(params) {
            query.filter.cql = Some(std::sync::Arc::new(match query.filter.cql.take() {
                Some(equalities) => (*equalities).clone().and(expr),
                None => expr,
            }));
            query.filter_lang = Some(lang);
        }
        if let Some(raw) = params.raw("sortby") {
            query.sortby = SortBy::parse(&raw).unwrap_or_else(|reason| {
                params.error("sortby", reason);
                SortBy::default()
            });
        }
        query.properties = params
            .raw("properties")
            .and_then(|raw| parse_properties(&raw).map_err(|r| params.error("properties", r)).ok());
    }
    query.format = Format::from_params(params, true, headers);
    query
}

/// Keeps the items for which `keep` holds; a conversion failure is a 400 naming `param`.
fn retain_fallible<T>(items: &mut Vec<T>, param: &str, keep: impl Fn(&T) -> Result<bool, CrsError>) -> ApiResult<()> {
    let mut kept = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        if keep(&item).map_err(|e| ApiError::param(param, e.to_string()))? {
            kept.push(item);
        }
    }
    *items = kept;
    Ok(())
}

/// The matching providers in page order (by id, or nearest first with `near`); gives up with
/// [`Stopped`] when `stop` says so.
fn matching_providers<'s>(
    snapshot: &'s Snapshot,
    q: &ItemsQuery,
    stop: &Stop,
) -> Result<ApiResult<Vec<Found<'s>>>, Stopped> {
    let in_time = |f: &Found<'_>| q.datetime.is_none_or(|i| i.matches(f.provider.updated_at()));
    if let Some((center, k)) = q.near {
        // With a time filter the nearest walk cannot skip by time, so rank every match.
        let want = if q.datetime.is_some() { snapshot.len().max(1) } else { k };
        let mut found = snapshot.nearest(center, want, None, &q.filter);
        found.retain(in_time);
        found.truncate(k);
        q.sortby.sort(&mut found);
        return Ok(Ok(found));
    }
    let mut found = match &q.bbox {
        Some(b) => snapshot.in_bbox_until(&b.envelope, &q.filter, stop)?,
        None => snapshot.matching_until(&q.filter, stop)?,
    };
    found.retain(in_time);
    if let Some(b) = &q.bbox
        && let Err(e) = retain_fallible(&mut found, "bbox", |f| b.contains(f.provider.location()))
    {
        return Ok(Err(e));
    }
    q.sortby.sort(&mut found);
    Ok(Ok(found))
}

/// The matching districts, by id.
fn matching_districts<'s>(snapshot: &'s Snapshot, q: &ItemsQuery) -> ApiResult<Vec<&'s District>> {
    let mut found: Vec<&District> = snapshot.districts().iter().collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(b) = &q.bbox {
        retain_fallible(&mut found, "bbox", |d| b.intersects(&d.area))?;
    }
    Ok(found)
}

/// A provider Feature in `crs`, with every property or only those of `properties=`.
#[derive(Serialize)]
#[serde(untagged)]
// Features are written straight from a page's Vec; boxing the common variant would cost an
// allocation per feature to save memory only while a page is encoded.
#[allow(clippy::large_enum_variant)]
enum ProviderFeature<'p> {
    Full(FeatureOut<'p, Record>),
    Selected(Value),
}

/// A provider Feature in `crs`, reduced to `keep` when given.
fn provider_feature<'p>(
    f: &Found<'p>,
    crs: Crs,
    keep: Option<&[String]>,
    clock: &crate::domain::VacancyClock,
) -> ApiResult<ProviderFeature<'p>> {
    let mut out = FeatureOut::new(f.provider, f.distance_m).fresh(clock);
    if crs != Crs::Crs84 {
        let coordinates =
            position_out(f.provider.location(), crs).map_err(|e| ApiError::param("crs", e.to_string()))?;
        out = out.with_coordinates(coordinates);
    }
    match keep {
        None => Ok(ProviderFeature::Full(out)),
        Some(keep) => {
            feature_selecting(&out, keep).map(ProviderFeature::Selected).map_err(|e| ApiError::Internal(e.to_string()))
        }
    }
}

/// A district Feature (with its provider count) in `crs`.
fn district_feature(snapshot: &Snapshot, d: &District, crs: Crs) -> ApiResult<Value> {
    let mut value = districts::feature(snapshot, d);
    feature_value_out(&mut value, crs).map_err(|e| ApiError::param("crs", e.to_string()))?;
    Ok(value)
}

#[derive(Serialize)]
struct FeatureCollectionOut<F: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "timeStamp")]
    time_stamp: String,
    #[serde(rename = "numberMatched")]
    number_matched: usize,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    features: Vec<F>,
    links: Vec<Link>,
}

/// A single Feature with its links (the provider's own Feature, flattened).
#[derive(Serialize)]
struct LinkedFeature<'a> {
    #[serde(flatten)]
    feature: ProviderFeature<'a>,
    links: Vec<Link>,
}

/// The links of a page: `self`, `alternate`, `collection`, and `next`/`prev` typed like `self`.
pub(super) fn page_links(
    base: &Base,
    collection: CollectionId,
    query: &Query,
    (format, limit, offset): (Format, usize, usize),
    matched: usize,
) -> Vec<Link> {
    let items = base.url(&format!("/collections/{}/items", collection.id()));
    let (own, other, other_query) = match format {
        Format::Json => (GEOJSON, HTML, query.with("f", "html")),
        Format::Html => (HTML, GEOJSON, query.with("f", "json")),
    };
    let mut links = vec![
        Link::new(format!("{items}{}", query.suffix()), "self", own, "このページ"),
        Link::new(format!("{items}{}", other_query.suffix()), "alternate", other, "このページ（別の形式）"),
        Link::new(base.url(&format!("/collections/{}", collection.id())), "collection", JSON, collection.title()),
    ];
    let limit_text = limit.to_string();
    if offset.saturating_add(limit) < matched {
        let next = query.with("limit", &limit_text).with("offset", &(offset + limit).to_string());
        links.push(Link::new(format!("{items}{}", next.suffix()), "next", own, "次のページ"));
    }
    if offset > 0 {
        let prev = query.with("limit", &limit_text).with("offset", &offset.saturating_sub(limit).to_string());
        links.push(Link::new(format!("{items}{}", prev.suffix()), "prev", own, "前のページ"));
    }
    links
}

/// The links of a single feature: `self`, `alternate` and `collection`.
pub(super) fn item_links(
    base: &Base,
    collection: CollectionId,
    feature_id: &str,
    raw: Option<&str>,
    format: Format,
) -> Vec<Link> {
    let query = Query::parse(raw);
    let href = base.url(&format!("/collections/{}/items/{}", collection.id(), segment(feature_id)));
    let (own, other, other_query) = match format {
        Format::Json => (GEOJSON, HTML, query.with("f", "html")),
        Format::Html => (HTML, GEOJSON, query.with("f", "json")),
    };
    vec![
        Link::new(format!("{href}{}", query.suffix()), "self", own, "この地物"),
        Link::new(format!("{href}{}", other_query.suffix()), "alternate", other, "この地物（別の形式）"),
        Link::new(base.url(&format!("/collections/{}", collection.id())), "collection", JSON, collection.title()),
    ]
}

/// Adds `Content-Crs` (Part 2) and, for filterable collections, the queryables `Link` header.
pub(super) fn with_headers(mut response: Response, crs: Crs, queryables: Option<Link>) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", crs.uri())) {
        response.headers_mut().insert("content-crs", v);
    }
    if let Some(v) = queryables.and_then(|l| HeaderValue::from_str(&l.header_value()).ok()) {
        response.headers_mut().insert(header::LINK, v);
    }
    response
}

pub(super) fn render<F: Serialize>(body: &F, format: Format, title: &str) -> Response {
    match format {
        Format::Json => json_response(body, GEOJSON),
        Format::Html => html::page(title, &serde_json::to_value(body).unwrap_or_default()),
    }
}

/// `GET /ogc/collections/{collection_id}/items`: a page of features as a GeoJSON
/// FeatureCollection with exact `numberMatched`, `numberReturned`, `timeStamp` and a `next`
/// link only when more remain.
pub async fn items_list(
    State(state): State<AppState>,
    Path(collection_id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    base: Base,
) -> ApiResult<Response> {
    let collection = CollectionId::from_path(&collection_id)?;
    if collection == CollectionId::Coverage {
        return super::coverage::items_list(state, raw, headers, base).await;
    }
    if collection == CollectionId::CommunityCenters {
        return super::centers::items_list(&state, raw.as_deref(), &headers, &base);
    }
    let snapshot = state.catalog.snapshot();
    let clock = state.vacancy_clock();
    let mut params = Params::parse(raw.as_deref())?.judging_staleness_by(clock.clone());
    let q = items_query(&mut params, collection, &snapshot, &headers);
    params.finish()?;
    if let Some(lang) = q.filter_lang {
        state.metrics.record_filter(lang);
    }
    let links_query = Query::parse(raw.as_deref());
    let time_stamp = format_utc(OffsetDateTime::now_utc());
    let title = format!("{} – 地物", collection.title());
    let crs = q.crs;
    let response = if collection.kinds().is_some() {
        // A page of providers can mean a walk over the whole catalog: a heavy query.
        let base = base.clone();
        state
            .limits
            .run_heavy(move |stop| {
                let found = match matching_providers(&snapshot, &q, stop)? {
                    Ok(found) => found,
                    Err(e) => return Ok(Err(e)),
                };
                let features = found
                    .iter()
                    .skip(q.offset)
                    .take(q.limit)
                    .map(|f| provider_feature(f, q.crs, q.properties.as_deref(), &clock));
                let features = match features.collect::<ApiResult<Vec<_>>>() {
                    Ok(features) => features,
                    Err(e) => return Ok(Err(e)),
                };
                let body = FeatureCollectionOut {
                    kind: "FeatureCollection",
                    time_stamp,
                    number_matched: found.len(),
                    number_returned: features.len(),
                    links: page_links(&base, collection, &links_query, (q.format, q.limit, q.offset), found.len()),
                    features,
                };
                Ok(Ok(render(&body, q.format, &title)))
            })
            .await??
    } else {
        let found = matching_districts(&snapshot, &q)?;
        let features = found
            .iter()
            .skip(q.offset)
            .take(q.limit)
            .map(|d| district_feature(&snapshot, d, q.crs))
            .collect::<ApiResult<Vec<_>>>()?;
        let body = FeatureCollectionOut {
            kind: "FeatureCollection",
            time_stamp,
            number_matched: found.len(),
            number_returned: features.len(),
            links: page_links(&base, collection, &links_query, (q.format, q.limit, q.offset), found.len()),
            features,
        };
        render(&body, q.format, &title)
    };
    Ok(with_headers(response, crs, Some(queryables_link(collection, &base))))
}

/// `GET /ogc/collections/{collection_id}/items/{feature_id}[?crs=][&f=]`: one feature with
/// `self`, `alternate` and `collection` links.
pub async fn item_get(
    State(state): State<AppState>,
    Path((collection_id, feature_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    base: Base,
) -> ApiResult<Response> {
    let collection = CollectionId::from_path(&collection_id)?;
    if collection == CollectionId::Coverage {
        return super::coverage::item_get(state, feature_id, raw, headers, base).await;
    }
    if collection == CollectionId::CommunityCenters {
        return super::centers::item_get(&state, &feature_id, raw.as_deref(), &headers, &base);
    }
    let snapshot = state.catalog.snapshot();
    let clock = state.vacancy_clock();
    let mut params = Params::parse(raw.as_deref())?.judging_staleness_by(clock.clone());
    let crs = crs_param(&mut params, "crs").unwrap_or(Crs::Crs84);
    let properties = match collection.kinds() {
        Some(_) => params
            .raw("properties")
            .and_then(|raw| parse_properties(&raw).map_err(|r| params.error("properties", r)).ok()),
        None => None,
    };
    let format = Format::from_params(&mut params, true, &headers);
    params.finish()?;
    let not_found = || ApiError::NotFound(format!("feature '{feature_id}' in collection '{}'", collection.id()));
    let links = item_links(&base, collection, &feature_id, raw.as_deref(), format);
    let response = match collection.kinds() {
        Some(kinds) => {
            let provider = snapshot.get(&feature_id).filter(|p| kinds.contains(&p.kind())).ok_or_else(not_found)?;
            let feature = provider_feature(&Found { provider, distance_m: None }, crs, properties.as_deref(), &clock)?;
            render(&LinkedFeature { feature, links }, format, provider.name())
        }
        None => {
            let district = snapshot.district(&feature_id).ok_or_else(not_found)?;
            let mut value = district_feature(&snapshot, district, crs)?;
            value["links"] = serde_json::to_value(&links).map_err(|e| ApiError::Internal(e.to_string()))?;
            render(&value, format, &district.name)
        }
    };
    Ok(with_headers(response, crs, None))
}
