//! Converting a file's rows on several threads while it is read. One thread reads the rows in
//! numbered batches, whichever worker is free converts the next batch, and the calling thread
//! takes the converted batches back in the order they were read, so what it builds is exactly
//! what a single thread would have built.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

/// Rows per batch: enough that handing a batch over costs little next to converting it.
pub(super) const BATCH_ROWS: usize = 2048;

/// Threads converting rows: one per core, at most four (beyond that the reader is the limit).
pub(super) fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 4)
}

/// Runs `read` on a thread of its own, handing each batch it reads to `send` (`false` once
/// nobody converts any more: the reader should stop); converts the batches with `convert` on
/// `workers` threads; and gives the converted batches to `consume` on the calling thread in
/// the order they were read.
///
/// # Errors
/// What `read` returns, once every batch it handed over before has been consumed.
pub(super) fn in_read_order<B: Send, T: Send, E: Send>(
    workers: usize,
    read: impl FnOnce(&mut dyn FnMut(B) -> bool) -> Result<(), E> + Send,
    convert: impl Fn(B) -> T + Sync,
    mut consume: impl FnMut(T),
) -> Result<(), E> {
    let workers = workers.max(1);
    let (batches, taken) = sync_channel::<(usize, B)>(workers * 2);
    // Owned by the workers alone: once they are all gone (a panic), the reader's send fails
    // instead of waiting for room forever.
    let taken = Arc::new(Mutex::new(taken));
    let (converted, done) = sync_channel::<(usize, T)>(workers * 2);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (taken, converted, convert) = (Arc::clone(&taken), converted.clone(), &convert);
            scope.spawn(move || {
                while let Some((n, batch)) = next(&taken) {
                    if converted.send((n, convert(batch))).is_err() {
                        break;
                    }
                }
            });
        }
        drop((taken, converted));
        let reader = scope.spawn(move || {
            let mut n = 0;
            read(&mut |batch| {
                let sent = batches.send((n, batch)).is_ok();
                n += 1;
                sent
            })
        });
        // Batches finish out of order; each waits here until those read before it are consumed.
        let mut waiting = BTreeMap::new();
        let mut next_n = 0;
        for (n, batch) in done {
            waiting.insert(n, batch);
            while let Some(batch) = waiting.remove(&next_n) {
                consume(batch);
                next_n += 1;
            }
        }
        reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The next batch for a worker; `None` once the reader is done.
fn next<B>(taken: &Mutex<Receiver<(usize, B)>>) -> Option<(usize, B)> {
    taken.lock().unwrap_or_else(PoisonError::into_inner).recv().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Later batches finish first (the first ones take longest), and still come back in order.
    #[test]
    fn batches_are_consumed_in_the_order_read_whatever_order_they_finish_in() {
        let mut seen = Vec::new();
        let result: Result<(), ()> = in_read_order(
            3,
            |send| {
                for batch in 0..40_u64 {
                    send(vec![batch; 3]);
                }
                Ok(())
            },
            |batch: Vec<u64>| {
                std::thread::sleep(std::time::Duration::from_millis(40_u64.saturating_sub(batch[0]) / 4));
                batch.iter().map(|n| n * 10).collect::<Vec<_>>()
            },
            |converted| seen.extend(converted),
        );
        assert_eq!(result, Ok(()));
        let expected: Vec<u64> = (0..40).flat_map(|n| [n * 10; 3]).collect();
        assert_eq!(seen, expected);
    }

    /// A read that fails returns its error after every batch read before it was consumed.
    #[test]
    fn a_read_error_comes_after_the_batches_before_it() {
        let mut seen = Vec::new();
        let result = in_read_order(
            2,
            |send| {
                send(1);
                send(2);
                Err("line 9: bad quote")
            },
            |n: u32| n + 100,
            |n| seen.push(n),
        );
        assert_eq!(result, Err("line 9: bad quote"));
        assert_eq!(seen, [101, 102]);
    }
}
