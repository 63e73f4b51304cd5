//! What every write derives for the providers it stores, in one place: the district from the
//! districts (point in polygon), and the revision stamp (version, time, author). The write
//! door, the store and the import planner all use these, so a provider is stamped and placed
//! the same way whichever path wrote it.

use super::{District, Provider, action, district_of, now_utc};

/// When and by whom a write is made: one "now" per write, shared by every provider it touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// RFC 3339 UTC time of the write (the stored form, see [`super::utc_text`]).
    pub at: String,
    /// The account (or loader) making it, recorded as `updated_by` and `changed_by`.
    pub by: String,
}

impl Stamp {
    /// A write by `by` now.
    pub fn now(by: impl Into<String>) -> Self {
        Self { at: now_utc(), by: by.into() }
    }

    /// `p` as version `version` made by this write.
    pub fn apply(&self, mut p: Provider, version: i64) -> Provider {
        p.version = version;
        self.at.clone_into(&mut p.updated_at);
        self.by.clone_into(&mut p.updated_by);
        p
    }
}

/// Sets the provider's district to the first of `districts` containing its location (none
/// outside every district).
pub fn place_in_district(p: &mut Provider, districts: &[District]) {
    p.district = district_of(districts, p.location).map(|d| d.id.clone());
}

/// Whether a change recorded with `action` leaves the provider soft-deleted (hidden from the
/// public API); every other action leaves it live. The change feed reads it so: the store
/// keeps the provider after each change, and this says whether that state is served.
pub fn leaves_deleted(action_done: &str) -> bool {
    matches!(action_done, action::DELETE | action::IMPORT_DELETE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Kind, LonLat, parse_districts};

    #[test]
    fn a_stamp_sets_version_time_and_author_and_nothing_else() {
        let p = Provider::new("a".into(), Kind::Care, "さくら".into(), LonLat::new(139.9, 35.85).unwrap());
        let stamp = Stamp { at: "2026-11-30T00:00:00Z".into(), by: "yamada".into() };
        let stamped = stamp.apply(p.clone(), 7);
        assert_eq!(
            (stamped.version, stamped.updated_at.as_str(), stamped.updated_by.as_str()),
            (7, stamp.at.as_str(), "yamada")
        );
        assert_eq!(
            Provider {
                version: p.version,
                updated_at: p.updated_at.clone(),
                updated_by: p.updated_by.clone(),
                ..stamped
            },
            p
        );
    }

    #[test]
    fn a_provider_is_placed_in_the_district_holding_it_or_in_none() {
        let districts = parse_districts(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"n","name":"北部"},
            "geometry":{"type":"Polygon","coordinates":[[[139,35],[140,35],[140,36],[139,35]]]}}]}"#,
        )
        .unwrap();
        let mut p = Provider::new("a".into(), Kind::Care, "さくら".into(), LonLat::new(139.9, 35.05).unwrap());
        place_in_district(&mut p, &districts);
        assert_eq!(p.district.as_deref(), Some("n"));
        p.location = LonLat::new(141.0, 35.5).unwrap();
        place_in_district(&mut p, &districts);
        assert_eq!(p.district, None);
    }
}
