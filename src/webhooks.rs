//! Receiving Credits webhooks: verify a delivery's signature, then decode its typed event.
//!
//! Credits signs each delivery; a receiver must check the signature before trusting the body,
//! and must answer 2xx only once it has handled the event (any other answer is retried). The
//! scheme is INFERRED (the public guide names none): the [Standard Webhooks] one, as the spec's
//! `x-credits-webhooks` says: headers `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`), secrets
//! written `whsec_<base64>`. This module is the one place that knows it. The HMAC is the
//! `standardwebhooks` crate's; the comparison runs in constant time.
//!
//! ```
//! use credits_sdk::webhooks::{Event, Verifier};
//!
//! let verifier = Verifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//! # let body = br#"{"id":"evt_1","type":"balance.credited","createdAt":"2026-01-01T00:00:00Z","data":{"accountId":"acc_1","balance":10,"reserved":0,"available":10}}"#;
//! # let mut headers = http::HeaderMap::new();
//! # let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
//! # headers.insert("webhook-id", "evt_1".parse()?);
//! # headers.insert("webhook-timestamp", now.to_string().parse()?);
//! # headers.insert("webhook-signature", verifier.sign("evt_1", now, body)?.parse()?);
//! // In your HTTP handler, with the request's headers and its raw body bytes:
//! match verifier.verify(&headers, body)? {
//!     Event::BalanceCredited(event) => println!("{} now has {}", event.data.account_id, event.data.available),
//!     other => println!("ignored {} {}", other.type_name(), other.id()),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Events can arrive twice (a retry after an answer that was lost) and out of order: make the
//! handler idempotent by the event's [`Event::id`], and order by the resource's own fields
//! (`createdAt`, `status`), not by arrival. See the README, "Webhooks".
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use subtle::ConstantTimeEq;

pub use credits_types::webhooks::{Envelope, Event, EventType, UnknownEvent, UnknownEventType};

/// The header carrying the event's id (the same on every attempt).
pub const ID_HEADER: &str = standardwebhooks::HEADER_WEBHOOK_ID;
/// The header carrying the attempt's Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = standardwebhooks::HEADER_WEBHOOK_TIMESTAMP;
/// The header carrying the signatures (`v1,<base64>`, space-separated).
pub const SIGNATURE_HEADER: &str = standardwebhooks::HEADER_WEBHOOK_SIGNATURE;

/// How far a delivery's timestamp may be from the receiver's clock, either way, by default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The largest body [`Verifier::verify`] reads by default: 1 MiB (an event holds one resource).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

/// The shortest secret accepted, in bytes once decoded.
pub const MIN_SECRET_BYTES: usize = 16;

/// Why a delivery was refused. None of them carries the secret or the body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The secret is not `whsec_<base64>` of at least [`MIN_SECRET_BYTES`] bytes.
    #[error(
        "the webhook secret is malformed: expected `whsec_` followed by the base64 of at least {MIN_SECRET_BYTES} bytes"
    )]
    MalformedSecret,
    /// A signature header is absent.
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    /// A signature header is not what the scheme writes (not text, not a number).
    #[error("the `{0}` header is malformed")]
    MalformedHeader(&'static str),
    /// The body is longer than the verifier's limit; nothing of it was checked.
    #[error("the webhook body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The timestamp is older than the tolerance: a replay, or a delivery held too long.
    #[error("the webhook timestamp is {age_seconds} s old, beyond the tolerance")]
    StaleTimestamp {
        /// How old it is, in seconds.
        age_seconds: u64,
    },
    /// The timestamp is further in the future than the tolerance.
    #[error("the webhook timestamp is {ahead_seconds} s in the future, beyond the tolerance")]
    FutureTimestamp {
        /// How far ahead it is, in seconds.
        ahead_seconds: u64,
    },
    /// No signature matches the body, the id and the timestamp with this secret.
    #[error("no webhook signature matches (wrong secret, or the body, id or timestamp was changed)")]
    BadSignature,
    /// The signature is valid but the body is not a webhook event (or its `data` does not fit
    /// its type's schema).
    #[error("the webhook body is not a valid event: {0}")]
    MalformedEvent(#[source] serde_json::Error),
    /// The signature is valid but the body's `id` is not the `webhook-id` that was signed.
    #[error("the event's id is not the signed `webhook-id`")]
    IdMismatch,
}

/// Checks deliveries signed with one endpoint secret.
///
/// `Debug` shows the settings, never the secret.
#[derive(Clone)]
pub struct Verifier {
    key: std::sync::Arc<standardwebhooks::Webhook>,
    tolerance: Duration,
    max_body_bytes: usize,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("secret", &"<redacted>")
            .field("tolerance", &self.tolerance)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl Verifier {
    /// A verifier for the endpoint secret `secret` (`whsec_<base64>`), with the default
    /// tolerance and body limit.
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        use base64::Engine as _;
        let encoded = secret.strip_prefix("whsec_").ok_or(WebhookError::MalformedSecret)?;
        let key =
            base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| WebhookError::MalformedSecret)?;
        if key.len() < MIN_SECRET_BYTES {
            return Err(WebhookError::MalformedSecret);
        }
        let key = standardwebhooks::Webhook::from_bytes(key).map_err(|_| WebhookError::MalformedSecret)?;
        Ok(Self { key: std::sync::Arc::new(key), tolerance: DEFAULT_TOLERANCE, max_body_bytes: DEFAULT_MAX_BODY_BYTES })
    }

    /// How far a timestamp may be from the receiver's clock, either way ([`DEFAULT_TOLERANCE`]).
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The largest body accepted ([`DEFAULT_MAX_BODY_BYTES`]); a longer one is refused before
    /// any work on it.
    #[must_use]
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Verifies a delivery against the system clock and decodes its event. `body` must be the
    /// raw bytes as received: a re-serialized body does not match its signature.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<Event, WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// [`verify`](Self::verify) with the receiver's clock reading `now` (for tests and replays).
    pub fn verify_at(&self, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Result<Event, WebhookError> {
        if body.len() > self.max_body_bytes {
            return Err(WebhookError::BodyTooLarge { limit: self.max_body_bytes });
        }
        let id = header(headers, ID_HEADER)?;
        let timestamp_text = header(headers, TIMESTAMP_HEADER)?;
        let signatures = header(headers, SIGNATURE_HEADER)?;
        let timestamp: i64 = timestamp_text.parse().map_err(|_| WebhookError::MalformedHeader(TIMESTAMP_HEADER))?;
        let now = unix_seconds(now);
        let tolerance = i64::try_from(self.tolerance.as_secs()).unwrap_or(i64::MAX);
        let age = now.saturating_sub(timestamp);
        if age > tolerance {
            return Err(WebhookError::StaleTimestamp { age_seconds: age.unsigned_abs() });
        }
        if age.saturating_neg() > tolerance {
            return Err(WebhookError::FutureTimestamp { ahead_seconds: age.unsigned_abs() });
        }
        let expected = self.sign(id, timestamp, body).map_err(|_| WebhookError::BadSignature)?;
        let expected = expected.strip_prefix("v1,").unwrap_or(&expected).as_bytes();
        let matches = signatures
            .split(' ')
            .filter_map(|entry| entry.split_once(','))
            .filter(|(version, _)| *version == "v1")
            .fold(false, |found, (_, signature)| found | bool::from(signature.as_bytes().ct_eq(expected)));
        if !matches {
            return Err(WebhookError::BadSignature);
        }
        let event = Event::from_slice(body).map_err(WebhookError::MalformedEvent)?;
        if event.id() != id {
            return Err(WebhookError::IdMismatch);
        }
        Ok(event)
    }

    /// The `webhook-signature` value for an event `id` sent at `timestamp` (Unix seconds) with
    /// `body`: what a sender writes (the sandbox, a test of your handler). Fails only when
    /// `body` is not UTF-8 (an event is JSON).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> Result<String, WebhookError> {
        self.key.sign(id, timestamp, body).map_err(|_| WebhookError::MalformedEvent(not_utf8()))
    }
}

fn not_utf8() -> serde_json::Error {
    use serde::de::Error as _;
    serde_json::Error::custom("the body is not UTF-8")
}

fn header<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h str, WebhookError> {
    headers
        .get(name)
        .ok_or(WebhookError::MissingHeader(name))?
        .to_str()
        .map_err(|_| WebhookError::MalformedHeader(name))
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}
