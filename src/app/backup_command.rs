//! `caremap backup` and `caremap restore`: a consistent copy of a SQLite database while a
//! server runs on it, and putting such a copy in place of a database no server holds.
//!
//! Both write a temporary file next to the target and rename it over the target only once
//! it is complete and has passed `PRAGMA integrity_check`, so a failure (a full disk, a
//! damaged source, Ctrl-C) never leaves a half-written backup or database behind.
//! PostgreSQL databases are backed up with the tools a DBA knows (pg_dump); `caremap migrate`
//! copies between the two stores.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::app::cli::{BackupArgs, RestoreArgs};
use crate::store::sqlite_file::{self, Contents};
use crate::store::{DbLock, StoreError};

/// What to use instead for a PostgreSQL database.
const POSTGRES_HINT: &str = "caremap backup and restore copy SQLite database files; back up PostgreSQL with \
     pg_dump (pg_dump --format=custom --file=caremap.dump 'postgres://…') and restore with pg_restore, or make a \
     portable SQLite copy with `caremap migrate --from postgres://… --to FILE.db`";

fn is_postgres(db: &Path) -> bool {
    matches!(crate::store::DbLocation::of(db), crate::store::DbLocation::Postgres(_))
}

/// `<target>.<what>-<pid>`: a temporary file in the target's folder (so the rename is
/// atomic).
fn temporary(target: &Path, what: &str) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(format!(".{what}-{}", std::process::id()));
    PathBuf::from(name)
}

/// Renames `from` over `to` and makes the rename durable (the folder's entry is synced).
fn put_in_place(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::rename(from, to)?;
    let folder = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    #[cfg(unix)]
    std::fs::File::open(folder)?.sync_all()?;
    Ok(())
}

/// Removes the temporary file (and the journal files SQLite may have left beside it) when
/// dropped: after a failure; once renamed into place there is nothing left to remove.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = self.0.as_os_str().to_owned();
            name.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(name));
        }
    }
}

fn print_contents(out: &mut impl Write, contents: &Contents) -> std::io::Result<()> {
    writeln!(
        out,
        "providers: {} (deleted: {}), feed seq: {}, users: {}, districts: {}, address points: {}, \
         community centers: {}, population columns: {}",
        contents.providers,
        contents.deleted_providers,
        contents.last_seq,
        contents.users,
        contents.districts,
        contents.address_points,
        contents.community_centers,
        contents.population_columns
    )
}

/// `caremap backup --db PATH --out FILE [--force]`: copies the database (a server may be
/// running on it) into FILE, checks the copy and prints what it holds.
///
/// # Errors
/// A PostgreSQL URL (pointing at pg_dump), a missing or damaged source, an existing FILE
/// without `--force`, a failed copy; FILE is untouched then.
pub fn backup(args: &BackupArgs, out: &mut impl Write) -> Result<(), Box<dyn std::error::Error>> {
    if is_postgres(&args.db) {
        return Err(POSTGRES_HINT.into());
    }
    if !args.db.is_file() {
        return Err(format!("there is no database file at {}", args.db.display()).into());
    }
    if args.out.exists() && !args.force {
        return Err(format!("{} exists; choose another file or pass --force to replace it", args.out.display()).into());
    }
    let folder = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(
            format!("cannot write {}: the folder {} does not exist", args.out.display(), folder.display()).into()
        );
    }
    let temp = TempFile(temporary(&args.out, "partial"));
    let contents = sqlite_file::copy(&args.db, &temp.0)?;
    put_in_place(&temp.0, &args.out).map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    tracing::info!(db = %args.db.display(), out = %args.out.display(), seq = contents.last_seq, "backup written");
    writeln!(out, "backup of {} written to {} (integrity check: ok)", args.db.display(), args.out.display())?;
    print_contents(out, &contents)?;
    Ok(())
}

/// `caremap restore --from FILE --db PATH [--force]`: checks FILE, then puts a copy of it in
/// place of the database at PATH, which no server may hold and which must be new or empty
/// unless `--force`.
///
/// # Errors
/// A PostgreSQL URL (pointing at `caremap migrate`), a damaged FILE, a database a server
/// holds, a non-empty database without `--force`, a failed copy; PATH is untouched then.
pub fn restore(args: &RestoreArgs, out: &mut impl Write) -> Result<(), Box<dyn std::error::Error>> {
    if is_postgres(&args.db) {
        return Err(POSTGRES_HINT.into());
    }
    let checked =
        sqlite_file::inspect(&args.from).map_err(|e| format!("{} cannot be restored: {e}", args.from.display()))?;
    // Held until the copy is in place: no server starts on the database meanwhile.
    let _lock = DbLock::acquire(&args.db)?;
    let non_empty = |path: &Path| std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
    let wal = journal(&args.db, "-wal");
    if (non_empty(&args.db) || non_empty(&wal)) && !args.force {
        return Err(format!(
            "{} is not empty; restoring would replace everything in it: pass --force to do so",
            args.db.display()
        )
        .into());
    }
    let temp = TempFile(temporary(&args.db, "restoring"));
    let contents = sqlite_file::copy(&args.from, &temp.0)?;
    if contents != checked {
        return Err(StoreError::Damaged {
            path: args.from.display().to_string(),
            detail: "it changed while it was restored".into(),
        }
        .into());
    }
    // The old database's log and index belong to the old file: SQLite would apply that log
    // to the restored one.
    for suffix in ["-wal", "-shm"] {
        match std::fs::remove_file(journal(&args.db, suffix)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}{suffix}: {e}", args.db.display()).into()),
        }
    }
    put_in_place(&temp.0, &args.db).map_err(|e| format!("cannot write {}: {e}", args.db.display()))?;
    tracing::info!(from = %args.from.display(), db = %args.db.display(), seq = contents.last_seq, "database restored");
    writeln!(out, "{} restored into {} (integrity check: ok)", args.from.display(), args.db.display())?;
    print_contents(out, &contents)?;
    Ok(())
}

/// `<db><suffix>`, e.g. the `-wal` file.
fn journal(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
