//! Throughput under concurrency, measured interleaved: for 1, 16 and 64 concurrent tasks,
//! every round runs a batch of reserve + confirm pairs through the hand-written baseline, the
//! facade, the generated builders and the raw-HTTP client (the sandbox's ceiling), in a
//! shuffled order, so that drift
//! in the machine's speed hits all three alike. Reports the median pairs per second of each and
//! the facade's ratio to the baseline.
//!
//! `cargo bench --bench throughput_interleaved` (set `ROUNDS`, default 40; `PAIRS`, default 256)

mod common;

use std::sync::Arc;
use std::time::Duration;

use credits_sandbox::Sandbox;

const VARIANTS: [&str; 4] = ["hand-written", "facade", "sandbox ceiling", "builders"];

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(if quick { 2 } else { 40 });
    let pairs: usize = std::env::var("PAIRS").ok().and_then(|v| v.parse().ok()).unwrap_or(if quick { 16 } else { 256 });
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let sandbox = runtime.block_on(Sandbox::start()).expect("sandbox");
    let clients = common::Clients::new(&sandbox);
    let account_id: Arc<str> = runtime.block_on(common::rich_account(&clients.facade)).into();
    let key: Arc<str> = sandbox.api_key().into();
    let create: Arc<str> = format!(r#"{{"accountId":"{account_id}","amount":10}}"#).into();

    // For profiling one variant at one level alone: ONLY=0..3, TASKS=n.
    let only: Option<usize> = std::env::var("ONLY").ok().and_then(|v| v.parse().ok());
    let levels: Vec<usize> = match std::env::var("TASKS").ok().and_then(|v| v.parse().ok()) {
        Some(tasks) => vec![tasks],
        None => vec![1, 16, 64],
    };
    println!("throughput_interleaved: {rounds} rounds of {pairs} reserve + confirm pairs per variant");
    println!(
        "{:>6} {:<16} {:>12} {:>12} {:>12} {:>14} {:>20}",
        "tasks", "variant", "median/s", "min/s", "max/s", "vs hand", "per-round ratio p50"
    );
    for tasks in levels {
        let mut rates: [Vec<f64>; 4] = Default::default();
        runtime.block_on(async {
            // One raw connection per task, like a warm pool.
            let mut raw = Vec::new();
            for _ in 0..tasks {
                raw.push(Arc::new(tokio::sync::Mutex::new(common::RawConnection::open(sandbox.address()).await)));
            }
            let raw = Arc::new(raw);
            for round in 0..rounds + 2 {
                let mut order = [0usize, 1, 2, 3];
                fastrand::shuffle(&mut order);
                for variant in order.into_iter().filter(|v| only.is_none_or(|o| o == *v)) {
                    let elapsed: Duration = match variant {
                        0 => {
                            let (baseline, account_id) = (clients.baseline.clone(), account_id.clone());
                            common::run_concurrently(tasks, pairs, move |_| {
                                let (baseline, account_id) = (baseline.clone(), account_id.clone());
                                async move {
                                    baseline.reserve_and_confirm(&account_id).await;
                                }
                            })
                            .await
                        }
                        1 => {
                            let (facade, account_id) = (clients.facade.clone(), account_id.clone());
                            common::run_concurrently(tasks, pairs, move |_| {
                                let (facade, account_id) = (facade.clone(), account_id.clone());
                                async move {
                                    common::facade_reserve_and_confirm(&facade, &account_id).await;
                                }
                            })
                            .await
                        }
                        3 => {
                            let (builders, account_id) = (clients.builders.clone(), account_id.clone());
                            common::run_concurrently(tasks, pairs, move |_| {
                                let (builders, account_id) = (builders.clone(), account_id.clone());
                                async move {
                                    common::builders_reserve_and_confirm(&builders, &account_id).await;
                                }
                            })
                            .await
                        }
                        _ => {
                            let (raw, key, create) = (raw.clone(), key.clone(), create.clone());
                            common::run_concurrently(tasks, pairs, move |task| {
                                let (raw, key, create) = (raw.clone(), key.clone(), create.clone());
                                async move {
                                    let mut connection = raw[task].lock().await;
                                    let id = common::reservation_id(
                                        connection.post("/v1/reservations/create", &key, &create).await,
                                    );
                                    let confirm = format!(r#"{{"reservationId":"{id}","actualAmount":7}}"#);
                                    connection.post("/v1/reservations/confirm", &key, &confirm).await;
                                }
                            })
                            .await
                        }
                    };
                    // Two warm-up rounds open the connections each client pools.
                    if round >= 2 {
                        rates[variant].push(pairs as f64 / elapsed.as_secs_f64());
                    }
                }
            }
        });
        let median = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        if only.is_some() {
            continue;
        }
        let base = median(&rates[0]);
        for (variant, name) in VARIANTS.iter().enumerate() {
            let (min, max) = rates[variant].iter().fold((f64::MAX, 0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
            let med = median(&rates[variant]);
            // Paired by round: both ran back to back, so slow spells of the machine cancel out.
            let paired: Vec<f64> = rates[variant].iter().zip(&rates[0]).map(|(r, h)| r / h).collect();
            println!(
                "{tasks:>6} {name:<16} {med:>12.0} {min:>12.0} {max:>12.0} {:>14.3} {:>20.3}",
                med / base,
                median(&paired)
            );
        }
    }
}
