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
