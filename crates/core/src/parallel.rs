//! Work on every core: [`hash_files`] hashes many files, [`map_parallel`] runs any per-item task.
//!
//! Files are handed out largest first to a fixed pool of scoped threads, each file read once
//! by one thread with a bounded buffer, so memory does not grow with file sizes and the
//! longest file starts first (which keeps both cores busy to the end on a release directory).

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::digest::Algorithm;
use crate::error::IoError;
use crate::hash::{Written, hash_file_pipelined, hash_reader};
use crate::progress::Monitor;

/// How many threads [`hash_files`] uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Jobs {
    /// One per available core.
    #[default]
    All,
    /// This many (1 hashes sequentially on the calling thread).
    Exactly(NonZeroUsize),
}

impl Jobs {
    pub(crate) fn count(self) -> usize {
        match self {
            Jobs::All => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            Jobs::Exactly(n) => n.get(),
        }
    }
}

/// Hashes every file in `paths`, in parallel; results come back in the order of `paths`.
///
/// ```no_run
/// use consign_core::{hash_files, Algorithm, Jobs};
/// let paths = ["dist/a.tar.gz", "dist/b.zip"];
/// for (path, result) in paths.iter().zip(hash_files(&paths, &[Algorithm::Sha256], Jobs::All)) {
///     println!("{path}: {}", result?.sha256().unwrap());
/// }
/// # Ok::<(), consign_core::IoError>(())
/// ```
pub fn hash_files<P: AsRef<Path> + Sync>(
    paths: &[P],
    algorithms: &[Algorithm],
    jobs: Jobs,
) -> Vec<Result<Written, IoError>> {
    hash_files_monitored(paths, algorithms, jobs, &Monitor::default())
}

/// [`hash_files`], reporting the bytes read to `monitor` (one task, `hash`, whose total is
/// the files' sizes) and stopping once its interrupt flag is set: the files not finished then
/// come back as errors whose source is a [`crate::Interrupted`]
/// ([`crate::Interrupted::is_cause_of`]).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::AtomicBool;
/// use consign_core::{Algorithm, Interrupted, Jobs, Monitor, hash_files_monitored};
///
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("a.bin");
/// std::fs::write(&file, b"data")?;
/// let stop = Arc::new(AtomicBool::new(true));
/// let monitor = Monitor::new().interrupt(stop);
/// let results = hash_files_monitored(&[&file], &[Algorithm::Sha256], Jobs::All, &monitor);
/// let err = results.into_iter().next().unwrap().unwrap_err();
/// assert!(Interrupted::is_cause_of(&err.source));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn hash_files_monitored<P: AsRef<Path> + Sync>(
    paths: &[P],
    algorithms: &[Algorithm],
    jobs: Jobs,
    monitor: &Monitor,
) -> Vec<Result<Written, IoError>> {
    let sizes: Vec<u64> = paths
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .collect();
    monitor.begin("hash", Some(sizes.iter().sum()));
    let results = if let [path] = paths
        && jobs.count() > 1
    {
        // One file and spare cores: read and hash on two threads.
        vec![hash_file_pipelined(path.as_ref(), algorithms, monitor)]
    } else {
        let order: Vec<usize> = (0..paths.len()).collect();
        map_parallel(
            &order,
            jobs,
            // Largest first: a big file started last would leave one core idle at the end.
            |&i| sizes[i],
            |&i| {
                let path = paths[i].as_ref();
                let file = std::fs::File::open(path).map_err(|e| IoError::new("open", path, e))?;
                hash_reader(monitor.reader(file), algorithms)
                    .map_err(|e| IoError::new("read", path, e))
            },
        )
    };
    monitor.end();
    results
}

/// Runs `f` on every item on up to `jobs` scoped threads and returns the results in item
/// order. Items are handed out heaviest first by `weight` (their size in bytes, say), so the
/// longest task does not start last and leave the other cores idle. With one thread (or one
/// item) everything runs on the calling thread.
///
/// ```
/// use consign_core::{Jobs, map_parallel};
/// let lengths = map_parallel(&["a", "bbb", "cc"], Jobs::All, |s| s.len() as u64, |s| s.len());
/// assert_eq!(lengths, [1, 3, 2]);
/// ```
pub fn map_parallel<T: Sync, R: Send>(
    items: &[T],
    jobs: Jobs,
    weight: impl Fn(&T) -> u64,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = jobs.count().min(items.len()).max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let mut order: Vec<(u64, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (weight(item), i))
        .collect();
    order.sort_by(|a, b| b.cmp(a));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(_, i)) = order.get(k) else { break };
                    let r = f(&items[i]);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                }
            });
        }
    });
    // Every slot is filled: a thread that panics makes `scope` panic before this point.
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Digest;

    #[test]
    fn parallel_equals_sequential_and_keeps_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for i in 0..9usize {
            let p = dir.path().join(format!("f{i}"));
            std::fs::write(&p, vec![i as u8; i * 100_003]).unwrap();
            paths.push(p);
        }
        paths.push(dir.path().join("missing"));
        let par = hash_files(&paths, &[Algorithm::Sha256], Jobs::All);
        let one = NonZeroUsize::new(1).unwrap();
        let seq = hash_files(&paths, &[Algorithm::Sha256], Jobs::Exactly(one));
        for (i, (a, b)) in par.iter().zip(&seq).enumerate().take(9) {
            let a = a.as_ref().unwrap();
            assert_eq!(a, b.as_ref().unwrap());
            let expect = Digest::of(Algorithm::Sha256, &vec![i as u8; i * 100_003]);
            assert_eq!(a.sha256(), Some(&expect));
        }
        assert!(par[9].is_err() && seq[9].is_err());
    }
}
