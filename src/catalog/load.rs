//! Building the records of a large read on several threads while the read goes on.
//!
//! At start-up one thread reads the store's rows in chunks; building the records from them
//! (decoding each row, folding its search text, laying out its block, touching fresh memory)
//! costs about twice what reading them does, so one builder thread kept the reader waiting
//! half of the time. Chunks are numbered as read, built by whichever builder is free, and put
//! back in read order ([`crate::ordered`]), so the records come out exactly as one builder
//! would have made them.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::record::Record;
use crate::ordered::{InReadOrder, in_read_order, workers};

/// The records `records` builds from each chunk `read` hands over, in the order read.
/// `rows_hint` tells from a chunk how many records the whole read may make, so the list is
/// sized once: grown by doubling, a million records are copied and faulted in twice (the
/// largest part of the time of the thread joining the chunks).
///
/// # Errors
/// What `read` returns, else the failure of `records` on the earliest chunk; chunks after a
/// failed one are taken but not built, so the reader is never blocked.
pub(super) fn records_in_order<C: Send, E: Send>(
    read: impl FnOnce(&mut dyn FnMut(C) -> Result<(), E>) -> Result<(), E>,
    records: impl Fn(C, &mut dyn FnMut(Record)) -> Result<(), E> + Sync,
    rows_hint: impl Fn(&C) -> usize + Sync,
) -> Result<Vec<Record>, E> {
    let first_failed = AtomicUsize::new(usize::MAX);
    let build = |n: usize, chunk: C| {
        let hint = rows_hint(&chunk);
        let mut out = Vec::new();
        let result = if n > first_failed.load(Ordering::Relaxed) {
            Ok(out)
        } else {
            records(chunk, &mut |r| out.push(r)).map(|()| out)
        };
        if result.is_err() {
            first_failed.fetch_min(n, Ordering::Relaxed);
        }
        Built { hint, result }
    };
    // A send fails only if every builder is gone, i.e. panicked: the scope says so.
    let read = |send: &mut dyn FnMut(C) -> bool| {
        read(&mut |chunk| {
            send(chunk);
            Ok(())
        })
    };
    // At least two builders, so a one-core machine still reads while it builds.
    let (read, built) = in_read_order(workers(2), read, build, joined);
    read.and(built)
}

/// The records of a chunk, and how many the whole read may make.
struct Built<E> {
    hint: usize,
    result: Result<Vec<Record>, E>,
}

/// The built chunks joined in the order they were read; the first failure in that order.
fn joined<E>(chunks: &mut InReadOrder<Built<E>>) -> Result<Vec<Record>, E> {
    let mut entries = Vec::new();
    let mut failure = None;
    for Built { hint, result } in chunks {
        if entries.capacity() < hint {
            entries.reserve_exact(hint - entries.len());
        }
        match result {
            Ok(records) if failure.is_none() => entries.extend(records),
            Ok(_) => {}
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    failure.map_or(Ok(entries), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Kind, LonLat, Provider};

    fn provider(i: usize) -> Provider {
        let at = LonLat::new(139.9 + (i % 100) as f64 * 1e-3, 35.8).unwrap();
        Provider::new(format!("p{i:05}"), Kind::Care, format!("事業所{i}"), at)
    }

    /// Chunks of very different cost, so later chunks finish first: the records still come out
    /// in read order.
    #[test]
    fn records_come_out_in_read_order_whichever_builder_finishes_first() {
        let chunks: Vec<Vec<Provider>> =
            (0..40).map(|c| (0..(c % 7) * 50).map(|i| provider(c * 1000 + i)).collect()).collect();
        let expected: Vec<String> = chunks.iter().flatten().map(|p| p.id.clone()).collect();
        let records = records_in_order(
            |each: &mut dyn FnMut(Vec<Provider>) -> Result<(), ()>| chunks.iter().cloned().try_for_each(each),
            |chunk: Vec<Provider>, out| {
                chunk.iter().for_each(|p| out(Record::new(p)));
                Ok(())
            },
            |_| expected.len(),
        )
        .unwrap();
        assert_eq!(records.capacity(), expected.len(), "sized once from the hint");
        let ids: Vec<String> = records.iter().map(|r| crate::domain::ProviderFields::id(r).to_owned()).collect();
        assert_eq!(ids, expected);
    }

    /// The first failure in read order is the one reported, and the read goes on to its end.
    #[test]
    fn the_first_failure_in_read_order_is_reported_and_the_read_finishes() {
        let mut handed = 0;
        let result = records_in_order(
            |each: &mut dyn FnMut(usize) -> Result<(), String>| {
                for c in 0..30 {
                    handed += 1;
                    each(c)?;
                }
                Ok(())
            },
            |c: usize, out| {
                if c == 3 || c == 20 {
                    return Err(format!("chunk {c}"));
                }
                out(Record::new(&provider(c)));
                Ok(())
            },
            |_| 0,
        );
        assert_eq!(result.err().as_deref(), Some("chunk 3"));
        assert_eq!(handed, 30);
    }
}
