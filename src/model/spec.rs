//! Typed specs, one per kind: the shape of each kind's attributes.
//!
//! Lowering builds a spec and turns it into [`Attrs`] with [`to_attrs`]; a provider reads
//! resolved attributes back with [`from_attrs`]. Field names are the attribute names users
//! see in plans. Values that name other resources are templates (see [`super::template`]).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Attrs, Kind};

pub type Tags = BTreeMap<String, String>;

/// Turns a spec into attributes. Specs are structs, so this cannot fail.
pub fn to_attrs<T: Serialize>(spec: &T) -> Attrs {
    match serde_json::to_value(spec).expect("specs serialise") {
        Value::Object(map) => map.into_iter().collect(),
        _ => unreachable!("specs are structs"),
    }
}

/// Reads a spec back from attributes.
pub fn from_attrs<T: DeserializeOwned>(attrs: &Attrs) -> Result<T, serde_json::Error> {
    // The placement in a named account is the model's, not the kind's.
    let fields = attrs.iter().filter(|(k, _)| k.as_str() != super::ACCOUNT_ATTR);
    serde_json::from_value(Value::Object(fields.map(|(k, v)| (k.clone(), v.clone())).collect()))
}

/// Whether `attrs` has the shape of `kind`'s spec struct: every key a field of it, every
/// value of the field's type. Lowering writes attributes through these structs and the
/// provider reads them back through them; this is the check that what a refresh records has
/// the same shape (the tests run it over every kind as read from AWS).
pub fn check_shape(kind: Kind, attrs: &Attrs) -> Result<(), String> {
    fn is<T: DeserializeOwned>(attrs: &Attrs) -> Result<(), String> {
        from_attrs::<T>(attrs).map(|_| ()).map_err(|e| e.to_string())
    }
    match kind {
        Kind::Vpc => is::<Vpc>(attrs),
        Kind::Subnet => is::<Subnet>(attrs),
        Kind::InternetGateway => is::<InternetGateway>(attrs),
        Kind::RouteTable => is::<RouteTable>(attrs),
        Kind::NetworkAcl => is::<NetworkAcl>(attrs),
        Kind::SecurityGroup => is::<SecurityGroup>(attrs),
        Kind::SecurityGroupRule => is::<SecurityGroupRule>(attrs),
        Kind::IamRole => is::<IamRole>(attrs),
        Kind::InstanceProfile => is::<InstanceProfile>(attrs),
        Kind::S3Bucket => is::<S3Bucket>(attrs),
        Kind::S3BucketPolicy => is::<S3BucketPolicy>(attrs),
        Kind::Trail => is::<Trail>(attrs),
        Kind::KmsKey => is::<KmsKey>(attrs),
        Kind::LogGroup => is::<LogGroup>(attrs),
        Kind::MetricFilter => is::<MetricFilter>(attrs),
        Kind::Alarm => is::<Alarm>(attrs),
        Kind::SnsTopic => is::<SnsTopic>(attrs),
        Kind::SnsSubscription => is::<SnsSubscription>(attrs),
        Kind::SsmParameter => is::<SsmParameter>(attrs),
        Kind::Instance => is::<Instance>(attrs),
        Kind::FlowLog => is::<FlowLog>(attrs),
        Kind::EbsEncryption => is::<EbsEncryption>(attrs),
        Kind::IamPasswordPolicy => is::<PasswordPolicy>(attrs),
        Kind::ConfigRecorder => is::<ConfigRecorder>(attrs),
        Kind::ConfigDeliveryChannel => is::<ConfigDeliveryChannel>(attrs),
        Kind::ConfigRule => is::<ConfigRule>(attrs),
        Kind::ConfigAggregator => is::<ConfigAggregator>(attrs),
        Kind::GuarddutyAdmin | Kind::SecurityhubAdmin => is::<OrgAdmin>(attrs),
        Kind::GuarddutyOrgConfig | Kind::SecurityhubOrgConfig => is::<OrgConfig>(attrs),
        Kind::Secret => is::<Secret>(attrs),
        Kind::EventRule => is::<EventRule>(attrs),
        Kind::LambdaFunction => is::<LambdaFunction>(attrs),
        Kind::LambdaPermission => is::<LambdaPermission>(attrs),
        Kind::GuarddutyDetector => is::<GuarddutyDetector>(attrs),
        Kind::SecurityHub => is::<SecurityHub>(attrs),
        Kind::Dashboard => is::<Dashboard>(attrs),
        Kind::QueryDefinition => is::<QueryDefinition>(attrs),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vpc {
    pub cidr_block: String,
    pub enable_dns_support: bool,
    pub enable_dns_hostnames: bool,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subnet {
    pub vpc_id: String,
    pub cidr_block: String,
    pub availability_zone: String,
    pub map_public_ip_on_launch: bool,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InternetGateway {
    pub vpc_id: String,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub destination_cidr_block: String,
    pub gateway_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteTable {
    pub vpc_id: String,
    /// Sorted by destination.
    pub routes: Vec<Route>,
    /// Subnets associated with this table, sorted.
    pub subnet_ids: Vec<String>,
    pub tags: Tags,
}

/// The IP protocols written by name (blueprints, security-group rules, ACL entries in the
/// model) with the numbers AWS also uses for them (network ACL entries, some rule reads).
const PROTOCOLS: [(&str, &str); 4] = [("tcp", "6"), ("udp", "17"), ("icmp", "1"), ("icmpv6", "58")];

/// A protocol's number (`tcp` is `6`); anything else (`-1`, a number) as it is.
pub fn protocol_number(p: &str) -> &str {
    PROTOCOLS.iter().find(|(name, _)| *name == p).map_or(p, |(_, n)| n)
}

/// A protocol's name (`6` is `tcp`); anything else (`-1`, another number) as it is.
pub fn protocol_name(p: &str) -> &str {
    PROTOCOLS.iter().find(|(_, n)| *n == p).map_or(p, |(name, _)| name)
}

/// What a network ACL entry does with the traffic it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AclAction {
    Allow,
    Deny,
}

/// One numbered entry of a network ACL. `protocol` is written as security-group rules write
/// it (`tcp`, `udp`, `icmp`, `icmpv6`, `-1` for all, or a protocol number); the ports are
/// `-1` where the protocol has none (ICMP entries match every type and code). Exactly one
/// of the two blocks is set.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AclEntry {
    /// Entries are evaluated from the lowest number; the first that matches decides.
    pub number: i32,
    pub action: AclAction,
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv6: Option<String>,
}

/// A network ACL of the VPC: its entries in each direction (sorted by number, AWS's final
/// deny-all entry left out: it cannot be changed) and the subnets it applies to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkAcl {
    pub vpc_id: String,
    /// The VPC's default ACL, which came with the VPC: socform sets its entries and never
    /// deletes it; it holds every subnet no other ACL does.
    pub default: bool,
    pub ingress: Vec<AclEntry>,
    pub egress: Vec<AclEntry>,
    /// Subnets associated with this ACL, sorted.
    pub subnet_ids: Vec<String>,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    pub group_name: String,
    pub description: String,
    pub vpc_id: String,
    pub tags: Tags,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// One rule. `protocol` is AWS's form: `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all) or a
/// protocol number. Exactly one of the three peers is set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupRule {
    pub group_id: String,
    pub direction: Direction,
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv6: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamRole {
    pub role_name: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The trust policy document.
    pub assume_role_policy: Value,
    /// Sorted ARNs.
    pub managed_policy_arns: Vec<String>,
    /// Inline policies by name.
    pub inline_policies: BTreeMap<String, Value>,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceProfile {
    pub name: String,
    pub path: String,
    pub role_name: String,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Bucket {
    pub bucket: String,
    pub versioning: bool,
    /// `AES256` or `aws:kms`.
    pub encryption: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// All four public access block settings on.
    pub block_public_access: bool,
    /// On destroy, delete every object version first; otherwise a non-empty bucket is kept.
    pub force_destroy: bool,
    /// Server access logs go to this bucket (by name), under `access_log_prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log_bucket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log_prefix: Option<String>,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3BucketPolicy {
    pub bucket: String,
    pub policy: Value,
}

/// A symmetric KMS key socform makes (the trail's), with its key policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KmsKey {
    pub description: String,
    pub policy: Value,
    /// Automatic yearly rotation of the key material.
    pub rotation: bool,
    /// Days between destroy and the key's deletion (7 to 30: AWS never deletes one at once).
    pub deletion_window_days: i32,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trail {
    pub name: String,
    pub s3_bucket_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_key_prefix: Option<String>,
    pub is_multi_region_trail: bool,
    /// An organization trail: it logs every account of the caller's organization (made in
    /// the management account).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_organization_trail: bool,
    pub enable_log_file_validation: bool,
    pub include_global_service_events: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch_logs_log_group_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch_logs_role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// The topic told of each log file delivered, by name (same account and region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sns_topic_name: Option<String>,
    /// Event sources whose management events the trail leaves out (such as
    /// `kms.amazonaws.com`): its event selector, sorted. Empty: every management event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_management_event_sources: Vec<String>,
    /// S3 object-level (data) events the trail records, read and write: the resource values
    /// of its `AWS::S3::Object` data resources (`arn:aws:s3` for every bucket, or
    /// `arn:aws:s3:::BUCKET/` each), sorted. Empty: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub s3_data_events: Vec<String>,
    /// Whether the trail is logging (StartLogging/StopLogging).
    pub logging: bool,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogGroup {
    pub log_group_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricFilter {
    pub log_group_name: String,
    pub filter_name: String,
    pub filter_pattern: String,
    pub metric_namespace: String,
    pub metric_name: String,
    pub metric_value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alarm {
    pub alarm_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_description: Option<String>,
    pub namespace: String,
    pub metric_name: String,
    /// `Sum`, `Average`, `Maximum`, `Minimum` or `SampleCount`.
    pub statistic: String,
    pub period: i32,
    pub evaluation_periods: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datapoints_to_alarm: Option<i32>,
    pub threshold: f64,
    pub comparison_operator: String,
    pub treat_missing_data: String,
    /// Sorted topic ARNs.
    pub alarm_actions: Vec<String>,
    pub ok_actions: Vec<String>,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnsTopic {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<String>,
    /// The topic's access policy, set when a service other than CloudWatch publishes to it
    /// (EventBridge rules routing findings and responses); unset, AWS's default applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Value>,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnsSubscription {
    pub topic_arn: String,
    pub protocol: String,
    pub endpoint: String,
}

/// Rounds of HMAC-SHA256 in a fingerprint: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
pub const FINGERPRINT_ROUNDS: u32 = 600_000;

/// The fingerprint of a sensitive value kept in plans and state, so that a change is seen
/// without the value being stored: PBKDF2-HMAC-SHA256 over the value, salted with the
/// state's lineage and the address, 600,000 rounds. The salt makes precomputed tables
/// useless and equal values of two resources or two labs look different; the rounds make
/// every guess of a dictionary attack on a stolen state file cost what a login would.
/// Prefixed with its scheme, so that a future change of scheme is seen as such.
pub fn fingerprint(lineage: &str, address: &crate::address::Address, value: &str) -> String {
    let salt = format!("socform:{lineage}:{address}");
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2::<hmac::Hmac<sha2::Sha256>>(value.as_bytes(), salt.as_bytes(), FINGERPRINT_ROUNDS, &mut out)
        .expect("HMAC takes a key of any length");
    format!("pbkdf2-sha256:{FINGERPRINT_ROUNDS}:{}", hex::encode(out))
}

/// Values of `from_input` secrets given to this process on its command line (`--var`), by
/// the variable a `from_input` value is read as. The loader hands them to the provider with
/// the blueprint; they are never written anywhere, and their `Debug` shows only how many.
#[derive(Clone, Default, PartialEq)]
pub struct Provided(BTreeMap<String, String>);

impl Provided {
    pub fn new(values: BTreeMap<String, String>) -> Self {
        Provided(values)
    }

    /// The value given for `variable`, if one was.
    pub fn get(&self, variable: &str) -> Option<&str> {
        self.0.get(variable).map(String::as_str)
    }
}

impl std::fmt::Debug for Provided {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Provided({} values)", self.0.len())
    }
}

/// How an input is named in the environment (`SOCFORM_VAR_NAME`), and the variable a
/// `from_input` value is read as.
pub const INPUT_VARIABLE_PREFIX: &str = "SOCFORM_VAR_";

/// Where a sensitive value comes from. The value itself is never in a model, a plan or a
/// state file: only its [`fingerprint`], so that a change is still seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SecretValue {
    /// A plain value written in the blueprint (SSM `String` parameters only).
    Literal { value: String },
    /// Read from an environment variable at plan and apply time. `sha256` holds the
    /// value's [`fingerprint`] (the name is kept for state files written before).
    FromEnv { variable: String, sha256: String },
    /// Generated by AWS at creation and never changed afterwards.
    Generated { length: u32, exclude_punctuation: bool },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsmParameter {
    pub name: String,
    /// `String`, `StringList` or `SecureString`.
    pub parameter_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub value: SecretValue,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    /// `ami-...`, or `ssm:/path` of a public parameter that names the AMI.
    pub image: String,
    pub instance_type: String,
    pub subnet_id: String,
    /// Sorted.
    pub security_group_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam_instance_profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_volume_size_gb: Option<i32>,
    pub root_volume_encrypted: bool,
    pub associate_public_ip: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
    /// IMDSv2 only when true.
    pub require_imdsv2: bool,
    pub tags: Tags,
}

/// The line that opens the variables socform writes into a host's user data.
pub const USER_DATA_VARS: &str = "# socform: variables\n";

/// One variable of a host's user data, as the script's shell reads it: `export K='v'`, or
/// `$env:K = 'v'` for a PowerShell script, the value quoted for that shell.
pub fn user_data_var(powershell: bool, name: &str, value: &str) -> String {
    if powershell {
        format!("$env:{name} = '{}'\n", value.replace('\'', "''"))
    } else {
        format!("export {name}='{}'\n", value.replace('\'', r"'\''"))
    }
}

/// The variables [`user_data_var`] wrote after [`USER_DATA_VARS`], by name, unquoted (what
/// the security review reads for addresses).
pub fn user_data_vars(user_data: &str) -> Vec<(String, String)> {
    let Some((_, block)) = user_data.split_once(USER_DATA_VARS) else { return vec![] };
    block
        .lines()
        .map_while(|l| {
            if let Some((name, v)) = l.strip_prefix("export ").and_then(|r| r.split_once('=')) {
                Some((name.to_string(), v.strip_prefix('\'')?.strip_suffix('\'')?.replace(r"'\''", "'")))
            } else {
                let (name, v) = l.strip_prefix("$env:")?.split_once(" = ")?;
                Some((name.to_string(), v.strip_prefix('\'')?.strip_suffix('\'')?.replace("''", "'")))
            }
        })
        .collect()
}

/// EBS encryption by default: every new volume of the account in the region is encrypted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EbsEncryption {
    pub enabled: bool,
}

/// The account's IAM password policy (UpdateAccountPasswordPolicy's fields; `0` and `false`
/// where AWS's own default leaves a rule off).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicy {
    pub minimum_length: i32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub allow_users_to_change: bool,
    /// Days before a password expires (0: never).
    pub max_age_days: i32,
    /// How many earlier passwords may not be used again (0: any).
    pub reuse_prevention: i32,
    /// Expired passwords need an administrator to reset them.
    pub hard_expiry: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowLog {
    pub resource_id: String,
    /// `ALL`, `ACCEPT` or `REJECT`.
    pub traffic_type: String,
    pub log_group_name: String,
    pub deliver_logs_permission_arn: String,
    /// 60 or 600 seconds.
    pub max_aggregation_interval: i32,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigRecorder {
    pub name: String,
    pub role_arn: String,
    pub all_supported: bool,
    pub include_global_resource_types: bool,
    /// Whether the recorder is started.
    pub recording: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigDeliveryChannel {
    pub name: String,
    pub s3_bucket_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_key_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sns_topic_arn: Option<String>,
    /// `One_Hour`, `Three_Hours`, `Six_Hours`, `Twelve_Hours` or `TwentyFour_Hours`.
    pub delivery_frequency: String,
}

/// The delegated administrator of an organization's security service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgAdmin {
    pub admin_account_id: String,
}

/// How an organization's security service treats its member accounts, as its administrator
/// sets it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgConfig {
    /// Every member account, new and existing, gets the service (GuardDuty `ALL`, Security
    /// Hub `AutoEnable`).
    pub auto_enable: bool,
    /// The administrator's GuardDuty detector (GuardDuty only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector_id: Option<String>,
}

/// An AWS Config aggregator over the accounts of the caller's organization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigAggregator {
    pub name: String,
    /// The role Config reads the organization with (`AWSConfigRoleForOrganizations`).
    pub role_arn: String,
    /// Every region (true), or only the blueprint's.
    pub all_regions: bool,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigRule {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The AWS managed rule identifier, such as `S3_BUCKET_PUBLIC_READ_PROHIBITED`.
    pub source_identifier: String,
    /// Input parameters, as AWS takes them (a JSON object of strings).
    pub input_parameters: BTreeMap<String, String>,
    /// Resource types the rule is scoped to, sorted; empty for the rule's default.
    pub resource_types: Vec<String>,
    /// Config rules need a recorder: when the blueprint has one, this names it, so that it is
    /// created first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorder: Option<String>,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secret {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    pub value: SecretValue,
    /// Days of the recovery window on destroy; 0 deletes at once (labs).
    pub recovery_window_days: u32,
    pub tags: Tags,
}

/// One target of an EventBridge rule.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventTarget {
    /// Unique within the rule.
    pub id: String,
    pub arn: String,
    /// The role EventBridge assumes to reach the target (an SSM Automation runbook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Input transformer: JSON paths into the event, by name...
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub input_paths: BTreeMap<String, String>,
    /// ...and the template they fill (`<name>`), sent instead of the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_template: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRule {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The event pattern, a JSON object.
    pub event_pattern: Value,
    /// `ENABLED` or `DISABLED`.
    pub state: String,
    /// Sorted by id.
    pub targets: Vec<EventTarget>,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaFunction {
    pub function_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub role_arn: String,
    pub runtime: String,
    pub handler: String,
    /// Seconds.
    pub timeout: i32,
    /// MB.
    pub memory_size: i32,
    pub environment: BTreeMap<String, String>,
    /// The folder the code was packaged from, relative to the blueprint.
    pub source: String,
    /// Base64 SHA-256 of the zip, as Lambda reports it (`CodeSha256`): a change of code is a
    /// change of this.
    pub code_sha256: String,
    /// The zip itself, base64: what the plan was made with is what apply uploads. Never shown.
    pub code_zip: String,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaPermission {
    pub function_name: String,
    pub statement_id: String,
    /// `lambda:InvokeFunction`.
    pub action: String,
    /// The service allowed, such as `events.amazonaws.com`.
    pub principal: String,
    /// Only this resource of that service (the rule's ARN).
    pub source_arn: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuarddutyDetector {
    pub enable: bool,
    /// `FIFTEEN_MINUTES`, `ONE_HOUR` or `SIX_HOURS`.
    pub finding_publishing_frequency: String,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityHub {
    /// ARNs of the standards enabled, sorted (with `${aws.region}` where AWS puts a region).
    pub standards: Vec<String>,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    pub dashboard_name: String,
    /// The dashboard body (`widgets`). The provider adds one text widget naming the state
    /// that made it (dashboards carry no tags) and takes it off again when reading.
    pub body: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryDefinition {
    /// `BLUEPRINT/DETECTION`: the console shows the blueprint as a folder.
    pub name: String,
    /// The Logs Insights query. The provider adds one comment line naming the state that
    /// made it (saved queries carry no tags) and takes it off again when reading.
    pub query_string: String,
    /// Sorted.
    pub log_group_names: Vec<String>,
}

#[cfg(test)]
mod fingerprint_tests {
    use super::*;

    #[test]
    fn user_data_variables_read_back_as_written_for_either_shell() {
        let vars = [("A", "it's 'quoted' ''"), ("B", "10.0.0.1"), ("C", "")];
        for powershell in [false, true] {
            let mut text = format!("#!/bin/sh\n{USER_DATA_VARS}");
            for (k, v) in vars {
                text.push_str(&user_data_var(powershell, k, v));
            }
            text.push_str("echo done\n");
            let back = user_data_vars(&text);
            let want: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            assert_eq!(back, want, "powershell: {powershell}");
        }
        assert!(user_data_vars("#!/bin/sh\nexport A='x'\n").is_empty(), "only socform's own block");
    }
    use crate::address::Address;

    #[test]
    fn fingerprints_are_salted_by_lineage_and_address_and_name_their_scheme() {
        let a = Address::parse("secret.db").unwrap();
        let b = Address::parse("secret.other").unwrap();
        let f = fingerprint("lineage-1", &a, "Summer2024!");
        assert_eq!(f, fingerprint("lineage-1", &a, "Summer2024!"), "deterministic for one state");
        assert_ne!(f, fingerprint("lineage-2", &a, "Summer2024!"), "another state salts differently");
        assert_ne!(f, fingerprint("lineage-1", &b, "Summer2024!"), "another resource salts differently");
        assert_ne!(f, fingerprint("lineage-1", &a, "Summer2025!"));
        assert!(f.starts_with("pbkdf2-sha256:600000:") && f.len() == "pbkdf2-sha256:600000:".len() + 64, "{f}");
    }
}
