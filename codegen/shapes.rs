//! What the SDK knows of each operation's fields, rendered for `operations.rs`: the declared
//! top-level fields of its JSON request body and its query parameters (per-call extras may not
//! clash with them), and the shape of its success response (which fields the spec declares, so
//! that the SDK can list those it does not).
//!
//! A shape keeps only what tells declared fields from undeclared ones: objects (their declared
//! properties, and whether other keys are allowed), arrays and maps; scalars are `ANY`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

/// The shapes of the spec as Rust `static`s, each named once.
#[derive(Default)]
pub struct Shapes {
    /// The statics' source, in the order they were made.
    source: String,
    /// The static rendered for each component schema, by its `$ref`.
    components: BTreeMap<String, String>,
    count: usize,
}

impl Shapes {
    /// The Rust source of every shape made so far.
    pub fn into_source(self) -> String {
        self.source
    }

    /// The name of the static describing `schema` (made now if it is new).
    pub fn shape_of(&mut self, doc: &Value, schema: Option<&Value>) -> String {
        let Some(schema) = schema else { return "ANY".to_owned() };
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            if let Some(name) = self.components.get(reference) {
                return name.clone();
            }
            let component = reference.rsplit('/').next().unwrap_or("ref");
            let name = format!(
                "SHAPE_{}",
                component.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_uppercase()
            );
            // Named before its body is rendered, so that a schema that contains itself ends.
            self.components.insert(reference.to_owned(), name.clone());
            let target = reference.strip_prefix('#').and_then(|pointer| doc.pointer(pointer));
            let body = self.render(doc, target);
            if body == "Shape::Any" {
                // Nothing inside to declare (a scalar): no static of its own.
                self.components.insert(reference.to_owned(), "ANY".to_owned());
                return "ANY".to_owned();
            }
            let _ = writeln!(self.source, "static {name}: Shape = {body};");
            return name;
        }
        let body = self.render(doc, Some(schema));
        if body == "Shape::Any" {
            return "ANY".to_owned();
        }
        self.count += 1;
        let name = format!("SHAPE_{}", self.count);
        let _ = writeln!(self.source, "static {name}: Shape = {body};");
        name
    }

    /// The `Shape` expression of one schema.
    fn render(&mut self, doc: &Value, schema: Option<&Value>) -> String {
        let Some(schema) = schema else { return "Shape::Any".to_owned() };
        if schema.get("type").and_then(Value::as_str) == Some("array") {
            return format!("Shape::Array(&{})", self.shape_of(doc, schema.get("items")));
        }
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        let mut rest: Option<String> = None;
        let mut object = false;
        self.collect(doc, schema, &mut fields, &mut rest, &mut object, 0);
        if !object {
            return "Shape::Any".to_owned();
        }
        let fields: Vec<String> = fields.into_iter().map(|(name, shape)| format!("({name:?}, &{shape})")).collect();
        let rest = rest.map_or("None".to_owned(), |shape| format!("Some(&{shape})"));
        format!("Shape::Object {{ fields: &[{}], rest: {rest} }}", fields.join(", "))
    }

    /// Gathers the properties of an object schema, through `allOf`, `oneOf` and `anyOf` (a
    /// property any branch declares is declared) and `$ref`s.
    fn collect(
        &mut self,
        doc: &Value,
        schema: &Value,
        fields: &mut BTreeMap<String, String>,
        rest: &mut Option<String>,
        object: &mut bool,
        depth: usize,
    ) {
        if depth > 32 {
            return;
        }
        let schema = match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => match reference.strip_prefix('#').and_then(|pointer| doc.pointer(pointer)) {
                Some(target) => target,
                None => return,
            },
            None => schema,
        };
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            *object = true;
            for (name, property) in properties {
                let shape = self.shape_of(doc, Some(property));
                fields.insert(name.clone(), shape);
            }
        }
        match schema.get("additionalProperties") {
            Some(Value::Bool(true)) => {
                *object = true;
                *rest = Some("ANY".to_owned());
            }
            Some(extra @ Value::Object(_)) => {
                *object = true;
                *rest = Some(self.shape_of(doc, Some(extra)));
            }
            _ => {}
        }
        if schema.get("type").and_then(Value::as_str) == Some("object") {
            *object = true;
            if schema.get("properties").is_none() && schema.get("additionalProperties").is_none() {
                // A free-form object (OpenAPI's default for `additionalProperties`).
                *rest = Some("ANY".to_owned());
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for branch in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
                self.collect(doc, branch, fields, rest, object, depth + 1);
            }
        }
    }
}

/// Follows a `$ref` (to a parameter, a request body or a response) to what it names.
pub fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')).and_then(|p| doc.pointer(p)) {
        Some(target) => target,
        None => value,
    }
}

/// The operation's extra entries of the table: `body_fields`, `query_params` and `response`.
pub fn operation_fields(shapes: &mut Shapes, doc: &Value, item: &Value, op: &Value) -> String {
    let body = op.get("requestBody").map(|body| resolve(doc, body));
    let body_schema = body.and_then(|b| b.pointer("/content/application~1json/schema"));
    let mut body_fields = std::collections::BTreeMap::new();
    let mut rest = None;
    let mut object = false;
    if let Some(schema) = body_schema {
        shapes.collect(doc, schema, &mut body_fields, &mut rest, &mut object, 0);
    }
    let body_fields: Vec<&String> = body_fields.keys().collect();
    let query: Vec<String> = item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten())
        .map(|p| resolve(doc, p))
        .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
        .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let success = op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .find(|(code, _)| code.starts_with('2'))
        .map(|(_, response)| resolve(doc, response));
    let response_schema = success.and_then(|r| r.pointer("/content/application~1json/schema"));
    let response = shapes.shape_of(doc, response_schema);
    format!(
        "json_body: {}, body_fields: &{body_fields:?}, query_params: &{query:?}, response: &{response}",
        body_schema.is_some()
    )
}
