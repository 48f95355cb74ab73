//! Accounting: every client request becomes one [`record::RequestRecord`], written by one
//! background task in batches (`writer`), aggregated into hourly rollups in the same
//! transaction (`rollup`, `store`), counted in Prometheus metrics (`metrics`), summarised
//! for `/admin/stats` and `stats` (`stats`), and deleted after the retention period
//! (`retention`). The request path only builds the record and hands it over.
pub mod metrics;
pub mod record;
pub mod retention;
pub mod rollup;
pub mod stats;
pub mod store;
pub mod writer;

use std::sync::Arc;

/// What the request path hands finished records to: metrics always, the log writer when
/// `request_log.enabled`.
pub struct Accounting {
    pub metrics: Arc<metrics::Metrics>,
    pub writer: Option<Arc<writer::Recorder>>,
}

impl Accounting {
    pub fn record(&self, r: record::RequestRecord) {
        self.metrics.observe(&r);
        if let Some(w) = &self.writer {
            w.record(r);
        }
    }

    pub async fn shutdown(&self) {
        if let Some(w) = &self.writer {
            w.shutdown().await;
        }
    }
}

/// A request's draft that records itself if it is dropped unfinished — the server dropped
/// the request (the client went away before the answer): logged once, as `client_aborted`
/// with nginx's 499.
pub struct Pending {
    draft: Option<record::Draft>,
    sink: Arc<Accounting>,
}

impl Pending {
    pub fn new(draft: record::Draft, sink: Arc<Accounting>) -> Pending {
        Pending {
            draft: Some(draft),
            sink,
        }
    }

    pub fn draft(&mut self) -> &mut record::Draft {
        self.draft.as_mut().expect("a pending draft until taken")
    }

    /// The draft, to be finished by the caller (or handed to a stream relay).
    pub fn take(mut self) -> record::Draft {
        self.draft.take().expect("a pending draft until taken")
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(d) = self.draft.take() {
            self.sink
                .record(d.finished(499, None, None, Some("client_aborted".into())));
        }
    }
}
