//! The bomb guard: decompressed bytes are counted as they are produced and charged to the
//! container that yields them and to every container around it.
//!
//! Owns `Budget` (one per opened container, linked to its ancestors' budgets) and
//! `GuardedReader`, which charges every byte read through it. The rule is IPED's: a
//! container is stopped once its descendants have yielded more than both a fixed byte
//! limit and a multiple of the container's own size. Header sizes are never consulted.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes one container's descendants may yield before it is stopped.
#[derive(Debug)]
pub struct Budget<'a> {
    parent: Option<&'a Budget<'a>>,
    produced: AtomicU64,
    limit: u64,
}

/// A budget ran out: the container (at `depth` levels below the evidence file) has yielded
/// more than it may.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "decompression bomb guard: the container at depth {depth} yielded over {limit} bytes \
     (more than 1 GiB and 100 times its own size); the rest of it is not examined"
)]
pub struct BudgetExceeded {
    pub depth: u32,
    pub limit: u64,
}

impl<'a> Budget<'a> {
    /// The budget of a container of `own_size` bytes, inside `parent` (if any): the larger of
    /// `max_bytes` and `ratio × own_size`.
    pub fn new(parent: Option<&'a Budget<'a>>, own_size: u64, max_bytes: u64, ratio: u64) -> Self {
        Budget {
            parent,
            produced: AtomicU64::new(0),
            limit: max_bytes.max(own_size.saturating_mul(ratio)),
        }
    }

    /// Adds `n` produced bytes to this budget and every ancestor's.
    pub fn charge(&self, n: u64) -> Result<(), BudgetExceeded> {
        let mut depth = self.depth();
        let mut budget = Some(self);
        while let Some(b) = budget {
            let total = b.produced.fetch_add(n, Ordering::Relaxed).saturating_add(n);
            if total > b.limit {
                return Err(BudgetExceeded {
                    depth,
                    limit: b.limit,
                });
            }
            budget = b.parent;
            depth = depth.saturating_sub(1);
        }
        Ok(())
    }

    /// Whether this budget or an ancestor's has already run out.
    pub fn is_spent(&self) -> bool {
        let mut budget = Some(self);
        while let Some(b) = budget {
            if b.produced.load(Ordering::Relaxed) > b.limit {
                return true;
            }
            budget = b.parent;
        }
        false
    }

    /// Containers around this one (0 for a container that is an evidence file).
    fn depth(&self) -> u32 {
        let mut depth = 0;
        let mut up = self.parent;
        while let Some(p) = up {
            depth += 1;
            up = p.parent;
        }
        depth
    }
}

/// Charges every byte read through it to a budget; a read that overruns the budget fails
/// with an `io::Error` wrapping `BudgetExceeded` (see `container::budget_error`).
pub struct GuardedReader<'b, R> {
    inner: R,
    budget: &'b Budget<'b>,
}

impl<'b, R: Read> GuardedReader<'b, R> {
    pub fn new(inner: R, budget: &'b Budget<'b>) -> Self {
        GuardedReader { inner, budget }
    }
}

impl<R: Read> Read for GuardedReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.budget.charge(n as u64).map_err(io::Error::other)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_every_ancestor_and_names_the_one_that_ran_out() {
        let outer = Budget::new(None, 10, 1000, 100);
        let inner = Budget::new(Some(&outer), 1, 10, 2);
        assert_eq!(inner.charge(10), Ok(()));
        assert_eq!(
            inner.charge(1),
            Err(BudgetExceeded {
                depth: 1,
                limit: 10
            })
        );
        let sibling = Budget::new(Some(&outer), 1, 5000, 2);
        assert_eq!(sibling.charge(900), Ok(()));
        assert_eq!(
            sibling.charge(200),
            Err(BudgetExceeded {
                depth: 0,
                limit: 1000
            })
        );
        assert!(sibling.is_spent() && outer.is_spent());
    }

    #[test]
    fn guarded_reader_fails_past_the_budget() {
        let budget = Budget::new(None, 0, 4, 1);
        let mut out = Vec::new();
        let err = GuardedReader::new(&[1u8; 8][..], &budget)
            .read_to_end(&mut out)
            .unwrap_err();
        assert!(super::super::budget_error(&err).is_some());
    }
}
