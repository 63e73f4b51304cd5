//! Whole-file copies of a SQLite database with SQLite's online backup API: a consistent copy
//! of a database a server is writing (read in one read transaction, which in WAL mode does
//! not hold up the writer), checked with `PRAGMA integrity_check`, and what it holds counted.

use std::path::Path;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::store::{Result, StoreError};

/// What a database file holds, counted after a copy or before a restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contents {
    /// Providers that are not deleted.
    pub providers: u64,
    /// Soft-deleted providers.
    pub deleted_providers: u64,
    /// Seq of the last change of the feed (the history's newest entry).
    pub last_seq: i64,
    /// Staff users (revoked ones included).
    pub users: u64,
    /// Districts (日常生活圏域).
    pub districts: u64,
    /// Address points.
    pub address_points: u64,
    /// 地域包括支援センター.
    pub community_centers: u64,
    /// Population columns.
    pub population_columns: u64,
}

fn open_err(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Open { path: path.display().to_string(), source }
}

/// Opens an existing database file to read it (never creates one). Read-write where it may,
/// because a read-only connection to a WAL database cannot remove the `-wal` and `-shm`
/// files it makes, while the last read-write connection to close does; read-only otherwise
/// (a backup on read-only media).
fn open_existing(path: &Path) -> Result<Connection> {
    if !path.is_file() {
        return Err(StoreError::Unavailable(format!("{}: no such database file", path.display())));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .or_else(|_| {
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        })
        .map_err(open_err(path))?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(open_err(path))?;
    Ok(conn)
}

/// Runs `PRAGMA integrity_check` (every page, record and index) and counts what the file
/// holds.
fn check_and_count(conn: &Connection, path: &Path) -> Result<Contents> {
    let mut stmt = conn.prepare("PRAGMA integrity_check(5)")?;
    let findings: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    if findings.len() != 1 || findings[0] != "ok" {
        return Err(StoreError::Damaged {
            path: path.display().to_string(),
            detail: findings.join("; ").replace('\n', "; "),
        });
    }
    let count = |sql: &str| -> Result<u64> {
        let n: i64 = conn.query_row(sql, [], |r| r.get(0)).map_err(|e| StoreError::Damaged {
            path: path.display().to_string(),
            detail: format!("not a caremap database ({e})"),
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    Ok(Contents {
        providers: count("SELECT COUNT(*) FROM providers WHERE deleted_at IS NULL")?,
        deleted_providers: count("SELECT COUNT(*) FROM providers WHERE deleted_at IS NOT NULL")?,
        last_seq: i64::try_from(count("SELECT COALESCE(MAX(seq), 0) FROM provider_history")?).unwrap_or(0),
        users: count("SELECT COUNT(*) FROM users")?,
        districts: count("SELECT COUNT(*) FROM districts")?,
        address_points: count("SELECT COUNT(*) FROM address_points")?,
        community_centers: count("SELECT COUNT(*) FROM community_centers")?,
        population_columns: count("SELECT COUNT(*) FROM population_columns")?,
    })
}

/// Checks the integrity of the database file at `path` and counts what it holds, reading
/// only.
///
/// # Errors
/// [`StoreError::Unavailable`] when there is no such file; [`StoreError::Open`] when it is
/// not a database; [`StoreError::Damaged`] when the check finds damage or it is not a
/// caremap database.
pub fn inspect(path: &Path) -> Result<Contents> {
    let conn = open_existing(path)?;
    check_and_count(&conn, path)
}

/// Copies the database at `from` into a new file `to` (created 0600: it holds token hashes;
/// it must not exist) with the online backup API in one step, so the copy is the committed
/// state at one moment even while a server writes `from`. The copy is checked with
/// `PRAGMA integrity_check` and closed, one self-contained file in rollback-journal mode,
/// before this returns.
///
/// # Errors
/// As [`inspect`] for either file; SQLite failures of the copy.
pub fn copy(from: &Path, to: &Path) -> Result<Contents> {
    let source = open_existing(from)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(to).map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", to.display())))?;
    let mut target = Connection::open(to).map_err(open_err(to))?;
    {
        let backup = Backup::new(&source, &mut target)?;
        // All pages in one step: one read transaction on the source, so a writer meanwhile
        // does not restart the copy (it would, between steps) and the copy is one moment.
        // (-1: every page; a busy source is tried again for a while.)
        let mut tries = 0;
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More | StepResult::Busy | StepResult::Locked if tries < 50 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                _ => {
                    return Err(StoreError::Unavailable(format!(
                        "{} stayed busy; the copy was not made",
                        from.display()
                    )));
                }
            }
        }
    }
    // The copy took the source's journal mode (WAL). A backup is one file to keep and
    // move: back to a rollback journal, which also folds the log into the file (a server
    // opening a restored file turns WAL on again).
    let _mode: String = target.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    let contents = check_and_count(&target, to)?;
    target.close().map_err(|(_, e)| StoreError::from(e))?;
    std::fs::File::open(to).and_then(|f| f.sync_all()).map_err(|e| StoreError::Unavailable(e.to_string()))?;
    Ok(contents)
}
