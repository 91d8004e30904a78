//! Fault injection: statuses with Retry-After, after-write failures, delays and dropped
//! connections, through the Rust API and the admin endpoints.

mod common;

use std::time::{Duration, Instant};

use common::{Api, d, decode, error_code};
use credits_sandbox::Fault;
use serde_json::json;

#[tokio::test]
async fn faults_are_off_by_default() {
    let api = Api::start().await;
    for _ in 0..20 {
        assert_eq!(api.get("/v1/accounts", &[]).await.0, 200);
    }
    assert_eq!(api.sandbox.faults().injected(), 0);
}

#[tokio::test]
async fn a_status_fault_answers_injected_fault_with_retry_after_and_writes_nothing() {
    let api = Api::start().await;
    let id = api.account_with("u", 10).await;
    api.sandbox.faults().fail_next(1, Fault::Status { status: 503, retry_after: Some("2".into()), after_write: false });
    let response = api
        .http
        .post(api.url("/v1/accounts/credits/add"))
        .header("X-API-Key", &api.key)
        .json(&json!({ "accountId": id, "amount": 5 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers().get("retry-after").unwrap(), "2");
    let (status, body) = decode(response).await;
    error_code(status, &body, 503, "injected_fault");
    assert_eq!(api.balance(&id).await.0, d(10));
    assert_eq!(api.sandbox.faults().injected(), 1);
}

#[tokio::test]
async fn an_after_write_status_fault_applies_the_write_then_fails() {
    let api = Api::start().await;
    let id = api.account_with("u", 10).await;
    api.sandbox.faults().fail_next(1, Fault::Status { status: 500, retry_after: None, after_write: true });
    let (status, body) = api.post("/v1/accounts/credits/add", json!({ "accountId": id, "amount": 5 })).await;
    error_code(status, &body, 500, "injected_fault");
    assert_eq!(api.balance(&id).await.0, d(15));
}

#[tokio::test]
async fn a_delay_fault_slows_the_request_down_then_answers_normally() {
    let api = Api::start().await;
    api.sandbox.faults().fail_next(1, Fault::Delay(Duration::from_millis(300)));
    let started = Instant::now();
    let (status, _) = api.get("/v1/accounts", &[]).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_dropped_connection_gives_a_client_error_and_after_write_keeps_the_write() {
    let api = Api::start().await;
    let id = api.account_with("u", 10).await;
    let faults = api.sandbox.faults();
    faults.fail_next(1, Fault::DropConnection { after_write: false });
    faults.fail_next(1, Fault::DropConnection { after_write: true });
    for _ in 0..2 {
        let result = api
            .http
            .post(api.url("/v1/accounts/credits/add"))
            .header("X-API-Key", &api.key)
            .json(&json!({ "accountId": id, "amount": 5 }))
            .send()
            .await;
        assert!(result.is_err(), "expected a transport error, got {result:?}");
    }
    assert_eq!(api.balance(&id).await.0, d(15), "only the after-write drop applied");
    assert_eq!(faults.injected(), 2);
}

#[tokio::test]
async fn random_faults_follow_the_rate_and_clear_stops_them() {
    let api = Api::start().await;
    let faults = api.sandbox.faults();
    faults.set_random(0.5, vec![Fault::rate_limited("1")], 42);
    let mut failed = 0;
    for _ in 0..40 {
        let (status, body) = api.get("/v1/accounts", &[]).await;
        if status == 429 {
            error_code(status, &body, 429, "injected_fault");
            failed += 1;
        }
    }
    assert!((5..=35).contains(&failed), "{failed} of 40 failed at rate 0.5");
    assert_eq!(faults.injected(), failed);
    faults.clear();
    assert_eq!(api.get("/v1/accounts", &[]).await.0, 200);
}

#[tokio::test]
async fn the_admin_endpoints_set_clear_and_count_faults() {
    let api = Api::start().await;
    let admin = api.url("/_sandbox/faults");
    let set = api
        .http
        .post(&admin)
        .json(&json!({ "next": 1, "fault": { "kind": "status", "status": 429, "retryAfter": "3" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status().as_u16(), 200);
    let response = api.http.get(api.url("/v1/accounts")).header("X-API-Key", &api.key).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers().get("retry-after").unwrap(), "3");
    let random = json!({ "rate": 1.0, "faults": [{ "kind": "status", "status": 503 }], "seed": 1 });
    assert_eq!(api.http.post(&admin).json(&random).send().await.unwrap().status().as_u16(), 200);
    assert_eq!(api.get("/v1/accounts", &[]).await.0, 503);
    assert_eq!(api.http.delete(&admin).send().await.unwrap().status().as_u16(), 200);
    assert_eq!(api.get("/v1/accounts", &[]).await.0, 200);
    let (status, stats) = decode(api.http.get(api.url("/_sandbox/stats")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(stats, json!({ "requests": 3, "faultsInjected": 2 }));
    let bad = api.http.post(&admin).json(&json!({ "next": 1, "fault": { "kind": "explode" } })).send().await.unwrap();
    assert_eq!(bad.status().as_u16(), 400);
}
