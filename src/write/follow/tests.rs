//! The feed's report: lag in changes and seconds, readiness within a bound, the reason when
//! not ready; and a follower round catching a catalog up with another writer's changes.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::{Feed, Follower};
use crate::catalog::Catalog;
use crate::domain::{Kind, LonLat, Provider, Stamp};
use crate::store::{SqliteStore, Store, StoreError};
use crate::write::Door;

/// A feed last caught up `ago`.
fn feed_caught_up(seq: i64, ago: Duration) -> Feed {
    let feed = Feed::new(seq);
    feed.seen().caught_up_at = Instant::now().checked_sub(ago).unwrap();
    feed
}

#[test]
fn a_catalog_seen_caught_up_within_the_bound_is_ready_and_reports_no_lag() {
    let feed = feed_caught_up(7, Duration::from_secs(3));
    assert_eq!(feed.ready(7, Duration::from_secs(10)), Ok(()));
    let status = feed.status(7);
    assert_eq!((status.last_seq, status.applied_seq, status.lag_changes, status.lag_seconds), (7, 7, 0, 0.0));
}

#[test]
fn a_catalog_not_seen_caught_up_for_longer_than_the_bound_is_not_ready_and_says_why() {
    let feed = feed_caught_up(7, Duration::from_secs(30));
    feed.saw_store_at(9, Some(SystemTime::now() - Duration::from_secs(20)));
    feed.failed(&StoreError::Unavailable("the database file x.db cannot be reached".into()));
    let reason = feed.ready(7, Duration::from_secs(10)).unwrap_err();
    for part in ["30 s", "bound 10 s", "applied seq 7", "last seq seen 9", "x.db cannot be reached"] {
        assert!(reason.contains(part), "{part}: {reason}");
    }
    let status = feed.status(7);
    assert_eq!(status.lag_changes, 2);
    assert!((20.0..30.0).contains(&status.lag_seconds), "the oldest missing change's age: {status:?}");
}

#[test]
fn an_unreachable_store_leaves_a_server_that_holds_everything_it_saw_ready() {
    let feed = feed_caught_up(7, Duration::from_secs(30));
    feed.failed(&StoreError::Unavailable("the database file x.db cannot be reached".into()));
    assert_eq!(feed.ready(7, Duration::from_secs(10)), Ok(()), "reads go on from memory");
    assert!(feed.ready(6, Duration::from_secs(10)).is_err(), "a server known to miss a change is not ready");
}

#[test]
fn the_lag_in_seconds_is_bounded_by_the_last_time_the_catalog_was_caught_up() {
    let feed = feed_caught_up(1, Duration::from_secs(4));
    feed.saw_store_at(3, None);
    let status = feed.status(1);
    assert_eq!(status.lag_changes, 2);
    assert!((4.0..30.0).contains(&status.lag_seconds), "{status:?}");
    feed.saw_store_at(3, Some(SystemTime::now() - Duration::from_secs(3600)));
    assert!(feed.status(1).lag_seconds < 30.0, "a clock far behind does not exceed the bound");
}

#[test]
fn a_write_of_this_server_counts_in_the_last_seq_without_lag() {
    let feed = Feed::new(4);
    assert_eq!(feed.status(6).last_seq, 6);
    assert_eq!(feed.status(6).lag_changes, 0);
}

fn provider(id: &str) -> Provider {
    Provider::new(id.into(), Kind::Care, "他のサーバー".into(), LonLat::new(139.9, 35.86).unwrap())
}

#[test]
fn a_round_applies_what_another_writer_committed_and_marks_the_feed_caught_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let catalog = Arc::new(Catalog::new(Vec::new(), Vec::new()));
    let feed = Arc::new(feed_caught_up(0, Duration::from_secs(60)));
    let door = Arc::new(Door::new(store.clone(), catalog.clone()));
    let follower = Follower { store, door, catalog: catalog.clone(), feed: feed.clone(), poll: Duration::from_secs(1) };
    let other = SqliteStore::open(&path).unwrap();
    other.create_provider(&provider("a"), &Stamp::now("other")).unwrap();
    other.create_provider(&provider("b"), &Stamp::now("other")).unwrap();
    assert!(feed.ready(0, Duration::from_secs(10)).is_err());

    assert_eq!(follower.round().unwrap(), 2);
    assert_eq!((catalog.applied_seq(), catalog.snapshot().len(), catalog.changes_applied()), (2, 2, 2));
    assert_eq!(feed.ready(2, Duration::from_secs(10)), Ok(()));
    assert_eq!(feed.status(2).lag_changes, 0);
}

#[tokio::test]
async fn a_wake_catches_up_at_once_without_waiting_for_the_poll() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let catalog = Arc::new(Catalog::new(Vec::new(), Vec::new()));
    let feed = Arc::new(feed_caught_up(0, Duration::from_secs(60)));
    let door = Arc::new(Door::new(store.clone(), catalog.clone()));
    // An hour between polls: within this test only a wake can start a round after the first.
    let follower =
        Follower { store, door, catalog: catalog.clone(), feed: feed.clone(), poll: Duration::from_secs(3600) };
    let task = tokio::spawn(follower.run());
    let deadline = Instant::now() + Duration::from_secs(20);
    while feed.status(0).since_caught_up > Duration::from_secs(30) {
        assert!(Instant::now() < deadline, "the first round did not run");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    SqliteStore::open(&path).unwrap().create_provider(&provider("a"), &Stamp::now("other")).unwrap();
    feed.wake.notify_one();
    while catalog.applied_seq() < 1 {
        assert!(Instant::now() < deadline, "the wake did not start a round");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(catalog.snapshot().get("a").is_some());
    task.abort();
}

#[test]
fn a_round_while_a_long_write_holds_the_door_is_caught_up_when_nothing_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("t.db")).unwrap());
    let catalog = Arc::new(Catalog::new(Vec::new(), Vec::new()));
    let feed = Arc::new(feed_caught_up(0, Duration::from_secs(60)));
    let door = Arc::new(Door::new(store.clone(), catalog.clone()));
    let follower = Follower { store, door: door.clone(), catalog, feed: feed.clone(), poll: Duration::from_secs(1) };
    let _import = door.locked();

    assert_eq!(follower.round().unwrap(), 0);
    assert_eq!(feed.ready(0, Duration::from_secs(10)), Ok(()));
}
