//! Resource kinds and what socform knows about each: its canonical name, which attribute
//! changes force a replacement, which attributes are sensitive, and whether AWS lets it carry
//! tags.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The AWS service family that manages a kind: the provider dispatches on it once, and each
/// family is a module of its own (`provider/aws/ec2.rs`, `iam.rs`...).
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
}

macro_rules! kinds {
    ($( $variant:ident = $name:literal, $family:ident, $doc:literal; )*) => {
        /// A kind of resource socform can manage.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $( #[doc = $doc] $variant, )*
        }

        impl Kind {
            /// Every kind, in the order of this list.
            pub const ALL: &'static [Kind] = &[ $( Kind::$variant, )* ];

            /// The canonical name, as used in addresses.
            pub fn as_str(self) -> &'static str {
                match self { $( Kind::$variant => $name, )* }
            }

            /// One line saying what the kind is, for `graph` and the README.
            pub fn describe(self) -> &'static str {
                match self { $( Kind::$variant => $doc, )* }
            }

            /// The service family that manages it.
            pub fn family(self) -> Family {
                match self { $( Kind::$variant => Family::$family, )* }
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
    Vpc = "vpc", Ec2, "VPC";
    Subnet = "subnet", Ec2, "VPC subnet";
    InternetGateway = "internet_gateway", Ec2, "internet gateway attached to the VPC";
    RouteTable = "route_table", Ec2, "route table with its routes and subnet associations";
    SecurityGroup = "security_group", Ec2, "security group (its rules are separate nodes)";
    SecurityGroupRule = "security_group_rule", Ec2, "one ingress or egress rule of a security group";
    IamRole = "iam_role", Iam, "IAM role with its trust policy, managed and inline policies";
    InstanceProfile = "instance_profile", Iam, "EC2 instance profile wrapping a role";
    S3Bucket = "s3_bucket", S3, "S3 bucket with versioning, encryption and public access block";
    S3BucketPolicy = "s3_bucket_policy", S3, "S3 bucket policy";
    Trail = "trail", Trail, "CloudTrail trail";
    LogGroup = "log_group", Logs, "CloudWatch Logs log group";
    MetricFilter = "metric_filter", Logs, "CloudWatch Logs metric filter";
    Alarm = "alarm", Logs, "CloudWatch metric alarm";
    SnsTopic = "sns_topic", Notify, "SNS topic";
    SnsSubscription = "sns_subscription", Notify, "SNS subscription";
    SsmParameter = "ssm_parameter", Store, "SSM Parameter Store parameter";
    Instance = "instance", Ec2, "EC2 instance (a host)";
    FlowLog = "flow_log", Ec2, "VPC flow log";
    ConfigRecorder = "config_recorder", Config, "AWS Config configuration recorder";
    ConfigDeliveryChannel = "config_delivery_channel", Config, "AWS Config delivery channel";
    ConfigRule = "config_rule", Config, "AWS Config managed rule";
    Secret = "secret", Store, "Secrets Manager secret";
    EventRule = "event_rule", Respond, "EventBridge rule with its targets";
    LambdaFunction = "lambda_function", Respond, "Lambda function, its code packaged from the blueprint's folder";
    LambdaPermission = "lambda_permission", Respond, "permission for a service to invoke a Lambda function";
    GuarddutyDetector = "guardduty_detector", Findings, "GuardDuty detector";
    SecurityHub = "security_hub", Findings, "Security Hub, with its enabled standards";
    Dashboard = "dashboard", Dashboard, "CloudWatch dashboard";
    QueryDefinition = "query_definition", Queries, "Logs Insights saved query";
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Kind {
    /// The kinds a resource of this kind may need to exist first (its references can name
    /// them): the order in which a lab found by its tags alone, with no state to say what
    /// needed what, is torn down (a resource goes before every resource of these kinds).
    /// A test checks it against every dependency of every shipped blueprint, but for two
    /// kinds of edge that have no order AWS enforces: one of a kind on another of its own
    /// (an agent host on its manager's address), and a role's policy naming an ARN.
    pub fn needs(self) -> &'static [Kind] {
        use Kind::*;
        match self {
            Vpc | S3Bucket | LogGroup | SnsTopic | Secret => &[],
            // A role's policies name resources by ARN, a copied value that AWS ties to
            // nothing: a role is deleted in any order (and reaching a parameter that names a
            // host that uses the role would make a cycle).
            IamRole => &[],
            Subnet | InternetGateway | SecurityGroup => &[Vpc],
            RouteTable => &[Vpc, Subnet, InternetGateway],
            SecurityGroupRule => &[SecurityGroup],
            InstanceProfile => &[IamRole],
            S3BucketPolicy => &[S3Bucket, IamRole],
            Trail => &[S3Bucket, S3BucketPolicy, LogGroup, IamRole, SnsTopic],
            MetricFilter => &[LogGroup],
            Alarm => &[SnsTopic, MetricFilter, LogGroup],
            SnsSubscription => &[SnsTopic],
            SsmParameter => &[Instance, Secret, S3Bucket, SnsTopic],
            Instance => &[
                Subnet,
                SecurityGroup,
                SecurityGroupRule,
                InstanceProfile,
                IamRole,
                RouteTable,
                InternetGateway,
                Secret,
                S3Bucket,
                SnsTopic,
                LogGroup,
            ],
            FlowLog => &[Vpc, Subnet, LogGroup, IamRole],
            ConfigRecorder => &[IamRole],
            ConfigDeliveryChannel => &[ConfigRecorder, S3Bucket, S3BucketPolicy, SnsTopic],
            ConfigRule => &[ConfigRecorder, ConfigDeliveryChannel],
            GuarddutyDetector | SecurityHub => &[],
            Dashboard => &[Alarm],
            QueryDefinition => &[LogGroup],
            LambdaFunction => &[IamRole, SnsTopic],
            EventRule => &[LambdaFunction, SnsTopic, IamRole, ConfigRule, GuarddutyDetector, SecurityHub],
            LambdaPermission => &[LambdaFunction, EventRule],
        }
    }

    /// Attributes whose change cannot be made in place: the resource is replaced.
    pub fn replace_on(self) -> &'static [&'static str] {
        use Kind::*;
        match self {
            Vpc => &["cidr_block"],
            Subnet => &["vpc_id", "cidr_block", "availability_zone"],
            InternetGateway => &["vpc_id"],
            RouteTable => &["vpc_id"],
            SecurityGroup => &["group_name", "description", "vpc_id"],
            SecurityGroupRule => &[
                "group_id",
                "direction",
                "protocol",
                "from_port",
                "to_port",
                "cidr_ipv4",
                "cidr_ipv6",
                "peer_group_id",
            ],
            IamRole => &["role_name", "path"],
            InstanceProfile => &["name", "path"],
            S3Bucket => &["bucket"],
            S3BucketPolicy => &["bucket"],
            Trail => &["name"],
            LogGroup => &["log_group_name", "kms_key_id"],
            MetricFilter => &["log_group_name", "filter_name"],
            Alarm => &["alarm_name"],
            SnsTopic => &["name"],
            SnsSubscription => &["topic_arn", "protocol", "endpoint"],
            SsmParameter => &["name"],
            Instance => &[
                "image",
                "instance_type",
                "subnet_id",
                "user_data",
                "root_volume_size_gb",
                "root_volume_encrypted",
                "associate_public_ip",
                "private_ip",
            ],
            FlowLog => &[
                "resource_id",
                "traffic_type",
                "log_group_name",
                "deliver_logs_permission_arn",
                "max_aggregation_interval",
            ],
            ConfigRecorder => &["name"],
            ConfigDeliveryChannel => &["name"],
            ConfigRule => &["name"],
            Secret => &["name"],
            EventRule => &["name"],
            LambdaFunction => &["function_name"],
            LambdaPermission => &["function_name", "statement_id", "principal", "source_arn", "action"],
            GuarddutyDetector => &[],
            SecurityHub => &[],
            Dashboard => &["dashboard_name"],
            QueryDefinition => &[],
        }
    }

    /// Attributes never shown in plans, diffs or logs (shown as `(sensitive)`).
    pub fn sensitive(self) -> &'static [&'static str] {
        match self {
            Kind::Secret | Kind::SsmParameter => &["value"],
            // Not secret, but a blob no one reads: `code_sha256` and `source` say what changed.
            Kind::LambdaFunction => &["code_zip"],
            _ => &[],
        }
    }

    /// Whether AWS lets this kind carry tags (and so the `socform:*` ownership tags).
    pub fn taggable(self) -> bool {
        !matches!(
            self,
            Kind::SecurityGroupRule
                | Kind::S3BucketPolicy
                | Kind::MetricFilter
                | Kind::SnsSubscription
                | Kind::ConfigRecorder
                | Kind::ConfigDeliveryChannel
                | Kind::LambdaPermission
                | Kind::Dashboard
                | Kind::QueryDefinition
        )
    }

    /// Attributes that are sets: their order means nothing, so they are kept sorted (after
    /// templates are resolved, since ids sort differently from the templates naming them).
    pub fn set_attrs(self) -> &'static [&'static str] {
        use Kind::*;
        match self {
            RouteTable => &["subnet_ids"],
            Instance => &["security_group_ids"],
            IamRole => &["managed_policy_arns"],
            Alarm => &["alarm_actions", "ok_actions"],
            ConfigRule => &["resource_types"],
            SecurityHub => &["standards"],
            QueryDefinition => &["log_group_names"],
            _ => &[],
        }
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
        use Kind::*;
        Some(match (self, output) {
            (IamRole, "name") => "role_name",
            (InstanceProfile, "name") => "name",
            (S3Bucket, "name") => "bucket",
            (Trail, "name") => "name",
            (LogGroup, "name") => "log_group_name",
            (SnsTopic, "name") => "name",
            (SsmParameter, "name") => "name",
            (Secret, "name") => "name",
            (Alarm, "name") => "alarm_name",
            (SecurityGroup, "name") => "group_name",
            (EventRule, "name") => "name",
            (LambdaFunction, "name") => "function_name",
            (Dashboard, "name") => "dashboard_name",
            _ => return None,
        })
    }

    /// Whether the tags that prove it ours may be missing after a create that a crash cut
    /// short: CreateBucket takes no tags (they are a second call), and Security Hub's tags
    /// cannot always be read back (moto). The executor marks such creates in state first
    /// (`State::pending`), and refresh takes the resource made after the marker for the
    /// state's own.
    pub fn tags_after_create(self) -> bool {
        matches!(self, Kind::S3Bucket | Kind::SecurityHub)
    }

    /// Whether a create is marked in state before it starts ([`State::pending`]): the kinds
    /// whose tags come after the create, and metric filters, which carry none, so that a
    /// filter a crash left can be told from one made by hand under the same name.
    ///
    /// [`State::pending`]: crate::state::State::pending
    pub fn marked_before_create(self) -> bool {
        self.tags_after_create() || self == Kind::MetricFilter
    }

    /// For a kind marked before its create ([`Kind::tags_after_create`]): whether the create
    /// call itself sets the tags (EnableSecurityHub does; CreateBucket does not), so that the
    /// marker can record them as what a resource made by that call carries.
    pub fn create_sets_tags(self) -> bool {
        matches!(self, Kind::SecurityHub)
    }

    /// A short noun for messages: `s3 bucket`, `iam role`.
    pub fn noun(self) -> String {
        self.as_str().replace('_', " ")
    }

    /// The attribute holding the name AWS knows the resource by, for kinds the blueprint
    /// names (not those AWS gives an id).
    pub fn name_attr(self) -> Option<&'static str> {
        use Kind::*;
        match self {
            MetricFilter => Some("filter_name"),
            QueryDefinition => Some("name"),
            ConfigRecorder | ConfigDeliveryChannel | ConfigRule => Some("name"),
            k => k.static_output("name"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_str(k.as_str()), Ok(*k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
