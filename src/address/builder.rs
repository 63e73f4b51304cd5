//! Building a [`Gazetteer`] from address points as they come from the store (any order, any
//! level, one at a time, so two million 住居 never exist as rows in memory at once).

use std::collections::HashMap;

use rstar::primitives::GeomWithData;

use super::gazetteer::{Block, City, Gazetteer, Residence, Town, Tree};
use super::normalize::{normalize, town_key};
use super::{AddressPoint, Level, SOURCES};
use crate::domain::LonLat;
use crate::spatial::geodesy::Ecef;

#[derive(Debug)]
struct PartTown {
    city: u32,
    name: String,
    point: Option<(LonLat, &'static str)>,
    sum: [f64; 3],
}

#[derive(Debug)]
struct PartBlock {
    town: u32,
    key: String,
    point: Option<(LonLat, &'static str)>,
    sum: [f64; 3],
}

/// Collects address points (in any order, any level) and builds a [`Gazetteer`]. A 街区 or
/// 住居 whose 町字 has no point of its own makes one at the mean of its points (likewise a
/// 街区 of 住居).
#[derive(Debug, Default)]
pub struct GazetteerBuilder {
    cities: Vec<(String, String)>,
    city_ids: HashMap<String, u32>,
    towns: Vec<PartTown>,
    town_ids: HashMap<u32, HashMap<String, u32>>,
    blocks: Vec<PartBlock>,
    block_ids: HashMap<u32, HashMap<String, u32>>,
    residences: Vec<Residence>,
    /// 町字 by their code ([`AddressPoint::town_code`]).
    codes: HashMap<String, u32>,
}

/// The canonical key of a 街区符号 / 地番, borrowed when it is already plain digits.
fn block_key(block: &str) -> std::borrow::Cow<'_, str> {
    if !block.is_empty() && block.bytes().all(|b| b.is_ascii_digit()) {
        let trimmed = block.trim_start_matches('0');
        std::borrow::Cow::Borrowed(if trimmed.is_empty() { "0" } else { trimmed })
    } else {
        std::borrow::Cow::Owned(normalize(block))
    }
}

/// `16` → (16, 0), `16-2` → (16, 2).
fn residence_numbers(residence: &str) -> Option<(u32, u32)> {
    let canonical = block_key(residence);
    let mut parts = canonical.split('-');
    let number = parts.next()?.parse().ok()?;
    let sub = match parts.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    parts.next().is_none().then_some((number, sub))
}

pub(super) fn add_to(sum: &mut [f64; 3], p: LonLat) {
    sum[0] += p.lon();
    sum[1] += p.lat();
    sum[2] += 1.0;
}

pub(super) fn mean(sum: [f64; 3]) -> Option<LonLat> {
    (sum[2] > 0.0).then(|| LonLat::new(sum[0] / sum[2], sum[1] / sum[2]).ok()).flatten()
}

impl GazetteerBuilder {
    /// Adds one point (fields as in [`AddressPoint`]). Returns false for a 住居 number that is
    /// not one or two numbers (it is left out).
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        level: Level,
        city_code: &str,
        pref: &str,
        city: &str,
        town: &str,
        block: &str,
        residence: &str,
        location: LonLat,
        source: &'static str,
    ) -> bool {
        let c = match self.city_ids.get(city_code) {
            Some(&c) => c,
            None => {
                let c = self.cities.len() as u32;
                self.cities.push((pref.to_owned(), city.to_owned()));
                self.city_ids.insert(city_code.to_owned(), c);
                c
            }
        };
        // Towns are one by their normalized name (「大字木」 of one file is 「木」 of another);
        // the name as written is remembered too, so each spelling is normalized once.
        let towns = self.town_ids.entry(c).or_default();
        let t = match towns.get(town) {
            Some(&t) => t,
            None => {
                let canonical = normalize(town);
                let t = match towns.get(&canonical) {
                    Some(&t) => t,
                    None => {
                        let t = self.towns.len() as u32;
                        self.towns.push(PartTown { city: c, name: canonical.clone(), point: None, sum: [0.0; 3] });
                        towns.insert(canonical, t);
                        t
                    }
                };
                towns.insert(town.to_owned(), t);
                t
            }
        };
        if level == Level::Town {
            self.towns[t as usize].point = Some((location, source));
            return true;
        }
        add_to(&mut self.towns[t as usize].sum, location);
        let key = block_key(block);
        let blocks = self.block_ids.entry(t).or_default();
        let b = match blocks.get(key.as_ref()) {
            Some(&b) => b,
            None => {
                let b = self.blocks.len() as u32;
                self.blocks.push(PartBlock { town: t, key: key.clone().into_owned(), point: None, sum: [0.0; 3] });
                blocks.insert(key.into_owned(), b);
                b
            }
        };
        if level == Level::Block {
            self.blocks[b as usize].point = Some((location, source));
            return true;
        }
        add_to(&mut self.blocks[b as usize].sum, location);
        let Some((number, sub)) = residence_numbers(residence) else { return false };
        let source = SOURCES.iter().position(|s| *s == source).unwrap_or(0) as u8;
        self.residences.push(Residence { block: b, number, sub, lon: location.lon(), lat: location.lat(), source });
        true
    }

    /// Adds an [`AddressPoint`].
    pub fn add_point(&mut self, p: &AddressPoint) -> bool {
        let added =
            self.add(p.level, &p.city_code, &p.pref, &p.city, &p.town, &p.block, &p.residence, p.location, p.source);
        if !p.town_code.is_empty() {
            // The town was just added under the name as written.
            let town = self.city_ids.get(&p.city_code).and_then(|c| self.town_ids.get(c)).and_then(|t| t.get(&p.town));
            if let Some(&t) = town {
                self.codes.insert(p.town_code.clone(), t);
            }
        }
        added
    }

    /// Sorts, indexes and builds the trees.
    pub fn build(self) -> Gazetteer {
        // The source of a town placed at the mean of its blocks: the blocks' source.
        let mut block_source: Vec<Option<&'static str>> = vec![None; self.towns.len()];
        for b in &self.blocks {
            if let Some((_, source)) = b.point {
                block_source[b.town as usize].get_or_insert(source);
            }
        }
        let mut towns: Vec<Town> = Vec::with_capacity(self.towns.len());
        for (i, part) in self.towns.iter().enumerate() {
            let (location, source) = match part.point {
                Some(p) => p,
                None => (mean(part.sum).unwrap_or(LonLat::TOKYO_STATION), block_source[i].unwrap_or("abr")),
            };
            let (_, chome) = town_key(&part.name);
            towns.push(Town { city: part.city, display: normalize(&part.name), chome, location, source });
        }
        let mut by_base: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, part) in self.towns.iter().enumerate() {
            by_base.entry(town_key(&part.name).0).or_default().push(i as u32);
        }
        for ids in by_base.values_mut() {
            ids.sort_by_key(|&t| (towns[t as usize].city, towns[t as usize].chome, t));
        }
        let mut bases: Vec<String> = by_base.keys().cloned().collect();
        bases.sort();
        let max_base_chars = bases.iter().map(|b| b.chars().count()).max().unwrap_or(0);
        let cities = self
            .cities
            .iter()
            .enumerate()
            .map(|(c, (pref, name))| {
                let mut sum = [0.0; 3];
                for t in towns.iter().filter(|t| t.city as usize == c) {
                    add_to(&mut sum, t.location);
                }
                City {
                    pref: pref.clone(),
                    name: name.clone(),
                    pref_key: normalize(pref),
                    city_key: normalize(name),
                    location: mean(sum).unwrap_or(LonLat::TOKYO_STATION),
                }
            })
            .collect();
        // Blocks sorted by (town, key); residences re-pointed at the new block numbers.
        let mut order: Vec<u32> = (0..self.blocks.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&self.blocks[a as usize], &self.blocks[b as usize]);
            (a.town, &a.key).cmp(&(b.town, &b.key))
        });
        let mut new_id = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_id[old as usize] = new as u32;
        }
        let blocks: Vec<Block> = order
            .iter()
            .map(|&old| {
                let part = &self.blocks[old as usize];
                let (location, source) =
                    part.point.unwrap_or_else(|| (mean(part.sum).unwrap_or(LonLat::TOKYO_STATION), "abr"));
                Block { town: part.town, key: part.key.clone(), location, source }
            })
            .collect();
        let mut residences = self.residences;
        for r in &mut residences {
            r.block = new_id[r.block as usize];
        }
        residences.sort_unstable_by_key(|r| (r.block, r.number, r.sub));
        residences.dedup_by_key(|r| (r.block, r.number, r.sub));
        let tree = |points: Vec<(LonLat, u32)>| {
            Tree::bulk_load(points.into_iter().map(|(p, i)| GeomWithData::new(Ecef::new(p).xyz, i)).collect())
        };
        let town_tree = tree(towns.iter().enumerate().map(|(i, t)| (t.location, i as u32)).collect());
        let block_tree = tree(blocks.iter().enumerate().map(|(i, b)| (b.location, i as u32)).collect());
        let by_code = self.codes;
        Gazetteer { cities, towns, by_base, bases, max_base_chars, blocks, residences, town_tree, block_tree, by_code }
    }
}
