//! The `caremap` binary's application: the command line and settings, start-up of the server,
//! and one file per command. `main.rs` only parses and calls [`run`].

pub mod backup_command; // caremap backup, caremap restore
pub mod cli; // the command line
pub mod config; // typed settings with CAREMAP_* fallbacks
pub mod export_command; // caremap export
pub mod gen_command; // caremap gen
pub mod import_command; // caremap import
pub mod integrity_check; // PRAGMA quick_check beside serving; what writes wait for
pub mod logging; // stderr logging, text or JSON lines
pub mod migrate_command; // caremap migrate
pub mod process; // warnings about the process: root, a database others may read
pub mod serve_command; // caremap serve
pub mod startup; // open store, seed, load catalog, bind, serve
pub mod user_command; // caremap user

use std::time::Duration;

use cli::Command;

/// Runs one command on a multi-threaded runtime.
///
/// # Errors
/// What the command failed with, or a runtime that cannot start.
pub fn run(command: Command) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let result = match command {
        Command::Serve(config) => runtime.block_on(serve_command::serve(config)),
        Command::Import(args) => import_command::import_files(&args),
        Command::Export(args) => export_command::export(&args),
        Command::User(command) => user_command::run(&command, &mut std::io::stdout().lock()),
        Command::Gen(args) => gen_command::gen_providers(&args),
        Command::Sample(args) => crate::generate::sample::write(&args.out).map_err(Into::into),
        Command::Migrate(args) => migrate_command::migrate(&args, &mut std::io::stdout().lock()),
        Command::Backup(args) => backup_command::backup(&args, &mut std::io::stdout().lock()),
        Command::Restore(args) => backup_command::restore(&args, &mut std::io::stdout().lock()),
    };
    // Connections still open after the drain deadline, and blocking store calls, are not
    // waited for beyond this: the process exits. SQLite's journal makes any interrupted
    // transaction roll back on the next open.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}
