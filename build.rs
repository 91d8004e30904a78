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

use std::process::ExitCode;

#[path = "codegen/generate.rs"]
mod codegen;

fn main() -> ExitCode {
    codegen::main(|mut generated, out_dir| {
        codegen::postprocess::import_types(&mut generated.file, "::credits_types::types").map_err(|e| vec![e])?;
        codegen::write(&out_dir.join("codegen.rs"), &generated.file)?;
        std::fs::write(out_dir.join("operations.rs"), &generated.operations)
            .map_err(|e| vec![format!("cannot write operations.rs: {e}")])
    })
}
