//! The command tree follows the spec with no hand-written code: an operation added to a copy
//! of `openapi.yaml` comes out of the build script's generation function as a command with its
//! flags, and spec problems come out as readable errors.

#[path = "../../codegen/settings.rs"]
#[allow(dead_code)] // the build-script helpers this test does not call (`build_failure`)
mod codegen_settings;

#[path = "../generate.rs"]
mod generate;

use serde_yaml_ng::{Mapping, Value};

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");

fn spec() -> Mapping {
    let text = std::fs::read_to_string(SPEC).expect("read openapi.yaml");
    serde_yaml_ng::from_str(&text).expect("openapi.yaml is YAML")
}

/// Writes `spec` to a file in a temporary directory, reads it back and generates from it, as
/// `build.rs` does from the real file.
fn generate_from_copy(spec: &Mapping) -> Result<generate::Generated, Vec<String>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("openapi.yaml");
    std::fs::write(&path, serde_yaml_ng::to_string(spec).expect("serialize")).expect("write the copy");
    let text = std::fs::read_to_string(&path).expect("read the copy");
    generate::generate(&text)
}

/// The problems generating from `spec` reports; fails the test if it generates.
fn failure(spec: &Mapping) -> Vec<String> {
    match generate_from_copy(spec) {
        Ok(_) => panic!("generation must fail"),
        Err(problems) => problems,
    }
}

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).expect("test YAML")
}

/// `POST /v1/accounts/freeze` (`freeze_account`): a query parameter, a body with a required
/// string, an optional amount (a `$ref` to `PositiveCredits`) and an enum.
fn with_freeze_account(mut spec: Mapping) -> Mapping {
    let operation = yaml(
        r##"
post:
  tags: [accounts]
  operationId: freeze_account
  summary: Freeze an account
  description: Stops every grant and deduction on an account until it is unfrozen.
  x-credits-retry-safe: false
  parameters:
    - name: dryRun
      in: query
      required: false
      description: Only check that the account could be frozen.
      schema: { type: boolean }
  requestBody:
    required: true
    content:
      application/json:
        schema:
          type: object
          required: [accountId, reason]
          properties:
            accountId: { type: string, minLength: 1, description: The account's id. }
            reason: { type: string, description: Why the account is frozen. }
            refundAmount: { $ref: "#/components/schemas/PositiveCredits" }
            severity: { type: string, enum: [low, high] }
  responses:
    "200":
      description: The frozen account.
      content:
        application/json:
          schema: { $ref: "#/components/schemas/Account" }
    "4XX": { $ref: "#/components/responses/Error" }
    "5XX": { $ref: "#/components/responses/Error" }
"##,
    );
    let paths = spec.get_mut("paths").and_then(Value::as_mapping_mut).expect("paths");
    paths.insert(Value::from("/v1/accounts/freeze"), operation);
    spec
}

#[test]
fn a_new_operation_in_the_spec_becomes_a_command_with_its_flags() {
    let before = generate_from_copy(&spec()).expect("the real spec generates");
    assert!(!before.code.contains("freeze_account"));

    let after = generate_from_copy(&with_freeze_account(spec())).expect("the extended spec generates");
    let code = &after.code;
    syn::parse_file(code).expect("the generated command tree is valid Rust");

    // The operation is a variant of the command enum, has a clap command and an executor that
    // calls the SDK's generated builder.
    assert!(code.contains("CliCommand::FreezeAccount => Self::cli_freeze_account()"), "no command");
    assert!(code.contains("pub fn cli_freeze_account() -> ::clap::Command"));
    assert!(code.contains("pub async fn execute_freeze_account("));
    assert!(code.contains("self.client.freeze_account()"));
    assert!(code.contains("CliCommand::FreezeAccount => \"freeze_account\""));
    // Its flags, typed from the spec: a query parameter, body properties (the amount parsed as
    // the SDK's amount type), an enum with its values; the body from a file.
    for flag in ["dry-run", "account-id", "reason", "refund-amount", "severity", "json-body"] {
        assert!(code.contains(&format!("::clap::Arg::new(\"{flag}\")")), "no --{flag}");
    }
    assert!(code.contains("crate::flags::json_scalar::<credits_sdk::Amount>()"));
    assert!(code.contains("crate::flags::read_json_body(value)"));

    // The listing knows its name, group, summary, body template and the amount's help.
    let freeze = after.operations.iter().find(|op| op.operation_id == "freeze_account").expect("in OPERATIONS");
    assert_eq!((freeze.command.as_str(), freeze.tag.as_str()), ("freeze-account", "accounts"));
    assert_eq!(freeze.summary, "Freeze an account");
    let template: serde_json::Value =
        serde_json::from_str(freeze.body_template.as_deref().expect("a template")).expect("JSON");
    assert_eq!(template["severity"], "low");
    assert!(freeze.flag_help.iter().any(|(flag, help)| flag == "refund-amount" && help.contains("greater than 0")));
    assert!(code.contains("command: \"freeze-account\""));
    assert_eq!(after.operations.len(), before.operations.len() + 1);
}

#[test]
fn the_json_body_is_applied_before_the_flags() {
    let generated = generate_from_copy(&spec()).expect("generate");
    let start = generated.code.find("pub async fn execute_add_credits(").expect("executor");
    let body = &generated.code[start..];
    let json_body = body.find("\"json-body\"").expect("reads --json-body");
    let amount = body.find("get_one::<credits_sdk::Amount>(\"amount\")").expect("reads --amount");
    assert!(json_body < amount, "flags must override the file's fields, so the file comes first");
}

#[test]
fn spec_problems_are_readable_errors() {
    let mut clash = with_freeze_account(spec());
    let paths = clash.get_mut("paths").and_then(Value::as_mapping_mut).expect("paths");
    let freeze = paths.get_mut("/v1/accounts/freeze").and_then(Value::as_mapping_mut).expect("freeze");
    let post = freeze.get_mut("post").and_then(Value::as_mapping_mut).expect("post");
    post.insert(Value::from("operationId"), Value::from("sandbox"));
    let parameters = post.get_mut("parameters").and_then(Value::as_sequence_mut).expect("parameters");
    parameters.push(yaml("{name: output, in: query, required: false, description: x, schema: {type: string}}"));
    let problems = failure(&clash);
    assert!(problems.iter().any(|p| p.contains("sandbox") && p.contains("built-in command")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("--output") && p.contains("every command")), "{problems:?}");

    let Err(problems) = generate::generate("openapi: 3.0.3\npaths: [") else { panic!("a broken document must fail") };
    assert!(problems[0].contains("not a valid OpenAPI"), "{problems:?}");

    // A spec progenitor cannot take (an optional path parameter, which it panics on) fails
    // with a message, not a panic.
    let mut bad = with_freeze_account(spec());
    let paths = bad.get_mut("paths").and_then(Value::as_mapping_mut).expect("paths");
    let mut freeze = paths.remove("/v1/accounts/freeze").expect("freeze");
    let post = freeze.get_mut("post").and_then(Value::as_mapping_mut).expect("post");
    let parameters = post.get_mut("parameters").and_then(Value::as_sequence_mut).expect("parameters");
    parameters.push(yaml("{name: id, in: path, required: false, description: x, schema: {type: string}}"));
    paths.insert(Value::from("/v1/accounts/{id}/freeze"), freeze);
    let problems = failure(&bad);
    assert!(problems.iter().any(|p| p.starts_with("progenitor")), "{problems:?}");
}
