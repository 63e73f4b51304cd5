//! Facts about the running process and its files that an operator should be warned about:
//! running as root, a database file other users can read. Read from the file system
//! (`/proc/self`, file modes), since the crate forbids the `unsafe` a `geteuid()` call needs.

use std::path::Path;

/// The effective user id of this process, where the platform tells (Linux `/proc/self`).
#[cfg(unix)]
pub fn effective_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

/// The effective user id of this process: unknown on this platform.
#[cfg(not(unix))]
pub fn effective_uid() -> Option<u32> {
    None
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    effective_uid() == Some(0)
}

/// The permission bits of `path` when its group or other users may read or write it (a
/// database holds token hashes and the edit history); `None` when only its owner may, or
/// when it cannot be read.
#[cfg(unix)]
pub fn shared_file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o066 != 0).then_some(mode)
}

/// File modes do not exist on this platform.
#[cfg(not(unix))]
pub fn shared_file_mode(_path: &Path) -> Option<u32> {
    None
}

/// Logs a warning for each risk the server process runs: running as root (a compromise of
/// the process would be a compromise of the machine), and a database file others may read.
pub fn warn_about_risks(db: &Path) {
    if is_root() {
        tracing::warn!(
            "running as root: run caremap as an unprivileged user (a service account owning only the database and its folder)"
        );
    }
    if let Some(mode) = shared_file_mode(db) {
        tracing::warn!(
            db = %db.display(),
            mode = format!("{mode:o}"),
            "the database file may be read by other users; it holds token hashes and the edit history: chmod 600 it"
        );
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_file_others_may_read_is_reported_and_a_private_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        std::fs::write(&path, b"").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(shared_file_mode(&path), Some(0o644));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(shared_file_mode(&path), None);
        assert!(effective_uid().is_some());
    }
}
