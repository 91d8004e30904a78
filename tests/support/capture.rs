//! A loopback HTTP listener that records every request the client sends and answers it with
//! a fixed JSON body. It shows exactly what leaves the client: method, path, query, headers
//! and body. Behaviour (state, errors) is the sandbox's job, not this listener's.

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use credits_sdk::ApiKey;
use credits_sdk::api::Client;
use credits_sdk::api::Pipeline;

/// The API key every captured request should carry.
pub const TEST_KEY: &str = "sk_test_request_shapes";

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Captured {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Captured {
    /// The body parsed as JSON (panics in the test if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// The value of one header, as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Captured>>,
    reply: Mutex<(u16, Vec<u8>)>,
}

/// The listener; it stops when dropped.
pub struct Capture {
    base_url: String,
    shared: Arc<Shared>,
    _server: tokio::task::JoinHandle<()>,
}

impl Drop for Capture {
    fn drop(&mut self) {
        self._server.abort();
    }
}

impl Capture {
    /// Listens on a free loopback port.
    pub async fn start() -> Capture {
        let shared = Arc::new(Shared::default());
        *lock(&shared.reply) = (200, b"{}".to_vec());
        let app = axum::Router::new().fallback(record).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let base_url = format!("http://{}", listener.local_addr().expect("local addr"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Capture { base_url, shared, _server: server }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A generated client pointed at this listener.
    pub fn client(&self) -> Client {
        Client::new_with_client(&self.base_url, reqwest::Client::new(), Pipeline::new(ApiKey::new(TEST_KEY).unwrap()))
    }

    /// Answers the next requests with `status` and `body`.
    pub fn reply(&self, status: u16, body: &str) {
        self.reply_bytes(status, body.as_bytes().to_vec());
    }

    /// Answers the next requests with `status` and raw `body` bytes, and forgets past requests.
    pub fn reply_bytes(&self, status: u16, body: Vec<u8>) {
        *lock(&self.shared.reply) = (status, body);
        lock(&self.shared.requests).clear();
    }

    /// How many requests arrived since the last `reply` or `take_one`.
    pub fn count(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    /// The one request received since the last call; fails the test otherwise.
    pub fn take_one(&self) -> Captured {
        let mut requests = lock(&self.shared.requests);
        assert_eq!(requests.len(), 1, "expected exactly one request, got {:?}", *requests);
        requests.remove(0)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    lock(&shared.requests).push(Captured {
        method,
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers,
        body,
    });
    let (status, body) = lock(&shared.reply).clone();
    (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), [("content-type", "application/json")], body)
}
