//! `sortby` (OGC API – Features Part 8 spelling): `name,-updated_at,+capacity` orders a
//! result by each property in turn, `-` descending. Missing values sort last in either
//! direction, and the provider id breaks every tie, so pages of a sorted list are stable.

use std::cmp::Ordering;

use crate::cql::{Queryable, Value};
use crate::domain::ProviderFields;

use super::Found;

/// What a result can be sorted by: `id` and every queryable except `service` (many values).
pub const SORTABLE: [&str; 15] = [
    "id",
    "kind",
    "district",
    "accepting",
    "home_care",
    "available_24h",
    "name",
    "name_kana",
    "address",
    "corporation",
    "official_code",
    "capacity",
    "updated_at",
    "accepting_updated_at",
    "accepting_checked_at",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Id,
    Property(Queryable),
}

/// A parsed `sortby`: keys with their direction (`true` = descending).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SortBy(Vec<(Key, bool)>);

impl SortBy {
    /// Parses a comma list of sortable names, each optionally prefixed `+` (ascending, the
    /// default) or `-` (descending).
    ///
    /// # Errors
    /// A reason naming the unknown or repeated property.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut keys: Vec<(Key, bool)> = Vec::new();
        for part in raw.split(',').map(str::trim) {
            // A `+` arrives as a space when a client does not percent-encode it.
            let (name, descending) = match part.strip_prefix('-') {
                Some(rest) => (rest, true),
                None => (part.strip_prefix('+').unwrap_or(part), false),
            };
            let key = match name {
                "id" => Key::Id,
                n if SORTABLE.contains(&n) => Key::Property(Queryable::parse(n).ok_or("unreachable")?),
                "" => return Err("has an empty entry; give a comma list such as name,-updated_at".into()),
                n => return Err(format!("cannot sort by '{n}'; sortable: {}", SORTABLE.join(", "))),
            };
            if keys.iter().any(|(k, _)| *k == key) {
                return Err(format!("names '{name}' more than once"));
            }
            keys.push((key, descending));
        }
        Ok(Self(keys))
    }

    /// Whether no key was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorts `found` by the keys, then by id.
    pub fn sort(&self, found: &mut Vec<Found<'_>>) {
        if self.0.is_empty() {
            return;
        }
        // Each provider's values are read once, not at every comparison.
        let mut keyed: Vec<(Vec<Option<Value>>, Found<'_>)> = found
            .drain(..)
            .map(|f| {
                let values = self
                    .0
                    .iter()
                    .map(|(k, _)| match k {
                        Key::Id => Some(Value::Text(f.provider.id().to_owned())),
                        // The vacancy sorts by meaning (受入可, 要相談, 受入不可), not by spelling.
                        Key::Property(Queryable::Accepting) => {
                            f.provider.accepting().map(|a| Value::Number(f64::from(a as u8)))
                        }
                        Key::Property(q) => q.value_of(f.provider),
                    })
                    .collect();
                (values, f)
            })
            .collect();
        keyed.sort_by(|(a, fa), (b, fb)| {
            for ((x, y), (_, descending)) in a.iter().zip(b).zip(&self.0) {
                let o = match (x, y) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Greater,
                    (Some(_), None) => Ordering::Less,
                    (Some(x), Some(y)) => {
                        let o = x.compare(y).unwrap_or(Ordering::Equal);
                        if *descending { o.reverse() } else { o }
                    }
                };
                if o.is_ne() {
                    return o;
                }
            }
            fa.provider.id().cmp(fb.provider.id())
        });
        found.extend(keyed.into_iter().map(|(_, f)| f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Record;
    use crate::domain::{Kind, LonLat, Provider};

    fn provider(id: &str, name: &str, capacity: Option<u32>) -> Provider {
        Provider { capacity, ..Provider::new(id.into(), Kind::Care, name.into(), LonLat::TOKYO_STATION) }
    }

    fn sorted(raw: &str, providers: &[Provider]) -> Vec<String> {
        let records: Vec<Record> = providers.iter().map(Record::new).collect();
        let mut found: Vec<Found<'_>> = records.iter().map(|p| Found { provider: p, distance_m: None }).collect();
        SortBy::parse(raw).unwrap().sort(&mut found);
        found.iter().map(|f| f.provider.id().to_owned()).collect()
    }

    #[test]
    fn keys_apply_in_turn_with_missing_values_last_and_ties_by_id() {
        let ps = [
            provider("d", "b", None),
            provider("c", "a", Some(10)),
            provider("b", "b", Some(20)),
            provider("a", "b", Some(20)),
        ];
        assert_eq!(sorted("name,-capacity", &ps), ["c", "a", "b", "d"]);
        assert_eq!(sorted("+capacity", &ps), ["c", "a", "b", "d"]);
        assert_eq!(sorted("-id", &ps), ["d", "c", "b", "a"]);
    }

    #[test]
    fn the_vacancy_sorts_yes_consult_no_then_unknown() {
        use crate::domain::Accepting;
        let with = |id: &str, a: Option<Accepting>| Provider { accepting: a, ..provider(id, id, None) };
        let ps = [
            with("a", Some(Accepting::No)),
            with("b", None),
            with("c", Some(Accepting::Consult)),
            with("d", Some(Accepting::Yes)),
        ];
        assert_eq!(sorted("accepting", &ps), ["d", "c", "a", "b"]);
        assert_eq!(sorted("-accepting", &ps), ["a", "c", "d", "b"]);
    }

    #[test]
    fn unknown_empty_and_repeated_keys_are_refused() {
        assert!(SortBy::parse("nmae").unwrap_err().contains("'nmae'"));
        assert!(SortBy::parse("service").is_err());
        assert!(SortBy::parse("name,").is_err());
        assert!(SortBy::parse("name,-name").unwrap_err().contains("more than once"));
    }
}
