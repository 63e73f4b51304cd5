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

/// A provider with every field of the table filled with a value that is not a default: text
/// with quotes, SQL, newlines and tabs, coordinates to the last bit. For round-trip tests of the
/// stores and formats (a field left blank here would go untested).
pub fn every_field(id: &str) -> Provider {
    Provider {
        official_code: Some("1312000001".into()),
        name_kana: Some("サクラシンリョウジョ".into()),
        services: vec!["130".into(), "430".into()],
        home_care: Some(HomeCare {
            class: Some(HomeCareClass::EnhancedNetwork),
            house_calls: true,
            home_visits: false,
            available_24h: true,
            end_of_life: true,
        }),
        address: Some("千葉県流山市平和台1-1-1".into()),
        phone: Some("04-7150-1234".into()),
        fax: Some("04-7150-1235".into()),
        url: Some("https://sakura.example/\"quoted\"".into()),
        corporation: Some("医療法人さくら".into()),
        corporate_number: Some("1234567890123".into()),
        capacity: Some(19),
        open_days: Some("平日,土曜日".into()),
        notes: Some("'; DROP TABLE providers; --\n改行\tタブ".into()),
        accepting: Some(crate::domain::Accepting::Consult),
        accepting_note: Some("火・木の午後なら可".into()),
        accepting_places: Some(2),
        accepting_checked_at: Some("2026-11-28T01:00:00Z".into()),
        accepting_updated_at: Some("2026-11-28".into()),
        district: Some("north".into()),
        version: 3,
        updated_at: "2026-11-30T00:00:00Z".into(),
        updated_by: "yamada".into(),
        ..Provider::new(
            id.into(),
            Kind::Clinic,
            "さくら診療所".into(),
            LonLat::new(139.912_345_678_901_23, 35.856_789_012_345_6).expect("in range"),
        )
    }
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
