//! API tests: every test starts the real server (production startup path) on port 0 with a
//! temporary database seeded from data/, and talks HTTP to it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod changes;
mod compression;
mod coverage;
#[path = "../cs2cs/mod.rs"]
mod cs2cs;
mod errors;
mod headers;
mod helpers;
mod history;
mod hostile;
#[path = "../import_fixtures/mod.rs"]
mod import_fixtures;
mod imports;
mod limits;
mod meta;
mod observe;
mod ogc;
mod providers;
mod staff;
mod static_files;
