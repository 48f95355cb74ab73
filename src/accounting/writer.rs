//! The request-log writer: a bounded queue and one task that writes batches.
//!
//! Handlers call [`Recorder::record`], which never waits: when the queue is full the record
//! is dropped and counted (metric + a warning at most every 10 s). The task writes when a
//! batch is full or every `request_log.flush_interval`, and drains the queue on shutdown. A failed
//! write is retried (the batch stays in hand) with a growing pause, so a database outage
//! costs queue space, then drops — never a waiting request.
//!
//! The queue is a vector behind a mutex, not a channel: a channel wakes the writer for every
//! record (a cross-thread wake-up and a context switch per request, measured at several µs
//! of CPU each); here a handler wakes it only when its record completes a batch, and
//! otherwise the writer comes by on its interval.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::metrics::Metrics;
use super::record::RequestRecord;
use super::store;
use crate::db::Db;

#[derive(Debug, Clone)]
pub struct WriterConfig {
    pub queue_capacity: usize,
    pub batch_size: usize,
    pub flush_interval: Duration,
}

/// Records waiting for the writer, and the signal that a batch is ready.
struct Queue {
    records: Mutex<Vec<RequestRecord>>,
    ready: Notify,
    capacity: usize,
    batch_size: usize,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RequestRecord>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Everything queued, leaving `spare` (an empty vector with capacity) in its place.
    fn take(&self, spare: Vec<RequestRecord>) -> Vec<RequestRecord> {
        std::mem::replace(&mut *self.lock(), spare)
    }
}

pub struct Recorder {
    queue: Arc<Queue>,
    dropped: AtomicU64,
    last_drop_warning: Mutex<Option<Instant>>,
    metrics: Arc<Metrics>,
    stop: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl Recorder {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db, config: WriterConfig, metrics: Arc<Metrics>) -> Arc<Recorder> {
        let queue = Arc::new(Queue {
            records: Mutex::new(Vec::new()),
            ready: Notify::new(),
            capacity: config.queue_capacity.max(1),
            batch_size: config.batch_size.max(1),
        });
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(run(db, config, queue.clone(), stop_rx, metrics.clone()));
        Arc::new(Recorder {
            queue,
            dropped: AtomicU64::new(0),
            last_drop_warning: Mutex::new(None),
            metrics,
            stop: Mutex::new(Some((stop_tx, task))),
        })
    }

    /// Queues one record. Never waits (beyond a short lock).
    pub fn record(&self, r: RequestRecord) {
        let mut records = self.queue.lock();
        if records.len() >= self.queue.capacity {
            drop(records);
            self.dropped_one();
            return;
        }
        records.push(r);
        let batch_ready = records.len() == self.queue.batch_size;
        drop(records);
        if batch_ready {
            self.queue.ready.notify_one();
        }
    }

    fn dropped_one(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        self.metrics.log_dropped();
        let mut last = self
            .last_drop_warning
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
            *last = Some(Instant::now());
            tracing::warn!(
                dropped_total = self.dropped.load(Ordering::Relaxed),
                capacity = self.queue.capacity,
                "request log queue full: records are being dropped (the database is slow or down)"
            );
        }
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Records waiting to be written.
    pub fn depth(&self) -> usize {
        self.queue.lock().len()
    }

    /// Writes what is queued and stops the task (at shutdown, after the server stopped).
    pub async fn shutdown(&self) {
        let stop = self.stop.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some((tx, task)) = stop {
            let _ = tx.send(());
            let _ = task.await;
        }
    }
}

async fn run(
    db: Db,
    config: WriterConfig,
    queue: Arc<Queue>,
    mut stop: oneshot::Receiver<()>,
    metrics: Arc<Metrics>,
) {
    let batch_size = queue.batch_size;
    let mut spare: Vec<RequestRecord> = Vec::new();
    let mut stopping = false;
    let mut tick = tokio::time::interval(config.flush_interval.max(Duration::from_millis(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if !stopping {
            tokio::select! {
                biased;
                _ = &mut stop => stopping = true,
                _ = queue.ready.notified() => {}
                _ = tick.tick() => {}
            }
        }
        // (The queue-depth gauge is set when /metrics is scraped.)
        let mut buf = queue.take(spare);
        flush_all(&db, &mut buf, batch_size, &metrics, stopping).await;
        spare = buf;
        if stopping {
            // Anything queued while the last batch was written goes too.
            let mut rest = queue.take(Vec::new());
            flush_all(&db, &mut rest, batch_size, &metrics, true).await;
            return;
        }
    }
}

/// Writes `buf` in batches of `batch` records and empties it (keeping its capacity). The
/// records move into the batches (their strings become the rows' without a copy).
async fn flush_all(
    db: &Db,
    buf: &mut Vec<RequestRecord>,
    batch: usize,
    metrics: &Metrics,
    stopping: bool,
) {
    while !buf.is_empty() {
        let n = buf.len().min(batch);
        let records = store::Batch::new(buf.drain(..n).collect());
        write_with_retry(db, &records, metrics, stopping).await;
    }
}

/// Writes `buf`. Retries with a growing pause; at shutdown, gives up after a few tries (and
/// says how many records were lost) rather than hang the exit.
async fn write_with_retry(db: &Db, buf: &store::Batch, metrics: &Metrics, stopping: bool) {
    let mut pause = Duration::from_millis(200);
    let mut tries = 0;
    loop {
        match store::write_batch(db, buf).await {
            Ok(()) => {
                metrics.log_written(buf.len());
                return;
            }
            Err(e) => {
                tries += 1;
                if stopping && tries >= 3 {
                    tracing::error!(error = %e, lost = buf.len(), "cannot write request logs at shutdown");
                    metrics.log_dropped_n(buf.len());
                    return;
                }
                tracing::warn!(error = %e, pending = buf.len(), "cannot write request logs; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
        }
    }
}
