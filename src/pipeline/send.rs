//! One request through the pipeline: checked, authenticated, sent with retries inside the
//! time budget, its body read within the size limit.

use std::time::Instant;

use reqwest::header::USER_AGENT;
use reqwest::{Request, Response, StatusCode};

use super::retry;
use super::scope::{CallReport, Refused};
use super::settings::{API_KEY_HEADER, Pipeline};

/// Whether a URL may carry the API key: HTTPS always, HTTP only to a loopback host.
pub(crate) fn is_loopback_or_https(url: &reqwest::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// Sends `request`, retrying as the transport's policy and the operation's safety allow, within
/// the policy's total time budget. Each response's body is read here, within the attempt's
/// timeout and the size limit, so that a body that fails to arrive is retried like any other
/// failed attempt of a safe operation. Returns the last outcome and what was observed.
/// Readies a request built by the generated client: refuses a clear-text target (unless
/// allowed), adds the default headers, the key and user agent, sets the attempt timeout. An `Err` is the reason.
pub(crate) fn prepare(pipeline: &Pipeline, request: &mut Request) -> Result<(), String> {
    if !pipeline.allow_insecure_http && !is_loopback_or_https(request.url()) {
        return Err(format!(
            "refusing to send the API key in clear text to {}://{}; use https, a loopback host, \
             or allow insecure http explicitly",
            request.url().scheme(),
            request.url().host_str().unwrap_or("")
        ));
    }
    // (progenitor's `api-version` header is removed from the generated code by `build.rs`.)
    let headers = request.headers_mut();
    for (name, value) in &pipeline.default_headers {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    headers.insert(API_KEY_HEADER, pipeline.api_key_header.clone());
    headers.insert(USER_AGENT, pipeline.user_agent.clone());
    *request.timeout_mut() = Some(super::scope::attempt_timeout().unwrap_or(pipeline.timeout));
    Ok(())
}

/// Sends a prepared request for the operation `operation_id`, traced in a `credits.request`
/// span, and leaves what was seen in the call's scope.
pub(crate) async fn send(
    client: &reqwest::Client,
    pipeline: &Pipeline,
    request: Request,
    operation_id: &'static str,
) -> reqwest::Result<Response> {
    use tracing::Instrument;
    let span = tracing::info_span!(
        "credits.request",
        operation = operation_id,
        method = %request.method(),
        path = request.url().path(),
        attempts = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    let retry_safe = super::operations::find(operation_id).is_some_and(|op| op.retry_safe);
    let (result, mut report) = send_with_retries(client, pipeline, request, retry_safe).instrument(span).await;
    report.operation = Some(operation_id);
    super::scope::report(report);
    result
}

/// Refuses a response the pipeline stood in for (too large, from another origin): the
/// `Err` is the reason, for the generated client's `post` hook.
pub(crate) fn check_response(result: &reqwest::Result<Response>) -> Result<(), String> {
    match result.as_ref().ok().and_then(|response| response.extensions().get::<Refused>()) {
        Some(refused) => Err(refused.to_string()),
        None => Ok(()),
    }
}

async fn send_with_retries(
    client: &reqwest::Client,
    pipeline: &Pipeline,
    mut request: Request,
    retry_safe: bool,
) -> (reqwest::Result<Response>, CallReport) {
    let policy = &pipeline.retry;
    let started = Instant::now();
    let budget_end = started + policy.max_elapsed_time();
    let deadline = super::scope::deadline().map_or(budget_end, |scoped| scoped.min(budget_end));
    let attempt_timeout = request.timeout().copied().unwrap_or(pipeline.timeout);
    let origin = request.url().origin();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        // The last attempt gets only what is left of the budget.
        *request.timeout_mut() = Some(attempt_timeout.min(deadline.saturating_duration_since(Instant::now())));
        // Keep a copy for the next attempt while one may follow (bodies here are in memory).
        let spare = if attempt < policy.attempts() { request.try_clone() } else { None };
        let sent_at = Instant::now();
        let outcome = match client.execute(request).await {
            Ok(response) => receive(response, &origin, pipeline.max_response_bytes).await,
            Err(error) => Err(error),
        };
        let latency_ms = u64::try_from(sent_at.elapsed().as_millis()).unwrap_or(u64::MAX);

        let wait = match &outcome {
            Ok(response) => {
                let status = response.status();
                tracing::debug!(attempt, status = status.as_u16(), latency_ms, "response");
                if response.extensions().get::<Refused>().is_some() || !retry::should_retry_status(status, retry_safe) {
                    None
                } else {
                    match policy.retry_after(response.headers()) {
                        Ok(asked) => Some(asked.unwrap_or_else(|| policy.backoff(attempt))),
                        Err(()) => None,
                    }
                }
            }
            Err(error) => {
                tracing::debug!(attempt, error = %error, latency_ms, "transport error");
                retry::should_retry_error(error, retry_safe).then(|| policy.backoff(attempt))
            }
        };

        match (wait, spare) {
            (Some(wait), Some(spare)) if Instant::now() + wait < deadline => {
                tracing::info!(attempt, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "retrying");
                tokio::time::sleep(wait).await;
                request = spare;
            }
            _ => {
                let span = tracing::Span::current();
                span.record("attempts", attempt);
                let status = outcome.as_ref().ok().map(Response::status);
                if let Some(status) = status {
                    span.record("status", status.as_u16());
                }
                let refused = outcome.as_ref().ok().and_then(|r| r.extensions().get::<Refused>().copied());
                return (outcome, CallReport { status, refused, operation: None });
            }
        }
    }
}

/// Reads a response's body into memory: a success body up to `limit` bytes (a longer one is
/// refused), an error body up to [`ERROR_BODY_READ_LIMIT`] (the rest is dropped; the status is
/// what matters). The body is read in chunks, so memory stays within about twice the limit
/// whatever the server sends; a body that stalls ends with the attempt's timeout.
async fn receive(mut response: Response, origin: &url::Origin, limit: usize) -> reqwest::Result<Response> {
    let status = response.status();
    if response.url().origin() != *origin {
        return Ok(stand_in(status, Refused::OtherOrigin { status }));
    }
    if !status.is_success() {
        return Ok(readable_error_body(response, limit.min(ERROR_BODY_READ_LIMIT)).await);
    }
    let declared = response.content_length().and_then(|n| usize::try_from(n).ok());
    if declared.is_some_and(|n| n > limit) {
        return Ok(stand_in(status, Refused::TooLarge { status, limit }));
    }
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > limit {
            return Ok(stand_in(status, Refused::TooLarge { status, limit }));
        }
        bytes.extend_from_slice(&chunk);
    }
    let headers = std::mem::take(response.headers_mut());
    Ok(rebuild(status, response.url().clone(), headers, bytes))
}

/// A body-less response that carries why the real one was refused.
fn stand_in(status: StatusCode, refused: Refused) -> Response {
    let mut response = http::Response::new(Vec::new());
    *response.status_mut() = status;
    response.extensions_mut().insert(refused);
    Response::from(response)
}

/// The most of an error body read into memory; errors carry an excerpt of it anyway.
const ERROR_BODY_READ_LIMIT: usize = 64 * 1024;

/// Makes an error response's body valid JSON, so that a proxy's HTML page or a plain-text
/// error reaches the caller as text instead of a decode failure that loses the status. Reads
/// at most `limit` bytes (and at most one chunk more).
async fn readable_error_body(mut response: Response, limit: usize) -> Response {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let url = response.url().clone();
    let mut bytes = Vec::new();
    let mut read_error = None;
    while bytes.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(error) => {
                read_error = Some(error);
                break;
            }
        }
    }
    if read_error.is_none() && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
        return rebuild(status, url, headers, bytes);
    }
    let mut text = crate::error::excerpt(&bytes);
    if let Some(error) = read_error {
        text.push_str(&format!(" [the body could not be read to the end: {error}]"));
    }
    rebuild(status, url, headers, serde_json::Value::String(text).to_string().into_bytes())
}

/// The response again, its body now in memory. The URL is carried over (reqwest would
/// otherwise parse a placeholder URL for every response).
fn rebuild(status: StatusCode, url: reqwest::Url, mut headers: reqwest::header::HeaderMap, body: Vec<u8>) -> Response {
    use reqwest::ResponseBuilderExt;
    headers.remove(reqwest::header::CONTENT_LENGTH);
    let mut response = match http::Response::builder().url(url).body(body) {
        Ok(response) => response,
        // The builder fails only on invalid parts, and none are set above.
        Err(_) => http::Response::new(Vec::new()),
    };
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Response::from(response)
}
