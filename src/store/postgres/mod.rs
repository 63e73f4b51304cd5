//! The PostgreSQL store, for deployments with several caremap servers on one store of record.
//! The same tables as the SQLite store (the providers' columns derived from the field table
//! through [`crate::store::codec`]), migrations run at start under an advisory lock, every
//! statement parameterised. Provider writes allocate their feed seqs under one transaction-level
//! advisory lock (see [`rows::lock_feed`]) and `NOTIFY caremap_feed` with the last seq.
//!
//! The `postgres` client is synchronous (it drives tokio-postgres on a runtime of its own), so
//! it must not block inside an async task: every call runs on a thread of its own when the
//! caller is inside a Tokio runtime (see [`PgStore::run`]).

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

mod centers;
mod dump;
mod feed;
mod imports;
mod layers;
mod listen;
mod migrations;
mod providers;
mod rows;
mod users;

pub use listen::{FEED_CHANNEL, listen_for_changes};

use crate::access::TokenHash;
use crate::domain::{District, Provider, Stamp};
use crate::store::row_view::ProviderRows;
use crate::store::{
    AccountEvent, AuditQuery, Dump, FeedEntry, HistoryEntry, ImportWrite, NewUser, PopulationColumn, ProviderRecord,
    Result, SeqRange, Store, StoreError, User, Written,
};

/// Connections kept open for reuse.
const POOL_IDLE_MAX: usize = 8;
/// A pooled connection idle longer than this is checked before use (the server may have
/// restarted meanwhile, which closes it).
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(2);
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether `db` (a `--db` value) names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// `url` with its password (in the user part or a `password=` parameter) replaced by `***`,
/// for logs and messages.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        let authority_end = out[rest..].find(['/', '?']).map_or(out.len(), |i| rest + i);
        if let Some(at) = out[rest..authority_end].rfind('@') {
            let userinfo = &out[rest..rest + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(rest + colon + 1..rest + at, "***");
            }
        }
    }
    if let Some(query) = out.find('?') {
        let (head, params) = out.split_at(query + 1);
        let params: Vec<String> = params
            .split('&')
            .map(|kv| if kv.starts_with("password=") { "password=***".to_owned() } else { kv.to_owned() })
            .collect();
        out = format!("{head}{}", params.join("&"));
    }
    out
}

/// A provider store in a PostgreSQL database.
pub struct PgStore {
    config: postgres::Config,
    /// The URL as it may be shown (password replaced).
    shown: String,
    idle: Mutex<Vec<(Client, Instant)>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.shown).finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`, or with
    /// `?host=/socket/folder`) and brings its schema up to date.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when it cannot be reached (the URL in the message without
    /// its password); [`StoreError::SchemaTooNew`]; database failures.
    pub fn open(url: &str) -> Result<Self> {
        let shown = redact_url(url);
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            StoreError::Unsupported(format!("cannot read the database URL {shown}: {e}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("caremap");
        }
        let store = Self { config, shown, idle: Mutex::new(Vec::new()) };
        store.run(migrations::migrate)?;
        Ok(store)
    }

    /// The URL as it may be shown (password replaced by `***`).
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    fn connect(&self) -> Result<Client> {
        self.config.connect(NoTls).map_err(|e| StoreError::Unavailable(format!("{}: {e}", self.shown)))
    }

    /// A connection from the pool (checked if it was idle for a while) or a new one.
    fn checkout(&self) -> Result<Client> {
        loop {
            let pooled = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
            match pooled {
                None => return self.connect(),
                Some((mut client, since)) => {
                    if client.is_closed() {
                        continue;
                    }
                    if since.elapsed() > CHECK_AFTER_IDLE && client.simple_query("").is_err() {
                        continue;
                    }
                    return Ok(client);
                }
            }
        }
    }

    fn checkin(&self, client: Client) {
        if client.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < POOL_IDLE_MAX {
            idle.push((client, Instant::now()));
        }
    }

    fn run_here<T>(&self, f: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
        let mut client = self.checkout()?;
        let result = f(&mut client);
        // A connection whose transaction failed half-way is rolled back by the drop of the
        // transaction; one that lost the server is closed and not kept. The pooled ones then
        // lost it too (a restart or failover closes them all), though an idle synchronous
        // client cannot notice: they are dropped, so the first write after the database
        // returns gets a new connection instead of a stale one and a 503.
        if client.is_closed() {
            let stale = std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
            drop(stale);
        }
        self.checkin(client);
        result
    }

    /// Runs `f` with a connection. Inside a Tokio runtime (an async handler, start-up, even a
    /// `spawn_blocking` thread) it runs on a scoped thread of its own: the synchronous client
    /// blocks on a runtime of its own, which Tokio refuses inside another one.
    fn run<T: Send>(&self, f: impl FnOnce(&mut Client) -> Result<T> + Send) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_err() {
            return self.run_here(f);
        }
        std::thread::scope(|s| {
            s.spawn(|| self.run_here(f)).join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for PgStore {
    /// Closing a connection blocks on the client's own runtime, which Tokio refuses inside
    /// another one: the pooled connections are closed on a thread of their own.
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(PoisonError::into_inner));
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

impl Store for PgStore {
    fn load_snapshot_chunked(&self, chunk: usize, each: &mut dyn FnMut(ProviderRows) -> Result<()>) -> Result<i64> {
        // `each` is not Send (it builds the caller's catalog), so the rows cross from the
        // connection's thread through a channel in chunks.
        let (tx, rx) = std::sync::mpsc::sync_channel::<ProviderRows>(2);
        let mut failure: Option<StoreError> = None;
        let seq = std::thread::scope(|s| {
            let reader = s.spawn(move || self.run_here(|c| feed::load_snapshot(c, chunk, &tx)));
            for batch in rx.iter() {
                if let Err(e) = each(batch) {
                    failure = Some(e);
                    // The reader stops at its next send.
                    break;
                }
            }
            drop(rx);
            reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })?;
        match failure {
            Some(e) => Err(e),
            None => Ok(seq),
        }
    }

    fn last_seq(&self) -> Result<i64> {
        self.run(feed::last_seq)
    }

    fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<FeedEntry>> {
        self.run(|c| feed::changes_since(c, after, limit))
    }

    fn count_providers(&self) -> Result<u64> {
        self.run(|c| {
            let n: i64 = c.query_one("SELECT COUNT(*) FROM providers WHERE deleted_at IS NULL", &[])?.get(0);
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn insert_providers(&self, providers: &[Provider], action: &str) -> Result<Option<SeqRange>> {
        self.run(|c| imports::insert_providers(c, providers, action))
    }

    fn load_districts(&self) -> Result<Vec<District>> {
        self.run(layers::load_districts)
    }

    fn replace_districts(&self, districts: &[District]) -> Result<()> {
        self.run(|c| {
            let mut tx = c.transaction()?;
            layers::write_districts(&mut tx, districts)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn load_population(&self) -> Result<Vec<PopulationColumn>> {
        self.run(layers::load_population)
    }

    fn has_population(&self) -> Result<bool> {
        self.run(|c| Ok(c.query_one("SELECT EXISTS (SELECT 1 FROM population_columns)", &[])?.get(0)))
    }

    fn replace_population(&self, columns: &[PopulationColumn]) -> Result<()> {
        self.run(|c| layers::replace_population(c, columns))
    }

    fn for_each_address(&self, each: &mut dyn FnMut(&crate::address::AddressPoint)) -> Result<()> {
        // As the snapshot: `each` stays on the caller's thread.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<crate::address::AddressPoint>>(2);
        std::thread::scope(|s| {
            let reader = s.spawn(move || self.run_here(|c| layers::read_addresses(c, &tx)));
            for batch in rx.iter() {
                batch.iter().for_each(&mut *each);
            }
            reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    fn has_addresses(&self) -> Result<bool> {
        self.run(|c| Ok(c.query_one("SELECT EXISTS (SELECT 1 FROM address_points)", &[])?.get(0)))
    }

    fn replace_addresses(
        &self,
        source: &str,
        cities: &[String],
        points: &[crate::address::AddressPoint],
    ) -> Result<()> {
        self.run(|c| layers::replace_addresses(c, source, cities, points))
    }

    fn load_community_centers(&self) -> Result<Vec<crate::address::centers::CommunityCenter>> {
        self.run(layers::load_centers)
    }

    fn replace_community_centers(
        &self,
        centers: &[crate::address::centers::CommunityCenter],
        actor: &str,
    ) -> Result<()> {
        self.run(|c| centers::replace_centers(c, centers, actor))
    }

    fn community_centers_version(&self) -> Result<i64> {
        self.run(centers::layer_version)
    }

    fn write_community_center(&self, write: &crate::store::CenterWrite<'_>) -> Result<i64> {
        self.run(|c| centers::write_center(c, write))
    }

    fn community_center_events(&self, limit: usize) -> Result<Vec<crate::store::CenterEvent>> {
        self.run(|c| centers::center_events(c, limit))
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.run(|c| Ok(c.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?.map(|r| r.get(0))))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.run(|c| {
            layers::set_meta(c, key, value)?;
            Ok(())
        })
    }

    fn provider_record(&self, id: &str) -> Result<Option<ProviderRecord>> {
        self.run(|c| rows::read_record(c, id, false))
    }

    fn create_provider(&self, provider: &Provider, stamp: &Stamp) -> Result<Written> {
        self.run(|c| providers::create_provider(c, provider, stamp))
    }

    fn create_provider_with_new_id(&self, provider: &Provider, prefix: &str, stamp: &Stamp) -> Result<Written> {
        self.run(|c| providers::create_provider_with_new_id(c, provider, prefix, stamp))
    }

    fn update_provider(&self, provider: &Provider, expected: &[i64], stamp: &Stamp, action: &str) -> Result<Written> {
        self.run(|c| providers::update_provider(c, provider, expected, stamp, action))
    }

    fn set_deleted(&self, id: &str, deleted: bool, expected: &[i64], stamp: &Stamp) -> Result<Written> {
        self.run(|c| providers::set_deleted(c, id, deleted, expected, stamp))
    }

    fn provider_version(&self, id: &str, version: i64) -> Result<Provider> {
        self.run(|c| providers::provider_version(c, id, version))
    }

    fn provider_history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        self.run(|c| providers::provider_history(c, id))
    }

    fn audit_log(&self, query: &AuditQuery) -> Result<Vec<HistoryEntry>> {
        self.run(|c| providers::audit_log(c, query))
    }

    fn create_user(&self, new: &NewUser<'_>) -> Result<User> {
        self.run(|c| users::add_user(c, new))
    }

    fn rotate_user(&self, name: &str, token_hash: &TokenHash, expires_at: Option<String>, actor: &str) -> Result<User> {
        self.run(|c| users::rotate_user(c, name, token_hash, expires_at, actor))
    }

    fn account_events(&self, query: &AuditQuery) -> Result<Vec<AccountEvent>> {
        self.run(|c| users::account_events(c, query))
    }

    fn users(&self) -> Result<Vec<User>> {
        self.run(users::users)
    }

    fn revoke_user_by(&self, name: &str, actor: &str) -> Result<bool> {
        self.run(|c| users::revoke_user(c, name, actor))
    }

    fn user_by_token_hash(&self, token_hash: &TokenHash) -> Result<Option<User>> {
        self.run(|c| users::user_by_token_hash(c, token_hash))
    }

    fn load_provider_records(&self) -> Result<Vec<ProviderRecord>> {
        self.run(imports::load_provider_records)
    }

    fn load_provider_records_of(&self, ids: &[&str]) -> Result<Vec<ProviderRecord>> {
        self.run(|c| imports::load_provider_records_of(c, ids))
    }

    fn apply_import(&self, write: &ImportWrite, seed_districts: Option<&[District]>) -> Result<Option<SeqRange>> {
        self.run(|c| imports::apply_import(c, write, seed_districts))
    }

    fn dump(&self) -> Result<Dump> {
        self.run(dump::dump)
    }

    fn restore_dump(&self, dump: &Dump) -> Result<()> {
        self.run(|c| dump::restore(c, dump))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_hidden_wherever_the_url_carries_it() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.example:5432/caremap"),
            "postgres://app:***@db.example:5432/caremap"
        );
        assert_eq!(redact_url("postgresql://app@db/caremap"), "postgresql://app@db/caremap");
        assert_eq!(
            redact_url("postgres:///caremap?host=/run/pg&password=s3cret&user=app"),
            "postgres:///caremap?host=/run/pg&password=***&user=app"
        );
        assert_eq!(redact_url("postgres://a:b:c@h/d"), "postgres://a:***@h/d");
    }

    #[test]
    fn only_postgres_urls_select_the_postgres_store() {
        assert!(is_postgres_url("postgres://h/d") && is_postgres_url("postgresql://h/d"));
        assert!(!is_postgres_url("caremap.db") && !is_postgres_url("/var/lib/postgres/x.db"));
    }
}
