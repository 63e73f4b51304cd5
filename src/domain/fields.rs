//! The provider's fields, declared once: the public property name, the Japanese label staff
//! read (also the history's label), the value type, who owns the value when an import meets
//! a stored provider (see [`Owner`]), the CSV columns, the SQL columns, how the staff form
//! edits it, and typed access to the value in a [`Provider`]. Everything that handles fields
//! one by one walks [`PROVIDER_FIELDS`]: the GeoJSON reader and writer
//! (`formats::geojson`), the CSV columns (`formats::csv`), the store's row codec
//! (`store::codec`), the field diff and history labels (`domain::history`), the import's
//! merge (`import::plan`) and the staff form (`GET /api/fields`). Each of them encodes a
//! value by its [`Access`] variant, so a new field of an existing type needs only a line here,
//! a migration (its column) and tests.

use serde::Serialize;
use serde_json::Value;

use super::lonlat::LonLat;
use super::provider::{HomeCare, Kind, Provider};
use super::vacancy::Accepting;

/// Who owns a field's value when an import updates a stored provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    /// The official files carry it: an import sets it. An empty cell keeps the stored value
    /// unless the import is told that blanks clear (`--blank-clears`).
    Import,
    /// Staff keep it by hand (備考, 受入可否 and its date): an import never overwrites it on a
    /// stored provider; it only fills it for a provider the import adds.
    Staff,
    /// Derived when saved (the district, from the location); ignored on input.
    Derived,
}

/// What kind of value a field holds, as the public field list names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// One of the [`Kind`]s (`care`, `clinic` …).
    Kind,
    /// Free text (or a code written as text, such as a phone number).
    Text,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A district id (see `/api/districts`).
    District,
    /// A list of MHLW service codes.
    ServiceCodes,
    /// Home medical care: the 在宅療養支援 class and four flags.
    HomeCare,
    /// A whole number of at least 0.
    Count,
    /// One of a few named states (`values` lists them with their Japanese labels), or unknown.
    Choice,
    /// An RFC 3339 UTC time, set by the server.
    Time,
    /// A WGS84 position, `[lon, lat]`.
    Point,
}

/// How the staff form edits a field with a plain input (fields without one have their own
/// controls: kind, services, home care, the vacancy, position; or none: the district).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FormInput {
    /// The HTML input: `text`, `tel`, `url` or `textarea`.
    pub input: &'static str,
    /// Whether a phone shows its numeric keyboard for it (`inputmode="numeric"`).
    pub numeric: bool,
    /// Whether the form refuses to be empty.
    pub required: bool,
    /// A hint shown under the input (Japanese), if any.
    pub hint: Option<&'static str>,
}

impl FormInput {
    const fn of(input: &'static str) -> Option<Self> {
        Some(Self { input, numeric: false, required: false, hint: None })
    }

    const fn hint(input: &'static str, numeric: bool, hint: &'static str) -> Option<Self> {
        Some(Self { input, numeric, required: false, hint: Some(hint) })
    }
}

/// Typed access to a field's value, one variant per representation. Formats encode each
/// variant once (JSON, CSV, SQL), so they need nothing per field.
#[derive(Clone, Copy)]
pub enum Access {
    /// [`FieldType::Kind`].
    Kind {
        /// The value.
        get: fn(&Provider) -> Kind,
        /// Sets the value.
        set: fn(&mut Provider, Kind),
    },
    /// Optional text ([`FieldType::Text`], [`FieldType::Date`], [`FieldType::Time`],
    /// [`FieldType::District`]). A
    /// required text field reads as `Some` always and takes `None` as empty text.
    Text {
        /// The value.
        get: fn(&Provider) -> Option<&str>,
        /// Sets the value.
        set: fn(&mut Provider, Option<String>),
        /// Where the catalog's compact record keeps it.
        at: TextAt,
    },
    /// A list of codes ([`FieldType::ServiceCodes`]).
    Codes {
        /// The value.
        get: fn(&Provider) -> &[String],
        /// Sets the value.
        set: fn(&mut Provider, Vec<String>),
    },
    /// [`FieldType::HomeCare`].
    HomeCare {
        /// The value.
        get: fn(&Provider) -> Option<&HomeCare>,
        /// Sets the value.
        set: fn(&mut Provider, Option<HomeCare>),
    },
    /// [`FieldType::Count`].
    Count {
        /// The value.
        get: fn(&Provider) -> Option<u32>,
        /// Sets the value.
        set: fn(&mut Provider, Option<u32>),
        /// Which of the compact record's counts holds it (`0..COUNT_SLOTS`).
        at: u8,
    },
    /// [`FieldType::Choice`]: the vacancy state (see [`Accepting`] for its spellings and labels).
    Accepting {
        /// The value.
        get: fn(&Provider) -> Option<Accepting>,
        /// Sets the value.
        set: fn(&mut Provider, Option<Accepting>),
    },
    /// [`FieldType::Point`].
    Point {
        /// The value.
        get: fn(&Provider) -> LonLat,
        /// Sets the value.
        set: fn(&mut Provider, LonLat),
    },
}

/// Where the catalog's compact record (`catalog::record`) keeps a text field: in the
/// provider's own text block, or as a number into the shared table of repeated strings
/// (corporation names and district ids repeat across many providers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextAt {
    /// Entry `n` of the text block (`1..TEXT_SLOTS`; entry 0 is the id).
    Block(u8),
    /// Interned number `n` of the record (`0..POOLED_SLOTS`).
    Pooled(u8),
}

/// Text block entries the table's fields use (ids `1..TEXT_SLOTS`; 0 is the id).
pub const TEXT_SLOTS: u8 = 14;
/// Interned text fields.
pub const POOLED_SLOTS: u8 = 2;
/// Count fields.
pub const COUNT_SLOTS: u8 = 2;

/// One field of a provider.
pub struct ProviderField {
    /// The public property name (`phone`), `geometry` for the location (the Feature's
    /// geometry, not a property).
    pub key: &'static str,
    /// The Japanese label staff read (`電話番号`), also in history and import changes.
    pub label_ja: &'static str,
    /// What kind of value it holds.
    pub ty: FieldType,
    /// Who owns the value when an import meets a stored provider.
    pub owner: Owner,
    /// The CSV columns (Japanese headers) it fills, in order; none for fields the CSV for
    /// spreadsheets leaves out.
    pub csv: &'static [&'static str],
    /// The SQL columns it is stored in, in order (two for a point: lon, lat).
    pub sql: &'static [&'static str],
    /// How the staff form edits it with a plain input, if it does.
    pub form: Option<FormInput>,
    /// Typed access to the value.
    pub access: Access,
    /// `"key":` as JSON, written before the value.
    pub json_key: &'static str,
    value: fn(&Provider) -> Value,
    differs: fn(&Provider, &Provider) -> bool,
    is_blank: fn(&Provider) -> bool,
    copy: fn(&mut Provider, &Provider),
}

impl std::fmt::Debug for ProviderField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderField").field("key", &self.key).finish_non_exhaustive()
    }
}

impl ProviderField {
    /// The field's value in `p` as JSON (as the public Feature writes it; `[lon, lat]` for
    /// the geometry).
    pub fn value(&self, p: &Provider) -> Value {
        (self.value)(p)
    }

    /// Whether `a` and `b` differ in this field.
    pub fn differs(&self, a: &Provider, b: &Provider) -> bool {
        (self.differs)(a, b)
    }

    /// Whether the field is empty in `p` (no value, an empty list or text).
    pub fn is_blank(&self, p: &Provider) -> bool {
        (self.is_blank)(p)
    }

    /// Sets this field of `to` to its value in `from`.
    pub fn copy(&self, to: &mut Provider, from: &Provider) {
        (self.copy)(to, from);
    }

    /// Whether the field is one of a Feature's `properties` (all but the geometry).
    pub fn is_property(&self) -> bool {
        self.ty != FieldType::Point
    }
}

/// Values that can be empty.
trait Blank {
    fn is_blank(&self) -> bool;
}

impl<T> Blank for Option<T> {
    fn is_blank(&self) -> bool {
        self.is_none()
    }
}

impl<T> Blank for Vec<T> {
    fn is_blank(&self) -> bool {
        self.is_empty()
    }
}

impl Blank for String {
    fn is_blank(&self) -> bool {
        self.trim().is_empty()
    }
}

impl Blank for Kind {
    fn is_blank(&self) -> bool {
        false
    }
}

impl Blank for LonLat {
    fn is_blank(&self) -> bool {
        false
    }
}

/// Access to an optional text field.
macro_rules! text {
    ($field:ident, $at:expr) => {
        Access::Text { get: |p| p.$field.as_deref(), set: |p, v| p.$field = v, at: $at }
    };
}

macro_rules! field {
    ($key:literal, $field:ident, $label:literal, $ty:ident, $owner:ident, $access:expr,
     csv: [$($csv:literal),*], sql: [$($sql:literal),*], form: $form:expr) => {
        ProviderField {
            key: $key,
            label_ja: $label,
            ty: FieldType::$ty,
            owner: Owner::$owner,
            csv: &[$($csv),*],
            sql: &[$($sql),*],
            form: $form,
            access: $access,
            json_key: concat!("\"", $key, "\":"),
            value: |p| serde_json::to_value(&p.$field).unwrap_or(Value::Null),
            differs: |a, b| a.$field != b.$field,
            is_blank: |p| Blank::is_blank(&p.$field),
            copy: |to, from| to.$field = Clone::clone(&from.$field),
        }
    };
}

/// Every field of a provider but the id and the bookkeeping (`version`, `updated_at`,
/// `updated_by`), in the order of the public Feature's properties (the geometry last).
///
/// Staff-owned: 備考 (`notes`), the vacancy (`accepting`, its note, free places, when it was
/// confirmed and the date). Every official file
/// caremap reads leaves them out or carries only a file-wide note, while staff keep them
/// current by hand; an import therefore fills them only for providers it adds.
pub const PROVIDER_FIELDS: &[ProviderField] = &[
    field!("kind", kind, "種別", Kind, Import, Access::Kind { get: |p| p.kind, set: |p, v| p.kind = v },
        csv: ["種別"], sql: ["kind"], form: None),
    field!("official_code", official_code, "事業所番号・医療機関コード", Text, Import, text!(official_code, TextAt::Block(1)),
        csv: ["事業所番号"], sql: ["official_code"], form: FormInput::hint("text", true, "10桁または13桁の数字")),
    field!("name", name, "名称", Text, Import,
        Access::Text { get: |p| Some(&p.name), set: |p, v| p.name = v.unwrap_or_default(), at: TextAt::Block(2) },
        csv: ["名称"], sql: ["name"], form: Some(FormInput { input: "text", numeric: false, required: true, hint: None })),
    field!("name_kana", name_kana, "フリガナ", Text, Import, text!(name_kana, TextAt::Block(3)),
        csv: ["名称（カナ）"], sql: ["name_kana"], form: FormInput::of("text")),
    field!("services", services, "サービス種別", ServiceCodes, Import,
        Access::Codes { get: |p| &p.services, set: |p, v| p.services = v },
        csv: ["サービス"], sql: ["services"], form: None),
    field!("home_care", home_care, "在宅医療", HomeCare, Import,
        Access::HomeCare { get: |p| p.home_care.as_ref(), set: |p, v| p.home_care = v },
        csv: ["在宅療養支援", "24時間対応"], sql: ["home_care"], form: None),
    field!("address", address, "住所", Text, Import, text!(address, TextAt::Block(4)),
        csv: ["住所"], sql: ["address"], form: FormInput::of("text")),
    field!("phone", phone, "電話番号", Text, Import, text!(phone, TextAt::Block(5)),
        csv: ["電話番号"], sql: ["phone"], form: FormInput::hint("tel", false, "例：04-7150-1234")),
    field!("fax", fax, "FAX番号", Text, Import, text!(fax, TextAt::Block(6)),
        csv: ["FAX番号"], sql: ["fax"], form: FormInput::of("tel")),
    field!("url", url, "ホームページ", Text, Import, text!(url, TextAt::Block(7)),
        csv: ["URL"], sql: ["url"], form: FormInput::hint("url", false, "http:// または https:// で始まるアドレス")),
    field!("corporation", corporation, "法人名", Text, Import, text!(corporation, TextAt::Pooled(0)),
        csv: ["法人名"], sql: ["corporation"], form: FormInput::of("text")),
    field!("corporate_number", corporate_number, "法人番号", Text, Import, text!(corporate_number, TextAt::Block(8)),
        csv: [], sql: ["corporate_number"], form: FormInput::hint("text", true, "13桁の数字")),
    field!("capacity", capacity, "定員", Count, Import,
        Access::Count { get: |p| p.capacity, set: |p, v| p.capacity = v, at: 0 },
        csv: ["定員"], sql: ["capacity"],
        form: FormInput::hint("text", true, "人数（訪問系などで定員がない場合は空欄）")),
    field!("open_days", open_days, "営業日", Text, Import, text!(open_days, TextAt::Block(9)),
        csv: ["利用可能曜日"], sql: ["open_days"], form: FormInput::hint("text", false, "例：平日,土曜日")),
    field!("notes", notes, "備考", Text, Staff, text!(notes, TextAt::Block(10)),
        csv: [], sql: ["notes"], form: FormInput::of("textarea")),
    field!("accepting", accepting, "受入可否", Choice, Staff,
        Access::Accepting { get: |p| p.accepting, set: |p, v| p.accepting = v },
        csv: ["受入可否"], sql: ["accepting"], form: None),
    field!("accepting_note", accepting_note, "空き状況のメモ", Text, Staff, text!(accepting_note, TextAt::Block(11)),
        csv: ["空き状況メモ"], sql: ["accepting_note"], form: None),
    field!("accepting_places", accepting_places, "空き人数", Count, Staff,
        Access::Count { get: |p| p.accepting_places, set: |p, v| p.accepting_places = v, at: 1 },
        csv: ["空き人数"], sql: ["accepting_places"], form: None),
    field!("accepting_checked_at", accepting_checked_at, "空き状況の確認日時", Time, Staff, text!(accepting_checked_at, TextAt::Block(12)),
        csv: ["受入確認日時"], sql: ["accepting_checked_at"], form: None),
    field!("accepting_updated_at", accepting_updated_at, "受入可否の確認日", Date, Staff, text!(accepting_updated_at, TextAt::Block(13)),
        csv: ["受入確認日"], sql: ["accepting_updated_at"], form: None),
    field!("district", district, "日常生活圏域", District, Derived, text!(district, TextAt::Pooled(1)),
        csv: ["圏域"], sql: ["district"], form: None),
    field!("geometry", location, "位置", Point, Import,
        Access::Point { get: |p| p.location, set: |p, v| p.location = v },
        csv: ["経度", "緯度"], sql: ["lon", "lat"], form: None),
];

impl Serialize for ProviderField {
    /// The field as `GET /api/fields` lists it: `key`, `label`, `type`, `owner`, `csv`,
    /// `form` (or `null`), and for a choice its states with their labels (`values`).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("key", self.key)?;
        map.serialize_entry("label", self.label_ja)?;
        map.serialize_entry("type", &self.ty)?;
        map.serialize_entry("owner", &self.owner)?;
        map.serialize_entry("csv", self.csv)?;
        map.serialize_entry("form", &self.form)?;
        if self.key.starts_with("accepting") {
            map.serialize_entry("group", "vacancy")?;
        }
        if let Access::Accepting { .. } = self.access {
            let values: serde_json::Map<String, Value> =
                Accepting::ALL.iter().map(|a| (a.as_str().to_owned(), Value::from(a.label_ja()))).collect();
            map.serialize_entry("values", &values)?;
        }
        map.end()
    }
}

/// The field with property name `key` (`geometry` for the location).
pub fn field(key: &str) -> Option<&'static ProviderField> {
    PROVIDER_FIELDS.iter().find(|f| f.key == key)
}

/// The field with property name `key`, found at compile time (for the named fields below).
const fn known(key: &str) -> &'static ProviderField {
    let mut i = 0;
    while i < PROVIDER_FIELDS.len() {
        let (a, b) = (PROVIDER_FIELDS[i].key.as_bytes(), key.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return &PROVIDER_FIELDS[i];
            }
        }
        i += 1;
    }
    panic!("no such field")
}

/// `name`: the fields code reads by name (filters, tiles, sorting); everything else walks the table.
pub const NAME: &ProviderField = known("name");
/// `district`.
pub const DISTRICT: &ProviderField = known("district");
/// `capacity`.
pub const CAPACITY: &ProviderField = known("capacity");
/// `phone`.
pub const PHONE: &ProviderField = known("phone");
/// `fax`.
pub const FAX: &ProviderField = known("fax");
/// `name_kana`.
pub const NAME_KANA: &ProviderField = known("name_kana");
/// `address`.
pub const ADDRESS: &ProviderField = known("address");
/// `corporation`.
pub const CORPORATION: &ProviderField = known("corporation");
/// `official_code`.
pub const OFFICIAL_CODE: &ProviderField = known("official_code");
/// `accepting_updated_at`.
pub const ACCEPTING_UPDATED_AT: &ProviderField = known("accepting_updated_at");
/// `accepting_checked_at`.
pub const ACCEPTING_CHECKED_AT: &ProviderField = known("accepting_checked_at");

/// The Japanese label of a property name (also `deleted` and `id`); empty for other names.
pub fn field_label(key: &str) -> &'static str {
    match key {
        "deleted" => "削除",
        "id" => "ID",
        _ => field(key).map_or("", |f| f.label_ja),
    }
}

/// The fields staff own (see [`Owner::Staff`]).
pub fn staff_owned() -> impl Iterator<Item = &'static ProviderField> {
    PROVIDER_FIELDS.iter().filter(|f| f.owner == Owner::Staff)
}

/// The fields that differ from `before` to `after`, in table order: the one field diff (the
/// history and the import's report both start from it).
pub fn differing<'a>(before: &'a Provider, after: &'a Provider) -> impl Iterator<Item = &'static ProviderField> + 'a {
    PROVIDER_FIELDS.iter().filter(move |f| f.differs(before, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> Provider {
        Provider {
            phone: Some("04-7150-1234".into()),
            notes: Some("手入力".into()),
            ..Provider::new("p".into(), Kind::Care, "さくら".into(), LonLat::new(139.9, 35.85).unwrap())
        }
    }

    #[test]
    fn every_field_has_a_japanese_label_and_a_unique_key() {
        let mut keys: Vec<&str> = PROVIDER_FIELDS.iter().map(|f| f.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), PROVIDER_FIELDS.len());
        assert!(PROVIDER_FIELDS.iter().all(|f| !f.label_ja.is_empty()));
        assert_eq!(field_label("phone"), "電話番号");
        assert_eq!(field_label("deleted"), "削除");
    }

    #[test]
    fn notes_and_accepting_belong_to_staff() {
        let keys: Vec<&str> = staff_owned().map(|f| f.key).collect();
        assert_eq!(
            keys,
            [
                "notes",
                "accepting",
                "accepting_note",
                "accepting_places",
                "accepting_checked_at",
                "accepting_updated_at"
            ]
        );
    }

    #[test]
    fn a_field_reads_compares_tests_for_blank_and_copies() {
        let phone = field("phone").unwrap();
        let mut other = Provider { phone: None, ..provider() };
        assert_eq!(phone.value(&provider()), Value::from("04-7150-1234"));
        assert!(phone.differs(&provider(), &other));
        assert!(phone.is_blank(&other) && !phone.is_blank(&provider()));
        phone.copy(&mut other, &provider());
        assert_eq!(other, provider());
        let geometry = field("geometry").unwrap();
        assert_eq!(geometry.value(&provider()), serde_json::json!([139.9, 35.85]));
    }

    #[test]
    fn each_field_s_access_matches_its_type_and_its_sql_columns() {
        for f in PROVIDER_FIELDS {
            let fits = match f.access {
                Access::Kind { .. } => f.ty == FieldType::Kind,
                Access::Text { .. } => {
                    matches!(f.ty, FieldType::Text | FieldType::Date | FieldType::Time | FieldType::District)
                }
                Access::Codes { .. } => f.ty == FieldType::ServiceCodes,
                Access::HomeCare { .. } => f.ty == FieldType::HomeCare,
                Access::Count { .. } => f.ty == FieldType::Count,
                Access::Accepting { .. } => f.ty == FieldType::Choice,
                Access::Point { .. } => f.ty == FieldType::Point,
            };
            assert!(fits, "{}", f.key);
            assert_eq!(f.sql.len(), if f.ty == FieldType::Point { 2 } else { 1 }, "{}", f.key);
            assert_eq!(f.json_key, format!("\"{}\":", f.key));
        }
    }

    #[test]
    fn each_text_and_count_field_has_its_own_place_in_the_compact_record() {
        let mut places: Vec<(bool, u8)> = Vec::new();
        let mut counts: Vec<u8> = Vec::new();
        for f in PROVIDER_FIELDS {
            match f.access {
                Access::Text { at: TextAt::Block(n), .. } => {
                    assert!((1..TEXT_SLOTS).contains(&n), "{}", f.key);
                    places.push((true, n));
                }
                Access::Text { at: TextAt::Pooled(n), .. } => {
                    assert!(n < POOLED_SLOTS, "{}", f.key);
                    places.push((false, n));
                }
                Access::Count { at, .. } => counts.push(at),
                _ => {}
            }
        }
        let (mut unique, mut unique_counts) = (places.clone(), counts.clone());
        unique.sort_unstable();
        unique.dedup();
        unique_counts.sort_unstable();
        unique_counts.dedup();
        assert_eq!(unique.len(), places.len(), "no two text fields share a place");
        assert_eq!(places.iter().filter(|p| p.0).count(), usize::from(TEXT_SLOTS - 1), "every block entry is used");
        assert_eq!(places.iter().filter(|p| !p.0).count(), usize::from(POOLED_SLOTS));
        assert_eq!(unique_counts, (0..COUNT_SLOTS).collect::<Vec<_>>());
    }

    #[test]
    fn kind_codes_home_care_vacancy_and_point_are_one_field_each() {
        // Readers of these representations take no field (see `ProviderFields`).
        let count = |test: fn(&Access) -> bool| PROVIDER_FIELDS.iter().filter(|f| test(&f.access)).count();
        assert_eq!(count(|a| matches!(a, Access::Kind { .. })), 1);
        assert_eq!(count(|a| matches!(a, Access::Codes { .. })), 1);
        assert_eq!(count(|a| matches!(a, Access::HomeCare { .. })), 1);
        assert_eq!(count(|a| matches!(a, Access::Accepting { .. })), 1);
        assert_eq!(count(|a| matches!(a, Access::Point { .. })), 1);
        assert_eq!((NAME.key, DISTRICT.key, CAPACITY.key), ("name", "district", "capacity"));
    }

    #[test]
    fn the_typed_access_reads_and_sets_the_same_value_as_the_field() {
        let mut p = provider();
        let Access::Text { get, set, .. } = field("phone").unwrap().access else { panic!("phone is text") };
        assert_eq!(get(&p), Some("04-7150-1234"));
        set(&mut p, None);
        assert_eq!(p.phone, None);
        let Access::Text { get, set, .. } = field("name").unwrap().access else { panic!("name is text") };
        set(&mut p, None);
        assert_eq!(get(&p), Some(""), "a required text read back empty, never missing");
    }

    #[test]
    fn the_field_list_names_type_owner_csv_columns_and_form_input() {
        let json = serde_json::to_value(PROVIDER_FIELDS).unwrap();
        let home_care = &json[5];
        assert_eq!(home_care["key"], "home_care");
        assert_eq!(home_care["label"], "在宅医療");
        assert_eq!(home_care["type"], "home_care");
        assert_eq!(home_care["csv"], serde_json::json!(["在宅療養支援", "24時間対応"]));
        assert!(home_care["form"].is_null());
        let phone = json.as_array().unwrap().iter().find(|f| f["key"] == "phone").unwrap();
        assert_eq!(phone["form"]["input"], "tel");
        let accepting = json.as_array().unwrap().iter().find(|f| f["key"] == "accepting").unwrap();
        assert_eq!(accepting["owner"], "staff");
        assert_eq!(accepting["values"]["yes"], "受入可");
        assert_eq!(accepting["values"]["consult"], "要相談");
    }
}
