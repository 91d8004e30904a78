//! Peak memory while a hostile server sends bodies far beyond the limit. This file holds one
//! test, so that its test binary is a process of its own: the peak resident set it reads from
//! `/proc/self/status` (`VmHWM`) is this test's alone.

mod support;

use credits_sdk::{AccountRef, CreditsClient, Error};
use support::hostile::{Hostile, Reply};

/// The bound this test proves, stated in the README: the default limit is 8 MiB, the buffer
/// at most twice that, and the test process itself (runtime, server, client) takes the rest.
const PEAK_RSS_BOUND_MIB: u64 = 64;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn stream(total: Option<u64>, chunked: bool) -> Reply {
    let mut head = String::from("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n");
    head.push_str(if chunked { "transfer-encoding: chunked\r\n" } else { "connection: close\r\n" });
    head.push_str("\r\n");
    Reply::Stream { head, total, chunked }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gigabyte_and_endless_bodies_end_at_the_limit_with_bounded_memory() {
    let Some(before) = peak_rss_kib() else {
        eprintln!("no /proc/self/status here: nothing to measure");
        return;
    };
    let bodies = [("1 GiB until close", stream(Some(1 << 30), false)), ("endless chunked", stream(None, true))];
    for (name, reply) in bodies {
        let server = Hostile::always(reply).await;
        // Default settings: an 8 MiB limit.
        let client = CreditsClient::builder().api_key("sk_test_memory").base_url(server.url()).build().unwrap();
        let outcome = client.get_balance(AccountRef::external("user_1")).await;
        assert!(
            matches!(outcome, Err(Error::ResponseTooLarge { limit, .. }) if limit == 8 * 1024 * 1024),
            "{name}: {outcome:?}"
        );
    }
    let peak = peak_rss_kib().unwrap_or(u64::MAX);
    eprintln!("peak RSS: {} MiB before the calls, {} MiB after", before / 1024, peak / 1024);
    assert!(peak / 1024 < PEAK_RSS_BOUND_MIB, "peak RSS {} MiB is over {PEAK_RSS_BOUND_MIB} MiB", peak / 1024);
}
