//! Per-call settings and what the pipeline saw of a call, carried in a task-local scope
//! around one generated request.

use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::options::CallOptions;
use super::raw::RawResponse;

tokio::task_local! {
    /// What one facade call tells the pipeline, and what the pipeline tells it back: the
    /// context of the innermost [`Scoped`] call being polled (it lends it for each poll).
    static CALL: RefCell<Option<CallContext>>;
}

/// What a scope asks of the requests in it: an attempt timeout, a deadline, options, a
/// response capture. Shared behind an `Arc`, so that a call's context is one pointer and a
/// small report, moved in and out of the task-local slot on every poll; a call with no
/// settings (the usual case) has none to share.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallSettings {
    /// A timeout for the attempts that overrides the client's (unless the options set one).
    /// Inside another scope, the outer scope's resolved attempt timeout when this one sets
    /// none (see `inside`).
    timeout: Option<Duration>,
    /// A deadline for the whole call, retries included, earlier than the client's budget
    /// would give it (a guarded call's steps share one).
    deadline: Option<Instant>,
    /// Per-call options (extra fields, query parameters, headers, retries) for every request.
    options: Option<Arc<CallOptions>>,
    /// Where the last response is kept, when the caller asked for it (`with_response`).
    capture: Option<Arc<Mutex<Option<RawResponse>>>>,
}

impl CallSettings {
    /// `settings` with `timeout` per attempt (options that set an attempt timeout still win).
    pub(crate) fn with_timeout(settings: Option<&Arc<Self>>, timeout: Duration) -> Arc<Self> {
        Arc::new(Self { timeout: Some(timeout), ..Self::copy(settings) })
    }

    /// `settings` with `deadline` (or its own, if earlier).
    pub(crate) fn with_deadline(settings: Option<&Arc<Self>>, deadline: Instant) -> Arc<Self> {
        let settings = Self::copy(settings);
        Arc::new(Self { deadline: Some(settings.deadline.map_or(deadline, |d| d.min(deadline))), ..settings })
    }

    /// `settings` with `options` instead of any it had.
    pub(crate) fn with_options(settings: Option<&Arc<Self>>, options: Arc<CallOptions>) -> Arc<Self> {
        Arc::new(Self { options: Some(options), ..Self::copy(settings) })
    }

    fn copy(settings: Option<&Arc<Self>>) -> Self {
        settings.map_or_else(Self::default, |s| Self::clone(s))
    }

    /// The attempt timeout: the options', else the one set.
    fn attempt_timeout(&self) -> Option<Duration> {
        self.options.as_ref().and_then(|o| o.attempt_timeout_value()).or(self.timeout)
    }

    /// These settings inside `outer`'s: each one not set here is the outer one. The outer
    /// attempt timeout is taken resolved (its options' if they set one), and still gives way
    /// to the attempt timeout of the options in effect here, as `attempt_timeout` reads it.
    fn inside(&self, outer: &Self) -> Self {
        Self {
            timeout: self.timeout.or(outer.attempt_timeout()),
            deadline: self.deadline.or(outer.deadline),
            options: self.options.clone().or_else(|| outer.options.clone()),
            capture: self.capture.clone().or_else(|| outer.capture.clone()),
        }
    }
}

/// One call's context, lent to the pipeline for each poll: its settings and what the pipeline
/// saw.
#[derive(Debug)]
pub(crate) struct CallContext {
    settings: Option<Arc<CallSettings>>,
    /// What the pipeline saw, left for the caller to read when the call ends.
    report: Cell<CallReport>,
}

impl CallContext {
    /// A context inside the current one (if any): it keeps the outer options, response capture,
    /// attempt timeout and deadline unless `settings` sets its own.
    fn nested(settings: Option<Arc<CallSettings>>) -> Self {
        let settings = match (settings, current(|c| c.settings.clone()).flatten()) {
            (Some(inner), Some(outer)) => Some(Arc::new(inner.inside(&outer))),
            (inner, outer) => inner.or(outer),
        };
        Self { settings, report: Cell::new(CallReport::default()) }
    }
}

/// Reads the context of the call being polled, if it runs in a scope.
fn current<R>(read: impl FnOnce(&CallContext) -> R) -> Option<R> {
    CALL.try_with(|slot| slot.borrow().as_ref().map(read)).ok().flatten()
}

/// Reads the settings of the call being polled, if it runs in a scope that has some.
fn settings<R>(read: impl FnOnce(&CallSettings) -> Option<R>) -> Option<R> {
    current(|c| c.settings.as_deref().and_then(read)).flatten()
}

pin_project_lite::pin_project! {
    /// A call with its context: made (by `make`) when the call is first polled, inside the
    /// caller's context, and lent to the call for each poll; the call's output and what the
    /// pipeline saw are handed to `finish`.
    ///
    /// The call stays where it was pinned: only the (small) context moves in and out of the
    /// task-local slot. Combinators (`lazy`, `flatten`, `map`) and `LocalKey::scope` would each
    /// add a layer that moves or polls through the generated future.
    pub(crate) struct Scoped<M, F, O> {
        make: Option<M>,
        context: Option<CallContext>,
        finish: Option<O>,
        #[pin]
        call: F,
    }
}

impl<M, F, O> Scoped<M, F, O> {
    fn new(make: M, call: F, finish: O) -> Self {
        Self { make: Some(make), context: None, finish: Some(finish), call }
    }
}

impl<M, F, O, T> Future for Scoped<M, F, O>
where
    M: FnOnce() -> CallContext,
    F: Future,
    O: FnOnce(F::Output, CallReport) -> T,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.project();
        let context = match (this.context.take(), this.make.take()) {
            (Some(context), _) => context,
            (None, Some(make)) => make(),
            // Polled again after it finished: the call itself decides what that does.
            (None, None) => CallContext::nested(None),
        };
        let call = this.call;
        // The output is written here when it is ready, rather than returned as a `Poll`
        // through the scope: a `Poll` of the output is as large as the output (hundreds of
        // bytes), and each layer would copy it on every poll, pending ones included.
        let mut output = None;
        let context = CALL.sync_scope(RefCell::new(Some(context)), || {
            if let Poll::Ready(ready) = call.poll(cx) {
                output = Some(ready);
            }
            CALL.try_with(|slot| slot.borrow_mut().take()).ok().flatten()
        });
        match output {
            Some(output) => {
                let report = context.map(|c| c.report.get()).unwrap_or_default();
                match this.finish.take() {
                    Some(finish) => Poll::Ready(finish(output, report)),
                    // Polled after it finished, and the call answered again: nothing to hand it to.
                    None => Poll::Pending,
                }
            }
            None => {
                *this.context = context;
                Poll::Pending
            }
        }
    }
}

/// Runs `call` in a context made, when it is first polled, inside the caller's context.
fn within<F: Future>(make: impl FnOnce() -> CallContext, call: F) -> impl Future<Output = F::Output> {
    Scoped::new(make, call, |output, _| output)
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
    let settings = CallSettings::with_timeout(None, timeout);
    within(move || CallContext::nested(Some(settings)), call)
}

/// Runs one generated request (or a facade call) with per-call [`CallOptions`]: extra body
/// fields, query parameters and headers, an attempt timeout, a retry policy. Facade users
/// have [`CreditsClient::with_options`](crate::CreditsClient::with_options).
///
/// ```no_run
/// # async fn run(client: credits_sdk::api::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use credits_sdk::CallOptions;
/// use credits_sdk::api::with_options;
/// let options = CallOptions::new().extra_query("expand", "plan").extra_header("x-trace-id", "t-1");
/// let balance = with_options(options, client.get_balance().external_id("user_456").send()).await?;
/// # Ok(()) }
/// ```
pub fn with_options<F: Future>(options: CallOptions, call: F) -> impl Future<Output = F::Output> {
    let settings = CallSettings::with_options(None, Arc::new(options));
    within(move || CallContext::nested(Some(settings)), call)
}

/// Runs `call` and returns its value with the last response it received: status, headers,
/// request id, the body's bytes and the fields the spec does not declare
/// ([`RawResponse`]). Works for a facade call and for a builder's `send()`.
///
/// The response is kept only inside this call: other calls pay nothing for it. It is the last
/// response the call received: for a facade call that sends several requests, the last one's;
/// for a call the facade settles from an error status (a repeated confirm, answered `409`),
/// that status. A call that succeeds without
/// having sent a request through the SDK ends with [`NoResponse`].
///
/// ```no_run
/// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
/// use credits_sdk::{AccountRef, with_response};
/// let (balance, response) = with_response(client.get_balance(AccountRef::external("user_456"))).await?;
/// println!("{} available; {} {:?}", balance.available, response.status(), response.request_id());
/// for field in response.undeclared_fields().iter() {
///     println!("{} = {}", field.pointer, field.value);
/// }
/// # Ok(()) }
/// ```
pub async fn with_response<F, T, E>(call: F) -> Result<(T, RawResponse), E>
where
    F: Future<Output = Result<T, E>>,
    E: From<NoResponse>,
{
    let slot = Arc::new(Mutex::new(None));
    let kept = Arc::clone(&slot);
    let settings = CallSettings { capture: Some(kept), ..CallSettings::default() };
    let value = within(move || CallContext::nested(Some(Arc::new(settings))), call).await?;
    let response = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
    match response {
        Some(response) => Ok((value, response)),
        None => Err(E::from(NoResponse)),
    }
}

/// The call given to [`with_response`] succeeded without sending a request through the SDK,
/// so there is no response to return.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the call sent no request through the SDK, so there is no response to return")]
pub struct NoResponse;

impl From<NoResponse> for progenitor_client::Error<crate::error::ErrorBody> {
    fn from(error: NoResponse) -> Self {
        progenitor_client::Error::Custom(error.to_string())
    }
}

/// `call` with per-call settings in scope; its output and what the pipeline saw are handed to
/// `finish`.
pub(crate) fn scoped<F: Future, T>(
    settings: Option<Arc<CallSettings>>,
    call: F,
    finish: impl FnOnce(F::Output, CallReport) -> T,
) -> impl Future<Output = T> {
    Scoped::new(move || CallContext::nested(settings), call, finish)
}

/// The deadline the current call must end by, if its scope sets one.
pub(super) fn deadline() -> Option<Instant> {
    settings(|s| s.deadline)
}

/// The attempt timeout the current call asks for, if it is running in a scope that sets one.
pub(super) fn attempt_timeout() -> Option<Duration> {
    settings(CallSettings::attempt_timeout)
}

/// The per-call options of the current call, if its scope has some.
pub(super) fn options() -> Option<Arc<CallOptions>> {
    settings(|s| s.options.clone())
}

/// Keeps the response `make` builds for the caller, if it asked for it (`with_response`).
pub(super) fn capture(make: impl FnOnce() -> RawResponse) {
    if let Some(slot) = settings(|s| s.capture.clone()) {
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(make());
    }
}

/// Leaves `report` for the scope's owner, if the call runs in a scope.
pub(super) fn report(report: CallReport) {
    current(|c| c.report.set(report));
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

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);
    const QUICK: Duration = Duration::from_millis(50);

    fn quick_options() -> Arc<CallOptions> {
        Arc::new(CallOptions::new().attempt_timeout(QUICK))
    }

    /// What the pipeline reads inside `settings`, nested in `outer` (each a scope of its own,
    /// made the way the facade's calls and the wrappers make them).
    async fn seen(
        outer: Option<Arc<CallSettings>>,
        inner: Option<Arc<CallSettings>>,
    ) -> (Option<Duration>, Option<Instant>) {
        let read = std::future::poll_fn(|_| Poll::Ready((attempt_timeout(), deadline())));
        scoped(outer, scoped(inner, read, |seen, _| seen), |seen, _| seen).await
    }

    #[tokio::test]
    async fn the_options_attempt_timeout_wins_over_the_handles_in_either_order() {
        let timeout_then_options =
            CallSettings::with_options(Some(&CallSettings::with_timeout(None, SECOND)), quick_options());
        let options_then_timeout =
            CallSettings::with_timeout(Some(&CallSettings::with_options(None, quick_options())), SECOND);
        for settings in [timeout_then_options, options_then_timeout] {
            assert_eq!(seen(None, Some(settings)).await.0, Some(QUICK));
        }
        assert_eq!(seen(None, Some(CallSettings::with_timeout(None, SECOND))).await.0, Some(SECOND));
        assert_eq!(seen(None, None).await, (None, None));
    }

    #[tokio::test]
    async fn an_inner_scope_keeps_what_it_does_not_set_from_the_outer_one() {
        let soon = Instant::now() + SECOND;
        let outer = CallSettings::with_deadline(Some(&CallSettings::with_timeout(None, SECOND)), soon);
        // Nothing set inside: the outer settings, as they are.
        assert_eq!(seen(Some(outer.clone()), None).await, (Some(SECOND), Some(soon)));
        // An inner attempt timeout replaces the outer one; the deadline stays.
        let inner = CallSettings::with_timeout(None, QUICK);
        assert_eq!(seen(Some(outer), Some(inner)).await, (Some(QUICK), Some(soon)));
        // Outer options that set an attempt timeout still win over an inner explicit one...
        let outer = CallSettings::with_options(None, quick_options());
        assert_eq!(seen(Some(outer.clone()), Some(CallSettings::with_timeout(None, SECOND))).await.0, Some(QUICK));
        // ...but inner options replace them, and then the outer timeout is what is left.
        let plain = Arc::new(CallOptions::new().extra_header("x-trace-id", "t-1"));
        let inner = CallSettings::with_options(None, plain.clone());
        assert_eq!(seen(Some(outer.clone()), Some(inner.clone())).await.0, Some(QUICK));
        let merged = inner.inside(&outer);
        assert!(merged.options.as_ref().is_some_and(|o| Arc::ptr_eq(o, &plain)), "the inner options replace the outer");
        // A capture is kept from outside unless the inner scope has its own.
        let slot = Arc::new(Mutex::new(None));
        let capturing = CallSettings { capture: Some(slot.clone()), ..CallSettings::default() };
        let merged = inner.inside(&capturing);
        assert!(merged.capture.as_ref().is_some_and(|c| Arc::ptr_eq(c, &slot)));
    }

    #[test]
    fn a_deadline_only_moves_earlier() {
        let soon = Instant::now() + SECOND;
        let later = soon + SECOND;
        let settings = CallSettings::with_deadline(Some(&CallSettings::with_deadline(None, soon)), later);
        assert_eq!(settings.deadline, Some(soon));
        let settings = CallSettings::with_deadline(Some(&CallSettings::with_deadline(None, later)), soon);
        assert_eq!(settings.deadline, Some(soon));
    }
}
