//! The escape hatches for what the spec does not know: undeclared response fields are kept and
//! readable, every call can return its raw response, and a call can carry extra body fields,
//! query parameters and headers, its own timeout and retries, through the same pipeline.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use credits_sdk::api::types;
use credits_sdk::{
    AccountRef, AddCredits, AssignPlan, CalculateCost, CallOptions, CreateAccount, CreatePlan, CreateReservation,
    CreateTransaction, CreditsClient, DeductCredits, Error, GetUsage, ListModels, ListReservations, ListTransactions,
    PlanInterval, RecordUsage, RetryPolicy, with_response,
};
use serde_json::json;
use serde_json::value::RawValue;
use support::capture::{Capture, TEST_KEY};
use support::hostile::{Hostile, Reply};

/// The undeclared field the proxy adds to every object, with a number no `f64` holds.
const PLANTED: &str = "xPlanted";
const PLANTED_VALUE: &str = "12345678901234567890.123456789";

/// A loopback proxy in front of a sandbox that adds `xPlanted` to every JSON object of every
/// answer, nested ones included (inside `metadata` too, where the spec allows any key).
struct Proxy {
    base_url: String,
    seen: Arc<Mutex<Vec<(Method, String)>>>,
    _server: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self._server.abort();
    }
}

#[derive(Clone)]
struct Upstream {
    base_url: String,
    http: reqwest::Client,
    seen: Arc<Mutex<Vec<(Method, String)>>>,
}

impl Proxy {
    async fn start(upstream: &str) -> Proxy {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = Upstream { base_url: upstream.to_owned(), http: reqwest::Client::new(), seen: seen.clone() };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let base_url = format!("http://{}", listener.local_addr().expect("local addr"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy { base_url, seen, _server: server }
    }
}

async fn forward(
    State(upstream): State<Upstream>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let target = format!("{}{}", upstream.base_url, uri.path_and_query().map_or("", |p| p.as_str()));
    upstream.seen.lock().unwrap().push((method.clone(), uri.to_string()));
    let mut request = upstream.http.request(method, target).body(body);
    for name in ["x-api-key", "content-type"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    let answer = request.send().await.expect("the sandbox answers");
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let request_id = answer.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_owned());
    let text = answer.text().await.expect("the sandbox's body");
    let planted = plant(serde_json::from_str(&text).expect("the sandbox answers JSON"));
    let mut response = (status, [("content-type", "application/json")], planted).into_response();
    if let Some(id) = request_id {
        response.headers_mut().insert("x-request-id", id.parse().unwrap());
    }
    response
}

/// `value` with `xPlanted` added to every object in it, keeping every number's digits; not to
/// `byModel`, a map whose every value must be a model's usage (its values get one).
fn plant(value: &RawValue) -> String {
    plant_unless(value, false)
}

fn plant_unless(value: &RawValue, map_of_objects: bool) -> String {
    if let Ok(object) = serde_json::from_str::<BTreeMap<String, &RawValue>>(value.get()) {
        let mut members = if map_of_objects { vec![] } else { vec![format!("{PLANTED:?}:{PLANTED_VALUE}")] };
        members.extend(
            object.iter().map(|(name, inner)| format!("{}:{}", json!(name), plant_unless(inner, name == "byModel"))),
        );
        return format!("{{{}}}", members.join(","));
    }
    if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(value.get()) {
        return format!("[{}]", items.iter().map(|item| plant(item)).collect::<Vec<_>>().join(","));
    }
    value.get().to_owned()
}

/// Runs one facade call through `with_response` and checks what it exposes: the top-level
/// planted field with its exact digits, each nested one expected, none inside a free-form
/// value, and the request id and status of the 2xx.
macro_rules! exposes {
    ($name:literal, $call:expr, [$($nested:literal),* $(,)?]) => {{
        let (_value, response) = with_response($call).await.unwrap_or_else(|e| panic!("{}: {e}", $name));
        assert!(response.status().is_success(), "{}", $name);
        assert!(response.request_id().is_some_and(|id| id.starts_with("req_sbx_")), "{}: {:?}", $name, response);
        let undeclared = response.undeclared_fields();
        let pointers: Vec<String> = undeclared.iter().map(|f| f.pointer.to_owned()).collect();
        assert_eq!(undeclared.get("/xPlanted").map(RawValue::get), Some(PLANTED_VALUE), "{}: {pointers:?}", $name);
        $( assert!(pointers.iter().any(|p| p == $nested), "{}: {} not among {pointers:?}", $name, $nested); )*
        for field in undeclared.iter() {
            assert!(field.pointer.ends_with("/xPlanted"), "{}: {} is not a planted field", $name, field.pointer);
            assert_eq!(field.value.get(), PLANTED_VALUE);
            assert!(!field.pointer.contains("/metadata/"), "{}: inside free-form metadata: {}", $name, field.pointer);
            assert_eq!(response.field(field.pointer).map(RawValue::get), Some(PLANTED_VALUE));
        }
        pointers.len()
    }};
}

#[tokio::test]
async fn every_facade_call_exposes_the_fields_the_spec_does_not_declare() {
    let sandbox = credits_sandbox::Sandbox::start().await.expect("start the sandbox");
    let proxy = Proxy::start(sandbox.base_url()).await;
    let client = CreditsClient::builder()
        .api_key(sandbox.api_key())
        .base_url(&proxy.base_url)
        .retry(support::fast_retries())
        .build()
        .unwrap();

    let (created, _) = with_response(
        client.create_account(CreateAccount::new("Ann").external_id("user_ann").metadata(json!({"team": "a"}))),
    )
    .await
    .unwrap();
    let ann = AccountRef::id(created.account.id.clone());
    exposes!(
        "create_account",
        client.create_account(CreateAccount::new("Bo").metadata(json!({"k": {"deep": 1}}))),
        ["/account/xPlanted"]
    );
    exposes!("list_accounts", client.list_accounts(), ["/accounts/0/xPlanted", "/accounts/1/xPlanted"]);
    exposes!("get_account", client.get_account(&ann), []);
    exposes!("get_balance", client.get_balance(&ann), []);
    exposes!("add_credits", client.add_credits(AddCredits::new(&ann, 1000)), []);
    exposes!("deduct_credits", client.deduct_credits(DeductCredits::new(&ann, 10)), []);
    let (plan, _) = with_response(client.create_plan(CreatePlan::new("Pro", 100, PlanInterval::Month))).await.unwrap();
    exposes!("create_plan", client.create_plan(CreatePlan::new("Team", 200, PlanInterval::Month)), ["/plan/xPlanted"]);
    exposes!("list_plans", client.list_plans(), ["/plans/0/xPlanted"]);
    exposes!(
        "assign_plan_to_account",
        client.assign_plan_to_account(AssignPlan::new(&ann, &plan.plan.id)),
        ["/accountPlan/xPlanted"]
    );
    exposes!("get_account_plans", client.get_account_plans(&ann), ["/plans/0/xPlanted", "/plans/0/plan/xPlanted"]);
    let (held, _) = with_response(client.create_reservation(CreateReservation::new(&ann, 50))).await.unwrap();
    exposes!(
        "create_reservation",
        client.create_reservation(CreateReservation::new(&ann, 5)),
        ["/reservation/xPlanted"]
    );
    exposes!("list_reservations", client.list_reservations(ListReservations::new(&ann)), ["/reservations/0/xPlanted"]);
    let (confirmed, _) =
        with_response(client.confirm_reservation(&held.reservation.id, 40)).await.expect("confirm through the proxy");
    let (other, _) = with_response(client.create_reservation(CreateReservation::new(&ann, 5))).await.unwrap();
    exposes!("cancel_reservation", client.cancel_reservation(&other.reservation.id), []);
    // A repeated confirm succeeds from the API's 409, and the raw response shows that 409.
    let (_, repeated) = with_response(client.confirm_reservation(&held.reservation.id, 40)).await.unwrap();
    assert_eq!(repeated.status(), StatusCode::CONFLICT);
    exposes!(
        "record_usage",
        client.record_usage(RecordUsage::customer(&ann, &confirmed.transaction_id, "gpt-4o").tokens(10, 5)),
        ["/usageRecord/xPlanted"]
    );
    exposes!("get_usage", client.get_usage(GetUsage::new().account(&ann)), ["/usageRecords/0/xPlanted"]);
    exposes!(
        "get_usage_summary",
        client.get_usage_summary(GetUsage::new().account(&ann)),
        ["/summary/xPlanted", "/summary/byModel/gpt-4o/xPlanted"]
    );
    exposes!(
        "list_transactions",
        client.list_transactions(ListTransactions::new().account(&ann)),
        ["/items/0/xPlanted", "/pagination/xPlanted"]
    );
    exposes!(
        "create_transaction",
        client.create_transaction(CreateTransaction::credit(&ann, 5)),
        ["/transaction/xPlanted"]
    );
    exposes!(
        "list_models",
        client.list_models(ListModels::new()),
        ["/models/0/xPlanted", "/models/0/pricing/xPlanted"]
    );
    exposes!("get_model", client.get_model("gpt-4o"), []);
    exposes!(
        "calculate_cost",
        client.calculate_cost(CalculateCost::new("gpt-4o").tokens(1000, 10)),
        ["/pricing/xPlanted"]
    );
    exposes!("archive_plan", client.archive_plan(&plan.plan.id), ["/plan/xPlanted"]);
    // The proxy saw every call (nothing was answered from elsewhere).
    assert!(proxy.seen.lock().unwrap().len() >= 28);
}

#[tokio::test]
async fn builders_return_the_raw_response_with_their_value() {
    let (sandbox, client) = support::sandbox().await;
    let account = support::funded_account(&client, 100).await;
    let AccountRef::Id(id) = &account else { panic!("an id") };
    let (value, response) = with_response(client.api().get_balance().account_id(id.as_str()).send()).await.unwrap();
    assert_eq!(value.status(), response.status());
    assert_eq!(response.operation(), "get_balance");
    assert!(response.request_id().is_some_and(|id| id.starts_with("req_sbx_")));
    let body: types::Balance = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body.available, value.into_inner().available);
    assert!(response.undeclared_fields().is_empty(), "the sandbox answers only what the spec declares");
    // An error is the call's error; the error carries the request id.
    let missing = with_response(client.get_balance(AccountRef::id("acc_missing"))).await.unwrap_err();
    assert!(missing.api_error().and_then(|e| e.request_id.as_deref()).is_some_and(|id| id.starts_with("req_sbx_")));
    drop(sandbox);
}

#[tokio::test]
async fn a_call_that_sends_nothing_has_no_raw_response() {
    let outcome: credits_sdk::Result<(u8, _)> = with_response(async { Ok(1u8) }).await;
    assert!(matches!(outcome, Err(Error::InvalidInput(m)) if m.contains("no request")));
}

fn facade_for(capture: &Capture) -> CreditsClient {
    CreditsClient::builder()
        .api_key(TEST_KEY)
        .base_url(capture.base_url())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

#[tokio::test]
async fn extra_body_fields_reach_the_server_with_exact_values() {
    let capture = Capture::start().await;
    capture
        .reply(200, r#"{"success": true, "accountId": "acc_1", "balance": 10, "added": 10, "transactionId": "txn_1"}"#);
    let client = facade_for(&capture);
    let options = CallOptions::new()
        .extra_body("campaign", json!({ "id": "spring", "tier": 2 }))
        .extra_body("bonus", "1234567890.123456789".parse::<credits_sdk::Credits>().unwrap());
    client.with_options(options.clone()).add_credits(AddCredits::new(AccountRef::external("u_1"), 10)).await.unwrap();
    let sent = capture.take_one();
    let body = sent.json();
    assert_eq!(body["campaign"], json!({ "id": "spring", "tier": 2 }));
    assert_eq!(body["externalId"], "u_1");
    assert_eq!(body["amount"], 10);
    let text = String::from_utf8(sent.body.to_vec()).unwrap();
    assert!(text.contains(r#""bonus":1234567890.123456789"#), "{text}");
    assert_eq!(sent.header("x-api-key"), Some(TEST_KEY));

    // The same options through a builder.
    let grant = types::AddCreditsRequest::builder().external_id(Some("u_2".into())).amount(5);
    let request: types::AddCreditsRequest = grant.try_into().unwrap();
    credits_sdk::api::with_options(options, client.api().add_credits().body(request).send()).await.unwrap();
    assert_eq!(capture.take_one().json()["campaign"]["id"], "spring");
}

#[tokio::test]
async fn clashing_or_misplaced_extras_are_refused_before_sending() {
    let capture = Capture::start().await;
    let client = facade_for(&capture);
    let grant = || AddCredits::new(AccountRef::external("u_1"), 10);
    let cases = [
        ("a declared body field", CallOptions::new().extra_body("amount", 5)),
        ("a declared optional body field", CallOptions::new().extra_body("paymentMethod", "card")),
        ("a field given twice", CallOptions::new().extra_body("x", 1).extra_body("x", 2)),
        ("the key header", CallOptions::new().extra_header("X-API-Key", "sk_other")),
        ("the host header", CallOptions::new().extra_header("Host", "evil.example")),
        ("the body's type", CallOptions::new().extra_header("content-type", "text/plain")),
        ("a header value with a newline", CallOptions::new().extra_header("x-note", "a\nb")),
    ];
    for (case, options) in cases {
        let error = client.with_options(options).add_credits(grant()).await.unwrap_err();
        assert!(matches!(error, Error::InvalidInput(_)), "{case}: {error:?}");
        assert!(!error.to_string().contains("sk_other") && !error.to_string().contains("evil"), "{case}: {error}");
    }
    // A body field on a call without a body, a declared query parameter.
    let error = client
        .with_options(CallOptions::new().extra_body("x", 1))
        .get_balance(AccountRef::external("u_1"))
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::InvalidInput(m) if m.contains("no JSON body")), "{error:?}");
    let error = client
        .with_options(CallOptions::new().extra_query("externalId", "u_2"))
        .get_balance(AccountRef::external("u_1"))
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::InvalidInput(m) if m.contains("externalId")), "{error:?}");
    // Through the builders too (the error converts with `?`).
    let builder_error: Error = credits_sdk::api::with_options(
        CallOptions::new().extra_header("user-agent", "x"),
        client.api().get_balance().external_id("u_1").send(),
    )
    .await
    .unwrap_err()
    .into();
    assert!(matches!(builder_error, Error::InvalidInput(_)), "{builder_error:?}");
    assert_eq!(capture.count(), 0, "nothing was sent");
}

#[tokio::test]
async fn extra_query_and_headers_reach_the_server_and_cannot_touch_the_key() {
    let capture = Capture::start().await;
    capture.reply(200, r#"{"accountId": "acc_1", "balance": 1, "reserved": 0, "available": 1}"#);
    let client = facade_for(&capture);
    let options = CallOptions::new()
        .extra_query("expand", "plan & more")
        .extra_header("x-trace-id", "trace-secret-123")
        .extra_header("accept-language", "fr");
    assert!(!format!("{options:?}").contains("trace-secret-123"));
    client.with_options(options).get_balance(AccountRef::external("u_1")).await.unwrap();
    let sent = capture.take_one();
    let query = sent.query.clone().unwrap_or_default();
    assert!(query.contains("externalId=u_1") && query.contains("expand=plan+%26+more"), "{query}");
    assert_eq!(sent.header("x-trace-id"), Some("trace-secret-123"));
    assert_eq!(sent.header("accept-language"), Some("fr"));
    assert_eq!(sent.header("x-api-key"), Some(TEST_KEY));
    assert_eq!(sent.headers.get_all("x-api-key").iter().count(), 1);
}

#[tokio::test]
async fn a_per_call_retry_policy_and_timeout_replace_the_clients() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let counted = attempts.clone();
    let server = Hostile::start(move |_, _| {
        counted.fetch_add(1, Ordering::SeqCst);
        Reply::json(503, r#"{"error": {"code": "unavailable", "message": "try later"}}"#)
    })
    .await;
    let client = CreditsClient::builder()
        .api_key(TEST_KEY)
        .base_url(server.url())
        .retry(support::fast_retries().max_attempts(4))
        .build()
        .unwrap();
    let balance = || client.get_balance(AccountRef::external("u_1"));
    assert!(balance().await.is_err());
    assert_eq!(attempts.swap(0, Ordering::SeqCst), 4, "the client's policy: 4 attempts");
    let once = client.with_options(CallOptions::new().retry(RetryPolicy::disabled()));
    assert!(once.get_balance(AccountRef::external("u_1")).await.is_err());
    assert_eq!(attempts.swap(0, Ordering::SeqCst), 1, "the call's policy: 1 attempt");

    // The call's attempt timeout: a server that never answers ends the attempt with a timeout.
    let stalled = Hostile::always(Reply::Stall).await;
    let client = CreditsClient::builder().api_key(TEST_KEY).base_url(stalled.url()).build().unwrap();
    let quick = CallOptions::new().attempt_timeout(std::time::Duration::from_millis(50)).retry(RetryPolicy::disabled());
    let error = client.with_options(quick).get_balance(AccountRef::external("u_1")).await.unwrap_err();
    assert!(matches!(&error, Error::Transport(t) if t.is_timeout()), "{error:?}");
}

#[tokio::test]
async fn every_retry_sends_the_first_attempts_request_again_call_options_included() {
    // The pipeline sends the request itself first and builds it again only for a retry: each
    // attempt must reach the server byte for byte the same (body, query, key, extra headers).
    let server = Hostile::always(Reply::json(503, r#"{"error": {"code": "unavailable", "message": "later"}}"#)).await;
    let client = CreditsClient::builder()
        .api_key(TEST_KEY)
        .base_url(server.url())
        .retry(support::fast_retries().max_attempts(3))
        .build()
        .unwrap();
    let traced = client.with_options(CallOptions::new().extra_header("x-trace-id", "t-1").extra_query("debug", "1"));
    assert!(traced.confirm_reservation("res_1", 42).await.is_err());
    let received = server.received();
    assert_eq!(received.len(), 3, "three attempts");
    let first = &received[0];
    assert!(first.path().starts_with("/v1/reservations/confirm") && first.path().contains("debug=1"), "{}", first.head);
    let head = first.head.to_ascii_lowercase();
    assert!(head.contains("x-trace-id: t-1") && head.contains(&format!("x-api-key: {TEST_KEY}")), "{head}");
    let body: serde_json::Value = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(body, serde_json::json!({ "reservationId": "res_1", "actualAmount": 42 }));
    for retry in &received[1..] {
        assert_eq!(retry.head, first.head);
        assert_eq!(retry.body, first.body);
    }
}
