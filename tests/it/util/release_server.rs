//! A fake release server on 127.0.0.1 and a free port, speaking the Gitea/Forgejo release API
//! that `self-update` reads: `GET /api/v1/repos/{owner}/{repo}/releases` (newest first) and
//! asset downloads by `browser_download_url`.
//!
//! It serves one release holding a tarball with a fake `llm-orchestrator` and, depending on
//! [`Sums`], a `SHA256SUMS` asset that is right, wrong, or absent.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::json;
use sha2::Digest;

/// The target `self-update` looks for; the tests run on it.
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// What the release says about the tarball's SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sums {
    Correct,
    /// A well-formed line with the wrong digest: what a swapped or corrupted tarball looks like.
    Tampered,
    /// No `SHA256SUMS` asset at all.
    Missing,
}

pub struct ReleaseServer {
    pub addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
}

struct State {
    releases: serde_json::Value,
    /// Asset name -> bytes.
    files: Vec<(String, Vec<u8>)>,
}

/// A gzipped tarball holding `llm-orchestrator` (mode 0755) with `content`.
pub fn tarball(content: &[u8]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o755);
    header.set_cksum();
    tar.append_data(&mut header, "llm-orchestrator", content)
        .unwrap();
    let mut gz = tar.into_inner().unwrap();
    gz.flush().unwrap();
    gz.finish().unwrap()
}

impl ReleaseServer {
    /// Serves release `version` (tag `v{version}`) of `owner/repo` whose binary is `binary`.
    pub fn start(repo: &str, version: &str, binary: &[u8], sums: Sums) -> ReleaseServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");

        let asset = format!("llm-orchestrator-{version}-{TARGET}.tar.gz");
        let tgz = tarball(binary);
        let mut digest = hex::encode(sha2::Sha256::digest(&tgz));
        if sums == Sums::Tampered {
            digest = hex::encode(sha2::Sha256::digest(b"something else"));
        }
        let mut files = vec![(asset.clone(), tgz)];
        if sums != Sums::Missing {
            files.push((
                "SHA256SUMS".into(),
                format!("{digest}  {asset}\n").into_bytes(),
            ));
        }
        let assets: Vec<_> = files
            .iter()
            .map(|(name, _)| {
                json!({ "name": name, "browser_download_url": format!("{base}/download/{name}") })
            })
            .collect();
        let releases = json!([{
            "tag_name": format!("v{version}"),
            "name": format!("v{version}"),
            "created_at": "2026-11-26T00:00:00Z",
            "body": "test release",
            "assets": assets,
        }]);
        let state = Arc::new(State { releases, files });
        let releases_path = format!("/api/v1/repos/{repo}/releases");

        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::from(state.clone()))
                        .route(&releases_path, web::get().to(list))
                        .route("/download/{name}", web::get().to(download))
                        .default_service(web::to(|| async { HttpResponse::NotFound().finish() }))
                })
                .workers(1)
                .disable_signals()
                .listen(listener)
                .unwrap()
                .run();
                tx.send(server.handle()).unwrap();
                let _ = server.await;
            })
        });
        let handle = rx.recv().unwrap();
        ReleaseServer { addr, handle }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ReleaseServer {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn list(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(&state.releases)
}

async fn download(state: web::Data<State>, name: web::Path<String>) -> HttpResponse {
    match state.files.iter().find(|(n, _)| *n == *name) {
        Some((_, bytes)) => HttpResponse::Ok()
            .content_type("application/octet-stream")
            .body(bytes.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}
