//! The sandbox server: [`Sandbox`], its builder, the accept loop (below axum, so a fault
//! can drop a connection without answering) and shutdown on drop.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::admin::{self, AdminState};
use crate::auth::{Projects, require_api_key};
use crate::error::{self, ApiError};
use crate::faults::{Fault, FaultHandle};
use crate::routes;
use crate::state::Project;

/// Default lifetime of a reservation that is neither confirmed nor cancelled.
pub const DEFAULT_RESERVATION_TTL: Duration = Duration::from_secs(300);

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
    _shutdown: watch::Sender<bool>,
}

/// Configures a [`Sandbox`] before starting it.
#[derive(Clone)]
pub struct SandboxBuilder {
    address: SocketAddr,
    api_keys: Vec<String>,
    reservation_ttl: Duration,
    seed: bool,
}

impl std::fmt::Debug for SandboxBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxBuilder")
            .field("address", &self.address)
            .field("api_keys", &self.api_keys.len())
            .field("reservation_ttl", &self.reservation_ttl)
            .field("seed", &self.seed)
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

    /// Binds the address and starts serving on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<Sandbox> {
        let mut api_keys = self.api_keys;
        if api_keys.is_empty() {
            api_keys.push(generate_api_key());
        }
        let projects: HashMap<String, Arc<Mutex<Project>>> = api_keys
            .iter()
            .map(|key| {
                let mut project = Project::new(self.reservation_ttl);
                if self.seed {
                    project.seed();
                }
                (key.clone(), Arc::new(Mutex::new(project)))
            })
            .collect();
        let projects: Projects = Arc::new(projects);
        let faults = FaultHandle::default();
        let requests = Arc::new(AtomicU64::new(0));
        let app = App {
            api: routes::api().fallback(error::route_not_found).layer(from_fn_with_state(projects, require_api_key)),
            admin: admin::router(AdminState { faults: faults.clone(), requests: requests.clone() }),
            faults: faults.clone(),
            requests: requests.clone(),
        };
        let listener = TcpListener::bind(self.address).await?;
        let address = listener.local_addr()?;
        let (shutdown, stopped) = watch::channel(false);
        tokio::spawn(accept_loop(listener, Arc::new(app), stopped));
        Ok(Sandbox { base_url: format!("http://{address}"), address, api_keys, faults, requests, _shutdown: shutdown })
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

async fn accept_loop(listener: TcpListener, app: Arc<App>, stopped: watch::Receiver<bool>) {
    let mut stop = stopped.clone();
    loop {
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
        let app = app.clone();
        let mut stop = stopped.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(app.clone(), request));
            let builder = auto::Builder::new(TokioExecutor::new());
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = stop.changed() => {}
            }
        });
    }
}

async fn call(router: &Router, request: Request<Body>) -> Response<Body> {
    match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

async fn handle(app: Arc<App>, request: Request<Incoming>) -> Result<Response<Body>, DroppedConnection> {
    let request = request.map(Body::new);
    let path = request.uri().path();
    if !(path == "/v1" || path.starts_with("/v1/")) {
        return Ok(call(&app.admin, request).await);
    }
    app.requests.fetch_add(1, Ordering::Relaxed);
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
