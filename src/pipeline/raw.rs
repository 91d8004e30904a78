//! A response as it came, for the caller who asks for it ([`with_response`](super::with_response)):
//! status, headers, request id, body bytes, and the fields of the body the spec does not
//! declare.

use std::fmt;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::operations::{self, Shape};

/// The response a call received, beside its decoded value: see
/// [`with_response`](crate::with_response).
#[derive(Clone)]
pub struct RawResponse {
    operation: &'static str,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// A field of a response body that the spec does not declare, found by
/// [`RawResponse::undeclared_fields`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct UndeclaredField<'a> {
    /// Where it is, as a JSON pointer (RFC 6901): `/loyaltyTier`, `/accounts/0/tier`. Give it to
    /// [`RawResponse::field`] to read it again.
    pub pointer: &'a str,
    /// Its value, exactly as the server sent it (numbers keep every digit); deserialize it with
    /// `serde_json::from_str(field.value.get())`.
    pub value: &'a RawValue,
}

impl RawResponse {
    pub(super) fn new(operation: &'static str, status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Self { operation, status, headers, body }
    }

    /// The response's status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The request id the API gave the request (`x-request-id`, or `request-id`), to quote to
    /// support.
    pub fn request_id(&self) -> Option<&str> {
        ["x-request-id", "request-id"].iter().find_map(|name| self.headers.get(*name).and_then(|v| v.to_str().ok()))
    }

    /// The body, as read (within the client's size limit).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The spec's `operationId` of the request.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The value at a JSON pointer (RFC 6901, e.g. `/balance/loyaltyTier`), exactly as sent;
    /// `None` if the body has nothing there. Reads declared and undeclared fields alike.
    ///
    /// ```
    /// # fn read(response: &credits_sdk::RawResponse) -> Option<String> {
    /// let tier: Option<String> = response.field("/loyaltyTier").and_then(|v| serde_json::from_str(v.get()).ok());
    /// # tier }
    /// ```
    pub fn field(&self, pointer: &str) -> Option<&RawValue> {
        let mut value: &RawValue = serde_json::from_slice(&self.body).ok()?;
        if pointer.is_empty() {
            return Some(value);
        }
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            value = match serde_json::from_str::<Entries<'_>>(value.get()) {
                Ok(Entries(entries)) => entries.into_iter().find(|(name, _)| *name == token)?.1,
                Err(_) => {
                    let items: Vec<&RawValue> = serde_json::from_str(value.get()).ok()?;
                    let index: usize = token.parse().ok()?;
                    items.get(index).copied()?
                }
            };
        }
        Some(value)
    }

    /// Every field of the body that the spec does not declare for this operation's answer,
    /// nested ones included, in the order they appear. Inside values the spec leaves open
    /// (`metadata`, maps keyed by model) nothing is undeclared. Computed when asked: the call
    /// itself does no extra work.
    ///
    /// ```
    /// # fn show(response: &credits_sdk::RawResponse) {
    /// for field in response.undeclared_fields().iter() {
    ///     println!("{} = {}", field.pointer, field.value);
    /// }
    /// # }
    /// ```
    pub fn undeclared_fields(&self) -> UndeclaredFields<'_> {
        let mut found = Vec::new();
        let shape = operations::find(self.operation).map_or(&Shape::Any, |op| op.response);
        if let Ok(root) = serde_json::from_slice::<&RawValue>(&self.body) {
            let mut pointer = String::new();
            walk(root, shape, &mut pointer, &mut found);
        }
        UndeclaredFields { found }
    }
}

/// The undeclared fields of one response, each with its JSON pointer.
#[derive(Clone, Debug, Default)]
pub struct UndeclaredFields<'a> {
    found: Vec<(String, &'a RawValue)>,
}

impl<'a> UndeclaredFields<'a> {
    /// The fields, in the order they appear in the body.
    pub fn iter(&self) -> impl Iterator<Item = UndeclaredField<'_>> {
        self.found.iter().map(|(pointer, value)| UndeclaredField { pointer, value })
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.found.len()
    }

    /// Whether the body has none.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// The value at `pointer`, if it is one of them.
    pub fn get(&self, pointer: &str) -> Option<&'a RawValue> {
        self.found.iter().find(|(p, _)| p == pointer).map(|(_, v)| *v)
    }
}

/// Collects what `value` has beyond `shape`, below `pointer`.
fn walk<'a>(value: &'a RawValue, shape: &'static Shape, pointer: &mut String, found: &mut Vec<(String, &'a RawValue)>) {
    match shape {
        Shape::Any => {}
        Shape::Array(items) => {
            let Ok(values) = serde_json::from_str::<Vec<&RawValue>>(value.get()) else { return };
            for (index, item) in values.into_iter().enumerate() {
                let length = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                walk(item, items, pointer, found);
                pointer.truncate(length);
            }
        }
        Shape::Object { fields, rest } => {
            let Ok(Entries(entries)) = serde_json::from_str::<Entries<'_>>(value.get()) else { return };
            for (name, inner) in entries {
                let length = pointer.len();
                pointer.push('/');
                pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
                match fields.binary_search_by(|(declared, _)| (*declared).cmp(name.as_str())) {
                    Ok(at) => walk(inner, fields[at].1, pointer, found),
                    Err(_) => match rest {
                        Some(rest) => walk(inner, rest, pointer, found),
                        None => found.push((pointer.clone(), inner)),
                    },
                }
                pointer.truncate(length);
            }
        }
    }
}

/// A JSON object's members in order, their values left as raw JSON.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for EntriesVisitor<'a> {
            type Value = Entries<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut entries = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push((name, value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(std::marker::PhantomData))
    }
}

impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawResponse")
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("request_id", &self.request_id())
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}
