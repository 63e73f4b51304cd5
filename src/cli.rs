//! The command line: `caremap serve | gen | sample`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
