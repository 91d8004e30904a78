//! Webhook state of a project: its endpoints, the deliveries still to make and a log of the
//! last finished ones. Every state change of the other areas calls [`Project::emit`], which
//! writes one delivery per endpoint; the sender (`crate::delivery`) takes the due ones with
//! [`Project::take_due`] and reports each attempt with [`Project::record_attempt`]. Nothing
//! here does I/O, so an API call that causes an event never waits for its delivery.
//!
//! Events are made only while the project has an endpoint: a project nobody listens to pays
//! nothing. Retries follow [`RETRY_SCHEDULE`], on the sandbox clock, so a test moves through
//! them with `Sandbox::advance`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use credits_types::webhooks::{Envelope, EventType};
use serde::{Deserialize, Serialize};

use super::{Project, new_id};
use crate::error::ApiError;

/// The waits between delivery attempts of one event to one endpoint, after the first attempt
/// (made at once): 5 s, 30 s, 2 min, 10 min, 1 h and 6 h, so at most 7 attempts over about
/// 7 h 13 min of the sandbox clock. After the last failed attempt the delivery is `failed`.
pub const RETRY_SCHEDULE: [Duration; 6] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
];

/// The most deliveries a project keeps waiting; beyond it the oldest is dropped (and logged
/// as `dropped`), so a receiver that stays down cannot grow the sandbox's memory without end.
pub const MAX_PENDING_DELIVERIES: usize = 100_000;

/// How many finished deliveries the log keeps (the live page shows them).
pub const DELIVERY_LOG: usize = 500;

/// The most endpoints a project may have.
pub const MAX_ENDPOINTS: usize = 16;

/// A registered receiver.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoint {
    /// `we_…`.
    pub id: String,
    /// A loopback `http` URL.
    pub url: String,
    /// `whsec_…`, the key its deliveries are signed with.
    pub secret: String,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt is under way.
    Sending,
    /// A 2xx answered it.
    Delivered,
    /// Every attempt of [`RETRY_SCHEDULE`] failed.
    Failed,
    /// Dropped unsent: [`MAX_PENDING_DELIVERIES`] newer ones were waiting.
    Dropped,
}

/// One event to one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Delivery {
    /// The event's id (`evt_…`): the same on every attempt.
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// The endpoint's id.
    pub endpoint_id: String,
    /// The event's JSON, exactly as every attempt sends it.
    pub body: Arc<str>,
    /// Attempts made so far.
    pub attempts: u32,
    /// The last attempt's outcome: `HTTP 200`, `connection refused`...
    pub last_status: Option<String>,
    /// The sandbox time of the next attempt (while pending).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Where it is.
    pub state: DeliveryState,
}

/// A delivery attempt handed to the sender.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Which delivery (give it back to [`Project::record_attempt`]).
    pub seq: u64,
    /// The event's id.
    pub event_id: String,
    /// Where to send it.
    pub url: String,
    /// The key to sign it with.
    pub secret: String,
    /// The body.
    pub body: Arc<str>,
}

/// A project's webhook state; saved with the project (endpoints and unfinished deliveries).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Webhooks {
    endpoints: Vec<Endpoint>,
    /// Unfinished deliveries by sequence number (order of emission).
    pending: BTreeMap<u64, Delivery>,
    /// The newest finished deliveries, oldest first.
    log: VecDeque<Delivery>,
    next_seq: u64,
    /// Pending deliveries by next attempt time: what is due first.
    #[serde(skip)]
    due: BTreeSet<(DateTime<Utc>, u64)>,
    /// Told of every new delivery, so the sender need not poll for it.
    #[serde(skip)]
    wake: Option<Arc<tokio::sync::Notify>>,
}

impl Webhooks {
    /// Rebuilds what is not saved: the due index (a delivery that was being sent when the
    /// state was saved is due again at once) and the wake-up handle.
    pub(super) fn restore(&mut self, now: DateTime<Utc>, wake: Option<Arc<tokio::sync::Notify>>) {
        self.wake = wake;
        self.due.clear();
        for (&seq, delivery) in &mut self.pending {
            if delivery.state != DeliveryState::Pending || delivery.next_attempt_at.is_none() {
                delivery.state = DeliveryState::Pending;
                delivery.next_attempt_at = Some(now);
            }
            if let Some(at) = delivery.next_attempt_at {
                self.due.insert((at, seq));
            }
        }
        if let Some(last) = self.pending.keys().next_back() {
            self.next_seq = self.next_seq.max(last + 1);
        }
    }

    /// Checks saved webhook state.
    pub(super) fn validate(&self) -> Result<(), String> {
        for endpoint in &self.endpoints {
            check_url(&endpoint.url).map_err(|e| format!("webhook endpoint `{}`: {e}", endpoint.id))?;
            check_secret(&endpoint.secret).map_err(|e| format!("webhook endpoint `{}`: {e}", endpoint.id))?;
        }
        if self.pending.len() > MAX_PENDING_DELIVERIES {
            return Err(format!("more than {MAX_PENDING_DELIVERIES} pending webhook deliveries"));
        }
        for delivery in self.pending.values() {
            if !self.endpoints.iter().any(|e| e.id == delivery.endpoint_id) {
                return Err(format!("webhook delivery of `{}` names no endpoint", delivery.event_id));
            }
        }
        Ok(())
    }

    /// Queues one delivery of the event per endpoint, due at `now`, drops the oldest beyond
    /// [`MAX_PENDING_DELIVERIES`] and wakes the sender; answers how many were queued.
    fn queue(&mut self, event_id: &str, event_type: &str, body: Arc<str>, now: DateTime<Utc>) -> usize {
        for endpoint in &self.endpoints {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.pending.insert(
                seq,
                Delivery {
                    event_id: event_id.to_owned(),
                    event_type: event_type.to_owned(),
                    endpoint_id: endpoint.id.clone(),
                    body: body.clone(),
                    attempts: 0,
                    last_status: None,
                    next_attempt_at: Some(now),
                    state: DeliveryState::Pending,
                },
            );
            self.due.insert((now, seq));
        }
        while self.pending.len() > MAX_PENDING_DELIVERIES {
            let Some((seq, delivery)) = self.pending.pop_first() else { break };
            if let Some(at) = delivery.next_attempt_at {
                self.due.remove(&(at, seq));
            }
            self.finish(delivery, DeliveryState::Dropped);
        }
        if let Some(wake) = &self.wake {
            wake.notify_one();
        }
        self.endpoints.len()
    }

    fn finish(&mut self, mut delivery: Delivery, state: DeliveryState) {
        delivery.state = state;
        delivery.next_attempt_at = None;
        self.log.push_back(delivery);
        while self.log.len() > DELIVERY_LOG {
            self.log.pop_front();
        }
    }
}

/// A delivery URL must be `http` to a loopback address or name: the sandbox never sends
/// anything off the machine.
pub fn check_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    if parsed.scheme() != "http" {
        return Err(format!("`{url}`: only http URLs are delivered to (loopback needs no TLS)"));
    }
    if !parsed.host_str().is_some_and(crate::loopback::is_loopback_host) {
        return Err(format!(
            "`{url}`: the sandbox delivers only to loopback addresses (127.0.0.0/8, [::1], localhost)"
        ));
    }
    Ok(())
}

/// A secret must be `whsec_` and the base64 of at least 16 bytes.
pub fn check_secret(secret: &str) -> Result<(), String> {
    use base64::Engine as _;
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .ok_or("a webhook secret is `whsec_` followed by base64")?;
    if key.len() < 16 {
        return Err("a webhook secret holds at least 16 bytes".into());
    }
    Ok(())
}

/// A fresh secret: `whsec_` and the base64 of 24 random bytes.
pub fn generate_secret() -> String {
    use base64::Engine as _;
    let key: Vec<u8> = std::iter::repeat_with(|| fastrand::u8(..)).take(24).collect();
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key))
}

/// What the admin endpoint and the page show of a project's webhooks.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    endpoints: Vec<EndpointView>,
    pending: usize,
    /// Newest first: the unfinished deliveries, then the log.
    deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EndpointView {
    id: String,
    url: String,
}

/// One row of the delivery log.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryView {
    event_id: String,
    event_type: String,
    endpoint_id: String,
    attempts: u32,
    last_status: Option<String>,
    next_attempt_at: Option<DateTime<Utc>>,
    state: DeliveryState,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        Self {
            event_id: d.event_id.clone(),
            event_type: d.event_type.clone(),
            endpoint_id: d.endpoint_id.clone(),
            attempts: d.attempts,
            last_status: d.last_status.clone(),
            next_attempt_at: d.next_attempt_at,
            state: d.state,
        }
    }
}

impl Project {
    /// Lets the sender know of new deliveries through `wake`.
    pub fn set_webhook_wake(&mut self, wake: Arc<tokio::sync::Notify>) {
        self.webhooks.wake = Some(wake);
    }

    /// The sender's wake-up handle, if a sender runs.
    pub(super) fn webhooks_wake(&self) -> Option<Arc<tokio::sync::Notify>> {
        self.webhooks.wake.clone()
    }

    /// Whether any endpoint is registered (only then are events made).
    pub fn has_webhooks(&self) -> bool {
        !self.webhooks.endpoints.is_empty()
    }

    /// Registers a receiver; the same URL twice is one endpoint (the secret is updated).
    /// 400 for a URL that is not loopback `http` or a malformed secret.
    pub fn add_endpoint(&mut self, url: &str, secret: &str) -> Result<Endpoint, ApiError> {
        check_url(url).map_err(ApiError::invalid)?;
        check_secret(secret).map_err(ApiError::invalid)?;
        if let Some(existing) = self.webhooks.endpoints.iter_mut().find(|e| e.url == url) {
            existing.secret = secret.to_owned();
            return Ok(existing.clone());
        }
        if self.webhooks.endpoints.len() >= MAX_ENDPOINTS {
            return Err(ApiError::invalid(format!("a project has at most {MAX_ENDPOINTS} webhook endpoints")));
        }
        let endpoint = Endpoint { id: new_id("we_"), url: url.to_owned(), secret: secret.to_owned() };
        self.webhooks.endpoints.push(endpoint.clone());
        Ok(endpoint)
    }

    /// Removes a receiver and drops its unfinished deliveries; whether it existed.
    pub fn remove_endpoint(&mut self, id: &str) -> bool {
        let before = self.webhooks.endpoints.len();
        self.webhooks.endpoints.retain(|e| e.id != id);
        let hooks = &mut self.webhooks;
        let dropped: Vec<u64> = hooks.pending.iter().filter(|(_, d)| d.endpoint_id == id).map(|(&s, _)| s).collect();
        for seq in dropped {
            if let Some(at) = hooks.pending.remove(&seq).and_then(|delivery| delivery.next_attempt_at) {
                hooks.due.remove(&(at, seq));
            }
        }
        self.webhooks.endpoints.len() != before
    }

    /// Makes event `event_type` about the resource `data` builds (built only when someone
    /// listens) and queues one delivery per endpoint, due now.
    pub(super) fn emit<T: Serialize>(
        &mut self,
        event_type: EventType,
        data: impl FnOnce(&Self) -> Result<T, ApiError>,
    ) {
        if self.webhooks.endpoints.is_empty() {
            return;
        }
        let Ok(data) = data(self) else { return };
        let now = self.now();
        let event = Envelope::new(new_id("evt_"), event_type, now, data);
        let Ok(body) = serde_json::to_string(&event) else { return };
        self.webhooks.queue(&event.id, &event.event_type, Arc::from(body), now);
    }

    /// Delivers event `event_id` again, the same id and body (signed afresh), to every
    /// endpoint registered now, as a receiver sees it when its 2xx was lost: answers how many
    /// deliveries were queued. 404 when no delivery of that event is kept (the unfinished ones
    /// and the last [`DELIVERY_LOG`] finished), 409 when no endpoint listens.
    pub fn resend(&mut self, event_id: &str) -> Result<usize, ApiError> {
        let hooks = &self.webhooks;
        let Some(kept) = hooks.pending.values().chain(hooks.log.iter()).find(|d| d.event_id == event_id) else {
            return Err(ApiError::not_found(
                "event_not_found",
                format!("no delivery of event `{event_id}` is kept (the log holds the last {DELIVERY_LOG})"),
            ));
        };
        if hooks.endpoints.is_empty() {
            return Err(ApiError::conflict(
                "no_webhooks",
                "no webhook endpoint is registered: events would go nowhere",
            ));
        }
        let (event_type, body) = (kept.event_type.clone(), kept.body.clone());
        let now = self.now();
        Ok(self.webhooks.queue(event_id, &event_type, body, now))
    }

    /// The deliveries due at `now`, marked as being sent (none is handed out twice).
    pub fn take_due(&mut self, now: DateTime<Utc>, limit: usize) -> Vec<Attempt> {
        let hooks = &mut self.webhooks;
        let mut attempts = Vec::new();
        while attempts.len() < limit {
            let Some(&(at, seq)) = hooks.due.first() else { break };
            if at > now {
                break;
            }
            hooks.due.remove(&(at, seq));
            let Some(delivery) = hooks.pending.get_mut(&seq) else { continue };
            let Some(endpoint) = hooks.endpoints.iter().find(|e| e.id == delivery.endpoint_id) else { continue };
            delivery.state = DeliveryState::Sending;
            delivery.next_attempt_at = None;
            attempts.push(Attempt {
                seq,
                event_id: delivery.event_id.clone(),
                url: endpoint.url.clone(),
                secret: endpoint.secret.clone(),
                body: delivery.body.clone(),
            });
        }
        attempts
    }

    /// Records an attempt's outcome at `now`: delivered on a 2xx, otherwise due again after
    /// the next wait of [`RETRY_SCHEDULE`], or failed after the last.
    pub fn record_attempt(&mut self, seq: u64, delivered: bool, status: String, now: DateTime<Utc>) {
        let hooks = &mut self.webhooks;
        let Some(mut delivery) = hooks.pending.remove(&seq) else { return };
        delivery.attempts += 1;
        delivery.last_status = Some(status);
        let wait = usize::try_from(delivery.attempts - 1).ok().and_then(|i| RETRY_SCHEDULE.get(i));
        match (delivered, wait) {
            (true, _) => hooks.finish(delivery, DeliveryState::Delivered),
            (false, None) => hooks.finish(delivery, DeliveryState::Failed),
            (false, Some(&wait)) => {
                let at = now + chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::hours(6));
                delivery.state = DeliveryState::Pending;
                delivery.next_attempt_at = Some(at);
                hooks.due.insert((at, seq));
                hooks.pending.insert(seq, delivery);
            }
        }
    }

    /// The endpoints and the deliveries, newest first (at most `limit` of them).
    pub fn webhook_view(&self, limit: usize) -> WebhookView {
        let hooks = &self.webhooks;
        WebhookView {
            endpoints: hooks.endpoints.iter().map(|e| EndpointView { id: e.id.clone(), url: e.url.clone() }).collect(),
            pending: hooks.pending.len(),
            deliveries: hooks
                .pending
                .values()
                .rev()
                .chain(hooks.log.iter().rev())
                .take(limit)
                .map(DeliveryView::from)
                .collect(),
        }
    }

    /// Every delivery kept (unfinished, then the log), oldest first: for tests.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.webhooks.pending.values().chain(self.webhooks.log.iter()).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    fn project_with_endpoint() -> Project {
        let mut project = Project::new(Duration::from_secs(300), Clock::default());
        project.add_endpoint("http://127.0.0.1:9/hooks", &generate_secret()).unwrap();
        project
    }

    #[test]
    fn waiting_deliveries_are_bounded_and_the_oldest_is_dropped_first() {
        let mut project = project_with_endpoint();
        for _ in 0..MAX_PENDING_DELIVERIES + 3 {
            project.emit(EventType::AccountCreated, |_| Ok(serde_json::json!({})));
        }
        let hooks = &project.webhooks;
        assert_eq!(hooks.pending.len(), MAX_PENDING_DELIVERIES);
        assert_eq!(hooks.due.len(), MAX_PENDING_DELIVERIES, "the due index follows");
        assert_eq!(hooks.log.len(), 3);
        assert!(hooks.log.iter().all(|d| d.state == DeliveryState::Dropped));
        // The three oldest went: the first waiting one is the fourth emitted.
        assert_eq!(hooks.pending.keys().next(), Some(&3));
    }

    #[test]
    fn the_log_keeps_only_the_newest_finished_deliveries() {
        let mut project = project_with_endpoint();
        for _ in 0..DELIVERY_LOG + 10 {
            project.emit(EventType::AccountCreated, |_| Ok(serde_json::json!({})));
            let now = project.now();
            for attempt in project.take_due(now, 1) {
                project.record_attempt(attempt.seq, true, "HTTP 200".into(), now);
            }
        }
        assert!(project.webhooks.pending.is_empty());
        assert_eq!(project.webhooks.log.len(), DELIVERY_LOG);
        assert_eq!(project.deliveries().len(), DELIVERY_LOG);
    }

    #[test]
    fn a_project_has_at_most_max_endpoints_and_the_same_url_is_one() {
        let mut project = Project::new(Duration::from_secs(300), Clock::default());
        let secret = generate_secret();
        for port in 0..MAX_ENDPOINTS {
            project.add_endpoint(&format!("http://127.0.0.1:{}/", 1000 + port), &secret).unwrap();
        }
        let again = project.add_endpoint("http://127.0.0.1:1000/", &secret).unwrap();
        assert_eq!(again.id, project.webhooks.endpoints[0].id);
        let error = project.add_endpoint("http://127.0.0.1:2000/", &secret).unwrap_err();
        assert_eq!(error.code, "invalid_request");
        assert_eq!(project.webhooks.endpoints.len(), MAX_ENDPOINTS);
    }
}
