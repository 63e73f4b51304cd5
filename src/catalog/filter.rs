//! Query filters (the text folding of `q=` is [`crate::domain::normalize_text`]).

use std::sync::Arc;

use crate::cql::Expr;
use crate::domain::{AcceptingSet, Kind, ProviderFields, ServiceSet, VacancyClock, normalize_text};

use super::record::Record;

/// Which providers a query wants. Every condition must hold; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Any of these kinds.
    pub kinds: Option<Vec<Kind>>,
    /// Offers at least one of these services (empty: any).
    pub services: ServiceSet,
    /// In this district (id).
    pub district: Option<String>,
    /// Its vacancy state is one of these (unknown matches none).
    pub accepting: Option<AcceptingSet>,
    /// Its vacancy confirmation is stale (`true`) or fresh (`false`) as the clock judges it.
    pub accepting_stale: Option<(bool, VacancyClock)>,
    /// Does home medical care (在宅医療: a 在宅療養支援 class, 往診 or 訪問診療).
    pub home_care: Option<bool>,
    /// Offers 24-hour home medical care.
    pub available_24h: Option<bool>,
    /// Text that must appear in the name, kana or address (normalised, kana-insensitive).
    pub text: Option<String>,
    /// A CQL2 expression that must be true (OGC API – Features `filter`), evaluated during the
    /// index walk like every other condition.
    pub cql: Option<Arc<Expr>>,
}

/// A compiled [`Filter`] for the index walk.
pub(super) struct Matcher<'f> {
    filter: &'f Filter,
    text: Option<String>,
}

impl<'f> Matcher<'f> {
    pub(super) fn new(filter: &'f Filter) -> Self {
        let text = filter.text.as_deref().map(normalize_text).filter(|t| !t.is_empty());
        Self { filter, text }
    }

    /// Whether every provider matches, so callers can skip looking at entries at all.
    pub(super) fn accepts_all(&self) -> bool {
        let f = self.filter;
        f.kinds.is_none()
            && f.services.is_empty()
            && f.district.is_none()
            && f.accepting.is_none()
            && f.accepting_stale.is_none()
            && f.home_care.is_none()
            && f.available_24h.is_none()
            && self.text.is_none()
            && f.cql.is_none()
    }

    pub(super) fn matches(&self, p: &Record) -> bool {
        let f = self.filter;
        let home = p.home_care().unwrap_or_default();
        f.kinds.as_ref().is_none_or(|ks| ks.contains(&p.kind()))
            && (f.services.is_empty() || p.services().intersects(f.services))
            && f.district.as_deref().is_none_or(|d| p.district() == Some(d))
            && f.accepting.is_none_or(|set| p.accepting().is_some_and(|a| set.contains(a)))
            && f.accepting_stale.as_ref().is_none_or(|(stale, clock)| clock.is_stale(p) == *stale)
            && f.home_care.is_none_or(|h| home.any() == h)
            && f.available_24h.is_none_or(|h| home.available_24h == h)
            && self.text.as_ref().is_none_or(|t| p.search_key().contains(t.as_str()))
            && f.cql.as_ref().is_none_or(|x| x.matches(p))
    }
}
