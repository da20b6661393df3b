//! listlink-serve: the review desk over HTTP — a JSON API on a listlink store and a review page
//! where a person decides the uncertain pairs.
//!
//! One process holds the store open (a writer connection and a reader connection, SQLite in
//! WAL mode) and a look-up connection that reads the stored records through the store's index
//! ([`listlink_store::Matcher`], its settings and model loaded at start and again after each
//! added list). Writes go through `listlink-store`
//! (`decide`, `undo`, `add`), each one transaction, answered only once committed.
//!
//! Security: loopback unless `--bind` names another address, which then needs a token file
//! (Bearer token on every request); without a token, the Host header must name the loopback
//! address (no DNS rebinding) and a state-changing request must carry the page's CSRF token;
//! request bodies and batches are bounded; the access log has method, route template, status
//! and latency, never a name or a record's field.

mod api;
mod lookup;
mod openapi;
mod page;
mod security;
mod state;

pub use openapi::document as openapi_document;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Largest JSON request body (a batch of 1,000 records fits well within it).
pub const MAX_JSON_BYTES: usize = 4 << 20;
/// Largest list uploaded to `POST /api/lists`.
pub const MAX_LIST_BYTES: usize = 256 << 20;
/// Most records one `POST /api/match` may look up.
pub const MAX_BATCH: usize = 1_000;

/// How to serve.
#[derive(Debug, Clone)]
pub struct Config {
    pub store: PathBuf,
    pub bind: SocketAddr,
    /// The Bearer token every request must carry, when one was given.
    pub token: Option<String>,
}

/// Why the server would not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] listlink_store::Error),
    #[error("{0}")]
    Usage(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Reads a token file: its first line, trimmed; an empty or short token is refused.
pub fn read_token(path: &std::path::Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("reading token file {}: {e}", path.display())))?;
    let token = text.lines().next().unwrap_or("").trim().to_string();
    if token.len() < 16 {
        return Err(Error::Usage(format!(
            "token file {}: the token must be at least 16 characters on its first line",
            path.display()
        )));
    }
    Ok(token)
}

/// Checks the configuration before anything is opened: a non-loopback address needs a token.
pub fn check(config: &Config) -> Result<(), Error> {
    if !config.bind.ip().is_loopback() && config.token.is_none() {
        return Err(Error::Usage(format!(
            "--bind {} is not a loopback address: give --token-file FILE so that every request must carry its token (or bind 127.0.0.1)",
            config.bind
        )));
    }
    Ok(())
}

/// The routes, with their middleware, for a state.
fn router(state: Arc<state::AppState>) -> Router {
    let api = Router::new()
        .route("/api/healthz", get(api::healthz))
        .route("/api/csrf", get(api::csrf))
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/match", post(lookup::match_records))
        .route("/api/persons/{person_id}", get(api::person))
        .route("/api/review", get(api::review))
        .route("/api/pair", get(lookup::pair))
        .route("/api/roster", get(api::roster))
        .route("/api/model", get(api::model))
        .route(
            "/api/decisions",
            post(api::post_decision).get(api::list_decisions),
        )
        .route("/api/decisions/{id}", delete(api::undo_decision))
        .route(
            "/api/lists",
            post(api::add_list).layer(DefaultBodyLimit::max(MAX_LIST_BYTES)),
        );
    let pages = Router::new()
        .route("/", get(page::review))
        .route("/persons/{person_id}", get(page::person))
        .route("/roster", get(page::roster))
        .route("/roster.csv", get(page::roster_csv))
        .route("/model", get(page::model))
        .route("/assets/desk.js", get(page::script))
        .route("/assets/desk.css", get(page::style));
    api.merge(pages)
        .route_layer(axum::middleware::from_fn(security::tag_route))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .layer(axum::middleware::from_fn(security::access_log))
        .with_state(state)
}

/// Serves until SIGINT or SIGTERM, on `listener` (already bound to `config.bind` or a port the
/// caller chose). `ready` is told the address once the store is open and the roster loaded.
pub async fn serve_on(
    config: Config,
    listener: tokio::net::TcpListener,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), Error> {
    check(&config)?;
    let store = config.store.clone();
    let token = config.token.clone();
    let bound = listener.local_addr()?;
    let state = tokio::task::spawn_blocking(move || state::AppState::open(&store, token, bound))
        .await
        .map_err(|e| Error::Usage(format!("opening the store: {e}")))??;
    let app = router(Arc::new(state));
    ready(bound);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

/// Binds `config.bind` and serves (a blocking call that runs its own runtime of two workers).
pub fn run(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), Error> {
    check(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| Error::Bind {
                addr: config.bind,
                source,
            })?;
        serve_on(config, listener, ready).await
    })
}

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
