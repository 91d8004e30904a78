//! Accounts: create, list, get, balance, and the accountId/externalId rule.

mod common;

use common::{Api, d, error_code};
use serde_json::json;

#[tokio::test]
async fn create_answers_success_and_the_account_with_a_zero_balance() {
    let api = Api::start().await;
    let (status, body) = api
        .post(
            "/v1/accounts/create",
            json!({ "name": "Ada", "externalId": "user_1", "email": "a@x.io", "metadata": { "plan": "pro" } }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], json!(true));
    let account = &body["account"];
    assert!(account["id"].as_str().unwrap().starts_with("acc_"));
    assert_eq!(account["developerId"], json!("dev_sandbox"));
    assert_eq!(account["externalId"], json!("user_1"));
    assert_eq!(account["name"], json!("Ada"));
    assert_eq!(account["email"], json!("a@x.io"));
    assert_eq!(account["balance"], json!(0));
    assert_eq!(account["metadata"], json!({ "plan": "pro" }));
    assert!(chrono::DateTime::parse_from_rfc3339(account["createdAt"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn a_second_account_with_the_same_external_id_is_a_conflict() {
    let api = Api::start().await;
    api.account_with("user_1", 0).await;
    let (status, body) = api.post("/v1/accounts/create", json!({ "name": "Again", "externalId": "user_1" })).await;
    error_code(status, &body, 409, "duplicate_external_id");
    let (_, list) = api.get("/v1/accounts", &[]).await;
    assert_eq!(list["accounts"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn create_requires_a_name() {
    let api = Api::start().await;
    let (status, body) = api.post("/v1/accounts/create", json!({ "externalId": "u" })).await;
    error_code(status, &body, 400, "invalid_request");
    let (status, body) = api.post("/v1/accounts/create", json!({ "name": "" })).await;
    error_code(status, &body, 400, "invalid_request");
}

#[tokio::test]
async fn list_answers_accounts_without_success() {
    let api = Api::start().await;
    api.account_with("a", 0).await;
    api.account_with("b", 0).await;
    let (status, body) = api.get("/v1/accounts", &[]).await;
    assert_eq!(status, 200);
    assert!(body.get("success").is_none());
    let ids: Vec<_> = body["accounts"].as_array().unwrap().iter().map(|a| a["externalId"].clone()).collect();
    assert_eq!(ids, vec![json!("a"), json!("b")]);
}

#[tokio::test]
async fn get_answers_the_bare_account_by_id_or_external_id() {
    let api = Api::start().await;
    let id = api.account_with("user_9", 25).await;
    let (status, by_id) = api.get("/v1/accounts/get", &[("accountId", &id)]).await;
    assert_eq!(status, 200);
    assert_eq!(by_id["id"], json!(id));
    assert_eq!(by_id["balance"], json!(25));
    assert!(by_id.get("account").is_none() && by_id.get("success").is_none());
    let (_, by_external) = api.get("/v1/accounts/get", &[("externalId", "user_9")]).await;
    assert_eq!(by_external, by_id);
}

#[tokio::test]
async fn balance_answers_balance_reserved_and_available_without_success() {
    let api = Api::start().await;
    let id = api.account_with("user_b", 1000).await;
    api.reserve(&id, 150).await;
    let (status, body) = api.get("/v1/accounts/balance", &[("externalId", "user_b")]).await;
    assert_eq!(status, 200);
    assert_eq!(body["accountId"], json!(id));
    assert_eq!(body["externalId"], json!("user_b"));
    assert!(body.get("success").is_none());
    assert_eq!(api.balance(&id).await, (d(1000), d(150), d(850)));
}

#[tokio::test]
async fn both_or_neither_account_ids_are_invalid_and_an_unknown_one_is_not_found() {
    let api = Api::start().await;
    let id = api.account_with("user_x", 0).await;
    for path in ["/v1/accounts/get", "/v1/accounts/balance", "/v1/accounts/plans", "/v1/reservations"] {
        let (status, body) = api.get(path, &[]).await;
        error_code(status, &body, 400, "invalid_request");
        let (status, body) = api.get(path, &[("accountId", &id), ("externalId", "user_x")]).await;
        error_code(status, &body, 400, "invalid_request");
        let (status, body) = api.get(path, &[("accountId", "acc_missing")]).await;
        error_code(status, &body, 404, "account_not_found");
        let (status, body) = api.get(path, &[("externalId", "nobody")]).await;
        error_code(status, &body, 404, "account_not_found");
    }
    let (status, body) =
        api.post("/v1/accounts/credits/add", json!({ "accountId": id, "externalId": "user_x", "amount": 1 })).await;
    error_code(status, &body, 400, "invalid_request");
    let (status, body) = api.post("/v1/accounts/credits/add", json!({ "amount": 1 })).await;
    error_code(status, &body, 400, "invalid_request");
    assert_eq!(api.balance(&id).await.0, d(0));
}
