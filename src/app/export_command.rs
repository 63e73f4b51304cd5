//! `caremap export`: the stored dataset as GeoJSON or CSV, in a chosen CRS.

use std::io::Write;

use crate::app::cli::ExportArgs;
use crate::formats::export;
use crate::spatial::crs::Crs;
use crate::store::{DbLocation, open_store};

/// `caremap export`: every live provider, ordered by id, to a file or standard output.
pub fn export(args: &ExportArgs) -> Result<(), Box<dyn std::error::Error>> {
    if matches!(DbLocation::of(&args.db), DbLocation::Sqlite(_)) && !args.db.exists() {
        return Err(format!("{} does not exist", args.db.display()).into());
    }
    let store = open_store(&args.db)?;
    let providers = store.load_providers()?;
    let districts = store.load_districts()?;
    let crs = args.crs.unwrap_or(Crs::Crs84);
    match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut out = export::export(&providers, &districts, args.format, crs, std::io::BufWriter::new(file))?;
            out.flush()?;
        }
        None => {
            let mut out = export::export(&providers, &districts, args.format, crs, std::io::stdout().lock())?;
            out.flush()?;
        }
    }
    Ok(())
}
