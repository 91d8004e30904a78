//! Generates the wire types of the Credits API from `openapi.yaml` with progenitor, with the
//! same settings and checks as the SDK's build script (the files under `codegen/`, shared),
//! and keeps only the `types` module: `OUT_DIR/types.rs`, included by `src/lib.rs`.
//!
//! A spec problem stops the build with a message that names the operation and the rule it
//! breaks, instead of a panic backtrace from inside progenitor.

use std::path::PathBuf;
use std::process::ExitCode;

#[path = "codegen/settings.rs"]
mod codegen_settings;

#[path = "codegen/postprocess.rs"]
mod postprocess;

#[path = "codegen/generate.rs"]
mod generate;

fn main() -> ExitCode {
    generate::rerun_if_changed();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(problems) => {
            generate::report(&problems);
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Vec<String>> {
    // `crate` here is `credits_types`, whose root re-exports `Credits`, `Usd`, the open enums...
    let mut generated = generate::generate("crate")?;
    postprocess::keep_types(&mut generated.file);
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or_else(|| vec!["OUT_DIR is not set".to_owned()])?);
    generate::write(&out_dir.join("types.rs"), &generated.file)
}
