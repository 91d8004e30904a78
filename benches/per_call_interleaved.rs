//! Per-call overhead measured interleaved: every round calls the hand-written baseline, the
//! generated builders and the facade once each, in a shuffled order, so drift in the machine's
//! speed (other load, frequency scaling) hits all three alike. Reports medians, quartiles and
//! the median of the per-round ratios against the baseline.
//!
//! `cargo bench --bench per_call_interleaved` (set `ROUNDS`, default 3000)

mod common;

use std::time::{Duration, Instant};

use common::Operation;
use credits_sandbox::Sandbox;

const VARIANTS: [&str; 4] = ["hand-written", "builders", "facade", "hand, ids only"];

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds: usize =
        std::env::var("ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(if quick { 50 } else { 3000 });
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let sandbox = runtime.block_on(Sandbox::start()).expect("sandbox");
    let clients = common::Clients::new(&sandbox);
    let account_id = runtime.block_on(common::rich_account(&clients.facade));

    // For profiling one variant alone (e.g. under callgrind): ONLY=0|1|2, OPERATION=name.
    let only: Option<usize> = std::env::var("ONLY").ok().and_then(|v| v.parse().ok());
    let operations: Vec<(&str, Operation)> =
        [("get_balance", Operation::GetBalance), ("reserve_confirm", Operation::ReserveConfirm)]
            .into_iter()
            .filter(|(name, _)| {
                std::env::var("OPERATION").is_ok_and(|one| one == *name) || std::env::var("OPERATION").is_err()
            })
            .collect();
    println!("per_call_interleaved: {rounds} rounds, each variant once per round in shuffled order");
    for (label, operation) in operations {
        let mut samples: [Vec<Duration>; 4] = Default::default();
        runtime.block_on(async {
            for round in 0..rounds + 100 {
                let mut order = [0usize, 1, 2, 3];
                fastrand::shuffle(&mut order);
                for variant in order.into_iter().filter(|v| only.is_none_or(|o| o == *v)) {
                    let started = Instant::now();
                    if !clients.call_once(operation, variant, &account_id).await {
                        continue;
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
        println!("\n{label}");
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
