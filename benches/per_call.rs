//! Per-call overhead: the same call through the facade, the generated builders and a
//! hand-written reqwest + serde_json request, against an in-process sandbox on loopback.
//!
//! `cargo bench --bench per_call`

mod common;

use credits_sandbox::Sandbox;
use credits_sdk::AccountRef;
use criterion::{Criterion, criterion_group, criterion_main};

fn per_call(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let sandbox = runtime.block_on(Sandbox::start()).expect("sandbox");
    let clients = common::Clients::new(&sandbox);
    let account_id = runtime.block_on(common::rich_account(&clients.facade));
    let account = AccountRef::id(&account_id);

    let mut group = c.benchmark_group("get_balance");
    group.bench_function("hand-written", |b| b.to_async(&runtime).iter(|| clients.baseline.get_balance(&account_id)));
    group.bench_function("builders", |b| {
        b.to_async(&runtime).iter(|| async {
            clients.builders.get_balance().account_id(account_id.clone()).send().await.expect("balance").into_inner()
        })
    });
    group.bench_function("facade", |b| {
        b.to_async(&runtime).iter(|| async { clients.facade.get_balance(&account).await.expect("balance") })
    });
    group.finish();

    let mut group = c.benchmark_group("reserve_confirm");
    group.bench_function("hand-written", |b| {
        b.to_async(&runtime).iter(|| clients.baseline.reserve_and_confirm(&account_id))
    });
    group.bench_function("builders", |b| {
        b.to_async(&runtime).iter(|| common::builders_reserve_and_confirm(&clients.builders, &account_id))
    });
    group.bench_function("facade", |b| {
        b.to_async(&runtime).iter(|| common::facade_reserve_and_confirm(&clients.facade, &account_id))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(60).measurement_time(std::time::Duration::from_secs(6));
    targets = per_call
}
criterion_main!(benches);
