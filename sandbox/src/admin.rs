//! Admin endpoints outside `/v1` for driving a running binary: `/_sandbox/faults`,
//! `/_sandbox/stats` and `/_sandbox/clock`. They need no API key, are never counted or
//! faulted, and answer loopback clients only (the server refuses others with 403). Their
//! types are the sandbox's own: the spec does not describe them.

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
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
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
}

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
        .route("/_sandbox/state", get(export_state).put(import_state).layer(DefaultBodyLimit::max(MAX_STATE_BYTES)))
        .fallback(error::route_not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
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
    let text = crate::server::export_project(project_of(&state, &headers)?);
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
    crate::server::import_project(project, text).map_err(|e| {
        ApiError::new(axum::http::StatusCode::BAD_REQUEST, "invalid_state", format!("nothing was loaded: {e}"))
    })?;
    Ok(Json(json!({ "success": true })))
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

/// A key as the page shows it: its first 8 and last 4 characters.
fn masked(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 14 {
        return key.to_owned();
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// `GET /_sandbox/projects`: `[{"project": 0, "key": "sk_sandb…abcd"}, …]`, keys masked.
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
