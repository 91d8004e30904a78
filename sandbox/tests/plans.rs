//! Plans: create, list, archive, assign and the account's plan history.

mod common;

use common::{Api, d, error_code};
use credits_sandbox::Sandbox;
use serde_json::{Value, json};

async fn create_plan(api: &Api, name: &str, amount: u64, interval: &str) -> Value {
    let (status, body) =
        api.post("/v1/plans/create", json!({ "name": name, "amount": amount, "interval": interval })).await;
    assert_eq!(status, 200, "{body}");
    body["plan"].clone()
}

#[tokio::test]
async fn create_maps_amount_to_credits_and_interval_to_billing_period() {
    let api = Api::start().await;
    for (interval, period) in [("month", "monthly"), ("week", "weekly"), ("1d", "daily")] {
        let plan = create_plan(&api, "Pro", 1000, interval).await;
        assert!(plan["id"].as_str().unwrap().starts_with("plan_"));
        assert_eq!(plan["credits"], json!(1000));
        assert_eq!(plan["interval"], json!(interval));
        assert_eq!(plan["billingPeriod"], json!(period));
        assert_eq!(plan["isActive"], json!(true));
    }
    let (status, body) = api.post("/v1/plans/create", json!({ "name": "X", "amount": 1, "interval": "year" })).await;
    error_code(status, &body, 400, "invalid_request");
    let (status, body) = api
        .post("/v1/plans/create", json!({ "name": "X", "amount": 1, "interval": "month", "markAsActive": false }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["plan"]["isActive"], json!(false));
}

#[tokio::test]
async fn archived_plans_stay_listed_inactive_and_archiving_again_succeeds() {
    let api = Api::start().await;
    let plan = create_plan(&api, "Pro", 10, "month").await;
    for _ in 0..2 {
        let (status, body) = api.post("/v1/plans/archive", json!({ "planId": plan["id"] })).await;
        assert_eq!(status, 200);
        assert_eq!(body["plan"]["isActive"], json!(false));
    }
    let (_, list) = api.get("/v1/plans", &[]).await;
    assert_eq!(list["success"], json!(true));
    assert_eq!(list["plans"][0]["id"], plan["id"]);
    assert_eq!(list["plans"][0]["isActive"], json!(false));
    let (status, body) = api.post("/v1/plans/archive", json!({ "planId": "plan_nope" })).await;
    error_code(status, &body, 404, "plan_not_found");
}

#[tokio::test]
async fn an_archived_plan_cannot_be_assigned() {
    let api = Api::start().await;
    let id = api.account_with("u", 0).await;
    let plan = create_plan(&api, "Pro", 10, "month").await;
    api.post("/v1/plans/archive", json!({ "planId": plan["id"] })).await;
    let (status, body) = api
        .post("/v1/accounts/plans/assign", json!({ "accountId": id, "planId": plan["id"], "startMode": "immediate" }))
        .await;
    error_code(status, &body, 409, "plan_archived");
    assert_eq!(api.balance(&id).await.0, d(0));
}

#[tokio::test]
async fn immediate_start_grants_the_plan_credits_at_once() {
    let api = Api::start().await;
    let id = api.account_with("u", 5).await;
    let plan = create_plan(&api, "Pro", 1000, "month").await;
    let (status, body) = api
        .post("/v1/accounts/plans/assign", json!({ "externalId": "u", "planId": plan["id"], "startMode": "immediate" }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["creditsGranted"], json!(1000));
    let assignment = &body["accountPlan"];
    assert!(assignment["id"].as_str().unwrap().starts_with("accountPlan_"));
    assert_eq!(assignment["active"], json!(true));
    assert_eq!(assignment["plan"], json!({ "id": plan["id"], "name": "Pro", "credits": 1000 }));
    assert_eq!(api.balance(&id).await, (d(1005), d(0), d(1005)));
    let (_, page) = api.get("/v1/transactions", &[("accountId", &id), ("limit", "1")]).await;
    assert_eq!(page["items"][0]["type"], json!("credit"));
    assert_eq!(page["items"][0]["amount"], json!(1000));
}

#[tokio::test]
async fn next_period_is_the_default_and_grants_nothing_now() {
    let api = Api::start().await;
    let id = api.account_with("u", 0).await;
    let plan = create_plan(&api, "Pro", 1000, "month").await;
    let (status, body) = api.post("/v1/accounts/plans/assign", json!({ "accountId": id, "planId": plan["id"] })).await;
    assert_eq!(status, 200);
    assert_eq!(body["creditsGranted"], json!(0));
    assert_eq!(api.balance(&id).await.0, d(0));
    let (status, body) = api
        .post("/v1/accounts/plans/assign", json!({ "accountId": id, "planId": plan["id"], "startMode": "later" }))
        .await;
    error_code(status, &body, 400, "invalid_request");
}

#[tokio::test]
async fn assigning_a_new_plan_deactivates_the_previous_one() {
    let api = Api::start().await;
    let id = api.account_with("u", 0).await;
    let basic = create_plan(&api, "Basic", 10, "week").await;
    let pro = create_plan(&api, "Pro", 100, "month").await;
    api.post("/v1/accounts/plans/assign", json!({ "accountId": id, "planId": basic["id"] })).await;
    api.post("/v1/accounts/plans/assign", json!({ "accountId": id, "planId": pro["id"] })).await;
    let (status, body) = api.get("/v1/accounts/plans", &[("accountId", &id)]).await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], json!(true));
    let plans = body["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 2);
    assert_eq!((plans[0]["planId"].clone(), plans[0]["active"].clone()), (pro["id"].clone(), json!(true)));
    assert_eq!((plans[1]["planId"].clone(), plans[1]["active"].clone()), (basic["id"].clone(), json!(false)));
    assert!(plans[1]["expiresAt"].is_string() && plans[0]["expiresAt"].is_null());
    let (status, body) = api.post("/v1/accounts/plans/assign", json!({ "accountId": id, "planId": "plan_nope" })).await;
    error_code(status, &body, 404, "plan_not_found");
}

#[tokio::test]
async fn seed_creates_user_demo_with_1000_credits_and_a_pro_plan() {
    let api = Api::with(Sandbox::builder().seed(true)).await;
    let (status, balance) = api.get("/v1/accounts/balance", &[("externalId", "user_demo")]).await;
    assert_eq!(status, 200);
    assert_eq!(balance["balance"], json!(1000));
    let (_, plans) = api.get("/v1/plans", &[]).await;
    assert_eq!(plans["plans"][0]["name"], json!("Pro"));
}

#[tokio::test]
async fn an_occurrences_count_beyond_int64_is_refused_not_clamped() {
    let sandbox = credits_sandbox::Sandbox::start().await.unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/v1/plans/create", sandbox.base_url()))
        .header("x-api-key", sandbox.api_key())
        .header("content-type", "application/json")
        .body(r#"{"name": "Pro", "amount": 10000, "interval": "month", "occurrences": 9223372036854775808}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let plans = reqwest::Client::new()
        .get(format!("{}/v1/plans", sandbox.base_url()))
        .header("x-api-key", sandbox.api_key())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!plans.contains("Pro"), "nothing was written: {plans}");
}
