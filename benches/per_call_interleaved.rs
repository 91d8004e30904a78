//! Per-call overhead measured interleaved: every round calls the hand-written baseline, the
//! generated builders and the facade once each, in a shuffled order, so drift in the machine's
//! speed (other load, frequency scaling) hits all three alike. Reports medians, quartiles and
//! the median of the per-round ratios against the baseline.
//!
//! `cargo bench --bench per_call_interleaved` (set `ROUNDS`, default 3000)

mod common;

use std::time::{Duration, Instant};

use credits_sandbox::Sandbox;
use credits_sdk::AccountRef;

const VARIANTS: [&str; 4] = ["hand-written", "builders", "facade", "hand, ids only"];

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds: usize =
        std::env::var("ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(if quick { 50 } else { 3000 });
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let sandbox = runtime.block_on(Sandbox::start()).expect("sandbox");
    let clients = common::Clients::new(&sandbox);
    let account_id = runtime.block_on(common::rich_account(&clients.facade));
    let account = AccountRef::id(&account_id);

    // For profiling one variant alone (e.g. under callgrind): ONLY=0|1|2, OPERATION=name.
    let only: Option<usize> = std::env::var("ONLY").ok().and_then(|v| v.parse().ok());
    let operations: Vec<String> = match std::env::var("OPERATION") {
        Ok(one) => vec![one],
        Err(_) => vec!["get_balance".into(), "reserve_confirm".into()],
    };
    println!("per_call_interleaved: {rounds} rounds, each variant once per round in shuffled order");
    for operation in operations.iter().map(String::as_str) {
        let mut samples: [Vec<Duration>; 4] = Default::default();
        runtime.block_on(async {
            for round in 0..rounds + 100 {
                let mut order = [0usize, 1, 2, 3];
                fastrand::shuffle(&mut order);
                for variant in order.into_iter().filter(|v| only.is_none_or(|o| o == *v)) {
                    let started = Instant::now();
                    match (operation, variant) {
                        ("get_balance", 0) => drop(clients.baseline.get_balance(&account_id).await),
                        ("get_balance", 1) => drop(
                            clients
                                .builders
                                .get_balance()
                                .account_id(account_id.clone())
                                .send()
                                .await
                                .expect("balance"),
                        ),
                        ("get_balance", 2) => drop(clients.facade.get_balance(&account).await.expect("balance")),
                        // Reading the balance has no "ids only" form: the baseline reads four numbers.
                        ("get_balance", _) => continue,
                        (_, 0) => drop(clients.baseline.reserve_and_confirm(&account_id).await),
                        (_, 1) => drop(common::builders_reserve_and_confirm(&clients.builders, &account_id).await),
                        (_, 2) => drop(common::facade_reserve_and_confirm(&clients.facade, &account_id).await),
                        (_, _) => drop(clients.baseline.reserve_and_confirm_ids_only(&account_id).await),
                    }
                    // The first 100 rounds warm the connection pools and caches.
                    if round >= 100 {
                        samples[variant].push(started.elapsed());
                    }
                }
            }
        });
        if only.is_some() {
            continue;
        }
        let baseline = samples[0].clone();
        println!("\n{operation}");
        println!(
            "  {:<13} {:>10} {:>10} {:>10} {:>16} {:>22}",
            "variant", "median", "p25", "p75", "median / hand", "per-round ratio p50"
        );
        for (variant, name) in VARIANTS.iter().enumerate().filter(|(v, _)| !samples[*v].is_empty()) {
            let mut ratios: Vec<f64> =
                samples[variant].iter().zip(&baseline).map(|(s, b)| s.as_secs_f64() / b.as_secs_f64()).collect();
            ratios.sort_by(f64::total_cmp);
            let mut sorted = samples[variant].clone();
            sorted.sort();
            let q = |p: f64| sorted[((sorted.len() - 1) as f64 * p) as usize];
            let mut base_sorted = baseline.clone();
            base_sorted.sort();
            let base_median = base_sorted[base_sorted.len() / 2];
            println!(
                "  {name:<13} {:>8.1}µs {:>8.1}µs {:>8.1}µs {:>16.3} {:>22.3}",
                q(0.5).as_secs_f64() * 1e6,
                q(0.25).as_secs_f64() * 1e6,
                q(0.75).as_secs_f64() * 1e6,
                q(0.5).as_secs_f64() / base_median.as_secs_f64(),
                ratios[ratios.len() / 2],
            );
        }
    }
}
