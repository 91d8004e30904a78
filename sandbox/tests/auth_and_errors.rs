//! Authentication, project isolation, bad input and the request counter.

mod common;

use common::{Api, d, decode, error_code};
use credits_sandbox::Sandbox;
use serde_json::json;

#[tokio::test]
async fn a_missing_or_unknown_api_key_is_unauthorized() {
    let api = Api::start().await;
    let (status, body) = decode(api.http.get(api.url("/v1/accounts")).send().await.unwrap()).await;
    error_code(status, &body, 401, "unauthorized");
    let response = api.http.get(api.url("/v1/accounts")).header("X-API-Key", "sk_wrong").send().await.unwrap();
    let (status, body) = decode(response).await;
    error_code(status, &body, 401, "unauthorized");
}

#[tokio::test]
async fn each_api_key_is_a_separate_project() {
    let sandbox = Sandbox::builder().api_key("key_a").api_key("key_b").start().await.unwrap();
    assert_eq!(sandbox.api_keys(), ["key_a".to_string(), "key_b".to_string()]);
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", sandbox.base_url());
    let created = http
        .post(url("/v1/accounts/create"))
        .header("X-API-Key", "key_a")
        .json(&json!({ "name": "A", "externalId": "shared" }))
        .send()
        .await
        .unwrap();
    let (_, created) = decode(created).await;
    let id = created["account"]["id"].as_str().unwrap();
    let from_b = http
        .get(url("/v1/accounts/get"))
        .header("X-API-Key", "key_b")
        .query(&[("accountId", id)])
        .send()
        .await
        .unwrap();
    let (status, body) = decode(from_b).await;
    error_code(status, &body, 404, "account_not_found");
    let same_external = http
        .post(url("/v1/accounts/create"))
        .header("X-API-Key", "key_b")
        .json(&json!({ "name": "B", "externalId": "shared" }))
        .send()
        .await
        .unwrap();
    assert_eq!(same_external.status().as_u16(), 200);
}

#[tokio::test]
async fn malformed_bodies_are_rejected_with_a_json_error_and_no_write() {
    let api = Api::start().await;
    let cases: [(&str, &str); 6] = [
        ("application/json", "{\"name\": "),
        ("application/json", "[\"name\"]"),
        ("application/json", "{\"name\": 5}"),
        ("application/json", "{\"name\": \"A\", \"email\": null}"),
        ("application/json", "{\"name\": \"A\", \"metadata\": \"x\"}"),
        ("application/json", ""),
    ];
    for (content_type, body) in cases {
        let (status, response) = api.post_raw("/v1/accounts/create", content_type, body).await;
        error_code(status, &response, 400, "invalid_request");
    }
    let (status, response) = api.post_raw("/v1/accounts/create", "text/plain", "{\"name\": \"A\"}").await;
    error_code(status, &response, 415, "unsupported_media_type");
    let (_, list) = api.get("/v1/accounts", &[]).await;
    assert_eq!(list["accounts"], json!([]));
}

#[tokio::test]
async fn a_large_amount_is_rejected_rather_than_overflowing() {
    let api = Api::start().await;
    let id = api.account_with("u", 0).await;
    let (status, body) = api
        .post_raw("/v1/accounts/credits/add", "application/json", "{\"externalId\": \"u\", \"amount\": 1e400}")
        .await;
    error_code(status, &body, 400, "invalid_request");
    assert_eq!(api.balance(&id).await.0, d(0));
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_json_errors() {
    let api = Api::start().await;
    let (status, body) = api.get("/v1/nothing", &[]).await;
    error_code(status, &body, 404, "not_found");
    let response = api.http.delete(api.url("/v1/accounts")).header("X-API-Key", &api.key).send().await.unwrap();
    let (status, body) = decode(response).await;
    error_code(status, &body, 405, "method_not_allowed");
    let (status, body) = decode(api.http.get(api.url("/elsewhere")).send().await.unwrap()).await;
    error_code(status, &body, 404, "not_found");
}

#[tokio::test]
async fn request_count_counts_every_v1_request_including_rejected_ones() {
    let api = Api::start().await;
    assert_eq!(api.sandbox.request_count(), 0);
    api.get("/v1/accounts", &[]).await;
    api.http.get(api.url("/v1/accounts")).send().await.unwrap();
    api.post("/v1/accounts/create", json!({})).await;
    assert_eq!(api.sandbox.request_count(), 3);
    api.http.get(api.url("/_sandbox/stats")).send().await.unwrap();
    assert_eq!(api.sandbox.request_count(), 3, "admin requests are not counted");
}

/// The SDK's enums are open (an unknown value decodes as `Unknown`), but a request may only
/// carry the values the spec lists: anything else is 400, and nothing is written.
#[tokio::test]
async fn enum_values_the_spec_does_not_list_are_refused() {
    let api = Api::start().await;
    let id = api.account_with("u", 10).await;
    let (_, plan) = api.post("/v1/plans/create", json!({ "name": "P", "amount": 5, "interval": "month" })).await;
    let plan_id = plan["plan"]["id"].as_str().unwrap().to_owned();
    let bodies = [
        ("/v1/usage/record", json!({ "context": "partner", "modelId": "gpt-4o" })),
        ("/v1/usage/record", json!({ "context": "system", "modelId": "gpt-4o", "usageType": "video" })),
        ("/v1/models/calculate", json!({ "modelId": "gpt-4o", "usageType": "video" })),
        ("/v1/accounts/plans/assign", json!({ "accountId": id, "planId": plan_id, "startMode": "later" })),
        ("/v1/transactions/create", json!({ "accountId": id, "amount": 1, "type": "refund" })),
    ];
    for (path, body) in bodies {
        let (status, response) = api.post(path, body.clone()).await;
        error_code(status, &response, 400, "invalid_request");
        assert!(response["error"]["message"].as_str().unwrap().contains("unknown"), "{body} -> {response}");
    }
    let (status, response) = api.get("/v1/usage", &[("context", "partner")]).await;
    error_code(status, &response, 400, "invalid_request");
    let (_, plans) = api.get("/v1/accounts/plans", &[("accountId", &id)]).await;
    assert_eq!(plans["plans"], json!([]), "no assignment was written");
    assert_eq!(api.balance(&id).await.0, d(10));
    assert_eq!(api.ledger(&id).await.len(), 1);
}
