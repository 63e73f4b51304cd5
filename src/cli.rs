//! The command line: `caremap serve | user | gen | sample`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::auth::Role;
use crate::config::ServeConfig;

/// caremap: care providers and home-medical clinics near a place or in a district.
#[derive(Debug, Parser)]
#[command(name = "caremap", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the map page (loads data/ into an empty database first).
    Serve(ServeConfig),
    /// Manage staff users and their API tokens.
    #[command(subcommand)]
    User(UserCommand),
    /// Write N synthetic providers spread over Japan into a database, for benchmarks.
    Gen(GenArgs),
    /// Regenerate the bundled sample (providers.geojson, districts.geojson).
    Sample(SampleArgs),
}

/// Arguments of `caremap gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    /// How many providers.
    #[arg(long, env = "CAREMAP_GEN_COUNT", default_value_t = 100_000)]
    pub count: usize,
    /// Random seed (the same seed gives the same providers).
    #[arg(long, env = "CAREMAP_GEN_SEED", default_value_t = 1)]
    pub seed: u64,
    /// Database file to write (must hold no providers yet).
    #[arg(long, env = "CAREMAP_DB")]
    pub db: PathBuf,
}

/// Arguments of `caremap sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Folder to write into.
    #[arg(long, default_value = "data")]
    pub out: PathBuf,
}

/// `caremap user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and print a new API token (shown once, on the last line; only its hash is stored).
    Add {
        /// SQLite database file (created if missing).
        #[arg(long, env = "CAREMAP_DB", default_value = "caremap.db")]
        db: PathBuf,
        /// What the user may do: editor (edit providers) or admin (also manage users).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The user name, recorded with every change the user makes.
        name: String,
    },
    /// List users with role and state (never tokens or hashes).
    List {
        /// SQLite database file.
        #[arg(long, env = "CAREMAP_DB", default_value = "caremap.db")]
        db: PathBuf,
    },
    /// Revoke a user's token at once (the user stays listed; `add` issues a new token).
    Revoke {
        /// SQLite database file.
        #[arg(long, env = "CAREMAP_DB", default_value = "caremap.db")]
        db: PathBuf,
        /// The user name.
        name: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("'{s}' is not a role: use editor or admin"))
}
