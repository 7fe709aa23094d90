//! The AWS provider: every resource kind through the official AWS SDK for Rust.
//!
//! One module per service family (`ec2`, `iam`, `s3`, `logs`, `trail`, `notify`, `store`,
//! `config`), each a thin function per API call. SDK errors are mapped once, in
//! [`classify`], into the small [`ProviderError`] enum. Throttling is left to the SDK's
//! standard retry mode; the few documented eventual-consistency errors are retried here, each
//! listed in [`CONSISTENCY_RETRIES`] with the reason.
//!
//! Refresh reads live state per kind with one batched, paginated call wherever the API has
//! one (all groups and their rules, all roles with their policies, all alarms...), never one
//! call per resource where a batch exists. What AWS cannot report back (a friendly image name,
//! the fingerprint of a secret) is carried over from state, so it never causes a diff.
//!
//! **Architecture Invariant:** this is the only module tree that imports `aws_sdk_*`.

mod config;
mod dashboard;
pub mod drill;
mod ec2;
mod findings;
mod iam;
mod kinds;
mod kms;
mod leftovers;
mod logs;
mod lookups;
mod notify;
mod preflight;
mod queries;
mod respond;
mod s3;
pub mod s3state;
mod store;
mod tagging;
mod trail;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::{Applied, Provider, ProviderError, Request};
use crate::address::Address;
use crate::model::{Attrs, Kind};
use crate::state::{LiveResource, Record, Snapshot, State};

/// Where and as whom to talk to AWS.
#[derive(Clone, Debug, Default)]
pub struct AwsOptions {
    pub region: String,
    pub profile: Option<String>,
    /// An emulator or a VPC endpoint; `None` for AWS itself.
    pub endpoint_url: Option<String>,
    /// How long a delete keeps retrying a dependency violation before naming what is in
    /// the way (AWS takes minutes to release an instance's network interfaces).
    pub dependency_wait: Duration,
    /// A role every call is made as (`--role-arn`): an account of an organization, reached
    /// from the caller's own credentials.
    pub assume: Option<AssumeRole>,
}

/// A role to assume (STS AssumeRole), with the caller's credentials as the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    /// The external id the role's trust policy asks for, if any (never printed).
    pub external_id: Option<String>,
    pub session_name: String,
}

pub use crate::model::{TAG_ADDRESS, TAG_BLUEPRINT, TAG_LINEAGE};

pub struct AwsProvider {
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
    s3: aws_sdk_s3::Client,
    cloudtrail: aws_sdk_cloudtrail::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    sns: aws_sdk_sns::Client,
    ssm: aws_sdk_ssm::Client,
    sts: aws_sdk_sts::Client,
    secrets: aws_sdk_secretsmanager::Client,
    config: aws_sdk_config::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
    events: aws_sdk_eventbridge::Client,
    lambda: aws_sdk_lambda::Client,
    guardduty: aws_sdk_guardduty::Client,
    securityhub: aws_sdk_securityhub::Client,
    quotas: aws_sdk_servicequotas::Client,
    kms: aws_sdk_kms::Client,
    organizations: aws_sdk_organizations::Client,
    region: String,
    dependency_wait: Duration,
    account: OnceCell<String>,
    /// API calls by service, counted by [`CallCounter`] on every client.
    calls: Arc<Mutex<BTreeMap<String, u64>>>,
    /// `from_input` secret values given on the command line (see [`Self::with_provided`]).
    provided: crate::model::spec::Provided,
}

impl AwsProvider {
    /// Builds clients from the default credential chain (environment, profile, SSO,
    /// instance role) and the options.
    pub async fn new(opts: &AwsOptions) -> Self {
        let conf = sdk_config(opts).await;
        let calls: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
        let counter = |service: &'static str| CallCounter { service, calls: calls.clone() };
        macro_rules! client {
            ($sdk:ident, $service:literal) => {
                $sdk::Client::from_conf(
                    $sdk::config::Builder::from(&conf)
                        .interceptor(counter($service))
                        .retry_classifier(NotImplemented)
                        .build(),
                )
            };
        }
        Self {
            ec2: client!(aws_sdk_ec2, "ec2"),
            iam: client!(aws_sdk_iam, "iam"),
            s3: aws_sdk_s3::Client::from_conf(
                s3_config(&conf, opts).interceptor(counter("s3")).retry_classifier(NotImplemented).build(),
            ),
            cloudtrail: client!(aws_sdk_cloudtrail, "cloudtrail"),
            logs: client!(aws_sdk_cloudwatchlogs, "logs"),
            cloudwatch: client!(aws_sdk_cloudwatch, "cloudwatch"),
            sns: client!(aws_sdk_sns, "sns"),
            ssm: client!(aws_sdk_ssm, "ssm"),
            sts: client!(aws_sdk_sts, "sts"),
            secrets: client!(aws_sdk_secretsmanager, "secretsmanager"),
            config: client!(aws_sdk_config, "config"),
            tagging: client!(aws_sdk_resourcegroupstagging, "tagging"),
            events: client!(aws_sdk_eventbridge, "events"),
            lambda: client!(aws_sdk_lambda, "lambda"),
            guardduty: client!(aws_sdk_guardduty, "guardduty"),
            securityhub: client!(aws_sdk_securityhub, "securityhub"),
            quotas: client!(aws_sdk_servicequotas, "servicequotas"),
            kms: client!(aws_sdk_kms, "kms"),
            organizations: client!(aws_sdk_organizations, "organizations"),
            region: opts.region.clone(),
            dependency_wait: opts.dependency_wait,
            account: OnceCell::new(),
            calls,
            provided: Default::default(),
        }
    }

    /// The provider, given the `from_input` secret values of the blueprint it applies
    /// (`Loaded::provided`); `from_env` values are read from the environment.
    pub fn with_provided(mut self, provided: crate::model::spec::Provided) -> Self {
        self.provided = provided;
        self
    }

    /// Reads the kinds `want` names, every kind's listing at once (a kind found with another is
    /// listed by it), and settles what they found against state.
    async fn refresh_with(&self, blueprint: &str, state: &State, want: &Want) -> Result<Snapshot, ProviderError> {
        self.refresh_seeing(blueprint, state, want, &BTreeSet::new()).await
    }

    /// [`Self::refresh_with`], also reporting the account-level singletons of `existing` (the
    /// blueprint's) that the account has and this state did not make ([`Snapshot::existing`]).
    async fn refresh_seeing(
        &self,
        blueprint: &str,
        state: &State,
        want: &Want,
        existing: &BTreeSet<Kind>,
    ) -> Result<Snapshot, ProviderError> {
        let mut snap = Snapshot { account_id: Some(self.account_id().await?), ..Default::default() };
        let at = kinds::Listing { blueprint, state, existing };
        let listings = want.0.iter().map(|k| kinds::api(*k).list(self, &at));
        let mut found: BTreeMap<Kind, kinds::Found> = BTreeMap::new();
        for listed in futures_util::future::try_join_all(listings).await? {
            for (kind, f) in listed.found {
                found.entry(kind).or_default().extend(f);
            }
            snap.duplicates.extend(listed.duplicates);
            snap.existing.extend(listed.existing);
        }
        // Every wanted kind a listing reported is settled: what state holds that was not found
        // is gone. A kind state holds that no listing reported is a listing's bug, and never
        // read as "gone" (which would plan to create it again). Whatever state holds that is
        // not wanted is unknown.
        let mut part = Part::default();
        for kind in &want.0 {
            match found.remove(kind) {
                Some(f) => part.settle(state, *kind, f),
                None if state.resources.keys().any(|a| a.kind() == *kind) => {
                    return Err(ProviderError::Fatal(format!(
                        "refresh: no listing reported the {} this state holds (a socform bug; nothing was changed)",
                        kind.noun()
                    )))
                }
                None => {}
            }
        }
        snap.resources.extend(part.resources);
        snap.untracked.extend(part.untracked);
        snap.duplicates.extend(part.duplicates);
        Ok(snap)
    }

    /// An update, and then the tags when they changed (see [`tagging`]).
    pub(super) async fn update_with_tags(
        &self,
        req: Request<'_>,
        id: &str,
        before: &Attrs,
    ) -> Result<Applied, ProviderError> {
        let api = kinds::api(req.address.kind());
        let applied = api.update(self, kinds::Change { req, id, before }).await?;
        if before.get("tags") != req.attrs.get("tags") {
            if let Some(target) = api.tag_target(self, id).await? {
                self.retag(target, &req, before).await?;
            }
        }
        Ok(applied)
    }

    fn tags(&self, req: &Request<'_>, own: &BTreeMap<String, String>) -> Vec<(String, String)> {
        let mut t: Vec<(String, String)> = own.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        t.push((TAG_BLUEPRINT.into(), req.blueprint.into()));
        t.push((TAG_ADDRESS.into(), req.address.to_string()));
        t.push((TAG_LINEAGE.into(), req.lineage.into()));
        t.extend(req.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        t
    }

    /// Whether tags prove the resource is the one `req` would make: blueprint, lineage and
    /// address all agree.
    fn proves(req: &Request<'_>, tags: impl IntoIterator<Item = (String, String)>) -> bool {
        let tags: Vec<(String, String)> = tags.into_iter().collect();
        owned(req.blueprint, req.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))).as_ref()
            == Some(req.address)
    }

    /// The error for a name that is taken by something this state did not make.
    fn not_ours(req: &Request<'_>, id: &str) -> ProviderError {
        Self::not_ours_because(req, "", id)
    }

    /// [`Self::not_ours`] with a word on why (`owned by another account`).
    fn not_ours_because(req: &Request<'_>, why: &str, id: &str) -> ProviderError {
        let noun = req.address.kind().noun();
        let what = if why.is_empty() { noun } else { format!("{noun} ({why})") };
        ProviderError::NotOurs { address: req.address.to_string(), what, id: id.into() }
    }

    /// Runs `f` again while it fails with an error listed in [`CONSISTENCY_RETRIES`], for at
    /// most `budget`, backing off from one to eight seconds.
    async fn settle<T, F, Fut>(&self, what: &str, budget: Duration, mut f: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        let start = std::time::Instant::now();
        let mut delay = Duration::from_secs(1);
        loop {
            match f().await {
                Err(ProviderError::NotYetConsistent(_)) if start.elapsed() < budget => {
                    tokio::time::sleep(delay.min(budget.saturating_sub(start.elapsed()))).await;
                    delay = (delay * 2).min(Duration::from_secs(8));
                }
                Err(ProviderError::NotYetConsistent(m)) => {
                    return Err(ProviderError::NotYetConsistent(format!(
                        "{what}: {m} (still so after {} s of retries)",
                        start.elapsed().as_secs()
                    )))
                }
                other => return other,
            }
        }
    }

    /// Retries a delete refused because something still depends on the resource, for at
    /// most the configured wait, then says what is in the way.
    async fn delete_patiently<F, Fut>(&self, address: &Address, id: &str, mut f: F) -> Result<(), ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), ProviderError>>,
    {
        let start = std::time::Instant::now();
        let mut delay = Duration::from_secs(2);
        loop {
            match f().await {
                Err(ProviderError::DependencyViolation(_)) if start.elapsed() < self.dependency_wait => {
                    tokio::time::sleep(delay.min(self.dependency_wait.saturating_sub(start.elapsed()))).await;
                    delay = (delay * 2).min(Duration::from_secs(15));
                }
                Err(ProviderError::DependencyViolation(m)) => {
                    let users = self.users_of(address, id).await;
                    let by = if users.is_empty() { String::new() } else { format!(" by {}", users.join(", ")) };
                    return Err(ProviderError::DependencyViolation(format!(
                        "{address} is still in use{by} after {}s: {m}",
                        start.elapsed().as_secs()
                    )));
                }
                other => return other,
            }
        }
    }
}

/// The kinds a refresh reads. Kinds that are found through one another go together: a
/// group's rules, a log group's filters, a bucket's policy, a topic's subscriptions, a role's
/// instance profile (the second of each carries no tags the index could show).
#[derive(Clone, Debug)]
pub(super) struct Want(BTreeSet<Kind>);

impl Want {
    pub(super) fn all() -> Self {
        Want(Kind::ALL.iter().copied().collect())
    }

    pub(super) fn closed(mut kinds: BTreeSet<Kind>) -> Self {
        // A kind and the kind it is found with (a filter and its group) are read together.
        for k in Kind::ALL {
            if let Some(with) = k.found_with() {
                if kinds.contains(k) || kinds.contains(&with) {
                    kinds.insert(*k);
                    kinds.insert(with);
                }
            }
        }
        Want(kinds)
    }

    pub(super) fn has(&self, kind: Kind) -> bool {
        self.0.contains(&kind)
    }
}

/// Counts API calls for `-v` and the API-economy benchmarks: one per execution of an
/// operation (a page of a listing is one; the SDK's retries of it are not counted again).
/// Installed on every client, so no call can go uncounted.
#[derive(Debug, Clone)]
pub(super) struct CallCounter {
    pub service: &'static str,
    pub calls: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl aws_smithy_runtime_api::client::interceptors::Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "socform-call-counter"
    }

    fn read_before_execution(
        &self,
        _context: &aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        if let Ok(mut calls) = self.calls.lock() {
            *calls.entry(self.service.to_string()).or_default() += 1;
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextMut<
            '_,
        >,
        _components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        if let Some(m) = cfg.load::<aws_smithy_runtime_api::client::orchestrator::Metadata>() {
            let called = Called { service: m.service().to_string(), operation: m.name().to_string() };
            context.response_mut().add_extension(called);
        }
        Ok(())
    }
}

/// The operation an HTTP answer was for, attached to the answer by [`CallCounter`] so that an
/// error can name the call (the SDK's errors do not).
#[derive(Debug, Clone)]
pub(super) struct Called {
    pub service: String,
    pub operation: String,
}

impl std::fmt::Display for Called {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.service, self.operation)
    }
}

/// Whether an answer without an AWS error code says the endpoint does not implement the call:
/// moto answers "Not yet implemented" (any status) or an HTML page with a 5xx status.
fn says_not_implemented(status: u16, body: &[u8]) -> bool {
    let body = String::from_utf8_lossy(body);
    body.to_ascii_lowercase().contains("not yet implemented")
        || (status >= 500 && (body.contains("<html") || body.contains("NotImplemented")))
}

/// A call the endpoint does not implement fails at once: retrying it (the SDK's standard mode
/// retries every 5xx for about twenty seconds) cannot make it work. An HTML error page says
/// so only for the calls emulators are known to lack ([`AVOIDABLE_CALLS`] and the ones moto
/// answers "not yet implemented"): moto answers the same page for an error of its own under
/// load, which a retry gets past (found by the suite, run beside the mutation tests: a
/// DescribeAlarms mid-apply).
#[derive(Debug)]
pub(super) struct NotImplemented;

impl aws_smithy_runtime_api::client::retries::classifiers::ClassifyRetry for NotImplemented {
    fn classify_retry(
        &self,
        ctx: &aws_smithy_runtime_api::client::interceptors::context::InterceptorContext,
    ) -> aws_smithy_runtime_api::client::retries::classifiers::RetryAction {
        use aws_smithy_runtime_api::client::retries::classifiers::RetryAction;
        match ctx.response() {
            Some(r) if says_not_implemented(r.status().as_u16(), r.body().bytes().unwrap_or_default()) => {
                let body = String::from_utf8_lossy(r.body().bytes().unwrap_or_default()).to_ascii_lowercase();
                let known = r.extension::<Called>().and_then(avoidable).is_some();
                if known || body.contains("not yet implemented") {
                    RetryAction::RetryForbidden
                } else {
                    RetryAction::NoActionIndicated
                }
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "socform-not-implemented"
    }

    fn priority(&self) -> aws_smithy_runtime_api::client::retries::classifiers::RetryClassifierPriority {
        use aws_smithy_runtime_api::client::retries::classifiers::RetryClassifierPriority;
        // After the SDK's own (which call a 5xx transient): this one's verdict is the last.
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Where the blueprint can avoid a call an endpoint may not implement (moto, LocalStack):
/// service and operation, and the setting that makes socform not call it.
const AVOIDABLE_CALLS: &[(&str, &str, &str)] = &[
    ("securityhub", "BatchEnableStandards", "`findings.security_hub.standards: []` (no standards)"),
    ("securityhub", "GetEnabledStandards", "`findings.security_hub.standards: []` (no standards)"),
    ("securityhub", "BatchDisableStandards", "`findings.security_hub.standards: []` (no standards)"),
    ("securityhub", "DescribeStandards", "`findings.security_hub.standards: []` (no standards)"),
    ("cloudwatchlogs", "PutQueryDefinition", "`investigation: { queries: false }` (no saved queries)"),
    ("cloudwatchlogs", "DescribeQueryDefinitions", "`investigation: { queries: false }` (no saved queries)"),
    ("cloudwatchlogs", "DeleteQueryDefinition", "`investigation: { queries: false }` (no saved queries)"),
    ("cloudwatch", "PutDashboard", "`dashboard: { enabled: false }` (no dashboard)"),
    ("securityhub", "ListOrganizationAdminAccounts", "no `organization:` under `findings.security_hub`"),
    ("securityhub", "DisableOrganizationAdminAccount", "no `organization:` under `findings.security_hub`"),
    ("guardduty", "DisableOrganizationAdminAccount", "no `organization:` under `findings.guardduty`"),
    (
        "guardduty",
        "UpdateOrganizationConfiguration",
        "`organization: { auto_enable: false }` under `findings.guardduty`",
    ),
    (
        "guardduty",
        "DescribeOrganizationConfiguration",
        "`organization: { auto_enable: false }` under `findings.guardduty`",
    ),
];

/// The error for a call the endpoint does not implement, naming it and, where the blueprint
/// can avoid it, the setting that does.
fn not_implemented(called: Option<&Called>, status: u16) -> ProviderError {
    let Some(c) = called else {
        return ProviderError::Unsupported(format!("the endpoint does not implement this call (HTTP {status})"));
    };
    let avoid = avoidable(c).map(|how| format!("; the blueprint avoids it with {how}")).unwrap_or_default();
    ProviderError::Unsupported(format!("the endpoint does not implement {c} (HTTP {status}){avoid}"))
}

/// The blueprint setting that avoids `c`, when emulators are known to lack it
/// ([`AVOIDABLE_CALLS`]).
fn avoidable(c: &Called) -> Option<&'static str> {
    let service: String =
        c.service.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
    AVOIDABLE_CALLS.iter().find(|(s, o, _)| service == *s && c.operation == *o).map(|(_, _, how)| *how)
}

/// The SDK configuration for these options: region, profile, endpoint, and the retry settings
/// (standard mode, [`max_attempts`]). Loaded once per process and options, and shared by the
/// provider and the S3 state backend, so both resolve credentials once and retry alike.
pub async fn sdk_config(opts: &AwsOptions) -> aws_config::SdkConfig {
    type Key = (String, Option<String>, Option<String>, Option<AssumeRole>);
    static LOADED: Mutex<Vec<(Key, aws_config::SdkConfig)>> = Mutex::new(Vec::new());
    let key: Key = (opts.region.clone(), opts.profile.clone(), opts.endpoint_url.clone(), opts.assume.clone());
    if let Some((_, c)) = LOADED.lock().unwrap().iter().find(|(k, _)| *k == key) {
        return c.clone();
    }
    let loader = || {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(opts.region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(max_attempts()));
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(e) = &opts.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        loader
    };
    let mut conf = loader().load().await;
    if let Some(a) = &opts.assume {
        // The caller's credentials (as loaded above) sign AssumeRole, at the same endpoint and
        // region; the role's are refreshed before they expire.
        let mut role =
            aws_config::sts::AssumeRoleProvider::builder(&a.role_arn).configure(&conf).session_name(&a.session_name);
        if let Some(x) = &a.external_id {
            role = role.external_id(x);
        }
        conf = loader().credentials_provider(role.build().await).load().await;
    }
    let mut loaded = LOADED.lock().unwrap();
    if let Some((_, c)) = loaded.iter().find(|(k, _)| *k == key) {
        return c.clone();
    }
    loaded.push((key, conf.clone()));
    conf
}

/// The S3 client configuration for these options: path-style addressing against an emulator
/// or endpoint given by URL.
pub fn s3_config(conf: &aws_config::SdkConfig, opts: &AwsOptions) -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::from(conf).force_path_style(opts.endpoint_url.is_some())
}

/// Attempts per call (the SDK retries throttling and transient errors with backoff):
/// `AWS_MAX_ATTEMPTS` when set, as for the AWS CLI, else 5.
fn max_attempts() -> u32 {
    std::env::var("AWS_MAX_ATTEMPTS").ok().and_then(|v| v.parse().ok()).filter(|n| *n >= 1).unwrap_or(5)
}

/// Eventual-consistency errors socform retries, and why. Anything else is not retried here
/// (throttling is retried by the SDK's standard mode).
pub const CONSISTENCY_RETRIES: &[(&str, &str)] = &[
    (
        "InvalidParameterValue: Invalid IAM Instance Profile",
        "RunInstances: a new instance profile takes seconds to be usable by EC2",
    ),
    (
        "InvalidCloudWatchLogsRoleArnException",
        "CreateTrail/UpdateTrail: CloudTrail cannot assume the log delivery role just created",
    ),
    (
        "InvalidCloudWatchLogsLogGroupArnException",
        "CreateTrail/UpdateTrail: the role's new policy is not yet in force for the log group",
    ),
    (
        "InsufficientS3BucketPolicyException",
        "CreateTrail: the bucket policy just written is not yet visible to CloudTrail",
    ),
    (
        "InsufficientDeliveryPolicyException",
        "PutDeliveryChannel: the bucket policy just written is not yet visible to Config",
    ),
    ("InvalidRoleException", "PutConfigurationRecorder: Config cannot assume the role just created"),
    (
        "InvalidTargetBucketForLogging",
        "PutBucketLogging: the grant to the logging service on the target's policy, written beside the bucket, is not there yet",
    ),
    (
        "InvalidParameterValueException: cannot be assumed by Lambda",
        "CreateFunction: Lambda cannot assume the role just created",
    ),
    ("MalformedPolicyDocument: Invalid principal", "a role named in a policy was created seconds ago"),
    ("InvalidGroup.NotFound", "a security group just created is not yet visible to other EC2 calls"),
    ("InvalidSubnetID.NotFound", "a subnet just created is not yet visible to RunInstances"),
    ("InvalidInternetGatewayID.NotFound", "an internet gateway just created is not yet visible to CreateRoute"),
    ("InvalidRouteTableID.NotFound", "a route table just created is not yet visible"),
    ("InvalidNetworkAclID.NotFound", "a network ACL just created is not yet visible to CreateNetworkAclEntry"),
];

/// How long creates wait out eventual consistency.
const SETTLE: Duration = Duration::from_secs(90);

/// Maps an SDK error to socform's provider error, by AWS error code.
pub fn classify<E>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    let code = e.code().unwrap_or("");
    let message = e.message().unwrap_or("");
    let full = format!("{}{}{}", code, if message.is_empty() { "" } else { ": " }, message);
    // The call the answer was for (see `CallCounter`), when an answer came.
    let called = e.raw_response().and_then(|r| r.extension::<Called>());
    let text = match (full.is_empty(), called) {
        // No AWS code to go by: which call it was is the first thing to know.
        (true, Some(c)) => format!("{c}: {}", describe_unexplained(e)),
        (true, None) => describe_unexplained(e),
        (false, _) => full,
    };
    if let SdkError::ResponseError(r) = e {
        // moto answers calls it does not implement with an HTML page.
        if r.raw().status().as_u16() >= 500 && code.is_empty() {
            return not_implemented(called, r.raw().status().as_u16());
        }
    }
    if let SdkError::ServiceError(s) = e {
        let status = s.raw().status().as_u16();
        if code.is_empty() {
            // No AWS error code: what the endpoint sent instead says what happened. moto
            // answers a call it does not implement with "Not yet implemented" (any status) or
            // an HTML page.
            if says_not_implemented(status, s.raw().body().bytes().unwrap_or_default()) {
                return not_implemented(called, status);
            }
            if status == 404 {
                return ProviderError::NotFound(text);
            }
        }
    }
    for (pattern, _) in CONSISTENCY_RETRIES {
        let (c, m) = pattern.split_once(": ").unwrap_or((pattern, ""));
        if code == c && message.contains(m) {
            return ProviderError::NotYetConsistent(text);
        }
    }
    match code {
        c if c.ends_with(".NotFound") || c.ends_with("NotFoundException") || c.ends_with("NotFoundFault") => {
            ProviderError::NotFound(text)
        }
        "NoSuchEntity"
        | "NoSuchBucket"
        | "NoSuchBucketPolicy"
        | "NoSuchKey"
        | "NotFound"
        | "ParameterNotFound"
        | "ResourceNotFoundException"
        | "NoSuchConfigurationRecorderException"
        | "NoSuchDeliveryChannelException"
        | "NoSuchConfigRuleException"
        | "ResourceNotFound"
        | "NoSuchPublicAccessBlockConfiguration" => ProviderError::NotFound(text),
        c if c.contains("AlreadyExists") || c.ends_with(".Duplicate") => ProviderError::AlreadyExists(text),
        "EntityAlreadyExists" | "BucketAlreadyOwnedByYou" | "BucketAlreadyExists" | "ResourceExistsException" => {
            ProviderError::AlreadyExists(text)
        }
        "DependencyViolation"
        | "DeleteConflict"
        | "BucketNotEmpty"
        | "ResourceInUse"
        | "ResourceInUseException"
        | "LastDeliveryChannelDeleteFailedException" => ProviderError::DependencyViolation(text),
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException" | "SlowDown" => {
            ProviderError::Throttled(format!(
                "{text} (AWS still asked to slow down after every retry: run again later, lower --parallelism, or raise AWS_MAX_ATTEMPTS)"
            ))
        }
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" | "TokenRefreshRequired" => ProviderError::Fatal(format!(
            "the AWS credentials have expired ({code}): renew them (`aws sso login`, or new temporary keys) and run again"
        )),
        "InvalidClientTokenId" | "UnrecognizedClientException" | "SignatureDoesNotMatch" | "AuthFailure"
        | "InvalidAccessKeyId" => ProviderError::Fatal(format!(
            "AWS does not accept these credentials ({code}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --profile"
        )),
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "AuthorizationError"
        | "UnauthorizedAccess" => ProviderError::Fatal(format!(
            "access denied: {}; the credentials in use need this permission (an IAM policy allowing the action on the resource)",
            if message.is_empty() { code } else { message }
        )),
        "NotImplemented" | "InvalidAction" => match called {
            Some(c) => ProviderError::Unsupported(format!("{text} ({c})")),
            None => ProviderError::Unsupported(text),
        },
        _ => ProviderError::Fatal(text),
    }
}

/// `-v`: errors without an AWS error code also carry the SDK's chain of causes.
pub static SHOW_ERROR_CHAINS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// An SDK error that carries no AWS error code, in words a person can act on: never the
/// SDK's Debug dump (with `-v`, the chain of causes as the SDK displays it, after the words).
fn describe_unexplained<E>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> String
where
    E: std::error::Error + 'static,
{
    let words = in_words(e);
    if SHOW_ERROR_CHAINS.load(std::sync::atomic::Ordering::Relaxed) {
        // Each cause's Display, outermost first (DisplayErrorContext would end in a Debug dump).
        let mut chain = vec![e.to_string()];
        let mut cur: &(dyn std::error::Error + 'static) = e;
        while let Some(next) = cur.source() {
            chain.push(next.to_string());
            cur = next;
        }
        format!("{words}\n  caused by: {}", chain.join(": "))
    } else {
        words
    }
}

fn in_words<E>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> String
where
    E: std::error::Error + 'static,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    // The innermost cause (an io error such as "Connection refused (os error 111)").
    let root = |e: &(dyn std::error::Error + 'static)| {
        let mut cur = e;
        while let Some(next) = cur.source() {
            cur = next;
        }
        cur.to_string()
    };
    let chain = format!("{}", aws_smithy_types::error::display::DisplayErrorContext(e));
    if chain.contains("credentials") && matches!(e, SdkError::DispatchFailure(_)) {
        return "no AWS credentials were found (environment, shared config and credentials files, SSO, container and instance roles were tried): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --profile".into();
    }
    match e {
        SdkError::DispatchFailure(d) => match d.as_connector_error() {
            Some(c) => format!("cannot reach the endpoint: {}", root(c)),
            None => "cannot reach the endpoint".into(),
        },
        SdkError::TimeoutError(_) => "the call timed out".into(),
        SdkError::ResponseError(r) => format!("the endpoint's answer could not be read (HTTP {})", r.raw().status()),
        SdkError::ServiceError(s) => format!("the endpoint answered HTTP {} with no AWS error code", s.raw().status()),
        _ => root(e),
    }
}

/// `map_err` helper: classify and count the call.
trait Classify<T> {
    fn aws(self) -> Result<T, ProviderError>;
}

impl<T, E> Classify<T>
    for Result<T, aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    fn aws(self) -> Result<T, ProviderError> {
        self.map_err(|e| classify(&e))
    }
}

/// The AWS name a resource of `kind` is given, for kinds named by the blueprint.
fn name_of(kind: Kind, attrs: &Attrs) -> Option<String> {
    attrs.get(kind.name_attr()?).and_then(Value::as_str).map(str::to_string)
}

/// Reads a typed spec from resolved attributes.
fn spec<T: serde::de::DeserializeOwned>(address: &Address, attrs: &Attrs) -> Result<T, ProviderError> {
    crate::model::spec::from_attrs(attrs)
        .map_err(|e| ProviderError::Fatal(format!("{address}: attributes do not fit: {e}")))
}

fn outputs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Live attributes: what AWS reported, laid over what state recorded (for what AWS cannot
/// report back).
fn merged(rec: &Record, read: Attrs) -> Attrs {
    let mut a = rec.attributes.clone();
    a.extend(read);
    a
}

fn live(rec: &Record, id: impl Into<String>, read: Attrs, outs: BTreeMap<String, String>) -> LiveResource {
    let mut o = rec.outputs.clone();
    o.extend(outs);
    LiveResource { id: id.into(), attributes: merged(rec, read), outputs: o }
}

/// Tags as a sorted map, without socform's own.
fn user_tags<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    let m: BTreeMap<&str, &str> = pairs.into_iter().filter(|(k, _)| !k.starts_with(crate::model::TAG_PREFIX)).collect();
    serde_json::to_value(m).expect("tags serialise")
}

/// The keys of the user tags recorded in `before` that `now` no longer has: the tags an
/// update must remove (setting tags only adds and overwrites).
fn removed_tag_keys(before: &Attrs, now: &BTreeMap<String, String>) -> Vec<String> {
    let old: BTreeMap<String, String> =
        before.get("tags").and_then(|t| serde_json::from_value(t.clone()).ok()).unwrap_or_default();
    old.into_keys().filter(|k| !now.contains_key(k)).collect()
}

/// The address a resource's socform tags name, if they prove it belongs to this state: the
/// blueprint and the lineage both match. A blueprint tag alone proves nothing (another lab
/// of the same blueprint, or a hand-made look-alike); foreign tag values never panic.
fn owned<'a>(blueprint: &str, lineage: &str, tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<Address> {
    let mut bp = None;
    let mut lin = None;
    let mut addr = None;
    for (k, v) in tags {
        match k {
            TAG_BLUEPRINT => bp = Some(v),
            TAG_LINEAGE => lin = Some(v),
            TAG_ADDRESS => addr = Address::parse(v).ok(),
            _ => {}
        }
    }
    let lineage_ok = lineage == ANY_LINEAGE || (lin == Some(lineage) && !lineage.is_empty());
    (bp == Some(blueprint) && lineage_ok).then_some(addr).flatten()
}

/// A lineage no state has (state lineages are UUIDs): refresh with a state of this lineage
/// reports everything tagged for the blueprint, whoever made it. Only the leftover check,
/// which reports and never adopts or deletes, uses it.
const ANY_LINEAGE: &str = "*any lineage*";

/// The text that proves a resource with no tags is a state's own (a dashboard's text widget,
/// a saved query's comment line): socform's three ownership tags as `KEY=VALUE` pairs.
fn ownership_marker(req: &Request<'_>) -> String {
    format!("{TAG_BLUEPRINT}={} {TAG_ADDRESS}={} {TAG_LINEAGE}={}", req.blueprint, req.address, req.lineage)
}

/// The `KEY=VALUE` pairs of a marker ([`ownership_marker`]), for [`owned`].
fn marker_pairs(text: &str) -> Vec<(String, String)> {
    text.split_whitespace().filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The records of `state` of one kind.
fn of_kind(state: &State, kind: Kind) -> Vec<(&Address, &Record)> {
    state.resources.iter().filter(|(a, _)| a.kind() == kind).collect()
}

#[async_trait]
impl Provider for AwsProvider {
    async fn account_id(&self) -> Result<String, ProviderError> {
        self.account
            .get_or_try_init(|| async {
                let out = self.sts.get_caller_identity().send().await.aws()?;
                out.account()
                    .map(str::to_string)
                    .ok_or_else(|| ProviderError::Fatal("STS returned no account id".into()))
            })
            .await
            .cloned()
    }

    async fn organization(&self) -> Result<crate::provider::Organization, ProviderError> {
        let out = self.organizations.describe_organization().send().await;
        let org = match out {
            Ok(o) => o.organization,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_aws_organizations_not_in_use_exception()) => {
                return Err(ProviderError::NotFound("the account is in no AWS organization".into()))
            }
            Err(e) => return Err(e).aws(),
        };
        let org = org.ok_or_else(|| ProviderError::Fatal("DescribeOrganization returned no organization".into()))?;
        Ok(crate::provider::Organization {
            id: org.id.unwrap_or_default(),
            management_account: org.master_account_id.unwrap_or_default(),
        })
    }

    async fn refresh(&self, blueprint: &str, state: &State) -> Result<Snapshot, ProviderError> {
        self.refresh_with(blueprint, state, &Want::all()).await
    }

    async fn refresh_for(
        &self,
        blueprint: &str,
        state: &State,
        kinds: &BTreeSet<Kind>,
    ) -> Result<Snapshot, ProviderError> {
        let mut wanted = kinds.clone();
        wanted.extend(state.resources.keys().map(Address::kind));
        // The index can only add kinds: when the blueprint and state want every kind, it
        // would be a call for nothing.
        // The index is asked only about the kinds not wanted yet (and skipped when none of
        // those is in it): what is wanted already would come back for nothing.
        let mut want = Want::closed(wanted);
        let missing: Vec<Kind> = Kind::ALL.iter().copied().filter(|k| !want.has(*k)).collect();
        if !missing.is_empty() {
            let mut more = want.0;
            more.extend(self.indexed_kinds(blueprint, &missing).await?);
            want = Want::closed(more);
        }
        let singletons: BTreeSet<Kind> = kinds.iter().copied().filter(|k| k.one_per_account()).collect();
        self.refresh_seeing(blueprint, state, &want, &singletons).await
    }

    async fn look_up(&self, address: &Address, attrs: &Attrs) -> Result<LiveResource, ProviderError> {
        self.look_up_resource(address, attrs).await
    }

    async fn principal(&self) -> Result<String, ProviderError> {
        self.principal_arn().await
    }

    async fn simulate(&self, principal: &str, actions: &[String]) -> Result<BTreeMap<String, String>, ProviderError> {
        self.simulate_actions(principal, actions).await
    }

    async fn quota(&self, service: &str, code: &str) -> Result<Option<f64>, ProviderError> {
        self.applied_quota(service, code).await
    }

    async fn in_use(&self, what: &crate::provider::Usage) -> Result<u64, ProviderError> {
        self.usage(what).await
    }

    async fn region_enabled(&self) -> Result<bool, ProviderError> {
        self.region_opted_in().await
    }

    async fn refresh_kinds(
        &self,
        blueprint: &str,
        state: &State,
        kinds: &BTreeSet<Kind>,
    ) -> Result<Snapshot, ProviderError> {
        self.refresh_with(blueprint, state, &Want::closed(kinds.clone())).await
    }

    async fn create(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        // A name taken by something else: say so in one form, with the way to take it over.
        kinds::api(req.address.kind()).create(self, req).await.map_err(|e| match e {
            ProviderError::AlreadyExists(m) => match name_of(req.address.kind(), req.attrs) {
                Some(name) => Self::not_ours(&req, &name),
                None => ProviderError::AlreadyExists(m),
            },
            other => other,
        })
    }

    async fn update(&self, req: Request<'_>, id: &str, before: &Attrs) -> Result<Applied, ProviderError> {
        self.update_with_tags(req, id, before).await
    }

    async fn delete(&self, address: &Address, id: &str, attrs: &Attrs) -> Result<(), ProviderError> {
        // `InvalidRouteTableID.NotFound` and the like are listed in CONSISTENCY_RETRIES for
        // creates that name a resource made seconds ago; deleting the resource itself, they
        // mean it is gone (an earlier attempt whose answer was lost), which is the goal.
        match kinds::api(address.kind()).delete(self, kinds::Doomed { address, id, attrs }).await {
            Err(ProviderError::NotYetConsistent(m)) if m.contains(".NotFound") => Err(ProviderError::NotFound(m)),
            other => other,
        }
    }

    async fn leftovers(
        &self,
        blueprint: &str,
        lineage: &str,
        named: &[(Address, String)],
    ) -> Result<Vec<crate::provider::Leftover>, ProviderError> {
        self.find_leftovers(blueprint, lineage, named).await
    }

    async fn labs(&self) -> Result<Vec<crate::provider::LabIndex>, ProviderError> {
        self.lab_index().await
    }

    async fn set_running(&self, address: &Address, id: &str, running: bool) -> Result<(), ProviderError> {
        self.set_instance_running(address, id, running).await
    }

    fn call_counts(&self) -> BTreeMap<String, u64> {
        self.calls.lock().unwrap().clone()
    }

    fn import_id(&self, kind: Kind, given: &str, account: &str, region: &str) -> String {
        match kind {
            Kind::SnsTopic if !given.starts_with("arn:") => notify::topic_arn(region, account, given),
            _ => given.to_string(),
        }
    }
}

/// What one service family found.
#[derive(Default)]
struct Part {
    resources: BTreeMap<Address, Option<LiveResource>>,
    untracked: BTreeMap<Address, LiveResource>,
    duplicates: Vec<(Address, LiveResource)>,
}

impl Part {
    /// Records what was found for the state records of one kind, and what carries our tags
    /// but is not in state. `found` maps physical id to (tags' address, live resource).
    fn settle(&mut self, state: &State, kind: Kind, found: BTreeMap<String, (Option<Address>, LiveResource)>) {
        let mut known_ids = std::collections::BTreeSet::new();
        for (addr, rec) in of_kind(state, kind) {
            known_ids.insert(rec.id.clone());
            self.resources.insert(addr.clone(), found.get(&rec.id).map(|(_, l)| l.clone()));
        }
        for (id, (addr, l)) in found {
            let Some(a) = addr else { continue };
            if known_ids.contains(&id) {
                continue;
            }
            // Another resource with this state's tags for an address that already has one:
            // a create that took effect twice (its first answer was lost and the SDK
            // retried). Provably this state's own, and not the one state tracks.
            if state.resources.contains_key(&a) || self.untracked.contains_key(&a) {
                self.duplicates.push((a, l));
            } else {
                self.untracked.insert(a, l);
            }
        }
    }
}

/// An empty record, for resources found by their tags that state does not know.
fn blank(kind: Kind) -> Record {
    Record { kind, id: String::new(), attributes: Attrs::new(), outputs: BTreeMap::new(), dependencies: vec![] }
}
