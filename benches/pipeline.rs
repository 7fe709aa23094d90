//! validate, graph and plan on generated blueprints: `cargo bench --bench pipeline [N ...]`
//! (default 100 1000 10000). Prints the median of five runs of each stage and the peak
//! resident memory of the process. No refresh: this measures socform, not AWS.

use std::path::Path;
use std::time::{Duration, Instant};

use socform::blueprint::{self, LowerOptions};
use socform::diag::SourceFile;
use socform::graph::Graph;
use socform::plan::{plan, PlanOptions};
use socform::render::plan as render;
use socform::state::State;

/// The same shape as scripts/gen-bench-blueprint.py: security groups of 20 ingress rules and
/// one cross-group egress rule each (every rule a node), the rest log groups.
fn generate(target: usize) -> String {
    let groups = (target / 40).max(1);
    let mut out =
        String::from("blueprint: bench\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.0.0.0/16 }\nsecurity_groups:\n");
    for g in 0..groups {
        out.push_str(&format!("  g{g}:\n    ingress:\n"));
        for r in 0..20 {
            out.push_str(&format!("      - {{ protocol: tcp, ports: {}, from: 10.{}.{r}.0/24 }}\n", 1000 + r, g % 250));
        }
        out.push_str(&format!("    egress: [ {{ protocol: tcp, ports: 443, to: sg.g{} }} ]\n", (g + 1) % groups));
    }
    let rest = target.saturating_sub(1 + groups * 22);
    if rest > 0 {
        out.push_str("log_groups:\n");
        for i in 0..rest {
            out.push_str(&format!("  lg{i}: {{ retention_days: 30 }}\n"));
        }
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![100, 1_000, 10_000] } else { sizes };
    println!(
        "{:>8} {:>9} {:>12} {:>10} {:>10} {:>10}",
        "target", "resources", "validate", "graph", "plan", "plan+json"
    );
    for n in sizes {
        let text = generate(n);
        let src = SourceFile::new(Path::new("bench.yaml"), text);
        let opts = LowerOptions { base_dir: ".".into(), ..Default::default() };
        let (mut tv, mut tg, mut tp, mut tj) = (vec![], vec![], vec![], vec![]);
        let mut count = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let model = blueprint::parse_and_lower(&src, &opts).expect("generated blueprints are valid");
            tv.push(t.elapsed());
            count = model.resources.len();
            let t = Instant::now();
            let g = Graph::from_model(&model).unwrap();
            tg.push(t.elapsed());
            assert_eq!(g.len(), count);
            let state = State::new("bench", "us-east-1");
            let t = Instant::now();
            let p = plan(&model, &state, None, PlanOptions::default()).unwrap();
            tp.push(t.elapsed());
            let t = Instant::now();
            let json = render::json(&p);
            tj.push(t.elapsed() + *tp.last().unwrap());
            assert!(json.len() > count);
        }
        println!(
            "{:>8} {:>9} {:>10.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms",
            n,
            count,
            median(tv).as_secs_f64() * 1e3,
            median(tg).as_secs_f64() * 1e3,
            median(tp).as_secs_f64() * 1e3,
            median(tj).as_secs_f64() * 1e3
        );
    }
    println!("peak RSS of this process: {:.1} MB", peak_rss_mb());
}
