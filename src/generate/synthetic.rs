//! Synthetic providers spread over Japan's populated areas, for benchmarks (`caremap gen`).
//! Deterministic for a seed. Never mixed with real or sample data.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::domain::{HomeCare, HomeCareClass, JAPAN_EXTENT, Kind, LonLat, Provider, SERVICE_TYPES};

/// Metropolitan centres (lon, lat, relative weight ≈ population in 100k, spread in km).
const CENTRES: &[(f64, f64, u32, f64)] = &[
    (139.767, 35.681, 140, 25.0), // Tokyo
    (139.638, 35.444, 37, 12.0),  // Yokohama
    (139.645, 35.861, 13, 12.0),  // Saitama
    (140.123, 35.607, 10, 12.0),  // Chiba
    (139.903, 35.856, 2, 4.0),    // Nagareyama
    (135.502, 34.694, 27, 15.0),  // Osaka
    (135.768, 35.012, 15, 10.0),  // Kyoto
    (135.195, 34.690, 15, 10.0),  // Kobe
    (136.907, 35.181, 23, 15.0),  // Nagoya
    (141.354, 43.062, 20, 10.0),  // Sapporo
    (140.872, 38.268, 11, 10.0),  // Sendai
    (130.402, 33.590, 16, 12.0),  // Fukuoka
    (130.882, 33.883, 9, 10.0),   // Kitakyushu
    (132.455, 34.385, 12, 10.0),  // Hiroshima
    (133.919, 34.655, 7, 8.0),    // Okayama
    (138.383, 34.976, 7, 10.0),   // Shizuoka
    (137.727, 34.711, 8, 10.0),   // Hamamatsu
    (139.036, 37.916, 8, 10.0),   // Niigata
    (136.656, 36.561, 5, 8.0),    // Kanazawa
    (130.742, 32.803, 7, 8.0),    // Kumamoto
    (130.558, 31.597, 6, 8.0),    // Kagoshima
    (127.681, 26.212, 3, 6.0),    // Naha
    (132.766, 33.839, 5, 6.0),    // Matsuyama
    (140.740, 40.822, 3, 6.0),    // Aomori
    (140.103, 39.720, 3, 6.0),    // Akita
    (139.884, 36.555, 5, 8.0),    // Utsunomiya
    (140.447, 36.366, 3, 8.0),    // Mito
];

/// `count` synthetic providers (ids `gen-00000000` …), about 60 % care offices and 40 %
/// clinics, scattered around metropolitan centres with a Gaussian spread.
pub fn providers(count: usize, seed: u64) -> Vec<Provider> {
    let mut rng = StdRng::seed_from_u64(seed);
    let total: u32 = CENTRES.iter().map(|c| c.2).sum();
    (0..count)
        .map(|i| {
            let mut pick = rng.random_range(0..total);
            let centre = CENTRES
                .iter()
                .find(|c| {
                    if pick < c.2 {
                        true
                    } else {
                        pick -= c.2;
                        false
                    }
                })
                .unwrap_or(&CENTRES[0]);
            let location = scatter(&mut rng, centre.0, centre.1, centre.3);
            let care = rng.random_bool(0.6);
            let code = SERVICE_TYPES[rng.random_range(0..SERVICE_TYPES.len())].code;
            let kind = if care { Kind::Care } else { Kind::Clinic };
            Provider {
                official_code: Some(format!("{:010}", 9_000_000_000u64 + i as u64)),
                services: if care { vec![code.to_owned()] } else { Vec::new() },
                home_care: (!care && rng.random_bool(0.5)).then_some(HomeCare {
                    class: Some(HomeCareClass::Standard),
                    house_calls: true,
                    home_visits: true,
                    available_24h: true,
                    end_of_life: false,
                }),
                notes: Some("合成データ（ベンチマーク用）".into()),
                accepting: Some(crate::domain::Accepting::from_bool(rng.random_bool(0.5))),
                updated_at: "2026-11-01T00:00:00Z".into(),
                updated_by: "gen".into(),
                ..Provider::new(format!("gen-{i:08}"), kind, format!("合成データ事業所 {i}"), location)
            }
        })
        .collect()
}

/// A point near (lon, lat) with a Gaussian spread of `sigma_km`, kept on land-ish latitudes.
fn scatter(rng: &mut StdRng, lon: f64, lat: f64, sigma_km: f64) -> LonLat {
    // Box–Muller: two uniform samples to two standard normal ones.
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    let r = (-2.0 * u1.ln()).sqrt();
    let (dx, dy) = (r * (std::f64::consts::TAU * u2).cos(), r * (std::f64::consts::TAU * u2).sin());
    let dlat = dy * sigma_km / 111.0;
    let dlon = dx * sigma_km / (111.0 * lat.to_radians().cos());
    let japan = JAPAN_EXTENT;
    LonLat::new((lon + dlon).clamp(japan.min_lon, japan.max_lon), (lat + dlat).clamp(japan.min_lat, japan.max_lat))
        .unwrap_or_else(|_| unreachable!())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_providers_are_valid_deterministic_and_in_japan() {
        let a = providers(500, 42);
        assert_eq!(a, providers(500, 42));
        assert!(a.iter().all(|p| p.validate().is_empty()));
        assert!(a.iter().all(|p| p.location.is_in_japan_extent()));
    }
}
