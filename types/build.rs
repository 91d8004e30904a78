//! Generates the wire types of the Credits API from `openapi.yaml` with progenitor, with the
//! same settings and checks as the SDK's build script (the files under `codegen/`, shared),
//! and keeps only the `types` module: `OUT_DIR/types.rs`, included by `src/lib.rs`.
//!
//! A spec problem stops the build with a message that names the operation and the rule it
//! breaks, instead of a panic backtrace from inside progenitor.

use std::process::ExitCode;

#[path = "codegen/generate.rs"]
mod codegen;

fn main() -> ExitCode {
    codegen::main(|mut generated, out_dir| {
        codegen::postprocess::keep_types(&mut generated.file);
        codegen::write(&out_dir.join("types.rs"), &generated.file)?;
        std::fs::write(out_dir.join("webhooks.rs"), &generated.webhooks)
            .map_err(|e| vec![format!("cannot write webhooks.rs: {e}")])
    })
}
