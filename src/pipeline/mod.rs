//! The request pipeline every call goes through, whether it comes from a generated builder or
//! from the facade: it adds the API key and user agent, refuses to send the key in clear text
//! or to another origin, applies the attempt timeouts within the call's time budget, retries
//! what is safe to retry, bounds the memory a response may take, keeps error bodies readable,
//! and traces every attempt. The generated client's `send` methods call it through
//! `src/api.rs` (`request`, `prepare`, `exec`, `check`, `decode`); nothing here depends on the
//! generated code.

pub(crate) mod operations;
mod options;
mod raw;
pub(crate) mod retry;
mod scope;
mod send;
mod settings;
mod target;

pub use options::CallOptions;
pub(crate) use options::REFUSED_OPTION;
pub use raw::{RawResponse, UndeclaredField, UndeclaredFields};
pub use retry::RetryPolicy;
pub(crate) use scope::{CallReport, CallSettings, Refused, scoped};
pub use scope::{NoResponse, with_attempt_timeout, with_options, with_response};
pub(crate) use send::{Received, is_loopback_or_https, prepare, send};
pub use settings::{
    ApiKey, ApiKeyError, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_USER_AGENT, InvalidHeader, InvalidUserAgent, Pipeline, http_client_builder,
};
pub(crate) use target::BaseUrl;
