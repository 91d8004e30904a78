//! Quality gates on `openapi.yaml` that a generic linter does not know: the project's own
//! conventions for descriptions, responses and vendor extensions.

use credits_sdk::operations::OPERATIONS;
use serde_yaml_ng::Value;

fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn has_text(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty())
}

#[test]
fn the_spec_has_the_21_paths_and_methods_of_the_23_credits_operations() {
    assert_eq!(OPERATIONS.len(), 21, "one operation per method and path");
    let facade: usize = OPERATIONS.iter().map(|op| op.facade_methods.len()).sum();
    assert_eq!(facade, 23, "two paths carry two operations each (usage summary, get model)");
}

#[test]
fn every_operation_is_described_tagged_and_typed() {
    let spec = spec();
    let mut problems = Vec::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for (method, op) in item.as_mapping().unwrap() {
            let at = format!("{} {}", method.as_str().unwrap(), path.as_str().unwrap());
            for key in ["operationId", "summary", "description"] {
                if !has_text(op, key) {
                    problems.push(format!("{at}: no {key}"));
                }
            }
            if op["tags"].as_sequence().is_none_or(Vec::is_empty) {
                problems.push(format!("{at}: no tag"));
            }
            let responses = op["responses"].as_mapping().unwrap();
            if !responses.keys().any(|code| code.as_str().is_some_and(|c| c.starts_with('2'))) {
                problems.push(format!("{at}: no success response"));
            }
            for range in ["4XX", "5XX"] {
                if op["responses"][range]["$ref"].as_str() != Some("#/components/responses/Error") {
                    problems.push(format!("{at}: {range} must use the shared Error response"));
                }
            }
            if let Some(body) = op.get("requestBody")
                && body["content"]["application/json"]["schema"]["$ref"].as_str().is_none()
            {
                problems.push(format!("{at}: the request body must reference a named schema"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_schema_and_property_has_a_description() {
    let spec = spec();
    let mut problems = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        if !has_text(schema, "description") {
            problems.push(format!("schema {name}"));
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_mapping) {
            for (property, definition) in properties {
                // A $ref property takes the description of the schema it names.
                if definition.get("$ref").is_none() && !has_text(definition, "description") {
                    problems.push(format!("{name}.{}", property.as_str().unwrap()));
                }
            }
        }
    }
    for (name, parameter) in spec["components"]["parameters"].as_mapping().unwrap() {
        if !has_text(parameter, "description") {
            problems.push(format!("parameter {}", name.as_str().unwrap()));
        }
    }
    assert!(problems.is_empty(), "undescribed: {problems:#?}");
}

#[test]
fn the_api_key_header_is_a_global_security_scheme_on_the_production_server() {
    let spec = spec();
    assert_eq!(spec["servers"][0]["url"].as_str(), Some("https://api.credits.dev"));
    let scheme = &spec["components"]["securitySchemes"]["apiKey"];
    assert_eq!(
        (scheme["type"].as_str(), scheme["in"].as_str(), scheme["name"].as_str()),
        (Some("apiKey"), Some("header"), Some("X-API-Key"))
    );
    assert!(spec["security"][0].get("apiKey").is_some());
}

#[test]
fn unsafe_writes_are_marked_not_retry_safe() {
    let unsafe_writes = [
        "add_credits",
        "deduct_credits",
        "create_reservation",
        "create_transaction",
        "create_account",
        "create_plan",
        "record_usage",
        "assign_plan_to_account",
    ];
    for op in OPERATIONS {
        let expected = !unsafe_writes.contains(&op.operation_id);
        assert_eq!(op.retry_safe, expected, "{}", op.operation_id);
        if op.method == "GET" {
            assert!(op.retry_safe, "reads are always safe: {}", op.operation_id);
        }
    }
}
