//! The built-in detection catalog: every CIS AWS Foundations Benchmark monitoring control
//! (`cis/4.1` to `cis/4.15`, the CloudWatch.1 to .14 controls of AWS Security Hub) and the
//! detections the seed environments use (`soc/...`). Each entry has its MITRE ATT&CK
//! techniques and sample CloudTrail events that must and must not match.
//!
//! Patterns are the published ones, with one deliberate correction: CIS 4.1 as published in
//! v1.5 and later reads `A || B && C && D`, and since `&&` binds tighter than `||`, the
//! exclusions of `delivery.logs.amazonaws.com` and `HeadBucket` only apply to the second
//! branch. This catalog groups the alternatives: `(A || B) && C && D`. The test
//! `cis_4_1_published_variant_has_a_precedence_bug` shows the difference on a sample.

/// One catalog entry.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub id: &'static str,
    /// The detection name a blueprint gets when it does not set one.
    pub name: &'static str,
    pub title: &'static str,
    pub pattern: &'static str,
    pub severity: &'static str,
    pub attack: &'static [&'static str],
    /// Alarm threshold: `count` events in `period` seconds.
    pub count: f64,
    pub period: i64,
    pub samples_match: &'static [&'static str],
    pub samples_no_match: &'static [&'static str],
}

pub fn get(id: &str) -> Option<&'static Entry> {
    CATALOG.iter().find(|e| e.id == id)
}

/// The CIS monitoring controls, in order.
pub fn cis() -> impl Iterator<Item = &'static Entry> {
    CATALOG.iter().filter(|e| e.id.starts_with("cis/"))
}

/// CIS 4.1 exactly as CIS v1.5+ and Security Hub CloudWatch.2 publish it.
pub const CIS_4_1_PUBLISHED: &str = r#"{($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }"#;

pub const CATALOG: &[Entry] = &[
    Entry {
        id: "cis/4.1",
        name: "unauthorized-api-calls",
        title: "Unauthorized API calls",
        pattern: r#"{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }"#,
        severity: "medium",
        attack: &["T1078", "T1580"],
        count: 1.0,
        period: 300,
        samples_match: &[
            r#"{"eventName":"DescribeInstances","errorCode":"Client.UnauthorizedOperation","sourceIPAddress":"203.0.113.7"}"#,
            r#"{"eventName":"GetObject","errorCode":"AccessDenied","sourceIPAddress":"203.0.113.7"}"#,
        ],
        samples_no_match: &[
            r#"{"eventName":"DescribeInstances","sourceIPAddress":"203.0.113.7"}"#,
            r#"{"eventName":"HeadBucket","errorCode":"AccessDenied","sourceIPAddress":"203.0.113.7"}"#,
            r#"{"eventName":"PutObject","errorCode":"AccessDenied","sourceIPAddress":"delivery.logs.amazonaws.com"}"#,
        ],
    },
    Entry {
        id: "cis/4.2",
        name: "console-signin-without-mfa",
        title: "Management console sign-in without MFA",
        pattern: r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#,
        severity: "high",
        attack: &["T1078.004"],
        count: 1.0,
        period: 300,
        samples_match: &[
            r#"{"eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser"},"additionalEventData":{"MFAUsed":"No"},"responseElements":{"ConsoleLogin":"Success"}}"#,
        ],
        samples_no_match: &[
            r#"{"eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser"},"additionalEventData":{"MFAUsed":"Yes"},"responseElements":{"ConsoleLogin":"Success"}}"#,
            r#"{"eventName":"ConsoleLogin","userIdentity":{"type":"AssumedRole"},"additionalEventData":{"MFAUsed":"No"},"responseElements":{"ConsoleLogin":"Success"}}"#,
            r#"{"eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser"},"additionalEventData":{"MFAUsed":"No"},"responseElements":{"ConsoleLogin":"Failure"}}"#,
        ],
    },
    Entry {
        id: "cis/4.3",
        name: "root-account-usage",
        title: "Usage of the root account",
        pattern: r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#,
        severity: "critical",
        attack: &["T1078.004"],
        count: 1.0,
        period: 60,
        samples_match: &[
            r#"{"eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","userIdentity":{"type":"Root"}}"#,
        ],
        samples_no_match: &[
            r#"{"eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","userIdentity":{"type":"IAMUser"}}"#,
            r#"{"eventName":"GetBucketAcl","eventType":"AwsApiCall","userIdentity":{"type":"Root","invokedBy":"support.amazonaws.com"}}"#,
            r#"{"eventName":"SharedSnapshotCopyInitiated","eventType":"AwsServiceEvent","userIdentity":{"type":"Root"}}"#,
        ],
    },
    Entry {
        id: "cis/4.4",
        name: "iam-policy-changes",
        title: "IAM policy changes",
        pattern: r#"{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }"#,
        severity: "medium",
        attack: &["T1098", "T1484"],
        count: 1.0,
        period: 300,
        samples_match: &[
            r#"{"eventSource":"iam.amazonaws.com","eventName":"AttachRolePolicy"}"#,
            r#"{"eventSource":"iam.amazonaws.com","eventName":"PutUserPolicy"}"#,
        ],
        samples_no_match: &[r#"{"eventSource":"iam.amazonaws.com","eventName":"GetRolePolicy"}"#],
    },
    Entry {
        id: "cis/4.5",
        name: "cloudtrail-config-changes",
        title: "CloudTrail configuration changes",
        pattern: r#"{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"#,
        severity: "high",
        attack: &["T1562.008"],
        count: 1.0,
        period: 300,
        samples_match: &[
            r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}"#,
            r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"UpdateTrail"}"#,
        ],
        samples_no_match: &[r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"DescribeTrails"}"#],
    },
    Entry {
        id: "cis/4.6",
        name: "console-authentication-failures",
        title: "Management console authentication failures",
        pattern: r#"{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }"#,
        severity: "medium",
        attack: &["T1110"],
        count: 1.0,
        period: 300,
        samples_match: &[
            r#"{"eventName":"ConsoleLogin","errorMessage":"Failed authentication","responseElements":{"ConsoleLogin":"Failure"}}"#,
        ],
        samples_no_match: &[r#"{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"}}"#],
    },
    Entry {
        id: "cis/4.7",
        name: "cmk-disabled-or-deleted",
        title: "Disabling or scheduled deletion of customer managed keys",
        pattern: r#"{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }"#,
        severity: "high",
        attack: &["T1485", "T1486"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion"}"#],
        samples_no_match: &[
            r#"{"eventSource":"kms.amazonaws.com","eventName":"Decrypt"}"#,
            r#"{"eventSource":"other.amazonaws.com","eventName":"DisableKey"}"#,
        ],
    },
    Entry {
        id: "cis/4.8",
        name: "s3-bucket-policy-changes",
        title: "S3 bucket policy changes",
        pattern: r#"{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }"#,
        severity: "medium",
        attack: &["T1530", "T1098"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy"}"#],
        samples_no_match: &[r#"{"eventSource":"s3.amazonaws.com","eventName":"GetBucketPolicy"}"#],
    },
    Entry {
        id: "cis/4.9",
        name: "aws-config-changes",
        title: "AWS Config configuration changes",
        pattern: r#"{ ($.eventSource = config.amazonaws.com) && (($.eventName = StopConfigurationRecorder) || ($.eventName = DeleteDeliveryChannel) || ($.eventName = PutDeliveryChannel) || ($.eventName = PutConfigurationRecorder)) }"#,
        severity: "high",
        attack: &["T1562.001"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"config.amazonaws.com","eventName":"StopConfigurationRecorder"}"#],
        samples_no_match: &[r#"{"eventSource":"config.amazonaws.com","eventName":"DescribeConfigRules"}"#],
    },
    Entry {
        id: "cis/4.10",
        name: "security-group-changes",
        title: "Security group changes",
        pattern: r#"{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }"#,
        severity: "medium",
        attack: &["T1562.007"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress"}"#],
        samples_no_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"DescribeSecurityGroups"}"#],
    },
    Entry {
        id: "cis/4.11",
        name: "nacl-changes",
        title: "Network access control list changes",
        pattern: r#"{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"#,
        severity: "medium",
        attack: &["T1562.007"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"CreateNetworkAclEntry"}"#],
        samples_no_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"DescribeNetworkAcls"}"#],
    },
    Entry {
        id: "cis/4.12",
        name: "network-gateway-changes",
        title: "Network gateway changes",
        pattern: r#"{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }"#,
        severity: "medium",
        attack: &["T1599"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"AttachInternetGateway"}"#],
        samples_no_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"DescribeInternetGateways"}"#],
    },
    Entry {
        id: "cis/4.13",
        name: "route-table-changes",
        title: "Route table changes",
        pattern: r#"{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }"#,
        severity: "medium",
        attack: &["T1599"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"ReplaceRoute"}"#],
        samples_no_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"DescribeRouteTables"}"#],
    },
    Entry {
        id: "cis/4.14",
        name: "vpc-changes",
        title: "VPC changes",
        pattern: r#"{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }"#,
        severity: "medium",
        attack: &["T1599"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"CreateVpcPeeringConnection"}"#],
        samples_no_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"DescribeVpcs"}"#],
    },
    // CIS's list and three more that prowler's check (cloudwatch_log_metric_filter_aws_
    // organizations_changes) requires: CancelHandshake, CreateOrganization, EnableAllFeatures.
    // Without them, a lab from soc-reference.yaml failed that check (scripts/prowler.sh).
    Entry {
        id: "cis/4.15",
        name: "organizations-changes",
        title: "AWS Organizations changes",
        pattern: r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CancelHandshake") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganization") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnableAllFeatures") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#,
        severity: "high",
        attack: &["T1484.002"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"organizations.amazonaws.com","eventName":"LeaveOrganization"}"#],
        samples_no_match: &[r#"{"eventSource":"organizations.amazonaws.com","eventName":"ListAccounts"}"#],
    },
    // BatchGetSecretValue reads up to 20 secrets in one call (Stratus Red Team's
    // secretsmanager-batch-retrieve-secrets): the write-up's GetSecretValue alone missed it.
    Entry {
        id: "soc/secret-access",
        name: "secret-accessed",
        title: "A Secrets Manager secret was read",
        pattern: r#"{ ($.eventSource = "secretsmanager.amazonaws.com") && (($.eventName = "GetSecretValue") || ($.eventName = "BatchGetSecretValue")) }"#,
        severity: "high",
        attack: &["T1555.006"],
        count: 1.0,
        period: 60,
        samples_match: &[
            r#"{"eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue","requestParameters":{"secretId":"TopSecretInfo"}}"#,
            r#"{"eventSource":"secretsmanager.amazonaws.com","eventName":"BatchGetSecretValue","requestParameters":{"filters":[{"key":"tag-key","values":["StratusRedTeam"]}]}}"#,
        ],
        samples_no_match: &[r#"{"eventSource":"secretsmanager.amazonaws.com","eventName":"ListSecrets"}"#],
    },
    // A deleted bucket policy can drop the Deny that kept a bucket private, and the account's
    // public access block (CloudTrail names it Put/DeleteAccountPublicAccessBlock, source
    // s3.amazonaws.com) guards every bucket at once: both added after checking Panther's
    // security-configuration rule. DeletePublicAccessBlock is the S3 Control API's own name.
    Entry {
        id: "soc/s3-public-exposure",
        name: "s3-public-exposure",
        title: "A bucket's ACL, policy or public access block changed",
        pattern: r#"{ ($.eventSource = "s3.amazonaws.com") && (($.eventName = "PutBucketAcl") || ($.eventName = "PutBucketPolicy") || ($.eventName = "DeleteBucketPolicy") || ($.eventName = "DeletePublicAccessBlock") || ($.eventName = "DeleteBucketPublicAccessBlock") || ($.eventName = "PutBucketPublicAccessBlock") || ($.eventName = "DeleteAccountPublicAccessBlock") || ($.eventName = "PutAccountPublicAccessBlock")) }"#,
        severity: "high",
        attack: &["T1530"],
        count: 1.0,
        period: 60,
        samples_match: &[
            r#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl"}"#,
            r#"{"eventSource":"s3.amazonaws.com","eventName":"DeleteBucketPublicAccessBlock"}"#,
            r#"{"eventSource":"s3.amazonaws.com","eventName":"DeleteBucketPolicy"}"#,
            r#"{"eventSource":"s3.amazonaws.com","eventName":"DeleteAccountPublicAccessBlock"}"#,
        ],
        samples_no_match: &[r#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#],
    },
    Entry {
        id: "soc/console-login-failures",
        name: "console-login-failures",
        title: "Repeated failed console sign-ins",
        pattern: r#"{ ($.eventName = "ConsoleLogin") && ($.responseElements.ConsoleLogin = "Failure") }"#,
        severity: "high",
        attack: &["T1110", "T1110.004"],
        count: 5.0,
        period: 300,
        samples_match: &[
            r#"{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Failure"},"sourceIPAddress":"198.51.100.23"}"#,
        ],
        samples_no_match: &[r#"{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"}}"#],
    },
    // PutEventSelectors can make a trail drop management events while it keeps "logging"
    // (Stratus Red Team's cloudtrail-event-selectors): tampering by another name.
    Entry {
        id: "soc/cloudtrail-tampering",
        name: "cloudtrail-tampering",
        title: "CloudTrail logging stopped or a trail deleted",
        pattern: r#"{ ($.eventSource = "cloudtrail.amazonaws.com") && (($.eventName = "StopLogging") || ($.eventName = "DeleteTrail") || ($.eventName = "PutEventSelectors")) }"#,
        severity: "critical",
        attack: &["T1562.008"],
        count: 1.0,
        period: 60,
        samples_match: &[
            r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}"#,
            r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail"}"#,
            r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"PutEventSelectors","requestParameters":{"eventSelectors":[{"includeManagementEvents":false}]}}"#,
        ],
        samples_no_match: &[r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StartLogging"}"#],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::pattern::parse;

    #[test]
    fn every_entry_parses_fits_and_passes_its_own_samples() {
        for e in CATALOG {
            assert!(e.pattern.chars().count() <= 1024, "{} is {} characters", e.id, e.pattern.len());
            let p = parse(e.pattern).unwrap_or_else(|err| panic!("{}: {err}", e.id));
            assert!(!e.samples_match.is_empty() && !e.samples_no_match.is_empty(), "{} lacks samples", e.id);
            for s in e.samples_match {
                assert!(p.matches(s).is_some(), "{} does not match {s}", e.id);
            }
            for s in e.samples_no_match {
                assert!(p.matches(s).is_none(), "{} matches {s}", e.id);
            }
            for a in e.attack {
                crate::blueprint::names::attack_id(a).unwrap();
            }
        }
    }

    #[test]
    fn all_fifteen_cis_controls_are_there() {
        let ids: Vec<&str> = cis().map(|e| e.id).collect();
        let want: Vec<String> = (1..=15).map(|n| format!("cis/4.{n}")).collect();
        assert_eq!(ids, want);
    }

    #[test]
    fn cis_4_1_published_variant_has_a_precedence_bug() {
        let published = parse(CIS_4_1_PUBLISHED).unwrap();
        let fixed = parse(get("cis/4.1").unwrap().pattern).unwrap();
        // Log delivery's own UnauthorizedOperation: the exclusions should drop it.
        let noise = r#"{"eventName":"PutObject","errorCode":"Client.UnauthorizedOperation","sourceIPAddress":"delivery.logs.amazonaws.com"}"#;
        assert!(published.matches(noise).is_some(), "the published pattern alarms on log delivery");
        assert!(fixed.matches(noise).is_none());
    }
}
