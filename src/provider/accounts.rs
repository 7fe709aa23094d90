//! One provider for a blueprint that spans accounts (`accounts:`): each call goes to the
//! provider of the account its resource is placed in, so that the graph, the plan, the
//! executor and state stay one.
//!
//! A resource's account is its [`ACCOUNT_ATTR`] attribute: lowering writes it, state records
//! it, and this router reads it from a request's or a record's attributes, and from the
//! model's placement for what state does not know yet. The providers behind it never see the
//! attribute: it is taken off before a call and put back on what a call answers, so that
//! a refresh reads a resource with the account it was made in.
//!
//! What one account's refresh reports for an address the blueprint places in another (a
//! resource there tagged with this lab's address: a forgery or a copy) is dropped: tags say
//! where to look, never what is ours.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use super::{Applied, LabIndex, Leftover, Provider, ProviderError, Request, Usage};
use crate::address::Address;
use crate::model::{account_of, Attrs, Kind, ACCOUNT_ATTR};
use crate::state::{LiveResource, Snapshot, State};

/// Routes each call to the provider of its resource's account.
pub struct Accounts {
    /// The caller's own account: resources placed in no named account.
    caller: Arc<dyn Provider>,
    /// The named accounts reached with a role, by name.
    named: BTreeMap<String, Arc<dyn Provider>>,
    /// Names of `accounts:` entries without a role: the caller's own account.
    aliases: BTreeSet<String>,
    /// Where the model places each of its addresses (`None`: the caller's account).
    placed: BTreeMap<Address, Option<String>>,
}

impl Accounts {
    /// `placed`: where the blueprint places each of its addresses ([`placement`]).
    pub fn new(
        caller: Arc<dyn Provider>,
        named: BTreeMap<String, Arc<dyn Provider>>,
        aliases: BTreeSet<String>,
        placed: BTreeMap<Address, Option<String>>,
    ) -> Self {
        Self { caller, named, aliases, placed }
    }

    fn of(&self, account: Option<&str>) -> Result<&Arc<dyn Provider>, ProviderError> {
        match account {
            None => Ok(&self.caller),
            Some(a) => self.named.get(a).ok_or_else(|| {
                ProviderError::Fatal(format!(
                    "account `{a}` is not among the blueprint's `accounts:` (state has resources there): put it back to reach them"
                ))
            }),
        }
    }

    /// The account `address` lives in: where state recorded it, else where the model places it.
    fn account_of<'s>(&'s self, address: &Address, state: &'s State) -> Option<&'s str> {
        match state.resources.get(address) {
            Some(rec) => account_of(&rec.attributes),
            None => self.placed_in(address),
        }
    }

    /// Where the model places `address`.
    fn placed_in(&self, address: &Address) -> Option<&str> {
        self.placed.get(address).and_then(|a| a.as_deref())
    }

    /// The kinds of `kinds` that the model or state has in `account`: an account is asked
    /// only about what may be there (and for the singletons placed there alone).
    fn kinds_in(&self, kinds: &BTreeSet<Kind>, state: &State, account: Option<&str>) -> BTreeSet<Kind> {
        let placed = self.placed.iter().filter(|(_, a)| a.as_deref() == account).map(|(a, _)| a.kind());
        let recorded =
            state.resources.iter().filter(|(_, r)| account_of(&r.attributes) == account).map(|(a, _)| a.kind());
        placed.chain(recorded).filter(|k| kinds.contains(k)).collect()
    }

    /// Every account to read: the caller's, the named ones and any state has resources in.
    fn groups(&self, state: &State) -> BTreeSet<Option<String>> {
        let mut g: BTreeSet<Option<String>> = [None].into();
        g.extend(self.named.keys().cloned().map(Some));
        g.extend(state.resources.values().filter_map(|r| account_of(&r.attributes)).map(|a| Some(a.to_string())));
        g
    }

    /// The part of `state` that lives in `account`.
    fn part(&self, state: &State, account: Option<&str>) -> State {
        let mut sub = state.clone();
        sub.resources.retain(|_, rec| account_of(&rec.attributes) == account);
        for rec in sub.resources.values_mut() {
            rec.attributes.remove(ACCOUNT_ATTR);
        }
        sub.pending.retain(|a, _| self.account_of(a, state) == account);
        sub
    }

    async fn refresh_with(&self, blueprint: &str, state: &State, kinds: Read<'_>) -> Result<Snapshot, ProviderError> {
        let mut out = Snapshot { account_id: Some(self.caller.account_id().await?), ..Default::default() };
        for group in self.groups(state) {
            let account = group.as_deref();
            let p = self.of(account)?;
            let sub = self.part(state, account);
            let snap = match kinds {
                Read::All => p.refresh(blueprint, &sub).await?,
                Read::For(k) => p.refresh_for(blueprint, &sub, &self.kinds_in(k, state, account)).await?,
                Read::Only(k) => p.refresh_kinds(blueprint, &sub, &self.kinds_in(k, state, account)).await?,
            };
            let belongs = |a: &Address| self.account_of(a, state) == account;
            for (a, live) in snap.resources {
                out.resources.insert(a, live.map(|l| stamped(l, account)));
            }
            for (a, live) in snap.untracked.into_iter().filter(|(a, _)| belongs(a)) {
                out.untracked.insert(a, stamped(live, account));
            }
            for (a, live) in snap.duplicates {
                if belongs(&a) {
                    out.duplicates.push((a, stamped(live, account)));
                }
            }
            for (a, live) in snap.looked_up {
                if belongs(&a) {
                    out.looked_up.insert(a, live);
                }
            }
            match account {
                None => out.existing = snap.existing,
                Some(name) => {
                    out.existing_elsewhere.insert(name.to_string(), snap.existing);
                }
            }
        }
        out.accounts = self.accounts().await?;
        Ok(out)
    }
}

/// Where `model` places each of its addresses.
pub fn placement(model: &crate::model::Model) -> BTreeMap<Address, Option<String>> {
    model.resources.iter().map(|r| (r.address.clone(), r.account().map(str::to_string))).collect()
}

/// Where `plan` places each of its addresses: what it makes there, and what it deletes there.
pub fn plan_placement(plan: &crate::plan::Plan) -> BTreeMap<Address, Option<String>> {
    plan.changes.iter().map(|c| (c.address.clone(), c.account().map(str::to_string))).collect()
}

/// What a refresh reads.
#[derive(Clone, Copy)]
enum Read<'a> {
    All,
    For(&'a BTreeSet<Kind>),
    Only(&'a BTreeSet<Kind>),
}

/// `attrs` without the placement, and the placement.
fn unplaced(attrs: &Attrs) -> (Attrs, Option<String>) {
    let mut a = attrs.clone();
    let account = a.remove(ACCOUNT_ATTR).and_then(|v| v.as_str().map(str::to_string));
    (a, account)
}

/// `attrs` placed in `account` again, as the caller's providers answered them without it.
fn placed_again(attrs: &mut Attrs, account: Option<&str>) {
    if let Some(a) = account {
        attrs.insert(ACCOUNT_ATTR.into(), Value::String(a.to_string()));
    }
}

/// `live` as read in `account`.
fn stamped(mut live: LiveResource, account: Option<&str>) -> LiveResource {
    placed_again(&mut live.attributes, account);
    live
}

#[async_trait]
impl Provider for Accounts {
    async fn account_id(&self) -> Result<String, ProviderError> {
        self.caller.account_id().await
    }

    async fn accounts(&self) -> Result<BTreeMap<String, String>, ProviderError> {
        let mut out = BTreeMap::new();
        for (name, p) in &self.named {
            let id = p
                .account_id()
                .await
                .map_err(|e| ProviderError::Fatal(format!("cannot reach account `{name}` (its role): {e}")))?;
            out.insert(name.clone(), id);
        }
        if !self.aliases.is_empty() {
            let caller = self.caller.account_id().await?;
            out.extend(self.aliases.iter().map(|a| (a.clone(), caller.clone())));
        }
        Ok(out)
    }

    async fn organization(&self) -> Result<super::Organization, ProviderError> {
        self.caller.organization().await
    }

    async fn refresh(&self, blueprint: &str, state: &State) -> Result<Snapshot, ProviderError> {
        self.refresh_with(blueprint, state, Read::All).await
    }

    async fn refresh_for(
        &self,
        blueprint: &str,
        state: &State,
        kinds: &BTreeSet<Kind>,
    ) -> Result<Snapshot, ProviderError> {
        self.refresh_with(blueprint, state, Read::For(kinds)).await
    }

    async fn refresh_kinds(
        &self,
        blueprint: &str,
        state: &State,
        kinds: &BTreeSet<Kind>,
    ) -> Result<Snapshot, ProviderError> {
        self.refresh_with(blueprint, state, Read::Only(kinds)).await
    }

    async fn look_up(&self, address: &Address, attrs: &Attrs) -> Result<LiveResource, ProviderError> {
        self.of(self.placed_in(address))?.look_up(address, attrs).await
    }

    async fn principal(&self) -> Result<String, ProviderError> {
        self.caller.principal().await
    }

    async fn simulate(&self, principal: &str, actions: &[String]) -> Result<BTreeMap<String, String>, ProviderError> {
        self.caller.simulate(principal, actions).await
    }

    async fn quota(&self, service: &str, code: &str) -> Result<Option<f64>, ProviderError> {
        self.caller.quota(service, code).await
    }

    async fn in_use(&self, what: &Usage) -> Result<u64, ProviderError> {
        self.caller.in_use(what).await
    }

    async fn region_enabled(&self) -> Result<bool, ProviderError> {
        self.caller.region_enabled().await
    }

    async fn create(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let (attrs, account) = unplaced(req.attrs);
        let mut applied = self.of(account.as_deref())?.create(Request { attrs: &attrs, ..req }).await?;
        placed_again(&mut applied.attributes, account.as_deref());
        Ok(applied)
    }

    async fn update(&self, req: Request<'_>, id: &str, before: &Attrs) -> Result<Applied, ProviderError> {
        let (attrs, account) = unplaced(req.attrs);
        let (before, _) = unplaced(before);
        let mut applied = self.of(account.as_deref())?.update(Request { attrs: &attrs, ..req }, id, &before).await?;
        placed_again(&mut applied.attributes, account.as_deref());
        Ok(applied)
    }

    async fn delete(&self, address: &Address, id: &str, attrs: &Attrs) -> Result<(), ProviderError> {
        let (attrs, account) = unplaced(attrs);
        self.of(account.as_deref())?.delete(address, id, &attrs).await
    }

    async fn leftovers(
        &self,
        blueprint: &str,
        lineage: &str,
        named: &[(Address, String)],
    ) -> Result<Vec<Leftover>, ProviderError> {
        let mut out = Vec::new();
        let mut groups: BTreeSet<Option<&str>> = [None].into();
        groups.extend(self.named.keys().map(|k| Some(k.as_str())));
        for account in groups {
            let here: Vec<(Address, String)> =
                named.iter().filter(|(a, _)| self.placed_in(a) == account).cloned().collect();
            for mut l in self.of(account)?.leftovers(blueprint, lineage, &here).await? {
                if let Some(a) = account {
                    l.what = format!("{} in account `{a}`", l.what);
                }
                out.push(l);
            }
        }
        Ok(out)
    }

    async fn labs(&self) -> Result<Vec<LabIndex>, ProviderError> {
        self.caller.labs().await
    }

    fn import_id(&self, kind: Kind, given: &str, account: &str, region: &str) -> String {
        self.caller.import_id(kind, given, account, region)
    }

    async fn set_running(&self, address: &Address, id: &str, running: bool) -> Result<(), ProviderError> {
        self.of(self.placed_in(address))?.set_running(address, id, running).await
    }

    fn call_counts(&self) -> BTreeMap<String, u64> {
        let mut out = self.caller.call_counts();
        for p in self.named.values() {
            for (service, n) in p.call_counts() {
                *out.entry(service).or_default() += n;
            }
        }
        out
    }
}
