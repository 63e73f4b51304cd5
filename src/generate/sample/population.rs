//! The sample's population layer: invented census counts per 500 m grid square inside the
//! approximate city outline, written in the e-Stat 地域メッシュ統計 layout (the 2020 census
//! table T001141 codes and labels) so that `caremap import --source estat-mesh` reads it like a
//! real file. Two squares are suppressed (秘匿) the way the census does it, merged into a
//! neighbour. Counts are made up: roughly 5 000 people per km², about a quarter 65 and over.

use std::fmt::Write as _;

use geo::Contains;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::spatial::mesh::{MeshCell, MeshLevel};

/// File name of the sample layer in `data/`.
pub const FILE: &str = "population_sample.csv";
/// The columns `serve` loads from it on first start: 人口総数, 65歳以上, 75歳以上.
pub const COLUMNS: [&str; 3] = ["T001141001", "T001141019", "T001141022"];
/// The `source` recorded for the sample columns.
pub const SOURCE: &str = "sample (invented by caremap sample; not census data)";

const HEADER: &str = "KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001141001,T001141002,T001141003,T001141019,T001141020,T001141021,T001141022,T001141023,T001141024\r\n\
,,,,人口（総数）,人口（総数）　男,人口（総数）　女,６５歳以上人口　総数,６５歳以上人口　男,６５歳以上人口　女,７５歳以上人口　総数,７５歳以上人口　男,７５歳以上人口　女\r\n";

struct Row {
    cell: MeshCell,
    counts: [u32; 3],
    status: u8,
    target: Option<MeshCell>,
    merged: Vec<MeshCell>,
}

/// The sample layer as the text of an e-Stat file.
#[must_use]
pub fn csv() -> String {
    let city = super::city_outline();
    let mut rng = StdRng::seed_from_u64(12220);
    let cells = MeshCell::covering([139.8745, 35.8275, 139.9578, 35.9199], MeshLevel::Half).unwrap_or_default();
    let mut rows: Vec<Row> = cells
        .into_iter()
        .filter(|c| {
            let [lon, lat] = c.centroid();
            city.contains(&geo::Point::new(lon, lat))
        })
        .map(|cell| {
            let total = rng.random_range(400..2_200u32);
            let over_65 = total * rng.random_range(18..34u32) / 100;
            let over_75 = over_65 * rng.random_range(45..60u32) / 100;
            Row { cell, counts: [total, over_65, over_75], status: 0, target: None, merged: Vec::new() }
        })
        .collect();
    // Suppress two small squares into their first listed neighbour, as the census does.
    for index in [3usize, 40] {
        let Some(target) = rows.get(index + 1).map(|r| r.cell) else { continue };
        let small = [rng.random_range(3..9u32), 1, 0];
        rows[index].counts = small;
        rows[index].status = 2;
        rows[index].target = Some(target);
        let source = rows[index].cell;
        let receiver = &mut rows[index + 1];
        receiver.status = 1;
        receiver.merged.push(source);
        for (r, s) in receiver.counts.iter_mut().zip(small) {
            *r += s;
        }
    }
    let mut out = String::from(HEADER);
    for row in &rows {
        let code = |c: Option<MeshCell>| c.map(|c| c.code()).unwrap_or_default();
        let merged: Vec<String> = row.merged.iter().map(|c| c.code()).collect();
        let _ = write!(out, "{},{},{},{}", row.cell, row.status, code(row.target), merged.join(";"));
        for count in row.counts {
            if row.status == 2 {
                out.push_str(",*,*,*");
            } else {
                // 男 and 女 roughly halve each count; only the totals are used.
                let male = count * 48 / 100;
                let _ = write!(out, ",{count},{male},{}", count - male);
            }
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::estat_mesh;

    #[test]
    fn the_sample_layer_reads_as_an_estat_file_with_two_suppressed_squares() {
        let text = csv();
        let wanted: Vec<String> = COLUMNS.iter().map(ToString::to_string).collect();
        let table = estat_mesh::read(text.as_bytes(), &wanted).unwrap();
        assert!(table.squares.len() > 100, "{}", table.squares.len());
        assert_eq!(table.suppressed(), 2);
        let total = table.total(0);
        assert!((100_000..300_000).contains(&total), "{total}");
        assert!(table.total(2) < table.total(1) && table.total(1) < total);
    }

    #[test]
    fn the_sample_layer_is_the_same_every_time() {
        assert_eq!(csv(), csv());
    }
}
