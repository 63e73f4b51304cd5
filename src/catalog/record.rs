//! A provider as the catalog holds it: one compact record per provider instead of a
//! [`Provider`] with some fifteen separately allocated strings. Fixed-size values sit in the
//! record (position, version, kind, vacancy, home care, counts, the service set); repeated
//! strings (corporation, district, who changed it last) are numbers into the shared
//! [`intern`](super::intern) table; every other text — the id, the table's
//! [`TextAt::Block`] fields, `updated_at`, the service codes in their order and the folded
//! search key — lives in one text block per provider.
//!
//! The block is a `str`: a header with the end of each present entry, then the entries one
//! after another. Which entries are present is a bit each in `present`, so an entry's place in
//! the header is the number of present entries before it (one popcount). Ends are written in
//! 7-bit groups as ASCII digits of `width` bytes each (2 bytes up to 16 KiB of text, more only
//! for longer notes), so the block stays valid UTF-8 and an entry is read by slicing, without
//! decoding or checking anything: readers on the hot path (GeoJSON, CSV, tiles, filters) read
//! fields in place and never build a `Provider`.

use crate::domain::fields::{ADDRESS, NAME_KANA};
use crate::domain::{
    Accepting, Access, HomeCare, Kind, LonLat, PROVIDER_FIELDS, Provider, ProviderField, ProviderFields, ServiceSet,
    TextAt, normalize_into,
};
use crate::spatial::index::IndexEntry;

use super::intern::{self, NONE};

/// Block entry of the id (the table's text fields use entries `1..TEXT_SLOTS`).
const ID: u8 = 0;
/// Block entry of `updated_at`.
const UPDATED_AT: u8 = crate::domain::fields::TEXT_SLOTS;
/// Block entry of the service codes, each after its length (see [`push_codes`]).
const CODES: u8 = UPDATED_AT + 1;
/// Block entry of the folded text `q=` searches (name, kana, address).
const SEARCH_KEY: u8 = CODES + 1;
/// Number of block entries.
const ENTRIES: u8 = SEARCH_KEY + 1;
/// `present` bits of the block entries.
const ENTRY_BITS: u32 = (1 << ENTRIES) - 1;
/// `present` bit of count `n`.
const fn count_bit(n: u8) -> u32 {
    1 << (ENTRIES + n)
}
/// `present` bits holding the header width minus 2 (ends take 2 to 5 bytes of 7 bits).
const WIDTH_SHIFT: u32 = 29;

const _: () = assert!(
    (ENTRIES + crate::domain::fields::COUNT_SLOTS) as u32 <= WIDTH_SHIFT,
    "the entry and count bits fit below the width"
);
const POOLED: usize = crate::domain::fields::POOLED_SLOTS as usize;
const COUNTS: usize = crate::domain::fields::COUNT_SLOTS as usize;

/// One provider, compact. See the module documentation for the layout.
#[derive(Debug, Clone)]
pub struct Record {
    block: Box<str>,
    location: LonLat,
    version: i64,
    services: ServiceSet,
    counts: [u32; COUNTS],
    pooled: [u32; POOLED],
    updated_by: u32,
    present: u32,
    home_care: Option<HomeCare>,
    kind: Kind,
    accepting: Option<Accepting>,
}

impl Record {
    /// The record of `p`, whatever its layout: an owned [`Provider`] (a write), or a row read
    /// in place from the store (start-up, without building a `Provider` first).
    pub fn new(p: &impl ProviderFields) -> Self {
        let mut entries: [Option<&str>; ENTRIES as usize] = [None; ENTRIES as usize];
        let mut pooled = [NONE; POOLED];
        let (mut counts, mut present) = ([0; COUNTS], 0u32);
        for f in PROVIDER_FIELDS {
            match f.access {
                Access::Text { at: TextAt::Block(n), .. } => entries[usize::from(n)] = p.text(f),
                Access::Text { at: TextAt::Pooled(n), .. } => pooled[usize::from(n)] = intern::intern_opt(p.text(f)),
                Access::Count { at, .. } => {
                    if let Some(c) = p.count(f) {
                        counts[usize::from(at)] = c;
                        present |= count_bit(at);
                    }
                }
                _ => {}
            }
        }
        let mut codes = String::new();
        for code in p.codes() {
            push_codes(&mut codes, code);
        }
        let search_key = search_key(p.name(), p.text(NAME_KANA), p.text(ADDRESS));
        entries[usize::from(ID)] = Some(p.id());
        entries[usize::from(UPDATED_AT)] = Some(p.updated_at());
        entries[usize::from(CODES)] = Some(codes.as_str()).filter(|c| !c.is_empty());
        entries[usize::from(SEARCH_KEY)] = Some(search_key.as_str()).filter(|k| !k.is_empty());
        let (block, bits) = block(&entries);
        Self {
            block,
            location: p.location(),
            version: p.version(),
            services: p.services(),
            counts,
            pooled,
            updated_by: intern::intern(p.updated_by()),
            present: present | bits,
            home_care: p.home_care(),
            kind: p.kind(),
            accepting: p.accepting(),
        }
    }

    /// What the spatial index needs of this record at `slot`.
    pub(super) fn index_entry(&self, slot: u32) -> IndexEntry {
        IndexEntry { slot, location: self.location, services: self.services }
    }

    /// The folded name, kana and address `q=` searches (see [`crate::domain::normalize_text`]).
    pub(super) fn search_key(&self) -> &str {
        self.entry(SEARCH_KEY).unwrap_or_default()
    }

    /// Reads a byte of every cache line of the record and its text block, for a caller about
    /// to read several records (a page of features): records of a page sit far apart in
    /// memory, and touching them all first lets the processor fetch them at once instead of
    /// waiting for one miss after another while it writes.
    #[inline]
    pub fn touch(&self) {
        let bytes = self.block.as_bytes();
        let mut sum = 0u8;
        for line in bytes.chunks(64) {
            sum ^= line[0];
        }
        std::hint::black_box(sum);
    }

    /// Bytes of the record and its block (not counting the shared interned strings).
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.block.len()
    }

    /// Block entry `n`, if present.
    #[inline]
    fn entry(&self, n: u8) -> Option<&str> {
        let bit = 1u32 << n;
        if self.present & bit == 0 {
            return None;
        }
        let width = ((self.present >> WIDTH_SHIFT) + 2) as usize;
        let header = (self.present & ENTRY_BITS).count_ones() as usize * width;
        let k = (self.present & (bit - 1) & ENTRY_BITS).count_ones() as usize;
        let bytes = self.block.as_bytes();
        let end_at = |k: usize| -> usize {
            let digits = bytes.get(k * width..(k + 1) * width).unwrap_or_default();
            digits.iter().rev().fold(0, |acc, &d| (acc << 7) | usize::from(d))
        };
        let start = if k == 0 { 0 } else { end_at(k - 1) };
        self.block.get(header + start..header + end_at(k))
    }
}

/// Builds the block of `entries`: the header of ends, then the present entries. Returns it
/// with the `present` bits of the entries and the header width.
fn block(entries: &[Option<&str>]) -> (Box<str>, u32) {
    let text: usize = entries.iter().flatten().map(|e| e.len()).sum();
    // 7 bits per byte: 2 bytes cover 16 KiB, 5 bytes every length a u32 can hold.
    let width = (2..=5u32).find(|w| text < 1 << (7 * w)).unwrap_or(5);
    let mut present = (width - 2) << WIDTH_SHIFT;
    let count = entries.iter().flatten().count();
    let mut block = String::with_capacity(count * width as usize + text);
    let mut end = 0usize;
    for (n, e) in entries.iter().enumerate() {
        if let Some(e) = e {
            present |= 1 << n;
            end += e.len();
            for i in 0..width {
                block.push(char::from(((end >> (7 * i)) & 0x7f) as u8));
            }
        }
    }
    for e in entries.iter().flatten() {
        block.push_str(e);
    }
    (block.into_boxed_str(), present)
}

/// Appends one service code after its length, written in ASCII: 6-bit groups, low first, each
/// `0x40 |` group while more follow (codes are three digits; any text round-trips).
fn push_codes(out: &mut String, code: &str) {
    let mut len = code.len();
    while len >= 0x40 {
        out.push(char::from(0x40 | (len & 0x3f) as u8));
        len >>= 6;
    }
    out.push(char::from(len as u8));
    out.push_str(code);
}

/// The codes of a codes entry, in order.
struct Codes<'a>(&'a str);

impl<'a> Iterator for Codes<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.0.as_bytes();
        let (mut len, mut shift, mut at) = (0usize, 0, 0);
        loop {
            let b = *bytes.get(at)?;
            at += 1;
            len |= usize::from(b & 0x3f) << shift;
            if b & 0x40 == 0 {
                break;
            }
            shift += 6;
        }
        let code = self.0.get(at..at + len)?;
        self.0 = self.0.get(at + len..).unwrap_or_default();
        Some(code)
    }
}

/// The folded name, kana and address, joined by U+001F (which no folded text contains).
fn search_key(name: &str, kana: Option<&str>, address: Option<&str>) -> String {
    let mut key = String::with_capacity(name.len() + kana.map_or(0, str::len) + address.map_or(0, str::len) + 2);
    for (i, text) in [Some(name), kana, address].into_iter().flatten().enumerate() {
        if i > 0 {
            key.push('\u{1f}');
        }
        normalize_into(&mut key, text);
    }
    key
}

impl ProviderFields for Record {
    #[inline]
    fn id(&self) -> &str {
        self.entry(ID).unwrap_or_default()
    }

    #[inline]
    fn version(&self) -> i64 {
        self.version
    }

    #[inline]
    fn updated_at(&self) -> &str {
        self.entry(UPDATED_AT).unwrap_or_default()
    }

    #[inline]
    fn updated_by(&self) -> &str {
        intern::text(self.updated_by).unwrap_or_default()
    }

    #[inline]
    fn kind(&self) -> Kind {
        self.kind
    }

    #[inline]
    fn text(&self, f: &ProviderField) -> Option<&str> {
        match f.access {
            Access::Text { at: TextAt::Block(n), .. } => self.entry(n),
            Access::Text { at: TextAt::Pooled(n), .. } => intern::text(*self.pooled.get(usize::from(n))?),
            _ => None,
        }
    }

    #[inline]
    fn codes(&self) -> impl Iterator<Item = &str> {
        Codes(self.entry(CODES).unwrap_or_default())
    }

    #[inline]
    fn home_care(&self) -> Option<HomeCare> {
        self.home_care
    }

    #[inline]
    fn count(&self, f: &ProviderField) -> Option<u32> {
        match f.access {
            Access::Count { at, .. } if self.present & count_bit(at) != 0 => self.counts.get(usize::from(at)).copied(),
            _ => None,
        }
    }

    #[inline]
    fn accepting(&self) -> Option<Accepting> {
        self.accepting
    }

    #[inline]
    fn location(&self) -> LonLat {
        self.location
    }

    #[inline]
    fn services(&self) -> ServiceSet {
        self.services
    }

    fn to_provider(&self) -> Provider {
        crate::domain::provider_fields::owned_provider(self)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::provider::TEXT_LIMITS;
    use crate::domain::{HomeCareClass, SERVICE_TYPES};
    use crate::formats::csv::csv_bytes;
    use crate::formats::geojson::FeatureOut;

    fn limit(name: &str) -> usize {
        TEXT_LIMITS.iter().find(|(n, _)| *n == name).map_or(100, |(_, max)| *max)
    }

    /// Any text up to `max` characters: often empty, often non-ASCII, sometimes the longest.
    fn text(max: usize) -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "[a-zあ-ん漢字０-９ \\-/\u{1f}]{0,24}",
            1 => any::<String>().prop_map(move |s| s.chars().take(max).collect()),
            1 => prop::sample::select(vec!['𠮷', 'ア', 'z', '\u{7f}']).prop_map(move |c| c.to_string().repeat(max)),
            1 => Just(String::new()),
        ]
    }

    fn opt(max: usize) -> impl Strategy<Value = Option<String>> {
        prop::option::of(text(max))
    }

    fn home_care() -> impl Strategy<Value = Option<HomeCare>> {
        let class = prop::option::of(prop::sample::select(vec![
            HomeCareClass::EnhancedSolo,
            HomeCareClass::EnhancedNetwork,
            HomeCareClass::Standard,
        ]));
        prop::option::of((class, any::<[bool; 4]>()).prop_map(|(class, b)| HomeCare {
            class,
            house_calls: b[0],
            home_visits: b[1],
            available_24h: b[2],
            end_of_life: b[3],
        }))
    }

    fn codes() -> impl Strategy<Value = Vec<String>> {
        let known = prop::sample::select(SERVICE_TYPES.iter().map(|s| s.code.to_owned()).collect::<Vec<_>>());
        prop::collection::vec(prop_oneof![4 => known, 1 => text(80)], 0..6)
    }

    fn provider() -> impl Strategy<Value = Provider> {
        let ids =
            (text(64), prop::sample::select(Kind::ALL.to_vec()), opt(13), text(limit("name")), opt(limit("name_kana")));
        let contact = (opt(limit("address")), opt(20), opt(20), opt(limit("url")), opt(limit("corporation")), opt(13));
        let rest = (
            (prop::option::of(any::<u32>()), opt(limit("open_days")), opt(limit("notes")), home_care(), codes()),
            (prop::option::of(prop::sample::select(Accepting::ALL.to_vec())), opt(limit("accepting_note"))),
            (prop::option::of(any::<u32>()), opt(25), opt(10), opt(20)),
            (-180.0..=180.0f64, -90.0..=90.0f64, any::<i64>(), text(25), text(40)),
        );
        (ids, contact, rest).prop_map(|(i, c, (a, v, w, z))| Provider {
            id: i.0,
            kind: i.1,
            official_code: i.2,
            name: i.3,
            name_kana: i.4,
            address: c.0,
            phone: c.1,
            fax: c.2,
            url: c.3,
            corporation: c.4,
            corporate_number: c.5,
            capacity: a.0,
            open_days: a.1,
            notes: a.2,
            home_care: a.3,
            services: a.4,
            accepting: v.0,
            accepting_note: v.1,
            accepting_places: w.0,
            accepting_checked_at: w.1,
            accepting_updated_at: w.2,
            district: w.3,
            location: LonLat::new(z.0, z.1).unwrap(),
            version: z.2,
            updated_at: z.3,
            updated_by: z.4,
        })
    }

    proptest! {
        #[test]
        fn a_provider_comes_back_from_its_record_unchanged(p in provider()) {
            let record = Record::new(&p);
            prop_assert_eq!(record.to_provider(), p.clone());
            prop_assert_eq!(record.id(), p.id.as_str());
            prop_assert_eq!(record.codes().collect::<Vec<_>>(), p.services.iter().map(String::as_str).collect::<Vec<_>>());
            prop_assert_eq!(record.services(), p.service_set());
            for f in PROVIDER_FIELDS {
                prop_assert_eq!(record.text(f), p.text(f), "{}", f.key);
                prop_assert_eq!(record.count(f), p.count(f), "{}", f.key);
            }
            prop_assert_eq!(record.search_key(), search_key(&p.name, p.name_kana.as_deref(), p.address.as_deref()));
        }

        #[test]
        fn a_record_is_written_byte_for_byte_as_its_provider(p in provider(), distance_m in prop::option::of(0.0..2e7f64)) {
            let record = Record::new(&p);
            let json = |f: &dyn Fn(&mut Vec<u8>) -> serde_json::Result<()>| {
                let mut out = Vec::new();
                f(&mut out).unwrap();
                String::from_utf8(out).unwrap()
            };
            let clock = crate::domain::VacancyClock::now(30);
            prop_assert_eq!(
                json(&|o| FeatureOut::new(&record, distance_m).fresh(&clock).write_json(o)),
                json(&|o| FeatureOut::new(&p, distance_m).fresh(&clock).write_json(o))
            );
            prop_assert_eq!(
                json(&|o| FeatureOut::staff(&record, Some("2026-11-30T00:00:00Z")).write_json(o)),
                json(&|o| FeatureOut::staff(&p, Some("2026-11-30T00:00:00Z")).write_json(o))
            );
            prop_assert_eq!(
                csv_bytes(std::iter::once((&record, distance_m)), &[]).unwrap(),
                csv_bytes(std::iter::once((&p, distance_m)), &[]).unwrap()
            );
        }
    }

    #[test]
    fn empty_and_missing_text_stay_apart() {
        let p = Provider {
            phone: Some(String::new()),
            fax: None,
            capacity: Some(0),
            accepting_places: None,
            services: vec![String::new(), "130".into()],
            ..Provider::new(String::new(), Kind::Care, String::new(), LonLat::TOKYO_STATION)
        };
        let record = Record::new(&p);
        assert_eq!(record.to_provider(), p);
        assert_eq!(record.text(crate::domain::field("phone").unwrap()), Some(""));
        assert_eq!(record.text(crate::domain::field("fax").unwrap()), None);
    }

    #[test]
    fn the_longest_notes_take_a_wider_header() {
        let notes = "𠮷".repeat(limit("notes"));
        let p = Provider {
            notes: Some(notes.clone()),
            url: Some(format!("https://example.jp/{}", "a".repeat(1900))),
            ..Provider::new("p".into(), Kind::Clinic, "さくら".into(), LonLat::TOKYO_STATION)
        };
        let record = Record::new(&p);
        assert_eq!(record.present >> WIDTH_SHIFT, 1, "16 000 bytes of notes need three bytes per end");
        assert_eq!(record.to_provider(), p);
        assert_eq!(record.text(crate::domain::field("notes").unwrap()), Some(notes.as_str()));
    }

    #[test]
    fn a_record_is_a_small_fixed_part_and_one_block() {
        assert!(std::mem::size_of::<Record>() <= 80, "{} bytes", std::mem::size_of::<Record>());
        let p = Provider {
            corporation: Some("社会福祉法人さくら会".into()),
            phone: Some("04-7150-1234".into()),
            services: vec!["130".into()],
            updated_at: "2026-11-30T00:00:00Z".into(),
            updated_by: "import".into(),
            ..Provider::new("care-1222000001".into(), Kind::Care, "さくら".into(), LonLat::TOKYO_STATION)
        };
        let record = Record::new(&p);
        let text = p.id.len() + p.name.len() + 12 + 20 + 4 + record.search_key().len();
        assert_eq!(record.block.len(), text + 2 * 6, "six entries with two-byte ends; the corporation is interned");
    }
}
