//! The provider: a care office or a medical institution, as stored and as served.

use serde::{Deserialize, Serialize};

use super::lonlat::LonLat;
use super::service::{ServiceSet, service_type};
use super::vacancy::{Accepting, MAX_PLACES};

/// What kind of institution a provider is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 介護保険事業所 (a long-term-care office).
    Care,
    /// 診療所 (a clinic).
    Clinic,
    /// 病院 (a hospital).
    Hospital,
    /// 薬局 (a pharmacy).
    Pharmacy,
}

impl Kind {
    /// All kinds, in display order.
    pub const ALL: [Kind; 4] = [Kind::Care, Kind::Clinic, Kind::Hospital, Kind::Pharmacy];

    /// The API spelling, e.g. `"clinic"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Care => "care",
            Kind::Clinic => "clinic",
            Kind::Hospital => "hospital",
            Kind::Pharmacy => "pharmacy",
        }
    }

    /// The Japanese label for users.
    pub fn label_ja(self) -> &'static str {
        match self {
            Kind::Care => "介護事業所",
            Kind::Clinic => "診療所",
            Kind::Hospital => "病院",
            Kind::Pharmacy => "薬局",
        }
    }

    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The 在宅療養支援診療所/病院 class a clinic or hospital is registered under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HomeCareClass {
    /// 機能強化型・単独型 (支援診１ / 支援病１).
    EnhancedSolo,
    /// 機能強化型・連携型 (支援診２ア/イ / 支援病２).
    EnhancedNetwork,
    /// 従来型 (支援診３ / 支援病３).
    Standard,
}

impl HomeCareClass {
    /// The Japanese label for users.
    pub fn label_ja(self) -> &'static str {
        match self {
            HomeCareClass::EnhancedSolo => "在宅療養支援（機能強化型・単独型）",
            HomeCareClass::EnhancedNetwork => "在宅療養支援（機能強化型・連携型）",
            HomeCareClass::Standard => "在宅療養支援（従来型）",
        }
    }
}

/// Home medical care offered by a clinic or hospital.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HomeCare {
    /// 在宅療養支援診療所/病院 class, if registered as one.
    pub class: Option<HomeCareClass>,
    /// 往診 (house calls on request).
    pub house_calls: bool,
    /// 訪問診療 (scheduled home visits).
    pub home_visits: bool,
    /// 24時間対応 (reachable and visiting around the clock).
    pub available_24h: bool,
    /// 看取り (end-of-life care at home).
    pub end_of_life: bool,
}

impl HomeCare {
    /// Whether the provider does any home medical care at all.
    pub fn any(&self) -> bool {
        self.class.is_some() || self.house_calls || self.home_visits
    }
}

/// A provider as caremap stores and serves it. Coordinates are WGS84 lon/lat.
///
/// Its serde form is what the history keeps of each version (`provider_history.data`). Empty
/// optional fields are left out of it: they were ~45 % of an imported row's entry, and an entry
/// written before (with `null`s) reads the same, a missing optional field being `None`. So are
/// the id, version and stamp, which the entry's own columns hold (see
/// `crate::store::codec::provider_from_history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provider {
    /// Stable id; for imported rows derived from the official code.
    #[serde(default, skip_serializing)]
    pub id: String,
    /// What kind of institution it is.
    pub kind: Kind,
    /// 事業所番号 (10 digits) or 医療機関コード / 医療情報ネット ID (10 or 13 digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub official_code: Option<String>,
    /// 事業所名 / 正式名称.
    pub name: String,
    /// The name in katakana.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_kana: Option<String>,
    /// MHLW service codes, e.g. `["130", "430"]`.
    pub services: Vec<String>,
    /// Home medical care (clinics and hospitals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_care: Option<HomeCare>,
    /// Postal address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Phone number as written in the source, e.g. `04-7100-1234`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Fax number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fax: Option<String>,
    /// Web site (http or https only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// 法人の名称.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corporation: Option<String>,
    /// 法人番号 (13 digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corporate_number: Option<String>,
    /// 定員; `None` where not applicable (the official `0` on visit services).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// 利用可能曜日 as in the source, e.g. `平日,土曜日`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_days: Option<String>,
    /// 備考 and other free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Whether it takes new clients now (空き状況: 受入可 / 要相談 / 受入不可); `None` when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepting: Option<Accepting>,
    /// A note on the vacancy (≤ 200 characters), e.g. 「火・木の午後なら可」.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepting_note: Option<String>,
    /// Free places (空き人数), 0–999.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepting_places: Option<u32>,
    /// RFC 3339 UTC time the vacancy was last confirmed or changed; set by the server only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepting_checked_at: Option<String>,
    /// Date (YYYY-MM-DD, in Japan) `accepting` was last confirmed: the day of
    /// `accepting_checked_at` whenever the server sets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepting_updated_at: Option<String>,
    /// Where it is.
    pub location: LonLat,
    /// The 日常生活圏域 id, derived from `location` when saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// Version for optimistic concurrency; starts at 1.
    #[serde(default, skip_serializing)]
    pub version: i64,
    /// RFC 3339 UTC time of the last change.
    #[serde(default, skip_serializing)]
    pub updated_at: String,
    /// Who made the last change.
    #[serde(default, skip_serializing)]
    pub updated_by: String,
}

/// One invalid field of a provider, named as in the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The property name, e.g. `"phone"`.
    pub name: String,
    /// Why it is invalid.
    pub reason: String,
}

impl FieldError {
    /// A field error for `name`.
    pub fn new(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { name: name.into(), reason: reason.into() }
    }
}

/// Longest text each free-text field may hold, in characters: the one place every importer and
/// the staff API take their limits from. Official values are far shorter (notes join 備考 and
/// 利用可能曜日特記事項); anything longer is refused with the field named.
pub const TEXT_LIMITS: [(&str, usize); 8] = [
    ("name", 200),
    ("name_kana", 200),
    ("address", 300),
    ("corporation", 200),
    ("open_days", 500),
    ("notes", 4000),
    ("url", 2000),
    ("accepting_note", super::vacancy::MAX_NOTE_CHARS),
];

impl Provider {
    /// A provider with the fields every source fills, the rest empty: no services, no contact
    /// details, version 1, no bookkeeping yet (the store stamps `updated_at` / `updated_by`).
    /// Callers fill the rest with struct update syntax: `Provider { phone, ..Provider::new(…) }`.
    pub fn new(id: String, kind: Kind, name: String, location: LonLat) -> Self {
        Self {
            id,
            kind,
            official_code: None,
            name,
            name_kana: None,
            services: Vec::new(),
            home_care: None,
            address: None,
            phone: None,
            fax: None,
            url: None,
            corporation: None,
            corporate_number: None,
            capacity: None,
            open_days: None,
            notes: None,
            accepting: None,
            accepting_note: None,
            accepting_places: None,
            accepting_checked_at: None,
            accepting_updated_at: None,
            location,
            district: None,
            version: 1,
            updated_at: String::new(),
            updated_by: String::new(),
        }
    }

    /// The set of service codes, for fast filtering. Unknown codes are ignored here;
    /// [`Provider::validate`] reports them.
    pub fn service_set(&self) -> ServiceSet {
        ServiceSet::of_known(self.services.iter().map(String::as_str))
    }

    /// Checks every field and returns each problem, naming the field.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (name, max) in TEXT_LIMITS {
            let value = match name {
                "name" => Some(&self.name),
                "name_kana" => self.name_kana.as_ref(),
                "address" => self.address.as_ref(),
                "corporation" => self.corporation.as_ref(),
                "open_days" => self.open_days.as_ref(),
                "notes" => self.notes.as_ref(),
                "accepting_note" => self.accepting_note.as_ref(),
                _ => self.url.as_ref(),
            };
            // Bytes bound characters from above: most values are checked without counting.
            if let Some(v) = value
                && v.len() > max
                && v.chars().count() > max
            {
                let reason = format!("must be at most {max} characters (has {})", v.chars().count());
                errors.push(FieldError::new(name, reason));
            }
        }
        if self.services.len() > super::SERVICE_TYPES.len() {
            errors.push(FieldError::new("services", format!("at most {} codes", super::SERVICE_TYPES.len())));
        }
        if self.id.trim().is_empty() || self.id.len() > 64 || self.id.contains(['/', '?', '#']) {
            errors.push(FieldError::new("id", "must be 1 to 64 characters without '/', '?' or '#'"));
        }
        if self.name.trim().is_empty() {
            errors.push(FieldError::new("name", "must not be empty"));
        }
        for code in &self.services {
            if service_type(code).is_none() {
                errors.push(FieldError::new("services", format!("unknown service code '{code}'")));
            }
        }
        if let Some(code) = &self.official_code
            && !is_digits(code, &[10, 13])
        {
            errors.push(FieldError::new("official_code", "must be 10 or 13 digits"));
        }
        if let Some(n) = &self.corporate_number
            && !is_digits(n, &[13])
        {
            errors.push(FieldError::new("corporate_number", "must be 13 digits"));
        }
        for (name, value) in [("phone", &self.phone), ("fax", &self.fax)] {
            if let Some(v) = value
                && !is_phone_number(v)
            {
                errors.push(FieldError::new(name, "must be a Japanese phone number such as 04-7150-1234"));
            }
        }
        if let Some(url) = &self.url
            && (!(url.starts_with("https://") || url.starts_with("http://")) || url.contains(char::is_whitespace))
        {
            errors.push(FieldError::new("url", "must be an http or https address"));
        }
        if let Some(date) = &self.accepting_updated_at
            && !is_date(date)
        {
            errors.push(FieldError::new("accepting_updated_at", "must be a date such as 2026-11-01"));
        }
        if self.accepting_places.is_some_and(|n| n > MAX_PLACES) {
            errors.push(FieldError::new("accepting_places", format!("must be 0 to {MAX_PLACES}")));
        }
        if let Some(at) = &self.accepting_checked_at
            && super::vacancy::parse_utc(at).is_none()
        {
            errors
                .push(FieldError::new("accepting_checked_at", "must be an RFC 3339 time such as 2026-11-30T01:00:00Z"));
        }
        if self.home_care.is_some() && self.kind == Kind::Care {
            errors.push(FieldError::new("home_care", "only clinics and hospitals offer home medical care"));
        }
        errors
    }
}

fn is_digits(s: &str, lengths: &[usize]) -> bool {
    s.bytes().all(|b| b.is_ascii_digit()) && lengths.contains(&s.len())
}

/// A calendar date written `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
}

/// A Japanese phone number: 10 or 11 digits starting with 0, optionally split by hyphens
/// (or written with parentheses around the area code).
pub fn is_phone_number(s: &str) -> bool {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let allowed = s.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | ' '));
    allowed && digits.starts_with('0') && (10..=11).contains(&digits.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> Provider {
        Provider {
            official_code: Some("1272000001".into()),
            services: vec!["130".into()],
            phone: Some("04-7150-1234".into()),
            updated_at: "2026-01-01T00:00:00Z".into(),
            updated_by: "test".into(),
            ..Provider::new(
                "care-1222000001".into(),
                Kind::Care,
                "テスト訪問看護ステーション".into(),
                LonLat::new(139.9, 35.85).unwrap(),
            )
        }
    }

    #[test]
    fn a_complete_provider_is_valid() {
        assert_eq!(provider().validate(), vec![]);
    }

    #[test]
    fn text_over_its_limit_is_refused_naming_the_field() {
        let p = Provider { notes: Some("備".repeat(4001)), name: "名".repeat(200), ..provider() };
        let errors = p.validate();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].name, "notes");
        assert!(errors[0].reason.contains("4000") && errors[0].reason.contains("4001"), "{errors:?}");
        assert_eq!(Provider { notes: Some("備".repeat(4000)), ..provider() }.validate(), vec![]);
    }

    #[test]
    fn every_bad_field_is_named() {
        let p = Provider {
            name: " ".into(),
            services: vec!["999".into()],
            phone: Some("call us".into()),
            official_code: Some("12AB".into()),
            url: Some("javascript:alert(1)".into()),
            ..provider()
        };
        let names: Vec<_> = p.validate().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["name", "services", "official_code", "phone", "url"]);
    }

    #[test]
    fn the_date_accepting_was_confirmed_must_be_a_real_date() {
        let p = Provider { accepting_updated_at: Some("2026-02-30".into()), ..provider() };
        assert_eq!(p.validate(), vec![FieldError::new("accepting_updated_at", "must be a date such as 2026-11-01")]);
        let p = Provider { accepting_updated_at: Some("2026-02-28".into()), ..provider() };
        assert_eq!(p.validate(), vec![]);
    }

    #[test]
    fn phone_numbers_accept_common_japanese_forms() {
        assert!(is_phone_number("04-7150-1234"));
        assert!(is_phone_number("0471501234"));
        assert!(is_phone_number("090-1234-5678"));
        assert!(is_phone_number("(04)7150-1234"));
        assert!(!is_phone_number("7150-1234"));
        assert!(!is_phone_number("04-7150-1234 ext 5"));
    }
}
