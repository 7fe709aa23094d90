//! Providers: the only code that talks to a cloud.
//!
//! The rest of socform sees the [`Provider`] trait and the small [`ProviderError`] enum.
//! [`memory::MemoryProvider`] keeps resources in memory, for the executor's tests; the AWS
//! provider (the AWS SDK for Rust) implements the same trait.
//!
//! **Architecture Invariant:** only provider modules import `aws_sdk_*`.

pub mod accounts;
#[cfg(feature = "aws")]
pub mod aws;
pub mod memory;

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::address::Address;
use crate::model::Attrs;
use crate::state::{Snapshot, State};

/// What a provider call can fail with. SDK errors are mapped into these once, in the
/// provider, so that the executor can decide what to retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The resource does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Something with that name exists already.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// Something with the name the blueprint asks for exists, and its tags do not prove
    /// that this state made it: socform neither takes it over nor deletes it.
    #[error("{what} `{id}` already exists and this state did not make it: take it over with `socform import {address} {id} BLUEPRINT`, or give the blueprint's resource another name")]
    NotOurs { address: String, what: String, id: String },
    /// AWS asked us to slow down (the SDK's retries were used up).
    #[error("throttled: {0}")]
    Throttled(String),
    /// A resource just made is not yet visible to the service that needs it.
    #[error("not yet consistent: {0}")]
    NotYetConsistent(String),
    /// Something still depends on the resource.
    #[error("dependency violation: {0}")]
    DependencyViolation(String),
    /// The API is not available where socform runs (an emulator that lacks it).
    #[error("not supported: {0}")]
    Unsupported(String),
    /// Anything else: not retried.
    #[error("{0}")]
    Fatal(String),
}

/// One resource to create or update, its templates resolved.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub address: &'a Address,
    pub attrs: &'a Attrs,
    /// Blueprint name, for the `socform:blueprint` tag.
    pub blueprint: &'a str,
    /// State lineage: idempotency tokens are derived from it and the address.
    pub lineage: &'a str,
    /// More `socform:` tags for every resource that carries tags: the lab's expiry, owner
    /// and creation time.
    pub labels: &'a BTreeMap<String, String>,
}

/// What a create or update left in AWS.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub id: String,
    /// Attributes as they now are (normalised the way refresh reads them).
    pub attributes: Attrs,
    pub outputs: BTreeMap<String, String>,
}

/// Something of a blueprint that still exists after a teardown.
/// What a quota counts, for [`Provider::in_use`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Usage {
    Vpcs,
    InternetGateways,
    IamRoles,
    Trails,
    /// Metric filters on one log group.
    FiltersOn(String),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Leftover {
    /// The address its tags (or its name) give, when they give one.
    pub address: Option<Address>,
    /// What it is, in words: `s3 bucket`, `ec2 vpc`.
    pub what: String,
    /// Its id or ARN.
    pub id: String,
    /// Set when another state of the same blueprint made it (a lost state file, another lab);
    /// empty when its tags name the blueprint but carry no lineage.
    pub other_lineage: Option<String>,
    /// A KMS key scheduled for deletion: the day AWS deletes it. Not left behind: AWS never
    /// deletes a key at once (seven days at the least), and one pending deletion cannot be
    /// used.
    pub pending_deletion: Option<String>,
}

/// The organization an account is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// `o-...`
    pub id: String,
    /// The management account's id.
    pub management_account: String,
}

/// One lab as the tagging index sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabIndex {
    pub blueprint: String,
    /// The lineage of the state that made it: the lab's identity.
    pub lineage: String,
    /// `socform:` tags other than blueprint, address and lineage, as the lab's resources
    /// carry them: a value every resource the index lists agrees on.
    pub labels: BTreeMap<String, String>,
    /// The label keys the lab's resources disagree on (different values, or some resources
    /// without it), with every value seen (`(none)` for a resource without it). Anyone who
    /// may tag can add a resource to a lab's tags: a lab whose labels are disputed has no
    /// expiry anyone can trust, and `reap --expired` keeps it.
    pub disputed: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// Resources the index lists (some may be gone): the address their tags give, and ARN.
    pub indexed: Vec<(Option<Address>, String)>,
}

impl std::fmt::Display for Leftover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.address {
            Some(a) => write!(f, "{a}: {} `{}`", self.what, self.id)?,
            None => write!(f, "{} `{}`", self.what, self.id)?,
        }
        match self.other_lineage.as_deref() {
            Some("") => {
                write!(f, " (tagged for this blueprint without a lineage: no socform state can prove it made it)")?
            }
            Some(l) if l.starts_with("released-") => {
                write!(f, " (released from state {} by `socform state rm`)", &l["released-".len()..])?
            }
            Some(l) => write!(f, " (made by another state of this blueprint, lineage {l})")?,
            None => {}
        }
        Ok(())
    }
}

#[async_trait]
pub trait Provider: Send + Sync {
    /// The AWS account id (`${aws.account_id}`).
    async fn account_id(&self) -> Result<String, ProviderError>;

    /// The ids of the named accounts it reaches besides the caller's (a blueprint's
    /// `accounts:`), by name. None by default.
    async fn accounts(&self) -> Result<BTreeMap<String, String>, ProviderError> {
        Ok(BTreeMap::new())
    }

    /// The AWS organization the caller's account is in ([`ProviderError::NotFound`] when
    /// none), for `${aws.organization_id}`.
    async fn organization(&self) -> Result<Organization, ProviderError> {
        Err(ProviderError::Unsupported("this provider knows no organization".into()))
    }

    /// Reads every resource of `state` and finds resources tagged for `blueprint` that state
    /// does not know.
    async fn refresh(&self, blueprint: &str, state: &State) -> Result<Snapshot, ProviderError>;

    /// [`Self::refresh`] for a blueprint that wants `kinds`: a provider may skip listing kinds
    /// that neither the blueprint, nor state, nor its index of tagged resources has. The
    /// default reads everything.
    async fn refresh_for(
        &self,
        blueprint: &str,
        state: &State,
        kinds: &std::collections::BTreeSet<crate::model::Kind>,
    ) -> Result<Snapshot, ProviderError> {
        let _ = kinds;
        self.refresh(blueprint, state).await
    }

    /// Reads only `kinds` (and the kinds found with them), for a look at one resource: what
    /// a failed create left. No other kind is listed, and state's other kinds are not settled.
    async fn refresh_kinds(
        &self,
        blueprint: &str,
        state: &State,
        kinds: &std::collections::BTreeSet<crate::model::Kind>,
    ) -> Result<Snapshot, ProviderError> {
        self.refresh_for(blueprint, state, kinds).await
    }

    /// Reads what a lookup names (`Model::lookups`; `attrs` holds its `lookup` attribute):
    /// [`ProviderError::NotFound`], saying what was looked for, when nothing matches.
    async fn look_up(&self, address: &Address, attrs: &Attrs) -> Result<crate::state::LiveResource, ProviderError> {
        let _ = attrs;
        Err(ProviderError::Unsupported(format!("this provider cannot look up `{address}`")))
    }

    /// The caller as IAM knows it (a role's ARN for an assumed-role session), for
    /// [`Self::simulate`].
    async fn principal(&self) -> Result<String, ProviderError> {
        Err(ProviderError::Unsupported("this provider has no principal".into()))
    }

    /// IAM's decision (`allowed`, `implicitDeny`, `explicitDeny`) for each action, for
    /// `principal` on any resource (IAM policy simulation).
    async fn simulate(&self, principal: &str, actions: &[String]) -> Result<BTreeMap<String, String>, ProviderError> {
        let _ = (principal, actions);
        Err(ProviderError::Unsupported("this provider cannot simulate policies".into()))
    }

    /// The account's applied value of a Service Quotas quota; `None` when the service does
    /// not know it (then AWS's documented default stands).
    async fn quota(&self, service: &str, code: &str) -> Result<Option<f64>, ProviderError> {
        let _ = (service, code);
        Ok(None)
    }

    /// How much of a quota is in use now.
    async fn in_use(&self, what: &Usage) -> Result<u64, ProviderError> {
        let _ = what;
        Err(ProviderError::Unsupported("this provider cannot count what is in use".into()))
    }

    /// Whether the region is enabled for the account (opt-in regions are not, by default).
    async fn region_enabled(&self) -> Result<bool, ProviderError> {
        Ok(true)
    }

    async fn create(&self, req: Request<'_>) -> Result<Applied, ProviderError>;

    async fn update(&self, req: Request<'_>, id: &str, before: &Attrs) -> Result<Applied, ProviderError>;

    async fn delete(&self, address: &Address, id: &str, attrs: &Attrs) -> Result<(), ProviderError>;

    /// What is left of `blueprint` (made by the state of `lineage` or any other): everything
    /// tagged for it, each confirmed with its owning service (tag indexes keep recently
    /// deleted resources), and the untaggable resources found by the names the blueprint
    /// gives them (`named`). A teardown is complete only when this is empty.
    async fn leftovers(
        &self,
        blueprint: &str,
        lineage: &str,
        named: &[(Address, String)],
    ) -> Result<Vec<Leftover>, ProviderError>;

    /// The labs in this region: every (blueprint, lineage) pair that resources carry in their
    /// `socform:` tags, with the lab's other `socform:` tags (expiry, owner, creation), read
    /// from the tagging index alone (one paginated call). The index may still list resources
    /// deleted moments ago: `refresh` with the lab's lineage says what really exists.
    async fn labs(&self) -> Result<Vec<LabIndex>, ProviderError> {
        Err(ProviderError::Unsupported("this provider cannot list labs".into()))
    }

    /// The id state records for a resource of `kind` that a user names `given` (`socform
    /// import`): an SNS topic is given by name and known by its ARN.
    fn import_id(&self, kind: crate::model::Kind, given: &str, account: &str, region: &str) -> String {
        let _ = (kind, account, region);
        given.to_string()
    }

    /// Stops (`running: false`) or starts an instance, waiting until it is so.
    async fn set_running(&self, address: &Address, id: &str, running: bool) -> Result<(), ProviderError> {
        let _ = (address, id, running);
        Err(ProviderError::Unsupported("this provider cannot stop or start hosts".into()))
    }

    /// Counts of API calls made so far, by service, for `-v` and benchmarks.
    fn call_counts(&self) -> BTreeMap<String, u64> {
        BTreeMap::new()
    }
}
