//! `caremap migrate --from SRC --to DST`: copies a whole store into an empty one (SQLite to
//! PostgreSQL or back) in one transaction on the target, keeping versions, soft deletes, the
//! history with its seqs (a follower's position in the feed stays valid), token hashes and
//! the account log, then reads the copy back and checks every table's count.

use std::io::Write;

use crate::app::cli::MigrateArgs;
use crate::store::{DbLocation, DbLock};

/// Runs the copy and prints the counts to `out`.
///
/// # Errors
/// A target that is not empty (naming what it holds), a count that differs after the copy,
/// database failures (nothing is written to the target then).
pub fn migrate(args: &MigrateArgs, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let (from, to) = (DbLocation::of(&args.from), DbLocation::of(&args.to));
    if from.shown() == to.shown() {
        return Err("--from and --to name the same database".into());
    }
    // No server may write into a SQLite target while it is filled (the source is read in one
    // read transaction, which a running server does not disturb).
    let _lock = match to {
        DbLocation::Sqlite(path) => Some(DbLock::acquire(path)?),
        DbLocation::Postgres(_) => None,
    };
    if let DbLocation::Sqlite(path) = from
        && !path.exists()
    {
        return Err(format!("{} does not exist", path.display()).into());
    }
    let source = from.open()?;
    let target = to.open()?;
    let dump = source.dump()?;
    target.restore_dump(&dump)?;
    let copied = target.dump()?;
    let (expected, found) = (dump.counts(), copied.counts());
    let last_seq = target.last_seq()?;
    let source_seq = dump.history.last().map_or(0, |h| h.seq);
    if expected != found || last_seq != source_seq {
        return Err(format!(
            "the copy in {} does not match: expected {expected:?} and seq {source_seq}, found {found:?} and seq {last_seq}",
            to.shown()
        )
        .into());
    }
    writeln!(out, "copied {} to {}", from.shown(), to.shown())?;
    for (table, n) in expected {
        writeln!(out, "{table:<20} {n}")?;
    }
    writeln!(out, "{:<20} {last_seq}", "last seq")?;
    Ok(())
}
