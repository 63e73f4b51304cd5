//! Importing the national open data: MHLW 介護サービス情報公表 CSVs, 医療情報ネット facility
//! CSVs, the 厚生局 施設基準 list (Excel), and GeoJSON in Japanese CRSs.
//!
//! An import runs in two steps shared by the CLI and the HTTP API:
//! 1. [`read`] parses every file (no database access). Any file that cannot be read as its
//!    format — wrong header, unknown encoding, truncated — stops the import here with an
//!    [`ImportError`] naming the file and what was expected. Row-level problems (no usable
//!    coordinates, unknown service) become skipped rows in the [`Report`].
//! 2. [`plan`] diffs what was read against the stored rows (added / changed / unchanged /
//!    removed): the rows to write and the report. Pure: the write door
//!    ([`crate::write::Door::import`]) loads the stored rows, calls it, commits the plan in
//!    one transaction and publishes it.
//!
//! Ids derive from the official codes, so a re-import updates instead of duplicating:
//! `care-<事業所番号>` for care offices, `med-<医療情報ネット ID>` for clinics and hospitals.

mod abr;
pub mod address;
pub mod community_centers;
mod encoding;
pub mod estat_mesh;
mod fields;
mod geojson;
mod iryo_net;
mod isj;
mod kouseikyoku;
mod mhlw_care;
mod plan;
pub mod population;
mod report;
mod table;
mod xlsx;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

pub use encoding::Encoding;
pub use fields::CityCode;
pub use kouseikyoku::Notification;
pub use plan::plan;
pub use report::{DIFF_LIMIT, Diff, DiffEntry, FileReport, Policy, PolicyField, Report, Skipped};

use crate::domain::{HomeCareClass, Provider, service_type};
use crate::spatial::crs::Crs;
use crate::store::StoreError;

/// History action of a provider added or changed by an import.
pub const ACTION_IMPORT: &str = crate::domain::action::IMPORT;
/// History action of a provider soft-deleted by `--remove-missing`.
pub const ACTION_IMPORT_DELETE: &str = crate::domain::action::IMPORT_DELETE;
/// History action of a soft-deleted provider that an import brought back.
pub const ACTION_IMPORT_RESTORE: &str = crate::domain::action::IMPORT_RESTORE;

/// Id prefix of care offices imported from MHLW files.
pub const CARE_ID_PREFIX: &str = "care-";
/// Id prefix of clinics and hospitals imported from 医療情報ネット files.
pub const MEDICAL_ID_PREFIX: &str = "med-";

/// The formats caremap imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// MHLW 介護サービス情報公表システム open-data CSVs (`jigyosho_<code>.csv`).
    MhlwCare,
    /// 医療情報ネット 施設票 CSVs (hospitals `01-1_…`, clinics `02-1_…`).
    IryoNet,
    /// The 厚生局 施設基準 list (Excel): 在宅療養支援 classes of existing clinics.
    Kouseikyoku,
    /// A GeoJSON FeatureCollection of providers (caremap's own Feature properties).
    GeoJson,
}

impl Source {
    /// Every source, in CLI order.
    pub const ALL: [Source; 4] = [Source::MhlwCare, Source::IryoNet, Source::Kouseikyoku, Source::GeoJson];

    /// The CLI and API spelling, e.g. `mhlw-care`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::MhlwCare => "mhlw-care",
            Source::IryoNet => "iryo-net",
            Source::Kouseikyoku => "kouseikyoku",
            Source::GeoJson => "geojson",
        }
    }

    /// Parses the CLI and API spelling.
    ///
    /// # Errors
    /// A message listing the sources.
    pub fn parse(s: &str) -> Result<Source, String> {
        Source::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown source '{s}'; use one of {}", Source::ALL.map(Source::as_str).join(", ")))
    }
}

/// How to run an import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The format of every file.
    pub source: Source,
    /// Report only; write nothing.
    pub dry_run: bool,
    /// Keep only rows of this city (MHLW and 医療情報ネット).
    pub city: Option<CityCode>,
    /// CRS of GeoJSON coordinates (overrides the file's `crs` member).
    pub crs: Option<Crs>,
    /// Service code of every MHLW row (overrides the file name).
    pub service: Option<String>,
    /// Soft-delete providers of this source that are not in the files (see [`plan`]).
    pub remove_missing: bool,
    /// Let an empty cell erase the stored value of an import-owned field (otherwise the
    /// stored value stays). Staff-owned fields are never overwritten either way.
    pub blank_clears: bool,
    /// Who imports, recorded as `updated_by` and in the history.
    pub actor: String,
}

impl ImportOptions {
    /// Options for `source` with everything else off, made by `actor`.
    pub fn new(source: Source, actor: impl Into<String>) -> Self {
        Self {
            source,
            dry_run: false,
            city: None,
            crs: None,
            service: None,
            remove_missing: false,
            blank_clears: false,
            actor: actor.into(),
        }
    }
}

/// One file to import: its name (shown in messages; the MHLW service code and the
/// 医療情報ネット kind are read from it) and its bytes.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// The name as given (a path on the CLI, the upload's file name over HTTP).
    pub name: String,
    /// The content.
    pub bytes: Vec<u8>,
}

impl InputFile {
    /// Reads a file from disk.
    ///
    /// # Errors
    /// [`ImportError::Unreadable`] naming the path.
    pub fn read(path: &Path) -> Result<Self, ImportError> {
        let name = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => Ok(Self { name, bytes }),
            Err(e) => Err(ImportError::Unreadable { file: name, reason: e.to_string() }),
        }
    }

    /// The last component of the name (`jigyosho_110.csv` of `/tmp/jigyosho_110.csv`).
    pub fn base_name(&self) -> &str {
        self.name.rsplit(['/', '\\']).next().unwrap_or(&self.name)
    }
}

/// Why an import stopped before writing anything.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An option does not make sense (unknown service code, an option the source ignores …).
    #[error("{reason}")]
    Options {
        /// The option, as named in the HTTP API (`service`, `crs`, `city`, `file`).
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be read.
    #[error("{file}: cannot read the file: {reason}")]
    Unreadable {
        /// The file.
        file: String,
        /// What the OS said.
        reason: String,
    },
    /// A file is neither UTF-8 nor Shift_JIS.
    #[error("{file}: the text is neither UTF-8 (with or without BOM) nor Shift_JIS (cp932)")]
    Encoding {
        /// The file.
        file: String,
    },
    /// A file's header lacks columns of the official layout.
    #[error(
        "{file}: wrong header: {summary}; expected the official header\n  {expected}\nbut found\n  {found}",
        summary = missing_summary(missing)
    )]
    Header {
        /// The file.
        file: String,
        /// The columns not found.
        missing: Vec<String>,
        /// The header expected.
        expected: String,
        /// The header found.
        found: String,
    },
    /// A file is cut short or malformed at a line (the import stops: it cannot be trusted).
    #[error("{file}: line {line}: {reason}")]
    Malformed {
        /// The file.
        file: String,
        /// The line (CSV) or row (Excel).
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A file that is not what the source expects (not a FeatureCollection, a dental list …).
    #[error("{file}: {reason}")]
    Invalid {
        /// The file.
        file: String,
        /// What is wrong and what was expected.
        reason: String,
    },
    /// The store failed or a provider changed under the import; nothing was written.
    #[error("nothing was imported: {0}")]
    Store(#[from] StoreError),
}

/// What [`read`] found, ready for [`plan`].
#[derive(Debug, Default)]
pub struct Parsed {
    /// Providers as read (MHLW, 医療情報ネット, GeoJSON), one per id, in first-seen order.
    pub providers: Vec<Provider>,
    /// 在宅療養支援 notifications (厚生局 list).
    pub notifications: Vec<Notification>,
    /// MHLW service codes the files cover (an office missing from a covered service's file
    /// no longer offers it).
    pub covered_services: BTreeSet<String>,
    /// Kinds the 医療情報ネット files cover.
    pub covered_kinds: BTreeSet<&'static str>,
    /// The report so far (files, rows read, skipped rows, warnings).
    pub report: Report,
}

/// Providers read so far, merged by id.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    by_id: HashMap<String, usize>,
    providers: Vec<Provider>,
}

impl Collected {
    /// Adds a provider, or merges it into the one with the same id with `merge(existing, new)`.
    fn add(&mut self, p: Provider, merge: impl FnOnce(&mut Provider, Provider)) {
        match self.by_id.get(&p.id) {
            Some(&i) => merge(&mut self.providers[i], p),
            None => {
                self.by_id.insert(p.id.clone(), self.providers.len());
                self.providers.push(p);
            }
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }
}

/// The missing columns, or a short note when there are so many that the file is plainly
/// another layout.
fn missing_summary(missing: &[String]) -> String {
    if missing.len() > 6 {
        format!("{} of the official columns are missing (this is another layout)", missing.len())
    } else {
        format!("missing column(s) {}", missing.join(", "))
    }
}

fn option_error(name: &'static str, reason: impl Into<String>) -> ImportError {
    ImportError::Options { name, reason: reason.into() }
}

/// Checks the options against the source.
///
/// # Errors
/// [`ImportError::Options`] for an unknown `--service` code, or an option the source does not
/// use.
pub fn check_options(options: &ImportOptions) -> Result<(), ImportError> {
    if let Some(code) = &options.service {
        if options.source != Source::MhlwCare {
            return Err(option_error("service", "--service applies to --source mhlw-care only"));
        }
        if service_type(code).is_none() {
            return Err(option_error("service", format!("unknown service code '{code}' given with --service")));
        }
    }
    if options.crs.is_some() && options.source != Source::GeoJson {
        return Err(option_error("crs", "--crs applies to --source geojson only"));
    }
    if options.city.is_some() && matches!(options.source, Source::Kouseikyoku | Source::GeoJson) {
        return Err(option_error(
            "city",
            format!(
                "--city applies to mhlw-care and iryo-net only (the {} files have no city code)",
                options.source.as_str()
            ),
        ));
    }
    Ok(())
}

/// Parses every file. Touches no database.
///
/// # Errors
/// [`ImportError`] for the first file that cannot be read as the source's format; nothing
/// is imported then.
pub fn read(options: &ImportOptions, files: &[InputFile]) -> Result<Parsed, ImportError> {
    check_options(options)?;
    if files.is_empty() {
        return Err(option_error("file", "no files to import"));
    }
    let mut parsed = Parsed {
        report: Report {
            source: options.source.as_str(),
            dry_run: options.dry_run,
            policy: report::Policy::new(options.blank_clears),
            ..Report::default()
        },
        ..Parsed::default()
    };
    let started = std::time::Instant::now();
    let mut collected = Collected::default();
    if matches!(options.source, Source::MhlwCare | Source::IryoNet) {
        // A CSV holds at most one provider per line: sized once instead of grown (and copied)
        // by doubling through a million rows. (Not GeoJSON: a pretty-printed file has many
        // lines per feature.)
        let lines: usize = files.iter().map(|f| f.bytes.iter().filter(|&&b| b == b'\n').count() + 1).sum();
        collected.providers.reserve(lines);
        collected.by_id.reserve(lines);
    }
    for file in files {
        match options.source {
            Source::MhlwCare => mhlw_care::read_file(file, options, &mut collected, &mut parsed)?,
            Source::IryoNet => iryo_net::read_file(file, options, &mut collected, &mut parsed)?,
            Source::Kouseikyoku => kouseikyoku::read_file(file, &mut parsed)?,
            Source::GeoJson => geojson::read_file(file, options, &mut collected, &mut parsed)?,
        }
    }
    parsed.providers = collected.providers;
    tracing::info!(
        source = options.source.as_str(),
        rows = parsed.report.rows_read,
        providers = parsed.providers.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "import files read"
    );
    let no_coordinates = parsed.report.skipped.iter().filter(|s| s.reason.starts_with(fields::NO_COORDINATES)).count();
    if no_coordinates > 0 {
        parsed.report.warn(format!(
            "{no_coordinates} row(s) had no usable coordinates and were skipped: caremap ships no geocoding \
             table, so they cannot be placed from the address (add them on the staff page)"
        ));
    }
    Ok(parsed)
}

/// The stronger of two 在宅療養支援 classes (単独型 > 連携型 > 従来型).
fn stronger(a: HomeCareClass, b: HomeCareClass) -> HomeCareClass {
    let rank = |c| match c {
        HomeCareClass::EnhancedSolo => 3,
        HomeCareClass::EnhancedNetwork => 2,
        HomeCareClass::Standard => 1,
    };
    if rank(b) > rank(a) { b } else { a }
}
