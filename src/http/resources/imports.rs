//! Imports from the staff page: `POST /api/admin/imports?source=…&dry_run=true|false`
//! (`source=estat-mesh`, the population layer, is answered by [`super::population_import`];
//! the address sources and `community-centers` by [`super::address_import`])
//! (editor role) with the files as `multipart/form-data` (one part per file, its file name
//! giving the MHLW service code or the 医療情報ネット kind) or one file as the raw body
//! (`name=` gives its file name). `blank_clears=true` (a query parameter, or a text field of
//! the form) lets empty cells erase stored values. Answers the import report as JSON: with `dry_run=true`
//! (the default) the diff of what a commit would do; with `dry_run=false` what was committed.
//!
//! Parsing runs on a blocking thread and holds no lock; the diff, the commit and the publish
//! to the catalog run in the write door (see [`crate::write::Door::import`]).
//! Readers are never blocked: they keep the catalog snapshot they hold until the new one is
//! swapped in.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::domain::FieldError;
use crate::import::{self, CityCode, ImportError, ImportOptions, InputFile, Source};
use crate::spatial::crs::Crs;
use crate::store::StoreError;

use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::plumbing::authenticate::StaffUser;
use crate::http::plumbing::params::Params;

/// Largest import upload, bytes. The largest national MHLW file (110 訪問介護) is about
/// 15 MB, so the 1 MiB limit of other bodies would refuse real files.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// Routes under `/api/admin/imports`, with their own body limit.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/admin/imports", post(imports_create)).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES))
}

/// The options of a request, each bad one named.
fn options(query: Option<&str>, actor: &str) -> ApiResult<(ImportOptions, Option<String>)> {
    let mut params = Params::parse(query)?;
    let source = match params.raw("source") {
        None => {
            params.error("source", "is required: mhlw-care, iryo-net, kouseikyoku, geojson, estat-mesh, isj-oaza, isj-gaiku, abr or community-centers");
            None
        }
        Some(raw) => Source::parse(&raw).map_err(|reason| params.error("source", reason)).ok(),
    };
    let dry_run = params.boolean("dry_run").unwrap_or(true);
    let remove_missing = params.boolean("remove_missing").unwrap_or(false);
    let blank_clears = params.boolean("blank_clears").unwrap_or(false);
    let city = params.raw("city").and_then(|raw| CityCode::parse(&raw).map_err(|r| params.error("city", r)).ok());
    let crs = params.raw("crs").and_then(|raw| Crs::parse(&raw).map_err(|e| params.error("crs", e.to_string())).ok());
    let service = params.raw("service");
    let name = params.text("name");
    params.finish()?;
    let source = source.ok_or_else(|| ApiError::param("source", "is required"))?;
    let options = ImportOptions {
        dry_run,
        city,
        crs,
        service,
        remove_missing,
        blank_clears,
        ..ImportOptions::new(source, actor)
    };
    Ok((options, name))
}

fn too_large_or_bad(status: StatusCode, reason: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(MAX_IMPORT_BYTES)
    } else {
        ApiError::InvalidBody { status: StatusCode::BAD_REQUEST, errors: vec![FieldError::new("file", reason)] }
    }
}

/// The one text field a multipart form may carry beside its files.
const BLANK_CLEARS_FIELD: &str = "blank_clears";

pub(super) fn bad_form(name: &str, reason: String) -> ApiError {
    ApiError::InvalidBody { status: StatusCode::BAD_REQUEST, errors: vec![FieldError::new(name, reason)] }
}

/// What a request uploads: the files, and the text fields of the form.
pub(super) struct Upload {
    pub(super) files: Vec<InputFile>,
    /// `(name, value)` of each text field, in form order.
    pub(super) fields: Vec<(String, String)>,
}

/// The uploaded files: every file part of a multipart form (its other parts may only be text
/// fields named in `allowed`), or the raw body.
pub(super) async fn upload(
    request: Request,
    state: &AppState,
    raw_name: Option<String>,
    allowed: &[&str],
) -> ApiResult<Upload> {
    // A body announced larger than the limit is refused before any of it is read, so a client
    // cannot hold the request open by trickling a body that would be refused anyway.
    let announced = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_IMPORT_BYTES as u64) {
        return Err(ApiError::PayloadTooLarge(MAX_IMPORT_BYTES));
    }
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        let mut form =
            Multipart::from_request(request, state).await.map_err(|e| too_large_or_bad(e.status(), e.body_text()))?;
        let mut files = Vec::new();
        let mut fields = Vec::new();
        while let Some(field) = form.next_field().await.map_err(|e| too_large_or_bad(e.status(), e.body_text()))? {
            let Some(name) = field.file_name().map(str::to_owned) else {
                let field_name = field.name().unwrap_or("").to_owned();
                if !allowed.contains(&field_name.as_str()) {
                    return Err(bad_form("file", format!("form field '{field_name}' is not a file")));
                }
                let text = field.text().await.map_err(|e| too_large_or_bad(e.status(), e.body_text()))?;
                fields.push((field_name, text));
                continue;
            };
            let bytes = field.bytes().await.map_err(|e| too_large_or_bad(e.status(), e.body_text()))?;
            files.push(InputFile { name, bytes: bytes.to_vec() });
        }
        Ok(Upload { files, fields })
    } else {
        let bytes =
            Bytes::from_request(request, state).await.map_err(|e| too_large_or_bad(e.status(), e.body_text()))?;
        let files = vec![InputFile { name: raw_name.unwrap_or_else(|| "upload".into()), bytes: bytes.to_vec() }];
        Ok(Upload { files, fields: Vec::new() })
    }
}

/// The form's `blank_clears`, `true` or `false`, when it has one.
fn blank_clears_field(fields: &[(String, String)]) -> ApiResult<Option<bool>> {
    let Some((_, text)) = fields.iter().rev().find(|(name, _)| name == BLANK_CLEARS_FIELD) else { return Ok(None) };
    match text.trim() {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        other => Err(bad_form(BLANK_CLEARS_FIELD, format!("must be true or false, not '{other}'"))),
    }
}

/// Maps an import failure to its HTTP answer: bad options 400, a file that cannot be read
/// as its format 422 (the detail names the file and what was expected), a provider changed
/// meanwhile 409, a database that cannot take writes now (full disk) or cannot be reached 503.
pub(super) fn import_error(e: ImportError) -> ApiError {
    match e {
        ImportError::Options { name, reason } => ApiError::param(name, reason),
        ImportError::Store(StoreError::VersionMismatch { current }) => ApiError::Conflict(format!(
            "provider '{}' changed while the import was prepared; nothing was written, run it again",
            current.provider.id
        )),
        ImportError::Store(StoreError::Duplicate { id } | StoreError::NotFound { id }) => ApiError::Conflict(format!(
            "provider '{id}' changed while the import was prepared; nothing was written, run it again"
        )),
        ImportError::Store(StoreError::Unavailable(cause)) => ApiError::DatabaseUnreachable(cause),
        ImportError::Store(e) if e.is_unavailable() => ApiError::StorageUnavailable(e.to_string()),
        ImportError::Store(e) => ApiError::Internal(e.to_string()),
        file_error => ApiError::InvalidBody {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors: vec![FieldError::new("file", file_error.to_string())],
        },
    }
}

/// `POST /api/admin/imports?source=…[&dry_run=true|false][&city=][&crs=][&service=][&remove_missing=][&blank_clears=][&name=]`
async fn imports_create(
    State(state): State<AppState>,
    user: StaffUser,
    RawQuery(query): RawQuery,
    request: Request,
) -> ApiResult<Response> {
    if super::population_import::asks_for_population(query.as_deref()) {
        return super::population_import::population_import(state, user, query, request).await;
    }
    if super::address_import::asks_for_layer(query.as_deref()) {
        return super::address_import::layer_import(state, user, query, request).await;
    }
    let (mut options, raw_name) = options(query.as_deref(), &user.name)?;
    let Upload { files, fields } = upload(request, &state, raw_name, &[BLANK_CLEARS_FIELD]).await?;
    if let Some(form_value) = blank_clears_field(&fields)? {
        let query_value = query.as_deref().is_some_and(|q| q.split('&').any(|p| p.starts_with("blank_clears=")));
        if query_value && form_value != options.blank_clears {
            return Err(bad_form(BLANK_CLEARS_FIELD, "the query and the form say different things".into()));
        }
        options.blank_clears = form_value;
    }
    let read_options = options.clone();
    let parsed = tokio::task::spawn_blocking(move || import::read(&read_options, &files))
        .await
        .map_err(|e| ApiError::Internal(format!("import task: {e}")))?
        .map_err(import_error)?;
    let door = state.door.clone();
    let report = tokio::task::spawn_blocking(move || door.import(&options, parsed, None))
        .await
        .map_err(|e| ApiError::Internal(format!("import task: {e}")))?
        .map_err(import_error)?;
    if let Some(at) = report.imported_at.as_deref().and_then(crate::http::plumbing::metrics::parse_rfc3339) {
        state.metrics.set_last_import(at);
    }
    let body = serde_json::to_vec(&report).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
