//! What went wrong, as one line on stderr and an exit code a script can branch on.

use std::fmt;
use std::process::ExitCode;

use credits_sdk::api::ErrorBody;

/// The generated client's error type.
pub type GeneratedError = credits_sdk::api::Error<ErrorBody>;

/// The exit codes of `credits`; see the README's table.
pub mod exit {
    /// Anything else: a response that does not match the spec, a refused response (too large,
    /// a redirect), a local I/O failure.
    pub const OTHER: u8 = 1;
    /// Bad arguments: clap's usage errors, a value refused before sending, an unreadable or
    /// invalid `--json-body`.
    pub const USAGE: u8 = 2;
    /// Configuration: no API key, a bad base URL.
    pub const CONFIG: u8 = 3;
    /// The API refused the request (4xx): unknown account, insufficient credits, a
    /// reservation no longer pending, a wrong key.
    pub const API_CLIENT: u8 = 4;
    /// The API failed (5xx).
    pub const API_SERVER: u8 = 5;
    /// No answer: connection refused or reset, DNS, TLS, timeout.
    pub const TRANSPORT: u8 = 6;
    /// Unknown outcome: a write that is not safe to repeat may have been applied (no answer
    /// after it was sent, or a 5xx). Look it up before retrying.
    pub const UNKNOWN: u8 = 7;
}

/// A failed command.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments.
    Usage(String),
    /// Bad configuration.
    Config(String),
    /// The API answered with an error status.
    Api {
        /// The HTTP status.
        status: u16,
        /// The machine-readable code, e.g. `insufficient_credits`.
        code: Option<String>,
        /// The message.
        message: String,
        /// The request id to quote to support.
        request_id: Option<String>,
        /// `error.details`, as compact JSON.
        details: Option<String>,
        /// The `Location` of a redirect, which the SDK does not follow.
        location: Option<String>,
    },
    /// The request did not get an answer.
    Transport(String),
    /// Anything else.
    Other(String),
    /// A write that may have been applied although it failed (`Api` 5xx or `Transport` after
    /// sending), for an operation that is not safe to repeat.
    Unknown(Box<Failure>),
}

impl Failure {
    /// The exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => exit::USAGE,
            Failure::Config(_) => exit::CONFIG,
            Failure::Api { status: 400..=499, .. } => exit::API_CLIENT,
            Failure::Api { status: 500..=599, .. } => exit::API_SERVER,
            Failure::Api { .. } | Failure::Other(_) => exit::OTHER,
            Failure::Transport(_) => exit::TRANSPORT,
            Failure::Unknown(_) => exit::UNKNOWN,
        }
    }

    /// Prints the failure on stderr and returns its exit code.
    pub fn report(&self) -> ExitCode {
        eprintln!("{self}");
        ExitCode::from(self.exit_code())
    }

    /// Classifies the error of the generated command for `operation_id`: the client's error,
    /// or (the only other source) a `--json-body` that could not be read or parsed.
    pub async fn from_command(error: anyhow::Error, operation_id: &str) -> Failure {
        match error.downcast::<GeneratedError>() {
            Ok(generated) => {
                let sent = !matches!(&generated, credits_sdk::api::Error::CommunicationError(e) if e.is_connect());
                let failure = Failure::from_generated(generated).await;
                let may_have_applied = match &failure {
                    Failure::Api { status, .. } => !(400..=499).contains(status),
                    Failure::Transport(_) => sent,
                    _ => false,
                };
                // An operation not known to be safe to repeat counts as unsafe.
                if may_have_applied && credits_sdk::api::is_retry_safe(operation_id) != Some(true) {
                    Failure::Unknown(Box::new(failure))
                } else {
                    failure
                }
            }
            Err(other) => Failure::Usage(format!("{other:#}")),
        }
    }

    /// An error answer to a plain HTTP call (the sandbox's `/_sandbox` endpoints, which the
    /// spec does not describe): the same line as an API error's.
    pub fn from_answer(status: u16, headers: &http::HeaderMap, body: &[u8]) -> Failure {
        api(status, &ErrorBody::from_bytes(body), header(headers, "x-request-id"), header(headers, "location"))
    }

    /// A plain HTTP call that got no answer, with the error's causes.
    pub fn transport(error: &dyn std::error::Error) -> Failure {
        Failure::Transport(chain(error))
    }

    /// Maps the generated client's error, much as `credits_sdk::Error` does for the facade.
    pub async fn from_generated(error: GeneratedError) -> Failure {
        use credits_sdk::api::Error as E;
        match error {
            E::InvalidRequest(message) => Failure::Usage(message),
            E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => Failure::Transport(chain(&e)),
            E::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let header_id = header(response.headers(), "x-request-id");
                let location = header(response.headers(), "location");
                let body = response.into_inner();
                api(status, &body, header_id, location)
            }
            E::UnexpectedResponse(response) => {
                let status = response.status();
                let header_id = header(response.headers(), "x-request-id");
                let location = header(response.headers(), "location");
                let bytes = response.bytes().await.unwrap_or_default();
                if status.is_success() {
                    Failure::Other(format!("the API answered {status}, a status the spec does not list"))
                } else {
                    api(status.as_u16(), &ErrorBody::from_bytes(&bytes), header_id, location)
                }
            }
            E::InvalidResponsePayload(body, e) => Failure::Other(format!(
                "the response does not match the spec: {e}; body: {}",
                excerpt(&String::from_utf8_lossy(&body))
            )),
            // The SDK's pipeline refused the response (too large, another origin) or the request
            // (the key would go in clear text).
            E::Custom(message) => Failure::Other(message),
        }
    }
}

fn api(status: u16, body: &ErrorBody, header_id: Option<String>, location: Option<String>) -> Failure {
    let canonical = || {
        http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map_or_else(|| format!("HTTP {status}"), str::to_owned)
    };
    Failure::Api {
        status,
        code: body.code().map(excerpt),
        message: body.message().map_or_else(canonical, excerpt),
        request_id: body.request_id().map(excerpt).or(header_id),
        details: body.details().map(|d| excerpt(&d.to_string())),
        location,
    }
}

fn header(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(excerpt)
}

/// At most 300 characters of server-supplied text, on one line, without control characters.
pub fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(300).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().nth(300).is_some() {
        out.push('…');
    }
    out
}

/// An error and its sources, `: `-separated, without repeating a cause already in the text.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

impl fmt::Display for Failure {
    /// One line (two with `details`), starting with `error:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(message) => write!(f, "error: {message}"),
            Failure::Config(message) => write!(f, "error: {message}"),
            Failure::Api { status, code, message, request_id, details, location } => {
                write!(f, "error: API {status}")?;
                if let Some(code) = code {
                    write!(f, " {code}")?;
                }
                write!(f, ": {message}")?;
                if let Some(location) = location {
                    write!(f, " (redirect to {location}, not followed)")?;
                }
                if let Some(id) = request_id {
                    write!(f, " (request id {id})")?;
                }
                if let Some(details) = details {
                    write!(f, "\ndetails: {details}")?;
                }
                Ok(())
            }
            Failure::Transport(message) => write!(f, "error: no answer from the API: {message}"),
            Failure::Other(message) => write!(f, "error: {message}"),
            Failure::Unknown(failure) => {
                write!(f, "{failure}\nunknown outcome: the request may have been applied; look it up before retrying")
            }
        }
    }
}
