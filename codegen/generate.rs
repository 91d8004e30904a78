//! What both build scripts (the SDK's and `credits-types`') run: read `openapi.yaml`, check the
//! rules progenitor and the SDK rely on (naming each offending operation instead of letting
//! progenitor panic), generate the client with progenitor and post-process it
//! (`postprocess.rs`). Each build script then keeps its part: `credits-types` the `types`
//! module, the SDK the client over those types.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use openapiv3::{OpenAPI, ReferenceOr, StatusCode};
use progenitor::Generator;

#[path = "settings.rs"]
mod codegen_settings;

#[path = "postprocess.rs"]
pub mod postprocess;

#[path = "shapes.rs"]
mod shapes;

#[path = "webhooks.rs"]
mod webhooks;

/// The spec's file name, relative to the package being built.
pub const SPEC: &str = "openapi.yaml";

/// progenitor's output, post-processed, and the operation table.
pub struct Generated {
    /// The whole generated file: `types`, the `Client` and its builders.
    pub file: syn::File,
    /// One [`OperationSpec`]-shaped entry per operation, read from the spec's vendor
    /// extensions (`x-credits-retry-safe`, `x-credits-facade`).
    #[allow(dead_code)] // the SDK writes it; `credits-types` has no client
    pub operations: String,
    /// The webhook events of `x-credits-webhooks`, as Rust (`codegen/webhooks.rs`).
    #[allow(dead_code)] // `credits-types` writes it; the SDK re-exports those types
    pub webhooks: String,
}

/// A build script's `main`: generates the code from the spec (paths to the values written
/// from `crate`, which both crates re-export at their root), hands it to `keep` with
/// `OUT_DIR` to write its part, and turns any problem into one readable build error.
pub fn main(keep: impl FnOnce(Generated, &Path) -> Result<(), Vec<String>>) -> ExitCode {
    for file in [
        SPEC,
        "build.rs",
        "codegen/settings.rs",
        "codegen/postprocess.rs",
        "codegen/generate.rs",
        "codegen/shapes.rs",
        "codegen/webhooks.rs",
    ] {
        println!("cargo:rerun-if-changed={file}");
    }
    let run = || {
        let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or_else(|| vec!["OUT_DIR is not set".to_owned()])?);
        keep(generate("crate")?, &out_dir)
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(problems) => codegen_settings::build_failure("a client", "cargo build", &problems),
    }
}

/// Checks the spec and generates the client, with paths to the SDK's own types written
/// from `sdk` (see `codegen_settings::settings`).
pub fn generate(sdk: &str) -> Result<Generated, Vec<String>> {
    let text = std::fs::read_to_string(SPEC).map_err(|e| vec![format!("cannot read {SPEC}: {e}")])?;
    let spec: OpenAPI =
        serde_yaml_ng::from_str(&text).map_err(|e| vec![format!("{SPEC} is not a valid OpenAPI 3.0 document: {e}")])?;

    // The same document as plain JSON, for the checks progenitor would otherwise answer with a
    // panic (a `$ref` to nothing, an undeclared path parameter).
    let doc: serde_json::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| vec![format!("{SPEC} is not valid YAML: {e}")])?;
    let mut problems = check_document(&doc);
    let webhooks = webhooks::render(&doc).unwrap_or_else(|more| {
        problems.extend(more);
        String::new()
    });
    let operations = match check_operations(&spec, &doc) {
        Ok(table) if problems.is_empty() => table,
        Ok(_) => return Err(problems),
        Err(more) => {
            problems.extend(more);
            return Err(problems);
        }
    };

    let settings = codegen_settings::settings(sdk).map_err(|e| vec![e])?;

    // progenitor reports some spec problems by panicking; turn those into build errors too.
    let tokens = codegen_settings::catch_progenitor(move || {
        let mut generator = Generator::new(&settings);
        generator.generate_tokens(&spec).map_err(|e| e.to_string())
    })
    .map_err(|message| {
        vec![format!("{message} (the rules it enforces are listed in the README, section \"When the API changes\")")]
    })?;

    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| vec![format!("progenitor produced invalid Rust: {e}")])?;
    postprocess::apply(&mut file).map_err(|e| vec![e])?;
    Ok(Generated { file, operations, webhooks })
}

/// Writes generated code, formatted.
pub fn write(path: &Path, file: &syn::File) -> Result<(), Vec<String>> {
    std::fs::write(path, prettyplease::unparse(file)).map_err(|e| vec![format!("cannot write {}: {e}", path.display())])
}

/// Checks the rules progenitor and this SDK rely on, naming each offending operation, and
/// renders the operation table (`OPERATIONS`, after the response shapes it points to).
fn check_operations(spec: &OpenAPI, doc: &serde_json::Value) -> Result<String, Vec<String>> {
    let mut problems = Vec::new();
    let mut seen_ids = BTreeSet::new();
    let mut table = String::from("pub static OPERATIONS: &[OperationSpec] = &[\n");
    let mut shapes = shapes::Shapes::default();

    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            problems.push(format!("{path}: path items must be inline, not $ref"));
            continue;
        };
        for (method, op) in item.iter() {
            let method = method.to_uppercase();
            let Some(id) = op.operation_id.as_deref() else {
                problems.push(format!("{method} {path}: no operationId"));
                continue;
            };
            let at = format!("{id} ({method} {path})");
            if !seen_ids.insert(id.to_owned()) {
                problems.push(format!("{at}: operationId used twice"));
            }
            if id.chars().any(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')) {
                problems.push(format!("{at}: operationId must be snake_case"));
            }
            if op.tags.is_empty() {
                problems.push(format!("{at}: no tag"));
            }
            if op.description.as_deref().is_none_or(str::is_empty) {
                problems.push(format!("{at}: no description"));
            }
            if op.responses.default.is_some() {
                problems.push(format!("{at}: a `default` response is not supported; use \"4XX\"/\"5XX\""));
            }
            let success: BTreeSet<String> = op
                .responses
                .responses
                .iter()
                .filter(|(code, _)| is_success(code))
                .map(|(_, response)| response_key(response))
                .collect();
            if success.len() != 1 {
                problems.push(format!("{at}: needs exactly one success response schema, found {}", success.len()));
            }
            let retry_safe = match op.extensions.get("x-credits-retry-safe") {
                Some(serde_json::Value::Bool(flag)) => *flag,
                _ => {
                    problems.push(format!("{at}: `x-credits-retry-safe` must be true or false"));
                    false
                }
            };
            let facade: Vec<String> = match op.extensions.get("x-credits-facade") {
                None => vec![id.to_owned()],
                Some(serde_json::Value::Array(names)) => {
                    names.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect()
                }
                Some(_) => {
                    problems.push(format!("{at}: `x-credits-facade` must be a list of method names"));
                    Vec::new()
                }
            };
            let raw_item = &doc["paths"][path.as_str()];
            let fields = shapes::operation_fields(&mut shapes, doc, raw_item, &raw_item[method.to_lowercase()]);
            let _ = writeln!(
                table,
                "    OperationSpec {{ operation_id: {id:?}, method: {method:?}, path: {path:?}, retry_safe: {retry_safe}, facade_methods: &{facade:?}, {fields} }},"
            );
        }
    }
    table.push_str("];\n");
    if problems.is_empty() { Ok(format!("{}\n{table}", shapes.into_source())) } else { Err(problems) }
}

/// Checks what progenitor does not report by name: every `$ref` an operation reaches (through
/// its parameters, body, responses and the schemas they use) points to something, every
/// `{name}` in a path is a declared, required path parameter (and every declared path parameter
/// is in the path), and the schemas marked `x-credits-open-enum` are those the generator replaces
/// with open enums (`codegen/settings.rs`).
fn check_document(doc: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let mut problems = Vec::new();
    let resolve = |reference: &str| reference.strip_prefix('#').and_then(|pointer| doc.pointer(pointer));
    let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !methods.contains(&method.as_str()) {
                continue;
            }
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or("(no operationId)");
            let at = format!("{id} ({} {path})", method.to_uppercase());

            // Every reference reachable from the operation, followed through the components.
            let mut pending: Vec<(String, String)> = Vec::new();
            collect_refs(op, "the operation", &mut pending);
            let mut seen = BTreeSet::new();
            while let Some((reference, from)) = pending.pop() {
                if !seen.insert(reference.clone()) {
                    continue;
                }
                match resolve(&reference) {
                    Some(target) => collect_refs(target, &reference, &mut pending),
                    None => problems.push(format!(
                        "{at}: `$ref: {reference}` (in {from}) points to nothing; define it under `components` or fix the name"
                    )),
                }
            }

            // Path parameters: declared exactly as the path template names them, and required.
            let template: BTreeSet<String> =
                path.split('{').skip(1).filter_map(|rest| rest.split('}').next()).map(str::to_owned).collect();
            let declared: Vec<&Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten())
                .map(|p| p.get("$ref").and_then(Value::as_str).and_then(resolve).unwrap_or(p))
                .filter(|p| p.get("in").and_then(Value::as_str) == Some("path"))
                .collect();
            let mut names = BTreeSet::new();
            for parameter in declared {
                let name = parameter.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
                if !template.contains(&name) {
                    problems
                        .push(format!("{at}: path parameter `{name}` is declared but the path has no `{{{name}}}`"));
                }
                if parameter.get("required") != Some(&Value::Bool(true)) {
                    problems.push(format!("{at}: path parameter `{name}` must be `required: true`"));
                }
                names.insert(name);
            }
            for name in template.difference(&names) {
                problems.push(format!(
                    "{at}: `{{{name}}}` in the path is not declared as a parameter (`in: path`, `required: true`)"
                ));
            }
        }
    }

    let marked: BTreeSet<&str> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, schema)| schema.get("x-credits-open-enum") == Some(&Value::Bool(true)))
        .map(|(name, _)| name.as_str())
        .collect();
    let replaced: BTreeSet<&str> = codegen_settings::OPEN_ENUMS.iter().copied().collect();
    for name in marked.difference(&replaced) {
        problems.push(format!(
            "schema {name}: marked `x-credits-open-enum: true` but not listed in OPEN_ENUMS (codegen/settings.rs) with a hand-written open enum"
        ));
    }
    for name in replaced.difference(&marked) {
        problems.push(format!(
            "schema {name}: listed in OPEN_ENUMS (codegen/settings.rs) but not marked `x-credits-open-enum: true` in {SPEC}"
        ));
    }
    problems
}

/// Collects every `$ref` inside `value`, remembering where it was found.
fn collect_refs(value: &serde_json::Value, from: &str, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", serde_json::Value::String(reference)) => out.push((reference.clone(), from.to_owned())),
                    // Examples are data, not schemas.
                    ("example" | "examples", _) => {}
                    _ => collect_refs(inner, from, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|inner| collect_refs(inner, from, out)),
        _ => {}
    }
}

fn is_success(code: &StatusCode) -> bool {
    match code {
        StatusCode::Code(n) => (200..300).contains(n),
        StatusCode::Range(n) => *n == 2,
    }
}

/// Identifies a response by what it decodes to, so that `200` and `201` sharing one schema
/// count once.
fn response_key(response: &ReferenceOr<openapiv3::Response>) -> String {
    match response {
        ReferenceOr::Reference { reference } => reference.clone(),
        ReferenceOr::Item(item) => item
            .content
            .get("application/json")
            .and_then(|media| media.schema.as_ref())
            .map(|schema| match schema {
                ReferenceOr::Reference { reference } => reference.clone(),
                ReferenceOr::Item(inline) => format!("{inline:?}"),
            })
            .unwrap_or_else(|| "no content".to_owned()),
    }
}
