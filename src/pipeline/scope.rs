//! Per-call settings and what the pipeline saw of a call, carried in a task-local scope
//! around one generated request.

use std::cell::Cell;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

tokio::task_local! {
    /// What one facade call tells the pipeline, and what the pipeline tells it back.
    static CALL: CallContext;
}

/// Per-call settings and observations, scoped to one facade call.
#[derive(Debug)]
pub(crate) struct CallContext {
    /// A timeout for this call's attempts that overrides the client's.
    timeout: Option<Duration>,
    /// A deadline for the whole call, retries included, earlier than the client's budget
    /// would give it (a guarded call's steps share one).
    deadline: Option<Instant>,
    /// What the pipeline saw, left for the caller to read when the call ends.
    report: Cell<CallReport>,
}

/// What the pipeline saw of one call.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CallReport {
    /// The status of the last response, if one arrived.
    pub status: Option<StatusCode>,
    /// Why the pipeline refused the last response, if it did.
    pub refused: Option<Refused>,
    /// The spec's `operationId` of the call.
    pub operation: Option<&'static str>,
}

/// Runs one generated request with its own per-attempt timeout, overriding the client's.
///
/// ```no_run
/// # async fn run(client: credits_sdk::api::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::{Duration, Instant};
/// use credits_sdk::api::with_attempt_timeout;
/// let balance = with_attempt_timeout(Duration::from_secs(2), client.get_balance().external_id("user_456").send()).await?;
/// # Ok(()) }
/// ```
pub fn with_attempt_timeout<F: Future>(timeout: Duration, call: F) -> impl Future<Output = F::Output> {
    CALL.scope(CallContext { timeout: Some(timeout), deadline: None, report: Cell::new(CallReport::default()) }, call)
}

/// `call` with per-call settings in scope, returning its output and what the pipeline saw. A
/// combinator rather than an `async fn`, so the (large) generated future is held once instead
/// of once per layer of async state.
pub(crate) fn scoped<F: Future>(
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    call: F,
) -> impl Future<Output = (F::Output, CallReport)> {
    use futures::FutureExt;
    // The closure runs inside the scope, when the call has finished.
    let reported = call.map(|output| (output, CALL.with(|c| c.report.get())));
    CALL.scope(CallContext { timeout, deadline, report: Cell::new(CallReport::default()) }, reported)
}

/// The deadline the current call must end by, if its scope sets one.
pub(super) fn deadline() -> Option<Instant> {
    CALL.try_with(|c| c.deadline).ok().flatten()
}

/// The attempt timeout the current call asks for, if it is running in a scope that sets one.
pub(super) fn attempt_timeout() -> Option<Duration> {
    CALL.try_with(|c| c.timeout).ok().flatten()
}

/// Leaves `report` for the scope's owner, if the call runs in a scope.
pub(super) fn report(report: CallReport) {
    let _ = CALL.try_with(|c| c.report.set(report));
}

/// A response the pipeline refused to hand to the generated code, and why. It travels in a
/// body-less [`Received`](super::Received) (a server cannot forge it) from `crate::api::exec`
/// to `crate::api::check`, which turns it into an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The body was longer than the configured limit.
    TooLarge {
        /// The response's status.
        status: StatusCode,
        /// The limit in bytes.
        limit: usize,
    },
    /// The response came from another origin than the request's: a `reqwest::Client` supplied
    /// by the user followed a redirect.
    OtherOrigin {
        /// The response's status.
        status: StatusCode,
    },
}

impl Refused {
    /// Reads back a refusal from its `Display` text, the only thing progenitor's
    /// `Error::Custom` can carry from the `post` hook to the caller.
    pub(crate) fn from_message(message: &str) -> Option<Refused> {
        let rest = message.strip_prefix("the ")?;
        let (code, rest) = rest.split_once(' ')?;
        let status = StatusCode::from_bytes(code.as_bytes()).ok()?;
        if rest.contains("came from another origin") {
            return Some(Refused::OtherOrigin { status });
        }
        let limit = rest.split("the limit of ").nth(1)?.split(' ').next()?.parse().ok()?;
        Some(Refused::TooLarge { status, limit })
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::TooLarge { status, limit } => {
                write!(f, "the {status} response body is larger than the limit of {limit} bytes")
            }
            Refused::OtherOrigin { status } => write!(
                f,
                "the {status} response came from another origin than the request's (the HTTP client followed a \
                 redirect); build it with credits_sdk::api::http_client_builder(), which follows none"
            ),
        }
    }
}
