//! The report every import prints (CLI, human-readable) or answers (HTTP, JSON): what was
//! read, what changed, and every skipped row with its file, line and reason.

use std::fmt;

use serde::Serialize;

use super::encoding::Encoding;
use crate::domain::{FieldChange, Provider, staff_owned};

/// At most this many entries of each diff list are kept (the counts are always exact).
pub const DIFF_LIMIT: usize = 1_000;
/// At most this many warnings are kept; the rest are counted in the last one.
pub const WARNING_LIMIT: usize = 1_000;

/// One file of an import.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file name as given.
    pub name: String,
    /// How its text was decoded (CSV files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// Data rows (or features) read from it.
    pub rows: u64,
    /// The service code of its rows, for MHLW files whose name or `--service` gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The kind of its institutions (医療情報ネット files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// The CRS its coordinates were read in (GeoJSON files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crs: Option<&'static str>,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file it is in.
    pub file: String,
    /// Its line (CSV; the header is line 1) or row (Excel, 1-based as Excel shows it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Its 1-based position in the FeatureCollection (GeoJSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<u64>,
    /// Why it was skipped.
    pub reason: String,
}

/// One provider in the diff.
#[derive(Debug, Clone, Serialize)]
pub struct DiffEntry {
    /// Provider id.
    pub id: String,
    /// Its name (after the change; before it for removals).
    pub name: String,
    /// The fields that differ (changes only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<&'static str>,
    /// Each changed field with its Japanese label, old and new value (changes only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
}

impl DiffEntry {
    /// An entry for `p` listing `fields` without their values.
    pub fn new(p: &Provider, fields: Vec<&'static str>) -> Self {
        Self { id: p.id.clone(), name: p.name.clone(), fields, changes: Vec::new() }
    }
}

/// A field named in the [`Policy`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyField {
    /// The property name.
    pub field: &'static str,
    /// Its Japanese label.
    pub label: &'static str,
}

/// What an import may overwrite, stated in every report (see `crate::domain::Owner`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Whether an empty cell erases a stored value (`--blank-clears`); otherwise it keeps it.
    pub blank_clears: bool,
    /// Fields an import never overwrites on a stored provider (it fills them only for the
    /// providers it adds).
    pub staff_owned: Vec<PolicyField>,
}

impl Policy {
    /// The policy of an import with or without `--blank-clears`.
    pub fn new(blank_clears: bool) -> Self {
        Self {
            blank_clears,
            staff_owned: staff_owned().map(|f| PolicyField { field: f.key, label: f.label_ja }).collect(),
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::new(false)
    }
}

/// What the import adds, changes and removes, provider by provider (at most [`DIFF_LIMIT`]
/// per list).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diff {
    /// New providers (including ones restored after a soft delete).
    pub added: Vec<DiffEntry>,
    /// Providers whose stored data changes.
    pub changed: Vec<DiffEntry>,
    /// Providers soft-deleted by `--remove-missing`.
    pub removed: Vec<DiffEntry>,
    /// Whether a list was cut at [`DIFF_LIMIT`].
    pub truncated: bool,
}

impl Diff {
    /// Adds the entry `entry` makes, or marks the diff truncated once `list` is full: a large
    /// import makes a million entries of which the report keeps a thousand, so the rest are
    /// never made (each copies an id and a name).
    pub(super) fn push(list: &mut Vec<DiffEntry>, truncated: &mut bool, entry: impl FnOnce() -> DiffEntry) {
        if list.len() < DIFF_LIMIT {
            list.push(entry());
        } else {
            *truncated = true;
        }
    }
}

/// The result of an import (or of a dry run).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The source format (`mhlw-care`, `iryo-net`, `kouseikyoku`, `geojson`).
    pub source: &'static str,
    /// True when nothing was written.
    pub dry_run: bool,
    /// What the import may overwrite.
    pub policy: Policy,
    /// RFC 3339 UTC time the import was committed (absent for a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported_at: Option<String>,
    /// The files read.
    pub files: Vec<FileReport>,
    /// Data rows (or features) read from all files.
    pub rows_read: u64,
    /// Rows outside `--city`, left out on purpose (not listed one by one).
    pub outside_city: u64,
    /// Rows that are not about this import's subject (e.g. other 施設基準 in the
    /// 厚生局 list), left out on purpose.
    pub ignored: u64,
    /// Providers added (or restored).
    pub added: u64,
    /// Providers changed.
    pub changed: u64,
    /// Providers in the files whose stored data already matched (left untouched).
    pub unchanged: u64,
    /// Providers soft-deleted by `--remove-missing`.
    pub removed: u64,
    /// Rows not imported, each with file, line and reason.
    pub skipped: Vec<Skipped>,
    /// Things to know that did not stop a row (datum accuracy, values left out).
    pub warnings: Vec<String>,
    /// Provider by provider: what is added, changed, removed.
    pub diff: Diff,
}

impl Report {
    /// Adds a warning, keeping at most [`WARNING_LIMIT`].
    pub fn warn(&mut self, warning: impl Into<String>) {
        match self.warnings.len() {
            n if n < WARNING_LIMIT => self.warnings.push(warning.into()),
            n if n == WARNING_LIMIT => self.warnings.push("more warnings were left out".into()),
            _ => {}
        }
    }

    /// Records a skipped CSV or Excel row.
    pub fn skip_line(&mut self, file: &str, line: u64, reason: impl Into<String>) {
        self.skipped.push(Skipped { file: file.to_owned(), line: Some(line), feature: None, reason: reason.into() });
    }

    /// Records a skipped GeoJSON feature (1-based).
    pub fn skip_feature(&mut self, file: &str, feature: u64, reason: impl Into<String>) {
        self.skipped.push(Skipped { file: file.to_owned(), line: None, feature: Some(feature), reason: reason.into() });
    }
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.feature) {
            (Some(line), _) => write!(f, "{}:{line}: {}", self.file, self.reason),
            (None, Some(n)) => write!(f, "{}: feature {n}: {}", self.file, self.reason),
            (None, None) => write!(f, "{}: {}", self.file, self.reason),
        }
    }
}

/// Entries of each diff list the human-readable report shows.
const SHOWN_CHANGES: usize = 20;

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.dry_run, &self.imported_at) {
            (true, _) => writeln!(f, "import from {} (dry run: nothing was written)", self.source)?,
            (false, Some(at)) => writeln!(f, "import from {} (committed at {at})", self.source)?,
            (false, None) => writeln!(f, "import from {} (committed)", self.source)?,
        }
        let staff: Vec<&str> = self.policy.staff_owned.iter().map(|p| p.field).collect();
        writeln!(
            f,
            "policy: staff-owned fields are kept ({}); empty cells {}",
            staff.join(", "),
            if self.policy.blank_clears {
                "erase stored values (--blank-clears)"
            } else {
                "keep stored values (--blank-clears erases them)"
            }
        )?;
        for file in &self.files {
            write!(f, "  file {}: {} row{}", file.name, file.rows, if file.rows == 1 { "" } else { "s" })?;
            if let Some(e) = file.encoding {
                write!(f, ", {e}")?;
            }
            if let Some(s) = &file.service {
                write!(f, ", service {s}")?;
            }
            if let Some(k) = file.kind {
                write!(f, ", {k}")?;
            }
            if let Some(c) = file.crs {
                write!(f, ", {c}")?;
            }
            writeln!(f)?;
        }
        writeln!(f, "rows read:    {}", self.rows_read)?;
        if self.outside_city > 0 {
            writeln!(f, "outside city: {}", self.outside_city)?;
        }
        if self.ignored > 0 {
            writeln!(f, "ignored:      {}", self.ignored)?;
        }
        writeln!(f, "added:        {}", self.added)?;
        writeln!(f, "changed:      {}", self.changed)?;
        writeln!(f, "unchanged:    {}", self.unchanged)?;
        writeln!(f, "removed:      {}", self.removed)?;
        writeln!(f, "skipped:      {}", self.skipped.len())?;
        for s in &self.skipped {
            writeln!(f, "  {s}")?;
        }
        if !self.warnings.is_empty() {
            writeln!(f, "warnings:")?;
            for w in &self.warnings {
                writeln!(f, "  {w}")?;
            }
        }
        for (sign, list, total) in [
            ('+', &self.diff.added, self.added),
            ('~', &self.diff.changed, self.changed),
            ('-', &self.diff.removed, self.removed),
        ] {
            for e in list.iter().take(SHOWN_CHANGES) {
                write!(f, "  {sign} {} {}", e.id, e.name)?;
                if !e.fields.is_empty() {
                    write!(f, " ({})", e.fields.join(", "))?;
                }
                writeln!(f)?;
                for c in &e.changes {
                    writeln!(f, "      {}: {} → {}", c.field, c.from, c.to)?;
                }
            }
            if total > SHOWN_CHANGES as u64 {
                writeln!(f, "  {sign} … and {} more", total - SHOWN_CHANGES as u64)?;
            }
        }
        Ok(())
    }
}
