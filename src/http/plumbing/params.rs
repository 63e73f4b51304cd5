//! Query-string parsing with errors that name the parameter. Unknown parameters are refused,
//! so a typo (`radius=` for `radius_m=`) is an error rather than a silently ignored filter.

use crate::catalog::Filter;
use crate::domain::{AcceptingSet, FieldError, Kind, LonLat, ServiceSet, VacancyClock};

use crate::http::error::ApiError;

/// Longest accepted query string, in bytes.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;
/// Longest accepted `q` (free text), in characters.
pub const MAX_TEXT_CHARS: usize = 200;

/// Parsed query parameters, each consumed by a typed getter. Errors accumulate so a response
/// can name every bad parameter at once.
///
/// The parameters are kept sorted by name and found by binary search: a request has a handful,
/// and a hash map cost more per request (SipHash over each name looked up, a table allocated)
/// than the lookups it saves.
#[derive(Debug)]
pub struct Params {
    /// Name and value of each parameter not yet consumed, sorted by name, names unique.
    values: Vec<(String, String)>,
    errors: Vec<FieldError>,
    clock: Option<VacancyClock>,
}

impl Params {
    /// Parses a raw query string, refusing repeated parameters and oversized strings.
    ///
    /// # Errors
    /// A 400 naming the repeated parameter, or `query` when it is too long.
    pub fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let query = query.unwrap_or("");
        if query.len() > MAX_QUERY_BYTES {
            return Err(ApiError::param("query", format!("the query string is longer than {MAX_QUERY_BYTES} bytes")));
        }
        let mut given: Vec<(String, String, usize)> = form_urlencoded::parse(query.as_bytes())
            .enumerate()
            .map(|(i, (k, v))| (k.into_owned(), v.into_owned(), i))
            .collect();
        // A stable sort keeps each name's repeats in query order; the one named is the repeat
        // given first, as when the parameters were read one by one.
        given.sort_by(|a, b| a.0.cmp(&b.0));
        let repeat = given.windows(2).filter(|w| w[0].0 == w[1].0).min_by_key(|w| w[1].2);
        if let Some(w) = repeat {
            return Err(ApiError::param(&w[1].0, "is given more than once"));
        }
        let values = given.into_iter().map(|(k, v, _)| (k, v)).collect();
        Ok(Self { values, errors: Vec::new(), clock: None })
    }

    /// The same parameters, judging `accepting_stale` by `clock` (the server's rule; without
    /// it, the default of 30 days).
    #[must_use]
    pub fn judging_staleness_by(mut self, clock: VacancyClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// `accepting` (a comma list of yes, consult, no; `true`/`false` as yes/no) and
    /// `accepting_stale` (true or false) into `filter`.
    pub fn vacancy_filters(&mut self, filter: &mut Filter) {
        if let Some(raw) = self.take("accepting") {
            match AcceptingSet::parse(&raw) {
                Some(set) => filter.accepting = Some(set),
                None => self.fail("accepting", "must be yes, consult or no (a comma list), or true or false"),
            }
        }
        if let Some(stale) = self.boolean("accepting_stale") {
            filter.accepting_stale = Some((stale, self.staleness_clock()));
        }
    }

    /// The clock that judges `accepting_stale` (see [`Params::judging_staleness_by`]).
    pub fn staleness_clock(&self) -> VacancyClock {
        self.clock.clone().unwrap_or_else(|| VacancyClock::now(crate::domain::vacancy::DEFAULT_STALE_AFTER_DAYS))
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.values.binary_search_by(|(k, _)| k.as_str().cmp(name)).ok()
    }

    fn take(&mut self, name: &str) -> Option<String> {
        let at = self.find(name)?;
        Some(self.values.remove(at).1).filter(|v| !v.is_empty())
    }

    fn fail(&mut self, name: &str, reason: impl Into<String>) {
        self.errors.push(FieldError::new(name, reason));
    }

    /// Whether the parameter was given (and not yet consumed).
    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some_and(|at| !self.values[at].1.is_empty())
    }

    /// A free-text parameter, trimmed, at most [`MAX_TEXT_CHARS`] characters.
    pub fn text(&mut self, name: &str) -> Option<String> {
        let v = self.take(name)?;
        if v.chars().count() > MAX_TEXT_CHARS {
            self.fail(name, format!("must be at most {MAX_TEXT_CHARS} characters"));
            return None;
        }
        Some(v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// A finite number within `range` (inclusive).
    pub fn number(&mut self, name: &str, range: std::ops::RangeInclusive<f64>) -> Option<f64> {
        let raw = self.take(name)?;
        match raw.trim().parse::<f64>() {
            Ok(v) if !v.is_finite() => self.fail(name, "must be a finite number"),
            Ok(v) if !range.contains(&v) => {
                self.fail(name, format!("must be between {} and {}", range.start(), range.end()));
            }
            Ok(v) => return Some(v),
            Err(_) => self.fail(name, format!("must be a number, not '{raw}'")),
        }
        None
    }

    /// A whole number within `range`, or `default` when absent.
    pub fn integer(&mut self, name: &str, default: u64, range: std::ops::RangeInclusive<u64>) -> u64 {
        let Some(raw) = self.take(name) else { return default };
        match raw.trim().parse::<u64>() {
            Ok(v) if range.contains(&v) => return v,
            Ok(_) => self.fail(name, format!("must be between {} and {}", range.start(), range.end())),
            Err(_) => self.fail(name, format!("must be a whole number between {} and {}", range.start(), range.end())),
        }
        default
    }

    /// `true` or `false`.
    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.take(name)?.as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            other => {
                let reason = format!("must be true or false, not '{other}'");
                self.fail(name, reason);
                None
            }
        }
    }

    /// A required longitude/latitude pair from two parameters.
    pub fn lon_lat(&mut self, lon_name: &str, lat_name: &str) -> Option<LonLat> {
        let missing = |p: &mut Self, n: &str| {
            if !p.has(n) {
                p.fail(n, "is required");
            }
        };
        missing(self, lon_name);
        missing(self, lat_name);
        let lon = self.number(lon_name, -180.0..=180.0);
        let lat = self.number(lat_name, -90.0..=90.0);
        LonLat::new(lon?, lat?).ok()
    }

    /// A position given as one `lon,lat` parameter.
    pub fn position(&mut self, name: &str) -> Option<LonLat> {
        let raw = self.take(name)?;
        let parts: Option<Vec<f64>> = raw.split(',').map(|s| s.trim().parse().ok()).collect();
        match parts.as_deref() {
            Some(&[lon, lat]) => match LonLat::new(lon, lat) {
                Ok(p) => return Some(p),
                Err(e) => self.fail(name, e.to_string()),
            },
            _ => self.fail(name, "must be lon,lat (two numbers)"),
        }
        None
    }

    /// A raw parameter for parsers that report their own errors.
    pub fn raw(&mut self, name: &str) -> Option<String> {
        self.take(name)
    }

    /// Records an error found by a caller.
    pub fn error(&mut self, name: &str, reason: impl Into<String>) {
        self.fail(name, reason);
    }

    /// The provider filters shared by every query: `kind`, `service`, `district`, `accepting`,
    /// `accepting_stale`, `home_care`, `available_24h`, `q`. `district_exists` checks a district id.
    pub fn filter(&mut self, district_exists: impl Fn(&str) -> bool) -> Filter {
        let mut filter = Filter::default();
        if let Some(raw) = self.take("kind") {
            let kinds: Option<Vec<Kind>> = raw.split(',').map(|k| Kind::parse(k.trim())).collect();
            match kinds {
                Some(k) => filter.kinds = Some(k),
                None => self.fail("kind", "must be a comma list of care, clinic, hospital, pharmacy"),
            }
        }
        if let Some(raw) = self.take("service") {
            match ServiceSet::parse(raw.split(',')) {
                Ok(s) => filter.services = s,
                Err(e) => self.fail("service", e.to_string()),
            }
        }
        if let Some(d) = self.take("district") {
            if district_exists(&d) {
                filter.district = Some(d);
            } else {
                self.fail("district", format!("unknown district '{d}'; see /api/districts"));
            }
        }
        self.vacancy_filters(&mut filter);
        filter.home_care = self.boolean("home_care");
        filter.available_24h = self.boolean("available_24h");
        filter.text = self.text("q");
        filter
    }

    /// Ends parsing: refuses parameters nobody consumed and returns all errors found.
    ///
    /// # Errors
    /// A 400 naming every bad or unknown parameter.
    pub fn finish(mut self) -> Result<(), ApiError> {
        for (name, _) in self.values {
            self.errors.push(FieldError::new(name, "is not a parameter of this endpoint"));
        }
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::InvalidParams(self.errors)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(r: Result<(), ApiError>) -> Vec<String> {
        match r {
            Err(ApiError::InvalidParams(e)) => e.into_iter().map(|e| e.name).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let mut p = Params::parse(Some("lon=abc&lat=95&k=0&colour=red")).unwrap();
        assert!(p.lon_lat("lon", "lat").is_none());
        p.integer("k", 10, 1..=100);
        assert_eq!(names(p.finish()), ["lon", "lat", "k", "colour"]);
    }

    #[test]
    fn non_finite_numbers_are_refused() {
        for v in ["NaN", "inf", "-infinity"] {
            let mut p = Params::parse(Some(&format!("lat={v}&lon=1"))).unwrap();
            assert!(p.lon_lat("lon", "lat").is_none());
            assert_eq!(names(p.finish()), ["lat"]);
        }
    }

    #[test]
    fn repeated_parameters_are_refused_naming_the_first_repeat() {
        assert!(Params::parse(Some("k=1&k=2")).is_err());
        assert_eq!(names(Params::parse(Some("b=1&a=1&b=2&a=2")).map(drop)), ["b"]);
        assert_eq!(names(Params::parse(Some("b=1&a=1&a=2&b=2")).map(drop)), ["a"]);
        // Percent-encoded names are the same parameter.
        assert_eq!(names(Params::parse(Some("lon=1&l%6Fn=2")).map(drop)), ["lon"]);
    }

    #[test]
    fn parameters_are_found_whatever_their_order_and_consumed_once() {
        let mut p = Params::parse(Some("zeta=1&k=5&alpha=&lat=35.8&lon=139.9")).unwrap();
        assert!(p.has("zeta") && p.has("lat") && !p.has("alpha") && !p.has("nothing"));
        assert_eq!(p.integer("k", 10, 1..=100), 5);
        assert_eq!(p.integer("k", 10, 1..=100), 10, "a consumed parameter is gone");
        assert!(p.lon_lat("lon", "lat").is_some());
        assert_eq!(p.raw("alpha"), None, "empty counts as absent");
        assert_eq!(names(p.finish()), ["zeta"]);
        let mut p = Params::parse(Some("c=3&b=2&a=1")).unwrap();
        assert_eq!(p.raw("b").as_deref(), Some("2"));
        assert_eq!(names(p.finish()), ["a", "c"], "unknown parameters are named in order");
    }

    #[test]
    fn filters_are_parsed_and_checked() {
        let mut p = Params::parse(Some("kind=care,clinic&service=130,430&district=north&accepting=true")).unwrap();
        let f = p.filter(|d| d == "north");
        p.finish().unwrap();
        assert_eq!(f.kinds, Some(vec![Kind::Care, Kind::Clinic]));
        assert_eq!(f.services.codes().collect::<Vec<_>>(), ["130", "430"]);
        assert_eq!(f.accepting, AcceptingSet::parse("yes"));
        let mut p = Params::parse(Some("service=999&district=nowhere&accepting=maybe")).unwrap();
        p.filter(|_| false);
        assert_eq!(names(p.finish()), ["service", "district", "accepting"]);
    }
}
