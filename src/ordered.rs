//! Converting numbered batches on several threads while they are read, and taking the results
//! back in the order read. The calling thread reads the batches, whichever worker is free
//! converts the next one, and a thread of its own takes the converted batches in read order,
//! so what it builds is exactly what one thread would have built. Start-up builds its records
//! from the store's rows this way ([`crate::catalog`]), and the MHLW import its providers from
//! a file's rows ([`crate::import`]).

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

/// Threads converting: one per core, at least `min` (1 to 4; two keep a one-core machine
/// reading while it converts), at most four (beyond that the reader is the limit).
pub(crate) fn workers(min: usize) -> usize {
    std::thread::available_parallelism().map_or(min, usize::from).clamp(min, 4)
}

/// Runs `read` on the calling thread, handing each batch it reads to its sender (which answers
/// `false` once nobody converts any more: the reader should stop); converts each batch with
/// `convert` (given the batch's number, from 0 in read order) on `workers` threads; and gives
/// the converted batches, in the order read, to `consume` on a thread of its own.
///
/// Returns what `read` returned and what `consume` returned. `consume` may stop early: the
/// workers and then the reader are told so. A panic on any thread is raised again here.
pub(crate) fn in_read_order<B: Send, T: Send, R: Send, E>(
    workers: usize,
    read: impl FnOnce(&mut dyn FnMut(B) -> bool) -> Result<(), E>,
    convert: impl Fn(usize, B) -> T + Sync,
    consume: impl FnOnce(&mut InReadOrder<T>) -> R + Send,
) -> (Result<(), E>, R) {
    let workers = workers.max(1);
    let (batches, taken) = sync_channel::<(usize, B)>(workers * 2);
    // Owned by the workers alone: once they are all gone (done or panicked), the reader's
    // send fails instead of waiting for room forever.
    let taken = Arc::new(Mutex::new(taken));
    let (converted, done) = sync_channel::<(usize, T)>(workers * 2);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (taken, converted, convert) = (Arc::clone(&taken), converted.clone(), &convert);
            scope.spawn(move || {
                while let Some((n, batch)) = next(&taken) {
                    if converted.send((n, convert(n, batch))).is_err() {
                        break;
                    }
                }
            });
        }
        drop((taken, converted));
        let consumer = scope.spawn(move || consume(&mut InReadOrder { done, waiting: BTreeMap::new(), next: 0 }));
        let mut n = 0;
        let read = read(&mut |batch| {
            let sent = batches.send((n, batch)).is_ok();
            n += 1;
            sent
        });
        drop(batches);
        let consumed = consumer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (read, consumed)
    })
}

/// The converted batches in the order they were read; batches that finished early wait here
/// until those read before them have been taken.
pub(crate) struct InReadOrder<T> {
    done: Receiver<(usize, T)>,
    waiting: BTreeMap<usize, T>,
    next: usize,
}

impl<T> Iterator for InReadOrder<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        loop {
            if let Some(batch) = self.waiting.remove(&self.next) {
                self.next += 1;
                return Some(batch);
            }
            // Every worker gone and nothing left: a batch never converted (a worker panicked)
            // ends the iteration here, and the scope raises the panic.
            let (n, batch) = self.done.recv().ok()?;
            self.waiting.insert(n, batch);
        }
    }
}

/// The next batch for a worker; `None` once the reader is done.
fn next<B>(taken: &Mutex<Receiver<(usize, B)>>) -> Option<(usize, B)> {
    taken.lock().unwrap_or_else(PoisonError::into_inner).recv().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Later batches finish first (the first ones take longest), and still come back in order,
    /// each converted with its own number.
    #[test]
    fn batches_are_consumed_in_the_order_read_whatever_order_they_finish_in() {
        let (read, seen) = in_read_order(
            3,
            |send| {
                for batch in 0..40_u64 {
                    send(vec![batch; 3]);
                }
                Ok::<(), ()>(())
            },
            |n, batch: Vec<u64>| {
                assert_eq!(n as u64, batch[0]);
                std::thread::sleep(std::time::Duration::from_millis(40_u64.saturating_sub(batch[0]) / 4));
                batch.iter().map(|n| n * 10).collect::<Vec<_>>()
            },
            |converted| converted.flatten().collect::<Vec<_>>(),
        );
        assert_eq!(read, Ok(()));
        let expected: Vec<u64> = (0..40).flat_map(|n| [n * 10; 3]).collect();
        assert_eq!(seen, expected);
    }

    /// A read that fails returns its error, and every batch read before it is consumed.
    #[test]
    fn a_read_error_comes_with_the_batches_before_it() {
        let (read, seen) = in_read_order(
            2,
            |send| {
                send(1);
                send(2);
                Err("line 9: bad quote")
            },
            |_, n: u32| n + 100,
            |converted| converted.collect::<Vec<_>>(),
        );
        assert_eq!(read, Err("line 9: bad quote"));
        assert_eq!(seen, [101, 102]);
    }

    /// A consumer that stops early stops the workers, and then the reader.
    #[test]
    fn a_consumer_that_stops_stops_the_reader() {
        let mut handed = 0;
        let (read, first) = in_read_order(
            2,
            |send| {
                for n in 0..1_000_000_u64 {
                    handed += 1;
                    if !send(n) {
                        return Ok::<(), ()>(());
                    }
                }
                Ok(())
            },
            |_, n| n,
            |converted| converted.take(3).collect::<Vec<_>>(),
        );
        assert_eq!((read, first), (Ok(()), vec![0, 1, 2]));
        assert!(handed < 1_000_000, "the reader went on to the end");
    }
}
