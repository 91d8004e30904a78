//! The client generated from `openapi.yaml` by progenitor at build time.
//!
//! Every operation of the spec is a method on [`Client`] returning a builder: set its
//! parameters, then `.send().await`. Requests go through the SDK's [`Transport`] pipeline, so
//! they carry the API key and behave exactly like the facade's calls.
//!
//! ```no_run
//! use credits_sdk::api::Client;
//! use credits_sdk::transport::Transport;
//! use credits_sdk::ApiKey;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new_with_client(
//!     "https://api.credits.dev",
//!     reqwest::Client::new(),
//!     Transport::new(ApiKey::new("sk_live_...")?),
//! );
//! let balance = client.get_balance().external_id("user_456").send().await?;
//! println!("available: {}", balance.available);
//! # Ok(()) }
//! ```
//!
//! [`Transport`]: crate::transport::Transport

// Doc comments here are the spec's prose, written as Markdown for OpenAPI tools, not rustdoc.
#![allow(missing_docs, clippy::all, clippy::pedantic, rustdoc::bare_urls, rustdoc::broken_intra_doc_links)]
#![allow(rustdoc::invalid_html_tags)]

include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
