//! `caremap gen`: synthetic providers into an empty database, for benchmarks.

use crate::app::cli::GenArgs;
use crate::generate::synthetic;
use crate::store::{DbLock, SqliteStore, Store};

/// `caremap gen`: writes `args.count` synthetic providers (seeded by `args.seed`) into the
/// empty database `args.db`, under the database's lock.
///
/// # Errors
/// The database is locked, unreadable, or already holds providers.
pub fn gen_providers(args: &GenArgs) -> Result<(), Box<dyn std::error::Error>> {
    let _lock = DbLock::acquire(&args.db)?;
    let store = SqliteStore::open(&args.db)?;
    if store.count_providers()? > 0 {
        return Err(format!("{} already holds providers; gen writes into an empty database", args.db.display()).into());
    }
    for chunk in synthetic::providers(args.count, args.seed).chunks(50_000) {
        crate::write::seed(&store, chunk.to_vec(), "gen")?;
    }
    store.set_meta("dataset", "synthetic")?;
    println!("wrote {} synthetic providers to {}", args.count, args.db.display());
    Ok(())
}
