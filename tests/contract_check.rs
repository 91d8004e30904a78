//! The contract check (`cargo run --example contract_check`): against the sandbox it finds no
//! drift; against a server that differs from the spec it finds every planted difference; the
//! exchanges recorded against the sandbox (`tests/fixtures/contract/`) still pass through the
//! spec and the generated types.

#[path = "../examples/contract_check/check.rs"]
mod check;
#[path = "../examples/contract_check/decode.rs"]
mod decode;
#[path = "../examples/contract_check/spec.rs"]
mod spec;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

fn load() -> spec::Spec {
    spec::Spec::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))).expect("the spec")
}

#[tokio::test]
async fn the_sandbox_shows_no_drift() {
    let spec = load();
    let sandbox = credits_sandbox::Sandbox::start().await.expect("start the sandbox");
    let target = check::Target { base_url: sandbox.base_url().to_owned(), api_key: sandbox.api_key().to_owned() };
    let report = check::run(&spec, &target).await;
    let text = report.text(&spec);
    assert!(!report.drift(), "{text}");
    // Every operation of the spec ran.
    for (operation, findings) in report.by_operation(&spec) {
        assert!(!findings.is_empty(), "{operation} did not run:\n{text}");
    }
    // The deliberate failures ran and were answered as the spec says.
    for (operation, case, status) in [
        ("deduct_credits", "insufficient credits", 402),
        ("create_reservation", "insufficient credits", 402),
        ("get_balance", "unknown account", 404),
        ("get_balance", "bad key", 401),
        ("confirm_reservation", "double confirm", 409),
        ("confirm_reservation", "confirm after cancel", 409),
    ] {
        let finding = report.findings.iter().find(|f| f.operation == operation && f.case == case);
        assert_eq!(finding.and_then(|f| f.status), Some(status), "{operation} ({case})\n{text}");
    }
    let json = report.json(&spec);
    assert_eq!(json["drift"], json!(false));
}

#[test]
fn recorded_fixtures_replay_through_the_spec_and_the_generated_types() {
    let spec = load();
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/contract"));
    let mut exchanges = Vec::new();
    let mut files: Vec<_> =
        std::fs::read_dir(dir).expect("tests/fixtures/contract").flatten().map(|e| e.path()).collect();
    files.sort();
    for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "json")) {
        let text = std::fs::read_to_string(file).expect("a fixture");
        let exchange: check::Exchange =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        exchanges.push(exchange);
    }
    assert!(exchanges.len() >= 30, "only {} fixtures", exchanges.len());
    let problems: Vec<_> = check::replay(&spec, &exchanges).into_iter().filter(|(_, p)| !p.is_empty()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    for op in spec.operations() {
        assert!(exchanges.iter().any(|e| e.operation == op.id), "no fixture for {}", op.id);
    }
}

/// A server built from the spec's own examples, with differences planted in some operations.
struct Fake {
    spec: spec::Spec,
    reservations: Mutex<(u32, HashMap<String, &'static str>)>,
}

const FAKE_KEY: &str = "sk_fake_contract";

fn error(status: StatusCode, code: &str, details: Option<Value>) -> Response {
    let mut body = json!({ "success": false, "error": { "code": code, "message": code.replace('_', " ") } });
    if let Some(details) = details {
        body["error"]["details"] = details;
    }
    (status, axum::Json(body)).into_response()
}

impl Fake {
    fn example(&self, operation: &str, name: Option<&str>) -> Value {
        let op = self.spec.operations().into_iter().find(|op| op.id == operation).expect("an operation");
        let media = op.responses.iter().find(|(code, _)| code == "200").and_then(|(_, m)| m.clone()).expect("a 200");
        let examples = media["examples"].as_object().expect("examples").clone();
        let example = match name {
            Some(name) => &examples[name],
            None => examples.values().next().expect("an example"),
        };
        example["value"].clone()
    }

    fn answer(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Response {
        if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(FAKE_KEY) {
            return error(StatusCode::UNAUTHORIZED, "unauthorized", None);
        }
        let Some(op) =
            self.spec.operations().into_iter().find(|op| op.method == method.as_str() && op.path == uri.path())
        else {
            return error(StatusCode::NOT_FOUND, "not_found", None);
        };
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let query: HashMap<String, String> =
            url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
        let account = body["accountId"].as_str().map(str::to_owned).or_else(|| query.get("accountId").cloned());
        if account.is_some_and(|a| a.contains("unknown")) {
            return error(StatusCode::NOT_FOUND, "account_not_found", None);
        }
        let too_much = body["amount"].as_u64().is_some_and(|a| a >= 1_000_000);
        let ok = |value: Value| (StatusCode::OK, axum::Json(value)).into_response();
        let reservation = body["reservationId"].as_str().unwrap_or_default().to_owned();
        let mut state = self.reservations.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match op.id.as_str() {
            // Planted: another error shape.
            "deduct_credits" if too_much => {
                (StatusCode::PAYMENT_REQUIRED, axum::Json(json!({ "error": "insufficient credits" }))).into_response()
            }
            "create_reservation" if too_much => error(StatusCode::PAYMENT_REQUIRED, "insufficient_credits", None),
            "create_reservation" => {
                state.0 += 1;
                let id = format!("res_{}", state.0);
                state.1.insert(id.clone(), "pending");
                let mut value = self.example("create_reservation", None);
                value["reservation"]["id"] = json!(id);
                ok(value)
            }
            "confirm_reservation" => match state.1.get(&reservation).copied() {
                Some("confirmed") => error(
                    StatusCode::CONFLICT,
                    "reservation_not_pending",
                    Some(json!({ "status": "confirmed", "actualAmount": 85, "transactionId": "txn_xyz789" })),
                ),
                Some("cancelled") => {
                    error(StatusCode::CONFLICT, "reservation_not_pending", Some(json!({ "status": "cancelled" })))
                }
                _ => {
                    state.1.insert(reservation.clone(), "confirmed");
                    let mut value = self.example("confirm_reservation", Some("reference"));
                    value["reservationId"] = json!(reservation);
                    ok(value)
                }
            },
            "cancel_reservation" => {
                state.1.insert(reservation.clone(), "cancelled");
                let mut value = self.example("cancel_reservation", None);
                value["reservationId"] = json!(reservation);
                ok(value)
            }
            // Planted: another status.
            "add_credits" => (StatusCode::CREATED, axum::Json(self.example("add_credits", None))).into_response(),
            // Planted: a field the spec does not know.
            "create_account" => {
                let mut value = self.example("create_account", None);
                value["account"]["tier"] = json!("gold");
                ok(value)
            }
            // Planted: a required field missing.
            "get_balance" => {
                let mut value = self.example("get_balance", None);
                value.as_object_mut().map(|o| o.remove("available"));
                ok(value)
            }
            // Planted: a renamed field.
            "list_transactions" => {
                let mut value = self.example("list_transactions", None);
                if let Some(pagination) = value["pagination"].as_object_mut()
                    && let Some(more) = pagination.remove("hasMore")
                {
                    pagination.insert("has_more".into(), more);
                }
                ok(value)
            }
            // Planted: a type mismatch.
            "get_account" => {
                let mut value = self.example("get_account", None);
                value["balance"] = json!("500");
                ok(value)
            }
            // Planted: a value outside the enum.
            "list_reservations" => {
                let mut value = self.example("list_reservations", None);
                value["reservations"][0]["status"] = json!("on_hold");
                ok(value)
            }
            "get_usage" if query.get("summary").is_some_and(|s| s == "true") => {
                ok(self.example("get_usage", Some("reference_summary")))
            }
            "list_models" if query.contains_key("modelId") => ok(self.example("list_models", Some("reference_one"))),
            other => ok(self.example(other, None)),
        }
    }
}

#[tokio::test]
async fn every_planted_difference_is_found() {
    let fake = Arc::new(Fake { spec: load(), reservations: Mutex::new((0, HashMap::new())) });
    let router = axum::Router::new().fallback({
        let fake = fake.clone();
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let fake = fake.clone();
            async move { fake.answer(&method, &uri, &headers, &body) }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let spec = load();
    let target = check::Target { base_url: format!("http://{address}"), api_key: FAKE_KEY.to_owned() };
    let report = check::run(&spec, &target).await;
    server.abort();
    let text = report.text(&spec);
    assert!(report.drift(), "{text}");

    let problems = |operation: &str, case: &str| -> String {
        report
            .findings
            .iter()
            .filter(|f| f.operation == operation && f.case == case)
            .flat_map(|f| f.problems.clone())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let planted = [
        ("create_account", "ok", "field the spec does not know: /account `tier`"),
        ("get_balance", "ok", "required field missing: / `available`"),
        ("list_transactions", "ok", "required field missing: /pagination `hasMore`"),
        ("list_transactions", "ok", "field the spec does not know: /pagination `has_more`"),
        ("add_credits", "ok", "status 201 is not in the spec for this operation"),
        ("deduct_credits", "insufficient credits", "`error` is a string, not an object"),
        ("deduct_credits", "insufficient credits", "`success` is not `false`"),
        ("get_account", "by id", "type mismatch at /balance"),
        ("list_reservations", "active only", "enum mismatch at /reservations/0/status"),
    ];
    for (operation, case, expected) in planted {
        assert!(
            problems(operation, case).contains(expected),
            "{operation} ({case}): {expected:?} not found in\n{text}"
        );
    }
    // The SDK's own view of the same answers: it cannot decode the missing and mistyped fields.
    assert!(problems("get_balance", "ok").contains("the SDK cannot decode it as Balance"), "{text}");
    // The one-line summary marks them, and only them, as drifting.
    let drifting: Vec<&str> =
        text.lines().filter(|l| l.starts_with("DRIFT ")).filter_map(|l| l.split_whitespace().nth(1)).collect();
    let mut expected: Vec<&str> = planted.iter().map(|(op, _, _)| *op).collect();
    expected.dedup();
    expected.sort();
    let mut drifting_sorted = drifting.clone();
    drifting_sorted.sort();
    assert_eq!(drifting_sorted, expected, "{text}");
}
