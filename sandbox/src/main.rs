//! The `credits-sandbox` binary: serves the sandbox until Ctrl-C.

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
    /// With --state: write every project's state back to that file on Ctrl-C.
    #[arg(long, requires = "state")]
    save_on_exit: bool,
    /// Start each project with demo data (account `user_demo` with 1000 credits, a "Pro" plan).
    #[arg(long)]
    seed: bool,
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
    for key in args.api_keys {
        builder = builder.api_key(key);
    }
    // Listen for Ctrl-C before the address is announced: a SIGINT sent as soon as a client
    // knows the address must stop the sandbox cleanly (saving its state), not kill it.
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
    interrupted.await;
    if let (true, Some(path)) = (args.save_on_exit, &args.state) {
        // Written next to the file, then renamed over it: a crash never leaves half a file.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, sandbox.export_all())?;
        std::fs::rename(&partial, path)?;
        println!("state saved to {}", path.display());
    }
    drop(sandbox);
    println!("credits-sandbox stopped");
    Ok(())
}

/// Ctrl-C, registered when this is called (a future of `tokio::signal::ctrl_c` registers only
/// when first polled).
#[cfg(unix)]
fn interrupt_signal() -> std::io::Result<impl Future<Output = ()>> {
    let mut signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        signal.recv().await;
    })
}

/// Ctrl-C (on this platform, registered when first polled).
#[cfg(not(unix))]
fn interrupt_signal() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
