//! The controllable clock: from Rust and through `POST /_sandbox/clock`, and everything
//! time-based follows it (timestamps, date filters, expiry).

mod common;

use std::time::Duration;

use common::{Api, at, d, decode, error_code};
use credits_sandbox::{ClockError, Sandbox};
use serde_json::json;

#[tokio::test]
async fn timestamps_and_date_filters_follow_the_manual_clock() {
    let api = Api::with(Sandbox::builder().manual_clock(at("2025-01-15T10:00:00Z"))).await;
    assert_eq!(api.sandbox.now(), at("2025-01-15T10:00:00Z"));
    let id = api.account_with("u", 10).await;
    api.sandbox.advance(Duration::from_secs(86_400)).unwrap();
    let (status, _) = api.add(&id, 5).await;
    assert_eq!(status, 200);
    let (_, account) = api.get("/v1/accounts/get", &[("accountId", &id)]).await;
    assert_eq!(account["createdAt"], json!("2025-01-15T10:00:00Z"));
    assert_eq!(account["updatedAt"], json!("2025-01-16T10:00:00Z"));
    let (_, page) = api.get("/v1/transactions", &[("accountId", &id), ("startDate", "2025-01-16T00:00:00Z")]).await;
    assert_eq!(page["pagination"]["totalCount"], json!(1), "{page}");
    assert_eq!(page["items"][0]["createdAt"], json!("2025-01-16T10:00:00Z"));
    let (_, page) = api.get("/v1/transactions", &[("accountId", &id), ("endDate", "2025-01-15T23:59:59Z")]).await;
    assert_eq!(page["pagination"]["totalCount"], json!(1), "{page}");
}

#[tokio::test]
async fn the_clock_never_goes_backwards_and_bounds_a_step() {
    let sandbox = Sandbox::builder().manual_clock(at("2025-06-01T00:00:00Z")).start().await.unwrap();
    assert!(matches!(sandbox.set_time(at("2025-05-31T23:59:59Z")), Err(ClockError::Backwards { .. })));
    assert_eq!(sandbox.advance(Duration::from_secs(u64::MAX)), Err(ClockError::TooFar));
    assert_eq!(sandbox.set_time(at("2026-06-01T00:00:00.5Z")).unwrap(), at("2026-06-01T00:00:00.5Z"));
    assert_eq!(sandbox.now(), at("2026-06-01T00:00:00.5Z"));
}

#[tokio::test]
async fn the_admin_endpoint_moves_the_clock_and_refuses_bad_requests() {
    let api = Api::with(Sandbox::builder().manual_clock(at("2025-01-15T10:00:00Z"))).await;
    let id = api.account_with("u", 100).await;
    let (_, body) =
        api.post("/v1/reservations/create", json!({ "accountId": id, "amount": 40, "expiresInSeconds": 60 })).await;
    assert_eq!(body["reservation"]["status"], json!("pending"));
    let clock = |body: serde_json::Value| api.http.post(api.url("/_sandbox/clock")).json(&body).send();
    let (status, body) = decode(clock(json!({ "advanceSeconds": 60 })).await.unwrap()).await;
    assert_eq!((status, &body), (200, &json!({ "now": "2025-01-15T10:01:00Z", "manual": true })));
    assert_eq!(api.balance(&id).await, (d(100), d(0), d(100)), "the reservation expired with the clock");
    let (status, body) = decode(clock(json!({ "set": "2025-02-01T00:00:00Z" })).await.unwrap()).await;
    assert_eq!((status, body["now"].clone()), (200, json!("2025-02-01T00:00:00Z")));
    let (status, body) = decode(clock(json!({ "set": "2025-01-01T00:00:00Z" })).await.unwrap()).await;
    error_code(status, &body, 409, "clock_backwards");
    for bad in [
        json!({}),
        json!({ "advanceSeconds": -1 }),
        json!({ "advanceSeconds": 1.5 }),
        json!({ "advanceSeconds": 1, "set": "2026-01-01T00:00:00Z" }),
        json!({ "set": "yesterday" }),
        json!({ "advanceSeconds": 100_000_000_000_u64 }),
        json!({ "rewind": 5 }),
    ] {
        let (status, body) = decode(clock(bad.clone()).await.unwrap()).await;
        error_code(status, &body, 400, "invalid_request");
    }
    let (status, body) = decode(api.http.get(api.url("/_sandbox/clock")).send().await.unwrap()).await;
    assert_eq!((status, body), (200, json!({ "now": "2025-02-01T00:00:00Z", "manual": true })));
}

#[tokio::test]
async fn the_wall_clock_is_the_default_and_can_be_moved_forward() {
    let api = Api::start().await;
    let before = credits_sandbox::chrono::Utc::now();
    let (_, body) = decode(api.http.get(api.url("/_sandbox/clock")).send().await.unwrap()).await;
    assert_eq!(body["manual"], json!(false));
    let id = api.account_with("u", 10).await;
    let reservation = api.reserve(&id, 4).await;
    api.sandbox.advance(Duration::from_secs(301)).unwrap();
    assert!(api.sandbox.now() >= before + credits_sandbox::chrono::TimeDelta::seconds(301));
    assert_eq!(api.balance(&id).await, (d(10), d(0), d(10)), "{reservation} expired");
}
