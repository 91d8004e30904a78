//! Every example in `openapi.yaml` (the public documentation's, copied, and the ones we made
//! up for undocumented responses) is valid against its schema, checked by a JSON Schema
//! validator (not by hand), and every response example decodes into the SDK's generated type.

#[path = "../examples/contract_check/decode.rs"]
mod decode;
#[path = "../examples/contract_check/spec.rs"]
mod spec;

use decode::decoder;
use serde_json::Value;
use spec::Spec;

fn load() -> Spec {
    Spec::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))).expect("the spec")
}

/// One example of the spec: where it is, which schema it belongs to, and its value.
struct Example {
    at: String,
    source: String,
    schema: Value,
    value: Value,
    response: bool,
}

fn examples(spec: &Spec) -> Vec<Example> {
    let mut found = Vec::new();
    for op in spec.operations() {
        let mut media: Vec<(String, Value, bool)> =
            op.request.iter().map(|m| (format!("{} request", op.id), m.clone(), false)).collect();
        for (code, m) in &op.responses {
            if let Some(m) = m {
                media.push((format!("{} {code}", op.id), m.clone(), true));
            }
        }
        for (at, media, response) in media {
            let schema = media.get("schema").cloned().unwrap_or(Value::Null);
            assert!(media.get("example").is_none(), "{at}: use named `examples` with a source, not `example`");
            for (name, example) in media.get("examples").and_then(Value::as_object).into_iter().flatten() {
                let example = spec.resolve(example);
                found.push(Example {
                    at: format!("{at} example `{name}`"),
                    source: example.get("x-credits-example-source").and_then(Value::as_str).unwrap_or("").to_owned(),
                    schema: schema.clone(),
                    value: example.get("value").cloned().unwrap_or(Value::Null),
                    response,
                });
            }
        }
    }
    found
}

#[test]
fn every_example_is_valid_against_its_schema() {
    let spec = load();
    let examples = examples(&spec);
    assert!(examples.len() >= 40, "only {} examples found", examples.len());
    let mut problems = Vec::new();
    for example in &examples {
        if !matches!(example.source.as_str(), "documented" | "made-up") {
            problems.push(format!("{}: x-credits-example-source must be `documented` or `made-up`", example.at));
        }
        match spec.check(&example.schema, &example.value, false) {
            Ok(found) => problems.extend(found.iter().map(|p| format!("{}: {p}", example.at))),
            Err(e) => problems.push(format!("{}: {e}", example.at)),
        }
        // The documented examples use no field the spec does not know.
        if example.source == "documented" {
            match spec.check(&example.schema, &example.value, true) {
                Ok(found) => problems.extend(found.iter().map(|p| format!("{} (strict): {p}", example.at))),
                Err(e) => problems.push(format!("{}: {e}", example.at)),
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_validator_catches_a_broken_example() {
    let spec = load();
    let schema = serde_json::json!({ "$ref": "#/components/schemas/Balance" });
    let problems = spec
        .check(&schema, &serde_json::json!({ "accountId": 1, "balance": 1, "reserved": 0, "extra": true }), true)
        .expect("the schema compiles");
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|p| p.contains("`available`")), "{text:?}");
    assert!(text.iter().any(|p| p.contains("type mismatch at /accountId")), "{text:?}");
    assert!(text.iter().any(|p| p.contains("`extra`")), "{text:?}");
    // nullable: true is a type union.
    let nullable =
        serde_json::json!({ "accountId": "a", "externalId": null, "balance": 1, "reserved": 0, "available": 1 });
    assert_eq!(spec.check(&schema, &nullable, true).expect("compiles"), vec![]);
}

#[test]
fn every_operation_has_request_and_success_examples() {
    let spec = load();
    let mut missing = Vec::new();
    for op in spec.operations() {
        if let Some(request) = &op.request
            && request.get("examples").and_then(Value::as_object).is_none_or(|e| e.is_empty())
        {
            missing.push(format!("{} request", op.id));
        }
        let success = op.responses.iter().filter(|(code, _)| code.starts_with('2')).filter_map(|(_, m)| m.as_ref());
        if !success.clone().any(|m| m.get("examples").and_then(Value::as_object).is_some_and(|e| !e.is_empty())) {
            missing.push(format!("{} response", op.id));
        }
    }
    assert!(missing.is_empty(), "no example: {missing:#?}");
}

#[test]
fn every_example_decodes_into_the_generated_type() {
    let spec = load();
    let mut problems = Vec::new();
    let mut documented_responses = 0;
    for example in examples(&spec) {
        let name = example.schema.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()).unwrap_or("");
        let Some(decode) = decoder(name) else {
            problems.push(format!("{}: no generated type listed for schema `{name}` in this test", example.at));
            continue;
        };
        if example.response && example.source == "documented" {
            documented_responses += 1;
        }
        let text = serde_json::to_string(&example.value).unwrap_or_default();
        if let Err(e) = decode(&text) {
            problems.push(format!("{} ({}): does not decode as {name}: {e}", example.at, example.source));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(documented_responses >= 18, "only {documented_responses} documented response examples");
}
