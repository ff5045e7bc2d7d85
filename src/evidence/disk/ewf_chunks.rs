//! E01 images read through a chunk cache that decompresses ahead of its readers.
//!
//! Owns `Ewf`, the byte source of an Expert Witness image. The `ewf` crate finds and parses
//! the segments and decompresses one chunk per call; inflating is nearly the whole cost of
//! reading an E01 (about 400 MB/s a core on picture data), so a reader that decompressed
//! its own chunks would leave the other cores idle while one large file, or the carver's
//! sweep of unallocated space, is read. Here readers say what they will read next
//! (`ByteSource::will_need`), helper threads decompress those chunks into a cache bounded in
//! bytes, and a reader waits for a chunk already on its way instead of decompressing it a
//! second time. A chunk that fails or panics in a helper is simply not cached: the reader
//! that needs it decompresses it itself and meets the error there, naming the offset.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use super::bytes::{ByteSource, StoredHashes};

/// Decompressed chunks kept, in bytes (32 MiB: 1,024 chunks of the usual 32 KiB). Readers
/// ask at most a few MiB ahead each, so a chunk made for a reader is still here when it
/// comes.
const CACHE_BYTES: u64 = 32 << 20;

/// Evicted pages kept for reuse at most.
const SPARE_PAGES: usize = 16;

/// A decompressed chunk, shared by the cache and its readers.
type Page = Arc<Vec<u8>>;

/// An Expert Witness (E01) image, all segments, decompressed chunk by chunk by `ewf`.
pub(crate) struct Ewf {
    shared: Arc<Shared>,
    helpers: Vec<JoinHandle<()>>,
}

/// What the readers and the helper threads share.
struct Shared {
    reader: ewf::EwfReader,
    chunk_size: u64,
    len: u64,
    /// Chunks the cache holds at most (`CACHE_BYTES`, at least 8).
    capacity: usize,
    state: Mutex<Chunks>,
    /// A chunk became ready, or was given up.
    chunk_done: Condvar,
    /// A chunk was asked for, or the image is closing.
    work: Condvar,
}

/// The cache and the helpers' queue, under one lock.
#[derive(Default)]
struct Chunks {
    ready: HashMap<u64, Page>,
    /// Ready chunks, oldest first: the first to be evicted.
    age: VecDeque<u64>,
    /// Chunks being decompressed now, by a helper or a reader.
    in_flight: HashSet<u64>,
    /// Chunks asked for by `will_need`, not yet started, in the order asked.
    wanted: VecDeque<u64>,
    queued: HashSet<u64>,
    /// Evicted pages no reader still holds, reused so that a page is neither allocated
    /// nor zeroed per chunk.
    spare: Vec<Vec<u8>>,
    /// Readers waiting in `chunk_done`, helpers waiting in `work`: a condition variable is
    /// signalled only when someone waits (each signal is a system call).
    readers_waiting: usize,
    helpers_idle: usize,
    closing: bool,
    /// Chunks decompressed so far (by anyone).
    decompressed: u64,
}

impl Ewf {
    /// Opens `x.E01` and every further segment (`.E02…`) beside it, with one helper thread
    /// per worker of the scan's pool (`--threads`; at most 8).
    ///
    /// Refuses an image whose chunk table does not cover the media size: `ewf` 0.4 drops
    /// the chunks of a truncated segment and numbers the later ones down, so every read
    /// past the gap would silently return another offset's bytes.
    pub(crate) fn open(path: &Path) -> Result<Self, String> {
        let helpers = rayon::current_num_threads().clamp(1, 8);
        Self::open_with_helpers(path, helpers)
    }

    fn open_with_helpers(path: &Path, helpers: usize) -> Result<Self, String> {
        // `ewf`'s own cache: one chunk, as this module keeps the decompressed ones.
        let reader = ewf::EwfReader::open_with_cache_size(path, 1).map_err(|e| e.to_string())?;
        let chunk_size = reader.chunk_size().max(1);
        let len = reader.total_size();
        let expected = len.div_ceil(chunk_size);
        let found = reader.chunk_count() as u64;
        if found != expected {
            return Err(format!(
                "chunk table lists {found} of the {expected} chunks the media size needs \
                 (a segment is truncated or missing)"
            ));
        }
        let shared = Arc::new(Shared {
            reader,
            chunk_size,
            len,
            capacity: usize::try_from(CACHE_BYTES / chunk_size).map_or(8, |n| n.max(8)),
            state: Mutex::new(Chunks::default()),
            chunk_done: Condvar::new(),
            work: Condvar::new(),
        });
        let mut started = Vec::new();
        for i in 0..helpers {
            let shared = Arc::clone(&shared);
            let spawned = std::thread::Builder::new()
                .name(format!("e01-inflate-{i}"))
                .spawn(move || shared.help());
            // Without helpers, readers decompress their own chunks: slower, still correct.
            if let Ok(handle) = spawned {
                started.push(handle);
            }
        }
        Ok(Ewf {
            shared,
            helpers: started,
        })
    }

    /// How many chunks have been decompressed, by readers and helpers together.
    #[cfg(test)]
    fn decompressed(&self) -> u64 {
        self.shared.lock().decompressed
    }
}

impl Drop for Ewf {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.work.notify_all();
        for helper in self.helpers.drain(..) {
            let _ = helper.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Chunks> {
        // Nothing under this lock can panic midway; a poisoned lock still holds a sound cache.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Chunk `index`: from the cache, from a helper already decompressing it, or
    /// decompressed here.
    fn chunk(&self, index: u64) -> Result<Page, String> {
        let mut state = self.lock();
        loop {
            if let Some(page) = state.ready.get(&index) {
                return Ok(Arc::clone(page));
            }
            if !state.in_flight.contains(&index) {
                break;
            }
            state = Self::wait(&self.chunk_done, state, |c| &mut c.readers_waiting);
        }
        let page = Self::start(&mut state, index);
        drop(state);
        let page = self.decompress(index, page);
        self.settle(index, page.as_ref().ok());
        page
    }

    /// Waits on `condvar`, counted meanwhile in the field `waiting` picks.
    fn wait<'a>(
        condvar: &Condvar,
        mut state: MutexGuard<'a, Chunks>,
        waiting: fn(&mut Chunks) -> &mut usize,
    ) -> MutexGuard<'a, Chunks> {
        *waiting(&mut state) += 1;
        let mut state = condvar.wait(state).unwrap_or_else(PoisonError::into_inner);
        *waiting(&mut state) -= 1;
        state
    }

    /// Marks chunk `index` in flight; returns a spare page to decompress it into.
    fn start(state: &mut Chunks, index: u64) -> Vec<u8> {
        state.in_flight.insert(index);
        state.spare.pop().unwrap_or_default()
    }

    /// A helper thread: decompresses asked-for chunks until the image closes.
    fn help(&self) {
        loop {
            let mut state = self.lock();
            let index = loop {
                if state.closing {
                    return;
                }
                match state.wanted.pop_front() {
                    Some(index) => {
                        state.queued.remove(&index);
                        if !state.ready.contains_key(&index) && !state.in_flight.contains(&index) {
                            break index;
                        }
                    }
                    None => state = Self::wait(&self.work, state, |c| &mut c.helpers_idle),
                }
            };
            let page = Self::start(&mut state, index);
            drop(state);
            // A failure is left for the reader of this chunk to meet.
            let page = self.decompress(index, page);
            self.settle(index, page.as_ref().ok());
        }
    }

    /// Decompresses chunk `index` through `ewf` into `page` (any contents; resized); a
    /// panic there (hostile input) becomes an error, so that no chunk stays in flight
    /// forever.
    fn decompress(&self, index: u64, mut page: Vec<u8>) -> Result<Page, String> {
        let start = index * self.chunk_size;
        let left = self.len.saturating_sub(start);
        // At most `chunk_size`, which `ewf` holds in memory as one page.
        page.resize(self.chunk_size.min(left) as usize, 0);
        let read = catch_unwind(AssertUnwindSafe(|| self.reader.read_at(&mut page, start)));
        match read {
            Ok(Ok(n)) if n == page.len() => Ok(Arc::new(page)),
            Ok(Ok(n)) => Err(format!(
                "chunk {index} gave {n} of its {} bytes",
                page.len()
            )),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("decompressing chunk {index} panicked")),
        }
    }

    /// Ends chunk `index`'s decompression: caches it (evicting the oldest beyond
    /// `capacity`) and wakes the readers waiting for it.
    fn settle(&self, index: u64, page: Option<&Page>) {
        let mut state = self.lock();
        state.in_flight.remove(&index);
        state.decompressed += 1;
        if let Some(page) = page {
            state.ready.insert(index, Arc::clone(page));
            state.age.push_back(index);
            while state.age.len() > self.capacity {
                let old = state
                    .age
                    .pop_front()
                    .and_then(|old| state.ready.remove(&old));
                if let Some(Ok(spare)) = old.map(Arc::try_unwrap) {
                    if state.spare.len() < SPARE_PAGES {
                        state.spare.push(spare);
                    }
                }
            }
        }
        let wake = state.readers_waiting > 0;
        drop(state);
        if wake {
            self.chunk_done.notify_all();
        }
    }

    /// Queues the chunks of `[offset, offset + len)` not already cached, started or queued,
    /// while the queue is under half the cache.
    fn want(&self, offset: u64, len: u64) {
        let end = offset.saturating_add(len).min(self.len);
        if offset >= end {
            return;
        }
        let (first, last) = (offset / self.chunk_size, (end - 1) / self.chunk_size);
        let mut state = self.lock();
        let mut queued_any = false;
        for index in first..=last {
            if state.wanted.len() >= self.capacity / 2 {
                break;
            }
            let known = state.ready.contains_key(&index)
                || state.in_flight.contains(&index)
                || state.queued.contains(&index);
            if !known {
                state.wanted.push_back(index);
                state.queued.insert(index);
                queued_any = true;
            }
        }
        let wake = queued_any && state.helpers_idle > 0;
        drop(state);
        if wake {
            self.work.notify_all();
        }
    }
}

impl ByteSource for Ewf {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let shared = &self.shared;
        let left = shared.len.saturating_sub(offset);
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        let mut done = 0;
        while done < want {
            let at = offset + done as u64;
            let failed = |e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("E01 read at byte {at}: {e}"),
                )
            };
            let page = shared.chunk(at / shared.chunk_size).map_err(failed)?;
            // `at` lies inside the image, so inside its chunk's page (`decompress` checks
            // every page is whole).
            let within = (at % shared.chunk_size) as usize;
            let n = (page.len() - within).min(want - done);
            buf[done..done + n].copy_from_slice(&page[within..within + n]);
            done += n;
        }
        Ok(done)
    }
    fn len(&self) -> u64 {
        self.shared.len
    }
    fn will_need(&self, offset: u64, len: u64) {
        self.shared.want(offset, len);
    }
    /// Two chunks: with large chunks (ewfacquire allows 16 MiB), the next one is being
    /// inflated while the reader is still at the start of the current one.
    fn read_ahead(&self) -> u64 {
        2 * self.shared.chunk_size
    }
    fn stored_hashes(&self) -> StoredHashes {
        let stored = self.shared.reader.stored_hashes();
        StoredHashes {
            md5: stored.md5.map(hex::encode),
            sha1: stored.sha1.map(hex::encode),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    /// `data` acquired into `dir/x.E01` by ewfacquirestream (deflate, 32 KiB chunks).
    fn acquire(dir: &Path, data: &[u8]) -> std::path::PathBuf {
        let raw = dir.join("x.raw");
        std::fs::write(&raw, data).unwrap();
        let status = Command::new("ewfacquirestream")
            .args([
                "-q",
                "-c",
                "deflate:fast",
                "-C",
                "c",
                "-D",
                "d",
                "-e",
                "e",
                "-E",
                "x",
            ])
            .args(["-N", "n", "-t"])
            .arg(dir.join("x"))
            .stdin(std::fs::File::open(&raw).unwrap())
            .stdout(Stdio::null())
            .status()
            .expect("ewfacquirestream (ewf-tools) should be installed: .ci/setup");
        assert!(status.success());
        dir.join("x.E01")
    }

    /// Bytes that deflate somewhat, like a disk's: text-like runs and noise.
    fn disk_like(len: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..len)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if (i / 4096) % 3 == 0 {
                    b"evidence "[i % 9]
                } else {
                    x as u8
                }
            })
            .collect()
    }

    #[test]
    fn reads_with_hints_equal_the_acquired_bytes_and_decompress_each_chunk_once() {
        let dir = tempfile::tempdir().unwrap();
        let data = disk_like((3 << 20) + 24 * 512); // whole sectors, a short last chunk
        let ewf = Ewf::open_with_helpers(&acquire(dir.path(), &data), 2).unwrap();
        assert_eq!(ewf.len(), data.len() as u64);
        let chunks = data.len().div_ceil(32 << 10) as u64;

        // Two readers at once, each announcing the next 256 KiB before reading 100 KB.
        let halves = [0, data.len() / 2, data.len()];
        std::thread::scope(|scope| {
            for pair in halves.windows(2) {
                let (ewf, data) = (&ewf, &data);
                scope.spawn(move || {
                    let mut buf = vec![0u8; 100_000];
                    let mut at = pair[0];
                    while at < pair[1] {
                        ewf.will_need((at + buf.len()) as u64, 256 << 10);
                        let n = buf.len().min(pair[1] - at);
                        let got = ewf.read_at(at as u64, &mut buf[..n]).unwrap();
                        assert_eq!(got, n);
                        assert_eq!(&buf[..n], &data[at..at + n], "at {at}");
                        at += n;
                    }
                });
            }
        });
        // Every chunk fits the cache, so none was made twice, whoever made it.
        assert_eq!(ewf.decompressed(), chunks);

        // Past the end: short, then nothing.
        let mut buf = [0u8; 10];
        assert_eq!(ewf.read_at(data.len() as u64 - 4, &mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], &data[data.len() - 4..]);
        assert_eq!(ewf.read_at(data.len() as u64, &mut buf).unwrap(), 0);
        ewf.will_need(data.len() as u64, 1 << 20); // nothing to queue, no panic
    }

    #[test]
    fn helpers_alone_fill_the_cache_ahead_of_the_reader() {
        let dir = tempfile::tempdir().unwrap();
        let data = disk_like(1 << 20);
        let ewf = Ewf::open_with_helpers(&acquire(dir.path(), &data), 1).unwrap();
        ewf.will_need(0, data.len() as u64);
        // Wait for the helper: the 32 chunks become ready without any read.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while ewf.decompressed() < 32 {
            assert!(std::time::Instant::now() < deadline, "helper never ran");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let mut all = vec![0u8; data.len()];
        assert_eq!(ewf.read_at(0, &mut all).unwrap(), data.len());
        assert_eq!(all, data);
        assert_eq!(ewf.decompressed(), 32, "the reader found every chunk ready");
    }
}
