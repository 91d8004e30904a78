//! The webhook sender: one background task per sandbox that takes each project's due
//! deliveries (`store::webhooks`), POSTs them signed to their endpoints and records each
//! attempt. An API call only queues its events; it never waits for a delivery, and a receiver
//! that is slow, down or failing only delays its own deliveries.
//!
//! Every attempt is signed afresh with the Standard Webhooks scheme (`webhook-id`,
//! `webhook-timestamp` with the wall clock's Unix seconds, so a receiver's tolerance check
//! holds however far the sandbox clock was moved, and `webhook-signature`). Requests go only
//! to the loopback URLs the store accepted, follow no redirect, use no proxy and time out
//! after [`ATTEMPT_TIMEOUT`]. The task also brings projects with endpoints up to the clock's
//! time every [`TICK`], so `reservation.expired` is sent when a hold lapses, not at the next
//! request.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{Notify, Semaphore, watch};

use crate::auth::Projects;
use crate::store::Project;
use crate::store::webhooks::Attempt;

/// How long one delivery attempt may take, connection included, before it counts as failed.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the sender looks at the clock when nothing woke it.
pub const TICK: Duration = Duration::from_millis(100);

/// How many attempts may be under way at once, over all endpoints.
const CONCURRENT_ATTEMPTS: usize = 32;

/// Starts the sender on the current runtime; it stops when `stopped` turns true.
pub(crate) fn spawn(projects: Projects, wake: Arc<Notify>, mut stopped: watch::Receiver<bool>) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(ATTEMPT_TIMEOUT)
        .user_agent(concat!("credits-sandbox/", env!("CARGO_PKG_VERSION"), " webhooks"))
        .build();
    let Ok(client) = client else {
        tracing::error!("cannot build the webhook HTTP client: no webhooks will be delivered");
        return;
    };
    let slots = Arc::new(Semaphore::new(CONCURRENT_ATTEMPTS));
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(TICK) => {}
                changed = stopped.changed() => if changed.is_err() || *stopped.borrow() { break },
            }
            for project in projects.values() {
                let attempts = {
                    let mut project = project.lock().unwrap_or_else(PoisonError::into_inner);
                    if !project.has_webhooks() {
                        continue;
                    }
                    let now = project.now();
                    project.catch_up(now);
                    project.take_due(now, slots.available_permits())
                };
                for attempt in attempts {
                    let Ok(permit) = slots.clone().try_acquire_owned() else { break };
                    let (client, project, wake) = (client.clone(), project.clone(), wake.clone());
                    tokio::spawn(async move {
                        let (delivered, status) = send(&client, &attempt).await;
                        record(&project, attempt.seq, delivered, status);
                        drop(permit);
                        wake.notify_one();
                    });
                }
            }
        }
    });
}

fn record(project: &Mutex<Project>, seq: u64, delivered: bool, status: String) {
    let mut project = project.lock().unwrap_or_else(PoisonError::into_inner);
    let now = project.now();
    project.record_attempt(seq, delivered, status, now);
}

/// One signed POST: whether a 2xx answered, and what to log.
async fn send(client: &reqwest::Client, attempt: &Attempt) -> (bool, String) {
    let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let timestamp = i64::try_from(timestamp).unwrap_or(i64::MAX);
    let signature = standardwebhooks::Webhook::new(&attempt.secret)
        .and_then(|key| key.sign(&attempt.event_id, timestamp, attempt.body.as_bytes()));
    let Ok(signature) = signature else { return (false, "cannot sign (malformed secret)".into()) };
    let request = client
        .post(&attempt.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(standardwebhooks::HEADER_WEBHOOK_ID, &attempt.event_id)
        .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, timestamp.to_string())
        .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
        .body(attempt.body.to_string());
    match request.send().await {
        // Only the status counts: the answer's body is never read (a receiver cannot make
        // the sandbox buffer anything).
        Ok(response) => (response.status().is_success(), format!("HTTP {}", response.status().as_u16())),
        Err(error) if error.is_timeout() => (false, "timed out".into()),
        Err(error) if error.is_connect() => (false, "connection refused".into()),
        Err(_) => (false, "connection error".into()),
    }
}
