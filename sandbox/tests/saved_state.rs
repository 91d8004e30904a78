//! Saved state: export and import of a project's whole state, from Rust, over the admin
//! endpoint and as a file for `--state`; a bad file is refused whole.

mod common;

use std::time::Duration;

use common::{Api, at, d, decode, error_code};
use credits_sandbox::Sandbox;
use serde_json::{Value, json};

/// A project with something of everything: accounts, purchases, a pending and a confirmed
/// reservation, a running plan with a future grant, usage.
async fn busy_project() -> (Api, String) {
    let api = Api::with(Sandbox::builder().manual_clock(at("2025-01-31T09:00:00Z")).api_key("sk_saved")).await;
    let id = api.account_with("alice", "100.25").await;
    let (_, body) = api.post("/v1/plans/create", json!({ "name": "Monthly", "amount": 50, "interval": "month" })).await;
    let plan = body["plan"]["id"].as_str().unwrap().to_owned();
    let (status, _) = api
        .post("/v1/accounts/plans/assign", json!({ "accountId": id, "planId": plan, "startMode": "immediate" }))
        .await;
    assert_eq!(status, 200);
    let held = api.reserve(&id, "10.5").await;
    let confirmed = api.reserve(&id, 20).await;
    let (status, body) =
        api.post("/v1/reservations/confirm", json!({ "reservationId": confirmed, "actualAmount": 12 })).await;
    assert_eq!(status, 200, "{body}");
    let txn = body["transactionId"].as_str().unwrap().to_owned();
    let usage =
        json!({ "accountId": id, "transactionId": txn, "modelId": "gpt-4o", "inputTokens": 1200, "outputTokens": 300 });
    assert_eq!(api.post("/v1/usage/record", usage).await.0, 200);
    api.account_with("bob", 0).await;
    assert!(!held.is_empty());
    (api, id)
}

#[tokio::test]
async fn an_export_imported_into_a_fresh_sandbox_is_equal_and_keeps_running() {
    let (api, id) = busy_project().await;
    let saved = api.sandbox.export_state("sk_saved").unwrap();
    let fresh = Api::with(Sandbox::builder().manual_clock(at("2025-01-31T09:00:00Z")).api_key("sk_saved")).await;
    fresh.sandbox.import_state("sk_saved", &saved).unwrap();
    assert_eq!(fresh.sandbox.export_state("sk_saved").unwrap(), saved, "export → import → export is equal");
    assert_eq!(fresh.balance(&id).await, api.balance(&id).await);
    assert_eq!(fresh.ledger(&id).await, api.ledger(&id).await);
    let (_, usage) = fresh.get("/v1/usage", &[("accountId", &id)]).await;
    assert_eq!(usage["usageRecords"].as_array().unwrap().len(), 1);
    // The indexes were rebuilt: external ids resolve, the hold still counts, the plan grants.
    assert_eq!(fresh.balance(&id).await, (d("138.25"), d("10.5"), d("127.75")));
    fresh.sandbox.advance(Duration::from_secs(28 * 86_400)).unwrap();
    let (_, balance) = fresh.get("/v1/accounts/balance", &[("externalId", "alice")]).await;
    assert_eq!(balance["reserved"], json!(0), "the hold expired on the imported clock");
    assert_eq!(fresh.check_ledger(&id).await, d("150.25"), "February 28th: 138.25 − 38 unused plan credits + 50");
}

#[tokio::test]
async fn a_bad_state_is_refused_whole_with_a_clear_error() {
    let (api, id) = busy_project().await;
    let saved = api.sandbox.export_state("sk_saved").unwrap();
    let state: Value = serde_json::from_str(&saved).unwrap();
    let tamper = |f: &dyn Fn(&mut Value)| {
        let mut copy = state.clone();
        f(&mut copy);
        copy.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        ("{".into(), "not valid JSON"),
        ("[]".into(), "not a saved sandbox project"),
        (tamper(&|s| s["format"] = json!("something-else")), "format"),
        (tamper(&|s| s["version"] = json!(99)), "version 99"),
        (tamper(&|s| s["accounts"][0]["balance"] = json!(1_000_000)), "is not the sum of its ledger"),
        (tamper(&|s| s["transactions"][1]["accountId"] = json!("acc_nobody")), "unknown account"),
        (tamper(&|s| s["accounts"][1]["id"] = s["accounts"][0]["id"].clone()), "appears twice"),
        (tamper(&|s| s["transactions"][0]["amount"] = json!(-5)), "amount"),
        (tamper(&|s| s["transactions"][0]["kind"] = json!("refund")), "unknown type"),
        (tamper(&|s| s["accounts"][0]["surprise"] = json!(1)), "unknown field"),
        (saved.replacen("\"version\": 1,", "\"version\": 1, \"version\": 1,", 1), "duplicate key"),
    ];
    for (text, expected) in cases {
        let error = api.sandbox.import_state("sk_saved", &text).unwrap_err();
        assert!(error.to_string().contains(expected), "{expected}: {error}");
        assert_eq!(api.sandbox.export_state("sk_saved").unwrap(), saved, "nothing was loaded");
    }
    assert!(api.sandbox.import_state("sk_other", &saved).is_err(), "an unknown key");
    assert_eq!(api.check_ledger(&id).await, d("138.25"));
}

#[tokio::test]
async fn the_admin_endpoint_exports_and_imports_by_api_key() {
    let (api, id) = busy_project().await;
    let state_url = api.url("/_sandbox/state");
    let response = api.http.get(&state_url).header("X-API-Key", "sk_saved").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let saved = response.text().await.unwrap();
    assert_eq!(saved, api.sandbox.export_state("sk_saved").unwrap());
    assert_eq!(api.deduct(&id, 1).await.0, 200);
    let put = |body: String| api.http.put(&state_url).header("X-API-Key", "sk_saved").body(body).send();
    let (status, body) = decode(put(saved.clone()).await.unwrap()).await;
    assert_eq!((status, body), (200, json!({ "success": true })));
    assert_eq!(api.check_ledger(&id).await, d("138.25"), "the deduct after the export is gone");
    let (status, body) = decode(put(saved.replace("\"version\": 1", "\"version\": 2")).await.unwrap()).await;
    error_code(status, &body, 400, "invalid_state");
    let (status, body) = decode(api.http.get(&state_url).send().await.unwrap()).await;
    error_code(status, &body, 401, "unauthorized");
    let (status, body) = decode(api.http.get(&state_url).header("X-API-Key", "nope").send().await.unwrap()).await;
    error_code(status, &body, 404, "project_not_found");
}

#[tokio::test]
async fn a_state_file_starts_a_sandbox_with_every_saved_project() {
    let (api, id) = busy_project().await;
    let file = api.sandbox.export_all();
    let restored =
        Sandbox::builder().manual_clock(at("2025-01-31T09:00:00Z")).state(file.clone()).start().await.unwrap();
    assert!(restored.api_keys().contains(&"sk_saved".to_owned()));
    assert_eq!(restored.export_all(), file);
    let restored = Api { key: "sk_saved".into(), sandbox: restored, http: reqwest::Client::new() };
    assert_eq!(restored.check_ledger(&id).await, d("138.25"));
    let error = Sandbox::builder().state(file.replace("\"accountId\"", "\"accountID\"")).start().await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    assert!(error.to_string().contains("sk_saved"), "{error}");
    let error = Sandbox::builder().state("{\"format\": \"x\"}").start().await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
}

/// Metadata nested `levels` deep: `{"n": {"n": … 1}}`.
fn nested(levels: usize) -> Value {
    (1..levels).fold(json!({ "n": 1 }), |inner, _| json!({ "n": inner }))
}

#[tokio::test]
async fn the_deepest_metadata_the_api_accepts_survives_every_way_state_is_saved_and_loaded() {
    let api = Api::with(Sandbox::builder().api_key("sk_deep")).await;
    // The body's own object plus 126 levels: the most serde_json's limit lets the API take.
    // (The answer nests it deeper still, past what a default serde_json reader takes: only the
    // status is read.)
    let create = |body: Value| api.http.post(api.url("/v1/accounts/create")).header("X-API-Key", "sk_deep").json(&body);
    let created =
        create(json!({ "name": "Deep", "externalId": "deep", "metadata": nested(126) })).send().await.unwrap();
    assert_eq!(created.status(), 200);
    let refused = create(json!({ "name": "Deeper", "metadata": nested(127) })).send().await.unwrap();
    assert_eq!(refused.status(), 400, "one level more is refused by the API");
    let saved = api.sandbox.export_state("sk_deep").unwrap();

    // Into a running sandbox, from Rust and over the admin endpoint.
    let fresh = Api::with(Sandbox::builder().api_key("sk_deep")).await;
    fresh.sandbox.import_state("sk_deep", &saved).expect("its own export loads");
    assert_eq!(fresh.sandbox.export_state("sk_deep").unwrap(), saved);
    let put = fresh.http.put(fresh.url("/_sandbox/state")).header("X-API-Key", "sk_deep").body(saved.clone());
    let (status, body) = decode(put.send().await.unwrap()).await;
    assert_eq!((status, body), (200, json!({ "success": true })));

    // As a whole state file, at start (what --state reads and --save-on-exit writes).
    let file = api.sandbox.export_all();
    assert!(file.contains("\"deep\""), "the deep project is in the file");
    let restarted = Api::with(Sandbox::builder().state(file)).await;
    assert_eq!(restarted.sandbox.export_state("sk_deep").unwrap(), saved);
}

#[tokio::test]
async fn a_state_nested_deeper_than_any_the_sandbox_writes_is_refused_without_overflowing() {
    let api = Api::with(Sandbox::builder().api_key("sk_deep")).await;
    let hostile = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let error = api.sandbox.import_state("sk_deep", &hostile).unwrap_err();
    assert!(error.to_string().contains("levels deep"), "{error}");
    let file = format!(r#"{{"format": "credits-sandbox-state", "version": 1, "projects": {hostile}}}"#);
    let started = Sandbox::builder().state(file).start().await;
    assert!(started.is_err_and(|e| e.to_string().contains("levels deep")));
}

#[tokio::test]
async fn a_state_whose_rows_contradict_each_other_is_refused_naming_the_row() {
    let (api, _) = busy_project().await;
    let saved = api.sandbox.export_state("sk_saved").unwrap();
    let state: Value = serde_json::from_str(&saved).unwrap();
    let confirmed = state["reservations"].as_array().unwrap().iter().position(|r| r["status"] == "confirmed").unwrap();
    let debit = state["transactions"].as_array().unwrap().iter().position(|t| !t["reservationId"].is_null()).unwrap();
    let (alice, bob) = (state["accounts"][0]["id"].clone(), state["accounts"][1]["id"].clone());
    assert_eq!(state["transactions"][debit]["balanceAfter"], json!(138.25), "the confirm's debit ends alice's ledger");
    let tamper = |f: &dyn Fn(&mut Value)| {
        let mut copy = state.clone();
        f(&mut copy);
        copy.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        // The confirmed reservation moved to another account than its debit's.
        (tamper(&|s| s["reservations"][confirmed]["accountId"] = bob.clone()), "is not a debit of 12 from account"),
        // A second debit charged to the same reservation (the ledger and balance still add up).
        (
            tamper(&|s| {
                let transactions = s["transactions"].as_array_mut().unwrap();
                let mut refill = transactions[debit].clone();
                refill["id"] = json!("txn_refill");
                refill["kind"] = json!("credit");
                refill["reservationId"] = Value::Null;
                refill["balanceAfter"] = json!(150.25);
                let mut again = transactions[debit].clone();
                again["id"] = json!("txn_again");
                transactions.push(refill);
                transactions.push(again);
            }),
            "which it did not confirm",
        ),
        // A debit naming a reservation that does not exist.
        (tamper(&|s| s["transactions"][debit]["reservationId"] = json!("res_missing")), "`res_missing`"),
        // A plan period due before the assignment started.
        (tamper(&|s| s["accountPlans"][0]["nextEvent"] = json!("2000-01-01T00:00:00Z")), "outside its start and end"),
        // More grants than the assignment has had periods.
        (tamper(&|s| s["accountPlans"][0]["grants"] = json!(u64::MAX)), "more than its periods allow"),
        // An assignment started in year 1: 24,000 monthly periods to catch up on at once.
        (
            tamper(&|s| {
                s["accountPlans"][0]["startedAt"] = json!("0001-01-01T00:00:00Z");
                s["accountPlans"][0]["nextEvent"] = json!("0001-02-01T00:00:00Z");
            }),
            "periods are due by now",
        ),
    ];
    assert_ne!(alice, bob);
    for (text, expected) in &cases {
        let error = api.sandbox.import_state("sk_saved", text).unwrap_err();
        assert!(error.to_string().contains(expected), "{expected}: {error}");
        assert_eq!(api.sandbox.export_state("sk_saved").unwrap(), saved, "nothing was loaded");
    }
    // The same refusals over the admin endpoint and for a state file at start.
    let put = |body: String| api.http.put(api.url("/_sandbox/state")).header("X-API-Key", "sk_saved").body(body).send();
    let (text, expected) = &cases[5];
    let (status, body) = decode(put(text.clone()).await.unwrap()).await;
    error_code(status, &body, 400, "invalid_state");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains(expected)), "{body}");
    let file = json!({ "format": "credits-sandbox-state", "version": 1, "projects": { "sk_saved": serde_json::from_str::<Value>(text).unwrap() } });
    let started = Sandbox::builder().manual_clock(at("2025-01-31T09:00:00Z")).state(file.to_string()).start().await;
    assert!(started.is_err_and(|e| e.to_string().contains(expected)));
    assert_eq!(api.sandbox.export_state("sk_saved").unwrap(), saved);
}
