//! `caremap gen`: synthetic providers into an empty database, for benchmarks.

use crate::app::cli::GenArgs;
use crate::generate::synthetic;
use crate::store::{DbLocation, DbLock};

/// `caremap gen`: writes `args.count` synthetic providers (seeded by `args.seed`) into the
/// empty database `args.db`, under the database's lock.
///
/// # Errors
/// The database is locked, unreadable, or already holds providers.
pub fn gen_providers(args: &GenArgs) -> Result<(), Box<dyn std::error::Error>> {
    let location = DbLocation::of(&args.db);
    let _lock = match location {
        DbLocation::Sqlite(path) => Some(DbLock::acquire(path)?),
        DbLocation::Postgres(_) => None,
    };
    let store = location.open()?;
    if store.count_providers()? > 0 {
        return Err(format!("{} already holds providers; gen writes into an empty database", location.shown()).into());
    }
    for chunk in synthetic::providers(args.count, args.seed).chunks(50_000) {
        crate::write::seed(&*store, chunk.to_vec(), "gen")?;
    }
    store.set_meta("dataset", "synthetic")?;
    println!("wrote {} synthetic providers to {}", args.count, location.shown());
    Ok(())
}
