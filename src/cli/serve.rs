//! `serve`: start the gateway.
//!
//! Order matters: config, logging, database (+ migrations), Redis (never fatal), admin key,
//! catalog, saved provider health (before any traffic), the background tasks (health probes,
//! health saving and sharing), then bind and announce `listening on ADDR`. Shutdown is ours, not actix's: SIGTERM and
//! SIGINT both stop accepting and let in-flight requests finish within
//! `server.shutdown_grace`; a second signal stops at once.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use clap::Args;

use super::{database, init_logging, load_config, runtime, Cli};
use crate::accounting::metrics::Metrics;
use crate::accounting::retention;
use crate::accounting::writer::{Recorder, WriterConfig};
use crate::accounting::Accounting;
use crate::cache::{self, Cache};
use crate::catalog::store::Store;
use crate::catalog::LiveCatalog;
use crate::config::{Config, FlagValue};
use crate::error::AppError;
use crate::gateway::engine::Gateway;
use crate::gateway::health::{breaker_config, HealthRegistry};
use crate::gateway::health_persist::Persister;
use crate::gateway::health_share;
use crate::gateway::key_usage::KeyUsage;
use crate::gateway::probe::Prober;
use crate::http::{self, AppState};
use crate::providers;
use crate::security::admin_key;
use crate::telemetry::LogTarget;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind; overrides server.host / APP_HOST
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Port to bind (0 picks a free one); overrides server.port / APP_PORT
    #[arg(long, value_name = "PORT")]
    pub port: Option<String>,
    /// Do not apply pending migrations at start (refuse to start if any are pending)
    #[arg(long)]
    pub no_migrate: bool,
}

pub fn run(cli: &Cli, args: &ServeArgs) -> Result<(), AppError> {
    let mut flags = Vec::new();
    if let Some(h) = &args.host {
        flags.push(FlagValue {
            key: "server.host",
            value: h.clone(),
            flag: "--host",
        });
    }
    if let Some(p) = &args.port {
        flags.push(FlagValue {
            key: "server.port",
            value: p.clone(),
            flag: "--port",
        });
    }
    if args.no_migrate {
        flags.push(FlagValue {
            key: "database.auto_migrate",
            value: "false".into(),
            flag: "--no-migrate",
        });
    }
    let loaded = load_config(cli, flags)?;
    let _log = init_logging(&loaded, LogTarget::Stdout)?;
    let config = Arc::new(loaded.config);
    runtime()?.block_on(serve(config))
}

async fn serve(config: Arc<Config>) -> Result<(), AppError> {
    let started = Instant::now();
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        environment = config.app.env.as_str(),
        database = %config.database.url,
        "starting"
    );

    let db = database::open(&config, config.database.max_connections).await?;

    let cache = Cache::new(&config.redis).map_err(AppError::Runtime)?;
    if cache.is_enabled() {
        match cache.ping().await {
            cache::CacheHealth::Down { error } => tracing::warn!(
                "redis unreachable ({error}); serving without it and retrying in the background"
            ),
            _ => tracing::info!("redis connected"),
        }
        tokio::spawn(cache::watch(cache.clone(), Duration::from_secs(10)));
    }

    let (admin_key, generated) = admin_key::resolve(&config, &db).await?;
    if let Some(key) = generated {
        announce_generated_admin_key(&key);
    }

    let secrets = database::open_secrets(&config)?;
    let store = Store::new(db.clone(), secrets);
    let catalog = LiveCatalog::start(store, cache.clone(), config.catalog.refresh_interval)
        .await
        .map_err(|e| AppError::Runtime(format!("cannot load the catalog: {e}")))?;
    let summary = catalog.snapshot().summary();
    tracing::info!(
        providers = summary.providers,
        models = summary.models.len(),
        routes = summary.routes,
        client_keys = summary.client_keys,
        "catalog loaded"
    );
    if summary.client_keys == 0 && config.gateway.api_keys.is_empty() {
        tracing::warn!(
            "NO CLIENT KEYS: every /v1 request is refused with 401 until one exists; create one \
             with `llm-orchestrator keys create --name NAME` or POST /admin/client-keys"
        );
    }
    let upstream =
        providers::client::build(config.gateway.connect_timeout).map_err(AppError::Runtime)?;
    let health = Arc::new(HealthRegistry::new(
        breaker_config(&config.health_check),
        config.health_check.retry_after,
    ));
    let persister = Arc::new(Persister::new(catalog.clone(), health.clone()));
    match persister.restore().await {
        Ok(0) => {}
        Ok(open) => tracing::info!(
            open,
            "saved provider health read: {open} circuits still resting"
        ),
        Err(e) => tracing::warn!(
            "cannot read the saved provider health ({e}); every circuit starts closed"
        ),
    }
    health_share::start(health.clone(), cache.clone(), catalog.clone());
    tokio::spawn(persister.clone().run());
    if config.health_check.enabled {
        let prober = Prober::new(
            catalog.clone(),
            health.clone(),
            upstream.clone(),
            &config.health_check,
        );
        tokio::spawn(prober.run());
    } else {
        tracing::info!("health probes are off (health_check.enabled = false)");
    }
    let clients = providers::client::PerThread::new(config.gateway.connect_timeout)
        .map_err(AppError::Runtime)?;
    if let Some(var) = providers::client::proxy_from_env() {
        tracing::info!("upstream requests go through the proxy named by {var} (NO_PROXY applies)");
    }
    let gateway = Arc::new(Gateway::new(&config.gateway, health, clients));
    let key_usage = Arc::new(KeyUsage::default());
    let metrics = Arc::new(if config.metrics.enabled {
        Metrics::install()
    } else {
        Metrics::disabled()
    });
    metrics.spawn_upkeep(Duration::from_secs(1));
    let rl = &config.request_log;
    let writer = rl.enabled.then(|| {
        Recorder::start(
            db.clone(),
            WriterConfig {
                queue_capacity: rl.queue_capacity,
                batch_size: rl.batch_size,
                flush_interval: rl.flush_interval,
            },
            metrics.clone(),
        )
    });
    if rl.enabled {
        tokio::spawn(retention::run(
            db.clone(),
            rl.retention_days,
            rl.cleanup_interval,
        ));
    }
    let accounting = Arc::new(Accounting { metrics, writer });
    let key_usage_catalog = catalog.clone();
    tokio::spawn(flush_key_usage(key_usage.clone(), catalog.clone()));

    let listener =
        TcpListener::bind((config.server.host.as_str(), config.server.port)).map_err(|e| {
            AppError::io(
                format!("cannot bind {}:{}", config.server.host, config.server.port),
                e,
            )
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| AppError::io("cannot read bound address", e))?;

    let state = web::Data::new(AppState {
        config: config.clone(),
        db,
        cache,
        catalog,
        admin_key,
        upstream,
        gateway,
        key_usage: key_usage.clone(),
        accounting: accounting.clone(),
        started,
    });
    let workers = match config.server.workers {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
        n => n,
    };
    let grace = config.server.shutdown_grace;
    let origins = config.server.cors_origins.clone();
    let docs = config.server.docs;
    let metrics_on_main = config.metrics.enabled && config.metrics.listen.is_none();
    let route_options = http::RouteOptions::new(docs, metrics_on_main);
    let metrics_server = match (config.metrics.enabled, config.metrics.listen) {
        (true, Some(addr)) => {
            let state = state.clone();
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(state.clone())
                    .route("/metrics", web::get().to(http::metrics::metrics))
            })
            .workers(1)
            .disable_signals()
            .bind(addr)
            .map_err(|e| AppError::io(format!("cannot bind metrics.listen {addr}"), e))?
            .run();
            tracing::info!(%addr, "metrics on {addr}/metrics");
            Some(server)
        }
        _ => None,
    };
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(http::middleware::cors(&origins))
            .wrap(from_fn(http::middleware::request_context))
            .configure(|c| http::routes(c, &route_options))
    })
    .workers(workers)
    // Streams are many small writes: without TCP_NODELAY, Nagle holds each one back until
    // the client's delayed ACK (40 ms) — a stream of 20 chunks took 44 ms instead of 1.
    .on_connect(|conn, _| {
        if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
        }
    })
    // actix counts whole seconds; round a sub-second grace up rather than to zero.
    .shutdown_timeout(grace.as_secs_f64().ceil() as u64)
    .disable_signals()
    .listen(listener)
    .map_err(|e| AppError::io(format!("cannot listen on {addr}"), e))?
    .run();

    // Handlers go in before anyone is told we are up: a SIGTERM right after READY must
    // be a graceful stop, not the default action (exit by signal).
    let signals =
        Signals::install().map_err(|e| AppError::io("cannot install signal handlers", e))?;
    tracing::info!(%addr, workers, "listening on {addr}");
    notify_systemd(&[sd_notify::NotifyState::Ready]);

    tokio::spawn(shutdown_on_signal(signals, server.handle(), grace));
    let metrics_handle = metrics_server.as_ref().map(|m| m.handle());
    if let Some(m) = metrics_server {
        tokio::spawn(m);
    }
    server.await.map_err(|e| AppError::io("server failed", e))?;
    if let Some(h) = metrics_handle {
        h.stop(false).await;
    }
    key_usage.flush(key_usage_catalog.store()).await;
    accounting.shutdown().await;
    // Bounded: a database that went away must not hold the exit up.
    match tokio::time::timeout(Duration::from_secs(5), persister.flush()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!("cannot save provider health at shutdown ({e})"),
        Err(_) => tracing::warn!("saving provider health at shutdown timed out"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// Writes client keys' `last_used_at` once a minute, off the request path.
async fn flush_key_usage(usage: Arc<KeyUsage>, catalog: Arc<LiveCatalog>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        usage.flush(catalog.store()).await;
    }
}

/// Shows a freshly generated admin key once. Only its hash is stored, so this is the only
/// time anyone can read it.
fn announce_generated_admin_key(key: &str) {
    eprintln!(
        "\n  No admin key was configured, so one was generated. It is shown only this once:\n\n      \
         {key}\n\n  Keep it somewhere safe; only its hash is stored. To use your own key instead, \
         set ADMIN_KEY\n  (or security.admin_key in the config file).\n"
    );
    tracing::warn!("generated a new admin key (printed once on stderr); only its hash is stored");
}

/// SIGTERM and SIGINT, listened for from the moment of installation.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }
}

async fn shutdown_on_signal(
    mut signals: Signals,
    handle: actix_web::dev::ServerHandle,
    grace: Duration,
) {
    let name = tokio::select! {
        _ = signals.term.recv() => "SIGTERM",
        _ = signals.int.recv() => "SIGINT",
    };
    tracing::info!(
        "{name} received: shutting down, finishing in-flight requests (grace {grace:?})"
    );
    notify_systemd(&[sd_notify::NotifyState::Stopping]);
    let graceful = handle.stop(true);
    tokio::select! {
        _ = graceful => {}
        _ = signals.term.recv() => { tracing::warn!("second signal: stopping now"); handle.stop(false).await }
        _ = signals.int.recv() => { tracing::warn!("second signal: stopping now"); handle.stop(false).await }
    }
}

/// Talks to systemd only when it asked (`NOTIFY_SOCKET` set, as with `Type=notify`).
fn notify_systemd(state: &[sd_notify::NotifyState]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(e) = sd_notify::notify(false, state) {
        tracing::warn!("cannot notify systemd: {e}");
    }
}
