//! API errors: the `{"success": false, "error": {code, message, details}}` body and its status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error answered by the sandbox, rendered as the spec's `ErrorBody`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status of the response.
    pub status: StatusCode,
    /// Machine-readable code, e.g. `insufficient_credits`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// Extra facts, e.g. `{available, requested}`.
    pub details: Option<Value>,
    /// Value of a `Retry-After` header, for injected faults.
    pub retry_after: Option<String>,
}

impl ApiError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), details: None, retry_after: None }
    }

    /// 400 `invalid_request`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// 404 with a `*_not_found` code.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 409 with a conflict code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 402 `insufficient_credits` with `details: {available, requested}`.
    pub fn insufficient(available: f64, requested: f64) -> Self {
        let mut error = Self::new(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_credits",
            format!("insufficient credits: {available} available, {requested} requested"),
        );
        error.details = Some(json!({ "available": available, "requested": requested }));
        error
    }

    /// Attaches extra facts to the error body.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let (Some(details), Some(object)) = (self.details, error.as_object_mut()) {
            object.insert("details".into(), details);
        }
        let body = json!({ "success": false, "error": error });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(value) = self.retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Fallback for paths no route matches: 404 `not_found`.
pub async fn route_not_found() -> ApiError {
    ApiError::not_found("not_found", "no such route")
}

/// Fallback for a known path with the wrong method: 405 `method_not_allowed`.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this path")
}
