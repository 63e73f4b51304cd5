//! `GET /api/admin/changes?since=SEQ&limit=N`: the numbered change feed for staff (any role
//! that reads the audit log) and for a server that follows this one. Each entry is one
//! committed provider change with the provider as it was after it; `next_since` is the cursor
//! to ask with next, and `applied_seq` the last seq the catalog being served has applied.

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::formats::geojson::FeatureOut;
use crate::store::FeedEntry;

use crate::http::AppState;
use crate::http::error::{ApiResult, blocking};
use crate::http::plumbing::authenticate::StaffUser;
use crate::http::plumbing::params::Params;

/// Most entries per page.
pub const MAX_CHANGES_LIMIT: u64 = 1_000;
/// Entries per page unless `limit` says otherwise.
pub const DEFAULT_CHANGES_LIMIT: u64 = 100;

/// Routes of the change feed.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/admin/changes", get(changes_list))
}

/// One change of the feed.
#[derive(Debug, Serialize)]
struct ChangeOut<'a> {
    seq: i64,
    provider_id: &'a str,
    version: i64,
    action: &'a str,
    changed_at: &'a str,
    changed_by: &'a str,
    /// Whether the change left the provider soft-deleted (not served).
    deleted: bool,
    /// The provider after the change, as the staff API shows it (`deleted_at` set when deleted).
    feature: FeatureOut<'a>,
}

impl<'a> From<&'a FeedEntry> for ChangeOut<'a> {
    fn from(e: &'a FeedEntry) -> Self {
        Self {
            seq: e.seq,
            provider_id: &e.provider_id,
            version: e.version,
            action: &e.action,
            changed_at: &e.changed_at,
            changed_by: &e.changed_by,
            deleted: e.deleted,
            feature: FeatureOut::staff(&e.provider, e.deleted.then_some(e.changed_at.as_str())),
        }
    }
}

#[derive(Debug, Serialize)]
struct ChangesOut<'a> {
    entries: Vec<ChangeOut<'a>>,
    /// The `since` of the next request: the last seq listed (or `since` when none was).
    next_since: i64,
    /// The next page when this one is full, else `null` (poll with `next_since` later).
    next: Option<String>,
    /// The last seq the catalog being served has applied.
    applied_seq: i64,
}

/// `GET /api/admin/changes[?since=SEQ][&limit=N]`: the changes after `since` (default 0) in
/// seq order, at most `limit` (1–1000, default 100).
async fn changes_list(
    _user: StaffUser,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let mut params = Params::parse(query.as_deref())?;
    let since = params.integer("since", 0, 0..=i64::MAX as u64);
    let limit = params.integer("limit", DEFAULT_CHANGES_LIMIT, 1..=MAX_CHANGES_LIMIT);
    params.finish()?;
    // Read before the feed: every change up to it is listed or was before `since`.
    let applied_seq = state.catalog.applied_seq();
    let store = state.store.clone();
    let since = i64::try_from(since).unwrap_or(i64::MAX);
    let entries = blocking(move || store.changes_since(since, usize::try_from(limit).unwrap_or(100))).await?;
    let next_since = entries.last().map_or(since, |e| e.seq);
    let next = (entries.len() as u64 == limit).then(|| format!("/api/admin/changes?since={next_since}&limit={limit}"));
    let out = ChangesOut { entries: entries.iter().map(ChangeOut::from).collect(), next_since, next, applied_seq };
    Ok(Json(out).into_response())
}
