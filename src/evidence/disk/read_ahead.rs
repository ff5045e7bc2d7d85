//! An iterator advanced on a thread of its own, a bounded number of items ahead of its reader.
//!
//! Owns `read_ahead`. A disk image's items are made as the scan takes them (merged from
//! spilled runs, decoded, turned into evidence items); the scan's workers take items under
//! one shared lock, so that work is done here, on a helper thread, while the workers hash
//! the items before. A panic in the iterator is raised again in the reader at the item where
//! it happened; a reader that stops early ends the thread at its next item.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::mpsc::{sync_channel, Receiver};

/// What a panic carried, raised again in the reader.
type Panic = Box<dyn std::any::Any + Send>;

/// The items of an iterator running `depth` items ahead on its own thread.
pub(crate) struct ReadAhead<T> {
    items: Receiver<Result<T, Panic>>,
}

/// Starts `items` on a thread named `name`; fails only if no thread can be started.
pub(crate) fn read_ahead<T: Send + 'static>(
    name: &str,
    items: impl Iterator<Item = T> + Send + 'static,
    depth: usize,
) -> std::io::Result<ReadAhead<T>> {
    let (sender, receiver) = sync_channel(depth.max(1));
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let ran = catch_unwind(AssertUnwindSafe(|| {
                for item in items {
                    if sender.send(Ok(item)).is_err() {
                        return; // the reader is gone
                    }
                }
            }));
            if let Err(payload) = ran {
                let _ = sender.send(Err(payload));
            }
        })?;
    Ok(ReadAhead { items: receiver })
}

impl<T> Iterator for ReadAhead<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match self.items.recv() {
            Ok(Ok(item)) => Some(item),
            Ok(Err(payload)) => resume_unwind(payload),
            Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_come_in_order_and_a_panic_is_raised_in_the_reader() {
        let ahead = read_ahead("test", 0..10_000u32, 16).unwrap();
        assert!(ahead.eq(0..10_000));
        let panicking = (0..5u32).map(|i| if i == 3 { panic!("item 3") } else { i });
        let mut ahead = read_ahead("test", panicking, 2).unwrap();
        assert_eq!(
            [ahead.next(), ahead.next(), ahead.next()],
            [Some(0), Some(1), Some(2)]
        );
        let raised = catch_unwind(AssertUnwindSafe(|| ahead.next())).unwrap_err();
        assert_eq!(raised.downcast_ref::<&str>(), Some(&"item 3"));
    }

    #[test]
    fn a_reader_that_stops_early_ends_the_thread() {
        let (done, finished) = sync_channel(1);
        struct Flag(std::sync::mpsc::SyncSender<()>);
        impl Drop for Flag {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        let flag = Flag(done);
        let items = (0..).inspect(move |_: &u64| {
            let _keep = &flag;
        });
        let mut ahead = read_ahead("test", items, 4).unwrap();
        assert_eq!(ahead.next(), Some(0));
        drop(ahead);
        finished
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the thread ended");
    }
}
