//! The bundled sample for Nagareyama (流山市, city code 12220): an approximate city outline,
//! four approximate 日常生活圏域, and invented providers placed inside the city. Everything here
//! is made up by this program and labelled as sample data; nothing is copied from elsewhere.
//! Regenerate `data/` with `caremap sample --out data`.

pub mod address;
pub mod community_centers;
pub mod population;

use std::path::Path;

use geo::{BooleanOps, Contains, LineString, MultiPolygon, Polygon, Rect};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::json;

use crate::domain::{Accepting, District, HomeCare, HomeCareClass, Kind, LonLat, Provider, place_in_district};
use crate::formats::geojson::FeatureOut;

/// Marker stored in the database and shown on the page while the sample is served.
pub const SAMPLE_DATASET: &str = "sample";

/// Note attached to every sample provider.
pub const SAMPLE_NOTE: &str = "サンプルデータ（架空の事業所です。実在しません）";

/// Timestamp of every sample record (fixed, so regenerating gives identical files).
const SAMPLE_TIME: &str = "2026-11-01T00:00:00Z";

/// An approximate outline of Nagareyama (lon, lat), drawn by hand inside the city's bbox
/// 139.8745–139.9578 E, 35.8275–35.9199 N. Not the legal boundary.
const CITY_OUTLINE: &[(f64, f64)] = &[
    (139.8900, 35.9199),
    (139.9150, 35.9150),
    (139.9350, 35.9050),
    (139.9500, 35.8900),
    (139.9578, 35.8700),
    (139.9520, 35.8500),
    (139.9400, 35.8380),
    (139.9200, 35.8300),
    (139.9050, 35.8275),
    (139.8900, 35.8350),
    (139.8800, 35.8500),
    (139.8745, 35.8700),
    (139.8770, 35.8900),
    (139.8820, 35.9100),
    (139.8900, 35.9199),
];

/// The four approximate districts: id, name, and the rectangle (min lon, min lat, max lon,
/// max lat) that the city outline is clipped to.
const DISTRICT_CUTS: &[(&str, &str, [f64; 4])] = &[
    ("north", "北部", [139.80, 35.885, 140.00, 36.00]),
    ("central", "中部", [139.80, 35.850, 139.925, 35.885]),
    ("east", "東部", [139.925, 35.800, 140.00, 35.885]),
    ("south", "南部", [139.80, 35.800, 139.925, 35.850]),
];

/// Town names with katakana and an approximate representative point (lon, lat), for invented
/// addresses: the address of a sample provider uses the town nearest to its position.
const TOWNS: &[(&str, &str, f64, f64)] = &[
    ("南流山", "ミナミナガレヤマ", 139.906, 35.838),
    ("木", "キ", 139.897, 35.842),
    ("鰭ケ崎", "ヒレガサキ", 139.913, 35.845),
    ("流山", "ナガレヤマ", 139.897, 35.858),
    ("平和台", "ヘイワダイ", 139.903, 35.856),
    ("加", "カ", 139.893, 35.862),
    ("三輪野山", "ミワノヤマ", 139.889, 35.870),
    ("美原", "ミハラ", 139.912, 35.863),
    ("前平井", "マエヒライ", 139.906, 35.867),
    ("思井", "オモイ", 139.910, 35.873),
    ("名都借", "ナズカリ", 139.941, 35.858),
    ("向小金", "ムカイコガネ", 139.936, 35.844),
    ("南柏", "ミナミカシワ", 139.947, 35.848),
    ("松ケ丘", "マツガオカ", 139.948, 35.862),
    ("野々下", "ノノシタ", 139.930, 35.853),
    ("富士見台", "フジミダイ", 139.921, 35.857),
    ("おおたかの森東", "オオタカノモリヒガシ", 139.929, 35.872),
    ("おおたかの森西", "オオタカノモリニシ", 139.917, 35.870),
    ("おおたかの森南", "オオタカノモリミナミ", 139.925, 35.865),
    ("おおたかの森北", "オオタカノモリキタ", 139.925, 35.879),
    ("市野谷", "イチノヤ", 139.937, 35.880),
    ("十太夫", "ジュウダユウ", 139.944, 35.873),
    ("西初石", "ニシハツイシ", 139.905, 35.880),
    ("東初石", "ヒガシハツイシ", 139.920, 35.888),
    ("駒木", "コマギ", 139.936, 35.888),
    ("青田", "アオタ", 139.925, 35.899),
    ("江戸川台東", "エドガワダイヒガシ", 139.911, 35.898),
    ("江戸川台西", "エドガワダイニシ", 139.903, 35.900),
    ("中野久木", "ナカノクキ", 139.886, 35.893),
    ("西深井", "ニシフカイ", 139.894, 35.906),
    ("東深井", "ヒガシフカイ", 139.911, 35.911),
];

/// Friendly words used in invented office names, with katakana.
const WORDS: &[(&str, &str)] = &[
    ("さくら", "サクラ"),
    ("ひまわり", "ヒマワリ"),
    ("あおば", "アオバ"),
    ("つばさ", "ツバサ"),
    ("なごみ", "ナゴミ"),
    ("ひだまり", "ヒダマリ"),
    ("かえで", "カエデ"),
    ("すずらん", "スズラン"),
    ("こもれび", "コモレビ"),
    ("やまぶき", "ヤマブキ"),
    ("はなみずき", "ハナミズキ"),
    ("わかば", "ワカバ"),
    ("ゆうあい", "ユウアイ"),
    ("みどり", "ミドリ"),
    ("そよかぜ", "ソヨカゼ"),
    ("あさひ", "アサヒ"),
];

/// Service code, relative weight in the sample, name suffix, its katakana, and a typical
/// capacity range (`None` for visit services, whose official 定員 is "not applicable").
/// How one care service appears in the sample.
struct SampleService {
    code: &'static str,
    weight: u32,
    suffix: &'static str,
    suffix_kana: &'static str,
    capacity: Option<(u32, u32)>,
}

const fn svc(
    code: &'static str,
    weight: u32,
    suffix: &'static str,
    suffix_kana: &'static str,
    capacity: Option<(u32, u32)>,
) -> SampleService {
    SampleService { code, weight, suffix, suffix_kana, capacity }
}

const CARE_SERVICES: &[SampleService] = &[
    svc("110", 40, "ヘルパーステーション", "ヘルパーステーション", None),
    svc("120", 6, "訪問入浴センター", "ホウモンニュウヨクセンター", None),
    svc("130", 30, "訪問看護ステーション", "ホウモンカンゴステーション", None),
    svc("140", 8, "訪問リハビリテーション", "ホウモンリハビリテーション", None),
    svc("150", 34, "デイサービスセンター", "デイサービスセンター", Some((20, 45))),
    svc("160", 12, "デイケアセンター", "デイケアセンター", Some((20, 60))),
    svc("170", 14, "福祉用具センター", "フクシヨウグセンター", None),
    svc("210", 12, "ショートステイ", "ショートステイ", Some((10, 40))),
    svc("320", 18, "グループホーム", "グループホーム", Some((9, 18))),
    svc("331", 8, "ケアホーム", "ケアホーム", Some((30, 90))),
    svc("430", 46, "ケアプランセンター", "ケアプランセンター", None),
    svc("510", 9, "特別養護老人ホーム", "トクベツヨウゴロウジンホーム", Some((50, 120))),
    svc("520", 5, "介護老人保健施設", "カイゴロウジンホケンシセツ", Some((80, 150))),
    svc("710", 3, "夜間訪問介護ステーション", "ヤカンホウモンカイゴステーション", None),
    svc("720", 5, "認知症デイサービス", "ニンチショウデイサービス", Some((10, 12))),
    svc("730", 8, "小規模多機能ホーム", "ショウキボタキノウホーム", Some((18, 29))),
    svc("760", 6, "定期巡回ステーション", "テイキジュンカイステーション", None),
    svc("770", 4, "看護小規模多機能ホーム", "カンゴショウキボタキノウホーム", Some((18, 29))),
    svc("780", 32, "デイサービス", "デイサービス", Some((10, 18))),
];

/// Services commonly offered by the same office alongside the main one.
const COMPANIONS: &[(&str, &str)] =
    &[("110", "430"), ("130", "140"), ("150", "430"), ("510", "210"), ("520", "160"), ("160", "140"), ("170", "410")];

/// The approximate city outline as a polygon.
pub fn city_outline() -> Polygon<f64> {
    Polygon::new(LineString::from(CITY_OUTLINE.to_vec()), vec![])
}

/// The four approximate districts, clipped from the city outline so they cover it exactly.
pub fn districts() -> Vec<District> {
    let city = MultiPolygon(vec![city_outline()]);
    DISTRICT_CUTS
        .iter()
        .map(|(id, name, [x0, y0, x1, y1])| {
            let cut = Rect::new(geo::coord! { x: *x0, y: *y0 }, geo::coord! { x: *x1, y: *y1 }).to_polygon();
            District {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                description: Some("サンプル：境界は概略です（実際の日常生活圏域ではありません）".to_owned()),
                area: round_multipolygon(city.intersection(&MultiPolygon(vec![cut]))),
            }
        })
        .collect()
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn round_multipolygon(mp: MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::MapCoords;
    mp.map_coords(|c| geo::coord! { x: round6(c.x), y: round6(c.y) })
}

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut pick = rng.random_range(0..total);
    for item in items {
        let w = weight(item);
        if pick < w {
            return item;
        }
        pick -= w;
    }
    &items[items.len() - 1]
}

/// The invented position and address parts shared by care offices and clinics.
struct Place {
    location: LonLat,
    town: &'static (&'static str, &'static str, f64, f64),
    address: String,
    phone: String,
}

fn random_place(rng: &mut StdRng, city: &Polygon<f64>) -> Place {
    let (lon, lat) = loop {
        let lon = round6(rng.random_range(139.8745..139.9578));
        let lat = round6(rng.random_range(35.8275..35.9199));
        if city.contains(&geo::Point::new(lon, lat)) {
            break (lon, lat);
        }
    };
    let town = TOWNS
        .iter()
        .min_by(|a, b| {
            let d = |t: &(&str, &str, f64, f64)| (t.2 - lon).powi(2) + (t.3 - lat).powi(2);
            d(a).total_cmp(&d(b))
        })
        .unwrap_or(&TOWNS[0]);
    let address = format!(
        "千葉県流山市{}{}-{}-{}",
        town.0,
        rng.random_range(1..=5),
        rng.random_range(1..=30),
        rng.random_range(1..=20)
    );
    // Subscriber numbers never start with 0, so 04-0xxx-xxxx cannot reach a real line.
    let phone = format!("04-0{:03}-{:04}", rng.random_range(0..1000), rng.random_range(0..10000));
    Place { location: LonLat::new(lon, lat).unwrap_or_else(|_| unreachable!()), town, address, phone }
}

fn accepting(rng: &mut StdRng) -> (Option<Accepting>, Option<String>) {
    match rng.random_range(0..10) {
        0..=4 => (Some(Accepting::Yes), Some(format!("2026-10-{:02}", rng.random_range(1..=31)))),
        5..=7 => (Some(Accepting::No), Some(format!("2026-10-{:02}", rng.random_range(1..=31)))),
        _ => (None, None),
    }
}

fn base(id: String, kind: Kind, name: String, name_kana: String, place: &Place) -> Provider {
    Provider {
        name_kana: Some(name_kana),
        address: Some(place.address.clone()),
        phone: Some(place.phone.clone()),
        notes: Some(SAMPLE_NOTE.to_owned()),
        updated_at: SAMPLE_TIME.to_owned(),
        updated_by: "sample".to_owned(),
        ..Provider::new(id, kind, name, place.location)
    }
}

/// `care` invented care offices and `clinics` invented clinics/hospitals inside the city,
/// deterministic for a seed, each with its district derived from `districts`.
pub fn providers(seed: u64, care: usize, clinics: usize, districts: &[District]) -> Vec<Provider> {
    let mut rng = StdRng::seed_from_u64(seed);
    let city = city_outline();
    let mut out = Vec::with_capacity(care + clinics);
    for i in 0..care {
        let place = random_place(&mut rng, &city);
        let &SampleService { code, suffix, suffix_kana, capacity, .. } =
            weighted(&mut rng, CARE_SERVICES, |s| s.weight);
        let (word, word_kana) = WORDS[rng.random_range(0..WORDS.len())];
        let name = format!("{word}{suffix}{}", place.town.0);
        let kana = format!("{word_kana}{suffix_kana}{}", place.town.1);
        let office = 1_000_000 + i as u32 * 7 + 3;
        let mut p = base(format!("care-129{office:07}"), Kind::Care, name, kana, &place);
        p.official_code = Some(format!("129{office:07}"));
        p.services.push(code.to_owned());
        if let Some((_, extra)) = COMPANIONS.iter().find(|(main, _)| *main == code)
            && rng.random_bool(0.4)
        {
            p.services.push((*extra).to_owned());
        }
        p.capacity = capacity.map(|(lo, hi)| rng.random_range(lo..=hi));
        p.open_days = Some(["平日", "平日,土曜日", "平日,土曜日,日曜日,祝日"][rng.random_range(0..3)].to_owned());
        p.corporation = Some(match rng.random_range(0..3) {
            0 => format!("社会福祉法人{word}会"),
            1 => format!("株式会社{word}ケア"),
            _ => format!("医療法人社団{word}会"),
        });
        (p.accepting, p.accepting_updated_at) = accepting(&mut rng);
        out.push(p);
    }
    for i in 0..clinics {
        let place = random_place(&mut rng, &city);
        let (word, word_kana) = WORDS[rng.random_range(0..WORDS.len())];
        let hospital = i % 8 == 7;
        let (kind, name, kana) = if hospital {
            (Kind::Hospital, format!("流山{word}病院"), format!("ナガレヤマ{word_kana}ビョウイン"))
        } else if i % 2 == 0 {
            (Kind::Clinic, format!("{word}在宅クリニック"), format!("{word_kana}ザイタククリニック"))
        } else {
            (Kind::Clinic, format!("{}{word}内科", place.town.0), format!("{}{word_kana}ナイカ", place.town.1))
        };
        let code = 9_000_000 + i as u32 * 11 + 5;
        let mut p = base(format!("med-121{code:07}"), kind, name, kana, &place);
        p.official_code = Some(format!("121{code:07}"));
        let class = match rng.random_range(0..10) {
            0 => Some(HomeCareClass::EnhancedSolo),
            1..=2 => Some(HomeCareClass::EnhancedNetwork),
            3..=5 => Some(HomeCareClass::Standard),
            _ => None,
        };
        let visits = class.is_some() || rng.random_bool(0.5);
        p.home_care = visits.then(|| HomeCare {
            class,
            house_calls: true,
            home_visits: true,
            available_24h: class.is_some(),
            end_of_life: class.is_some() && rng.random_bool(0.8),
        });
        if hospital || rng.random_bool(0.2) {
            p.services.push(if hospital { "160" } else { "140" }.to_owned());
        }
        p.open_days = Some("平日,土曜日".to_owned());
        p.corporation = Some(format!("医療法人社団{word}会"));
        (p.accepting, p.accepting_updated_at) = accepting(&mut rng);
        out.push(p);
    }
    for p in &mut out {
        place_in_district(p, districts);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The districts as a FeatureCollection labelled as an approximation.
pub fn districts_geojson(districts: &[District]) -> serde_json::Value {
    json!({
        "type": "FeatureCollection",
        "name": "流山市 日常生活圏域（サンプル・概略）",
        "description": "Approximate districts generated by caremap for its sample data; not the official 日常生活圏域.",
        "sample": true,
        "features": districts.iter().map(District::to_feature).collect::<Vec<_>>(),
    })
}

/// The providers as a FeatureCollection labelled as sample data.
pub fn providers_geojson(providers: &[Provider]) -> serde_json::Value {
    json!({
        "type": "FeatureCollection",
        "name": "caremap サンプルデータ（流山市・架空）",
        "description": "Invented providers generated by `caremap sample`; no real office is described.",
        "sample": true,
        "features": providers.iter().map(|p| FeatureOut::new(p, None)).collect::<Vec<_>>(),
    })
}

/// Writes `districts.geojson`, `providers.geojson` (320 care offices, 48 clinics and
/// hospitals), the population layer `population_sample.csv` and the approximate address
/// points (`address_sample_oaza.csv`, `address_sample_gaiku.csv`) and the invented
/// 地域包括支援センター (`community_centers_sample.csv`) into `dir`.
///
/// # Errors
/// When a file cannot be written.
pub fn write(dir: &Path) -> std::io::Result<()> {
    let districts = districts();
    let providers = providers(12220, 320, 48, &districts);
    std::fs::create_dir_all(dir)?;
    let pretty = |v: serde_json::Value| serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
    std::fs::write(dir.join("districts.geojson"), pretty(districts_geojson(&districts)))?;
    std::fs::write(dir.join("providers.geojson"), pretty(providers_geojson(&providers)))?;
    std::fs::write(dir.join(population::FILE), population::csv())?;
    std::fs::write(dir.join(address::OAZA_FILE), address::oaza_csv())?;
    std::fs::write(dir.join(address::GAIKU_FILE), address::gaiku_csv())?;
    std::fs::write(dir.join(community_centers::FILE), community_centers::csv())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;
    use std::collections::HashSet;

    #[test]
    fn the_districts_cover_the_city_without_overlap() {
        let d = districts();
        let sum: f64 = d.iter().map(|d| d.area.unsigned_area()).sum();
        let city = city_outline().unsigned_area();
        assert!((sum - city).abs() / city < 1e-4, "{sum} vs {city}");
        assert!(d.iter().all(|d| d.area.unsigned_area() > 0.0));
    }

    #[test]
    fn every_sample_provider_is_inside_the_city_and_a_district() {
        let d = districts();
        let p = providers(1, 320, 48, &d);
        assert!(p.iter().all(|p| p.district.is_some() && p.validate().is_empty()));
        let codes: HashSet<_> = p.iter().flat_map(|p| p.services.iter()).collect();
        assert!(codes.len() >= 12, "{codes:?}");
        assert!(
            p.iter().filter(|p| p.kind != Kind::Care && p.home_care.is_some_and(|h| h.class.is_some())).count() >= 10
        );
    }

    #[test]
    fn the_sample_is_the_same_for_the_same_seed() {
        let d = districts();
        assert_eq!(providers(7, 20, 5, &d), providers(7, 20, 5, &d));
    }
}
