//! What a change did to a provider: the actions recorded in its history and the per-field
//! difference between two versions, named as in the public API.

use serde::Serialize;
use serde_json::Value;

use super::district::District;
use super::fields::{PROVIDER_FIELDS, differing, field_label};
use super::provider::Provider;

/// The actions written to the history. Older rows may carry other labels (`sample`, `gen`,
/// `load-data`) from the bulk loads that created them.
pub mod action {
    /// Created through the staff API.
    pub const CREATE: &str = "create";
    /// Fields changed through the staff API.
    pub const UPDATE: &str = "update";
    /// Soft-deleted (hidden from the public API, kept in the store).
    pub const DELETE: &str = "delete";
    /// Brought back after a soft delete.
    pub const RESTORE: &str = "restore";
    /// The fields of an earlier version copied as a new version.
    pub const REVERT: &str = "revert";
    /// Added or changed by an import of official files.
    pub const IMPORT: &str = "import";
    /// Soft-deleted by an import with `--remove-missing` (no longer in the official files).
    pub const IMPORT_DELETE: &str = "import-delete";
    /// Brought back by an import (listed again in the official files after a soft delete).
    pub const IMPORT_RESTORE: &str = "import-restore";
    /// The vacancy (空き状況) changed through `PATCH …/vacancy`.
    pub const VACANCY: &str = "vacancy";
    /// The vacancy confirmed unchanged (「変わりなし（確認）」): only the confirmation time moved.
    pub const VACANCY_CONFIRM: &str = "vacancy-confirm";
}

/// One field that differs between two versions. `from` is `null` for a first version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// The public property name (`name`, `phone` …), `geometry` for the location, or
    /// `deleted` for a soft delete or restore.
    pub field: &'static str,
    /// The Japanese label of the field (`電話番号`), as staff read it.
    pub label: &'static str,
    /// The value before.
    pub from: Value,
    /// The value after.
    pub to: Value,
    /// For the district: the name of the district before (the value is its id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// For the district: the name of the district after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_name: Option<String>,
}

impl FieldChange {
    /// A change of `field` (a property name of [`PROVIDER_FIELDS`] or `deleted`).
    pub fn new(field: &'static str, from: Value, to: Value) -> Self {
        Self { field, label: field_label(field), from, to, from_name: None, to_name: None }
    }
}

/// The fields that differ from `before` to `after` (bookkeeping fields `version`,
/// `updated_at`, `updated_by` are not changes). With no `before`, every field that has a value.
pub fn field_changes(before: Option<&Provider>, after: &Provider) -> Vec<FieldChange> {
    let Some(before) = before else {
        return PROVIDER_FIELDS
            .iter()
            .map(|f| (f, f.value(after)))
            .filter(|(_, to)| !to.is_null())
            .map(|(f, to)| FieldChange::new(f.key, Value::Null, to))
            .collect();
    };
    differing(before, after).map(|f| FieldChange::new(f.key, f.value(before), f.value(after))).collect()
}

/// Adds the district names to district changes (`from_name`, `to_name`), from `districts`.
/// An id no district has any more keeps no name.
pub fn name_districts(changes: &mut [FieldChange], districts: &[District]) {
    let name = |v: &Value| v.as_str().and_then(|id| districts.iter().find(|d| d.id == id)).map(|d| d.name.clone());
    for c in changes.iter_mut().filter(|c| c.field == "district") {
        c.from_name = name(&c.from);
        c.to_name = name(&c.to);
    }
}

/// The name people read for the author of a change: staff are shown by their user name; the
/// loads that are no person get a Japanese label (`data` → 「初期データ」).
pub fn actor_name(actor: &str) -> &str {
    match actor {
        "data" => "初期データ",
        "sample" => "サンプルデータ",
        "gen" => "生成データ",
        "cli" => "取込（コマンド）",
        _ => actor,
    }
}

/// The changes of one history entry: the field differences, and for a delete or restore the
/// change of the `deleted` state, which is not a field of the provider itself.
pub fn entry_changes(action_done: &str, before: Option<&Provider>, after: &Provider) -> Vec<FieldChange> {
    let mut changes = field_changes(before, after);
    match action_done {
        action::DELETE | action::IMPORT_DELETE => {
            changes.push(FieldChange::new("deleted", false.into(), true.into()));
        }
        action::RESTORE | action::IMPORT_RESTORE => {
            changes.push(FieldChange::new("deleted", true.into(), false.into()));
        }
        _ => {}
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Kind, LonLat};

    fn provider() -> Provider {
        Provider {
            services: vec!["130".into()],
            phone: Some("04-7150-1234".into()),
            updated_at: "2026-01-01T00:00:00Z".into(),
            updated_by: "a".into(),
            ..Provider::new("p".into(), Kind::Care, "さくら".into(), LonLat::new(139.9, 35.85).unwrap())
        }
    }

    #[test]
    fn only_changed_fields_are_listed_with_before_and_after() {
        let before = provider();
        let after = Provider {
            phone: Some("04-7150-9999".into()),
            location: LonLat::new(139.91, 35.86).unwrap(),
            version: 2,
            updated_by: "b".into(),
            ..provider()
        };
        let changes = field_changes(Some(&before), &after);
        assert_eq!(
            changes,
            vec![
                FieldChange::new("phone", "04-7150-1234".into(), "04-7150-9999".into()),
                FieldChange::new("geometry", serde_json::json!([139.9, 35.85]), serde_json::json!([139.91, 35.86])),
            ]
        );
    }

    #[test]
    fn a_first_version_lists_every_field_that_has_a_value() {
        let fields: Vec<_> = field_changes(None, &provider()).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["kind", "name", "services", "phone", "geometry"]);
    }

    #[test]
    fn each_change_carries_the_japanese_label_of_its_field() {
        let after = Provider { phone: Some("04-7150-9999".into()), ..provider() };
        let changes = field_changes(Some(&provider()), &after);
        assert_eq!(changes[0].label, "電話番号");
        assert_eq!(serde_json::to_value(&changes[0]).unwrap()["label"], "電話番号");
    }

    #[test]
    fn district_changes_are_named_and_unknown_ids_keep_no_name() {
        let district = |id: &str, name: &str| District {
            id: id.into(),
            name: name.into(),
            description: None,
            area: geo::MultiPolygon(Vec::new()),
        };
        let mut changes = vec![FieldChange::new("district", "central".into(), "gone".into())];
        name_districts(&mut changes, &[district("central", "中部")]);
        assert_eq!(changes[0].from_name.as_deref(), Some("中部"));
        assert_eq!(changes[0].to_name, None);
    }

    #[test]
    fn loads_that_are_no_person_get_a_japanese_name() {
        assert_eq!(actor_name("data"), "初期データ");
        assert_eq!(actor_name("cli"), "取込（コマンド）");
        assert_eq!(actor_name("yamada"), "yamada");
    }

    #[test]
    fn a_delete_is_a_change_of_the_deleted_state() {
        let p = provider();
        let changes = entry_changes(action::DELETE, Some(&p), &Provider { version: 2, ..provider() });
        assert_eq!(changes, vec![FieldChange::new("deleted", false.into(), true.into())]);
    }
}
