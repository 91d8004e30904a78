//! Pagination memory: stream 100,000 transactions through `stream_transactions` and report the
//! client's peak heap, measured by a counting global allocator, for several page sizes, next
//! to collecting the same stream into a `Vec` (what O(n) looks like). Also reports the time per
//! item.
//!
//! The sandbox runs on its own runtime threads and only allocations made on the client's
//! thread are counted, so the server's memory does not blur the figure.
//!
//! `cargo bench --bench pagination_memory` (set `PAGINATION_ITEMS` for another count)

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::time::Instant;

use credits_sandbox::Sandbox;
use credits_sdk::{AccountRef, CreateTransaction, CreditsClient, ListTransactions};
use futures::{StreamExt, TryStreamExt};

/// Counts the live bytes allocated by threads that opted in, and their peak.
struct CountingAllocator;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

// SAFETY: every call is forwarded unchanged to the system allocator; only counters are added.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            let live = LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed) + layout.size() as isize;
            PEAK.fetch_max(live.max(0) as usize, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `work` on this thread with allocation counting on; returns its output and the peak
/// live bytes above what was live when it started.
fn measure<T>(work: impl FnOnce() -> T) -> (T, usize) {
    COUNTED.with(|c| c.set(true));
    let baseline = LIVE.load(Ordering::Relaxed).max(0) as usize;
    PEAK.store(baseline, Ordering::Relaxed);
    let output = work();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(baseline);
    COUNTED.with(|c| c.set(false));
    (output, peak)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run a quick check.
    let quick = !std::env::args().any(|a| a == "--bench");
    let items: usize = std::env::var("PAGINATION_ITEMS").ok().and_then(|v| v.parse().ok()).unwrap_or(if quick {
        500
    } else {
        100_000
    });

    let server =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("server runtime");
    let sandbox = server.block_on(Sandbox::start()).expect("sandbox");
    let client_runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("client runtime");
    let client =
        CreditsClient::builder().api_key(sandbox.api_key()).base_url(sandbox.base_url()).build().expect("client");

    let account = client_runtime.block_on(seed(&client, items));
    println!("pagination_memory: {items} transactions of one account");
    println!("{:<28} {:>14} {:>14} {:>12}", "mode", "peak heap", "per item", "items");
    for page in [10u64, 50, 100] {
        let query = ListTransactions::new().account(&account).limit(page);
        let started = Instant::now();
        let (count, peak) = measure(|| {
            client_runtime
                .block_on(client.stream_transactions(query).try_fold(0usize, |n, _| async move { Ok(n + 1) }))
                .expect("stream")
        });
        report(&format!("stream, page size {page}"), peak, started.elapsed(), count, items);
    }
    let query = ListTransactions::new().account(&account).limit(100);
    let started = Instant::now();
    let (all, peak) = measure(|| {
        client_runtime.block_on(client.stream_transactions(query).try_collect::<Vec<_>>()).expect("collect")
    });
    report("collect into a Vec (O(n))", peak, started.elapsed(), all.len(), items);
}

fn report(mode: &str, peak: usize, elapsed: std::time::Duration, count: usize, expected: usize) {
    assert_eq!(count, expected, "{mode}: every transaction exactly once");
    let per_item = elapsed / count.max(1) as u32;
    println!("{mode:<28} {:>11.1} KiB {:>11.2} µs {count:>12}", peak as f64 / 1024.0, per_item.as_secs_f64() * 1e6);
}

/// Writes `items` transactions (the first one funds the account) with 32 concurrent requests.
async fn seed(client: &CreditsClient, items: usize) -> AccountRef {
    let account = AccountRef::id(common::rich_account(client).await);
    futures::stream::iter(1..items)
        .map(|n| {
            let (client, account) = (client.clone(), account.clone());
            async move {
                client
                    .create_transaction(CreateTransaction::credit(&account, 1).description(format!("seed {n}")))
                    .await
                    .expect("seed")
            }
        })
        .buffer_unordered(32)
        .for_each(|_| async {})
        .await;
    account
}
