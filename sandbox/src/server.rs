//! The sandbox server: [`Sandbox`], its builder, the accept loop (below axum, so a fault
//! can drop a connection without answering), the connection limits and shutdown on drop.
//!
//! Limits that keep the sandbox reachable whatever a client does:
//! - at most `max_connections` connections are served at once (a semaphore permit per
//!   connection); further ones wait in the listen backlog until one closes;
//! - a connection that has no request in progress for the header-read timeout is closed:
//!   one that sends nothing, drips its request head, or idles between requests (HTTP/1 or
//!   HTTP/2). hyper's own HTTP/1 header-read timeout is set to the same value;
//! - a request body must arrive within the same timeout once a handler reads it (408);
//! - request heads over the sandbox's limits (URI, header count, header bytes) answer a JSON
//!   414 or 431; a handler panic answers a JSON 500.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

use chrono::{DateTime, Utc};

use crate::admin::{self, AdminState};
use crate::auth::{Projects, require_api_key};
use crate::clock::{Clock, ClockError};
use crate::error::{self, ApiError};
use crate::extract::BodyReadTimeout;
use crate::faults::{Fault, FaultHandle};
use crate::routes;
use crate::store::{Project, StateError, export_project, import_project};

/// Default lifetime of a reservation that is neither confirmed nor cancelled.
pub const DEFAULT_RESERVATION_TTL: Duration = Duration::from_secs(300);

/// The longest reservation TTL the builder (and `--reservation-ttl-secs`) accepts: 86 400 s,
/// the most a request's `expiresInSeconds` may ask for.
pub const MAX_RESERVATION_TTL: Duration = crate::store::MAX_RESERVATION_TTL;

/// Default header-read timeout: how long a connection may go without a request in progress
/// (before its first request, while its request head is dripping in, or between requests)
/// before the sandbox closes it.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest header-read timeout the builder accepts: a day.
pub const MAX_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(86_400);

/// Default bound on connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Longest request target (path and query) answered normally; longer ones get a JSON 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Most request headers answered normally; more get a JSON 431.
pub const MAX_HEADERS: usize = 100;

/// Largest request header block (names, values, 4 bytes of framing each) answered normally;
/// larger ones get a JSON 431.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// hyper's own limits, set above the sandbox's so that the sandbox answers in JSON first.
/// Past these hyper answers a bare 431 (or 414 for a URI over 64 KiB) and closes.
const HYPER_MAX_HEADERS: usize = 256;
const HYPER_H2_MAX_HEADER_LIST: u32 = 64 * 1024;

/// A running sandbox. It serves until dropped.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// let sandbox = credits_sandbox::Sandbox::start().await?;
/// println!("{} {}", sandbox.base_url(), sandbox.api_key());
/// # Ok(()) }
/// ```
pub struct Sandbox {
    base_url: String,
    address: SocketAddr,
    api_keys: Vec<String>,
    faults: FaultHandle,
    requests: Arc<AtomicU64>,
    clock: Clock,
    projects: Projects,
    webhook_secret: String,
    wake: Arc<tokio::sync::Notify>,
    _shutdown: watch::Sender<bool>,
}

/// The `format` of a saved-state file of several projects ([`Sandbox::export_all`]).
pub const STATE_FILE_FORMAT: &str = "credits-sandbox-state";

/// A saved-state file: each project's saved state by API key.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format: String,
    version: u32,
    projects: std::collections::BTreeMap<String, Box<serde_json::value::RawValue>>,
}

/// Configures a [`Sandbox`] before starting it.
#[derive(Clone)]
pub struct SandboxBuilder {
    address: SocketAddr,
    api_keys: Vec<String>,
    reservation_ttl: Duration,
    seed: bool,
    header_read_timeout: Duration,
    max_connections: usize,
    clock_start: Option<DateTime<Utc>>,
    state: Option<String>,
    webhooks: Vec<String>,
    webhook_secret: Option<String>,
}

impl std::fmt::Debug for SandboxBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxBuilder")
            .field("address", &self.address)
            .field("api_keys", &self.api_keys.len())
            .field("reservation_ttl", &self.reservation_ttl)
            .field("seed", &self.seed)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("max_connections", &self.max_connections)
            .field("clock_start", &self.clock_start)
            .field("state", &self.state.as_ref().map(String::len))
            .field("webhooks", &self.webhooks)
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_keys: Vec::new(),
            reservation_ttl: DEFAULT_RESERVATION_TTL,
            seed: false,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            clock_start: None,
            state: None,
            webhooks: Vec::new(),
            webhook_secret: None,
        }
    }
}

/// A fresh API key, `sk_sandbox_` and 32 random alphanumerics.
pub fn generate_api_key() -> String {
    let suffix: String = std::iter::repeat_with(fastrand::alphanumeric).take(32).collect();
    format!("sk_sandbox_{suffix}")
}

impl SandboxBuilder {
    /// The address to bind (default `127.0.0.1:0`, a free port).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Adds an API key; each key is a separate project. Without any, one key is generated.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        let key = key.into();
        if !self.api_keys.contains(&key) {
            self.api_keys.push(key);
        }
        self
    }

    /// How long reservations last unless a request sets `expiresInSeconds` (default 300 s).
    /// It must be more than zero and at most [`MAX_RESERVATION_TTL`]; [`start`](Self::start)
    /// refuses other values with [`std::io::ErrorKind::InvalidInput`].
    pub fn reservation_ttl(mut self, ttl: Duration) -> Self {
        self.reservation_ttl = ttl;
        self
    }

    /// Whether each project starts with demo data: account `user_demo` with 1000 credits and
    /// a "Pro" plan.
    pub fn seed(mut self, seed: bool) -> Self {
        self.seed = seed;
        self
    }

    /// How long a connection may go without a request in progress before it is closed:
    /// before its first request, while its request head arrives, and between requests
    /// (default 30 s). It also bounds how long a handler waits for a request body. It must
    /// be more than zero and at most [`MAX_HEADER_READ_TIMEOUT`]; [`start`](Self::start)
    /// refuses other values.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How many connections are served at once (default 1024). Further connections wait in
    /// the listen backlog until one closes. It must be from 1 to
    /// [`tokio::sync::Semaphore::MAX_PERMITS`]; [`start`](Self::start) refuses other values.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// A manual clock standing at `start` (to the millisecond) instead of the wall clock. It
    /// moves only with [`Sandbox::advance`], [`Sandbox::set_time`] or `POST /_sandbox/clock`,
    /// and everything time-based follows it: reservation expiry, timestamps, date filters and
    /// plan periods.
    pub fn manual_clock(mut self, start: DateTime<Utc>) -> Self {
        self.clock_start = Some(start);
        self
    }

    /// Starts from saved state: the text of a file written by [`Sandbox::export_all`] (the
    /// binary's `--state FILE`). Its projects' API keys are added to the sandbox's keys.
    /// [`start`](Self::start) fails with [`std::io::ErrorKind::InvalidData`], naming the
    /// problem, if the file is not valid saved state.
    pub fn state(mut self, text: impl Into<String>) -> Self {
        self.state = Some(text.into());
        self
    }

    /// Checks the configuration: the TTL, the timeout and the connection bound.
    /// Delivers every project's webhook events to `url` (repeatable), signed with the
    /// [`webhook_secret`](Self::webhook_secret). Only `http` URLs to a loopback address or
    /// `localhost` are accepted: `start` fails with `InvalidInput` otherwise. Endpoints can also
    /// be added while running ([`Sandbox::add_webhook`], `POST /_sandbox/webhooks`).
    pub fn webhook(mut self, url: impl Into<String>) -> Self {
        self.webhooks.push(url.into());
        self
    }

    /// The secret the endpoints of [`webhook`](Self::webhook) are signed with (`whsec_` and
    /// base64 of at least 16 bytes); generated when not given ([`Sandbox::webhook_secret`]).
    pub fn webhook_secret(mut self, secret: impl Into<String>) -> Self {
        self.webhook_secret = Some(secret.into());
        self
    }

    fn validate(&self) -> std::io::Result<()> {
        let invalid = |message: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, message);
        for url in &self.webhooks {
            crate::store::webhooks::check_url(url).map_err(invalid)?;
        }
        if let Some(secret) = &self.webhook_secret {
            crate::store::webhooks::check_secret(secret).map_err(invalid)?;
        }
        let invalid = |message: String| Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, message));
        if self.reservation_ttl.is_zero() || self.reservation_ttl > MAX_RESERVATION_TTL {
            return invalid(format!(
                "the reservation TTL must be more than 0 and at most {} s, not {:?}",
                MAX_RESERVATION_TTL.as_secs(),
                self.reservation_ttl
            ));
        }
        if self.header_read_timeout.is_zero() || self.header_read_timeout > MAX_HEADER_READ_TIMEOUT {
            return invalid(format!(
                "the header-read timeout must be more than 0 and at most {} s, not {:?}",
                MAX_HEADER_READ_TIMEOUT.as_secs(),
                self.header_read_timeout
            ));
        }
        if !(1..=Semaphore::MAX_PERMITS).contains(&self.max_connections) {
            return invalid(format!(
                "max_connections must be from 1 to {}, not {}",
                Semaphore::MAX_PERMITS,
                self.max_connections
            ));
        }
        Ok(())
    }

    /// Binds the address and starts serving on the current tokio runtime. Fails with
    /// [`std::io::ErrorKind::InvalidInput`] for a configuration out of range (see the
    /// setters) and with the bind error if the address cannot be bound.
    pub async fn start(self) -> std::io::Result<Sandbox> {
        self.validate()?;
        let mut api_keys = self.api_keys;
        let saved = match &self.state {
            Some(text) => {
                parse_state_file(text).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?
            }
            None => Default::default(),
        };
        for key in saved.keys() {
            if !api_keys.contains(key) {
                api_keys.push(key.clone());
            }
        }
        if api_keys.is_empty() {
            api_keys.push(generate_api_key());
        }
        let clock = self.clock_start.map(Clock::manual).unwrap_or_default();
        let webhook_secret = self.webhook_secret.clone().unwrap_or_else(crate::store::webhooks::generate_secret);
        let wake = Arc::new(tokio::sync::Notify::new());
        let projects: HashMap<String, Arc<Mutex<Project>>> = api_keys
            .iter()
            .map(|key| {
                let mut project = Project::new(self.reservation_ttl, clock.clone());
                project.set_webhook_wake(wake.clone());
                if let Some(text) = saved.get(key) {
                    project = project.load_state(text.get()).map_err(|e| {
                        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("saved project {key}: {e}"))
                    })?;
                } else if self.seed {
                    project.seed(clock.now());
                }
                for url in &self.webhooks {
                    project
                        .add_endpoint(url, &webhook_secret)
                        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.message))?;
                }
                Ok((key.clone(), Arc::new(Mutex::new(project))))
            })
            .collect::<std::io::Result<_>>()?;
        let projects: Projects = Arc::new(projects);
        let faults = FaultHandle::default();
        let requests = Arc::new(AtomicU64::new(0));
        let app = App {
            api: routes::api()
                .fallback(error::route_not_found)
                .layer(from_fn_with_state(projects.clone(), require_api_key)),
            admin: admin::router(AdminState {
                faults: faults.clone(),
                requests: requests.clone(),
                clock: clock.clone(),
                projects: projects.clone(),
                webhook_secret: webhook_secret.clone(),
                wake: wake.clone(),
            }),
            faults: faults.clone(),
            requests: requests.clone(),
        };
        let listener = TcpListener::bind(self.address).await?;
        let address = listener.local_addr()?;
        let (shutdown, stopped) = watch::channel(false);
        let limits = Limits {
            header_read_timeout: self.header_read_timeout,
            connections: Arc::new(Semaphore::new(self.max_connections)),
        };
        crate::delivery::spawn(projects.clone(), wake.clone(), stopped.clone());
        tokio::spawn(accept_loop(listener, Arc::new(app), limits, stopped));
        Ok(Sandbox {
            base_url: format!("http://{address}"),
            address,
            api_keys,
            faults,
            requests,
            clock,
            projects,
            webhook_secret,
            wake,
            _shutdown: shutdown,
        })
    }
}

impl Sandbox {
    /// Starts a sandbox on a free loopback port with one generated API key.
    pub async fn start() -> std::io::Result<Sandbox> {
        Self::builder().start().await
    }

    /// A builder for other addresses, keys, TTLs or demo data.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The first API key.
    pub fn api_key(&self) -> &str {
        &self.api_keys[0]
    }

    /// Every API key, one project each.
    pub fn api_keys(&self) -> &[String] {
        &self.api_keys
    }

    /// The fault plan, off until set.
    pub fn faults(&self) -> FaultHandle {
        self.faults.clone()
    }

    /// How many `/v1` requests arrived, rejected and faulted ones included.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The sandbox clock's time, to the millisecond.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock forward by `step` (at most [`MAX_CLOCK_STEP`](crate::MAX_CLOCK_STEP))
    /// and answers the new time. The next request sees everything that became due meanwhile:
    /// expired reservations, plan grants. Works on the wall clock too, which then keeps
    /// ticking from the later time.
    pub fn advance(&self, step: Duration) -> Result<DateTime<Utc>, ClockError> {
        let now = self.clock.advance(step)?;
        self.wake.notify_one();
        Ok(now)
    }

    /// The secret webhook deliveries are signed with, unless an endpoint was registered with
    /// its own (`whsec_…`): give it to the receiver's verifier.
    pub fn webhook_secret(&self) -> &str {
        &self.webhook_secret
    }

    /// Registers a webhook endpoint on every project, signed with
    /// [`webhook_secret`](Self::webhook_secret); answers its id (`we_…`). The same URL twice is
    /// one endpoint. Refused unless `url` is `http` to a loopback address or `localhost`.
    pub fn add_webhook(&self, url: &str) -> Result<String, String> {
        let mut id = String::new();
        for project in self.projects.values() {
            let mut project = project.lock().unwrap_or_else(PoisonError::into_inner);
            id = project.add_endpoint(url, &self.webhook_secret).map_err(|e| e.message)?.id;
        }
        Ok(id)
    }

    /// Delivers event `event_id` of the project of `api_key` again (same id and body, signed
    /// afresh) to every endpoint registered now, as happens when a receiver's 2xx is lost;
    /// answers how many deliveries were queued. Refused for an unknown key, an event no kept
    /// delivery has, or a project without endpoints.
    pub fn resend_webhook(&self, api_key: &str, event_id: &str) -> Result<usize, String> {
        let project = self.projects.get(api_key).ok_or("no project has this API key")?;
        let mut project = project.lock().unwrap_or_else(PoisonError::into_inner);
        project.resend(event_id).map_err(|e| e.message)
    }

    /// The webhook deliveries of the project of `api_key` (unfinished ones, then the log of
    /// the last [`DELIVERY_LOG`](crate::DELIVERY_LOG) finished ones), oldest first.
    pub fn webhook_deliveries(&self, api_key: &str) -> Vec<crate::WebhookDelivery> {
        self.projects
            .get(api_key)
            .map(|project| project.lock().unwrap_or_else(PoisonError::into_inner).deliveries())
            .unwrap_or_default()
    }

    /// The whole state of the project of `api_key`, as versioned JSON (exact numbers), brought
    /// up to the clock's time first. [`import_state`](Self::import_state) reads it back.
    pub fn export_state(&self, api_key: &str) -> Result<String, StateError> {
        let project = self.projects.get(api_key).ok_or_else(|| StateError("no project has this API key".into()))?;
        Ok(export_project(project))
    }

    /// Replaces the state of the project of `api_key` with saved state from
    /// [`export_state`](Self::export_state). The text is checked completely first: on an
    /// error nothing changes.
    pub fn import_state(&self, api_key: &str, text: &str) -> Result<(), StateError> {
        let project = self.projects.get(api_key).ok_or_else(|| StateError("no project has this API key".into()))?;
        import_project(project, text)
    }

    /// Every project's state, by API key, as one versioned JSON file: what
    /// [`SandboxBuilder::state`] and the binary's `--state FILE` read.
    pub fn export_all(&self) -> String {
        let projects = self
            .api_keys
            .iter()
            .filter_map(|key| {
                let text = export_project(self.projects.get(key)?);
                // Not `RawValue::from_string`: its check stops at 128 levels, and the deepest
                // metadata the API accepts lies deeper in a project's state.
                let mut deserializer = serde_json::Deserializer::from_str(&text);
                deserializer.disable_recursion_limit();
                let raw = <Box<serde_json::value::RawValue> as serde::Deserialize>::deserialize(&mut deserializer);
                Some((key.clone(), raw.ok()?))
            })
            .collect();
        let file = StateFile { format: STATE_FILE_FORMAT.into(), version: crate::store::STATE_VERSION, projects };
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }

    /// Sets the clock to `time`, which must not be earlier than the clock's time.
    pub fn set_time(&self, time: DateTime<Utc>) -> Result<DateTime<Utc>, ClockError> {
        let now = self.clock.set(time)?;
        self.wake.notify_one();
        Ok(now)
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys are secrets even in a sandbox: users paste real-looking keys into tests.
        f.debug_struct("Sandbox").field("base_url", &self.base_url).field("api_keys", &self.api_keys.len()).finish()
    }
}

struct App {
    api: Router,
    admin: Router,
    faults: FaultHandle,
    requests: Arc<AtomicU64>,
}

/// Returned by the service to make hyper close the connection without a response.
#[derive(Debug)]
struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DroppedConnection {}

/// The connection limits of a running sandbox.
#[derive(Clone)]
struct Limits {
    header_read_timeout: Duration,
    connections: Arc<Semaphore>,
}

async fn accept_loop(listener: TcpListener, app: Arc<App>, limits: Limits, stopped: watch::Receiver<bool>) {
    let mut stop = stopped.clone();
    loop {
        // A permit first: at the bound, new connections wait in the listen backlog.
        let permit = tokio::select! {
            _ = stop.changed() => return,
            permit = limits.connections.clone().acquire_owned() => permit,
        };
        let Ok(permit) = permit else { return };
        let accepted = tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors and the like: wait instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        // Small request/response exchanges: never let Nagle's algorithm hold a write back.
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(stream, app.clone(), limits.header_read_timeout, stopped.clone(), permit));
    }
}

/// Whether a connection has a request in progress, and since when it has had none.
struct Activity {
    in_flight: AtomicUsize,
    idle_since: Mutex<Instant>,
}

/// Marks a request in progress until dropped.
struct InFlight(Arc<Activity>);

impl Activity {
    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    fn idle_since(&self) -> Instant {
        *self.idle_since.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Resolves once the connection has had no request in progress for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            if self.in_flight.load(Ordering::SeqCst) > 0 {
                tokio::time::sleep(limit).await;
                continue;
            }
            let deadline = self.idle_since() + limit;
            if Instant::now() >= deadline {
                if self.in_flight.load(Ordering::SeqCst) == 0 && self.idle_since() + limit <= Instant::now() {
                    return;
                }
                continue;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.idle_since.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves one connection until it ends, the sandbox stops, or it has had no request in
/// progress for `timeout`. Holds its connection permit throughout.
async fn serve_connection(
    stream: TcpStream,
    app: Arc<App>,
    timeout: Duration,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let Ok(peer) = stream.peer_addr() else { return };
    let activity = Arc::new(Activity { in_flight: AtomicUsize::new(0), idle_since: Mutex::new(Instant::now()) });
    let tracked = activity.clone();
    let service = service_fn(move |request| {
        let in_flight = tracked.begin();
        let app = app.clone();
        async move {
            let response = handle(app, request, timeout, peer).await;
            drop(in_flight);
            response
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(timeout).max_headers(HYPER_MAX_HEADERS);
    builder.http2().timer(TokioTimer::new()).max_header_list_size(HYPER_H2_MAX_HEADER_LIST);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        _ = stop.changed() => {}
        _ = activity.idle_for(timeout) => {}
    }
}

/// Polls a future and turns a panic into an error, so a bug answers a JSON 500 instead of
/// dropping the connection.
struct CatchPanic<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

async fn call(router: &Router, request: Request<Body>) -> Response<Body> {
    match CatchPanic(Box::pin(router.clone().oneshot(request))).await {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(()) => ApiError::internal("the sandbox failed while handling this request").into_response(),
    }
}

/// Whether a client at `ip` may use the `/_sandbox` endpoints: loopback only (IPv4 127/8,
/// IPv6 ::1, and IPv4-mapped loopback).
/// Whether a request is addressed to a loopback host: its `Host` (or HTTP/2 authority) is
/// `localhost`, a name under `.localhost`, an IPv4 127/8 address or `[::1]`, with any port. A
/// page the developer's browser loaded from another name that resolves to 127.0.0.1 (DNS
/// rebinding) sends its own name, and is refused.
fn loopback_host<B>(request: &Request<B>) -> bool {
    let named = match request.headers().get(axum::http::header::HOST) {
        Some(host) => host.to_str().ok().and_then(|h| h.parse::<axum::http::uri::Authority>().ok()),
        None => request.uri().authority().cloned(),
    };
    named.is_some_and(|authority| crate::loopback::is_loopback_host(authority.host()))
}

/// A JSON 414 or 431 for a request head over the sandbox's limits.
fn oversized<B>(request: &Request<B>) -> Option<ApiError> {
    let target = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI_BYTES {
        return Some(ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request target is longer than {MAX_URI_BYTES} bytes"),
        ));
    }
    let headers = request.headers();
    let bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return Some(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("at most {MAX_HEADERS} request headers of at most {MAX_HEADER_BYTES} bytes in all"),
        ));
    }
    None
}

async fn handle(
    app: Arc<App>,
    request: Request<Incoming>,
    body_timeout: Duration,
    peer: SocketAddr,
) -> Result<Response<Body>, DroppedConnection> {
    let mut request = request.map(Body::new);
    request.extensions_mut().insert(BodyReadTimeout(body_timeout));
    let path = request.uri().path();
    let v1 = path == "/v1" || path.starts_with("/v1/");
    let number = if v1 { app.requests.fetch_add(1, Ordering::Relaxed) + 1 } else { 0 };
    if let Some(error) = oversized(&request) {
        return Ok(error.into_response());
    }
    if !v1 {
        if !crate::loopback::is_loopback_ip(peer.ip()) {
            return Ok(admin::secured(
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "the /_sandbox endpoints answer loopback clients only",
                )
                .into_response(),
            ));
        }
        if !loopback_host(&request) {
            return Ok(admin::secured(
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "the /_sandbox endpoints answer only requests addressed to a loopback host \
                     (Host: localhost or 127.0.0.1)",
                )
                .into_response(),
            ));
        }
        // Secured here too: a handler's panic is answered outside the admin router's layer.
        return Ok(admin::secured(call(&app.admin, request).await));
    }
    // Every answer of the API carries a request id, as the real API's do (INFERRED header name).
    let with_id = |mut response: Response<Body>| {
        if let Ok(id) = axum::http::HeaderValue::from_str(&format!("req_sbx_{number}")) {
            response.headers_mut().insert("x-request-id", id);
        }
        response
    };
    let answered = answer_api(&app, request).await;
    answered.map(with_id)
}

/// The API's answer to a request, after any fault the test injected.
async fn answer_api(app: &App, request: Request<Body>) -> Result<Response<Body>, DroppedConnection> {
    match app.faults.take() {
        None => Ok(call(&app.api, request).await),
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            Ok(call(&app.api, request).await)
        }
        Some(Fault::Status { status, retry_after, after_write }) => {
            if after_write {
                call(&app.api, request).await;
            }
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut error = ApiError::new(status, "injected_fault", "fault injected by the sandbox");
            error.retry_after = retry_after;
            Ok(error.into_response())
        }
        Some(Fault::DropConnection { after_write }) => {
            if after_write {
                call(&app.api, request).await;
            }
            Err(DroppedConnection)
        }
    }
}

/// The projects of a saved-state file, by API key.
fn parse_state_file(text: &str) -> Result<HashMap<String, Box<serde_json::value::RawValue>>, String> {
    let file: StateFile = crate::store::parse_state(text, "a sandbox state file")?;
    if file.format != STATE_FILE_FORMAT {
        return Err(format!("the state file's format is `{}`, not `{STATE_FILE_FORMAT}`", file.format));
    }
    if file.version != crate::store::STATE_VERSION {
        return Err(format!(
            "state file version {} is not supported (this sandbox reads version {})",
            file.version,
            crate::store::STATE_VERSION
        ));
    }
    Ok(file.projects.into_iter().collect())
}
