//! Executor tests against the in-memory provider: ordering, parallelism, failure isolation,
//! state persistence after each step, replacement and destruction.

use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

use super::*;
use crate::model::{Attrs, Kind};
use crate::plan::tests::model;
use crate::plan::{plan, PlanOptions};
use crate::provider::memory::{Call, MemoryProvider};
use crate::state::MemorySink;

const LAB: &str = r#"
blueprint: lab
region: us-east-1
network:
  vpc: { cidr: 10.0.0.0/16 }
  subnets:
    a: { cidr: 10.0.0.0/24, az: us-east-1a }
    b: { cidr: 10.0.1.0/24, az: us-east-1b }
security_groups:
  web:
    ingress: [ { protocol: tcp, ports: 443, from: 0.0.0.0/0 } ]
    egress: [ { protocol: tcp, ports: 3306, to: sg.db } ]
  db:
    ingress: [ { protocol: tcp, ports: 3306, from: sg.web } ]
    egress: []
iam:
  roles:
    web: { assumed_by: ec2.amazonaws.com }
log_groups:
  app: { retention_days: 30 }
  audit: { retention_days: 365 }
hosts:
  web:
    subnet: a
    security_groups: [web]
    role: web
    instance_type: t3.micro
    image: ami-0123456789abcdef0
"#;

fn addr(s: &str) -> Address {
    Address::parse(s).unwrap()
}

fn collect() -> (Arc<Mutex<Vec<Event>>>, impl Fn(Event) + Sync) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    (events, move |e| sink.lock().unwrap().push(e))
}

async fn apply(
    text: &str,
    provider: &Arc<MemoryProvider>,
    state: State,
    parallelism: usize,
) -> (State, Outcome, MemorySink) {
    let m = model(text);
    let snap = provider.refresh(&m.blueprint, &state).await.unwrap();
    let p = plan(&m, &state, Some(&snap), PlanOptions::default()).unwrap();
    let sink = MemorySink::default();
    let (_events, on_event) = collect();
    let (state, outcome) =
        execute(&p, provider.clone(), state, &sink, Options { parallelism, stop: None }, &on_event).await;
    (state, outcome, sink)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_resource_is_created_after_what_it_needs() {
    let provider = Arc::new(MemoryProvider::new());
    let (state, outcome, _) = apply(LAB, &provider, State::new("lab", "us-east-1"), 10).await;
    assert!(outcome.ok(), "{outcome:#?}");
    let m = model(LAB);
    assert_eq!(state.resources.len(), m.resources.len());
    let log = provider.calls();
    let pos = |a: &Address| {
        log.iter().position(|(c, x)| *c == Call::Create && x == a).unwrap_or_else(|| panic!("{a} never created"))
    };
    for r in &m.resources {
        for d in &r.depends_on {
            assert!(pos(d) < pos(&r.address), "{} was created before {d}", r.address);
        }
    }
    // Templates were resolved with the outputs of what came first.
    let rule = &state.resources[&addr("security_group_rule.db:ingress:tcp:3306:sg.web")];
    assert_eq!(rule.attributes["peer_group_id"], serde_json::json!(state.resources[&addr("security_group.web")].id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_plan_after_apply_has_no_changes() {
    let provider = Arc::new(MemoryProvider::new());
    let (state, outcome, _) = apply(LAB, &provider, State::new("lab", "us-east-1"), 10).await;
    assert!(outcome.ok());
    let m = model(LAB);
    let snap = provider.refresh("lab", &state).await.unwrap();
    let p = plan(&m, &state, Some(&snap), PlanOptions::default()).unwrap();
    assert!(!p.has_changes(), "{}", crate::render::plan::human(&p, false));
    assert!(p.drift.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallelism_is_used_and_bounded() {
    let mut text = String::from("blueprint: wide\nregion: us-east-1\nlog_groups:\n");
    for i in 0..24 {
        text.push_str(&format!("  g{i}: {{ retention_days: 7 }}\n"));
    }
    for limit in [1usize, 4] {
        let provider = Arc::new(MemoryProvider::new());
        provider.delay_all(Duration::from_millis(20));
        let (_, outcome, _) = apply(&text, &provider, State::new("wide", "us-east-1"), limit).await;
        assert!(outcome.ok());
        assert_eq!(provider.max_in_flight.load(Ordering::SeqCst), limit, "parallelism {limit}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failure_skips_its_dependents_and_nothing_else() {
    let provider = Arc::new(MemoryProvider::new());
    provider.fail(&addr("subnet.a"), Call::Create, ProviderError::Fatal("InvalidSubnet.Range".into()), 1);
    let (state, outcome, _) = apply(LAB, &provider, State::new("lab", "us-east-1"), 10).await;
    assert!(!outcome.ok());
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(outcome.failed[0].0, addr("subnet.a"));
    let skipped: Vec<String> = outcome.skipped.iter().map(|(a, _, because)| format!("{a} because {because}")).collect();
    assert_eq!(skipped, ["route_table.private because subnet.a", "instance.web because subnet.a"]);
    // Independent branches finished and are in state.
    for a in ["subnet.b", "log_group.app", "security_group.db", "instance_profile.web"] {
        assert!(state.resources.contains_key(&addr(a)), "{a} missing from state");
    }
    assert!(!state.resources.contains_key(&addr("subnet.a")));
    assert!(!state.resources.contains_key(&addr("instance.web")));
    // A second run finishes the job.
    let (state, outcome, _) = apply(LAB, &provider, state, 10).await;
    assert!(outcome.ok(), "{outcome:#?}");
    assert_eq!(outcome.done.len(), 3, "subnet.a, route_table.private, instance.web");
    assert!(state.resources.contains_key(&addr("instance.web")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn state_is_saved_after_every_operation() {
    let provider = Arc::new(MemoryProvider::new());
    let (state, outcome, sink) = apply(LAB, &provider, State::new("lab", "us-east-1"), 3).await;
    let saves = sink.saves.lock().unwrap();
    // A new state is written once, empty, before anything is made: the lineage that the
    // resources' tags carry must be on disk before the first of them exists.
    assert_eq!(saves.len(), outcome.done.len() + 1);
    assert!(saves[0].resources.is_empty());
    assert_eq!(saves[0].lineage, state.lineage);
    for (i, s) in saves.iter().enumerate() {
        assert_eq!(s.resources.len(), i, "save {i} does not hold exactly the resources done so far");
        assert_eq!(s.serial, i as u64 + 1);
    }
    assert_eq!(saves.last().unwrap(), &state);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replacement_deletes_before_it_creates_and_dependents_follow() {
    let provider = Arc::new(MemoryProvider::new());
    let (state, outcome, _) = apply(LAB, &provider, State::new("lab", "us-east-1"), 10).await;
    assert!(outcome.ok());
    let changed = LAB.replace("a: { cidr: 10.0.0.0/24", "a: { cidr: 10.0.2.0/24");
    provider.log.lock().unwrap().clear();
    let (state, outcome, _) = apply(&changed, &provider, state, 10).await;
    assert!(outcome.ok(), "{outcome:#?}");
    let log = provider.calls();
    let at = |c: Call, a: &str| {
        log.iter().position(|(x, y)| *x == c && *y == addr(a)).unwrap_or_else(|| panic!("no {c:?} of {a}: {log:?}"))
    };
    // The instance lives in the subnet: it goes first and comes back last.
    assert!(at(Call::Delete, "instance.web") < at(Call::Delete, "subnet.a"));
    assert!(at(Call::Delete, "subnet.a") < at(Call::Create, "subnet.a"));
    assert!(at(Call::Create, "subnet.a") < at(Call::Create, "instance.web"));
    assert_eq!(state.resources[&addr("subnet.a")].attributes["cidr_block"], "10.0.2.0/24");
    // The route table names the old subnet: it is replaced with it, not left pointing at it.
    assert!(at(Call::Delete, "route_table.private") < at(Call::Delete, "subnet.a"));
    assert!(at(Call::Create, "subnet.a") < at(Call::Create, "route_table.private"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn destroy_removes_everything_dependents_first() {
    let provider = Arc::new(MemoryProvider::new());
    let (state, outcome, _) = apply(LAB, &provider, State::new("lab", "us-east-1"), 10).await;
    assert!(outcome.ok());
    let m = model(LAB);
    let p = plan(&m, &state, None, PlanOptions { destroy: true, ..Default::default() }).unwrap();
    let sink = MemorySink::default();
    let (events, on_event) = collect();
    // The memory provider refuses to delete what something still names, as AWS does: a wrong
    // order would fail here.
    let (state, outcome) =
        execute(&p, provider.clone(), state, &sink, Options { parallelism: 10, stop: None }, &on_event).await;
    assert!(outcome.ok(), "{outcome:#?}");
    assert!(state.resources.is_empty());
    assert!(provider.addresses().is_empty(), "left behind: {:?}", provider.addresses());
    let finished =
        events.lock().unwrap().iter().filter(|e| matches!(e, Event::Finished { op: Op::Delete, .. })).count();
    assert_eq!(finished, m.resources.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_refused_for_a_dependency_is_reported_not_hidden() {
    let provider = Arc::new(MemoryProvider::new());
    let (state, _, _) = apply(LAB, &provider, State::new("lab", "us-east-1"), 10).await;
    provider.fail(&addr("security_group.web"), Call::Delete, ProviderError::DependencyViolation("sg in use".into()), 1);
    let m = model(LAB);
    let p = plan(&m, &state, None, PlanOptions { destroy: true, ..Default::default() }).unwrap();
    let sink = MemorySink::default();
    let (_e, on_event) = collect();
    let (state, outcome) =
        execute(&p, provider.clone(), state, &sink, Options { parallelism: 10, stop: None }, &on_event).await;
    assert_eq!(outcome.failed.len(), 1);
    assert!(outcome.failed[0].2.contains("dependency violation"));
    // What the group needed (the VPC) is kept, and state still records both.
    assert!(state.resources.contains_key(&addr("security_group.web")));
    assert!(state.resources.contains_key(&addr("vpc.main")));
    assert!(outcome.skipped.iter().any(|(a, _, _)| *a == addr("vpc.main")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_critical_path_is_the_longest_chain_of_timed_operations() {
    let m = model(LAB);
    let p = plan(&m, &State::new("lab", "us-east-1"), None, PlanOptions::default()).unwrap();
    let ms = Duration::from_millis;
    let mut d = HashMap::new();
    for r in &m.resources {
        d.insert((r.address.clone(), Op::Create), ms(10));
    }
    // vpc -> subnet.a -> route_table.private is 30 ms; vpc -> sg.web -> instance.web too,
    // but the instance is slow.
    d.insert((addr("instance.web"), Op::Create), ms(100));
    let cp = critical_path(&p, &d);
    // vpc.main (10) -> security_group.web (10) -> instance.web (100); iam_role.web (10) ->
    // instance_profile.web (10) -> instance.web is shorter.
    assert_eq!(cp, ms(120));
}

/// The first Ctrl-C: nothing starts after the stop, what was in flight finishes and is
/// saved, and the rest is reported as not started.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stop_lets_calls_in_flight_finish_and_starts_nothing_new() {
    static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let provider = Arc::new(MemoryProvider::new());
    provider.delay_all(std::time::Duration::from_millis(150));
    let m = model(LAB);
    let state = State::new("lab", "us-east-1");
    let p = plan(&m, &state, None, PlanOptions::default()).unwrap();
    let sink = MemorySink::default();
    let (_events, on_event) = collect();
    let stopper = tokio::spawn(async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        STOP.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let (state, outcome) =
        execute(&p, provider.clone(), state, &sink, Options { parallelism: 2, stop: Some(&STOP) }, &on_event).await;
    stopper.await.unwrap();
    assert!(outcome.interrupted && !outcome.ok());
    assert!(!outcome.done.is_empty(), "the first calls finished");
    assert!(!outcome.not_started.is_empty(), "the rest never started");
    // Every call that was made finished and is in state; nothing not started was called.
    let called: Vec<Address> = provider.calls().into_iter().map(|(_, a)| a).collect();
    assert_eq!(called.len(), outcome.done.len(), "a call was made after the stop: {called:?}");
    for (a, _) in &outcome.done {
        assert!(state.resources.contains_key(a), "{a} finished but is not in state");
    }
    for (a, _) in &outcome.not_started {
        assert!(!called.contains(a), "{a} was called");
    }
    let total = outcome.done.len() + outcome.not_started.len() + outcome.failed.len() + outcome.skipped.len();
    assert_eq!(total, p.changes.iter().filter(|c| c.action.is_change()).count());
    assert_eq!(sink.saves.lock().unwrap().last().unwrap(), &state, "the last save is what was done");
}

/// A create whose tags come in a second call (an S3 bucket) is marked in state before it
/// starts, and the marker goes once it is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bucket_create_is_marked_in_state_before_it_starts() {
    let provider = Arc::new(MemoryProvider::new());
    let text = format!("{LAB}buckets:\n  logs: {{ name: lab-logs-bucket }}\n");
    let (state, outcome, sink) = apply(&text, &provider, State::new("lab", "us-east-1"), 1).await;
    assert!(outcome.ok(), "{outcome:#?}");
    let saves = sink.saves.lock().unwrap();
    let marked =
        saves.iter().position(|s| s.pending.contains_key(&addr("s3_bucket.logs"))).expect("a save with the marker");
    assert_eq!(saves[marked].pending[&addr("s3_bucket.logs")].name, "lab-logs-bucket");
    assert!(!saves[marked].resources.contains_key(&addr("s3_bucket.logs")), "marked before it exists");
    assert!(state.pending.is_empty() && state.resources.contains_key(&addr("s3_bucket.logs")));
}

/// The critical-path bound, checked against a chain length computed from the model alone:
/// with every operation taking one unit, the bound of a fresh apply is the number of
/// resources on the longest dependency chain.
#[test]
fn the_critical_path_of_a_fresh_apply_is_the_longest_dependency_chain() {
    fn depth(a: &Address, m: &crate::model::Model, memo: &mut std::collections::HashMap<Address, usize>) -> usize {
        if let Some(d) = memo.get(a) {
            return *d;
        }
        let d = 1 + m.get(a).unwrap().depends_on.iter().map(|x| depth(x, m, memo)).max().unwrap_or(0);
        memo.insert(a.clone(), d);
        d
    }
    let m = model(LAB);
    let mut memo = std::collections::HashMap::new();
    let chain = m.resources.iter().map(|r| depth(&r.address, &m, &mut memo)).max().unwrap();
    assert!(chain >= 3, "the fixture should have a real chain: {chain}");
    let p = plan(&m, &State::new("lab", "us-east-1"), None, PlanOptions::default()).unwrap();
    let unit: std::collections::HashMap<(Address, crate::executor::Op), std::time::Duration> = p
        .changes
        .iter()
        .map(|c| ((c.address.clone(), crate::executor::Op::Create), std::time::Duration::from_secs(1)))
        .collect();
    assert_eq!(crate::executor::critical_path(&p, &unit), std::time::Duration::from_secs(chain as u64));
}

/// A marker a killed run left for a create that a refreshed, untargeted plan found nothing of
/// is dropped before anything runs: left lying, it could later claim a singleton someone else
/// made after it (Security Hub is proven by marker and time alone on moto).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_marker_a_refreshed_plan_found_nothing_for_is_dropped() {
    let provider = Arc::new(MemoryProvider::new());
    let mut state = State::new("lab", "us-east-1");
    state.serial = 1;
    let stale = crate::state::Pending { name: "security_hub".into(), since: 1, tags: None, replaces: None };
    state.pending.insert(addr("security_hub.main"), stale);
    let (state, outcome, _) = apply(LAB, &provider, state, 4).await;
    assert!(outcome.ok(), "{outcome:#?}");
    assert!(state.pending.is_empty(), "{:?}", state.pending);
}

/// A singleton the plan uses is never recorded, and a record of this state's own (deleted
/// outside socform since) goes: a later destroy must not reach the account's one by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_used_singleton_is_never_recorded_and_a_stale_record_of_it_goes() {
    let provider = Arc::new(MemoryProvider::new());
    let m = model("blueprint: lab\nregion: us-east-1\nfindings:\n  guardduty: {}\n");
    let mut state = State::new("lab", "us-east-1");
    state.serial = 1;
    let detector = addr("guardduty_detector.main");
    state.resources.insert(
        detector.clone(),
        crate::state::Record {
            kind: Kind::GuarddutyDetector,
            id: "d-ours-deleted".into(),
            attributes: Attrs::new(),
            outputs: BTreeMap::new(),
            dependencies: vec![],
        },
    );
    let mut live = crate::state::Snapshot::default();
    live.resources.insert(detector.clone(), None);
    let theirs =
        crate::state::LiveResource { id: "d-theirs".into(), attributes: Attrs::new(), outputs: BTreeMap::new() };
    live.existing.insert(Kind::GuarddutyDetector, theirs);
    let p = plan(&m, &state, Some(&live), PlanOptions::default()).unwrap();
    assert_eq!(p.change(&detector).map(|c| c.action), Some(Action::Use));
    let sink = MemorySink::default();
    let (_events, on_event) = collect();
    let (state, outcome) =
        execute(&p, provider.clone(), state, &sink, Options { parallelism: 2, stop: None }, &on_event).await;
    assert!(outcome.ok(), "{outcome:#?}");
    assert!(!state.resources.contains_key(&detector), "{:?}", state.resources.keys());
    assert!(provider.calls().is_empty(), "{:?}", provider.calls());
}
