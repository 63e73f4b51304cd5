//! Stored times: RFC 3339 UTC in whole seconds (`2026-11-30T05:00:00Z`). One fixed width, so
//! the stored times sort as text in time order.

use time::{OffsetDateTime, UtcOffset};

/// `t` as stored (`2026-11-30T05:00:00Z`), converted to UTC and cut to whole seconds.
pub fn utc_text(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.to_offset(UtcOffset::UTC).format(&format).unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Now as stored (`2026-11-01T09:30:00Z`).
pub fn now_utc() -> String {
    utc_text(OffsetDateTime::now_utc())
}
