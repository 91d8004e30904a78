//! Generates the `credits` command tree from `openapi.yaml` with progenitor's CLI generator.
//!
//! Shared by `build.rs` (which writes the result to `OUT_DIR/cli.rs`) and
//! `tests/generation.rs` (which runs it on a copy of the spec with an extra operation). Both
//! include this file with `#[path]`, next to the shared settings module `codegen_settings`.
//!
//! What it does, in order:
//! 1. reads the spec and takes the SDK's generation settings (`codegen_settings::settings`),
//!    so the command tree names exactly the types the SDK was generated with;
//! 2. declares `FromStr` on the spec's scalar schemas that the settings replace by plain Rust
//!    types (`Credits` → `f64`, `PositiveCredits` → the SDK's `Amount`, `TokenCount` → `u64`…):
//!    progenitor only makes a flag of a body property whose type it knows to parse from text,
//!    and without this `--amount` would not exist. Such flags are parsed as JSON (their wire
//!    form) by `crate::flags::json_scalar`, whatever the Rust type is;
//! 3. runs `Generator::cli` against `credits_sdk::api`, turning its panics into errors;
//! 4. adjusts the output with `syn`: `--json-body` is read by `crate::flags::read_json_body`
//!    (which also takes `-` for standard input) and applied *before* the flags, so that flags
//!    override fields of the file instead of being silently replaced by it;
//! 5. appends `OPERATIONS`: each operation's command name, tag, summary and a JSON body
//!    template, for the help listing and `--json-body-template`.
#![allow(dead_code)]

use std::collections::{BTreeSet, HashSet};

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use progenitor::{Generator, TypeImpl};
use quote::ToTokens;
use syn::visit_mut::VisitMut;

/// The path of the generated client the command tree calls, as the CLI crate sees it.
pub const SDK: &str = "credits_sdk";
const API: &str = "credits_sdk::api";

/// Commands of the `credits` binary that are not operations of the spec.
pub const BUILTIN_COMMANDS: &[&str] = &["sandbox", "completions", "help"];

/// Flags every command has (`--api-key`, `--output`...) or that progenitor adds.
pub const RESERVED_FLAGS: &[&str] =
    &["api-key", "base-url", "output", "verbose", "timeout", "help", "json-body", "json-body-template"];

/// One operation of the spec as the command line shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The spec's `operationId`, e.g. `add_credits`.
    pub operation_id: String,
    /// The command, e.g. `add-credits`.
    pub command: String,
    /// The operation's first tag, e.g. `credits`.
    pub tag: String,
    /// The operation's summary (one line).
    pub summary: String,
    /// A JSON body to start from, when the operation takes one.
    pub body_template: Option<String>,
    /// `(flag, help)` for body properties that are a `$ref`, which progenitor leaves without
    /// help: the referenced schema's description.
    pub flag_help: Vec<(String, String)>,
}

/// The generated command tree.
#[derive(Debug)]
pub struct Generated {
    /// Rust source: progenitor's `Cli`, `CliCommand`, `CliConfig`, and `OPERATIONS`.
    pub code: String,
    /// The operations, in the spec's order.
    pub operations: Vec<Operation>,
    /// The spec's tags, in the spec's order.
    pub tags: Vec<String>,
}

/// Generates the command tree from the text of an OpenAPI document.
pub fn generate(spec_text: &str) -> Result<Generated, Vec<String>> {
    let spec: OpenAPI = serde_yaml_ng::from_str(spec_text)
        .map_err(|e| vec![format!("the spec is not a valid OpenAPI 3.0 document: {e}")])?;

    let operations = operations(&spec)?;
    let tags: Vec<String> = spec.tags.iter().map(|t| t.name.clone()).collect();

    let mut settings = crate::codegen_settings::settings(SDK).map_err(|e| vec![e])?;
    let mut json_scalars = BTreeSet::new();
    for (name, rust_type) in crate::codegen_settings::PLAIN_TYPES {
        if is_scalar_schema(&spec, name) {
            let rust_type = rust_type.replace("{sdk}", SDK);
            settings.with_replacement(name, &rust_type, [TypeImpl::FromStr, TypeImpl::Display].into_iter());
            let ty: syn::Type =
                syn::parse_str(&rust_type).map_err(|e| vec![format!("bad Rust type {rust_type:?} for {name}: {e}")])?;
            json_scalars.insert(normalized(&ty));
        }
    }

    // progenitor reports some spec problems by panicking; turn those into errors.
    let tokens = crate::codegen_settings::catch_progenitor(|| {
        let mut generator = Generator::new(&settings);
        generator.cli(&spec, API).map_err(|e| e.to_string())
    })
    .map_err(|message| vec![format!("{message} (generating the CLI)")])?;

    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| vec![format!("progenitor produced invalid Rust: {e}")])?;
    let mut rewrite = Rewrite { json_scalars, ..Rewrite::default() };
    rewrite.visit_file_mut(&mut file);
    let with_body = operations.iter().filter(|op| op.body_template.is_some()).count();
    if rewrite.body_readers != with_body || rewrite.body_moves != with_body {
        return Err(vec![format!(
            "progenitor's CLI output changed shape: {with_body} operations take a body, but {} read \
             `--json-body` and {} could be reordered; update cli/generate.rs",
            rewrite.body_readers, rewrite.body_moves
        )]);
    }

    let mut code = prettyplease::unparse(&file);
    code.push_str(
        "\n/// Every operation of the spec, in the spec's order.\npub const OPERATIONS: &[crate::SpecOperation] = &[\n",
    );
    for op in &operations {
        code.push_str(&format!(
            "    crate::SpecOperation {{ operation_id: {:?}, command: {:?}, tag: {:?}, summary: {:?}, body_template: {:?}, flag_help: &{:?} }},\n",
            op.operation_id, op.command, op.tag, op.summary, op.body_template, op.flag_help
        ));
    }
    code.push_str("];\n\n/// The spec's tags, in the spec's order: the command groups.\npub const TAGS: &[&str] = &[");
    for tag in &tags {
        code.push_str(&format!("{tag:?}, "));
    }
    code.push_str("];\n");
    Ok(Generated { code, operations, tags })
}

/// The operations with their command names, checked for names the command line cannot take.
fn operations(spec: &OpenAPI) -> Result<Vec<Operation>, Vec<String>> {
    let mut problems = Vec::new();
    let mut operations = Vec::new();
    let mut commands = HashSet::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            problems.push(format!("{path}: path items must be inline, not $ref"));
            continue;
        };
        for (method, op) in item.iter() {
            let at = format!("{} {path}", method.to_uppercase());
            let Some(id) = op.operation_id.as_deref() else {
                problems.push(format!("{at}: no operationId"));
                continue;
            };
            let command = id.replace('_', "-");
            if BUILTIN_COMMANDS.contains(&command.as_str()) {
                problems.push(format!("{id} ({at}): `credits {command}` is a built-in command; rename the operation"));
            }
            if !commands.insert(command.clone()) {
                problems.push(format!("{id} ({at}): a second operation would be `credits {command}`"));
            }
            let mut flags: Vec<String> = item
                .parameters
                .iter()
                .chain(&op.parameters)
                .filter_map(|p| resolve_parameter(spec, p))
                .map(|p| kebab(&p.parameter_data_ref().name))
                .collect();
            let body = op.request_body.as_ref().and_then(|b| request_body_schema(spec, b));
            if let Some(schema) = body {
                flags.extend(object_properties(spec, schema).into_iter().map(|(name, _)| kebab(&name)));
            }
            let flag_help = body.map(|schema| referenced_help(spec, schema)).unwrap_or_default();
            for flag in flags {
                if RESERVED_FLAGS.contains(&flag.as_str()) {
                    problems.push(format!("{id} ({at}): `--{flag}` is a flag of every command; rename the parameter"));
                }
            }
            operations.push(Operation {
                operation_id: id.to_owned(),
                command,
                tag: op.tags.first().cloned().unwrap_or_else(|| "other".to_owned()),
                summary: op.summary.clone().unwrap_or_default(),
                body_template: body.map(|schema| template(spec, schema, 0).to_string()),
                flag_help,
            });
        }
    }
    if problems.is_empty() { Ok(operations) } else { Err(problems) }
}

/// `accountId` → `account-id`, `expires_in` → `expires-in`, as progenitor (heck) names flags.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 && !out.ends_with('-') {
            out.push('-');
        }
        if c == '_' {
            out.push('-');
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Whether a component schema is a JSON number, integer or boolean.
fn is_scalar_schema(spec: &OpenAPI, name: &str) -> bool {
    let schema = spec.components.as_ref().and_then(|c| c.schemas.get(name));
    matches!(
        schema.and_then(|s| resolve(spec, s, 0)).map(|s| &s.schema_kind),
        Some(SchemaKind::Type(Type::Number(_) | Type::Integer(_) | Type::Boolean(_)))
    )
}

fn resolve<'a>(spec: &'a OpenAPI, schema: &'a ReferenceOr<Schema>, depth: usize) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(schema) => Some(schema),
        ReferenceOr::Reference { reference } if depth < 16 => {
            let name = reference.strip_prefix("#/components/schemas/")?;
            resolve(spec, spec.components.as_ref()?.schemas.get(name)?, depth + 1)
        }
        ReferenceOr::Reference { .. } => None,
    }
}

fn resolve_boxed<'a>(spec: &'a OpenAPI, schema: &'a ReferenceOr<Box<Schema>>, depth: usize) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(schema) => Some(schema),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/schemas/")?;
            resolve(spec, spec.components.as_ref()?.schemas.get(name)?, depth + 1)
        }
    }
}

fn resolve_parameter<'a>(
    spec: &'a OpenAPI,
    parameter: &'a ReferenceOr<openapiv3::Parameter>,
) -> Option<&'a openapiv3::Parameter> {
    match parameter {
        ReferenceOr::Item(parameter) => Some(parameter),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/parameters/")?;
            match spec.components.as_ref()?.parameters.get(name)? {
                ReferenceOr::Item(parameter) => Some(parameter),
                ReferenceOr::Reference { .. } => None,
            }
        }
    }
}

fn request_body_schema<'a>(spec: &'a OpenAPI, body: &'a ReferenceOr<openapiv3::RequestBody>) -> Option<&'a Schema> {
    let body = match body {
        ReferenceOr::Item(body) => body,
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/requestBodies/")?;
            match spec.components.as_ref()?.request_bodies.get(name)? {
                ReferenceOr::Item(body) => body,
                ReferenceOr::Reference { .. } => return None,
            }
        }
    };
    let media = body.content.get("application/json")?;
    resolve(spec, media.schema.as_ref()?, 0)
}

fn object_properties<'a>(spec: &'a OpenAPI, schema: &'a Schema) -> Vec<(String, &'a Schema)> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => object
            .properties
            .iter()
            .filter_map(|(name, property)| resolve_boxed(spec, property, 0).map(|s| (name.clone(), s)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Help for the properties of an object schema that are a `$ref` to a described schema.
fn referenced_help(spec: &OpenAPI, schema: &Schema) -> Vec<(String, String)> {
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return Vec::new();
    };
    object
        .properties
        .iter()
        .filter(|(_, property)| matches!(property, ReferenceOr::Reference { .. }))
        .filter_map(|(name, property)| {
            let description = resolve_boxed(spec, property, 0)?.schema_data.description.as_deref()?;
            Some((kebab(name), description.split_whitespace().collect::<Vec<_>>().join(" ")))
        })
        .collect()
}

/// A JSON value of the schema's shape to start a body from: the example or default when the
/// spec has one, else a placeholder of the right type.
fn template(spec: &OpenAPI, schema: &Schema, depth: usize) -> serde_json::Value {
    use serde_json::{Value, json};
    if let Some(example) = schema.schema_data.example.clone().or_else(|| schema.schema_data.default.clone()) {
        return example;
    }
    if depth > 8 {
        return Value::Null;
    }
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            json!(string.enumeration.iter().flatten().next().cloned().unwrap_or_default())
        }
        SchemaKind::Type(Type::Number(_) | Type::Integer(_)) => json!(0),
        SchemaKind::Type(Type::Boolean(_)) => json!(false),
        SchemaKind::Type(Type::Array(_)) => json!([]),
        SchemaKind::Type(Type::Object(_)) => Value::Object(
            object_properties(spec, schema)
                .into_iter()
                .map(|(name, property)| (name, template(spec, property, depth + 1)))
                .collect(),
        ),
        SchemaKind::OneOf { one_of: options } | SchemaKind::AnyOf { any_of: options } => {
            options.first().and_then(|s| resolve(spec, s, 0)).map_or(Value::Null, |s| template(spec, s, depth + 1))
        }
        _ => Value::Null,
    }
}

fn normalized(ty: &syn::Type) -> String {
    ty.to_token_stream().to_string()
}

/// The adjustments made to progenitor's output (see the module documentation).
#[derive(Default)]
struct Rewrite {
    /// Types whose flags are parsed from their JSON text.
    json_scalars: BTreeSet<String>,
    /// How many `--json-body` readers were redirected to `crate::flags::read_json_body`.
    body_readers: usize,
    /// How many `execute_*` functions had their `--json-body` statement moved first.
    body_moves: usize,
}

impl VisitMut for Rewrite {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        match expr {
            // `::clap::value_parser!(T)` for a JSON scalar → `crate::flags::json_scalar::<T>()`.
            syn::Expr::Macro(mac) if mac.mac.path.segments.last().is_some_and(|s| s.ident == "value_parser") => {
                if let Ok(ty) = syn::parse2::<syn::Type>(mac.mac.tokens.clone())
                    && self.json_scalars.contains(&normalized(&ty))
                {
                    *expr = syn::parse_quote!(crate::flags::json_scalar::<#ty>());
                }
            }
            // `std::fs::read_to_string(path)` (the `--json-body` reader) → ours, which takes `-`.
            syn::Expr::Call(call) => {
                if let syn::Expr::Path(func) = &*call.func {
                    let segments: Vec<String> = func.path.segments.iter().map(|s| s.ident.to_string()).collect();
                    if segments == ["std", "fs", "read_to_string"] {
                        *call.func = syn::parse_quote!(crate::flags::read_json_body);
                        self.body_readers += 1;
                    }
                }
            }
            _ => {}
        }
    }

    fn visit_impl_item_fn_mut(&mut self, function: &mut syn::ImplItemFn) {
        syn::visit_mut::visit_impl_item_fn_mut(self, function);
        if !function.sig.ident.to_string().starts_with("execute_") {
            return;
        }
        let stmts = &mut function.block.stmts;
        let is_request = |stmt: &syn::Stmt| {
            matches!(stmt, syn::Stmt::Local(local)
                if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "request"))
        };
        let reads_body = |stmt: &syn::Stmt| {
            matches!(stmt, syn::Stmt::Expr(syn::Expr::If(_), _))
                && stmt.to_token_stream().to_string().contains("\"json-body\"")
        };
        if let (Some(first), Some(body)) = (stmts.iter().position(is_request), stmts.iter().position(reads_body))
            && body > first
        {
            let stmt = stmts.remove(body);
            stmts.insert(first + 1, stmt);
            self.body_moves += 1;
        }
    }
}
