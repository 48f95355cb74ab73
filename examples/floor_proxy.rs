//! The floor under the gateway's throughput: the least a proxy built on the same stack can do
//! per request, for `scripts/bench.sh --floor`. It forwards every `POST` to one upstream and
//! relays status, `content-type` and body — no auth, no routing, no JSON parsing, no metrics,
//! no logs. What it costs per request is what the stack itself costs; the gateway's distance
//! from it is what the gateway's own work costs.
//!
//! - `--server actix --client reqwest`: the gateway's stack (actix-web workers, one reqwest
//!   client per worker thread, built by `providers::client::build` as the gateway builds it).
//! - `--client hyper`: hyper-util's pooled client directly (what reqwest wraps), plain HTTP.
//! - `--server hyper`: hyper's HTTP/1 server on a multi-threaded tokio runtime instead of
//!   actix-web (a stack the project does not use: it says how much of the floor is actix's).
//!
//! ```text
//! cargo run --release --example floor_proxy -- --upstream http://127.0.0.1:PORT \
//!     [--server actix|hyper] [--client reqwest|hyper] [--workers 2] [--port 0]
//! ```
//!
//! Prints `listening on 127.0.0.1:PORT` once it accepts connections.

use std::cell::RefCell;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::{TokioExecutor, TokioIo};

// The gateway's allocator, so that the floor is not measured with a slower one.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Actix,
    Hyper,
    Reqwest,
}

type Hyper = HyperClient<HttpConnector, Full<Bytes>>;

thread_local! {
    // One pooled client per worker thread, as the gateway's `client::PerThread`.
    static REQWEST: RefCell<Option<reqwest::Client>> = const { RefCell::new(None) };
    static HYPER: RefCell<Option<Hyper>> = const { RefCell::new(None) };
}

fn reqwest_client() -> reqwest::Client {
    REQWEST.with(|c| {
        c.borrow_mut()
            .get_or_insert_with(|| {
                llm_orchestrator::providers::client::build(Duration::from_secs(5))
                    .expect("reqwest client")
            })
            .clone()
    })
}

fn hyper_client() -> Hyper {
    HYPER.with(|c| {
        c.borrow_mut()
            .get_or_insert_with(|| {
                let mut http = HttpConnector::new();
                http.set_nodelay(true);
                HyperClient::builder(TokioExecutor::new())
                    .pool_idle_timeout(Duration::from_secs(90))
                    .pool_max_idle_per_host(64)
                    .build(http)
            })
            .clone()
    })
}

/// One upstream call: (status, content-type, body), or a 502 message.
async fn forward(
    client: Kind,
    url: &str,
    auth: Option<&[u8]>,
    body: Bytes,
) -> Result<(u16, Option<Vec<u8>>, Bytes), String> {
    match client {
        Kind::Reqwest => {
            let mut req = reqwest_client()
                .post(url)
                .header("content-type", "application/json");
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let resp = req.body(body).send().await.map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let ct = resp
                .headers()
                .get("content-type")
                .map(|v| v.as_bytes().to_vec());
            let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
            Ok((status, ct, bytes))
        }
        _ => {
            let mut req = hyper::Request::post(url).header("content-type", "application/json");
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let req = req.body(Full::new(body)).map_err(|e| e.to_string())?;
            let resp = hyper_client()
                .request(req)
                .await
                .map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let ct = resp
                .headers()
                .get("content-type")
                .map(|v| v.as_bytes().to_vec());
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok((status, ct, bytes))
        }
    }
}

struct Conf {
    upstream: String,
    client: Kind,
}

async fn actix_handler(req: HttpRequest, body: Bytes, conf: web::Data<Conf>) -> HttpResponse {
    let url = format!("{}{}", conf.upstream, req.path());
    let auth = req.headers().get("authorization").map(|v| v.as_bytes());
    match forward(conf.client, &url, auth, body).await {
        Ok((status, ct, bytes)) => {
            let mut resp = HttpResponse::build(
                actix_web::http::StatusCode::from_u16(status).unwrap_or_default(),
            );
            if let Some(ct) = ct {
                resp.insert_header(("content-type", ct));
            }
            resp.body(bytes)
        }
        Err(e) => HttpResponse::BadGateway().body(e),
    }
}

async fn hyper_handler(
    req: hyper::Request<hyper::body::Incoming>,
    conf: &'static Conf,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let url = format!("{}{}", conf.upstream, req.uri().path());
    let auth = req.headers().get("authorization").cloned();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Ok(bad_gateway(e.to_string())),
    };
    Ok(
        match forward(conf.client, &url, auth.as_ref().map(|v| v.as_bytes()), body).await {
            Ok((status, ct, bytes)) => {
                let mut resp = hyper::Response::builder().status(status);
                if let Some(ct) = ct {
                    resp = resp.header("content-type", ct);
                }
                resp.body(Full::new(bytes))
                    .unwrap_or_else(|e| bad_gateway(e.to_string()))
            }
            Err(e) => bad_gateway(e),
        },
    )
}

fn bad_gateway(msg: String) -> hyper::Response<Full<Bytes>> {
    let mut resp = hyper::Response::new(Full::new(Bytes::from(msg)));
    *resp.status_mut() = hyper::StatusCode::BAD_GATEWAY;
    resp
}

fn main() -> std::io::Result<()> {
    let (mut upstream, mut server, mut client, mut workers, mut port) =
        (None, Kind::Actix, Kind::Reqwest, 2usize, 0u16);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--upstream" => upstream = Some(val().trim_end_matches('/').to_string()),
            "--server" => {
                server = match val().as_str() {
                    "actix" => Kind::Actix,
                    "hyper" => Kind::Hyper,
                    other => usage(&format!("--server actix|hyper, not {other}")),
                }
            }
            "--client" => {
                client = match val().as_str() {
                    "reqwest" => Kind::Reqwest,
                    "hyper" => Kind::Hyper,
                    other => usage(&format!("--client reqwest|hyper, not {other}")),
                }
            }
            "--workers" => workers = val().parse().unwrap_or_else(|_| usage("--workers N")),
            "--port" => port = val().parse().unwrap_or_else(|_| usage("--port N")),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let upstream = upstream.unwrap_or_else(|| usage("--upstream URL is required"));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let conf = Conf { upstream, client };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    if server == Kind::Actix {
        let conf = web::Data::new(conf);
        actix_web::rt::System::new().block_on(async move {
            let srv = HttpServer::new(move || {
                App::new()
                    .app_data(conf.clone())
                    .default_service(web::post().to(actix_handler))
            })
            .workers(workers.max(1))
            .bind(addr)?;
            println!("listening on {}", srv.addrs()[0]);
            srv.run().await
        })
    } else {
        let conf: &'static Conf = Box::leak(Box::new(conf));
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .enable_all()
            .build()?
            .block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr).await?;
                println!("listening on {}", listener.local_addr()?);
                loop {
                    let (stream, _) = listener.accept().await?;
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(async move {
                        let svc = hyper::service::service_fn(move |req| hyper_handler(req, conf));
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            })
    }
}

fn usage(msg: &str) -> ! {
    if !msg.is_empty() {
        eprintln!("floor_proxy: {msg}");
    }
    eprintln!(
        "usage: floor_proxy --upstream URL [--server actix|hyper] [--client reqwest|hyper] \
         [--workers N] [--port N]"
    );
    std::process::exit(2)
}
