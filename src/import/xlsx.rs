//! Reading an .xlsx workbook that comes from outside without trusting it. A workbook is a zip
//! of XML parts, so a small file can claim (or decompress to) anything: a 1.5 KB sheet with
//! cells at A1 and XFD1048576 makes a dense reader allocate rows × columns (half a terabyte),
//! and a zip entry can inflate a thousandfold. So, before any cell is read:
//! - every zip entry is decompressed once, counting bytes, and refused past
//!   [`MAX_PART_BYTES`] (each) or [`MAX_WORKBOOK_BYTES`] (all together), whatever its header
//!   claims;
//! - cells are then read one by one (calamine's cell reader, never its dense range) and only
//!   those with a value are kept, refusing a cell beyond [`MAX_SHEET_ROWS`] ×
//!   [`MAX_SHEET_COLUMNS`], more than [`MAX_SHEET_CELLS`] cells, or a text longer than
//!   [`MAX_CELL_BYTES`].
//!
//! Old .xls (Excel 97–2003) workbooks are refused with a message to save them as .xlsx: their
//! reader builds every sheet densely from sizes the file declares, which cannot be bounded
//! from outside.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, XlsxError};

use super::ImportError;
use super::table::{MAX_CELL_BYTES, column_name};

/// Most bytes one part of a workbook (a sheet, the shared strings) may decompress to.
pub const MAX_PART_BYTES: u64 = 256 * 1024 * 1024;
/// Most bytes all parts of a workbook together may decompress to.
pub const MAX_WORKBOOK_BYTES: u64 = 512 * 1024 * 1024;
/// Most parts (zip entries) of a workbook.
pub const MAX_PARTS: usize = 10_000;
/// Rows a sheet may use (the 厚生局 lists have tens of thousands).
pub const MAX_SHEET_ROWS: u32 = 500_000;
/// Columns a sheet may use (the 厚生局 lists have about fifteen).
pub const MAX_SHEET_COLUMNS: u32 = 256;
/// Cells with a value one sheet may have.
pub const MAX_SHEET_CELLS: usize = 5_000_000;

/// One sheet's rows that have a value: (0-based row number, cells from column A up to its
/// last value).
pub type SheetRows = Vec<(u32, Vec<Data>)>;

fn invalid(file: &str, reason: impl Into<String>) -> ImportError {
    ImportError::Invalid { file: file.to_owned(), reason: reason.into() }
}

/// The Excel name of a cell, e.g. `XFD1048576` for (1048575, 16383).
fn cell_name(row: u32, column: u32) -> String {
    format!("{}{}", column_name(column), u64::from(row) + 1)
}

/// Checks the workbook's zip before anything reads it (see the module).
fn check_parts(file: &str, bytes: &[u8]) -> Result<(), ImportError> {
    const OLE2: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(&OLE2) {
        return Err(invalid(
            file,
            "an Excel 97–2003 workbook (.xls) is not read: open it in Excel and save it as .xlsx (Excel ブック)",
        ));
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| invalid(file, format!("not an Excel workbook (.xlsx): {e}")))?;
    if zip.len() > MAX_PARTS {
        return Err(invalid(file, format!("the workbook has {} parts; at most {MAX_PARTS} are read", zip.len())));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| invalid(file, format!("part {i} of the workbook: {e}")))?;
        let name = part.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("part {i}"));
        let read = std::io::copy(&mut (&mut part).take(MAX_PART_BYTES + 1), &mut std::io::sink())
            .map_err(|e| invalid(file, format!("{name}: cannot be decompressed: {e}")))?;
        if read > MAX_PART_BYTES {
            return Err(invalid(
                file,
                format!("{name} decompresses to more than {MAX_PART_BYTES} bytes; this is not a list caremap reads"),
            ));
        }
        total += read;
        if total > MAX_WORKBOOK_BYTES {
            return Err(invalid(
                file,
                format!(
                    "the workbook decompresses to more than {MAX_WORKBOOK_BYTES} bytes; this is not a list caremap reads"
                ),
            ));
        }
    }
    Ok(())
}

/// Every worksheet of an .xlsx workbook, by name, with its rows that have a value, in row
/// order. Bounded as the module says.
///
/// # Errors
/// [`ImportError::Invalid`] naming the file (and the sheet, the cell or the part) when the
/// workbook is not an .xlsx, exceeds a limit, or cannot be read.
pub fn read_sheets(file: &str, bytes: &[u8]) -> Result<Vec<(String, SheetRows)>, ImportError> {
    check_parts(file, bytes)?;
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| invalid(file, format!("not an Excel workbook (.xlsx): {e}")))?;
    let mut sheets = Vec::new();
    for sheet in workbook.sheet_names() {
        let rows = match read_sheet(&mut workbook, file, &sheet) {
            Err(SheetError::NotAWorksheet) => continue,
            Err(SheetError::Import(e)) => return Err(e),
            Ok(rows) => rows,
        };
        sheets.push((sheet, rows));
    }
    Ok(sheets)
}

enum SheetError {
    /// A chart sheet or other part without cells.
    NotAWorksheet,
    Import(ImportError),
}

fn read_sheet(workbook: &mut Xlsx<Cursor<&[u8]>>, file: &str, sheet: &str) -> Result<SheetRows, SheetError> {
    let unreadable = |e: XlsxError| SheetError::Import(invalid(file, format!("sheet '{sheet}' cannot be read: {e}")));
    let refused = |reason: String| SheetError::Import(invalid(file, format!("sheet '{sheet}': {reason}")));
    let mut cells = match workbook.worksheet_cells_reader(sheet) {
        Ok(cells) => cells,
        Err(XlsxError::NotAWorksheet(_)) => return Err(SheetError::NotAWorksheet),
        Err(e) => return Err(unreadable(e)),
    };
    let mut rows: BTreeMap<u32, Vec<(u32, Data)>> = BTreeMap::new();
    let mut count = 0usize;
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let value = Data::from(cell.get_value().clone());
        if matches!(value, Data::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        if row >= MAX_SHEET_ROWS || column >= MAX_SHEET_COLUMNS {
            return Err(refused(format!(
                "cell {} is outside the {MAX_SHEET_ROWS} rows × {MAX_SHEET_COLUMNS} columns (A1:{}) read from a list",
                cell_name(row, column),
                cell_name(MAX_SHEET_ROWS - 1, MAX_SHEET_COLUMNS - 1)
            )));
        }
        if let Data::String(text) = &value
            && text.len() > MAX_CELL_BYTES
        {
            return Err(refused(format!(
                "cell {} holds {} bytes of text; a cell may hold at most {MAX_CELL_BYTES}",
                cell_name(row, column),
                text.len()
            )));
        }
        count += 1;
        if count > MAX_SHEET_CELLS {
            return Err(refused(format!("more than {MAX_SHEET_CELLS} cells have a value")));
        }
        rows.entry(row).or_default().push((column, value));
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| {
            let width = cells.iter().map(|(c, _)| *c as usize + 1).max().unwrap_or(0);
            let mut dense = vec![Data::Empty; width];
            for (column, value) in cells {
                dense[column as usize] = value;
            }
            (row, dense)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_named_as_excel_names_them() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
        assert_eq!(cell_name(9, 26), "AA10");
    }

    #[test]
    fn an_xls_or_a_non_zip_is_refused_with_a_message() {
        let xls = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        let err = read_sheets("old.xls", &xls).err().unwrap().to_string();
        assert!(err.contains("old.xls") && err.contains(".xlsx"), "{err}");
        let err = read_sheets("x.xlsx", b"hello").err().unwrap().to_string();
        assert!(err.contains("not an Excel workbook"), "{err}");
    }
}
