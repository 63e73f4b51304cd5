//! The population layer from the staff page: `POST /api/admin/imports?source=estat-mesh[&dry_run=]`
//! (editor role, like every import) with e-Stat 地域メッシュ統計 files as the file parts of a
//! `multipart/form-data` body and the columns to keep as `column` text fields, one per column,
//! each a code of the file's first line or a label of its second. The same import as
//! `caremap import --source estat-mesh` ([`crate::import::population`]).
//!
//! Answers JSON: `source`, `dry_run`, `files`, `offered` (the first file's value columns with
//! their labels: what to choose from) and `columns` (per column asked: `code`, `label`, `mesh`,
//! `squares`, `suppressed`, `total`). A dry run (the default) with no column only lists what the
//! file offers; a commit needs a column (400 naming `column`). A commit replaces the stored
//! columns of the same codes in one transaction, then swaps the server's population layers,
//! so `/api/coverage` answers with them at once. A file that cannot be read changes nothing
//! (422 naming the file).

use std::sync::Arc;

use axum::extract::Request;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::coverage::PopulationLayers;
use crate::import::{ImportError, InputFile, estat_mesh, population};
use crate::store::Store;

use super::imports::{Upload, bad_form, import_error, upload};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult, off_thread};
use crate::http::plumbing::authenticate::StaffUser;
use crate::http::plumbing::params::Params;

/// The `source` of a population import.
pub const SOURCE: &str = "estat-mesh";
/// The form field naming one column to keep.
const COLUMN_FIELD: &str = "column";

/// Whether an import request is for the population layer (`source=estat-mesh`).
pub(super) fn asks_for_population(query: Option<&str>) -> bool {
    form_urlencoded::parse(query.unwrap_or("").as_bytes()).any(|(k, v)| k == "source" && v == SOURCE)
}

/// The value columns of the first file, for the person to choose from.
fn offered(files: &[InputFile]) -> Result<Vec<serde_json::Value>, ApiError> {
    let Some(first) = files.first() else { return Ok(Vec::new()) };
    let columns = estat_mesh::value_columns(&first.bytes).map_err(|e| {
        import_error(match e {
            estat_mesh::EstatError::Encoding(_) => ImportError::Encoding { file: first.name.clone() },
            other => ImportError::Invalid { file: first.name.clone(), reason: other.to_string() },
        })
    })?;
    Ok(columns.into_iter().map(|c| json!({ "code": c.code, "label": c.label })).collect())
}

/// Reads the files and, unless `dry_run`, stores the columns and publishes the new layers.
fn run(
    state: &AppState,
    files: &[InputFile],
    wanted: &[String],
    dry_run: bool,
    actor: &str,
) -> Result<serde_json::Value, ApiError> {
    let offered = offered(files)?;
    let mut columns_out = serde_json::Value::Array(Vec::new());
    if !wanted.is_empty() {
        let (columns, report) = population::read(files, wanted, dry_run).map_err(import_error)?;
        if !dry_run {
            let layers = state.population.clone();
            // One population import at a time: two imports store and publish in the same order.
            // (Population layers are not provider changes, so they do not pass the write door.)
            static POPULATION_WRITES: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _guard = POPULATION_WRITES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let store: &dyn Store = state.store.as_ref();
            store.replace_population(&columns).map_err(|e| import_error(ImportError::Store(e)))?;
            let loaded = store.load_population().map_err(|e| import_error(ImportError::Store(e)))?;
            layers.store(Arc::new(PopulationLayers::new(loaded)));
            let codes: Vec<&str> = columns.iter().map(|c| c.code.as_str()).collect();
            tracing::info!(actor, columns = ?codes, files = files.len(), "population layer imported");
        }
        columns_out = serde_json::to_value(&report.columns).map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    Ok(json!({
        "source": SOURCE,
        "dry_run": dry_run,
        "files": files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        "offered": offered,
        "columns": columns_out,
    }))
}

/// `POST /api/admin/imports?source=estat-mesh[&dry_run=true|false]` with the files and
/// `column` fields (see the module header).
pub(super) async fn population_import(
    state: AppState,
    user: StaffUser,
    query: Option<String>,
    request: Request,
) -> ApiResult<Response> {
    let mut params = Params::parse(query.as_deref())?;
    let _ = params.raw("source");
    let dry_run = params.boolean("dry_run").unwrap_or(true);
    params.finish()?;
    let Upload { files, fields } = upload(request, &state, None, &[COLUMN_FIELD]).await?;
    if files.is_empty() {
        return Err(bad_form("file", "choose one or more e-Stat 地域メッシュ統計 files".into()));
    }
    let wanted: Vec<String> = fields.into_iter().map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty()).collect();
    if wanted.is_empty() && !dry_run {
        return Err(ApiError::param(COLUMN_FIELD, "choose at least one column to store (a code or a label)"));
    }
    let task_state = state.clone();
    let body = off_thread(move || run(&task_state, &files, &wanted, dry_run, &user.name)).await??;
    let bytes = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}
