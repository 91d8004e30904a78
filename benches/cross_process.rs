//! The verdict benchmark: what a user's service pays. The sandbox runs in **another process**
//! (this binary started again in server mode), so this process's CPU time is the client's
//! alone. For 1, 16 and 64 concurrent tasks, every round runs a batch of reserve + confirm
//! pairs through the hand-written reqwest baseline, the generated builders and the facade, in
//! a shuffled order; each batch's wall time and this process's CPU time (user + sys, from
//! `getrusage`) are measured. Reports, per variant, the median over rounds of the per-round
//! ratio to the baseline of the same round: throughput, and client CPU per call.
//!
//! Also shows, per variant, the client's user and system CPU time and its context switches per
//! call (all from `getrusage`), and the server process's CPU time per call (which it reports
//! from its own `getrusage` when asked between batches).
//!
//! `cargo bench --bench cross_process` (`ROUNDS`, default 15; `PAIRS`, default 400; `ONLY`, a
//! comma-separated list of variants: 0 hand-written, 1 builders, 2 facade; `TASKS`, a list of
//! concurrency settings)

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

const VARIANTS: [&str; 3] = ["hand-written", "builders", "facade"];
const SERVER_ENV: &str = "CREDITS_BENCH_SERVER";

fn main() {
    if std::env::var_os(SERVER_ENV).is_some() {
        serve();
        return;
    }
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds: usize = env_or("ROUNDS", if quick { 1 } else { 15 });
    let pairs: usize = env_or("PAIRS", if quick { 16 } else { 400 });
    // For profiling some variants alone: ONLY=0 (hand-written), 1 (builders), 2 (facade), or a
    // list (ONLY=0,2). Ratios to the hand-written client are shown only when it runs.
    let only = env_list("ONLY", &[0, 1, 2]);

    let (mut server, base_url, key) = Server::start();
    // WORKERS: the client runtime's worker threads (default 2, like the sandbox's).
    let workers = env_or("WORKERS", 2);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build().expect("runtime");
    let clients = common::Clients::for_url(&base_url, &key);
    let account_id: Arc<str> = runtime.block_on(common::rich_account(&clients.facade)).into();
    println!(
        "cross_process: sandbox in another process; {rounds} rounds of {pairs} reserve + confirm pairs per variant; \
         load average before: {}",
        load_average()
    );
    println!(
        "{:>6} {:<13} {:>10} {:>14} {:>16} {:>18}",
        "tasks", "variant", "pairs/s", "CPU µs/call", "throughput ×hand", "CPU per call ×hand"
    );
    // TASKS=16 (or a list) for some of the concurrency settings.
    let settings = env_list("TASKS", &[1, 16, 64]);
    for tasks in settings {
        // [variant] -> per round (pairs/s, CPU µs per call)
        let mut samples: [Vec<(f64, f64)>; 3] = Default::default();
        // [variant] -> per round (user µs, system µs, context switches, server CPU µs) per call
        let mut split: [Vec<[f64; 4]>; 3] = Default::default();
        for round in 0..rounds + 1 {
            let mut order = [0usize, 1, 2];
            fastrand::shuffle(&mut order);
            for variant in order.into_iter().filter(|v| only.contains(v)) {
                let (clients, account_id) = (clients.clone(), account_id.clone());
                let server_before = server.cpu_us();
                let before = Usage::now();
                let elapsed = runtime.block_on(common::run_concurrently(tasks, pairs, move |_| {
                    let (clients, account_id) = (clients.clone(), account_id.clone());
                    async move {
                        let operation = common::Operation::ReserveConfirm;
                        clients
                            .call_once(
                                operation,
                                [common::HAND, common::BUILDERS, common::FACADE][variant],
                                &account_id,
                            )
                            .await;
                    }
                }));
                let used = Usage::now().since(&before);
                let server_used = server.cpu_us() - server_before;
                // The first round warms the pools up.
                if round > 0 {
                    let calls = (2 * pairs) as f64;
                    let cpu = used.user + used.system;
                    samples[variant].push((pairs as f64 / elapsed.as_secs_f64(), cpu * 1e6 / calls));
                    split[variant].push([
                        used.user * 1e6 / calls,
                        used.system * 1e6 / calls,
                        used.switches / calls,
                        server_used / calls,
                    ]);
                }
            }
        }
        for (variant, name) in VARIANTS.iter().enumerate().filter(|(v, _)| only.contains(v)) {
            let rate = median(samples[variant].iter().map(|s| s.0));
            let cpu = median(samples[variant].iter().map(|s| s.1));
            let paired = |pick: fn(&(f64, f64)) -> f64| {
                median(samples[variant].iter().zip(&samples[0]).map(|(v, h)| pick(v) / pick(h)))
            };
            // (No ratios when the hand-written client did not run: `ONLY` left it out.)
            let ratio = |value: f64| if value.is_nan() { "-".to_owned() } else { format!("{value:.3}") };
            println!(
                "{tasks:>6} {name:<13} {rate:>10.0} {cpu:>14.1} {:>16} {:>18}",
                ratio(paired(|s| s.0)),
                ratio(paired(|s| s.1))
            );
        }
        // Where the CPU time goes: user and kernel time, how often the client's threads were
        // switched out (waiting for the socket or a wake-up), and the server's CPU time (the
        // two processes share the machine's cores, so it bounds throughput too), per call.
        for (variant, name) in VARIANTS.iter().enumerate().filter(|(v, _)| only.contains(v)) {
            let at = |i: usize| median(split[variant].iter().map(|s| s[i]));
            println!(
                "{tasks:>6} {name:<13} user {:>6.1} µs  sys {:>6.1} µs  context switches {:>5.2}  server CPU {:>6.1} µs per call",
                at(0),
                at(1),
                at(2),
                at(3)
            );
        }
    }
    println!("load average after: {}", load_average());
    server.stop();
}

/// Server mode: the sandbox on a loopback port until standard input closes; each line read
/// from it is answered with this process's CPU time.
fn serve() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let sandbox = credits_sandbox::Sandbox::start().await.expect("sandbox");
        println!("{} {}", sandbox.base_url(), sandbox.api_key());
        std::io::stdout().flush().expect("stdout");
        // Each line on standard input asks for this process's CPU time so far (user and
        // system µs, on one line of standard output); the server stops when the parent closes
        // standard input (or exits).
        tokio::task::spawn_blocking(|| {
            let mut stdout = std::io::stdout();
            for _ in std::io::stdin().lines().map_while(Result::ok) {
                let used = Usage::now();
                if writeln!(stdout, "{} {}", used.user * 1e6, used.system * 1e6).and_then(|()| stdout.flush()).is_err()
                {
                    break;
                }
            }
        })
        .await
        .ok();
        drop(sandbox);
    });
}

/// The sandbox process, and the pipes to ask it for its CPU time.
struct Server {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Server {
    /// Starts it; returns it with its base URL and API key.
    fn start() -> (Server, String, String) {
        let mut child = Command::new(std::env::current_exe().expect("this binary"))
            .env(SERVER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the sandbox process");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the sandbox's address");
        let mut parts = line.split_whitespace();
        let base_url = parts.next().expect("base URL").to_owned();
        let key = parts.next().expect("key").to_owned();
        (Server { child, stdin, stdout }, base_url, key)
    }

    /// The server process's CPU time so far (user + system), in µs.
    fn cpu_us(&mut self) -> f64 {
        writeln!(self.stdin).and_then(|()| self.stdin.flush()).expect("ask the sandbox");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("the sandbox's CPU time");
        line.split_whitespace().map(|v| v.parse::<f64>().expect("µs")).sum()
    }

    fn stop(self) {
        let Server { mut child, stdin, stdout } = self;
        drop((stdin, stdout));
        let _ = child.wait();
    }
}

/// This process's resource use so far (all threads): user and system CPU seconds, and
/// context switches (voluntary and involuntary).
struct Usage {
    user: f64,
    system: f64,
    switches: f64,
}

impl Usage {
    fn now() -> Usage {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage writes a complete `rusage` into the pointer it is given.
        let usage = unsafe {
            libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
            usage.assume_init()
        };
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
        Usage {
            user: seconds(usage.ru_utime),
            system: seconds(usage.ru_stime),
            switches: (usage.ru_nvcsw + usage.ru_nivcsw) as f64,
        }
    }

    fn since(&self, earlier: &Usage) -> Usage {
        Usage {
            user: self.user - earlier.user,
            system: self.system - earlier.system,
            switches: self.switches - earlier.switches,
        }
    }
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A comma-separated list of numbers from the environment variable `name`, or `default`.
fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .map(|v| v.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|_| default.to_vec())
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
