//! The `credits` binary against an in-process sandbox on 127.0.0.1: every command group, JSON
//! and table output, exit codes, the key's secrecy, `credits sandbox` and completions.

mod support;

use std::process::Stdio;
use std::time::Duration;

use credits_sandbox::{Fault, Sandbox};
use serde_json::Value;
use support::{Run, against, command, output, sandbox};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

/// `credits <args>` against the sandbox, configured through the environment.
async fn credits(sandbox: &Sandbox, args: &[&str]) -> Run {
    output(against(sandbox, args)).await
}

/// Same, with `stdin` as standard input.
async fn credits_with_stdin(sandbox: &Sandbox, args: &[&str], stdin: &str) -> Run {
    let mut command = against(sandbox, args);
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn credits");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).await.expect("write stdin");
    drop(input);
    Run::of(&child.wait_with_output().await.expect("wait for credits"))
}

/// A number from the output, whether the SDK prints amounts as JSON numbers or strings.
fn num(value: &Value) -> f64 {
    match value {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => s.parse().unwrap_or(f64::NAN),
        other => panic!("not a number: {other}"),
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}")).to_owned()
}

async fn create_account(sandbox: &Sandbox, external_id: &str) -> String {
    let run = credits(sandbox, &["create-account", "--name", "Alice", "--external-id", external_id]).await;
    text(&run.json()["account"]["id"])
}

#[tokio::test]
async fn accounts_create_get_list_balance_and_plans() {
    let sandbox = sandbox().await;
    let created = credits(
        &sandbox,
        &["create-account", "--name", "Alice", "--external-id", "user_1", "--email", "alice@example.com"],
    )
    .await
    .json();
    assert_eq!(created["account"]["externalId"], "user_1");
    let id = text(&created["account"]["id"]);

    let by_external = credits(&sandbox, &["get-account", "--external-id", "user_1"]).await.json();
    assert_eq!(by_external["id"], id.as_str());
    let by_id = credits(&sandbox, &["get-account", "--account-id", &id]).await.json();
    assert_eq!(by_id["email"], "alice@example.com");

    let list = credits(&sandbox, &["list-accounts"]).await.json();
    assert_eq!(list["accounts"].as_array().map(Vec::len), Some(1));

    let balance = credits(&sandbox, &["get-balance", "--external-id", "user_1"]).await.json();
    assert_eq!((num(&balance["balance"]), num(&balance["available"])), (0.0, 0.0));

    let plans = credits(&sandbox, &["get-account-plans", "--account-id", &id]).await.json();
    assert_eq!(plans["plans"], serde_json::json!([]));

    credits(&sandbox, &["create-account", "--name", "Again", "--external-id", "user_1"])
        .await
        .api_error(4, "duplicate_external_id");
}

#[tokio::test]
async fn credits_add_and_deduct_move_the_balance() {
    let sandbox = sandbox().await;
    create_account(&sandbox, "user_1").await;
    let added = credits(
        &sandbox,
        &["add-credits", "--external-id", "user_1", "--amount", "500", "--description", "refund #42"],
    )
    .await
    .json();
    assert_eq!(num(&added["balance"]), 500.0);
    let deducted = credits(&sandbox, &["deduct-credits", "--external-id", "user_1", "--amount", "120.5"]).await.json();
    assert_eq!(num(&deducted["balance"]), 379.5);

    let refused = credits(&sandbox, &["deduct-credits", "--external-id", "user_1", "--amount", "1000"]).await;
    refused.api_error(4, "insufficient_credits");
    assert!(refused.stderr.contains("details: {"), "{refused:#?}");
    let balance = credits(&sandbox, &["get-balance", "--external-id", "user_1"]).await.json();
    assert_eq!(num(&balance["balance"]), 379.5);
}

/// The README's retry loop for a script: exit 5 or 6 try again; exit 7 look the charge up
/// (here: the account's transactions with the script's description) before trying again.
#[tokio::test]
async fn the_documented_retry_loop_charges_once_through_lost_answers_and_5xx_after_the_write() {
    let sandbox = sandbox().await;
    let id = create_account(&sandbox, "user_1").await;
    credits(&sandbox, &["add-credits", "--external-id", "user_1", "--amount", "1000"]).await.json();
    let faults = [
        Fault::DropConnection { after_write: true },
        Fault::Status { status: 503, retry_after: None, after_write: true },
        Fault::Status { status: 500, retry_after: None, after_write: false },
        Fault::DropConnection { after_write: false },
    ];
    let mut exits = Vec::new();
    for (charge, fault) in faults.iter().enumerate() {
        let description = format!("charge-{charge}");
        sandbox.faults().fail_next(1, fault.clone());
        loop {
            let run = credits(
                &sandbox,
                &["deduct-credits", "--external-id", "user_1", "--amount", "100", "--description", &description],
            )
            .await;
            exits.push(run.code);
            match run.code {
                0 => break,
                5 | 6 => continue,
                7 => {
                    let listed = credits(&sandbox, &["list-transactions", "--account-id", &id]).await.json();
                    let landed = listed["items"]
                        .as_array()
                        .is_some_and(|all| all.iter().any(|t| t["description"] == description.as_str()));
                    if landed {
                        break;
                    }
                }
                other => panic!("unexpected exit {other}: {run:#?}"),
            }
        }
    }
    assert!(exits.iter().filter(|code| **code == 7).count() >= 3, "exits: {exits:?}");
    let balance = credits(&sandbox, &["get-balance", "--external-id", "user_1"]).await.json();
    assert_eq!(num(&balance["balance"]), 600.0, "four charges of 100, each exactly once (exits {exits:?})");
}

#[tokio::test]
async fn reservations_reserve_confirm_cancel_and_a_refused_confirm() {
    let sandbox = sandbox().await;
    create_account(&sandbox, "user_1").await;
    credits(&sandbox, &["add-credits", "--external-id", "user_1", "--amount", "1000"]).await.json();

    let hold = credits(
        &sandbox,
        &[
            "create-reservation",
            "--external-id",
            "user_1",
            "--amount",
            "300",
            "--operation",
            "chat",
            "--model",
            "gpt-4o",
        ],
    )
    .await
    .json();
    let held = text(&hold["reservation"]["id"]);
    assert_eq!(hold["reservation"]["status"], "pending");
    let balance = credits(&sandbox, &["get-balance", "--external-id", "user_1"]).await.json();
    assert_eq!(num(&balance["available"]), 700.0);

    let confirmed =
        credits(&sandbox, &["confirm-reservation", "--reservation-id", &held, "--actual-amount", "250"]).await.json();
    assert_eq!(num(&confirmed["actualAmount"]), 250.0);
    assert!(confirmed["transactionId"].is_string());

    let stuck = credits(&sandbox, &["create-reservation", "--external-id", "user_1", "--amount", "100"]).await.json();
    let stuck = text(&stuck["reservation"]["id"]);
    let active =
        credits(&sandbox, &["list-reservations", "--external-id", "user_1", "--active-only", "true"]).await.json();
    assert_eq!(active["reservations"].as_array().map(Vec::len), Some(1));
    let cancelled = credits(&sandbox, &["cancel-reservation", "--reservation-id", &stuck]).await.json();
    assert_eq!(cancelled["status"], "cancelled");

    // Confirming the cancelled reservation: 409 reservation_not_pending, the 4xx exit code.
    credits(&sandbox, &["confirm-reservation", "--reservation-id", &stuck, "--actual-amount", "50"])
        .await
        .api_error(4, "reservation_not_pending");
    let balance = credits(&sandbox, &["get-balance", "--external-id", "user_1"]).await.json();
    assert_eq!((num(&balance["balance"]), num(&balance["reserved"])), (750.0, 0.0));
}

#[tokio::test]
async fn usage_record_list_and_summarise() {
    let sandbox = sandbox().await;
    create_account(&sandbox, "user_1").await;
    let added = credits(&sandbox, &["add-credits", "--external-id", "user_1", "--amount", "10"]).await.json();
    let transaction = text(&added["transactionId"]);

    let recorded = credits(
        &sandbox,
        &[
            "record-usage",
            "--context",
            "customer",
            "--external-id",
            "user_1",
            "--transaction-id",
            &transaction,
            "--model-id",
            "gpt-4o",
            "--input-tokens",
            "1000",
            "--output-tokens",
            "500",
        ],
    )
    .await
    .json();
    assert_eq!(recorded["usageRecord"]["modelId"], "gpt-4o");
    assert!(num(&recorded["usageRecord"]["estimatedCostUsd"]) > 0.0);
    credits(&sandbox, &["record-usage", "--context", "system", "--model-id", "gpt-4o-mini", "--input-tokens", "10"])
        .await
        .json();

    let records = credits(&sandbox, &["get-usage", "--external-id", "user_1"]).await.json();
    assert_eq!(records["usageRecords"].as_array().map(Vec::len), Some(1));
    let summary = credits(&sandbox, &["get-usage", "--summary", "true"]).await.json();
    assert_eq!(num(&summary["summary"]["totalInputTokens"]), 1010.0);

    let refused = credits(&sandbox, &["record-usage", "--model-id", "gpt-4o", "--input-tokens", "-5"]).await;
    assert_eq!(refused.code, 2, "{refused:#?}");
}

#[tokio::test]
async fn plans_create_assign_archive_and_list() {
    let sandbox = sandbox().await;
    create_account(&sandbox, "user_1").await;
    let plan =
        credits(&sandbox, &["create-plan", "--name", "Pro", "--amount", "1000", "--interval", "month"]).await.json();
    let plan_id = text(&plan["plan"]["id"]);

    let assigned = credits(
        &sandbox,
        &["assign-plan-to-account", "--external-id", "user_1", "--plan-id", &plan_id, "--start-mode", "immediate"],
    )
    .await;
    assert_eq!(assigned.code, 0, "{assigned:#?}");
    let balance = credits(&sandbox, &["get-balance", "--external-id", "user_1"]).await.json();
    assert_eq!(num(&balance["balance"]), 1000.0);
    let account_plans = credits(&sandbox, &["get-account-plans", "--external-id", "user_1"]).await.json();
    assert_eq!(account_plans["plans"][0]["planId"], plan_id.as_str());

    let archived = credits(&sandbox, &["archive-plan", "--plan-id", &plan_id]).await.json();
    assert_eq!(archived["plan"]["isActive"], false);
    let plans = credits(&sandbox, &["list-plans"]).await.json();
    assert_eq!(plans["plans"].as_array().map(Vec::len), Some(1));
    credits(&sandbox, &["assign-plan-to-account", "--external-id", "user_1", "--plan-id", &plan_id])
        .await
        .api_error(4, "plan_archived");

    // A value outside the spec's enum is a usage error.
    let bad = credits(&sandbox, &["create-plan", "--name", "X", "--amount", "1", "--interval", "fortnight"]).await;
    assert_eq!(bad.code, 2, "{bad:#?}");
}

#[tokio::test]
async fn transactions_create_and_list_a_ledger_page_by_page() {
    let sandbox = sandbox().await;
    let id = create_account(&sandbox, "user_1").await;
    credits(&sandbox, &["add-credits", "--account-id", &id, "--amount", "100"]).await.json();
    let manual = credits(
        &sandbox,
        &[
            "create-transaction",
            "--account-id",
            &id,
            "--type",
            "debit",
            "--amount",
            "30",
            "--description",
            "adjustment",
        ],
    )
    .await
    .json();
    assert_eq!(manual["transaction"]["type"], "debit");

    let page = credits(&sandbox, &["list-transactions", "--account-id", &id, "--limit", "1"]).await.json();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["items"][0]["description"], "adjustment");
    assert_eq!(
        (page["pagination"]["hasMore"].clone(), num(&page["pagination"]["totalCount"])),
        (Value::Bool(true), 2.0)
    );
    let next =
        credits(&sandbox, &["list-transactions", "--account-id", &id, "--limit", "1", "--offset", "1"]).await.json();
    assert_eq!(next["items"][0]["type"], "credit");
    assert_eq!(next["pagination"]["hasMore"], false);

    let bad = credits(&sandbox, &["list-transactions", "--limit", "0"]).await;
    assert_eq!(bad.code, 2, "{bad:#?}");
}

#[tokio::test]
async fn models_list_get_and_calculate_cost() {
    let sandbox = sandbox().await;
    let models = credits(&sandbox, &["list-models"]).await.json();
    assert!(models["models"].as_array().is_some_and(|m| m.iter().any(|m| m["modelId"] == "gpt-4o")));
    let openai = credits(&sandbox, &["list-models", "--provider", "openai"]).await.json();
    assert!(openai["models"].as_array().is_some_and(|m| m.iter().all(|m| m["provider"] == "openai")));
    let one = credits(&sandbox, &["list-models", "--model-id", "gpt-4o"]).await.json();
    assert_eq!(one["model"]["modelId"], "gpt-4o");
    let cost = credits(
        &sandbox,
        &["calculate-cost", "--model-id", "gpt-4o", "--input-tokens", "1000000", "--output-tokens", "0"],
    )
    .await
    .json();
    assert_eq!((num(&cost["estimatedCostUsd"]), num(&cost["pricing"]["inputPerMillion"])), (2.5, 2.5));
    credits(&sandbox, &["list-models", "--model-id", "no-such-model"]).await.api_error(4, "model_not_found");
}

#[tokio::test]
async fn table_output_for_lists() {
    let sandbox = sandbox().await;
    create_account(&sandbox, "user_1").await;
    create_account(&sandbox, "user_2").await;
    let run = credits(&sandbox, &["list-accounts", "--output", "table"]).await;
    assert_eq!(run.code, 0, "{run:#?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header.first(), Some(&"id"));
    assert!(header.contains(&"externalId") && header.contains(&"balance"), "{header:?}");
    assert!(lines[1].chars().all(|c| c == '-' || c == ' '));
    assert!(lines[2].contains("user_1") && lines[3].contains("user_2"), "{}", run.stdout);
    assert!(lines[2].starts_with("acc_"));

    credits(&sandbox, &["add-credits", "--external-id", "user_1", "--amount", "5", "--description", "bonus"]).await;
    let ledger = credits(&sandbox, &["-o", "table", "list-transactions", "--external-id", "user_1"]).await;
    assert_eq!(ledger.code, 0, "{ledger:#?}");
    assert!(ledger.stdout.lines().nth(2).is_some_and(|l| l.contains("bonus") && l.contains("credit")));
    assert!(ledger.stdout.lines().any(|l| l.starts_with("pagination: {")), "{}", ledger.stdout);

    let empty = credits(&sandbox, &["list-reservations", "--external-id", "user_1", "-o", "table"]).await;
    assert_eq!(empty.stdout, "(none)\n");
}

#[tokio::test]
async fn json_body_from_a_file_or_stdin_with_flags_overriding_it() {
    let sandbox = sandbox().await;
    create_account(&sandbox, "user_1").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("grant.json");
    std::fs::write(&file, r#"{"externalId": "user_1", "amount": 40, "description": "from the file"}"#).expect("write");
    let path = file.to_str().expect("utf-8 path");

    let from_file = credits(&sandbox, &["add-credits", "--json-body", path]).await.json();
    assert_eq!(num(&from_file["added"]), 40.0);
    let overridden = credits(&sandbox, &["add-credits", "--json-body", path, "--amount", "2"]).await.json();
    assert_eq!(num(&overridden["added"]), 2.0);

    let body = r#"{"externalId": "user_1", "amount": 8, "metadata": {"ticket": "T-1"}}"#;
    let from_stdin = credits_with_stdin(&sandbox, &["add-credits", "--json-body", "-"], body).await.json();
    assert_eq!((num(&from_stdin["added"]), num(&from_stdin["balance"])), (8.0, 50.0));
    let ledger = credits(&sandbox, &["list-transactions", "--external-id", "user_1", "--limit", "1"]).await.json();
    assert_eq!(ledger["items"][0]["metadata"]["ticket"], "T-1");

    let template = credits(&sandbox, &["add-credits", "--json-body-template"]).await.json();
    assert!(template.get("amount").is_some() && template.get("externalId").is_some(), "{template}");
}

#[tokio::test]
async fn bad_arguments_exit_2_and_send_nothing() {
    let sandbox = sandbox().await;
    let cases: &[&[&str]] = &[
        &["add-credits", "--external-id", "user_1"], // --amount is required
        &["add-credits", "--external-id", "user_1", "--amount", "0"], // refused by the SDK's amount type
        &["add-credits", "--external-id", "user_1", "--amount", "ten"],
        &["get-balance", "--no-such-flag", "x"],
        &["no-such-command"],
        &["add-credits", "--json-body", "/nonexistent/body.json"],
        &["get-balance", "--external-id", "user_1", "--output", "yaml"],
        &["get-balance", "--timeout", "-1"],
    ];
    for args in cases {
        let run = credits(&sandbox, args).await;
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
        assert!(run.stdout.is_empty() && run.stderr.starts_with("error:"), "{args:?}: {run:#?}");
    }
    let invalid = credits_with_stdin(&sandbox, &["add-credits", "--json-body", "-"], "{not json").await;
    assert_eq!(invalid.code, 2, "{invalid:#?}");
    let wrong_shape = credits_with_stdin(&sandbox, &["add-credits", "--json-body", "-"], r#"{"amount": -1}"#).await;
    assert_eq!(wrong_shape.code, 2, "{wrong_shape:#?}");
    assert_eq!(sandbox.request_count(), 0, "a bad argument must not reach the API");

    let help = credits(&sandbox, &["--help"]).await;
    assert_eq!(help.code, 0);
    let nothing = credits(&sandbox, &[]).await;
    assert_eq!(nothing.code, 2);
}

#[tokio::test]
async fn api_and_configuration_errors_have_their_own_exit_codes() {
    let sandbox = sandbox().await;
    // An unknown account: 404, exit 4, the API's code on stderr.
    credits(&sandbox, &["get-balance", "--external-id", "nobody"]).await.api_error(4, "account_not_found");

    // A wrong key: 401, exit 4.
    let mut wrong = command(&["list-accounts"]);
    wrong.env("CREDITS_API_KEY", "sk_wrong_key_123").env("CREDITS_BASE_URL", sandbox.base_url());
    let wrong = output(wrong).await;
    wrong.api_error(4, "unauthorized");
    assert!(!wrong.stderr.contains("sk_wrong_key_123"));

    // No key: one line, exit 3, no request.
    let before = sandbox.request_count();
    let missing = output(command(&["list-accounts", "--base-url", sandbox.base_url()])).await;
    assert_eq!(missing.code, 3, "{missing:#?}");
    assert_eq!(missing.stderr.lines().count(), 1, "{missing:#?}");
    assert!(missing.stderr.contains("CREDITS_API_KEY"), "{missing:#?}");
    // A clear-text base URL off loopback is refused by the SDK before anything is sent.
    let clear = output(command(&["list-accounts", "--api-key", "sk_x", "--base-url", "http://credits.invalid"])).await;
    assert_eq!(clear.code, 3, "{clear:#?}");
    assert_eq!(sandbox.request_count(), before);

    // Values only the API checks: its 400, exit 4, as the README's table says.
    credits(&sandbox, &["add-credits", "--amount", "5"]).await.api_error(4, "invalid_request");
    credits(&sandbox, &["list-transactions", "--limit", "101"]).await.api_error(4, "invalid_request");
    // A server error on a grant (not retried: it is not safe to repeat, and it may have been
    // applied): exit 7, look it up before retrying.
    sandbox.faults().fail_next(1, Fault::Status { status: 500, retry_after: None, after_write: false });
    let failed = credits(&sandbox, &["add-credits", "--external-id", "nobody", "--amount", "1"]).await;
    failed.api_error(7, "500");
    assert!(failed.stderr.contains("unknown outcome"), "{failed:#?}");
    // A server error on a read, after its retries: exit 5, safe to try again.
    sandbox.faults().fail_next(10, Fault::Status { status: 503, retry_after: None, after_write: false });
    credits(&sandbox, &["list-accounts"]).await.api_error(5, "503");
    sandbox.faults().clear();

    // Nothing listening (a loopback port that refuses connections): a transport error, exit 6.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}");
    let unreachable = output(command(&[
        "add-credits",
        "--api-key",
        "sk_x",
        "--base-url",
        &url,
        "--external-id",
        "a",
        "--amount",
        "1",
    ]))
    .await;
    assert_eq!(unreachable.code, 6, "{unreachable:#?}");
    assert!(unreachable.stderr.starts_with("error: no answer from the API"), "{unreachable:#?}");
}

#[tokio::test]
async fn the_key_is_never_printed_even_with_verbose_logging() {
    let sandbox = sandbox().await;
    let key = sandbox.api_key().to_owned();
    let runs = [
        credits(&sandbox, &["-vv", "create-account", "--name", "A", "--external-id", "user_1"]).await,
        credits(&sandbox, &["--verbose", "get-balance", "--external-id", "user_1"]).await,
        credits(&sandbox, &["-vv", "get-balance", "--external-id", "nobody"]).await,
        credits(&sandbox, &["-vv", "add-credits", "--external-id", "user_1"]).await,
        credits(&sandbox, &["--help"]).await,
        credits(&sandbox, &["get-balance", "--help"]).await,
        credits(&sandbox, &["-vv", "--api-key", &key, "list-accounts", "-o", "table"]).await,
    ];
    for run in &runs {
        assert!(!run.stdout.contains(&key) && !run.stderr.contains(&key), "{run:#?}");
    }
    // The verbose runs did log, and said where the key would have been.
    assert!(runs[0].stderr.contains("credits.request") && runs[0].stderr.contains("<redacted>"), "{:#?}", runs[0]);
    assert!(runs[1].stderr.contains("get_balance"), "{:#?}", runs[1]);
}

#[tokio::test]
async fn credits_sandbox_serves_the_client() {
    let mut server = command(&["sandbox", "--addr", "127.0.0.1:0", "--seed"]);
    server.stdout(Stdio::piped());
    let mut server = server.spawn().expect("spawn credits sandbox");
    let stdout = server.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let (mut url, mut key) = (None, None);
    while url.is_none() || key.is_none() {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the sandbox starts")
            .expect("read")
            .expect("a line");
        if let Some(rest) = line.strip_prefix("credits sandbox listening on ") {
            url = Some(rest.to_owned());
        } else if let Some(rest) = line.strip_prefix("api key: ") {
            key = Some(rest.to_owned());
        }
    }
    let (url, key) = (url.unwrap_or_default(), key.unwrap_or_default());
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let mut client = command(&["get-balance", "--external-id", "user_demo"]);
    client.env("CREDITS_API_KEY", &key).env("CREDITS_BASE_URL", &url);
    let balance = output(client).await.json();
    assert_eq!(num(&balance["balance"]), 1000.0);
    server.kill().await.expect("stop the sandbox");
}

#[tokio::test]
async fn completions_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let run = output(command(&["completions", shell])).await;
        assert_eq!(run.code, 0, "{run:#?}");
        assert!(run.stdout.contains("get-balance") && run.stdout.contains("confirm-reservation"), "{shell}");
    }
    assert_eq!(output(command(&["completions", "tcsh"])).await.code, 2);
}

#[tokio::test]
async fn every_operation_of_the_spec_is_a_command() {
    let spec_text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).expect("spec");
    let spec: serde_yaml_ng::Value = serde_yaml_ng::from_str(&spec_text).expect("yaml");
    let mut ids = Vec::new();
    for (_, item) in spec["paths"].as_mapping().expect("paths") {
        for (_, op) in item.as_mapping().expect("path item") {
            if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
                ids.push(id.replace('_', "-"));
            }
        }
    }
    assert!(ids.len() >= 21, "{ids:?}");
    let help = output(command(&["--help"])).await;
    for id in &ids {
        assert!(help.stdout.contains(&format!("\n  {id} ")), "`{id}` is not listed:\n{}", help.stdout);
        let run = output(command(&[id, "--help"])).await;
        assert_eq!(run.code, 0, "{id}: {run:#?}");
    }
}
