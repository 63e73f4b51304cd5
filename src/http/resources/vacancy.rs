//! 空き状況 (vacancy) under `/api/admin`: a provider account (or staff) sets or confirms a
//! provider's vacancy (`PATCH /api/admin/providers/{id}/vacancy`), and staff see whom to
//! remind (`GET /api/admin/vacancy-reminders`, JSON or CSV for a mail merge).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use serde::Serialize;
use serde_json::Value;

use crate::access::Role;
use crate::domain::vacancy::{MAX_NOTE_CHARS, MAX_PLACES, VACANCY_KEYS};
use crate::domain::{Accepting, FieldError, ProviderFields, VacancyChange, VacancyClock, fields};
use crate::formats::csv::{excel_time, neutralise};

use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult, blocking, unprocessable};
use crate::http::plumbing::authenticate::{Account, StaffUser};
use crate::http::plumbing::body::JsonBody;
use crate::http::plumbing::output::Format;
use crate::http::plumbing::params::Params;
use crate::http::plumbing::preconditions::if_match_versions;
use crate::http::resources::staff::feature_response;

/// The vacancy routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/providers/{id}/vacancy", patch(vacancy_patch))
        .route("/api/admin/vacancy-reminders", get(reminders_list))
}

/// Reads a vacancy body: any of `accepting`, `accepting_note`, `accepting_places`; `{}` is a
/// confirmation. Other keys are refused: 403 naming them for a provider account (fields it
/// may not change), 422 for staff.
fn vacancy_change(body: &Value, account: &Account) -> ApiResult<VacancyChange> {
    let Some(map) = body.as_object() else {
        return Err(unprocessable(vec![FieldError::new(
            "body",
            "must be a JSON object with any of accepting, accepting_note, accepting_places ({} confirms)",
        )]));
    };
    let unknown: Vec<String> = map.keys().filter(|k| !VACANCY_KEYS.contains(&k.as_str())).cloned().collect();
    if !unknown.is_empty() {
        if account.role == Role::Provider {
            return Err(ApiError::ProviderForbidden { forbidden: unknown });
        }
        return Err(unprocessable(
            unknown
                .into_iter()
                .map(|k| FieldError::new(k, "is not a vacancy field (use PUT for the others)"))
                .collect(),
        ));
    }
    let mut change = VacancyChange::default();
    let mut errors = Vec::new();
    if let Some(v) = map.get("accepting") {
        match serde_json::from_value::<Option<Accepting>>(v.clone()) {
            Ok(a) => change.accepting = Some(a),
            Err(_) => {
                errors.push(FieldError::new("accepting", "must be \"yes\", \"consult\", \"no\", true, false or null"))
            }
        }
    }
    if let Some(v) = map.get("accepting_note") {
        match v {
            Value::Null => change.note = Some(None),
            Value::String(s) if s.chars().count() > MAX_NOTE_CHARS => errors.push(FieldError::new(
                "accepting_note",
                format!("must be at most {MAX_NOTE_CHARS} characters (has {})", s.chars().count()),
            )),
            Value::String(s) => {
                let s = s.trim();
                change.note = Some((!s.is_empty()).then(|| s.to_owned()));
            }
            _ => errors.push(FieldError::new("accepting_note", "must be text or null")),
        }
    }
    if let Some(v) = map.get("accepting_places") {
        match v {
            Value::Null => change.places = Some(None),
            Value::Number(n) => match n.as_u64().and_then(|n| u32::try_from(n).ok()).filter(|n| *n <= MAX_PLACES) {
                Some(n) => change.places = Some(Some(n)),
                None => errors
                    .push(FieldError::new("accepting_places", format!("must be a whole number 0 to {MAX_PLACES}"))),
            },
            _ => errors
                .push(FieldError::new("accepting_places", format!("must be a whole number 0 to {MAX_PLACES} or null"))),
        }
    }
    if errors.is_empty() { Ok(change) } else { Err(unprocessable(errors)) }
}

/// `PATCH /api/admin/providers/{id}/vacancy` with `If-Match` and `{accepting?, accepting_note?,
/// accepting_places?}` → 200 with the provider (as `GET /api/admin/providers/{id}`) and its ETag.
/// A provider account may do this for its own providers only.
async fn vacancy_patch(
    account: Account,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    account.require_provider(&id)?;
    Params::parse(query.as_deref())?.finish()?;
    let change = vacancy_change(&body, &account)?;
    let expected = if_match_versions(&headers)?;
    let door = state.door.clone();
    let record = blocking(move || door.vacancy(&id, &change, &expected, &account.name)).await?.record;
    feature_response(StatusCode::OK, &record, &state.vacancy_clock())
}

/// One provider to remind.
#[derive(Debug, Serialize)]
struct Reminder<'a> {
    id: &'a str,
    name: &'a str,
    kind: &'static str,
    phone: Option<&'a str>,
    fax: Option<&'a str>,
    accepting: Option<Accepting>,
    accepting_checked_at: Option<&'a str>,
    days_since_check: Option<i64>,
    stale: bool,
    accounts: Vec<&'a str>,
}

#[derive(Debug, Serialize)]
struct Reminders<'a> {
    stale_after_days: u32,
    items: Vec<Reminder<'a>>,
}

/// Live providers by staleness: never confirmed first, then the oldest confirmation; the id
/// breaks ties. With `stale_only`, only the stale ones.
fn reminders<'a, P: ProviderFields + 'a>(
    providers: impl Iterator<Item = &'a P>,
    accounts: &'a HashMap<String, Vec<String>>,
    clock: &VacancyClock,
    stale_only: bool,
) -> Vec<Reminder<'a>> {
    let mut items: Vec<Reminder<'a>> = providers
        .filter(|p| !stale_only || clock.is_stale(*p))
        .map(|p| Reminder {
            id: p.id(),
            name: p.name(),
            kind: p.kind().as_str(),
            phone: p.text(fields::PHONE),
            fax: p.text(fields::FAX),
            accepting: p.accepting(),
            accepting_checked_at: p.accepting_checked_at(),
            days_since_check: clock.days_since_check(p),
            stale: clock.is_stale(p),
            accounts: accounts.get(p.id()).map(|a| a.iter().map(String::as_str).collect()).unwrap_or_default(),
        })
        .collect();
    items.sort_by(|a, b| {
        (a.accepting_checked_at.is_some(), a.accepting_checked_at, a.id).cmp(&(
            b.accepting_checked_at.is_some(),
            b.accepting_checked_at,
            b.id,
        ))
    });
    items
}

/// The reminder list as CSV (UTF-8 with BOM, CRLF, Japanese headers) for a mail merge.
fn reminders_csv(items: &[Reminder<'_>]) -> Result<Vec<u8>, csv::Error> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
        writer.write_record([
            "ID",
            "名称",
            "種別",
            "電話番号",
            "FAX番号",
            "受入可否",
            "受入確認日時",
            "確認からの日数",
            "要確認",
            "事業所アカウント",
        ])?;
        for r in items {
            let kind = crate::domain::Kind::parse(r.kind).map_or(r.kind, |k| k.label_ja());
            writer.write_record([
                neutralise(r.id),
                neutralise(r.name),
                kind.to_owned(),
                neutralise(r.phone.unwrap_or("")),
                neutralise(r.fax.unwrap_or("")),
                r.accepting.map_or("", Accepting::label_ja).to_owned(),
                r.accepting_checked_at.map(excel_time).unwrap_or_default(),
                r.days_since_check.map(|d| d.to_string()).unwrap_or_else(|| "未確認".into()),
                if r.stale { "○" } else { "" }.to_owned(),
                neutralise(&r.accounts.join("、")),
            ])?;
        }
        writer.flush()?;
    }
    Ok(out)
}

/// `GET /api/admin/vacancy-reminders[?stale=true][&f=csv]` (editor or admin).
async fn reminders_list(
    user: StaffUser,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    user.require(Role::Editor)?;
    let mut params = Params::parse(query.as_deref())?;
    let stale_only = params.boolean("stale").unwrap_or(false);
    let raw_format = params.raw("f");
    let format = Format::parse(raw_format.as_deref()).map_err(|reason| ApiError::param("f", reason))?;
    params.finish()?;
    let store = state.store.clone();
    let users = blocking(move || store.users()).await?;
    let mut accounts: HashMap<String, Vec<String>> = HashMap::new();
    for u in users.into_iter().filter(|u| u.role == Role::Provider && u.revoked_at.is_none()) {
        for id in u.providers {
            accounts.entry(id).or_default().push(u.name.clone());
        }
    }
    let snapshot = state.catalog.snapshot();
    let clock = state.vacancy_clock();
    let items = reminders(snapshot.providers(), &accounts, &clock, stale_only);
    match format {
        Format::GeoJson => {
            let body = Reminders { stale_after_days: clock.stale_after_days(), items };
            let bytes = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response())
        }
        Format::Csv => {
            let bytes = reminders_csv(&items).map_err(|e| ApiError::Internal(e.to_string()))?;
            let day = time::OffsetDateTime::now_utc().to_offset(crate::domain::vacancy::JST).date();
            let disposition = format!(
                "attachment; filename=\"caremap_vacancy_reminders_{day}.csv\"; \
                 filename*=UTF-8''caremap_%E7%A9%BA%E3%81%8D%E7%8A%B6%E6%B3%81%E3%81%AE%E7%A2%BA%E8%AA%8D_{day}.csv"
            );
            let disposition = HeaderValue::from_str(&disposition)
                .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"caremap_vacancy_reminders.csv\""));
            Ok((
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Kind, LonLat, Provider};

    fn provider(id: &str, checked_at: Option<&str>) -> Provider {
        Provider {
            accepting_checked_at: checked_at.map(str::to_owned),
            ..Provider::new(id.into(), Kind::Care, format!("事業所{id}"), LonLat::new(139.9, 35.85).unwrap())
        }
    }

    #[test]
    fn reminders_list_the_never_confirmed_first_then_the_oldest_confirmation() {
        let providers = [
            provider("a", Some("2026-11-29T00:00:00Z")),
            provider("b", None),
            provider("c", Some("2026-09-01T00:00:00Z")),
            provider("d", None),
        ];
        let clock = VacancyClock::at(crate::domain::vacancy::parse_utc("2026-11-30T00:00:00Z").unwrap(), 30);
        let accounts = HashMap::from([("c".to_owned(), vec!["c-office".to_owned()])]);
        let all = reminders(providers.iter(), &accounts, &clock, false);
        let ids: Vec<&str> = all.iter().map(|r| r.id).collect();
        assert_eq!(ids, ["b", "d", "c", "a"]);
        assert_eq!(all[2].accounts, ["c-office"]);
        assert_eq!(all[2].days_since_check, Some(90));
        let stale: Vec<&str> = reminders(providers.iter(), &accounts, &clock, true).iter().map(|r| r.id).collect();
        assert_eq!(stale, ["b", "d", "c"]);
        let csv = String::from_utf8(reminders_csv(&all).unwrap()).unwrap();
        assert!(csv.starts_with("\u{feff}ID,名称,種別,電話番号,FAX番号,受入可否,受入確認日時,確認からの日数"), "{csv}");
        assert!(csv.contains("c,事業所c,介護事業所,,,,2026-09-01 09:00,90,○,c-office\r\n"), "{csv}");
    }
}
