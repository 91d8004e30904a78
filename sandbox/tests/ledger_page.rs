//! The live ledger page and its read-only data (the browser check, scripts/browser-check.sh,
//! loads it in Chromium).

mod common;

use common::{Api, at, decode};
use credits_sandbox::Sandbox;
use serde_json::json;

#[tokio::test]
async fn the_page_is_one_self_contained_html_file() {
    let api = Api::start().await;
    let response = api.http.get(api.url("/_sandbox/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    let html = response.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>") && html.contains("<style>") && html.contains("<script>"));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "no CDN, nothing external");
    assert!(!html.contains("innerHTML"), "data is written as text only");
}

#[tokio::test]
async fn the_view_shows_exact_amounts_and_masks_keys() {
    let api =
        Api::with(Sandbox::builder().manual_clock(at("2025-01-15T09:00:00Z")).api_key("sk_sandbox_page_check_1234"))
            .await;
    let id = api.account_with("alice", "9007199254740980").await;
    assert_eq!(api.add(&id, "0.00000000001").await.0, 200);
    let _held = api.reserve(&id, "0.1").await;
    let (status, projects) = decode(api.http.get(api.url("/_sandbox/projects")).send().await.unwrap()).await;
    assert_eq!((status, projects), (200, json!([{ "project": 0, "key": "sk_sandbox_…34" }])));
    let (status, view) = decode(api.http.get(api.url("/_sandbox/view?project=0")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(view["now"], json!("2025-01-15T09:00:00.000Z"));
    let account = &view["accounts"][0];
    assert_eq!(account["balance"], json!("9007199254740980.00000000001"), "exact text, not a float");
    assert_eq!(account["reserved"], json!("0.1"));
    assert_eq!(account["available"], json!("9007199254740979.90000000001"));
    assert_eq!(view["transactionCount"], json!(2));
    assert_eq!(view["reservations"][0]["status"], json!("pending"));
    let (status, body) = decode(api.http.get(api.url("/_sandbox/view?project=1")).send().await.unwrap()).await;
    common::error_code(status, &body, 400, "invalid_request");
}
