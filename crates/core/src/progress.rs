//! Progress and cancellation of long operations: [`Monitor`].
//!
//! Writers, hashing and registry transfers take a [`Monitor`] (in their options, or as a
//! parameter): it reports the bytes done to a [`Progress`] sink and carries an interrupt flag.
//! The flag is checked as data streams; once set, the operation stops at the next buffer,
//! removes what it had written (atomic outputs are never committed, temporary files are
//! dropped) and returns [`Interrupted`] inside its own error type.
//!
//! A default `Monitor` reports nothing and is never interrupted, so passing one costs a
//! branch per buffer.
//!
//! ```
//! use std::io::Read;
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
//! use consign_core::progress::{Interrupted, Monitor, Progress};
//!
//! #[derive(Default)]
//! struct Count(AtomicU64);
//! impl Progress for Count {
//!     fn begin(&self, _task: &str, _total: Option<u64>) {}
//!     fn advance(&self, bytes: u64) { self.0.fetch_add(bytes, Ordering::Relaxed); }
//!     fn end(&self) {}
//! }
//!
//! let count = Arc::new(Count::default());
//! let stop = Arc::new(AtomicBool::new(false));
//! let monitor = Monitor::new().progress(count.clone()).interrupt(stop.clone());
//!
//! let mut sink = Vec::new();
//! monitor.reader(&b"twelve bytes"[..]).read_to_end(&mut sink)?;
//! assert_eq!(count.0.load(Ordering::Relaxed), 12);
//!
//! stop.store(true, Ordering::Relaxed);
//! let err = monitor.reader(&b"more"[..]).read_to_end(&mut sink).unwrap_err();
//! assert!(Interrupted::is_cause_of(&err));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Where an operation reports how far it got. Implementations must be cheap: `advance` is
/// called once per buffer (tens to hundreds of KiB).
pub trait Progress: Send + Sync {
    /// A task begins: `task` names it (an output file, a repository), `total` is the number of
    /// bytes it will process when known.
    fn begin(&self, task: &str, total: Option<u64>);

    /// `bytes` more bytes of the current task are done.
    fn advance(&self, bytes: u64);

    /// The current task ended (successfully or not).
    fn end(&self);
}

/// The operation was cancelled through its [`Monitor`]'s interrupt flag. Its partial output
/// has been removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("interrupted: the operation was cancelled and its partial output removed")]
pub struct Interrupted;

impl Interrupted {
    /// Whether `error` is (or wraps) an [`Interrupted`], as a monitored reader or writer
    /// reports it through `std::io`.
    pub fn is_cause_of(error: &io::Error) -> bool {
        error
            .get_ref()
            .is_some_and(|inner| inner.is::<Interrupted>())
    }
}

impl From<Interrupted> for io::Error {
    /// An `io::Error` of kind `Other` carrying the [`Interrupted`] (not `ErrorKind::Interrupted`,
    /// which `std::io` retries).
    fn from(value: Interrupted) -> io::Error {
        io::Error::other(value)
    }
}

/// A progress sink and an interrupt flag, cheap to clone (both are shared).
#[derive(Clone, Default)]
pub struct Monitor {
    progress: Option<Arc<dyn Progress>>,
    interrupt: Option<Arc<AtomicBool>>,
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("progress", &self.progress.is_some())
            .field("interrupted", &self.is_interrupted())
            .finish()
    }
}

/// Two monitors are equal when they share the same sink and flag (or both lack them), so
/// options that hold a monitor can still be compared.
impl PartialEq for Monitor {
    fn eq(&self, other: &Monitor) -> bool {
        let same_sink = match (&self.progress, &other.progress) {
            (Some(a), Some(b)) => std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b)),
            (None, None) => true,
            _ => false,
        };
        let same_flag = match (&self.interrupt, &other.interrupt) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same_sink && same_flag
    }
}

impl Eq for Monitor {}

impl Monitor {
    /// A monitor that reports nothing and is never interrupted.
    pub fn new() -> Monitor {
        Monitor::default()
    }

    /// Reports to `progress`.
    #[must_use]
    pub fn progress(mut self, progress: Arc<dyn Progress>) -> Monitor {
        self.progress = Some(progress);
        self
    }

    /// Stops the operation once `flag` is set (from a signal handler, another thread, a UI).
    #[must_use]
    pub fn interrupt(mut self, flag: Arc<AtomicBool>) -> Monitor {
        self.interrupt = Some(flag);
        self
    }

    /// Whether the interrupt flag is set.
    pub fn is_interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    /// `Err(Interrupted)` once the interrupt flag is set.
    pub fn check(&self) -> Result<(), Interrupted> {
        if self.is_interrupted() {
            Err(Interrupted)
        } else {
            Ok(())
        }
    }

    /// Starts a task (see [`Progress::begin`]).
    pub fn begin(&self, task: &str, total: Option<u64>) {
        if let Some(p) = &self.progress {
            p.begin(task, total);
        }
    }

    /// Reports `bytes` more done (see [`Progress::advance`]).
    pub fn advance(&self, bytes: u64) {
        if let Some(p) = &self.progress
            && bytes > 0
        {
            p.advance(bytes);
        }
    }

    /// Ends the current task (see [`Progress::end`]).
    pub fn end(&self) {
        if let Some(p) = &self.progress {
            p.end();
        }
    }

    /// Wraps `inner`: every read reports its bytes and fails with [`Interrupted`] (as an
    /// `io::Error`) once the flag is set.
    pub fn reader<R: Read>(&self, inner: R) -> Monitored<R> {
        Monitored {
            inner,
            monitor: self.clone(),
        }
    }

    /// Wraps `inner`: every write reports its bytes and fails with [`Interrupted`] (as an
    /// `io::Error`) once the flag is set.
    pub fn writer<W: Write>(&self, inner: W) -> Monitored<W> {
        Monitored {
            inner,
            monitor: self.clone(),
        }
    }
}

/// A reader or writer that reports to a [`Monitor`] ([`Monitor::reader`], [`Monitor::writer`]).
pub struct Monitored<T> {
    inner: T,
    monitor: Monitor,
}

impl<T> Monitored<T> {
    /// The wrapped reader or writer.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// The wrapped reader or writer, borrowed.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<R: Read> Read for Monitored<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.monitor.check()?;
        let n = self.inner.read(buf)?;
        self.monitor.advance(n as u64);
        Ok(n)
    }
}

impl<W: Write> Write for Monitored<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.monitor.check()?;
        let n = self.inner.write(buf)?;
        self.monitor.advance(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);

    impl Progress for Log {
        fn begin(&self, task: &str, total: Option<u64>) {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("begin {task} {total:?}"));
        }
        fn advance(&self, bytes: u64) {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("+{bytes}"));
        }
        fn end(&self) {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push("end".into());
        }
    }

    #[test]
    fn writer_reports_and_stops() {
        let log = Arc::new(Log::default());
        let flag = Arc::new(AtomicBool::new(false));
        let m = Monitor::new().progress(log.clone()).interrupt(flag.clone());
        m.begin("out", Some(5));
        let mut w = m.writer(Vec::new());
        w.write_all(b"hello").expect("write");
        m.end();
        flag.store(true, Ordering::Relaxed);
        let err = w.write_all(b"!").expect_err("interrupted");
        assert!(Interrupted::is_cause_of(&err));
        assert_eq!(err.kind(), io::ErrorKind::Other);
        assert_eq!(w.into_inner(), b"hello");
        let seen = log.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(seen, ["begin out Some(5)", "+5", "end"]);
    }

    #[test]
    fn default_monitor_is_silent_and_never_interrupted() {
        let m = Monitor::default();
        assert!(m.check().is_ok());
        let mut out = Vec::new();
        m.reader(&b"abc"[..]).read_to_end(&mut out).expect("read");
        assert_eq!(out, b"abc");
        let plain = io::Error::other("disk full");
        assert!(!Interrupted::is_cause_of(&plain));
    }
}
