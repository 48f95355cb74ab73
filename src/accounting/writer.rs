//! The request-log writer: a bounded queue and one task that writes batches.
//!
//! Handlers call [`Recorder::record`], which never waits: when the queue is full the record
//! is dropped and counted (metric + a warning at most every 10 s). The task writes when a
//! batch is full or `log.flush_interval` has passed since its first record, and drains the
//! queue on shutdown. A failed write is retried (the batch stays in hand) with a growing
//! pause, so a database outage costs queue space, then drops — never a waiting request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
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

pub struct Recorder {
    tx: mpsc::Sender<RequestRecord>,
    dropped: AtomicU64,
    last_drop_warning: Mutex<Option<Instant>>,
    metrics: Arc<Metrics>,
    capacity: usize,
    stop: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl Recorder {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db, config: WriterConfig, metrics: Arc<Metrics>) -> Arc<Recorder> {
        let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
        let (stop_tx, stop_rx) = oneshot::channel();
        let capacity = config.queue_capacity;
        let task = tokio::spawn(run(db, config, rx, stop_rx, metrics.clone()));
        Arc::new(Recorder {
            tx,
            dropped: AtomicU64::new(0),
            last_drop_warning: Mutex::new(None),
            metrics,
            capacity,
            stop: Mutex::new(Some((stop_tx, task))),
        })
    }

    /// Queues one record. Never waits.
    pub fn record(&self, r: RequestRecord) {
        if self.tx.try_send(r).is_err() {
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
                    capacity = self.capacity,
                    "request log queue full: records are being dropped (the database is slow or down)"
                );
            }
        }
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Records waiting to be written.
    pub fn depth(&self) -> usize {
        self.capacity - self.tx.capacity()
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
    mut rx: mpsc::Receiver<RequestRecord>,
    mut stop: oneshot::Receiver<()>,
    metrics: Arc<Metrics>,
) {
    let batch_size = config.batch_size.max(1);
    let mut buf: Vec<RequestRecord> = Vec::with_capacity(batch_size);
    let mut stopping = false;
    loop {
        if stopping {
            while let Ok(r) = rx.try_recv() {
                buf.push(r);
            }
            flush_all(&db, &mut buf, batch_size, &metrics).await;
            return;
        }
        if buf.is_empty() {
            tokio::select! {
                biased;
                _ = &mut stop => stopping = true,
                n = rx.recv_many(&mut buf, batch_size) => if n == 0 { stopping = true },
            }
            continue;
        }
        let deadline = Instant::now() + config.flush_interval;
        while buf.len() < batch_size {
            let room = batch_size - buf.len();
            tokio::select! {
                biased;
                _ = &mut stop => { stopping = true; break; }
                n = rx.recv_many(&mut buf, room) => if n == 0 { stopping = true; break; },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        write_with_retry(&db, &mut buf, &metrics, stopping).await;
        metrics.set_queue_depth(rx.len());
    }
}

async fn flush_all(db: &Db, buf: &mut Vec<RequestRecord>, batch: usize, metrics: &Metrics) {
    while !buf.is_empty() {
        let rest = buf.split_off(buf.len().min(batch));
        write_with_retry(db, buf, metrics, true).await;
        *buf = rest;
    }
}

/// Writes `buf` and clears it. Retries with a growing pause; at shutdown, gives up after a
/// few tries (and says how many records were lost) rather than hang the exit.
async fn write_with_retry(
    db: &Db,
    buf: &mut Vec<RequestRecord>,
    metrics: &Metrics,
    stopping: bool,
) {
    let mut pause = Duration::from_millis(200);
    let mut tries = 0;
    loop {
        match store::write_batch(db, buf).await {
            Ok(()) => {
                metrics.log_written(buf.len());
                buf.clear();
                return;
            }
            Err(e) => {
                tries += 1;
                if stopping && tries >= 3 {
                    tracing::error!(error = %e, lost = buf.len(), "cannot write request logs at shutdown");
                    metrics.log_dropped_n(buf.len());
                    buf.clear();
                    return;
                }
                tracing::warn!(error = %e, pending = buf.len(), "cannot write request logs; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
        }
    }
}
