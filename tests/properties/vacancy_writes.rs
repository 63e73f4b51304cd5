//! Issue 16: any interleaving of provider accounts' vacancy writes (`Door::vacancy`) and
//! editors' writes (PUT of other fields, PUT of vacancy fields) through the one write door
//! leaves every provider's history complete — one entry per accepted write that changes
//! something (the store records no version for a PUT of the same values), versions 1..n
//! without gaps, each by its author — and its vacancy equal to the last accepted write's.
//! Writes at a stale version are refused (412) and leave no trace.

use std::sync::Arc;

use caremap::catalog::Catalog;
use caremap::domain::{Accepting, Kind, LonLat, Provider, ProviderFields, VacancyChange};
use caremap::store::{SqliteStore, Store, StoreError};
use caremap::write::Door;
use proptest::prelude::*;

const PROVIDERS: usize = 3;

/// The vacancy a person sets: state, note, free places.
type Vacancy = (Option<Accepting>, Option<String>, Option<u32>);

#[derive(Debug, Clone)]
enum Write {
    /// A provider account's `PATCH …/vacancy` (an empty change confirms).
    ProviderVacancy(VacancyChange),
    /// An editor's PUT changing the phone only.
    EditorPhone(u16),
    /// An editor's PUT changing the vacancy fields.
    EditorVacancy(Vacancy),
}

#[derive(Debug, Clone)]
struct Step {
    target: usize,
    write: Write,
    /// Sent with an If-Match of an older version (a conflicting edit).
    stale: bool,
}

fn vacancy() -> impl Strategy<Value = Vacancy> {
    (
        proptest::option::of(proptest::sample::select(Accepting::ALL.to_vec())),
        proptest::option::of(proptest::sample::select(vec!["火・木の午後なら可".to_owned(), "要相談".to_owned()])),
        proptest::option::of(0u32..=999),
    )
}

fn change() -> impl Strategy<Value = VacancyChange> {
    (
        proptest::option::of(proptest::option::of(proptest::sample::select(Accepting::ALL.to_vec()))),
        proptest::option::of(proptest::option::of(Just("月曜のみ".to_owned()))),
        proptest::option::of(proptest::option::of(0u32..=999)),
    )
        .prop_map(|(accepting, note, places)| VacancyChange { accepting, note, places })
}

fn step() -> impl Strategy<Value = Step> {
    let write = prop_oneof![
        change().prop_map(Write::ProviderVacancy),
        (0u16..10_000).prop_map(Write::EditorPhone),
        vacancy().prop_map(Write::EditorVacancy),
    ];
    (0..PROVIDERS, write, proptest::bool::weighted(0.2)).prop_map(|(target, write, stale)| Step {
        target,
        write,
        stale,
    })
}

fn vacancy_of(p: &Provider) -> Vacancy {
    (p.accepting, p.accepting_note.clone(), p.accepting_places)
}

/// What the model expects of one provider.
#[derive(Debug, Clone)]
struct Model {
    version: i64,
    authors: Vec<&'static str>,
    vacancy: Vacancy,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn interleaved_provider_and_editor_writes_keep_histories_complete_and_the_last_vacancy(
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("t.db")).unwrap());
        let catalog = Arc::new(Catalog::new(Vec::new(), Vec::new()));
        let door = Door::new(store.clone(), catalog.clone());
        let ids: Vec<String> = (0..PROVIDERS).map(|i| format!("p{i}")).collect();
        let mut models = Vec::new();
        for id in &ids {
            let p = Provider {
                services: vec!["130".into()],
                ..Provider::new(id.clone(), Kind::Care, format!("事業所{id}"), LonLat::new(139.9, 35.85).unwrap())
            };
            door.create(p, "editor").unwrap();
            models.push(Model { version: 1, authors: vec!["editor"], vacancy: (None, None, None) });
        }

        for step in &steps {
            let model = &mut models[step.target];
            let id = &ids[step.target];
            let expected = if step.stale { vec![model.version + 7] } else { vec![model.version] };
            let current = store.provider_record(id).unwrap().unwrap().provider;
            let (result, author, vacancy) = match &step.write {
                Write::ProviderVacancy(change) => {
                    let after = change.apply(current.clone(), "2026-11-30T00:00:00Z");
                    (door.vacancy(id, change, &expected, "office"), "office", vacancy_of(&after))
                }
                Write::EditorPhone(n) => {
                    let next = Provider { phone: Some(format!("04-7150-{n:04}")), ..current.clone() };
                    (door.update(next, &expected, "editor"), "editor", vacancy_of(&current))
                }
                Write::EditorVacancy(v) => {
                    let next = Provider {
                        accepting: v.0,
                        accepting_note: v.1.clone(),
                        accepting_places: v.2,
                        ..current.clone()
                    };
                    (door.update(next, &expected, "editor"), "editor", v.clone())
                }
            };
            match result {
                Ok(written) if written.record.provider.version == model.version => {
                    // The store keeps a write that changes nothing as no version at all; only an
                    // editor's PUT of the same values can be one (a confirmation always stamps).
                    prop_assert!(!step.stale && !matches!(step.write, Write::ProviderVacancy(_)), "{step:?}");
                    prop_assert_eq!(&vacancy, &model.vacancy);
                }
                Ok(written) => {
                    prop_assert!(!step.stale, "a stale write was accepted: {step:?}");
                    model.version += 1;
                    model.authors.push(author);
                    model.vacancy = vacancy;
                    prop_assert_eq!(written.record.provider.version, model.version);
                }
                Err(StoreError::VersionMismatch { .. }) => prop_assert!(step.stale, "a current write was refused: {step:?}"),
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }

        let snapshot = catalog.snapshot();
        for (id, model) in ids.iter().zip(&models) {
            let mut history = store.provider_history(id).unwrap();
            history.sort_by_key(|e| e.version);
            let versions: Vec<i64> = history.iter().map(|e| e.version).collect();
            prop_assert_eq!(versions, (1..=model.version).collect::<Vec<_>>(), "gapless versions of {}", id);
            let authors: Vec<&str> = history.iter().map(|e| e.changed_by.as_str()).collect();
            prop_assert_eq!(&authors, &model.authors);
            for e in &history {
                if e.changed_by == "office" {
                    prop_assert!(e.action == "vacancy" || e.action == "vacancy-confirm", "{}", e.action);
                }
            }
            let stored = store.provider_record(id).unwrap().unwrap().provider;
            prop_assert_eq!(vacancy_of(&stored), model.vacancy.clone());
            prop_assert_eq!(snapshot.get(id).map(ProviderFields::to_provider), Some(stored.clone()), "the catalog serves what was committed");
            let mut vacancy_writes = history.iter().skip(1).filter(|e| e.changed_by == "office" || {
                e.before.as_ref().is_some_and(|b| vacancy_of(b) != vacancy_of(&e.after))
            });
            // Every vacancy write (and only those) stamped the confirmation time.
            if let Some(last) = vacancy_writes.next_back() {
                prop_assert_eq!(stored.accepting_checked_at.as_deref(), Some(last.changed_at.as_str()));
            } else {
                prop_assert_eq!(stored.accepting_checked_at, None);
            }
        }
    }
}
