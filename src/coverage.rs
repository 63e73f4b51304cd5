//! Coverage by grid square: for every JIS X 0410 cell, how far the nearest matching provider
//! is, how many are within reach, and an access score weighted by where people live.
//!
//! Computed from the live catalog on request, never stored. Distances are geodesic metres from
//! the cell's centre (the midpoint in latitude and longitude).
//!
//! The access score is an enhanced two-step floating catchment area (E2SFCA, Luo & Qi 2009)
//! with a continuous Gaussian decay (Dai 2010) that is 1 at distance 0 and 0 at the threshold
//! d₀:  W(d) = (exp(−½·(d/d₀)²) − exp(−½)) / (1 − exp(−½)) for d ≤ d₀, else 0.
//! 1. Each matching provider j gets a supply-to-demand ratio
//!    Rⱼ = Sⱼ / Σₖ Pₖ·W(dₖⱼ) over the population squares k within d₀ of it (their centres),
//!    where Sⱼ is 1 (`Supply::Providers`) or its capacity (`Supply::Capacity`) and Pₖ the
//!    population column. Population squares outside the requested area count too: a provider
//!    near the edge also serves the people beyond it.
//! 2. Each cell i gets Aᵢ = 1 000 · Σⱼ Rⱼ·W(dᵢⱼ) over the providers within d₀ — providers (or
//!    places) per 1 000 residents within reach, discounted by distance.
//!
//! A provider whose reach holds nobody (Σ = 0) adds nothing: its supply meets no demand.

use std::collections::HashMap;

use crate::catalog::{Filter, Record, Snapshot};
use crate::domain::{LonLat, ProviderFields};
use crate::spatial::geodesy::Ecef;
use crate::spatial::index::{Stop, Stopped};
use crate::spatial::mesh::{MeshCell, MeshLevel};

/// Residents per cell that a provider's access score is scaled to.
pub const ACCESS_PER: f64 = 1_000.0;

/// What one provider supplies in the access score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Supply {
    /// Every matching provider counts 1.
    #[default]
    Providers,
    /// A provider counts its capacity (定員) where known; one without a known capacity counts
    /// the mean capacity of the matching providers that have one (1 if none has).
    Capacity,
}

/// A population layer: counts per grid square of one level (e.g. the census's 500 m squares).
#[derive(Debug, Clone)]
pub struct Population {
    level: MeshLevel,
    counts: HashMap<MeshCell, f64>,
}

impl Population {
    /// A layer of `level` squares; cells of other levels in `counts` are ignored.
    #[must_use]
    pub fn new(level: MeshLevel, counts: impl IntoIterator<Item = (MeshCell, f64)>) -> Self {
        let counts = counts.into_iter().filter(|(c, _)| c.level() == level).collect();
        Self { level, counts }
    }

    /// The layer's level.
    #[must_use]
    pub fn level(&self) -> MeshLevel {
        self.level
    }

    /// The people in `cell`: the sum of the layer's squares inside it when it is coarser, an
    /// equal share of the layer's square holding it when it is finer (people are assumed spread
    /// evenly within a square), `None` when the layer has nothing there.
    #[must_use]
    pub fn in_cell(&self, cell: MeshCell) -> Option<f64> {
        if cell.level() >= self.level {
            let parent = cell.parent(self.level)?;
            let share = 4f64.powi(level_rank(cell.level()) - level_rank(self.level));
            return self.counts.get(&parent).map(|p| p / share);
        }
        let [w, s, e, n] = cell.bounds();
        // Children's centres lie strictly inside the cell, so `covering` on a slightly shrunk
        // box lists exactly the layer's squares inside it.
        let eps = 1e-9;
        let inner = MeshCell::covering([w + eps, s + eps, e - eps, n - eps], self.level).ok()?;
        let mut total = None;
        for child in inner {
            if let Some(p) = self.counts.get(&child) {
                *total.get_or_insert(0.0) += p;
            }
        }
        total
    }

    /// The layer's squares whose centres lie within `radius_m` (geodesic) of `from`, with the
    /// distance.
    fn within(&self, from: LonLat, radius_m: f64) -> Vec<(f64, f64)> {
        // A generous degree box around the radius (1° of latitude > 110 km; longitude shrinks
        // with cos(lat)), then the exact geodesic test (the index's fast ellipsoid series).
        let dlat = radius_m / 110_000.0 + 0.01;
        let dlon = radius_m / (110_000.0 * from.lat().to_radians().cos().max(0.01)) + 0.01;
        let bbox = [from.lon() - dlon, from.lat() - dlat, from.lon() + dlon, from.lat() + dlat];
        let Ok(cells) = MeshCell::covering(bbox, self.level) else { return Vec::new() };
        let origin = Ecef::new(from);
        cells
            .into_iter()
            .filter_map(|cell| {
                let people = *self.counts.get(&cell)?;
                let [lon, lat] = cell.centroid();
                let at = LonLat::new(lon, lat).ok()?;
                let d = origin.distance_m(from, &Ecef::new(at).xyz, at);
                (d <= radius_m).then_some((people, d))
            })
            .collect()
    }
}

/// One stored population column, ready for [`compute`].
#[derive(Debug, Clone)]
pub struct LayerColumn {
    /// The table's value code (`T001141022`).
    pub code: String,
    /// The Japanese label.
    pub label: String,
    /// Where it came from (`sample`, `estat-mesh: …`).
    pub source: String,
    /// The counts per square (suppressed squares left out: their people are in another one).
    pub population: Population,
}

/// Every population column the server holds.
#[derive(Debug, Clone, Default)]
pub struct PopulationLayers {
    columns: Vec<LayerColumn>,
}

impl PopulationLayers {
    /// The layers of the stored columns.
    #[must_use]
    pub fn new(columns: Vec<crate::store::PopulationColumn>) -> Self {
        let columns = columns
            .into_iter()
            .map(|c| LayerColumn {
                population: Population::new(c.level, c.counts.iter().filter_map(|&(cell, v)| Some((cell, v?)))),
                code: c.code,
                label: c.label,
                source: c.source,
            })
            .collect();
        Self { columns }
    }

    /// The column with this code (case-insensitive).
    #[must_use]
    pub fn get(&self, code: &str) -> Option<&LayerColumn> {
        self.columns.iter().find(|c| c.code.eq_ignore_ascii_case(code))
    }

    /// Every column, in code order.
    #[must_use]
    pub fn columns(&self) -> &[LayerColumn] {
        &self.columns
    }
}

fn level_rank(level: MeshLevel) -> i32 {
    match level {
        MeshLevel::First | MeshLevel::Second | MeshLevel::Third => 0,
        MeshLevel::Half => 1,
        MeshLevel::Quarter => 2,
    }
}

/// The Gaussian distance decay of the access score: 1 at 0, falling to 0 at `threshold_m`.
#[must_use]
pub fn decay(distance_m: f64, threshold_m: f64) -> f64 {
    if distance_m > threshold_m || threshold_m <= 0.0 {
        return 0.0;
    }
    let edge = (-0.5f64).exp();
    let r = distance_m / threshold_m;
    ((-0.5 * r * r).exp() - edge) / (1.0 - edge)
}

/// One grid cell's coverage.
#[derive(Debug, Clone, PartialEq)]
pub struct CellCoverage {
    /// The cell.
    pub cell: MeshCell,
    /// Geodesic metres from the cell's centre to the nearest matching provider (`None`: no
    /// matching provider at all).
    pub nearest_m: Option<f64>,
    /// That provider's id.
    pub nearest_id: Option<String>,
    /// Matching providers within the threshold of the cell's centre.
    pub count_within: usize,
    /// The people in the cell (when a population layer is given and covers it).
    pub population: Option<f64>,
    /// The E2SFCA access score (when a population layer is given).
    pub access: Option<f64>,
}

/// Computes the coverage of `cells` for the providers matching `filter`.
#[must_use]
pub fn compute(
    snapshot: &Snapshot,
    cells: &[MeshCell],
    filter: &Filter,
    threshold_m: f64,
    population: Option<&Population>,
    supply: Supply,
) -> Vec<CellCoverage> {
    compute_until(snapshot, cells, filter, threshold_m, population, supply, &Stop::never()).unwrap_or_default()
}

/// [`compute`] that gives up with [`Stopped`] when `stop` fires (checked before each square).
///
/// # Errors
/// [`Stopped`] at the deadline or when the request went away.
pub fn compute_until(
    snapshot: &Snapshot,
    cells: &[MeshCell],
    filter: &Filter,
    threshold_m: f64,
    population: Option<&Population>,
    supply: Supply,
    stop: &Stop,
) -> Result<Vec<CellCoverage>, Stopped> {
    // Each square on its own (in parallel): the providers within reach, nearest first; the
    // nearest overall is the first of them, or else one more index walk.
    let rows = par_map(cells, |&cell| {
        if stop.now() {
            return Err(Stopped);
        }
        let [lon, lat] = cell.centroid();
        let Ok(centre) = LonLat::new(lon, lat) else { return Ok(None) };
        let within = snapshot.within_radius(centre, threshold_m, filter);
        let nearest = match within.first() {
            Some(first) => Some(*first),
            None => snapshot.nearest(centre, 1, None, filter).first().copied(),
        };
        let coverage = CellCoverage {
            cell,
            nearest_m: nearest.and_then(|f| f.distance_m),
            nearest_id: nearest.map(|f| f.provider.id().to_owned()),
            count_within: within.len(),
            population: population.and_then(|p| p.in_cell(cell)),
            access: None,
        };
        let reach: Reach<'_> = within.iter().map(|f| (f.provider, f.distance_m.unwrap_or(0.0))).collect();
        Ok(Some((coverage, reach)))
    });
    let rows = rows.into_iter().collect::<Result<Vec<_>, Stopped>>()?;
    let (mut out, reach): (Vec<CellCoverage>, Vec<Reach<'_>>) = rows.into_iter().flatten().unzip();
    if let Some(population) = population {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut providers: Vec<&Record> = Vec::new();
        let reach: Vec<Vec<(usize, f64)>> = reach
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&(p, d)| {
                        let j = *index.entry(p.id()).or_insert_with(|| {
                            providers.push(p);
                            providers.len() - 1
                        });
                        (j, d)
                    })
                    .collect()
            })
            .collect();
        let ratios = ratios(population, &providers, threshold_m, supply);
        for (cov, row) in out.iter_mut().zip(&reach) {
            let score: f64 = row.iter().map(|&(j, d)| ratios[j] * decay(d, threshold_m)).sum();
            cov.access = Some(score * ACCESS_PER);
        }
    }
    Ok(out)
}

/// The providers within reach of one square, with their distances in metres.
type Reach<'a> = Vec<(&'a Record, f64)>;

/// `f` over `items` on every core, results in order. Small inputs stay on this thread.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const MIN_CHUNK: usize = 256;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let threads = cores.min(items.len().div_ceil(MIN_CHUNK)).max(1);
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// Step 1: each provider's supply over the decayed population within reach (0 when nobody).
fn ratios(population: &Population, providers: &[&Record], threshold_m: f64, supply: Supply) -> Vec<f64> {
    let known: Vec<f64> = providers.iter().filter_map(|p| p.capacity().filter(|c| *c > 0)).map(f64::from).collect();
    let mean = if known.is_empty() { 1.0 } else { known.iter().sum::<f64>() / known.len() as f64 };
    par_map(providers, |p| {
        let s = match supply {
            Supply::Providers => 1.0,
            Supply::Capacity => p.capacity().filter(|c| *c > 0).map_or(mean, f64::from),
        };
        let demand: f64 = population
            .within(p.location(), threshold_m)
            .iter()
            .map(|&(people, d)| people * decay(d, threshold_m))
            .sum();
        if demand > 0.0 { s / demand } else { 0.0 }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::domain::{Kind, Provider};
    use proptest::prelude::*;

    fn provider(id: usize, lon: f64, lat: f64, service: &str, capacity: Option<u32>) -> Provider {
        let mut p = Provider::new(format!("p{id}"), Kind::Care, format!("事業所{id}"), LonLat::new(lon, lat).unwrap());
        p.services = vec![service.to_string()];
        p.capacity = capacity;
        p
    }

    fn city_cells(level: MeshLevel) -> Vec<MeshCell> {
        MeshCell::covering([139.88, 35.83, 139.95, 35.91], level).unwrap()
    }

    #[test]
    fn decay_is_one_at_the_centre_and_zero_at_the_threshold() {
        assert!((decay(0.0, 2000.0) - 1.0).abs() < 1e-12);
        assert!(decay(2000.0, 2000.0).abs() < 1e-12);
        assert_eq!(decay(2000.1, 2000.0), 0.0);
        assert!(decay(500.0, 2000.0) > decay(1000.0, 2000.0));
    }

    #[test]
    fn a_finer_cell_gets_an_equal_share_and_a_coarser_one_the_sum() {
        let half = MeshCell::parse("533957214").unwrap();
        let sibling = MeshCell::parse("533957213").unwrap();
        let layer = Population::new(MeshLevel::Half, [(half, 400.0), (sibling, 100.0)]);
        let quarter = MeshCell::parse("5339572141").unwrap();
        assert_eq!(layer.in_cell(quarter), Some(100.0));
        assert_eq!(layer.in_cell(half), Some(400.0));
        assert_eq!(layer.in_cell(half.parent(MeshLevel::Third).unwrap()), Some(500.0));
        assert_eq!(layer.in_cell(MeshCell::parse("533957211").unwrap()), None);
    }

    #[test]
    fn one_provider_serving_everyone_gives_one_per_thousand_at_its_own_cell() {
        // A single provider at a square's centre: R = 1 / (P·W(0)) with all people there, so the
        // score at that square is 1 000 / P·W(0)·W(0) = 1 000 / P.
        let cell = MeshCell::parse("5339572141").unwrap();
        let [lon, lat] = cell.centroid();
        let catalog = Catalog::new(vec![provider(1, lon, lat, "130", None)], Vec::new());
        let layer = Population::new(MeshLevel::Quarter, [(cell, 250.0)]);
        let out = compute(&catalog.snapshot(), &[cell], &Filter::default(), 2000.0, Some(&layer), Supply::Providers);
        assert!((out[0].access.unwrap() - 4.0).abs() < 1e-9, "{:?}", out[0]);
        assert_eq!(out[0].count_within, 1);
        assert!(out[0].nearest_m.unwrap() < 0.01);
    }

    #[test]
    fn capacity_supply_uses_the_mean_for_providers_without_one() {
        let cell = MeshCell::parse("5339572141").unwrap();
        let [lon, lat] = cell.centroid();
        let catalog = Catalog::new(
            vec![
                provider(1, lon, lat, "150", Some(30)),
                provider(2, lon, lat, "150", Some(10)),
                provider(3, lon, lat, "150", None),
            ],
            Vec::new(),
        );
        let layer = Population::new(MeshLevel::Quarter, [(cell, 1000.0)]);
        let out = compute(&catalog.snapshot(), &[cell], &Filter::default(), 2000.0, Some(&layer), Supply::Capacity);
        // 30 + 10 + 20 places for 1 000 people.
        assert!((out[0].access.unwrap() - 60.0).abs() < 1e-9, "{:?}", out[0]);
    }

    #[test]
    fn without_a_population_layer_there_is_no_access_score() {
        let catalog = Catalog::new(vec![provider(1, 139.9, 35.86, "130", None)], Vec::new());
        let out = compute(
            &catalog.snapshot(),
            &city_cells(MeshLevel::Third),
            &Filter::default(),
            2000.0,
            None,
            Supply::Providers,
        );
        assert!(out.iter().all(|c| c.access.is_none() && c.population.is_none()));
        assert!(out.iter().all(|c| c.nearest_id.as_deref() == Some("p1")));
    }

    fn providers() -> impl Strategy<Value = Vec<(f64, f64, &'static str)>> {
        prop::collection::vec(
            (139.86..139.97f64, 35.82..35.93f64, prop::sample::select(vec!["110", "130", "150"])),
            0..40,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn nearest_and_count_within_equal_a_brute_force_geodesic_scan(
            points in providers(),
            service in prop::sample::select(vec!["110", "130", "150"]),
            threshold_m in 300.0..3000.0f64,
        ) {
            let all: Vec<Provider> = points.iter().enumerate().map(|(i, &(lon, lat, s))| provider(i, lon, lat, s, None)).collect();
            let catalog = Catalog::new(all.clone(), Vec::new());
            let filter = Filter { services: crate::domain::ServiceSet::parse([service]).unwrap(), ..Filter::default() };
            let cells = city_cells(MeshLevel::Third);
            let out = compute(&catalog.snapshot(), &cells, &filter, threshold_m, None, Supply::Providers);
            prop_assert_eq!(out.len(), cells.len());
            for cov in out {
                let [lon, lat] = cov.cell.centroid();
                let centre = LonLat::new(lon, lat).unwrap();
                let distances: Vec<(f64, &str)> = all.iter()
                    .filter(|p| p.services.iter().any(|s| s == service))
                    .map(|p| (centre.geodesic_distance_m(p.location), p.id.as_str()))
                    .collect();
                let best = distances.iter().map(|d| d.0).fold(f64::INFINITY, f64::min);
                match cov.nearest_m {
                    None => prop_assert!(distances.is_empty()),
                    Some(d) => prop_assert!((d - best).abs() < 1e-3, "{} vs {}", d, best),
                }
                let within = distances.iter().filter(|d| d.0 <= threshold_m).count();
                // Points within a millimetre of the threshold may fall either side.
                let near_edge = distances.iter().filter(|d| (d.0 - threshold_m).abs() < 1e-3).count();
                prop_assert!(cov.count_within.abs_diff(within) <= near_edge);
            }
        }

        #[test]
        fn population_weighted_access_adds_up_to_the_supply_that_meets_demand(
            points in providers(),
            people in prop::collection::vec(0.0..500.0f64, 100),
            threshold_m in 500.0..4000.0f64,
        ) {
            // E2SFCA conserves supply: Σᵢ Pᵢ·Aᵢ / 1 000 = Σⱼ Sⱼ over providers with demand in reach,
            // when the cells asked are every populated cell.
            let all: Vec<Provider> = points.iter().enumerate().map(|(i, &(lon, lat, s))| provider(i, lon, lat, s, None)).collect();
            let catalog = Catalog::new(all.clone(), Vec::new());
            let cells = city_cells(MeshLevel::Third);
            let layer = Population::new(MeshLevel::Third, cells.iter().copied().zip(people.iter().copied().cycle()));
            let out = compute(&catalog.snapshot(), &cells, &Filter::default(), threshold_m, Some(&layer), Supply::Providers);
            let weighted: f64 = out.iter().map(|c| c.population.unwrap_or(0.0) * c.access.unwrap() / ACCESS_PER).sum();
            let served = all.iter().filter(|p| {
                cells.iter().any(|c| {
                    let [lon, lat] = c.centroid();
                    let d = LonLat::new(lon, lat).unwrap().geodesic_distance_m(p.location);
                    layer.in_cell(*c).unwrap_or(0.0) * decay(d, threshold_m) > 0.0
                })
            }).count();
            prop_assert!((weighted - served as f64).abs() < 1e-6 * (1.0 + served as f64), "{} vs {}", weighted, served);
        }
    }
}
