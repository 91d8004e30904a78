//! `credits`: the Credits API from the command line.
//!
//! Every operation of `openapi.yaml` is a command, generated at build time by progenitor's CLI
//! generator (see `build.rs` and `generate.rs`); requests go through the SDK's generated
//! client and pipeline (`credits_sdk::CreditsClient::builder()`, then `client.api()`). This
//! file adds what is not an operation: global options, output, exit codes, `credits sandbox`,
//! `credits listen`, `credits trigger` and `credits resend` (webhooks against a local sandbox, in
//! `webhooks.rs`)
//! and `credits completions`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod errors;
mod flags;
mod generated;
mod output;
mod table;
mod webhooks;

use std::ffi::OsString;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgMatches, Args, Command, FromArgMatches};
use credits_sdk::CreditsClient;

use crate::errors::{Failure, exit};
use crate::generated::{Cli, CliCommand, OPERATIONS, TAGS};
use crate::output::{Format, Printer};

/// One operation of the spec as the command line shows it; `generate.rs` writes one per
/// operation into `OPERATIONS`.
#[derive(Clone, Copy, Debug)]
pub struct SpecOperation {
    /// The spec's `operationId`, e.g. `add_credits`.
    pub operation_id: &'static str,
    /// The command, e.g. `add-credits`.
    pub command: &'static str,
    /// The operation's first tag: its group, e.g. `credits`.
    pub tag: &'static str,
    /// The operation's one-line summary.
    pub summary: &'static str,
    /// A JSON body to start from, for operations that take one (`--json-body-template`).
    pub body_template: Option<&'static str>,
    /// Help for flags progenitor leaves without (properties that are a `$ref`), from the
    /// referenced schema's description.
    pub flag_help: &'static [(&'static str, &'static str)],
}

// Options of every command (a comment, not a doc comment, which clap would take as the
// program's description).
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
struct Global {
    /// The API key. Never printed or logged.
    #[arg(long, env = "CREDITS_API_KEY", hide_env_values = true, global = true, value_name = "KEY")]
    api_key: Option<String>,
    /// The API's base URL (default: `https://api.credits.dev`); `http://` only for loopback
    /// hosts (the sandbox).
    #[arg(long, env = "CREDITS_BASE_URL", global = true, value_name = "URL")]
    base_url: Option<String>,
    /// Seconds one attempt of a request may take (default: the SDK's).
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// Output format of results.
    #[arg(long, short, global = true, value_enum, default_value_t = Format::Json)]
    output: Format,
    /// Log requests to stderr: each call (operation, status, attempts, time) and each attempt
    /// and retry; -vv adds trace-level events.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

/// `credits sandbox`.
#[derive(Debug, Args)]
struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
    /// Start with demo data: account `user_demo` with 1000 credits, a "Pro" plan.
    #[arg(long)]
    seed: bool,
    /// Seconds a reservation lasts unless a request sets `expiresInSeconds`.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    reservation_ttl_secs: u64,
}

/// `credits completions`.
#[derive(Debug, Args)]
struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| "expected a number of seconds greater than 0".to_owned())
}

/// The operations with their generated commands, grouped by tag in the spec's order.
fn operations() -> Vec<(SpecOperation, CliCommand)> {
    let mut operations: Vec<(SpecOperation, CliCommand)> = CliCommand::iter()
        .filter_map(|command| {
            OPERATIONS.iter().find(|op| op.operation_id == command.operation_id()).map(|op| (*op, command))
        })
        .collect();
    let rank = |tag: &str| TAGS.iter().position(|t| *t == tag).unwrap_or(TAGS.len());
    operations.sort_by_key(|(op, _)| rank(op.tag));
    operations
}

/// The whole command tree.
fn command() -> Command {
    let mut root = Command::new("credits")
        .version(env!("CARGO_PKG_VERSION"))
        .about("The Credits API from the command line: balances, grants, reservations, usage, plans, models.")
        .after_help(groups_help())
        .subcommand_required(true)
        .arg_required_else_help(true)
        .max_term_width(100);
    root = Global::augment_args(root);
    for (op, generated) in operations() {
        root = root.subcommand(operation_command(&op, generated));
    }
    root.subcommand(
        SandboxArgs::augment_args(Command::new("sandbox"))
            .about("Run a local Credits sandbox server (stateful, in memory) until Ctrl-C")
            .long_about(
                "Run a local Credits sandbox server (stateful, in memory) until Ctrl-C.\n\n\
                 It accepts the key given with --api-key or CREDITS_API_KEY, or else a generated key, \
                 which it prints.",
            ),
    )
    .subcommand(
        webhooks::ListenArgs::augment_args(Command::new("listen"))
            .about("Forward a local sandbox's webhook deliveries, verified, to your handler until Ctrl-C")
            .long_about(
                "Forward a local sandbox's webhook deliveries, verified, to your handler until Ctrl-C.\n\n\
                 Registers a receiver on 127.0.0.1 with the sandbox at --base-url (a loopback http URL: \
                 the Credits API registers webhooks in its dashboard) and prints the secret deliveries \
                 are signed with. Each delivery is verified, logged as `<time> <type> <event id> -> \
                 <status>` and POSTed unchanged (body, content-type, webhook-id, webhook-timestamp, \
                 webhook-signature) to --forward-to; the sandbox gets your handler's status, so it \
                 retries when the handler fails (502 when it cannot be reached). \
                 Ctrl-C removes the endpoint.",
            ),
    )
    .subcommand(
        webhooks::TriggerArgs::augment_args(Command::new("trigger"))
            .about("Make a local sandbox emit a webhook event of a type, e.g. `credits trigger reservation.expired`")
            .long_about(
                "Make a local sandbox emit a webhook event of a type, e.g. `credits trigger \
                 reservation.expired`.\n\n\
                 The sandbox at --base-url (a loopback http URL) does what causes the event on a demo \
                 account of the key's project, so related events come with it; it refuses when no \
                 webhook endpoint is registered (run `credits listen` first).",
            ),
    )
    .subcommand(
        webhooks::ResendArgs::augment_args(Command::new("resend"))
            .about("Make a local sandbox deliver an event again, same id and body, e.g. to test duplicates")
            .long_about(
                "Make a local sandbox deliver an event again, same id and body, e.g. to test duplicates.\n\n\
                 The sandbox at --base-url (a loopback http URL) sends the event (signed afresh) to every \
                 webhook endpoint registered now, as happens when your handler's 2xx is lost. It keeps \
                 the unfinished deliveries and the last 500 finished ones; an event none of them has is \
                 refused (404).",
            ),
    )
    .subcommand(
        CompletionsArgs::augment_args(Command::new("completions"))
            .about("Print a shell completion script, e.g. `credits completions bash > ~/.local/share/bash-completion/completions/credits`"),
    )
}

/// An operation's generated command, named and described for the listing.
fn operation_command(op: &SpecOperation, generated: CliCommand) -> Command {
    let command = Cli::<Printer>::get_command(generated);
    let long_about = command.get_about().map(ToString::to_string);
    let mut command = command.name(op.command).about(format!("{} [{}]", op.summary, op.tag));
    if let Some(long_about) = long_about {
        command = command.long_about(long_about);
    }
    let has = |command: &Command, id: &str| command.get_arguments().any(|a| a.get_id() == id);
    for (flag, help) in op.flag_help {
        if command.get_arguments().any(|a| a.get_id() == *flag && a.get_help().is_none()) {
            command = command.mut_arg(*flag, |arg| arg.help(*help));
        }
    }
    if has(&command, "json-body") {
        command = command.mut_arg("json-body", |arg| {
            arg.value_name("FILE").help(
                "The whole JSON body from a file, or `-` for standard input; flags given too replace \
                 its fields",
            )
        });
    }
    if has(&command, "json-body-template") {
        command = command.mut_arg("json-body-template", |arg| {
            arg.help("Print a JSON body to start from (edit it, pass it with --json-body) and exit")
        });
    }
    command
}

fn groups_help() -> String {
    let mut text = String::from("Commands by group:\n");
    let operations = operations();
    let mut seen = Vec::new();
    for tag in TAGS.iter().copied().chain(operations.iter().map(|(op, _)| op.tag)) {
        if seen.contains(&tag) {
            continue;
        }
        seen.push(tag);
        let names: Vec<&str> = operations.iter().filter(|(op, _)| op.tag == tag).map(|(op, _)| op.command).collect();
        if !names.is_empty() {
            text.push_str(&format!("  {tag:<14}{}\n", names.join(", ")));
        }
    }
    text.push_str(&format!("  {:<14}sandbox, listen, trigger, resend, completions\n", "local"));
    text.push_str(
        "\nConfiguration: CREDITS_API_KEY (or --api-key), CREDITS_BASE_URL (or --base-url).\n\
         Exit codes: 0 ok, 1 other, 2 bad arguments, 3 configuration, 4 API 4xx, 5 API 5xx, 6 no answer.",
    );
    text
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if let Some(code) = body_template(&args) {
        return code;
    }
    let matches = match command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(exit::USAGE));
        }
    };
    match run(&matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// `credits <command> --json-body-template`, which needs none of the command's required
/// flags: prints the template and returns the exit code, or `None` for any other command line.
fn body_template(args: &[OsString]) -> Option<ExitCode> {
    if !args.iter().any(|a| a == "--json-body-template") {
        return None;
    }
    let matches = command().ignore_errors(true).try_get_matches_from(args).ok()?;
    let (name, sub) = matches.subcommand()?;
    if !sub.try_get_one::<bool>("json-body-template").ok().flatten().copied().unwrap_or(false) {
        return None;
    }
    let template = OPERATIONS.iter().find(|op| op.command == name)?.body_template?;
    let pretty = serde_json::from_str::<serde_json::Value>(template)
        .and_then(|value| serde_json::to_string_pretty(&value))
        .unwrap_or_else(|_| template.to_owned());
    Some(match output::write_stdout(&format!("{pretty}\n")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => Failure::Other(e.to_string()).report(),
    })
}

fn run(matches: &ArgMatches) -> Result<(), Failure> {
    let global = Global::from_arg_matches(matches).map_err(|e| Failure::Usage(e.to_string()))?;
    init_tracing(global.verbose);
    let Some((name, sub)) = matches.subcommand() else {
        return Err(Failure::Usage("a command is required; see `credits --help`".to_owned()));
    };
    if name == "completions" {
        let args = CompletionsArgs::from_arg_matches(sub).map_err(|e| Failure::Usage(e.to_string()))?;
        let mut script = Vec::new();
        clap_complete::generate(args.shell, &mut command(), "credits", &mut script);
        return output::write_stdout(&String::from_utf8_lossy(&script)).map_err(|e| Failure::Other(e.to_string()));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(format!("cannot start the async runtime: {e}")))?;
    if name == "sandbox" {
        let args = SandboxArgs::from_arg_matches(sub).map_err(|e| Failure::Usage(e.to_string()))?;
        return runtime.block_on(run_sandbox(args, global.api_key));
    }
    let connection = webhooks::Connection {
        base_url: global.base_url.as_deref(),
        api_key: global.api_key.as_deref(),
        timeout: global.timeout,
    };
    if name == "listen" {
        let args = webhooks::ListenArgs::from_arg_matches(sub).map_err(|e| Failure::Usage(e.to_string()))?;
        return runtime.block_on(webhooks::listen(args, &connection));
    }
    if name == "trigger" {
        let args = webhooks::TriggerArgs::from_arg_matches(sub).map_err(|e| Failure::Usage(e.to_string()))?;
        return runtime.block_on(webhooks::trigger(args, &connection));
    }
    if name == "resend" {
        let args = webhooks::ResendArgs::from_arg_matches(sub).map_err(|e| Failure::Usage(e.to_string()))?;
        return runtime.block_on(webhooks::resend(args, &connection));
    }
    let Some((op, generated)) = operations().into_iter().find(|(op, _)| op.command == name) else {
        return Err(Failure::Usage(format!("unknown command `{name}`; see `credits --help`")));
    };
    let client = client(&global)?;
    let printer = Printer::new(global.output);
    let cli = Cli::new(client.api().clone(), printer.clone());
    runtime.block_on(async {
        match cli.execute(generated, sub).await {
            Ok(()) => printer.failure().map_or(Ok(()), |failure| Err(Failure::Other(failure))),
            Err(error) => Err(Failure::from_command(error, op.operation_id).await),
        }
    })
}

/// The SDK client, built with the facade's builder: the same key handling, user agent,
/// timeouts, retries and redirect rules as the library.
fn client(global: &Global) -> Result<CreditsClient, Failure> {
    let key = global
        .api_key
        .as_deref()
        .filter(|key| !key.trim().is_empty())
        .ok_or_else(|| Failure::Config("no API key: set CREDITS_API_KEY or pass --api-key".to_owned()))?;
    let mut builder =
        CreditsClient::builder().api_key(key).user_agent(concat!("credits-cli/", env!("CARGO_PKG_VERSION")));
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url);
    }
    if let Some(timeout) = global.timeout {
        builder = builder.attempt_timeout(timeout);
    }
    let client = builder.build().map_err(|e| Failure::Config(e.to_string()))?;
    tracing::debug!(base_url = client.base_url(), api_key = "<redacted>", "client ready");
    Ok(client)
}

/// `-v`/`-vv`: the SDK's request spans and events on stderr. Only the SDK's, this program's
/// and the sandbox's targets are enabled, so no HTTP library logs headers.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let level = match verbose {
        0 => return,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let targets = Targets::new()
        .with_target("credits_sdk", level)
        .with_target("credits", level)
        .with_target("credits_sandbox", level);
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(level)
        .with_span_events(FmtSpan::CLOSE)
        .finish()
        .with(targets)
        .try_init();
}

/// `credits sandbox`: the `credits-sandbox` server, until Ctrl-C.
async fn run_sandbox(args: SandboxArgs, api_key: Option<String>) -> Result<(), Failure> {
    let mut builder = credits_sandbox::Sandbox::builder()
        .address(args.addr)
        .reservation_ttl(Duration::from_secs(args.reservation_ttl_secs))
        .seed(args.seed);
    let key_given = api_key.is_some();
    if let Some(key) = api_key {
        builder = builder.api_key(key);
    }
    let sandbox =
        builder.start().await.map_err(|e| Failure::Other(format!("cannot start the sandbox on {}: {e}", args.addr)))?;
    let mut text = format!("credits sandbox listening on {}\n", sandbox.base_url());
    if key_given {
        text.push_str("api key: the one given with --api-key or CREDITS_API_KEY\n");
    } else {
        for key in sandbox.api_keys() {
            text.push_str(&format!("api key: {key}\n"));
        }
        if let Some(key) = sandbox.api_keys().first() {
            text.push_str(&format!(
                "in another shell: export CREDITS_BASE_URL={} CREDITS_API_KEY={key}\n",
                sandbox.base_url()
            ));
        }
    }
    text.push_str("Ctrl-C stops it.\n");
    output::write_stdout(&text).map_err(|e| Failure::Other(e.to_string()))?;
    tokio::signal::ctrl_c().await.map_err(|e| Failure::Other(format!("cannot wait for Ctrl-C: {e}")))?;
    drop(sandbox);
    let _ = writeln!(std::io::stdout(), "credits sandbox stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_tree_is_valid_and_has_every_operation() {
        command().debug_assert();
        assert_eq!(operations().len(), OPERATIONS.len());
        assert_eq!(CliCommand::iter().count(), OPERATIONS.len());
        for op in OPERATIONS {
            assert!(command().find_subcommand(op.command).is_some(), "{}", op.command);
        }
    }

    #[test]
    fn seconds_are_positive_numbers() {
        assert_eq!(parse_seconds("2.5"), Ok(Duration::from_millis(2500)));
        assert!(parse_seconds("0").is_err() && parse_seconds("-1").is_err() && parse_seconds("x").is_err());
    }
}
