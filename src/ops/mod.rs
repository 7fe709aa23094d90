//! Workflows: what a command does, apart from parsing its arguments, wiring its backends and
//! printing. Each takes the provider as `&dyn Provider` and state as data, returns a typed
//! report or a typed [`OpsError`], and is tested with [`crate::provider::memory::MemoryProvider`]
//! without an emulator (`ops/tests.rs`). `cli/` calls them and prints what they return.
//!
//! Here so far: account pinning, the refresh before a plan, `import`, `state rm`, `pause` and
//! `resume`, and the decisions of `reap` (which labs' expiry can be trusted, and whether it
//! has passed). The rest of the workflows still live in `cli/` (the glue around the
//! executor's run, outputs, `state_from_tags`, the drill's live loop); see ARCHITECTURE.md.

pub mod labs;
pub mod preflight;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use crate::address::Address;
use crate::model::{Attrs, Kind, Model};
use crate::provider::{Leftover, Provider, ProviderError, Request};
use crate::state::{Snapshot, State};

/// The lineage tag of a resource `socform state rm` released from a state.
pub const RELEASED_PREFIX: &str = "released-";

/// Why a workflow stopped. Every one of them stops before anything is written.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error(
        "the state was made in AWS account {recorded}, and the credentials are for account {actual}: nothing was changed; use credentials for {recorded} (or another --state for {actual})"
    )]
    OtherAccount { recorded: String, actual: String },
    #[error("AWS account {account} is not in the blueprint's allowed_accounts ({}): nothing was changed", allowed.join(", "))]
    NotAllowed { account: String, allowed: Vec<String> },
    #[error(
        "account `{name}` of the blueprint's `accounts:` was {recorded} when this state was made, and its role now reaches {actual}: nothing was changed"
    )]
    NamedMoved { name: String, recorded: String, actual: String },
    #[error("account `{name}` of the blueprint's `accounts:` is {actual}, which it does not allow ({}): nothing was changed", allowed.join(", "))]
    NamedNotAllowed { name: String, actual: String, allowed: Vec<String> },
    #[error("the blueprint uses `${{aws.organization_id}}`: {0}")]
    Organization(ProviderError),
    #[error("cannot tell which AWS account the credentials belong to: {0}")]
    Account(ProviderError),
    #[error("reading live state: {0}")]
    Refresh(ProviderError),
    #[error("cannot look for resources of earlier states: {0}")]
    Earlier(ProviderError),
    #[error("lookup `{0}`: {1}; nothing was changed")]
    Lookup(Address, ProviderError),
    #[error("`{address}` is not in state `{location}`: nothing was removed")]
    NotInState { address: Address, location: String },
    #[error(
        "a {noun} cannot carry tags, so socform could not tell it from one it makes later: nothing was removed. Keep it managed, or remove it from the blueprint and apply (which deletes it)"
    )]
    Untaggable { noun: String },
    #[error("tagging {address}: {source}")]
    Retag { address: Address, source: ProviderError },
    #[error("`{address}` is not in blueprint `{blueprint}`: import takes an address the blueprint declares")]
    NotDeclared { address: Address, blueprint: String },
    #[error("`{address}` is already in state (id `{id}`): nothing was imported")]
    AlreadyInState { address: Address, id: String },
    #[error("reading the resource: {0}")]
    Read(ProviderError),
    #[error("no {noun} with id `{id}` exists in account {account}, {region}: nothing was imported")]
    NoSuch { noun: String, id: String, account: String, region: String },
    #[error("`{address}` names resources that are not in state yet: import or apply those first")]
    NamesUnknown { address: Address },
    #[error("cannot tell whether another socform state claims `{id}`: {source}; nothing was imported")]
    Claims { id: String, source: ProviderError },
    #[error(
        "`{id}` carries the tags of another socform state (blueprint `{blueprint}`, state lineage {lineage}): nothing was imported. Destroy or `socform state rm` it there first, or pass --force to take it over from that state"
    )]
    Claimed { id: String, blueprint: String, lineage: String },
}

/// Refuses an account other than the one the state was made in, or one the blueprint does
/// not allow, before anything is written.
pub fn pin_account(account: &str, recorded: Option<&str>, allowed: &[String]) -> Result<(), OpsError> {
    if let Some(r) = recorded {
        if r != account {
            return Err(OpsError::OtherAccount { recorded: r.into(), actual: account.into() });
        }
    }
    if !allowed.is_empty() && !allowed.iter().any(|a| a == account) {
        return Err(OpsError::NotAllowed { account: account.into(), allowed: allowed.to_vec() });
    }
    Ok(())
}

/// The account the provider's credentials belong to, pinned against state and the blueprint.
pub async fn pinned_account(p: &dyn Provider, recorded: Option<&str>, allowed: &[String]) -> Result<String, OpsError> {
    let account = p.account_id().await.map_err(OpsError::Account)?;
    pin_account(&account, recorded, allowed)?;
    Ok(account)
}

/// The ids of the blueprint's named accounts (`accounts:`), each pinned as the caller's is:
/// to the id state recorded, and to the entry's `allowed_accounts` (by default the account its
/// role ARN names: a role whose session lands elsewhere is refused).
pub async fn pinned_accounts(
    p: &dyn Provider,
    model: &Model,
    state: &State,
) -> Result<BTreeMap<String, String>, OpsError> {
    if model.accounts.is_empty() {
        return Ok(BTreeMap::new());
    }
    let ids = p.accounts().await.map_err(OpsError::Account)?;
    for (name, def) in &model.accounts {
        let Some(actual) = ids.get(name) else { continue };
        if let Some(recorded) = state.accounts.get(name) {
            if recorded != actual {
                return Err(OpsError::NamedMoved {
                    name: name.clone(),
                    recorded: recorded.clone(),
                    actual: actual.clone(),
                });
            }
        }
        let allowed: Vec<String> = if !def.allowed_accounts.is_empty() {
            def.allowed_accounts.clone()
        } else {
            def.role_account().map(str::to_string).into_iter().collect()
        };
        if !allowed.is_empty() && !allowed.contains(actual) {
            return Err(OpsError::NamedNotAllowed { name: name.clone(), actual: actual.clone(), allowed });
        }
    }
    Ok(ids)
}

/// The resources of a model the leftover check finds by name, with that name (the kinds
/// without tags, or Config's rules); names not known yet (templates) are left out.
pub fn named_resources(model: &Model) -> Vec<(Address, String)> {
    model.resources.iter().filter_map(|r| found_by_name(&r.address, &r.attrs)).collect()
}

/// The AWS name the leftover check finds a resource by, for the kinds it finds only by name.
pub fn found_by_name(address: &Address, attrs: &Attrs) -> Option<(Address, String)> {
    if !address.kind().checked_by_name() {
        return None;
    }
    let name = attrs.get(address.kind().name_attr()?)?.as_str()?;
    (!name.contains("${")).then(|| (address.clone(), name.to_string()))
}

/// What the refresh before a plan read.
#[derive(Debug)]
pub struct Refreshed {
    pub snapshot: Snapshot,
    /// The account the credentials belong to (pinned).
    pub account: String,
    /// For a new state (serial 0) that is not a destroy: resources tagged for the blueprint by
    /// another state (a lost state file, another lab), which this state neither adopts nor
    /// deletes.
    pub others: Vec<Leftover>,
}

/// Reads live state for a plan of `model`: the account first (nothing is read in an account
/// the state or the blueprint does not allow), then the kinds the blueprint has (the
/// provider adds what state and its tagging index hold), of `renamed` (state with the
/// blueprint's `moved:` applied).
pub async fn refresh(
    p: &dyn Provider,
    model: &Model,
    state: &State,
    renamed: &State,
    destroy: bool,
) -> Result<Refreshed, OpsError> {
    let account = pinned_account(p, state.account_id.as_deref(), &model.allowed_accounts).await?;
    pinned_accounts(p, model, state).await?;
    let kinds: BTreeSet<Kind> = model.resources.iter().map(|r| r.address.kind()).collect();
    let mut snapshot = p.refresh_for(&model.blueprint, renamed, &kinds).await.map_err(OpsError::Refresh)?;
    if model.resources.iter().any(|r| crate::plan::uses_organization(&r.attrs)) {
        let org = p.organization().await.map_err(OpsError::Organization)?;
        if let Some(recorded) = state.organization_id.as_deref().filter(|r| *r != org.id) {
            return Err(OpsError::Organization(ProviderError::Fatal(format!(
                "the state was made in organization {recorded}, and the account is now in {}: nothing was changed",
                org.id
            ))));
        }
        snapshot.organization_id = Some(org.id);
    }
    if !destroy {
        for a in &model.lookups {
            let r = model.get(a).expect("lookups are resources of the model");
            let found = p.look_up(a, &r.attrs).await.map_err(|e| OpsError::Lookup(a.clone(), e))?;
            snapshot.looked_up.insert(a.clone(), found);
        }
        // A looked-up subnet must be in the looked-up VPC: the lab's groups are made there, and
        // RunInstances refuses groups and a subnet of different VPCs (after the rest is made).
        let vpc = snapshot.looked_up.get(&Address::new(Kind::Vpc, "main")).map(|v| v.id.clone());
        if let Some(vpc) = vpc {
            for (a, s) in snapshot.looked_up.iter().filter(|(a, _)| a.kind() == Kind::Subnet) {
                let of = s.attributes.get("vpc_id").and_then(|v| v.as_str()).unwrap_or_default();
                if of != vpc {
                    let why = format!("subnet `{}` is in VPC `{of}`, not in the looked-up VPC `{vpc}`", s.id);
                    return Err(OpsError::Lookup(a.clone(), ProviderError::Fatal(why)));
                }
            }
        }
    }
    let others = if state.serial == 0 && !destroy {
        p.leftovers(&model.blueprint, &state.lineage, &named_resources(model)).await.map_err(OpsError::Earlier)?
    } else {
        vec![]
    };
    Ok(Refreshed { snapshot, account, others })
}

/// Rewrites a resource's socform tags through an update whose recorded tags are unknown
/// (so every tag is written): for kinds that carry none, nothing.
pub async fn retag(
    p: &dyn Provider,
    address: &Address,
    id: &str,
    attrs: &Attrs,
    blueprint: &str,
    lineage: &str,
    labels: &std::collections::BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    if !address.kind().taggable() {
        return Ok(());
    }
    let mut before = attrs.clone();
    before.insert("tags".into(), serde_json::Value::Null);
    let req = Request { address, attrs, blueprint, lineage, labels };
    p.update(req, id, &before).await.map(|_| ())
}

/// What refuses a `state rm` before anything is read: an address state does not hold, or a
/// kind that carries no tags.
pub fn check_state_rm(state: &State, address: &Address, location: &str) -> Result<(), OpsError> {
    if !state.resources.contains_key(address) {
        return Err(OpsError::NotInState { address: address.clone(), location: location.into() });
    }
    if !address.kind().taggable() {
        return Err(OpsError::Untaggable { noun: address.kind().noun() });
    }
    Ok(())
}

/// What `import` did, for the CLI to say.
#[derive(Debug, PartialEq, Eq)]
pub struct Imported {
    /// The id state now records.
    pub id: String,
    /// The other socform state it was taken from (`--force`): blueprint and lineage.
    pub taken_from: Option<(String, String)>,
    /// Its AWS name and the blueprint's, when they differ (the next apply replaces it).
    pub renamed: Option<(String, String)>,
}

/// Whether `arn` (as the tagging index or the leftover check gives it) names the resource
/// state knows as `id`: the ARN itself, or one whose last `/` or `:` part is the id.
pub fn arn_names(arn: &str, id: &str) -> bool {
    arn == id || arn.ends_with(&format!("/{id}")) || arn.ends_with(&format!(":{id}"))
}

/// `import ADDRESS ID`: reads the resource as refresh reads what state knows, refuses one
/// that another socform state's tags claim (unless `force`), tags it as this state's own
/// (changing nothing else) and records it in `state`, which the caller saves. Nothing is
/// tagged or recorded when any check fails.
pub async fn import(
    p: &dyn Provider,
    model: &Model,
    state: &mut State,
    address: &Address,
    given: &str,
    force: bool,
) -> Result<Imported, OpsError> {
    let Some(resource) = model.get(address) else {
        return Err(OpsError::NotDeclared { address: address.clone(), blueprint: model.blueprint.clone() });
    };
    if let Some(rec) = state.resources.get(address) {
        return Err(OpsError::AlreadyInState { address: address.clone(), id: rec.id.clone() });
    }
    let account = pinned_account(p, state.account_id.as_deref(), &model.allowed_accounts).await?;
    let kind = address.kind();
    let id = p.import_id(kind, given, &account, &model.region);

    // The desired attributes, templates resolved from what state and the account know.
    let globals = crate::plan::globals(&model.region, Some(account.clone()));
    let (desired, _) =
        crate::model::template::resolve_attrs(&resource.attrs, &crate::executor::Outputs { state, globals: &globals });
    // Read it as refresh reads what state knows.
    let mut probe = state.clone();
    let dependencies: Vec<Address> = resource.depends_on.iter().cloned().collect();
    probe.resources.insert(
        address.clone(),
        crate::state::Record {
            kind,
            id: id.clone(),
            attributes: desired.clone(),
            outputs: Default::default(),
            dependencies: dependencies.clone(),
        },
    );
    let snap = p.refresh(&model.blueprint, &probe).await.map_err(OpsError::Read)?;
    let Some(Some(live)) = snap.resources.get(address).cloned() else {
        return Err(OpsError::NoSuch { noun: kind.noun(), id, account, region: model.region.clone() });
    };
    let mut attrs = live.attributes.clone();
    kind.normalize(&mut attrs);
    if attrs.values().any(|v| v.to_string().contains("${")) {
        return Err(OpsError::NamesUnknown { address: address.clone() });
    }
    // Another socform state's tags on it: a live lab's resource, which import would take
    // from under that lab (its destroy would then fail, ours delete it). The tagging index
    // names the claim; a claim that cannot be checked is not "no claim".
    let labs = p.labs().await.map_err(|e| OpsError::Claims { id: live.id.clone(), source: e })?;
    let claim =
        labs.iter().find(|l| l.lineage != state.lineage && l.indexed.iter().any(|(_, arn)| arn_names(arn, &live.id)));
    let taken_from = match claim {
        Some(l) if !force => {
            return Err(OpsError::Claimed {
                id: live.id.clone(),
                blueprint: l.blueprint.clone(),
                lineage: l.lineage.clone(),
            })
        }
        Some(l) => Some((l.blueprint.clone(), l.lineage.clone())),
        None => None,
    };
    let renamed = kind.name_attr().and_then(|k| {
        let want = desired.get(k).and_then(|v| v.as_str())?;
        let have = attrs.get(k).and_then(|v| v.as_str())?;
        (want != have).then(|| (have.to_string(), want.to_string()))
    });
    // Tag it as this state's own, changing nothing else.
    retag(p, address, &live.id, &attrs, &model.blueprint, &state.lineage, &state.labels)
        .await
        .map_err(|e| OpsError::Retag { address: address.clone(), source: e })?;
    state.account_id = Some(account);
    state.resources.insert(
        address.clone(),
        crate::state::Record { kind, id: live.id.clone(), attributes: attrs, outputs: live.outputs, dependencies },
    );
    Ok(Imported { id: live.id, taken_from, renamed })
}

/// What `pause` or `resume` did to each host.
#[derive(Debug)]
pub struct Powered {
    pub account: String,
    /// Each host of state, and how its stop or start went.
    pub hosts: Vec<(Address, Result<(), ProviderError>)>,
}

impl Powered {
    pub fn failed(&self) -> usize {
        self.hosts.iter().filter(|(_, r)| r.is_err()).count()
    }
}

/// `pause` (`running: false`) and `resume`: stops or starts every host state records, all at
/// once, each waited for. State says the lab is paused only when every host stopped (a paused
/// lab's stopped hosts are not drift); the caller saves it.
pub async fn power(
    p: std::sync::Arc<dyn Provider>,
    model: &Model,
    state: &mut State,
    running: bool,
) -> Result<Powered, OpsError> {
    let account = pinned_account(p.as_ref(), state.account_id.as_deref(), &model.allowed_accounts).await?;
    let hosts: Vec<(Address, String)> = state
        .resources
        .iter()
        .filter(|(a, _)| a.kind() == Kind::Instance)
        .map(|(a, r)| (a.clone(), r.id.clone()))
        .collect();
    let mut set = tokio::task::JoinSet::new();
    for (a, id) in hosts {
        let p = p.clone();
        set.spawn(async move {
            let r = p.set_running(&a, &id, running).await;
            (a, r)
        });
    }
    let mut done = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(r) => done.push(r),
            // A task that panicked: its host's outcome is unknown, which is a failure.
            Err(e) => done.push((Address::new(Kind::Instance, "(unknown)"), Err(ProviderError::Fatal(e.to_string())))),
        }
    }
    done.sort_by(|a, b| a.0.cmp(&b.0));
    let powered = Powered { account, hosts: done };
    if !powered.hosts.is_empty() {
        state.paused = !running && powered.failed() == 0;
    }
    Ok(powered)
}

/// What `state rm` did.
#[derive(Debug, PartialEq, Eq)]
pub struct Released {
    /// The id the record held.
    pub id: String,
    /// Resources of state that need the one released: destroy no longer waits for it.
    pub needed_by: Vec<Address>,
    /// Whether AWS still had it (it was already gone: only the record was removed).
    pub was_in_aws: bool,
}

/// `state rm`: forgets `address` and disowns it in AWS: its lineage tag becomes
/// `released-LINEAGE`, so that no later run adopts or deletes it. Refused for a kind that
/// carries no tags (socform could not tell it from one it makes later). `state` is changed
/// only when everything succeeded; the caller saves it.
pub async fn state_rm(
    p: &dyn Provider,
    state: &mut State,
    address: &Address,
    location: &str,
) -> Result<Released, OpsError> {
    check_state_rm(state, address, location)?;
    let rec = state.resources[address].clone();
    let needed_by: Vec<Address> = state
        .resources
        .iter()
        .filter(|(a, r)| *a != address && r.dependencies.contains(address))
        .map(|(a, _)| a.clone())
        .collect();
    pinned_account(p, state.account_id.as_deref(), &[]).await?;
    let released = format!("{RELEASED_PREFIX}{}", state.lineage);
    let was_in_aws =
        match retag(p, address, &rec.id, &rec.attributes, &state.blueprint, &released, &Default::default()).await {
            Ok(()) => true,
            // Already gone from AWS: only the record remains to remove.
            Err(ProviderError::NotFound(_)) => false,
            Err(e) => return Err(OpsError::Retag { address: address.clone(), source: e }),
        };
    state.resources.remove(address);
    Ok(Released { id: rec.id, needed_by, was_in_aws })
}
