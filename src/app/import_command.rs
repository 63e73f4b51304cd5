//! `caremap import`: official files (or e-Stat population squares) into a database no server
//! is running on.

use crate::app::cli::{ImportArgs, ImportKind};
use crate::domain::parse_districts;
use crate::import::{self, ImportOptions, InputFile};
use crate::store::{DbLocation, DbLock, StoreError, open_store, open_store_held};
use crate::write::Door;

/// `caremap import`: take the database's lock (unless it is a dry run), parse every file (a
/// bad file stops here, before the database is even opened), then diff and write in one
/// transaction, then print the report.
pub fn import_files(args: &ImportArgs) -> Result<(), Box<dyn std::error::Error>> {
    // A running server answers from its in-memory catalog: an import written behind its back
    // would not be served, and its next edits would be diffed against stale rows. A dry run
    // only reads, so it may look at a served database.
    // On PostgreSQL the servers follow the change feed, so an import may be written beside
    // them and there is no lock file.
    let sqlite = matches!(DbLocation::of(&args.db), DbLocation::Sqlite(_));
    let lock = if args.dry_run || !sqlite { None } else { Some(import_lock(&args.db)?) };
    let source = match args.source {
        ImportKind::Providers(source) => source,
        ImportKind::EstatMesh => return import_population(args),
        ImportKind::Address(source) => return import_addresses(args, source),
        ImportKind::CommunityCenters => return import_centers(args),
    };
    let options = ImportOptions {
        dry_run: args.dry_run,
        city: args.city.clone(),
        crs: args.crs,
        service: args.service.clone(),
        remove_missing: args.remove_missing,
        blank_clears: args.blank_clears,
        ..ImportOptions::new(source, "cli")
    };
    let files = args.files.iter().map(|p| InputFile::read(p)).collect::<Result<Vec<_>, _>>()?;
    let parsed = import::read(&options, &files)?;
    // Holding the lock, the import may write with a rollback journal (its pages once).
    let store = match &lock {
        Some(lock) => open_store_held(&args.db, lock)?,
        None => open_store(&args.db)?,
    };
    let mut seed = None;
    let bundled = args.data.join("districts.geojson");
    if store.load_districts()?.is_empty() && bundled.exists() {
        let text = std::fs::read_to_string(&bundled).map_err(|e| format!("{}: {e}", bundled.display()))?;
        seed = Some(parse_districts(&text).map_err(|e| format!("{}: {e}", bundled.display()))?);
    }
    let report = Door::offline(store).import(&options, parsed, seed.as_deref())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

/// `caremap import --source estat-mesh`: the lock is already held (unless a dry run).
fn import_population(args: &ImportArgs) -> Result<(), Box<dyn std::error::Error>> {
    let files = args.files.iter().map(|p| InputFile::read(p)).collect::<Result<Vec<_>, _>>()?;
    let store = open_store(&args.db)?;
    let report = import::population::import(&*store, &files, &args.columns, args.dry_run)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

/// `caremap import --source isj-oaza | isj-gaiku | abr`: the lock is already held (unless a
/// dry run).
fn import_addresses(
    args: &ImportArgs,
    source: import::address::AddressSource,
) -> Result<(), Box<dyn std::error::Error>> {
    use crate::import::address::AddressOptions;
    let files = args.files.iter().map(|p| InputFile::read(p)).collect::<Result<Vec<_>, _>>()?;
    let store = open_store(&args.db)?;
    let options = AddressOptions { source, dry_run: args.dry_run, city: args.city.clone(), crs: args.crs };
    let report = import::address::import(&*store, &options, &files)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

/// `caremap import --source community-centers`: the lock is already held (unless a dry run).
fn import_centers(args: &ImportArgs) -> Result<(), Box<dyn std::error::Error>> {
    let files = args.files.iter().map(|p| InputFile::read(p)).collect::<Result<Vec<_>, _>>()?;
    let store = open_store(&args.db)?;
    let report = import::community_centers::import(&*store, &files, args.dry_run)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

/// The database's lock for `caremap import`, or a message saying how to import into a
/// database a server is running on.
fn import_lock(db: &std::path::Path) -> Result<DbLock, Box<dyn std::error::Error>> {
    match DbLock::acquire(db) {
        Ok(lock) => Ok(lock),
        Err(StoreError::Locked { path, holder }) => Err(format!(
            "database {path} is in use by a running caremap server{}; an import written behind its back \
             would not be served. Import on the server instead (the staff page 「公開データの取り込み」 or \
             POST /api/admin/imports), or stop the server first (--dry-run works while it runs)",
            holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}
