//! `X-API-Key` authentication: each key names its own project, with separate state.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::store::Project;

/// The projects of a sandbox, keyed by API key. The set of keys is fixed at startup.
pub type Projects = Arc<HashMap<String, Arc<Mutex<Project>>>>;

/// The project of the request's API key, put in the request extensions by [`require_api_key`].
#[derive(Clone)]
pub struct CurrentProject(Arc<Mutex<Project>>);

impl CurrentProject {
    /// Locks the project. A poisoned lock is recovered: every mutation validates before
    /// writing, so a panic cannot leave half-written state behind.
    pub fn lock(&self) -> MutexGuard<'_, Project> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Middleware on `/v1`: rejects a missing or unknown key with 401 `unauthorized`.
pub async fn require_api_key(State(projects): State<Projects>, mut request: Request, next: Next) -> Response {
    let key = request.headers().get("x-api-key").and_then(|v| v.to_str().ok());
    let project = match key {
        None => return ApiError::unauthorized("missing X-API-Key header").into_response(),
        Some(key) => match projects.get(key) {
            Some(project) => project.clone(),
            None => return ApiError::unauthorized("unknown API key").into_response(),
        },
    };
    request.extensions_mut().insert(CurrentProject(project));
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentProject {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentProject>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("missing X-API-Key header"))
    }
}
