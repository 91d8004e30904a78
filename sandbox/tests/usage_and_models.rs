//! Usage records, their summary, and model prices and cost estimates.

mod common;

use common::{Api, d, error_code, number};
use serde_json::{Value, json};

/// An account with a confirmed charge; returns `(account id, transaction id)`.
async fn charged_account(api: &Api, external_id: &str) -> (String, String) {
    let id = api.account_with(external_id, 100).await;
    let reservation = api.reserve(&id, 10).await;
    let (_, confirm) =
        api.post("/v1/reservations/confirm", json!({ "reservationId": reservation, "actualAmount": 5 })).await;
    (id, confirm["transactionId"].as_str().unwrap().to_owned())
}

async fn record(api: &Api, body: Value) -> Value {
    let (status, response) = api.post("/v1/usage/record", body).await;
    assert_eq!(status, 200, "{response}");
    response["usageRecord"].clone()
}

#[tokio::test]
async fn customer_usage_is_recorded_with_its_cost_and_moves_no_credits() {
    let api = Api::start().await;
    let (id, txn) = charged_account(&api, "u").await;
    let usage = record(&api, json!({ "externalId": "u", "transactionId": txn, "modelId": "gpt-4o", "inputTokens": 5000, "outputTokens": 1000, "cachedTokens": 2000, "description": "Chat completion" })).await;
    assert!(usage["id"].as_str().unwrap().starts_with("usage_"));
    assert_eq!(usage["context"], json!("customer"));
    assert_eq!(usage["accountId"], json!(id));
    assert_eq!(usage["transactionId"], json!(txn));
    assert_eq!(usage["usageType"], json!("text"));
    assert_eq!(usage["estimatedCostUsd"], json!(0.0175));
    assert_eq!(api.balance(&id).await, (d(95), d(0), d(95)));
}

#[tokio::test]
async fn customer_usage_needs_an_account_and_a_transaction_of_that_account() {
    let api = Api::start().await;
    let (id, txn) = charged_account(&api, "a").await;
    let (_, other_txn) = charged_account(&api, "b").await;
    let cases = [
        json!({ "transactionId": txn, "modelId": "gpt-4o" }),
        json!({ "accountId": id, "modelId": "gpt-4o" }),
        json!({ "accountId": id, "transactionId": "txn_missing", "modelId": "gpt-4o" }),
        json!({ "accountId": id, "transactionId": other_txn, "modelId": "gpt-4o" }),
        json!({ "accountId": id, "transactionId": txn, "modelId": "gpt-4o", "context": "partner" }),
        json!({ "accountId": id, "transactionId": txn, "modelId": "gpt-4o", "inputTokens": -1 }),
    ];
    for body in cases {
        let (status, response) = api.post("/v1/usage/record", body).await;
        error_code(status, &response, 400, "invalid_request");
    }
    let (status, response) =
        api.post("/v1/usage/record", json!({ "accountId": id, "transactionId": txn, "modelId": "gpt-9" })).await;
    error_code(status, &response, 404, "model_not_found");
    let (_, list) = api.get("/v1/usage", &[]).await;
    assert_eq!(list["usageRecords"], json!([]));
}

#[tokio::test]
async fn system_usage_needs_neither_account_nor_transaction() {
    let api = Api::start().await;
    let (status, text) = api
        .post_text(
            "/v1/usage/record",
            r#"{ "context": "system", "modelId": "whisper-1", "usageType": "audio_stt", "audioDurationSeconds": 60.5 }"#,
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let usage: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(usage["usageRecord"]["context"], json!("system"));
    assert_eq!(usage["usageRecord"]["accountId"], json!(null));
    assert_eq!(number(&text, "/usageRecord/audioDurationSeconds"), d("60.5"));
    assert_eq!(number(&text, "/usageRecord/estimatedCostUsd"), d("0.00605"), "60.5 s at 0.0001 USD/s");
}

#[tokio::test]
async fn usage_lists_newest_first_with_filters() {
    let api = Api::start().await;
    let (a, txn_a) = charged_account(&api, "a").await;
    let (_, txn_b) = charged_account(&api, "b").await;
    record(&api, json!({ "accountId": a, "transactionId": txn_a, "modelId": "gpt-4o", "inputTokens": 10 })).await;
    record(&api, json!({ "externalId": "b", "transactionId": txn_b, "modelId": "gpt-4o-mini", "inputTokens": 20 }))
        .await;
    record(&api, json!({ "context": "system", "modelId": "gpt-4o", "inputTokens": 30 })).await;
    let count = |body: &Value| body["usageRecords"].as_array().unwrap().len();
    let (status, all) = api.get("/v1/usage", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(all["success"], json!(true));
    assert_eq!(all["usageRecords"][0]["inputTokens"], json!(30));
    assert_eq!(count(&all), 3);
    assert_eq!(count(&api.get("/v1/usage", &[("accountId", &a)]).await.1), 1);
    assert_eq!(count(&api.get("/v1/usage", &[("externalId", "b")]).await.1), 1);
    assert_eq!(count(&api.get("/v1/usage", &[("modelId", "gpt-4o")]).await.1), 2);
    assert_eq!(count(&api.get("/v1/usage", &[("context", "system")]).await.1), 1);
    assert_eq!(count(&api.get("/v1/usage", &[("startDate", "2999-01-01T00:00:00Z")]).await.1), 0);
    assert_eq!(count(&api.get("/v1/usage", &[("endDate", "2999-01-01T00:00:00Z")]).await.1), 3);
    let (status, body) = api.get("/v1/usage", &[("context", "partner")]).await;
    error_code(status, &body, 400, "invalid_request");
}

#[tokio::test]
async fn summary_totals_cost_tokens_and_records_by_context_and_model() {
    let api = Api::start().await;
    let (a, txn) = charged_account(&api, "a").await;
    record(&api, json!({ "accountId": a, "transactionId": txn, "modelId": "gpt-4o", "inputTokens": 5000, "outputTokens": 1000, "cachedTokens": 2000 })).await;
    record(&api, json!({ "accountId": a, "transactionId": txn, "modelId": "gpt-4o", "inputTokens": 1000000 })).await;
    record(&api, json!({ "context": "system", "modelId": "gpt-4o-mini", "outputTokens": 1000000 })).await;
    let (status, text) = api.get_text("/v1/usage", &[("summary", "true")]).await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(body.get("usageRecords").is_none());
    let summary = &body["summary"];
    assert_eq!(summary["totalRecords"], json!(3));
    assert_eq!(summary["totalInputTokens"], json!(1_005_000));
    assert_eq!(summary["totalOutputTokens"], json!(1_001_000));
    // Exact sums: 0.0175 + 2.5 + 0.6, not 3.1174999999999997.
    assert_eq!(number(&text, "/summary/totalCostUsd"), d("3.1175"));
    assert_eq!(number(&text, "/summary/byContext/customer"), d("2.5175"));
    assert_eq!(number(&text, "/summary/byContext/system"), d("0.6"));
    assert_eq!(summary["byModel"]["gpt-4o"]["count"], json!(2));
    assert_eq!(number(&text, "/summary/byModel/gpt-4o/costUsd"), d("2.5175"));
    assert_eq!(summary["byModel"]["gpt-4o-mini"]["count"], json!(1));
    let (_, system_only) = api.get("/v1/usage", &[("summary", "true"), ("context", "system")]).await;
    assert_eq!(system_only["summary"]["totalRecords"], json!(1));
}

#[tokio::test]
async fn the_documented_estimate_for_gpt_4o_is_0_0175() {
    let api = Api::start().await;
    let (status, body) = api
        .post(
            "/v1/models/calculate",
            json!({ "modelId": "gpt-4o", "inputTokens": 5000, "outputTokens": 1000, "cachedTokens": 2000 }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], json!(true));
    assert_eq!(body["modelId"], json!("gpt-4o"));
    assert_eq!(body["modelName"], json!("GPT-4o"));
    assert_eq!(body["estimatedCostUsd"], json!(0.0175));
    assert_eq!(
        body["pricing"],
        json!({ "inputPerMillion": 2.5, "outputPerMillion": 10, "cachedInputPerMillion": 1.25 })
    );
    let (status, body) =
        api.post("/v1/models/calculate", json!({ "modelId": "tts-1", "audioDurationSeconds": 10 })).await;
    assert_eq!(status, 200);
    assert!(body["pricing"]["perSecond"].is_number());
    let (status, body) = api.post("/v1/models/calculate", json!({ "modelId": "nope" })).await;
    error_code(status, &body, 404, "model_not_found");
}

#[tokio::test]
async fn models_list_filters_by_provider_and_tier_and_model_id_returns_one() {
    let api = Api::start().await;
    let (status, all) = api.get("/v1/models", &[]).await;
    assert_eq!(status, 200);
    let models = all["models"].as_array().unwrap();
    let gpt4o = models.iter().find(|m| m["modelId"] == json!("gpt-4o")).unwrap();
    assert_eq!(
        gpt4o,
        &json!({ "modelId": "gpt-4o", "provider": "openai", "displayName": "GPT-4o", "modelType": "multimodal", "tier": "flagship",
                 "pricing": { "text": { "inputPerMillion": 2.5, "outputPerMillion": 10, "cachedInputPerMillion": 1.25 }, "contextWindow": 128000 } })
    );
    assert!(models.iter().any(|m| m["pricing"]["embedding"].is_object()));
    assert!(models.iter().any(|m| m["pricing"]["audio_stt"]["perSecond"].is_number()));
    assert!(models.iter().any(|m| m["pricing"]["audio_tts"]["perSecond"].is_number()));
    let (_, anthropic) = api.get("/v1/models", &[("provider", "anthropic")]).await;
    assert!(!anthropic["models"].as_array().unwrap().is_empty());
    assert!(anthropic["models"].as_array().unwrap().iter().all(|m| m["provider"] == json!("anthropic")));
    let (_, flagship) = api.get("/v1/models", &[("tier", "flagship")]).await;
    assert!(flagship["models"].as_array().unwrap().iter().all(|m| m["tier"] == json!("flagship")));
    let (status, one) = api.get("/v1/models", &[("modelId", "gpt-4o")]).await;
    assert_eq!(status, 200);
    assert_eq!(one, json!({ "success": true, "model": gpt4o }));
    let (status, body) = api.get("/v1/models", &[("modelId", "gpt-9")]).await;
    error_code(status, &body, 404, "model_not_found");
}
