//! Admin endpoints outside `/v1` for driving a running binary: `/_sandbox/faults`,
//! `/_sandbox/stats`, `/_sandbox/clock`, `/_sandbox/state` and `/_sandbox/webhooks`. They need no API key, are never counted or
//! faulted, and answer loopback clients only (the server refuses others with 403). Their
//! types are the sandbox's own: the spec does not describe them.
//!
//! Every answer here, the live ledger page and the JSON alike, carries [`secured`]'s headers:
//! a `Content-Security-Policy` that lets the page run only its own inline script and style
//! (by their SHA-256, computed from the embedded page) and fetch only from the sandbox, and
//! no framing, sniffing or referrer. The page shows project keys only [`masked`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use chrono::{DateTime, Utc};

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::auth::Projects;
use crate::clock::Clock;
use crate::error::{self, ApiError};
use crate::extract::{ApiJson, Body};
use crate::faults::{FaultHandle, FaultSpec};

/// What the admin endpoints act on.
#[derive(Clone)]
pub struct AdminState {
    /// The sandbox's fault plan.
    pub faults: FaultHandle,
    /// The `/v1` request counter.
    pub requests: Arc<AtomicU64>,
    /// The sandbox clock.
    pub clock: Clock,
    /// The projects, by API key.
    pub projects: Projects,
    /// The secret endpoints registered without their own are signed with.
    pub webhook_secret: String,
    /// Wakes the webhook sender (after the clock moves).
    pub wake: Arc<tokio::sync::Notify>,
}

/// `POST /_sandbox/webhooks` body: `{"url": "http://127.0.0.1:3000/hook", "secret": "whsec_…"}`
/// (`secret` optional: the sandbox's).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddWebhook {
    url: String,
    secret: Option<String>,
}

impl Body for AddWebhook {}

/// `POST /_sandbox/webhooks/trigger` body: `{"type": "reservation.expired"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Trigger {
    #[serde(rename = "type")]
    event_type: String,
}

impl Body for Trigger {}

/// `POST /_sandbox/webhooks/resend` body: `{"eventId": "evt_…"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Resend {
    event_id: String,
}

impl Body for Resend {}

/// `POST /_sandbox/clock` body: `{"advanceSeconds": n}` or `{"set": "<RFC 3339>"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MoveClock {
    advance_seconds: Option<u64>,
    set: Option<DateTime<Utc>>,
}

impl Body for MoveClock {}

/// The clock's state: `{"now": "<RFC 3339>", "manual": bool}`.
#[derive(Debug, serde::Serialize)]
struct ClockState {
    now: DateTime<Utc>,
    manual: bool,
}

/// `POST /_sandbox/faults` body: `{"next": n, "fault": {...}}` or
/// `{"rate": 0.1, "faults": [...], "seed": 1}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFaults {
    next: Option<usize>,
    fault: Option<FaultSpec>,
    rate: Option<f64>,
    faults: Option<Vec<FaultSpec>>,
    seed: Option<u64>,
}

impl Body for SetFaults {}

/// The admin router.
pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/_sandbox/faults", post(set_faults).delete(clear_faults))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/clock", get(clock).post(move_clock))
        .route("/_sandbox/", get(page))
        .route("/_sandbox", get(page))
        .route("/_sandbox/projects", get(projects))
        .route("/_sandbox/view", get(view))
        .route("/_sandbox/webhooks", get(webhooks).post(add_webhook))
        .route("/_sandbox/webhooks/trigger", post(trigger))
        .route("/_sandbox/webhooks/resend", post(resend))
        .route("/_sandbox/webhooks/{id}", axum::routing::delete(remove_webhook))
        .route("/_sandbox/state", get(export_state).put(import_state).layer(DefaultBodyLimit::max(MAX_STATE_BYTES)))
        .fallback(error::route_not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        // After the fallbacks, so that their 404 and 405 answers carry the headers too.
        .layer(axum::middleware::map_response(secure))
        .with_state(state)
}

async fn secure(response: Response) -> Response {
    secured(response)
}

/// `response` with the headers every `/_sandbox` answer carries (the server adds them also to
/// the answers it makes before this router: a non-loopback client's 403, a handler's panic).
pub(crate) fn secured(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, page_policy().clone());
    // Also said by the policy's `frame-ancestors`, for browsers that read only this.
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// The page's `Content-Security-Policy`: nothing by default; its inline `<script>` and
/// `<style>` blocks by hash (so no other script, injected or not, runs, and no
/// `'unsafe-inline'` is needed); fetches to the sandbox itself; no framing, `<base>` or form.
/// Computed once from [`PAGE`], so an edit to the page cannot leave a stale hash.
fn page_policy() -> &'static HeaderValue {
    static POLICY: std::sync::LazyLock<HeaderValue> = std::sync::LazyLock::new(|| {
        let sources = |tag: &str| -> String {
            inline_blocks(PAGE, tag).map(|block| format!(" 'sha256-{}'", csp_hash(block))).collect()
        };
        let policy = format!(
            "default-src 'none'; script-src{}; style-src{}; connect-src 'self'; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'",
            sources("script"),
            sources("style"),
        );
        // Base64 and ASCII only, so always a valid header; the strictest policy otherwise.
        HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
    });
    &POLICY
}

/// The contents of each `<tag>…</tag>` block of `page` (tags written without attributes, as
/// the page writes them): exactly the text a browser hashes for a CSP `'sha256-…'` source.
fn inline_blocks<'a>(page: &'a str, tag: &str) -> impl Iterator<Item = &'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut rest = page;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let length = rest[start..].find(&close)?;
        let block = &rest[start..start + length];
        rest = &rest[start + length + close.len()..];
        Some(block)
    })
}

/// A CSP hash source's digest: SHA-256, in standard base64 with padding.
fn csp_hash(block: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(block.as_bytes()))
}

async fn set_faults(
    State(state): State<AdminState>,
    ApiJson(body, _): ApiJson<SetFaults>,
) -> Result<Json<Value>, ApiError> {
    let check = |spec: &FaultSpec| match spec {
        FaultSpec::Status { status, .. } if !(400..=599).contains(status) => {
            Err(ApiError::invalid("an injected status must be from 400 to 599"))
        }
        _ => Ok(()),
    };
    match body {
        SetFaults { next: Some(n), fault: Some(fault), rate: None, faults: None, seed: None } => {
            check(&fault)?;
            state.faults.fail_next(n, fault.into());
        }
        SetFaults { next: None, fault: None, rate: Some(rate), faults: Some(faults), seed } => {
            if !(0.0..=1.0).contains(&rate) {
                return Err(ApiError::invalid("`rate` must be from 0 to 1"));
            }
            faults.iter().try_for_each(check)?;
            state.faults.set_random(rate, faults.into_iter().map(Into::into).collect(), seed.unwrap_or(0));
        }
        _ => return Err(ApiError::invalid("give `next` and `fault`, or `rate`, `faults` and `seed`")),
    }
    Ok(Json(json!({ "success": true })))
}

async fn clear_faults(State(state): State<AdminState>) -> Json<Value> {
    state.faults.clear();
    Json(json!({ "success": true }))
}

async fn stats(State(state): State<AdminState>) -> Json<Value> {
    Json(json!({
        "requests": state.requests.load(Ordering::Relaxed),
        "faultsInjected": state.faults.injected(),
    }))
}

async fn clock(State(state): State<AdminState>) -> Json<ClockState> {
    Json(ClockState { now: state.clock.now(), manual: state.clock.is_manual() })
}

/// Moves the clock: 400 for a body that is neither form, 409 for a time before the clock's.
async fn move_clock(
    State(state): State<AdminState>,
    ApiJson(body, _): ApiJson<MoveClock>,
) -> Result<Json<ClockState>, ApiError> {
    let moved = match body {
        MoveClock { advance_seconds: Some(seconds), set: None } => {
            state.clock.advance(std::time::Duration::from_secs(seconds))
        }
        MoveClock { advance_seconds: None, set: Some(time) } => state.clock.set(time),
        _ => return Err(ApiError::invalid("give `advanceSeconds` (a whole number of seconds) or `set` (RFC 3339)")),
    };
    state.wake.notify_one();
    match moved {
        Ok(now) => Ok(Json(ClockState { now, manual: state.clock.is_manual() })),
        Err(error @ crate::clock::ClockError::Backwards { .. }) => {
            Err(ApiError::conflict("clock_backwards", error.to_string()))
        }
        Err(error) => Err(ApiError::invalid(error.to_string())),
    }
}

/// The largest saved state `PUT /_sandbox/state` accepts (the Rust API and `--state` take any).
const MAX_STATE_BYTES: usize = 64 * 1024 * 1024;

/// The project named by the request's `X-API-Key`: 401 without one, 404 for an unknown one.
fn project_of<'a>(
    state: &'a AdminState,
    headers: &HeaderMap,
) -> Result<&'a std::sync::Mutex<crate::store::Project>, ApiError> {
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("name the project with its X-API-Key header"))?;
    state
        .projects
        .get(key)
        .map(|p| &**p)
        .ok_or_else(|| ApiError::not_found("project_not_found", "no project has this API key"))
}

/// `GET /_sandbox/state`: the project's saved state.
async fn export_state(State(state): State<AdminState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let text = crate::store::export_project(project_of(&state, &headers)?);
    Ok(([(CONTENT_TYPE, "application/json")], text).into_response())
}

/// `PUT /_sandbox/state`: replaces the project's state; 400 `invalid_state` (nothing changed)
/// for a body that is not valid saved state.
async fn import_state(
    State(state): State<AdminState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let project = project_of(&state, &headers)?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid("the body is not UTF-8"))?;
    crate::store::import_project(project, text).map_err(|e| {
        ApiError::new(axum::http::StatusCode::BAD_REQUEST, "invalid_state", format!("nothing was loaded: {e}"))
    })?;
    Ok(Json(json!({ "success": true })))
}

/// `GET /_sandbox/webhooks`: the project's endpoints (never their secrets) and its newest
/// deliveries.
async fn webhooks(State(state): State<AdminState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let project = project_of(&state, &headers)?.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(Json(project.webhook_view(crate::store::webhooks::DELIVERY_LOG)).into_response())
}

/// `POST /_sandbox/webhooks`: registers an endpoint on the project; answers `{id, url, secret}`.
/// 400 for a URL that is not loopback `http` or a malformed secret.
async fn add_webhook(
    State(state): State<AdminState>,
    headers: HeaderMap,
    ApiJson(body, _): ApiJson<AddWebhook>,
) -> Result<Json<Value>, ApiError> {
    let secret = body.secret.unwrap_or_else(|| state.webhook_secret.clone());
    let mut project = project_of(&state, &headers)?.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let endpoint = project.add_endpoint(&body.url, &secret)?;
    Ok(Json(json!({ "id": endpoint.id, "url": endpoint.url, "secret": endpoint.secret })))
}

/// `DELETE /_sandbox/webhooks/{id}`: removes an endpoint and its unfinished deliveries.
async fn remove_webhook(
    State(state): State<AdminState>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut project = project_of(&state, &headers)?.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !project.remove_endpoint(&id) {
        return Err(ApiError::not_found("webhook_not_found", format!("no webhook endpoint `{id}`")));
    }
    Ok(Json(json!({ "success": true })))
}

/// `POST /_sandbox/webhooks/trigger`: does what emits an event of `type` (see
/// `store::trigger`); 400 for a type the spec does not list, 409 when no endpoint listens.
async fn trigger(
    State(state): State<AdminState>,
    headers: HeaderMap,
    ApiJson(body, _): ApiJson<Trigger>,
) -> Result<Json<Value>, ApiError> {
    let event_type: credits_types::webhooks::EventType =
        body.event_type.parse().map_err(|e: credits_types::webhooks::UnknownEventType| {
            let known: Vec<&str> = credits_types::webhooks::EventType::ALL.iter().map(|t| t.as_str()).collect();
            ApiError::invalid(format!("{e}; the types are {}", known.join(", ")))
        })?;
    let mut project = project_of(&state, &headers)?.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !project.has_webhooks() {
        return Err(ApiError::conflict("no_webhooks", "no webhook endpoint is registered: events would go nowhere"));
    }
    project.trigger(event_type)?;
    Ok(Json(json!({ "success": true, "type": event_type.as_str() })))
}

/// `POST /_sandbox/webhooks/resend`: delivers a kept event again, same id and body, to every
/// endpoint registered now; answers `{"eventId", "deliveries"}`. 404 for an event no delivery
/// of which is kept, 409 when no endpoint listens.
async fn resend(
    State(state): State<AdminState>,
    headers: HeaderMap,
    ApiJson(body, _): ApiJson<Resend>,
) -> Result<Json<Value>, ApiError> {
    let mut project = project_of(&state, &headers)?.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let deliveries = project.resend(&body.event_id)?;
    Ok(Json(json!({ "eventId": body.event_id, "deliveries": deliveries })))
}

/// The live ledger page: one HTML file with inline CSS and JavaScript, no build step.
const PAGE: &str = include_str!("page.html");

/// `GET /_sandbox/`: the live ledger page.
async fn page() -> Response {
    ([(CONTENT_TYPE, "text/html; charset=utf-8"), (axum::http::header::CACHE_CONTROL, "no-store")], PAGE)
        .into_response()
}

/// The projects in a stable order (by key), for the page's chooser.
fn ordered_keys(state: &AdminState) -> Vec<&String> {
    let mut keys: Vec<&String> = state.projects.keys().collect();
    keys.sort();
    keys
}

/// A key as the page shows it, never enough to rebuild it: its kind (`sk_test_`,
/// `sk_sandbox_`: a public convention, not a secret) and, only when at least 10 characters of
/// the rest stay hidden, the rest's last 2 (`sk_sandbox_…x7`); otherwise nothing of the rest
/// (`sk_test_local` is `sk_test_…`, a 1-character key is `…`).
pub(crate) fn masked(key: &str) -> String {
    let prefix = public_prefix(key);
    let secret: Vec<char> = key[prefix.len()..].chars().collect();
    let tail: String = if secret.len() >= 12 { secret[secret.len() - 2..].iter().collect() } else { String::new() };
    format!("{prefix}…{tail}")
}

/// The longest of `sk_<word>_` (a word of 1 to 8 lowercase letters) and `sk_` that starts
/// `key` and leaves at least 4 characters hidden after it; `""` if none does.
fn public_prefix(key: &str) -> &str {
    let hides_enough = |prefix: &str| key[prefix.len()..].chars().count() >= 4;
    let Some(rest) = key.strip_prefix("sk_") else { return "" };
    let word = rest.bytes().take_while(u8::is_ascii_lowercase).count();
    if (1..=8).contains(&word) && rest.as_bytes().get(word) == Some(&b'_') {
        // ASCII up to here, so the index is a character boundary.
        let kind = &key[..3 + word + 1];
        if hides_enough(kind) {
            return kind;
        }
    }
    if hides_enough("sk_") { &key[..3] } else { "" }
}

/// `GET /_sandbox/projects`: `[{"project": 0, "key": "sk_sandbox_…cd"}, …]`, keys masked.
async fn projects(State(state): State<AdminState>) -> Json<Value> {
    let list: Vec<Value> = ordered_keys(&state)
        .into_iter()
        .enumerate()
        .map(|(i, key)| json!({ "project": i, "key": masked(key) }))
        .collect();
    Json(Value::Array(list))
}

/// `GET /_sandbox/view?project=N`: what the page shows of project N, at the clock's time.
async fn view(
    State(state): State<AdminState>,
    query: crate::extract::ApiQuery,
) -> Result<Json<crate::store::View>, ApiError> {
    let keys = ordered_keys(&state);
    let max = keys.len().saturating_sub(1) as i64;
    let index = query.integer("project", 0, max)?.unwrap_or(0);
    let key = keys.get(index as usize).ok_or_else(|| ApiError::not_found("project_not_found", "no such project"))?;
    let project =
        state.projects.get(*key).ok_or_else(|| ApiError::not_found("project_not_found", "no such project"))?;
    let mut project = project.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let now = project.now();
    project.catch_up(now);
    Ok(Json(project.view(now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csp_hash_is_the_base64_sha256_of_the_block() {
        assert_eq!(csp_hash("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    }

    #[test]
    fn the_policy_names_every_inline_block_of_the_page_by_hash() {
        let policy = page_policy().to_str().unwrap();
        for tag in ["script", "style"] {
            let blocks: Vec<&str> = inline_blocks(PAGE, tag).collect();
            assert_eq!(blocks.len(), PAGE.matches(&format!("<{tag}")).count(), "every <{tag}> is written bare");
            assert!(!blocks.is_empty());
            let directive = policy.split("; ").find(|d| d.starts_with(&format!("{tag}-src "))).unwrap();
            for block in blocks {
                let source = format!("'sha256-{}'", csp_hash(block));
                assert!(directive.contains(&source), "{directive} lacks {source}");
            }
        }
        assert!(!policy.contains("unsafe"), "{policy}");
        // A hash covers a block, not an attribute: the page must have none that runs or styles.
        for attribute in [" style=", " onload=", " onclick=", " onchange=", "javascript:"] {
            assert!(!PAGE.contains(attribute), "{attribute}");
        }
    }

    #[test]
    fn masking_shows_the_kind_and_at_most_2_characters() {
        assert_eq!(masked("sk_sandbox_0123456789abcdefghijklmnopqrstuv"), "sk_sandbox_…uv");
        assert_eq!(masked("sk_test_local"), "sk_test_…");
        assert_eq!(masked("sk_test_"), "sk_…");
        assert_eq!(masked("sk_a"), "…");
        assert_eq!(masked("k"), "…");
        assert_eq!(masked(""), "…");
        assert_eq!(masked("mysecretpassword_is_long"), "…ng");
        assert_eq!(masked("sk_ÿÿÿÿÿÿÿÿÿÿÿÿÿ"), "sk_…ÿÿ");
    }
}
