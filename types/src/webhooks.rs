//! The webhook events Credits pushes to its customers' servers, generated from the spec's
//! `x-credits-webhooks` extension: [`EventType`] names each type the spec lists, and
//! [`Event`] is one decoded event, its `data` in the resource's generated type (exact money
//! included). The names, the envelope and the signature scheme are INFERRED (the public guide
//! shows none of them); `openapi.yaml` says so where it lists them.
//!
//! Verifying a delivery's signature is the SDK's job (`credits_sdk::webhooks`); this module
//! only decodes.
//!
//! ```
//! use credits_types::webhooks::{Event, EventType};
//!
//! let body = br#"{"id": "evt_1", "type": "reservation.expired", "createdAt": "2026-01-01T00:00:00Z",
//!     "data": {"id": "res_1", "amount": 10.5, "status": "expired"}}"#;
//! match Event::from_slice(body)? {
//!     Event::ReservationExpired(event) => assert_eq!(event.data.amount.to_string(), "10.5"),
//!     other => panic!("unexpected {other:?}"),
//! }
//! let unknown = Event::from_slice(br#"{"id": "evt_2", "type": "invoice.paid", "createdAt": "2026-01-01T00:00:00Z", "data": {}}"#)?;
//! assert!(matches!(unknown, Event::Unknown(_)));
//! assert_eq!(unknown.type_name(), "invoice.paid");
//! assert_eq!("usage.recorded".parse::<EventType>(), Ok(EventType::UsageRecorded));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

include!(concat!(env!("OUT_DIR"), "/webhooks.rs"));

/// The envelope of one event (`x-credits-webhooks.envelope` in the spec, whose fields the
/// build checks are these), its `data` decoded as `T`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Envelope<T> {
    /// The event's id, e.g. `evt_abc123`: the same on every delivery attempt.
    pub id: String,
    /// The event's type as sent, e.g. `reservation.expired`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the change happened.
    pub created_at: DateTime<Utc>,
    /// The resource the event is about.
    pub data: T,
}

impl<T> Envelope<T> {
    /// An envelope, for a server that sends events (the sandbox) or a test.
    pub fn new(id: impl Into<String>, event_type: EventType, created_at: DateTime<Utc>, data: T) -> Self {
        Self { id: id.into(), event_type: event_type.as_str().to_owned(), created_at, data }
    }
}

/// An event whose type this version does not list: its envelope, and the whole body as sent.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UnknownEvent {
    /// The event's id.
    pub id: String,
    /// The event's type as sent.
    pub event_type: String,
    /// When the change happened.
    pub created_at: DateTime<Utc>,
    /// The event's JSON, exactly as received (numbers keep their digits).
    pub json: Box<RawValue>,
}

impl PartialEq for UnknownEvent {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.json.get() == other.json.get()
    }
}

impl UnknownEvent {
    fn from_slice(body: &[u8]) -> Result<Self, serde_json::Error> {
        let json: Box<RawValue> = serde_json::from_slice(body)?;
        let head: Envelope<serde::de::IgnoredAny> = serde_json::from_str(json.get())?;
        Ok(Self { id: head.id, event_type: head.event_type, created_at: head.created_at, json })
    }
}

/// The `type` of an event body, read without decoding the rest.
fn probe_type(body: &[u8]) -> Result<String, serde_json::Error> {
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(rename = "type", borrow)]
        event_type: Cow<'a, str>,
    }
    serde_json::from_slice::<Probe<'_>>(body).map(|probe| probe.event_type.into_owned())
}

impl EventType {
    /// The type named `name` on the wire, if the spec lists it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`EventType::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a webhook event type this version knows")]
pub struct UnknownEventType(pub String);

impl std::str::FromStr for EventType {
    type Err = UnknownEventType;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::from_name(name).ok_or_else(|| UnknownEventType(name.to_owned()))
    }
}
