//! One kind, one implementation. Every resource kind's AWS code is one type implementing
//! [`KindApi`] (create, update, delete, list, and where its tags are set), in a file of its
//! own under its service's module, and [`api`] is the one exhaustive `match` that finds it:
//! a kind left out does not compile.
//!
//! What is the same for every kind is done once, around the trait: a changed `tags` attribute
//! is written through [`TagTarget`] by the provider's generic update, one tagging form per
//! service; what a listing found is settled against state by the provider's refresh.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{owned, AwsProvider};
use crate::address::Address;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use crate::state::{LiveResource, Record, State};

/// What a listing found of one kind: physical id to the address its socform tags (or marker)
/// prove for this state, and the resource as it is.
pub(super) type Found = BTreeMap<String, (Option<Address>, LiveResource)>;

/// What one listing found. A kind and the kind found with it (its row's `found_with`: a
/// group's rules, a bucket's policy) are listed together by the first: the second's `list`
/// returns nothing.
#[derive(Default)]
pub(super) struct Listed {
    pub found: BTreeMap<Kind, Found>,
    /// More resources with this state's tags for an address that has one (see
    /// [`crate::state::Snapshot::duplicates`]).
    pub duplicates: Vec<(Address, LiveResource)>,
    /// Account-level singletons the account has that this state did not make, for the kinds
    /// the listing was asked to look for ([`Listing::sees_existing`]).
    pub existing: BTreeMap<Kind, LiveResource>,
}

impl Listed {
    pub fn of(kind: Kind, found: Found) -> Self {
        let mut l = Listed::default();
        l.found.insert(kind, found);
        l
    }

    /// Nothing: for the kinds listed with the kind they are found with.
    pub fn with_host() -> Self {
        Listed::default()
    }
}

/// What a listing is for: the blueprint whose tags it looks for, and the state whose records
/// it reads.
pub(super) struct Listing<'a> {
    pub blueprint: &'a str,
    pub state: &'a State,
    /// The account-level singletons the blueprint has: one the account has already is reported
    /// in [`Listed::existing`].
    pub existing: &'a std::collections::BTreeSet<Kind>,
}

impl Listing<'_> {
    /// The state record of `kind` whose physical id is `id`.
    pub fn record(&self, kind: Kind, id: &str) -> Option<&Record> {
        self.state.resources.values().find(|r| r.kind == kind && r.id == id)
    }

    /// Whether to report an existing `kind` this state did not make.
    pub fn sees_existing(&self, kind: Kind) -> bool {
        self.existing.contains(&kind)
    }

    /// The address tags prove for this blueprint and state's lineage.
    pub fn owned<'t>(&self, tags: impl IntoIterator<Item = (&'t str, &'t str)>) -> Option<Address> {
        owned(self.blueprint, &self.state.lineage, tags)
    }
}

/// An update: what the plan wants, the resource's id, and its attributes as state recorded
/// them.
#[derive(Clone, Copy)]
pub(super) struct Change<'a> {
    pub req: Request<'a>,
    pub id: &'a str,
    pub before: &'a Attrs,
}

impl Change<'_> {
    /// Whether the plan changes attribute `k`.
    pub fn changed(&self, k: &str) -> bool {
        self.before.get(k) != self.req.attrs.get(k)
    }

    /// What an update that changes no output leaves: the id, the wanted attributes.
    pub fn kept(&self) -> Applied {
        Applied { id: self.id.to_string(), attributes: self.req.attrs.clone(), outputs: BTreeMap::new() }
    }
}

/// A delete: the address, the id, and the attributes state recorded.
#[derive(Clone, Copy)]
pub(super) struct Doomed<'a> {
    pub address: &'a Address,
    pub id: &'a str,
    pub attrs: &'a Attrs,
}

/// Where a resource's tags are written: one form per service's tagging calls.
pub(super) enum TagTarget {
    /// EC2 resources by id (an instance with its volumes).
    Ec2(Vec<String>),
    IamRole(String),
    InstanceProfile(String),
    /// S3 replaces a bucket's whole tag set in one call.
    S3Bucket(String),
    /// A log group's ARN.
    Logs(String),
    /// A CloudWatch alarm's ARN.
    CloudWatch(String),
    /// A trail's ARN.
    CloudTrail(String),
    /// A topic's ARN.
    Sns(String),
    /// A parameter's name.
    Ssm(String),
    /// A secret's ARN.
    Secret(String),
    /// A KMS key's id.
    Kms(String),
    /// A Config rule's ARN.
    Config(String),
    /// An EventBridge rule's ARN.
    Events(String),
    /// A function's ARN.
    Lambda(String),
    /// A detector's or hub's ARN.
    GuardDuty(String),
    SecurityHub(String),
}

/// One kind's AWS code.
#[async_trait]
pub(super) trait KindApi: Send + Sync {
    /// Makes it. A name taken by something this state did not make is
    /// [`ProviderError::NotOurs`], never taken over.
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError>;

    /// Changes in place what the plan says changed, but its tags: the generic update writes
    /// those after this returns (see [`Self::tag_target`]).
    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError>;

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError>;

    /// Every resource of the kind that the state knows or whose tags prove it this state's
    /// own, read in as few calls as the API allows.
    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError>;

    /// Where the tags of resource `id` are written; `None` for a kind AWS gives no tags.
    async fn tag_target(&self, aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError>;
}

/// The implementation of `kind`: the one exhaustive registration.
pub(super) fn api(kind: Kind) -> &'static dyn KindApi {
    use super::{config, dashboard, ec2, findings, iam, kms, logs, notify, queries, respond, s3, store, trail};
    match kind {
        Kind::Vpc => &ec2::vpc::Vpc,
        Kind::Subnet => &ec2::subnet::Subnet,
        Kind::InternetGateway => &ec2::internet_gateway::InternetGateway,
        Kind::RouteTable => &ec2::route_table::RouteTable,
        Kind::NetworkAcl => &ec2::network_acl::NetworkAcl,
        Kind::SecurityGroup => &ec2::security_group::SecurityGroup,
        Kind::SecurityGroupRule => &ec2::security_group_rule::SecurityGroupRule,
        Kind::Instance => &ec2::instance::Instance,
        Kind::FlowLog => &ec2::flow_log::FlowLog,
        Kind::EbsEncryption => &ec2::ebs_encryption::EbsEncryption,
        Kind::IamRole => &iam::role::IamRole,
        Kind::InstanceProfile => &iam::instance_profile::InstanceProfile,
        Kind::IamPasswordPolicy => &iam::password_policy::IamPasswordPolicy,
        Kind::S3Bucket => &s3::bucket::S3Bucket,
        Kind::S3BucketPolicy => &s3::bucket_policy::S3BucketPolicy,
        Kind::LogGroup => &logs::log_group::LogGroup,
        Kind::MetricFilter => &logs::metric_filter::MetricFilter,
        Kind::Alarm => &logs::alarm::Alarm,
        Kind::Trail => &trail::Trail,
        Kind::KmsKey => &kms::KmsKey,
        Kind::SnsTopic => &notify::topic::SnsTopic,
        Kind::SnsSubscription => &notify::subscription::SnsSubscription,
        Kind::SsmParameter => &store::parameter::SsmParameter,
        Kind::Secret => &store::secret::Secret,
        Kind::ConfigRecorder => &config::recorder::ConfigRecorder,
        Kind::ConfigDeliveryChannel => &config::delivery_channel::ConfigDeliveryChannel,
        Kind::ConfigAggregator => &config::aggregator::ConfigAggregator,
        Kind::GuarddutyAdmin => &findings::organization::Admin(Kind::GuarddutyAdmin),
        Kind::SecurityhubAdmin => &findings::organization::Admin(Kind::SecurityhubAdmin),
        Kind::GuarddutyOrgConfig => &findings::organization::OrgConfig(Kind::GuarddutyOrgConfig),
        Kind::SecurityhubOrgConfig => &findings::organization::OrgConfig(Kind::SecurityhubOrgConfig),
        Kind::ConfigRule => &config::rule::ConfigRule,
        Kind::EventRule => &respond::event_rule::EventRule,
        Kind::LambdaFunction => &respond::function::LambdaFunction,
        Kind::LambdaPermission => &respond::permission::LambdaPermission,
        Kind::GuarddutyDetector => &findings::detector::GuarddutyDetector,
        Kind::SecurityHub => &findings::hub::SecurityHub,
        Kind::Dashboard => &dashboard::Dashboard,
        Kind::QueryDefinition => &queries::QueryDefinition,
    }
}
