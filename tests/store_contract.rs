//! The `Store` contract, written once over `&dyn Store` and run against both backends: SQLite
//! (a temporary file) and PostgreSQL (a fresh database on a private cluster, see
//! tests/support/postgres.rs). Providers, versions and If-Match conflicts, soft delete,
//! restore and revert, history and the audit log, users and the account log, districts,
//! population, addresses, 地域包括支援センター, settings, imports all-or-nothing, the feed and
//! snapshot consistency under concurrent writes, and the copy (`caremap migrate`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::any::Any;

use caremap::access::{Role, hash_token};
use caremap::address::AddressPoint;
use caremap::address::centers::CommunityCenter;
use caremap::domain::{Accepting, Kind, LonLat, Provider, Stamp, action, parse_districts};
use caremap::generate::synthetic::every_field;
use caremap::spatial::mesh::{MeshCell, MeshLevel};
use caremap::store::{
    AuditQuery, CenterWrite, ImportRemoval, ImportWrite, LAST_IMPORT_META, NewUser, PgStore, PopulationColumn,
    SeqRange, SqliteStore, Store, StoreError,
};

/// A store and what keeps it alive (its folder, or its cluster).
struct Backend {
    store: Box<dyn Store>,
    _keep: Box<dyn Any>,
}

fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    Backend { store: Box::new(store), _keep: Box::new(dir) }
}

fn postgres() -> Backend {
    let db = support::postgres::database();
    let store = PgStore::open(&db.url).unwrap();
    Backend { store: Box::new(store), _keep: Box::new(db) }
}

/// Each test function below, once per backend: `sqlite::<name>` and `postgres::<name>`.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { let b = super::sqlite(); super::$name(b.store.as_ref()); })*
        }
        mod postgres {
            $(#[test] fn $name() { let b = super::postgres(); super::$name(b.store.as_ref()); })*
        }
        /// Each backend is given to the copy test as the source and as the target.
        mod copy {
            #[test] fn sqlite_to_postgres_and_back() { super::copy_between(super::sqlite, super::postgres); }
            #[test] fn postgres_to_sqlite_and_back() { super::copy_between(super::postgres, super::sqlite); }
        }
    };
}

contract!(
    providers_round_trip_with_every_field_in_id_order,
    a_snapshot_hands_over_the_live_providers_in_chunks_with_their_seq,
    a_failed_batch_writes_nothing,
    each_write_is_the_next_version_by_its_actor,
    a_stale_version_is_refused_with_the_current_record_and_writes_nothing,
    an_update_that_changes_nothing_makes_no_version,
    soft_delete_hides_the_provider_and_restore_brings_it_back,
    a_revert_writes_the_old_fields_as_the_next_version,
    history_is_newest_first_with_the_previous_version_for_the_diff,
    the_audit_log_pages_through_every_change_in_commit_order,
    a_new_id_is_one_more_than_the_largest_number_after_the_prefix,
    users_are_found_by_token_hash_and_revocation_is_kept,
    add_rotate_and_revoke_are_in_the_account_log,
    districts_and_settings_are_kept,
    population_columns_are_replaced_by_code,
    address_points_are_replaced_per_source_and_city,
    community_centers_are_replaced_as_a_whole,
    a_vacancy_round_trips_in_each_of_its_three_states,
    a_provider_account_keeps_its_provider_ids_in_order,
    a_centre_write_checks_the_layer_version_and_is_logged,
    an_import_planned_against_an_older_version_writes_nothing,
    an_import_removal_soft_deletes_and_an_upsert_restores,
    the_records_of_given_ids_come_live_or_deleted_in_id_order,
    an_import_of_an_id_that_appeared_meanwhile_is_a_duplicate,
    a_committed_import_records_its_time,
    every_committed_change_gets_the_next_seq_without_gaps,
    a_snapshot_plus_the_changes_after_its_seq_is_the_latest_state,
    of_two_concurrent_updates_of_one_version_exactly_one_wins,
    a_copy_is_refused_by_a_store_that_is_not_empty,
);

fn at(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

fn provider(id: &str, name: &str) -> Provider {
    Provider {
        services: vec!["130".into()],
        updated_at: "2026-11-01T00:00:00Z".into(),
        updated_by: "test".into(),
        ..Provider::new(id.into(), Kind::Care, name.into(), at(139.9, 35.85))
    }
}

fn by(name: &str) -> Stamp {
    Stamp::now(name)
}

fn ids(providers: &[Provider]) -> Vec<&str> {
    providers.iter().map(|p| p.id.as_str()).collect()
}

fn providers_round_trip_with_every_field_in_id_order(store: &dyn Store) {
    // "B" < "a" < "b" < "a10" orders differ between byte order and most locales.
    let batch = [every_field("b"), provider("B", "い"), every_field("a10"), provider("a", "あ")];
    store.insert_providers(&batch, "test").unwrap();
    let loaded = store.load_providers().unwrap();
    assert_eq!(ids(&loaded), ["B", "a", "a10", "b"], "ordered by id, byte by byte");
    assert_eq!(loaded[3], every_field("b"), "every field, exactly (coordinates to the last bit)");
    assert_eq!(store.count_providers().unwrap(), 4);
    assert_eq!(store.provider_record("a10").unwrap().unwrap().provider, every_field("a10"));
    assert_eq!(store.provider_record("missing").unwrap(), None);
    let empty = Provider { district: None, ..Provider::new("e".into(), Kind::Care, "空".into(), at(139.9, 35.85)) };
    let empty = Provider { updated_at: "2026-11-30T00:00:00Z".into(), updated_by: "x".into(), ..empty };
    store.insert_providers(std::slice::from_ref(&empty), "test").unwrap();
    assert_eq!(store.provider_record("e").unwrap().unwrap().provider, empty, "empty fields stay empty");
}

fn a_snapshot_hands_over_the_live_providers_in_chunks_with_their_seq(store: &dyn Store) {
    let names = ["e", "b", "d", "a", "c"];
    store.insert_providers(&names.map(|id| provider(id, id)), "test").unwrap();
    store.set_deleted("d", true, &[1], &by("yamada")).unwrap();
    let mut chunks: Vec<Vec<String>> = Vec::new();
    let seq = store
        .load_snapshot_chunked(2, &mut |chunk| {
            chunks.push(chunk.providers()?.into_iter().map(|p| p.id).collect());
            Ok(())
        })
        .unwrap();
    assert_eq!(chunks, [vec!["a", "b"], vec!["c", "e"]]);
    assert_eq!(seq, 6);
    let stop = store.load_providers_chunked(1, &mut |_| Err(StoreError::Duplicate { id: "x".into() }));
    assert!(matches!(stop, Err(StoreError::Duplicate { .. })), "the callback's error ends the load: {stop:?}");
}

fn a_failed_batch_writes_nothing(store: &dyn Store) {
    store.insert_providers(&[provider("a", "あ")], "test").unwrap();
    let err = store.insert_providers(&[provider("b", "い"), provider("a", "あ")], "test").unwrap_err();
    assert!(matches!(&err, StoreError::Duplicate { id } if id == "a"), "{err}");
    assert_eq!(store.count_providers().unwrap(), 1);
    assert_eq!(store.last_seq().unwrap(), 1);
}

fn each_write_is_the_next_version_by_its_actor(store: &dyn Store) {
    let created = store.create_provider(&provider("a", "さくら"), &by("yamada")).unwrap();
    assert_eq!((created.record.provider.version, created.record.provider.updated_by.as_str()), (1, "yamada"));
    assert!(matches!(store.create_provider(&provider("a", "x"), &by("y")), Err(StoreError::Duplicate { .. })));
    let edit = provider("a", "さくら訪問看護");
    let updated = store.update_provider(&edit, &[1], &by("suzuki"), action::UPDATE).unwrap();
    assert_eq!((updated.record.provider.version, updated.record.provider.updated_by.as_str()), (2, "suzuki"));
    assert_eq!(store.provider_record("a").unwrap().unwrap(), updated.record);
    assert!(matches!(
        store.update_provider(&provider("zz", "x"), &[1], &by("y"), action::UPDATE),
        Err(StoreError::NotFound { .. })
    ));
}

fn a_stale_version_is_refused_with_the_current_record_and_writes_nothing(store: &dyn Store) {
    store.create_provider(&provider("a", "あ"), &by("yamada")).unwrap();
    store.update_provider(&provider("a", "x"), &[1], &by("a"), action::UPDATE).unwrap();
    let err = store.update_provider(&provider("a", "y"), &[1], &by("b"), action::UPDATE);
    let Err(StoreError::VersionMismatch { current }) = err else { panic!("{err:?}") };
    assert_eq!((current.provider.version, current.provider.name.as_str()), (2, "x"));
    assert_eq!(store.provider_history("a").unwrap().len(), 2);
    assert!(matches!(store.set_deleted("a", true, &[1], &by("b")), Err(StoreError::VersionMismatch { .. })));
    let ok = store.update_provider(&provider("a", "z"), &[1, 2], &by("b"), action::UPDATE).unwrap();
    assert_eq!(ok.record.provider.version, 3, "any of the expected versions");
}

fn an_update_that_changes_nothing_makes_no_version(store: &dyn Store) {
    store.create_provider(&provider("a", "あ"), &by("yamada")).unwrap();
    let same = store.update_provider(&provider("a", "あ"), &[1], &by("suzuki"), action::UPDATE).unwrap();
    assert_eq!((same.record.provider.version, same.record.provider.updated_by.as_str(), same.seq), (1, "yamada", None));
    assert_eq!(store.last_seq().unwrap(), 1);
}

fn soft_delete_hides_the_provider_and_restore_brings_it_back(store: &dyn Store) {
    assert!(!store.has_providers().unwrap(), "a new store is empty");
    store.create_provider(&provider("a", "あ"), &by("yamada")).unwrap();
    assert!(store.has_providers().unwrap());
    let deleted = store.set_deleted("a", true, &[1], &by("yamada")).unwrap();
    assert!(deleted.record.deleted_at.is_some());
    assert_eq!(store.count_providers().unwrap(), 0);
    assert!(!store.has_providers().unwrap(), "only deleted providers: empty, as start-up sees it");
    assert!(store.load_providers().unwrap().is_empty());
    assert_eq!(store.load_provider_records().unwrap().len(), 1, "the import diff still sees it");
    assert!(matches!(store.set_deleted("a", true, &[2], &by("y")), Err(StoreError::Deleted { .. })));
    assert!(matches!(
        store.update_provider(&provider("a", "x"), &[2], &by("y"), action::UPDATE),
        Err(StoreError::Deleted { .. })
    ));
    let restored = store.set_deleted("a", false, &[2], &by("yamada")).unwrap();
    assert_eq!((restored.record.provider.version, restored.record.deleted_at), (3, None));
    assert_eq!(store.load_providers().unwrap().len(), 1);
    assert!(matches!(store.set_deleted("a", false, &[3], &by("y")), Err(StoreError::NotDeleted { .. })));
}

fn a_revert_writes_the_old_fields_as_the_next_version(store: &dyn Store) {
    store.create_provider(&provider("a", "あ"), &by("yamada")).unwrap();
    store.update_provider(&provider("a", "い"), &[1], &by("yamada"), action::UPDATE).unwrap();
    let old = store.provider_version("a", 1).unwrap();
    let reverted = store.update_provider(&old, &[2], &by("suzuki"), action::REVERT).unwrap();
    assert_eq!((reverted.record.provider.version, reverted.record.provider.name.as_str()), (3, "あ"));
    assert_eq!(store.provider_history("a").unwrap()[0].action, action::REVERT);
}

fn history_is_newest_first_with_the_previous_version_for_the_diff(store: &dyn Store) {
    store.create_provider(&provider("a", "さくら訪問看護"), &by("yamada")).unwrap();
    store.create_provider(&provider("b", "b"), &by("yamada")).unwrap();
    store.update_provider(&provider("a", "x"), &[1], &by("suzuki"), action::UPDATE).unwrap();
    let history = store.provider_history("a").unwrap();
    assert_eq!(history.iter().map(|h| h.version).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(history[0].before.as_ref().map(|p| p.name.as_str()), Some("さくら訪問看護"));
    assert_eq!((history[0].after.name.as_str(), history[0].changed_by.as_str()), ("x", "suzuki"));
    assert_eq!(history[1].before, None);
    assert_eq!(store.provider_version("a", 1).unwrap().name, "さくら訪問看護");
    assert!(matches!(store.provider_version("a", 9), Err(StoreError::UnknownVersion { .. })));
    assert!(store.provider_history("nobody").unwrap().is_empty());
}

fn the_audit_log_pages_through_every_change_in_commit_order(store: &dyn Store) {
    for id in ["a", "b", "c"] {
        store.create_provider(&provider(id, id), &by("yamada")).unwrap();
    }
    let first = store.audit_log(&AuditQuery { limit: 2, ..AuditQuery::default() }).unwrap();
    assert_eq!(first.iter().map(|e| e.provider_id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    let next = AuditQuery { after_seq: Some(first[1].seq), limit: 2, ..AuditQuery::default() };
    assert_eq!(store.audit_log(&next).unwrap().iter().map(|e| e.provider_id.as_str()).collect::<Vec<_>>(), ["c"]);
    let future = AuditQuery { since: Some("2999-01-01T00:00:00Z".into()), limit: 10, ..AuditQuery::default() };
    assert!(store.audit_log(&future).unwrap().is_empty());
}

fn a_new_id_is_one_more_than_the_largest_number_after_the_prefix(store: &dyn Store) {
    store
        .insert_providers(&[provider("staff-9", "a"), provider("staff-12x", "b"), provider("other-99", "c")], "t")
        .unwrap();
    let written = store.create_provider_with_new_id(&provider("ignored", "new"), "staff-", &by("yamada")).unwrap();
    assert_eq!(written.record.provider.id, "staff-13");
    store.set_deleted("staff-13", true, &[1], &by("yamada")).unwrap();
    let next = store.create_provider_with_new_id(&provider("ignored", "new"), "staff-", &by("yamada")).unwrap();
    assert_eq!(next.record.provider.id, "staff-14", "a deleted id is never given again");
    let fresh = store.create_provider_with_new_id(&provider("ignored", "new"), "new-", &by("yamada")).unwrap();
    assert_eq!(fresh.record.provider.id, "new-1");
}

fn users_are_found_by_token_hash_and_revocation_is_kept(store: &dyn Store) {
    let hash = hash_token("cmk_secret");
    store.add_user("yamada", Role::Editor, &hash).unwrap();
    assert!(matches!(store.add_user("yamada", Role::Admin, &hash_token("x")), Err(StoreError::UserExists { .. })));
    assert_eq!(store.user_by_token_hash(&hash).unwrap().unwrap().name, "yamada");
    assert_eq!(store.user_by_token_hash(&hash_token("cmk_other")).unwrap(), None);
    assert!(store.revoke_user("yamada").unwrap());
    assert!(!store.revoke_user("yamada").unwrap());
    assert!(store.user_by_token_hash(&hash).unwrap().unwrap().revoked_at.is_some());
    assert!(matches!(store.revoke_user("nobody"), Err(StoreError::UnknownUser { .. })));
    let reissued = hash_token("cmk_new");
    store.add_user("yamada", Role::Admin, &reissued).unwrap();
    assert_eq!(store.user_by_token_hash(&hash).unwrap(), None);
    store.add_user("abe", Role::Editor, &hash_token("cmk_abe")).unwrap();
    let users = store.users().unwrap();
    assert_eq!(
        users.iter().map(|u| (u.name.as_str(), u.role)).collect::<Vec<_>>(),
        [("abe", Role::Editor), ("yamada", Role::Admin)]
    );
}

fn add_rotate_and_revoke_are_in_the_account_log(store: &dyn Store) {
    let (old, new) = (hash_token("old"), hash_token("new"));
    let added = store
        .create_user(&NewUser {
            name: "yamada",
            role: Role::Editor,
            token_hash: &old,
            expires_at: Some("2030-01-01T00:00:00Z".into()),
            actor: "cli:root",
            providers: &[],
        })
        .unwrap();
    assert_eq!(added.expires_at.as_deref(), Some("2030-01-01T00:00:00Z"));
    let rotated = store.rotate_user("yamada", &new, None, "cli:suzuki").unwrap();
    assert_eq!((rotated.expires_at, rotated.revoked_at), (None, None));
    assert_eq!(store.user_by_token_hash(&old).unwrap(), None, "the old token is gone");
    assert_eq!(store.user_by_token_hash(&new).unwrap().unwrap().name, "yamada");
    store.revoke_user_by("yamada", "admin").unwrap();
    assert!(matches!(store.rotate_user("nobody", &old, None, "x"), Err(StoreError::UnknownUser { .. })));
    let log = store.account_events(&AuditQuery { limit: 10, ..AuditQuery::default() }).unwrap();
    let summary: Vec<(&str, &str, &str)> =
        log.iter().map(|e| (e.action.as_str(), e.user_name.as_str(), e.changed_by.as_str())).collect();
    assert_eq!(
        summary,
        [
            ("user_add", "yamada", "cli:root"),
            ("user_rotate", "yamada", "cli:suzuki"),
            ("user_revoke", "yamada", "admin")
        ]
    );
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq));
    let page = store.account_events(&AuditQuery { after_seq: Some(log[1].seq), limit: 10, ..AuditQuery::default() });
    assert_eq!(page.unwrap().len(), 1);
}

fn districts_and_settings_are_kept(store: &dyn Store) {
    let d = parse_districts(
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"id":"n","name":"北部","description":"北の圏域"},
         "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
        {"type":"Feature","properties":{"id":"a","name":"南部"},
         "geometry":{"type":"MultiPolygon","coordinates":[[[[2,2],[3,2],[3,3],[2,2]]]]}}]}"#,
    )
    .unwrap();
    store.replace_districts(&d).unwrap();
    assert_eq!(store.load_districts().unwrap(), d, "in their order, not by id");
    store.replace_districts(&d[1..]).unwrap();
    assert_eq!(store.load_districts().unwrap(), d[1..]);
    store.set_meta("dataset", "sample").unwrap();
    store.set_meta("dataset", "data").unwrap();
    assert_eq!(store.meta("dataset").unwrap().as_deref(), Some("data"));
    assert_eq!(store.meta("missing").unwrap(), None);
}

fn column(code: &str, counts: &[(&str, Option<f64>)]) -> PopulationColumn {
    PopulationColumn {
        code: code.into(),
        label: format!("{code} 総数"),
        level: MeshLevel::Third,
        source: "estat-mesh: test".into(),
        imported_at: None,
        counts: counts.iter().map(|(m, v)| (MeshCell::parse(m).unwrap(), *v)).collect(),
    }
}

fn population_columns_are_replaced_by_code(store: &dyn Store) {
    assert!(!store.has_population().unwrap());
    store
        .replace_population(&[column("T1", &[("53394611", Some(12.5)), ("53394612", None)]), column("T2", &[])])
        .unwrap();
    store.replace_population(&[column("T1", &[("53394613", Some(3.0))])]).unwrap();
    assert!(store.has_population().unwrap());
    let loaded = store.load_population().unwrap();
    assert_eq!(loaded.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["T1", "T2"]);
    assert_eq!(loaded[0].counts, column("T1", &[("53394613", Some(3.0))]).counts);
    assert_eq!((loaded[0].label.as_str(), loaded[0].level), ("T1 総数", MeshLevel::Third));
    assert!(loaded[0].imported_at.is_some());
}

fn point(city: &str, town: &str, block: &str, source: &'static str, lon: f64) -> AddressPoint {
    AddressPoint {
        level: if block.is_empty() { caremap::address::Level::Town } else { caremap::address::Level::Block },
        city_code: city.into(),
        pref: "千葉県".into(),
        city: "流山市".into(),
        town: town.into(),
        block: block.into(),
        residence: String::new(),
        // A 町字 carries its code (here shaped as 位置参照情報's: the city code and 7 digits).
        town_code: if block.is_empty() { format!("{city}0001001") } else { String::new() },
        location: at(lon, 35.86),
        source,
    }
}

fn sorted_addresses(store: &dyn Store) -> Vec<(String, String, String, &'static str, f64)> {
    let mut all = Vec::new();
    store
        .for_each_address(&mut |p| {
            all.push((p.city_code.clone(), p.town.clone(), p.block.clone(), p.source, p.location.lon()))
        })
        .unwrap();
    all.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
    all
}

fn address_points_are_replaced_per_source_and_city(store: &dyn Store) {
    assert!(!store.has_addresses().unwrap());
    let sample = [point("12220", "南流山一丁目", "", "sample", 139.90), point("12217", "柏", "", "sample", 139.97)];
    store.replace_addresses("sample", &["12220".into(), "12217".into()], &sample).unwrap();
    let gaiku = [
        point("12220", "南流山一丁目", "1", "isj-gaiku", 139.91),
        point("12220", "南流山一丁目", "2", "isj-gaiku", 139.92),
    ];
    store.replace_addresses("isj-gaiku", &["12220".into()], &gaiku).unwrap();
    assert!(store.has_addresses().unwrap());
    let all = sorted_addresses(store);
    let towns: Vec<(&str, &str, &str)> = all.iter().map(|a| (a.0.as_str(), a.2.as_str(), a.3)).collect();
    assert_eq!(towns, [("12217", "", "sample"), ("12220", "1", "isj-gaiku"), ("12220", "2", "isj-gaiku")]);
    let mut codes = Vec::new();
    store.for_each_address(&mut |p| codes.push((p.block.clone(), p.town_code.clone()))).unwrap();
    codes.sort();
    let want = [("", "122170001001"), ("1", ""), ("2", "")];
    assert_eq!(codes, want.map(|(b, c)| (b.to_owned(), c.to_owned())), "a 町字's code is kept, a 街区 has none");
}

fn center(id: &str, areas: &[&str]) -> CommunityCenter {
    CommunityCenter {
        id: id.into(),
        name: format!("{id}地域包括支援センター"),
        address: "千葉県流山市".into(),
        phone: "04-0000-0000".into(),
        location: at(139.9, 35.86),
        areas: areas.iter().map(|a| (*a).to_owned()).collect(),
        source: "sample".into(),
    }
}

fn community_centers_are_replaced_as_a_whole(store: &dyn Store) {
    let centers = [center("z", &["南流山一丁目", "南流山二丁目"]), center("a", &["東深井"])];
    store.replace_community_centers(&centers, "cli:root").unwrap();
    assert_eq!(store.load_community_centers().unwrap(), centers, "in their order");
    store.replace_community_centers(&centers[1..], "cli:root").unwrap();
    assert_eq!(store.load_community_centers().unwrap(), centers[1..]);
    let events = store.community_center_events(10).unwrap();
    let summary: Vec<(&str, &str, i64, &str)> = events
        .iter()
        .map(|e| (e.center_id.as_str(), e.action.as_str(), e.layer_version, e.changed_by.as_str()))
        .collect();
    assert_eq!(
        summary,
        [("z", "import", 3, "cli:root"), ("a", "import", 2, "cli:root"), ("z", "import", 2, "cli:root")],
        "newest first; an unchanged centre is not logged"
    );
    assert_eq!(store.community_centers_version().unwrap(), 3);
}

fn a_vacancy_round_trips_in_each_of_its_three_states(store: &dyn Store) {
    store.insert_providers(&[provider("a", "あ")], "test").unwrap();
    for (version, state) in [Accepting::Yes, Accepting::Consult, Accepting::No].into_iter().enumerate() {
        let mut p = store.provider_record("a").unwrap().unwrap().provider;
        p.accepting = Some(state);
        p.accepting_note = Some(format!("{}の日", state.as_str()));
        p.accepting_places = Some(u32::try_from(version).unwrap());
        p.accepting_checked_at = Some(format!("2026-11-2{version}T01:00:00Z"));
        let base = i64::try_from(version).unwrap() + 1;
        store.update_provider(&p, &[base], &by("provider:sakura"), action::UPDATE).unwrap();
        let read = store.provider_record("a").unwrap().unwrap().provider;
        assert_eq!(
            (read.accepting, read.accepting_note, read.accepting_places, read.accepting_checked_at),
            (p.accepting, p.accepting_note.clone(), p.accepting_places, p.accepting_checked_at.clone())
        );
    }
    let history = store.provider_history("a").unwrap();
    let states: Vec<Option<Accepting>> = history.iter().map(|h| h.after.accepting).collect();
    assert_eq!(states, [Some(Accepting::No), Some(Accepting::Consult), Some(Accepting::Yes), None], "newest first");
}

fn a_provider_account_keeps_its_provider_ids_in_order(store: &dyn Store) {
    store.insert_providers(&[provider("p-1", "あ"), provider("p-2", "い")], "test").unwrap();
    let hash = hash_token("cmk_sakura");
    let bound = ["p-2".to_owned(), "p-1".to_owned()];
    let new = NewUser {
        name: "sakura",
        role: Role::Provider,
        token_hash: &hash,
        expires_at: None,
        actor: "cli:root",
        providers: &bound,
    };
    assert_eq!(store.create_user(&new).unwrap().providers, bound);
    let found = store.user_by_token_hash(&hash).unwrap().unwrap();
    assert_eq!((found.role, found.providers.as_slice()), (Role::Provider, &bound[..]));
    assert_eq!(store.users().unwrap()[0].providers, bound);
    let missing = ["p-1".to_owned(), "p-9".to_owned()];
    let other = hash_token("cmk_other");
    let err =
        store.create_user(&NewUser { name: "other", token_hash: &other, providers: &missing, ..new }).unwrap_err();
    assert!(matches!(&err, StoreError::NotFound { id } if id == "p-9"), "{err:?}");
    assert_eq!(store.users().unwrap().len(), 1, "nothing was written");
}

fn a_centre_write_checks_the_layer_version_and_is_logged(store: &dyn Store) {
    assert_eq!(store.community_centers_version().unwrap(), 1);
    let created = center("n", &["東深井"]);
    let write = |after, create, expected: &[i64]| {
        store.write_community_center(&CenterWrite {
            id: "n",
            after,
            create,
            expected,
            changed_by: "yamada",
            changed_at: "2026-11-30T00:00:00Z",
        })
    };
    assert_eq!(write(Some(&created), true, &[1]).unwrap(), 2);
    assert!(matches!(write(Some(&created), true, &[2]), Err(StoreError::Duplicate { .. })));
    let moved = CommunityCenter { phone: "04-1111-1111".into(), ..created.clone() };
    assert!(matches!(write(Some(&moved), false, &[1]), Err(StoreError::LayerVersion { current: 2 })));
    assert_eq!(
        store.load_community_centers().unwrap(),
        std::slice::from_ref(&created),
        "a stale write changes nothing"
    );
    assert_eq!(write(Some(&moved), false, &[2]).unwrap(), 3);
    assert_eq!(store.load_community_centers().unwrap(), std::slice::from_ref(&moved));
    let events = store.community_center_events(10).unwrap();
    let summary: Vec<(&str, i64, &str)> =
        events.iter().map(|e| (e.action.as_str(), e.layer_version, e.changed_by.as_str())).collect();
    assert_eq!(summary, [("update", 3, "yamada"), ("create", 2, "yamada")]);
    let phone: Vec<(&str, &str, &str)> =
        events[0].changes.iter().map(|c| (c.field.as_str(), c.from.as_str(), c.to.as_str())).collect();
    assert_eq!(phone, [("phone", "04-0000-0000", "04-1111-1111")]);
    assert!(events[0].seq > events[1].seq);
    assert_eq!(write(None, false, &[3]).unwrap(), 4);
    assert!(store.load_community_centers().unwrap().is_empty());
    assert_eq!(store.community_center_events(1).unwrap()[0].action, "delete");
}

fn imported(id: &str, name: &str, version: i64) -> Provider {
    Provider { version, updated_by: "import".into(), ..provider(id, name) }
}

fn an_import_planned_against_an_older_version_writes_nothing(store: &dyn Store) {
    store.insert_providers(&[imported("a", "あ", 1), imported("b", "い", 1)], "test").unwrap();
    let write = ImportWrite::new(Some("2026-11-02T00:00:00Z".into()))
        .with_upsert(imported("c", "う", 1), None, action::IMPORT)
        .with_upsert(imported("a", "あ2", 2), Some(1), action::IMPORT)
        .with_removal(ImportRemoval {
            provider: imported("b", "い", 2),
            base_version: 1,
            action: action::IMPORT_DELETE,
        });
    // A staff edit lands between the diff and the commit.
    store.update_provider(&imported("a", "あ（修正）", 1), &[1], &by("staff"), action::UPDATE).unwrap();
    let err = store.apply_import(&write, None).unwrap_err();
    assert!(matches!(err, StoreError::VersionMismatch { .. }), "{err}");
    let names: Vec<String> = store.load_providers().unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["あ（修正）", "い"], "nothing of the import was written");
    assert_eq!(store.meta(LAST_IMPORT_META).unwrap(), None, "nor its time");
    assert_eq!(store.last_seq().unwrap(), 3, "nor a seq");
}

fn the_records_of_given_ids_come_live_or_deleted_in_id_order(store: &dyn Store) {
    assert_eq!(store.load_provider_records_of(&["a", "B"]).unwrap(), [], "an empty store");
    // "B" < "a" < "a10" in byte order, as the catalog and the full load order them.
    let batch = [every_field("a10"), provider("B", "い"), provider("a", "あ"), provider("c", "う")];
    store.insert_providers(&batch, "test").unwrap();
    store.set_deleted("B", true, &[1], &by("yamada")).unwrap();
    let records =
        store.load_provider_records_of(&["a10", "missing", "B", "a", "a'); DROP TABLE providers; --"]).unwrap();
    let got: Vec<(&str, bool)> = records.iter().map(|r| (r.provider.id.as_str(), r.deleted_at.is_some())).collect();
    assert_eq!(got, [("B", true), ("a", false), ("a10", false)], "unknown ids left out, deleted ones kept");
    assert_eq!(records[2].provider, every_field("a10"), "every field, as the full load reads it");
    let all = store.load_provider_records().unwrap();
    assert_eq!(records[..], all[..3], "the same records as the full load");
    assert_eq!(store.load_provider_records_of(&[]).unwrap(), []);
    assert_eq!(store.count_providers().unwrap(), 3, "an id is a value, never SQL");
}

fn an_import_removal_soft_deletes_and_an_upsert_restores(store: &dyn Store) {
    store.insert_providers(&[imported("a", "あ", 1), imported("b", "い", 1)], "test").unwrap();
    let remove = ImportWrite::default().with_removal(ImportRemoval {
        provider: imported("b", "い", 2),
        base_version: 1,
        action: action::IMPORT_DELETE,
    });
    assert_eq!(store.apply_import(&remove, None).unwrap(), Some(SeqRange::one(3)));
    assert_eq!(store.count_providers().unwrap(), 1);
    let record = store.provider_record("b").unwrap().unwrap();
    assert_eq!((record.provider.version, record.deleted_at.as_deref()), (2, Some("2026-11-01T00:00:00Z")));
    assert!(
        matches!(store.apply_import(&remove, None), Err(StoreError::VersionMismatch { .. })),
        "a second removal of the same version"
    );
    let restore = ImportWrite::default().with_upsert(imported("b", "い", 3), Some(2), action::IMPORT_RESTORE);
    store.apply_import(&restore, None).unwrap();
    assert_eq!(store.provider_record("b").unwrap().unwrap().deleted_at, None);
    let history: Vec<String> = store.provider_history("b").unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(history, [action::IMPORT_RESTORE, action::IMPORT_DELETE, "test"]);
}

fn an_import_of_an_id_that_appeared_meanwhile_is_a_duplicate(store: &dyn Store) {
    store.insert_providers(&[imported("a", "あ", 1)], "test").unwrap();
    let write = ImportWrite::default().with_upsert(imported("a", "x", 1), None, action::IMPORT);
    assert!(matches!(store.apply_import(&write, None), Err(StoreError::Duplicate { .. })));
}

fn a_committed_import_records_its_time(store: &dyn Store) {
    store.insert_providers(&[imported("a", "あ", 1)], "test").unwrap();
    let districts = parse_districts(
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"n","name":"北部"},
        "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"#,
    )
    .unwrap();
    let write = |at: Option<&str>, name: &str, version: i64| {
        ImportWrite::new(at.map(str::to_owned)).with_upsert(
            imported("a", name, version),
            Some(version - 1),
            action::IMPORT,
        )
    };
    store.apply_import(&write(Some("2026-11-02T09:00:00Z"), "あ2", 2), Some(&districts)).unwrap();
    assert_eq!(store.meta(LAST_IMPORT_META).unwrap().as_deref(), Some("2026-11-02T09:00:00Z"));
    assert_eq!(store.load_districts().unwrap(), districts, "the seed districts in the same transaction");
    store.apply_import(&write(None, "あ3", 3), None).unwrap();
    assert_eq!(store.meta(LAST_IMPORT_META).unwrap().as_deref(), Some("2026-11-02T09:00:00Z"));
    let empty = ImportWrite::new(Some("2026-11-03T09:00:00Z".into()));
    assert_eq!(store.apply_import(&empty, None).unwrap(), None);
    assert_eq!(store.meta(LAST_IMPORT_META).unwrap().as_deref(), Some("2026-11-03T09:00:00Z"));
}

fn every_committed_change_gets_the_next_seq_without_gaps(store: &dyn Store) {
    assert_eq!(store.last_seq().unwrap(), 0);
    let by = by("yamada");
    assert_eq!(
        store.insert_providers(&[provider("a", "あ"), provider("b", "い")], "test").unwrap(),
        Some(SeqRange { first: 1, last: 2 })
    );
    assert_eq!(store.create_provider(&provider("c", "う"), &by).unwrap().seq, Some(3));
    let same = store.update_provider(&provider("c", "う"), &[1], &by, action::UPDATE).unwrap();
    assert_eq!(same.seq, None, "a write that changes nothing takes no seq");
    assert!(store.create_provider(&provider("c", "う"), &by).is_err());
    assert!(store.insert_providers(&[provider("x", "x"), provider("a", "a")], "test").is_err());
    assert!(store.update_provider(&provider("c", "x"), &[9], &by, action::UPDATE).is_err());
    assert_eq!(
        store.update_provider(&provider("c", "え"), &[1], &by, action::UPDATE).unwrap().seq,
        Some(4),
        "refused writes leave no gap"
    );
    assert_eq!(store.set_deleted("a", true, &[1], &by).unwrap().seq, Some(5));
    let import = ImportWrite::default()
        .with_upsert(by.apply(provider("d", "お"), 1), None, action::IMPORT)
        .with_removal(ImportRemoval {
            provider: by.apply(provider("b", "い"), 2),
            base_version: 1,
            action: action::IMPORT_DELETE,
        });
    assert_eq!(store.apply_import(&import, None).unwrap(), Some(SeqRange { first: 6, last: 7 }));
    assert_eq!(store.last_seq().unwrap(), 7);
    let feed = store.changes_since(3, 10).unwrap();
    let summary: Vec<(i64, &str, i64, bool, &str)> =
        feed.iter().map(|e| (e.seq, e.provider_id.as_str(), e.version, e.deleted, e.provider.name.as_str())).collect();
    assert_eq!(
        summary,
        [(4, "c", 2, false, "え"), (5, "a", 2, true, "あ"), (6, "d", 1, false, "お"), (7, "b", 2, true, "い")]
    );
    assert_eq!(feed[0].action, action::UPDATE);
    assert_eq!(feed[0].changed_by, "yamada");
    assert_eq!(store.changes_since(0, 2).unwrap().iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    assert!(store.changes_since(7, 10).unwrap().is_empty());
}

fn a_snapshot_plus_the_changes_after_its_seq_is_the_latest_state(store: &dyn Store) {
    let seed: Vec<Provider> = (0..300).map(|i| provider(&format!("p{i:03}"), "v1")).collect();
    store.insert_providers(&seed, "test").unwrap();
    let (snapshot, seq) = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for i in 0..60 {
                let id = format!("p{:03}", i * 5);
                store.update_provider(&provider(&id, "v2"), &[1], &by("w"), action::UPDATE).unwrap();
                if i % 10 == 0 {
                    store.set_deleted(&format!("p{:03}", i * 5 + 1), true, &[1], &by("w")).unwrap();
                }
            }
        });
        let mut snapshot = std::collections::BTreeMap::new();
        let seq = store
            .load_snapshot_chunked(7, &mut |chunk| {
                snapshot.extend(chunk.providers()?.into_iter().map(|p| (p.id.clone(), p)));
                std::thread::sleep(std::time::Duration::from_millis(2));
                Ok(())
            })
            .unwrap();
        writer.join().unwrap();
        (snapshot, seq)
    });
    let mut state = snapshot;
    for change in store.changes_since(seq, 10_000).unwrap() {
        if change.deleted {
            state.remove(&change.provider_id);
        } else {
            state.insert(change.provider_id.clone(), change.provider);
        }
    }
    let latest = store.load_providers().unwrap();
    assert_eq!(state.into_values().collect::<Vec<_>>(), latest);
}

fn of_two_concurrent_updates_of_one_version_exactly_one_wins(store: &dyn Store) {
    store.create_provider(&provider("a", "あ"), &by("yamada")).unwrap();
    for round in 1..=5 {
        let barrier = std::sync::Barrier::new(2);
        let results: Vec<_> = std::thread::scope(|s| {
            let writers: Vec<_> = ["x", "y"]
                .into_iter()
                .map(|name| {
                    let barrier = &barrier;
                    s.spawn(move || {
                        barrier.wait();
                        store.update_provider(
                            &provider("a", &format!("{name}{round}")),
                            &[round],
                            &by(name),
                            action::UPDATE,
                        )
                    })
                })
                .collect();
            writers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let won = results.iter().filter(|r| r.is_ok()).count();
        let lost = results.iter().filter(|r| matches!(r, Err(StoreError::VersionMismatch { .. }))).count();
        assert_eq!((won, lost), (1, 1), "round {round}: {results:?}");
    }
    assert_eq!(store.provider_record("a").unwrap().unwrap().provider.version, 6);
    assert_eq!(store.provider_history("a").unwrap().len(), 6);
}

fn a_copy_is_refused_by_a_store_that_is_not_empty(store: &dyn Store) {
    store.set_meta("dataset", "sample").unwrap();
    let err = store.restore_dump(&caremap::store::Dump::default()).unwrap_err().to_string();
    assert!(err.contains("not empty") && err.contains("meta: 1"), "{err}");
}

/// Fills a store with a bit of everything.
fn fill(store: &dyn Store) {
    store.insert_providers(&[every_field("b"), provider("a", "あ")], "load-data").unwrap();
    store.update_provider(&provider("a", "あ2"), &[1], &by("yamada"), action::UPDATE).unwrap();
    store.set_deleted("b", true, &[3], &by("yamada")).unwrap();
    store.create_provider(&provider("c", "う"), &by("suzuki")).unwrap();
    store.add_user("yamada", Role::Editor, &hash_token("cmk_yamada")).unwrap();
    store.add_user("abe", Role::Admin, &hash_token("cmk_abe")).unwrap();
    store.revoke_user_by("abe", "cli:root").unwrap();
    districts_and_settings_are_kept(store);
    store.replace_population(&[column("T1", &[("53394611", Some(12.5)), ("53394612", None)])]).unwrap();
    store
        .replace_addresses("sample", &["12220".into()], &[point("12220", "南流山一丁目", "", "sample", 139.90)])
        .unwrap();
    community_centers_are_replaced_as_a_whole(store);
    let hash = hash_token("cmk_sakura");
    let bound = ["c".to_owned(), "a".to_owned()];
    store
        .create_user(&NewUser {
            name: "sakura",
            role: Role::Provider,
            token_hash: &hash,
            expires_at: None,
            actor: "cli:root",
            providers: &bound,
        })
        .unwrap();
}

/// A store filled on one backend, copied to the other and back: everything equal, seqs and
/// token hashes included, and the copy goes on numbering the feed after the source's last seq.
fn copy_between(from: fn() -> Backend, to: fn() -> Backend) {
    let (a, b, c) = (from(), to(), from());
    fill(a.store.as_ref());
    let original = a.store.dump().unwrap();
    b.store.restore_dump(&original).unwrap();
    assert_eq!(b.store.dump().unwrap(), original);
    c.store.restore_dump(&b.store.dump().unwrap()).unwrap();
    assert_eq!(c.store.dump().unwrap(), original);
    assert_eq!(b.store.user_by_token_hash(&hash_token("cmk_yamada")).unwrap().unwrap().name, "yamada");
    let last = original.history.last().unwrap().seq;
    assert_eq!(b.store.last_seq().unwrap(), last);
    let next = b.store.create_provider(&provider("d", "え"), &by("x")).unwrap();
    assert_eq!(next.seq, Some(last + 1));
    b.store.add_user("new", Role::Editor, &hash_token("cmk_new")).unwrap();
    let events = b.store.account_events(&AuditQuery { limit: 100, ..AuditQuery::default() }).unwrap();
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq), "the account log goes on after the copied seqs");
    let sakura = b.store.user_by_token_hash(&hash_token("cmk_sakura")).unwrap().unwrap();
    assert_eq!(sakura.providers, ["c", "a"], "the provider account keeps its ids");
    let version = b.store.community_centers_version().unwrap();
    assert_eq!(version, 3, "the layer version is copied");
    let last_event = original.center_events.last().unwrap().seq;
    let written = b.store.write_community_center(&CenterWrite {
        id: "n",
        after: Some(&center("n", &[])),
        create: true,
        expected: &[version],
        changed_by: "x",
        changed_at: "2026-11-30T00:00:00Z",
    });
    assert_eq!(written.unwrap(), version + 1);
    assert!(b.store.community_center_events(1).unwrap()[0].seq > last_event, "the centre log goes on after the copy");
}

/// The LISTEN loop against the real cluster: a committed write wakes it; a cut connection is
/// counted, re-established, and wakes it once more (for what was missed meanwhile).
#[test]
fn the_listener_is_woken_by_each_write_and_survives_a_lost_connection() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    let db = support::postgres::database();
    let store = PgStore::open(&db.url).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let wake = Arc::new(tokio::sync::Notify::new());
        let reconnects = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(caremap::store::postgres::listen_for_changes(
            db.url.clone(),
            wake.clone(),
            reconnects.clone(),
        ));
        let woken = |what: &'static str| {
            let wake = wake.clone();
            async move {
                tokio::time::timeout(Duration::from_secs(10), wake.notified())
                    .await
                    .unwrap_or_else(|_| panic!("not woken: {what}"));
            }
        };
        woken("once listening").await;
        store.create_provider(&provider("a", "あ"), &by("x")).unwrap();
        woken("by the first write's NOTIFY").await;
        store.create_provider(&provider("b", "い"), &by("x")).unwrap();
        woken("by the second write's NOTIFY").await;
        assert_eq!(reconnects.load(Ordering::Relaxed), 0);

        let url = db.cluster.url("postgres");
        let name = db.name.clone();
        let cut = tokio::task::spawn_blocking(move || {
            let mut admin = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
            let row = admin
                .query_one(
                    "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
                     WHERE application_name = 'caremap-listen' AND datname = $1",
                    &[&name],
                )
                .unwrap();
            row.get::<_, i64>(0)
        })
        .await
        .unwrap();
        assert_eq!(cut, 1, "one listener connection was cut");
        woken("after reconnecting").await;
        assert_eq!(reconnects.load(Ordering::Relaxed), 1);
        store.create_provider(&provider("c", "う"), &by("x")).unwrap();
        woken("by a write after the reconnect").await;
        task.abort();
    });
}

/// PostgreSQL out of reach: reads and writes fail as `Unavailable` (the HTTP layer's 503 with
/// Retry-After, never a 500), nothing is half-written, and the same store works again once the
/// server is back (its pooled connections, cut by the restart, are replaced).
#[test]
fn while_postgres_is_down_the_store_is_unavailable_and_it_recovers_after() {
    let db = support::postgres::private_database();
    let store = PgStore::open(&db.url).unwrap();
    store.create_provider(&provider("a", "あ"), &by("x")).unwrap();
    db.cluster.stop();
    let write = store.update_provider(&provider("a", "い"), &[1], &by("x"), action::UPDATE);
    assert!(matches!(&write, Err(StoreError::Unavailable(_))), "{write:?}");
    assert!(write.as_ref().unwrap_err().is_unavailable());
    let read = store.last_seq();
    assert!(matches!(&read, Err(StoreError::Unavailable(_))), "{read:?}");
    db.cluster.restart();
    let written = store.update_provider(&provider("a", "い"), &[1], &by("x"), action::UPDATE).unwrap();
    assert_eq!((written.record.provider.version, written.seq), (2, Some(2)));
}

/// Servers starting at once on a new database: the migration lock lets one create the schema
/// and the others find it done.
#[test]
fn servers_opening_a_new_database_at_once_do_not_race_on_the_schema() {
    let db = support::postgres::database();
    let opened: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| PgStore::open(&db.url).map(|_| ()))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(opened.iter().all(Result::is_ok), "{opened:?}");
}

/// The provider columns come from the field table: a column missing from the table (a field
/// added to caremap after the database was made) is added when the store opens.
#[test]
fn a_provider_column_missing_from_the_database_is_added_from_the_field_table() {
    let db = support::postgres::database();
    PgStore::open(&db.url).unwrap().insert_providers(&[provider("a", "あ")], "test").unwrap();
    db.cluster.execute(&db.name, "ALTER TABLE providers DROP COLUMN notes");
    let store = PgStore::open(&db.url).unwrap();
    let edit = Provider { notes: Some("追加された列".into()), ..provider("a", "あ") };
    store.update_provider(&edit, &[1], &by("x"), action::UPDATE).unwrap();
    assert_eq!(store.provider_record("a").unwrap().unwrap().provider.notes.as_deref(), Some("追加された列"));
}

/// A PostgreSQL database as the schema before its migration 2 left it (accepting as 1/0, `true`
/// and `false` in the history's snapshots, two roles, no provider accounts, no centre log) is
/// brought up to date at open: the states are yes/no, staff keep their tokens, the new tables work.
#[test]
fn an_old_postgres_database_gets_three_state_vacancy_provider_accounts_and_the_centre_log() {
    let db = support::postgres::database();
    {
        let store = PgStore::open(&db.url).unwrap();
        let with = |id: &str, accepting| Provider { accepting, ..provider(id, "あ") };
        let rows = [with("a", Some(Accepting::Yes)), with("b", Some(Accepting::No)), with("c", None)];
        store.insert_providers(&rows, "test").unwrap();
        store.add_user("yamada", Role::Editor, &hash_token("cmk_old")).unwrap();
    }
    db.cluster.execute(
        &db.name,
        "DROP TABLE user_providers;
         DROP TABLE community_center_events;
         ALTER TABLE address_points DROP COLUMN town_code;
         ALTER TABLE users DROP CONSTRAINT users_role_check;
         ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('editor', 'admin'));
         ALTER TABLE providers ALTER COLUMN accepting TYPE BIGINT
             USING CASE accepting WHEN 'yes' THEN 1 WHEN 'no' THEN 0 END;
         UPDATE provider_history
            SET data = jsonb_set(data::jsonb, '{accepting}',
                                 CASE WHEN data::jsonb ->> 'accepting' = 'yes' THEN 'true'::jsonb ELSE 'false'::jsonb END)::text
          WHERE jsonb_typeof(data::jsonb -> 'accepting') = 'string';
         UPDATE caremap_schema SET version = 1;",
    );
    let store = PgStore::open(&db.url).unwrap();
    let states: Vec<Option<Accepting>> = store.load_providers().unwrap().iter().map(|p| p.accepting).collect();
    assert_eq!(states, [Some(Accepting::Yes), Some(Accepting::No), None]);
    let history: Vec<Option<Accepting>> =
        ["a", "b"].iter().map(|id| store.provider_history(id).unwrap()[0].after.accepting).collect();
    assert_eq!(history, [Some(Accepting::Yes), Some(Accepting::No)], "the snapshots' flags became states");
    let yamada = store.user_by_token_hash(&hash_token("cmk_old")).unwrap().unwrap();
    assert_eq!((yamada.role, yamada.providers.len()), (Role::Editor, 0));
    let (hash, bound) = (hash_token("cmk_sakura"), ["c".to_owned(), "a".to_owned()]);
    let new = NewUser {
        name: "sakura",
        role: Role::Provider,
        token_hash: &hash,
        expires_at: None,
        actor: "cli:root",
        providers: &bound,
    };
    assert_eq!(store.create_user(&new).unwrap().providers, bound, "the provider role and its table exist");
    a_centre_write_checks_the_layer_version_and_is_logged(&store);
}
