//! API errors: the `{"success": false, "error": {code, message, details}}` body and its status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::exact::{Exact, to_raw};

/// An error answered by the sandbox, rendered as the spec's `ErrorBody`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status of the response.
    pub status: StatusCode,
    /// Machine-readable code, e.g. `insufficient_credits`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// Extra facts, e.g. `{available, requested}`, as JSON text (so numbers stay exact).
    pub details: Option<Box<RawValue>>,
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
    pub fn insufficient(available: Decimal, requested: Decimal) -> Self {
        let (available, requested) = (Exact(available), Exact(requested));
        Self::new(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_credits",
            format!("insufficient credits: {available} available, {requested} requested"),
        )
        .with_details(&Available { available, requested })
    }

    /// 500 `internal_error`, for a handler that panicked or another bug of the sandbox.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }

    /// Attaches extra facts to the error body.
    pub fn with_details<T: Serialize + ?Sized>(mut self, details: &T) -> Self {
        self.details = Some(to_raw(details));
        self
    }
}

#[derive(Serialize)]
struct Available {
    available: Exact,
    requested: Exact,
}

/// `{"success": false, "error": {...}}`.
#[derive(Serialize)]
struct ErrorBody<'a> {
    success: bool,
    error: ErrorFields<'a>,
}

#[derive(Serialize)]
struct ErrorFields<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a RawValue>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            success: false,
            error: ErrorFields { code: self.code, message: &self.message, details: self.details.as_deref() },
        };
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
