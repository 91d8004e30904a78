//! Generates the Credits API client from `openapi.yaml` with progenitor.
//!
//! Writes two files to `OUT_DIR`:
//! - `codegen.rs`: the progenitor client (builders), included by `src/api.rs`. Its `types`
//!   module is replaced with a re-export of `credits_types::types`: the same types, generated
//!   from the same spec by the `credits-types` crate, which the sandbox shares;
//! - `operations.rs`: one [`OperationSpec`]-shaped entry per operation, read from the spec's
//!   vendor extensions (`x-credits-retry-safe`, `x-credits-facade`), so retry behaviour and the
//!   facade-coverage test follow the spec.
//!
//! A spec problem stops the build with a message that names the operation and the rule it
//! breaks, instead of a panic backtrace from inside progenitor (`codegen/generate.rs`).

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
    let mut generated = generate::generate("crate")?;
    postprocess::import_types(&mut generated.file, "::credits_types::types").map_err(|e| vec![e])?;
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or_else(|| vec!["OUT_DIR is not set".to_owned()])?);
    generate::write(&out_dir.join("codegen.rs"), &generated.file)?;
    std::fs::write(out_dir.join("operations.rs"), &generated.operations)
        .map_err(|e| vec![format!("cannot write operations.rs: {e}")])
}
