//! The executor: carries out a plan with bounded parallelism, saving state after every step.
//!
//! The plan's changes become operations: create, update, delete (a replace is a delete and
//! then a create). An operation starts as soon as the operations it waits for are done:
//! creates and updates wait for what they need; deletes wait for the deletes of what needed
//! them. At most `parallelism` run at once. When one fails, everything that waits on it,
//! directly or not, is skipped, while independent branches go on. State is written after
//! every finished operation, so a crash loses at most the operation in flight (and that one
//! is found again by its tags).
//!
//! **Architecture Invariant:** the executor never prints and never sees YAML: it reports
//! [`Event`]s, and the command line decides how to show them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::address::Address;
use crate::model::template::{self, Lookup, Ref};
use crate::plan::{Action, Change, Plan};
use crate::provider::{Applied, Provider, ProviderError, Request};
use crate::state::{Pending, Record, State, StateSink};

/// One step of an apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    Create,
    Update,
    Delete,
    /// Write an adopted resource into state (it exists and needs no change).
    Adopt,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
            Op::Adopt => "adopt",
        }
    }

    /// The present participle, for progress lines.
    pub fn doing(self) -> &'static str {
        match self {
            Op::Create => "creating",
            Op::Update => "updating",
            Op::Delete => "deleting",
            Op::Adopt => "adopting",
        }
    }
}

/// What the executor reports as it goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The walk begins; `total` operations are planned.
    Begin {
        total: usize,
    },
    Started {
        address: Address,
        op: Op,
    },
    Finished {
        address: Address,
        op: Op,
        elapsed: Duration,
    },
    Failed {
        address: Address,
        op: Op,
        error: String,
        /// The name is taken by something this state did not make: reported again, with
        /// the blueprint's line, when the run ends.
        taken: bool,
    },
    /// Not attempted because something it waits for failed.
    Skipped {
        address: Address,
        op: Op,
        because: Address,
    },
    /// State written, with its new serial.
    Saved {
        serial: u64,
    },
}

#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Operations in flight at once (at least 1).
    pub parallelism: usize,
    /// Once set (the first Ctrl-C), no operation starts; those in flight finish and are
    /// saved, and the walk ends with the rest listed as not started.
    pub stop: Option<&'static AtomicBool>,
}

impl Default for Options {
    fn default() -> Self {
        Self { parallelism: 10, stop: None }
    }
}

/// How an apply ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub done: Vec<(Address, Op)>,
    pub failed: Vec<(Address, Op, String)>,
    pub skipped: Vec<(Address, Op, Address)>,
    /// A state write failed: the walk stopped.
    pub state_error: Option<String>,
    /// Creates refused because the name is taken by something this state did not make
    /// (also listed in `failed`), so that the caller can point at the blueprint's line.
    pub conflicts: Vec<(Address, String)>,
    /// Failures that another run would meet again (a taken name, a refusal, a missing
    /// permission), as opposed to throttling and eventual consistency.
    pub lasting: usize,
    /// Stopped by [`Options::stop`]: the operations that never started.
    pub not_started: Vec<(Address, Op)>,
    pub interrupted: bool,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && self.state_error.is_none() && !self.interrupted
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key(Address, Op);

/// What one provider call gave (`None` inside `Ok` for a delete); an operation stopped
/// before its call began has no result at all.
type CallResult = Result<Option<Applied>, ProviderError>;

struct Node<'p> {
    change: &'p Change,
    op: Op,
    waits_for: BTreeSet<Key>,
}

/// Turns a plan into operations and the edges between them.
fn operations(plan: &Plan) -> BTreeMap<Key, Node<'_>> {
    let mut ops: BTreeMap<Key, Node<'_>> = BTreeMap::new();
    for c in &plan.changes {
        let mut add = |op| {
            ops.insert(Key(c.address.clone(), op), Node { change: c, op, waits_for: BTreeSet::new() });
        };
        match c.action {
            Action::Create => add(Op::Create),
            Action::Update => add(Op::Update),
            Action::Replace => {
                add(Op::Delete);
                add(Op::Create);
            }
            Action::Delete => add(Op::Delete),
            Action::NoOp if c.adopted => add(Op::Adopt),
            Action::NoOp | Action::Use => {}
        }
    }
    let keys: Vec<Key> = ops.keys().cloned().collect();
    // Deletes of duplicates (`kind.name#id`), found once: nearly always none.
    let duplicates: Vec<&Key> = keys.iter().filter(|k| k.1 == Op::Delete && k.0.name().contains('#')).collect();
    for key in &keys {
        let node = &ops[key];
        let mut waits = BTreeSet::new();
        match key.1 {
            Op::Create | Op::Update | Op::Adopt => {
                for d in &node.change.depends_on {
                    for op in [Op::Create, Op::Update, Op::Adopt] {
                        let k = Key(d.clone(), op);
                        if ops.contains_key(&k) {
                            waits.insert(k);
                        }
                    }
                }
                if key.1 == Op::Create {
                    let del = Key(key.0.clone(), Op::Delete);
                    if ops.contains_key(&del) {
                        waits.insert(del);
                    }
                }
                // Duplicates of this kind (`kind.name#id`: a create that took effect twice,
                // AWS's default egress rule on a group of ours) go first: AWS refuses a
                // second identical rule, for one.
                if key.1 != Op::Adopt {
                    waits.extend(duplicates.iter().filter(|d| d.0.kind() == key.0.kind()).map(|d| (*d).clone()));
                }
            }
            Op::Delete => {
                // Delete after everything that needed this is deleted.
                for other in &keys {
                    if other.1 == Op::Delete
                        && other.0 != key.0
                        && ops[other].change.prior_dependencies.contains(&key.0)
                    {
                        waits.insert(other.clone());
                    }
                }
            }
        }
        ops.get_mut(key).expect("key exists").waits_for = waits;
    }
    ops
}

/// Resolves templates from what state records (outputs of applied resources) and the
/// `${aws.*}` globals.
pub struct Outputs<'a> {
    pub state: &'a State,
    pub globals: &'a BTreeMap<String, String>,
}

impl Lookup for Outputs<'_> {
    fn lookup(&self, r: &Ref) -> Option<String> {
        match r {
            Ref::Global(g) => self.globals.get(g).cloned(),
            Ref::Output(a, o) => self.state.resources.get(a).and_then(|rec| rec.outputs.get(o).cloned()),
        }
    }
}

/// Carries out `plan` against `provider`, updating `state` and saving it through `sink` after
/// every operation. Returns the final state and what happened.
pub async fn execute(
    plan: &Plan,
    provider: Arc<dyn Provider>,
    mut state: State,
    sink: &dyn StateSink,
    opts: Options,
    on_event: &(dyn Fn(Event) + Sync),
) -> (State, Outcome) {
    let ops = operations(plan);
    on_event(Event::Begin { total: ops.len() });
    let mut outcome = Outcome::default();
    let mut globals = plan.globals.clone();
    if !globals.contains_key("account_id") {
        if let Ok(id) = provider.account_id().await {
            globals.insert("account_id".into(), id);
        }
    }
    if let Some(acct) = globals.get("account_id") {
        state.account_id = Some(acct.clone());
    }
    // The organization, for a plan made without reading AWS that needs it.
    let wants_organization = plan.changes.iter().any(|c| c.after.as_ref().is_some_and(crate::plan::uses_organization));
    if !globals.contains_key(crate::plan::ORGANIZATION_ID) && wants_organization {
        if let Ok(org) = provider.organization().await {
            globals.insert(crate::plan::ORGANIZATION_ID.into(), org.id);
        }
    }
    if let Some(org) = globals.get(crate::plan::ORGANIZATION_ID) {
        state.organization_id = Some(org.clone());
    }
    // The named accounts' ids (a blueprint's `accounts:`), for `${account.NAME.id}`.
    if let Ok(accounts) = provider.accounts().await {
        for (name, id) in accounts {
            globals.entry(template::account_global(&name)).or_insert_with(|| id.clone());
            state.accounts.insert(name, id);
        }
    }
    // What state no longer needs: the record of a singleton the plan uses (this state's own
    // was deleted outside socform, and the account has another now: deleting it by this record
    // would delete that one), and the markers a killed run left for creates that a refreshed,
    // untargeted plan found nothing of (a marker left lying could later claim someone else's
    // singleton).
    let mut forgotten = false;
    for c in plan.changes.iter().filter(|c| c.action == Action::Use) {
        forgotten |= state.resources.remove(&c.address).is_some();
    }
    if plan.refreshed && plan.targets.is_empty() && !plan.refresh_only {
        let before = state.pending.len();
        state.pending.retain(|a, _| plan.changes.iter().any(|c| &c.address == a && c.adopted));
        forgotten |= state.pending.len() != before;
    }
    if forgotten {
        if let Err(e) = sink.save(&mut state).await {
            outcome.state_error = Some(e.to_string());
            return (state, outcome);
        }
    }
    // The lineage goes to disk before anything is made: what a crash leaves behind carries
    // it in its tags, and only a state that knows it can adopt those resources.
    if state.serial == 0 && !ops.is_empty() {
        if let Err(e) = sink.save(&mut state).await {
            outcome.state_error = Some(e.to_string());
            return (state, outcome);
        }
        on_event(Event::Saved { serial: state.serial });
    }

    let mut remaining: HashMap<Key, usize> = ops.iter().map(|(k, n)| (k.clone(), n.waits_for.len())).collect();
    let mut dependents: HashMap<Key, Vec<Key>> = HashMap::new();
    for (k, n) in &ops {
        for w in &n.waits_for {
            dependents.entry(w.clone()).or_default().push(k.clone());
        }
    }
    let mut ready: BTreeSet<Key> = remaining.iter().filter(|(_, n)| **n == 0).map(|(k, _)| k.clone()).collect();
    let mut blocked: BTreeSet<Key> = BTreeSet::new();
    let semaphore = Arc::new(Semaphore::new(opts.parallelism.max(1)));
    let mut running: JoinSet<(Key, Option<CallResult>, Duration)> = JoinSet::new();
    let lineage = state.lineage.clone();

    let stopped = || opts.stop.is_some_and(|s| s.load(Ordering::SeqCst));
    loop {
        // Start everything ready (the semaphore bounds how many run), unless told to stop.
        while let Some(key) = ready.first().cloned().filter(|_| !stopped()) {
            ready.remove(&key);
            let node = &ops[&key];
            let change = node.change.clone();
            let op = node.op;
            let attrs = change.after.as_ref().map(|a| {
                let mut resolved = template::resolve_attrs(a, &Outputs { state: &state, globals: &globals }).0;
                change.kind.normalize(&mut resolved);
                resolved
            });
            // A create whose tags come in a second call is marked in state first, so that
            // what a crash between the two calls leaves can be proven ours later.
            if op == Op::Create && change.kind.marked_before_create() {
                // Kinds AWS keeps one of (Security Hub) go by their kind's name.
                let name = match change.kind.name_attr() {
                    Some(attr) => attrs.as_ref().and_then(|a| a.get(attr)).and_then(|v| v.as_str()),
                    None => Some(change.kind.as_str()),
                };
                if let Some(name) = name {
                    let since = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or_default();
                    let tags = change
                        .kind
                        .create_sets_tags()
                        .then(|| attrs.as_ref().and_then(|a| serde_json::from_value(a.get("tags")?.clone()).ok()))
                        .flatten();
                    let replaces = change.before.clone();
                    state
                        .pending
                        .insert(change.address.clone(), Pending { name: name.to_string(), since, tags, replaces });
                    if let Err(e) = sink.save(&mut state).await {
                        outcome.state_error = Some(e.to_string());
                        while running.join_next().await.is_some() {}
                        return (state, outcome);
                    }
                }
            }
            let before = change.before.clone().unwrap_or_default();
            let id = state.resources.get(&change.address).map(|r| r.id.clone()).or(change.id.clone());
            let provider = provider.clone();
            let semaphore = semaphore.clone();
            let blueprint = plan.blueprint.clone();
            let lineage = lineage.clone();
            let labels = plan.labels.clone();
            let adopted_outputs = change.prior_outputs.clone();
            let stop = opts.stop;
            running.spawn(async move {
                let _permit = semaphore.acquire_owned().await.expect("semaphore never closes");
                // Waiting for a permit is not having started: a stop now leaves it untouched.
                if stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
                    return (Key(change.address.clone(), op), None, Duration::ZERO);
                }
                let start = Instant::now();
                let addr = &change.address;
                let result = match op {
                    Op::Create => {
                        let attrs = attrs.expect("creates have attributes");
                        provider
                            .create(Request {
                                address: addr,
                                attrs: &attrs,
                                blueprint: &blueprint,
                                lineage: &lineage,
                                labels: &labels,
                            })
                            .await
                            .map(Some)
                    }
                    Op::Update => {
                        let attrs = attrs.expect("updates have attributes");
                        let id = id.unwrap_or_default();
                        provider
                            .update(
                                Request {
                                    address: addr,
                                    attrs: &attrs,
                                    blueprint: &blueprint,
                                    lineage: &lineage,
                                    labels: &labels,
                                },
                                &id,
                                &before,
                            )
                            .await
                            .map(Some)
                    }
                    Op::Delete => {
                        let id = id.unwrap_or_default();
                        match provider.delete(addr, &id, &before).await {
                            // Already gone is what we wanted.
                            Ok(()) | Err(ProviderError::NotFound(_)) => Ok(None),
                            Err(e) => Err(e),
                        }
                    }
                    Op::Adopt => Ok(Some(Applied {
                        id: id.unwrap_or_default(),
                        attributes: before.clone(),
                        outputs: adopted_outputs,
                    })),
                };
                (Key(change.address.clone(), op), Some(result), start.elapsed())
            });
            on_event(Event::Started { address: key.0.clone(), op });
        }

        let Some(joined) = running.join_next().await else { break };
        let (key, result, elapsed) = match joined {
            Ok(v) => v,
            Err(e) => {
                outcome.state_error = Some(format!("an operation panicked: {e}"));
                break;
            }
        };
        let node = &ops[&key];
        // The create ended (or never began): its marker goes, with the next save.
        let marker = if key.1 == Op::Create { state.pending.remove(&key.0) } else { None };
        let had_marker = marker.is_some();
        let Some(result) = result else {
            // Stopped before it began: nothing was sent for it.
            if had_marker {
                let _ = sink.save(&mut state).await;
            }
            continue;
        };
        match result {
            Ok(applied) => {
                // Recorded (or gone): a marker a killed run left for it has served.
                state.pending.remove(&key.0);
                match (key.1, applied) {
                    (Op::Delete, _) => {
                        state.resources.remove(&key.0);
                    }
                    (_, Some(a)) => {
                        state.resources.insert(
                            key.0.clone(),
                            Record {
                                kind: key.0.kind(),
                                id: a.id,
                                attributes: a.attributes,
                                outputs: a.outputs,
                                dependencies: node.change.depends_on.clone(),
                            },
                        );
                    }
                    (_, None) => {}
                }
                on_event(Event::Finished { address: key.0.clone(), op: key.1, elapsed });
                outcome.done.push((key.0.clone(), key.1));
                if let Err(e) = sink.save(&mut state).await {
                    outcome.state_error = Some(e.to_string());
                    // Start nothing new; what is in flight finishes and is found again by
                    // its tags on the next run.
                    while running.join_next().await.is_some() {}
                    break;
                }
                on_event(Event::Saved { serial: state.serial });
                for d in dependents.get(&key).into_iter().flatten() {
                    if blocked.contains(d) {
                        continue;
                    }
                    let n = remaining.get_mut(d).expect("counted");
                    *n -= 1;
                    if *n == 0 {
                        ready.insert(d.clone());
                    }
                }
            }
            Err(e) => {
                let taken = matches!(e, ProviderError::NotOurs { .. });
                // A create that failed may have taken effect first (Security Hub enabled,
                // then its standards refused): read what exists, and record what did as
                // this state's, so that destroy removes it and the next apply does not call
                // it someone else's. A create refused as not ours did nothing.
                let mut error = e.to_string();
                if let Some(m) = marker.filter(|_| !taken) {
                    match took_effect(provider.as_ref(), plan, &state, &key.0, &m).await {
                        Ok(Some(l)) => {
                            state.resources.insert(
                                key.0.clone(),
                                Record {
                                    kind: key.0.kind(),
                                    id: l.id,
                                    attributes: l.attributes,
                                    outputs: l.outputs,
                                    dependencies: node.change.depends_on.clone(),
                                },
                            );
                            error.push_str(
                                " (it took effect before the error: recorded in state, so that destroy removes it)",
                            );
                        }
                        Ok(None) => {}
                        // Not known: the marker stays for the next refresh to settle.
                        Err(_) => {
                            state.pending.insert(key.0.clone(), m);
                        }
                    }
                }
                if had_marker {
                    let _ = sink.save(&mut state).await;
                }
                if taken {
                    outcome.conflicts.push((key.0.clone(), error.clone()));
                }
                if !matches!(
                    e,
                    ProviderError::Throttled(_)
                        | ProviderError::NotYetConsistent(_)
                        | ProviderError::DependencyViolation(_)
                ) {
                    outcome.lasting += 1;
                }
                on_event(Event::Failed { address: key.0.clone(), op: key.1, error: error.clone(), taken });
                outcome.failed.push((key.0.clone(), key.1, error));
                // Skip everything downstream.
                let mut stack = vec![key.clone()];
                while let Some(k) = stack.pop() {
                    for d in dependents.get(&k).into_iter().flatten() {
                        if blocked.insert(d.clone()) {
                            ready.remove(d);
                            on_event(Event::Skipped { address: d.0.clone(), op: d.1, because: key.0.clone() });
                            outcome.skipped.push((d.0.clone(), d.1, key.0.clone()));
                            stack.push(d.clone());
                        }
                    }
                }
            }
        }
    }
    if stopped() {
        outcome.interrupted = true;
        let ended: BTreeSet<(Address, Op)> = outcome
            .done
            .iter()
            .cloned()
            .chain(outcome.failed.iter().map(|(a, o, _)| (a.clone(), *o)))
            .chain(outcome.skipped.iter().map(|(a, o, _)| (a.clone(), *o)))
            .collect();
        outcome.not_started = ops.keys().map(|k| (k.0.clone(), k.1)).filter(|k| !ended.contains(k)).collect();
    }
    (state, outcome)
}

/// What a failed create of `address` left, read back with its marker `m` (the marker scheme
/// that proves an untagged resource this state's): `Some` when it took effect.
async fn took_effect(
    provider: &dyn Provider,
    plan: &Plan,
    state: &State,
    address: &Address,
    m: &crate::state::Pending,
) -> Result<Option<crate::state::LiveResource>, ProviderError> {
    let mut probe = State::new(&plan.blueprint, &plan.region);
    probe.lineage = state.lineage.clone();
    probe.pending.insert(address.clone(), m.clone());
    let kinds = BTreeSet::from([address.kind()]);
    let mut snap = provider.refresh_kinds(&plan.blueprint, &probe, &kinds).await?;
    Ok(snap.untracked.remove(address))
}

#[cfg(test)]
mod tests;

/// The critical-path bound of a plan: the longest chain of operations that must run one
/// after another, each weighted by how long it took (`durations`; missing ones count zero).
/// No schedule can finish sooner; `apply` at enough parallelism should come close.
pub fn critical_path(plan: &Plan, durations: &HashMap<(Address, Op), Duration>) -> Duration {
    let ops = operations(plan);
    let mut finish: HashMap<Key, Duration> = HashMap::new();
    // Keys in an order where every operation comes after those it waits for.
    let mut remaining: HashMap<&Key, usize> = ops.iter().map(|(k, n)| (k, n.waits_for.len())).collect();
    let mut ready: Vec<&Key> = remaining.iter().filter(|(_, n)| **n == 0).map(|(k, _)| *k).collect();
    let mut dependents: HashMap<&Key, Vec<&Key>> = HashMap::new();
    for (k, n) in &ops {
        for w in &n.waits_for {
            dependents.entry(w).or_default().push(k);
        }
    }
    while let Some(k) = ready.pop() {
        let own = durations.get(&(k.0.clone(), k.1)).copied().unwrap_or_default();
        let before =
            ops[k].waits_for.iter().map(|w| finish.get(w).copied().unwrap_or_default()).max().unwrap_or_default();
        finish.insert(k.clone(), before + own);
        for d in dependents.get(k).into_iter().flatten() {
            let n = remaining.get_mut(d).expect("counted");
            *n -= 1;
            if *n == 0 {
                ready.push(d);
            }
        }
    }
    finish.values().copied().max().unwrap_or_default()
}
