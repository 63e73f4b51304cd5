//! The in-memory gazetteer: every address point of the store, looked up by normalized text
//! (geocoding) and by position (reverse geocoding).
//!
//! Built to hold a prefecture's 住居 points (about 2 M) in little memory and answer in
//! microseconds:
//! - 町字 by their canonical base name (「南流山」 of 「南流山一丁目」) in a hash map; a query
//!   tries its prefixes longest first (a town name is at most a few dozen characters), so the
//!   longest town name that starts the text wins (「江戸川台東」 before 「江戸川台」);
//! - 街区 in one vector sorted by (town, 街区符号), 住居 in one vector of plain numbers sorted by
//!   (街区, 住居番号, 枝番): binary searches, no per-point allocation (32 bytes a 住居);
//! - R-trees over the Earth-centred positions of the 町字 and 街区 for "nearest": the walk stops
//!   once the straight-line distance (a lower bound of the geodesic) exceeds the best geodesic
//!   distance found, so the answer is exact ([`crate::spatial::geodesy`]).

use std::collections::HashMap;

use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::builder::{GazetteerBuilder, add_to, mean};
use super::normalize::normalize;
use super::{AddressPoint, Level, SAMPLE_SOURCE, SOURCES};
use crate::domain::LonLat;
use crate::spatial::geodesy::Ecef;

pub(super) type Tree = RTree<GeomWithData<[f64; 3], u32>>;

#[derive(Debug)]
pub(super) struct City {
    pub(super) pref: String,
    pub(super) name: String,
    pub(super) pref_key: String,
    pub(super) city_key: String,
    pub(super) location: LonLat,
}

#[derive(Debug)]
pub(super) struct Town {
    pub(super) city: u32,
    /// The published name, normalized (「南流山1丁目」).
    pub(super) display: String,
    pub(super) chome: Option<u32>,
    pub(super) location: LonLat,
    pub(super) source: &'static str,
}

#[derive(Debug)]
pub(super) struct Block {
    pub(super) town: u32,
    /// The 街区符号 / 地番, normalized (「16」).
    pub(super) key: String,
    pub(super) location: LonLat,
    pub(super) source: &'static str,
}

/// One 住居: plain numbers, so two million of them are one allocation.
#[derive(Debug, Clone, Copy)]
pub(super) struct Residence {
    pub(super) block: u32,
    pub(super) number: u32,
    /// The second number of 「16-2」; 0 when there is none.
    pub(super) sub: u32,
    pub(super) lon: f64,
    pub(super) lat: f64,
    pub(super) source: u8,
}

/// A match of a geocoding query, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// How far the text was matched.
    pub level: Level,
    /// The matched address, normalized (「千葉県流山市南流山1丁目16番16号」).
    pub address: String,
    /// The 町字 it is in, normalized (「南流山1丁目」); `None` for a 市区町村 or 都道府県.
    pub town: Option<String>,
    /// The point of that level.
    pub location: LonLat,
    /// The text after the matched part (normalized), never dropped: a building name, a room,
    /// a number that is not in the data.
    pub remainder: String,
    /// Where the point comes from (`isj-oaza`, `isj-gaiku`, `abr`, `sample`).
    pub source: &'static str,
    /// The point is approximate (the bundled sample's invented positions, or a 市区町村 /
    /// 都道府県 given as the centre of its towns).
    pub approximate: bool,
}

/// A 町字 or 街区 near a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearby {
    /// 3 (町字) or 7 (街区).
    pub level: Level,
    /// Its address, normalized.
    pub address: String,
    /// The 町字 it is (or is in), normalized (「南流山1丁目」).
    pub town: String,
    /// Its point.
    pub location: LonLat,
    /// WGS84 geodesic metres from the query point.
    pub distance_m: f64,
    /// Where the point comes from.
    pub source: &'static str,
    /// The bundled sample's invented position.
    pub approximate: bool,
}

/// Address points by name and by position. Immutable once built.
#[derive(Debug, Default)]
pub struct Gazetteer {
    pub(super) cities: Vec<City>,
    pub(super) towns: Vec<Town>,
    /// Canonical base name → towns (ordered by city, then 丁目).
    pub(super) by_base: HashMap<String, Vec<u32>>,
    /// The base names, sorted, for completing a partly typed name.
    pub(super) bases: Vec<String>,
    pub(super) max_base_chars: usize,
    pub(super) blocks: Vec<Block>,
    pub(super) residences: Vec<Residence>,
    pub(super) town_tree: Tree,
    pub(super) block_tree: Tree,
    /// 町字 by code ([`super::AddressPoint::town_code`]).
    pub(super) by_code: HashMap<String, u32>,
}

/// Leading ASCII digits of `s` and what follows.
fn leading_number(s: &str) -> Option<(&str, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    (end > 0).then(|| s.split_at(end))
}

/// Counts of what a gazetteer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct GazetteerCounts {
    /// 市区町村.
    pub cities: usize,
    /// 町字.
    pub towns: usize,
    /// 街区.
    pub blocks: usize,
    /// 住居.
    pub residences: usize,
}

impl Gazetteer {
    /// Builds a gazetteer of `points`.
    pub fn from_points<'a>(points: impl IntoIterator<Item = &'a AddressPoint>) -> Self {
        let mut builder = GazetteerBuilder::default();
        for p in points {
            builder.add_point(p);
        }
        builder.build()
    }

    /// How many of each it holds.
    pub fn counts(&self) -> GazetteerCounts {
        GazetteerCounts {
            cities: self.cities.len(),
            towns: self.towns.len(),
            blocks: self.blocks.len(),
            residences: self.residences.len(),
        }
    }

    /// Whether it holds no point.
    pub fn is_empty(&self) -> bool {
        self.towns.is_empty()
    }

    /// Whether `name` is a 町字 of the data (「南流山一丁目」, 「南流山1丁目」) or a town whose
    /// 丁目 are (「南流山」): how a 担当区域 entry is checked.
    pub fn knows_town(&self, name: &str) -> bool {
        let (base, chome) = super::normalize::town_key(name);
        self.by_base
            .get(&base)
            .is_some_and(|towns| chome.is_none() || towns.iter().any(|&t| self.towns[t as usize].chome == chome))
    }

    /// The 町字 a code names (位置参照情報's 12-digit 大字町丁目コード or the ABR's 13-digit
    /// `lg_code` + `machiaza_id`), as its normalized name (「南流山1丁目」): how a 担当区域 given
    /// by code is read.
    pub fn town_of_code(&self, code: &str) -> Option<&str> {
        self.by_code.get(code.trim()).map(|&t| self.towns[t as usize].display.as_str())
    }

    fn town_address(&self, t: u32) -> String {
        let town = &self.towns[t as usize];
        let city = &self.cities[town.city as usize];
        format!("{}{}{}", city.pref, city.name, town.display)
    }

    /// The candidates for `query`, best first, at most `limit`: the most detailed level
    /// reached, then the least text left over. A text that names no town (nor a city or
    /// prefecture of the data) but starts the name of some gives those towns as completions
    /// (for suggestions as one types); a text that matches nothing gives none.
    pub fn geocode(&self, query: &str, limit: usize) -> Vec<Candidate> {
        let text = normalize(query);
        let mut rest = text.as_str();
        let mut cities: Vec<u32> = (0..self.cities.len() as u32).collect();
        let mut reached: Option<(Level, u32)> = None;
        // The prefecture, then the city: both optional.
        if let Some(pref_key) = self
            .cities
            .iter()
            .map(|c| c.pref_key.as_str())
            .filter(|k| !k.is_empty() && rest.starts_with(*k))
            .max_by_key(|k| k.len())
        {
            rest = &rest[pref_key.len()..];
            cities.retain(|&c| self.cities[c as usize].pref_key == pref_key);
            reached = cities.first().map(|&c| (Level::Prefecture, c));
        }
        if let Some(&c) = cities
            .iter()
            .filter(|&&c| {
                let k = &self.cities[c as usize].city_key;
                !k.is_empty() && rest.starts_with(k.as_str())
            })
            .max_by_key(|&&c| self.cities[c as usize].city_key.len())
        {
            rest = &rest[self.cities[c as usize].city_key.len()..];
            cities = vec![c];
            reached = Some((Level::City, c));
        }
        let mut out = match self.match_town(rest, &cities) {
            Some(found) => found,
            None if !rest.is_empty() && reached.is_none() => self.completions(rest, &cities, limit),
            None => match reached {
                Some((level, c)) => vec![self.area_candidate(level, c, &cities, rest)],
                None => Vec::new(),
            },
        };
        out.sort_by(|a, b| b.level.cmp(&a.level).then(a.remainder.len().cmp(&b.remainder.len())));
        out.truncate(limit);
        out
    }

    /// A 都道府県 or 市区町村 candidate, at the mean of its towns.
    fn area_candidate(&self, level: Level, c: u32, cities: &[u32], rest: &str) -> Candidate {
        let city = &self.cities[c as usize];
        let (address, location) = if level == Level::City {
            (format!("{}{}", city.pref, city.name), city.location)
        } else {
            let mut sum = [0.0; 3];
            for &c in cities {
                add_to(&mut sum, self.cities[c as usize].location);
            }
            (city.pref.clone(), mean(sum).unwrap_or(city.location))
        };
        Candidate {
            level,
            address,
            town: None,
            location,
            remainder: rest.to_owned(),
            source: "derived",
            approximate: true,
        }
    }

    fn town_candidate(&self, t: u32, remainder: &str) -> Candidate {
        let town = &self.towns[t as usize];
        Candidate {
            level: Level::Town,
            address: self.town_address(t),
            town: Some(town.display.clone()),
            location: town.location,
            remainder: remainder.trim_start_matches(['-', ' ']).to_owned(),
            source: town.source,
            approximate: town.source == SAMPLE_SOURCE,
        }
    }

    /// Towns whose base name starts with `rest`, in name order.
    fn completions(&self, rest: &str, cities: &[u32], limit: usize) -> Vec<Candidate> {
        let start = self.bases.partition_point(|b| b.as_str() < rest);
        self.bases[start..]
            .iter()
            .take_while(|b| b.starts_with(rest))
            .flat_map(|b| self.by_base[b].iter())
            .filter(|&&t| cities.contains(&self.towns[t as usize].city))
            .take(limit)
            .map(|&t| self.town_candidate(t, ""))
            .collect()
    }

    /// The longest town base name that starts `rest`, then its 丁目, 街区 and 住居.
    fn match_town(&self, rest: &str, cities: &[u32]) -> Option<Vec<Candidate>> {
        let bounds: Vec<usize> = rest.char_indices().map(|(i, _)| i).skip(1).chain([rest.len()]).collect();
        let (group, after) = bounds.iter().take(self.max_base_chars).rev().find_map(|&end| {
            let ids: Vec<u32> = self
                .by_base
                .get(&rest[..end])?
                .iter()
                .copied()
                .filter(|&t| cities.contains(&self.towns[t as usize].city))
                .collect();
            (!ids.is_empty()).then(|| (ids, &rest[end..]))
        })?;
        let has_chome = group.iter().any(|&t| self.towns[t as usize].chome.is_some());
        let (chome, after_chome) = match leading_number(after) {
            Some((n, tail)) if tail.starts_with("丁目") => (n.parse().ok(), &tail["丁目".len()..]),
            Some((n, tail)) if has_chome => (n.parse().ok(), tail),
            _ => (None, after),
        };
        let matched: Vec<u32> = group.iter().copied().filter(|&t| self.towns[t as usize].chome == chome).collect();
        if matched.is_empty() {
            // No such 丁目 (or a 丁目 is needed and not given): every 丁目 of the town, with
            // what was not matched.
            return Some(group.iter().map(|&t| self.town_candidate(t, after)).collect());
        }
        Some(matched.into_iter().map(|t| self.descend(t, after_chome.trim_start_matches(['-', ' ']))).collect())
    }

    /// From a matched town down to its 街区 and 住居 as far as `rest` goes.
    fn descend(&self, t: u32, rest: &str) -> Candidate {
        let mut found = self.town_candidate(t, rest);
        let Some((b, after_block)) = leading_number(rest) else { return found };
        let key = b.trim_start_matches('0');
        let Ok(bi) = self.blocks.binary_search_by(|x| (x.town, x.key.as_str()).cmp(&(t, key))) else {
            return found;
        };
        let block = &self.blocks[bi];
        found.level = Level::Block;
        found.address = format!("{}{}番", found.address, block.key);
        found.location = block.location;
        found.source = block.source;
        found.approximate = block.source == SAMPLE_SOURCE;
        found.remainder = after_block.trim_start_matches(['-', ' ']).to_owned();
        let Some((r, after_r)) = after_block.strip_prefix('-').and_then(leading_number) else { return found };
        let Ok(number) = r.parse::<u32>() else { return found };
        let sub =
            after_r.strip_prefix('-').and_then(leading_number).and_then(|(s, tail)| Some((s.parse().ok()?, tail)));
        let bi = bi as u32;
        let lookup =
            |sub: u32| self.residences.binary_search_by_key(&(bi, number, sub), |x| (x.block, x.number, x.sub)).ok();
        let (hit, tail, label) = match sub.and_then(|(s, tail)| Some((lookup(s)?, tail, format!("{number}-{s}")))) {
            Some(x) => x,
            None => match lookup(0) {
                Some(i) => (i, after_r, number.to_string()),
                None => return found,
            },
        };
        let r = self.residences[hit];
        if let Ok(location) = LonLat::new(r.lon, r.lat) {
            let source = SOURCES.get(r.source as usize).copied().unwrap_or("abr");
            found.level = Level::Residence;
            found.address = format!("{}{label}号", found.address);
            found.location = location;
            found.source = source;
            found.approximate = source == SAMPLE_SOURCE;
            found.remainder = tail.trim_start_matches(['-', ' ']).to_owned();
        }
        found
    }

    /// The 町字 and (where 街区 are loaded) the 街区 nearest to `p`, with their geodesic
    /// distances. Empty when nothing is loaded.
    pub fn reverse(&self, p: LonLat) -> Vec<Nearby> {
        let mut out = Vec::new();
        if let Some((t, distance_m)) = nearest(&self.town_tree, p, |i| self.towns[i as usize].location) {
            let town = &self.towns[t as usize];
            out.push(Nearby {
                level: Level::Town,
                address: self.town_address(t),
                town: town.display.clone(),
                location: town.location,
                distance_m,
                source: town.source,
                approximate: town.source == SAMPLE_SOURCE,
            });
        }
        if let Some((b, distance_m)) = nearest(&self.block_tree, p, |i| self.blocks[i as usize].location) {
            let block = &self.blocks[b as usize];
            out.push(Nearby {
                level: Level::Block,
                address: format!("{}{}番", self.town_address(block.town), block.key),
                town: self.towns[block.town as usize].display.clone(),
                location: block.location,
                distance_m,
                source: block.source,
                approximate: block.source == SAMPLE_SOURCE,
            });
        }
        out
    }
}

/// The item of `tree` geodesically nearest to `p` and its distance, metres. Items come by
/// straight-line distance, a lower bound of the geodesic one, so the walk ends once that
/// bound passes the best geodesic distance found.
fn nearest(tree: &Tree, p: LonLat, location: impl Fn(u32) -> LonLat) -> Option<(u32, f64)> {
    let from = Ecef::new(p);
    let mut best: Option<(u32, f64)> = None;
    for item in tree.nearest_neighbor_iter(from.xyz) {
        if let Some((_, d)) = best
            && from.chord2(item.geom()).sqrt() > d
        {
            break;
        }
        let d = from.distance_m(p, item.geom(), location(item.data));
        if best.is_none_or(|(_, bd)| d < bd) {
            best = Some((item.data, d));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    fn point(level: Level, town: &str, block: &str, residence: &str, lon: f64, lat: f64) -> AddressPoint {
        AddressPoint {
            level,
            city_code: "12220".into(),
            pref: "千葉県".into(),
            city: "流山市".into(),
            town: town.into(),
            block: block.into(),
            residence: residence.into(),
            town_code: String::new(),
            location: ll(lon, lat),
            source: "isj-gaiku",
        }
    }

    fn sample() -> Gazetteer {
        Gazetteer::from_points(&[
            point(Level::Town, "南流山一丁目", "", "", 139.9060, 35.8380),
            point(Level::Town, "南流山二丁目", "", "", 139.9080, 35.8360),
            point(Level::Town, "流山一丁目", "", "", 139.8970, 35.8580),
            point(Level::Town, "江戸川台東一丁目", "", "", 139.9110, 35.8980),
            point(Level::Town, "江戸川台西一丁目", "", "", 139.9030, 35.9000),
            point(Level::Town, "大字木", "", "", 139.8970, 35.8420),
            point(Level::Block, "南流山一丁目", "16", "", 139.9065, 35.8385),
            point(Level::Residence, "南流山一丁目", "16", "16", 139.90655, 35.83855),
            point(Level::Residence, "南流山一丁目", "16", "16-2", 139.90657, 35.83857),
            point(Level::Block, "木", "250", "", 139.8975, 35.8425),
        ])
    }

    #[test]
    fn a_town_is_known_by_its_chome_in_any_spelling_or_as_a_whole() {
        let g = sample();
        assert!(g.knows_town("南流山一丁目") && g.knows_town("南流山１丁目") && g.knows_town("南流山"));
        assert!(g.knows_town("木") && g.knows_town("大字木"));
        assert!(!g.knows_town("南流山三丁目"), "a 丁目 the data does not have");
        assert!(!g.knows_town("北流山") && !g.knows_town(""));
    }

    #[test]
    fn a_town_is_found_by_its_code_of_either_source_and_named_as_the_data_names_it() {
        let coded = |name: &str, code: &str| AddressPoint {
            town_code: code.into(),
            ..point(Level::Town, name, "", "", 139.9, 35.8)
        };
        let g = Gazetteer::from_points(&[
            coded("南流山一丁目", "122200001001"),
            // The ABR's code of the same 町字 (another spelling): the same town.
            coded("南流山１丁目", "1222030001001"),
            coded("大字木", "122200002000"),
            point(Level::Block, "木", "250", "", 139.8975, 35.8425),
        ]);
        assert_eq!(g.town_of_code("122200001001"), Some("南流山1丁目"));
        assert_eq!(g.town_of_code("1222030001001"), Some("南流山1丁目"));
        assert_eq!(g.town_of_code(" 122200002000 "), Some("木"));
        assert_eq!(g.town_of_code("122200009999"), None);
        assert_eq!(g.town_of_code(""), None);
    }

    #[test]
    fn a_full_address_reaches_the_residence() {
        let g = sample();
        let c = &g.geocode("千葉県流山市南流山一丁目16番16号", 5)[0];
        assert_eq!(
            (c.level, c.address.as_str(), c.remainder.as_str()),
            (Level::Residence, "千葉県流山市南流山1丁目16番16号", "")
        );
        assert_eq!(c.location, ll(139.90655, 35.83855));
    }

    #[test]
    fn a_residence_with_a_second_number_is_found_and_without_it_the_first() {
        let g = sample();
        assert_eq!(g.geocode("南流山1-16-16-2", 1)[0].location, ll(139.90657, 35.83857));
        let c = &g.geocode("南流山1-16-16-9", 1)[0];
        assert_eq!((c.level, c.remainder.as_str()), (Level::Residence, "9"));
    }

    #[test]
    fn the_unmatched_rest_is_returned() {
        let g = sample();
        let c = &g.geocode("南流山1-16-99 サンプルビル", 1)[0];
        assert_eq!((c.level, c.remainder.as_str()), (Level::Block, "99サンプルビル"));
    }

    #[test]
    fn a_town_without_chome_takes_its_first_number_as_the_block() {
        let g = sample();
        let c = &g.geocode("木250", 1)[0];
        assert_eq!((c.level, c.address.as_str()), (Level::Block, "千葉県流山市木250番"));
        assert_eq!(g.geocode("大字木250番地", 1)[0].level, Level::Block);
    }

    #[test]
    fn the_longest_town_name_wins() {
        let g = sample();
        assert_eq!(g.geocode("江戸川台東1丁目", 1)[0].address, "千葉県流山市江戸川台東1丁目");
        assert_eq!(g.geocode("流山市流山1丁目", 1)[0].address, "千葉県流山市流山1丁目");
    }

    #[test]
    fn a_town_without_its_chome_lists_every_chome_in_order() {
        let g = sample();
        let c = g.geocode("南流山", 10);
        let names: Vec<&str> = c.iter().map(|c| c.address.as_str()).collect();
        assert_eq!(names, ["千葉県流山市南流山1丁目", "千葉県流山市南流山2丁目"]);
    }

    #[test]
    fn a_city_alone_is_level_2_and_a_partial_name_completes() {
        let g = sample();
        let c = &g.geocode("流山市", 1)[0];
        assert_eq!((c.level, c.approximate), (Level::City, true));
        let names: Vec<String> = g.geocode("江戸川", 10).into_iter().map(|c| c.address).collect();
        assert_eq!(names, ["千葉県流山市江戸川台東1丁目", "千葉県流山市江戸川台西1丁目"]);
        assert!(g.geocode("大阪府", 10).is_empty());
        assert!(g.geocode("", 10).is_empty());
    }

    #[test]
    fn reverse_finds_the_nearest_town_and_block_with_geodesic_distances() {
        let g = sample();
        let p = ll(139.9066, 35.8386);
        let near = g.reverse(p);
        assert_eq!(near.len(), 2);
        assert_eq!(near[0].address, "千葉県流山市南流山1丁目");
        assert_eq!(near[1].address, "千葉県流山市南流山1丁目16番");
        let brute = g.towns.iter().map(|t| p.geodesic_distance_m(t.location)).fold(f64::INFINITY, f64::min);
        assert!((near[0].distance_m - brute).abs() < 1e-3, "{} {brute}", near[0].distance_m);
    }

    #[test]
    fn a_town_known_only_by_its_blocks_sits_at_their_mean() {
        let g = Gazetteer::from_points(&[
            point(Level::Block, "美原一丁目", "1", "", 139.910, 35.860),
            point(Level::Block, "美原一丁目", "2", "", 139.912, 35.862),
        ]);
        let c = &g.geocode("美原1丁目", 1)[0];
        assert_eq!(c.level, Level::Town);
        assert!((c.location.lon() - 139.911).abs() < 1e-9 && (c.location.lat() - 35.861).abs() < 1e-9);
    }
}
