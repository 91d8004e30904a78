//! Proxy variables in the environment never route the key in clear text. This file holds one
//! test because it sets process-wide environment variables before any client exists.

mod support;

use credits_sandbox::Sandbox;
use credits_sdk::{AccountRef, CreateAccount, CreditsClient};
use support::hostile::{Hostile, Reply};

#[tokio::test]
async fn a_loopback_base_url_bypasses_every_proxy_variable() {
    let proxy =
        Hostile::always(Reply::json(200, r#"{"accountId":"acc_proxy","balance":1,"reserved":0,"available":1}"#)).await;
    for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        // SAFETY: this test binary runs this one test; no other thread reads the environment yet.
        unsafe { std::env::set_var(name, proxy.url()) };
    }
    for name in ["NO_PROXY", "no_proxy"] {
        // SAFETY: as above.
        unsafe { std::env::remove_var(name) };
    }

    let sandbox = Sandbox::start().await.unwrap();
    let client = CreditsClient::builder().api_key(sandbox.api_key()).base_url(sandbox.base_url()).build().unwrap();
    let account = client.create_account(CreateAccount::new("Proxy Test").external_id("user_proxy")).await.unwrap();
    let balance = client.get_balance(AccountRef::external("user_proxy")).await.unwrap();
    assert_eq!(balance.account_id, account.account.id, "the answer came from the sandbox, not the proxy");
    assert!(proxy.received().is_empty(), "the proxy received {:?}", proxy.received());

    // The control: reqwest's defaults would have sent the request, key and all, to the proxy.
    let naive = reqwest::Client::new();
    let _ = naive.get(format!("{}/v1/balance", sandbox.base_url())).header("x-api-key", "sk_x").send().await;
    assert_eq!(proxy.received().len(), 1, "the control request went through the proxy");
}
