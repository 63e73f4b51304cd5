//! JIS X 0410 地域メッシュ (standard grid squares) on JGD2011 latitude/longitude.
//!
//! The standard cuts the country into 1次 squares of 40′ latitude × 1° longitude, each cut 8 × 8
//! into 2次 squares (5′ × 7′30″), each cut 10 × 10 into 3次 squares (30″ × 45″, about 1 km),
//! each cut 2 × 2 into 4次 (1/2, about 500 m) and again 2 × 2 into 5次 (1/4, about 250 m) squares.
//!
//! All arithmetic runs on integer *cell indices* in units of the 5次 square (7.5″ of latitude,
//! 11.25″ of longitude), so code ↔ cell is exact: `row = floor(lat × 480)`,
//! `col = floor((lon − 100) × 320)`. A point on a shared edge belongs to the cell to its north
//! and east (cells are closed on their south and west edges, open on the north and east), so
//! every point of the covered range lies in exactly one cell of each level.
//!
//! Codes: 1次 `pp uu` (pp = floor(lat × 1.5), uu = floor(lon) − 100), 2次 `+ q v` (0–7),
//! 3次 `+ r w` (0–9), 4次 `+ d` and 5次 `+ d` with d = 1 SW, 2 SE, 3 NW, 4 NE.

use std::fmt;

/// 5次 rows per degree of latitude (480 × 7.5″ = 1°).
const ROWS_PER_DEGREE: f64 = 480.0;
/// 5次 columns per degree of longitude (320 × 11.25″ = 1°).
const COLS_PER_DEGREE: f64 = 320.0;
/// 5次 rows (and columns) per 1次 square; 1次 codes have two digits each way.
const FIRST_SPAN: u32 = 320;
/// Longitude of the western edge of 1次 column 00.
const LON_ORIGIN: f64 = 100.0;

/// The five levels of the standard, coarse to fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MeshLevel {
    /// 1次メッシュ: 40′ × 1°, about 80 km; 4-digit codes.
    First,
    /// 2次メッシュ: 5′ × 7′30″, about 10 km; 6-digit codes.
    Second,
    /// 3次メッシュ (基準地域メッシュ): 30″ × 45″, about 1 km; 8-digit codes.
    Third,
    /// 4次メッシュ (2分の1地域メッシュ): about 500 m; 9-digit codes.
    Half,
    /// 5次メッシュ (4分の1地域メッシュ): about 250 m; 10-digit codes.
    Quarter,
}

impl MeshLevel {
    /// Every level, coarse to fine.
    pub const ALL: [MeshLevel; 5] = [Self::First, Self::Second, Self::Third, Self::Half, Self::Quarter];

    /// The size of one cell of this level, in 5次 rows (= columns).
    const fn span(self) -> u32 {
        match self {
            Self::First => FIRST_SPAN,
            Self::Second => 40,
            Self::Third => 4,
            Self::Half => 2,
            Self::Quarter => 1,
        }
    }

    /// The number of digits of a code of this level.
    #[must_use]
    pub const fn digits(self) -> usize {
        match self {
            Self::First => 4,
            Self::Second => 6,
            Self::Third => 8,
            Self::Half => 9,
            Self::Quarter => 10,
        }
    }

    /// The level whose codes have `digits` digits.
    #[must_use]
    pub fn from_digits(digits: usize) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.digits() == digits)
    }

    /// The name used in the API (`mesh=` parameters): `80km`, `10km`, `1km`, `500m`, `250m`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::First => "80km",
            Self::Second => "10km",
            Self::Third => "1km",
            Self::Half => "500m",
            Self::Quarter => "250m",
        }
    }

    /// Parses an API name (see [`MeshLevel::name`]).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// Why a string or a position has no grid square.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeshError {
    /// Not 4, 6, 8, 9 or 10 ASCII digits.
    #[error("a grid-square code has 4, 6, 8, 9 or 10 digits")]
    Length,
    /// A digit outside its allowed range (2次 0–7, 4次/5次 1–4).
    #[error("digit {position} of the code is out of range for its level")]
    Digit {
        /// 1-based position of the bad digit.
        position: usize,
    },
    /// The position lies outside the range the codes can express (lat 0–66.67°, lon 100–200°).
    #[error("the position is outside the range of JIS X 0410 codes")]
    OutOfRange,
}

/// One grid square: its level and the 5次 row and column of its south-west corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MeshCell {
    level: MeshLevel,
    row: u32,
    col: u32,
}

/// A cell's extent in degrees: `(min_lon, min_lat, max_lon, max_lat)`, GeoJSON order.
pub type Bounds = [f64; 4];

impl MeshCell {
    /// The cell of `level` holding `lon`, `lat` (JGD2011 degrees; WGS84 agrees to well under a
    /// metre for this purpose).
    ///
    /// # Errors
    /// [`MeshError::OutOfRange`] when the point is not finite or the code cannot express it.
    pub fn containing(lon: f64, lat: f64, level: MeshLevel) -> Result<Self, MeshError> {
        if !lon.is_finite() || !lat.is_finite() {
            return Err(MeshError::OutOfRange);
        }
        let row = (lat * ROWS_PER_DEGREE).floor();
        let col = ((lon - LON_ORIGIN) * COLS_PER_DEGREE).floor();
        let limit = f64::from(100 * FIRST_SPAN);
        if !(0.0..limit).contains(&row) || !(0.0..limit).contains(&col) {
            return Err(MeshError::OutOfRange);
        }
        // Exact: both are integers in 0..32 000.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (row, col) = (row as u32, col as u32);
        let span = level.span();
        Ok(Self { level, row: row - row % span, col: col - col % span })
    }

    /// Parses a code of any level.
    ///
    /// # Errors
    /// [`MeshError::Length`] or [`MeshError::Digit`].
    pub fn parse(code: &str) -> Result<Self, MeshError> {
        let digits: Vec<u32> = code.chars().map(|c| c.to_digit(10)).collect::<Option<_>>().ok_or(MeshError::Length)?;
        let level = MeshLevel::from_digits(digits.len()).ok_or(MeshError::Length)?;
        let bad = |position: usize| MeshError::Digit { position };
        let mut row = (digits[0] * 10 + digits[1]) * FIRST_SPAN;
        let mut col = (digits[2] * 10 + digits[3]) * FIRST_SPAN;
        if level >= MeshLevel::Second {
            if digits[4] > 7 {
                return Err(bad(5));
            }
            if digits[5] > 7 {
                return Err(bad(6));
            }
            row += digits[4] * 40;
            col += digits[5] * 40;
        }
        if level >= MeshLevel::Third {
            row += digits[6] * 4;
            col += digits[7] * 4;
        }
        for (position, span) in [(9, 2), (10, 1)] {
            if digits.len() >= position {
                let quadrant = digits[position - 1];
                if !(1..=4).contains(&quadrant) {
                    return Err(bad(position));
                }
                row += (quadrant - 1) / 2 * span;
                col += (quadrant - 1) % 2 * span;
            }
        }
        Ok(Self { level, row, col })
    }

    /// The cell's level.
    #[must_use]
    pub const fn level(self) -> MeshLevel {
        self.level
    }

    /// The code, as digits (e.g. `53394611`).
    #[must_use]
    pub fn code(self) -> String {
        self.to_string()
    }

    /// The code as a number (codes never start with 0 in Japan, but the value is exact anyway).
    #[must_use]
    pub fn code_number(self) -> u64 {
        let (p, u) = (self.row / FIRST_SPAN, self.col / FIRST_SPAN);
        let (r2, c2) = (self.row % FIRST_SPAN, self.col % FIRST_SPAN);
        let mut code = u64::from(p * 100 + u);
        if self.level >= MeshLevel::Second {
            code = code * 100 + u64::from(r2 / 40 * 10 + c2 / 40);
        }
        if self.level >= MeshLevel::Third {
            code = code * 100 + u64::from(r2 % 40 / 4 * 10 + c2 % 40 / 4);
        }
        for (level, span) in [(MeshLevel::Half, 2), (MeshLevel::Quarter, 1)] {
            if self.level >= level {
                let (north, east) = (r2 % (span * 2) / span, c2 % (span * 2) / span);
                code = code * 10 + u64::from(north * 2 + east + 1);
            }
        }
        code
    }

    /// The cell's extent: `[min_lon, min_lat, max_lon, max_lat]` in degrees.
    #[must_use]
    pub fn bounds(self) -> Bounds {
        let span = self.level.span();
        [lon_of(self.col), lat_of(self.row), lon_of(self.col + span), lat_of(self.row + span)]
    }

    /// The cell's centre `[lon, lat]` in degrees (the midpoint in latitude and longitude, as the
    /// standard's 代表点 is used for grid statistics).
    #[must_use]
    pub fn centroid(self) -> [f64; 2] {
        let span = f64::from(self.level.span());
        [
            LON_ORIGIN + (f64::from(self.col) + span / 2.0) / COLS_PER_DEGREE,
            (f64::from(self.row) + span / 2.0) / ROWS_PER_DEGREE,
        ]
    }

    /// Whether `lon`, `lat` lies in this cell (south and west edges included, north and east
    /// excluded), decided on the same integer indices as [`MeshCell::containing`].
    #[must_use]
    pub fn contains(self, lon: f64, lat: f64) -> bool {
        Self::containing(lon, lat, self.level).is_ok_and(|c| c == self)
    }

    /// The cell of the same level `d_north` rows and `d_east` columns away (negative: south /
    /// west), or `None` past the edge of the code range.
    #[must_use]
    pub fn offset(self, d_north: i64, d_east: i64) -> Option<Self> {
        let span = i64::from(self.level.span());
        let limit = i64::from(100 * FIRST_SPAN);
        let row = i64::from(self.row) + d_north * span;
        let col = i64::from(self.col) + d_east * span;
        if !(0..limit).contains(&row) || !(0..limit).contains(&col) {
            return None;
        }
        Some(Self { level: self.level, row: u32::try_from(row).ok()?, col: u32::try_from(col).ok()? })
    }

    /// The up to eight cells that share an edge or a corner with this one.
    #[must_use]
    pub fn neighbours(self) -> Vec<Self> {
        let mut out = Vec::with_capacity(8);
        for d_north in -1..=1 {
            for d_east in -1..=1 {
                if (d_north, d_east) != (0, 0)
                    && let Some(cell) = self.offset(d_north, d_east)
                {
                    out.push(cell);
                }
            }
        }
        out
    }

    /// The cell of a coarser (or the same) level that holds this one.
    #[must_use]
    pub fn parent(self, level: MeshLevel) -> Option<Self> {
        if level > self.level {
            return None;
        }
        let span = level.span();
        Some(Self { level, row: self.row - self.row % span, col: self.col - self.col % span })
    }

    /// Every cell of `level` whose square intersects `bounds` (`[min_lon, min_lat, max_lon,
    /// max_lat]`), row by row from the south-west. Callers bound the area: the count grows with
    /// it (a prefecture at 250 m is about 80 000 cells).
    ///
    /// # Errors
    /// [`MeshError::OutOfRange`] when a corner is outside the code range.
    pub fn covering(bounds: Bounds, level: MeshLevel) -> Result<Vec<Self>, MeshError> {
        let (south_west, north_east) = Self::corners(bounds, level)?;
        let span = level.span();
        let rows = (south_west.row..=north_east.row).step_by(span as usize);
        let mut out = Vec::new();
        for row in rows {
            for col in (south_west.col..=north_east.col).step_by(span as usize) {
                out.push(Self { level, row, col });
            }
        }
        Ok(out)
    }
}

impl MeshCell {
    /// How many cells [`MeshCell::covering`] would list, without listing them (to refuse a box
    /// that is too large before allocating).
    ///
    /// # Errors
    /// [`MeshError::OutOfRange`] when a corner is outside the code range.
    pub fn covering_count(bounds: Bounds, level: MeshLevel) -> Result<usize, MeshError> {
        let (south_west, north_east) = Self::corners(bounds, level)?;
        let span = level.span();
        let rows = north_east.row.saturating_sub(south_west.row) / span + 1;
        let cols = north_east.col.saturating_sub(south_west.col) / span + 1;
        Ok(rows as usize * cols as usize)
    }

    fn corners(bounds: Bounds, level: MeshLevel) -> Result<(Self, Self), MeshError> {
        let [min_lon, min_lat, max_lon, max_lat] = bounds;
        Ok((Self::containing(min_lon, min_lat, level)?, Self::containing(max_lon, max_lat, level)?))
    }
}

impl fmt::Display for MeshCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0width$}", self.code_number(), width = self.level.digits())
    }
}

impl std::str::FromStr for MeshCell {
    type Err = MeshError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn lat_of(row: u32) -> f64 {
    f64::from(row) / ROWS_PER_DEGREE
}

fn lon_of(col: u32) -> f64 {
    LON_ORIGIN + f64::from(col) / COLS_PER_DEGREE
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The standard's formulas written out independently with rational arithmetic in seconds of
    /// arc: 1次 = (floor(lat·60/40), floor(lon) − 100), then remainders cut 8, 10, 2, 2.
    fn code_by_formula(lon: f64, lat: f64, digits: usize) -> String {
        let lat_s = lat * 3600.0;
        let lon_s = (lon - 100.0) * 3600.0;
        let p = (lat_s / 2400.0).floor();
        let u = (lon_s / 3600.0).floor();
        let (lat_r, lon_r) = (lat_s - p * 2400.0, lon_s - u * 3600.0);
        let q = (lat_r / 300.0).floor();
        let v = (lon_r / 450.0).floor();
        let (lat_r, lon_r) = (lat_r - q * 300.0, lon_r - v * 450.0);
        let r = (lat_r / 30.0).floor();
        let w = (lon_r / 45.0).floor();
        let (lat_r, lon_r) = (lat_r - r * 30.0, lon_r - w * 45.0);
        let s = (lat_r / 15.0).floor();
        let x = (lon_r / 22.5).floor();
        let (lat_r, lon_r) = (lat_r - s * 15.0, lon_r - x * 22.5);
        let t = (lat_r / 7.5).floor();
        let y = (lon_r / 11.25).floor();
        let full = format!("{p:02}{u:02}{q}{v}{r}{w}{}{}", s * 2.0 + x + 1.0, t * 2.0 + y + 1.0);
        full[..digits].to_string()
    }

    #[test]
    fn tokyo_station_is_in_third_level_square_53394611() {
        let cell = MeshCell::containing(139.767_125, 35.681_236, MeshLevel::Third).unwrap();
        assert_eq!(cell.code(), "53394611");
        assert_eq!(MeshCell::containing(139.767_125, 35.681_236, MeshLevel::First).unwrap().code(), "5339");
        assert_eq!(MeshCell::containing(139.767_125, 35.681_236, MeshLevel::Second).unwrap().code(), "533946");
    }

    #[test]
    fn nagareyama_city_hall_codes_match_the_formulas() {
        // Nagareyama city hall, about 139.9025 E 35.8563 N.
        for level in MeshLevel::ALL {
            let cell = MeshCell::containing(139.9025, 35.8563, level).unwrap();
            assert_eq!(cell.code(), code_by_formula(139.9025, 35.8563, level.digits()));
        }
    }

    #[test]
    fn a_third_level_square_is_30_by_45_seconds() {
        let [w, s, e, n] = MeshCell::parse("53394611").unwrap().bounds();
        assert!((s - (53.0 / 1.5 + 4.0 * 5.0 / 60.0 + 30.0 / 3600.0)).abs() < 1e-12);
        assert!((w - (139.0 + 6.0 * 7.5 / 60.0 + 45.0 / 3600.0)).abs() < 1e-12);
        assert!(((n - s) * 3600.0 - 30.0).abs() < 1e-9);
        assert!(((e - w) * 3600.0 - 45.0).abs() < 1e-9);
    }

    #[test]
    fn quadrant_digits_run_south_west_south_east_north_west_north_east() {
        let parent = MeshCell::parse("53394611").unwrap().bounds();
        let [w, s, _, _] = MeshCell::parse("533946111").unwrap().bounds();
        assert_eq!((w, s), (parent[0], parent[1]));
        let [w2, s2, _, _] = MeshCell::parse("533946112").unwrap().bounds();
        assert!(w2 > w && (s2 - s).abs() < 1e-12);
        let [w3, s3, _, _] = MeshCell::parse("533946113").unwrap().bounds();
        assert!((w3 - w).abs() < 1e-12 && s3 > s);
        let [_, _, e4, n4] = MeshCell::parse("533946114").unwrap().bounds();
        assert_eq!((e4, n4), (parent[2], parent[3]));
    }

    #[test]
    fn malformed_codes_are_refused_naming_the_digit() {
        assert_eq!(MeshCell::parse("533"), Err(MeshError::Length));
        assert_eq!(MeshCell::parse("5339461"), Err(MeshError::Length));
        assert_eq!(MeshCell::parse("5339a611"), Err(MeshError::Length));
        assert_eq!(MeshCell::parse("533986"), Err(MeshError::Digit { position: 5 }));
        assert_eq!(MeshCell::parse("533948"), Err(MeshError::Digit { position: 6 }));
        assert_eq!(MeshCell::parse("533946115"), Err(MeshError::Digit { position: 9 }));
        assert_eq!(MeshCell::parse("5339461110"), Err(MeshError::Digit { position: 10 }));
    }

    #[test]
    fn points_outside_the_code_range_have_no_cell() {
        assert_eq!(MeshCell::containing(99.9, 35.0, MeshLevel::First), Err(MeshError::OutOfRange));
        assert_eq!(MeshCell::containing(139.0, -0.1, MeshLevel::First), Err(MeshError::OutOfRange));
        assert_eq!(MeshCell::containing(f64::NAN, 35.0, MeshLevel::First), Err(MeshError::OutOfRange));
    }

    #[test]
    fn covering_a_city_bbox_lists_each_cell_once_and_covers_the_corners() {
        let bbox = [139.8745, 35.8275, 139.9578, 35.9199];
        let cells = MeshCell::covering(bbox, MeshLevel::Quarter).unwrap();
        let unique: std::collections::BTreeSet<_> = cells.iter().copied().collect();
        assert_eq!(unique.len(), cells.len());
        assert_eq!(MeshCell::covering_count(bbox, MeshLevel::Quarter).unwrap(), cells.len());
        for (lon, lat) in [(bbox[0], bbox[1]), (bbox[2], bbox[3]), (139.9, 35.85)] {
            assert!(cells.iter().any(|c| c.contains(lon, lat)));
        }
    }

    fn japan() -> impl Strategy<Value = (f64, f64)> {
        (122.0..154.0f64, 20.0..46.0f64)
    }

    fn level() -> impl Strategy<Value = MeshLevel> {
        prop::sample::select(MeshLevel::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn codes_equal_the_standards_formulas((lon, lat) in japan(), level in level()) {
            let cell = MeshCell::containing(lon, lat, level).unwrap();
            prop_assert_eq!(cell.code(), code_by_formula(lon, lat, level.digits()));
        }

        #[test]
        fn code_round_trips_through_parse((lon, lat) in japan(), level in level()) {
            let cell = MeshCell::containing(lon, lat, level).unwrap();
            prop_assert_eq!(MeshCell::parse(&cell.code()).unwrap(), cell);
            prop_assert_eq!(cell.code().len(), level.digits());
        }

        #[test]
        fn every_point_lies_in_its_cell_and_in_no_neighbour((lon, lat) in japan(), level in level()) {
            let cell = MeshCell::containing(lon, lat, level).unwrap();
            let [w, s, e, n] = cell.bounds();
            prop_assert!(w - 1e-9 <= lon && lon < e + 1e-9 && s - 1e-9 <= lat && lat < n + 1e-9);
            prop_assert!(cell.contains(lon, lat));
            for other in cell.neighbours() {
                prop_assert!(!other.contains(lon, lat));
            }
            let [clon, clat] = cell.centroid();
            prop_assert!(cell.contains(clon, clat));
        }

        #[test]
        fn neighbours_share_an_edge_or_a_corner((lon, lat) in japan(), level in level()) {
            let cell = MeshCell::containing(lon, lat, level).unwrap();
            let [w, s, e, n] = cell.bounds();
            let neighbours = cell.neighbours();
            prop_assert_eq!(neighbours.len(), 8);
            for other in neighbours {
                let [ow, os, oe, on] = other.bounds();
                let touches_lon = (oe - w).abs() < 1e-9 || (ow - e).abs() < 1e-9 || (ow - w).abs() < 1e-9;
                let touches_lat = (on - s).abs() < 1e-9 || (os - n).abs() < 1e-9 || (os - s).abs() < 1e-9;
                prop_assert!(touches_lon && touches_lat);
            }
        }

        #[test]
        fn finer_cells_nest_in_their_parents((lon, lat) in japan()) {
            let quarter = MeshCell::containing(lon, lat, MeshLevel::Quarter).unwrap();
            for level in MeshLevel::ALL {
                let parent = quarter.parent(level).unwrap();
                prop_assert_eq!(parent, MeshCell::containing(lon, lat, level).unwrap());
                prop_assert!(quarter.code().starts_with(&parent.code()));
            }
        }
    }
}
