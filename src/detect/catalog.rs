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
    /// The ATT&CK tactic the act serves, in Stratus Red Team's words (`defense-evasion`).
    pub tactic: &'static str,
    /// What an analyst does next, in one line: it ends the alarm's description, so it
    /// reaches whoever the alarm pages.
    pub next: &'static str,
    /// The Stratus Red Team techniques (`aws.TACTIC.NAME`) this entry is meant to see:
    /// an entry that names one belongs to the `stratus` pack (see `detect::stratus`).
    pub stratus: &'static [&'static str],
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
        tactic: "discovery",
        next: "Find who was refused what (userIdentity.arn, eventName): a burst from one principal is someone probing their permissions.",
        stratus: &[],
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
        tactic: "initial-access",
        next: "Confirm with the user that the sign-in was theirs, then require MFA on the account.",
        stratus: &["aws.initial-access.console-login-without-mfa"],
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
        tactic: "privilege-escalation",
        next: "Confirm with the root account's keeper that the act was theirs; if not, reset the root password and MFA now.",
        stratus: &[],
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
        tactic: "persistence",
        next: "Read the policy that changed and who changed it; revert a grant nobody asked for.",
        stratus: &[],
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
        tactic: "defense-evasion",
        next: "Check the trail is logging and unchanged (aws cloudtrail get-trail-status); restart it and find who changed it.",
        stratus: &[],
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
        tactic: "credential-access",
        next: "Look for many failures against one user or from one address: a password guess in progress.",
        stratus: &[],
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
        tactic: "impact",
        next: "Cancel a scheduled deletion (aws kms cancel-key-deletion) before it runs, then find who asked for it.",
        stratus: &[],
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
        tactic: "defense-evasion",
        next: "Read the bucket's new policy, ACL or lifecycle; a lifecycle rule that expires the trail's logs is evidence being destroyed.",
        stratus: &["aws.defense-evasion.cloudtrail-lifecycle-rule", "aws.exfiltration.s3-backdoor-bucket-policy"],
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
        tactic: "defense-evasion",
        next: "Check the recorder is recording (aws configservice describe-configuration-recorder-status) and restart it.",
        stratus: &[],
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
        tactic: "defense-evasion",
        next: "Read the rule that changed; an admin port open to the internet is closed first and asked about after.",
        stratus: &["aws.exfiltration.ec2-security-group-open-port-22-ingress"],
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
        tactic: "defense-evasion",
        next: "Read the entry that changed and whether it opens a subnet to the internet.",
        stratus: &[],
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
        tactic: "defense-evasion",
        next: "Check which VPC gained or lost a gateway: a new path in or out of the network.",
        stratus: &[],
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
        tactic: "defense-evasion",
        next: "Read the route that changed: traffic sent through an unknown target can be read there.",
        stratus: &[],
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
        tactic: "defense-evasion",
        next: "Check the VPC change (a peering to an unknown account joins two networks).",
        stratus: &[],
        attack: &["T1599"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"CreateVpcPeeringConnection"}"#],
        samples_no_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"DescribeVpcs"}"#],
    },
    // CIS's list and three more that prowler's check (cloudwatch_log_metric_filter_aws_
    // organizations_changes) requires: CancelHandshake, CreateOrganization, EnableAllFeatures.
    // Without them, a lab from soc-reference.yaml failed that check (prowler, in tests/it/drill.rs).
    Entry {
        id: "cis/4.15",
        name: "organizations-changes",
        title: "AWS Organizations changes",
        pattern: r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CancelHandshake") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganization") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnableAllFeatures") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#,
        severity: "high",
        tactic: "defense-evasion",
        next: "Confirm the organization change with its owners; an account leaving escapes every guardrail.",
        stratus: &["aws.defense-evasion.organizations-leave"],
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
        tactic: "credential-access",
        next: "Check which secrets were read and whether the caller needs them; rotate those it does not.",
        stratus: &["aws.credential-access.secretsmanager-retrieve-secrets", "aws.credential-access.secretsmanager-batch-retrieve-secrets"],
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
        tactic: "exfiltration",
        next: "Read the bucket's policy and public access block now; a principal of another account is data leaving.",
        stratus: &["aws.exfiltration.s3-backdoor-bucket-policy"],
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
        tactic: "credential-access",
        next: "Look up the source address and the users tried; block the address if it is guessing passwords.",
        stratus: &[],
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
        tactic: "defense-evasion",
        next: "Restart logging (aws cloudtrail start-logging) or restore the selectors, then find who stopped it: they act unseen meanwhile.",
        stratus: &["aws.defense-evasion.cloudtrail-stop", "aws.defense-evasion.cloudtrail-delete", "aws.defense-evasion.cloudtrail-event-selectors"],
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
    // ---- The `stratus` pack: one entry per act of a Stratus Red Team AWS technique that
    // the entries above do not see. Each was written against the technique's published
    // detonation log (tests/fixtures/cloudtrail/stratus.json) or, where Stratus publishes
    // none, against an event written from its technique page (detect::stratus::TECHNIQUES).
    // The errors in some logs (UnauthorizedOperation) are Stratus's test roles lacking a
    // permission: every entry here matches the act whether it succeeded or not.
    Entry {
        id: "stratus/ec2-password-data",
        name: "ec2-password-data-read",
        title: "An EC2 instance's Windows password data was read",
        pattern: r#"{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "GetPasswordData") }"#,
        severity: "high",
        tactic: "credential-access",
        next: "Ask the caller's owner why they need that instance's administrator password; change it if they do not.",
        stratus: &["aws.credential-access.ec2-get-password-data"],
        attack: &["T1552"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"GetPasswordData","requestParameters":{"instanceId":"i-0abc"}}"#],
        samples_no_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"GetConsoleOutput"}"#],
    },
    // Stealing an instance's credentials goes through SendCommand too (Stratus runs a shell
    // script that reads the metadata service); their use outside AWS is GuardDuty's
    // InstanceCredentialExfiltration finding, which `findings.guardduty` pages.
    Entry {
        id: "stratus/ssm-send-command",
        name: "ssm-command-sent",
        title: "A command was run on instances through SSM",
        pattern: r#"{ ($.eventSource = "ssm.amazonaws.com") && ($.eventName = "SendCommand") }"#,
        severity: "medium",
        tactic: "execution",
        next: "Read the command's document and instances and who sent it; a script reading the metadata service is credential theft.",
        stratus: &["aws.execution.ssm-send-command", "aws.credential-access.ec2-steal-instance-credentials"],
        attack: &["T1651"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ssm.amazonaws.com","eventName":"SendCommand","requestParameters":{"documentName":"AWS-RunShellScript"}}"#],
        samples_no_match: &[r#"{"eventSource":"ssm.amazonaws.com","eventName":"GetCommandInvocation"}"#],
    },
    Entry {
        id: "stratus/ssm-securestring-read",
        name: "ssm-securestring-decrypted",
        title: "SSM SecureString parameters were read and decrypted",
        pattern: r#"{ ($.eventSource = "ssm.amazonaws.com") && (($.eventName = "GetParameter") || ($.eventName = "GetParameters") || ($.eventName = "GetParametersByPath")) && ($.requestParameters.withDecryption IS TRUE) }"#,
        severity: "high",
        tactic: "credential-access",
        next: "Check which parameters were decrypted (requestParameters) and whether the caller needs them; rotate those it does not.",
        stratus: &["aws.credential-access.ssm-retrieve-securestring-parameters"],
        attack: &["T1555.006"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ssm.amazonaws.com","eventName":"GetParametersByPath","requestParameters":{"path":"/","recursive":true,"withDecryption":true}}"#],
        samples_no_match: &[
            r#"{"eventSource":"ssm.amazonaws.com","eventName":"GetParameter","requestParameters":{"name":"/lab/address","withDecryption":false}}"#,
            r#"{"eventSource":"ssm.amazonaws.com","eventName":"DescribeParameters"}"#,
        ],
    },
    Entry {
        id: "stratus/dns-logs-deleted",
        name: "dns-query-logging-deleted",
        title: "Route 53 Resolver query logging was deleted or detached",
        pattern: r#"{ ($.eventSource = "route53resolver.amazonaws.com") && (($.eventName = "DeleteResolverQueryLogConfig") || ($.eventName = "DisassociateResolverQueryLogConfig")) }"#,
        severity: "high",
        tactic: "defense-evasion",
        next: "Restore the VPC's query logging, then find who removed it: DNS lookups made meanwhile are not recorded.",
        stratus: &["aws.defense-evasion.dns-delete-logs"],
        attack: &["T1562.008"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"route53resolver.amazonaws.com","eventName":"DisassociateResolverQueryLogConfig"}"#],
        samples_no_match: &[r#"{"eventSource":"route53resolver.amazonaws.com","eventName":"ListResolverQueryLogConfigs"}"#],
    },
    Entry {
        id: "stratus/flow-logs-deleted",
        name: "vpc-flow-logs-deleted",
        title: "VPC flow logs were deleted",
        pattern: r#"{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "DeleteFlowLogs") }"#,
        severity: "high",
        tactic: "defense-evasion",
        next: "Recreate the flow log (socform apply does), then find who deleted it: traffic meanwhile is unrecorded.",
        stratus: &["aws.defense-evasion.vpc-remove-flow-logs"],
        attack: &["T1562.008"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"DeleteFlowLogs"}"#],
        samples_no_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"CreateFlowLogs"}"#],
    },
    Entry {
        id: "stratus/user-data-read",
        name: "instance-user-data-read",
        title: "An instance's user data was downloaded",
        pattern: r#"{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "DescribeInstanceAttribute") && ($.requestParameters.attribute = "userData") }"#,
        severity: "medium",
        tactic: "discovery",
        next: "Ask who read the instance's boot script and why; rotate any secret the script holds.",
        stratus: &["aws.discovery.ec2-download-user-data"],
        attack: &["T1580", "T1552"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstanceAttribute","requestParameters":{"attribute":"userData","instanceId":"i-0abc"}}"#],
        samples_no_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstanceAttribute","requestParameters":{"attribute":"instanceType","instanceId":"i-0abc"}}"#],
    },
    // GPU, accelerator and very large instances: what cryptominers ask for. A lab that runs
    // such hosts on purpose overrides the pattern (`use:` with its own `pattern:`).
    Entry {
        id: "stratus/unusual-instance",
        name: "unusual-instance-launched",
        title: "A GPU, accelerator or very large EC2 instance was requested",
        pattern: r#"{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "RunInstances") && (($.requestParameters.instanceType = "p*") || ($.requestParameters.instanceType = "g*") || ($.requestParameters.instanceType = "inf*") || ($.requestParameters.instanceType = "trn*") || ($.requestParameters.instanceType = "dl*") || ($.requestParameters.instanceType = "f1*") || ($.requestParameters.instanceType = "f2*") || ($.requestParameters.instanceType = "x1*") || ($.requestParameters.instanceType = "x2*") || ($.requestParameters.instanceType = "*.metal*") || ($.requestParameters.instanceType = "*.24xlarge") || ($.requestParameters.instanceType = "*.32xlarge") || ($.requestParameters.instanceType = "*.48xlarge")) }"#,
        severity: "high",
        tactic: "execution",
        next: "Check who launched it and what it runs; terminate an instance nobody ordered: mining bills by the hour.",
        stratus: &["aws.execution.ec2-launch-unusual-instances"],
        attack: &["T1496", "T1578.002"],
        count: 1.0,
        period: 300,
        samples_match: &[
            r#"{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","requestParameters":{"instanceType":"g5.12xlarge"}}"#,
            r#"{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","requestParameters":{"instanceType":"c5.metal"}}"#,
        ],
        samples_no_match: &[
            r#"{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","requestParameters":{"instanceType":"t3.micro"}}"#,
            r#"{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","requestParameters":{"instanceType":"m6g.large"}}"#,
        ],
    },
    Entry {
        id: "stratus/user-data-changed",
        name: "instance-user-data-changed",
        title: "An instance's user data was replaced",
        pattern: r#"{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "ModifyInstanceAttribute") && ($.requestParameters.userData = "*") }"#,
        severity: "high",
        tactic: "execution",
        next: "Read the instance's new user data (it runs as root at the next start) and restore it before the instance starts again.",
        stratus: &["aws.execution.ec2-user-data"],
        attack: &["T1059.009"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"ModifyInstanceAttribute","requestParameters":{"instanceId":"i-0abc","userData":"<sensitiveDataRemoved>"}}"#],
        samples_no_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"ModifyInstanceAttribute","requestParameters":{"instanceId":"i-0abc","instanceType":{"value":"t3.large"}}}"#],
    },
    // Low: the reference lab reaches its hosts through Session Manager, so every admin
    // session alarms. It is the record of who opened a shell, routed to routine reading.
    Entry {
        id: "stratus/ssm-session",
        name: "ssm-session-started",
        title: "An SSM session was opened on an instance",
        pattern: r#"{ ($.eventSource = "ssm.amazonaws.com") && ($.eventName = "StartSession") }"#,
        severity: "low",
        tactic: "execution",
        next: "Check the session's user and target against who administers the host; sessions on many hosts at once are lateral movement.",
        stratus: &["aws.execution.ssm-start-session"],
        attack: &["T1021.007"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ssm.amazonaws.com","eventName":"StartSession","requestParameters":{"target":"i-0abc"}}"#],
        samples_no_match: &[r#"{"eventSource":"ssm.amazonaws.com","eventName":"TerminateSession"}"#],
    },
    Entry {
        id: "stratus/image-or-snapshot-shared",
        name: "image-or-snapshot-shared",
        title: "An AMI, EBS snapshot or RDS snapshot was shared",
        pattern: r#"{ (($.eventName = "ModifyImageAttribute") && (($.requestParameters.launchPermission.add.items[0].userId = "*") || ($.requestParameters.launchPermission.add.items[0].group = "all") || ($.requestParameters.launchPermission.add.items[0].organizationArn = "*") || ($.requestParameters.launchPermission.add.items[0].organizationalUnitArn = "*"))) || (($.eventName = "ModifySnapshotAttribute") && (($.requestParameters.createVolumePermission.add.items[0].userId = "*") || ($.requestParameters.createVolumePermission.add.items[0].group = "all"))) || ((($.eventName = "ModifyDBSnapshotAttribute") || ($.eventName = "ModifyDBClusterSnapshotAttribute")) && ($.requestParameters.attributeName = "restore") && ($.requestParameters.valuesToAdd[0] = "*")) }"#,
        severity: "high",
        tactic: "exfiltration",
        next: "Read the account it was shared with; remove the permission unless that account is yours: the disk's data can be copied out.",
        stratus: &["aws.exfiltration.ec2-share-ami", "aws.exfiltration.ec2-share-ebs-snapshot", "aws.exfiltration.rds-share-snapshot"],
        attack: &["T1537"],
        count: 1.0,
        period: 300,
        samples_match: &[
            r#"{"eventSource":"ec2.amazonaws.com","eventName":"ModifySnapshotAttribute","requestParameters":{"createVolumePermission":{"add":{"items":[{"group":"all"}]}}}}"#,
            r#"{"eventSource":"rds.amazonaws.com","eventName":"ModifyDBClusterSnapshotAttribute","requestParameters":{"attributeName":"restore","valuesToAdd":["all"]}}"#,
        ],
        samples_no_match: &[
            r#"{"eventSource":"ec2.amazonaws.com","eventName":"ModifySnapshotAttribute","requestParameters":{"createVolumePermission":{"remove":{"items":[{"userId":"111122223333"}]}}}}"#,
            r#"{"eventSource":"rds.amazonaws.com","eventName":"ModifyDBSnapshotAttribute","requestParameters":{"attributeName":"restore","valuesToRemove":["111122223333"]}}"#,
        ],
    },
    Entry {
        id: "stratus/bedrock-use",
        name: "bedrock-model-used",
        title: "A Bedrock model was enabled or invoked",
        pattern: r#"{ ($.eventSource = "bedrock.amazonaws.com") && (($.eventName = "InvokeModel") || ($.eventName = "InvokeModelWithResponseStream") || ($.eventName = "Converse") || ($.eventName = "ConverseStream") || ($.eventName = "PutUseCaseForModelAccess") || ($.eventName = "CreateFoundationModelAgreement") || ($.eventName = "PutFoundationModelEntitlement")) }"#,
        severity: "medium",
        tactic: "impact",
        next: "Check who enabled or called the model; stolen keys are resold for LLM use billed to this account.",
        stratus: &["aws.impact.bedrock-invoke-model"],
        attack: &["T1496"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"bedrock.amazonaws.com","eventName":"Converse"}"#],
        samples_no_match: &[r#"{"eventSource":"bedrock.amazonaws.com","eventName":"ListFoundationModels"}"#],
    },
    Entry {
        id: "stratus/ssh-key-pushed",
        name: "ec2-ssh-key-pushed",
        title: "An SSH key was pushed to an instance, or the serial console enabled",
        pattern: r#"{ (($.eventSource = "ec2-instance-connect.amazonaws.com") && (($.eventName = "SendSSHPublicKey") || ($.eventName = "SendSerialConsoleSSHPublicKey"))) || (($.eventSource = "ec2.amazonaws.com") && ($.eventName = "EnableSerialConsoleAccess")) }"#,
        severity: "high",
        tactic: "lateral-movement",
        next: "Find who pushed the key and to which instance; a lab reached through SSM has no business with SSH keys.",
        stratus: &["aws.lateral-movement.ec2-instance-connect", "aws.lateral-movement.ec2-serial-console-send-ssh-public-key"],
        attack: &["T1098.004", "T1021.004"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ec2-instance-connect.amazonaws.com","eventName":"SendSSHPublicKey","requestParameters":{"instanceOSUser":"ec2-user"}}"#],
        samples_no_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"GetSerialConsoleAccessStatus"}"#],
    },
    // socform's own apply creates roles and changes trust policies: on a lab's first apply
    // the alarm does not exist yet; on later ones it reports socform's act, which the plan
    // named beforehand.
    Entry {
        id: "stratus/iam-role-backdoor",
        name: "iam-role-trust-changed",
        title: "An IAM role was created or its trust policy changed",
        pattern: r#"{ ($.eventSource = "iam.amazonaws.com") && (($.eventName = "CreateRole") || ($.eventName = "UpdateAssumeRolePolicy")) }"#,
        severity: "high",
        tactic: "persistence",
        next: "Read the role's trust policy: a principal of another account, or `*`, can now act in this one.",
        stratus: &["aws.persistence.iam-backdoor-role", "aws.persistence.iam-create-backdoor-role"],
        attack: &["T1098.003"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"iam.amazonaws.com","eventName":"UpdateAssumeRolePolicy","requestParameters":{"roleName":"ops"}}"#],
        samples_no_match: &[r#"{"eventSource":"iam.amazonaws.com","eventName":"GetRole"}"#],
    },
    Entry {
        id: "stratus/iam-user-or-key",
        name: "iam-user-or-key-created",
        title: "An IAM user or access key was created",
        pattern: r#"{ ($.eventSource = "iam.amazonaws.com") && (($.eventName = "CreateUser") || ($.eventName = "CreateAccessKey")) }"#,
        severity: "high",
        tactic: "persistence",
        next: "Check who created the user or key and for whom; delete a key nobody asked for: it works from anywhere until it is.",
        stratus: &["aws.persistence.iam-backdoor-user", "aws.persistence.iam-create-admin-user"],
        attack: &["T1136.003", "T1098.001"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","requestParameters":{"userName":"ci"}}"#],
        samples_no_match: &[r#"{"eventSource":"iam.amazonaws.com","eventName":"ListAccessKeys"}"#],
    },
    Entry {
        id: "stratus/iam-login-profile",
        name: "iam-console-password-set",
        title: "An IAM user's console password was created or changed by another",
        pattern: r#"{ ($.eventSource = "iam.amazonaws.com") && (($.eventName = "CreateLoginProfile") || ($.eventName = "UpdateLoginProfile")) }"#,
        severity: "high",
        tactic: "persistence",
        next: "Ask the user whether they expected a new password; if not, remove the login profile and look at the account's sign-ins.",
        stratus: &["aws.persistence.iam-create-user-login-profile", "aws.privilege-escalation.iam-update-user-login-profile"],
        attack: &["T1098.001"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"iam.amazonaws.com","eventName":"UpdateLoginProfile","requestParameters":{"userName":"alice"}}"#],
        samples_no_match: &[r#"{"eventSource":"iam.amazonaws.com","eventName":"ChangePassword"}"#],
    },
    // CloudTrail names Lambda's calls with their API version (`UpdateFunctionCode20150331v2`).
    // A layer attached counts; a configuration change without layers does not (socform's own
    // responses change their environment). socform's apply does update response code: that
    // alarm reports socform's act, which the plan named beforehand.
    Entry {
        id: "stratus/lambda-backdoor",
        name: "lambda-function-backdoored",
        title: "A Lambda function's code, layers or invoke permission changed",
        pattern: r#"{ ($.eventSource = "lambda.amazonaws.com") && (($.eventName = "AddPermission*") || ($.eventName = "UpdateFunctionCode*") || (($.eventName = "UpdateFunctionConfiguration*") && ($.requestParameters.layers[0] = "*"))) }"#,
        severity: "high",
        tactic: "persistence",
        next: "Compare the function's code and layers with the last deployment; a permission for `*` or another account lets anyone invoke it.",
        stratus: &["aws.persistence.lambda-backdoor-function", "aws.persistence.lambda-layer-extension", "aws.persistence.lambda-overwrite-code"],
        attack: &["T1546", "T1098"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"lambda.amazonaws.com","eventName":"AddPermission20150331v2","requestParameters":{"principal":"*"}}"#],
        samples_no_match: &[
            r#"{"eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionConfiguration20150331v2","requestParameters":{"timeout":30}}"#,
            r#"{"eventSource":"lambda.amazonaws.com","eventName":"GetFunction20150331v2"}"#,
        ],
    },
    Entry {
        id: "stratus/rolesanywhere",
        name: "roles-anywhere-trust-anchor",
        title: "An IAM Roles Anywhere trust anchor or profile was created or changed",
        pattern: r#"{ ($.eventSource = "rolesanywhere.amazonaws.com") && (($.eventName = "CreateTrustAnchor") || ($.eventName = "UpdateTrustAnchor") || ($.eventName = "CreateProfile") || ($.eventName = "UpdateProfile")) }"#,
        severity: "high",
        tactic: "persistence",
        next: "Read the anchor's certificate authority: whoever holds its keys can take the profile's roles from outside AWS.",
        stratus: &["aws.persistence.rolesanywhere-create-trust-anchor"],
        attack: &["T1098"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"rolesanywhere.amazonaws.com","eventName":"UpdateTrustAnchor"}"#],
        samples_no_match: &[r#"{"eventSource":"rolesanywhere.amazonaws.com","eventName":"ListTrustAnchors"}"#],
    },
    Entry {
        id: "stratus/federation-token",
        name: "sts-federation-token",
        title: "Temporary credentials were made with GetFederationToken",
        pattern: r#"{ ($.eventSource = "sts.amazonaws.com") && ($.eventName = "GetFederationToken") }"#,
        severity: "medium",
        tactic: "persistence",
        next: "Find the user whose key asked: federation tokens outlive that key's deletion by up to 36 hours.",
        stratus: &["aws.persistence.sts-federation-token"],
        attack: &["T1550.001"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"sts.amazonaws.com","eventName":"GetFederationToken","requestParameters":{"name":"x"}}"#],
        samples_no_match: &[r#"{"eventSource":"sts.amazonaws.com","eventName":"GetSessionToken"}"#],
    },
    Entry {
        id: "stratus/ses-enumeration",
        name: "ses-enumerated",
        title: "SES sending limits or identities were enumerated",
        pattern: r#"{ ($.eventSource = "ses.amazonaws.com") && (($.eventName = "GetAccountSendingEnabled") || ($.eventName = "GetSendQuota") || ($.eventName = "ListIdentities") || ($.eventName = "GetIdentityVerificationAttributes")) }"#,
        severity: "medium",
        tactic: "discovery",
        next: "Check the caller: a long-lived key asking whether it may send mail is the first step of a phishing run.",
        stratus: &["aws.discovery.ses-enumerate"],
        attack: &["T1526"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ses.amazonaws.com","eventName":"GetSendQuota"}"#],
        samples_no_match: &[r#"{"eventSource":"ses.amazonaws.com","eventName":"SendEmail"}"#],
    },
    Entry {
        id: "stratus/sagemaker-lifecycle",
        name: "sagemaker-lifecycle-changed",
        title: "A SageMaker notebook's lifecycle script was created or attached",
        pattern: r#"{ ($.eventSource = "sagemaker.amazonaws.com") && (($.eventName = "UpdateNotebookInstance") || ($.eventName = "CreateNotebookInstanceLifecycleConfig") || ($.eventName = "UpdateNotebookInstanceLifecycleConfig")) }"#,
        severity: "high",
        tactic: "execution",
        next: "Read the lifecycle script: it runs with the notebook's role at its next start.",
        stratus: &["aws.execution.sagemaker-update-lifecycle-config"],
        attack: &["T1059.009"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"sagemaker.amazonaws.com","eventName":"UpdateNotebookInstance","requestParameters":{"lifecycleConfigName":"x"}}"#],
        samples_no_match: &[r#"{"eventSource":"sagemaker.amazonaws.com","eventName":"DescribeNotebookInstance"}"#],
    },
    Entry {
        id: "stratus/ami-deregistered",
        name: "ami-deregistered",
        title: "An AMI was deregistered",
        pattern: r#"{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "DeregisterImage") }"#,
        severity: "medium",
        tactic: "impact",
        next: "Check the image was meant to go; its snapshot may remain and can be registered again.",
        stratus: &["aws.impact.ec2-deregister-ami"],
        attack: &["T1485"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"DeregisterImage","requestParameters":{"imageId":"ami-0abc"}}"#],
        samples_no_match: &[r#"{"eventSource":"ec2.amazonaws.com","eventName":"DescribeImages"}"#],
    },
    // Calls made with an instance's role: its session is named after the instance
    // (`assumed-role/ROLE/i-...`). These are the reconnaissance calls a compromised host
    // makes first; none of them is made by the SSM agent or Wazuh.
    Entry {
        id: "stratus/instance-discovery",
        name: "instance-role-discovery",
        title: "An instance's role enumerated the account",
        pattern: r#"{ ($.userIdentity.type = "AssumedRole") && ($.userIdentity.arn = "*/i-*") && (($.eventName = "ListBuckets") || ($.eventName = "GetAccountSummary") || ($.eventName = "ListRoles") || ($.eventName = "ListUsers") || ($.eventName = "GetAccountAuthorizationDetails") || ($.eventName = "DescribeSnapshots") || ($.eventName = "DescribeTrails") || ($.eventName = "ListDetectors")) }"#,
        severity: "medium",
        tactic: "discovery",
        next: "Open a session on the instance and look for what is running as its role; an attacker on the host maps the account first.",
        stratus: &["aws.discovery.ec2-enumerate-from-instance"],
        attack: &["T1580", "T1087.004"],
        count: 1.0,
        period: 300,
        samples_match: &[r#"{"eventSource":"iam.amazonaws.com","eventName":"ListRoles","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/web/i-0abc"}}"#],
        samples_no_match: &[
            r#"{"eventSource":"iam.amazonaws.com","eventName":"ListRoles","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/admin/alice"}}"#,
            r#"{"eventSource":"ssm.amazonaws.com","eventName":"UpdateInstanceInformation","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/web/i-0abc"}}"#,
        ],
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
