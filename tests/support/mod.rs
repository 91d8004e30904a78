//! Shared helpers for the integration tests.

#![allow(dead_code)]

pub mod capture;
pub mod hostile;

use credits_sandbox::Sandbox;
use credits_sdk::{AccountRef, AddCredits, CreateAccount, Credits, CreditsClient, RetryPolicy, Usd};

/// Exact dollars from their decimal text.
pub fn usd(text: &str) -> Usd {
    text.parse().expect("a decimal")
}

/// Exact credits from their decimal text.
pub fn credits(text: &str) -> Credits {
    text.parse().expect("a decimal")
}

/// A fresh in-process sandbox and a facade client for it. Retries are fast so that tests which
/// inject faults do not sleep for long.
pub async fn sandbox() -> (Sandbox, CreditsClient) {
    let sandbox = Sandbox::start().await.expect("start the sandbox");
    let client = client_for(&sandbox, fast_retries());
    (sandbox, client)
}

/// A facade client for `sandbox` with the given retry policy.
pub fn client_for(sandbox: &Sandbox, retry: RetryPolicy) -> CreditsClient {
    CreditsClient::builder()
        .api_key(sandbox.api_key())
        .base_url(sandbox.base_url())
        .retry(retry)
        .build()
        .expect("client for the sandbox")
}

/// A facade client for `sandbox` with fast retries and the given per-attempt timeout.
pub fn client_with_timeout(sandbox: &Sandbox, timeout: std::time::Duration) -> CreditsClient {
    CreditsClient::builder()
        .api_key(sandbox.api_key())
        .base_url(sandbox.base_url())
        .attempt_timeout(timeout)
        .retry(fast_retries())
        .build()
        .expect("client for the sandbox")
}

/// Retries with millisecond backoff, for tests.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(std::time::Duration::from_millis(5))
        .max_backoff(std::time::Duration::from_millis(20))
}

/// Creates an account with a unique external id and `credits` credits (none if 0).
pub async fn funded_account(client: &CreditsClient, credits: u32) -> AccountRef {
    let external = format!("user_{}", fastrand_suffix());
    let created =
        client.create_account(CreateAccount::new("Test User").external_id(&external)).await.expect("create account");
    let account = AccountRef::id(created.account.id);
    if credits > 0 {
        client.add_credits(AddCredits::new(account.clone(), credits)).await.expect("add credits");
    }
    account
}

fn fastrand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Collects `tracing` output so a test can read it back.
#[derive(Clone, Default)]
pub struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogCapture {
    /// A subscriber writing every event, down to TRACE, into this capture.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        tracing_subscriber::fmt()
            .with_writer(self.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .finish()
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;

    fn make_writer(&'a self) -> LogCapture {
        self.clone()
    }
}
