//! Shared helpers for the integration tests.

#![allow(dead_code)]

pub mod capture;

use credits_sandbox::Sandbox;
use credits_sdk::{AccountRef, AddCredits, CreateAccount, CreditsClient, RetryPolicy};

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
