//! Generates the Credits API client from `openapi.yaml` with progenitor.
//!
//! Writes two files to `OUT_DIR`:
//! - `codegen.rs`: the progenitor client (builders, types), included by `src/api.rs`;
//! - `operations.rs`: one [`OperationSpec`]-shaped entry per operation, read from the spec's
//!   vendor extensions (`x-credits-retry-safe`, `x-credits-facade`), so retry behaviour and the
//!   facade-coverage test follow the spec.
//!
//! A spec problem stops the build with a message that names the operation and the rule it
//! breaks, instead of a panic backtrace from inside progenitor.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use openapiv3::{OpenAPI, ReferenceOr, StatusCode};
use progenitor::Generator;

const SPEC: &str = "openapi.yaml";

#[path = "codegen/settings.rs"]
mod codegen_settings;

#[path = "codegen/postprocess.rs"]
mod postprocess;

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=codegen/settings.rs");
    println!("cargo:rerun-if-changed=codegen/postprocess.rs");
    match generate() {
        Ok(()) => ExitCode::SUCCESS,
        Err(problems) => {
            eprintln!("\nerror: {SPEC} cannot be turned into a client:");
            for problem in problems {
                eprintln!("  - {problem}");
            }
            eprintln!("\nFix {SPEC} and run `cargo build` again.\n");
            ExitCode::FAILURE
        }
    }
}

fn generate() -> Result<(), Vec<String>> {
    let text = std::fs::read_to_string(SPEC).map_err(|e| vec![format!("cannot read {SPEC}: {e}")])?;
    let spec: OpenAPI =
        serde_yaml_ng::from_str(&text).map_err(|e| vec![format!("{SPEC} is not a valid OpenAPI 3.0 document: {e}")])?;

    let operations = check_operations(&spec)?;

    let settings = codegen_settings::settings("crate").map_err(|e| vec![e])?;

    // progenitor reports some spec problems by panicking; turn those into build errors too.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let generated = std::panic::catch_unwind(move || {
        let mut generator = Generator::new(&settings);
        generator.generate_tokens(&spec).map_err(|e| e.to_string())
    });
    std::panic::set_hook(default_hook);
    let tokens = match generated {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(message)) => return Err(vec![format!("progenitor: {message}")]),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_owned());
            return Err(vec![format!(
                "progenitor failed: {message} (the rules it enforces are listed in the README, section \"Regenerating when the API changes\")"
            )]);
        }
    };

    let mut ast = syn::parse2(tokens).map_err(|e| vec![format!("progenitor produced invalid Rust: {e}")])?;
    // `#[non_exhaustive]` on response-only types, user-facing wording in the docs.
    postprocess::apply(&mut ast);
    let code = prettyplease::unparse(&ast);

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or_else(|| vec!["OUT_DIR is not set".to_owned()])?);
    write(&out_dir.join("codegen.rs"), &code)?;
    write(&out_dir.join("operations.rs"), &operations)?;
    Ok(())
}

fn write(path: &Path, contents: &str) -> Result<(), Vec<String>> {
    std::fs::write(path, contents).map_err(|e| vec![format!("cannot write {}: {e}", path.display())])
}

/// Checks the rules progenitor and this SDK rely on, naming each offending operation, and
/// renders the operation table.
fn check_operations(spec: &OpenAPI) -> Result<String, Vec<String>> {
    let mut problems = Vec::new();
    let mut seen_ids = BTreeSet::new();
    let mut table = String::from("&[\n");

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
            let _ = writeln!(
                table,
                "    OperationSpec {{ operation_id: {id:?}, method: {method:?}, path: {path:?}, retry_safe: {retry_safe}, facade_methods: &{facade:?} }},"
            );
        }
    }
    table.push(']');
    if problems.is_empty() { Ok(table) } else { Err(problems) }
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
