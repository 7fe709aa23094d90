//! Resource kinds and what socform knows about each. Every pure fact about a kind lives in
//! its row of `kinds!` below (one [`Row`]): its name and family, what it needs torn down
//! first, which attribute changes force a replacement, which attributes are sensitive or
//! sets, whether AWS lets it carry tags, the attribute holding its AWS name, how the tagging
//! index lists it, which kind it is found with, and how a crash mid-create is recovered.
//! The methods of [`Kind`] read the row; the provider and the CLI derive their tables from
//! the rows instead of keeping their own. A kind without a row does not compile.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The AWS service family that manages a kind: the module of `provider/aws` its
/// implementation lives in (`ec2/`, `iam/`...). Nothing dispatches on it (`kinds::api` maps
/// each kind to its type); the facts snapshot shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Ec2,
    Iam,
    S3,
    Logs,
    Trail,
    Notify,
    Store,
    Config,
    /// EventBridge rules and Lambda functions: automated response.
    Respond,
    /// Managed detectors: GuardDuty and Security Hub.
    Findings,
    /// CloudWatch dashboards.
    Dashboard,
    /// Logs Insights saved queries.
    Queries,
    /// KMS keys.
    Kms,
}

/// Everything socform knows about a kind that needs no I/O: one row of `kinds!`.
#[derive(Debug)]
pub struct Row {
    /// The canonical name, as used in addresses.
    pub name: &'static str,
    /// The service family that manages it.
    pub family: Family,
    /// One line saying what the kind is, for `graph` and the README.
    pub doc: &'static str,
    /// The kinds it may need to exist first (see [`Kind::needs`]).
    pub needs: &'static [Kind],
    /// Attributes whose change cannot be made in place: the resource is replaced.
    pub replace_on: &'static [&'static str],
    /// Attributes never shown in plans, diffs or logs (shown as `(sensitive)`).
    pub sensitive: &'static [&'static str],
    /// Whether AWS lets it carry tags (and so the `socform:*` ownership tags).
    pub taggable: bool,
    /// Attributes that are sets (see [`Kind::set_attrs`]).
    pub set_attrs: &'static [&'static str],
    /// The attribute holding the name AWS knows it by, for kinds the blueprint names.
    pub name_attr: Option<&'static str>,
    /// Whether `${kind.x.name}` is that attribute, known before the resource exists.
    pub name_output: bool,
    /// Whether the tags that prove it ours may be missing after a create a crash cut short
    /// (see [`Kind::tags_after_create`]).
    pub tags_after_create: bool,
    /// Whether the create call itself sets the tags (see [`Kind::create_sets_tags`]).
    pub create_sets_tags: bool,
    /// Whether a create is marked in state before it starts (see
    /// [`Kind::marked_before_create`]).
    pub marked_before_create: bool,
    /// The tagging index's resource type (`GetResources`' `ResourceTypeFilters`), for the
    /// kinds it lists: `service:type`, or `service` where the ARN names no type.
    pub index_type: Option<&'static str>,
    /// How its ARNs name it, `service:type` or `service` where the ARN names no type: what
    /// the tagging index and the leftover check read an ARN as.
    pub arns: &'static [&'static str],
    /// The kind it is found with: refreshing either reads both (a filter with its group).
    pub found_with: Option<Kind>,
    /// Whether the leftover check finds it only by its name (it carries no tags, or none
    /// the tagging index lists, and the blueprint names it).
    pub checked_by_name: bool,
    /// Whether AWS keeps one per account and region (see [`Kind::one_per_account`]).
    pub one_per_account: bool,
}

impl Row {
    /// What a row says of a fact it does not name. `name`, `family` and `doc` are always set.
    const DEFAULT: Row = Row {
        name: "",
        family: Family::Ec2,
        doc: "",
        needs: &[],
        replace_on: &[],
        sensitive: &[],
        taggable: true,
        set_attrs: &[],
        name_attr: None,
        name_output: false,
        tags_after_create: false,
        create_sets_tags: false,
        marked_before_create: false,
        index_type: None,
        arns: &[],
        found_with: None,
        checked_by_name: false,
        one_per_account: false,
    };
}

macro_rules! kinds {
    ($( $variant:ident = $name:literal, $family:ident, $doc:literal { $($field:ident: $value:expr),* $(,)? } )*) => {
        /// A kind of resource socform can manage.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $( #[doc = $doc] $variant, )*
        }

        impl Kind {
            /// Every kind, in the order of this list.
            pub const ALL: &'static [Kind] = &[ $( Kind::$variant, )* ];

            /// Everything socform knows about the kind without asking AWS.
            pub fn row(self) -> &'static Row {
                #[allow(unused_imports)]
                use Kind::*;
                match self {
                    $( Kind::$variant => {
                        const ROW: Row = Row {
                            name: $name,
                            family: Family::$family,
                            doc: $doc,
                            $( $field: $value, )*
                            ..Row::DEFAULT
                        };
                        &ROW
                    } )*
                }
            }
        }

        impl FromStr for Kind {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $( $name => Ok(Kind::$variant), )* _ => Err(()) }
            }
        }
    };
}

kinds! {
    Vpc = "vpc", Ec2, "VPC" {
        replace_on: &["cidr_block"],
        arns: &["ec2:vpc"], index_type: Some("ec2:vpc"),
    }
    Subnet = "subnet", Ec2, "VPC subnet" {
        needs: &[Vpc],
        replace_on: &["vpc_id", "cidr_block", "availability_zone"],
        arns: &["ec2:subnet"], index_type: Some("ec2:subnet"),
    }
    InternetGateway = "internet_gateway", Ec2, "internet gateway attached to the VPC" {
        needs: &[Vpc],
        replace_on: &["vpc_id"],
        arns: &["ec2:internet-gateway"], index_type: Some("ec2:internet-gateway"),
    }
    RouteTable = "route_table", Ec2, "route table with its routes and subnet associations" {
        needs: &[Vpc, Subnet, InternetGateway],
        replace_on: &["vpc_id"],
        set_attrs: &["subnet_ids"],
        arns: &["ec2:route-table"], index_type: Some("ec2:route-table"),
    }
    NetworkAcl = "network_acl", Ec2, "network ACL with its numbered entries and subnet associations" {
        needs: &[Vpc, Subnet],
        replace_on: &["vpc_id", "default"],
        set_attrs: &["subnet_ids"],
        arns: &["ec2:network-acl"], index_type: Some("ec2:network-acl"),
    }
    SecurityGroup = "security_group", Ec2, "security group (its rules are separate nodes)" {
        needs: &[Vpc],
        replace_on: &["group_name", "description", "vpc_id"],
        name_attr: Some("group_name"), name_output: true,
        arns: &["ec2:security-group"], index_type: Some("ec2:security-group"),
    }
    SecurityGroupRule = "security_group_rule", Ec2, "one ingress or egress rule of a security group" {
        needs: &[SecurityGroup],
        replace_on: &["group_id", "direction", "protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6", "peer_group_id"],
        taggable: false,
        arns: &["ec2:security-group-rule"], index_type: Some("ec2:security-group-rule"),
        found_with: Some(SecurityGroup),
    }
    IamRole = "iam_role", Iam, "IAM role with its trust policy, managed and inline policies" {
        // A role's policies name resources by ARN, a copied value that AWS ties to nothing:
        // a role is deleted in any order (and reaching a parameter that names a host that
        // uses the role would make a cycle).
        needs: &[],
        replace_on: &["role_name", "path"],
        set_attrs: &["managed_policy_arns"],
        name_attr: Some("role_name"), name_output: true,
        arns: &["iam:role"],
    }
    InstanceProfile = "instance_profile", Iam, "EC2 instance profile wrapping a role" {
        needs: &[IamRole],
        replace_on: &["name", "path"],
        name_attr: Some("name"), name_output: true,
        arns: &["iam:instance-profile"],
        found_with: Some(IamRole),
    }
    IamPasswordPolicy = "iam_password_policy", Iam, "the account's IAM password policy" {
        // An account setting carries no tags: state's id says whether this state set it or
        // replaced another (see provider/aws/iam/password_policy.rs), and a marker a crash
        // leaves says a create was under way.
        taggable: false,
        marked_before_create: true,
        one_per_account: true,
    }
    S3Bucket = "s3_bucket", S3, "S3 bucket with versioning, encryption, public access block and access logging" {
        replace_on: &["bucket"],
        name_attr: Some("bucket"), name_output: true,
        // CreateBucket takes no tags: they are a second call.
        tags_after_create: true, marked_before_create: true,
        arns: &["s3"], index_type: Some("s3"),
    }
    S3BucketPolicy = "s3_bucket_policy", S3, "S3 bucket policy" {
        needs: &[S3Bucket, IamRole],
        replace_on: &["bucket"],
        taggable: false,
        found_with: Some(S3Bucket),
    }
    KmsKey = "kms_key", Kms, "KMS key with its key policy and rotation" {
        arns: &["kms:key"], index_type: Some("kms:key"),
    }
    Trail = "trail", Trail, "CloudTrail trail" {
        needs: &[S3Bucket, S3BucketPolicy, LogGroup, IamRole, SnsTopic, KmsKey],
        replace_on: &["name"],
        name_attr: Some("name"), name_output: true,
        arns: &["cloudtrail:trail"],
    }
    LogGroup = "log_group", Logs, "CloudWatch Logs log group" {
        // The trail's own key, when the trail's log group is encrypted with it.
        needs: &[KmsKey],
        replace_on: &["log_group_name", "kms_key_id"],
        name_attr: Some("log_group_name"), name_output: true,
        arns: &["logs:log-group"], index_type: Some("logs:log-group"),
    }
    MetricFilter = "metric_filter", Logs, "CloudWatch Logs metric filter" {
        needs: &[LogGroup],
        replace_on: &["log_group_name", "filter_name"],
        taggable: false,
        name_attr: Some("filter_name"),
        // It carries no tags: the marker tells a filter a crash left from one made by hand.
        marked_before_create: true,
        found_with: Some(LogGroup),
        checked_by_name: true,
    }
    Alarm = "alarm", Logs, "CloudWatch metric alarm" {
        needs: &[SnsTopic, MetricFilter, LogGroup],
        replace_on: &["alarm_name"],
        set_attrs: &["alarm_actions", "ok_actions"],
        name_attr: Some("alarm_name"), name_output: true,
        arns: &["cloudwatch:alarm"], index_type: Some("cloudwatch:alarm"),
    }
    SnsTopic = "sns_topic", Notify, "SNS topic" {
        replace_on: &["name"],
        name_attr: Some("name"), name_output: true,
        arns: &["sns"], index_type: Some("sns"),
    }
    SnsSubscription = "sns_subscription", Notify, "SNS subscription" {
        needs: &[SnsTopic],
        replace_on: &["topic_arn", "protocol", "endpoint"],
        taggable: false,
        found_with: Some(SnsTopic),
    }
    SsmParameter = "ssm_parameter", Store, "SSM Parameter Store parameter" {
        needs: &[Instance, Secret, S3Bucket, SnsTopic],
        replace_on: &["name"],
        sensitive: &["value"],
        name_attr: Some("name"), name_output: true,
        arns: &["ssm:parameter"], index_type: Some("ssm:parameter"),
    }
    Instance = "instance", Ec2, "EC2 instance (a host)" {
        needs: &[
            Subnet, SecurityGroup, SecurityGroupRule, InstanceProfile, IamRole, RouteTable,
            InternetGateway, Secret, S3Bucket, SnsTopic, LogGroup, EbsEncryption,
        ],
        replace_on: &[
            "image", "instance_type", "subnet_id", "user_data", "root_volume_size_gb",
            "root_volume_encrypted", "associate_public_ip", "private_ip",
        ],
        set_attrs: &["security_group_ids"],
        arns: &["ec2:instance"], index_type: Some("ec2:instance"),
    }
    FlowLog = "flow_log", Ec2, "VPC flow log" {
        needs: &[Vpc, Subnet, LogGroup, IamRole],
        replace_on: &[
            "resource_id", "traffic_type", "log_group_name", "deliver_logs_permission_arn",
            "max_aggregation_interval",
        ],
        arns: &["ec2:vpc-flow-log", "ec2:flow-logs"], index_type: Some("ec2:vpc-flow-log"),
    }
    EbsEncryption = "ebs_encryption", Ec2, "the account's EBS encryption by default, in the region" {
        // An account setting carries no tags: state's id says whether this state turned it
        // on, and a marker a crash leaves says a create was under way (see
        // provider/aws/ec2/ebs_encryption.rs).
        taggable: false,
        marked_before_create: true,
        one_per_account: true,
    }
    ConfigRecorder = "config_recorder", Config, "AWS Config configuration recorder" {
        needs: &[IamRole],
        replace_on: &["name"],
        taggable: false,
        name_attr: Some("name"),
        checked_by_name: true,
        one_per_account: true,
    }
    ConfigDeliveryChannel = "config_delivery_channel", Config, "AWS Config delivery channel" {
        needs: &[ConfigRecorder, S3Bucket, S3BucketPolicy, SnsTopic],
        replace_on: &["name"],
        taggable: false,
        name_attr: Some("name"),
        checked_by_name: true,
        one_per_account: true,
    }
    ConfigRule = "config_rule", Config, "AWS Config managed rule" {
        needs: &[ConfigRecorder, ConfigDeliveryChannel],
        replace_on: &["name"],
        set_attrs: &["resource_types"],
        name_attr: Some("name"),
        arns: &["config:config-rule"], index_type: Some("config:config-rule"),
        checked_by_name: true,
    }
    ConfigAggregator = "config_aggregator", Config, "AWS Config aggregator over the organization's accounts" {
        needs: &[IamRole],
        replace_on: &["name"],
        name_attr: Some("name"),
        arns: &["config:config-aggregator"], index_type: Some("config:config-aggregator"),
        checked_by_name: true,
    }
    Secret = "secret", Store, "Secrets Manager secret" {
        replace_on: &["name"],
        sensitive: &["value"],
        name_attr: Some("name"), name_output: true,
        arns: &["secretsmanager:secret"], index_type: Some("secretsmanager:secret"),
    }
    EventRule = "event_rule", Respond, "EventBridge rule with its targets" {
        needs: &[LambdaFunction, SnsTopic, IamRole, ConfigRule, GuarddutyDetector, SecurityHub],
        replace_on: &["name"],
        name_attr: Some("name"), name_output: true,
        arns: &["events:rule"], index_type: Some("events:rule"),
    }
    LambdaFunction = "lambda_function", Respond, "Lambda function, its code packaged from the blueprint's folder" {
        needs: &[IamRole, SnsTopic],
        replace_on: &["function_name"],
        // Not secret, but a blob no one reads: `code_sha256` and `source` say what changed.
        sensitive: &["code_zip"],
        name_attr: Some("function_name"), name_output: true,
        arns: &["lambda:function"], index_type: Some("lambda:function"),
    }
    LambdaPermission = "lambda_permission", Respond, "permission for a service to invoke a Lambda function" {
        needs: &[LambdaFunction, EventRule],
        replace_on: &["function_name", "statement_id", "principal", "source_arn", "action"],
        taggable: false,
        found_with: Some(LambdaFunction),
    }
    GuarddutyDetector = "guardduty_detector", Findings, "GuardDuty detector" {
        arns: &["guardduty:detector"], index_type: Some("guardduty:detector"),
        one_per_account: true,
    }
    SecurityHub = "security_hub", Findings, "Security Hub, with its enabled standards" {
        set_attrs: &["standards"],
        // Its tags cannot always be read back (moto); EnableSecurityHub sets them itself.
        tags_after_create: true, create_sets_tags: true, marked_before_create: true,
        arns: &["securityhub:hub"], index_type: Some("securityhub:hub"),
        one_per_account: true,
    }
    GuarddutyAdmin = "guardduty_admin", Findings, "the organization's delegated GuardDuty administrator (set from the management account)" {
        needs: &[GuarddutyDetector],
        replace_on: &["admin_account_id"],
        taggable: false,
        one_per_account: true,
    }
    SecurityhubAdmin = "securityhub_admin", Findings, "the organization's delegated Security Hub administrator (set from the management account)" {
        needs: &[SecurityHub],
        replace_on: &["admin_account_id"],
        taggable: false,
        one_per_account: true,
    }
    GuarddutyOrgConfig = "guardduty_org_config", Findings, "GuardDuty for the organization's member accounts, set by its administrator" {
        needs: &[GuarddutyDetector, GuarddutyAdmin],
        replace_on: &["detector_id"],
        taggable: false,
    }
    SecurityhubOrgConfig = "securityhub_org_config", Findings, "Security Hub for the organization's member accounts, set by its administrator" {
        needs: &[SecurityHub, SecurityhubAdmin],
        taggable: false,
    }
    Dashboard = "dashboard", Dashboard, "CloudWatch dashboard" {
        needs: &[Alarm],
        replace_on: &["dashboard_name"],
        taggable: false,
        name_attr: Some("dashboard_name"), name_output: true,
        checked_by_name: true,
    }
    QueryDefinition = "query_definition", Queries, "Logs Insights saved query" {
        needs: &[LogGroup],
        taggable: false,
        set_attrs: &["log_group_names"],
        name_attr: Some("name"),
        checked_by_name: true,
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Kind {
    /// The canonical name, as used in addresses.
    pub fn as_str(self) -> &'static str {
        self.row().name
    }

    /// One line saying what the kind is, for `graph` and the README.
    pub fn describe(self) -> &'static str {
        self.row().doc
    }

    /// The service family that manages it.
    pub fn family(self) -> Family {
        self.row().family
    }

    /// The kinds a resource of this kind may need to exist first (its references can name
    /// them): the order in which a lab found by its tags alone, with no state to say what
    /// needed what, is torn down (a resource goes before every resource of these kinds).
    /// A test checks it against every dependency of every shipped blueprint, but for two
    /// kinds of edge that have no order AWS enforces: one of a kind on another of its own
    /// (an agent host on its manager's address), and a role's policy naming an ARN.
    pub fn needs(self) -> &'static [Kind] {
        self.row().needs
    }

    /// Attributes whose change cannot be made in place: the resource is replaced.
    pub fn replace_on(self) -> &'static [&'static str] {
        self.row().replace_on
    }

    /// Attributes never shown in plans, diffs or logs (shown as `(sensitive)`).
    pub fn sensitive(self) -> &'static [&'static str] {
        self.row().sensitive
    }

    /// Whether AWS lets this kind carry tags (and so the `socform:*` ownership tags).
    pub fn taggable(self) -> bool {
        self.row().taggable
    }

    /// Attributes that are sets: their order means nothing, so they are kept sorted (after
    /// templates are resolved, since ids sort differently from the templates naming them).
    pub fn set_attrs(self) -> &'static [&'static str] {
        self.row().set_attrs
    }

    /// Sorts the set attributes of `attrs` (see [`Kind::set_attrs`]).
    pub fn normalize(self, attrs: &mut super::Attrs) {
        for name in self.set_attrs() {
            if let Some(serde_json::Value::Array(items)) = attrs.get_mut(*name) {
                items.sort_by_key(|v| v.to_string());
            }
        }
    }

    /// The attribute holding the value of a statically known output, if any: lets plans show
    /// `${iam_role.x.name}` as the name itself before the role exists.
    pub fn static_output(self, output: &str) -> Option<&'static str> {
        let row = self.row();
        if output == "name" && row.name_output {
            row.name_attr
        } else {
            None
        }
    }

    /// Whether the tags that prove it ours may be missing after a create that a crash cut
    /// short: CreateBucket takes no tags (they are a second call), and Security Hub's tags
    /// cannot always be read back (moto). The executor marks such creates in state first
    /// (`State::pending`), and refresh takes the resource made after the marker for the
    /// state's own.
    pub fn tags_after_create(self) -> bool {
        self.row().tags_after_create
    }

    /// Whether a create is marked in state before it starts ([`State::pending`]): the kinds
    /// whose tags come after the create, and metric filters, which carry none, so that a
    /// filter a crash left can be told from one made by hand under the same name.
    ///
    /// [`State::pending`]: crate::state::State::pending
    pub fn marked_before_create(self) -> bool {
        self.row().marked_before_create
    }

    /// Whether AWS keeps one per account and region (a GuardDuty detector, Security Hub, a
    /// Config recorder and channel, an account setting): an account may already have one that
    /// socform did not make, which a blueprint can use without owning
    /// ([`crate::model::Model::uses_existing`]).
    pub fn one_per_account(self) -> bool {
        self.row().one_per_account
    }

    /// For a kind marked before its create ([`Kind::tags_after_create`]): whether the create
    /// call itself sets the tags (EnableSecurityHub does; CreateBucket does not), so that the
    /// marker can record them as what a resource made by that call carries.
    pub fn create_sets_tags(self) -> bool {
        self.row().create_sets_tags
    }

    /// A short noun for messages: `s3 bucket`, `iam role`.
    pub fn noun(self) -> String {
        self.as_str().replace('_', " ")
    }

    /// The attribute holding the name AWS knows the resource by, for kinds the blueprint
    /// names (not those AWS gives an id).
    pub fn name_attr(self) -> Option<&'static str> {
        self.row().name_attr
    }

    /// The tagging index's resource type for the kinds it lists (`ec2:vpc`, `s3`).
    pub fn index_type(self) -> Option<&'static str> {
        self.row().index_type
    }

    /// The kind it is found with (a filter with its log group), if any.
    pub fn found_with(self) -> Option<Kind> {
        self.row().found_with
    }

    /// Whether the leftover check finds it only by its name (see [`Row::checked_by_name`]).
    pub fn checked_by_name(self) -> bool {
        self.row().checked_by_name
    }

    /// The kind an ARN's service and resource part name (`ec2`, `vpc/vpc-1`), where socform
    /// makes that kind.
    pub fn of_arn(service: &str, resource: &str) -> Option<Kind> {
        let rtype = resource.split(['/', ':']).next().unwrap_or(resource);
        Kind::ALL.iter().copied().find(|k| {
            k.row().arns.iter().any(|a| match a.split_once(':') {
                Some((s, t)) => s == service && t == rtype,
                None => *a == service,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fact of every kind, one line each: a change to a kind's row shows here, and
    /// moving the facts into rows (issue 25) was checked against this snapshot unchanged.
    #[test]
    fn every_kinds_facts() {
        let mut out = String::new();
        for k in Kind::ALL {
            out += &format!(
                "{k}: {} | {:?} | needs {:?} | replace {:?} | sensitive {:?} | taggable {} | sets {:?} | name {:?} (static output {:?}) | tags after create {} | marked {} | create sets tags {} | arns {:?} index {:?} | found with {:?} | by name {} | one per account {}\n",
                k.describe(),
                k.family(),
                k.needs(),
                k.replace_on(),
                k.sensitive(),
                k.taggable(),
                k.set_attrs(),
                k.name_attr(),
                k.static_output("name"),
                k.tags_after_create(),
                k.marked_before_create(),
                k.create_sets_tags(),
                k.row().arns,
                k.index_type(),
                k.found_with(),
                k.checked_by_name(),
                k.one_per_account(),
            );
        }
        insta::assert_snapshot!(out);
    }

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_str(k.as_str()), Ok(*k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    #[test]
    fn rows_agree_with_themselves() {
        for k in Kind::ALL {
            let r = k.row();
            // A kind the index lists is read back from its ARNs as itself.
            if let Some(t) = r.index_type {
                assert!(r.arns.contains(&t), "{k}: {t} is not among its ARN forms");
            }
            // Only a kind marked before its create can have its tags come after it.
            assert!(!r.tags_after_create || r.marked_before_create, "{k}");
            assert!(!r.create_sets_tags || r.tags_after_create, "{k}");
            assert!(!r.name_output || r.name_attr.is_some(), "{k}");
            assert!(r.found_with != Some(*k), "{k}");
        }
    }
}
