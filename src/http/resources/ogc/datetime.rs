//! The `datetime` parameter (OGC API – Features Part 1, RFC 3339): an instant, or an interval
//! `start/end` whose ends may be open (`..` or empty). Matched against a provider's
//! `updated_at`. A bare date (`2026-11-01`) stands for that whole UTC day.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, Time};

/// A closed time interval with optional open ends (both ends inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// Earliest matching time; `None` is unbounded.
    pub start: Option<OffsetDateTime>,
    /// Latest matching time; `None` is unbounded.
    pub end: Option<OffsetDateTime>,
}

/// Which end of an interval a bound is.
#[derive(Clone, Copy)]
enum End {
    Start,
    End,
}

/// Parses an RFC 3339 date-time, or a date taken as its first (start) or last (end) instant.
fn bound(s: &str, end: End) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let date = Date::parse(s, format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("'{s}' is not an RFC 3339 date-time (2026-11-01T09:00:00Z) or date (2026-11-01)"))?;
    let first = date.with_time(Time::MIDNIGHT).assume_utc();
    Ok(match end {
        End::Start => first,
        End::End => first + Duration::days(1) - Duration::nanoseconds(1),
    })
}

fn open(s: &str) -> bool {
    s.is_empty() || s == ".."
}

impl Interval {
    /// Parses `instant`, `start/end`, `../end`, `start/..`, `/end` or `start/`.
    ///
    /// # Errors
    /// A reason naming the bad part, or a start later than the end.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let parts: Vec<&str> = raw.split('/').collect();
        let interval = match parts[..] {
            [instant] if !open(instant) => {
                Self { start: Some(bound(instant, End::Start)?), end: Some(bound(instant, End::End)?) }
            }
            [start, end] => Self {
                start: if open(start) { None } else { Some(bound(start, End::Start)?) },
                end: if open(end) { None } else { Some(bound(end, End::End)?) },
            },
            _ => return Err("must be an RFC 3339 instant or an interval start/end (open ends as ..)".into()),
        };
        if let (Some(s), Some(e)) = (interval.start, interval.end)
            && s > e
        {
            return Err("the start of the interval is later than its end".into());
        }
        Ok(interval)
    }

    /// Whether `t` lies in the interval (ends included).
    pub fn contains(&self, t: OffsetDateTime) -> bool {
        self.start.is_none_or(|s| s <= t) && self.end.is_none_or(|e| t <= e)
    }

    /// Whether an RFC 3339 timestamp (such as `updated_at`) lies in the interval; an
    /// unreadable timestamp never does.
    pub fn matches(&self, timestamp: &str) -> bool {
        parse_timestamp(timestamp).is_some_and(|t| self.contains(t))
    }
}

/// An RFC 3339 timestamp, if it is one.
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// A timestamp as RFC 3339 in UTC, whole seconds (`2026-11-01T00:00:00Z`).
pub fn format_utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &Rfc3339).unwrap()
    }

    #[test]
    fn an_instant_matches_only_itself() {
        let i = Interval::parse("2026-11-01T00:00:00Z").unwrap();
        assert!(i.matches("2026-11-01T09:00:00+09:00"));
        assert!(!i.matches("2026-11-01T00:00:01Z"));
    }

    #[test]
    fn open_ends_are_dots_or_empty() {
        for raw in ["../2026-11-01T00:00:00Z", "/2026-11-01T00:00:00Z"] {
            let i = Interval::parse(raw).unwrap();
            assert!(i.contains(t("1999-01-01T00:00:00Z")) && !i.contains(t("2026-11-01T00:00:01Z")), "{raw}");
        }
        for raw in ["2026-11-01T00:00:00Z/..", "2026-11-01T00:00:00Z/"] {
            let i = Interval::parse(raw).unwrap();
            assert!(i.contains(t("2030-01-01T00:00:00Z")) && !i.contains(t("2026-10-31T23:59:59Z")), "{raw}");
        }
    }

    #[test]
    fn a_date_stands_for_the_whole_day() {
        let i = Interval::parse("2026-11-01").unwrap();
        assert!(i.matches("2026-11-01T23:59:59Z") && i.matches("2026-11-01T00:00:00Z"));
        assert!(!i.matches("2026-11-02T00:00:00Z"));
    }

    #[test]
    fn malformed_and_reversed_values_are_refused() {
        for raw in ["yesterday", "2026-13-01T00:00:00Z", "a/b/c", "2026-11-02/2026-11-01", "", "2026-11-01T00:00:00"] {
            assert!(Interval::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn timestamps_are_written_in_utc_whole_seconds() {
        assert_eq!(format_utc(t("2026-11-01T09:00:00.5+09:00")), "2026-11-01T00:00:00Z");
    }
}
