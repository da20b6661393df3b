//! Who may ask: the Bearer token, the Host check, the CSRF token; and the access log.

use crate::api::ApiError;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;

/// The header the page sends its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The cookie a browser keeps the Bearer token in (set by `/?token=…`).
pub const TOKEN_COOKIE: &str = "listlink_token";

/// Compares two secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn bearer(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

fn query_token(req: &Request) -> Option<&str> {
    req.uri()
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
}

/// Whether a Host header names this server on loopback (a page from another name resolving to
/// 127.0.0.1 — DNS rebinding — is refused).
fn loopback_host(host: &str, port: u16) -> bool {
    let names = ["127.0.0.1", "localhost", "[::1]"];
    names
        .iter()
        .any(|n| host == *n || host == format!("{n}:{port}"))
}

/// Refuses requests that lack the token, come through a foreign Host, or change state without
/// the token or the CSRF token.
pub async fn guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut set_cookie = None;
    let mut token_ok = false;
    if let Some(token) = &state.token {
        if let Some(given) = bearer(&req).or_else(|| cookie(&req, TOKEN_COOKIE)) {
            token_ok = same_secret(given, token);
        } else if req.method() == Method::GET
            && let Some(given) = query_token(&req)
            && same_secret(given, token)
        {
            // A browser opens `/?token=…` once; the cookie carries the token from then on.
            token_ok = true;
            set_cookie = Some(format!(
                "{TOKEN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
            ));
        }
        if !token_ok {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "authorization",
                "this server needs its token: send `Authorization: Bearer TOKEN`",
            )
            .into_response();
        }
    } else {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !loopback_host(host, state.bound.port()) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "host",
                "this server answers only requests addressed to its loopback address",
            )
            .into_response();
        }
    }
    if changes_state {
        // A Bearer header is never sent by a browser on its own, so it proves the caller; a
        // cookie is, so a cookie-carried token still needs the CSRF token.
        let by_header = token_ok && bearer(&req).is_some();
        let csrf_ok = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| same_secret(v, &state.csrf));
        if !by_header && !csrf_ok {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                CSRF_HEADER,
                "a request that changes the store needs the server's token or the page's CSRF token (GET /api/csrf) in the X-CSRF-Token header",
            )
            .into_response();
        }
    }
    let mut response = next.run(req).await;
    if let Some(c) = set_cookie
        && let Ok(v) = c.parse()
    {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// One line per request: method, route template (never the path itself, which may hold a
/// person's id or a name), status and latency.
pub async fn access_log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let response = next.run(req).await;
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", |p| p.as_str());
    tracing::info!(
        target: "listlink_serve::access",
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        ms = format!("{:.2}", started.elapsed().as_secs_f64() * 1e3),
        "request"
    );
    response
}

/// Hands the matched route template to [`access_log`], which runs outside the routing.
pub async fn tag_route(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(req).await;
    if let Some(m) = matched {
        response.extensions_mut().insert(m);
    }
    response
}
