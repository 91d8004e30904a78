//! Quality gates on `openapi.yaml` that a generic linter does not know: the project's own
//! conventions for descriptions, responses and vendor extensions.

use serde_yaml_ng::Value;

fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn has_text(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty())
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
    let spec = spec();
    for (_, item) in spec["paths"].as_mapping().unwrap() {
        for (method, op) in item.as_mapping().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            let retry_safe = op["x-credits-retry-safe"].as_bool().unwrap();
            assert_eq!(retry_safe, !unsafe_writes.contains(&id), "{id}");
            if method.as_str() == Some("get") {
                assert!(retry_safe, "reads are always safe: {id}");
            }
        }
    }
}

/// The open enums are written by hand (so that they keep unknown values); each must know
/// exactly the values the spec lists, so a value added to the spec is a new variant here.
#[test]
fn every_open_enum_knows_exactly_the_values_of_the_spec() {
    use credits_sdk::{ModelType, PlanStartMode, ReservationStatus, TransactionType, UsageContext, UsageType};
    fn known<T>(values: &[T], as_str: impl Fn(&T) -> &str) -> Vec<String> {
        let mut known: Vec<String> = values.iter().map(|v| as_str(v).to_owned()).collect();
        known.sort();
        known
    }
    let spec = spec();
    let enums = [
        ("ReservationStatus", known(ReservationStatus::KNOWN, ReservationStatus::as_str)),
        ("TransactionType", known(TransactionType::KNOWN, TransactionType::as_str)),
        ("ModelType", known(ModelType::KNOWN, ModelType::as_str)),
        ("UsageType", known(UsageType::KNOWN, UsageType::as_str)),
        ("UsageContext", known(UsageContext::KNOWN, UsageContext::as_str)),
        ("PlanStartMode", known(PlanStartMode::KNOWN, PlanStartMode::as_str)),
    ];
    for (name, rust) in enums {
        let mut listed: Vec<String> = spec["components"]["schemas"][name]["enum"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{name} has an enum in the spec"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        listed.sort();
        assert_eq!(rust, listed, "{name}: add the new values to types/src/values/enums.rs");
    }
}
