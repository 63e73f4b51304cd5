//! `caremap import --source estat-mesh`: census counts per grid square into population columns.
//!
//! Several files (one per 1次 square) make one column each for the codes or labels asked. Every
//! file is read before anything is written; the columns then replace the stored ones of the
//! same code in one transaction (see [`crate::store::Store::replace_population`]).

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use super::estat_mesh::{self, EstatError, Suppression};
use super::{ImportError, InputFile};
use crate::spatial::mesh::{MeshCell, MeshLevel};
use crate::store::{PopulationColumn, Store};

/// What one column holds after the import.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnReport {
    /// The table's value code.
    pub code: String,
    /// Its Japanese label.
    pub label: String,
    /// The squares' level (`500m` …).
    pub mesh: &'static str,
    /// Squares read.
    pub squares: usize,
    /// Squares whose counts the census merged into another square (秘匿; no value of their own).
    pub suppressed: usize,
    /// The sum over every square (suppressed counts are inside their receiving squares).
    pub total: f64,
}

/// The report of a population import.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// The files read, in order.
    pub files: Vec<String>,
    /// One entry per column asked.
    pub columns: Vec<ColumnReport>,
}

impl fmt::Display for PopulationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run { "would store (dry run)" } else { "stored" };
        writeln!(f, "population from {} file(s): {verb}", self.files.len())?;
        for c in &self.columns {
            writeln!(
                f,
                "  {} {}: {} squares of {}, {} suppressed (counted in their receiving squares), total {}",
                c.code, c.label, c.squares, c.mesh, c.suppressed, c.total
            )?;
        }
        Ok(())
    }
}

/// Reads every file and, unless `dry_run`, stores the columns named in `wanted`.
///
/// # Errors
/// [`ImportError`] naming the file and line of the first problem (nothing is written then):
/// a square in two files, files of different grid levels, no column asked.
pub fn import(
    store: &dyn Store,
    files: &[InputFile],
    wanted: &[String],
    dry_run: bool,
) -> Result<PopulationReport, ImportError> {
    let (columns, report) = read(files, wanted, dry_run)?;
    if !dry_run {
        store.replace_population(&columns)?;
    }
    Ok(report)
}

/// Parses the files into columns (no database access).
///
/// # Errors
/// As [`import`].
pub fn read(
    files: &[InputFile],
    wanted: &[String],
    dry_run: bool,
) -> Result<(Vec<PopulationColumn>, PopulationReport), ImportError> {
    if wanted.is_empty() {
        return Err(ImportError::Options { name: "column", reason: EstatError::NoColumn.to_string() });
    }
    let mut level: Option<MeshLevel> = None;
    let mut columns: Vec<PopulationColumn> = Vec::new();
    let mut suppressed = vec![0usize; wanted.len()];
    let mut seen: HashMap<MeshCell, usize> = HashMap::new();
    for (file_index, file) in files.iter().enumerate() {
        let table = estat_mesh::read(&file.bytes, wanted).map_err(|e| file_error(&file.name, e))?;
        if columns.is_empty() {
            columns = table
                .columns
                .iter()
                .map(|c| PopulationColumn {
                    code: c.code.clone(),
                    label: c.label.clone(),
                    level: MeshLevel::Half,
                    source: String::new(),
                    imported_at: None,
                    counts: Vec::new(),
                })
                .collect();
        }
        for square in table.squares {
            let this = square.cell.level();
            if *level.get_or_insert(this) != this {
                return Err(ImportError::Invalid {
                    file: file.name.clone(),
                    reason: format!(
                        "squares of {} and {} in one import; import each grid level on its own",
                        this.name(),
                        level.map_or("", MeshLevel::name)
                    ),
                });
            }
            if let Some(first) = seen.insert(square.cell, file_index) {
                return Err(ImportError::Invalid {
                    file: file.name.clone(),
                    reason: format!("square {} is also in {}", square.cell, files[first].name),
                });
            }
            for (i, value) in square.values.iter().enumerate() {
                if matches!(square.suppression, Suppression::MergedInto(_)) {
                    suppressed[i] += 1;
                }
                columns[i].counts.push((square.cell, value.map(f64::from)));
            }
        }
    }
    let level = level.unwrap_or(MeshLevel::Half);
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let source = format!("estat-mesh: {}", names.join(", "));
    let mut reports = Vec::new();
    for (column, suppressed) in columns.iter_mut().zip(suppressed) {
        column.level = level;
        column.source.clone_from(&source);
        reports.push(ColumnReport {
            code: column.code.clone(),
            label: column.label.clone(),
            mesh: level.name(),
            squares: column.counts.len(),
            suppressed,
            total: column.counts.iter().filter_map(|c| c.1).sum(),
        });
    }
    let report = PopulationReport { dry_run, files: names.iter().map(ToString::to_string).collect(), columns: reports };
    Ok((columns, report))
}

fn file_error(file: &str, e: EstatError) -> ImportError {
    let file = file.to_string();
    match e {
        EstatError::Encoding(_) => ImportError::Encoding { file },
        EstatError::UnknownColumn(..) | EstatError::NoColumn => {
            ImportError::Options { name: "column", reason: format!("{file}: {e}") }
        }
        // The reader's messages already carry the line.
        _ => ImportError::Invalid { file, reason: e.to_string() },
    }
}
