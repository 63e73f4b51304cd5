//! `caremap migrate` on PostgreSQL: everything read in one snapshot, and a copy written in one
//! transaction into an empty database, seqs kept (the account log's sequence moved past them).

use postgres::Client;

use super::layers::{
    insert_addresses, insert_centers, insert_population, load_centers, load_districts, load_population, write_districts,
};
use super::rows::{record_from_row, select_records, write_providers};
use super::users::{bound_providers, user_from_row};
use crate::store::{AccountEvent, Dump, HistoryRow, Result, StoreError, UserRow};

pub(super) fn dump(c: &mut Client) -> Result<Dump> {
    let mut tx =
        c.build_transaction().isolation_level(postgres::IsolationLevel::RepeatableRead).read_only(true).start()?;
    let providers = tx
        .query(&format!("{} ORDER BY id COLLATE \"C\"", select_records()), &[])?
        .iter()
        .map(record_from_row)
        .collect::<Result<_>>()?;
    let history = tx
        .query(
            "SELECT seq, provider_id, version, action, data, changed_at, changed_by FROM provider_history ORDER BY seq",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(HistoryRow {
                seq: r.try_get(0)?,
                provider_id: r.try_get(1)?,
                version: r.try_get(2)?,
                action: r.try_get(3)?,
                data: r.try_get(4)?,
                changed_at: r.try_get(5)?,
                changed_by: r.try_get(6)?,
            })
        })
        .collect::<Result<_>>()?;
    let users = tx
        .query(
            "SELECT name, role, created_at, revoked_at, expires_at, token_hash FROM users ORDER BY name COLLATE \"C\"",
            &[],
        )?
        .iter()
        .map(|r| Ok(UserRow { user: user_from_row(r)?, token_hash: r.try_get(5)? }))
        .collect::<Result<Vec<_>>>()?;
    let users = users
        .into_iter()
        .map(|mut u| {
            u.user.providers = bound_providers(&mut tx, &u.user.name)?;
            Ok(u)
        })
        .collect::<Result<_>>()?;
    let account_events = tx
        .query(
            "SELECT seq, user_name, action, role, expires_at, changed_at, changed_by FROM account_events ORDER BY seq",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(AccountEvent {
                seq: r.try_get(0)?,
                user_name: r.try_get(1)?,
                action: r.try_get(2)?,
                role: r.try_get(3)?,
                expires_at: r.try_get(4)?,
                changed_at: r.try_get(5)?,
                changed_by: r.try_get(6)?,
            })
        })
        .collect::<Result<_>>()?;
    let districts = load_districts(&mut tx)?;
    let population = load_population(&mut tx)?;
    let mut addresses = Vec::new();
    for r in tx.query(
        "SELECT city_code, town, block, residence, level, pref, city, lon, lat, source, town_code FROM address_points \
         ORDER BY city_code COLLATE \"C\", town COLLATE \"C\", block COLLATE \"C\", residence COLLATE \"C\"",
        &[],
    )? {
        let town: String = r.try_get(1)?;
        let corrupt = |reason: String| StoreError::Corrupt { id: format!("address point {town}"), reason };
        let level: i64 = r.try_get(4)?;
        let source: &str = r.try_get(9)?;
        addresses.push(crate::address::AddressPoint {
            level: crate::address::Level::from_stored(level)
                .ok_or_else(|| corrupt(format!("unknown level {level}")))?,
            city_code: r.try_get(0)?,
            pref: r.try_get(5)?,
            city: r.try_get(6)?,
            block: r.try_get(2)?,
            residence: r.try_get(3)?,
            town_code: r.try_get(10)?,
            location: crate::domain::LonLat::new(r.try_get(7)?, r.try_get(8)?).map_err(|e| corrupt(e.to_string()))?,
            source: crate::address::source_name(source).ok_or_else(|| corrupt(format!("unknown source {source}")))?,
            town,
        });
    }
    let centers = load_centers(&mut tx)?;
    let mut center_events = super::centers::center_events(&mut tx, usize::MAX)?;
    center_events.reverse();
    let meta = tx
        .query("SELECT key, value FROM meta ORDER BY key COLLATE \"C\"", &[])?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_>>()?;
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

pub(super) fn restore(c: &mut Client, dump: &Dump) -> Result<()> {
    let mut tx = c.transaction()?;
    // Nobody writes while the copy goes in (the feed lock is what provider writes take).
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&super::rows::FEED_LOCK])?;
    let mut held = Vec::new();
    for table in crate::store::dump::TABLES {
        let n: i64 = tx.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?.get(0);
        if n > 0 {
            held.push(format!("{table}: {n}"));
        }
    }
    if !held.is_empty() {
        return Err(StoreError::Unsupported(format!("the target database is not empty ({})", held.join(", "))));
    }
    let providers: Vec<&crate::domain::Provider> = dump.providers.iter().map(|r| &r.provider).collect();
    write_providers(&mut tx, &providers, false)?;
    for r in dump.providers.iter().filter(|r| r.deleted_at.is_some()) {
        tx.execute("UPDATE providers SET deleted_at = $2 WHERE id = $1", &[&r.provider.id, &r.deleted_at])?;
    }
    for batch in dump.history.chunks(10_000) {
        let col = |f: fn(&HistoryRow) -> &str| batch.iter().map(f).collect::<Vec<&str>>();
        let seqs: Vec<i64> = batch.iter().map(|h| h.seq).collect();
        let versions: Vec<i64> = batch.iter().map(|h| h.version).collect();
        tx.execute(
            "INSERT INTO provider_history (seq, provider_id, version, action, data, changed_at, changed_by) \
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])",
            &[
                &seqs,
                &col(|h| &h.provider_id),
                &versions,
                &col(|h| &h.action),
                &col(|h| &h.data),
                &col(|h| &h.changed_at),
                &col(|h| &h.changed_by),
            ],
        )?;
    }
    for u in &dump.users {
        let user = &u.user;
        tx.execute(
            "INSERT INTO users (name, role, token_hash, created_at, revoked_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&user.name, &user.role.as_str(), &u.token_hash, &user.created_at, &user.revoked_at, &user.expires_at],
        )?;
        for (position, id) in user.providers.iter().enumerate() {
            tx.execute(
                "INSERT INTO user_providers (user_name, provider_id, position) VALUES ($1, $2, $3)",
                &[&user.name, id, &i64::try_from(position).unwrap_or(i64::MAX)],
            )?;
        }
    }
    for e in &dump.account_events {
        tx.execute(
            "INSERT INTO account_events (seq, user_name, action, role, expires_at, changed_at, changed_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&e.seq, &e.user_name, &e.action, &e.role, &e.expires_at, &e.changed_at, &e.changed_by],
        )?;
    }
    if let Some(last) = dump.account_events.iter().map(|e| e.seq).max() {
        tx.execute("SELECT setval(pg_get_serial_sequence('account_events', 'seq'), $1)", &[&last])?;
    }
    write_districts(&mut tx, &dump.districts)?;
    for column in &dump.population {
        let at = column.imported_at.clone().unwrap_or_else(crate::domain::now_utc);
        insert_population(&mut tx, column, &at)?;
    }
    insert_addresses(&mut tx, &dump.addresses)?;
    insert_centers(&mut tx, &dump.centers)?;
    super::centers::insert_center_events(&mut tx, &dump.center_events)?;
    for (key, value) in &dump.meta {
        super::layers::set_meta(&mut tx, key, value)?;
    }
    if let Some(last) = dump.history.last() {
        tx.execute("SELECT pg_notify($1, $2)", &[&super::FEED_CHANNEL, &last.seq.to_string()])?;
    }
    tx.commit()?;
    Ok(())
}
