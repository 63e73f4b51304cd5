//! Cell values of the official files turned into provider fields: coordinates (never 0,0,
//! never outside Japan), city codes, phone numbers, URLs, digit codes.

use crate::domain::LonLat;
use crate::domain::provider::is_phone_number;

use super::table::folded;

/// The reason every coordinate problem starts with, so the report groups them.
pub const NO_COORDINATES: &str = "no usable coordinates";

/// A WGS84 position from latitude and longitude cells in decimal degrees.
///
/// # Errors
/// A reason starting with [`NO_COORDINATES`] when a cell is empty, not a number, `0`
/// ("not registered"), or the point is outside Japan.
pub fn position(lat_cell: &str, lon_cell: &str) -> Result<LonLat, String> {
    let (lat_text, lon_text) = (folded(lat_cell), folded(lon_cell));
    if lat_text.is_empty() || lon_text.is_empty() {
        return Err(format!("{NO_COORDINATES}: latitude or longitude is empty"));
    }
    let (Ok(lat), Ok(lon)) = (lat_text.parse::<f64>(), lon_text.parse::<f64>()) else {
        return Err(format!("{NO_COORDINATES}: '{lat_text}', '{lon_text}' are not numbers"));
    };
    if lat == 0.0 || lon == 0.0 {
        return Err(format!("{NO_COORDINATES}: 0 means not registered"));
    }
    checked(lon, lat)
}

/// A WGS84 position that must be a real place in Japan.
///
/// # Errors
/// A reason starting with [`NO_COORDINATES`].
pub fn checked(lon: f64, lat: f64) -> Result<LonLat, String> {
    match LonLat::registered(lon, lat) {
        Ok(p) if p.is_in_japan_extent() => Ok(p),
        Ok(_) => Err(format!("{NO_COORDINATES}: {lon}, {lat} (lon, lat) is outside Japan")),
        Err(e) => Err(format!("{NO_COORDINATES}: {e}")),
    }
}

/// The five-digit 全国地方公共団体コード of a city, without the check digit, e.g. `12220`
/// for Nagareyama.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityCode(String);

impl CityCode {
    /// Parses `12220` or `122203` (with the check digit).
    ///
    /// # Errors
    /// A message when it is not 5 or 6 digits.
    pub fn parse(s: &str) -> Result<Self, String> {
        let digits = folded(s);
        if digits.bytes().all(|b| b.is_ascii_digit()) && (digits.len() == 5 || digits.len() == 6) {
            Ok(Self(digits[..5].to_owned()))
        } else {
            Err(format!("city code '{s}' must be 5 digits (or 6 with the check digit), e.g. 12220"))
        }
    }

    /// The five digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-digit prefecture code.
    pub fn prefecture(&self) -> &str {
        &self.0[..2]
    }

    /// Whether a code cell (5 digits, or 6 with the check digit) names this city.
    pub fn matches(&self, cell: &str) -> bool {
        let code = folded(cell);
        code.len() >= 5 && code.is_char_boundary(5) && code[..5] == self.0
    }

    /// Whether a 市区町村コード cell of 医療情報ネット names this city. The cell may hold 5
    /// digits, 6 with the check digit, or only the 3-digit city part (then `prefecture` gives
    /// the rest); a leading zero lost to a spreadsheet is restored. A prefecture cell that is
    /// not a code (a name, say) gives no prefecture.
    pub fn matches_split(&self, prefecture: &str, city: &str) -> bool {
        let pref = folded(prefecture);
        let city = folded(city);
        if !city.bytes().all(|b| b.is_ascii_digit()) || city.is_empty() {
            return false;
        }
        let pref = Some(pref)
            .filter(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
            .map(|p| format!("{p:0>2}"));
        let full = match (city.len(), pref.as_deref()) {
            (1..=3, Some(pref)) => format!("{pref}{city:0>3}"),
            (1..=3, None) => return false,
            (4, _) => format!("0{city}"),
            (5, Some(pref)) if !city.starts_with(pref) && format!("0{city}").starts_with(pref) => format!("0{city}"),
            _ => city,
        };
        full.get(..5) == Some(self.0.as_str())
    }
}

/// Digits only (after NFKC), when they have one of the lengths.
pub fn digits(cell: &str, lengths: &[usize]) -> Option<String> {
    let v = folded(cell);
    (v.bytes().all(|b| b.is_ascii_digit()) && lengths.contains(&v.len())).then_some(v)
}

/// A phone or fax number as written (NFKC), when it is a Japanese phone number.
///
/// # Errors
/// The value when it is not empty and not a phone number.
pub fn phone(cell: &str) -> Result<Option<String>, String> {
    let v = folded(cell);
    if v.is_empty() {
        Ok(None)
    } else if is_phone_number(&v) {
        Ok(Some(v))
    } else {
        Err(v)
    }
}

/// An http(s) address. MHLW's URL column sometimes holds an e-mail address or a phone
/// number instead.
///
/// # Errors
/// The value when it is not empty and not an http(s) address.
pub fn url(cell: &str) -> Result<Option<String>, String> {
    let v = cell.trim();
    if v.is_empty() {
        Ok(None)
    } else if (v.starts_with("http://") || v.starts_with("https://")) && !v.contains(char::is_whitespace) {
        Ok(Some(v.to_owned()))
    } else {
        Err(v.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_zero_and_foreign_coordinates_are_not_places() {
        for (lat, lon) in [("", "139.9"), ("0.0", "0.0"), ("0", "0"), ("35.8", "0"), ("x", "1"), ("51.5", "-0.1")] {
            let err = position(lat, lon).unwrap_err();
            assert!(err.starts_with(NO_COORDINATES), "{lat},{lon}: {err}");
        }
        let p = position("３５．８５６３", "139.902861").unwrap();
        assert_eq!((p.lon(), p.lat()), (139.902861, 35.8563));
    }

    #[test]
    fn a_city_matches_with_or_without_the_check_digit() {
        let city = CityCode::parse("12220").unwrap();
        assert_eq!(CityCode::parse("122203").unwrap(), city);
        assert!(city.matches("122203") && city.matches("12220") && !city.matches("122173"));
        assert!(
            city.matches_split("12", "220") && city.matches_split("12", "12220") && city.matches_split("12", "122203")
        );
        assert!(!city.matches_split("13", "220"));
        assert!(CityCode::parse("1222").is_err() && CityCode::parse("abcde").is_err());
        assert!(!city.matches_split("千葉県", "220") && !city.matches_split("ｶﾀｶﾅ", "2"), "a name is not a code");
        assert!(city.matches_split("千葉県", "122203"), "the full code needs no prefecture");
        assert!(CityCode::parse("01101").unwrap().matches_split("", "1101"), "nor a code missing its zero");
        let sapporo = CityCode::parse("01101").unwrap();
        assert!(sapporo.matches_split("1", "1101") && sapporo.matches_split("01", "11011"));
    }

    #[test]
    fn only_phone_numbers_and_web_addresses_are_kept() {
        assert_eq!(phone("０４－７１５０－１２３４"), Ok(Some("04-7150-1234".into())));
        assert_eq!(phone(""), Ok(None));
        assert!(phone("なし").is_err());
        assert_eq!(url("https://example.jp/"), Ok(Some("https://example.jp/".into())));
        assert!(url("info@example.jp").is_err());
    }
}
