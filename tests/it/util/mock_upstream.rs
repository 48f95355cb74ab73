//! A real HTTP server standing in for upstream providers, on 127.0.0.1 and a free port.
//!
//! It speaks the providers' wire protocols where tests need them (so far: the model lists of
//! OpenAI `GET /v1/models`, Anthropic `GET /v1/models` with `x-api-key`, Gemini
//! `GET /v1beta/models`) and records every request it receives so a test can check what went
//! over the wire (paths, headers; that no key ever appears in a URL).

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct MockUpstream {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    handle: actix_web::dev::ServerHandle,
}

#[derive(Clone)]
struct MockState {
    seen: Arc<Mutex<Vec<Seen>>>,
    models: Arc<Vec<String>>,
}

impl MockUpstream {
    /// Serves `models` on every protocol's model list.
    pub fn start(models: &[&str]) -> MockUpstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = MockState {
            seen: seen.clone(),
            models: Arc::new(models.iter().map(|s| s.to_string()).collect()),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(state.clone()))
                        .route("/v1/models", web::get().to(v1_models))
                        .route("/v1beta/models", web::get().to(gemini_models))
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
        MockUpstream { addr, seen, handle }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for MockUpstream {
    fn drop(&mut self) {
        // The stop command is sent when called; no need to wait for completion.
        drop(self.handle.stop(false));
    }
}

fn record(state: &MockState, req: &HttpRequest) {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    state.seen.lock().unwrap().push(Seen {
        method: req.method().to_string(),
        uri: req.uri().to_string(),
        headers,
    });
}

/// OpenAI (`Authorization: Bearer`) and Anthropic (`x-api-key`) share this path.
async fn v1_models(state: web::Data<MockState>, req: HttpRequest) -> HttpResponse {
    record(&state, &req);
    if req.headers().contains_key("x-api-key") {
        let data: Vec<_> = state
            .models
            .iter()
            .map(|m| json!({ "type": "model", "id": m, "display_name": m.to_uppercase() }))
            .collect();
        return HttpResponse::Ok()
            .json(json!({ "data": data, "has_more": false, "last_id": state.models.last() }));
    }
    if req.headers().get("authorization").is_none() {
        return HttpResponse::Unauthorized()
            .json(json!({ "error": { "message": "no key", "type": "invalid_request_error" } }));
    }
    let data: Vec<_> = state
        .models
        .iter()
        .map(|m| json!({ "id": m, "object": "model", "owned_by": "mock" }))
        .collect();
    HttpResponse::Ok().json(json!({ "object": "list", "data": data }))
}

async fn gemini_models(state: web::Data<MockState>, req: HttpRequest) -> HttpResponse {
    record(&state, &req);
    let data: Vec<_> = state
        .models
        .iter()
        .map(|m| json!({ "name": format!("models/{m}"), "displayName": m }))
        .collect();
    HttpResponse::Ok().json(json!({ "models": data }))
}
