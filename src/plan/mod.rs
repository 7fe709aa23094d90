//! Planning: what to change so that AWS matches the blueprint, as a pure function.
//!
//! [`plan`] takes the model, the prior state and (optionally) a live snapshot read by a
//! provider, and returns a [`Plan`]: one [`Change`] per address with its action, the reasons,
//! and attribute-level before and after. Templates are resolved where their value is known
//! (from state or live outputs, or from a target's own static attributes); a template whose
//! target is being created or replaced stays in place and is "known after apply", which makes
//! a change to a force-new attribute replace the dependent too.
//!
//! **Architecture Invariant:** planning does no I/O, no async, no AWS: the same inputs give
//! the same plan, which is what makes plans testable and reviewable offline.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::address::Address;
use crate::graph::{Graph, GraphError};
use crate::model::template::{self, Lookup, Ref};
use crate::model::{is_sensitive, partition, Attrs, Kind, Model, Resource, SENSITIVE};
use crate::state::{LiveResource, Record, Snapshot, State};

pub const FORMAT_VERSION: &str = "1";

/// What happens to one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    NoOp,
    /// An account-level singleton the account already has and this state did not make:
    /// read, its outputs given to what needs it, nothing changed, never deleted
    /// ([`Model::uses_existing`]).
    Use,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::NoOp => "no-op",
            Action::Use => "use",
        }
    }

    /// The sign Terraform users know: `+`, `~`, `-/+`, `-`.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::NoOp => " ",
            Action::Use => "<=",
        }
    }

    /// Whether apply changes something in AWS for it.
    pub fn is_change(self) -> bool {
        !matches!(self, Action::NoOp | Action::Use)
    }
}

/// One attribute that differs between before and after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttrChange {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// The new value is not known until a resource it names is applied.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unknown: bool,
    /// Changing it replaces the resource.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forces_replacement: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// The planned change of one resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub kind: Kind,
    pub action: Action,
    /// Why, in words: "`cidr_block` forces replacement", "deleted outside socform".
    pub reasons: Vec<String>,
    /// Attributes as they are (live, or as last recorded), `None` when creating.
    pub before: Option<Attrs>,
    /// Attributes as they will be, `None` when deleting. Templates left in place are resolved
    /// when the change is applied.
    pub after: Option<Attrs>,
    /// The attributes that differ (empty for create and delete).
    pub attributes: Vec<AttrChange>,
    /// The physical id of what exists now, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What it needs (from the blueprint), for creates and updates.
    pub depends_on: Vec<Address>,
    /// What it needed when made (from state), for deletes: destroy runs these backwards.
    pub prior_dependencies: Vec<Address>,
    /// Found by its socform tags but missing from state: adopted, not created again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
    /// Outputs of what exists now, for adopted resources (state has none to offer).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prior_outputs: BTreeMap<String, String>,
}

impl Change {
    /// The named account (`accounts:`) the change acts in: where it makes the resource, or for
    /// a delete, where the resource was; `None` for the caller's account.
    pub fn account(&self) -> Option<&str> {
        self.after.as_ref().or(self.before.as_ref()).and_then(crate::model::account_of)
    }
}

/// An attribute changed outside socform: state says one thing, AWS another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub address: Address,
    pub attribute: String,
    pub state: Value,
    pub live: Value,
}

/// A resource tagged as this state's own that neither state nor the blueprint has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Untracked {
    pub address: Address,
    pub id: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    /// Resources found by this state's tags and missing from state (a create whose result
    /// was never saved): nothing changes in AWS, but apply records them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub adopt: usize,
    /// Singletons the account already has, used and not managed: nothing changes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub uses: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    /// Every change apply makes, adoptions included (they change state).
    pub fn total(&self) -> usize {
        self.create + self.update + self.replace + self.delete + self.adopt
    }
}

/// Where a saved plan came from, so that `apply PLANFILE` can refuse a stale one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Lineage the plan was made for: also when no state exists yet, so that applying the
    /// saved plan writes state with the lineage its fingerprints were made with.
    #[serde(default)]
    pub lineage: String,
    /// The blueprint's `allowed_accounts`, checked again when a saved plan is applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_accounts: Vec<String>,
    /// The blueprint's named accounts (`accounts:`): how the apply reaches each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub accounts: BTreeMap<String, crate::model::Account>,
    /// Lineage of the state the plan was made against (`None`: no state yet).
    pub state_lineage: Option<String>,
    pub state_serial: u64,
    /// SHA-256 of the blueprint text.
    pub blueprint_sha256: String,
    /// The blueprint path as given.
    pub blueprint_path: String,
}

/// A plan: every change, the drift found, and a summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: String,
    pub blueprint: String,
    pub region: String,
    /// Whether this plan destroys everything.
    pub destroy: bool,
    /// Whether live state was read (false with `--refresh=false`).
    pub refreshed: bool,
    /// Every address, in an order that respects dependencies: creates and updates in
    /// creation order, then deletes, dependents first.
    pub changes: Vec<Change>,
    pub drift: Vec<Drift>,
    /// Resources whose tags prove this state made them (a run that died before saving
    /// them) but that the blueprint no longer has. Apply leaves them alone, since deletion
    /// of what is "no longer in the blueprint" comes from state records only; `destroy`
    /// removes them with the rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub untracked: Vec<Untracked>,
    pub summary: Summary,
    /// Changes that broaden access or weaken monitoring.
    #[serde(default)]
    pub review: Vec<crate::review::Finding>,
    /// Values of `${aws.*}` known when planning.
    pub globals: BTreeMap<String, String>,
    #[serde(default)]
    pub provenance: Provenance,
    /// The inputs the plan was made with (sensitive values hidden): a saved plan is applied
    /// with these and no others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<crate::model::Input>,
    /// The blueprint's outputs, resolved from state after apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<crate::model::Output>,
    /// Resources recorded under an old address and kept under their new one (`moved:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<crate::model::Moved>,
    /// `--target`: only these and what they need (what needs them, when destroying).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Address>,
    /// `--refresh-only`: no change to AWS; apply records the drift in state.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refresh_only: bool,
    /// The lab's `socform:` tags apply writes on every resource that carries tags
    /// (`socform:expires-at`, `socform:owner`, `socform:created-at`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Plan {
    /// Whether applying the plan would change anything, in AWS or in state.
    pub fn has_changes(&self) -> bool {
        if self.refresh_only {
            return !self.drift.is_empty() || !self.moved.is_empty();
        }
        self.summary.total() > 0 || !self.moved.is_empty()
    }

    pub fn change(&self, address: &Address) -> Option<&Change> {
        self.changes.iter().find(|c| &c.address == address)
    }
}

#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    pub destroy: bool,
    /// Plan only these addresses and what they depend on (when destroying: what depends on
    /// them). Empty: everything.
    pub targets: Vec<Address>,
    /// Replace these even where nothing forces it (`--replace`).
    pub replace: Vec<Address>,
    /// Plan no change: only report what changed outside socform (`--refresh-only`).
    pub refresh_only: bool,
}

/// State with the blueprint's renames applied: the record at each `from` moves to `to`
/// (when `to` has none yet), and what needed it needs it under its new address.
pub fn apply_moves(state: &State, moved: &[crate::model::Moved]) -> (State, Vec<crate::model::Moved>) {
    let mut s = state.clone();
    let mut done = Vec::new();
    for m in moved {
        if s.resources.contains_key(&m.to) {
            continue;
        }
        let Some(rec) = s.resources.remove(&m.from) else { continue };
        s.resources.insert(m.to.clone(), rec);
        for r in s.resources.values_mut() {
            for d in r.dependencies.iter_mut().filter(|d| **d == m.from) {
                *d = m.to.clone();
            }
        }
        done.push(m.clone());
    }
    (s, done)
}

/// The prior view of one address: what state recorded, overridden by what refresh saw.
struct Prior<'a> {
    id: &'a str,
    attributes: &'a Attrs,
    outputs: &'a BTreeMap<String, String>,
    adopted: bool,
}

/// What the account's own singletons make unneeded: the resources socform writes from its own
/// templates (`Model::fixed`: the role a recorder records through) that nothing but used
/// singletons needs, and that do not exist yet. They are not made.
fn unneeded(model: &Model, prior: &BTreeMap<&Address, Prior<'_>>, live: Option<&Snapshot>) -> BTreeSet<Address> {
    let Some(live) = live else { return BTreeSet::new() };
    let mut out: BTreeSet<Address> = model
        .uses_existing
        .iter()
        .filter(|a| {
            !prior.contains_key(a) && model.get(a).is_some_and(|r| live.existing_in(r.account(), a.kind()).is_some())
        })
        .cloned()
        .collect();
    let used = out.clone();
    loop {
        let more: Vec<Address> = model
            .resources
            .iter()
            .filter(|r| {
                model.fixed.contains(&r.address) && !prior.contains_key(&r.address) && !out.contains(&r.address)
            })
            .filter(|r| {
                let mut needed_by = model.resources.iter().filter(|d| d.depends_on.contains(&r.address)).peekable();
                needed_by.peek().is_some() && needed_by.all(|d| out.contains(&d.address))
            })
            .map(|r| r.address.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        out.extend(more);
    }
    out.retain(|a| !used.contains(a));
    out
}

/// The change that uses `existing` for `r` (a singleton, or what a lookup found): what the
/// blueprint asks of a singleton that differs is said, and not done.
fn used(r: &Resource, existing: &LiveResource, after: Attrs, lookup: bool) -> Change {
    let kind = r.kind();
    let lead = if lookup {
        format!("reads the existing {} `{}` (a lookup: never changed or deleted)", kind.noun(), existing.id)
    } else {
        format!(
            "uses the existing {} `{}` (not managed by socform: never changed or deleted)",
            kind.noun(),
            existing.id
        )
    };
    let mut reasons = vec![lead];
    // A lookup's only attribute says how to find it: nothing to compare.
    for (k, want) in after.iter().filter(|_| !lookup) {
        if k == "tags" || want.as_str().is_some_and(|s| s.contains("${")) {
            continue;
        }
        if let Some(have) = existing.attributes.get(k).filter(|have| *have != want) {
            reasons.push(format!("its `{k}` stays {have} (the blueprint asks {want})"));
        }
    }
    Change {
        address: r.address.clone(),
        kind,
        action: Action::Use,
        reasons,
        before: Some(existing.attributes.clone()),
        after: Some(after),
        attributes: vec![],
        id: Some(existing.id.clone()),
        depends_on: r.depends_on.iter().cloned().collect(),
        prior_dependencies: vec![],
        adopted: false,
        prior_outputs: existing.outputs.clone(),
    }
}

/// The values of `${aws.*}`: region and partition, and the account when it is known.
pub fn globals(region: &str, account: Option<String>) -> BTreeMap<String, String> {
    let mut g = BTreeMap::new();
    g.insert("region".to_string(), region.to_string());
    g.insert("partition".to_string(), partition(region).to_string());
    if let Some(acct) = account {
        g.insert("account_id".to_string(), acct);
    }
    g
}

/// [`globals`] as `state` knows them: its account and its named accounts' ids.
pub fn state_globals(region: &str, state: &State) -> BTreeMap<String, String> {
    known_globals(region, state.account_id.clone(), &state.accounts, state.organization_id.clone())
}

/// [`globals`] with the named accounts' ids (`${account.NAME.id}`) and the organization's.
fn known_globals(
    region: &str,
    account: Option<String>,
    accounts: &BTreeMap<String, String>,
    organization: Option<String>,
) -> BTreeMap<String, String> {
    let mut g = globals(region, account);
    g.extend(accounts.iter().map(|(name, id)| (template::account_global(name), id.clone())));
    g.extend(organization.map(|o| (ORGANIZATION_ID.to_string(), o)));
    g
}

/// The global of `${aws.organization_id}`.
pub const ORGANIZATION_ID: &str = "organization_id";

/// Whether `attrs` use `${aws.organization_id}`.
pub fn uses_organization(attrs: &Attrs) -> bool {
    template::references_in_attrs(attrs).contains(&Ref::Global(ORGANIZATION_ID.to_string()))
}

/// Computes the plan.
pub fn plan(model: &Model, state: &State, live: Option<&Snapshot>, opts: PlanOptions) -> Result<Plan, GraphError> {
    let (moved_state, moved) = apply_moves(state, &model.moved);
    let state = &moved_state;
    let graph = Graph::from_model(model)?;
    let account = live.and_then(|l| l.account_id.clone()).or_else(|| state.account_id.clone());
    let accounts = live.filter(|l| !l.accounts.is_empty()).map_or(&state.accounts, |l| &l.accounts);
    let organization = live.and_then(|l| l.organization_id.clone()).or_else(|| state.organization_id.clone());
    let globals = known_globals(&model.region, account, accounts, organization);

    // Prior view of every known address.
    let mut prior: BTreeMap<&Address, Prior<'_>> = BTreeMap::new();
    let mut drift = Vec::new();
    let mut gone: BTreeSet<&Address> = BTreeSet::new();
    for (addr, rec) in &state.resources {
        match live.and_then(|l| l.resources.get(addr)) {
            None => {
                prior.insert(
                    addr,
                    Prior { id: &rec.id, attributes: &rec.attributes, outputs: &rec.outputs, adopted: false },
                );
            }
            Some(None) => {
                gone.insert(addr);
                drift.push(Drift {
                    address: addr.clone(),
                    attribute: "(resource)".into(),
                    state: Value::String("exists".into()),
                    live: Value::String("deleted outside socform".into()),
                });
            }
            Some(Some(l)) => {
                drift.extend(attribute_drift(addr, rec, l));
                prior.insert(addr, Prior { id: &l.id, attributes: &l.attributes, outputs: &l.outputs, adopted: false });
            }
        }
    }
    if let Some(l) = live {
        for (addr, r) in &l.untracked {
            prior.entry(addr).or_insert(Prior {
                id: &r.id,
                attributes: &r.attributes,
                outputs: &r.outputs,
                adopted: true,
            });
        }
    }

    let mut changes = Vec::new();
    let mut pending: BTreeSet<Address> = BTreeSet::new();
    let mut replaced: BTreeSet<Address> = BTreeSet::new();
    let unneeded = unneeded(model, &prior, live);
    if !opts.destroy {
        for addr in graph.creation_order() {
            if unneeded.contains(addr) {
                continue;
            }
            let r = model.get(addr).expect("graph nodes come from the model");
            let lookup = PlanLookup { model, prior: &prior, pending: &pending, globals: &globals };
            let (mut after, unknown) = template::resolve_attrs(&r.attrs, &lookup);
            addr.kind().normalize(&mut after);
            // What the account has and this state only reads: a lookup, or a singleton the
            // account has already and this state did not make (used, not made). What needs it
            // reads its outputs.
            let is_lookup = model.lookups.contains(addr);
            let existing = if is_lookup {
                let Some(found) = live.and_then(|l| l.looked_up.get(addr)) else {
                    return Err(GraphError::Lookup(format!(
                        "`{addr}` is a lookup: it is read from AWS, and this plan reads nothing (drop --refresh=false)"
                    )));
                };
                Some(found)
            } else {
                live.and_then(|l| l.existing_in(r.account(), addr.kind()))
                    .filter(|_| !prior.contains_key(addr) && model.uses_existing.contains(addr))
            };
            if let Some(e) = existing {
                prior.insert(addr, Prior { id: &e.id, attributes: &e.attributes, outputs: &e.outputs, adopted: false });
                changes.push(used(r, e, after, is_lookup));
                continue;
            }
            let mut change = match prior.get(addr) {
                None => {
                    let mut reasons = Vec::new();
                    if gone.contains(addr) {
                        reasons.push("deleted outside socform".to_string());
                    }
                    // The account's own, which the blueprint says to replace: the change
                    // shows it as `before`, and destroy puts it back.
                    let replaced = live
                        .and_then(|l| l.existing_in(r.account(), addr.kind()))
                        .filter(|_| model.replaces_existing.contains(addr));
                    if replaced.is_some() {
                        reasons.push(format!(
                            "replaces the account's own {} (`if_exists: replace`): destroy puts it back",
                            addr.kind().noun()
                        ));
                    }
                    Change {
                        address: addr.clone(),
                        kind: addr.kind(),
                        action: Action::Create,
                        reasons,
                        before: replaced.map(|t| t.attributes.clone()),
                        after: Some(after),
                        attributes: vec![],
                        id: None,
                        depends_on: r.depends_on.iter().cloned().collect(),
                        prior_dependencies: vec![],
                        adopted: false,
                        prior_outputs: BTreeMap::new(),
                    }
                }
                Some(p) => compare(r, p, after, &unknown, &replaced, state.resources.get(addr)),
            };
            if opts.replace.contains(addr) && matches!(change.action, Action::NoOp | Action::Update) {
                change.action = Action::Replace;
                change.reasons.push("replaced on request (--replace)".into());
            }
            if matches!(change.action, Action::Create | Action::Replace) {
                pending.insert(addr.clone());
            }
            if change.action == Action::Replace {
                replaced.insert(addr.clone());
            }
            changes.push(change);
        }
    }

    // Deletions: everything known that the model does not want (all of it when destroying),
    // dependents before what they depend on. What is already gone is listed too, so that
    // its state record goes.
    struct Doomed<'a> {
        id: &'a str,
        attributes: &'a Attrs,
        outputs: &'a BTreeMap<String, String>,
        adopted: bool,
        gone: bool,
    }
    let unwanted = |a: &Address| opts.destroy || model.get(a).is_none();
    // Found by its tags, not in state, not in the blueprint: only destroy removes it.
    let untracked: Vec<Untracked> = prior
        .iter()
        .filter(|(a, p)| p.adopted && !opts.destroy && model.get(a).is_none())
        .map(|(a, p)| Untracked { address: (*a).clone(), id: p.id.to_string() })
        .collect();
    let mut doomed: BTreeMap<&Address, Doomed<'_>> = prior
        .iter()
        .filter(|(a, p)| unwanted(a) && (opts.destroy || !p.adopted))
        .map(|(a, p)| {
            (*a, Doomed { id: p.id, attributes: p.attributes, outputs: p.outputs, adopted: p.adopted, gone: false })
        })
        .collect();
    for a in gone.iter().filter(|a| unwanted(a)) {
        let r = &state.resources[*a];
        doomed.insert(
            a,
            Doomed { id: &r.id, attributes: &r.attributes, outputs: &r.outputs, adopted: false, gone: true },
        );
    }
    let deps_of =
        |a: &Address| -> Vec<Address> { state.resources.get(a).map(|r| r.dependencies.clone()).unwrap_or_default() };
    let delete_graph = Graph::build(doomed.keys().map(|a| {
        let deps: Vec<Address> = deps_of(a).into_iter().filter(|d| doomed.contains_key(d)).collect();
        ((*a).clone(), deps)
    }))?;
    let mut order = delete_graph.creation_order();
    order.reverse();
    for addr in order {
        let p = &doomed[addr];
        let mut reasons =
            vec![if opts.destroy { "destroy".to_string() } else { "no longer in the blueprint".to_string() }];
        if p.adopted {
            reasons.push("found by its socform tags, missing from state".into());
        }
        if p.gone {
            reasons.push("already deleted outside socform: only its state record goes".into());
        }
        changes.push(Change {
            address: addr.clone(),
            kind: addr.kind(),
            action: Action::Delete,
            reasons,
            before: Some(p.attributes.clone()),
            after: None,
            attributes: vec![],
            id: Some(p.id.to_string()),
            depends_on: vec![],
            prior_dependencies: deps_of(addr),
            adopted: p.adopted,
            prior_outputs: if p.adopted { p.outputs.clone() } else { BTreeMap::new() },
        });
    }

    // Duplicates made by a retried create: deleted, under an address of their own
    // (`kind.name#id`) so that they never touch the record of the one state tracks.
    if let Some(l) = live {
        for (addr, r) in &l.duplicates {
            changes.push(Change {
                address: Address::new(addr.kind(), format!("{}#{}", addr.name(), r.id)),
                kind: addr.kind(),
                action: Action::Delete,
                reasons: vec![format!(
                    "a second {} for `{addr}` with this state's tags: a create that took effect twice (its answer was lost and it was retried)",
                    addr.kind().noun()
                )],
                before: Some(r.attributes.clone()),
                after: None,
                attributes: vec![],
                id: Some(r.id.clone()),
                depends_on: vec![],
                prior_dependencies: vec![],
                adopted: true,
                prior_outputs: r.outputs.clone(),
            });
        }
    }

    if !opts.targets.is_empty() {
        let keep = targeted(&opts.targets, &changes, opts.destroy);
        changes.retain(|c| keep.contains(&c.address));
    }
    if opts.refresh_only {
        changes.clear();
    }

    let mut summary = Summary::default();
    for c in &changes {
        match c.action {
            Action::Create => summary.create += 1,
            Action::Update => summary.update += 1,
            Action::Replace => summary.replace += 1,
            Action::Delete => summary.delete += 1,
            Action::NoOp if c.adopted => summary.adopt += 1,
            Action::NoOp => {}
            Action::Use => summary.uses += 1,
        }
    }
    // Every change, no-ops included: unchanged resources are the review's context.
    let pairs: Vec<crate::review::security::Pair<'_>> = changes
        .iter()
        .map(|c| crate::review::security::Pair {
            address: &c.address,
            before: c.before.as_ref(),
            after: c.after.as_ref(),
        })
        .collect();
    let mut accounts: std::collections::BTreeSet<String> = model.allowed_accounts.iter().cloned().collect();
    accounts.extend(live.and_then(|l| l.account_id.clone()).or_else(|| state.account_id.clone()));
    // The blueprint's own named accounts are its own, not another's.
    for def in model.accounts.values() {
        accounts.extend(def.allowed_accounts.iter().cloned());
        accounts.extend(def.role_account().map(str::to_string));
    }
    accounts.extend(globals.iter().filter(|(k, _)| k.starts_with("account_id.")).map(|(_, id)| id.clone()));
    let cx = crate::review::security::Context { accounts, fixed: model.fixed.clone() };
    let mut review = crate::review::security::review(&pairs, &cx);
    // Where a finding's resource is, when the blueprint spans accounts.
    for f in &mut review {
        let crate::review::Subject::Resource(a) = &f.address else { continue };
        if let Some(account) = changes.iter().find(|c| &c.address == a).and_then(Change::account) {
            f.message = format!("{} (in account {account})", f.message);
        }
    }
    Ok(Plan {
        review,
        format_version: FORMAT_VERSION.into(),
        blueprint: model.blueprint.clone(),
        region: model.region.clone(),
        destroy: opts.destroy,
        refreshed: live.is_some(),
        changes,
        drift,
        untracked,
        summary,
        globals,
        provenance: Provenance::default(),
        inputs: model.inputs.clone(),
        outputs: model.outputs.clone(),
        moved,
        targets: opts.targets.clone(),
        refresh_only: opts.refresh_only,
        labels: BTreeMap::new(),
    })
}

/// State after `apply --refresh-only`: the records the plan found drifted take what AWS
/// has (a resource deleted outside socform loses its record); the rest stay as they are.
pub fn accept_drift(state: &State, live: Option<&Snapshot>, plan: &Plan) -> State {
    let (mut s, _) = apply_moves(state, &plan.moved);
    let Some(live) = live else { return s };
    let drifted: BTreeSet<&Address> = plan.drift.iter().map(|d| &d.address).collect();
    for addr in drifted {
        match live.resources.get(addr) {
            Some(None) => {
                s.resources.remove(addr);
            }
            Some(Some(l)) => {
                if let Some(rec) = s.resources.get_mut(addr) {
                    rec.id = l.id.clone();
                    rec.attributes = l.attributes.clone();
                    rec.outputs = l.outputs.clone();
                }
            }
            None => {}
        }
    }
    s
}

/// The addresses a targeted plan keeps: the targets and everything they need, following
/// both what the blueprint says and what state recorded; when destroying, the targets and
/// everything that needs them (those must go first).
fn targeted(targets: &[Address], changes: &[Change], destroy: bool) -> BTreeSet<Address> {
    let edges: Vec<(&Address, &Address)> = changes
        .iter()
        .flat_map(|c| c.depends_on.iter().chain(&c.prior_dependencies).map(move |d| (&c.address, d)))
        .collect();
    let mut keep: BTreeSet<Address> = targets.iter().cloned().collect();
    loop {
        let before = keep.len();
        for (from, to) in &edges {
            let (have, add) = if destroy { (*to, *from) } else { (*from, *to) };
            if keep.contains(have) && !keep.contains(add) {
                keep.insert(add.clone());
            }
        }
        if keep.len() == before {
            return keep;
        }
    }
}

/// Compares the desired attributes of `r` with what exists. An attribute that names a
/// resource being replaced by id or name makes `r` a replacement too, even where AWS could
/// update it in place: the old resource cannot be deleted while `r` still points at it, and `r` cannot
/// point at the new one before it exists.
fn compare(
    r: &Resource,
    p: &Prior<'_>,
    after: Attrs,
    unknown: &BTreeSet<String>,
    replaced: &BTreeSet<Address>,
    recorded: Option<&Record>,
) -> Change {
    let kind = r.kind();
    let mut attributes = Vec::new();
    let mut prior = p.attributes.clone();
    kind.normalize(&mut prior);
    let keys: BTreeSet<&String> = after.keys().chain(prior.keys()).collect();
    for k in keys {
        let (b, a) = (prior.get(k), after.get(k));
        let is_unknown = unknown.contains(k);
        if b == a && !is_unknown {
            continue;
        }
        // An attribute absent on one side and null on the other is the same.
        if !is_unknown && b.unwrap_or(&Value::Null) == a.unwrap_or(&Value::Null) {
            continue;
        }
        // Only identifiers AWS holds as associations (ids, names) tie a resource to what it
        // names; a copied value (an address, an ARN in a policy) does not.
        let names_replaced = is_unknown
            && r.attrs.get(k.as_str()).is_some_and(|v| {
                template::output_refs(v).iter().any(|(a, out)| replaced.contains(a) && (out == "id" || out == "name"))
            });
        attributes.push(AttrChange {
            name: k.clone(),
            before: b.cloned(),
            after: a.cloned(),
            unknown: is_unknown,
            forces_replacement: forces_replacement(kind, k) || names_replaced,
            sensitive: is_sensitive(kind, k, &after),
        });
    }
    let forcing: Vec<&AttrChange> = attributes.iter().filter(|c| c.forces_replacement).collect();
    let (action, mut reasons) = if !forcing.is_empty() {
        let reasons = forcing
            .iter()
            .map(|c| match (c.unknown, forces_replacement(kind, &c.name)) {
                (true, true) => format!("`{}` forces replacement: it names a resource being replaced", c.name),
                (true, false) => format!("`{}` names a resource being replaced", c.name),
                _ => format!("`{}` forces replacement", c.name),
            })
            .collect();
        (Action::Replace, reasons)
    } else if !attributes.is_empty() {
        (Action::Update, vec![])
    } else {
        (Action::NoOp, vec![])
    };
    if p.adopted {
        reasons.push("found by its socform tags, missing from state: adopted".into());
    }
    Change {
        address: r.address.clone(),
        kind,
        action,
        reasons,
        before: Some(p.attributes.clone()),
        after: Some(after),
        attributes,
        id: Some(p.id.to_string()),
        depends_on: r.depends_on.iter().cloned().collect(),
        prior_dependencies: recorded.map(|r| r.dependencies.clone()).unwrap_or_default(),
        adopted: p.adopted,
        prior_outputs: if p.adopted { p.outputs.clone() } else { BTreeMap::new() },
    }
}

/// Whether a change of `attribute` makes AWS need a new resource: the kind says, and a move
/// to another account always does.
fn forces_replacement(kind: Kind, attribute: &str) -> bool {
    kind.replace_on().contains(&attribute) || attribute == crate::model::ACCOUNT_ATTR
}

fn attribute_drift(addr: &Address, rec: &Record, live: &LiveResource) -> Vec<Drift> {
    let (mut recorded, mut seen) = (rec.attributes.clone(), live.attributes.clone());
    addr.kind().normalize(&mut recorded);
    addr.kind().normalize(&mut seen);
    let keys: BTreeSet<&String> = recorded.keys().chain(seen.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let s = recorded.get(k).unwrap_or(&Value::Null);
            let l = seen.get(k).unwrap_or(&Value::Null);
            (s != l).then(|| Drift {
                address: addr.clone(),
                attribute: k.clone(),
                state: if is_sensitive(addr.kind(), k, &rec.attributes) {
                    Value::String(SENSITIVE.into())
                } else {
                    s.clone()
                },
                live: if is_sensitive(addr.kind(), k, &rec.attributes) {
                    Value::String(SENSITIVE.into())
                } else {
                    l.clone()
                },
            })
        })
        .collect()
}

struct PlanLookup<'a> {
    model: &'a Model,
    prior: &'a BTreeMap<&'a Address, Prior<'a>>,
    pending: &'a BTreeSet<Address>,
    globals: &'a BTreeMap<String, String>,
}

impl Lookup for PlanLookup<'_> {
    fn lookup(&self, r: &Ref) -> Option<String> {
        match r {
            Ref::Global(g) => self.globals.get(g).cloned(),
            Ref::Output(addr, output) => {
                // A name the blueprint gives is known before the resource exists.
                if let (Some(attr), Some(res)) = (addr.kind().static_output(output), self.model.get(addr)) {
                    if let Some(v) = res.attrs.get(attr).and_then(Value::as_str) {
                        if !v.contains("${") {
                            return Some(v.to_string());
                        }
                    }
                }
                if self.pending.contains(addr) {
                    return None;
                }
                self.prior.get(addr).and_then(|p| p.outputs.get(output).cloned())
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
