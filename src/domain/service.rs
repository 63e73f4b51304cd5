//! MHLW care-service codes (介護サービスの種類), their Japanese labels, and the groups families
//! think in (訪問系, 通所系 …). The single source of truth for both the API and the page.

use serde::Serialize;

/// One MHLW service type: the 3-digit code of the open-data file and its label on the MHLW page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ServiceType {
    /// The file code, e.g. `"130"`.
    pub code: &'static str,
    /// The label as on the MHLW open-data page, e.g. `訪問看護`.
    pub label: &'static str,
    /// The id of the [`ServiceGroup`] it belongs to.
    pub group: &'static str,
}

/// A group of services as families and care managers think of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ServiceGroup {
    /// Stable ASCII id, e.g. `"visit"`.
    pub id: &'static str,
    /// Japanese label shown on the page.
    pub label: &'static str,
    /// One-line Japanese explanation for the page.
    pub description: &'static str,
}

/// The groups, in the order the page shows them.
pub const GROUPS: &[ServiceGroup] = &[
    ServiceGroup { id: "visit", label: "訪問系", description: "自宅に来てもらうサービス" },
    ServiceGroup { id: "day", label: "通所系", description: "日中に通うサービス" },
    ServiceGroup {
        id: "short_stay", label: "短期入所", description: "数日泊まるサービス（ショートステイ）"
    },
    ServiceGroup {
        id: "residential", label: "入所・居住系", description: "施設に入所・入居するサービス"
    },
    ServiceGroup {
        id: "multi", label: "小規模多機能", description: "通い・訪問・泊まりを組み合わせるサービス"
    },
    ServiceGroup {
        id: "care_plan",
        label: "ケアプラン（居宅介護支援）",
        description: "ケアマネジャーがケアプランを作成",
    },
    ServiceGroup { id: "equipment", label: "福祉用具", description: "福祉用具の貸与・販売" },
];

/// Every MHLW service code caremap knows (reference: shared/reference/data-formats.md §1).
pub const SERVICE_TYPES: &[ServiceType] = &[
    ServiceType { code: "110", label: "訪問介護", group: "visit" },
    ServiceType { code: "120", label: "訪問入浴介護", group: "visit" },
    ServiceType { code: "130", label: "訪問看護", group: "visit" },
    ServiceType { code: "140", label: "訪問リハビリテーション", group: "visit" },
    ServiceType { code: "710", label: "夜間対応型訪問介護", group: "visit" },
    ServiceType { code: "760", label: "定期巡回・随時対応型訪問介護看護", group: "visit" },
    ServiceType { code: "150", label: "通所介護", group: "day" },
    ServiceType { code: "155", label: "通所介護（療養通所介護）", group: "day" },
    ServiceType { code: "160", label: "通所リハビリテーション", group: "day" },
    ServiceType { code: "720", label: "認知症対応型通所介護", group: "day" },
    ServiceType { code: "780", label: "地域密着型通所介護", group: "day" },
    ServiceType { code: "210", label: "短期入所生活介護", group: "short_stay" },
    ServiceType { code: "220", label: "短期入所療養介護（介護老人保健施設）", group: "short_stay" },
    ServiceType {
        code: "230", label: "短期入所療養介護（療養病床を有する病院等）", group: "short_stay"
    },
    ServiceType { code: "551", label: "短期入所療養介護（介護医療院）", group: "short_stay" },
    ServiceType { code: "320", label: "認知症対応型共同生活介護", group: "residential" },
    ServiceType {
        code: "331", label: "特定施設入居者生活介護（有料老人ホーム）", group: "residential"
    },
    ServiceType {
        code: "332", label: "特定施設入居者生活介護（軽費老人ホーム）", group: "residential"
    },
    ServiceType {
        code: "334", label: "特定施設入居者生活介護（サービス付き高齢者向け住宅）", group: "residential"
    },
    ServiceType {
        code: "335",
        label: "特定施設入居者生活介護（有料老人ホーム・外部サービス利用型）",
        group: "residential",
    },
    ServiceType {
        code: "336",
        label: "特定施設入居者生活介護（軽費老人ホーム・外部サービス利用型）",
        group: "residential",
    },
    ServiceType {
        code: "337",
        label: "特定施設入居者生活介護（サービス付き高齢者向け住宅・外部サービス利用型）",
        group: "residential",
    },
    ServiceType {
        code: "361", label: "地域密着型特定施設入居者生活介護（有料老人ホーム）", group: "residential"
    },
    ServiceType {
        code: "362", label: "地域密着型特定施設入居者生活介護（軽費老人ホーム）", group: "residential"
    },
    ServiceType {
        code: "364",
        label: "地域密着型特定施設入居者生活介護（サービス付き高齢者向け住宅）",
        group: "residential",
    },
    ServiceType { code: "510", label: "介護老人福祉施設", group: "residential" },
    ServiceType { code: "520", label: "介護老人保健施設", group: "residential" },
    ServiceType { code: "530", label: "介護療養型医療施設", group: "residential" },
    ServiceType {
        code: "540", label: "地域密着型介護老人福祉施設入所者生活介護", group: "residential"
    },
    ServiceType { code: "550", label: "介護医療院", group: "residential" },
    ServiceType { code: "730", label: "小規模多機能型居宅介護", group: "multi" },
    ServiceType { code: "770", label: "看護小規模多機能型居宅介護", group: "multi" },
    ServiceType { code: "430", label: "居宅介護支援", group: "care_plan" },
    ServiceType { code: "170", label: "福祉用具貸与", group: "equipment" },
    ServiceType { code: "410", label: "特定福祉用具販売", group: "equipment" },
];

/// The service type for a code, if caremap knows it.
pub fn service_type(code: &str) -> Option<&'static ServiceType> {
    SERVICE_TYPES.iter().find(|s| s.code == code)
}

/// A compact set of known service codes: bit `i` stands for `SERVICE_TYPES[i]`.
/// Makes "offers any of these services" one AND in the index walk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ServiceSet(u64);

/// A code that is not in [`SERVICE_TYPES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown service code '{0}'")]
pub struct UnknownService(pub String);

impl ServiceSet {
    /// The empty set.
    pub const EMPTY: Self = Self(0);

    /// Parses codes such as `["130", "430"]`.
    ///
    /// # Errors
    /// [`UnknownService`] for the first code caremap does not know.
    pub fn parse<'a>(codes: impl IntoIterator<Item = &'a str>) -> Result<Self, UnknownService> {
        let mut bits = 0u64;
        for code in codes {
            let code = code.trim();
            let pos =
                SERVICE_TYPES.iter().position(|s| s.code == code).ok_or_else(|| UnknownService(code.to_owned()))?;
            bits |= 1 << pos;
        }
        Ok(Self(bits))
    }

    /// The set of the codes caremap knows among `codes` (a stored provider may carry codes of
    /// services it does not list).
    pub fn of_known<'a>(codes: impl IntoIterator<Item = &'a str>) -> Self {
        Self::parse(codes.into_iter().filter(|c| service_type(c).is_some())).unwrap_or_default()
    }

    /// Whether the two sets share a code.
    pub fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Positions in [`SERVICE_TYPES`] of the codes in the set, ascending. Only the set bits are
    /// visited (building the index at start-up asks this of every provider, three times).
    pub fn indices(self) -> impl Iterator<Item = usize> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            let i = bits.trailing_zeros() as usize;
            bits &= bits.wrapping_sub(1);
            (i < SERVICE_TYPES.len()).then_some(i)
        })
    }

    /// The codes in the set, in [`SERVICE_TYPES`] order.
    pub fn codes(self) -> impl Iterator<Item = &'static str> {
        self.indices().map(|i| SERVICE_TYPES[i].code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Visiting only the set bits gives the positions a scan of every service would.
        #[test]
        fn indices_are_the_set_positions_ascending(bits in any::<u64>()) {
            let set = ServiceSet(bits & ((1u64 << SERVICE_TYPES.len()) - 1));
            let scanned: Vec<usize> = (0..SERVICE_TYPES.len()).filter(|i| set.0 & (1 << i) != 0).collect();
            prop_assert_eq!(set.indices().collect::<Vec<_>>(), scanned.clone());
            let codes: Vec<&str> = scanned.iter().map(|&i| SERVICE_TYPES[i].code).collect();
            prop_assert_eq!(set.codes().collect::<Vec<_>>(), codes);
        }
    }

    #[test]
    fn every_service_belongs_to_a_known_group() {
        for s in SERVICE_TYPES {
            assert!(GROUPS.iter().any(|g| g.id == s.group), "{}", s.code);
        }
    }

    #[test]
    fn service_codes_are_unique_and_fit_in_the_bit_set() {
        assert!(SERVICE_TYPES.len() <= 64);
        for (i, s) in SERVICE_TYPES.iter().enumerate() {
            assert_eq!(SERVICE_TYPES.iter().position(|t| t.code == s.code), Some(i));
        }
    }

    #[test]
    fn a_set_round_trips_its_codes() {
        let set = ServiceSet::parse(["430", "130"]).unwrap();
        assert_eq!(set.codes().collect::<Vec<_>>(), vec!["130", "430"]);
        assert!(set.intersects(ServiceSet::parse(["130"]).unwrap()));
        assert!(!set.intersects(ServiceSet::parse(["110"]).unwrap()));
    }

    #[test]
    fn unknown_codes_are_named() {
        assert_eq!(ServiceSet::parse(["130", "999"]), Err(UnknownService("999".into())));
    }
}
