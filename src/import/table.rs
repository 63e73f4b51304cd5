//! Reading an official CSV file as a table: columns found by name (after NFKC, so full- and
//! half-width brackets match), rows with their line numbers, and the two ways a file can be
//! cut short — a row with fewer fields than the header, or a quote left open at the end —
//! turned into a fatal error that names the file and the line.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use super::ImportError;

/// Most bytes one cell of an imported file may hold (CSV field or Excel cell). No official
/// field comes near it (each provider field has a far lower limit, see
/// [`crate::domain::provider::TEXT_LIMITS`], and a row over those is skipped with the field
/// named); a cell beyond it means the file is not what it claims, and the import stops.
pub const MAX_CELL_BYTES: usize = 64 * 1024;

/// The spreadsheet name of a 0-based column: `A`, …, `Z`, `AA`, … (`XFD` is the 16 384th).
pub fn column_name(column: u32) -> String {
    let mut n = u64::from(column) + 1;
    let mut name = Vec::new();
    while n > 0 {
        let rem = u8::try_from((n - 1) % 26).unwrap_or(0);
        name.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    name.iter().rev().collect()
}

/// A column name as compared: NFKC (full-width brackets and digits to half-width), ASCII
/// lower case (`NO` reads as `No`), no whitespace.
pub fn header_key(name: &str) -> String {
    name.nfkc().filter(|c| !c.is_whitespace() && *c != '\u{feff}').map(|c| c.to_ascii_lowercase()).collect()
}

/// A cell value with full-width digits, letters and punctuation folded (NFKC) and trimmed.
/// ASCII input is only trimmed.
pub fn folded(value: &str) -> String {
    let value = value.trim();
    if value.is_ascii() { value.to_owned() } else { value.nfkc().collect::<String>().trim().to_owned() }
}

/// A trimmed cell, `None` when empty.
pub fn text(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// One data row and the line it starts on (1-based, the header being line 1).
pub struct Row<'r> {
    /// Line number in the file.
    pub line: u64,
    record: &'r csv::StringRecord,
}

impl<'r> Row<'r> {
    /// The row of `record`, which starts on `line`.
    pub fn new(line: u64, record: &'r csv::StringRecord) -> Self {
        Self { line, record }
    }

    /// The cell at `index` (empty when out of range).
    pub fn get(&self, index: usize) -> &str {
        self.record.get(index).unwrap_or("")
    }

    /// The line and a copy of the cells, to convert the row on another thread.
    pub fn to_owned_parts(&self) -> (u64, csv::StringRecord) {
        (self.line, self.record.clone())
    }
}

/// An open CSV table.
pub struct CsvTable<'a> {
    file: &'a str,
    bytes: &'a [u8],
    /// A byte offset and the line it is on, to count lines from (rows come in order).
    counted: (usize, u64),
    reader: csv::Reader<&'a [u8]>,
    record: csv::StringRecord,
    columns: HashMap<String, usize>,
    header: Vec<String>,
}

impl<'a> CsvTable<'a> {
    /// Opens decoded `text` from `file`, checking that every `required` column is in the
    /// header (by [`header_key`]). `expected` is the header shown when one is missing.
    ///
    /// # Errors
    /// [`ImportError::Header`] naming the missing columns and the expected header;
    /// [`ImportError::Malformed`] when a quote is left open at the end of the file.
    pub fn open(file: &'a str, text: &'a str, required: &[&str], expected: &str) -> Result<Self, ImportError> {
        if let Some(line) = unterminated_quote_line(text) {
            return Err(ImportError::Malformed {
                file: file.to_owned(),
                line,
                reason: "a quoted field opened here is never closed (the file is truncated or malformed)".into(),
            });
        }
        let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
        let header: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(str::to_owned).collect(),
            Err(e) => return Err(malformed(file, &e, 1)),
        };
        let mut columns = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            columns.entry(header_key(name)).or_insert(i);
        }
        let missing: Vec<String> =
            required.iter().filter(|r| !columns.contains_key(&header_key(r))).map(|r| (*r).to_owned()).collect();
        if !missing.is_empty() {
            return Err(ImportError::Header {
                file: file.to_owned(),
                missing,
                expected: expected.to_owned(),
                found: header.join(","),
            });
        }
        Ok(Self {
            file,
            bytes: text.as_bytes(),
            counted: (0, 1),
            reader,
            record: csv::StringRecord::new(),
            columns,
            header,
        })
    }

    /// The position of a column, by its published name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.get(&header_key(name)).copied()
    }

    /// The position of a column [`CsvTable::open`] required.
    pub fn required(&self, name: &str) -> usize {
        self.column(name).unwrap_or(usize::MAX)
    }

    /// The next data row, or `None` at the end.
    ///
    /// # Errors
    /// [`ImportError::Malformed`] for a row whose field count differs from the header's
    /// (a truncated or malformed file), or with a field over [`MAX_CELL_BYTES`] (named by
    /// its column).
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, ImportError> {
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {
                let start = self.record.position().map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
                let line = self.line_at(start);
                if let Some((i, field)) = self.record.iter().enumerate().find(|(_, f)| f.len() > MAX_CELL_BYTES) {
                    let column =
                        self.header.get(i).map_or_else(|| format!("column {}", i + 1), |h| h.trim().to_owned());
                    return Err(ImportError::Malformed {
                        file: self.file.to_owned(),
                        line,
                        reason: format!(
                            "{column}: the field holds {} bytes; a field may hold at most {MAX_CELL_BYTES}",
                            field.len()
                        ),
                    });
                }
                Ok(Some(Row { line, record: &self.record }))
            }
            Ok(false) => Ok(None),
            Err(e) => {
                let start = e.position().map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
                Err(malformed(self.file, &e, self.line_at(start)))
            }
        }
    }
}

impl CsvTable<'_> {
    /// The line of the first character at or after `byte` that is not a line end. (The
    /// reader's own line count lags by one after a CRLF, so lines are counted here.)
    fn line_at(&mut self, byte: usize) -> u64 {
        let mut start = byte.min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        let (from, line) = self.counted;
        let line = if start >= from {
            line + line_breaks(self.bytes, from..start)
        } else {
            1 + line_breaks(self.bytes, 0..start)
        };
        self.counted = (start, line);
        line
    }
}

/// The line breaks in `bytes[range]`: LF, CRLF, or a lone CR (files saved as "CSV
/// (Macintosh)"; the CSV reader ends a record at any of them). A CR is a break unless an LF
/// follows it.
pub(super) fn line_breaks(bytes: &[u8], range: std::ops::Range<usize>) -> u64 {
    let start = range.start;
    let part = &bytes[range];
    // The LF count vectorises; CRs are rare in most files and only then looked at one by one.
    let lf = part.iter().filter(|&&b| b == b'\n').count();
    let lone_cr =
        part.iter().enumerate().filter(|&(i, &b)| b == b'\r' && bytes.get(start + i + 1) != Some(&b'\n')).count();
    (lf + lone_cr) as u64
}

fn malformed(file: &str, e: &csv::Error, line: u64) -> ImportError {
    let reason = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} fields where the header has {expected_len} (the file is truncated or malformed)")
        }
        _ => e.to_string(),
    };
    ImportError::Malformed { file: file.to_owned(), line, reason }
}

/// The line of a quote that opens a field and is never closed, if any. Every `"` in a
/// well-formed CSV file either opens or closes a quoted field or is half of an escaped `""`,
/// so an odd count means the last quoted field runs to the end of the file.
fn unterminated_quote_line(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    // The plain count vectorises; the position is only looked for when the count is odd.
    if bytes.iter().filter(|&&b| b == b'"').count() % 2 == 0 {
        return None;
    }
    let mut open_at = None;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' {
            open_at = if open_at.is_some() { None } else { Some(i) };
        }
    }
    open_at.map(|at| 1 + line_breaks(bytes, 0..at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_half_width_brackets_name_the_same_column() {
        assert_eq!(header_key("方書（ビル名等）"), header_key("方書(ビル名等)"));
        assert_eq!(header_key(" 所在地座標（緯度） "), "所在地座標(緯度)");
    }

    #[test]
    fn rows_carry_their_line_numbers_across_quoted_newlines() {
        let text = "a,b\r\n1,\"x\r\ny\"\r\n2,\"平日,土曜日\"\r\n";
        let mut t = CsvTable::open("f.csv", text, &["a", "b"], "a,b").unwrap();
        let first = t.next_row().unwrap().unwrap();
        assert_eq!((first.line, first.get(1)), (2, "x\r\ny"));
        let second = t.next_row().unwrap().unwrap();
        assert_eq!((second.line, second.get(1)), (4, "平日,土曜日"));
        assert!(t.next_row().unwrap().is_none());
    }

    #[test]
    fn rows_of_a_file_with_lone_cr_line_ends_carry_their_line_numbers() {
        let text = "a,b\r1,x\r2,\"y\r\nz\"\r3,w\r";
        let mut t = CsvTable::open("f.csv", text, &["a", "b"], "a,b").unwrap();
        let mut lines = Vec::new();
        while let Some(row) = t.next_row().unwrap() {
            lines.push((row.line, row.get(0).to_owned()));
        }
        assert_eq!(lines, [(2, "1".into()), (3, "2".into()), (5, "3".into())]);
        let err = CsvTable::open("f.csv", "a,b\r1,x\r2,\"cut", &["a"], "a,b").err().unwrap();
        assert!(matches!(err, ImportError::Malformed { line: 3, .. }), "{err}");
    }

    #[test]
    fn a_short_row_is_a_fatal_error_naming_its_line() {
        let mut t = CsvTable::open("f.csv", "a,b,c\n1,2,3\n4,5\n", &["a"], "a,b,c").unwrap();
        assert!(t.next_row().is_ok());
        match t.next_row() {
            Err(ImportError::Malformed { line, reason, .. }) => {
                assert_eq!(line, 3);
                assert!(reason.contains("2 fields"), "{reason}");
            }
            _ => panic!("expected a malformed-file error"),
        }
    }

    #[test]
    fn an_open_quote_at_the_end_is_a_fatal_error() {
        let err = CsvTable::open("f.csv", "a,b\n1,\"ok\"\n2,\"cut off", &["a"], "a,b").err().unwrap();
        assert!(matches!(err, ImportError::Malformed { line: 3, .. }), "{err}");
    }

    #[test]
    fn a_field_over_the_cell_limit_stops_the_import_naming_line_and_column() {
        let text = format!("a,備考\n1,ok\n2,{}\n", "x".repeat(MAX_CELL_BYTES + 1));
        let mut t = CsvTable::open("f.csv", &text, &["a"], "a,備考").unwrap();
        assert!(t.next_row().is_ok());
        let err = t.next_row().err().unwrap();
        assert!(matches!(&err, ImportError::Malformed { line: 3, reason, .. } if reason.starts_with("備考")), "{err}");
    }

    #[test]
    fn columns_are_named_as_spreadsheets_name_them() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16_383), "XFD");
    }

    #[test]
    fn a_missing_column_names_the_file_and_the_expected_header() {
        let err = CsvTable::open("x.csv", "a,c\n1,2\n", &["a", "b"], "a,b").err().unwrap().to_string();
        assert!(err.contains("x.csv") && err.contains("b") && err.contains("a,b"), "{err}");
    }
}
