//! `socform preflight`: what would make a real first apply fail halfway, said before the
//! first write. Four checks, each finding naming what to do:
//!
//! - **region**: the blueprint's region is enabled for the account (opt-in regions are not);
//! - **singletons**: what the account has already and how the plan treats it (used, or in
//!   the way of a blueprint that says `if_exists: fail`);
//! - **quotas**: what the plan makes against the account's applied quota (Service Quotas, with
//!   AWS's documented default where the service does not know it) less what is in use;
//! - **permissions**: IAM's policy simulation of every action the plan's kinds call, for the
//!   caller.
//!
//! A check that cannot be made (no permission to simulate, an endpoint without the call) is a
//! warning saying so, never a pass.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{Kind, Model};
use crate::plan::{Action, Plan};
use crate::provider::{Provider, ProviderError, Usage};
use crate::state::Snapshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The apply would fail.
    Error,
    /// Not checked, or worth knowing before the apply.
    Warning,
    /// Checked and fine.
    Ok,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// `region`, `singleton`, `quota` or `permissions`.
    pub check: &'static str,
    pub message: String,
    /// What to do (empty when nothing is needed).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether the apply would fail.
    pub fn fails(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    fn add(&mut self, severity: Severity, check: &'static str, message: String, fix: impl Into<String>) {
        self.findings.push(Finding { severity, check, message, fix: fix.into() });
    }
}

/// A quota the plan can run into.
struct Quota {
    name: &'static str,
    /// Service Quotas' service and quota codes; `None` for a quota it does not serve.
    code: Option<(&'static str, &'static str)>,
    /// AWS's documented default.
    default: f64,
    kind: Kind,
    usage: Usage,
}

const QUOTAS: &[Quota] = &[
    Quota {
        name: "VPCs per region",
        code: Some(("vpc", "L-F678F1CE")),
        default: 5.0,
        kind: Kind::Vpc,
        usage: Usage::Vpcs,
    },
    Quota {
        name: "internet gateways per region",
        code: Some(("vpc", "L-A4707A72")),
        default: 5.0,
        kind: Kind::InternetGateway,
        usage: Usage::InternetGateways,
    },
    Quota {
        name: "IAM roles per account",
        code: Some(("iam", "L-FE177D64")),
        default: 1000.0,
        kind: Kind::IamRole,
        usage: Usage::IamRoles,
    },
    // CloudTrail's five trails per region cannot be raised, and Service Quotas does not list it.
    Quota { name: "trails per region", code: None, default: 5.0, kind: Kind::Trail, usage: Usage::Trails },
];

/// Metric filters one log group may have (CloudWatch Logs; not adjustable).
const FILTERS_PER_LOG_GROUP: f64 = crate::blueprint::FILTERS_PER_LOG_GROUP as f64;

/// Every check, for `plan` of `model` (read with `live`).
pub async fn check(p: &dyn Provider, model: &Model, plan: &Plan, live: Option<&Snapshot>) -> Report {
    let mut r = Report::default();
    region(p, model, &mut r).await;
    singletons(model, plan, live, &mut r);
    quotas(p, model, plan, &mut r).await;
    permissions(p, plan, &mut r).await;
    r.findings.sort_by_key(|f| f.severity);
    r
}

async fn region(p: &dyn Provider, model: &Model, r: &mut Report) {
    match p.region_enabled().await {
        Ok(true) => r.add(Severity::Ok, "region", format!("{} is enabled for the account", model.region), ""),
        Ok(false) => r.add(
            Severity::Error,
            "region",
            format!("{} is an opt-in region this account has not enabled: every call there fails", model.region),
            "enable it (AWS console, Account, AWS Regions), or set the blueprint's `region` to one that is",
        ),
        Err(e) => {
            r.add(Severity::Warning, "region", format!("whether {} is enabled was not checked: {e}", model.region), "")
        }
    }
}

fn singletons(model: &Model, plan: &Plan, live: Option<&Snapshot>, r: &mut Report) {
    for c in &plan.changes {
        let id = c.id.as_deref().unwrap_or("");
        let noun = c.kind.noun();
        if c.action == Action::Use {
            let what = if model.lookups.contains(&c.address) { "looks up" } else { "uses" };
            r.add(
                Severity::Ok,
                "singleton",
                format!(
                    "{}: {what} the existing {noun} `{id}` (not managed by socform: never changed or deleted)",
                    c.address
                ),
                "",
            );
        } else if c.action == Action::Create && c.kind.one_per_account() {
            let account = model.get(&c.address).and_then(|r| r.account());
            if let Some(theirs) = live.and_then(|l| l.existing_in(account, c.kind)) {
                if model.replaces_existing.contains(&c.address) {
                    r.add(
                        Severity::Ok,
                        "singleton",
                        format!(
                            "{}: replaces the account's {noun} (`{}`), as the blueprint says (`if_exists: replace`); destroy puts it back",
                            c.address, theirs.id
                        ),
                        "",
                    );
                    continue;
                }
                r.add(
                    Severity::Error,
                    "singleton",
                    format!(
                        "{}: the account has a {noun} (`{}`) this state did not make, and the blueprint says `if_exists: fail`: the apply would stop there",
                        c.address, theirs.id
                    ),
                    "say `if_exists: use` to use it, or apply in an account without one",
                );
            }
        }
    }
}

async fn quotas(p: &dyn Provider, model: &Model, plan: &Plan, r: &mut Report) {
    let creates = |kind: Kind| {
        plan.changes.iter().filter(|c| c.kind == kind && matches!(c.action, Action::Create)).count() as u64
    };
    for q in QUOTAS {
        let new = creates(q.kind);
        if new == 0 {
            continue;
        }
        let (limit, source) = match q.code {
            Some((service, code)) => match p.quota(service, code).await {
                Ok(Some(v)) => (v, format!("the account's quota {service}/{code}")),
                Ok(None) => (q.default, format!("AWS's default; Service Quotas does not know {service}/{code} here")),
                Err(e) => (q.default, format!("AWS's default; Service Quotas could not be read: {e}")),
            },
            None => (q.default, "a fixed quota".to_string()),
        };
        let fix = match q.code {
            Some((service, code)) => {
                format!("request an increase of {service}/{code} in Service Quotas, or remove unused ones")
            }
            None => "remove unused ones: it cannot be raised".to_string(),
        };
        quota_finding(p, r, q.name, &q.usage, new, limit, &source, &fix).await;
    }
    // Filters on log groups the blueprint looks up: someone else's filters count too.
    for a in model.lookups.iter().filter(|a| a.kind() == Kind::LogGroup) {
        let Some(group) = plan.change(a).and_then(|c| c.id.clone()) else { continue };
        let new = plan
            .changes
            .iter()
            .filter(|c| c.kind == Kind::MetricFilter && c.action == Action::Create)
            .filter(|c| c.after.as_ref().and_then(|x| x.get("log_group_name")).and_then(|v| v.as_str()) == Some(&group))
            .count() as u64;
        if new > 0 {
            let name = format!("metric filters on log group `{group}`");
            let usage = Usage::FiltersOn(group.clone());
            let fix = "watch fewer events on it (drop detections, or a pack with `enabled: false`): the quota cannot be raised";
            quota_finding(p, r, &name, &usage, new, FILTERS_PER_LOG_GROUP, "a fixed quota", fix).await;
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn quota_finding(
    p: &dyn Provider,
    r: &mut Report,
    name: &str,
    usage: &Usage,
    new: u64,
    limit: f64,
    source: &str,
    fix: &str,
) {
    match p.in_use(usage).await {
        Ok(used) if (used + new) as f64 > limit => r.add(
            Severity::Error,
            "quota",
            format!("{name}: {used} in use and {new} more in the plan exceed {limit} ({source})"),
            fix,
        ),
        Ok(used) => {
            r.add(Severity::Ok, "quota", format!("{name}: {used} in use and {new} more, of {limit} ({source})"), "")
        }
        Err(e) => r.add(Severity::Warning, "quota", format!("{name}: what is in use was not counted: {e}"), ""),
    }
}

async fn permissions(p: &dyn Provider, plan: &Plan, r: &mut Report) {
    let mut needed: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for a in ["sts:GetCallerIdentity", "tag:GetResources"] {
        needed.entry(a).or_default();
    }
    for c in plan.changes.iter().filter(|c| c.action.is_change()) {
        for a in actions(c.kind) {
            needed.entry(a).or_default().insert(c.address.to_string());
        }
    }
    let principal = match p.principal().await {
        Ok(p) => p,
        Err(e) => {
            r.add(
                Severity::Warning,
                "permissions",
                format!("not checked: who the caller is could not be read: {e}"),
                "",
            );
            return;
        }
    };
    if principal.ends_with(":root") {
        r.add(
            Severity::Warning,
            "permissions",
            "the credentials are the account's root user, which may do everything: not checked".into(),
            "use a role or user with the permissions the plan needs",
        );
        return;
    }
    let list: Vec<String> = needed.keys().map(|a| a.to_string()).collect();
    match p.simulate(&principal, &list).await {
        Ok(decisions) => {
            let mut denied = 0;
            for (action, who) in &needed {
                let decision = decisions.get(*action).map(String::as_str).unwrap_or("not evaluated");
                if decision == "allowed" {
                    continue;
                }
                denied += 1;
                let by: Vec<&str> = who.iter().take(3).map(String::as_str).collect();
                let more = if who.len() > 3 { format!(" and {} more", who.len() - 3) } else { String::new() };
                let needs = if by.is_empty() { "every run".to_string() } else { format!("{}{more}", by.join(", ")) };
                r.add(
                    Severity::Error,
                    "permissions",
                    format!("{action} is not allowed for {principal} ({decision}); needed by {needs}"),
                    format!("allow {action} in a policy of {principal}"),
                );
            }
            if denied == 0 {
                r.add(
                    Severity::Ok,
                    "permissions",
                    format!("{principal} may call all {} actions the plan needs (IAM policy simulation)", needed.len()),
                    "",
                );
            }
        }
        Err(ProviderError::Fatal(m)) if m.starts_with("access denied") => r.add(
            Severity::Warning,
            "permissions",
            format!("not checked: {principal} may not simulate its own policies ({m})"),
            "allow iam:SimulatePrincipalPolicy on itself to have preflight check permissions",
        ),
        Err(e) => r.add(Severity::Warning, "permissions", format!("not checked: {e}"), ""),
    }
}

/// The IAM actions a kind's create, update, read and delete call (what its `KindApi` sends):
/// one exhaustive match, so a new kind must say its own.
pub fn actions(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::GuarddutyAdmin => &[
            "guardduty:EnableOrganizationAdminAccount",
            "guardduty:ListOrganizationAdminAccounts",
            "guardduty:DisableOrganizationAdminAccount",
            "organizations:EnableAWSServiceAccess",
            "organizations:RegisterDelegatedAdministrator",
            "organizations:ListDelegatedAdministrators",
            "organizations:DescribeOrganization",
        ],
        Kind::SecurityhubAdmin => &[
            "securityhub:EnableOrganizationAdminAccount",
            "securityhub:ListOrganizationAdminAccounts",
            "securityhub:DisableOrganizationAdminAccount",
            "organizations:EnableAWSServiceAccess",
            "organizations:RegisterDelegatedAdministrator",
            "organizations:ListDelegatedAdministrators",
            "organizations:DescribeOrganization",
        ],
        Kind::GuarddutyOrgConfig => {
            &["guardduty:UpdateOrganizationConfiguration", "guardduty:DescribeOrganizationConfiguration"]
        }
        Kind::SecurityhubOrgConfig => {
            &["securityhub:UpdateOrganizationConfiguration", "securityhub:DescribeOrganizationConfiguration"]
        }
        Kind::ConfigAggregator => &[
            "config:PutConfigurationAggregator",
            "config:DescribeConfigurationAggregators",
            "config:DeleteConfigurationAggregator",
            "config:ListTagsForResource",
            "config:TagResource",
            "config:UntagResource",
            "organizations:EnableAWSServiceAccess",
            "organizations:ListAWSServiceAccessForOrganization",
            "organizations:DescribeOrganization",
            "iam:PassRole",
        ],
        Kind::Vpc => &[
            "ec2:CreateVpc",
            "ec2:DeleteVpc",
            "ec2:DescribeVpcs",
            "ec2:DescribeVpcAttribute",
            "ec2:ModifyVpcAttribute",
            "ec2:CreateTags",
        ],
        Kind::Subnet => &[
            "ec2:CreateSubnet",
            "ec2:DeleteSubnet",
            "ec2:DescribeSubnets",
            "ec2:ModifySubnetAttribute",
            "ec2:CreateTags",
        ],
        Kind::InternetGateway => &[
            "ec2:CreateInternetGateway",
            "ec2:AttachInternetGateway",
            "ec2:DetachInternetGateway",
            "ec2:DeleteInternetGateway",
            "ec2:DescribeInternetGateways",
            "ec2:CreateTags",
        ],
        Kind::RouteTable => &[
            "ec2:CreateRouteTable",
            "ec2:CreateRoute",
            "ec2:AssociateRouteTable",
            "ec2:DisassociateRouteTable",
            "ec2:DeleteRouteTable",
            "ec2:DescribeRouteTables",
            "ec2:CreateTags",
        ],
        Kind::NetworkAcl => &[
            "ec2:CreateNetworkAcl",
            "ec2:CreateNetworkAclEntry",
            "ec2:ReplaceNetworkAclEntry",
            "ec2:DeleteNetworkAclEntry",
            "ec2:ReplaceNetworkAclAssociation",
            "ec2:DeleteNetworkAcl",
            "ec2:DescribeNetworkAcls",
            "ec2:CreateTags",
        ],
        Kind::SecurityGroup => &[
            "ec2:CreateSecurityGroup",
            "ec2:DeleteSecurityGroup",
            "ec2:DescribeSecurityGroups",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:CreateTags",
        ],
        Kind::SecurityGroupRule => &[
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:DescribeSecurityGroupRules",
            "ec2:ModifySecurityGroupRules",
        ],
        Kind::Instance => &[
            "ec2:RunInstances",
            "ec2:TerminateInstances",
            "ec2:DescribeInstances",
            "ec2:StopInstances",
            "ec2:StartInstances",
            "ec2:CreateTags",
            "ssm:GetParameter",
            "iam:PassRole",
        ],
        Kind::FlowLog => {
            &["ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "ec2:DescribeFlowLogs", "ec2:CreateTags", "iam:PassRole"]
        }
        Kind::EbsEncryption => {
            &["ec2:GetEbsEncryptionByDefault", "ec2:EnableEbsEncryptionByDefault", "ec2:DisableEbsEncryptionByDefault"]
        }
        Kind::IamPasswordPolicy => {
            &["iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy", "iam:DeleteAccountPasswordPolicy"]
        }
        Kind::IamRole => &[
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:GetRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:AttachRolePolicy",
            "iam:DetachRolePolicy",
            "iam:PutRolePolicy",
            "iam:DeleteRolePolicy",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:GetAccountAuthorizationDetails",
        ],
        Kind::InstanceProfile => &[
            "iam:CreateInstanceProfile",
            "iam:DeleteInstanceProfile",
            "iam:AddRoleToInstanceProfile",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:TagInstanceProfile",
        ],
        Kind::S3Bucket => &[
            "s3:CreateBucket",
            "s3:DeleteBucket",
            "s3:ListBucket",
            "s3:PutBucketVersioning",
            "s3:PutEncryptionConfiguration",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketTagging",
            "s3:GetBucketTagging",
        ],
        Kind::S3BucketPolicy => &["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"],
        Kind::Trail => &[
            "cloudtrail:CreateTrail",
            "cloudtrail:UpdateTrail",
            "cloudtrail:DeleteTrail",
            "cloudtrail:StartLogging",
            "cloudtrail:StopLogging",
            "cloudtrail:DescribeTrails",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:PutEventSelectors",
            "cloudtrail:GetEventSelectors",
            "cloudtrail:AddTags",
            "iam:PassRole",
        ],
        Kind::LogGroup => &[
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:DescribeLogGroups",
            "logs:PutRetentionPolicy",
            "logs:TagResource",
            "logs:UntagResource",
            "logs:ListTagsForResource",
        ],
        Kind::MetricFilter => &["logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:DescribeMetricFilters"],
        Kind::Alarm => &[
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DeleteAlarms",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
        ],
        Kind::SnsTopic => &[
            "sns:CreateTopic",
            "sns:DeleteTopic",
            "sns:GetTopicAttributes",
            "sns:SetTopicAttributes",
            "sns:ListTopics",
            "sns:TagResource",
        ],
        Kind::SnsSubscription => &["sns:Subscribe", "sns:Unsubscribe", "sns:ListSubscriptionsByTopic"],
        Kind::SsmParameter => {
            &["ssm:PutParameter", "ssm:DeleteParameter", "ssm:DescribeParameters", "ssm:AddTagsToResource"]
        }
        Kind::KmsKey => &[
            "kms:CreateKey",
            "kms:DescribeKey",
            "kms:ListKeys",
            "kms:GetKeyPolicy",
            "kms:PutKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:EnableKeyRotation",
            "kms:DisableKeyRotation",
            "kms:UpdateKeyDescription",
            "kms:ListResourceTags",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:ScheduleKeyDeletion",
        ],
        Kind::Secret => &[
            "secretsmanager:CreateSecret",
            "secretsmanager:PutSecretValue",
            "secretsmanager:DeleteSecret",
            "secretsmanager:ListSecrets",
            "secretsmanager:TagResource",
            "secretsmanager:GetRandomPassword",
        ],
        Kind::ConfigRecorder => &[
            "config:PutConfigurationRecorder",
            "config:DeleteConfigurationRecorder",
            "config:DescribeConfigurationRecorders",
            "config:DescribeConfigurationRecorderStatus",
            "config:StartConfigurationRecorder",
            "config:StopConfigurationRecorder",
            "iam:PassRole",
        ],
        Kind::ConfigDeliveryChannel => {
            &["config:PutDeliveryChannel", "config:DeleteDeliveryChannel", "config:DescribeDeliveryChannels"]
        }
        Kind::ConfigRule => {
            &["config:PutConfigRule", "config:DeleteConfigRule", "config:DescribeConfigRules", "config:TagResource"]
        }
        Kind::EventRule => &[
            "events:PutRule",
            "events:DeleteRule",
            "events:PutTargets",
            "events:RemoveTargets",
            "events:ListRules",
            "events:ListTargetsByRule",
            "events:TagResource",
            "iam:PassRole",
        ],
        Kind::LambdaFunction => &[
            "lambda:CreateFunction",
            "lambda:DeleteFunction",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
            "lambda:ListFunctions",
            "lambda:TagResource",
            "iam:PassRole",
        ],
        Kind::LambdaPermission => &["lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"],
        // Enabling GuardDuty and Security Hub makes their service-linked roles.
        Kind::GuarddutyDetector => &[
            "guardduty:CreateDetector",
            "guardduty:UpdateDetector",
            "guardduty:DeleteDetector",
            "guardduty:ListDetectors",
            "guardduty:GetDetector",
            "guardduty:TagResource",
            "iam:CreateServiceLinkedRole",
        ],
        Kind::SecurityHub => &[
            "securityhub:EnableSecurityHub",
            "securityhub:DisableSecurityHub",
            "securityhub:DescribeHub",
            "securityhub:BatchEnableStandards",
            "securityhub:BatchDisableStandards",
            "securityhub:GetEnabledStandards",
            "securityhub:TagResource",
            "iam:CreateServiceLinkedRole",
        ],
        Kind::Dashboard => &[
            "cloudwatch:PutDashboard",
            "cloudwatch:GetDashboard",
            "cloudwatch:DeleteDashboards",
            "cloudwatch:ListDashboards",
        ],
        Kind::QueryDefinition => {
            &["logs:PutQueryDefinition", "logs:DeleteQueryDefinition", "logs:DescribeQueryDefinitions"]
        }
    }
}
