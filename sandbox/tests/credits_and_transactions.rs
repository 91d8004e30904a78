//! Direct grants and deductions, manual transactions and the paginated ledger.

mod common;

use common::{Api, d, error_code};
use serde_json::json;

#[tokio::test]
async fn add_grants_credits_and_writes_a_credit_transaction() {
    let api = Api::start().await;
    let id = api.account_with("u", 0).await;
    let (status, body) = api
        .post(
            "/v1/accounts/credits/add",
            json!({ "externalId": "u", "amount": 500, "description": "Credit purchase", "paymentMethod": "stripe" }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], json!(true));
    assert_eq!(body["accountId"], json!(id));
    assert_eq!(body["externalId"], json!("u"));
    assert_eq!(body["balance"], json!(500));
    assert_eq!(body["added"], json!(500));
    let txn = body["transactionId"].as_str().unwrap();
    assert!(txn.starts_with("txn_"));
    let (_, page) = api.get("/v1/transactions", &[("accountId", &id)]).await;
    let item = &page["items"][0];
    assert_eq!(item["id"], json!(txn));
    assert_eq!(item["type"], json!("credit"));
    assert_eq!(item["amount"], json!(500));
    assert_eq!(item["balanceAfter"], json!(500));
    assert_eq!(item["description"], json!("Credit purchase"));
}

#[tokio::test]
async fn deduct_spends_credits_and_writes_a_debit_transaction() {
    let api = Api::start().await;
    let id = api.account_with("u", 500).await;
    let (status, body) = api
        .post("/v1/accounts/credits/deduct", json!({ "accountId": id, "amount": 50, "description": "API usage" }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["deducted"], json!(50));
    assert_eq!(body["balance"], json!(450));
    let (_, page) = api.get("/v1/transactions", &[("accountId", &id)]).await;
    assert_eq!(page["items"][0]["id"], body["transactionId"]);
    assert_eq!(page["items"][0]["type"], json!("debit"));
    assert_eq!(page["items"][0]["balanceAfter"], json!(450));
    assert_eq!(api.balance(&id).await, (d(450), d(0), d(450)));
}

#[tokio::test]
async fn deduct_beyond_available_is_refused_with_details_and_changes_nothing() {
    let api = Api::start().await;
    let id = api.account_with("u", 100).await;
    api.reserve(&id, 60).await;
    let (status, body) = api.post("/v1/accounts/credits/deduct", json!({ "accountId": id, "amount": 50 })).await;
    error_code(status, &body, 402, "insufficient_credits");
    assert_eq!(body["error"]["details"], json!({ "available": 40, "requested": 50 }));
    assert_eq!(api.balance(&id).await, (d(100), d(60), d(40)));
    let (_, page) = api.get("/v1/transactions", &[("accountId", &id)]).await;
    assert_eq!(page["pagination"]["totalCount"], json!(1));
}

#[tokio::test]
async fn zero_negative_and_oversized_amounts_are_invalid() {
    let api = Api::start().await;
    let id = api.account_with("u", 10).await;
    for amount in [json!(0), json!(-5), json!(18_014_398_509_481_984_u64), json!("10"), json!(null)] {
        for path in ["/v1/accounts/credits/add", "/v1/accounts/credits/deduct", "/v1/reservations/create"] {
            let (status, body) = api.post(path, json!({ "accountId": id, "amount": amount })).await;
            error_code(status, &body, 400, "invalid_request");
        }
    }
    assert_eq!(api.balance(&id).await, (d(10), d(0), d(10)));
}

#[tokio::test]
async fn manual_transactions_move_the_balance_both_ways() {
    let api = Api::start().await;
    let id = api.account_with("u", 100).await;
    let (status, body) = api
        .post("/v1/transactions/create", json!({ "accountId": id, "amount": 25, "type": "credit", "description": "Manual adjustment - refund", "metadata": { "ref": "ref_1" } }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], json!(true));
    assert_eq!(body["transaction"]["balanceAfter"], json!(125));
    assert_eq!(body["transaction"]["metadata"], json!({ "ref": "ref_1" }));
    let (status, body) =
        api.post("/v1/transactions/create", json!({ "externalId": "u", "amount": 100, "type": "debit" })).await;
    assert_eq!(status, 200);
    assert_eq!(body["transaction"]["balanceAfter"], json!(25));
    let (status, body) =
        api.post("/v1/transactions/create", json!({ "accountId": id, "amount": 26, "type": "debit" })).await;
    error_code(status, &body, 402, "insufficient_credits");
    let (status, body) =
        api.post("/v1/transactions/create", json!({ "accountId": id, "amount": 1, "type": "refund" })).await;
    error_code(status, &body, 400, "invalid_request");
    assert_eq!(api.balance(&id).await.0, d(25));
}

#[tokio::test]
async fn transactions_page_newest_first_with_total_count_and_has_more() {
    let api = Api::start().await;
    let id = api.account_with("u", 0).await;
    for n in 1..=5 {
        api.post("/v1/accounts/credits/add", json!({ "accountId": id, "amount": n })).await;
    }
    let (status, first) = api.get("/v1/transactions", &[("accountId", &id), ("limit", "2")]).await;
    assert_eq!(status, 200);
    assert!(first.get("success").is_none());
    let amounts = |page: &serde_json::Value| -> Vec<serde_json::Value> {
        page["items"].as_array().unwrap().iter().map(|t| t["amount"].clone()).collect()
    };
    assert_eq!(amounts(&first), vec![json!(5), json!(4)]);
    assert_eq!(first["pagination"], json!({ "limit": 2, "offset": 0, "totalCount": 5, "hasMore": true }));
    let (_, last) = api.get("/v1/transactions", &[("accountId", &id), ("limit", "2"), ("offset", "4")]).await;
    assert_eq!(amounts(&last), vec![json!(1)]);
    assert_eq!(last["pagination"]["hasMore"], json!(false));
    let (_, default) = api.get("/v1/transactions", &[]).await;
    assert_eq!(default["pagination"]["limit"], json!(50));
}

#[tokio::test]
async fn transaction_limit_outside_1_to_100_and_bad_dates_are_invalid() {
    let api = Api::start().await;
    for query in
        [[("limit", "0")], [("limit", "101")], [("limit", "x")], [("offset", "-1")], [("startDate", "yesterday")]]
    {
        let (status, body) = api.get("/v1/transactions", &query).await;
        error_code(status, &body, 400, "invalid_request");
    }
}

#[tokio::test]
async fn transactions_filter_by_account_external_id_and_dates() {
    let api = Api::start().await;
    let a = api.account_with("a", 10).await;
    api.account_with("b", 20).await;
    let (_, all) = api.get("/v1/transactions", &[]).await;
    assert_eq!(all["pagination"]["totalCount"], json!(2));
    let (_, only_b) = api.get("/v1/transactions", &[("externalId", "b")]).await;
    assert_eq!(only_b["pagination"]["totalCount"], json!(1));
    assert_eq!(only_b["items"][0]["amount"], json!(20));
    let (_, only_a) = api.get("/v1/transactions", &[("accountId", &a)]).await;
    assert_eq!(only_a["items"][0]["amount"], json!(10));
    let (_, future) = api.get("/v1/transactions", &[("startDate", "2999-01-01T00:00:00Z")]).await;
    assert_eq!(future["pagination"]["totalCount"], json!(0));
    let (_, past) = api.get("/v1/transactions", &[("endDate", "2000-01-01T00:00:00Z")]).await;
    assert_eq!(past["pagination"]["totalCount"], json!(0));
    let (_, window) = api
        .get("/v1/transactions", &[("startDate", "2000-01-01T00:00:00Z"), ("endDate", "2999-01-01T00:00:00Z")])
        .await;
    assert_eq!(window["pagination"]["totalCount"], json!(2));
}

#[tokio::test]
async fn include_embeds_the_reservation_and_usage_of_a_confirm() {
    let api = Api::start().await;
    let id = api.account_with("u", 100).await;
    let reservation = api.reserve(&id, 10).await;
    let (_, confirm) =
        api.post("/v1/reservations/confirm", json!({ "reservationId": reservation, "actualAmount": 8 })).await;
    let txn = confirm["transactionId"].as_str().unwrap();
    let (status, _) = api
        .post(
            "/v1/usage/record",
            json!({ "accountId": id, "transactionId": txn, "modelId": "gpt-4o", "inputTokens": 10, "outputTokens": 5 }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, plain) = api.get("/v1/transactions", &[("accountId", &id), ("limit", "1")]).await;
    assert!(plain["items"][0].get("reservation").is_none());
    let (_, page) =
        api.get("/v1/transactions", &[("accountId", &id), ("limit", "1"), ("include", "reservation,usage")]).await;
    let item = &page["items"][0];
    assert_eq!(item["reservationId"], json!(reservation));
    assert_eq!(item["reservation"]["id"], json!(reservation));
    assert_eq!(item["reservation"]["status"], json!("confirmed"));
    assert_eq!(item["usage"][0]["transactionId"], json!(txn));
    assert_eq!(item["usage"].as_array().unwrap().len(), 1);
}
