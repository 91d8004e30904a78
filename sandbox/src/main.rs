//! The `credits-sandbox` binary: serves the sandbox until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use credits_sandbox::Sandbox;

/// A stateful local Credits API server for tests and development.
#[derive(Debug, Parser)]
#[command(name = "credits-sandbox", version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
    /// API key accepted by the sandbox; repeat for several projects. Default: one generated key.
    #[arg(long = "api-key")]
    api_keys: Vec<String>,
    /// Seconds a reservation lasts unless a request sets `expiresInSeconds` (1 to 86400).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    reservation_ttl_secs: u64,
    /// Seconds a connection may go without a request in progress (no request yet, a request
    /// head still arriving, or idle between requests) before it is closed (1 to 3600).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    header_read_timeout_secs: u64,
    /// Connections served at once; further ones wait until one closes (1 to 100000).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    max_connections: u64,
    /// Start with a manual clock at this time (RFC 3339, e.g. 2025-01-01T00:00:00Z) instead of
    /// the wall clock; move it with `POST /_sandbox/clock`.
    #[arg(long, value_parser = parse_time)]
    clock_start: Option<chrono::DateTime<chrono::Utc>>,
    /// Load saved state (a file written by --save-on-exit or GET /_sandbox/state's
    /// counterpart, Sandbox::export_all) at start; its projects' keys are added.
    #[arg(long, value_name = "FILE")]
    state: Option<std::path::PathBuf>,
    /// With --state: write every project's state back to that file on Ctrl-C or SIGTERM.
    #[arg(long, requires = "state")]
    save_on_exit: bool,
    /// Start each project with demo data (account `user_demo` with 1000 credits, a "Pro" plan).
    #[arg(long)]
    seed: bool,
    /// Deliver every project's webhook events to this URL (repeatable; loopback `http` only).
    #[arg(long = "webhook", value_name = "URL")]
    webhooks: Vec<String>,
    /// The secret deliveries are signed with (`whsec_<base64>`); generated and printed if not
    /// given.
    #[arg(long, value_name = "SECRET", env = "CREDITS_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
}

fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("not an RFC 3339 time ({e}), e.g. 2025-01-01T00:00:00Z"))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut builder = Sandbox::builder()
        .address(args.addr)
        .reservation_ttl(Duration::from_secs(args.reservation_ttl_secs))
        .header_read_timeout(Duration::from_secs(args.header_read_timeout_secs))
        .max_connections(usize::try_from(args.max_connections).unwrap_or(usize::MAX))
        .seed(args.seed);
    if let Some(start) = args.clock_start {
        builder = builder.manual_clock(start);
    }
    if let Some(path) = &args.state {
        match std::fs::read_to_string(path) {
            Ok(text) => builder = builder.state(text),
            // A file that does not exist yet is created on exit with --save-on-exit.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && args.save_on_exit => {}
            Err(e) => return Err(std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        }
    }
    for url in args.webhooks {
        builder = builder.webhook(url);
    }
    if let Some(secret) = args.webhook_secret.clone() {
        builder = builder.webhook_secret(secret);
    }
    for key in args.api_keys {
        builder = builder.api_key(key);
    }
    // Listen for Ctrl-C and SIGTERM (what docker, systemd and CI send) before the address is
    // announced: a signal sent as soon as a client knows the address must stop the sandbox
    // cleanly (saving its state), not kill it.
    let interrupted = interrupt_signal()?;
    let sandbox = match builder.start().await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("credits-sandbox: {e}");
            std::process::exit(2);
        }
    };
    println!("credits-sandbox listening on {}", sandbox.base_url());
    for key in sandbox.api_keys() {
        println!("api key: {key}");
    }
    if args.webhook_secret.is_none() {
        // Printed only when generated: a secret the user passed is not echoed to logs.
        println!("webhook secret: {}", sandbox.webhook_secret());
    }
    interrupted.await;
    if let (true, Some(path)) = (args.save_on_exit, &args.state) {
        save(path, &sandbox.export_all())
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot save the state to {}: {e}", path.display())))?;
        println!("state saved to {}", path.display());
    }
    drop(sandbox);
    println!("credits-sandbox stopped");
    Ok(())
}

/// Writes `text` to `path` so that a crash or a kill at any moment leaves either the old file
/// or the new one, whole: into a new temporary file in the same directory (a name of its own,
/// never `path` itself, whatever `path` is called), flushed to disk, renamed over `path`, and
/// the directory flushed so that the rename is durable too.
fn save(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    let mut file = tempfile::Builder::new().prefix(".credits-sandbox-state").tempfile_in(directory)?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    std::fs::File::open(directory)?.sync_all()?;
    Ok(())
}

/// Ctrl-C or SIGTERM, registered when this is called (a future of `tokio::signal::ctrl_c`
/// registers only when first polled).
#[cfg(unix)]
fn interrupt_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Ctrl-C (on this platform, registered when first polled).
#[cfg(not(unix))]
fn interrupt_signal() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
