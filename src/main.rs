//! The `caremap` binary: parse the command line, run the command.

use std::process::ExitCode;

use caremap::app::cli::Cli;
use clap::Parser;

/// mimalloc instead of glibc's malloc: every request allocates its response, and on glibc
/// the per-thread arenas keep freed memory (a catalog rebuild frees a whole base segment) as
/// resident; see BENCHMARKS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let _log_writer = caremap::app::logging::init();
    let cli = Cli::parse();
    match caremap::app::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("caremap: {e}");
            ExitCode::FAILURE
        }
    }
}
