//! Apply speed against the critical-path bound: `cargo bench --bench apply_latency`.
//!
//! moto behind the test proxy, which adds a fixed latency to every request (default 50 ms;
//! `SOCFORM_BENCH_LATENCY_MS`). For each parallelism, applies a blueprint (default
//! blueprints/soc-reference.yaml), then destroys it, through the real state backend
//! (`LocalState`: a temporary file, fsynced after every operation), and compares each wall
//! time with two bounds:
//! - the chain bound, computed from the model alone: the number of resources on the longest
//!   dependency chain times the injected latency (every operation makes at least one call).
//!   Nothing from the executor goes into it, so no schedule can beat it;
//! - the measured bound: that chain with each operation weighted by its own measured
//!   duration (operations making several calls weigh more); tighter, but computed from the
//!   run it judges.
//!
//! Needs moto: run scripts/test.sh once first.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use socform::blueprint::{self, EnvMode};
use socform::executor::{self, critical_path, Event, Op, Options};
use socform::plan::{plan, PlanOptions};
use socform::provider::aws::{AwsOptions, AwsProvider};
use socform::provider::Provider;
use socform::state::State;
use support::proxy::{Faults, Proxy};
use support::Moto;

fn main() {
    let latency = Duration::from_millis(
        std::env::var("SOCFORM_BENCH_LATENCY_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(50),
    );
    let file = std::env::args()
        .skip(1)
        .find(|a| a.ends_with(".yaml"))
        .unwrap_or_else(|| "blueprints/soc-reference.yaml".into());
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_CONFIG_FILE", "/dev/null");
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let loaded = blueprint::load(Path::new(&file), EnvMode::Read { lineage: "bench" }, &Default::default())
        .unwrap_or_else(|d| panic!("{}", d[0].message));
    let model = loaded.model;
    println!("{file}: {} resources, {} ms per request", model.resources.len(), latency.as_millis());
    println!(
        "{:>11} {:>8} {:>9}  {:<38} {:<26} {:>9}",
        "parallelism", "phase", "wall", "chain bound (ratio)", "measured bound (ratio)", "requests"
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .thread_stack_size(16 << 20)
        .enable_all()
        .build()
        .unwrap();
    for parallelism in [1usize, 4, 10, 32] {
        let moto = Moto::start();
        let proxy = Proxy::start(moto.port, latency, Faults::default(), 1);
        rt.block_on(async {
            let opts = AwsOptions {
                region: model.region.clone(),
                profile: None,
                endpoint_url: Some(proxy.url()),
                dependency_wait: Duration::from_secs(10),
                assume: None,
            };
            let provider: Arc<dyn Provider> = Arc::new(AwsProvider::new(&opts).await);
            let mut state = State::new(&model.blueprint, &model.region);
            let dir = tempfile::tempdir().unwrap();
            let sink = socform::state::LocalState::new(dir.path().join("bench.json"));
            let chain = longest_chain(&model) as u32;
            for destroy in [false, true] {
                let snap = provider.refresh(&model.blueprint, &state).await.unwrap();
                let p = plan(&model, &state, Some(&snap), PlanOptions { destroy, ..Default::default() }).unwrap();
                let durations: Arc<Mutex<HashMap<(socform::address::Address, Op), Duration>>> = Arc::default();
                let d2 = durations.clone();
                let on_event = move |e: Event| {
                    if let Event::Finished { address, op, elapsed } = e {
                        d2.lock().unwrap().insert((address, op), elapsed);
                    }
                };
                let before = proxy.stats.requests.load(std::sync::atomic::Ordering::SeqCst);
                let t = Instant::now();
                let (s, outcome) = executor::execute(
                    &p,
                    provider.clone(),
                    state.clone(),
                    &sink,
                    Options { parallelism, stop: None },
                    &on_event,
                )
                .await;
                let wall = t.elapsed();
                assert!(outcome.ok(), "{outcome:?}");
                state = s;
                let measured = critical_path(&p, &durations.lock().unwrap());
                let chain_bound = latency * chain;
                let requests = proxy.stats.requests.load(std::sync::atomic::Ordering::SeqCst) - before;
                println!(
                    "{:>11} {:>8} {:>8.2}s  chain {:>2} x {} ms = {:>5.2}s ({:>5.2}x)  measured {:>5.2}s ({:>5.2}x) {:>9}",
                    parallelism,
                    if destroy { "destroy" } else { "apply" },
                    wall.as_secs_f64(),
                    chain,
                    latency.as_millis(),
                    chain_bound.as_secs_f64(),
                    wall.as_secs_f64() / chain_bound.as_secs_f64(),
                    measured.as_secs_f64(),
                    wall.as_secs_f64() / measured.as_secs_f64(),
                    requests
                );
            }
        });
    }
}

/// Resources on the longest dependency chain of the model (a resource counts 1, and waits for
/// everything it depends on): computed from the blueprint alone.
fn longest_chain(model: &socform::model::Model) -> usize {
    fn depth(
        a: &socform::address::Address,
        model: &socform::model::Model,
        memo: &mut HashMap<socform::address::Address, usize>,
    ) -> usize {
        if let Some(d) = memo.get(a) {
            return *d;
        }
        let r = model.get(a).expect("dependencies are in the model");
        let d = 1 + r.depends_on.iter().map(|x| depth(x, model, memo)).max().unwrap_or(0);
        memo.insert(a.clone(), d);
        d
    }
    let mut memo = HashMap::new();
    model.resources.iter().map(|r| depth(&r.address, model, &mut memo)).max().unwrap_or(0)
}
