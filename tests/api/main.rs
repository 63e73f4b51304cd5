//! API tests: every test starts the real server (production startup path) on port 0 with a
//! temporary database seeded from data/, and talks HTTP to it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod errors;
mod helpers;
mod history;
#[path = "../import_fixtures/mod.rs"]
mod import_fixtures;
mod imports;
mod meta;
mod ogc;
mod providers;
mod staff;
