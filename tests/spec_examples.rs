//! Every example in `openapi.yaml` (the public documentation's, copied, and the ones we made
//! up for undocumented responses) is valid against its schema, checked by a JSON Schema
//! validator (not by hand), every response example decodes into the SDK's generated type, and
//! every link between operations (`links`) makes a valid request of an operation that exists.

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

/// What is wrong with the spec's `links` (on any response): a link must name an operation
/// that exists, only parameters that operation has, and a `requestBody` that is valid
/// (strictly: no unknown field) against its request schema once each runtime expression
/// (`$response.body#/pointer`) is replaced by what the source response's examples hold there;
/// a pointer no example of the source response holds is a problem too. Returns the number of
/// links seen and the problems.
fn link_problems(spec: &Spec) -> (usize, Vec<String>) {
    let mut by_id = std::collections::HashMap::new();
    for item in spec.doc.get("paths").and_then(Value::as_object).into_iter().flat_map(|paths| paths.values()) {
        for op in item.as_object().into_iter().flat_map(|item| item.values()) {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                by_id.insert(id, op);
            }
        }
    }
    let (mut links, mut problems) = (0, Vec::new());
    for (source, op) in &by_id {
        for (code, response) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
            let response = spec.resolve(response);
            let examples: Vec<&Value> = response
                .pointer("/content/application~1json/examples")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|examples| examples.values())
                .filter_map(|example| spec.resolve(example).get("value"))
                .collect();
            for (name, link) in response.get("links").and_then(Value::as_object).into_iter().flatten() {
                links += 1;
                let at = format!("{source} {code} link `{name}`");
                let mut evaluate = |value: &Value| evaluate_link_value(value, &examples, &at, &mut problems);
                let parameters: Vec<(String, Value)> = link
                    .get("parameters")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(name, value)| (name.clone(), evaluate(value)))
                    .collect();
                let body = link.get("requestBody").map(&mut evaluate);
                let Some(target) = link.get("operationId").and_then(Value::as_str).and_then(|id| by_id.get(id)) else {
                    problems.push(format!("{at}: its `operationId` names no operation"));
                    continue;
                };
                let known: Vec<&str> = target
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|parameter| spec.resolve(parameter).get("name").and_then(Value::as_str))
                    .collect();
                for (parameter, _) in parameters.iter().filter(|(name, _)| !known.contains(&name.as_str())) {
                    problems.push(format!("{at}: the target has no parameter `{parameter}`"));
                }
                let Some(body) = body else { continue };
                let schema = target
                    .get("requestBody")
                    .map(|body| spec.resolve(body))
                    .and_then(|body| body.pointer("/content/application~1json/schema"));
                match schema.map(|schema| spec.check(schema, &body, true)) {
                    None => problems.push(format!("{at}: a `requestBody` for an operation that takes none")),
                    Some(Ok(found)) => problems.extend(found.iter().map(|p| format!("{at} requestBody: {p}"))),
                    Some(Err(e)) => problems.push(format!("{at}: {e}")),
                }
            }
        }
    }
    (links, problems)
}

/// `value` with each `$response.body#/pointer` string replaced by the first source example's
/// value there (a problem, and `null`, when no example holds it).
fn evaluate_link_value(value: &Value, examples: &[&Value], at: &str, problems: &mut Vec<String>) -> Value {
    match value {
        Value::String(text) if text.starts_with('$') => {
            let found = text.strip_prefix("$response.body#").and_then(|p| examples.iter().find_map(|e| e.pointer(p)));
            found.cloned().unwrap_or_else(|| {
                problems.push(format!("{at}: `{text}` is in no example of the source response"));
                Value::Null
            })
        }
        Value::Object(map) => Value::Object(
            map.iter().map(|(key, value)| (key.clone(), evaluate_link_value(value, examples, at, problems))).collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn every_link_leads_to_a_valid_request_of_an_existing_operation() {
    let (links, problems) = link_problems(&load());
    assert!(links >= 12, "only {links} links found");
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_link_check_catches_a_stale_link() {
    let mut spec = load();
    let confirm = "/paths/~1v1~1reservations~1confirm/post/responses/200/links/record_usage";
    let Some(Value::Object(link)) = spec.doc.pointer_mut(confirm) else { panic!("no {confirm} in the spec") };
    link.insert("parameters".into(), serde_json::json!({ "reservation": "$response.body#/reservationId" }));
    let body = link.get_mut("requestBody").and_then(Value::as_object_mut).expect("a requestBody");
    body.insert("transactionId".into(), "$response.body#/transaction/id".into());
    let model = body.remove("modelId").expect("modelId");
    body.insert("model_id".into(), model);
    let (_, problems) = link_problems(&spec);
    let text = problems.join("\n");
    assert!(text.contains("no parameter `reservation`"), "{text}");
    assert!(text.contains("`$response.body#/transaction/id` is in no example"), "{text}");
    assert!(text.contains("`model_id`"), "{text}");
    assert!(text.contains("`modelId`"), "{text}");
}
