//! A provider row read in place: [`RowView`] decodes and checks the [`PROVIDER_COLUMNS`] of
//! one row once, from values borrowed from the driver or from a [`ProviderRows`] chunk, and
//! reads like a provider ([`ProviderFields`]) without copying its text. The catalog builds its
//! records from views at start-up (a million rows, no `Provider` and its fifteen strings
//! each); [`super::codec::provider_from_row`] is a view turned into an owned provider, so
//! both read a row by the same rules.
//!
//! [`ProviderRows`] holds a chunk of rows in one text buffer, for handing rows from the thread
//! that reads them to the one that builds the catalog.
//!
//! [`PROVIDER_COLUMNS`]: super::codec::PROVIDER_COLUMNS

use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::domain::fields::{COUNT_SLOTS, POOLED_SLOTS, TEXT_SLOTS};
use crate::domain::{
    Accepting, Access, HomeCare, Kind, LonLat, PROVIDER_FIELDS, Provider, ProviderField, ProviderFields, ServiceSet,
    TextAt,
};

use super::StoreError;
use super::codec::PROVIDER_COLUMN_COUNT;

/// One SQL value, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SqlRef<'a> {
    /// `NULL`.
    Null,
    /// An integer (also a flag: 1 or 0).
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(&'a str),
}

impl SqlRef<'_> {
    /// The value, owned.
    pub fn owned(self) -> super::codec::SqlValue<'static> {
        use super::codec::SqlValue;
        match self {
            SqlRef::Null => SqlValue::Null,
            SqlRef::Integer(n) => SqlValue::Integer(n),
            SqlRef::Real(x) => SqlValue::Real(x),
            SqlRef::Text(s) => SqlValue::Text(s.to_owned().into()),
        }
    }
}

/// A provider row, decoded and checked, its text borrowed from the row.
#[derive(Debug, Clone)]
pub struct RowView<'a> {
    id: &'a str,
    kind: Kind,
    block: [Option<&'a str>; TEXT_SLOTS as usize],
    pooled: [Option<&'a str>; POOLED_SLOTS as usize],
    /// The service codes, comma-separated as stored.
    codes: &'a str,
    home_care: Option<HomeCare>,
    counts: [Option<u32>; COUNT_SLOTS as usize],
    accepting: Option<Accepting>,
    location: LonLat,
    version: i64,
    updated_at: &'a str,
    updated_by: &'a str,
}

impl<'a> RowView<'a> {
    /// Decodes a row of values in [`super::codec::PROVIDER_COLUMNS`] order.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] naming the provider and the field whose value cannot be read.
    pub fn decode(row: impl IntoIterator<Item = SqlRef<'a>>) -> Result<Self, StoreError> {
        let mut values = row.into_iter();
        let id = match values.next() {
            Some(SqlRef::Text(id)) => id,
            other => return Err(StoreError::Corrupt { id: String::new(), reason: format!("id: {other:?}") }),
        };
        let corrupt = |reason: String| StoreError::Corrupt { id: id.to_owned(), reason };
        let mut view = Self {
            id,
            kind: Kind::Care,
            block: [None; TEXT_SLOTS as usize],
            pooled: [None; POOLED_SLOTS as usize],
            codes: "",
            home_care: None,
            counts: [None; COUNT_SLOTS as usize],
            accepting: None,
            location: LonLat::TOKYO_STATION,
            version: 0,
            updated_at: "",
            updated_by: "",
        };
        for f in PROVIDER_FIELDS {
            view.read_field(f, &mut values).map_err(|e| corrupt(format!("{}: {e}", f.key)))?;
        }
        view.version = match values.next() {
            Some(SqlRef::Integer(v)) => v,
            other => return Err(corrupt(format!("version: {other:?}"))),
        };
        view.updated_at = required_text(values.next()).map_err(|e| corrupt(format!("updated_at: {e}")))?;
        view.updated_by = required_text(values.next()).map_err(|e| corrupt(format!("updated_by: {e}")))?;
        Ok(view)
    }

    fn read_field(&mut self, f: &ProviderField, values: &mut impl Iterator<Item = SqlRef<'a>>) -> Result<(), String> {
        match f.access {
            Access::Kind { .. } => {
                let text = required_text(values.next())?;
                self.kind = Kind::parse(text).ok_or_else(|| format!("unknown kind '{text}'"))?;
            }
            Access::Text { at: TextAt::Block(n), .. } => *slot(&mut self.block, n)? = optional_text(values.next())?,
            Access::Text { at: TextAt::Pooled(n), .. } => *slot(&mut self.pooled, n)? = optional_text(values.next())?,
            Access::Codes { .. } => self.codes = required_text(values.next())?,
            Access::HomeCare { .. } => {
                self.home_care = match optional_text(values.next())? {
                    Some(json) => Some(serde_json::from_str::<HomeCare>(json).map_err(|e| e.to_string())?),
                    None => None,
                };
            }
            Access::Count { at, .. } => {
                let n = optional_integer(values.next())?;
                *slot(&mut self.counts, at)? = n.map(u32::try_from).transpose().map_err(|e| e.to_string())?;
            }
            Access::Accepting { .. } => {
                self.accepting = match optional_text(values.next())? {
                    Some(text) => Some(Accepting::parse(text).ok_or_else(|| format!("unknown state '{text}'"))?),
                    None => None,
                };
            }
            Access::Point { .. } => {
                let lon = real(values.next())?;
                let lat = real(values.next())?;
                self.location = LonLat::new(lon, lat).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
}

/// Place `n` of a field table's slots (the table's own test checks they are in range).
fn slot<T>(slots: &mut [T], n: u8) -> Result<&mut T, String> {
    slots.get_mut(usize::from(n)).ok_or_else(|| format!("no slot {n}"))
}

fn required_text(value: Option<SqlRef<'_>>) -> Result<&str, String> {
    match value {
        Some(SqlRef::Text(s)) => Ok(s),
        other => Err(format!("expected text, found {other:?}")),
    }
}

fn optional_text(value: Option<SqlRef<'_>>) -> Result<Option<&str>, String> {
    match value {
        Some(SqlRef::Null) => Ok(None),
        other => required_text(other).map(Some),
    }
}

fn optional_integer(value: Option<SqlRef<'_>>) -> Result<Option<i64>, String> {
    match value {
        Some(SqlRef::Null) => Ok(None),
        Some(SqlRef::Integer(n)) => Ok(Some(n)),
        other => Err(format!("expected an integer, found {other:?}")),
    }
}

fn real(value: Option<SqlRef<'_>>) -> Result<f64, String> {
    match value {
        Some(SqlRef::Real(x)) => Ok(x),
        #[allow(clippy::cast_precision_loss)]
        Some(SqlRef::Integer(n)) => Ok(n as f64),
        other => Err(format!("expected a number, found {other:?}")),
    }
}

impl ProviderFields for RowView<'_> {
    fn id(&self) -> &str {
        self.id
    }

    fn version(&self) -> i64 {
        self.version
    }

    fn updated_at(&self) -> &str {
        self.updated_at
    }

    fn updated_by(&self) -> &str {
        self.updated_by
    }

    fn kind(&self) -> Kind {
        self.kind
    }

    fn text(&self, f: &ProviderField) -> Option<&str> {
        match f.access {
            Access::Text { at: TextAt::Block(n), .. } => *self.block.get(usize::from(n))?,
            Access::Text { at: TextAt::Pooled(n), .. } => *self.pooled.get(usize::from(n))?,
            _ => None,
        }
    }

    fn codes(&self) -> impl Iterator<Item = &str> {
        // Service codes are digits: a comma cannot be part of one.
        self.codes.split(',').filter(|s| !s.is_empty())
    }

    fn home_care(&self) -> Option<HomeCare> {
        self.home_care
    }

    fn count(&self, f: &ProviderField) -> Option<u32> {
        match f.access {
            Access::Count { at, .. } => *self.counts.get(usize::from(at))?,
            _ => None,
        }
    }

    fn accepting(&self) -> Option<Accepting> {
        self.accepting
    }

    fn location(&self) -> LonLat {
        self.location
    }

    fn services(&self) -> ServiceSet {
        ServiceSet::of_known(self.codes())
    }

    fn to_provider(&self) -> Provider {
        crate::domain::provider_fields::owned_provider(self)
    }
}

/// Rows of the [`super::codec::PROVIDER_COLUMNS`] in one text buffer: a chunk of the catalog's
/// snapshot as the store reads it, owned, so it can go to another thread, and cheap (two
/// allocations per chunk instead of one per text value).
#[derive(Debug, Default)]
pub struct ProviderRows {
    text: String,
    cells: Vec<Cell>,
    /// Where its buffers go when it is dropped (see [`ChunkBuffers`]).
    buffers: Weak<ChunkBuffers>,
    /// At least the rows of the whole read, as the store counted them first; 0 if not counted.
    read_rows_hint: usize,
}

/// A value of [`ProviderRows`]; text is a range of its buffer.
#[derive(Debug, Clone, Copy)]
enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(u32, u32),
}

/// The buffers of a read's chunks once they are dropped, for its next chunks: a chunk of
/// 8 192 rows is a few MB, which the allocator hands back to the system when it is freed, so
/// each new chunk was faulted in and zeroed page by page again (a twelfth of the reading
/// thread's time at start-up). The read owns it; chunks dropped after the read has ended free
/// their buffers.
#[derive(Debug, Default)]
pub struct ChunkBuffers(Mutex<Vec<(String, Vec<Cell>)>>);

/// Most buffers kept: the chunks in flight between the reading and the building thread.
const MAX_SPARE_BUFFERS: usize = 6;

impl ProviderRows {
    /// An empty chunk with room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        Self::reusing(Weak::new(), rows)
    }

    /// An empty chunk with room for `rows` rows, in the buffers of a dropped chunk of
    /// `buffers` if there is one; its own go back there when it is dropped.
    pub fn reusing_buffers(buffers: &Arc<ChunkBuffers>, rows: usize) -> Self {
        Self::reusing(Arc::downgrade(buffers), rows)
    }

    fn reusing(buffers: Weak<ChunkBuffers>, rows: usize) -> Self {
        let spare = buffers.upgrade().and_then(|b| b.0.lock().unwrap_or_else(PoisonError::into_inner).pop());
        let (mut text, mut cells) = spare.unwrap_or_default();
        text.reserve(rows * 256);
        cells.reserve(rows * PROVIDER_COLUMN_COUNT);
        Self { text, cells, buffers, read_rows_hint: 0 }
    }

    /// This chunk, saying the whole read has at most about `rows` rows (a count the store
    /// takes cheaply before reading, so the reader's consumer can size its list once).
    #[must_use]
    pub fn with_read_rows_hint(mut self, rows: usize) -> Self {
        self.read_rows_hint = rows;
        self
    }

    /// What [`ProviderRows::with_read_rows_hint`] said; 0 when the store did not count.
    pub fn read_rows_hint(&self) -> usize {
        self.read_rows_hint
    }

    /// Appends one row, `PROVIDER_COLUMN_COUNT` values in column order.
    ///
    /// # Panics
    /// When the row has another number of values, or the chunk's text passes 4 GiB.
    pub fn push_row<'v>(&mut self, row: impl IntoIterator<Item = SqlRef<'v>>) {
        let before = self.cells.len();
        for value in row {
            let cell = match value {
                SqlRef::Null => Cell::Null,
                SqlRef::Integer(n) => Cell::Integer(n),
                SqlRef::Real(x) => Cell::Real(x),
                SqlRef::Text(s) => {
                    let start = u32::try_from(self.text.len()).expect("a chunk under 4 GiB of text");
                    self.text.push_str(s);
                    Cell::Text(start, u32::try_from(self.text.len()).expect("a chunk under 4 GiB of text"))
                }
            };
            self.cells.push(cell);
        }
        assert_eq!(self.cells.len() - before, PROVIDER_COLUMN_COUNT, "a provider row has every column");
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.cells.len() / PROVIDER_COLUMN_COUNT
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The rows, decoded in order (each as [`RowView::decode`]).
    pub fn views(&self) -> impl Iterator<Item = Result<RowView<'_>, StoreError>> {
        self.cells.chunks_exact(PROVIDER_COLUMN_COUNT).map(|row| RowView::decode(row.iter().map(|c| self.value(*c))))
    }

    /// The rows as owned providers.
    ///
    /// # Errors
    /// The first row that cannot be read, as [`RowView::decode`].
    pub fn providers(&self) -> Result<Vec<Provider>, StoreError> {
        self.views().map(|v| v.map(|v| v.to_provider())).collect()
    }

    #[inline]
    fn value(&self, cell: Cell) -> SqlRef<'_> {
        match cell {
            Cell::Null => SqlRef::Null,
            Cell::Integer(n) => SqlRef::Integer(n),
            Cell::Real(x) => SqlRef::Real(x),
            Cell::Text(start, end) => SqlRef::Text(self.text.get(start as usize..end as usize).unwrap_or_default()),
        }
    }
}

impl Drop for ProviderRows {
    /// Hands the buffers to the next chunk of the same read, while the read goes on.
    fn drop(&mut self) {
        let Some(buffers) = self.buffers.upgrade() else { return };
        let mut spare = buffers.0.lock().unwrap_or_else(PoisonError::into_inner);
        if spare.len() < MAX_SPARE_BUFFERS {
            let (mut text, mut cells) = (std::mem::take(&mut self.text), std::mem::take(&mut self.cells));
            text.clear();
            cells.clear();
            spare.push((text, cells));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::{SqlValue, provider_row};

    #[test]
    fn a_read_hands_a_dropped_chunks_buffers_to_its_next_chunk() {
        let full = crate::generate::synthetic::every_field("clinic-1");
        let buffers = Arc::new(ChunkBuffers::default());
        let mut first = ProviderRows::reusing_buffers(&buffers, 1);
        for _ in 0..100 {
            first.push_row(provider_row(&full).iter().map(SqlValue::borrowed));
        }
        let grown = (first.text.capacity(), first.cells.capacity());
        drop(first);
        let next = ProviderRows::reusing_buffers(&buffers, 1);
        assert_eq!((next.text.capacity(), next.cells.capacity()), grown, "the same buffers");
        assert!(next.is_empty());
        // A chunk that outlives its read frees its buffers.
        drop(buffers);
        drop(next);
    }

    #[test]
    fn a_chunk_gives_back_the_providers_pushed_into_it_and_names_an_unreadable_row() {
        let full = crate::generate::synthetic::every_field("clinic-1");
        let bare = Provider::new("care-2".into(), Kind::Care, "あおば".into(), LonLat::new(139.9, 35.85).unwrap());
        let mut rows = ProviderRows::with_capacity(3);
        for p in [&full, &bare] {
            rows.push_row(provider_row(p).iter().map(SqlValue::borrowed));
        }
        assert_eq!((rows.len(), rows.providers().unwrap()), (2, vec![full.clone(), bare]));
        let view = rows.views().next().unwrap().unwrap();
        assert_eq!((view.services(), view.name()), (full.service_set(), full.name.as_str()));

        let mut broken = provider_row(&full);
        let kind = super::super::codec::Columns::names().position(|c| c == "kind").unwrap();
        broken[kind] = SqlValue::Text("shop".into());
        rows.push_row(broken.iter().map(SqlValue::borrowed));
        let err = rows.views().nth(2).unwrap().unwrap_err().to_string();
        assert!(err.contains("clinic-1") && err.contains("kind: unknown kind 'shop'"), "{err}");
    }
}
