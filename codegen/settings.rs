//! The progenitor settings shared by every build script that generates code from
//! `openapi.yaml`: the SDK's (`build.rs`) and the command-line client's (`cli/build.rs`).
//! Keeping them in one place means the same spec gives the same Rust types everywhere.
//!
//! `sdk` is the path of the SDK crate as seen from the generated code: `crate` inside the SDK,
//! `credits_sdk` elsewhere. Every path below goes through items re-exported at the SDK's root.

use progenitor::{GenerationSettings, HooksMode, InterfaceStyle, TagStyle, TypeImpl};

/// Schemas whose value set the server may grow. They are replaced by hand-written open enums
/// that keep unknown values instead of failing to decode.
pub const OPEN_ENUMS: &[&str] =
    &["ReservationStatus", "TransactionType", "ModelType", "UsageType", "UsageContext", "PlanStartMode"];

/// Named schemas that exist to keep the spec DRY (one description, one set of bounds) but
/// read best in Rust as plain types rather than newtypes. `{sdk}` stands for the SDK's path.
pub const PLAIN_TYPES: &[(&str, &str)] = &[
    ("Credits", "{sdk}::Credits"),
    ("PositiveCredits", "{sdk}::Amount"),
    ("UsdAmount", "{sdk}::Usd"),
    // Nullable variants, for optional properties only: `null` and absence both read as `None`.
    ("NullableCredits", "{sdk}::Credits"),
    ("NullableUsdAmount", "{sdk}::Usd"),
    ("TokenCount", "u64"),
    ("Success", "bool"),
    ("ErrorBody", "{sdk}::api::ErrorBody"),
    ("Metadata", "::serde_json::Map<::std::string::String, ::serde_json::Value>"),
];

/// The generation settings, with paths to the SDK's own types written from `sdk`.
pub fn settings(sdk: &str) -> Result<GenerationSettings, String> {
    let inner: proc_macro2::TokenStream =
        format!("{sdk}::api::Pipeline").parse().map_err(|e| format!("bad SDK path {sdk:?}: {e}"))?;
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(inner)
        .with_hooks(HooksMode::Expected)
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq");
    for name in OPEN_ENUMS {
        settings.with_replacement(name, format!("{sdk}::{name}"), [TypeImpl::FromStr, TypeImpl::Display].into_iter());
    }
    for (name, rust_type) in PLAIN_TYPES {
        settings.with_replacement(name, rust_type.replace("{sdk}", sdk), std::iter::empty());
    }
    // Non-empty strings (ids) stay `String`: the bound is checked by the facade and the server,
    // and a newtype per field would make every struct literal noisy.
    let non_empty_string: schemars08::schema::SchemaObject =
        serde_json::from_value(serde_json::json!({ "type": "string", "minLength": 1 })).map_err(|e| e.to_string())?;
    settings.with_conversion(
        non_empty_string,
        "::std::string::String",
        [TypeImpl::FromStr, TypeImpl::Display].into_iter(),
    );
    Ok(settings)
}

/// Runs a progenitor generator, turning the panics by which it reports some spec problems
/// into an error message, so that build scripts can print a readable list instead of a
/// backtrace.
pub fn catch_progenitor(
    generate: impl FnOnce() -> Result<proc_macro2::TokenStream, String> + std::panic::UnwindSafe,
) -> Result<proc_macro2::TokenStream, String> {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let generated = std::panic::catch_unwind(generate);
    std::panic::set_hook(default_hook);
    match generated {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(message)) => Err(format!("progenitor: {message}")),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(format!("progenitor failed: {message}"))
        }
    }
}

/// Ends a build script that could not generate its code: prints the problems as one readable
/// build error (`what` is what could not be generated, `rebuild` the command to run again).
pub fn build_failure(what: &str, rebuild: &str, problems: &[String]) -> std::process::ExitCode {
    eprintln!("\nerror: openapi.yaml cannot be turned into {what}:");
    for problem in problems {
        eprintln!("  - {problem}");
    }
    eprintln!("\nFix openapi.yaml and run `{rebuild}` again.\n");
    std::process::ExitCode::FAILURE
}
