//! 地域包括支援センター and the 町丁目 each is responsible for (担当区域): the first place a family
//! should call. The centre for an address is the one whose 担当区域 lists its 町丁目 (or the
//! whole town, 「南流山」 covering every 丁目); an address in no listed 町丁目 falls back to the
//! nearest centre, and the answer says so.

use std::collections::HashMap;

use super::normalize::{normalize, town_key};
use crate::domain::LonLat;

/// One 地域包括支援センター.
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityCenter {
    /// Stable id (from the city's file).
    pub id: String,
    /// 名称.
    pub name: String,
    /// 所在地.
    pub address: String,
    /// 電話番号.
    pub phone: String,
    /// Where it is (WGS84).
    pub location: LonLat,
    /// 担当区域: 町丁目 names (「南流山一丁目」) or whole towns (「南流山」), as given.
    pub areas: Vec<String>,
    /// Where the record comes from (`sample` for the bundled invented centres, else the file).
    pub source: String,
}

/// One field of a centre changed by staff or an import, for the audit log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CenterFieldChange {
    /// `name`, `address`, `phone`, `location` or `areas`.
    pub field: String,
    /// The field in Japanese (名称, 所在地, 電話番号, 位置, 担当区域).
    pub label: String,
    /// The value before (empty for a new centre); `areas` one per line, `location` "lon,lat".
    pub from: String,
    /// The value after (empty for a deleted centre).
    pub to: String,
}

/// The fields that differ between `before` and `after` (either may be absent: a new or a
/// deleted centre), in a fixed order.
pub fn changes(before: Option<&CommunityCenter>, after: Option<&CommunityCenter>) -> Vec<CenterFieldChange> {
    type Getter = fn(&CommunityCenter) -> String;
    let fields: [(&str, &str, Getter); 5] = [
        ("name", "名称", |c| c.name.clone()),
        ("address", "所在地", |c| c.address.clone()),
        ("phone", "電話番号", |c| c.phone.clone()),
        ("location", "位置", |c| format!("{},{}", c.location.lon(), c.location.lat())),
        ("areas", "担当区域", |c| c.areas.join("\n")),
    ];
    fields
        .iter()
        .filter_map(|(field, label, get)| {
            let (from, to) = (before.map(get).unwrap_or_default(), after.map(get).unwrap_or_default());
            (from != to).then(|| CenterFieldChange { field: (*field).into(), label: (*label).into(), from, to })
        })
        .collect()
}

/// How the responsible centre was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Responsibility {
    /// Its 担当区域 lists the 町丁目.
    Area,
    /// No centre lists the 町丁目: the nearest centre.
    Nearest,
}

/// The centres with their 担当区域 indexed by normalized 町丁目.
#[derive(Debug, Default)]
pub struct Centers {
    centers: Vec<CommunityCenter>,
    /// Normalized 町丁目 (「南流山1丁目」) or town base (「南流山」) → centre.
    by_area: HashMap<String, usize>,
}

impl Centers {
    /// Indexes `centers`. A 町丁目 listed by two centres belongs to the first.
    pub fn new(centers: Vec<CommunityCenter>) -> Self {
        let mut by_area = HashMap::new();
        for (i, c) in centers.iter().enumerate() {
            for area in &c.areas {
                by_area.entry(normalize(area)).or_insert(i);
            }
        }
        Self { centers, by_area }
    }

    /// Every centre, in the file's order.
    pub fn all(&self) -> &[CommunityCenter] {
        &self.centers
    }

    /// The centre responsible for the normalized 町丁目 `town` (「南流山1丁目」), if listed: by
    /// the 町丁目, else by its town without 丁目.
    pub fn by_town(&self, town: &str) -> Option<&CommunityCenter> {
        let i = self.by_area.get(town).or_else(|| self.by_area.get(&town_key(town).0))?;
        self.centers.get(*i)
    }

    /// The centre nearest to `p` and its geodesic distance, metres.
    pub fn nearest(&self, p: LonLat) -> Option<(&CommunityCenter, f64)> {
        self.centers.iter().map(|c| (c, p.geodesic_distance_m(c.location))).min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// The centre for a point in `town` (when known): by 担当区域, else the nearest to `p`.
    pub fn responsible(&self, town: Option<&str>, p: LonLat) -> Option<(&CommunityCenter, Responsibility)> {
        if let Some(c) = town.and_then(|t| self.by_town(t)) {
            return Some((c, Responsibility::Area));
        }
        self.nearest(p).map(|(c, _)| (c, Responsibility::Nearest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn center(id: &str, lon: f64, areas: &[&str]) -> CommunityCenter {
        CommunityCenter {
            id: id.into(),
            name: id.into(),
            address: String::new(),
            phone: String::new(),
            location: LonLat::new(lon, 35.85).unwrap(),
            areas: areas.iter().map(ToString::to_string).collect(),
            source: "test".into(),
        }
    }

    #[test]
    fn a_chome_is_found_by_its_own_name_or_by_its_whole_town() {
        let c = Centers::new(vec![
            center("south", 139.90, &["南流山一丁目", "鰭ヶ崎"]),
            center("east", 139.94, &["松ケ丘"]),
        ]);
        assert_eq!(c.by_town("南流山1丁目").map(|c| c.id.as_str()), Some("south"));
        assert_eq!(c.by_town("鰭ケ崎").map(|c| c.id.as_str()), Some("south"));
        assert_eq!(c.by_town("松ケ丘3丁目").map(|c| c.id.as_str()), Some("east"));
        assert_eq!(c.by_town("南流山2丁目"), None);
    }

    #[test]
    fn changes_list_each_differing_field_and_a_new_centre_every_field() {
        let before = center("south", 139.90, &["南流山一丁目"]);
        let after = CommunityCenter {
            phone: "04-7150-0000".into(),
            areas: vec!["南流山".into(), "木".into()],
            ..before.clone()
        };
        let fields: Vec<(String, String, String)> =
            changes(Some(&before), Some(&after)).into_iter().map(|c| (c.field, c.from, c.to)).collect();
        assert_eq!(
            fields,
            [
                ("phone".to_owned(), String::new(), "04-7150-0000".to_owned()),
                ("areas".to_owned(), "南流山一丁目".to_owned(), "南流山\n木".to_owned())
            ]
        );
        assert_eq!(changes(None, Some(&before)).len(), 3, "name, location, areas (address and phone are empty)");
        assert!(changes(Some(&before), Some(&before)).is_empty());
    }

    #[test]
    fn an_unlisted_town_falls_back_to_the_nearest_centre_and_says_so() {
        let c = Centers::new(vec![center("south", 139.90, &["南流山一丁目"]), center("east", 139.94, &[])]);
        let p = LonLat::new(139.935, 35.85).unwrap();
        let (found, how) = c.responsible(Some("どこか1丁目"), p).unwrap();
        assert_eq!((found.id.as_str(), how), ("east", Responsibility::Nearest));
        let (found, how) = c.responsible(Some("南流山1丁目"), p).unwrap();
        assert_eq!((found.id.as_str(), how), ("south", Responsibility::Area));
    }
}
