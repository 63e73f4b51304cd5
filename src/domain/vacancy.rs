//! 空き状況 (vacancy): the three states of `accepting`, what a vacancy write changes, and
//! freshness — when a confirmation counts as stale (older than N days, or never made).
//!
//! The server stamps `accepting_checked_at` on every confirmation or change (see
//! [`crate::write::Door::vacancy`]); `accepting_stale` is never stored but computed with a
//! [`VacancyClock`] taken when a request is answered.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, UtcOffset};

use super::{Provider, ProviderFields, utc_text};

/// Days after its last confirmation that a vacancy counts as stale, unless configured.
pub const DEFAULT_STALE_AFTER_DAYS: u32 = 30;
/// Longest `accepting_note`, in characters.
pub const MAX_NOTE_CHARS: usize = 200;
/// Largest `accepting_places`.
pub const MAX_PLACES: u32 = 999;
/// The vacancy fields a provider account may change (`PATCH …/vacancy`).
pub const VACANCY_KEYS: [&str; 3] = ["accepting", "accepting_note", "accepting_places"];

/// Whether a provider takes new clients now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Accepting {
    /// 受入可.
    Yes,
    /// 要相談.
    Consult,
    /// 受入不可.
    No,
}

impl Accepting {
    /// All states, in display order.
    pub const ALL: [Accepting; 3] = [Accepting::Yes, Accepting::Consult, Accepting::No];

    /// The API spelling (`yes`, `consult`, `no`).
    pub fn as_str(self) -> &'static str {
        match self {
            Accepting::Yes => "yes",
            Accepting::Consult => "consult",
            Accepting::No => "no",
        }
    }

    /// The Japanese label (受入可 / 要相談 / 受入不可), also the CSV value.
    pub fn label_ja(self) -> &'static str {
        match self {
            Accepting::Yes => "受入可",
            Accepting::Consult => "要相談",
            Accepting::No => "受入不可",
        }
    }

    /// Parses the API spelling, and the old booleans `true` (yes) and `false` (no).
    pub fn parse(s: &str) -> Option<Accepting> {
        match s {
            "true" => Some(Accepting::Yes),
            "false" => Some(Accepting::No),
            _ => Accepting::ALL.into_iter().find(|a| a.as_str() == s),
        }
    }

    /// Parses the API spelling or the Japanese label (CSV cells).
    pub fn parse_label(s: &str) -> Option<Accepting> {
        Accepting::parse(s).or_else(|| Accepting::ALL.into_iter().find(|a| a.label_ja() == s))
    }

    /// The state of the old boolean flag.
    pub fn from_bool(b: bool) -> Accepting {
        if b { Accepting::Yes } else { Accepting::No }
    }
}

impl<'de> Deserialize<'de> for Accepting {
    /// `"yes"`, `"consult"`, `"no"`, or the old `true` / `false` (data written before the
    /// three states, and clients of the boolean API).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Text(String),
        }
        match Raw::deserialize(deserializer) {
            Ok(Raw::Bool(b)) => Ok(Accepting::from_bool(b)),
            Ok(Raw::Text(s)) => Accepting::ALL
                .into_iter()
                .find(|a| a.as_str() == s)
                .ok_or_else(|| serde::de::Error::custom(format!("'{s}' is not one of \"yes\", \"consult\", \"no\""))),
            Err(_) => Err(serde::de::Error::custom("must be \"yes\", \"consult\", \"no\", true, false or null")),
        }
    }
}

/// A set of [`Accepting`] states (the `accepting=yes,consult` filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AcceptingSet(u8);

impl AcceptingSet {
    /// The set holding `a`.
    pub fn with(self, a: Accepting) -> Self {
        Self(self.0 | 1 << a as u8)
    }

    /// Whether `a` is in the set.
    pub fn contains(self, a: Accepting) -> bool {
        self.0 & (1 << a as u8) != 0
    }

    /// Parses a comma list of states (`yes,consult`; `true`/`false` as yes/no). `None` when
    /// any item is not a state or the list is empty.
    pub fn parse(list: &str) -> Option<Self> {
        let mut set = Self::default();
        for item in list.split(',') {
            set = set.with(Accepting::parse(item.trim())?);
        }
        (set.0 != 0).then_some(set)
    }
}

/// What a vacancy write sets; a field left `None` is kept. An empty change is a confirmation
/// that nothing changed (「変わりなし」): only the confirmation time moves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VacancyChange {
    /// The new state (`Some(None)` clears it).
    pub accepting: Option<Option<Accepting>>,
    /// The new note (`Some(None)` clears it).
    pub note: Option<Option<String>>,
    /// The new count of free places (`Some(None)` clears it).
    pub places: Option<Option<u32>>,
}

impl VacancyChange {
    /// Whether the change sets nothing (a confirmation).
    pub fn is_confirmation(&self) -> bool {
        self.accepting.is_none() && self.note.is_none() && self.places.is_none()
    }

    /// `p` with the change applied and the confirmation stamped at `at` (RFC 3339 UTC).
    pub fn apply(&self, mut p: Provider, at: &str) -> Provider {
        if let Some(a) = self.accepting {
            p.accepting = a;
        }
        if let Some(n) = &self.note {
            p.accepting_note.clone_from(n);
        }
        if let Some(n) = self.places {
            p.accepting_places = n;
        }
        stamp_checked(&mut p, at);
        p
    }
}

/// Sets `accepting_checked_at` to `at` (RFC 3339 UTC) and `accepting_updated_at` to its
/// date in Japan.
pub fn stamp_checked(p: &mut Provider, at: &str) {
    p.accepting_checked_at = Some(at.to_owned());
    p.accepting_updated_at = parse_utc(at).map(|t| jst_date(t).to_string());
}

/// Whether the vacancy fields a person sets (state, note, places) differ between `a` and `b`.
pub fn vacancy_differs(a: &Provider, b: &Provider) -> bool {
    a.accepting != b.accepting || a.accepting_note != b.accepting_note || a.accepting_places != b.accepting_places
}

/// Japan Standard Time (UTC+9, no daylight saving).
pub const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// A stored RFC 3339 time.
pub fn parse_utc(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// The calendar day of `t` in Japan.
pub fn jst_date(t: OffsetDateTime) -> Date {
    t.to_offset(JST).date()
}

/// `t` in Japan as `YYYY-MM-DD HH:MM` (the CSV's 受入確認日時).
pub fn jst_minutes(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    t.to_offset(JST).format(&format).unwrap_or_default()
}

/// Freshness at one moment: a confirmation older than `stale_after_days` days (or none) is stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacancyClock {
    now: OffsetDateTime,
    stale_after_days: u32,
    /// Confirmations before this time (stored form) are stale.
    cutoff: String,
}

impl VacancyClock {
    /// The clock at `now` with the given staleness rule.
    pub fn at(now: OffsetDateTime, stale_after_days: u32) -> Self {
        let cutoff = utc_text(now - Duration::days(i64::from(stale_after_days)));
        Self { now, stale_after_days, cutoff }
    }

    /// The clock now.
    pub fn now(stale_after_days: u32) -> Self {
        Self::at(OffsetDateTime::now_utc(), stale_after_days)
    }

    /// The moment before which a confirmation is stale.
    pub fn cutoff(&self) -> OffsetDateTime {
        parse_utc(&self.cutoff).unwrap_or(self.now)
    }

    /// The configured N.
    pub fn stale_after_days(&self) -> u32 {
        self.stale_after_days
    }

    /// Whether `p`'s vacancy was never confirmed or confirmed more than N days ago.
    pub fn is_stale(&self, p: &impl ProviderFields) -> bool {
        // Stored times have one fixed width, so they compare as text in time order.
        p.accepting_checked_at().is_none_or(|at| at < self.cutoff.as_str())
    }

    /// Whole days since `p`'s last confirmation; `None` if never confirmed.
    pub fn days_since_check(&self, p: &impl ProviderFields) -> Option<i64> {
        let at = parse_utc(p.accepting_checked_at()?)?;
        Some((self.now - at).whole_days().max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Kind, LonLat};

    fn provider(checked_at: Option<&str>) -> Provider {
        Provider {
            accepting_checked_at: checked_at.map(str::to_owned),
            ..Provider::new("p".into(), Kind::Care, "さくら".into(), LonLat::new(139.9, 35.85).unwrap())
        }
    }

    #[test]
    fn the_three_states_parse_from_their_names_and_the_old_booleans() {
        assert_eq!(Accepting::parse("consult"), Some(Accepting::Consult));
        assert_eq!(Accepting::parse("true"), Some(Accepting::Yes));
        assert_eq!(Accepting::parse("false"), Some(Accepting::No));
        assert_eq!(Accepting::parse("maybe"), None);
        assert_eq!(serde_json::from_str::<Accepting>("true").unwrap(), Accepting::Yes);
        assert_eq!(serde_json::from_str::<Accepting>("\"no\"").unwrap(), Accepting::No);
        assert!(serde_json::from_str::<Accepting>("\"maybe\"").is_err());
        assert_eq!(serde_json::to_string(&Accepting::Consult).unwrap(), "\"consult\"");
    }

    #[test]
    fn a_state_list_holds_each_state_named() {
        let set = AcceptingSet::parse("yes,consult").unwrap();
        assert!(set.contains(Accepting::Yes) && set.contains(Accepting::Consult) && !set.contains(Accepting::No));
        assert_eq!(AcceptingSet::parse("yes,maybe"), None);
        assert_eq!(AcceptingSet::parse(""), None);
    }

    #[test]
    fn a_confirmation_is_stale_after_n_days_or_when_never_made() {
        let now = parse_utc("2026-11-30T12:00:00Z").unwrap();
        let clock = VacancyClock::at(now, 30);
        assert!(clock.is_stale(&provider(None)));
        assert!(!clock.is_stale(&provider(Some("2026-10-31T12:00:00Z"))));
        assert!(clock.is_stale(&provider(Some("2026-10-31T11:59:59Z"))));
        assert_eq!(clock.days_since_check(&provider(Some("2026-10-16T12:00:00Z"))), Some(45));
        assert_eq!(clock.days_since_check(&provider(None)), None);
    }

    #[test]
    fn a_change_stamps_the_check_time_and_its_date_in_japan() {
        let change = VacancyChange { accepting: Some(Some(Accepting::Consult)), ..VacancyChange::default() };
        let p = change.apply(provider(None), "2026-11-30T16:00:00Z");
        assert_eq!(p.accepting, Some(Accepting::Consult));
        assert_eq!(p.accepting_checked_at.as_deref(), Some("2026-11-30T16:00:00Z"));
        assert_eq!(p.accepting_updated_at.as_deref(), Some("2026-12-01"), "01:00 in Japan the next day");
        assert_eq!(jst_minutes(parse_utc("2026-11-30T16:05:00Z").unwrap()), "2026-12-01 01:05");
    }
}
