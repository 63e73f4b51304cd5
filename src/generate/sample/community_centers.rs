//! The sample's 地域包括支援センター: one invented centre per sample district (日常生活圏域), placed
//! near the district's centre, responsible for the sample towns whose point lies in it. Names say
//! サンプル, phone numbers are the unassigned 04-0000-000N; nothing here is a real centre.

use geo::Centroid;

use crate::domain::{LonLat, district_of};

/// File of the sample centres in `data/`.
pub const FILE: &str = "community_centers_sample.csv";

/// The `source` of the sample centres.
pub const SOURCE: &str = "sample";

/// The sample centres as the CSV `caremap import --source community-centers` reads.
#[must_use]
pub fn csv() -> String {
    let districts = super::districts();
    let mut out = String::from("id,name,address,phone,lon,lat,areas\r\n");
    for (n, d) in districts.iter().enumerate() {
        let Some(centre) = d.area.centroid() else { continue };
        let towns: Vec<&str> = super::TOWNS
            .iter()
            .filter(|(_, _, lon, lat)| {
                LonLat::new(*lon, *lat).ok().and_then(|p| district_of(&districts, p)).is_some_and(|x| x.id == d.id)
            })
            .map(|t| t.0)
            .collect();
        // The centre's own address: the sample town nearest to it.
        let here = super::TOWNS
            .iter()
            .min_by(|a, b| {
                let da = (a.2 - centre.x()).powi(2) + (a.3 - centre.y()).powi(2);
                let db = (b.2 - centre.x()).powi(2) + (b.3 - centre.y()).powi(2);
                da.total_cmp(&db)
            })
            .map_or("", |t| t.0);
        out.push_str(&format!(
            "{},流山市{}地域包括支援センター（サンプル・架空）,千葉県流山市{here}（架空の所在地）,04-0000-000{},{:.6},{:.6},{}\r\n",
            d.id,
            d.name,
            n + 1,
            centre.x(),
            centre.y(),
            towns.join(";")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_town_has_a_sample_centre() {
        let text = csv();
        let file = crate::import::InputFile { name: FILE.into(), bytes: text.into_bytes() };
        let centers = crate::import::community_centers::read(&file, SOURCE, &|_| Ok(None)).unwrap();
        assert_eq!(centers.len(), 4);
        let listed: usize = centers.iter().map(|c| c.areas.len()).sum();
        assert_eq!(listed, super::super::TOWNS.len());
    }
}
