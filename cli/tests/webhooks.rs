//! `credits listen` and `credits trigger`: the built binary against an in-process sandbox and a
//! small recording webhook handler, everything on 127.0.0.1.

mod support;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use credits_sandbox::Sandbox;
use credits_sdk::webhooks::{Event, Verifier};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use support::{Run, against, command, sandbox};

/// How long anything awaited may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(10);

/// Runs `command` to its end, within [`DEADLINE`].
async fn output(command: Command) -> Run {
    tokio::time::timeout(DEADLINE, support::output(command)).await.expect("credits finishes")
}

/// Polls `check` until it gives a value, failing the test after [`DEADLINE`].
async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The requests a [`handler`] got: headers and raw body.
type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A webhook handler on 127.0.0.1 that records every request and answers `status`.
async fn handler(status: StatusCode) -> (String, Received) {
    let received = Received::default();
    let app = axum::Router::new()
        .fallback(
            |State((status, received)): State<(StatusCode, Received)>, headers: HeaderMap, body: Bytes| async move {
                received.lock().unwrap().push((headers, body));
                status
            },
        )
        .with_state((status, received.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the handler");
    let url = format!("http://{}/hooks/credits", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

/// A loopback URL nothing listens on.
fn closed_url() -> String {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    format!("http://127.0.0.1:{port}/")
}

/// An HTTP client for loopback only.
fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(DEADLINE).build().expect("client")
}

/// `GET /_sandbox/webhooks` for the sandbox's project.
async fn webhooks_view(sandbox: &Sandbox) -> Value {
    let answer = http()
        .get(format!("{}/_sandbox/webhooks", sandbox.base_url()))
        .header("x-api-key", sandbox.api_key())
        .send()
        .await
        .expect("GET /_sandbox/webhooks");
    assert_eq!(answer.status(), 200);
    serde_json::from_slice(&answer.bytes().await.expect("body")).expect("JSON")
}

/// A running `credits listen`, past its `Ready` line.
struct Listen {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    /// Every stdout line so far.
    seen: Vec<String>,
    /// The signing secret from the `Ready` line.
    secret: String,
}

impl Listen {
    async fn start(sandbox: &Sandbox, args: &[&str]) -> Listen {
        let mut command = against(sandbox, args);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn credits listen");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut listen = Listen { child, lines, seen: Vec::new(), secret: String::new() };
        let ready = listen.line(|line| line.starts_with("Ready. ")).await;
        let (forwarding, secret) =
            ready.split_once("; webhook signing secret: ").expect("the Ready line names the secret");
        assert_eq!(forwarding, format!("Ready. Forwarding events to {}", args[2]), "{ready}");
        listen.secret = secret.to_owned();
        listen
    }

    /// The first stdout line (seen or to come) that `matches`.
    async fn line(&mut self, matches: impl Fn(&str) -> bool) -> String {
        if let Some(line) = self.seen.iter().find(|line| matches(line)) {
            return line.clone();
        }
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let next = tokio::time::timeout_at(deadline, self.lines.recv()).await;
            let Ok(Some(line)) = next else {
                panic!("no such line from credits listen; it printed {:#?}", self.seen);
            };
            self.seen.push(line.clone());
            if matches(&line) {
                return line;
            }
        }
    }

    /// Sends SIGINT (Ctrl-C) and waits for the exit: its code, all of stdout, stderr.
    #[cfg(unix)]
    async fn interrupt(self) -> Run {
        self.signal("-INT").await
    }

    /// Sends `signal` (`-INT`, `-TERM`) and waits for the exit: its code, all of stdout, stderr.
    #[cfg(unix)]
    async fn signal(mut self, signal: &str) -> Run {
        let pid = self.child.id().expect("still running").to_string();
        let status = std::process::Command::new("kill").args([signal, &pid]).status().expect("run kill");
        assert!(status.success());
        let exit = tokio::time::timeout(DEADLINE, self.child.wait()).await.expect("listen exits").expect("wait");
        while let Ok(Some(line)) = tokio::time::timeout(DEADLINE, self.lines.recv()).await {
            self.seen.push(line);
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            pipe.read_to_string(&mut stderr).await.expect("read stderr");
        }
        Run { code: exit.code().unwrap_or(-1), stdout: self.seen.join("\n"), stderr }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn listen_forwards_verified_deliveries_unchanged_and_removes_its_endpoint_on_ctrl_c() {
    let sandbox = sandbox().await;
    let (url, received) = handler(StatusCode::OK).await;
    let mut listen = Listen::start(&sandbox, &["listen", "--forward-to", &url]).await;
    assert!(listen.secret.starts_with("whsec_"), "{}", listen.secret);

    // Registered: one endpoint, a receiver on 127.0.0.1.
    let view = webhooks_view(&sandbox).await;
    let endpoints = view["endpoints"].as_array().expect("endpoints");
    assert_eq!(endpoints.len(), 1, "{view}");
    let receiver = endpoints[0]["url"].as_str().expect("url").to_owned();
    let endpoint_id = endpoints[0]["id"].as_str().expect("id").to_owned();
    assert!(receiver.starts_with("http://127.0.0.1:"), "{receiver}");

    let triggered = output(against(&sandbox, &["trigger", "reservation.expired"])).await;
    assert_eq!((triggered.code, triggered.stdout.as_str()), (0, "Triggered reservation.expired\n"), "{triggered:#?}");

    // The handler got it, signed for the printed secret, body and headers as the sandbox sent them.
    let verifier = Verifier::new(&listen.secret).expect("the printed secret is a secret");
    let expired = eventually("the reservation.expired delivery", || {
        received.lock().unwrap().iter().find_map(|(headers, body)| match verifier.verify(headers, body) {
            Ok(event @ Event::ReservationExpired(_)) => Some(event),
            _ => None,
        })
    })
    .await;
    let Event::ReservationExpired(envelope) = &expired else { unreachable!() };
    assert_eq!(serde_json::to_value(&envelope.data).unwrap()["status"], "expired");
    for (headers, body) in received.lock().unwrap().iter() {
        assert!(verifier.verify(headers, body).is_ok(), "{headers:?}");
        assert_eq!(headers["content-type"], "application/json");
        assert!(headers.contains_key("webhook-id") && headers.contains_key("webhook-timestamp"));
    }
    let logged = listen.line(|line| line.contains(" reservation.expired ") && line.contains(expired.id())).await;
    assert!(logged.ends_with(&format!("reservation.expired {} -> 200", expired.id())), "{logged}");
    assert!(logged.split(' ').next().is_some_and(|time| time.ends_with('Z') && time.len() == 20), "{logged}");

    // A delivery that does not verify is answered 400 and not forwarded; too large a body, 413.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let forged = http()
        .post(&receiver)
        .header("content-type", "application/json")
        .header("webhook-id", "evt_forged")
        .header("webhook-timestamp", now.to_string())
        .header("webhook-signature", "v1,bm90IGEgc2lnbmF0dXJl")
        .body(r#"{"id":"evt_forged","type":"account.created","createdAt":"2026-01-01T00:00:00Z","data":{}}"#)
        .send()
        .await
        .expect("POST to the receiver");
    assert_eq!(forged.status(), 400);
    listen.line(|line| line.contains("refused a delivery that does not verify")).await;
    let huge = http().post(&receiver).body(vec![b' '; (1 << 20) + 1]).send().await.expect("POST to the receiver");
    assert_eq!(huge.status(), 413);
    assert!(!received.lock().unwrap().iter().any(|(headers, _)| headers["webhook-id"] == "evt_forged"));

    // Ctrl-C: the endpoint is removed, exit 0; the key was never printed.
    let stopped = listen.interrupt().await;
    assert_eq!(stopped.code, 0, "{stopped:#?}");
    assert!(stopped.stdout.ends_with(&format!("Stopped. Removed webhook endpoint {endpoint_id}.")), "{stopped:#?}");
    let key = sandbox.api_key();
    assert!(!stopped.stdout.contains(key) && !stopped.stderr.contains(key), "{stopped:#?}");
    assert_eq!(webhooks_view(&sandbox).await["endpoints"], serde_json::json!([]));
    let nowhere = output(against(&sandbox, &["trigger", "reservation.expired"])).await;
    assert_eq!(nowhere.code, 4, "{nowhere:#?}");
    assert!(nowhere.stderr.starts_with("error: API 409 no_webhooks"), "{nowhere:#?}");
}

#[tokio::test]
async fn a_failing_handler_fails_the_delivery_and_types_not_in_events_are_skipped() {
    let sandbox = sandbox().await;
    let key = sandbox.api_key().to_owned();
    let (url, received) = handler(StatusCode::INTERNAL_SERVER_ERROR).await;
    let mut listen =
        Listen::start(&sandbox, &["listen", "--forward-to", &url, "--events", "reservation.expired"]).await;
    let triggered = output(against(&sandbox, &["trigger", "reservation.expired"])).await;
    assert_eq!(triggered.code, 0, "{triggered:#?}");

    // The handler's 500 is the sandbox's answer: the attempt failed and is to be retried.
    let failed = eventually("a failed reservation.expired attempt", || {
        sandbox
            .webhook_deliveries(&key)
            .into_iter()
            .find(|d| d.event_type == "reservation.expired" && d.last_status.as_deref() == Some("HTTP 500"))
    })
    .await;
    assert!(failed.attempts >= 1 && failed.state != credits_sandbox::WebhookDeliveryState::Delivered, "{failed:?}");
    let line = listen.line(|line| line.contains(" reservation.expired ")).await;
    assert!(line.ends_with(&format!("{} -> 500", failed.event_id)), "{line}");
    let view = webhooks_view(&sandbox).await;
    let rows = view["deliveries"].as_array().expect("deliveries");
    assert!(rows.iter().any(|d| d["eventType"] == "reservation.expired" && d["lastStatus"] == "HTTP 500"), "{view}");

    // Other types are answered 200 without reaching the handler.
    eventually("a skipped balance.credited delivery", || {
        sandbox
            .webhook_deliveries(&key)
            .into_iter()
            .find(|d| d.event_type == "balance.credited" && d.last_status.as_deref() == Some("HTTP 200"))
    })
    .await;
    let skipped = listen.line(|line| line.contains(" balance.credited ")).await;
    assert!(skipped.contains("-> skipped"), "{skipped}");
    for (headers, body) in received.lock().unwrap().iter() {
        let event = Verifier::new(&listen.secret).unwrap().verify(headers, body).expect("verifies");
        assert_eq!(event.type_name(), "reservation.expired");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn an_unreachable_handler_is_a_502_for_the_sandbox() {
    let sandbox = sandbox().await;
    let key = sandbox.api_key().to_owned();
    let mut listen =
        Listen::start(&sandbox, &["listen", "--forward-to", &closed_url(), "--events", "account.created"]).await;
    let triggered = output(against(&sandbox, &["trigger", "account.created"])).await;
    assert_eq!(triggered.code, 0, "{triggered:#?}");
    eventually("a 502 attempt", || {
        sandbox.webhook_deliveries(&key).into_iter().find(|d| d.last_status.as_deref() == Some("HTTP 502"))
    })
    .await;
    let line = listen.line(|line| line.contains(" account.created ")).await;
    assert!(line.contains("-> 502 (cannot reach"), "{line}");

    // SIGTERM stops it like Ctrl-C: the endpoint is removed, exit 0.
    let stopped = listen.signal("-TERM").await;
    assert_eq!(stopped.code, 0, "{stopped:#?}");
    assert_eq!(webhooks_view(&sandbox).await["endpoints"], serde_json::json!([]));
}

#[tokio::test]
async fn a_redirecting_handler_is_not_followed_and_its_status_goes_to_the_sandbox() {
    let sandbox = sandbox().await;
    let key = sandbox.api_key().to_owned();
    let (target, reached) = handler(StatusCode::OK).await;
    let app = axum::Router::new().fallback(move || {
        let target = target.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [(axum::http::header::LOCATION, target)]) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the redirecting handler");
    let redirecting = format!("http://{}/hooks", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut listen =
        Listen::start(&sandbox, &["listen", "--forward-to", &redirecting, "--events", "account.created"]).await;
    let triggered = output(against(&sandbox, &["trigger", "account.created"])).await;
    assert_eq!(triggered.code, 0, "{triggered:#?}");
    eventually("a 307 attempt", || {
        sandbox.webhook_deliveries(&key).into_iter().find(|d| d.last_status.as_deref() == Some("HTTP 307"))
    })
    .await;
    let line = listen.line(|line| line.contains(" account.created ")).await;
    assert!(line.ends_with("-> 307 (redirect not followed)"), "{line}");
    assert!(reached.lock().unwrap().is_empty(), "the redirect was followed");
}

#[tokio::test]
async fn trigger_checks_the_type_and_the_base_url_before_sending() {
    let sandbox = sandbox().await;
    let key = sandbox.api_key().to_owned();
    sandbox.add_webhook(&closed_url()).expect("register an endpoint");

    // An unknown type: a usage error listing the known ones, and no event.
    let unknown = output(against(&sandbox, &["trigger", "invoice.paid"])).await;
    assert_eq!(unknown.code, 2, "{unknown:#?}");
    assert!(unknown.stdout.is_empty() && unknown.stderr.starts_with("error:"), "{unknown:#?}");
    for event_type in credits_sdk::webhooks::EventType::ALL {
        assert!(unknown.stderr.contains(event_type.as_str()), "{event_type}: {unknown:#?}");
    }
    assert!(sandbox.webhook_deliveries(&key).is_empty(), "an unknown type must not reach the sandbox");
    // (A known one does.)
    let known = output(against(&sandbox, &["trigger", "account.created"])).await;
    assert_eq!((known.code, known.stdout.as_str()), (0, "Triggered account.created\n"), "{known:#?}");
    assert!(sandbox.webhook_deliveries(&key).iter().any(|d| d.event_type == "account.created"));

    // Not a local sandbox (never contacted: the check comes first), or no base URL at all.
    let refused: [&[&str]; 4] = [
        &["trigger", "reservation.expired", "--api-key", "sk_x", "--base-url", "http://example.invalid"],
        &["trigger", "reservation.expired", "--api-key", "sk_x", "--base-url", "https://127.0.0.1:1"],
        &["trigger", "reservation.expired", "--api-key", "sk_x"],
        &["listen", "--forward-to", "http://127.0.0.1:1/", "--api-key", "sk_x", "--base-url", "http://example.invalid"],
    ];
    for args in refused {
        let run = output(command(args)).await;
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {run:#?}");
        assert!(run.stderr.contains("only against a local sandbox") && run.stderr.contains("dashboard"), "{run:#?}");
        assert!(!run.stderr.contains("sk_x") && run.stdout.is_empty(), "{run:#?}");
    }
    // No key: a configuration error. A bad --forward-to or --events value: a usage error.
    let no_key = output(command(&["trigger", "account.created", "--base-url", sandbox.base_url()])).await;
    assert_eq!(no_key.code, 3, "{no_key:#?}");
    for args in [
        ["listen", "--forward-to", "ftp://127.0.0.1/", "--events", "account.created"],
        ["listen", "--forward-to", "http://127.0.0.1:1/", "--events", "account.created,nope"],
    ] {
        let run = output(against(&sandbox, &args)).await;
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
    }
    // No endpoint: the sandbox's 409, exit 4.
    let fresh = self::sandbox().await;
    let nowhere = output(against(&fresh, &["trigger", "account.created"])).await;
    assert_eq!(nowhere.code, 4, "{nowhere:#?}");
    assert!(nowhere.stderr.starts_with("error: API 409 no_webhooks"), "{nowhere:#?}");
}

#[tokio::test]
async fn resend_queues_a_kept_event_again_under_its_id_and_refuses_unknown_ones() {
    let sandbox = sandbox().await;
    let key = sandbox.api_key().to_owned();
    sandbox.add_webhook(&closed_url()).expect("register an endpoint");
    let triggered = output(against(&sandbox, &["trigger", "account.created"])).await;
    assert_eq!(triggered.code, 0, "{triggered:#?}");
    let kept = sandbox.webhook_deliveries(&key);
    let event =
        kept.iter().find(|d| d.event_type == "account.created").expect("account.created queued").event_id.clone();

    let run = output(against(&sandbox, &["resend", &event])).await;
    assert_eq!((run.code, run.stdout.as_str()), (0, format!("Resent {event} to 1 endpoint(s)\n").as_str()), "{run:#?}");
    let after = sandbox.webhook_deliveries(&key);
    assert_eq!(after.len(), kept.len() + 1, "one more delivery");
    let copies: Vec<_> = after.iter().filter(|d| d.event_id == event).collect();
    assert_eq!(copies.len(), 2, "{after:#?}");
    assert_eq!(copies[0].body, copies[1].body, "the same event");

    let unknown = output(against(&sandbox, &["resend", "evt_never_made"])).await;
    assert_eq!(unknown.code, 4, "{unknown:#?}");
    assert!(unknown.stderr.starts_with("error: API 404 event_not_found"), "{unknown:#?}");
    let malformed = output(against(&sandbox, &["resend", "evt/../x"])).await;
    assert_eq!(malformed.code, 2, "{malformed:#?}");
    assert_eq!(sandbox.webhook_deliveries(&key).len(), kept.len() + 1, "a refused resend queues nothing");
}

#[tokio::test]
async fn help_lists_the_commands_and_the_event_types() {
    let help = output(command(&["--help"])).await;
    assert!(help.stdout.contains("sandbox, listen, trigger, resend, completions"), "{}", help.stdout);
    let trigger = output(command(&["trigger", "--help"])).await;
    assert_eq!(trigger.code, 0, "{trigger:#?}");
    for event_type in credits_sdk::webhooks::EventType::ALL {
        assert!(trigger.stdout.contains(&format!("- {}: ", event_type.as_str())), "{event_type}: {}", trigger.stdout);
    }
    assert!(trigger.stdout.contains("A hold lapsed unconfirmed"), "{}", trigger.stdout);
    let listen = output(command(&["listen", "--help"])).await;
    assert!(listen.stdout.contains("--forward-to <URL>") && listen.stdout.contains("--events"), "{}", listen.stdout);
}
