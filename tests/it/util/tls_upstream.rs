//! An OpenAI-compatible upstream over TLS that offers HTTP/2 by ALPN (hyper's server on
//! tokio-rustls), with a certificate for `localhost` from the test CA in
//! `tests/fixtures/tls` (`ca.pem`; the gateway trusts it through `SSL_CERT_FILE`). It answers
//! every request with one fixed chat completion and records the HTTP version and path of each.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub const CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/ca.pem");
const CERT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/tls/localhost.pem"
);
const KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/tls/localhost.key"
);

pub struct TlsUpstream {
    pub port: u16,
    /// "HTTP/2.0 /v1/chat/completions", one per request.
    seen: Arc<Mutex<Vec<String>>>,
}

impl TlsUpstream {
    pub fn start() -> TlsUpstream {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(CERT)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(KEY).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                while let Ok((sock, _)) = listener.accept().await {
                    let (acceptor, log) = (acceptor.clone(), log.clone());
                    tokio::spawn(async move {
                        let Ok(tls) = acceptor.accept(sock).await else {
                            return;
                        };
                        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                        let svc = hyper::service::service_fn(move |req| {
                            let log = log.clone();
                            async move {
                                log.lock()
                                    .unwrap()
                                    .push(format!("{:?} {}", req.version(), req.uri().path()));
                                let body = r#"{"id":"chatcmpl-tls","object":"chat.completion","created":1,"model":"up-m","choices":[{"index":0,"message":{"role":"assistant","content":"over tls"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#;
                                let res = hyper::Response::builder()
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from_static(body.as_bytes())))
                                    .unwrap();
                                Ok::<_, Infallible>(res)
                            }
                        });
                        let io = TokioIo::new(tls);
                        let _ = if h2 {
                            hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                                .serve_connection(io, svc)
                                .await
                        } else {
                            hyper::server::conn::http1::Builder::new()
                                .serve_connection(io, svc)
                                .await
                        };
                    });
                }
            });
        });
        TlsUpstream { port, seen }
    }

    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}
