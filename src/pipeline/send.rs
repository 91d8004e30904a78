//! One request through the pipeline: checked, authenticated, sent with retries inside the
//! time budget, its body read within the size limit.

use std::borrow::Cow;
use std::pin::Pin;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderMap, USER_AGENT};
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

/// Readies a request built by the generated client: refuses a clear-text target (unless
/// allowed), adds the default headers, the key and user agent, sets the attempt timeout. An `Err` is the reason.
pub(crate) fn prepare(pipeline: &Pipeline, request: &mut Request, operation_id: &str) -> Result<(), String> {
    if !pipeline.allow_insecure_http && !is_loopback_or_https(request.url()) {
        return Err(format!(
            "refusing to send the API key in clear text to {}://{}; use https, a loopback host, \
             or allow insecure http explicitly",
            request.url().scheme(),
            request.url().host_str().unwrap_or("")
        ));
    }
    // The call's own extras first: they may not replace what follows.
    if let Some(options) = super::scope::options() {
        options.apply(super::operations::find(operation_id), request)?;
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
///
/// A plain function around one `async` block: every async layer would hold its own copy of
/// the request and of the inner future's state, and move them.
///
/// Sends `request`, retrying as the transport's policy and the operation's safety allow, within
/// the policy's total time budget. Each response's body is read here, within the attempt's
/// timeout and the size limit, so that a body that fails to arrive is retried like any other
/// failed attempt of a safe operation. `rebuild` builds the request again (unprepared; it is
/// then readied as the first was) only for a retry; `None` ends the retries.
pub(crate) fn send<'a>(
    client: &'a reqwest::Client,
    pipeline: &'a Pipeline,
    request: Request,
    operation_id: &'static str,
    rebuild: impl Fn() -> Option<Request> + Send + Sync + 'a,
) -> impl Future<Output = reqwest::Result<Received>> + 'a {
    use tracing::Instrument;
    let span = tracing::info_span!(
        "credits.request",
        operation = operation_id,
        method = %request.method(),
        path = request.url().path(),
        attempts = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    // Boxed: callers' futures (the generated `send`, the facade's calls, the user's own) then
    // hold a pointer instead of this state (about 900 bytes), and move 8 bytes where they
    // would move all of it; under 1 KB, the allocator hands back a recently freed, warm block.
    // A span no subscriber wants is not entered and left on every poll. The state is made
    // in the expression that boxes it, not first bound and then wrapped: each step is a
    // copy of all of it that the optimizer may not remove (release builds then copy it once).
    let boxed: Pin<Box<dyn Future<Output = reqwest::Result<Received>> + Send + Sync + 'a>> = if span.is_disabled() {
        Box::pin(send_with_retries(client, pipeline, request, operation_id, rebuild, span))
    } else {
        Box::pin(send_with_retries(client, pipeline, request, operation_id, rebuild, span.clone()).instrument(span))
    };
    boxed
}

/// A response as the pipeline received it: its status and headers, and its whole body in
/// memory, read once; or, without a body, why the pipeline refused it.
#[derive(Debug)]
pub(crate) struct Received {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// Kept only for an answer the generated code may hand over whole (see `into_response`);
    /// boxed, as it is rarely there and every layer returns a `Received` by value.
    url: Option<Box<reqwest::Url>>,
    refused: Option<Refused>,
}

impl Received {
    /// The response's status.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// Why the pipeline refused the response (too large, from another origin), if it did.
    pub(crate) fn refusal(&self) -> Option<Refused> {
        self.refused
    }

    /// The status, headers and body.
    pub(crate) fn into_parts(self) -> (StatusCode, HeaderMap, Bytes) {
        (self.status, self.headers, self.body)
    }

    /// A `reqwest::Response` again, its body the bytes read: for the rare answer the generated
    /// code hands over whole (a status the spec does not list).
    #[cold]
    pub(crate) fn into_response(self) -> Response {
        use reqwest::ResponseBuilderExt;
        let mut headers = self.headers;
        headers.remove(reqwest::header::CONTENT_LENGTH);
        let mut builder = http::Response::builder();
        if let Some(url) = self.url {
            builder = builder.url(*url);
        }
        let mut response = match builder.body(self.body) {
            Ok(response) => response,
            // The builder fails only on invalid parts, and none are set above.
            Err(_) => http::Response::new(Bytes::new()),
        };
        *response.status_mut() = self.status;
        *response.headers_mut() = headers;
        Response::from(response)
    }
}

/// The attempts of one request. A plain function returning an `async move` block rather than
/// an `async fn`: an `async fn` keeps each argument twice in its state (as passed, and moved
/// into the body), and this state is what every request allocates.
fn send_with_retries<'a>(
    client: &'a reqwest::Client,
    pipeline: &'a Pipeline,
    request: Request,
    operation_id: &'static str,
    rebuild: impl Fn() -> Option<Request> + 'a,
    span: tracing::Span,
) -> impl Future<Output = reqwest::Result<Received>> + 'a {
    let attempt_timeout = request.timeout().copied().unwrap_or(pipeline.timeout);
    // Kept to tell a response from another origin (a redirect a user's HTTP client followed):
    // the client's parsed base URL when the request goes to its origin (as generated requests
    // do), so that nothing is copied.
    let target = match pipeline.base_url.parsed() {
        Some(base) if same_origin(request.url(), base) => Cow::Borrowed(base),
        _ => Cow::Owned(request.url().clone()),
    };
    async move {
        let retry_safe = super::operations::find(operation_id).is_some_and(|op| op.retry_safe);
        let options = super::scope::options();
        let policy = options.as_deref().and_then(super::options::CallOptions::retry_policy).unwrap_or(&pipeline.retry);
        let started = Instant::now();
        let budget_end = started + policy.max_elapsed_time();
        let deadline = super::scope::deadline().map_or(budget_end, |scoped| scoped.min(budget_end));
        let limit = pipeline.max_response_bytes;
        let mut attempt = 0u32;
        // The first attempt sends the request itself; a retry, the request built again and
        // readied as the first was (nothing is copied for a retry that never comes).
        let mut request = request;
        loop {
            attempt += 1;
            // One reading of the clock per attempt (the first reuses the call's).
            let sent_at = if attempt == 1 { started } else { Instant::now() };
            // The last attempt gets only what is left of the budget.
            let timeout = attempt_timeout.min(deadline.saturating_duration_since(sent_at));
            *request.timeout_mut() = Some(timeout);
            let pending = client.execute(request);
            // (The outcome is dropped before the wait, and takes no room while it lasts.)
            let wait = {
                let outcome = receive(pending, &target, limit).await;
                let wait = judge(&outcome, attempt, sent_at, retry_safe, policy)
                    .filter(|wait| attempt < policy.attempts() && Instant::now() + *wait < deadline);
                match wait.and_then(|wait| Some((wait, again(&rebuild, pipeline, operation_id)?))) {
                    Some((wait, again)) => {
                        request = again;
                        wait
                    }
                    None => return finish(outcome, attempt, operation_id, &span),
                }
            };
            tracing::info!(attempt, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "retrying");
            tokio::time::sleep(wait).await;
        }
    }
}

/// The request built again and readied for a retry; `None` (no retry) if it cannot be.
fn again(rebuild: &impl Fn() -> Option<Request>, pipeline: &Pipeline, operation_id: &str) -> Option<Request> {
    let mut request = rebuild()?;
    prepare(pipeline, &mut request, operation_id).ok()?;
    Some(request)
}

/// Logs an attempt's outcome; returns how long to wait before the next attempt, if the
/// outcome calls for one.
fn judge(
    outcome: &reqwest::Result<Received>,
    attempt: u32,
    sent_at: Instant,
    retry_safe: bool,
    policy: &retry::RetryPolicy,
) -> Option<Duration> {
    // Read only if the event is recorded (tracing evaluates fields of enabled events only).
    let latency_ms = || u64::try_from(sent_at.elapsed().as_millis()).unwrap_or(u64::MAX);
    match outcome {
        Ok(response) => {
            let status = response.status;
            tracing::debug!(attempt, status = status.as_u16(), latency_ms = latency_ms(), "response");
            if response.refused.is_some() || !retry::should_retry_status(status, retry_safe) {
                None
            } else {
                policy.retry_after(&response.headers).ok().map(|asked| asked.unwrap_or_else(|| policy.backoff(attempt)))
            }
        }
        Err(error) => {
            tracing::debug!(attempt, error = %error, latency_ms = latency_ms(), "transport error");
            retry::should_retry_error(error, retry_safe).then(|| policy.backoff(attempt))
        }
    }
}

/// Records how a request ended in its span and in the call's scope, and keeps the response
/// if the caller asked for it.
fn finish(
    outcome: reqwest::Result<Received>,
    attempts: u32,
    operation_id: &'static str,
    span: &tracing::Span,
) -> reqwest::Result<Received> {
    let status = outcome.as_ref().ok().map(Received::status);
    let refused = outcome.as_ref().ok().and_then(Received::refusal);
    // (Recording on a disabled span still costs a `log` check when tracing's `log` feature is on.)
    if !span.is_disabled() {
        span.record("attempts", attempts);
        if let Some(status) = status {
            span.record("status", status.as_u16());
        }
    }
    super::scope::report(CallReport { status, refused, operation: Some(operation_id) });
    if let Ok(received) = &outcome
        && received.refused.is_none()
    {
        super::scope::capture(|| {
            super::raw::RawResponse::new(operation_id, received.status, received.headers.clone(), received.body.clone())
        });
    }
    outcome
}

/// One attempt: waits for the response to `pending` and reads its body into memory: a
/// success body up to `limit` bytes (a longer one is refused), an error body up to
/// [`ERROR_BODY_READ_LIMIT`] (the rest is dropped; the status is what matters). The body is
/// read in chunks, so memory stays within about twice the limit whatever the server sends; a
/// body that stalls ends with the attempt's timeout.
#[allow(clippy::manual_async_fn)] // an `async fn` would keep its arguments twice (see `send_with_retries`)
fn receive<'a>(
    pending: impl Future<Output = reqwest::Result<Response>> + 'a,
    target: &'a reqwest::Url,
    limit: usize,
) -> impl Future<Output = reqwest::Result<Received>> + 'a {
    async move {
        let mut response = pending.await?;
        let status = response.status();
        if !same_origin(response.url(), target) {
            return Ok(stand_in(response, Refused::OtherOrigin { status }));
        }
        if !status.is_success() {
            // Boxed: the error path's state stays out of every request's.
            return Ok(Box::pin(readable_error_body(response, limit.min(ERROR_BODY_READ_LIMIT))).await);
        }
        let declared = response.content_length().and_then(|n| usize::try_from(n).ok());
        if declared.is_some_and(|n| n > limit) {
            return Ok(stand_in(response, Refused::TooLarge { status, limit }));
        }
        // A body in one chunk (the usual case) is kept as it came, without a copy.
        let mut first: Option<Bytes> = None;
        let mut joined: Option<Vec<u8>> = None;
        let mut length = 0usize;
        while let Some(chunk) = response.chunk().await? {
            length += chunk.len();
            if length > limit {
                return Ok(stand_in(response, Refused::TooLarge { status, limit }));
            }
            if let Some(joined) = &mut joined {
                joined.extend_from_slice(&chunk);
            } else if let Some(earlier) = first.take() {
                let mut buffer = Vec::with_capacity(declared.unwrap_or(0).min(limit).max(length));
                buffer.extend_from_slice(&earlier);
                buffer.extend_from_slice(&chunk);
                joined = Some(buffer);
            } else {
                first = Some(chunk);
            }
        }
        let body = joined.map(Bytes::from).or(first).unwrap_or_default();
        Ok(received(response, body))
    }
}

/// Whether two URLs have the same origin (scheme, host, port), compared without building
/// `url::Origin`s (which allocate).
fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme() && a.host() == b.host() && a.port_or_known_default() == b.port_or_known_default()
}

/// What arrived: the response's status and headers with `body`, and its URL when the
/// generated code may hand the response over whole (any status but 200 and the errors, which
/// it decodes).
fn received(mut response: Response, body: Bytes) -> Received {
    let status = response.status();
    let decoded = status == StatusCode::OK || status.is_client_error() || status.is_server_error();
    Received {
        status,
        headers: std::mem::take(response.headers_mut()),
        url: (!decoded).then(|| Box::new(response.url().clone())),
        body,
        refused: None,
    }
}

/// A body-less answer that carries why the real one was refused.
#[cold]
fn stand_in(response: Response, refused: Refused) -> Received {
    Received {
        status: response.status(),
        headers: HeaderMap::new(),
        url: None,
        body: Bytes::new(),
        refused: Some(refused),
    }
}

/// The most of an error body read into memory; errors carry an excerpt of it anyway.
const ERROR_BODY_READ_LIMIT: usize = 64 * 1024;

/// Makes an error response's body valid JSON, so that a proxy's HTML page or a plain-text
/// error reaches the caller as text instead of a decode failure that loses the status. Reads
/// at most `limit` bytes (and at most one chunk more).
async fn readable_error_body(mut response: Response, limit: usize) -> Received {
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
        return received(response, Bytes::from(bytes));
    }
    let mut text = crate::error::excerpt(&bytes);
    if let Some(error) = read_error {
        text.push_str(&format!(" [the body could not be read to the end: {error}]"));
    }
    received(response, Bytes::from(serde_json::Value::String(text).to_string()))
}
