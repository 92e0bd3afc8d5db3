//! How the job shows progress: a bar on a terminal (indicatif), a line per task otherwise,
//! nothing with `--quiet`. The library reports through `consign::core::Progress`; this is one
//! sink for it.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use consign::core::{Monitor, Progress};
use indicatif::{ProgressBar, ProgressStyle};

/// Where progress goes.
pub enum Reporter {
    /// A bar on standard error, redrawn in place.
    Bar(ProgressBar),
    /// One line per finished task on standard error.
    Lines {
        task: Mutex<Option<(String, Option<u64>)>>,
        done: AtomicU64,
    },
    /// Nothing.
    Quiet,
}

impl Reporter {
    /// A bar when standard error is a terminal, lines otherwise, nothing when `quiet`.
    pub fn new(quiet: bool) -> Reporter {
        if quiet {
            Reporter::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::hidden();
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:40!} [{bar:30}] {bytes:>10}/{total_bytes:10} {bytes_per_sec:>12}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            Reporter::Bar(bar)
        } else {
            Reporter::Lines {
                task: Mutex::new(None),
                done: AtomicU64::new(0),
            }
        }
    }

    /// A monitor reporting here.
    pub fn monitor(self) -> Monitor {
        Monitor::new().progress(Arc::new(self))
    }
}

impl Progress for Reporter {
    fn begin(&self, task: &str, total: Option<u64>) {
        match self {
            Reporter::Bar(bar) => {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                bar.reset();
                bar.set_length(total.unwrap_or(0));
                bar.set_message(task.to_owned());
                bar.enable_steady_tick(Duration::from_millis(200));
            }
            Reporter::Lines {
                task: current,
                done,
            } => {
                done.store(0, Ordering::Relaxed);
                *current.lock().unwrap_or_else(|e| e.into_inner()) = Some((task.to_owned(), total));
            }
            Reporter::Quiet => {}
        }
    }

    fn advance(&self, bytes: u64) {
        match self {
            Reporter::Bar(bar) => bar.inc(bytes),
            Reporter::Lines { done, .. } => {
                done.fetch_add(bytes, Ordering::Relaxed);
            }
            Reporter::Quiet => {}
        }
    }

    fn end(&self) {
        match self {
            Reporter::Bar(bar) => {
                bar.disable_steady_tick();
                bar.finish_and_clear();
            }
            Reporter::Lines { task, done } => {
                let ended = task.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let Some((name, total)) = ended {
                    let done = done.load(Ordering::Relaxed);
                    match total {
                        Some(total) => eprintln!("release: {name}: {done} of {total} bytes read"),
                        None => eprintln!("release: {name}: {done} bytes"),
                    }
                }
            }
            Reporter::Quiet => {}
        }
    }
}
