//! Strings many providers share — corporation names, district ids, who made the last change —
//! kept once for the life of the process and named by a `u32`, so a compact record holds four
//! bytes instead of its own copy. Reading a number back takes no lock (three atomic loads):
//! the table grows in chunks of doubling size that are never moved or freed. Only adding a new
//! string takes the lock. Strings are never removed: the table holds every distinct value the
//! process has seen, which for these fields is bounded by the data (a city has hundreds of
//! corporations, Japan some hundred thousand), not by the number of writes.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, OnceLock, PoisonError};

/// The number that stands for "no value".
pub(super) const NONE: u32 = u32::MAX;

/// Chunk `k` holds the numbers `2^k - 1 .. 2^(k+1) - 1`.
const CHUNKS: usize = 32;

/// One chunk: places set once each.
type Chunk = Box<[OnceLock<Box<str>>]>;

struct Pool {
    chunks: [OnceLock<Chunk>; CHUNKS],
    numbers: Mutex<HashMap<&'static str, u32>>,
}

static POOL: LazyLock<Pool> =
    LazyLock::new(|| Pool { chunks: [const { OnceLock::new() }; CHUNKS], numbers: Mutex::new(HashMap::new()) });

/// The chunk and the place in it of number `n` (below [`NONE`]).
fn place(n: u32) -> (usize, usize) {
    let one_up = n + 1;
    let k = (u32::BITS - 1 - one_up.leading_zeros()) as usize;
    (k, (one_up - (1 << k)) as usize)
}

fn slot(n: u32) -> Option<&'static OnceLock<Box<str>>> {
    if n == NONE {
        return None;
    }
    let (k, i) = place(n);
    let pool: &'static Pool = &POOL;
    pool.chunks.get(k)?.get()?.get(i)
}

/// The number of `s`, adding it when it is new.
pub(super) fn intern(s: &str) -> u32 {
    let pool: &'static Pool = &POOL;
    let mut numbers = pool.numbers.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(n) = numbers.get(s) {
        return *n;
    }
    let n = u32::try_from(numbers.len()).ok().filter(|n| *n != NONE).expect("fewer than u32::MAX distinct strings");
    let (k, i) = place(n);
    let chunk = pool.chunks[k].get_or_init(|| (0..1usize << k).map(|_| OnceLock::new()).collect());
    let text: &'static str = chunk[i].get_or_init(|| s.into());
    numbers.insert(text, n);
    n
}

/// The number of `s`, or [`NONE`].
pub(super) fn intern_opt(s: Option<&str>) -> u32 {
    s.map_or(NONE, intern)
}

/// The string of number `n` ([`NONE`] or an unknown number: `None`).
#[inline]
pub(super) fn text(n: u32) -> Option<&'static str> {
    slot(n)?.get().map(|s| &**s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_get_one_number_and_read_back() {
        let a = intern("社会福祉法人さくら会");
        let b = intern("医療法人ひまわり");
        assert_eq!(intern("社会福祉法人さくら会"), a);
        assert_ne!(a, b);
        assert_eq!(text(a), Some("社会福祉法人さくら会"));
        assert_eq!(text(b), Some("医療法人ひまわり"));
        assert_eq!(text(NONE), None);
        assert_eq!(intern_opt(None), NONE);
    }

    #[test]
    fn numbers_map_onto_chunks_of_doubling_size_without_gaps() {
        assert_eq!(place(0), (0, 0));
        assert_eq!((place(1), place(2)), ((1, 0), (1, 1)));
        assert_eq!((place(3), place(6)), ((2, 0), (2, 3)));
        assert_eq!(place(NONE - 1), (31, (1 << 31) - 1));
    }

    #[test]
    fn many_strings_from_several_threads_each_read_back() {
        let numbers: Vec<Vec<(u32, String)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    s.spawn(move || {
                        (0..500).map(|i| format!("利用者{}", (i * 7 + t) % 700)).map(|x| (intern(&x), x)).collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (n, x) in numbers.iter().flatten() {
            assert_eq!(text(*n), Some(x.as_str()));
        }
    }
}
