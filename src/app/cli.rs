//! The command line: `caremap serve | import | export | user | gen | sample | backup | restore`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::access::Role;
use crate::app::config::ServeConfig;
use crate::formats::export::ExportFormat;
use crate::import::address::AddressSource;
use crate::import::{CityCode, Source};
use crate::spatial::crs::Crs;

/// caremap: care providers and home-medical clinics near a place or in a district.
#[derive(Debug, Parser)]
#[command(name = "caremap", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the map page (loads data/ into an empty database first).
    Serve(ServeConfig),
    /// Import official open-data files (MHLW care CSVs, 医療情報ネット CSVs, the 厚生局 Excel
    /// list, GeoJSON) in one transaction, and print a report. Refused while a `caremap serve`
    /// runs on the database (import on its staff page then); `--dry-run` is not.
    Import(ImportArgs),
    /// Write every provider as GeoJSON or CSV (UTF-8 with BOM for Excel).
    Export(ExportArgs),
    /// Manage staff users and their API tokens.
    #[command(subcommand)]
    User(UserCommand),
    /// Write N synthetic providers spread over Japan into a database, for benchmarks.
    Gen(GenArgs),
    /// Regenerate the bundled sample (providers.geojson, districts.geojson).
    Sample(SampleArgs),
    /// Copy everything (providers with versions and soft deletes, the history and its seqs,
    /// users, the account log, every layer, settings) from one database into an empty one, in
    /// one transaction, and check the counts: SQLite to PostgreSQL or back.
    Migrate(MigrateArgs),
    /// Copy a SQLite database into a backup file, also while a server runs on it (SQLite's
    /// online backup API), check the copy and print what it holds.
    Backup(BackupArgs),
    /// Put a backup in place of a database no server is running on (new or empty, unless
    /// --force), after checking it.
    Restore(RestoreArgs),
}

/// Arguments of `caremap migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The database to copy: a SQLite file or a postgres:// URL.
    #[arg(long)]
    pub from: PathBuf,
    /// The empty database to copy into: a SQLite file (created) or a postgres:// URL.
    #[arg(long)]
    pub to: PathBuf,
}

/// Arguments of `caremap backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// SQLite database file to copy (for PostgreSQL use pg_dump; see the README).
    #[arg(long, env = "CAREMAP_DB")]
    pub db: PathBuf,
    /// Backup file to write (written under a temporary name, renamed when complete and checked).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace the backup file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `caremap restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Backup file to restore (checked with PRAGMA integrity_check first).
    #[arg(long)]
    pub from: PathBuf,
    /// SQLite database file to restore into; refused while a server runs on it.
    #[arg(long, env = "CAREMAP_DB")]
    pub db: PathBuf,
    /// Replace a database that is not empty (everything in it is lost).
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `caremap gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    /// How many providers.
    #[arg(long, env = "CAREMAP_GEN_COUNT", default_value_t = 100_000)]
    pub count: usize,
    /// Random seed (the same seed gives the same providers).
    #[arg(long, env = "CAREMAP_GEN_SEED", default_value_t = 1)]
    pub seed: u64,
    /// Database to write (a SQLite file or a postgres:// URL; must hold no providers yet).
    #[arg(long, env = "CAREMAP_DB")]
    pub db: PathBuf,
}

/// Arguments of `caremap sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Folder to write into.
    #[arg(long, default_value = "data")]
    pub out: PathBuf,
}

fn parse_crs(s: &str) -> Result<Crs, String> {
    Crs::parse(s).map_err(|e| e.to_string())
}

/// What `caremap import --source` names: a provider format, or the population layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// Providers in one of the official formats.
    Providers(Source),
    /// e-Stat 地域メッシュ統計 files: population per grid square.
    EstatMesh,
    /// Address points (位置参照情報, アドレス・ベース・レジストリ).
    Address(AddressSource),
    /// The city's 地域包括支援センター with their 担当区域.
    CommunityCenters,
}

impl ImportKind {
    /// Parses `estat-mesh` or a provider source name.
    ///
    /// # Errors
    /// A message listing the names.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s == "estat-mesh" {
            return Ok(Self::EstatMesh);
        }
        if s == "community-centers" {
            return Ok(Self::CommunityCenters);
        }
        if let Some(source) = AddressSource::parse(s) {
            return Ok(Self::Address(source));
        }
        Source::parse(s)
            .map(Self::Providers)
            .map_err(|e| format!("{e}, estat-mesh, isj-oaza, isj-gaiku, abr, community-centers"))
    }
}

/// Arguments of `caremap import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Database: a SQLite file (created if missing) or a postgres:// URL.
    #[arg(long, env = "CAREMAP_DB")]
    pub db: PathBuf,
    /// Format of the files: mhlw-care, iryo-net, kouseikyoku or geojson (providers),
    /// estat-mesh (census counts per grid square, with --column), or address points:
    /// isj-oaza / isj-gaiku (位置参照情報 大字・町丁目 / 街区レベル) and abr (アドレス・ベース・レジストリ),
    /// or community-centers (the city's 地域包括支援センター and their 担当区域).
    #[arg(long, value_parser = ImportKind::parse)]
    pub source: ImportKind,
    /// estat-mesh: the columns to keep, by code (T001141022) or Japanese label; repeatable.
    #[arg(long = "column")]
    pub columns: Vec<String>,
    /// Print the report, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Keep only rows of this city (全国地方公共団体コード, 5 digits or 6 with the check
    /// digit), e.g. 12220 for Nagareyama. mhlw-care, iryo-net and the address sources.
    #[arg(long, env = "CAREMAP_CITY", value_parser = CityCode::parse)]
    pub city: Option<CityCode>,
    /// CRS of GeoJSON coordinates when the file does not say (EPSG:4326, 6668, 6677, 4612, 4301);
    /// for address files the datum of their latitude and longitude (EPSG:6668, the default, or 4612).
    #[arg(long, value_parser = parse_crs)]
    pub crs: Option<Crs>,
    /// MHLW service code of every row (when the file name is not jigyosho_<code>…).
    #[arg(long)]
    pub service: Option<String>,
    /// Soft-delete providers of this source that are not in the files.
    #[arg(long)]
    pub remove_missing: bool,
    /// Let an empty cell erase the stored value (otherwise it keeps it). Staff-owned fields
    /// (notes, accepting and its date) are never overwritten either way.
    #[arg(long)]
    pub blank_clears: bool,
    /// Folder whose districts.geojson is stored first when the database has no districts.
    #[arg(long, env = "CAREMAP_DATA", default_value = "data")]
    pub data: PathBuf,
    /// Print the report as JSON (the same document as the HTTP API answers).
    #[arg(long)]
    pub json: bool,
    /// The files to import.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Arguments of `caremap export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Database to read: a SQLite file or a postgres:// URL.
    #[arg(long, env = "CAREMAP_DB")]
    pub db: PathBuf,
    /// geojson or csv.
    #[arg(long, value_parser = ExportFormat::parse)]
    pub format: ExportFormat,
    /// CRS of the coordinates (default WGS84 longitude/latitude).
    #[arg(long, value_parser = parse_crs)]
    pub crs: Option<Crs>,
    /// File to write (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `caremap user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and print a new API token (shown once, on the last line; only its hash is stored).
    Add {
        /// Database: a SQLite file (created if missing) or a postgres:// URL.
        #[arg(long, env = "CAREMAP_DB", default_value = "caremap.db")]
        db: PathBuf,
        /// What the user may do: editor (edit providers), admin (also manage users) or provider
        /// (a care office's account: only the 空き状況 of the providers given with --provider).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// For --role provider: the provider ids it may update, comma-separated.
        #[arg(long = "provider", value_name = "ID[,ID…]")]
        providers: Option<String>,
        /// Days until the token stops working (1–3650); without it, it does not expire.
        #[arg(long, env = "CAREMAP_TOKEN_EXPIRES_IN_DAYS", value_parser = parse_days)]
        expires_in_days: Option<u32>,
        /// Who does this, for the account log (default `cli:` and the login name).
        #[arg(long, env = "CAREMAP_ACTOR")]
        actor: Option<String>,
        /// The user name, recorded with every change the user makes.
        name: String,
    },
    /// Replace a user's token with a new one, printed once on the last line; the old token
    /// stops working at once (a revoked user is re-enabled).
    Rotate {
        /// Database: a SQLite file or a postgres:// URL.
        #[arg(long, env = "CAREMAP_DB", default_value = "caremap.db")]
        db: PathBuf,
        /// Days until the new token stops working (1–3650); without it, it does not expire.
        #[arg(long, env = "CAREMAP_TOKEN_EXPIRES_IN_DAYS", value_parser = parse_days)]
        expires_in_days: Option<u32>,
        /// Who does this, for the account log (default `cli:` and the login name).
        #[arg(long, env = "CAREMAP_ACTOR")]
        actor: Option<String>,
        /// The user name.
        name: String,
    },
    /// List users with role and state (never tokens or hashes).
    List {
        /// Database: a SQLite file or a postgres:// URL.
        #[arg(long, env = "CAREMAP_DB", default_value = "caremap.db")]
        db: PathBuf,
    },
    /// Revoke a user's token at once (the user stays listed; `add` or `rotate` issues a new token).
    Revoke {
        /// Database: a SQLite file or a postgres:// URL.
        #[arg(long, env = "CAREMAP_DB", default_value = "caremap.db")]
        db: PathBuf,
        /// Who does this, for the account log (default `cli:` and the login name).
        #[arg(long, env = "CAREMAP_ACTOR")]
        actor: Option<String>,
        /// The user name.
        name: String,
    },
}

fn parse_days(s: &str) -> Result<u32, String> {
    s.parse::<u32>()
        .ok()
        .filter(|d| (1..=crate::access::MAX_TOKEN_DAYS).contains(d))
        .ok_or_else(|| format!("'{s}' is not a number of days from 1 to {}", crate::access::MAX_TOKEN_DAYS))
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("'{s}' is not a role: use editor or admin"))
}
