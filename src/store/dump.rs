//! Everything a store holds, as plain rows: what `caremap migrate` copies from one store to
//! another (SQLite ↔ PostgreSQL), keeping versions, soft deletes, the history with its seqs
//! (the feed position), token hashes and the account log.

use crate::address::AddressPoint;
use crate::address::centers::CommunityCenter;
use crate::domain::District;
use crate::store::{AccountEvent, CenterEvent, PopulationColumn, ProviderRecord, User};

/// Every table a copy writes, which it must find empty on the target (both backends).
pub const TABLES: [&str; 11] = [
    "providers",
    "provider_history",
    "users",
    "user_providers",
    "account_events",
    "districts",
    "population_columns",
    "address_points",
    "community_centers",
    "community_center_events",
    "meta",
];

/// One history (feed) entry as stored: the provider after the change, as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// Position in the feed.
    pub seq: i64,
    /// The provider id.
    pub provider_id: String,
    /// The version the change produced.
    pub version: i64,
    /// What was done.
    pub action: String,
    /// The provider after the change (JSON, as stored).
    pub data: String,
    /// RFC 3339 UTC time of the change.
    pub changed_at: String,
    /// Who made it.
    pub changed_by: String,
}

/// A user (a provider account with the ids it is bound to) with the hash of its token (which leaves a store only to enter another).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// The user.
    pub user: User,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
}

/// The whole content of a store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dump {
    /// Every provider, live or soft-deleted, by id.
    pub providers: Vec<ProviderRecord>,
    /// The history in seq order.
    pub history: Vec<HistoryRow>,
    /// Every user, by name.
    pub users: Vec<UserRow>,
    /// The account log in seq order.
    pub account_events: Vec<AccountEvent>,
    /// The districts in their order.
    pub districts: Vec<District>,
    /// The population columns with their squares.
    pub population: Vec<PopulationColumn>,
    /// Every address point, ordered by city, town, block, residence.
    pub addresses: Vec<AddressPoint>,
    /// The 地域包括支援センター in their order.
    pub centers: Vec<CommunityCenter>,
    /// The 地域包括支援センター log in seq order (the layer's version is in `meta`).
    pub center_events: Vec<CenterEvent>,
    /// The settings, by key.
    pub meta: Vec<(String, String)>,
}

impl Dump {
    /// Row counts per table, for the report of `caremap migrate` and its check.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("providers", self.providers.len()),
            ("provider_history", self.history.len()),
            ("users", self.users.len()),
            ("user_providers", self.users.iter().map(|u| u.user.providers.len()).sum()),
            ("account_events", self.account_events.len()),
            ("districts", self.districts.len()),
            ("population_columns", self.population.len()),
            ("population", self.population.iter().map(|c| c.counts.len()).sum()),
            ("address_points", self.addresses.len()),
            ("community_centers", self.centers.len()),
            ("community_center_events", self.center_events.len()),
            ("meta", self.meta.len()),
        ]
    }

    /// Whether the store held nothing at all (no provider, history, user, layer or setting).
    pub fn is_empty(&self) -> bool {
        self.counts().iter().all(|(_, n)| *n == 0)
    }
}
