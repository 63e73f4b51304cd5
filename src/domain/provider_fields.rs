//! Reading a provider's fields whatever its layout: the owned [`Provider`] the store and the
//! write door handle, or the catalog's compact record that readers are served from. One method
//! per [`Access`] representation, each taking the field of [`PROVIDER_FIELDS`] it reads (the
//! representations that only one field has take none), so every writer (GeoJSON, CSV, tiles),
//! filter and sort key is written once, generic over the layout, and the field table stays the
//! one place fields are declared.
//!
//! [`PROVIDER_FIELDS`]: super::PROVIDER_FIELDS

use super::fields::{ACCEPTING_CHECKED_AT, Access, CAPACITY, DISTRICT, NAME, PROVIDER_FIELDS, ProviderField};
use super::lonlat::LonLat;
use super::provider::{HomeCare, Kind, Provider};
use super::service::ServiceSet;
use super::vacancy::Accepting;

/// A provider's values, read in place.
pub trait ProviderFields {
    /// The stable id.
    fn id(&self) -> &str;
    /// The version (optimistic concurrency).
    fn version(&self) -> i64;
    /// RFC 3339 UTC time of the last change.
    fn updated_at(&self) -> &str;
    /// Who made the last change.
    fn updated_by(&self) -> &str;
    /// The kind (the one [`Access::Kind`] field).
    fn kind(&self) -> Kind;
    /// Text field `f` ([`Access::Text`]); `None` for fields of another representation.
    fn text(&self, f: &ProviderField) -> Option<&str>;
    /// The service codes, in their stored order (the one [`Access::Codes`] field).
    fn codes(&self) -> impl Iterator<Item = &str>;
    /// Home medical care (the one [`Access::HomeCare`] field).
    fn home_care(&self) -> Option<HomeCare>;
    /// Count field `f` ([`Access::Count`]); `None` for fields of another representation.
    fn count(&self, f: &ProviderField) -> Option<u32>;
    /// The vacancy state (the one [`Access::Accepting`] field).
    fn accepting(&self) -> Option<Accepting>;
    /// Where it is (the one [`Access::Point`] field), WGS84.
    fn location(&self) -> LonLat;
    /// The known service codes as a set (for filtering).
    fn services(&self) -> ServiceSet;
    /// An owned copy, for the few callers that change or compare whole providers.
    fn to_provider(&self) -> Provider;

    /// 名称.
    #[inline]
    fn name(&self) -> &str {
        self.text(NAME).unwrap_or_default()
    }

    /// The district id.
    #[inline]
    fn district(&self) -> Option<&str> {
        self.text(DISTRICT)
    }

    /// 定員.
    #[inline]
    fn capacity(&self) -> Option<u32> {
        self.count(CAPACITY)
    }

    /// When the vacancy was last confirmed (RFC 3339 UTC).
    #[inline]
    fn accepting_checked_at(&self) -> Option<&str> {
        self.text(ACCEPTING_CHECKED_AT)
    }
}

/// An owned [`Provider`] with the values of `p`, field by field through the field table: the
/// `to_provider` of the layouts other than `Provider` itself.
pub fn owned_provider(p: &impl ProviderFields) -> Provider {
    let mut owned = Provider {
        version: p.version(),
        updated_at: p.updated_at().to_owned(),
        updated_by: p.updated_by().to_owned(),
        ..Provider::new(p.id().to_owned(), p.kind(), String::new(), p.location())
    };
    for f in PROVIDER_FIELDS {
        match f.access {
            Access::Kind { set, .. } => set(&mut owned, p.kind()),
            Access::Text { set, .. } => set(&mut owned, p.text(f).map(str::to_owned)),
            Access::Codes { set, .. } => set(&mut owned, p.codes().map(str::to_owned).collect()),
            Access::HomeCare { set, .. } => set(&mut owned, p.home_care()),
            Access::Count { set, .. } => set(&mut owned, p.count(f)),
            Access::Accepting { set, .. } => set(&mut owned, p.accepting()),
            Access::Point { set, .. } => set(&mut owned, p.location()),
        }
    }
    owned
}

impl ProviderFields for Provider {
    #[inline]
    fn id(&self) -> &str {
        &self.id
    }

    #[inline]
    fn version(&self) -> i64 {
        self.version
    }

    #[inline]
    fn updated_at(&self) -> &str {
        &self.updated_at
    }

    #[inline]
    fn updated_by(&self) -> &str {
        &self.updated_by
    }

    #[inline]
    fn kind(&self) -> Kind {
        self.kind
    }

    #[inline]
    fn text(&self, f: &ProviderField) -> Option<&str> {
        match f.access {
            Access::Text { get, .. } => get(self),
            _ => None,
        }
    }

    #[inline]
    fn codes(&self) -> impl Iterator<Item = &str> {
        self.services.iter().map(String::as_str)
    }

    #[inline]
    fn home_care(&self) -> Option<HomeCare> {
        self.home_care
    }

    #[inline]
    fn count(&self, f: &ProviderField) -> Option<u32> {
        match f.access {
            Access::Count { get, .. } => get(self),
            _ => None,
        }
    }

    #[inline]
    fn accepting(&self) -> Option<Accepting> {
        self.accepting
    }

    #[inline]
    fn location(&self) -> LonLat {
        self.location
    }

    #[inline]
    fn services(&self) -> ServiceSet {
        self.service_set()
    }

    fn to_provider(&self) -> Provider {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PROVIDER_FIELDS;

    #[test]
    fn a_provider_reads_each_field_as_its_table_getter_does() {
        let p = Provider {
            phone: Some("04-7150-1234".into()),
            capacity: Some(19),
            district: Some("north".into()),
            services: vec!["130".into(), "110".into()],
            ..Provider::new("p".into(), Kind::Care, "さくら".into(), LonLat::new(139.9, 35.85).unwrap())
        };
        for f in PROVIDER_FIELDS {
            match f.access {
                Access::Text { get, .. } => assert_eq!(p.text(f), get(&p), "{}", f.key),
                Access::Count { get, .. } => assert_eq!(p.count(f), get(&p), "{}", f.key),
                _ => assert_eq!((p.text(f), p.count(f)), (None, None), "{}", f.key),
            }
        }
        assert_eq!((p.name(), p.district(), p.capacity()), ("さくら", Some("north"), Some(19)));
        assert_eq!(p.codes().collect::<Vec<_>>(), ["130", "110"]);
    }
}
