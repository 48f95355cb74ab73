//! The one pooled upstream HTTP client (reqwest on rustls/ring): keep-alive, TCP_NODELAY,
//! HTTP/2 where the upstream offers it through ALPN. Per-request timeouts are set by callers
//! from the provider's settings; the client only bounds connecting.

use std::time::Duration;

/// Builds the shared client. Installs the ring crypto provider if nothing has (tests and
/// library users may not go through `main`).
pub fn build(connect_timeout: Duration) -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("llm-orchestrator/", env!("CARGO_PKG_VERSION")))
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(64)
        .connect_timeout(connect_timeout)
        .build()
        .map_err(|e| format!("cannot build the upstream HTTP client: {e}"))
}
