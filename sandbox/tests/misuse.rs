//! The sandbox survives misuse: idle and slow connections, a flood of sockets, absurd TTLs,
//! duplicate JSON keys, oversized request heads and slow bodies. Every check talks to the
//! server over real TCP on 127.0.0.1.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{Api, d, decode, error_code, error_text};
use credits_sandbox::{MAX_HEADERS, MAX_RESERVATION_TTL, MAX_URI_BYTES, Sandbox};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Waits until the server closes `socket` (EOF or reset); panics after `within`.
async fn closed_by_server(socket: &mut TcpStream, within: Duration) {
    let mut buffer = [0_u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.read(&mut buffer)).await {
            Err(_) => panic!("the server kept the connection open for {within:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(_)) => continue, // a response (e.g. hyper's 408-less close); keep reading
        }
    }
}

/// Writes `bytes` one at a time every `pause` until the server closes the connection; returns
/// how long that took. Panics if the whole sequence was written without a close.
async fn drip_until_closed(address: SocketAddr, bytes: Vec<u8>, pause: Duration) -> Duration {
    let started = Instant::now();
    let mut socket = TcpStream::connect(address).await.unwrap();
    for byte in bytes {
        if socket.write_all(&[byte]).await.is_err() {
            return started.elapsed();
        }
        let mut probe = [0_u8; 512];
        match tokio::time::timeout(pause, socket.read(&mut probe)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) | Err(_) => {}
        }
    }
    panic!("the server read a dripped head for {:?} without closing", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_idle_sockets_and_dripped_heads_neither_block_requests_nor_stay_open() {
    let timeout = Duration::from_millis(1000);
    let api = Api::with(Sandbox::builder().header_read_timeout(timeout)).await;
    let address = api.sandbox.address();
    let mut idle = Vec::new();
    for _ in 0..500 {
        idle.push(TcpStream::connect(address).await.unwrap());
    }
    // Heads dripped a byte every 50 ms: HTTP/1 headers, and the HTTP/2 preface.
    let mut http1 = b"POST /v1/accounts/create HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_vec();
    http1.extend(std::iter::repeat_n(b'a', 400));
    let mut http2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    http2.extend(std::iter::repeat_n(0_u8, 400));
    let drippers: Vec<_> = [http1.clone(), http1, http2.clone(), http2]
        .into_iter()
        .map(|bytes| tokio::spawn(drip_until_closed(address, bytes, Duration::from_millis(50))))
        .collect();
    // A well-behaved client is served at once.
    let started = Instant::now();
    let (status, body) = api.get("/v1/accounts", &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(started.elapsed() < Duration::from_secs(2), "served in {:?}", started.elapsed());
    // The idle sockets are closed by the server after the timeout.
    tokio::time::sleep(timeout).await;
    for socket in &mut idle {
        closed_by_server(socket, Duration::from_secs(5)).await;
    }
    for dripper in drippers {
        let lasted = dripper.await.unwrap();
        assert!(lasted >= timeout - Duration::from_millis(100), "closed after {lasted:?}");
        assert!(lasted < timeout * 5, "closed only after {lasted:?}");
    }
    // And the sandbox still serves, on a new connection: the first request's keep-alive
    // connection has itself idled past the timeout, so the server closes it too, and reusing
    // it would race that close (the client would see an incomplete message).
    let fresh = reqwest::Client::new();
    let response = fresh.get(api.url("/v1/accounts")).header("X-API-Key", &api.key).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_keep_alive_connection_is_closed_after_idling_for_the_timeout() {
    let timeout = Duration::from_millis(500);
    let api = Api::with(Sandbox::builder().header_read_timeout(timeout)).await;
    let mut socket = TcpStream::connect(api.sandbox.address()).await.unwrap();
    let request = format!("GET /v1/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {}\r\n\r\n", api.key);
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut buffer = vec![0_u8; 4096];
    let n = socket.read(&mut buffer).await.unwrap();
    assert!(buffer[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buffer[..n]));
    let idle_from = Instant::now();
    closed_by_server(&mut socket, Duration::from_secs(5)).await;
    assert!(idle_from.elapsed() >= timeout - Duration::from_millis(100), "closed after {:?}", idle_from.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_bound_new_connections_wait_until_idle_ones_are_closed() {
    let timeout = Duration::from_millis(500);
    let api = Api::with(Sandbox::builder().max_connections(4).header_read_timeout(timeout)).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(api.sandbox.address()).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let (status, body) = api.get("/v1/accounts", &[]).await;
    assert_eq!(status, 200, "{body}");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "served after {waited:?}, before any permit was free");
    assert!(waited < Duration::from_secs(5), "served only after {waited:?}");
}

#[tokio::test]
async fn builder_settings_out_of_range_are_refused_at_start() {
    for ttl in
        [Duration::ZERO, MAX_RESERVATION_TTL + Duration::from_secs(1), Duration::from_secs(u64::MAX), Duration::MAX]
    {
        let error = Sandbox::builder().reservation_ttl(ttl).start().await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{ttl:?}");
        assert!(error.to_string().contains("TTL"), "{error}");
    }
    assert!(Sandbox::builder().reservation_ttl(MAX_RESERVATION_TTL).start().await.is_ok());
    for timeout in [Duration::ZERO, Duration::MAX] {
        let error = Sandbox::builder().header_read_timeout(timeout).start().await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    }
    let error = Sandbox::builder().max_connections(0).start().await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn the_binary_refuses_a_ttl_out_of_range_at_startup() {
    for ttl in ["0", "86401", "18446744073709551615", "99999999999999999999999"] {
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_credits-sandbox"))
            .args(["--addr", "127.0.0.1:0", "--reservation-ttl-secs", ttl])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
            .await
            .expect("the binary exits instead of serving")
            .unwrap();
        assert!(!output.status.success(), "--reservation-ttl-secs {ttl} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--reservation-ttl-secs"), "{stderr}");
        assert!(String::from_utf8_lossy(&output.stdout).is_empty(), "it never started listening");
    }
}

#[tokio::test]
async fn huge_expires_in_seconds_is_refused_and_the_server_keeps_serving() {
    let api = Api::start().await;
    let id = api.account_with("u", 100).await;
    for ttl in ["9223372036854775807", "-9223372036854775808", "1e30", "86401", "0", "-1", "1.5", "\"60\""] {
        let body = format!(r#"{{"accountId": "{id}", "amount": 5, "expiresInSeconds": {ttl}}}"#);
        let (status, text) = api.post_text("/v1/reservations/create", body).await;
        error_text(status, &text, 400, "invalid_request");
    }
    assert_eq!(api.balance(&id).await, (d(100), d(0), d(100)));
    let body = format!(r#"{{"accountId": "{id}", "amount": 5, "expiresInSeconds": 86400}}"#);
    assert_eq!(api.post_text("/v1/reservations/create", body).await.0, 200);
}

#[tokio::test]
async fn duplicate_keys_are_refused_at_any_depth_and_nothing_is_written() {
    let api = Api::start().await;
    let id = api.account_with("u", 10).await;
    let bodies = [
        ("/v1/accounts/credits/add", format!(r#"{{"accountId": "{id}", "amount": 1, "amount": 500}}"#)),
        ("/v1/accounts/credits/add", format!(r#"{{"accountId": "{id}", "amount": 1, "amo\u0075nt": 500}}"#)),
        ("/v1/accounts/credits/add", format!(r#"{{"accountId": "{id}", "accountId": "{id}", "amount": 1}}"#)),
        (
            "/v1/accounts/credits/add",
            format!(r#"{{"accountId": "{id}", "amount": 1, "metadata": {{"a": 1, "a": 2}}}}"#),
        ),
        (
            "/v1/accounts/credits/add",
            format!(r#"{{"accountId": "{id}", "amount": 1, "metadata": {{"x": [{{"k": 1}}, {{"k": 1, "k": 2}}]}}}}"#),
        ),
        ("/v1/accounts/credits/add", format!(r#"{{"accountId": "{id}", "amount": 1, "unknown": 1, "unknown": 2}}"#)),
        ("/v1/accounts/credits/deduct", format!(r#"{{"accountId": "{id}", "amount": 1, "amount": 5}}"#)),
        (
            "/v1/transactions/create",
            format!(r#"{{"accountId": "{id}", "amount": 1, "type": "debit", "type": "credit"}}"#),
        ),
        (
            "/v1/reservations/create",
            format!(r#"{{"accountId": "{id}", "amount": 1, "expiresInSeconds": 1, "expiresInSeconds": 60}}"#),
        ),
        ("/v1/accounts/create", r#"{"name": "A", "name": "B"}"#.to_owned()),
        ("/v1/plans/create", r#"{"name": "P", "amount": 1, "interval": "month", "interval": "week"}"#.to_owned()),
    ];
    for (path, body) in bodies {
        let (status, text) = api.post_text(path, body.clone()).await;
        error_text(status, &text, 400, "invalid_request");
        assert!(text.contains("duplicate"), "{body} -> {text}");
    }
    assert_eq!(api.balance(&id).await, (d(10), d(0), d(10)));
    assert_eq!(api.ledger(&id).await.len(), 1);
    let (_, accounts) = api.get("/v1/accounts", &[]).await;
    assert_eq!(accounts["accounts"].as_array().unwrap().len(), 1);
    let (_, plans) = api.get("/v1/plans", &[]).await;
    assert_eq!(plans["plans"], json!([]));
    // The admin endpoint too.
    let response = api
        .http
        .post(api.url("/_sandbox/faults"))
        .header("Content-Type", "application/json")
        .body(r#"{"next": 1, "next": 2, "fault": {"kind": "delay", "ms": 1}}"#)
        .send()
        .await
        .unwrap();
    let (status, body) = decode(response).await;
    error_code(status, &body, 400, "invalid_request");
    assert_eq!(api.sandbox.faults().injected(), 0);
    assert_eq!(api.get("/v1/accounts", &[]).await.0, 200, "no fault was planned");
}

#[tokio::test]
async fn oversized_request_heads_answer_json_errors() {
    let api = Api::start().await;
    let long_query = "x".repeat(MAX_URI_BYTES);
    let (status, body) = api.get("/v1/accounts", &[("pad", &long_query)]).await;
    error_code(status, &body, 414, "uri_too_long");
    let mut request = api.http.get(api.url("/v1/accounts")).header("X-API-Key", &api.key);
    for n in 0..MAX_HEADERS {
        request = request.header(format!("x-pad-{n}"), "1");
    }
    let (status, body) = decode(request.send().await.unwrap()).await;
    error_code(status, &body, 431, "headers_too_large");
    let response = api
        .http
        .get(api.url("/v1/accounts"))
        .header("X-API-Key", &api.key)
        .header("x-pad", "y".repeat(40 * 1024))
        .send()
        .await
        .unwrap();
    let (status, body) = decode(response).await;
    error_code(status, &body, 431, "headers_too_large");
    // Beyond hyper's own limits (a URI over 64 KiB, a head over ~400 KiB) hyper answers the
    // status itself, with an empty body, and closes the connection: no JSON is possible there.
    // (An HTTP client refuses to send such a URI, so this one goes over a raw socket.)
    let mut socket = TcpStream::connect(api.sandbox.address()).await.unwrap();
    let request = format!("GET /v1/accounts?pad={} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "x".repeat(70 * 1024));
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut response)).await.unwrap().unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 414"), "{response}");
    assert!(response.to_ascii_lowercase().contains("content-length: 0"), "{response}");
    assert_eq!(api.get("/v1/accounts", &[]).await.0, 200, "the sandbox keeps serving");
}

#[tokio::test]
async fn framework_rejections_answer_json_errors() {
    let api = Api::start().await;
    let cases: [(&str, &str, u16, &str); 4] = [
        ("application/json", "{\"name\": ", 400, "invalid_request"),
        ("application/json", "{\"name\": \"A\"} trailing", 400, "invalid_request"),
        ("text/plain", "{\"name\": \"A\"}", 415, "unsupported_media_type"),
        ("", "{\"name\": \"A\"}", 415, "unsupported_media_type"),
    ];
    for (content_type, body, status, code) in cases {
        let mut request = api.http.post(api.url("/v1/accounts/create")).header("X-API-Key", &api.key).body(body);
        if !content_type.is_empty() {
            request = request.header("Content-Type", content_type);
        }
        let (got, response) = decode(request.send().await.unwrap()).await;
        error_code(got, &response, status, code);
    }
    let big = format!("{{\"name\": \"{}\"}}", "a".repeat(3 * 1024 * 1024));
    let (status, body) = api.post_raw("/v1/accounts/create", "application/json", big).await;
    error_code(status, &body, 413, "payload_too_large");
    let response = api.http.put(api.url("/v1/accounts/create")).header("X-API-Key", &api.key).send().await.unwrap();
    let (status, body) = decode(response).await;
    error_code(status, &body, 405, "method_not_allowed");
    let (status, body) = decode(api.http.get(api.url("/v2/anything")).send().await.unwrap()).await;
    error_code(status, &body, 404, "not_found");
    let (_, list) = api.get("/v1/accounts", &[]).await;
    assert_eq!(list["accounts"], Value::Array(vec![]));
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_gets_a_json_408() {
    let timeout = Duration::from_millis(500);
    let api = Api::with(Sandbox::builder().header_read_timeout(timeout)).await;
    let mut socket = TcpStream::connect(api.sandbox.address()).await.unwrap();
    let head = format!(
        "POST /v1/accounts/create HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\"",
        api.key
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":\"request_timeout\""), "{text}");
    assert!(started.elapsed() >= timeout - Duration::from_millis(100));
    let (_, list) = api.get("/v1/accounts", &[]).await;
    assert_eq!(list["accounts"], Value::Array(vec![]));
}

/// The status line of the answer to a raw HTTP/1.1 GET of `path` with this `Host` header
/// (none when `host` is `None`).
async fn status_with_host(address: SocketAddr, path: &str, host: Option<&str>) -> String {
    let mut socket = TcpStream::connect(address).await.unwrap();
    let host = host.map_or(String::new(), |h| format!("Host: {h}\r\n"));
    let request = format!("GET {path} HTTP/1.1\r\n{host}Connection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer)).await.unwrap().unwrap();
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_admin_endpoints_and_the_page_answer_only_requests_addressed_to_a_loopback_host() {
    let sandbox = Sandbox::start().await.unwrap();
    let address = sandbox.address();
    let port = address.port();
    for path in ["/_sandbox/view", "/_sandbox", "/_sandbox/stats", "/_sandbox/clock", "/_sandbox/projects"] {
        for host in [
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            "LOCALHOST".into(),
            "app.localhost".into(),
            "127.5.6.7".into(),
            "[::1]:1".into(),
        ] {
            let status = status_with_host(address, path, Some(&host)).await;
            assert!(status.starts_with("HTTP/1.1 200"), "{path} with Host {host}: {status}");
        }
        // A DNS-rebinding page sends its own name; so does any other site.
        for host in [
            "evil.example",
            "evil.example:80",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "10.0.0.1",
            "[::2]",
            "",
        ] {
            let status = status_with_host(address, path, Some(host)).await;
            assert!(
                status.starts_with("HTTP/1.1 403") || status.starts_with("HTTP/1.1 400"),
                "{path} with Host {host:?}: {status}"
            );
        }
        let status = status_with_host(address, path, None).await;
        assert!(!status.starts_with("HTTP/1.1 200"), "{path} without a Host: {status}");
    }
    // The API itself is guarded by its key, not by the host name.
    let status = status_with_host(address, "/v1/plans", Some("evil.example")).await;
    assert!(status.starts_with("HTTP/1.1 401"), "{status}");
}
