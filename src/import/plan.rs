//! The diff of an import against the stored rows: what is added, changed, unchanged and
//! removed, and the exact rows to write. Pure: no I/O. Unchanged providers are not written at
//! all (no new version, no history entry).

use std::collections::{BTreeSet, HashMap, HashSet};

use unicode_normalization::UnicodeNormalization;

use crate::domain::{
    District, FieldChange, HomeCare, HomeCareClass, Kind, Owner, PROVIDER_FIELDS, Provider, Stamp, differing,
    field_changes, name_districts, normalize_text, place_in_district,
};
use crate::store::{ImportRemoval, ImportWrite, ProviderRecord, UpsertBase};

use super::report::{DIFF_LIMIT, Diff, DiffEntry};
use super::{
    ACTION_IMPORT, ACTION_IMPORT_DELETE, ACTION_IMPORT_RESTORE, CARE_ID_PREFIX, ImportOptions, MEDICAL_ID_PREFIX,
    Notification, Parsed, Report, Source, stronger,
};

/// The fields that differ between two versions of a provider (bookkeeping fields excluded),
/// named as in the public API.
pub fn changed_fields(old: &Provider, new: &Provider) -> Vec<&'static str> {
    differing(old, new).map(|f| f.key).collect()
}

/// Applies the ownership of each field (see [`Owner`]) to what the import would store over
/// `stored`: staff-owned fields keep their stored value; an import-owned field left empty by
/// the file keeps its stored value unless `blank_clears`.
fn respect_ownership(mut next: Provider, stored: &Provider, blank_clears: bool) -> Provider {
    for f in PROVIDER_FIELDS {
        let keep = match f.owner {
            Owner::Staff => true,
            Owner::Import => !blank_clears && f.is_blank(&next) && !f.is_blank(stored),
            Owner::Derived => false,
        };
        if keep {
            f.copy(&mut next, stored);
        }
    }
    next
}

/// What the import makes of a provider it read, given the stored one (live).
fn merged(source: Source, read: Provider, stored: Option<&Provider>, covered: &BTreeSet<String>) -> Provider {
    let Some(stored) = stored else { return read };
    match source {
        // Every field is in the file (what staff own is kept afterwards: respect_ownership).
        Source::GeoJson | Source::Kouseikyoku => read,
        // The file has everything but 空き状況 (staff-owned); services of files not imported stay.
        Source::MhlwCare => {
            let mut services: Vec<String> =
                stored.services.iter().filter(|s| !covered.contains(*s)).cloned().chain(read.services).collect();
            services.sort();
            services.dedup();
            Provider { services, ..read }
        }
        // The file has name, kana, address, web site and location; the rest is kept.
        Source::IryoNet => Provider {
            kind: read.kind,
            official_code: read.official_code,
            name: read.name,
            name_kana: read.name_kana,
            address: read.address,
            url: read.url,
            location: read.location,
            ..stored.clone()
        },
    }
}

/// The plan being built.
struct Planner<'a> {
    districts: &'a [District],
    stamp: &'a Stamp,
    /// What is written besides the providers the files name (those are planned in place).
    write: ImportWrite,
    report: Report,
    diff: Diff,
}

impl Planner<'_> {
    /// The changed fields with their labels and old and new values, districts named.
    fn changes(&self, old: &Provider, next: &Provider) -> Vec<FieldChange> {
        let mut changes = field_changes(Some(old), next);
        name_districts(&mut changes, self.districts);
        changes
    }

    /// Adds the write of `next` over `stored`, if it changes anything, to the plan's own list.
    fn push(&mut self, next: Provider, stored: Option<&ProviderRecord>) {
        if let Some((provider, base)) = self.upsert(next, stored) {
            self.write.push_upsert(provider, base);
        }
    }

    /// Counts and lists the final state of a provider in the report, and returns it as it will
    /// be stored with how it is written; `None` when it changes nothing.
    fn upsert(&mut self, mut next: Provider, stored: Option<&ProviderRecord>) -> Option<(Provider, UpsertBase)> {
        place_in_district(&mut next, self.districts);
        match stored {
            Some(record) if record.deleted_at.is_none() => {
                let old = &record.provider;
                let fields = changed_fields(old, &next);
                if fields.is_empty() {
                    self.report.unchanged += 1;
                    return None;
                }
                self.report.changed += 1;
                // Old → new values only for the entries the report keeps (a large import
                // changes many more than it lists).
                let changes = if self.diff.changed.len() < DIFF_LIMIT { self.changes(old, &next) } else { Vec::new() };
                let entry = || DiffEntry { id: next.id.clone(), name: next.name.clone(), fields, changes };
                Diff::push(&mut self.diff.changed, &mut self.diff.truncated, entry);
                let base = UpsertBase { base_version: Some(old.version), action: ACTION_IMPORT };
                Some((self.stamp.apply(next, old.version + 1), base))
            }
            Some(record) => {
                self.report.added += 1;
                let entry = || DiffEntry::new(&next, vec!["deleted"]);
                Diff::push(&mut self.diff.added, &mut self.diff.truncated, entry);
                let base = UpsertBase { base_version: Some(record.provider.version), action: ACTION_IMPORT_RESTORE };
                Some((self.stamp.apply(next, record.provider.version + 1), base))
            }
            None => {
                self.report.added += 1;
                let entry = || DiffEntry::new(&next, Vec::new());
                Diff::push(&mut self.diff.added, &mut self.diff.truncated, entry);
                Some((self.stamp.apply(next, 1), UpsertBase { base_version: None, action: ACTION_IMPORT }))
            }
        }
    }

    fn remove(&mut self, stored: &Provider) {
        self.report.removed += 1;
        let entry = || DiffEntry::new(stored, Vec::new());
        Diff::push(&mut self.diff.removed, &mut self.diff.truncated, entry);
        let provider = self.stamp.apply(stored.clone(), stored.version + 1);
        self.write.removals.push(ImportRemoval {
            provider,
            base_version: stored.version,
            action: ACTION_IMPORT_DELETE,
        });
    }
}

/// Diffs `parsed` against `existing` (every stored provider, live or soft-deleted): each
/// provider written is placed in its district of `districts` and stamped with `stamp` (the
/// import's time and author). Returns the rows to write and the finished report (as a dry
/// run; the write door clears `dry_run` after committing).
///
/// What `--remove-missing` removes, by source:
/// - `mhlw-care`: live providers whose id starts with `care-` and that are in no file. Each
///   loses the services the files cover; one left with no service is soft-deleted, one that
///   still has other services keeps them (a change).
/// - `iryo-net`: live providers whose id starts with `med-`, of a kind the files cover
///   (clinic or hospital), that are in no file: soft-deleted.
/// - `kouseikyoku`: live clinics and hospitals with a 在宅療養支援 class that no row of the
///   list matched: the class is cleared (a change; nothing is deleted).
/// - `geojson`: every live provider not in the file: soft-deleted (the file is the whole
///   dataset, e.g. an edited export).
///
/// Providers created on the staff page under other ids are never removed by an import.
///
/// Over a stored provider, each field follows its owner (`crate::domain::Owner`): staff-owned
/// fields (備考, 受入可否 and its date) keep their stored value; an import-owned field the file
/// leaves empty keeps its stored value unless `options.blank_clears`.
pub fn plan(
    options: &ImportOptions,
    parsed: Parsed,
    existing: Vec<ProviderRecord>,
    districts: &[District],
    stamp: &Stamp,
) -> (ImportWrite, Report) {
    let mut planner =
        Planner { districts, stamp, write: ImportWrite::default(), report: parsed.report, diff: Diff::default() };
    planner.report.dry_run = true;
    let stored: HashMap<&str, &ProviderRecord> = existing.iter().map(|r| (r.provider.id.as_str(), r)).collect();
    match options.source {
        Source::Kouseikyoku => plan_classes(&mut planner, &parsed.notifications, &existing, options.remove_missing),
        source => {
            let read_ids: HashSet<String> = if options.remove_missing {
                parsed.providers.iter().map(|p| p.id.clone()).collect()
            } else {
                HashSet::new()
            };
            // The providers read become those written in the same list (no second list of a
            // million providers to fault in); one not written is dropped from it.
            let mut upserted = parsed.providers;
            let mut bases = Vec::with_capacity(upserted.len());
            upserted.retain_mut(|slot| {
                // An empty provider (no allocation) holds the place while the read one is planned.
                let read =
                    std::mem::replace(slot, Provider::new(String::new(), slot.kind, String::new(), slot.location));
                let record = stored.get(read.id.as_str()).copied();
                let live = record.filter(|r| r.deleted_at.is_none()).map(|r| &r.provider);
                let mut next = merged(source, read, live, &parsed.covered_services);
                // Also over a soft-deleted provider: a restore keeps what staff had entered.
                if let Some(record) = record {
                    next = respect_ownership(next, &record.provider, options.blank_clears);
                } else {
                    // Only a confirmation through caremap sets when the vacancy was confirmed.
                    next.accepting_checked_at = None;
                }
                let Some((provider, base)) = planner.upsert(next, record) else { return false };
                *slot = provider;
                bases.push(base);
                true
            });
            // What the files name comes first, then what their absence changes.
            planner.write = ImportWrite::planned(upserted, bases);
            if options.remove_missing {
                for record in existing.iter().filter(|r| r.deleted_at.is_none() && !read_ids.contains(&r.provider.id)) {
                    let p = &record.provider;
                    match source {
                        Source::MhlwCare if p.id.starts_with(CARE_ID_PREFIX) => {
                            let left: Vec<String> =
                                p.services.iter().filter(|s| !parsed.covered_services.contains(*s)).cloned().collect();
                            if left.is_empty() {
                                planner.remove(p);
                            } else if left.len() != p.services.len() {
                                planner.push(Provider { services: left, ..p.clone() }, Some(record));
                            }
                        }
                        Source::IryoNet
                            if p.id.starts_with(MEDICAL_ID_PREFIX)
                                && parsed.covered_kinds.contains(p.kind.as_str()) =>
                        {
                            planner.remove(p);
                        }
                        Source::GeoJson => planner.remove(p),
                        _ => {}
                    }
                }
            }
        }
    }
    let mut report = planner.report;
    report.diff = planner.diff;
    let mut write = planner.write;
    write.imported_at = Some(stamp.at.clone());
    (write, report)
}

/// Address text as compared: NFKC, no spaces, no prefecture, and 丁目/番地/番/号 and dash
/// variants written as `-`, kanji numerals before 丁目 as digits.
pub fn address_key(address: &str) -> String {
    let text: String = address.nfkc().filter(|c| !c.is_whitespace()).collect();
    let chars: Vec<char> = text.chars().collect();
    let prefecture_len = if text.starts_with("京都府") || text.starts_with("北海道") {
        3
    } else {
        chars
            .iter()
            .take(4)
            .enumerate()
            .skip(2)
            .find(|(_, c)| matches!(c, '都' | '府' | '県'))
            .map_or(0, |(i, _)| i + 1)
    };
    let mut out = String::with_capacity(text.len());
    let mut i = prefecture_len;
    while i < chars.len() {
        if chars[i..].starts_with(&['丁', '目']) || chars[i..].starts_with(&['番', '地']) {
            out.push('-');
            i += 2;
            continue;
        }
        if kanji_run_before_chome(&chars, i) {
            let (value, len) = kanji_number(&chars[i..]);
            out.push_str(&value.to_string());
            i += len;
            continue;
        }
        match chars[i] {
            '番' | '号' | '‐' | '‑' | '–' | '—' | '−' | 'ー' | '─' => out.push('-'),
            c => out.push(c),
        }
        i += 1;
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

fn is_kanji_digit(c: char) -> bool {
    "一二三四五六七八九十".contains(c)
}

fn kanji_run_before_chome(chars: &[char], i: usize) -> bool {
    let run = chars[i..].iter().take_while(|c| is_kanji_digit(**c)).count();
    run > 0 && chars.get(i + run..i + run + 2).is_some_and(|s| s == ['丁', '目'])
}

/// The value of a kanji numeral up to 99 at the start of `chars`, and its length.
fn kanji_number(chars: &[char]) -> (u32, usize) {
    let digit = |c: char| "〇一二三四五六七八九".chars().position(|d| d == c).map(|d| d as u32);
    let run: Vec<char> = chars.iter().take_while(|c| is_kanji_digit(**c)).copied().collect();
    let value = match run.iter().position(|&c| c == '十') {
        Some(at) => {
            let tens = if at == 0 { 1 } else { run[..at].iter().filter_map(|&c| digit(c)).sum() };
            let ones: u32 = run[at + 1..].iter().filter_map(|&c| digit(c)).sum();
            tens * 10 + ones
        }
        None => run.iter().filter_map(|&c| digit(c)).fold(0, |acc, d| acc * 10 + d),
    };
    (value, run.len())
}

/// Sets the 在宅療養支援 class of the clinics and hospitals the notifications name: by the
/// 10-digit 医療機関コード in `official_code`, else by the same name and address.
fn plan_classes(planner: &mut Planner<'_>, notifications: &[Notification], existing: &[ProviderRecord], clear: bool) {
    let medical =
        |r: &&ProviderRecord| r.deleted_at.is_none() && matches!(r.provider.kind, Kind::Clinic | Kind::Hospital);
    let mut by_code: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_name_address: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, r) in existing.iter().enumerate().filter(|(_, r)| medical(r)) {
        if let Some(code) = &r.provider.official_code {
            by_code.entry(code.as_str()).or_default().push(i);
        }
        if let Some(address) = &r.provider.address {
            by_name_address.entry((normalize_text(&r.provider.name), address_key(address))).or_default().push(i);
        }
    }
    let mut classes: HashMap<usize, HomeCareClass> = HashMap::new();
    for n in notifications {
        let by_code_hits = n.code.as_deref().and_then(|c| by_code.get(c));
        let by_name_hits =
            n.address.as_deref().and_then(|a| by_name_address.get(&(normalize_text(&n.name), address_key(a))));
        match by_code_hits.or(by_name_hits).map(Vec::as_slice) {
            Some([i]) => {
                let class = classes.get(i).map_or(n.class, |&c| stronger(c, n.class));
                classes.insert(*i, class);
            }
            Some(many) if many.len() > 1 => {
                let ids: Vec<&str> = many.iter().map(|&i| existing[i].provider.id.as_str()).collect();
                planner.report.skip_line(
                    &n.file,
                    n.line,
                    format!("{} matches several providers: {}", n.name, ids.join(", ")),
                );
            }
            _ => planner.report.skip_line(
                &n.file,
                n.line,
                format!(
                    "no clinic or hospital in the database has 医療機関コード {} or the name and address of {}",
                    n.code.as_deref().unwrap_or("(unknown prefecture)"),
                    n.name
                ),
            ),
        }
    }
    let mut order: Vec<usize> = classes.keys().copied().collect();
    if clear {
        order.extend(
            existing
                .iter()
                .enumerate()
                .filter(|(i, r)| {
                    medical(r) && !classes.contains_key(i) && r.provider.home_care.is_some_and(|h| h.class.is_some())
                })
                .map(|(i, _)| i),
        );
    }
    order.sort_unstable();
    for i in order {
        let record = &existing[i];
        let class = classes.get(&i).copied();
        let home_care = HomeCare { class, ..record.provider.home_care.unwrap_or_default() };
        let next = Provider { home_care: Some(home_care), ..record.provider.clone() };
        planner.push(next, Some(record));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> Provider {
        Provider {
            phone: Some("04-7150-1234".into()),
            notes: Some("職員の備考".into()),
            accepting: Some(crate::domain::Accepting::Yes),
            ..Provider::new(
                "care-1".into(),
                Kind::Care,
                "さくら".into(),
                crate::domain::LonLat::new(139.9, 35.85).unwrap(),
            )
        }
    }

    #[test]
    fn staff_owned_fields_are_kept_and_blanks_keep_values_unless_they_clear() {
        let read = Provider {
            name: "さくら（新）".into(),
            phone: None,
            notes: None,
            accepting: Some(crate::domain::Accepting::No),
            ..stored()
        };
        let kept = respect_ownership(read.clone(), &stored(), false);
        assert_eq!(kept, Provider { name: "さくら（新）".into(), ..stored() });
        let cleared = respect_ownership(read, &stored(), true);
        assert_eq!(cleared, Provider { name: "さくら（新）".into(), phone: None, ..stored() });
    }

    /// The providers read are planned in their own list: those that change nothing leave it,
    /// and each one written keeps its own base and action, in the order read, before what
    /// `--remove-missing` adds.
    #[test]
    fn each_provider_written_keeps_its_base_in_the_order_read() {
        let care = |id: &str, name: &str, service: &str, version: i64| Provider {
            id: id.into(),
            name: name.into(),
            services: vec![service.into()],
            version,
            ..stored()
        };
        let record = |p: Provider, deleted: bool| ProviderRecord {
            provider: p,
            deleted_at: deleted.then(|| "2026-11-01T00:00:00Z".to_owned()),
        };
        // Not in the file: one only with the file's service, one with another service too.
        let mut six = care("care-6", "他のサービスも", "110", 1);
        six.services.push("130".into());
        let existing = vec![
            record(care("care-1", "同じ", "110", 1), false),
            record(care("care-2", "旧名", "110", 1), false),
            record(care("care-3", "削除済", "110", 2), true),
            record(care("care-5", "ファイルにない", "110", 4), false),
            record(six, false),
        ];
        let parsed = Parsed {
            providers: vec![
                care("care-4", "新規", "110", 1),
                care("care-1", "同じ", "110", 1),
                care("care-2", "新名", "110", 1),
                care("care-3", "削除済", "110", 1),
            ],
            covered_services: ["110".to_owned()].into(),
            ..Parsed::default()
        };
        let stamp = Stamp { at: "2026-11-30T00:00:00Z".into(), by: "cli".into() };
        let options = ImportOptions { remove_missing: true, ..ImportOptions::new(Source::MhlwCare, "cli") };
        let (write, report) = plan(&options, parsed, existing, &[], &stamp);
        let got: Vec<(&str, i64, Option<i64>, &str)> =
            write.upserts().map(|u| (u.provider.id.as_str(), u.provider.version, u.base_version, u.action)).collect();
        assert_eq!(
            got,
            [
                ("care-4", 1, None, ACTION_IMPORT),
                ("care-2", 2, Some(1), ACTION_IMPORT),
                ("care-3", 3, Some(2), ACTION_IMPORT_RESTORE),
                ("care-6", 2, Some(1), ACTION_IMPORT),
            ]
        );
        assert_eq!(write.upserts().nth(1).unwrap().provider.name, "新名");
        assert_eq!(write.upserts().nth(3).unwrap().provider.services, ["130"]);
        let removed: Vec<(&str, i64)> =
            write.removals.iter().map(|r| (r.provider.id.as_str(), r.base_version)).collect();
        assert_eq!(removed, [("care-5", 4)]);
        assert_eq!((report.added, report.changed, report.unchanged, report.removed), (2, 2, 1, 1));
        assert_eq!(write.imported_at.as_deref(), Some("2026-11-30T00:00:00Z"));
    }

    /// A large import lists the first [`DIFF_LIMIT`] providers it adds and counts every one.
    #[test]
    fn the_diff_keeps_the_first_entries_and_the_counts_stay_exact() {
        let count = DIFF_LIMIT + 5;
        let parsed = Parsed {
            providers: (0..count).map(|i| Provider { id: format!("care-{i}"), ..stored() }).collect(),
            ..Parsed::default()
        };
        let stamp = Stamp { at: "2026-11-30T00:00:00Z".into(), by: "cli".into() };
        let (write, report) = plan(&ImportOptions::new(Source::MhlwCare, "cli"), parsed, Vec::new(), &[], &stamp);
        assert_eq!((report.added, write.upserts().len()), (count as u64, count));
        assert_eq!(report.diff.added.len(), DIFF_LIMIT);
        assert!(report.diff.truncated);
        assert_eq!(report.diff.added[0].id, "care-0");
        assert_eq!(report.diff.added[DIFF_LIMIT - 1].id, format!("care-{}", DIFF_LIMIT - 1));
    }

    #[test]
    fn addresses_compare_across_notations() {
        assert_eq!(address_key("千葉県流山市平和台１丁目１番１号"), address_key("流山市平和台1-1-1"));
        assert_eq!(address_key("千葉県流山市平和台一丁目1番1号"), "流山市平和台1-1-1");
        assert_eq!(address_key("流山市おおたかの森北二十三丁目4-5"), "流山市おおたかの森北23-4-5");
        assert_ne!(address_key("流山市平和台1-1-1"), address_key("流山市平和台1-1-2"));
    }
}
