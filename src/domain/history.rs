//! What a change did to a provider: the actions recorded in its history and the per-field
//! difference between two versions, named as in the public API.

use serde::Serialize;
use serde_json::Value;

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
}

/// One field that differs between two versions. `from` is `null` for a first version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// The public property name (`name`, `phone` …), `geometry` for the location, or
    /// `deleted` for a soft delete or restore.
    pub field: &'static str,
    /// The value before.
    pub from: Value,
    /// The value after.
    pub to: Value,
}

/// Fields compared, in the order of the public Feature, with the stored field each comes from.
const FIELDS: &[(&str, &str)] = &[
    ("kind", "kind"),
    ("official_code", "official_code"),
    ("name", "name"),
    ("name_kana", "name_kana"),
    ("services", "services"),
    ("home_care", "home_care"),
    ("address", "address"),
    ("phone", "phone"),
    ("fax", "fax"),
    ("url", "url"),
    ("corporation", "corporation"),
    ("corporate_number", "corporate_number"),
    ("capacity", "capacity"),
    ("open_days", "open_days"),
    ("notes", "notes"),
    ("accepting", "accepting"),
    ("accepting_updated_at", "accepting_updated_at"),
    ("district", "district"),
    ("geometry", "location"),
];

fn as_object(p: &Provider) -> serde_json::Map<String, Value> {
    match serde_json::to_value(p) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// The fields that differ from `before` to `after` (bookkeeping fields `version`,
/// `updated_at`, `updated_by` are not changes). With no `before`, every field that has a value.
pub fn field_changes(before: Option<&Provider>, after: &Provider) -> Vec<FieldChange> {
    let old = before.map(as_object).unwrap_or_default();
    let new = as_object(after);
    FIELDS
        .iter()
        .filter_map(|&(field, key)| {
            let from = old.get(key).cloned().unwrap_or(Value::Null);
            let to = new.get(key).cloned().unwrap_or(Value::Null);
            (from != to).then_some(FieldChange { field, from, to })
        })
        .collect()
}

/// The changes of one history entry: the field differences, and for a delete or restore the
/// change of the `deleted` state, which is not a field of the provider itself.
pub fn entry_changes(action_done: &str, before: Option<&Provider>, after: &Provider) -> Vec<FieldChange> {
    let mut changes = field_changes(before, after);
    match action_done {
        action::DELETE | action::IMPORT_DELETE => {
            changes.push(FieldChange { field: "deleted", from: false.into(), to: true.into() });
        }
        action::RESTORE | action::IMPORT_RESTORE => {
            changes.push(FieldChange { field: "deleted", from: true.into(), to: false.into() });
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
                FieldChange { field: "phone", from: "04-7150-1234".into(), to: "04-7150-9999".into() },
                FieldChange {
                    field: "geometry",
                    from: serde_json::json!([139.9, 35.85]),
                    to: serde_json::json!([139.91, 35.86])
                },
            ]
        );
    }

    #[test]
    fn a_first_version_lists_every_field_that_has_a_value() {
        let fields: Vec<_> = field_changes(None, &provider()).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["kind", "name", "services", "phone", "geometry"]);
    }

    #[test]
    fn a_delete_is_a_change_of_the_deleted_state() {
        let p = provider();
        let changes = entry_changes(action::DELETE, Some(&p), &Provider { version: 2, ..provider() });
        assert_eq!(changes, vec![FieldChange { field: "deleted", from: false.into(), to: true.into() }]);
    }
}
