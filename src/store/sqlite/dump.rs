//! `caremap migrate` on SQLite: everything read in one read transaction, and a copy written in
//! one IMMEDIATE transaction into an empty database, seqs kept.

use rusqlite::{Connection, TransactionBehavior, params};

use super::rows::{PROVIDER_COLUMNS, col, insert_provider, provider_from_row, write_districts};
use crate::access::Role;
use crate::address::{Level, source_name};
use crate::domain::LonLat;
use crate::store::{AccountEvent, Dump, HistoryRow, ProviderRecord, Result, StoreError, User, UserRow};

pub(super) fn dump(conn: &mut Connection) -> Result<Dump> {
    let tx = conn.transaction()?;
    let mut providers = Vec::new();
    {
        let mut stmt = tx.prepare(&format!("SELECT {PROVIDER_COLUMNS}, deleted_at FROM providers ORDER BY id"))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            providers.push(ProviderRecord { provider: provider_from_row(row)??, deleted_at: row.get(col::NEXT)? });
        }
    }
    let history = tx
        .prepare(
            "SELECT seq, provider_id, version, action, data, changed_at, changed_by FROM provider_history ORDER BY seq",
        )?
        .query_map([], |r| {
            Ok(HistoryRow {
                seq: r.get(0)?,
                provider_id: r.get(1)?,
                version: r.get(2)?,
                action: r.get(3)?,
                data: r.get(4)?,
                changed_at: r.get(5)?,
                changed_by: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let users = tx
        .prepare("SELECT name, role, created_at, revoked_at, expires_at, token_hash FROM users ORDER BY name")?
        .query_map([], |r| {
            let role: String = r.get(1)?;
            Ok(UserRow {
                user: User {
                    name: r.get(0)?,
                    role: Role::parse(&role).unwrap_or(Role::Editor),
                    created_at: r.get(2)?,
                    revoked_at: r.get(3)?,
                    expires_at: r.get(4)?,
                    providers: Vec::new(),
                },
                token_hash: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let users = users
        .into_iter()
        .map(|mut u| {
            u.user.providers = super::users::bound_providers(&tx, &u.user.name)?;
            Ok(u)
        })
        .collect::<Result<Vec<_>>>()?;
    let account_events = tx
        .prepare(
            "SELECT seq, user_name, action, role, expires_at, changed_at, changed_by FROM account_events ORDER BY seq",
        )?
        .query_map([], |r| {
            Ok(AccountEvent {
                seq: r.get(0)?,
                user_name: r.get(1)?,
                action: r.get(2)?,
                role: r.get(3)?,
                expires_at: r.get(4)?,
                changed_at: r.get(5)?,
                changed_by: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let population = super::population::load(&tx)?;
    let mut addresses = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT city_code, town, block, residence, level, pref, city, lon, lat, source, town_code FROM address_points \
             ORDER BY city_code, town, block, residence",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let town: String = r.get(1)?;
            let corrupt = |reason: String| StoreError::Corrupt { id: format!("address point {town}"), reason };
            let level: i64 = r.get(4)?;
            let source: String = r.get(9)?;
            addresses.push(crate::address::AddressPoint {
                level: Level::from_stored(level).ok_or_else(|| corrupt(format!("unknown level {level}")))?,
                city_code: r.get(0)?,
                pref: r.get(5)?,
                city: r.get(6)?,
                block: r.get(2)?,
                residence: r.get(3)?,
                town_code: r.get(10)?,
                location: LonLat::new(r.get(7)?, r.get(8)?).map_err(|e| corrupt(e.to_string()))?,
                source: source_name(&source).ok_or_else(|| corrupt(format!("unknown source {source}")))?,
                town,
            });
        }
    }
    let centers = super::address::load_centers(&tx)?;
    let mut center_events = super::address::center_events(&tx, usize::MAX)?;
    center_events.reverse();
    let districts = super::load_districts_from(&tx)?;
    let meta = tx
        .prepare("SELECT key, value FROM meta ORDER BY key")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    tx.commit()?;
    Ok(Dump {
        providers,
        history,
        users,
        account_events,
        districts,
        population,
        addresses,
        centers,
        center_events,
        meta,
    })
}

pub(super) fn restore(conn: &mut Connection, dump: &Dump) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut held = Vec::new();
    for table in crate::store::dump::TABLES {
        let n: i64 = tx.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
        if n > 0 {
            held.push(format!("{table}: {n}"));
        }
    }
    if !held.is_empty() {
        return Err(StoreError::Unsupported(format!("the target database is not empty ({})", held.join(", "))));
    }
    for r in &dump.providers {
        insert_provider(&tx, &r.provider)?;
        if r.deleted_at.is_some() {
            tx.execute("UPDATE providers SET deleted_at = ?2 WHERE id = ?1", params![r.provider.id, r.deleted_at])?;
        }
    }
    {
        let mut insert = tx.prepare(
            "INSERT INTO provider_history (seq, provider_id, version, action, data, changed_at, changed_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for h in &dump.history {
            insert.execute(params![h.seq, h.provider_id, h.version, h.action, h.data, h.changed_at, h.changed_by])?;
        }
        let mut insert = tx.prepare(
            "INSERT INTO users (name, role, token_hash, created_at, revoked_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for u in &dump.users {
            let user = &u.user;
            insert.execute(params![
                user.name,
                user.role.as_str(),
                u.token_hash,
                user.created_at,
                user.revoked_at,
                user.expires_at
            ])?;
        }
        let mut insert =
            tx.prepare("INSERT INTO user_providers (user_name, provider_id, position) VALUES (?1, ?2, ?3)")?;
        for u in &dump.users {
            for (position, id) in u.user.providers.iter().enumerate() {
                insert.execute(params![u.user.name, id, i64::try_from(position).unwrap_or(i64::MAX)])?;
            }
        }
        let mut insert = tx.prepare(
            "INSERT INTO account_events (seq, user_name, action, role, expires_at, changed_at, changed_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for e in &dump.account_events {
            insert.execute(params![e.seq, e.user_name, e.action, e.role, e.expires_at, e.changed_at, e.changed_by])?;
        }
        let mut head = tx.prepare(
            "INSERT INTO population_columns (code, label, mesh_level, source, imported_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut cells = tx.prepare("INSERT INTO population (column_code, mesh_code, value) VALUES (?1, ?2, ?3)")?;
        for c in &dump.population {
            let at = c.imported_at.clone().unwrap_or_else(crate::domain::now_utc);
            head.execute(params![c.code, c.label, c.level.name(), c.source, at])?;
            for (cell, value) in &c.counts {
                cells.execute(params![c.code, cell.code(), value])?;
            }
        }
        let mut insert = tx.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
        for (key, value) in &dump.meta {
            insert.execute(params![key, value])?;
        }
    }
    write_districts(&tx, &dump.districts)?;
    super::address::insert_points(&tx, &dump.addresses)?;
    super::address::insert_centers(&tx, &dump.centers)?;
    super::address::insert_center_events(&tx, &dump.center_events)?;
    tx.commit()?;
    Ok(())
}
