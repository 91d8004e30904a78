//! Reservations: every transition, every rejection, expiry and the race for the last credits.

mod common;

use std::time::Duration;

use common::{Api, at, d, error_code};
use credits_sandbox::Sandbox;
use serde_json::json;

#[tokio::test]
async fn a_reservation_holds_credits_and_echoes_operation_and_model_in_metadata() {
    let api = Api::start().await;
    let id = api.account_with("u", 1000).await;
    let (status, body) = api
        .post("/v1/reservations/create", json!({ "externalId": "u", "amount": 150, "operation": "chat-completion", "model": "gpt-4o", "metadata": { "requestId": "r1" } }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], json!(true));
    let reservation = &body["reservation"];
    assert!(reservation["id"].as_str().unwrap().starts_with("res_"));
    assert_eq!(reservation["accountId"], json!(id));
    assert_eq!(reservation["status"], json!("pending"));
    assert_eq!(reservation["amount"], json!(150));
    assert_eq!(
        reservation["metadata"],
        json!({ "requestId": "r1", "operation": "chat-completion", "model": "gpt-4o" })
    );
    let created = chrono::DateTime::parse_from_rfc3339(reservation["createdAt"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(reservation["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!((expires - created).num_seconds(), 300, "default TTL is 300 s");
    assert_eq!(api.balance(&id).await, (d(1000), d(150), d(850)));
}

#[tokio::test]
async fn confirm_releases_the_unused_part_of_the_reservation() {
    let api = Api::start().await;
    let id = api.account_with("u", 1000).await;
    let reservation = api.reserve(&id, 150).await;
    let (status, body) =
        api.post("/v1/reservations/confirm", json!({ "reservationId": reservation, "actualAmount": 85 })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], json!(true));
    assert_eq!(body["reservationId"], json!(reservation));
    assert_eq!(body["accountId"], json!(id));
    assert_eq!(body["actualAmount"], json!(85));
    assert_eq!(body["releasedAmount"], json!(65));
    assert_eq!(body["balance"], json!(915));
    assert_eq!(api.balance(&id).await, (d(915), d(0), d(915)));
    let (_, page) = api.get("/v1/transactions", &[("accountId", &id), ("limit", "1")]).await;
    let debit = &page["items"][0];
    assert_eq!(debit["id"], body["transactionId"]);
    assert_eq!(debit["type"], json!("debit"));
    assert_eq!(debit["amount"], json!(85));
    assert_eq!(debit["reservationId"], json!(reservation));
    assert_eq!(debit["balanceAfter"], json!(915));
    let (_, list) = api.get("/v1/reservations", &[("accountId", &id)]).await;
    assert_eq!(list["reservations"][0]["status"], json!("confirmed"));
    assert_eq!(list["reservations"][0]["actualAmount"], json!(85));
}

#[tokio::test]
async fn confirming_twice_is_a_conflict_and_charges_once() {
    let api = Api::start().await;
    let id = api.account_with("u", 100).await;
    let reservation = api.reserve(&id, 10).await;
    let confirm = json!({ "reservationId": reservation, "actualAmount": 10 });
    assert_eq!(api.post("/v1/reservations/confirm", confirm.clone()).await.0, 200);
    let (status, body) = api.post("/v1/reservations/confirm", confirm).await;
    error_code(status, &body, 409, "reservation_not_pending");
    assert_eq!(api.balance(&id).await, (d(90), d(0), d(90)));
}

#[tokio::test]
async fn cancel_releases_everything_and_blocks_confirm_and_cancel() {
    let api = Api::start().await;
    let id = api.account_with("u", 100).await;
    let reservation = api.reserve(&id, 40).await;
    let (status, body) = api.post("/v1/reservations/cancel", json!({ "reservationId": reservation })).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({ "success": true, "reservationId": reservation, "accountId": id, "releasedAmount": 40, "status": "cancelled" })
    );
    assert_eq!(api.balance(&id).await, (d(100), d(0), d(100)));
    let (status, body) =
        api.post("/v1/reservations/confirm", json!({ "reservationId": reservation, "actualAmount": 1 })).await;
    error_code(status, &body, 409, "reservation_not_pending");
    let (status, body) = api.post("/v1/reservations/cancel", json!({ "reservationId": reservation })).await;
    error_code(status, &body, 409, "reservation_not_pending");
}

#[tokio::test]
async fn confirming_more_than_reserved_is_invalid_and_leaves_the_hold() {
    let api = Api::start().await;
    let id = api.account_with("u", 100).await;
    let reservation = api.reserve(&id, 10).await;
    let (status, body) =
        api.post("/v1/reservations/confirm", json!({ "reservationId": reservation, "actualAmount": 11 })).await;
    error_code(status, &body, 400, "invalid_request");
    let (status, body) =
        api.post("/v1/reservations/confirm", json!({ "reservationId": reservation, "actualAmount": 0 })).await;
    error_code(status, &body, 400, "invalid_request");
    assert_eq!(api.balance(&id).await, (d(100), d(10), d(90)));
}

#[tokio::test]
async fn unknown_reservations_are_not_found() {
    let api = Api::start().await;
    let (status, body) =
        api.post("/v1/reservations/confirm", json!({ "reservationId": "res_nope", "actualAmount": 1 })).await;
    error_code(status, &body, 404, "reservation_not_found");
    let (status, body) = api.post("/v1/reservations/cancel", json!({ "reservationId": "res_nope" })).await;
    error_code(status, &body, 404, "reservation_not_found");
}

#[tokio::test]
async fn reserving_more_than_available_is_refused_with_details() {
    let api = Api::start().await;
    let id = api.account_with("u", 100).await;
    api.reserve(&id, 70).await;
    let (status, body) = api.post("/v1/reservations/create", json!({ "accountId": id, "amount": 31 })).await;
    error_code(status, &body, 402, "insufficient_credits");
    assert_eq!(body["error"]["details"], json!({ "available": 30, "requested": 31 }));
    assert_eq!(api.balance(&id).await, (d(100), d(70), d(30)));
}

#[tokio::test]
async fn an_unconfirmed_reservation_expires_after_the_sandbox_ttl() {
    // A manual clock: the reservation expires exactly when the clock reaches its TTL, no sleep.
    let start = at("2025-01-15T10:00:00Z");
    let api = Api::with(Sandbox::builder().manual_clock(start)).await;
    let id = api.account_with("u", 100).await;
    let (_, body) = api.post("/v1/reservations/create", json!({ "accountId": id, "amount": 60 })).await;
    let reservation = body["reservation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["reservation"]["createdAt"], json!("2025-01-15T10:00:00Z"));
    assert_eq!(body["reservation"]["expiresAt"], json!("2025-01-15T10:05:00Z"), "the default TTL is 300 s");
    api.sandbox.advance(Duration::from_secs(299)).unwrap();
    assert_eq!(api.balance(&id).await, (d(100), d(60), d(40)), "one second before the TTL it still holds");
    api.sandbox.advance(Duration::from_secs(1)).unwrap();
    assert_eq!(api.balance(&id).await, (d(100), d(0), d(100)));
    let (status, body) =
        api.post("/v1/reservations/confirm", json!({ "reservationId": reservation, "actualAmount": 10 })).await;
    error_code(status, &body, 409, "reservation_expired");
    let (_, list) = api.get("/v1/reservations", &[("accountId", &id)]).await;
    assert_eq!(list["reservations"][0]["status"], json!("expired"));
    let (_, active) = api.get("/v1/reservations", &[("accountId", &id), ("activeOnly", "true")]).await;
    assert_eq!(active["reservations"], json!([]));
}

#[tokio::test]
async fn expires_in_seconds_overrides_the_ttl_and_is_bounded() {
    let api = Api::with(Sandbox::builder().manual_clock(at("2025-01-15T10:00:00Z"))).await;
    let id = api.account_with("u", 100).await;
    let (status, body) =
        api.post("/v1/reservations/create", json!({ "accountId": id, "amount": 5, "expiresInSeconds": 1 })).await;
    assert_eq!(status, 200);
    let reservation = body["reservation"]["id"].as_str().unwrap().to_owned();
    for bad in [0, 86_401] {
        let (status, body) =
            api.post("/v1/reservations/create", json!({ "accountId": id, "amount": 5, "expiresInSeconds": bad })).await;
        error_code(status, &body, 400, "invalid_request");
    }
    assert_eq!(api.balance(&id).await.1, d(5));
    api.sandbox.advance(Duration::from_millis(999)).unwrap();
    assert_eq!(api.balance(&id).await.1, d(5));
    api.sandbox.advance(Duration::from_millis(1)).unwrap();
    assert_eq!(api.balance(&id).await.1, d(0));
    let (status, body) =
        api.post("/v1/reservations/confirm", json!({ "reservationId": reservation, "actualAmount": 5 })).await;
    error_code(status, &body, 409, "reservation_expired");
}

#[tokio::test]
async fn list_shows_newest_first_and_active_only_keeps_pending_ones() {
    let api = Api::start().await;
    let id = api.account_with("u", 100).await;
    let first = api.reserve(&id, 1).await;
    let second = api.reserve(&id, 2).await;
    api.post("/v1/reservations/cancel", json!({ "reservationId": first })).await;
    let (status, all) = api.get("/v1/reservations", &[("externalId", "u")]).await;
    assert_eq!(status, 200);
    assert_eq!(all["success"], json!(true));
    let ids: Vec<_> = all["reservations"].as_array().unwrap().iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, vec![json!(second), json!(first)]);
    let (_, active) = api.get("/v1/reservations", &[("accountId", &id), ("activeOnly", "true")]).await;
    assert_eq!(active["reservations"].as_array().unwrap().len(), 1);
    let (status, body) = api.get("/v1/reservations", &[("accountId", &id), ("activeOnly", "yes")]).await;
    error_code(status, &body, 400, "invalid_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_racing_reservations_of_ten_against_one_thousand_give_exactly_one_hundred() {
    let api = Api::start().await;
    let id = api.account_with("u", 1000).await;
    let requests = (0..200).map(|_| {
        let request = api
            .http
            .post(api.url("/v1/reservations/create"))
            .header("X-API-Key", &api.key)
            .json(&json!({ "accountId": id, "amount": 10 }));
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures::future::join_all(requests).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 100);
    assert_eq!(statuses.iter().filter(|s| **s == 402).count(), 100);
    assert_eq!(api.balance(&id).await, (d(1000), d(1000), d(0)));
}
