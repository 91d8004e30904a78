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
    /// Seconds a reservation lasts unless a request sets `expiresInSeconds`.
    #[arg(long, default_value_t = 300)]
    reservation_ttl_secs: u64,
    /// Start each project with demo data (account `user_demo` with 1000 credits, a "Pro" plan).
    #[arg(long)]
    seed: bool,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut builder = Sandbox::builder()
        .address(args.addr)
        .reservation_ttl(Duration::from_secs(args.reservation_ttl_secs))
        .seed(args.seed);
    for key in args.api_keys {
        builder = builder.api_key(key);
    }
    let sandbox = builder.start().await?;
    println!("credits-sandbox listening on {}", sandbox.base_url());
    for key in sandbox.api_keys() {
        println!("api key: {key}");
    }
    tokio::signal::ctrl_c().await?;
    drop(sandbox);
    println!("credits-sandbox stopped");
    Ok(())
}
