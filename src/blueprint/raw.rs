//! The blueprint language as written: raw types, straight from YAML.
//!
//! These types say what a blueprint may contain and nothing more: every key, its type, its
//! default. They carry source locations ([`Sp`]) where later checks need to point. What the
//! values *mean* (references, CIDR arithmetic, AWS naming rules, generated resources) is the
//! business of [`super::lower`]. The JSON Schema printed by `socform schema` is derived from
//! these types and their doc comments.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::node::Sp;

/// Free-form tags: key to value.
pub type Tags = BTreeMap<String, String>;

/// A socform blueprint: one environment, applied and destroyed as a whole.
#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Blueprint {
    /// Name of the blueprint: lowercase letters, digits and `-`. Names the state file and the
    /// `socform:blueprint` tag of every resource.
    pub blueprint: String,
    /// AWS region, such as `us-east-1`.
    pub region: String,
    /// The only AWS accounts this blueprint may be applied to or destroyed in (12-digit ids,
    /// quoted). Any other account is refused before a single write, as Terraform's
    /// `allowed_account_ids` does.
    #[serde(default)]
    pub allowed_accounts: Vec<String>,
    /// The accounts the blueprint spans besides the caller's own, by name: how socform
    /// reaches each (a role to assume). A resource or section says `account: NAME` to be made
    /// there; `${account.NAME.id}` is its id. One plan and one state hold them all.
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountEntry>,
    /// What this environment is for.
    pub description: Option<String>,
    /// Values set by whoever applies the blueprint, referenced as `${input.NAME}` in any
    /// value: `--var NAME=VALUE` wins over `--var-file FILE`, which wins over the environment
    /// variable `SOCFORM_VAR_NAME`, which wins over `default`.
    #[serde(default)]
    pub inputs: BTreeMap<String, Input>,
    /// Values printed after apply and by `socform output`, such as how to reach a host.
    /// Each is a text that may use `${host.NAME.id}`-style references and `${input.NAME}`.
    #[serde(default)]
    pub outputs: BTreeMap<String, Output>,
    /// Renamed resources: `- { from: host.old, to: host.new }` keeps what `old` made under
    /// its new name instead of replacing it.
    #[serde(default)]
    pub moved: Vec<Moved>,
    /// A lab's lifetime and owner, written on every resource that carries tags.
    pub lab: Option<LabSettings>,
    /// Tags put on every resource that AWS lets carry tags.
    #[serde(default)]
    pub tags: Tags,
    pub network: Option<Network>,
    /// Security groups by name.
    #[serde(default)]
    pub security_groups: BTreeMap<String, SecurityGroup>,
    pub iam: Option<Iam>,
    /// S3 buckets by name.
    #[serde(default)]
    pub buckets: BTreeMap<String, Bucket>,
    pub trail: Option<Trail>,
    /// CloudWatch Logs log groups by name.
    #[serde(default)]
    pub log_groups: BTreeMap<String, LogGroup>,
    /// Detections: each becomes a metric filter and an alarm. An item may also be a pack
    /// of catalog entries (`- pack: stratus`).
    #[serde(default)]
    pub detections: Vec<DetectionItem>,
    /// SNS topics by name, with their subscribers.
    #[serde(default)]
    pub notifications: BTreeMap<String, Notification>,
    /// SSM Parameter Store parameters by name.
    #[serde(default)]
    pub parameters: BTreeMap<String, Parameter>,
    /// Secrets Manager secrets by name.
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretDef>,
    pub config: Option<Config>,
    /// EC2 hosts by name.
    #[serde(default)]
    pub hosts: BTreeMap<String, Host>,
    /// Automated responses by name: a trigger (API calls, a Config rule turning
    /// non-compliant, GuardDuty findings) and what runs (a Lambda function, an SSM Automation
    /// runbook, notification topics), wired through an EventBridge rule.
    #[serde(default)]
    pub responses: BTreeMap<String, Response>,
    /// Managed detectors: GuardDuty and Security Hub, their findings routed to topics.
    pub findings: Option<Findings>,
    /// Settings of the account itself, in the blueprint's region.
    pub account: Option<AccountSettings>,
    /// What exists already and is only read, never made, changed or deleted (Terraform's data
    /// sources): log groups detections may watch.
    pub lookups: Option<Lookups>,
    /// The CloudWatch dashboard generated from the detections (default: one, when the
    /// blueprint has detections).
    pub dashboard: Option<DashboardSettings>,
    /// Investigation aids generated from the detections: a Logs Insights saved query per
    /// detection (`queries: true`).
    pub investigation: Option<Investigation>,
    pub lint: Option<Lint>,
}

/// One account a blueprint spans.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// The role socform assumes there (`arn:aws:iam::ID:role/NAME`, such as the
    /// `OrganizationAccountAccessRole` an organization makes in its member accounts). Without
    /// one, the account is the caller's own: a name for it, for `${account.NAME.id}`.
    pub role_arn: Option<Sp<String>>,
    /// The external id the role's trust policy asks for (never printed).
    pub external_id: Option<String>,
    /// The session name CloudTrail records for socform's calls there (default `socform`).
    pub session_name: Option<Sp<String>>,
    /// The only account ids it may be (quoted). Without them a role's account is pinned to
    /// the id its ARN names, and the first apply's ids are recorded in state and pinned.
    #[serde(default)]
    pub allowed_accounts: Vec<Sp<String>>,
}

/// One automated response.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    pub description: Option<String>,
    /// What sets it off: exactly one of `api_calls`, `config_noncompliant`, `guardduty`.
    pub trigger: Sp<Trigger>,
    /// A Lambda function whose code lives beside the blueprint.
    pub function: Option<Sp<Function>>,
    /// An SSM Automation runbook started with values from the event.
    pub runbook: Option<Sp<Runbook>>,
    /// Notification topics (keys of `notifications`) sent the event.
    #[serde(default)]
    pub notify: Vec<Sp<String>>,
    /// `false` keeps the rule but disables it (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// CloudTrail-recorded API calls: `{ source: ec2.amazonaws.com, names: [AuthorizeSecurityGroupIngress] }`.
    pub api_calls: Option<Sp<ApiCalls>>,
    /// Config rules (keys of `config.rules`) whose evaluation turns NON_COMPLIANT.
    pub config_noncompliant: Option<Sp<Vec<Sp<String>>>>,
    /// GuardDuty findings at or above a severity (1 to 8.9; 7 is high).
    pub guardduty: Option<Sp<SeverityAtLeast>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiCalls {
    /// The event source, such as `ec2.amazonaws.com`.
    pub source: Sp<String>,
    /// Event names, such as `AuthorizeSecurityGroupIngress`.
    pub names: Vec<Sp<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityAtLeast {
    pub min_severity: Sp<f64>,
    /// Only findings about these accounts (12-digit ids, quoted): the organization's member
    /// accounts whose findings reach their GuardDuty administrator. Default: any account.
    #[serde(default)]
    pub accounts: Vec<Sp<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Function {
    /// Folder of the code, relative to the blueprint's folder (packaged into a zip).
    pub code: Sp<String>,
    /// `FILE.FUNCTION`, such as `handler.lambda_handler`.
    pub handler: Sp<String>,
    /// Such as `python3.12` (the default).
    pub runtime: Option<Sp<String>>,
    /// Seconds (default 60, at most 900).
    pub timeout: Option<Sp<i64>>,
    /// MB (default 128).
    pub memory: Option<Sp<i64>>,
    /// Environment variables; values may use references such as `${topic.alerts.arn}`.
    #[serde(default)]
    pub environment: BTreeMap<String, Sp<String>>,
    /// What the function may do: its least-privilege policy (it may always write its logs).
    #[serde(default)]
    pub statements: Vec<Sp<Statement>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    /// The Automation document, such as `AWSConfigRemediation-RemoveUnrestrictedSourceIngressRules`.
    pub document: Sp<String>,
    /// Parameters: a JSON path into the event (`$.detail.requestParameters.groupId`) or a value.
    #[serde(default)]
    pub parameters: BTreeMap<String, Sp<String>>,
    /// What the runbook's steps may do (the role it runs as).
    #[serde(default)]
    pub statements: Vec<Sp<Statement>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    /// `true` turns on EBS encryption by default: every new volume in the region is
    /// encrypted (CIS AWS Foundations 2.2.1). Hosts are made after it. Destroy turns it off
    /// again only if this blueprint turned it on; one that was on already stays on.
    #[serde(default)]
    pub ebs_encryption_by_default: bool,
    /// The account's IAM password policy (CIS AWS Foundations 1.8 and 1.9). Every field has
    /// the benchmark's value by default: `password_policy: {}` is CIS's policy.
    pub password_policy: Option<Sp<PasswordPolicy>>,
    /// A role for AWS Support (CIS AWS Foundations 1.17): `AWSSupportAccess`, assumable by the
    /// account's own principals (its IAM policies say who). The role is
    /// `BLUEPRINT-support`, an ordinary role of this blueprint (`iam_role.support`).
    #[serde(default)]
    pub support_role: bool,
}

/// The account's IAM password policy. Defaults are CIS AWS Foundations 3.0's.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicy {
    /// 6 to 128 (default 14).
    pub minimum_length: Option<Sp<i64>>,
    /// Earlier passwords that may not be used again, 1 to 24 (default 24); 0: no such rule.
    pub reuse_prevention: Option<Sp<i64>>,
    /// Days a password lasts, 1 to 1095; absent or 0: no expiry (the default).
    pub max_age_days: Option<Sp<i64>>,
    /// Character classes every password must have: `symbols`, `numbers`, `uppercase` and
    /// `lowercase` (default: all four).
    pub require: Option<Vec<Sp<String>>>,
    /// Users may change their own password (default true).
    #[serde(default = "yes")]
    pub allow_users_to_change: bool,
    /// An expired password needs an administrator to reset it (default false).
    #[serde(default)]
    pub hard_expiry: bool,
    /// A policy the account already has: `use` it (the default: it stays as it is), `fail`,
    /// or `replace` it (the plan shows the change; destroy puts the account's policy back).
    #[serde(default)]
    pub if_exists: IfPolicyExists,
}

/// What an account password policy the account already has means for the blueprint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IfPolicyExists {
    /// Use it unchanged (the default).
    #[default]
    Use,
    /// An existing policy is an error.
    Fail,
    /// Set the blueprint's in its place; destroy restores the account's.
    Replace,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lookups {
    /// Log groups that exist, by key: detections watch one with `log_group: KEY`, and one
    /// found through a trail is the detections' default when the blueprint makes no trail.
    #[serde(default)]
    pub log_groups: BTreeMap<String, Sp<LogGroupLookup>>,
    /// Topics that exist, by key: detections, findings and responses notify one like a key of
    /// `notifications`. socform writes no policy on it: for EventBridge (findings, responses)
    /// to publish to it, its owner's policy must allow `events.amazonaws.com`.
    #[serde(default)]
    pub topics: BTreeMap<String, Sp<TopicLookup>>,
    /// A VPC that exists, to place the lab in: security groups are made in it (instead of
    /// `network.vpc`, which makes one).
    pub vpc: Option<Sp<VpcLookup>>,
    /// Subnets that exist (of that VPC), by key: hosts name one with `subnet: KEY`.
    #[serde(default)]
    pub subnets: BTreeMap<String, Sp<SubnetLookup>>,
}

/// A VPC that exists: give exactly one of `id` and `name` (its `Name` tag).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcLookup {
    pub id: Option<Sp<String>>,
    pub name: Option<Sp<String>>,
}

/// A subnet that exists, by id.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetLookup {
    pub id: Sp<String>,
}

/// A topic that exists, by name (in the blueprint's account and region).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicLookup {
    pub name: Sp<String>,
}

/// A log group that exists: give exactly one of `name` and `trail`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogGroupLookup {
    /// The log group's name.
    pub name: Option<Sp<String>>,
    /// The name of a trail that exists (an organization trail, the account's own): the log
    /// group it delivers to. Detections on it need no second trail, whose management events
    /// would be billed.
    pub trail: Option<Sp<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Findings {
    pub guardduty: Option<Sp<GuardDuty>>,
    pub security_hub: Option<Sp<SecurityHubSettings>>,
}

/// What an account-level singleton the account already has (and this blueprint's state did not
/// make) means for the blueprint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IfExists {
    /// Use it: read it, wire the blueprint's routing and rules to it, never change or delete
    /// it (the plan says "uses the existing ..."). The default: a real account's central team
    /// usually owns these.
    #[default]
    Use,
    /// The blueprint must make its own (a self-contained lab): an existing one is an error.
    Fail,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardDuty {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    /// `FIFTEEN_MINUTES` (the default), `ONE_HOUR` or `SIX_HOURS`.
    pub publishing_frequency: Option<Sp<String>>,
    /// Topics (keys of `notifications`) sent findings at or above `min_severity`.
    #[serde(default)]
    pub notify: Vec<Sp<String>>,
    /// 1 to 8.9 (default 7: high).
    pub min_severity: Option<Sp<f64>>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// A detector the account already has: `use` it (the default) or `fail`.
    #[serde(default)]
    pub if_exists: IfExists,
    /// Make its account (`account:`, a member account such as the audit account) the
    /// organization's delegated GuardDuty administrator, designated from the management
    /// account (the caller's).
    pub organization: Option<Sp<OrgAdmin>>,
}

/// The organization's delegated administrator of a security service.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgAdmin {
    /// Every member account, new and existing, gets the service (default true): set by the
    /// administrator account.
    #[serde(default = "yes")]
    pub auto_enable: bool,
    /// An administrator the organization already has (the same account): `use` it (the
    /// default: never undesignated) or `fail`.
    #[serde(default)]
    pub if_exists: IfExists,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityHubSettings {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    /// Standards to enable: `cis-1.2`, `cis-1.4`, `cis-3.0`, `aws-foundational`, `pci-3.2.1`, `nist-800-53`.
    #[serde(default)]
    pub standards: Vec<Sp<String>>,
    /// Topics sent findings at or above `min_severity`.
    #[serde(default)]
    pub notify: Vec<Sp<String>>,
    /// `CRITICAL`, `HIGH` (the default), `MEDIUM`, `LOW` or `INFORMATIONAL`.
    pub min_severity: Option<Sp<String>>,
    /// Security Hub already enabled in the account: `use` it (the default; its standards stay
    /// as they are) or `fail`.
    #[serde(default)]
    pub if_exists: IfExists,
    /// Make its account (`account:`) the organization's delegated Security Hub
    /// administrator, designated from the management account (the caller's).
    pub organization: Option<Sp<OrgAdmin>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Investigation {
    /// A Logs Insights saved query per detection, named `BLUEPRINT/DETECTION`: the events it
    /// watches, with who, from where and what (default false).
    #[serde(default)]
    pub queries: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DashboardSettings {
    /// `false`: no dashboard (default true when there are detections).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Dashboard name (defaults to `BLUEPRINT-detections`).
    pub name: Option<Sp<String>>,
}

/// An input: a value the person applying the blueprint sets.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// `string` (the default), `number`, `bool`, `cidr`, `email` or `list`.
    #[serde(rename = "type", default)]
    pub kind: super::inputs::InputType,
    /// The value when none is set; without one, the input must be set.
    pub default: Option<Sp<serde_json::Value>>,
    /// What the value is for (shown by `socform output` and in reviews).
    pub description: Option<String>,
    /// The only values accepted.
    #[serde(default)]
    pub allowed: Vec<serde_json::Value>,
    /// A regular expression the whole value (each item of a list) must match.
    pub pattern: Option<Sp<String>>,
    /// Never printed or stored; usable only as `from_input` of a secret or SecureString.
    #[serde(default)]
    pub sensitive: bool,
}

/// How long a lab lives and whose it is.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabSettings {
    /// How long after each apply the lab expires, such as `8h`, `90m` or `2d` (1 minute to
    /// 90 days); `apply --expires-in` overrides it. `socform ls` shows the expiry and
    /// `socform reap --expired` removes expired labs.
    pub expires_after: Option<Sp<String>>,
    /// Who the lab belongs to (a person or team), shown by `socform ls`.
    pub owner: Option<Sp<String>>,
}

/// An output: a text shown after apply.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// The text, with references such as `${host.wazuh.private_ip}` or `${topic.alerts.arn}`.
    pub value: Sp<String>,
    pub description: Option<String>,
}

/// A rename: the resource recorded at `from` is kept as `to`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Moved {
    /// The old address, such as `instance.siem` (see `socform state list`).
    pub from: Sp<String>,
    /// The new address, such as `instance.wazuh`.
    pub to: Sp<String>,
}

/// Lint settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lint {
    /// Findings accepted for one resource each, with the reason.
    #[serde(default)]
    pub suppress: Vec<Suppress>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suppress {
    /// Rule id, such as `SOC001`.
    pub rule: Sp<String>,
    /// The resource address, such as `security_group.web`.
    pub resource: Sp<String>,
    /// Why this finding is acceptable here.
    pub reason: Sp<String>,
}

/// The VPC, its subnets, gateway, routes and flow logs.
#[derive(Debug, JsonSchema)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    pub vpc: Sp<Vpc>,
    /// Attach an internet gateway. Defaults to true when any subnet is public.
    pub internet_gateway: Option<bool>,
    /// Subnets by name.
    #[serde(default)]
    pub subnets: BTreeMap<String, Subnet>,
    pub flow_logs: Option<Sp<FlowLogs>>,
    /// Network ACLs by name: stateless, numbered rules at the subnets' edge (CIS 5.1). A
    /// subnet in none keeps the VPC's default ACL, which allows everything.
    #[serde(default)]
    pub acls: BTreeMap<String, NetworkAcl>,
}

/// A network ACL and the subnets it applies to. Rules are evaluated from the lowest
/// `number`; the first that matches decides, and what none matches is denied. An ACL is
/// stateless: answers to traffic a host starts come back in on its ephemeral ports
/// (`1024-65535`), which an ingress rule must allow.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkAcl {
    /// Subnets (keys of `network.subnets`) it applies to; a subnet is in one ACL at most.
    #[serde(default)]
    pub subnets: Vec<Sp<String>>,
    /// The VPC's own default ACL, which holds every subnet no other ACL names (and any made
    /// by hand): socform sets its rules (none: it denies everything) and puts AWS's back
    /// (allow all) when it leaves the blueprint. Takes no `subnets`.
    #[serde(default)]
    pub default: Option<Sp<bool>>,
    #[serde(default)]
    pub ingress: Vec<Sp<AclRule>>,
    #[serde(default)]
    pub egress: Vec<Sp<AclRule>>,
    #[serde(default)]
    pub tags: Tags,
}

/// One numbered rule of a network ACL.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AclRule {
    /// 1 to 32766, once per direction: lower numbers are evaluated first.
    pub number: Sp<i64>,
    /// `allow` or `deny`.
    pub action: Sp<String>,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `all` or an IP protocol number.
    pub protocol: Sp<Scalar>,
    /// A port (`22`) or a range (`"1024-65535"`). Required for tcp and udp.
    pub ports: Option<Sp<Scalar>>,
    /// Ingress: the source CIDR block.
    pub from: Option<Sp<String>>,
    /// Egress: the destination CIDR block.
    pub to: Option<Sp<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vpc {
    /// IPv4 CIDR block, such as `10.0.0.0/16`.
    pub cidr: Sp<String>,
    /// DNS support and DNS hostnames (both default to true).
    #[serde(default = "yes")]
    pub dns: bool,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subnet {
    /// IPv4 CIDR block inside the VPC's.
    pub cidr: Sp<String>,
    /// Availability zone in the blueprint's region, such as `us-east-1a`.
    pub az: Sp<String>,
    /// Public subnets route to the internet gateway and give hosts public addresses.
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowLogs {
    /// `ALL`, `ACCEPT` or `REJECT`.
    #[serde(default = "all_traffic")]
    pub traffic: Sp<String>,
    /// Name of the log group the flow logs go to; socform creates it.
    pub log_group: Sp<String>,
    /// Retention of that log group in days.
    pub retention_days: Option<Sp<i64>>,
    /// Aggregation interval: 60 or 600 seconds.
    #[serde(default = "six_hundred")]
    pub aggregation_seconds: Sp<i64>,
}

/// A security group. Rules name their peer as a CIDR (`0.0.0.0/0`), another group
/// (`sg.NAME`) or the group itself (`self`); groups may reference each other freely.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    /// Group name in AWS (defaults to the key).
    pub name: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    #[serde(default)]
    pub ingress: Vec<Sp<Rule>>,
    /// Outbound rules. When absent, AWS's default applies: all traffic to `0.0.0.0/0`
    /// (socform manages it as an explicit rule). `egress: []` allows nothing out.
    pub egress: Option<Vec<Sp<Rule>>>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `all` or an IP protocol number.
    pub protocol: Sp<Scalar>,
    /// A port (`443`), a range (`"8000-8100"`) or a list of either. Required for tcp and udp.
    pub ports: Option<Sp<OneOrMany<Scalar>>>,
    /// Ingress peers: CIDRs, `sg.NAME` or `self`.
    pub from: Option<Sp<OneOrMany<String>>>,
    /// Egress peers: CIDRs, `sg.NAME` or `self`.
    pub to: Option<Sp<OneOrMany<String>>>,
    pub description: Option<String>,
}

/// A string or a number, as YAML allows both for ports and protocols.
#[derive(Clone, Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Scalar {
    Int(i64),
    Str(String),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Str(s) => f.write_str(s),
        }
    }
}

/// One value or a list of them.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(t) => std::slice::from_ref(t),
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Iam {
    /// IAM roles by name.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    /// Role name in AWS (defaults to `BLUEPRINT-KEY`).
    pub name: Option<Sp<String>>,
    pub description: Option<String>,
    /// The service principals that may assume the role, such as `ec2.amazonaws.com`.
    pub assumed_by: Sp<OneOrMany<String>>,
    /// AWS managed policies by name (`AmazonSSMManagedInstanceCore`) or ARN.
    #[serde(default)]
    pub managed_policies: Vec<Sp<String>>,
    /// Inline policy statements; `on` may name socform resources (`bucket.trail/*`).
    #[serde(default)]
    pub statements: Vec<Sp<Statement>>,
    /// Create an instance profile for the role. Defaults to true when EC2 may assume it.
    pub instance_profile: Option<bool>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub sid: Option<String>,
    /// Actions allowed (`s3:GetObject`). Exactly one of `allow` and `deny`.
    pub allow: Option<Sp<Vec<String>>>,
    /// Actions denied.
    pub deny: Option<Sp<Vec<String>>>,
    /// Resources: ARNs, `*`, or socform references such as `bucket.trail` and
    /// `bucket.trail/*`. Also accepted as `on:`, its first name, which YAML 1.1 tools
    /// (PyYAML, yamllint) read as the boolean `true`.
    #[serde(alias = "on")]
    pub resources: Sp<OneOrMany<String>>,
    /// An IAM condition block, passed through as written.
    pub condition: Option<BTreeMap<String, BTreeMap<String, OneOrMany<String>>>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    /// Bucket name (defaults to `BLUEPRINT-KEY-ACCOUNTID`, unique across AWS).
    pub name: Option<Sp<String>>,
    /// Keep every version of every object (default true).
    #[serde(default = "yes")]
    pub versioning: bool,
    /// `AES256` (SSE-S3, the default) or `aws:kms`.
    #[serde(default = "aes256")]
    pub encryption: Sp<String>,
    /// KMS key id or ARN for `aws:kms`.
    pub kms_key: Option<String>,
    /// Turn on all four S3 public access block settings (default true).
    #[serde(default = "yes")]
    pub public_access_block: bool,
    /// Keep the objects on destroy: a non-empty bucket then stops the destroy instead of
    /// being emptied (default false: destroy deletes every object version).
    #[serde(default)]
    pub retain_objects: bool,
    /// Server access logging (CIS AWS Foundations 3.4 for the trail's bucket): the key of
    /// the entry of `buckets` the logs go to, under `KEY/`. socform adds the statement that
    /// lets the S3 logging service write there for this bucket alone.
    pub access_logs: Option<Sp<String>>,
    #[serde(default)]
    pub tags: Tags,
}

/// The CloudTrail trail. socform writes the bucket policy CloudTrail needs and, with
/// `cloudwatch_logs`, the log group and the role that delivers to it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trail {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    /// Trail name (defaults to the blueprint name).
    pub name: Option<Sp<String>>,
    /// The bucket: the name of an entry of `buckets`, or a bucket defined here (it becomes
    /// `s3_bucket.trail`).
    pub bucket: Sp<TrailBucket>,
    pub key_prefix: Option<String>,
    /// Record every region (default true).
    #[serde(default = "yes")]
    pub multi_region: bool,
    /// An organization trail: it records every account of the organization, made in the
    /// management account (the caller's). Its bucket's policy then also lets CloudTrail write
    /// under `AWSLogs/<organization id>/` for this trail alone.
    #[serde(default)]
    pub organization: bool,
    /// Digest files that prove logs were not altered (default true).
    #[serde(default = "yes")]
    pub log_file_validation: bool,
    /// Global services such as IAM (default true).
    #[serde(default = "yes")]
    pub global_service_events: bool,
    pub kms_key: Option<String>,
    /// Whether the trail is logging (default true).
    #[serde(default = "yes")]
    pub logging: bool,
    pub cloudwatch_logs: Option<Sp<TrailLogs>>,
    /// Event sources whose management events are left out, as noisy and rarely useful:
    /// `kms.amazonaws.com` and `rdsdata.amazonaws.com` are the two AWS allows.
    #[serde(default)]
    pub exclude_sources: Vec<Sp<String>>,
    /// S3 object-level (data) events, read and write (CIS AWS Foundations 3.8 and 3.9): `all`
    /// (every bucket in the account), `none` (the default), or a list of keys of `buckets`
    /// (`trail` for the trail's own). Each event is charged: `socform cost` says how much.
    pub s3_data_events: Option<Sp<DataEvents>>,
    /// Make the trail's KMS key (`kms_key.trail`): rotation on, a key policy that lets
    /// CloudTrail encrypt for this trail alone and the account decrypt (CIS 3.5 and 3.6).
    /// Destroy schedules its deletion with AWS's shortest window (7 days). A key costs $1 a
    /// month: leave it off (the default) for short labs. Not with `kms_key`.
    #[serde(default)]
    pub own_kms_key: bool,
    /// A notification topic (key of `notifications`) told of each log file delivered.
    pub notify: Option<Sp<String>>,
    #[serde(default)]
    pub tags: Tags,
}

/// `all`, `none`, or keys of `buckets`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum DataEvents {
    Word(String),
    Buckets(Vec<String>),
}

#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub enum TrailBucket {
    Named(String),
    Inline(Box<Bucket>),
}

/// By hand rather than `untagged`, so that the inline bucket keeps its source locations
/// and its errors name the key at fault.
impl<'de> Deserialize<'de> for TrailBucket {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = TrailBucket;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the name of an entry of `buckets`, or a bucket definition")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TrailBucket, E> {
                Ok(TrailBucket::Named(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<TrailBucket, A::Error> {
                Bucket::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|b| TrailBucket::Inline(Box::new(b)))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrailLogs {
    /// Name of the log group socform creates for the trail (a key: detections name it).
    pub log_group: Sp<String>,
    pub retention_days: Option<Sp<i64>>,
    /// Encrypt the log group with the trail's own key (`own_kms_key: true`): its key policy
    /// then lets CloudWatch Logs use the key for this log group alone.
    #[serde(default)]
    pub encrypted: Option<Sp<bool>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogGroup {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    /// Log group name (defaults to the key).
    pub name: Option<Sp<String>>,
    /// Retention in days: one of the values CloudWatch Logs accepts. Default: never expire.
    pub retention_days: Option<Sp<i64>>,
    pub kms_key: Option<String>,
    #[serde(default)]
    pub tags: Tags,
}

/// A detection: a CloudWatch Logs filter pattern, the metric it feeds, and the alarm on it.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Detection {
    /// Name: lowercase letters, digits and `-`. Names the metric filter and the alarm.
    pub name: Option<Sp<String>>,
    /// A catalog entry, such as `cis/4.3`; the other keys override it field by field.
    #[serde(rename = "use")]
    pub use_: Option<Sp<String>>,
    pub description: Option<String>,
    /// CloudWatch Logs filter pattern (at most 1,024 characters).
    pub pattern: Option<Sp<String>>,
    /// The log group watched: a key of `log_groups` or the trail's (the default).
    pub log_group: Option<Sp<String>>,
    pub metric: Option<Metric>,
    pub threshold: Option<Threshold>,
    /// `critical`, `high`, `medium`, `low` or `info`.
    pub severity: Option<Sp<String>>,
    /// Notification topics (keys of `notifications`) the alarm notifies.
    pub notify: Option<Vec<Sp<String>>>,
    /// MITRE ATT&CK technique ids, such as `T1078`.
    pub attack: Option<Vec<Sp<String>>>,
    pub samples: Option<Samples>,
}

/// One item of `detections`: a pack of catalog entries or one detection. (For the schema:
/// lowering tells them apart by the `pack` key, to keep each one's source locations.)
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum DetectionItem {
    Pack(Pack),
    Detection(Box<Detection>),
}

/// A pack of catalog entries, each becoming a detection as `use:` would make it. An entry
/// the list also names with its own `use:` is left to that item, which may override it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pack {
    /// `stratus`: a detection for every Stratus Red Team AWS technique a metric filter can see.
    pub pack: Sp<String>,
    /// Topics (keys of `notifications`) every alarm of the pack notifies.
    pub notify: Option<Vec<Sp<String>>>,
    /// More topics by the entry's severity: `{ critical: [oncall], low: [team] }`.
    pub notify_by_severity: Option<BTreeMap<String, Vec<Sp<String>>>>,
    /// `false` leaves the pack out (default true): set it from a `bool` input to let a lab
    /// turn it off.
    pub enabled: Option<Sp<bool>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// Metric namespace (default `socform/BLUEPRINT`).
    pub namespace: Option<String>,
    /// Metric name (defaults to the detection's name).
    pub name: Option<String>,
    /// Value emitted per matching event (default `1`).
    pub value: Option<String>,
    /// Value emitted when nothing matches (default 0).
    pub default_value: Option<f64>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The alarm fires when the statistic reaches this (default 1).
    pub count: Option<Sp<f64>>,
    /// Period in seconds: 10, 30 or a multiple of 60 (default 300).
    pub period: Option<Sp<i64>>,
    /// Periods evaluated (default 1).
    pub evaluation_periods: Option<Sp<i64>>,
    /// `Sum` (default), `Average`, `Maximum`, `Minimum` or `SampleCount`.
    pub statistic: Option<Sp<String>>,
    /// `>=` (default), `>`, `<`, `<=`.
    pub comparison: Option<Sp<String>>,
}

#[derive(Debug, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Samples {
    /// Events the pattern must match.
    #[serde(default, rename = "match")]
    pub matches: Vec<Sp<String>>,
    /// Events the pattern must not match.
    #[serde(default)]
    pub no_match: Vec<Sp<String>>,
}

/// An SNS topic and its subscribers.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    /// Topic name (defaults to `BLUEPRINT-KEY`).
    pub name: Option<Sp<String>>,
    #[serde(default)]
    pub email: Vec<Sp<String>>,
    #[serde(default)]
    pub https: Vec<Sp<String>>,
    #[serde(default)]
    pub sqs: Vec<Sp<String>>,
    pub kms_key: Option<String>,
    #[serde(default)]
    pub tags: Tags,
}

/// Where a sensitive value comes from; it is never written in the blueprint.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueSource {
    /// An environment variable read at plan and apply time.
    pub from_env: Option<Sp<String>>,
    /// An input of this blueprint (usually a `sensitive` one), set at plan and apply time.
    pub from_input: Option<Sp<String>>,
    /// A random value generated by AWS when the resource is created.
    pub generate: Option<Generate>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Generate {
    #[serde(default = "thirty_two")]
    pub length: Sp<u32>,
    #[serde(default)]
    pub exclude_punctuation: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    /// Parameter name, such as `/soc/wazuh/manager-ip`.
    pub name: Sp<String>,
    /// `String` (default), `StringList` or `SecureString`.
    #[serde(default = "string_type", rename = "type")]
    pub type_: Sp<String>,
    pub description: Option<String>,
    /// A plain value; may use `${host.NAME.private_ip}` and other outputs. Not for secrets.
    pub value: Option<Sp<String>>,
    /// The value of a `SecureString`.
    pub secret: Option<Sp<ValueSource>>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretDef {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    /// Secret name (defaults to `BLUEPRINT/KEY`).
    pub name: Option<Sp<String>>,
    pub description: Option<String>,
    pub kms_key: Option<String>,
    pub value: Sp<ValueSource>,
    /// Days before a destroyed secret is really deleted: 7 to 30 (default 7, AWS's minimum),
    /// or 0 to delete it at once (a lab's choice: nothing can bring the value back). A
    /// secret scheduled for deletion that a later apply needs again is restored.
    #[serde(default = "seven")]
    pub recovery_window_days: Sp<u32>,
    #[serde(default)]
    pub tags: Tags,
}

/// AWS Config: the recorder, its delivery channel and managed rules.
#[derive(Debug, JsonSchema)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    pub recorder: Option<Sp<Recorder>>,
    /// An aggregator of every account of the organization (in the audit account, say): its
    /// role, trusted by Config with `AWSConfigRoleForOrganizations`, is made with it. The
    /// account must be the organization's management account or a delegated administrator
    /// for Config.
    pub aggregator: Option<Sp<Aggregator>>,
    /// Managed rules by name.
    #[serde(default)]
    pub rules: BTreeMap<String, ConfigRule>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Aggregator {
    /// Aggregator name (defaults to `BLUEPRINT-organization`).
    pub name: Option<Sp<String>>,
    /// Every region (default true), or only the blueprint's.
    #[serde(default = "yes")]
    pub all_regions: bool,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recorder {
    /// Bucket for configuration snapshots: a key of `buckets` (default: the trail's bucket).
    pub bucket: Option<Sp<String>>,
    /// Record every supported resource type (default true).
    #[serde(default = "yes")]
    pub all_supported: bool,
    /// Include global resources such as IAM (default true).
    #[serde(default = "yes")]
    pub include_global: bool,
    /// `One_Hour`, `Three_Hours`, `Six_Hours`, `Twelve_Hours` or `TwentyFour_Hours` (default).
    #[serde(default = "twenty_four_hours")]
    pub delivery_frequency: Sp<String>,
    /// A key of `notifications` that receives configuration changes.
    pub notify: Option<Sp<String>>,
    /// A recorder or delivery channel the account already has: `use` it (the default; the
    /// rules evaluate through it) or `fail`.
    #[serde(default)]
    pub if_exists: IfExists,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigRule {
    /// Rule name (defaults to the key).
    pub name: Option<Sp<String>>,
    pub description: Option<String>,
    /// AWS managed rule identifier, such as `S3_BUCKET_PUBLIC_READ_PROHIBITED`.
    pub identifier: Sp<String>,
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// Resource types the rule applies to, such as `AWS::S3::Bucket`.
    #[serde(default)]
    pub resource_types: Vec<String>,
    #[serde(default)]
    pub tags: Tags,
}

/// An EC2 host.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// The account (a key of `accounts`) it is made in; the caller's own by default.
    pub account: Option<Sp<String>>,
    /// The subnet: a key of `network.subnets`.
    pub subnet: Sp<String>,
    /// Security groups: keys of `security_groups`.
    #[serde(default)]
    pub security_groups: Vec<Sp<String>>,
    /// IAM role (a key of `iam.roles`); its instance profile is attached.
    pub role: Option<Sp<String>>,
    pub instance_type: Sp<String>,
    /// `ami-...`, `ssm:/path/of/a/public/parameter`, or a friendly name: `ubuntu-22.04`,
    /// `ubuntu-24.04`, `amazon-linux-2023`, `amazon-linux-2`, `windows-2022`, `windows-2019`.
    pub image: Sp<String>,
    /// A script path (relative to the blueprint) or `{file, vars}`; vars are exported at the
    /// top of the script and may use `${host.NAME.private_ip}` and other outputs.
    pub user_data: Option<Sp<UserData>>,
    pub root_volume: Option<RootVolume>,
    /// Public IPv4 address (defaults to the subnet being public).
    pub public_ip: Option<bool>,
    pub private_ip: Option<Sp<String>>,
    /// Require IMDSv2 (default true).
    #[serde(default = "yes")]
    pub imdsv2: bool,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum UserData {
    File(String),
    /// `{ file: scripts/boot.sh, vars: { NAME: value } }` (`vars` may be left out).
    WithVars {
        file: String,
        #[serde(default)]
        vars: BTreeMap<String, String>,
    },
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RootVolume {
    pub size_gb: Option<Sp<i64>>,
    /// Encrypt the root volume (default true).
    #[serde(default = "yes")]
    pub encrypted: bool,
}

fn yes() -> bool {
    true
}
fn aes256() -> Sp<String> {
    Sp::new("AES256".into(), Default::default())
}
fn all_traffic() -> Sp<String> {
    Sp::new("ALL".into(), Default::default())
}
fn six_hundred() -> Sp<i64> {
    Sp::new(600, Default::default())
}
fn seven() -> Sp<u32> {
    Sp::new(7, Default::default())
}
fn thirty_two() -> Sp<u32> {
    Sp::new(32, Default::default())
}
fn string_type() -> Sp<String> {
    Sp::new("String".into(), Default::default())
}
fn twenty_four_hours() -> Sp<String> {
    Sp::new("TwentyFour_Hours".into(), Default::default())
}

impl Default for Sp<u32> {
    fn default() -> Self {
        Sp::new(0, Default::default())
    }
}
