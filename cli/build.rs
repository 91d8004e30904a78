//! Generates the `credits` command tree from the workspace's `openapi.yaml` with progenitor's
//! CLI generator, using the SDK's generation settings (`codegen/settings.rs`). See
//! `generate.rs` for what is generated; the result is written to `OUT_DIR/cli.rs` and included
//! by `src/generated.rs`.
//!
//! A spec problem stops the build with a list of readable messages instead of a panic
//! backtrace from inside progenitor.

use std::path::PathBuf;
use std::process::ExitCode;

#[path = "../codegen/settings.rs"]
mod codegen_settings;

#[path = "generate.rs"]
mod generate;

const SPEC: &str = "../openapi.yaml";

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=../codegen/settings.rs");
    println!("cargo:rerun-if-changed=generate.rs");
    println!("cargo:rerun-if-changed=build.rs");
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(problems) => codegen_settings::build_failure(
            "the `credits` command-line client",
            "cargo build -p credits-cli",
            &problems,
        ),
    }
}

fn run() -> Result<(), Vec<String>> {
    let text = std::fs::read_to_string(SPEC).map_err(|e| vec![format!("cannot read {SPEC}: {e}")])?;
    let generated = generate::generate(&text)?;
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or_else(|| vec!["OUT_DIR is not set".to_owned()])?);
    let path = out_dir.join("cli.rs");
    std::fs::write(&path, generated.code).map_err(|e| vec![format!("cannot write {}: {e}", path.display())])
}
