//! An in-memory provider for tests of the executor and the workflows (`ops`).
//!
//! It behaves like a small, obedient cloud: ids are handed out in sequence, outputs are
//! derived from attributes, deletes of things others still use fail with a dependency
//! violation, and faults or delays can be injected per address. It records every call and the
//! highest number of calls in flight at once, so tests can check ordering and parallelism.
//! It is not a test of any AWS API: that is what the moto-backed tests are for.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use super::{Applied, LabIndex, Leftover, Provider, ProviderError, Request};
use crate::address::Address;
use crate::model::template::refs_in;
use crate::model::{Attrs, Kind};
use crate::state::{LiveResource, Snapshot, State};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    Create,
    Update,
    Delete,
    /// A host stopped or started (`set_running`).
    Power,
}

#[derive(Clone, Debug)]
pub struct Stored {
    pub blueprint: String,
    /// The lineage of the state that made it (what proves ownership, as the tag does).
    pub lineage: String,
    pub address: Address,
    pub id: String,
    pub attributes: Attrs,
}

#[derive(Default)]
pub struct MemoryProvider {
    pub resources: Mutex<BTreeMap<String, Stored>>,
    next_id: AtomicUsize,
    faults: Mutex<HashMap<(Address, Call), (ProviderError, usize)>>,
    delays: Mutex<HashMap<Address, Duration>>,
    default_delay: Mutex<Duration>,
    pub log: Mutex<Vec<(Call, Address)>>,
    /// Hosts by id, and whether they run (`set_running`; a host never stopped is absent).
    pub running: Mutex<BTreeMap<String, bool>>,
    refreshes: AtomicUsize,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

impl MemoryProvider {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next `times` calls of `call` on `address` fail with `error`.
    pub fn fail(&self, address: &Address, call: Call, error: ProviderError, times: usize) {
        self.faults.lock().unwrap().insert((address.clone(), call), (error, times));
    }

    /// Makes every call on `address` take `d`.
    pub fn delay(&self, address: &Address, d: Duration) {
        self.delays.lock().unwrap().insert(address.clone(), d);
    }

    /// Makes every call take `d` unless a per-address delay is set.
    pub fn delay_all(&self, d: Duration) {
        *self.default_delay.lock().unwrap() = d;
    }

    /// How many refreshes were asked of it.
    pub fn refreshes(&self) -> usize {
        self.refreshes.load(Ordering::SeqCst)
    }

    pub fn calls(&self) -> Vec<(Call, Address)> {
        self.log.lock().unwrap().clone()
    }

    /// Addresses currently stored, sorted.
    pub fn addresses(&self) -> Vec<Address> {
        let mut v: Vec<Address> = self.resources.lock().unwrap().values().map(|s| s.address.clone()).collect();
        v.sort();
        v
    }

    /// Removes a resource behind socform's back (to test drift).
    pub fn remove_out_of_band(&self, address: &Address) {
        self.resources.lock().unwrap().retain(|_, s| &s.address != address);
    }

    /// Changes an attribute behind socform's back (to test drift).
    pub fn set_out_of_band(&self, address: &Address, attr: &str, value: serde_json::Value) {
        for s in self.resources.lock().unwrap().values_mut() {
            if &s.address == address {
                s.attributes.insert(attr.to_string(), value.clone());
            }
        }
    }

    fn outputs(kind: Kind, id: &str, attrs: &Attrs) -> BTreeMap<String, String> {
        let mut o = BTreeMap::new();
        o.insert("id".to_string(), id.to_string());
        o.insert("arn".to_string(), format!("arn:aws:memory:::{}/{id}", kind.as_str()));
        for out in ["name"] {
            if let Some(v) = kind.static_output(out).and_then(|a| attrs.get(a)).and_then(|v| v.as_str()) {
                o.insert(out.to_string(), v.to_string());
            }
        }
        if kind == Kind::Instance {
            o.insert("private_ip".into(), "10.0.0.10".into());
        }
        o
    }

    async fn enter(&self, call: Call, address: &Address) -> Result<(), ProviderError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        self.log.lock().unwrap().push((call, address.clone()));
        let d = self.delays.lock().unwrap().get(address).copied().unwrap_or(*self.default_delay.lock().unwrap());
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
        let mut faults = self.faults.lock().unwrap();
        if let Some((err, times)) = faults.get_mut(&(address.clone(), call)) {
            if *times > 0 {
                *times -= 1;
                let e = err.clone();
                drop(faults);
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                return Err(e);
            }
        }
        Ok(())
    }

    fn leave(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn unresolved(attrs: &Attrs) -> Option<String> {
    let text = serde_json::to_string(attrs).unwrap_or_default();
    let first = refs_in(&text).next().map(|r| format!("{r:?}"));
    first
}

#[async_trait]
impl Provider for MemoryProvider {
    async fn account_id(&self) -> Result<String, ProviderError> {
        Ok("123456789012".into())
    }

    async fn refresh(&self, blueprint: &str, state: &State) -> Result<Snapshot, ProviderError> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        let stored = self.resources.lock().unwrap();
        let mut snap = Snapshot { account_id: Some("123456789012".into()), ..Default::default() };
        for (addr, rec) in &state.resources {
            let live = stored.get(&rec.id).map(|s| LiveResource {
                id: s.id.clone(),
                attributes: s.attributes.clone(),
                outputs: Self::outputs(addr.kind(), &s.id, &s.attributes),
            });
            snap.resources.insert(addr.clone(), live);
        }
        for s in stored.values() {
            if s.blueprint == blueprint && s.lineage == state.lineage && !state.resources.contains_key(&s.address) {
                snap.untracked.insert(
                    s.address.clone(),
                    LiveResource {
                        id: s.id.clone(),
                        attributes: s.attributes.clone(),
                        outputs: Self::outputs(s.address.kind(), &s.id, &s.attributes),
                    },
                );
            }
        }
        Ok(snap)
    }

    async fn leftovers(
        &self,
        blueprint: &str,
        lineage: &str,
        _named: &[(Address, String)],
    ) -> Result<Vec<Leftover>, ProviderError> {
        let stored = self.resources.lock().unwrap();
        Ok(stored
            .values()
            .filter(|s| s.blueprint == blueprint)
            .map(|s| Leftover {
                address: Some(s.address.clone()),
                what: s.address.kind().noun(),
                id: s.id.clone(),
                other_lineage: (s.lineage != lineage).then(|| s.lineage.clone()),
                pending_deletion: None,
            })
            .collect())
    }

    async fn set_running(&self, address: &Address, id: &str, running: bool) -> Result<(), ProviderError> {
        self.enter(Call::Power, address).await?;
        let known = self.resources.lock().unwrap().contains_key(id);
        if known {
            self.running.lock().unwrap().insert(id.to_string(), running);
        }
        self.leave();
        if known {
            Ok(())
        } else {
            Err(ProviderError::NotFound(id.to_string()))
        }
    }

    /// The labs its resources' ownership names, as the tagging index would list them (the id
    /// stands for the ARN); resources made by no state (by hand) name none.
    async fn labs(&self) -> Result<Vec<LabIndex>, ProviderError> {
        let stored = self.resources.lock().unwrap();
        let mut labs: BTreeMap<(String, String), LabIndex> = BTreeMap::new();
        for s in stored.values().filter(|s| !s.lineage.is_empty()) {
            labs.entry((s.blueprint.clone(), s.lineage.clone()))
                .or_insert_with(|| LabIndex {
                    blueprint: s.blueprint.clone(),
                    lineage: s.lineage.clone(),
                    labels: BTreeMap::new(),
                    disputed: BTreeMap::new(),
                    indexed: vec![],
                })
                .indexed
                .push((Some(s.address.clone()), s.id.clone()));
        }
        Ok(labs.into_values().collect())
    }

    async fn create(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        self.enter(Call::Create, req.address).await?;
        let result = (|| {
            if let Some(r) = unresolved(req.attrs) {
                return Err(ProviderError::Fatal(format!("unresolved template {r}")));
            }
            let n = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
            let id = format!("{}-{n:04}", req.address.kind().as_str().replace('_', ""));
            self.resources.lock().unwrap().insert(
                id.clone(),
                Stored {
                    blueprint: req.blueprint.into(),
                    lineage: req.lineage.into(),
                    address: req.address.clone(),
                    id: id.clone(),
                    attributes: req.attrs.clone(),
                },
            );
            Ok(Applied {
                id: id.clone(),
                attributes: req.attrs.clone(),
                outputs: Self::outputs(req.address.kind(), &id, req.attrs),
            })
        })();
        self.leave();
        result
    }

    async fn update(&self, req: Request<'_>, id: &str, _before: &Attrs) -> Result<Applied, ProviderError> {
        self.enter(Call::Update, req.address).await?;
        let result = (|| {
            let mut stored = self.resources.lock().unwrap();
            let s = stored.get_mut(id).ok_or_else(|| ProviderError::NotFound(id.to_string()))?;
            s.attributes = req.attrs.clone();
            // An update writes socform's tags, as AWS's does: the lineage is what it names.
            s.blueprint = req.blueprint.into();
            s.lineage = req.lineage.into();
            Ok(Applied {
                id: id.to_string(),
                attributes: req.attrs.clone(),
                outputs: Self::outputs(req.address.kind(), id, req.attrs),
            })
        })();
        self.leave();
        result
    }

    async fn delete(&self, address: &Address, id: &str, _attrs: &Attrs) -> Result<(), ProviderError> {
        self.enter(Call::Delete, address).await?;
        let result = (|| {
            let mut stored = self.resources.lock().unwrap();
            // Like AWS: refuse to delete what another resource still names.
            let user = stored.values().find(|s| {
                s.id != id && serde_json::to_string(&s.attributes).unwrap_or_default().contains(&format!("\"{id}\""))
            });
            if let Some(u) = user {
                return Err(ProviderError::DependencyViolation(format!("{id} is used by {}", u.address)));
            }
            stored.remove(id).map(|_| ()).ok_or_else(|| ProviderError::NotFound(id.to_string()))
        })();
        self.leave();
        result
    }
}
