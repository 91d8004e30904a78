//! Shared by the `credits` binary's integration tests: running the built binary with a clean
//! environment, against an in-process sandbox on 127.0.0.1.

#![allow(dead_code)]

use std::process::Stdio;

use credits_sandbox::Sandbox;
use serde_json::Value;
use tokio::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_credits");

/// What one run of `credits` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as JSON, failing the test with the whole run when it is not.
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "{self:#?}");
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    /// Asserts the exit code, and that stderr names the API error code.
    pub fn api_error(&self, exit: i32, code: &str) {
        assert_eq!(self.code, exit, "{self:#?}");
        assert!(self.stdout.is_empty(), "{self:#?}");
        assert!(self.stderr.starts_with("error: API ") && self.stderr.contains(code), "{self:#?}");
    }

    /// What a finished process left.
    pub fn of(output: &std::process::Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// A `credits` command with a clean environment: no key, no base URL, unless given.
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("CREDITS_API_KEY")
        .env_remove("CREDITS_BASE_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// `credits <args>` against the sandbox, configured through the environment.
pub fn against(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut command = command(args);
    command.env("CREDITS_API_KEY", sandbox.api_key()).env("CREDITS_BASE_URL", sandbox.base_url());
    command
}

/// Runs `command` to its end.
pub async fn output(mut command: Command) -> Run {
    Run::of(&command.output().await.expect("run credits"))
}

/// An in-process sandbox on loopback.
pub async fn sandbox() -> Sandbox {
    let sandbox = Sandbox::start().await.expect("start the sandbox");
    assert!(sandbox.address().ip().is_loopback());
    sandbox
}
