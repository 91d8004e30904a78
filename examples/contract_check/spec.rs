//! `openapi.yaml` read as JSON, its OpenAPI 3.0 schemas turned into JSON Schema (2020-12) and
//! checked with the `jsonschema` crate. Shared by the contract check (`cargo run --example
//! contract_check`) and the tests that validate the spec's own examples.
//!
//! The conversion: `$ref: "#/components/schemas/X"` becomes `#/$defs/X` (every named schema is
//! carried along in `$defs`), `nullable: true` adds `null` to the type (or to the enum), and
//! OpenAPI 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric form. In
//! strict mode, every object schema with `properties` and no `additionalProperties` also gets
//! `additionalProperties: false`, so that fields the spec does not know are reported.

#![allow(dead_code)]

use serde_json::{Map, Value};

/// The spec, as JSON.
pub struct Spec {
    /// The whole document.
    pub doc: Value,
}

/// One operation of the spec.
#[derive(Clone, Debug)]
pub struct Operation {
    /// `operationId`, e.g. `create_account`.
    pub id: String,
    /// `GET` or `POST`.
    pub method: String,
    /// e.g. `/v1/accounts/create`.
    pub path: String,
    /// The request body's media type object (`application/json`), if any.
    pub request: Option<Value>,
    /// Each response key (`"200"`, `"4XX"`) with its media type object (references resolved),
    /// `None` when the response has no JSON content.
    pub responses: Vec<(String, Option<Value>)>,
}

/// A schema problem found in a value, with where it is (a JSON pointer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What kind of difference it is.
    pub kind: ProblemKind,
    /// A JSON pointer into the value, e.g. `/account/balance` (empty for the root).
    pub at: String,
    /// The validator's message.
    pub message: String,
}

/// The kinds of difference the contract check reports separately.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProblemKind {
    /// A field the spec does not know (strict mode only).
    UnknownField(String),
    /// A required field is absent.
    MissingField(String),
    /// A value of another JSON type.
    WrongType,
    /// A value outside the spec's enum.
    NotInEnum,
    /// Anything else (format, bounds, `oneOf`).
    Other,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.at.is_empty() { "/" } else { &self.at };
        match &self.kind {
            ProblemKind::UnknownField(name) => write!(f, "field the spec does not know: {at} `{name}`"),
            ProblemKind::MissingField(name) => write!(f, "required field missing: {at} `{name}`"),
            ProblemKind::WrongType => write!(f, "type mismatch at {at}: {}", self.message),
            ProblemKind::NotInEnum => write!(f, "enum mismatch at {at}: {}", self.message),
            ProblemKind::Other => write!(f, "at {at}: {}", self.message),
        }
    }
}

impl Spec {
    /// Parses the spec's YAML text.
    pub fn from_yaml(text: &str) -> Result<Spec, String> {
        let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| format!("openapi.yaml is not valid YAML: {e}"))?;
        Ok(Spec { doc })
    }

    /// Reads the spec from a file.
    pub fn load(path: &std::path::Path) -> Result<Spec, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Spec::from_yaml(&text)
    }

    /// Follows a local `$ref` (`#/components/...`) until a value without one.
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        for _ in 0..16 {
            let Some(reference) = value.get("$ref").and_then(Value::as_str) else { break };
            match reference.strip_prefix('#').and_then(|pointer| self.doc.pointer(pointer)) {
                Some(target) => value = target,
                None => break,
            }
        }
        value
    }

    /// Every operation, ordered by path then method.
    pub fn operations(&self) -> Vec<Operation> {
        let mut operations = Vec::new();
        let Some(paths) = self.doc.get("paths").and_then(Value::as_object) else { return operations };
        for (path, item) in paths {
            let Some(item) = item.as_object() else { continue };
            for (method, op) in item {
                let Some(id) = op.get("operationId").and_then(Value::as_str) else { continue };
                let request = op
                    .get("requestBody")
                    .map(|body| self.resolve(body))
                    .and_then(|body| body.pointer("/content/application~1json"))
                    .cloned();
                let mut responses = Vec::new();
                if let Some(map) = op.get("responses").and_then(Value::as_object) {
                    for (code, response) in map {
                        let media = self.resolve(response).pointer("/content/application~1json").cloned();
                        responses.push((code.clone(), media));
                    }
                }
                operations.push(Operation {
                    id: id.to_owned(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    request,
                    responses,
                });
            }
        }
        operations
    }

    /// The JSON Schema of an OpenAPI schema object of this spec, with every named schema in
    /// `$defs`.
    pub fn json_schema(&self, schema: &Value, strict: bool) -> Value {
        let mut defs = Map::new();
        if let Some(schemas) = self.doc.pointer("/components/schemas").and_then(Value::as_object) {
            for (name, definition) in schemas {
                defs.insert(name.clone(), convert(definition, strict));
            }
        }
        let mut root = match convert(schema, strict) {
            Value::Object(map) => map,
            other => Map::from_iter([("allOf".to_owned(), Value::Array(vec![other]))]),
        };
        root.insert("$schema".to_owned(), Value::from("https://json-schema.org/draft/2020-12/schema"));
        root.insert("$defs".to_owned(), Value::Object(defs));
        Value::Object(root)
    }

    /// Validates `instance` against an OpenAPI schema object of this spec.
    pub fn check(&self, schema: &Value, instance: &Value, strict: bool) -> Result<Vec<Problem>, String> {
        let json_schema = self.json_schema(schema, strict);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&json_schema)
            .map_err(|e| format!("the schema does not compile: {e}"))?;
        let mut problems: Vec<Problem> = validator
            .iter_errors(instance)
            .flat_map(|error| {
                let at = error.instance_path().to_string();
                let message = error.to_string();
                use jsonschema::error::ValidationErrorKind as K;
                match error.kind() {
                    K::AdditionalProperties { unexpected } => unexpected
                        .iter()
                        .map(|name| Problem {
                            kind: ProblemKind::UnknownField(name.clone()),
                            at: at.clone(),
                            message: message.clone(),
                        })
                        .collect::<Vec<_>>(),
                    K::Required { property } => vec![Problem {
                        kind: ProblemKind::MissingField(property.as_str().unwrap_or_default().to_owned()),
                        at,
                        message,
                    }],
                    K::Type { .. } => vec![Problem { kind: ProblemKind::WrongType, at, message }],
                    K::Enum { .. } => vec![Problem { kind: ProblemKind::NotInEnum, at, message }],
                    _ => vec![Problem { kind: ProblemKind::Other, at, message }],
                }
            })
            .collect();
        problems.sort_by(|a, b| (&a.at, &a.kind).cmp(&(&b.at, &b.kind)));
        problems.dedup();
        Ok(problems)
    }
}

/// Keywords whose value is one schema.
const ONE_SCHEMA: &[&str] = &["items", "not", "additionalProperties"];
/// Keywords whose value is a list of schemas.
const SCHEMA_LIST: &[&str] = &["oneOf", "anyOf", "allOf"];
/// OpenAPI-only keywords, dropped (vendor extensions `x-*` are dropped too).
const OPENAPI_ONLY: &[&str] = &["nullable", "example", "discriminator", "xml", "externalDocs", "readOnly", "writeOnly"];

/// Turns one OpenAPI 3.0 schema object into JSON Schema 2020-12.
pub fn convert(schema: &Value, strict: bool) -> Value {
    let Value::Object(map) = schema else { return schema.clone() };
    let mut out = Map::new();
    for (key, value) in map {
        if key.starts_with("x-") || OPENAPI_ONLY.contains(&key.as_str()) {
            continue;
        }
        let converted = match key.as_str() {
            "$ref" => match value.as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
                Some(name) => Value::from(format!("#/$defs/{name}")),
                None => value.clone(),
            },
            "properties" => match value {
                Value::Object(properties) => Value::Object(
                    properties.iter().map(|(name, property)| (name.clone(), convert(property, strict))).collect(),
                ),
                other => other.clone(),
            },
            k if ONE_SCHEMA.contains(&k) && value.is_object() => convert(value, strict),
            k if SCHEMA_LIST.contains(&k) => match value {
                Value::Array(list) => Value::Array(list.iter().map(|s| convert(s, strict)).collect()),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    for (flag, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(Value::Bool(exclusive)) = out.get(flag).cloned() {
            out.remove(flag);
            if exclusive && let Some(limit) = out.remove(bound) {
                out.insert(flag.to_owned(), limit);
            }
        }
    }
    if strict && out.contains_key("properties") && !out.contains_key("additionalProperties") {
        out.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
        if let Some(Value::String(kind)) = out.get("type").cloned() {
            out.insert("type".to_owned(), Value::Array(vec![Value::from(kind), Value::from("null")]));
            if let Some(Value::Array(values)) = out.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
        } else {
            return Value::Object(Map::from_iter([(
                "anyOf".to_owned(),
                Value::Array(vec![Value::Object(out), serde_json::json!({ "type": "null" })]),
            )]));
        }
    }
    Value::Object(out)
}
