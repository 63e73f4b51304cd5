//! e-Stat 地域メッシュ統計 files of the census: counts per JIS X 0410 grid square.
//!
//! Layout (one file per table and 1次 square, cp932 or UTF-8, comma-separated):
//! - line 1: column codes — `KEY_CODE` (the grid-square code), `HTKSYORI` (秘匿処理: 0 none,
//!   1 this square received the counts of suppressed squares, 2 this square's counts were merged
//!   into another), `HTKSAKI` (秘匿先: the square that received them), `GASSAN` (合算: squares
//!   merged into this one), then the table's value codes (e.g. `T001141001`). Some tables carry
//!   `HYOSYO` / `CITYNAME` / `NAME` columns before `HTKSYORI`, so columns are found by code.
//! - line 2: the Japanese labels of the same columns.
//! - then one line per square. Suppressed values are `*`; `-` and empty cells are 0.
//!
//! A suppressed square's count is already inside its `HTKSAKI` square, so the reader keeps it
//! as *no value* rather than 0 or a copy: sums over any set of squares never double-count.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use super::encoding::{self, Encoding};
use crate::spatial::mesh::{MeshCell, MeshError};

/// Longest value text accepted in a count cell (counts are at most a few hundred thousand).
const MAX_COUNT_LEN: usize = 12;

/// Why an e-Stat mesh file cannot be read. Lines are 1-based, as an editor shows them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EstatError {
    /// Neither UTF-8 nor Shift_JIS, or cut inside a character.
    #[error("{0}")]
    Encoding(String),
    /// The first line lacks `KEY_CODE` or `HTKSYORI`.
    #[error(
        "line 1: the column {0} is missing (an e-Stat 地域メッシュ統計 file starts with KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,…)"
    )]
    MissingColumn(&'static str),
    /// No second line of labels.
    #[error("line 2: the line of Japanese column labels is missing")]
    MissingLabels,
    /// A requested column is neither a code of line 1 nor a label of line 2.
    #[error("column {0}: no such code or label in the file (codes: {1})")]
    UnknownColumn(String, String),
    /// No column was requested.
    #[error("choose at least one column (--column CODE or label)")]
    NoColumn,
    /// A square code that is not a grid-square code.
    #[error("line {line}: KEY_CODE {code:?} is not a grid-square code ({reason})")]
    BadKey {
        /// The line.
        line: u64,
        /// The text found.
        code: String,
        /// Why it is refused.
        reason: MeshError,
    },
    /// A value that is neither a count, `*`, `-` nor empty.
    #[error("line {line}, column {column}: {value:?} is not a count")]
    BadValue {
        /// The line.
        line: u64,
        /// The column's code.
        column: String,
        /// The text found (cut to 40 characters).
        value: String,
    },
    /// A line with fewer fields than the header.
    #[error("line {line}: {found} fields, the header has {expected}")]
    ShortLine {
        /// The line.
        line: u64,
        /// Fields on the header line.
        expected: usize,
        /// Fields on this line.
        found: usize,
    },
    /// A line the CSV reader cannot split.
    #[error("line {line}: {reason}")]
    Malformed {
        /// The line.
        line: u64,
        /// What the CSV reader said.
        reason: String,
    },
    /// The same square twice in one file.
    #[error("line {line}: square {code} appears twice")]
    Duplicate {
        /// The line.
        line: u64,
        /// The square's code.
        code: String,
    },
}

/// One chosen column: its code on line 1 and its label on line 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The table's value code, e.g. `T001141022`.
    pub code: String,
    /// The Japanese label, e.g. `７５歳以上人口　総数`.
    pub label: String,
}

/// How a square's counts were suppressed (秘匿処理).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// Published as is.
    None,
    /// Holds its own counts plus those of suppressed squares.
    Received,
    /// Counts not published; they are inside `merged_into`.
    MergedInto(MeshCell),
}

/// One grid square's row.
#[derive(Debug, Clone, PartialEq)]
pub struct Square {
    /// The square.
    pub cell: MeshCell,
    /// One value per chosen column, in the order asked; `None` for a suppressed (`*`) cell.
    pub values: Vec<Option<u32>>,
    /// Its suppression status.
    pub suppression: Suppression,
}

/// What one file held.
#[derive(Debug, Clone, PartialEq)]
pub struct MeshTable {
    /// How the bytes were decoded.
    pub encoding: Encoding,
    /// The chosen columns, in the order asked.
    pub columns: Vec<Column>,
    /// Every square of the file, in file order.
    pub squares: Vec<Square>,
}

impl MeshTable {
    /// Squares whose counts were merged into another square (HTKSYORI 2).
    #[must_use]
    pub fn suppressed(&self) -> usize {
        self.squares.iter().filter(|s| matches!(s.suppression, Suppression::MergedInto(_))).count()
    }

    /// The sum of column `index` over every square (suppressed squares add nothing: their
    /// counts are in the receiving square).
    #[must_use]
    pub fn total(&self, index: usize) -> u64 {
        self.squares.iter().filter_map(|s| s.values.get(index).copied().flatten()).map(u64::from).sum()
    }
}

/// Reads one e-Stat mesh file, keeping the columns named in `wanted` (codes of line 1 or
/// labels of line 2; labels compared after NFKC and with spaces removed).
///
/// # Errors
/// [`EstatError`] naming the line and column of the first problem.
pub fn read(bytes: &[u8], wanted: &[String]) -> Result<MeshTable, EstatError> {
    if wanted.is_empty() {
        return Err(EstatError::NoColumn);
    }
    let (text, encoding) = encoding::decode(bytes).map_err(|e| EstatError::Encoding(e.to_string()))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let codes = next_fields(&mut records).ok_or(EstatError::MissingColumn("KEY_CODE"))?;
    let labels = next_fields(&mut records).ok_or(EstatError::MissingLabels)?;
    let position = |name: &'static str| codes.iter().position(|c| c == name).ok_or(EstatError::MissingColumn(name));
    let key = position("KEY_CODE")?;
    let status = position("HTKSYORI")?;
    let target = codes.iter().position(|c| c == "HTKSAKI");
    let chosen = choose(&codes, &labels, wanted)?;
    let columns = chosen
        .iter()
        .map(|&i| Column { code: codes[i].clone(), label: labels.get(i).cloned().unwrap_or_default() })
        .collect();

    let mut squares = Vec::new();
    let mut seen = HashMap::new();
    for (index, record) in records.enumerate() {
        let line = index as u64 + 3;
        let record = record.map_err(|e| EstatError::Malformed { line, reason: e.to_string() })?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() < codes.len() {
            return Err(EstatError::ShortLine { line, expected: codes.len(), found: record.len() });
        }
        let cell = parse_key(record.get(key).unwrap_or(""), line)?;
        if seen.insert(cell, line).is_some() {
            return Err(EstatError::Duplicate { line, code: cell.code() });
        }
        let suppression = match record.get(status).map(str::trim) {
            Some("1") => Suppression::Received,
            Some("2") => match target.and_then(|t| record.get(t)).map(str::trim).filter(|t| !t.is_empty()) {
                Some(code) => Suppression::MergedInto(parse_key(code, line)?),
                None => Suppression::None,
            },
            _ => Suppression::None,
        };
        let values = chosen
            .iter()
            .map(|&i| parse_count(record.get(i).unwrap_or(""), line, &codes[i]))
            .collect::<Result<_, _>>()?;
        squares.push(Square { cell, values, suppression });
    }
    Ok(MeshTable { encoding, columns, squares })
}

fn next_fields(records: &mut csv::StringRecordsIter<'_, &[u8]>) -> Option<Vec<String>> {
    records.next()?.ok().map(|r| r.iter().map(|f| f.trim().to_string()).collect())
}

fn fold(label: &str) -> String {
    label.nfkc().filter(|c| !c.is_whitespace()).collect()
}

fn choose(codes: &[String], labels: &[String], wanted: &[String]) -> Result<Vec<usize>, EstatError> {
    wanted
        .iter()
        .map(|w| {
            let w = w.trim();
            codes
                .iter()
                .position(|c| c.eq_ignore_ascii_case(w))
                .or_else(|| labels.iter().position(|l| !l.is_empty() && fold(l) == fold(w)))
                .ok_or_else(|| {
                    let list = codes.iter().skip_while(|c| !c.starts_with('T')).cloned().collect::<Vec<_>>().join(", ");
                    EstatError::UnknownColumn(w.to_string(), list)
                })
        })
        .collect()
}

fn parse_key(text: &str, line: u64) -> Result<MeshCell, EstatError> {
    let code = text.trim();
    MeshCell::parse(code).map_err(|reason| EstatError::BadKey { line, code: code.chars().take(40).collect(), reason })
}

fn parse_count(text: &str, line: u64, column: &str) -> Result<Option<u32>, EstatError> {
    let text = text.trim();
    match text {
        "*" => Ok(None),
        "" | "-" => Ok(Some(0)),
        _ if text.len() <= MAX_COUNT_LEN => text.parse().map(Some).map_err(|_| bad_value(text, line, column)),
        _ => Err(bad_value(text, line, column)),
    }
}

fn bad_value(text: &str, line: u64, column: &str) -> EstatError {
    EstatError::BadValue { line, column: column.to_string(), value: text.chars().take(40).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001141001,T001141002,T001141003,T001141019,T001141020,T001141021,T001141022,T001141023,T001141024\r\n\
        ,,,,人口（総数）,人口（総数）　男,人口（総数）　女,６５歳以上人口　総数,６５歳以上人口　男,６５歳以上人口　女,７５歳以上人口　総数,７５歳以上人口　男,７５歳以上人口　女\r\n";

    fn file(rows: &[&str]) -> String {
        let mut text = HEADER.to_string();
        for row in rows {
            text.push_str(row);
            text.push_str("\r\n");
        }
        text
    }

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn columns_are_chosen_by_code_or_by_label_in_the_order_asked() {
        let text = file(&["543960011,0,,,120,60,60,30,14,16,12,5,7"]);
        let table = read(text.as_bytes(), &cols(&["75歳以上人口 総数", "T001141001", "t001141019"])).unwrap();
        let codes: Vec<_> = table.columns.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["T001141022", "T001141001", "T001141019"]);
        assert_eq!(table.columns[0].label, "７５歳以上人口　総数");
        assert_eq!(table.squares[0].values, [Some(12), Some(120), Some(30)]);
        assert_eq!(table.squares[0].cell.code(), "543960011");
    }

    #[test]
    fn a_cp932_file_reads_like_utf8() {
        let text = file(&["543960011,0,,,120,60,60,30,14,16,12,5,7"]);
        let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
        assert!(!unmappable);
        let table = read(&sjis, &cols(&["人口（総数）"])).unwrap();
        assert_eq!(table.encoding, Encoding::ShiftJis);
        assert_eq!(table.squares[0].values, [Some(120)]);
    }

    #[test]
    fn suppressed_squares_have_no_value_and_name_the_square_holding_their_counts() {
        let text = file(&[
            "543960011,1,,543960012,25,12,13,9,4,5,4,2,2",
            "543960012,2,543960011,,*,*,*,*,*,*,*,*,*",
            "543960013,0,,,-,-,-,-,-,-,-,-,-",
        ]);
        let table = read(text.as_bytes(), &cols(&["T001141001", "T001141022"])).unwrap();
        assert_eq!(table.suppressed(), 1);
        assert_eq!(table.squares[0].suppression, Suppression::Received);
        let receiver = MeshCell::parse("543960011").unwrap();
        assert_eq!(table.squares[1].suppression, Suppression::MergedInto(receiver));
        assert_eq!(table.squares[1].values, [None, None]);
        assert_eq!(table.squares[2].values, [Some(0), Some(0)]);
        // The receiving square already holds the suppressed one's people: no double counting.
        assert_eq!(table.total(0), 25);
    }

    #[test]
    fn extra_name_columns_before_htksyori_are_skipped_by_code() {
        let text = "KEY_CODE,HYOSYO,CITYNAME,NAME,HTKSYORI,HTKSAKI,GASSAN,T000876001\n\
                    ,,,,,,,人口総数\n\
                    5439600111,1,流山市,南流山一丁目,0,,,42\n";
        let table = read(text.as_bytes(), &cols(&["人口総数"])).unwrap();
        assert_eq!(table.squares[0].cell.code(), "5439600111");
        assert_eq!(table.squares[0].values, [Some(42)]);
    }

    #[test]
    fn an_unknown_column_is_named_with_the_codes_the_file_has() {
        let err = read(file(&[]).as_bytes(), &cols(&["85歳以上"])).unwrap_err();
        let EstatError::UnknownColumn(name, list) = err else { panic!("{err:?}") };
        assert_eq!(name, "85歳以上");
        assert!(list.starts_with("T001141001, T001141002"));
    }

    #[test]
    fn files_without_the_header_lines_are_refused() {
        let err = read(b"code,value\n1,2\n", &cols(&["value"])).unwrap_err();
        assert_eq!(err, EstatError::MissingColumn("KEY_CODE"));
        let err = read(b"KEY_CODE,HTKSYORI,T1\n", &cols(&["T1"])).unwrap_err();
        assert_eq!(err, EstatError::MissingLabels);
        assert_eq!(read(file(&[]).as_bytes(), &[]).unwrap_err(), EstatError::NoColumn);
    }

    #[test]
    fn bad_rows_are_refused_naming_line_and_column() {
        let bad_key = file(&["54396001X,0,,,1,1,1,1,1,1,1,1,1"]);
        assert!(matches!(read(bad_key.as_bytes(), &cols(&["T001141001"])), Err(EstatError::BadKey { line: 3, .. })));
        let bad_value = file(&["543960011,0,,,1,1,1,1,1,1,12.5,1,1"]);
        let err = read(bad_value.as_bytes(), &cols(&["T001141022"])).unwrap_err();
        assert_eq!(err, EstatError::BadValue { line: 3, column: "T001141022".into(), value: "12.5".into() });
        let huge = file(&["543960011,0,,,99999999999999999999,1,1,1,1,1,1,1,1"]);
        assert!(matches!(read(huge.as_bytes(), &cols(&["T001141001"])), Err(EstatError::BadValue { .. })));
        let short = file(&["543960011,0,,,1,1"]);
        assert!(matches!(read(short.as_bytes(), &cols(&["T001141001"])), Err(EstatError::ShortLine { line: 3, .. })));
        let twice = file(&["543960011,0,,,1,1,1,1,1,1,1,1,1", "543960011,0,,,1,1,1,1,1,1,1,1,1"]);
        assert!(matches!(read(twice.as_bytes(), &cols(&["T001141001"])), Err(EstatError::Duplicate { line: 4, .. })));
    }
}
