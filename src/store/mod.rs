//! The durable store of record. All SQL lives below this module, behind [`Store`], so another
//! backend (PostgreSQL/PostGIS for multi-replica deployments) can be added without touching
//! the HTTP layer or the catalog. Provider writes come only from [`crate::write`], and each
//! committed provider change gets its seq in the change feed in the same transaction.

pub mod codec;
mod dump;
mod error;
mod location;
pub mod postgres;
pub mod row_view;
mod sqlite;

pub use dump::{Dump, HistoryRow, UserRow};
pub use error::{Result, StoreError};
pub use location::{DbLocation, open_store, open_store_held, shown_db};
pub use postgres::PgStore;
pub use row_view::{ProviderRows, RowView, SqlRef};
pub use sqlite::backup as sqlite_file;
pub use sqlite::{DbLock, ImportRemoval, ImportUpsert, ImportWrite, SqliteStore, UpsertBase, lock_path};

/// The `meta` key holding the RFC 3339 UTC time of the last committed import.
pub const LAST_IMPORT_META: &str = "last_import_at";

use crate::access::{Role, TokenHash};
use crate::domain::{District, Provider, Stamp};

/// A provider as the staff see it: the live fields and whether it is soft-deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderRecord {
    /// The provider (its `version` is the current one).
    pub provider: Provider,
    /// RFC 3339 UTC time of the soft delete; `None` while the provider is live.
    pub deleted_at: Option<String>,
}

/// The seqs a committed write was given in the change feed: `first..=last`, consecutive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    /// The seq of the write's first change.
    pub first: i64,
    /// The seq of its last change.
    pub last: i64,
}

impl SeqRange {
    /// One change.
    pub fn one(seq: i64) -> Self {
        Self { first: seq, last: seq }
    }
}

/// A provider after a staff write, and the seq of the change in the feed (`None` when the
/// write changed nothing and so committed nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The provider as stored now.
    pub record: ProviderRecord,
    /// The change's seq.
    pub seq: Option<i64>,
}

/// One committed provider change of the feed, with the provider as it was after it: enough
/// for a catalog that holds every change before `seq` to hold every change up to `seq`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    /// Position in the feed (strictly increasing in commit order, without gaps).
    pub seq: i64,
    /// The provider id.
    pub provider_id: String,
    /// The version the change produced.
    pub version: i64,
    /// What was done (see [`crate::domain::action`]; bulk loads use their own labels).
    pub action: String,
    /// RFC 3339 UTC time of the change.
    pub changed_at: String,
    /// The account (or loader) that made it.
    pub changed_by: String,
    /// The provider after the change.
    pub provider: Provider,
    /// Whether the change left the provider soft-deleted (not served).
    pub deleted: bool,
}

/// One entry of a provider's history: the provider as it was after the change, and as it
/// was before (for the diff).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// Position in the global change log (increasing in commit order).
    pub seq: i64,
    /// The provider id.
    pub provider_id: String,
    /// The version the change produced.
    pub version: i64,
    /// What was done (see [`crate::domain::action`]; bulk loads use their own labels).
    pub action: String,
    /// RFC 3339 UTC time of the change.
    pub changed_at: String,
    /// The user (or loader) who made it.
    pub changed_by: String,
    /// The provider after the change.
    pub after: Provider,
    /// The provider before the change; `None` for its first entry.
    pub before: Option<Provider>,
}

/// Which part of the global change log to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only changes at or after this RFC 3339 UTC time (`YYYY-MM-DDTHH:MM:SSZ`).
    pub since: Option<String>,
    /// Only changes after this sequence number (the cursor of the previous page).
    pub after_seq: Option<i64>,
    /// At most this many entries.
    pub limit: usize,
}

/// A staff user (never with the token hash: it does not leave the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Unique name, recorded as `changed_by`.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// RFC 3339 UTC creation time.
    pub created_at: String,
    /// RFC 3339 UTC time the token was revoked; `None` while it is valid.
    pub revoked_at: Option<String>,
    /// RFC 3339 UTC time from which the token is refused; `None`: it does not expire.
    pub expires_at: Option<String>,
    /// The provider ids a provider account is bound to, in the order given; empty for staff.
    pub providers: Vec<String>,
}

impl User {
    /// Whether the token has expired at `now` (RFC 3339 UTC, the stored form, so the text
    /// order is the time order).
    pub fn expired_at(&self, now: &str) -> bool {
        self.expires_at.as_deref().is_some_and(|t| t <= now)
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Unique name (already validated).
    pub name: &'a str,
    /// What the user may do.
    pub role: Role,
    /// SHA-256 of the new token.
    pub token_hash: &'a TokenHash,
    /// When the token stops working (RFC 3339 UTC); `None`: never.
    pub expires_at: Option<String>,
    /// Who creates the user, for the account log (`cli:root`).
    pub actor: &'a str,
    /// The provider ids a provider account is bound to (each must exist); empty for staff.
    pub providers: &'a [String],
}

/// One entry of the account log: a user added, rotated or revoked, and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountEvent {
    /// Position in the account log (increasing in commit order).
    pub seq: i64,
    /// The account changed.
    pub user_name: String,
    /// `user_add`, `user_rotate` or `user_revoke`.
    pub action: String,
    /// The account's role after the change.
    pub role: String,
    /// The token's expiry after the change.
    pub expires_at: Option<String>,
    /// RFC 3339 UTC time of the change.
    pub changed_at: String,
    /// Who made it.
    pub changed_by: String,
}

/// One change to the 地域包括支援センター layer: a centre created, replaced or deleted by staff.
#[derive(Debug, Clone)]
pub struct CenterWrite<'a> {
    /// The centre's id.
    pub id: &'a str,
    /// The centre after the change; `None` deletes it.
    pub after: Option<&'a crate::address::centers::CommunityCenter>,
    /// A new centre (the id must not exist) rather than a replacement (it must).
    pub create: bool,
    /// The layer versions the writer has seen (`If-Match`); another current version refuses
    /// the write.
    pub expected: &'a [i64],
    /// Who makes it.
    pub changed_by: &'a str,
    /// RFC 3339 UTC time.
    pub changed_at: &'a str,
}

/// One entry of the 地域包括支援センター log.
#[derive(Debug, Clone, PartialEq)]
pub struct CenterEvent {
    /// Position in the log (increasing in commit order).
    pub seq: i64,
    /// The centre.
    pub center_id: String,
    /// `create`, `update`, `delete` or `import`.
    pub action: String,
    /// The layer's version after the change.
    pub layer_version: i64,
    /// RFC 3339 UTC time of the change.
    pub changed_at: String,
    /// Who made it.
    pub changed_by: String,
    /// The fields changed, old → new.
    pub changes: Vec<crate::address::centers::CenterFieldChange>,
}

/// The actor recorded by the store methods that take none.
pub const UNKNOWN_ACTOR: &str = "unknown";

/// One population column per grid square (e.g. 75歳以上人口 at 500 m from the census).
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationColumn {
    /// The table's value code (`T001141022`), how `population=` names it.
    pub code: String,
    /// The Japanese label (`７５歳以上人口　総数`).
    pub label: String,
    /// The level of its squares.
    pub level: crate::spatial::mesh::MeshLevel,
    /// Where it came from (`estat-mesh: <file names>`, or `sample`).
    pub source: String,
    /// RFC 3339 UTC time it was stored (`None` before).
    pub imported_at: Option<String>,
    /// The squares and their counts; `None` where the count was suppressed (it is inside
    /// another square).
    pub counts: Vec<(crate::spatial::mesh::MeshCell, Option<f64>)>,
}

/// What a store keeps: providers (with their history), districts and a few settings.
pub trait Store: Send + Sync {
    /// Every provider that is not deleted, ordered by id.
    ///
    /// # Errors
    /// On a database failure or an unreadable row.
    fn load_providers(&self) -> Result<Vec<Provider>> {
        let mut all = Vec::new();
        self.load_providers_chunked(8192, &mut |chunk| {
            all.extend(chunk);
            Ok(())
        })?;
        Ok(all)
    }

    /// Every provider that is not deleted, ordered by id, handed to `each` in chunks of about
    /// `chunk` providers as they are read, so a large catalog can be built while it is read and
    /// never sits in memory twice.
    ///
    /// # Errors
    /// On a database failure or an unreadable row; what `each` returns.
    fn load_providers_chunked(&self, chunk: usize, each: &mut dyn FnMut(Vec<Provider>) -> Result<()>) -> Result<()> {
        self.load_snapshot_chunked(chunk, &mut |rows| each(rows.providers()?)).map(|_| ())
    }

    /// Every provider that is not deleted, in id order and in chunks as
    /// [`Store::load_providers_chunked`], and the feed's last seq, read in one read transaction:
    /// a consistent snapshot, to which exactly the changes after that seq are missing. The
    /// chunks hold the rows as read ([`ProviderRows`]), for the receiver to decode (the catalog
    /// builds its records from them in place, on another thread).
    ///
    /// # Errors
    /// On a database failure or an unreadable value; what `each` returns.
    fn load_snapshot_chunked(&self, chunk: usize, each: &mut dyn FnMut(ProviderRows) -> Result<()>) -> Result<i64>;

    /// The seq of the last committed provider change (0 before the first).
    ///
    /// # Errors
    /// On a database failure.
    fn last_seq(&self) -> Result<i64>;

    /// The committed provider changes after seq `after`, in seq order, at most `limit`; each
    /// with the provider as it was after it (what a catalog applies to catch up).
    ///
    /// # Errors
    /// On a database failure or an unreadable entry.
    fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<FeedEntry>>;

    /// Number of providers that are not deleted.
    ///
    /// # Errors
    /// On a database failure.
    fn count_providers(&self) -> Result<u64>;

    /// Whether any provider is not deleted: what start-up asks (twice) to tell an empty store,
    /// without counting a national one (a `COUNT(*)` walks every row: ~0.16 s at 1 M on SQLite).
    ///
    /// # Errors
    /// On a database failure.
    fn has_providers(&self) -> Result<bool> {
        Ok(self.count_providers()? > 0)
    }

    /// Inserts new providers as they are (versions, times and authors kept) in one
    /// transaction (all or none), each with a history entry labelled `action` (e.g.
    /// `"load-data"`, `"gen"`). Returns the seqs given to them (`None` for no providers).
    ///
    /// # Errors
    /// On a database failure (including a duplicate id); nothing is written then.
    fn insert_providers(&self, providers: &[Provider], action: &str) -> Result<Option<SeqRange>>;

    /// The stored districts, in their defined order.
    ///
    /// # Errors
    /// On a database failure or an unreadable geometry.
    fn load_districts(&self) -> Result<Vec<District>>;

    /// Replaces all districts in one transaction.
    ///
    /// # Errors
    /// On a database failure; nothing is written then.
    fn replace_districts(&self, districts: &[District]) -> Result<()>;

    /// Every population column with its squares.
    ///
    /// # Errors
    /// On a database failure or an unreadable row.
    fn load_population(&self) -> Result<Vec<PopulationColumn>>;

    /// Whether any population column is stored (cheaper than loading them).
    ///
    /// # Errors
    /// On a database failure.
    fn has_population(&self) -> Result<bool>;

    /// Replaces the given population columns (by code) in one transaction; other columns stay.
    ///
    /// # Errors
    /// On a database failure (nothing is written then).
    fn replace_population(&self, columns: &[PopulationColumn]) -> Result<()>;

    /// Calls `each` with every stored address point (町字, 街区, 住居), in no given order.
    ///
    /// # Errors
    /// On a database failure or an unreadable row.
    fn for_each_address(&self, each: &mut dyn FnMut(&crate::address::AddressPoint)) -> Result<()>;

    /// Whether any address point is stored.
    ///
    /// # Errors
    /// On a database failure.
    fn has_addresses(&self) -> Result<bool>;

    /// Replaces the address points of `source` and of the sample in `cities` (five-digit
    /// codes) with `points`, in one transaction.
    ///
    /// # Errors
    /// On a database failure (nothing is written then).
    fn replace_addresses(&self, source: &str, cities: &[String], points: &[crate::address::AddressPoint])
    -> Result<()>;

    /// Every 地域包括支援センター with its 担当区域, in the order they were stored.
    ///
    /// # Errors
    /// On a database failure or an unreadable row.
    fn load_community_centers(&self) -> Result<Vec<crate::address::centers::CommunityCenter>>;

    /// Replaces every 地域包括支援センター, in one transaction, logging each centre added,
    /// changed or removed as `import` by `actor` and advancing the layer's version.
    ///
    /// # Errors
    /// On a database failure (nothing is written then).
    fn replace_community_centers(
        &self,
        centers: &[crate::address::centers::CommunityCenter],
        actor: &str,
    ) -> Result<()>;

    /// The 地域包括支援センター layer's version (1 before any change): the ETag staff edits
    /// name in `If-Match`.
    ///
    /// # Errors
    /// On a database failure.
    fn community_centers_version(&self) -> Result<i64>;

    /// Creates, replaces or deletes one centre, in one transaction with its log entry, and
    /// returns the layer's new version.
    ///
    /// # Errors
    /// [`StoreError::LayerVersion`] when the layer is at another version than `expected`;
    /// [`StoreError::Duplicate`] for a create of an existing id, [`StoreError::NotFound`] for
    /// a change of a missing one; a database failure. Nothing is written then.
    fn write_community_center(&self, write: &CenterWrite<'_>) -> Result<i64>;

    /// The newest `limit` entries of the 地域包括支援センター log, newest first.
    ///
    /// # Errors
    /// On a database failure or an unreadable entry.
    fn community_center_events(&self, limit: usize) -> Result<Vec<CenterEvent>>;

    /// A setting, e.g. `dataset`.
    ///
    /// # Errors
    /// On a database failure.
    fn meta(&self, key: &str) -> Result<Option<String>>;

    /// Sets a setting.
    ///
    /// # Errors
    /// On a database failure.
    fn set_meta(&self, key: &str, value: &str) -> Result<()>;

    /// A provider, live or soft-deleted.
    ///
    /// # Errors
    /// On a database failure or an unreadable row.
    fn provider_record(&self, id: &str) -> Result<Option<ProviderRecord>>;

    /// Creates a provider as version 1 stamped with `stamp`, with a `create` history entry, in
    /// one transaction. The caller derives the district.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when the id exists (also when soft-deleted); database failures.
    fn create_provider(&self, provider: &Provider, stamp: &Stamp) -> Result<Written>;

    /// Creates a provider like [`Store::create_provider`] under a new id `<prefix><n>` chosen
    /// inside the write transaction: n is one more than the largest number following `prefix`
    /// in any stored id, soft-deleted ones included. The id of `provider` is ignored.
    ///
    /// # Errors
    /// Database failures ([`StoreError::Duplicate`] only if an id such as `<prefix>07` hides
    /// the next number).
    fn create_provider_with_new_id(&self, provider: &Provider, prefix: &str, stamp: &Stamp) -> Result<Written>;

    /// Replaces the fields of a live provider if its current version is one of `expected`:
    /// the next version, stamped with `stamp`, with a history entry labelled `action`
    /// (`update` or `revert`), in one transaction. An `update` that changes no field writes
    /// nothing and returns the current record (with no seq).
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::VersionMismatch`] (with the current record),
    /// [`StoreError::Deleted`]; database failures. Nothing is written on an error.
    fn update_provider(&self, provider: &Provider, expected: &[i64], stamp: &Stamp, action: &str) -> Result<Written>;

    /// Soft-deletes (`deleted = true`) or restores a provider whose current version is one of
    /// `expected`: the next version, stamped with `stamp`, with a `delete` or `restore`
    /// history entry.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::VersionMismatch`], [`StoreError::Deleted`]
    /// (delete of a deleted provider), [`StoreError::NotDeleted`] (restore of a live one).
    fn set_deleted(&self, id: &str, deleted: bool, expected: &[i64], stamp: &Stamp) -> Result<Written>;

    /// The provider as it was at `version`, from its history.
    ///
    /// # Errors
    /// [`StoreError::UnknownVersion`] when it never had that version; database failures.
    fn provider_version(&self, id: &str, version: i64) -> Result<Provider>;

    /// Every history entry of a provider, newest first (empty for an unknown id).
    ///
    /// # Errors
    /// On a database failure or an unreadable entry.
    fn provider_history(&self, id: &str) -> Result<Vec<HistoryEntry>>;

    /// The global change log in commit order.
    ///
    /// # Errors
    /// On a database failure or an unreadable entry.
    fn audit_log(&self, query: &AuditQuery) -> Result<Vec<HistoryEntry>>;

    /// Adds a user with the hash of a new token and logs it (`user_add`, by `new.actor`). A
    /// revoked user of the same name is replaced (re-issued), keeping the name in the history
    /// meaningful.
    ///
    /// # Errors
    /// [`StoreError::UserExists`] when an active user has the name; database failures.
    fn create_user(&self, new: &NewUser<'_>) -> Result<User>;

    /// [`Store::create_user`] without expiry, by [`UNKNOWN_ACTOR`].
    ///
    /// # Errors
    /// As [`Store::create_user`].
    fn add_user(&self, name: &str, role: Role, token_hash: &TokenHash) -> Result<User> {
        self.create_user(&NewUser { name, role, token_hash, expires_at: None, actor: UNKNOWN_ACTOR, providers: &[] })
    }

    /// Replaces a user's token (the old one stops working at once) and its expiry, lifts a
    /// revocation, and logs it (`user_rotate`, by `actor`).
    ///
    /// # Errors
    /// [`StoreError::UnknownUser`]; database failures.
    fn rotate_user(&self, name: &str, token_hash: &TokenHash, expires_at: Option<String>, actor: &str) -> Result<User>;

    /// The account log (users added, rotated, revoked) in commit order.
    ///
    /// # Errors
    /// On a database failure.
    fn account_events(&self, query: &AuditQuery) -> Result<Vec<AccountEvent>>;

    /// Every user, by name.
    ///
    /// # Errors
    /// On a database failure.
    fn users(&self) -> Result<Vec<User>>;

    /// Revokes a user's token and logs it (`user_revoke`, by `actor`). Returns `false` (and
    /// logs nothing) when it was already revoked.
    ///
    /// # Errors
    /// [`StoreError::UnknownUser`]; database failures.
    fn revoke_user_by(&self, name: &str, actor: &str) -> Result<bool>;

    /// [`Store::revoke_user_by`] by [`UNKNOWN_ACTOR`].
    ///
    /// # Errors
    /// As [`Store::revoke_user_by`].
    fn revoke_user(&self, name: &str) -> Result<bool> {
        self.revoke_user_by(name, UNKNOWN_ACTOR)
    }

    /// The user whose token has this hash, if any (revoked users included; the caller refuses
    /// them). The hash is compared in constant time after the indexed lookup.
    ///
    /// # Errors
    /// On a database failure.
    fn user_by_token_hash(&self, token_hash: &TokenHash) -> Result<Option<User>>;

    /// Every provider, live or soft-deleted, ordered by id (what an import diffs against).
    ///
    /// # Errors
    /// On a database failure or an unreadable row.
    fn load_provider_records(&self) -> Result<Vec<ProviderRecord>>;

    /// The providers with these ids, live or soft-deleted, ordered by id; ids not stored are
    /// left out (what an import that adds and updates but removes nothing diffs against: a
    /// 100 k-row file needs 100 k records, not every provider of a national catalog).
    ///
    /// # Errors
    /// On a database failure or an unreadable row.
    fn load_provider_records_of(&self, ids: &[&str]) -> Result<Vec<ProviderRecord>>;

    /// Writes a planned import in one transaction: each upsert if its id is still at the
    /// planned base version (absent for new ids), each removal (soft delete) likewise, each
    /// with its history entry; the districts, when given (a database that had none); and the
    /// import's time as [`LAST_IMPORT_META`], when `write.imported_at` is set. Returns the
    /// seqs of the provider changes (`None` when it changed no provider).
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] or [`StoreError::VersionMismatch`] when a provider changed
    /// since the plan was made; database failures. Nothing is written on an error.
    fn apply_import(&self, write: &ImportWrite, seed_districts: Option<&[District]>) -> Result<Option<SeqRange>>;

    /// Everything the store holds (what `caremap migrate` copies), read in one transaction.
    ///
    /// # Errors
    /// On a database failure or an unreadable row; [`StoreError::Unsupported`] for a store
    /// that cannot be copied.
    fn dump(&self) -> Result<Dump> {
        Err(StoreError::Unsupported("this store cannot be copied".into()))
    }

    /// Writes `dump` into this store in one transaction, keeping seqs, versions and token
    /// hashes. Refused unless the store is empty.
    ///
    /// # Errors
    /// [`StoreError::Unsupported`] naming what the store already holds; database failures
    /// (nothing is written then).
    fn restore_dump(&self, _dump: &Dump) -> Result<()> {
        Err(StoreError::Unsupported("this store cannot be written as a copy".into()))
    }
}
