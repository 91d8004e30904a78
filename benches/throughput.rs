//! Throughput under concurrency: reserve + confirm pairs from 1, 16 and 64 concurrent tasks,
//! through the facade and by hand-written reqwest calls, plus the sandbox's own ceiling measured
//! with a minimal raw HTTP/1.1 client (pre-built requests, no HTTP library on the client side).
//!
//! `cargo bench --bench throughput`

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use credits_sandbox::Sandbox;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reserve + confirm pairs per measured iteration, spread over the tasks.
const PAIRS_PER_ITERATION: usize = 128;

async fn run_concurrently<F, Fut>(tasks: usize, pairs: usize, one_pair: F) -> Duration
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let one_pair = Arc::new(one_pair);
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let one_pair = one_pair.clone();
            let share = pairs / tasks + usize::from(task < pairs % tasks);
            tokio::spawn(async move {
                for _ in 0..share {
                    one_pair(task).await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("task");
    }
    started.elapsed()
}

/// A keep-alive HTTP/1.1 connection that writes pre-built requests and reads responses by
/// `content-length`: the least a client can do, so its throughput approaches the server's.
struct RawConnection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl RawConnection {
    async fn open(address: std::net::SocketAddr) -> RawConnection {
        let stream = TcpStream::connect(address).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        RawConnection { stream, buffer: Vec::with_capacity(4096) }
    }

    async fn post(&mut self, path: &str, key: &str, body: &str) -> &[u8] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: sandbox\r\nx-api-key: {key}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(request.as_bytes()).await.expect("write");
        self.buffer.clear();
        loop {
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "connection closed");
            self.buffer.extend_from_slice(&chunk[..n]);
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buffer[..end]).expect("head");
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().expect("length"))
                    })
                    .expect("content-length");
                if self.buffer.len() >= end + 4 + length {
                    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
                    return &self.buffer[end + 4..end + 4 + length];
                }
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The reservation id in a create response, found without a JSON parser.
fn reservation_id(body: &[u8]) -> String {
    let text = std::str::from_utf8(body).expect("utf8");
    let start = text.find("\"id\":\"").expect("id") + 6;
    text[start..start + text[start..].find('"').expect("end")].to_owned()
}

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
                        total += run_concurrently(tasks, PAIRS_PER_ITERATION, move |_| {
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
                        total += run_concurrently(tasks, PAIRS_PER_ITERATION, move |_| {
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
                        connections.push(Arc::new(tokio::sync::Mutex::new(RawConnection::open(address).await)));
                    }
                    let connections = Arc::new(connections);
                    let create = format!(r#"{{"accountId":"{account_id}","amount":10}}"#);
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (connections, key, create) = (connections.clone(), key.clone(), create.clone());
                        total += run_concurrently(tasks, PAIRS_PER_ITERATION, move |task| {
                            let (connections, key, create) = (connections.clone(), key.clone(), create.clone());
                            async move {
                                let mut connection = connections[task].lock().await;
                                let id =
                                    reservation_id(connection.post("/v1/reservations/create", &key, &create).await);
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
