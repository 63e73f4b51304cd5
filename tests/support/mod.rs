//! What the test binaries share, declared by each as `mod support;`: the application started
//! in-process through `startup` (on port 0, or as a router called with `oneshot`), the real
//! binary started as a child process, import file fixtures, and PROJ's `cs2cs` as a reference.
// Each binary uses only part of this.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod app;
pub mod cs2cs;
pub mod damage;
pub mod fixtures;
pub mod oneshot;
pub mod postgres;
pub mod process;

use std::path::{Path, PathBuf};

/// `p` inside the repository (`data`, `web`, `docs/…`).
pub fn repo_path(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}
