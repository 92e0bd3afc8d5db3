//! [`Pool`]: worker threads taking jobs from one bounded queue, each job answered on its own
//! channel ([`Reply`]), so that a writer can collect the answers in input order whatever the
//! thread timing. The block-parallel gzip encoder and the UDIF chunk compressor share it.

use std::io;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Worker threads running one job function each; see the [module documentation](self).
pub(crate) struct Pool<J: Send + 'static, R: Send + 'static> {
    jobs: Option<SyncSender<(J, SyncSender<io::Result<R>>)>>,
    workers: Vec<JoinHandle<()>>,
    name: &'static str,
}

/// The answer to one job, once a worker has given it.
pub(crate) struct Reply<R> {
    receiver: Receiver<io::Result<R>>,
    name: &'static str,
}

impl<R> Reply<R> {
    /// Waits for the answer.
    pub(crate) fn wait(&self) -> io::Result<R> {
        self.receiver.recv().map_err(|_| {
            io::Error::other(format!(
                "a {} worker thread stopped before replying",
                self.name
            ))
        })?
    }
}

impl<J: Send + 'static, R: Send + 'static> Pool<J, R> {
    /// Starts `threads` workers named `<name>-<i>`, each running the job function `worker`
    /// makes for it (a worker may keep state between its jobs). At most `threads` jobs wait
    /// in the queue: [`Pool::submit`] blocks beyond that.
    pub(crate) fn new<F>(
        name: &'static str,
        threads: usize,
        worker: impl Fn() -> F,
    ) -> io::Result<Pool<J, R>>
    where
        F: FnMut(J) -> io::Result<R> + Send + 'static,
    {
        let (jobs, queue) = mpsc::sync_channel(threads);
        let queue = Arc::new(Mutex::new(queue));
        let mut workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let queue = Arc::clone(&queue);
            let job = worker();
            let handle = std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || work(&queue, job))?;
            workers.push(handle);
        }
        Ok(Pool {
            jobs: Some(jobs),
            workers,
            name,
        })
    }

    /// Queues `job`; its answer comes through the returned [`Reply`].
    pub(crate) fn submit(&self, job: J) -> io::Result<Reply<R>> {
        let (reply, receiver) = mpsc::sync_channel(1);
        self.jobs
            .as_ref()
            .and_then(|jobs| jobs.send((job, reply)).ok())
            .ok_or_else(|| io::Error::other(format!("the {} worker threads stopped", self.name)))?;
        Ok(Reply {
            receiver,
            name: self.name,
        })
    }
}

impl<J: Send + 'static, R: Send + 'static> Drop for Pool<J, R> {
    fn drop(&mut self) {
        // Closing the queue ends the workers once they finish their current job.
        self.jobs = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

type Queue<J, R> = Mutex<Receiver<(J, SyncSender<io::Result<R>>)>>;

fn work<J, R>(queue: &Queue<J, R>, mut job_fn: impl FnMut(J) -> io::Result<R>) {
    loop {
        let next = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        let Ok((job, reply)) = next else { return };
        // The writer may have gone (an error elsewhere): nothing left to do with the answer.
        let _ = reply.send(job_fn(job));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn answers_come_back_per_job_and_workers_keep_state() {
        let pool = Pool::new("test", 3, || {
            let mut seen = 0u32;
            move |n: u32| {
                seen += 1;
                Ok((n * 2, seen))
            }
        })
        .unwrap();
        let replies: Vec<_> = (0..3).map(|n| pool.submit(n).unwrap()).collect();
        let answers: Vec<u32> = replies.iter().map(|r| r.wait().unwrap().0).collect();
        assert_eq!(answers, [0, 2, 4]);
        let failing: Pool<u32, u32> =
            Pool::new("test", 1, || |_| Err(io::Error::other("no"))).unwrap();
        assert!(failing.submit(1).unwrap().wait().is_err());
    }
}
