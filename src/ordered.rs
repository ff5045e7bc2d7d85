//! Parallel work on a stream, results handed back in input order, memory bounded.
//!
//! Owns `map_ordered`: every thread of a pool of its own pulls the next item from one
//! shared iterator, works on it, and puts the result in a reorder window; whoever fills the
//! window's oldest slot passes the finished run on, in input order, to the calling thread,
//! which hands each result to `emit` (so `emit` may write to a terminal or file that cannot
//! leave its thread). A thread may only take an item while fewer than `window` items are
//! taken and not yet passed on, so one slow item (a large video) lets the other threads run
//! at most `window` items ahead, and memory never holds more than `2 × window` results
//! (the window and the queue to the caller), whatever the stream's length.
//!
//! The workers are `broadcast` jobs on a pool built for the call: a broadcast job cannot be
//! stolen, so a worker waiting inside a nested `rayon::join` (the digests' MD5 half) never
//! starts a second worker loop on its own stack, which could then wait for the item below
//! it. A pool shared with other work (or another scan) would allow exactly that.

use std::collections::VecDeque;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// What a panic carried, kept to be raised again on the caller's thread.
type Panic = Box<dyn std::any::Any + Send>;

struct Window<I, R> {
    /// The items not yet taken; `None` once the iterator ended, or the run stopped.
    items: Option<I>,
    /// Results of items taken and not yet passed on, oldest first (`None`: still running).
    slots: VecDeque<Option<R>>,
    /// How many results were passed on: the absolute number of the front slot.
    passed: usize,
    /// To the caller's thread; `None` once the run stopped.
    out: Option<SyncSender<R>>,
    panic: Option<Panic>,
}

/// Runs `work` on every item of `items` on `threads` threads (each with its own `init`
/// state) and calls `emit`, on the calling thread, with the results in input order. At
/// most `2 × window` results are held at once. A panic in `work`, in the iterator or in
/// `emit` stops the run and is raised again here.
pub(crate) fn map_ordered<I, T, R, S>(
    items: I,
    threads: usize,
    window: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, T) -> R + Sync,
    mut emit: impl FnMut(R),
) -> Result<(), rayon::ThreadPoolBuildError>
where
    I: Iterator<Item = T> + Send,
    R: Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("hashsweep-scan-{i}"))
        .build()?;
    let window = window.max(1);
    let (sender, results) = sync_channel(window);
    let shared = Mutex::new(Window {
        items: Some(items),
        slots: VecDeque::with_capacity(window),
        passed: 0,
        out: Some(sender),
        panic: None,
    });
    let room = Condvar::new();
    let emitted = std::thread::scope(|scope| {
        scope.spawn(|| {
            let ran = catch_unwind(AssertUnwindSafe(|| {
                pool.broadcast(|_| {
                    let mut state = init();
                    while let Some((slot, item)) = take(&shared, &room, window) {
                        let result = catch_unwind(AssertUnwindSafe(|| work(&mut state, item)));
                        finish(&shared, &room, slot, result);
                    }
                })
            }));
            // Every worker is done (or one panicked outside its item, which `init` may):
            // closing the queue ends the caller's loop either way.
            let mut state = lock(&shared);
            state.out = None;
            if let Err(payload) = ran {
                state.stop(Some(payload));
            }
        });
        // If `emit` panics, `results` is dropped on the way out: the workers' next send
        // fails, they stop, and the scope raises the panic once they have.
        catch_unwind(AssertUnwindSafe(|| results.into_iter().for_each(&mut emit)))
    });
    if let Err(payload) = emitted {
        resume_unwind(payload);
    }
    let panic = lock(&shared).panic.take();
    match panic {
        Some(payload) => resume_unwind(payload),
        None => Ok(()),
    }
}

/// Waits for room in the window, then takes the next item and its slot's absolute number;
/// `None` when there is nothing left to do.
fn take<I: Iterator, R>(
    shared: &Mutex<Window<I, R>>,
    room: &Condvar,
    window: usize,
) -> Option<(usize, I::Item)> {
    let mut guard = lock(shared);
    while guard.items.is_some() && guard.slots.len() >= window {
        guard = room.wait(guard).unwrap_or_else(PoisonError::into_inner);
    }
    let state = &mut *guard;
    let next = catch_unwind(AssertUnwindSafe(|| state.items.as_mut()?.next()));
    match next {
        Ok(Some(item)) => {
            state.slots.push_back(None);
            Some((state.passed + state.slots.len() - 1, item))
        }
        Ok(None) => {
            state.items = None;
            room.notify_all();
            None
        }
        Err(payload) => {
            state.stop(Some(payload));
            room.notify_all();
            None
        }
    }
}

/// Puts a result in its slot and passes on every finished result at the window's front.
fn finish<I, R>(
    shared: &Mutex<Window<I, R>>,
    room: &Condvar,
    slot: usize,
    result: std::thread::Result<R>,
) {
    let mut guard = lock(shared);
    let state = &mut *guard;
    let Some(out) = state.out.clone() else {
        return;
    };
    let result = match result {
        Ok(result) => result,
        Err(payload) => {
            state.stop(Some(payload));
            room.notify_all();
            return;
        }
    };
    state.slots[slot - state.passed] = Some(result);
    let mut passed_any = false;
    while let Some(Some(_)) = state.slots.front() {
        let Some(Some(ready)) = state.slots.pop_front() else {
            break;
        };
        state.passed += 1;
        passed_any = true;
        // Blocks while the caller is behind: the other workers then wait for the lock.
        if out.send(ready).is_err() {
            // The caller stopped listening (its `emit` panicked).
            state.stop(None);
            break;
        }
    }
    if passed_any || state.out.is_none() {
        room.notify_all();
    }
}

impl<I, R> Window<I, R> {
    /// Ends the run: no item is taken and no result passed on after this, and the first
    /// panic is kept.
    fn stop(&mut self, panic: Option<Panic>) {
        self.items = None;
        self.out = None;
        if let Some(payload) = panic {
            self.panic.get_or_insert(payload);
        }
    }
}

/// The window's lock; nothing panics while it is held outside `catch_unwind`, so a
/// poisoned lock still holds consistent state.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn results_come_back_in_input_order_whatever_the_finishing_order() {
        let mut out = Vec::new();
        map_ordered(
            0..500u64,
            4,
            16,
            || (),
            |_, i| {
                // Early items take longest, so later ones finish first.
                std::thread::sleep(std::time::Duration::from_micros((500 - i) % 7 * 50));
                i * 3
            },
            |r| out.push(r),
        )
        .unwrap();
        assert_eq!(out, (0..500u64).map(|i| i * 3).collect::<Vec<_>>());
    }

    #[test]
    fn no_more_than_the_window_is_in_flight() {
        let in_flight = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let emitted = AtomicUsize::new(0);
        map_ordered(
            0..300usize,
            3,
            5,
            || (),
            |_, i| {
                // Taken minus emitted: every item taken and not yet handed back.
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(
                    now - emitted.load(Ordering::SeqCst).min(now),
                    Ordering::SeqCst,
                );
                if i % 50 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                i
            },
            |_| {
                emitted.fetch_add(1, Ordering::SeqCst);
            },
        )
        .unwrap();
        assert_eq!(emitted.load(Ordering::SeqCst), 300);
        // The window, the queue to the caller, and the one `emit` is handling.
        assert!(most.load(Ordering::SeqCst) <= 2 * 5 + 1, "{most:?}");
    }

    #[test]
    fn a_panic_in_the_work_is_raised_again_and_stops_the_run() {
        let emitted = AtomicUsize::new(0);
        let caught = catch_unwind(AssertUnwindSafe(|| {
            map_ordered(
                0..1000usize,
                2,
                8,
                || (),
                |_, i| {
                    assert!(i != 40, "item 40 is bad");
                    i
                },
                |_| {
                    emitted.fetch_add(1, Ordering::SeqCst);
                },
            )
        }));
        let payload = caught.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"item 40 is bad"));
        // Nothing at or past the bad item's slot is emitted; the run stopped near it.
        assert!(emitted.load(Ordering::SeqCst) <= 40);
    }

    #[test]
    fn a_panic_outside_an_item_still_ends_the_run() {
        let caught = catch_unwind(AssertUnwindSafe(|| {
            map_ordered(
                0..10usize,
                2,
                4,
                || -> () { panic!("no state") },
                |(), i| i,
                drop,
            )
        }));
        assert!(caught.is_err());
    }

    #[test]
    fn each_thread_keeps_its_own_state() {
        let mut out = Vec::new();
        map_ordered(
            0..100usize,
            2,
            4,
            Vec::<usize>::new,
            |seen, i| {
                seen.push(i);
                seen.windows(2).all(|w| w[0] < w[1])
            },
            |ordered| out.push(ordered),
        )
        .unwrap();
        assert!(out.iter().all(|ordered| *ordered));
    }
}
