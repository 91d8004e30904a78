//! Plan periods on the manual clock: grants at each boundary, `occurrences`, `accumulate`
//! versus reset, `startMode`, and the choices the public reference leaves open (see the
//! README's "Plan periods").

mod common;

use std::time::{Duration, Instant};

use common::{Api, at, d};
use credits_sandbox::Sandbox;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const DAY: u64 = 86_400;

async fn sandbox_at(start: &str) -> Api {
    Api::with(Sandbox::builder().manual_clock(at(start))).await
}

async fn plan(api: &Api, body: Value) -> String {
    let (status, response) = api.post("/v1/plans/create", body).await;
    assert_eq!(status, 200, "{response}");
    response["plan"]["id"].as_str().unwrap().to_owned()
}

async fn assign(api: &Api, account: &str, plan: &str, start_mode: &str) -> Value {
    let body = json!({ "accountId": account, "planId": plan, "startMode": start_mode });
    let (status, response) = api.post("/v1/accounts/plans/assign", body).await;
    assert_eq!(status, 200, "{response}");
    response
}

/// The account's ledger entries, oldest first, with their `createdAt` and `metadata`.
async fn entries(api: &Api, account: &str) -> Vec<Value> {
    let (_, page) = api.get("/v1/transactions", &[("accountId", account), ("limit", "100")]).await;
    let mut items = page["items"].as_array().unwrap().clone();
    items.reverse();
    items
}

#[tokio::test]
async fn a_year_of_monthly_periods_grants_twelve_times_at_the_boundaries_in_milliseconds() {
    // Anchored on January 31st: each boundary counts months from the anchor, so February
    // lands on its last day and March is back on the 31st.
    let api = sandbox_at("2025-01-31T12:00:00Z").await;
    let account = api.account_with("u", 0).await;
    let monthly =
        plan(&api, json!({ "name": "Monthly", "amount": 100, "interval": "month", "accumulate": true })).await;
    let assigned = assign(&api, &account, &monthly, "next_period").await;
    assert_eq!(assigned["creditsGranted"], json!(0), "next_period grants nothing now");
    api.sandbox.advance(Duration::from_secs(365 * DAY)).unwrap();
    let started = Instant::now();
    let (balance, _, _) = api.balance(&account).await;
    assert!(started.elapsed() < Duration::from_secs(2), "catching up a year took {:?}", started.elapsed());
    assert_eq!(balance, d(1200));
    let grants = entries(&api, &account).await;
    assert_eq!(grants.len(), 12);
    let times: Vec<&str> = grants.iter().map(|e| e["createdAt"].as_str().unwrap()).collect();
    assert_eq!(&times[..3], ["2025-02-28T12:00:00Z", "2025-03-31T12:00:00Z", "2025-04-30T12:00:00Z"]);
    assert_eq!(times[11], "2026-01-31T12:00:00Z");
    assert!(grants.iter().all(|e| e["type"] == json!("credit") && e["metadata"]["planId"] == json!(monthly)));
    assert_eq!(api.check_ledger(&account).await, d(1200));
}

#[tokio::test]
async fn without_accumulate_unused_plan_credits_are_reset_each_period_but_spent_and_held_ones_are_not() {
    let api = sandbox_at("2025-03-01T00:00:00Z").await;
    let account = api.account_with("u", 500).await; // purchased credits: never reset
    let weekly = plan(&api, json!({ "name": "Weekly", "amount": 100, "interval": "week" })).await;
    let assigned = assign(&api, &account, &weekly, "immediate").await;
    assert_eq!(assigned["creditsGranted"], json!(100));
    assert_eq!(api.balance(&account).await.0, d(600));
    // Plan credits are spent first: 30 of the 100 are used, 70 are left unused.
    assert_eq!(api.deduct(&account, 30).await.0, 200);
    api.sandbox.advance(Duration::from_secs(7 * DAY)).unwrap();
    // Boundary: the 70 unused expire, 100 are granted: 570 − 70 + 100.
    assert_eq!(api.balance(&account).await, (d(600), d(0), d(600)));
    let last: Vec<(String, Decimal)> = entries(&api, &account)
        .await
        .iter()
        .rev()
        .take(2)
        .map(|e| (e["type"].as_str().unwrap().into(), d(&e["amount"])))
        .collect();
    assert_eq!(last, [("credit".to_owned(), d(100)), ("debit".to_owned(), d(70))]);
    // A reservation (made an hour into the period's last day, for a day) holds 550 of the 600:
    // at the next boundary only the available 50 of the 100 unused plan credits can expire;
    // held credits stay held.
    api.sandbox.advance(Duration::from_secs(6 * DAY + 3600)).unwrap();
    let body = json!({ "accountId": account, "amount": 550, "expiresInSeconds": DAY });
    let (status, response) = api.post("/v1/reservations/create", body).await;
    assert_eq!(status, 200, "{response}");
    let reservation = response["reservation"]["id"].as_str().unwrap().to_owned();
    api.sandbox.advance(Duration::from_secs(DAY - 3600)).unwrap();
    assert_eq!(api.balance(&account).await, (d(650), d(550), d(100)), "{reservation} still holds");
    assert_eq!(api.check_ledger(&account).await, d(650));
}

#[tokio::test]
async fn occurrences_limit_the_grants_then_the_assignment_ends() {
    let api = sandbox_at("2025-01-01T00:00:00Z").await;
    let account = api.account_with("u", 0).await;
    let three =
        plan(&api, json!({ "name": "Trial", "amount": 10, "interval": "1d", "occurrences": 3, "accumulate": true }))
            .await;
    assign(&api, &account, &three, "immediate").await;
    api.sandbox.advance(Duration::from_secs(10 * DAY)).unwrap();
    assert_eq!(api.balance(&account).await.0, d(30), "grants on days 0, 1 and 2 only");
    let (_, plans) = api.get("/v1/accounts/plans", &[("accountId", &account)]).await;
    assert_eq!(plans["plans"][0]["active"], json!(false));
    assert_eq!(plans["plans"][0]["expiresAt"], json!("2025-01-04T00:00:00Z"), "ends when its last period does");
    // next_period with 2 occurrences: grants at the end of days 1 and 2.
    let other = api.account_with("v", 0).await;
    let two = plan(&api, json!({ "name": "Two", "amount": 5, "interval": "1d", "occurrences": 2 })).await;
    assign(&api, &other, &two, "next_period").await;
    api.sandbox.advance(Duration::from_secs(DAY)).unwrap();
    assert_eq!(api.balance(&other).await.0, d(5));
    api.sandbox.advance(Duration::from_secs(5 * DAY)).unwrap();
    // Without accumulate the last period's unused credits expire when it ends.
    assert_eq!(api.balance(&other).await.0, d(0));
    assert_eq!(entries(&api, &other).await.len(), 4, "grant, reset and grant, then the final reset");
}

#[tokio::test]
async fn a_new_assignment_stops_the_previous_plan_from_granting() {
    let api = sandbox_at("2025-01-01T00:00:00Z").await;
    let account = api.account_with("u", 0).await;
    let daily = plan(&api, json!({ "name": "Daily", "amount": 1, "interval": "1d", "accumulate": true })).await;
    let weekly = plan(&api, json!({ "name": "Weekly", "amount": 50, "interval": "week", "accumulate": true })).await;
    assign(&api, &account, &daily, "next_period").await;
    api.sandbox.advance(Duration::from_secs(3 * DAY)).unwrap();
    assign(&api, &account, &weekly, "next_period").await;
    api.sandbox.advance(Duration::from_secs(7 * DAY)).unwrap();
    assert_eq!(api.balance(&account).await.0, d(53), "3 daily grants, then one weekly");
}
