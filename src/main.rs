//! The `caremap` binary: parse the command line, run the command.

use std::process::ExitCode;
use std::time::Duration;

use caremap::cli::{Cli, Command};
use caremap::store::{DbLock, SqliteStore, Store};
use clap::Parser;

/// mimalloc instead of glibc's malloc: every request allocates its response, and on glibc
/// the per-thread arenas keep freed memory (a catalog rebuild frees a whole base segment) as
/// resident; see BENCHMARKS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let _log_writer = init_logging();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("caremap: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: Result<(), Box<dyn std::error::Error>> = match cli.command {
        Command::Serve(config) => runtime.block_on(serve(config)),
        Command::Import(args) => import_files(&args),
        Command::Export(args) => export(&args),
        Command::User(command) => caremap::accounts::run(&command, &mut std::io::stdout().lock()),
        Command::Gen(args) => gen_providers(&args),
        Command::Sample(args) => caremap::sample::write(&args.out).map_err(Into::into),
    };
    // Connections still open after the drain deadline, and blocking store calls, are not
    // waited for beyond this: the process exits. SQLite's journal makes any interrupted
    // transaction roll back on the next open.
    runtime.shutdown_timeout(Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("caremap: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `CAREMAP_LOG` (default `info`), as text or, with
/// `CAREMAP_LOG_FORMAT=json`, one JSON object per line. Lines are formatted on the thread that
/// logs and written by a background thread through a buffer flushed whenever it runs dry, so a
/// request never waits for a write to stderr (one syscall per request line cost about a tenth
/// of a small request's CPU time). If the writer falls behind by more than its queue, lines are
/// dropped rather than requests slowed. A line that cannot be written (stderr redirected to a
/// file on a full disk) is dropped too. The returned guard flushes what is queued when dropped.
fn init_logging() -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(std::io::BufWriter::new(std::io::stderr()));
    let filter = tracing_subscriber::EnvFilter::try_from_env("CAREMAP_LOG").unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .log_internal_errors(false);
    if std::env::var("CAREMAP_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().with_current_span(true).with_span_list(false).init();
    } else {
        builder.init();
    }
    guard
}

async fn serve(config: caremap::config::ServeConfig) -> Result<(), Box<dyn std::error::Error>> {
    prepare_process();
    let app = caremap::startup::Application::build(&config).await?;
    let addr = app.local_addr();
    let metrics_addr = app.metrics_addr();
    let running = app.run_until_stopped();
    println!("caremap listening on http://{addr}");
    if let Some(metrics) = metrics_addr {
        println!("caremap metrics on http://{metrics}/metrics");
    }
    let stopped = running.await;
    tracing::info!(?stopped, "stopped");
    Ok(())
}

/// Process settings a server needs: as many file descriptors as the hard limit allows (one
/// per connection), and a write beyond a file-size limit reported to SQLite as an error
/// instead of killing the process (SIGXFSZ's default action).
fn prepare_process() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(open_files = n, "file descriptor limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the file descriptor limit"),
    }
    #[cfg(unix)]
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGXFSZ)) {
        // Keeping the stream registered keeps the handler installed; the signal is only logged.
        Ok(mut signals) => {
            tokio::spawn(async move {
                while signals.recv().await.is_some() {
                    tracing::warn!("a write exceeded the file-size limit (SIGXFSZ)");
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "cannot handle SIGXFSZ"),
    }
}

fn gen_providers(args: &caremap::cli::GenArgs) -> Result<(), Box<dyn std::error::Error>> {
    let _lock = DbLock::acquire(&args.db)?;
    let store = SqliteStore::open(&args.db)?;
    if store.count_providers()? > 0 {
        return Err(format!("{} already holds providers; gen writes into an empty database", args.db.display()).into());
    }
    for chunk in caremap::synthetic::providers(args.count, args.seed).chunks(50_000) {
        store.insert_providers(chunk, "gen")?;
    }
    store.set_meta("dataset", "synthetic")?;
    println!("wrote {} synthetic providers to {}", args.count, args.db.display());
    Ok(())
}

/// `caremap import`: take the database's lock (unless it is a dry run), parse every file (a
/// bad file stops here, before the database is even opened), then diff and write in one
/// transaction, then print the report.
fn import_files(args: &caremap::cli::ImportArgs) -> Result<(), Box<dyn std::error::Error>> {
    use caremap::cli::ImportKind;
    use caremap::import::{ImportOptions, InputFile};
    // A running server answers from its in-memory catalog: an import written behind its back
    // would not be served, and its next edits would be diffed against stale rows. A dry run
    // only reads, so it may look at a served database.
    let _lock = if args.dry_run { None } else { Some(import_lock(&args.db)?) };
    let source = match args.source {
        ImportKind::Providers(source) => source,
        ImportKind::EstatMesh => return import_population(args),
        ImportKind::Address(source) => return import_addresses(args, source),
    };
    let options = ImportOptions {
        dry_run: args.dry_run,
        city: args.city.clone(),
        crs: args.crs,
        service: args.service.clone(),
        remove_missing: args.remove_missing,
        blank_clears: args.blank_clears,
        ..ImportOptions::new(source, "cli")
    };
    let files = args.files.iter().map(|p| InputFile::read(p)).collect::<Result<Vec<_>, _>>()?;
    let parsed = caremap::import::read(&options, &files)?;
    let store = SqliteStore::open(&args.db)?;
    let mut districts = store.load_districts()?;
    let mut seed = None;
    let bundled = args.data.join("districts.geojson");
    if districts.is_empty() && bundled.exists() {
        let text = std::fs::read_to_string(&bundled).map_err(|e| format!("{}: {e}", bundled.display()))?;
        districts = caremap::domain::parse_districts(&text).map_err(|e| format!("{}: {e}", bundled.display()))?;
        seed = Some(districts.as_slice());
    }
    let report = caremap::import::apply(&options, parsed, &store, &districts, seed, None)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

/// `caremap import --source estat-mesh`: the lock is already held (unless a dry run).
fn import_population(args: &caremap::cli::ImportArgs) -> Result<(), Box<dyn std::error::Error>> {
    let files = args.files.iter().map(|p| caremap::import::InputFile::read(p)).collect::<Result<Vec<_>, _>>()?;
    let store = SqliteStore::open(&args.db)?;
    let report = caremap::import::population::import(&store, &files, &args.columns, args.dry_run)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

/// `caremap import --source isj-oaza | isj-gaiku | abr`: the lock is already held (unless a
/// dry run).
fn import_addresses(
    args: &caremap::cli::ImportArgs,
    source: caremap::import::address::AddressSource,
) -> Result<(), Box<dyn std::error::Error>> {
    use caremap::import::address::{AddressOptions, import};
    let files = args.files.iter().map(|p| caremap::import::InputFile::read(p)).collect::<Result<Vec<_>, _>>()?;
    let store = SqliteStore::open(&args.db)?;
    let options = AddressOptions { source, dry_run: args.dry_run, city: args.city.clone(), crs: args.crs };
    let report = import(&store, &options, &files)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

/// The database's lock for `caremap import`, or a message saying how to import into a
/// database a server is running on.
fn import_lock(db: &std::path::Path) -> Result<DbLock, Box<dyn std::error::Error>> {
    match DbLock::acquire(db) {
        Ok(lock) => Ok(lock),
        Err(caremap::store::StoreError::Locked { path, holder }) => Err(format!(
            "database {path} is in use by a running caremap server{}; an import written behind its back \
             would not be served. Import on the server instead (the staff page 「公開データの取り込み」 or \
             POST /api/admin/imports), or stop the server first (--dry-run works while it runs)",
            holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// `caremap export`: every live provider, ordered by id, to a file or standard output.
fn export(args: &caremap::cli::ExportArgs) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    if !args.db.exists() {
        return Err(format!("{} does not exist", args.db.display()).into());
    }
    let store = SqliteStore::open(&args.db)?;
    let providers = store.load_providers()?;
    let districts = store.load_districts()?;
    let crs = args.crs.unwrap_or(caremap::crs::Crs::Crs84);
    match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut out =
                caremap::export::export(&providers, &districts, args.format, crs, std::io::BufWriter::new(file))?;
            out.flush()?;
        }
        None => {
            let mut out = caremap::export::export(&providers, &districts, args.format, crs, std::io::stdout().lock())?;
            out.flush()?;
        }
    }
    Ok(())
}
