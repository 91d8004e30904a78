//! `credits listen`, `credits trigger` and `credits resend`: webhooks against a local sandbox.
//!
//! Both talk to the sandbox's `/_sandbox/webhooks` endpoints, which the Credits API does not
//! have (its webhooks are registered in the dashboard), so both refuse a base URL that is not
//! `http` to a loopback host before sending anything.
//!
//! `listen` binds a receiver on `127.0.0.1:0`, registers it with the sandbox, and for each
//! delivery: verifies its signature with `credits_sdk::webhooks::Verifier` (400 when it does not
//! verify), forwards the raw body with its `content-type` and `webhook-*` headers unchanged to
//! `--forward-to`, and answers the sandbox with the handler's status, so a failing handler is
//! retried as a real one would be. Ctrl-C removes the endpoint.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use credits_sdk::webhooks::{EventType, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, Verifier};
use reqwest::Url;
use serde_json::{Value, json};

use crate::errors::{Failure, chain, excerpt};
use crate::output;

/// The largest delivery `listen` accepts (the SDK verifier's default limit): 1 MiB.
pub const MAX_BODY_BYTES: usize = credits_sdk::webhooks::DEFAULT_MAX_BODY_BYTES;

/// How long the handler behind `--forward-to` may take to answer one delivery.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one call to the sandbox's `/_sandbox` endpoints may take unless `--timeout` says.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The most of a sandbox answer that is read.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// `credits listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Your webhook handler's URL (http or https): each verified delivery is POSTed there with
    /// its raw body and its `content-type` and `webhook-*` headers.
    #[arg(long, value_name = "URL", value_parser = parse_forward_url)]
    pub forward_to: Url,
    /// Forward only events of these types (comma-separated); others are answered 200 without
    /// forwarding.
    #[arg(long, value_name = "TYPE,...", value_delimiter = ',', value_parser = event_type_parser())]
    pub events: Vec<EventType>,
}

/// `credits trigger`.
#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// The type of event to cause.
    #[arg(value_name = "EVENT_TYPE", value_parser = event_type_parser())]
    pub event_type: EventType,
}

/// `credits resend`.
#[derive(Debug, Args)]
pub struct ResendArgs {
    /// The event's id (`evt_…`, as `credits listen` prints it).
    #[arg(value_name = "EVENT_ID", value_parser = parse_event_id)]
    pub event_id: String,
}

/// Where the sandbox is and the key of the project to act on: the global options.
#[derive(Debug)]
pub struct Connection<'a> {
    /// `--base-url` / `CREDITS_BASE_URL`.
    pub base_url: Option<&'a str>,
    /// `--api-key` / `CREDITS_API_KEY`. Never printed.
    pub api_key: Option<&'a str>,
    /// `--timeout`: for each call to the sandbox.
    pub timeout: Option<Duration>,
}

/// The event types of the spec, each with its description for `--help`.
fn event_type_parser() -> impl TypedValueParser<Value = EventType> {
    let values = EventType::ALL.iter().map(|t| PossibleValue::new(t.as_str()).help(t.description()));
    PossibleValuesParser::new(values).try_map(|name| name.parse::<EventType>())
}

fn parse_event_id(text: &str) -> Result<String, String> {
    let id = text.trim();
    if id.is_empty() || id.len() > 200 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err("expected an event id such as evt_CsdGjAAuiJKgEWnGrozZ".to_owned());
    }
    Ok(id.to_owned())
}

fn parse_forward_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected an http or https URL, e.g. http://127.0.0.1:3000/webhooks".to_owned());
    }
    Ok(url)
}

/// Whether `url` names a loopback host, as the sandbox counts one
/// ([`credits_sandbox::is_loopback_host`]).
fn is_loopback(url: &Url) -> bool {
    url.host_str().is_some_and(credits_sandbox::is_loopback_host)
}

/// The sandbox's `/_sandbox` endpoints, for the project of one API key.
struct Sandbox {
    client: reqwest::Client,
    base: Url,
    key: String,
}

impl Sandbox {
    /// Refuses, before any request, a base URL that is not a local sandbox's, then a missing key.
    fn new(connection: &Connection<'_>, command: &str) -> Result<Self, Failure> {
        let local_only = |what: String| {
            Failure::Usage(format!(
                "{what}: `credits {command}` works only against a local sandbox (`credits sandbox`): set \
                 --base-url or CREDITS_BASE_URL to its http://127.0.0.1:PORT URL. The Credits API has no \
                 endpoint for this: its webhooks are registered and tested in the dashboard."
            ))
        };
        let text = connection.base_url.map(str::trim).filter(|u| !u.is_empty());
        let Some(text) = text else { return Err(local_only("no base URL is set".to_owned())) };
        let base =
            Url::parse(text).map_err(|e| local_only(format!("the base URL `{}` is not a URL ({e})", excerpt(text))))?;
        if base.scheme() != "http" || !is_loopback(&base) {
            return Err(local_only(format!("the base URL `{}` is not http to a loopback host", excerpt(text))));
        }
        let key = connection
            .api_key
            .filter(|key| !key.trim().is_empty())
            .ok_or_else(|| Failure::Config("no API key: set CREDITS_API_KEY or pass --api-key".to_owned()))?
            .to_owned();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(connection.timeout.unwrap_or(ADMIN_TIMEOUT))
            .user_agent(concat!("credits-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::Other(format!("cannot build the HTTP client: {}", chain(&e))))?;
        tracing::debug!(base_url = %base, api_key = "<redacted>", "sandbox client ready");
        Ok(Self { client, base, key })
    }

    /// `/_sandbox/webhooks`, then each of `segments` (percent-encoded).
    fn url(&self, segments: &[&str]) -> Result<Url, Failure> {
        let mut url =
            self.base.join("/_sandbox/webhooks").map_err(|e| Failure::Other(format!("cannot build the URL: {e}")))?;
        url.path_segments_mut()
            .map_err(|()| Failure::Other("the base URL cannot take a path".to_owned()))?
            .extend(segments);
        Ok(url)
    }

    /// One call: the answer's JSON on a 2xx, else the sandbox's error as a `Failure`.
    async fn call(&self, method: Method, url: Url, body: Option<Value>) -> Result<Value, Failure> {
        let what = format!("{method} {}", url.path());
        let mut request = self.client.request(method, url).header("x-api-key", &self.key);
        if let Some(body) = body {
            request = request.header(reqwest::header::CONTENT_TYPE, "application/json").body(body.to_string());
        }
        let mut response = request.send().await.map_err(|e| Failure::transport(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut answer = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| Failure::transport(&e))? {
            if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(Failure::Other(format!("the sandbox's answer to {what} is over {MAX_ANSWER_BYTES} bytes")));
            }
            answer.extend_from_slice(&chunk);
        }
        tracing::debug!(call = %what, status = status.as_u16(), "sandbox answered");
        if !status.is_success() {
            return Err(Failure::from_answer(status.as_u16(), &headers, &answer));
        }
        serde_json::from_slice(&answer).map_err(|e| {
            Failure::Other(format!(
                "the answer to {what} is not JSON ({e}): is the base URL a Credits sandbox? body: {}",
                excerpt(&String::from_utf8_lossy(&answer))
            ))
        })
    }
}

/// `credits trigger <EVENT_TYPE>`.
pub async fn trigger(args: TriggerArgs, connection: &Connection<'_>) -> Result<(), Failure> {
    let sandbox = Sandbox::new(connection, "trigger")?;
    let url = sandbox.url(&["trigger"])?;
    sandbox.call(Method::POST, url, Some(json!({ "type": args.event_type.as_str() }))).await?;
    output::write_stdout(&format!("Triggered {}\n", args.event_type)).map_err(|e| Failure::Other(e.to_string()))
}

/// `credits resend <EVENT_ID>`: the sandbox delivers a kept event again, same id and body.
pub async fn resend(args: ResendArgs, connection: &Connection<'_>) -> Result<(), Failure> {
    let sandbox = Sandbox::new(connection, "resend")?;
    let url = sandbox.url(&["resend"])?;
    let answer = sandbox.call(Method::POST, url, Some(json!({ "eventId": args.event_id }))).await?;
    let deliveries = answer.get("deliveries").and_then(Value::as_u64).unwrap_or(0);
    output::write_stdout(&format!("Resent {} to {deliveries} endpoint(s)\n", args.event_id))
        .map_err(|e| Failure::Other(e.to_string()))
}

/// What the receiver needs for each delivery.
struct Receiver {
    verifier: Verifier,
    forward_to: Url,
    events: Vec<EventType>,
    client: reqwest::Client,
}

/// `credits listen --forward-to URL [--events TYPE,...]`: until Ctrl-C (or SIGTERM).
pub async fn listen(args: ListenArgs, connection: &Connection<'_>) -> Result<(), Failure> {
    let sandbox = Sandbox::new(connection, "listen")?;
    let mut forward = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FORWARD_TIMEOUT)
        .user_agent(concat!("credits-cli/", env!("CARGO_PKG_VERSION"), " listen"));
    if is_loopback(&args.forward_to) {
        // A proxy from the environment must not take a local handler's deliveries elsewhere.
        forward = forward.no_proxy();
    }
    let forward =
        forward.build().map_err(|e| Failure::Other(format!("cannot build the HTTP client: {}", chain(&e))))?;

    // Before the endpoint exists, so that a Ctrl-C from now on removes it.
    let mut stop = StopSignal::new()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| Failure::Other(format!("cannot listen on 127.0.0.1: {e}")))?;
    let address = listener.local_addr().map_err(|e| Failure::Other(format!("cannot listen on 127.0.0.1: {e}")))?;
    if is_loopback(&args.forward_to) && args.forward_to.port_or_known_default() == Some(address.port()) {
        return Err(Failure::Usage(format!("--forward-to {} is the receiver itself", args.forward_to)));
    }
    let registered =
        sandbox.call(Method::POST, sandbox.url(&[])?, Some(json!({ "url": format!("http://{address}/") }))).await?;
    let id = registered.get("id").and_then(Value::as_str).map(str::to_owned);
    let secret = registered.get("secret").and_then(Value::as_str);
    let (Some(id), Some(secret)) = (id, secret) else {
        return Err(Failure::Other(format!(
            "the sandbox's answer to the registration lacks `id` or `secret`: {}",
            excerpt(&registered.to_string())
        )));
    };
    let verifier = match Verifier::new(secret) {
        Ok(verifier) => verifier,
        Err(e) => {
            let _ = remove(&sandbox, &id).await;
            return Err(Failure::Other(format!("the sandbox gave a secret the verifier refuses: {e}")));
        }
    };
    let receiver =
        Arc::new(Receiver { verifier, forward_to: args.forward_to.clone(), events: args.events, client: forward });
    let app = axum::Router::new().fallback(receive).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)).with_state(receiver);
    let mut server = tokio::spawn(async move { axum::serve(listener, app).await });

    let ready = format!("Ready. Forwarding events to {}; webhook signing secret: {secret}\n", args.forward_to);
    let printed = output::write_stdout(&ready);
    eprintln!("Ctrl-C stops listening and removes webhook endpoint {id} from the sandbox.");
    let outcome = match printed {
        Err(e) => Err(Failure::Other(e.to_string())),
        Ok(()) => tokio::select! {
            stopped = stop.recv() => stopped,
            served = &mut server => Err(Failure::Other(match served {
                Ok(Ok(())) => "the receiver stopped".to_owned(),
                Ok(Err(e)) => format!("the receiver failed: {e}"),
                Err(e) => format!("the receiver failed: {e}"),
            })),
        },
    };
    // First the endpoint, so the sandbox sends nothing more; then the receiver.
    let removed = remove(&sandbox, &id).await;
    server.abort();
    outcome?;
    removed.inspect_err(|_| eprintln!("error: cannot remove webhook endpoint {id} from the sandbox"))?;
    let _ = output::write_stdout(&format!("Stopped. Removed webhook endpoint {id}.\n"));
    Ok(())
}

async fn remove(sandbox: &Sandbox, id: &str) -> Result<(), Failure> {
    sandbox.call(Method::DELETE, sandbox.url(&[id])?, None).await.map(drop)
}

/// What stops `listen`: Ctrl-C, or on Unix also SIGTERM. Listening starts when it is made, so
/// a signal that comes before [`recv`](Self::recv) is awaited is not lost.
struct StopSignal {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

fn signal_failure(e: std::io::Error) -> Failure {
    Failure::Other(format!("cannot wait for Ctrl-C: {e}"))
}

impl StopSignal {
    fn new() -> Result<Self, Failure> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt()).map_err(signal_failure)?,
                terminate: signal(SignalKind::terminate()).map_err(signal_failure)?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    async fn recv(&mut self) -> Result<(), Failure> {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => Ok(()),
                _ = self.terminate.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.map_err(signal_failure)
        }
    }
}

/// One line of the delivery log on stdout, time first.
fn log(line: &str) {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let _ = output::write_stdout(&format!("{now} {line}\n"));
}

/// One delivery from the sandbox: verified, filtered, forwarded, answered with the handler's
/// status.
async fn receive(
    State(receiver): State<Arc<Receiver>>,
    method: Method,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if method != Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, "webhook deliveries are POST requests\n").into_response();
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            log(&format!("refused a delivery: {} -> {}", excerpt(&rejection.body_text()), status.as_u16()));
            return rejection.into_response();
        }
    };
    let event = match receiver.verifier.verify(&headers, &body) {
        Ok(event) => event,
        Err(e) => {
            log(&format!("refused a delivery that does not verify: {e} -> 400"));
            return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response();
        }
    };
    let (name, id) = (excerpt(event.type_name()), excerpt(event.id()));
    if !receiver.events.is_empty() && !receiver.events.iter().any(|t| t.as_str() == event.type_name()) {
        log(&format!("{name} {id} -> skipped (not in --events), answered 200"));
        return StatusCode::OK.into_response();
    }
    let mut request = receiver.client.post(receiver.forward_to.clone()).body(body);
    for header in [reqwest::header::CONTENT_TYPE.as_str(), ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER] {
        for value in headers.get_all(header) {
            request = request.header(header, value.clone());
        }
    }
    match request.send().await {
        Ok(answer) => {
            // Only the status counts; the handler's body is not read.
            let status = answer.status();
            let note = if status.is_redirection() { " (redirect not followed)" } else { "" };
            log(&format!("{name} {id} -> {}{note}", status.as_u16()));
            status.into_response()
        }
        Err(e) if e.is_timeout() => {
            log(&format!(
                "{name} {id} -> 504 (no answer from {} within {} s)",
                receiver.forward_to,
                FORWARD_TIMEOUT.as_secs()
            ));
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Err(e) => {
            log(&format!("{name} {id} -> 502 (cannot reach {}: {})", receiver.forward_to, chain(&e)));
            StatusCode::BAD_GATEWAY.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_are_local() {
        for url in
            ["http://127.0.0.1:8787", "http://127.1.2.3/", "http://[::1]:1", "http://localhost", "http://a.localhost"]
        {
            assert!(is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
        for url in ["http://example.invalid", "http://10.0.0.1", "http://localhost.example.com", "http://[::2]"] {
            assert!(!is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
    }

    #[test]
    fn the_sandbox_needs_a_loopback_http_base_url_before_a_key() {
        let refused = |base_url: Option<&str>| {
            let connection = Connection { base_url, api_key: Some("sk_x"), timeout: None };
            matches!(Sandbox::new(&connection, "trigger"), Err(Failure::Usage(_)))
        };
        assert!(refused(None) && refused(Some("")) && refused(Some("https://127.0.0.1:1")));
        assert!(refused(Some("http://example.invalid")) && refused(Some("not a url")));
        let connection = Connection { base_url: Some("http://127.0.0.1:1"), api_key: None, timeout: None };
        assert!(matches!(Sandbox::new(&connection, "trigger"), Err(Failure::Config(_))));
        let connection = Connection { base_url: Some("http://127.0.0.1:1/"), api_key: Some("sk_x"), timeout: None };
        let sandbox = Sandbox::new(&connection, "listen").unwrap();
        assert_eq!(sandbox.url(&["we_1"]).unwrap().as_str(), "http://127.0.0.1:1/_sandbox/webhooks/we_1");
        assert_eq!(sandbox.url(&["a/b"]).unwrap().path(), "/_sandbox/webhooks/a%2Fb");
    }

    #[test]
    fn event_ids_are_one_plain_word() {
        assert_eq!(parse_event_id(" evt_Ab-9 ").unwrap(), "evt_Ab-9");
        for bad in ["", "evt 1", "evt/../x", "évt", &"e".repeat(201)] {
            assert!(parse_event_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forward_urls_are_http_or_https() {
        assert!(parse_forward_url("http://127.0.0.1:3000/hooks").is_ok());
        assert!(parse_forward_url("https://example.com/hooks").is_ok());
        assert!(parse_forward_url("ftp://127.0.0.1/").is_err() && parse_forward_url("hooks").is_err());
    }
}
