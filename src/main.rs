//! The `caremap` binary: parse the command line, run the command.

use std::process::ExitCode;

use caremap::cli::{Cli, Command};
use caremap::store::{SqliteStore, Store};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("CAREMAP_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let result: Result<(), Box<dyn std::error::Error>> = match Cli::parse().command {
        Command::Serve(config) => serve(config).await,
        Command::Import(args) => import_files(&args),
        Command::Export(args) => export(&args),
        Command::User(command) => caremap::accounts::run(&command, &mut std::io::stdout().lock()),
        Command::Gen(args) => gen_providers(&args),
        Command::Sample(args) => caremap::sample::write(&args.out).map_err(Into::into),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("caremap: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: caremap::config::ServeConfig) -> Result<(), Box<dyn std::error::Error>> {
    let app = caremap::startup::Application::build(&config).await?;
    println!("caremap listening on http://{}", app.local_addr());
    app.run_until_stopped().await?;
    Ok(())
}

fn gen_providers(args: &caremap::cli::GenArgs) -> Result<(), Box<dyn std::error::Error>> {
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

/// `caremap import`: parse every file first (a bad file stops here, before the database is
/// even opened), then diff and write in one transaction, then print the report.
fn import_files(args: &caremap::cli::ImportArgs) -> Result<(), Box<dyn std::error::Error>> {
    use caremap::import::{ImportOptions, InputFile};
    let options = ImportOptions {
        dry_run: args.dry_run,
        city: args.city.clone(),
        crs: args.crs,
        service: args.service.clone(),
        remove_missing: args.remove_missing,
        ..ImportOptions::new(args.source, "cli")
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

/// `caremap export`: every live provider, ordered by id, to a file or standard output.
fn export(args: &caremap::cli::ExportArgs) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    if !args.db.exists() {
        return Err(format!("{} does not exist", args.db.display()).into());
    }
    let providers = SqliteStore::open(&args.db)?.load_providers()?;
    let crs = args.crs.unwrap_or(caremap::crs::Crs::Crs84);
    match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut out = caremap::export::export(&providers, args.format, crs, std::io::BufWriter::new(file))?;
            out.flush()?;
        }
        None => {
            let mut out = caremap::export::export(&providers, args.format, crs, std::io::stdout().lock())?;
            out.flush()?;
        }
    }
    Ok(())
}
