//! The door and the feed: a catalog behind the store catches up, and a catalog loaded from a
//! snapshot at seq k plus the feed after k equals one loaded from scratch.

use std::sync::Arc;

use proptest::prelude::*;

use super::Door;
use crate::catalog::{Catalog, Filter};
use crate::domain::{District, Kind, LonLat, Provider, ProviderFields, Stamp, action, parse_districts};
use crate::import::{ImportOptions, Parsed, Source};
use crate::store::{SqliteStore, Store};

fn districts() -> Vec<District> {
    parse_districts(
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"north","name":"北部"},
        "geometry":{"type":"Polygon","coordinates":[[[139.8,35.87],[140.0,35.87],[140.0,35.95],[139.8,35.95],[139.8,35.87]]]}}]}"#,
    )
    .unwrap()
}

fn provider(i: u8, lon: f64, lat: f64, name: &str) -> Provider {
    Provider {
        services: vec!["130".into()],
        ..Provider::new(format!("p{i}"), Kind::Care, name.into(), LonLat::new(lon, lat).unwrap())
    }
}

fn store() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    store.replace_districts(&districts()).unwrap();
    (dir, Arc::new(store))
}

/// A catalog loaded from the store's snapshot, at the seq of that snapshot.
fn load(store: &dyn Store) -> Catalog {
    let mut seq = 0;
    let catalog = Catalog::load_with(
        store.load_districts().unwrap(),
        |each| {
            seq = store.load_snapshot_chunked(3, each)?;
            Ok::<(), crate::store::StoreError>(())
        },
        crate::app::startup::records_of_rows,
        crate::store::ProviderRows::read_rows_hint,
    )
    .unwrap();
    catalog.at_seq(seq)
}

#[test]
fn a_write_is_published_with_its_seq_and_placed_in_its_district() {
    let (_dir, store) = store();
    let catalog = Arc::new(load(store.as_ref()));
    let door = Door::new(store.clone(), catalog.clone());
    let written = door.create(provider(1, 139.9, 35.9, "北"), "yamada").unwrap();
    assert_eq!(written.seq, Some(1));
    assert_eq!(written.record.provider.district.as_deref(), Some("north"));
    assert_eq!(catalog.applied_seq(), 1);
    assert_eq!(catalog.snapshot().get("p1").map(ProviderFields::to_provider), Some(written.record.provider));
}

#[test]
fn a_catalog_that_missed_changes_catches_up_from_the_store_on_the_next_write() {
    let (_dir, store) = store();
    let catalog = Arc::new(load(store.as_ref()));
    let door = Door::new(store.clone(), catalog.clone());
    door.create(provider(1, 139.9, 35.85, "一"), "yamada").unwrap();
    // Committed without the door's publish (as a crash between commit and publish would leave it).
    store.create_provider(&provider(2, 139.91, 35.85, "二"), &Stamp::now("other")).unwrap();
    store.set_deleted("p1", true, &[1], &Stamp::now("other")).unwrap();
    assert_eq!((catalog.applied_seq(), catalog.snapshot().len()), (1, 1));

    let written = door.create(provider(3, 139.92, 35.85, "三"), "yamada").unwrap();
    assert_eq!(written.seq, Some(4));
    let snapshot = catalog.snapshot();
    assert_eq!(snapshot.applied_seq(), 4);
    let ids: Vec<&str> = snapshot.all(&Filter::default()).iter().map(|f| f.provider.id()).collect();
    assert_eq!(ids, ["p2", "p3"], "the change made behind the door's back is served too, and the delete");
}

#[test]
fn an_import_through_the_door_is_committed_stamped_and_published_as_one_range() {
    let (_dir, store) = store();
    let catalog = Arc::new(load(store.as_ref()));
    let door = Door::new(store.clone(), catalog.clone());
    let parsed = Parsed {
        providers: vec![provider(1, 139.9, 35.9, "一"), provider(2, 139.9, 35.85, "二")],
        ..Parsed::default()
    };
    let report = door.import(&ImportOptions::new(Source::GeoJson, "cli"), parsed, None).unwrap();
    assert_eq!((report.added, report.dry_run), (2, false));
    assert_eq!(catalog.applied_seq(), 2);
    let p1 = catalog.snapshot().get("p1").map(ProviderFields::to_provider).unwrap();
    assert_eq!((p1.version, p1.updated_by.as_str(), p1.district.as_deref()), (1, "cli", Some("north")));
    assert_eq!(Some(p1.updated_at.clone()), report.imported_at, "one time for the import, the one it reports");
}

#[derive(Debug, Clone)]
enum Op {
    Create(u8, f64, f64),
    Update(u8, f64, f64),
    Delete(u8),
    Restore(u8),
    Revert(u8),
    Import(Vec<(u8, f64, f64)>),
}

fn op() -> impl Strategy<Value = Op> {
    let place = || (0u8..12, 139.85..139.95f64, 35.83..35.93f64);
    prop_oneof![
        3 => place().prop_map(|(i, lon, lat)| Op::Create(i, lon, lat)),
        3 => place().prop_map(|(i, lon, lat)| Op::Update(i, lon, lat)),
        1 => (0u8..12).prop_map(Op::Delete),
        1 => (0u8..12).prop_map(Op::Restore),
        1 => (0u8..12).prop_map(Op::Revert),
        1 => prop::collection::vec(place(), 1..5).prop_map(Op::Import),
    ]
}

/// Runs one operation through the door; refused ones (unknown id, deleted, stale) are part
/// of the game and change nothing.
fn run(door: &Door, store: &dyn Store, op: &Op) {
    let version = |i: u8| store.provider_record(&format!("p{i}")).unwrap().map_or(0, |r| r.provider.version);
    let _ = match op {
        Op::Create(i, lon, lat) => door.create(provider(*i, *lon, *lat, "新規"), "yamada").map(|_| ()),
        Op::Update(i, lon, lat) => door.update(provider(*i, *lon, *lat, "更新"), &[version(*i)], "suzuki").map(|_| ()),
        Op::Delete(i) => door.set_deleted(&format!("p{i}"), true, &[version(*i)], "yamada").map(|_| ()),
        Op::Restore(i) => door.set_deleted(&format!("p{i}"), false, &[version(*i)], "yamada").map(|_| ()),
        Op::Revert(i) => door.revert(&format!("p{i}"), 1, &[version(*i)], "yamada").map(|_| ()),
        Op::Import(rows) => {
            let mut providers: Vec<Provider> =
                rows.iter().map(|(i, lon, lat)| provider(*i, *lon, *lat, "取込")).collect();
            providers.dedup_by(|a, b| a.id == b.id);
            let parsed = Parsed { providers, ..Parsed::default() };
            door.import(&ImportOptions::new(Source::GeoJson, "cli"), parsed, None)
                .map(|_| ())
                .map_err(|e| crate::store::StoreError::Corrupt { id: "import".into(), reason: e.to_string() })
        }
    };
}

/// Both catalogs serve the same providers at the same seq and answer queries alike.
fn same(a: &Catalog, b: &Catalog) -> Result<(), TestCaseError> {
    let (a, b) = (a.snapshot(), b.snapshot());
    prop_assert_eq!(a.applied_seq(), b.applied_seq());
    let all = |s: &crate::catalog::Snapshot| -> Vec<Provider> {
        s.all(&Filter::default()).iter().map(|f| f.provider.to_provider()).collect()
    };
    prop_assert_eq!(all(&a), all(&b));
    for (lon, lat) in [(139.9, 35.88), (139.86, 35.84), (139.94, 35.92)] {
        let from = LonLat::new(lon, lat).unwrap();
        let near = |s: &crate::catalog::Snapshot| -> Vec<(String, u64)> {
            s.nearest(from, 5, None, &Filter::default())
                .iter()
                .map(|f| (f.provider.id().to_owned(), f.distance_m.unwrap_or(0.0).to_bits()))
                .collect()
        };
        prop_assert_eq!(near(&a), near(&b));
    }
    let north = Filter { district: Some("north".into()), ..Filter::default() };
    prop_assert_eq!(a.all(&north).len(), b.all(&north).len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// A server that loaded a snapshot at seq k and then applied the feed after k serves
    /// exactly what one loaded from scratch serves, and what the writing server serves.
    #[test]
    fn a_snapshot_at_seq_k_plus_the_feed_after_k_equals_a_load_from_scratch(
        before in prop::collection::vec(op(), 0..20),
        after in prop::collection::vec(op(), 0..20),
    ) {
        let (_dir, store) = store();
        let live = Arc::new(load(store.as_ref()));
        let door = Door::new(store.clone(), live.clone());
        for op in &before {
            run(&door, store.as_ref(), op);
        }
        let follower = Arc::new(load(store.as_ref()));
        let k = follower.applied_seq();
        for op in &after {
            run(&door, store.as_ref(), op);
        }
        let caught_up = Door::new(store.clone(), follower.clone()).catch_up().unwrap();
        prop_assert_eq!(caught_up, store.last_seq().unwrap());
        prop_assert!(caught_up >= k);
        let scratch = load(store.as_ref());
        same(&follower, &scratch)?;
        same(&live, &scratch)?;
    }
}

#[test]
fn revert_and_restore_are_feed_changes_like_any_other() {
    let (_dir, store) = store();
    let catalog = Arc::new(load(store.as_ref()));
    let door = Door::new(store.clone(), catalog.clone());
    door.create(provider(1, 139.9, 35.85, "一"), "yamada").unwrap();
    door.update(provider(1, 139.9, 35.9, "二"), &[1], "yamada").unwrap();
    door.revert("p1", 1, &[2], "yamada").unwrap();
    door.set_deleted("p1", true, &[3], "yamada").unwrap();
    door.set_deleted("p1", false, &[4], "yamada").unwrap();
    let actions: Vec<String> = store.changes_since(0, 10).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, [action::CREATE, action::UPDATE, action::REVERT, action::DELETE, action::RESTORE]);
    let p1 = catalog.snapshot().get("p1").map(ProviderFields::to_provider).unwrap();
    assert_eq!((p1.name.as_str(), p1.district, p1.version, catalog.applied_seq()), ("一", None, 5, 5));
}

#[test]
fn a_hole_in_the_feed_is_not_skipped_the_changes_before_it_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    for i in 1..=3 {
        store.create_provider(&provider(i, 139.9, 35.85, "一"), &Stamp::now("other")).unwrap();
    }
    rusqlite::Connection::open(&path).unwrap().execute("DELETE FROM provider_history WHERE seq = 2", []).unwrap();
    let catalog = Arc::new(Catalog::new(Vec::new(), Vec::new()));
    let door = Door::new(store.clone(), catalog.clone());

    let err = door.catch_up().unwrap_err();
    assert!(matches!(err, crate::store::StoreError::FeedGap { after: 1, found: 3 }), "{err}");
    assert_eq!((catalog.applied_seq(), catalog.snapshot().len()), (1, 1));
}

/// The door's own writes, another writer of the same file, and catch-ups (the follower's
/// rounds) all at once: every seq is applied once, in order, and the catalog ends as a
/// fresh load of the store.
#[test]
fn concurrent_writes_and_catch_ups_apply_every_seq_once_and_in_order() {
    let (dir, store) = store();
    let catalog = Arc::new(load(store.as_ref()));
    let k = catalog.applied_seq();
    let door = Arc::new(Door::new(store.clone(), catalog.clone()));
    let other = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    std::thread::scope(|s| {
        let door_writes = s.spawn(|| {
            for i in 0..40u8 {
                door.create(provider(i, 139.9, 35.85 + f64::from(i) * 0.001, "本"), "yamada").unwrap();
            }
        });
        let other_writes = s.spawn(|| {
            for i in 100..140u8 {
                let p = Provider { id: format!("o{i}"), ..provider(i, 139.91, 35.86, "他") };
                other.create_provider(&p, &Stamp::now("other")).unwrap();
            }
        });
        while !(door_writes.is_finished() && other_writes.is_finished()) {
            door.catch_up().unwrap();
        }
    });
    let last = door.catch_up().unwrap();
    assert_eq!(last, store.last_seq().unwrap());
    assert_eq!(last - k, 80);
    assert_eq!(catalog.changes_applied(), 80, "no seq applied twice or skipped");
    let scratch = load(store.as_ref());
    let ids = |c: &Catalog| -> Vec<String> {
        c.snapshot().all(&Filter::default()).iter().map(|f| f.provider.id().to_owned()).collect()
    };
    assert_eq!(ids(&catalog), ids(&scratch));
    assert_eq!(catalog.applied_seq(), scratch.applied_seq());
}
