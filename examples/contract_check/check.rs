//! The contract check itself: runs every operation of the spec against a target (the real
//! API or a sandbox), on an account created for the run, including deliberate failures; checks
//! each raw response against the spec's schema for its operation and status, and against what
//! the SDK assumes of error bodies; cleans up after itself.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::decode::{decoder, schema_name};
use crate::spec::Spec;

/// Where to run the check.
#[derive(Clone, Debug)]
pub struct Target {
    /// e.g. `https://api.credits.dev`.
    pub base_url: String,
    /// The API key, sent as `X-API-Key`.
    pub api_key: String,
}

/// One request and its answer, as sent and received: what `--record` saves as a fixture.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Exchange {
    /// The operation's `operationId`.
    pub operation: String,
    /// What the step checks, e.g. `ok` or `insufficient credits`.
    pub case: String,
    /// `GET` or `POST`.
    pub method: String,
    /// Path and query string.
    pub path: String,
    /// The JSON body sent, if any.
    pub request: Option<Value>,
    /// The status received.
    pub status: u16,
    /// The body received, as text.
    pub body: String,
}

/// What one step found.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The operation's `operationId`.
    pub operation: String,
    /// What the step checks.
    pub case: String,
    /// What was expected, e.g. `2xx` or `402 insufficient_credits`.
    pub expected: String,
    /// The status seen (`None`: no answer).
    pub status: Option<u16>,
    /// The error body's shape, for error answers, e.g. `{success, error: {code, message}}`.
    pub error_shape: Option<String>,
    /// Every difference from the spec or from what the SDK assumes; empty when none.
    pub problems: Vec<String>,
}

/// The whole run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The base URL checked.
    pub target: String,
    /// One finding per step, in order.
    pub findings: Vec<Finding>,
    /// Every exchange, for `--record`.
    #[serde(skip)]
    pub exchanges: Vec<Exchange>,
}

/// What the SDK assumes an error body looks like.
pub const ASSUMED_ERROR_SHAPE: &str = r#"{"success": false, "error": {"code", "message", "details"}}"#;

impl Report {
    /// Whether anything differs from the spec.
    pub fn drift(&self) -> bool {
        self.findings.iter().any(|f| !f.problems.is_empty())
    }

    /// The findings of each operation of the spec, ordered by path (an operation no step
    /// reached has none).
    pub fn by_operation<'a>(&'a self, spec: &Spec) -> Vec<(String, Vec<&'a Finding>)> {
        spec.operations()
            .into_iter()
            .map(|op| {
                let found = self.findings.iter().filter(|f| f.operation == op.id).collect();
                (op.id, found)
            })
            .collect()
    }

    /// One line per operation, then the details of every difference.
    pub fn text(&self, spec: &Spec) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "contract check against {}", self.target);
        let mut details = String::new();
        for (operation, findings) in self.by_operation(spec) {
            let statuses: Vec<String> =
                findings.iter().map(|f| f.status.map_or_else(|| "no answer".to_owned(), |s| s.to_string())).collect();
            let problems: usize = findings.iter().map(|f| f.problems.len()).sum();
            let verdict = if findings.is_empty() {
                "NOT RUN"
            } else if problems == 0 {
                "ok"
            } else {
                "DRIFT"
            };
            let _ = writeln!(
                out,
                "{verdict:<8} {operation:<24} {:<3} step(s), status {}{}",
                findings.len(),
                if statuses.is_empty() { "-".to_owned() } else { statuses.join(", ") },
                if problems > 0 { format!(", {problems} difference(s)") } else { String::new() }
            );
            for finding in findings.iter().filter(|f| !f.problems.is_empty()) {
                let _ = writeln!(
                    details,
                    "\n{operation} ({}): expected {}, saw {}",
                    finding.case,
                    finding.expected,
                    finding.status.map_or_else(|| "no answer".to_owned(), |s| s.to_string())
                );
                if let Some(shape) = &finding.error_shape {
                    let _ = writeln!(details, "  error body seen: {shape}; the SDK assumes {ASSUMED_ERROR_SHAPE}");
                }
                for problem in &finding.problems {
                    let _ = writeln!(details, "  - {problem}");
                }
            }
        }
        for finding in self.findings.iter().filter(|f| !spec.operations().iter().any(|op| op.id == f.operation)) {
            let _ = writeln!(details, "\n{} ({}): {}", finding.operation, finding.case, finding.problems.join("; "));
        }
        out.push_str(&details);
        let _ = writeln!(
            out,
            "\n{}",
            if self.drift() { "DRIFT: the target differs from openapi.yaml" } else { "no drift" }
        );
        out
    }

    /// The report as JSON: `{target, drift, operations: [{operation, verdict, steps: [..]}]}`.
    pub fn json(&self, spec: &Spec) -> Value {
        let operations: Vec<Value> = self
            .by_operation(spec)
            .into_iter()
            .map(|(operation, findings)| {
                let drift = findings.iter().any(|f| !f.problems.is_empty());
                let verdict = if findings.is_empty() {
                    "not_run"
                } else if drift {
                    "drift"
                } else {
                    "ok"
                };
                json!({ "operation": operation, "verdict": verdict, "steps": findings })
            })
            .collect();
        json!({ "target": self.target, "drift": self.drift(), "assumedErrorShape": ASSUMED_ERROR_SHAPE,
                "operations": operations, "findings": self.findings })
    }

    /// Saves every exchange as `DIR/NN_operation_case.json`.
    pub fn record(&self, dir: &std::path::Path) -> Result<usize, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        for (n, exchange) in self.exchanges.iter().enumerate() {
            let case: String = exchange.case.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
            let path = dir.join(format!("{n:02}_{}_{case}.json", exchange.operation));
            let text = serde_json::to_string_pretty(exchange).map_err(|e| e.to_string())?;
            std::fs::write(&path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(self.exchanges.len())
    }
}

/// What a step expects.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Success,
    Error(u16, &'static str),
}

impl Expect {
    fn describe(self) -> String {
        match self {
            Expect::Success => "2xx".to_owned(),
            Expect::Error(status, code) => format!("{status} {code}"),
        }
    }
}

/// What a retried confirm relies on in a 409 `reservation_not_pending`.
struct Landed {
    status: &'static str,
    actual_amount: Option<credits_sdk::Credits>,
    transaction_id: Option<String>,
}

struct Runner<'a> {
    spec: &'a Spec,
    http: credits_sdk::reqwest::Client,
    target: Target,
    report: Report,
    /// Holds made by the run and not settled yet: cancelled at the end.
    open_holds: Vec<String>,
}

/// Runs the whole check. Never panics on what the target answers: every surprise is a finding.
pub async fn run(spec: &Spec, target: &Target) -> Report {
    let http = match credits_sdk::api::http_client_builder().timeout(std::time::Duration::from_secs(30)).build() {
        Ok(http) => http,
        Err(e) => {
            let mut report = Report { target: target.base_url.clone(), ..Report::default() };
            report.findings.push(Finding {
                operation: "setup".into(),
                case: "http client".into(),
                expected: "a client".into(),
                status: None,
                error_shape: None,
                problems: vec![format!("cannot build the HTTP client: {e}")],
            });
            return report;
        }
    };
    let mut runner = Runner {
        spec,
        http,
        target: target.clone(),
        report: Report { target: target.base_url.clone(), ..Report::default() },
        open_holds: Vec::new(),
    };
    runner.scenario().await;
    runner.report
}

/// A run-unique suffix for names and external ids.
fn unique() -> String {
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    format!("{}_{millis}", std::process::id())
}

fn text_at(value: &Option<Value>, pointer: &str) -> Option<String> {
    value.as_ref()?.pointer(pointer)?.as_str().map(str::to_owned)
}

impl Runner<'_> {
    async fn scenario(&mut self) {
        let run = unique();
        let external = format!("contract_check_{run}");

        // Account: created for this run; every write below names it.
        let created = self
            .call(
                "create_account",
                "ok",
                &[],
                Some(json!({ "name": "Contract check", "externalId": external, "metadata": { "purpose": "contract check" } })),
                Expect::Success,
                None,
            )
            .await;
        let Some(account) = text_at(&created, "/account/id") else {
            self.stop("create_account gave no `account.id`: nothing else can run on an account of our own");
            return;
        };
        let by_id = [("accountId", account.clone())];
        self.call("list_accounts", "ok", &[], None, Expect::Success, None).await;
        self.call("get_account", "by id", &by_id, None, Expect::Success, None).await;
        self.call("get_account", "by external id", &[("externalId", external.clone())], None, Expect::Success, None)
            .await;
        self.call("get_balance", "ok", &[("externalId", external.clone())], None, Expect::Success, None).await;
        let unknown = [("accountId", format!("acc_contract_check_unknown_{run}"))];
        self.call("get_balance", "unknown account", &unknown, None, Expect::Error(404, "account_not_found"), None)
            .await;
        self.call(
            "get_balance",
            "bad key",
            &by_id,
            None,
            Expect::Error(401, "unauthorized"),
            Some("sk_contract_check_bad"),
        )
        .await;
        self.call("get_account_plans", "ok", &by_id, None, Expect::Success, None).await;

        // Credits.
        let body = json!({ "accountId": account, "amount": 1000, "description": "Contract check grant",
                           "paymentMethod": "contract-check", "metadata": { "run": run } });
        self.call("add_credits", "ok", &[], Some(body), Expect::Success, None).await;
        let body = json!({ "accountId": account, "amount": 50, "description": "Contract check deduction" });
        self.call("deduct_credits", "ok", &[], Some(body), Expect::Success, None).await;
        let body = json!({ "accountId": account, "amount": 1_000_000_000 });
        self.call(
            "deduct_credits",
            "insufficient credits",
            &[],
            Some(body),
            Expect::Error(402, "insufficient_credits"),
            None,
        )
        .await;
        let body = json!({ "accountId": account, "amount": 10, "type": "credit", "description": "Contract check adjustment",
                           "metadata": { "reason": "contract check" } });
        self.call("create_transaction", "ok", &[], Some(body), Expect::Success, None).await;
        let page = [("accountId", account.clone()), ("limit", "5".to_owned()), ("offset", "0".to_owned())];
        self.call("list_transactions", "ok", &page, None, Expect::Success, None).await;

        // Plans: one created for the run, archived at the end.
        let plan = self
            .call(
                "create_plan",
                "ok",
                &[],
                Some(json!({ "name": format!("Contract check {run}"), "amount": 10, "interval": "month" })),
                Expect::Success,
                None,
            )
            .await;
        let plan_id = text_at(&plan, "/plan/id");
        self.call("list_plans", "ok", &[], None, Expect::Success, None).await;
        if let Some(plan_id) = &plan_id {
            let body = json!({ "accountId": account, "planId": plan_id, "startMode": "next_period" });
            self.call("assign_plan_to_account", "ok", &[], Some(body), Expect::Success, None).await;
            self.call("get_account_plans", "after assignment", &by_id, None, Expect::Success, None).await;
        } else {
            self.note("assign_plan_to_account", "create_plan gave no `plan.id`; not run");
        }

        // Reservations: confirm, a double confirm, cancel, a confirm after cancel, too much.
        let held = self.reserve(&account, 100, "ok").await;
        self.call(
            "list_reservations",
            "active only",
            &[("accountId", account.clone()), ("activeOnly", "true".into())],
            None,
            Expect::Success,
            None,
        )
        .await;
        let mut transaction_id = None;
        if let Some(reservation) = &held {
            let body = json!({ "reservationId": reservation, "actualAmount": 85 });
            let confirmed =
                self.call("confirm_reservation", "ok", &[], Some(body.clone()), Expect::Success, None).await;
            if confirmed.is_some() {
                self.open_holds.retain(|id| id != reservation);
            }
            transaction_id = text_at(&confirmed, "/transactionId");
            let landed = Landed {
                status: "confirmed",
                actual_amount: Some(credits_sdk::Credits::from(85)),
                transaction_id: transaction_id.clone(),
            };
            self.call_landed("confirm_reservation", "double confirm", body, landed).await;
        }
        if let Some(reservation) = self.reserve(&account, 100, "to cancel").await {
            let body = json!({ "reservationId": reservation });
            if self.call("cancel_reservation", "ok", &[], Some(body), Expect::Success, None).await.is_some() {
                self.open_holds.retain(|id| *id != reservation);
            }
            let body = json!({ "reservationId": reservation, "actualAmount": 10 });
            let landed = Landed { status: "cancelled", actual_amount: None, transaction_id: None };
            self.call_landed("confirm_reservation", "confirm after cancel", body, landed).await;
        }
        let body = json!({ "accountId": account, "amount": 1_000_000_000 });
        if let Some(reservation) = self
            .call(
                "create_reservation",
                "insufficient credits",
                &[],
                Some(body),
                Expect::Error(402, "insufficient_credits"),
                None,
            )
            .await
            .and_then(|v| v.pointer("/reservation/id").and_then(Value::as_str).map(str::to_owned))
        {
            // Accepted against the spec: release it.
            self.call(
                "cancel_reservation",
                "cleanup",
                &[],
                Some(json!({ "reservationId": reservation })),
                Expect::Success,
                None,
            )
            .await;
        }
        self.call("list_reservations", "all", &by_id, None, Expect::Success, None).await;

        // Usage, tied to the confirm's transaction.
        match &transaction_id {
            Some(transaction) => {
                let body = json!({ "context": "customer", "accountId": account, "transactionId": transaction,
                                   "modelId": "gpt-4o", "usageType": "text", "inputTokens": 1000, "outputTokens": 85,
                                   "description": "Contract check" });
                self.call("record_usage", "ok", &[], Some(body), Expect::Success, None).await;
            }
            None => self.note("record_usage", "no transaction id from the confirm; not run"),
        }
        self.call("get_usage", "records", &by_id, None, Expect::Success, None).await;
        let summary = [("accountId", account.clone()), ("summary", "true".into()), ("context", "customer".into())];
        self.call("get_usage", "summary", &summary, None, Expect::Success, None).await;

        // Models.
        self.call("list_models", "list", &[], None, Expect::Success, None).await;
        self.call("list_models", "one model", &[("modelId", "gpt-4o".into())], None, Expect::Success, None).await;
        let body = json!({ "modelId": "gpt-4o", "inputTokens": 5000, "outputTokens": 1000, "cachedTokens": 2000 });
        self.call("calculate_cost", "ok", &[], Some(body), Expect::Success, None).await;

        // Cleanup: holds a failed step left open are cancelled; the plan is archived (archive
        // is itself checked).
        for reservation in std::mem::take(&mut self.open_holds) {
            let body = json!({ "reservationId": reservation });
            self.call("cancel_reservation", "cleanup", &[], Some(body), Expect::Success, None).await;
        }
        if let Some(plan_id) = plan_id {
            self.call("archive_plan", "ok (cleanup)", &[], Some(json!({ "planId": plan_id })), Expect::Success, None)
                .await;
        }
    }

    async fn reserve(&mut self, account: &str, amount: u64, case: &str) -> Option<String> {
        let body = json!({ "accountId": account, "amount": amount, "operation": "contract-check", "model": "gpt-4o",
                           "metadata": { "check": case } });
        let created = self.call("create_reservation", case, &[], Some(body), Expect::Success, None).await;
        let id = text_at(&created, "/reservation/id");
        self.open_holds.extend(id.clone());
        id
    }

    fn stop(&mut self, why: &str) {
        self.note("setup", why);
    }

    fn note(&mut self, operation: &str, problem: &str) {
        self.report.findings.push(Finding {
            operation: operation.to_owned(),
            case: "not run".into(),
            expected: "to run".into(),
            status: None,
            error_shape: None,
            problems: vec![problem.to_owned()],
        });
    }

    /// A confirm that must be refused with 409 `reservation_not_pending`, whose details must
    /// tell what the reservation became.
    async fn call_landed(&mut self, operation: &str, case: &str, body: Value, landed: Landed) {
        let answer =
            self.call(operation, case, &[], Some(body), Expect::Error(409, "reservation_not_pending"), None).await;
        let Some(answer) = answer else { return };
        let mut problems = Vec::new();
        let details = answer.pointer("/error/details");
        match details.and_then(|d| d.get("status")).and_then(Value::as_str) {
            Some(status) if status == landed.status => {}
            Some(status) => problems.push(format!("error.details.status is `{status}`, expected `{}`", landed.status)),
            None => problems.push(
                "error.details.status is missing: a retried confirm cannot tell that its first attempt landed"
                    .to_owned(),
            ),
        }
        if let Some(expected) = landed.actual_amount {
            let seen =
                details.and_then(|d| d.get("actualAmount")).map(|v| v.to_string().parse::<credits_sdk::Credits>());
            match seen {
                Some(Ok(amount)) if amount == expected => {}
                Some(Ok(amount)) => {
                    problems.push(format!("error.details.actualAmount is {amount}, expected {expected}"))
                }
                _ => problems.push(
                    "error.details.actualAmount is missing or not a number: a retried confirm relies on it".to_owned(),
                ),
            }
        }
        if let Some(expected) = &landed.transaction_id {
            match details.and_then(|d| d.get("transactionId")).and_then(Value::as_str) {
                Some(seen) if seen == expected => {}
                Some(seen) => {
                    problems.push(format!("error.details.transactionId is `{seen}`, the confirm said `{expected}`"))
                }
                None => {
                    problems.push("error.details.transactionId is missing: a retried confirm relies on it".to_owned())
                }
            }
        }
        if let Some(finding) = self.report.findings.last_mut() {
            finding.problems.extend(problems);
        }
    }

    /// Sends one request, records the exchange, checks the answer and returns its JSON when
    /// the status is the expected one.
    async fn call(
        &mut self,
        operation: &str,
        case: &str,
        query: &[(&str, String)],
        body: Option<Value>,
        expect: Expect,
        key: Option<&str>,
    ) -> Option<Value> {
        let mut finding = Finding {
            operation: operation.to_owned(),
            case: case.to_owned(),
            expected: expect.describe(),
            status: None,
            error_shape: None,
            problems: Vec::new(),
        };
        let Some(op) = self.spec.operations().into_iter().find(|op| op.id == operation) else {
            finding.problems.push("the spec has no such operation".into());
            self.report.findings.push(finding);
            return None;
        };
        let mut url = match url::Url::parse(&format!("{}{}", self.target.base_url.trim_end_matches('/'), op.path)) {
            Ok(url) => url,
            Err(e) => {
                finding.problems.push(format!("bad URL: {e}"));
                self.report.findings.push(finding);
                return None;
            }
        };
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let method =
            if op.method == "POST" { credits_sdk::reqwest::Method::POST } else { credits_sdk::reqwest::Method::GET };
        let mut request =
            self.http.request(method, url.clone()).header("X-API-Key", key.unwrap_or(&self.target.api_key));
        if let Some(body) = &body {
            request = request.json(body);
        }
        let (status, text) = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.text().await {
                    Ok(text) => (status, text),
                    Err(e) => {
                        finding.status = Some(status);
                        finding.problems.push(format!("the body could not be read: {e}"));
                        self.report.findings.push(finding);
                        return None;
                    }
                }
            }
            Err(e) => {
                finding.problems.push(format!("no answer: {e}"));
                self.report.findings.push(finding);
                return None;
            }
        };
        finding.status = Some(status);
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        self.report.exchanges.push(Exchange {
            operation: operation.to_owned(),
            case: case.to_owned(),
            method: op.method.clone(),
            path,
            request: body,
            status,
            body: text.clone(),
        });
        let (value, problems, shape) = check_answer(self.spec, &op, status, &text, expect);
        finding.problems.extend(problems);
        finding.error_shape = shape;
        self.report.findings.push(finding);
        let as_expected = match expect {
            Expect::Success => (200..300).contains(&status),
            Expect::Error(code, _) => status == code,
        };
        if as_expected { value } else { None }
    }
}

/// The spec's media type object for `status` of `op`: the exact code, else its range (`4XX`).
pub fn response_for(op: &crate::spec::Operation, status: u16) -> Option<(String, Option<Value>)> {
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    op.responses
        .iter()
        .find(|(code, _)| *code == exact)
        .or_else(|| op.responses.iter().find(|(code, _)| code.eq_ignore_ascii_case(&range)))
        .cloned()
}

/// Checks one answer of `op`: its status against what the step expects and the spec lists,
/// its body against the spec's schema (unknown fields included) and, for success bodies,
/// against the SDK's generated type; for error bodies, their shape against what the SDK
/// assumes. Returns the body as JSON (when it is), the problems, and the error body's shape.
fn check_answer(
    spec: &Spec,
    op: &crate::spec::Operation,
    status: u16,
    text: &str,
    expect: Expect,
) -> (Option<Value>, Vec<String>, Option<String>) {
    let mut problems = Vec::new();
    match expect {
        Expect::Success if !(200..300).contains(&status) => {
            problems.push(format!("expected a success, saw status {status}{}", error_summary(text)));
        }
        Expect::Error(code, name) if status != code => {
            problems.push(format!("expected {code} {name}, saw status {status}{}", error_summary(text)));
        }
        _ => {}
    }
    let media = match response_for(op, status) {
        Some((_, media)) => media,
        None => {
            problems.push(format!("status {status} is not in the spec for this operation"));
            None
        }
    };
    let value: Option<Value> = serde_json::from_str(text).ok();
    let Some(json) = &value else {
        problems.push(format!("the body is not JSON: {:?}", text.chars().take(120).collect::<String>()));
        return (None, problems, (status >= 400).then(|| "not JSON".to_owned()));
    };
    if let Some(media) = &media
        && let Some(schema) = media.get("schema")
    {
        match spec.check(schema, json, true) {
            Ok(found) => problems.extend(found.iter().map(ToString::to_string)),
            Err(e) => problems.push(e),
        }
        if (200..300).contains(&status)
            && let Some(name) = schema_name(media)
        {
            match decoder(name) {
                Some(decode) => {
                    if let Err(e) = decode(text) {
                        problems.push(format!("the SDK cannot decode it as {name}: {e}"));
                    }
                }
                None => problems
                    .push(format!("no SDK type is listed for schema {name} (examples/contract_check/decode.rs)")),
            }
        }
    }
    let mut shape = None;
    if status >= 400 {
        shape = Some(shape_of(json));
        problems.extend(error_shape_problems(json, expect));
    }
    (value, problems, shape)
}

fn error_summary(text: &str) -> String {
    let value: Option<Value> = serde_json::from_str(text).ok();
    match value.as_ref().and_then(|v| v.pointer("/error/code")).and_then(Value::as_str) {
        Some(code) => format!(" ({code})"),
        None => String::new(),
    }
}

/// Differences between an error body and `{"success": false, "error": {"code", "message",
/// "details"}}`.
fn error_shape_problems(body: &Value, expect: Expect) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(object) = body.as_object() else {
        return vec![format!("the error body is not an object; the SDK assumes {ASSUMED_ERROR_SHAPE}")];
    };
    if object.get("success") != Some(&Value::Bool(false)) {
        problems.push("error body: `success` is not `false`".to_owned());
    }
    match object.get("error") {
        Some(Value::Object(error)) => {
            let code = error.get("code").and_then(Value::as_str);
            if code.is_none() {
                problems.push("error body: `error.code` is missing or not a string".to_owned());
            }
            if error.get("message").and_then(Value::as_str).is_none() {
                problems.push("error body: `error.message` is missing or not a string".to_owned());
            }
            if let Some(details) = error.get("details")
                && !(details.is_object() || details.is_null())
            {
                problems.push("error body: `error.details` is not an object".to_owned());
            }
            if let (Expect::Error(_, expected), Some(code)) = (expect, code)
                && code != expected
            {
                problems.push(format!("error body: code `{code}`, expected `{expected}`"));
            }
        }
        Some(Value::String(_)) => problems
            .push(format!("error body: `error` is a string, not an object; the SDK assumes {ASSUMED_ERROR_SHAPE}")),
        Some(_) => problems.push("error body: `error` is not an object".to_owned()),
        None => problems.push(format!("error body: no `error` member; the SDK assumes {ASSUMED_ERROR_SHAPE}")),
    }
    problems
}

/// A compact picture of a JSON value's shape: `{success: false, error: {code, message}}`.
fn shape_of(value: &Value) -> String {
    fn inner(value: &Value, depth: usize) -> String {
        match value {
            Value::Object(map) if depth < 3 => {
                let parts: Vec<String> = map
                    .iter()
                    .map(|(k, v)| match v {
                        Value::Object(_) => format!("{k}: {}", inner(v, depth + 1)),
                        Value::Bool(b) => format!("{k}: {b}"),
                        _ => k.clone(),
                    })
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            Value::Object(_) => "{…}".to_owned(),
            Value::String(_) => "\"text\"".to_owned(),
            Value::Array(_) => "[…]".to_owned(),
            other => other.to_string(),
        }
    }
    inner(value, 0)
}

/// Replays recorded exchanges: each body is checked against the spec and decoded through the
/// SDK's generated types, as in a live run. Returns the problems found, per exchange.
pub fn replay(spec: &Spec, exchanges: &[Exchange]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (n, exchange) in exchanges.iter().enumerate() {
        let key = format!("{n:02} {} ({})", exchange.operation, exchange.case);
        let Some(op) = spec.operations().into_iter().find(|op| op.id == exchange.operation) else {
            out.insert(key, vec!["the spec has no such operation".to_owned()]);
            continue;
        };
        let expect =
            if (200..300).contains(&exchange.status) { Expect::Success } else { Expect::Error(exchange.status, "") };
        let (_, mut problems, _) = check_answer(spec, &op, exchange.status, &exchange.body, expect);
        // A replay does not know the expected code.
        problems.retain(|p| !p.starts_with("error body: code"));
        out.insert(key, problems);
    }
    out
}
