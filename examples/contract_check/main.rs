//! The live contract check: runs every operation of `openapi.yaml` against a Credits server and
//! reports, per operation, where the server differs from the spec.
//!
//! ```sh
//! CREDITS_API_KEY=sk_... CREDITS_BASE_URL=https://api.credits.dev cargo run --example contract_check
//! cargo run --example contract_check                   # against an in-process sandbox
//! cargo run --example contract_check -- --json         # machine-readable
//! cargo run --example contract_check -- --record DIR   # also save every exchange as a fixture
//! ```
//!
//! It creates an account (and a plan) for the run, never writes to another account, settles
//! every hold it makes and archives its plan. Each raw response is checked against the spec's
//! schema for its operation and status (fields the spec does not know, required fields
//! missing, types, enum values), success bodies are decoded through the SDK's generated types,
//! and error bodies are compared with the shape the SDK assumes. Exit status: 0 without drift,
//! 1 with drift, 2 when the check could not run.

mod check;
mod decode;
mod spec;

use std::process::ExitCode;

const USAGE: &str = "usage: contract_check [--json] [--record DIR]
  CREDITS_API_KEY   the API key of the target (without it, an in-process sandbox is checked)
  CREDITS_BASE_URL  the target (default https://api.credits.dev)";

#[tokio::main]
async fn main() -> ExitCode {
    let mut json = false;
    let mut record = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--record" => match args.next() {
                Some(dir) => record = Some(std::path::PathBuf::from(dir)),
                None => {
                    eprintln!("--record needs a directory\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }

    // The spec the SDK was built from.
    let spec = match spec::Spec::from_yaml(include_str!("../../openapi.yaml")) {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };

    // The target: the API named by the environment, or a sandbox of our own.
    let mut _sandbox = None;
    let target = match std::env::var(credits_sdk::API_KEY_ENV) {
        Ok(api_key) if !api_key.is_empty() => check::Target {
            base_url: std::env::var(credits_sdk::BASE_URL_ENV)
                .ok()
                .filter(|url| !url.is_empty())
                .unwrap_or_else(|| credits_sdk::DEFAULT_BASE_URL.to_owned()),
            api_key,
        },
        _ => match credits_sandbox::Sandbox::start().await {
            Ok(sandbox) => {
                let target =
                    check::Target { base_url: sandbox.base_url().to_owned(), api_key: sandbox.api_key().to_owned() };
                _sandbox = Some(sandbox);
                target
            }
            Err(e) => {
                eprintln!("cannot start the sandbox: {e}");
                return ExitCode::from(2);
            }
        },
    };

    let report = check::run(&spec, &target).await;
    if let Some(dir) = record {
        match report.record(&dir) {
            Ok(n) => eprintln!("recorded {n} exchanges in {}", dir.display()),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    }
    if json {
        match serde_json::to_string_pretty(&report.json(&spec)) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", report.text(&spec));
    }
    if report.drift() { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
