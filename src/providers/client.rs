//! The pooled upstream HTTP clients (reqwest on rustls/ring): keep-alive, TCP_NODELAY,
//! HTTP/2 where the upstream offers it through ALPN. Per-request timeouts are set by callers
//! from the provider's settings; the client only bounds connecting.
//!
//! The request path uses [`PerThread`]: one client (and so one connection pool) per thread.
//! actix runs each worker on its own single-threaded runtime, and a pooled connection's
//! task lives on the runtime that opened it; with one shared pool, a request on worker A
//! that checks out a connection opened by worker B is written and read by B and handed back
//! through a cross-thread wake-up (an eventfd write and a context switch per request).
//! Per-thread pools keep each request on its own thread.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The TLS settings every upstream client shares, built once: what reqwest would build for
/// each client (the system's roots through rustls-platform-verifier, ring, ALPN h2 then
/// http/1.1). Built per client, every worker thread read and parsed the system's ~150 root
/// certificates on its first request and kept its own copy.
fn tls_config() -> Result<rustls::ClientConfig, String> {
    static CONFIG: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
                .map_err(|e| format!("cannot load the system's TLS root certificates: {e}"))?;
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("cannot set up TLS: {e}"))?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            Ok(config)
        })
        .clone()
}

/// Builds a client. Installs the ring crypto provider if nothing has (tests and library
/// users may not go through `main`).
pub fn build(connect_timeout: Duration) -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .user_agent(concat!("llm-orchestrator/", env!("CARGO_PKG_VERSION")))
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(64)
        .connect_timeout(connect_timeout)
        .build()
        .map_err(|e| format!("cannot build the upstream HTTP client: {e}"))
}

/// One client per thread, built on a thread's first request with the settings of `build`.
/// `shared` (built by `build` already, so a later build failing is not expected) stands in
/// if one does.
pub struct PerThread {
    id: usize,
    connect_timeout: Duration,
    shared: reqwest::Client,
}

thread_local! {
    /// (PerThread id, client) pairs: a process normally has one `PerThread`; tests more.
    static CLIENTS: RefCell<Vec<(usize, reqwest::Client)>> = const { RefCell::new(Vec::new()) };
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

impl PerThread {
    pub fn new(connect_timeout: Duration, shared: reqwest::Client) -> PerThread {
        PerThread {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            connect_timeout,
            shared,
        }
    }

    /// This thread's client (a cheap handle: reqwest clients are reference-counted).
    pub fn get(&self) -> reqwest::Client {
        CLIENTS.with(|c| {
            let mut clients = c.borrow_mut();
            if let Some((_, client)) = clients.iter().find(|(id, _)| *id == self.id) {
                return client.clone();
            }
            let client = build(self.connect_timeout).unwrap_or_else(|_| self.shared.clone());
            clients.push((self.id, client.clone()));
            client
        })
    }
}
