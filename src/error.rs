//! The SDK's one error type, and the lenient reading of the API's error bodies.

use std::borrow::Cow;
use std::fmt;

use reqwest::StatusCode;
use serde_json::Value;

use crate::pipeline::{CallReport, Refused};
use crate::values::ErrorCode;

/// A result whose error is the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The longest excerpt of a response body kept in an error, in bytes.
pub const BODY_EXCERPT_LIMIT: usize = 2048;

/// Everything that can go wrong with a call.
///
/// ```
/// # async fn charge(client: &credits_sdk::CreditsClient) {
/// use credits_sdk::{AccountRef, Error, ErrorCode};
/// match client.deduct_credits(credits_sdk::DeductCredits::new(AccountRef::external("user_456"), 50)).await {
///     Ok(done) => println!("balance now {:?}", done.balance),
///     Err(error) if error.code() == Some(&ErrorCode::InsufficientCredits) => println!("top up first"),
///     Err(error) if error.is_retryable() => println!("safe to try again later: {error}"),
///     Err(error) if error.maybe_applied() => println!("may have been charged: look it up before retrying"),
///     Err(error) => println!("failed: {error}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was refused before any request was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The API answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request did not complete: connection refused or reset, DNS, TLS or a timeout.
    #[error("transport error: {0}")]
    Transport(#[source] TransportError),
    /// The API answered, but the body is not what the spec says.
    #[error("could not decode the {} response: {reason}; body: {excerpt:?}", status.map_or(Cow::Borrowed("API"), |s| Cow::Owned(s.to_string())))]
    Decode {
        /// The response status, when known.
        status: Option<StatusCode>,
        /// Why decoding failed.
        reason: String,
        /// The start of the body (at most [`BODY_EXCERPT_LIMIT`] bytes).
        excerpt: String,
    },
    /// The response body was longer than the client's limit
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)); reading
    /// stopped there.
    #[error("the {status} response body is larger than the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The response status.
        status: StatusCode,
        /// The limit in bytes.
        limit: usize,
    },
    /// The client could not be configured (bad base URL, missing key…), or its HTTP client
    /// broke a rule of the pipeline (it followed a redirect to another origin).
    #[error("configuration error: {0}")]
    Config(String),
}

/// An error status from the API, with what its body says.
///
/// `#[non_exhaustive]`: a later release may add what it learns from error bodies.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The machine-readable code, e.g. [`ErrorCode::InsufficientCredits`], when the body has
    /// one.
    pub code: Option<ErrorCode>,
    /// The human-readable message (the status text when the body has none).
    pub message: String,
    /// The body as received (at most [`BODY_EXCERPT_LIMIT`] bytes).
    pub body: String,
    /// The request id from the body or the `x-request-id` header, to quote to support.
    pub request_id: Option<String>,
    /// Structured facts about the error (`error.details`), e.g. `available` and `requested`
    /// for `insufficient_credits`.
    pub details: Option<Value>,
    /// The `Location` header of a redirect (3xx). The SDK follows no redirect, so that the
    /// API key never reaches another origin; a 3xx from the API is an error to look into.
    pub location: Option<String>,
    /// The spec's `operationId` of the call, when the error came through the facade (a
    /// builder's error converted with `?` does not know it).
    pub operation: Option<&'static str>,
}

/// A request that did not complete, and the operation it was for.
///
/// Reads like the [`reqwest::Error`] under it ([`is_timeout`](Self::is_timeout),
/// [`is_connect`](Self::is_connect), [`reqwest_error`](Self::reqwest_error)).
#[derive(Debug)]
pub struct TransportError {
    source: reqwest::Error,
    operation: Option<&'static str>,
}

impl TransportError {
    /// The HTTP client's error.
    pub fn reqwest_error(&self) -> &reqwest::Error {
        &self.source
    }

    /// Whether an attempt (or the call's budget) timed out.
    pub fn is_timeout(&self) -> bool {
        self.source.is_timeout()
    }

    /// Whether the connection could not be made: the request was never sent.
    pub fn is_connect(&self) -> bool {
        self.source.is_connect()
    }

    /// The spec's `operationId` of the call, when known.
    pub fn operation(&self) -> Option<&'static str> {
        self.operation
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.source, f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.source()
    }
}

/// Whether a failed request may have been applied by the API: what decides if repeating a
/// write could apply it twice. See [`Error::applied`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Applied {
    /// Not applied: refused before sending, never sent (the connection could not be made), or
    /// refused by the API with a 4xx (a 429 included: INFERRED, the API is taken to reject a
    /// rate-limited request before processing it).
    No,
    /// Unknown: the request may have reached the API and been applied (a timeout or a reset
    /// after sending, a 5xx, a 3xx). Before repeating a write, look up whether it landed.
    Maybe,
    /// Applied: the API answered with a success, but its answer could not be read (larger than
    /// the limit, or not what the spec says).
    Yes,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "API error {}", self.status.as_u16())?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(location) = &self.location {
            write!(f, " (redirect to {location}, not followed)")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl Error {
    /// The HTTP status of the response, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::Decode { status, .. } => *status,
            Error::ResponseTooLarge { status, .. } => Some(*status),
            Error::Transport(error) => error.source.status(),
            Error::InvalidInput(_) | Error::Config(_) => None,
        }
    }

    /// The API's machine-readable error code, e.g. [`ErrorCode::InsufficientCredits`].
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Api(api) => api.code.as_ref(),
            _ => None,
        }
    }

    /// The API error, when the API answered with an error status.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// Whether the call may succeed if tried again later: timeouts, connection failures, 408,
    /// 429 and 5xx. Says nothing of whether repeating it is *safe*: see
    /// [`is_retryable`](Self::is_retryable).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport(error) => {
                let e = &error.source;
                e.is_timeout() || e.is_connect() || e.is_request() || e.is_body()
            }
            Error::Api(api) => crate::pipeline::retry::is_retryable_status(api.status),
            Error::InvalidInput(_) | Error::Decode { .. } | Error::ResponseTooLarge { .. } | Error::Config(_) => false,
        }
    }

    /// Whether the request may have been applied by the API ([`Applied`]).
    ///
    /// ```
    /// use credits_sdk::{Applied, Error};
    /// assert_eq!(Error::InvalidInput("amount must be > 0".into()).applied(), Applied::No);
    /// ```
    pub fn applied(&self) -> Applied {
        match self {
            Error::InvalidInput(_) | Error::Config(_) => Applied::No,
            Error::Transport(error) if error.is_connect() => Applied::No,
            Error::Transport(_) => Applied::Maybe,
            Error::Api(api) => applied_by_status(api.status),
            Error::Decode { status: None, .. } => Applied::Yes,
            Error::Decode { status: Some(status), .. } | Error::ResponseTooLarge { status, .. } => {
                if status.is_success() { Applied::Yes } else { applied_by_status(*status) }
            }
        }
    }

    /// Whether the request may have been applied: [`applied`](Self::applied) is not
    /// [`Applied::No`]. For a write, look up whether it landed before repeating it.
    pub fn maybe_applied(&self) -> bool {
        self.applied() != Applied::No
    }

    /// Whether repeating the call can never apply it twice: it was not applied, or its
    /// operation is one the spec marks safe to repeat (reads, confirm, cancel). `false` when
    /// the operation is not known (a builder's error converted with `?` and not applied for
    /// certain).
    pub fn is_safe_to_repeat(&self) -> bool {
        self.applied() == Applied::No
            || self.operation().and_then(crate::pipeline::operations::find).is_some_and(|op| op.retry_safe)
    }

    /// Whether trying the same call again is both worth it and safe: the failure is
    /// [transient](Self::is_transient) **and** [safe to repeat](Self::is_safe_to_repeat). A
    /// write whose outcome is unknown (a grant that timed out after it was sent, a 503 after a
    /// deduction) is never retryable, although a later call may succeed: repeating it may
    /// apply it twice. Look it up first ([`maybe_applied`](Self::maybe_applied)).
    pub fn is_retryable(&self) -> bool {
        self.is_transient() && self.is_safe_to_repeat()
    }

    /// The spec's `operationId` of the failed call, when known: errors of facade calls know
    /// it; a builder's error converted with `?` does not.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::Transport(error) => error.operation,
            Error::Api(api) => api.operation,
            _ => None,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput(message.into())
    }

    /// A response that decoded but lacks the member one of the API's overloaded paths
    /// switches to (`summary`, `model`).
    pub(crate) fn missing_member(status: Option<StatusCode>, member: &str, response: &impl serde::Serialize) -> Self {
        let body = serde_json::to_vec(response).unwrap_or_default();
        Error::decode(status, format!("the response has no `{member}`"), &body)
    }

    pub(crate) fn decode(status: Option<StatusCode>, reason: impl fmt::Display, body: &[u8]) -> Self {
        Error::Decode { status, reason: reason.to_string(), excerpt: excerpt(body) }
    }

    /// Converts a generated client's error. `observed` is what the pipeline saw: the status,
    /// which progenitor does not keep when a body fails to decode, and why it refused a
    /// response.
    pub(crate) fn from_generated(error: progenitor_client::Error<ErrorBody>, observed: &CallReport) -> Self {
        use progenitor_client::Error as Generated;
        let status = observed.status;
        match error {
            Generated::InvalidRequest(message) => Error::InvalidInput(message),
            Generated::CommunicationError(e) | Generated::ResponseBodyError(e) | Generated::InvalidUpgrade(e) => {
                Error::Transport(TransportError { source: e, operation: observed.operation })
            }
            Generated::ErrorResponse(response) => {
                let status = response.status();
                let header_id = request_id_header(response.headers());
                let location = location_header(response.headers());
                let mut api = response.into_inner().into_api_error(status, header_id, location);
                api.operation = observed.operation;
                Error::Api(Box::new(api))
            }
            Generated::InvalidResponsePayload(body, e) => Error::decode(status, e, &body),
            Generated::UnexpectedResponse(response) => {
                let status = response.status();
                let header_id = request_id_header(response.headers());
                let location = location_header(response.headers());
                if status.is_success() {
                    Error::decode(Some(status), "the status is not one the spec lists", b"")
                } else {
                    // A status the spec lists no body for (a 3xx): what matters is the status
                    // and where it points.
                    let mut api = ErrorBody::default().into_api_error(status, header_id, location);
                    api.operation = observed.operation;
                    Error::Api(Box::new(api))
                }
            }
            Generated::Custom(message) if message.starts_with(crate::pipeline::REFUSED_OPTION) => {
                Error::InvalidInput(message)
            }
            Generated::Custom(message) => match observed.refused.or_else(|| Refused::from_message(&message)) {
                Some(Refused::TooLarge { status, limit }) => Error::ResponseTooLarge { status, limit },
                Some(Refused::OtherOrigin { .. }) | None => Error::Config(message),
            },
        }
    }
}

/// The generated builders' error, as the facade reports it: `?` in code that mixes builders
/// and facade gives one error type.
///
/// ```no_run
/// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
/// let balance = client.api().get_balance().external_id("user_456").send().await?;
/// let models = client.list_models(credits_sdk::ListModels::new()).await?;
/// # let _ = (balance, models); Ok(()) }
/// ```
impl From<progenitor_client::Error<ErrorBody>> for Error {
    fn from(error: progenitor_client::Error<ErrorBody>) -> Self {
        Error::from_generated(error, &CallReport::default())
    }
}

impl From<crate::pipeline::ApiKeyError> for Error {
    fn from(error: crate::pipeline::ApiKeyError) -> Self {
        Error::Config(error.to_string())
    }
}

impl From<crate::pipeline::NoResponse> for Error {
    fn from(error: crate::pipeline::NoResponse) -> Self {
        Error::InvalidInput(error.to_string())
    }
}

impl From<crate::values::InvalidAmount> for Error {
    fn from(error: crate::values::InvalidAmount) -> Self {
        Error::InvalidInput(error.to_string())
    }
}

/// What an error status says of whether the request was applied: a 4xx is a refusal; any other
/// status (5xx, 3xx) leaves it unknown.
fn applied_by_status(status: StatusCode) -> Applied {
    if status.is_client_error() { Applied::No } else { Applied::Maybe }
}

fn location_header(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers.get(reqwest::header::LOCATION).map(|v| excerpt(v.as_bytes()))
}

fn request_id_header(headers: &reqwest::header::HeaderMap) -> Option<String> {
    ["x-request-id", "request-id"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()).map(str::to_owned))
}

/// The first [`BODY_EXCERPT_LIMIT`] bytes of a body as text, cut at a character boundary.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(BODY_EXCERPT_LIMIT)]);
    let mut text = text.into_owned();
    if body.len() > BODY_EXCERPT_LIMIT {
        text.push('…');
    }
    text
}

/// An error body, read leniently: the API's error shape is not documented, so any JSON value
/// is accepted and the code, message and request id are looked for in the likely places
/// (`{"error": {"code", "message"}}`, `{"error": "text"}`, `{"code", "message"}`,
/// `{"message"}`). A non-JSON body (an HTML page from a proxy) arrives as a JSON string:
/// the transport wraps it so that it is never lost.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ErrorBody(pub Value);

impl ErrorBody {
    /// Reads a body that may or may not be JSON.
    pub fn from_bytes(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_else(|_| ErrorBody(Value::String(excerpt(body))))
    }

    /// The machine-readable code, e.g. `insufficient_credits`.
    pub fn code(&self) -> Option<&str> {
        self.0.pointer("/error/code").or_else(|| self.0.get("code")).and_then(Value::as_str)
    }

    /// The human-readable message.
    pub fn message(&self) -> Option<&str> {
        [self.0.pointer("/error/message"), self.0.get("error"), self.0.get("message"), Some(&self.0)]
            .into_iter()
            .flatten()
            .find_map(Value::as_str)
    }

    /// The request id, when the body carries one.
    pub fn request_id(&self) -> Option<&str> {
        self.0.get("requestId").or_else(|| self.0.pointer("/error/requestId")).and_then(Value::as_str)
    }

    /// Structured facts about the error, when the body has them.
    pub fn details(&self) -> Option<&Value> {
        self.0.pointer("/error/details").or_else(|| self.0.get("details")).filter(|d| !d.is_null())
    }

    fn into_api_error(
        self,
        status: StatusCode,
        header_request_id: Option<String>,
        location: Option<String>,
    ) -> ApiError {
        let body = match &self.0 {
            Value::String(text) => excerpt(text.as_bytes()),
            other => excerpt(other.to_string().as_bytes()),
        };
        ApiError {
            status,
            code: self.code().map(|code| ErrorCode::from(excerpt(code.as_bytes()).as_str())),
            message: self
                .message()
                .map(|message| excerpt(message.as_bytes()))
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned()),
            request_id: self.request_id().map(|id| excerpt(id.as_bytes())).or(header_request_id),
            details: self.details().cloned(),
            location,
            body,
            operation: None,
        }
    }
}

impl schemars::JsonSchema for ErrorBody {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorBody")
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "description": "An error body of any shape." })
    }
}
