//! The access log's writer: who opened which job is recorded off the
//! request's path.
//!
//! A page view queues its entry and goes on; one task writes what is queued
//! in batches, each in one transaction, so a busy portal makes one write now
//! and then instead of one per page. The queue is bounded: a full one makes
//! page views wait for room rather than drop entries. A failed write is
//! retried; a batch the database refuses every time is logged entry by entry
//! (so the record survives in the logs) and let go, so the queue keeps
//! moving. Stopping the writer (on graceful shutdown) writes everything
//! queued first. Whoever reads the log on this instance flushes the queue
//! first (`flush`), so a page opened a moment ago is already in it.

use portico_data::{Db, NewAccess};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

/// Entries the queue holds before page views wait for the writer.
const QUEUE: usize = 10_000;
/// Entries written in one transaction at most.
const BATCH: usize = 500;
/// How long a reader of the log waits for the queue to drain.
const FLUSH_WAIT: Duration = Duration::from_secs(5);

enum Command {
    Record(NewAccess),
    /// Answer once everything queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// Where page views queue their access-log entries; cheap to clone.
#[derive(Clone)]
pub struct AccessLog {
    queue: mpsc::Sender<Command>,
}

/// The task writing the queue; stop it to write what is left.
pub struct AccessLogWriter {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl AccessLog {
    /// The log and its writer, writing to `db`.
    pub fn start(db: Db) -> (AccessLog, AccessLogWriter) {
        let (queue, received) = mpsc::channel(QUEUE);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(write_queue(db, received, stopped));
        (AccessLog { queue }, AccessLogWriter { stop, task })
    }

    /// Queue `access`. Waits only when the queue is full.
    pub async fn record(&self, access: NewAccess) {
        if self.queue.send(Command::Record(access)).await.is_err() {
            // Only after the writer stopped, that is once the server stopped serving.
            tracing::error!("an access was opened after the access log's writer stopped; it is not recorded");
        }
    }

    /// Wait until every access queued so far is written, or at most
    /// `FLUSH_WAIT` (a reader then sees the log without the newest entries).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        let flushed = async {
            if self.queue.send(Command::Flush(done)).await.is_ok() {
                let _ = written.await;
            }
        };
        if tokio::time::timeout(FLUSH_WAIT, flushed).await.is_err() {
            tracing::warn!("the access log's queue did not drain in time; reading it as it is");
        }
    }
}

impl AccessLogWriter {
    /// Write what is queued, then stop.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn write_queue(db: Db, mut received: mpsc::Receiver<Command>, mut stopped: watch::Receiver<bool>) {
    loop {
        let first = if stopping(&stopped) {
            // Stopping: take what is queued, without waiting for more.
            match received.try_recv() {
                Ok(command) => command,
                Err(_) => break,
            }
        } else {
            tokio::select! {
                command = received.recv() => match command {
                    Some(command) => command,
                    None => break,
                },
                _ = stopped.changed() => continue,
            }
        };
        let mut batch = Vec::new();
        let mut waiting = Vec::new();
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Record(access) => batch.push(access),
                Command::Flush(done) => waiting.push(done),
            }
            if batch.len() < BATCH {
                next = received.try_recv().ok();
            }
        }
        write(&db, &batch, &mut stopped).await;
        for done in waiting {
            let _ = done.send(());
        }
    }
}

/// Whether the writer was told to stop (or its handle is gone).
fn stopping(stopped: &watch::Receiver<bool>) -> bool {
    *stopped.borrow() || stopped.has_changed().is_err()
}

/// Tries a batch gets while serving (about 3 s of pauses in all), and when
/// stopping (no pauses: shutdown is not held up by a database that is down).
const TRIES: u32 = 6;
const TRIES_WHEN_STOPPING: u32 = 2;

/// Write `batch`, retrying while the database refuses (a restart, a lock
/// held too long). A batch refused every time is logged in full and let go,
/// so one bad batch never holds up the queue (and with it every page view).
async fn write(db: &Db, batch: &[NewAccess], stopped: &mut watch::Receiver<bool>) {
    if batch.is_empty() {
        return;
    }
    let mut pause = Duration::from_millis(100);
    for attempt in 1.. {
        let error = match db.record_accesses(batch).await {
            Ok(()) => return,
            Err(error) => error,
        };
        let tries = if stopping(stopped) { TRIES_WHEN_STOPPING } else { TRIES };
        if attempt >= tries {
            tracing::error!(%error, lost = batch.len(), "could not write the access log; these entries are not recorded");
            for access in batch {
                tracing::error!(tenant = %access.tenant_id, job = %access.job_id, role = %access.role, via = %access.via, ip = %access.ip, at = access.at, "access not recorded");
            }
            return;
        }
        tracing::warn!(%error, entries = batch.len(), attempt, "could not write the access log; trying again");
        if !stopping(stopped) {
            // A stop cuts the pause short.
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stopped.changed() => {}
            }
            pause *= 2;
        }
    }
}
