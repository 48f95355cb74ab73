//! The pooled upstream HTTP clients on rustls/ring: keep-alive, TCP_NODELAY, HTTP/2 where the
//! upstream offers it through ALPN. The request path uses hyper-util's client ([`Upstream`]);
//! probes, discovery and the admin side use reqwest ([`build`]). Per-request timeouts are set by callers
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

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

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
        .user_agent(USER_AGENT)
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(64)
        .connect_timeout(connect_timeout)
        .build()
        .map_err(|e| format!("cannot build the upstream HTTP client: {e}"))
}

/// hyper-util's pooled client over the shared rustls settings, plain HTTP or HTTPS, HTTP/2
/// when ALPN picks it.
type Direct = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The body of an upstream answer, whichever client fetched it.
pub type UpstreamBody = Either<Incoming, reqwest::Body>;

/// An error of either client (classified by `gateway::classify::classify_transport`).
pub type UpstreamError = Box<dyn std::error::Error + Send + Sync>;

/// The request path's upstream client.
///
/// Normally hyper-util's client directly, not reqwest: measured with
/// `examples/floor_proxy.rs` (a bare actix-web proxy) at c=64, reqwest's layers over the same
/// client — URL to URI conversion, default-header merging, redirect and timeout wrappers,
/// boxed futures and bodies — cost ~4.5 µs of CPU per request (21 vs 17 µs), a sixth of
/// everything the gateway spends. When the environment names an HTTP proxy (`HTTPS_PROXY`,
/// `HTTP_PROXY`, `ALL_PROXY`, with `NO_PROXY`), requests go through reqwest, which honours
/// those exactly as the probes and discovery do.
#[derive(Clone)]
pub enum Upstream {
    Direct(Direct),
    Proxied(reqwest::Client),
}

impl Upstream {
    /// Sends one request; the answer's head, with its body still to read.
    pub async fn send(
        &self,
        req: http::Request<Bytes>,
    ) -> Result<http::Response<UpstreamBody>, UpstreamError> {
        match self {
            Upstream::Direct(c) => Ok(c.request(req.map(Full::new)).await?.map(Either::Left)),
            Upstream::Proxied(c) => {
                let resp = c.execute(reqwest::Request::try_from(req)?).await?;
                Ok(http::Response::from(resp).map(Either::Right))
            }
        }
    }
}

/// The `user-agent` every upstream request carries.
pub const USER_AGENT: &str = concat!("llm-orchestrator/", env!("CARGO_PKG_VERSION"));

/// The proxy variables reqwest (and curl, and Python's httpx) read.
const PROXY_VARS: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The proxy variable set in the environment, if any.
pub fn proxy_from_env() -> Option<&'static str> {
    PROXY_VARS
        .into_iter()
        .find(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// Builds the request path's client: hyper-util's with `build`'s settings (TCP_NODELAY, the
/// connect timeout, 90 s idle keep-alive, up to 64 idle connections per host), or with
/// `proxied`, `build`'s reqwest client.
pub fn build_upstream(connect_timeout: Duration, proxied: bool) -> Result<Upstream, String> {
    if proxied {
        return build(connect_timeout).map(Upstream::Proxied);
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    http.enforce_http(false);
    // hyper-rustls sets ALPN itself from the enabled HTTP versions (h2, http/1.1) and
    // refuses a config that names protocols already.
    let mut tls = tls_config()?;
    tls.alpn_protocols.clear();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    Ok(Upstream::Direct(
        Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(64)
            .build(https),
    ))
}

/// One client per thread, built on a thread's first request with the settings of
/// `build_upstream`. `shared` (built already, so a later build failing is not expected) stands
/// in if one does.
pub struct PerThread {
    id: usize,
    connect_timeout: Duration,
    proxied: bool,
    shared: Upstream,
}

thread_local! {
    /// (PerThread id, client) pairs: a process normally has one `PerThread`; tests more.
    static CLIENTS: RefCell<Vec<(usize, Upstream)>> = const { RefCell::new(Vec::new()) };
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

impl PerThread {
    /// Reads the proxy variables once: with one set, every thread's client is reqwest's.
    pub fn new(connect_timeout: Duration) -> Result<PerThread, String> {
        let proxied = proxy_from_env().is_some();
        Ok(PerThread {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            connect_timeout,
            proxied,
            shared: build_upstream(connect_timeout, proxied)?,
        })
    }

    /// This thread's client (a cheap handle: the pool is reference-counted).
    pub fn get(&self) -> Upstream {
        CLIENTS.with(|c| {
            let mut clients = c.borrow_mut();
            if let Some((_, client)) = clients.iter().find(|(id, _)| *id == self.id) {
                return client.clone();
            }
            let client = build_upstream(self.connect_timeout, self.proxied)
                .unwrap_or_else(|_| self.shared.clone());
            clients.push((self.id, client.clone()));
            client
        })
    }
}
