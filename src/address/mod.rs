//! Addresses: the official address points (町字, 街区, 住居 from 国土交通省 位置参照情報 and
//! デジタル庁 アドレス・ベース・レジストリ), the normalization that makes differently written
//! addresses compare equal, and the in-memory gazetteer that geocodes text to a point and
//! finds the 町字 / 街区 nearest to a point; and the 地域包括支援センター responsible for each
//! 町丁目.

mod builder;
pub mod centers;
pub mod gazetteer;
pub mod normalize;

pub use builder::GazetteerBuilder;
pub use gazetteer::{Candidate, Gazetteer, Nearby};
pub use normalize::normalize;

use serde::Serialize;

use crate::domain::LonLat;

/// How detailed a match is, with the numbers common Japanese geocoders use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "u8")]
pub enum Level {
    /// 都道府県.
    Prefecture = 1,
    /// 市区町村.
    City = 2,
    /// 町字 (大字・町丁目).
    Town = 3,
    /// 街区 (or 地番 outside 住居表示 areas).
    Block = 7,
    /// 住居 (住居番号).
    Residence = 8,
}

impl From<Level> for u8 {
    fn from(level: Level) -> u8 {
        level as u8
    }
}

impl Level {
    /// The level of a stored number (3, 7 or 8).
    pub fn from_stored(n: i64) -> Option<Level> {
        match n {
            3 => Some(Level::Town),
            7 => Some(Level::Block),
            8 => Some(Level::Residence),
            _ => None,
        }
    }
}

/// Where an address point came from: the CLI and API names of the importers, or the sample.
pub const SOURCES: [&str; 4] = ["isj-oaza", "isj-gaiku", "abr", SAMPLE_SOURCE];

/// The `source` of the bundled sample's invented, approximate points.
pub const SAMPLE_SOURCE: &str = "sample";

/// One address point as stored: a 町字 (`block` and `residence` empty), a 街区 (`residence`
/// empty) or a 住居.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressPoint {
    /// 3, 7 or 8.
    pub level: Level,
    /// The city's five-digit 全国地方公共団体コード (`12220`).
    pub city_code: String,
    /// 都道府県名 (`千葉県`).
    pub pref: String,
    /// 市区町村名 (`流山市`).
    pub city: String,
    /// The 町字 as published: 大字・町 and 丁目 (and 小字 where there is one), e.g.
    /// `南流山一丁目`.
    pub town: String,
    /// 街区符号 or 地番 (empty for a 町字).
    pub block: String,
    /// 住居番号, with the second number after a hyphen (`16`, `16-2`); empty below level 8.
    pub residence: String,
    /// The 町字's code, for a 町字 (level 3) whose source has one: 位置参照情報's 大字町丁目コード
    /// (12 digits: the city code and 7) or the ABR's `lg_code` and `machiaza_id` (6 + 7 = 13
    /// digits); empty otherwise. A 地域包括支援センター's 担当区域 may name a 町丁目 by it.
    pub town_code: String,
    /// WGS84.
    pub location: LonLat,
    /// One of [`SOURCES`].
    pub source: &'static str,
}

/// Whether `s` has the shape of a [`AddressPoint::town_code`]: 12 digits (位置参照情報's
/// 大字町丁目コード) or 13 (the ABR's `lg_code` and `machiaza_id`).
pub fn is_town_code(s: &str) -> bool {
    matches!(s.len(), 12 | 13) && s.bytes().all(|b| b.is_ascii_digit())
}

/// The canonical `source` name for a stored one, if known.
pub fn source_name(stored: &str) -> Option<&'static str> {
    SOURCES.into_iter().find(|s| *s == stored)
}
