//! The API key never appears in Debug output, error messages or logs, even at trace level.

mod support;

use std::time::Duration;

use credits_sandbox::Fault;
use credits_sdk::api::Pipeline;
use credits_sdk::{AccountRef, AddCredits, ApiKey, CreditsClient, RetryPolicy};

const SECRET: &str = "sk_live_TOP_SECRET_4f9a2c";

#[test]
fn debug_output_redacts_the_key() {
    let key = ApiKey::new(SECRET).unwrap();
    let builder = CreditsClient::builder().api_key(SECRET).base_url("http://127.0.0.1:9");
    let client = builder.clone().build().unwrap();
    let transport = Pipeline::new(key.clone());
    for debug in [
        format!("{key:?}"),
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{transport:?}"),
        format!("{:?}", client.api()),
    ] {
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(!debug.contains("TOP_SECRET"), "{debug}");
    }
    assert!(format!("{client:?}").contains("api_key_header: Sensitive"), "the redaction is visible: {client:?}");
}

#[tokio::test]
async fn errors_and_trace_logs_never_contain_the_key() {
    let logs = support::LogCapture::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());

    let sandbox = credits_sandbox::Sandbox::builder().api_key(SECRET).start().await.unwrap();
    let client = CreditsClient::builder()
        .api_key(SECRET)
        .base_url(sandbox.base_url())
        .attempt_timeout(Duration::from_millis(200))
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let mut messages = Vec::new();

    let account = support::funded_account(&client, 10).await;
    client.get_balance(&account).await.unwrap();
    // An API error, a retried 503, a dropped connection, a timeout and a refused argument.
    messages.push(client.get_balance(AccountRef::id("acc_missing")).await.unwrap_err());
    sandbox.faults().fail_next(5, Fault::unavailable("0"));
    messages.push(client.list_plans().await.unwrap_err());
    sandbox.faults().fail_next(1, Fault::DropConnection { after_write: false });
    messages.push(client.add_credits(AddCredits::new(&account, 1)).await.unwrap_err());
    sandbox.faults().fail_next(5, Fault::Delay(Duration::from_secs(1)));
    messages.push(client.list_accounts().await.unwrap_err());
    messages.push(client.add_credits(AddCredits::new(&account, -1)).await.unwrap_err());
    // A wrong key is rejected without echoing either key.
    let wrong = CreditsClient::builder().api_key("sk_wrong_OTHER_SECRET").base_url(sandbox.base_url()).build().unwrap();
    messages.push(wrong.list_accounts().await.unwrap_err());

    let logs = logs.text();
    assert!(logs.contains("credits.request"), "the pipeline traced the calls: {}", &logs[..logs.len().min(500)]);
    assert!(logs.contains("retrying"), "retries are logged");
    assert!(!logs.contains(SECRET) && !logs.contains("TOP_SECRET"), "the key leaked into the logs");
    assert!(!logs.contains("OTHER_SECRET"));
    for error in &messages {
        let text = format!("{error} | {error:?} | {:?}", std::error::Error::source(error));
        assert!(!text.contains(SECRET) && !text.contains("OTHER_SECRET"), "{text}");
    }
}

#[tokio::test]
async fn extra_header_and_body_values_stay_out_of_logs_errors_and_debug() {
    const HEADER_SECRET: &str = "hdr_SECRET_4711";
    const BODY_SECRET: &str = "body_SECRET_0815";
    let logs = support::LogCapture::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let (sandbox, client) = support::sandbox().await;
    let account = support::funded_account(&client, 10).await;
    let options =
        credits_sdk::CallOptions::new().extra_header("x-tenant-token", HEADER_SECRET).extra_body("note", BODY_SECRET);
    let hatched = client.with_options(options.clone());
    hatched.add_credits(AddCredits::new(&account, 1)).await.unwrap();
    let mut errors = Vec::new();
    // A refused argument, an API error, a retried 503 and a dropped connection, all with the options.
    errors.push(hatched.add_credits(AddCredits::new(&account, -1)).await.unwrap_err());
    errors.push(hatched.add_credits(AddCredits::new(AccountRef::id("acc_missing"), 1)).await.unwrap_err());
    sandbox.faults().fail_next(1, Fault::DropConnection { after_write: false });
    errors.push(hatched.add_credits(AddCredits::new(&account, 1)).await.unwrap_err());
    let logs = logs.text();
    assert!(logs.contains("credits.request"), "the calls were traced");
    for text in [logs, format!("{options:?}"), format!("{hatched:?}")]
        .into_iter()
        .chain(errors.iter().map(|e| format!("{e} | {e:?}")))
    {
        assert!(!text.contains(HEADER_SECRET) && !text.contains(BODY_SECRET), "{text}");
    }
}
