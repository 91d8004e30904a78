//! A write that succeeded is never reported as a failure: the responses the public reference
//! does not show (deduct, plan assignment, plan archive, reservation cancel, and every
//! confirm field after `transactionId`) have only optional fields, so a 2xx answer with a
//! minimal body (`{}`, `{"success": true}`) decodes and the call returns `Ok`.

mod support;

use credits_sdk::{AccountRef, AssignPlan, CreditsClient, DeductCredits, Error, RetryPolicy};
use support::hostile::{Hostile, Reply};

const MINIMAL: [&str; 2] = ["{}", r#"{"success": true}"#];

async fn client_answering(status: u16, body: &str) -> (Hostile, CreditsClient) {
    let server = Hostile::always(Reply::json(status, body)).await;
    let client = CreditsClient::builder()
        .api_key("sk_test_minimal")
        .base_url(server.url())
        .retry(RetryPolicy::disabled())
        .build()
        .expect("a client for the local server");
    (server, client)
}

#[tokio::test]
async fn deduct_credits_succeeds_on_a_minimal_body() {
    for body in MINIMAL {
        let (_server, client) = client_answering(200, body).await;
        let done = client.deduct_credits(DeductCredits::new(AccountRef::id("acc_1"), 50)).await;
        let done = done.unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!((done.balance, done.deducted), (None, None), "{body}");
    }
}

#[tokio::test]
async fn assign_plan_succeeds_on_a_minimal_body() {
    for body in MINIMAL {
        let (_server, client) = client_answering(200, body).await;
        let done =
            client.assign_plan_to_account(AssignPlan::new(AccountRef::external("user_1"), "plan_1").immediate()).await;
        let done = done.unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(done.account_plan, None, "{body}");
    }
}

#[tokio::test]
async fn archive_plan_succeeds_on_a_minimal_body() {
    for body in MINIMAL {
        let (_server, client) = client_answering(200, body).await;
        let done = client.archive_plan("plan_1").await.unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(done.plan, None, "{body}");
    }
}

#[tokio::test]
async fn cancel_reservation_succeeds_on_a_minimal_body() {
    for body in MINIMAL {
        let (_server, client) = client_answering(200, body).await;
        let done = client.cancel_reservation("res_1").await.unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(done.reservation_id, None, "{body}");
    }
}

/// The confirm's documented fields are `reservationId` and `transactionId`; nothing after them
/// is needed.
#[tokio::test]
async fn confirm_succeeds_on_the_documented_fields_alone() {
    let body = r#"{"success": true, "reservationId": "res_1", "transactionId": "txn_1"}"#;
    let (_server, client) = client_answering(200, body).await;
    let done = client.confirm_reservation("res_1", 85).await.expect("a confirmation");
    assert_eq!(done.transaction_id, "txn_1");
    assert_eq!((done.account_id, done.actual_amount, done.balance), (None, None, None));
}

/// A 2xx status the spec does not list for the operation (deduct declares 200 only) is a
/// `Decode` error that keeps the status: the caller can tell the write was applied.
#[tokio::test]
async fn an_undeclared_success_status_is_a_decode_error_that_keeps_it() {
    let (_server, client) = client_answering(201, "{}").await;
    match client.deduct_credits(DeductCredits::new(AccountRef::id("acc_1"), 1)).await {
        Err(Error::Decode { status: Some(status), .. }) => assert_eq!(status.as_u16(), 201),
        other => panic!("expected a decode error with status 201, got {other:?}"),
    }
}

/// What still fails: a success body whose fields have the wrong type. It is a `Decode` error
/// carrying the 2xx status, which says the write was applied: it must not be repeated.
#[tokio::test]
async fn a_wrong_typed_success_body_is_a_decode_error_with_the_success_status() {
    let (_server, client) = client_answering(200, r#"{"balance": "lots"}"#).await;
    match client.deduct_credits(DeductCredits::new(AccountRef::id("acc_1"), 1)).await {
        Err(Error::Decode { status: Some(status), .. }) => assert!(status.is_success()),
        other => panic!("expected a decode error with a 2xx status, got {other:?}"),
    }
}
