//! Heap allocations per call on the client's side: the same call through the hand-written
//! baseline, the generated builders and the facade. Allocation is what separates them most
//! under load (see BENCHMARKS.md), so this counts it exactly instead of sampling it.
//!
//! `cargo bench --bench allocations`

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use common::Operation;
use credits_sandbox::Sandbox;

struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; only counters are added.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTED.try_with(Cell::get).unwrap_or(false) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn main() {
    let calls = 200u64;
    let server =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("server runtime");
    let sandbox = server.block_on(Sandbox::start()).expect("sandbox");
    let client_runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("client runtime");
    let clients = common::Clients::new(&sandbox);
    let account_id = client_runtime.block_on(common::rich_account(&clients.facade));

    println!("allocations: client-side heap allocations per call, {calls} calls each");
    println!("{:<18} {:<14} {:>12} {:>14}", "operation", "variant", "allocations", "bytes");
    for (label, operation) in [("get_balance", Operation::GetBalance), ("reserve_confirm", Operation::ReserveConfirm)] {
        for (variant, name) in ["hand-written", "builders", "facade"].iter().enumerate() {
            let run = || {
                client_runtime.block_on(async {
                    for _ in 0..calls {
                        clients.call_once(operation, variant, &account_id).await;
                    }
                })
            };
            run(); // warm the pools
            ALLOCATIONS.store(0, Ordering::Relaxed);
            BYTES.store(0, Ordering::Relaxed);
            COUNTED.with(|c| c.set(true));
            run();
            COUNTED.with(|c| c.set(false));
            let (count, bytes) = (ALLOCATIONS.load(Ordering::Relaxed), BYTES.load(Ordering::Relaxed));
            println!(
                "{label:<18} {name:<14} {:>12.1} {:>14.0}",
                count as f64 / calls as f64,
                bytes as f64 / calls as f64
            );
        }
    }
}
