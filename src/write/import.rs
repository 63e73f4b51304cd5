//! Imports through the door: [`crate::import`] reads the files and plans the rows against the
//! stored ones; the door derives (one stamp for the whole import, districts), commits the plan
//! in one transaction and publishes it.

use crate::catalog::Change;
use crate::domain::{District, Stamp};
use crate::import::{self, ImportError, ImportOptions, Parsed, Report, Source};
use crate::store::ImportWrite;

use super::Door;

impl Door {
    /// Diffs what was read against the store and, unless `options.dry_run`, writes it in one
    /// transaction with the import's time (the store's last import time, also in the
    /// report's `imported_at`), then publishes the changes. Providers are placed in
    /// `seed_districts` when given (written in the same transaction: a database that had none
    /// yet), else in the districts of the catalog (or store) as they are. What is added,
    /// changed and removed is [`import::plan`]'s.
    ///
    /// A dry run writes nothing, so it neither waits for nor holds up other writes; a real
    /// import holds the door from its diff to its publish, so a staff edit waits for it
    /// instead of making its diff stale.
    ///
    /// # Errors
    /// [`ImportError::Store`] on a database failure or when a provider changed between the
    /// diff and the write; nothing is written then.
    pub fn import(
        &self,
        options: &ImportOptions,
        parsed: Parsed,
        seed_districts: Option<&[District]>,
    ) -> Result<Report, ImportError> {
        let _guard = (!options.dry_run).then(|| self.locked());
        let started = std::time::Instant::now();
        // Removing the providers a file leaves out, and matching notifications to clinics,
        // need every stored provider; adding and updating need only those the file names.
        let existing = if options.remove_missing || options.source == Source::Kouseikyoku {
            self.store.load_provider_records()?
        } else {
            let ids: Vec<&str> = parsed.providers.iter().map(|p| p.id.as_str()).collect();
            self.store.load_provider_records_of(&ids)?
        };
        let loaded_ms = started.elapsed().as_millis() as u64;
        let stamp = Stamp::now(options.actor.clone());
        let (write, mut report) = match seed_districts {
            Some(districts) => import::plan(options, parsed, existing, districts, &stamp),
            None => self.with_districts(|districts| import::plan(options, parsed, existing, districts, &stamp))?,
        };
        let planned_ms = started.elapsed().as_millis() as u64;
        tracing::info!(loaded_ms, planned_ms, writes = write.len(), "import planned");
        if options.dry_run {
            free_beside(write);
            return Ok(report);
        }
        // Written even when no provider changes: the import's time is recorded with it.
        let seqs = self.store.apply_import(&write, seed_districts)?;
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "import committed");
        let mut unpublished = Some(write);
        if let Some(seqs) = seqs {
            self.publish(seqs, || {
                let (upserted, removals) = unpublished.take().map(ImportWrite::into_parts).unwrap_or_default();
                let mut changes: Vec<Change> = upserted.into_iter().map(|p| Change::Upsert(Box::new(p))).collect();
                changes.extend(removals.into_iter().map(|r| Change::Remove(r.provider.id)));
                changes
            })?;
        }
        // No catalog took the providers (the `import` command): they are freed beside.
        if let Some(write) = unpublished {
            free_beside(write);
        }
        report.dry_run = false;
        report.imported_at = Some(stamp.at);
        Ok(report)
    }
}

/// Frees `value` on a thread of its own. A million planned providers are some ten million
/// allocations, 0.1–0.2 s to free, which the caller need not wait for: the `import` command
/// prints its report and exits meanwhile (its exit then returns the memory at once). When no
/// thread can be started, `value` is freed here.
fn free_beside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().name("import-free".into()).spawn(move || drop(value));
}
