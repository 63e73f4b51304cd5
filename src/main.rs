//! The `caremap` binary: parse the command line, run the command.

use std::process::ExitCode;

use caremap::app::cli::Cli;
use clap::Parser;

/// mimalloc instead of glibc's malloc: every request allocates its response, and on glibc
/// the per-thread arenas keep freed memory (a catalog rebuild frees a whole base segment) as
/// resident; see BENCHMARKS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Installed as the catalog's [`reclaim`](caremap::catalog::reclaim) hook, run after it freed
/// much memory at once (an old base after a rebuild, the start-up load's temporaries): makes
/// mimalloc hand that memory back to the OS even if the server then stays idle. mimalloc
/// returns freed pages to the OS only once they have been free for its purge delay (1 s),
/// and only when a thread next frees a page, ends, or calls `mi_collect`. The crate forbids
/// the `unsafe` a `mi_collect` call takes, so a thread that outlives the delay and then ends
/// does it: a thread's end makes mimalloc purge every expired range of all its arenas.
fn hand_back_freed_memory() {
    const PAST_THE_PURGE_DELAY: std::time::Duration = std::time::Duration::from_millis(1500);
    let purge = std::thread::Builder::new().name("purge".into()).spawn(|| {
        // An allocation, so that mimalloc knows this thread and collects when it ends.
        std::hint::black_box(Box::new(0_u64));
        std::thread::sleep(PAST_THE_PURGE_DELAY);
    });
    // Without a thread the memory is handed back at the next activity instead.
    drop(purge);
}

fn main() -> ExitCode {
    let _log_writer = caremap::app::logging::init();
    caremap::catalog::reclaim::install(hand_back_freed_memory);
    let cli = Cli::parse();
    match caremap::app::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("caremap: {e}");
            ExitCode::FAILURE
        }
    }
}
