//! Address points and 地域包括支援センター from the staff page:
//! `POST /api/admin/imports?source=isj-oaza|isj-gaiku|abr|community-centers[&dry_run=true|false][&city=CODE][&crs=]`
//! (admin role: each replaces a whole layer, every 町字 of a city or every centre), with the
//! files as the file parts of a `multipart/form-data` body (ABR's 町字マスター, its position
//! extension and the 住居 files as several parts of one form; each is recognised by its
//! columns) or one file as the raw body (`name=` gives its file name). The same imports as
//! `caremap import --source …` ([`crate::import::address`], [`crate::import::community_centers`]).
//!
//! A dry run (the default) answers the report of what a commit would store: per file its rows,
//! the 町字 / 街区 / 住居 counts, the cities, and the first skipped rows with the reason (for
//! centres, the counts of centres and 担当区域 entries). A commit writes in one transaction,
//! then rebuilds the in-memory gazetteer (or centres) and swaps it in, so `/api/geocode` and
//! `/api/community-centers` answer with the new data at once. A file that cannot be read, or
//! lacks a required column, is a 422 naming the file and the column, and changes nothing.

use std::sync::Mutex;

use axum::extract::Request;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::access::Role;
use crate::import::address::{AddressOptions, AddressSource};
use crate::import::{CityCode, InputFile, address, community_centers};
use crate::spatial::crs::Crs;

use super::imports::{Upload, bad_form, import_error, upload};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult, off_thread};
use crate::http::plumbing::authenticate::StaffUser;
use crate::http::plumbing::params::Params;

/// The `source` of a centre import.
pub const CENTERS_SOURCE: &str = "community-centers";

/// One address or centre write at a time, so two imports (or an import and a centre edit)
/// store and publish in the same order.
pub(crate) static LAYER_WRITES: Mutex<()> = Mutex::new(());

/// What an address-layer import reads.
#[derive(Debug, Clone, Copy)]
enum Layer {
    Addresses(AddressSource),
    Centers,
}

/// The layer an import request is for, when `source=` names an address source or the centres.
pub(super) fn asks_for_layer(query: Option<&str>) -> bool {
    layer_of(query).is_some()
}

fn layer_of(query: Option<&str>) -> Option<Layer> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes()).find(|(k, _)| k == "source").and_then(|(_, v)| {
        if v == CENTERS_SOURCE { Some(Layer::Centers) } else { AddressSource::parse(&v).map(Layer::Addresses) }
    })
}

/// Reads the files and, unless `dry_run`, stores them and swaps the served layer.
fn run(
    state: &AppState,
    layer: Layer,
    options: &AddressOptions,
    files: &[InputFile],
    actor: &str,
) -> ApiResult<serde_json::Value> {
    let _guard = (!options.dry_run).then(|| LAYER_WRITES.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    let store = state.store.as_ref();
    let published = |e: crate::store::StoreError| {
        ApiError::Internal(format!("the import was stored but the served layer could not be rebuilt: {e}"))
    };
    match layer {
        Layer::Addresses(source) => {
            let options = AddressOptions { source, ..options.clone() };
            let report = address::import(store, &options, files).map_err(import_error)?;
            if !options.dry_run {
                state.reload_addresses().map_err(published)?;
                tracing::info!(source = source.as_str(), cities = ?report.cities, towns = report.towns,
                    blocks = report.blocks, residences = report.residences, "address points imported");
            }
            serde_json::to_value(&report).map_err(|e| ApiError::Internal(e.to_string()))
        }
        Layer::Centers => {
            let addresses = state.addresses.load();
            let report = community_centers::import_by(store, files, options.dry_run, actor, Some(&addresses))
                .map_err(import_error)?;
            if !options.dry_run {
                state.reload_community_centers().map_err(published)?;
                tracing::info!(centers = report.centers, "地域包括支援センター imported");
            }
            let mut value = serde_json::to_value(&report).map_err(|e| ApiError::Internal(e.to_string()))?;
            value["source"] = CENTERS_SOURCE.into();
            Ok(value)
        }
    }
}

/// `POST /api/admin/imports?source=isj-oaza|isj-gaiku|abr|community-centers…` (see the module
/// header).
pub(super) async fn layer_import(
    state: AppState,
    user: StaffUser,
    query: Option<String>,
    request: Request,
) -> ApiResult<Response> {
    user.require(Role::Admin)?;
    let layer = layer_of(query.as_deref()).ok_or_else(|| ApiError::param("source", "is not an address source"))?;
    let mut params = Params::parse(query.as_deref())?;
    let _ = params.raw("source");
    let dry_run = params.boolean("dry_run").unwrap_or(true);
    let city = params.raw("city").and_then(|raw| CityCode::parse(&raw).map_err(|r| params.error("city", r)).ok());
    let crs = params.raw("crs").and_then(|raw| Crs::parse(&raw).map_err(|e| params.error("crs", e.to_string())).ok());
    let name = params.text("name");
    if matches!(layer, Layer::Centers) && (city.is_some() || crs.is_some()) {
        params.error(if city.is_some() { "city" } else { "crs" }, "does not apply to community-centers");
    }
    params.finish()?;
    let Upload { files, .. } = upload(request, &state, name, &[]).await?;
    if files.is_empty() || files.iter().all(|f| f.bytes.is_empty()) {
        return Err(bad_form("file", "choose the file(s) to import".into()));
    }
    // The source stands in until `run` sets the layer's own.
    let options = AddressOptions { source: AddressSource::IsjOaza, dry_run, city, crs };
    let task_state = state.clone();
    let body = off_thread(move || run(&task_state, layer, &options, &files, &user.name)).await??;
    let bytes = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layer_is_found_by_its_source_name() {
        assert!(matches!(layer_of(Some("source=abr&dry_run=true")), Some(Layer::Addresses(AddressSource::Abr))));
        assert!(matches!(layer_of(Some("dry_run=false&source=community-centers")), Some(Layer::Centers)));
        assert!(layer_of(Some("source=mhlw-care")).is_none());
        assert!(layer_of(None).is_none());
    }
}
