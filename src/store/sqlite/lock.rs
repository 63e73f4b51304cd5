//! One writer process per database: `caremap serve` (and the commands that write providers
//! behind a server's back, such as `gen`) hold an exclusive advisory lock on `<db>.lock` for
//! as long as they run.
//!
//! Why a lock file and not SQLite's own locking: SQLite serialises transactions, not
//! processes. Two servers on one database would each answer reads from their own in-memory
//! catalog and see the other's writes only at the follower's next poll
//! ([`crate::write::follow`]), and an SQLite file is one machine's anyway: several servers
//! share a PostgreSQL store instead. `PRAGMA locking_mode=EXCLUSIVE` would stop that,
//! but it also locks out every other reader and `caremap user add` while the server runs.
//! The lock is `flock(2)` through `std::fs::File::try_lock`: the kernel releases it when the
//! process ends in any way (SIGKILL included), so a stale lock file never blocks a restart
//! and is never deleted (deleting it would let two processes lock two different files).
//! It holds on local file systems; on network file systems `flock` may not be shared.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::store::{Result, StoreError};

/// An exclusive lock on a database, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DbLock {
    _file: File,
    path: PathBuf,
}

/// `<db>.lock`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl DbLock {
    /// Takes the lock of the database at `db` without waiting, and writes this process's id
    /// into the lock file (for the message another process shows).
    ///
    /// # Errors
    /// [`StoreError::NoFolder`] when the database's folder does not exist;
    /// [`StoreError::Locked`] when another process holds the lock (naming its pid if known);
    /// [`StoreError::Lock`] when the lock file cannot be created.
    pub fn acquire(db: &Path) -> Result<Self> {
        let folder = match db.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(StoreError::NoFolder { path: db.display().to_string(), folder: folder.display().to_string() });
        }
        let path = lock_path(db);
        let lock_err = |source| StoreError::Lock { path: path.display().to_string(), source };
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(lock_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(StoreError::Locked {
                    path: db.display().to_string(),
                    holder: (!holder.is_empty()).then(|| holder.chars().take(40).collect()),
                });
            }
            Err(TryLockError::Error(e)) => return Err(lock_err(e)),
        }
        // Best effort: the pid only improves another process's message.
        let _ = file.set_len(0).and_then(|()| file.seek(SeekFrom::Start(0))).and_then(|_| {
            writeln!(file, "{}", std::process::id())?;
            file.flush()
        });
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_database_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        let first = DbLock::acquire(&db).unwrap();
        let err = DbLock::acquire(&db).unwrap_err();
        assert!(matches!(&err, StoreError::Locked { holder: Some(pid), .. } if *pid == std::process::id().to_string()));
        assert!(err.to_string().contains("x.db"), "{err}");
        drop(first);
        DbLock::acquire(&db).unwrap();
    }

    #[test]
    fn a_database_in_a_missing_folder_is_named_with_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let err = DbLock::acquire(&dir.path().join("missing/x.db")).unwrap_err().to_string();
        assert!(err.contains("missing") && err.contains("does not exist"), "{err}");
    }
}
