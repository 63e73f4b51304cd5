//! The provider's fields as people and imports see them, declared once: the public property
//! name, the Japanese label staff read, and who owns the value when an import meets a
//! provider that is already stored (see [`Owner`]). The history, the import diff and the
//! import's merge all walk [`PROVIDER_FIELDS`].

use serde::Serialize;
use serde_json::Value;

use super::lonlat::LonLat;
use super::provider::{Kind, Provider};

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
    /// Derived when saved (the district, from the location).
    Derived,
}

/// One field of a provider.
#[derive(Debug)]
pub struct ProviderField {
    /// The public property name (`phone`), `geometry` for the location.
    pub key: &'static str,
    /// The Japanese label staff read (`電話番号`).
    pub label_ja: &'static str,
    /// Who owns the value when an import meets a stored provider.
    pub owner: Owner,
    value: fn(&Provider) -> Value,
    differs: fn(&Provider, &Provider) -> bool,
    is_blank: fn(&Provider) -> bool,
    copy: fn(&mut Provider, &Provider),
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

macro_rules! field {
    ($key:literal, $field:ident, $label:literal, $owner:ident) => {
        ProviderField {
            key: $key,
            label_ja: $label,
            owner: Owner::$owner,
            value: |p| serde_json::to_value(&p.$field).unwrap_or(Value::Null),
            differs: |a, b| a.$field != b.$field,
            is_blank: |p| Blank::is_blank(&p.$field),
            copy: |to, from| to.$field = Clone::clone(&from.$field),
        }
    };
}

/// Every field of a provider but the id and the bookkeeping (`version`, `updated_at`,
/// `updated_by`), in the order of the public Feature.
///
/// Staff-owned: 備考 (`notes`), 受入可否 (`accepting`) and its date. Every official file
/// caremap reads leaves them out or carries only a file-wide note, while staff keep them
/// current by hand; an import therefore fills them only for providers it adds.
pub const PROVIDER_FIELDS: &[ProviderField] = &[
    field!("kind", kind, "種別", Import),
    field!("official_code", official_code, "事業所番号・医療機関コード", Import),
    field!("name", name, "名称", Import),
    field!("name_kana", name_kana, "フリガナ", Import),
    field!("services", services, "サービス種別", Import),
    field!("home_care", home_care, "在宅医療", Import),
    field!("address", address, "住所", Import),
    field!("phone", phone, "電話番号", Import),
    field!("fax", fax, "FAX番号", Import),
    field!("url", url, "ホームページ", Import),
    field!("corporation", corporation, "法人名", Import),
    field!("corporate_number", corporate_number, "法人番号", Import),
    field!("capacity", capacity, "定員", Import),
    field!("open_days", open_days, "営業日", Import),
    field!("notes", notes, "備考", Staff),
    field!("accepting", accepting, "受入可否", Staff),
    field!("accepting_updated_at", accepting_updated_at, "受入可否の確認日", Staff),
    field!("district", district, "日常生活圏域", Derived),
    field!("geometry", location, "位置", Import),
];

/// The Japanese label of a property name (also `deleted` and `id`); empty for other names.
pub fn field_label(key: &str) -> &'static str {
    match key {
        "deleted" => "削除",
        "id" => "ID",
        _ => PROVIDER_FIELDS.iter().find(|f| f.key == key).map_or("", |f| f.label_ja),
    }
}

/// The fields staff own (see [`Owner::Staff`]).
pub fn staff_owned() -> impl Iterator<Item = &'static ProviderField> {
    PROVIDER_FIELDS.iter().filter(|f| f.owner == Owner::Staff)
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
        assert_eq!(keys, ["notes", "accepting", "accepting_updated_at"]);
    }

    #[test]
    fn a_field_reads_compares_tests_for_blank_and_copies() {
        let phone = PROVIDER_FIELDS.iter().find(|f| f.key == "phone").unwrap();
        let mut other = Provider { phone: None, ..provider() };
        assert_eq!(phone.value(&provider()), Value::from("04-7150-1234"));
        assert!(phone.differs(&provider(), &other));
        assert!(phone.is_blank(&other) && !phone.is_blank(&provider()));
        phone.copy(&mut other, &provider());
        assert_eq!(other, provider());
        let geometry = PROVIDER_FIELDS.iter().find(|f| f.key == "geometry").unwrap();
        assert_eq!(geometry.value(&provider()), serde_json::json!([139.9, 35.85]));
    }
}
