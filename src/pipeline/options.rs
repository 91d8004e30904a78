//! Per-call options: what a user adds to one call that the spec does not model (body fields,
//! query parameters, headers), and the call's own attempt timeout and retry policy. Applied by
//! the pipeline to every request of the call, under the same rules as any other request.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use reqwest::Request;
use reqwest::header::{HeaderMap, HeaderName};
use serde_json::value::RawValue;

use super::operations::OperationSpec;
use super::retry::RetryPolicy;

/// How every message of a refused option starts: the facade turns it into
/// [`Error::InvalidInput`](crate::Error::InvalidInput).
pub(crate) const REFUSED_OPTION: &str = "invalid call option: ";

/// Headers a per-call header may not set, besides those no default header may set
/// (`x-api-key`, `user-agent`, `host`, `content-length`): the body's framing and type.
const RESERVED_PER_CALL: &[&str] = &["content-type", "transfer-encoding", "connection"];

/// What one call adds to its requests, and how it is timed and retried.
///
/// Every option applies to each request the call sends, through the same pipeline as any
/// other request (the key's rules, the size limit, the time budget). Problems are reported
/// when the call starts, as [`Error::InvalidInput`](crate::Error::InvalidInput), before any
/// request is sent:
///
/// - an extra body field the spec declares for the operation, or one the body already has
///   (send it with the request's own setter instead), or any extra field on an operation that
///   sends no JSON body;
/// - an extra query parameter the spec declares, or one the URL already has;
/// - an extra header that the SDK or the HTTP client sets (`x-api-key`, `user-agent`, `host`,
///   `content-length`, `content-type`, `transfer-encoding`, `connection`), or a name or value
///   that is not valid in HTTP.
///
/// Header values are marked sensitive: neither they nor the body values appear in `Debug`
/// output, errors or logs.
///
/// ```no_run
/// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
/// use std::time::Duration;
/// use credits_sdk::{AccountRef, AddCredits, CallOptions, RetryPolicy};
///
/// let options = CallOptions::new()
///     .extra_body("campaign", serde_json::json!({ "id": "spring", "tier": 2 }))
///     .extra_header("x-trace-id", "trace-123")
///     .attempt_timeout(Duration::from_secs(2))
///     .retry(RetryPolicy::disabled());
/// let added = client.with_options(options).add_credits(AddCredits::new(AccountRef::external("user_456"), 100)).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct CallOptions {
    body: Vec<(String, Box<RawValue>)>,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    attempt_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    /// The first option refused when it was given, reported when the call starts.
    problem: Option<String>,
}

impl CallOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a top-level field to the JSON body, its value serialized now (a
    /// [`Credits`](crate::Credits) amount keeps its exact digits).
    pub fn extra_body(mut self, name: impl Into<String>, value: impl serde::Serialize) -> Self {
        let name = name.into();
        match serde_json::value::to_raw_value(&value) {
            Ok(value) => self.body.push((name, value)),
            Err(error) => self.refuse(format!("the extra body field {name:?} cannot be serialized: {error}")),
        }
        self
    }

    /// Adds a query parameter.
    pub fn extra_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a header (a second one with the same name replaces it).
    pub fn extra_header(mut self, name: &str, value: &str) -> Self {
        match super::settings::default_header(name, value) {
            Ok((name, _)) if RESERVED_PER_CALL.contains(&name.as_str()) => {
                self.refuse(format!("the header {:?} is set by the SDK for the JSON body", name.as_str()));
            }
            Ok((name, value)) => {
                self.headers.insert(name, value);
            }
            Err(error) => self.refuse(error.to_string()),
        }
        self
    }

    /// The time one attempt may take, instead of the client's.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// How this call is retried, instead of the client's policy (its
    /// [`max_elapsed`](RetryPolicy::max_elapsed) is the call's time budget). Only operations the
    /// spec marks safe are retried after they may have reached the server, whatever the policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    pub(super) fn attempt_timeout_value(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    pub(super) fn retry_policy(&self) -> Option<&RetryPolicy> {
        self.retry.as_ref()
    }

    fn refuse(&mut self, problem: String) {
        self.problem.get_or_insert(problem);
    }

    /// Adds the extras to a request of `operation` built by the generated client, or says why
    /// they are refused (the message starts with [`REFUSED_OPTION`]).
    pub(super) fn apply(&self, operation: Option<&OperationSpec>, request: &mut Request) -> Result<(), String> {
        let refused = |why: String| format!("{REFUSED_OPTION}{why}");
        if let Some(problem) = &self.problem {
            return Err(refused(problem.clone()));
        }
        let id = operation.map_or("the operation", |op| op.operation_id);
        if !self.body.is_empty() {
            let body = merge_body(operation, request, &self.body).map_err(|why| refused(format!("{id}: {why}")))?;
            *request.body_mut() = Some(body.into());
        }
        if !self.query.is_empty() {
            let declared = operation.map_or(&[][..], |op| op.query_params);
            for (name, _) in &self.query {
                if declared.contains(&name.as_str()) || request.url().query_pairs().any(|(present, _)| present == *name)
                {
                    return Err(refused(format!(
                        "{id}: the query parameter {name:?} is declared by the spec or already set; use the request's own setter"
                    )));
                }
            }
            let mut pairs = request.url_mut().query_pairs_mut();
            for (name, value) in &self.query {
                pairs.append_pair(name, value);
            }
        }
        let headers = request.headers_mut();
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        Ok(())
    }
}

/// The request's JSON object body with `extra` fields added after its own.
fn merge_body(
    operation: Option<&OperationSpec>,
    request: &Request,
    extra: &[(String, Box<RawValue>)],
) -> Result<Vec<u8>, String> {
    let bytes = match (operation, request.body().and_then(reqwest::Body::as_bytes)) {
        (Some(op), Some(bytes)) if op.json_body => bytes,
        _ => return Err("the operation sends no JSON body to add fields to".to_owned()),
    };
    let present: BTreeMap<String, serde::de::IgnoredAny> =
        serde_json::from_slice(bytes).map_err(|_| "the request body is not a JSON object".to_owned())?;
    let declared = operation.map_or(&[][..], |op| op.body_fields);
    let mut names: Vec<&str> = Vec::with_capacity(extra.len());
    for (name, _) in extra {
        if declared.contains(&name.as_str()) || present.contains_key(name) {
            return Err(format!(
                "the body field {name:?} is declared by the spec or already set; use the request's own setter"
            ));
        }
        if names.contains(&name.as_str()) {
            return Err(format!("the extra body field {name:?} is given twice"));
        }
        names.push(name);
    }
    // The object's closing brace is its last non-blank byte.
    let end =
        bytes.iter().rposition(|b| *b == b'}').ok_or_else(|| "the request body is not a JSON object".to_owned())?;
    let mut merged =
        Vec::with_capacity(bytes.len() + extra.iter().map(|(n, v)| n.len() + v.get().len() + 4).sum::<usize>());
    merged.extend_from_slice(&bytes[..end]);
    let mut first = present.is_empty();
    for (name, value) in extra {
        if !first {
            merged.push(b',');
        }
        first = false;
        // A string is always serializable.
        merged.extend_from_slice(serde_json::to_string(name).unwrap_or_default().as_bytes());
        merged.push(b':');
        merged.extend_from_slice(value.get().as_bytes());
    }
    merged.push(b'}');
    Ok(merged)
}

impl fmt::Debug for CallOptions {
    /// Names only: header and body values are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallOptions")
            .field("extra_body", &self.body.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>())
            .field("extra_query", &self.query.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>())
            .field("extra_headers", &self.headers.keys().map(HeaderName::as_str).collect::<Vec<_>>())
            .field("attempt_timeout", &self.attempt_timeout)
            .field("retry", &self.retry)
            .field("problem", &self.problem)
            .finish()
    }
}
