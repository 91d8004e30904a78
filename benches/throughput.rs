//! Throughput under concurrency: reserve + confirm pairs from 1, 16 and 64 concurrent tasks,
//! through the facade and by hand-written reqwest calls, plus the sandbox's own ceiling measured
//! with a minimal raw HTTP/1.1 client (pre-built requests, no HTTP library on the client side).
//!
//! `cargo bench --bench throughput`

mod common;

use std::sync::Arc;
use std::time::Duration;

use credits_sandbox::Sandbox;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// Reserve + confirm pairs per measured iteration, spread over the tasks.
const PAIRS_PER_ITERATION: usize = 128;

fn throughput(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let sandbox = runtime.block_on(Sandbox::start()).expect("sandbox");
    let clients = common::Clients::new(&sandbox);
    let account_id: Arc<str> = runtime.block_on(common::rich_account(&clients.facade)).into();

    let mut group = c.benchmark_group("reserve_confirm_concurrent");
    group.throughput(Throughput::Elements(PAIRS_PER_ITERATION as u64));
    for tasks in [1usize, 16, 64] {
        group.bench_with_input(BenchmarkId::new("hand-written", tasks), &tasks, |b, &tasks| {
            b.to_async(&runtime).iter_custom(|iters| {
                let (baseline, account_id) = (clients.baseline.clone(), account_id.clone());
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (baseline, account_id) = (baseline.clone(), account_id.clone());
                        total += common::run_concurrently(tasks, PAIRS_PER_ITERATION, move |_| {
                            let (baseline, account_id) = (baseline.clone(), account_id.clone());
                            async move {
                                baseline.reserve_and_confirm(&account_id).await;
                            }
                        })
                        .await;
                    }
                    total
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("facade", tasks), &tasks, |b, &tasks| {
            b.to_async(&runtime).iter_custom(|iters| {
                let (facade, account_id) = (clients.facade.clone(), account_id.clone());
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (facade, account_id) = (facade.clone(), account_id.clone());
                        total += common::run_concurrently(tasks, PAIRS_PER_ITERATION, move |_| {
                            let (facade, account_id) = (facade.clone(), account_id.clone());
                            async move {
                                common::facade_reserve_and_confirm(&facade, &account_id).await;
                            }
                        })
                        .await;
                    }
                    total
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("sandbox-ceiling", tasks), &tasks, |b, &tasks| {
            let address = sandbox.address();
            let key: Arc<str> = sandbox.api_key().into();
            b.to_async(&runtime).iter_custom(|iters| {
                let (key, account_id) = (key.clone(), account_id.clone());
                async move {
                    // One connection per task, opened before timing, like a warm pool.
                    let mut connections = Vec::new();
                    for _ in 0..tasks {
                        connections.push(Arc::new(tokio::sync::Mutex::new(common::RawConnection::open(address).await)));
                    }
                    let connections = Arc::new(connections);
                    let create = format!(r#"{{"accountId":"{account_id}","amount":10}}"#);
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (connections, key, create) = (connections.clone(), key.clone(), create.clone());
                        total += common::run_concurrently(tasks, PAIRS_PER_ITERATION, move |task| {
                            let (connections, key, create) = (connections.clone(), key.clone(), create.clone());
                            async move {
                                let mut connection = connections[task].lock().await;
                                let id = common::reservation_id(
                                    connection.post("/v1/reservations/create", &key, &create).await,
                                );
                                let confirm = format!(r#"{{"reservationId":"{id}","actualAmount":7}}"#);
                                connection.post("/v1/reservations/confirm", &key, &confirm).await;
                            }
                        })
                        .await;
                    }
                    total
                }
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(6));
    targets = throughput
}
criterion_main!(benches);
