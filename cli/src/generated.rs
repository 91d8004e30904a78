//! The command tree generated from `openapi.yaml` by `build.rs`: progenitor's `Cli` (one clap
//! command and one `execute_*` function per operation, over the SDK's generated client),
//! `CliCommand`, the `CliConfig` trait the output goes through, and `OPERATIONS` / `TAGS`.

#![allow(
    unused_mut,
    unused_variables,
    unused_imports,
    dead_code,
    missing_docs,
    clippy::all,
    clippy::pedantic,
    rustdoc::all
)]

include!(concat!(env!("OUT_DIR"), "/cli.rs"));
