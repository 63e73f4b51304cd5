//! Domain types, validated when they are created: positions, areas, providers, services,
//! districts, stored times, what writes derive (revision stamps, districts). No I/O here.

pub mod area;
pub mod district;
pub mod fields;
pub mod history;
pub mod lonlat;
pub mod provider;
pub mod provider_fields;
pub mod revision;
pub mod service;
pub mod text;
pub mod timestamp;
pub mod vacancy;

pub use area::{AreaError, Bbox, MAX_POLYGON_PARTS, MAX_POLYGON_VERTICES, polygon_from_geojson, search_area_from_json};
pub use district::{District, DistrictError, district_of, parse_districts};
pub use fields::{
    Access, FieldType, FormInput, Owner, PROVIDER_FIELDS, ProviderField, TextAt, differing, field, field_label,
    staff_owned,
};
pub use history::{FieldChange, action, actor_name, entry_changes, field_changes, name_districts};
pub use lonlat::{Extent, JAPAN_EXTENT, LonLat, LonLatError};
pub use provider::{FieldError, HomeCare, HomeCareClass, Kind, Provider};
pub use provider_fields::ProviderFields;
pub use revision::{Stamp, leaves_deleted, place_in_district};
pub use service::{GROUPS, SERVICE_TYPES, ServiceGroup, ServiceSet, ServiceType, service_type};
pub use text::{normalize_into, normalize_text};
pub use timestamp::{now_utc, utc_text};
pub use vacancy::{Accepting, AcceptingSet, VacancyChange, VacancyClock};
