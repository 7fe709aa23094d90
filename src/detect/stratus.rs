//! Stratus Red Team's AWS techniques, and which of them a blueprint's detections see.
//!
//! Stratus Red Team (DataDog, Apache-2.0) is the common catalogue of AWS attacks; its authors
//! publish the CloudTrail each technique wrote when they detonated it. Those logs are vendored
//! in `tests/fixtures/cloudtrail/stratus.json` (by `scripts/vendor_cloudtrail.py`, with
//! attribution) and built into socform, so `coverage` judges a blueprint's detections, the
//! catalog's or hand-written ones, on the events the attack really wrote: a technique is
//! seen when a detection on the trail's log group matches one of its acts.
//!
//! Each technique names its acts (`signal`): the calls that are the attack, not the reads
//! and role assumptions around them. For the techniques Stratus publishes no log for, the
//! acts are events written here from the technique's page (`written`), and say so. Three
//! techniques act on S3 objects, which only CloudTrail data events record: those are `gap`s.

use std::sync::LazyLock;

use serde::Serialize;

use crate::detect::{catalog, pattern};
use crate::model::Model;

/// One Stratus Red Team AWS technique.
#[derive(Debug, Clone, Copy)]
pub struct Technique {
    /// Stratus's id: `aws.TACTIC.NAME`.
    pub id: &'static str,
    pub title: &'static str,
    /// The CloudTrail `eventName`s of its acts, found in its detonation log.
    pub signal: &'static [&'static str],
    /// Where Stratus publishes no detonation log: its acts as events, written from the
    /// technique's page (what it says the detonation calls, with the fields it names).
    pub written: &'static [&'static str],
    /// Why no metric filter on the trail's log group can see it.
    pub gap: Option<&'static str>,
}

const DATA_EVENTS: &str = "acts on S3 objects (DeleteObject, DeleteObjects, PutObject), which CloudTrail records only as data events; socform's trail records management events. GuardDuty's S3 protection (Impact:S3/AnomalousBehavior) is the detection";

/// Every AWS technique Stratus Red Team ships, at the vendored commit.
pub const TECHNIQUES: &[Technique] = &[
    t("aws.credential-access.ec2-get-password-data", "Retrieve EC2 Password Data", &["GetPasswordData"]),
    t("aws.credential-access.ec2-steal-instance-credentials", "Steal EC2 Instance Credentials", &["SendCommand"]),
    t(
        "aws.credential-access.secretsmanager-batch-retrieve-secrets",
        "Retrieve a High Number of Secrets Manager secrets (Batch)",
        &["BatchGetSecretValue"],
    ),
    t(
        "aws.credential-access.secretsmanager-retrieve-secrets",
        "Retrieve a High Number of Secrets Manager secrets",
        &["GetSecretValue"],
    ),
    t(
        "aws.credential-access.ssm-retrieve-securestring-parameters",
        "Retrieve And Decrypt SSM Parameters",
        &["GetParameters"],
    ),
    t("aws.defense-evasion.cloudtrail-delete", "Delete CloudTrail Trail", &["DeleteTrail"]),
    t(
        "aws.defense-evasion.cloudtrail-event-selectors",
        "Disable CloudTrail Logging Through Event Selectors",
        &["PutEventSelectors"],
    ),
    w(
        "aws.defense-evasion.cloudtrail-lifecycle-rule",
        "CloudTrail Logs Impairment Through S3 Lifecycle Rule",
        &[
            r#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketLifecycle","requestParameters":{"bucketName":"trail-bucket","LifecycleConfiguration":{"Rule":{"ID":"nuke-cloudtrail-logs-after-1-day","Status":"Enabled","Filter":{"Prefix":""},"Expiration":{"Days":1}}}}}"#,
        ],
    ),
    t("aws.defense-evasion.cloudtrail-stop", "Stop CloudTrail Trail", &["StopLogging"]),
    t("aws.defense-evasion.dns-delete-logs", "Delete DNS query logs", &["DeleteResolverQueryLogConfig"]),
    t("aws.defense-evasion.organizations-leave", "Attempt to Leave the AWS Organization", &["LeaveOrganization"]),
    t("aws.defense-evasion.vpc-remove-flow-logs", "Remove VPC Flow Logs", &["DeleteFlowLogs"]),
    t("aws.discovery.ec2-download-user-data", "Download EC2 Instance User Data", &["DescribeInstanceAttribute"]),
    w(
        "aws.discovery.ec2-enumerate-from-instance",
        "Execute Discovery Commands on an EC2 Instance",
        &[
            r#"{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::012345678901:assumed-role/my-instance-role/i-0adc17a5acb70d9ae"}}"#,
            r#"{"eventSource":"iam.amazonaws.com","eventName":"GetAccountAuthorizationDetails","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::012345678901:assumed-role/my-instance-role/i-0adc17a5acb70d9ae"}}"#,
            r#"{"eventSource":"guardduty.amazonaws.com","eventName":"ListDetectors","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::012345678901:assumed-role/my-instance-role/i-0adc17a5acb70d9ae"}}"#,
        ],
    ),
    w(
        "aws.discovery.ses-enumerate",
        "Enumerate SES",
        &[
            r#"{"eventSource":"ses.amazonaws.com","eventName":"GetAccountSendingEnabled"}"#,
            r#"{"eventSource":"ses.amazonaws.com","eventName":"GetSendQuota"}"#,
            r#"{"eventSource":"ses.amazonaws.com","eventName":"ListIdentities"}"#,
        ],
    ),
    t("aws.execution.ec2-launch-unusual-instances", "Launch Unusual EC2 instances", &["RunInstances"]),
    t("aws.execution.ec2-user-data", "Execute Commands on EC2 Instance via User Data", &["ModifyInstanceAttribute"]),
    w(
        "aws.execution.sagemaker-update-lifecycle-config",
        "Execute Commands on SageMaker Notebook Instance via Lifecycle Configuration",
        &[
            r#"{"eventSource":"sagemaker.amazonaws.com","eventName":"CreateNotebookInstanceLifecycleConfig","requestParameters":{"notebookInstanceLifecycleConfigName":"malicious"}}"#,
            r#"{"eventSource":"sagemaker.amazonaws.com","eventName":"UpdateNotebookInstance","requestParameters":{"notebookInstanceName":"victim","lifecycleConfigName":"malicious"}}"#,
        ],
    ),
    t("aws.execution.ssm-send-command", "Usage of ssm:SendCommand on multiple instances", &["SendCommand"]),
    t("aws.execution.ssm-start-session", "Usage of ssm:StartSession on multiple instances", &["StartSession"]),
    t(
        "aws.exfiltration.ec2-security-group-open-port-22-ingress",
        "Open Ingress Port 22 on a Security Group",
        &["AuthorizeSecurityGroupIngress"],
    ),
    t("aws.exfiltration.ec2-share-ami", "Exfiltrate an AMI by Sharing It", &["ModifyImageAttribute"]),
    t("aws.exfiltration.ec2-share-ebs-snapshot", "Exfiltrate EBS Snapshot by Sharing It", &["ModifySnapshotAttribute"]),
    t("aws.exfiltration.rds-share-snapshot", "Exfiltrate RDS Snapshot by Sharing", &["ModifyDBSnapshotAttribute"]),
    w(
        "aws.exfiltration.s3-backdoor-bucket-policy",
        "Backdoor an S3 Bucket via its Bucket Policy",
        &[
            r#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","requestParameters":{"bucketName":"victim","bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::193672423079:root"},"Action":["s3:GetObject","s3:GetBucketLocation","s3:ListBucket"],"Resource":["arn:aws:s3:::victim/*","arn:aws:s3:::victim"]}]}}}"#,
        ],
    ),
    t(
        "aws.impact.bedrock-invoke-model",
        "Invoke Bedrock Model",
        &["InvokeModel", "PutUseCaseForModelAccess", "CreateFoundationModelAgreement", "PutFoundationModelEntitlement"],
    ),
    w(
        "aws.impact.ec2-deregister-ami",
        "Deregister an Amazon EC2 AMI",
        &[
            r#"{"eventSource":"ec2.amazonaws.com","eventName":"DeregisterImage","requestParameters":{"imageId":"ami-0b87ea1d007078d18","deleteAssociatedSnapshots":false}}"#,
        ],
    ),
    gap("aws.impact.s3-ransomware-batch-deletion", "S3 Ransomware through batch file deletion"),
    gap("aws.impact.s3-ransomware-client-side-encryption", "S3 Ransomware through client-side encryption"),
    gap("aws.impact.s3-ransomware-individual-deletion", "S3 Ransomware through individual file deletion"),
    t("aws.initial-access.console-login-without-mfa", "Console Login without MFA", &["ConsoleLogin"]),
    t(
        "aws.lateral-movement.ec2-instance-connect",
        "Usage of EC2 Instance Connect on multiple instances",
        &["SendSSHPublicKey"],
    ),
    t(
        "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
        "Usage of EC2 Serial Console to push SSH public key",
        &["EnableSerialConsoleAccess", "SendSerialConsoleSSHPublicKey"],
    ),
    t("aws.persistence.iam-backdoor-role", "Backdoor an IAM Role", &["UpdateAssumeRolePolicy"]),
    t("aws.persistence.iam-backdoor-user", "Create an Access Key on an IAM User", &["CreateAccessKey"]),
    t(
        "aws.persistence.iam-create-admin-user",
        "Create an administrative IAM User",
        &["CreateUser", "AttachUserPolicy", "CreateAccessKey"],
    ),
    t("aws.persistence.iam-create-backdoor-role", "Create a backdoored IAM Role", &["CreateRole", "AttachRolePolicy"]),
    t(
        "aws.persistence.iam-create-user-login-profile",
        "Create a Login Profile on an IAM User",
        &["CreateLoginProfile"],
    ),
    t(
        "aws.persistence.lambda-backdoor-function",
        "Backdoor Lambda Function Through Resource-Based Policy",
        &["AddPermission20150331v2"],
    ),
    t(
        "aws.persistence.lambda-layer-extension",
        "Add a Malicious Lambda Extension",
        &["UpdateFunctionConfiguration20150331v2"],
    ),
    t("aws.persistence.lambda-overwrite-code", "Overwrite Lambda Function Code", &["UpdateFunctionCode20150331v2"]),
    t(
        "aws.persistence.rolesanywhere-create-trust-anchor",
        "Create an IAM Roles Anywhere trust anchor",
        &["CreateTrustAnchor", "CreateProfile"],
    ),
    t(
        "aws.persistence.sts-federation-token",
        "Generate temporary AWS credentials using GetFederationToken",
        &["GetFederationToken"],
    ),
    t("aws.privilege-escalation.iam-update-user-login-profile", "Change IAM user password", &["UpdateLoginProfile"]),
];

const fn t(id: &'static str, title: &'static str, signal: &'static [&'static str]) -> Technique {
    Technique { id, title, signal, written: &[], gap: None }
}

const fn w(id: &'static str, title: &'static str, written: &'static [&'static str]) -> Technique {
    Technique { id, title, signal: &[], written, gap: None }
}

const fn gap(id: &'static str, title: &'static str) -> Technique {
    Technique { id, title, signal: &[], written: &[], gap: Some(DATA_EVENTS) }
}

/// The vendored detonation logs: `[{"source": "stratus-red-team/ID.json", "case", "event"}]`.
const DETONATIONS: &str = include_str!("../../tests/fixtures/cloudtrail/stratus.json");

#[derive(serde::Deserialize)]
struct Case {
    source: String,
    event: serde_json::Value,
}

/// One vendored detonation event.
#[derive(Debug)]
pub struct Detonation {
    /// The technique's id (`aws.TACTIC.NAME`).
    pub technique: String,
    /// Its CloudTrail `eventName`.
    pub name: String,
    /// The event as CloudTrail wrote it (JSON text).
    pub event: String,
}

/// Every vendored detonation event, parsed once.
pub fn detonations() -> &'static [Detonation] {
    static ALL: LazyLock<Vec<Detonation>> = LazyLock::new(|| {
        let cases: Vec<Case> = serde_json::from_str(DETONATIONS).expect("the vendored detonation logs are JSON");
        cases
            .into_iter()
            .map(|c| Detonation {
                technique: c.source.trim_start_matches("stratus-red-team/").trim_end_matches(".json").to_string(),
                name: c.event.get("eventName").and_then(|n| n.as_str()).unwrap_or_default().to_string(),
                event: c.event.to_string(),
            })
            .collect()
    });
    &ALL
}

impl Technique {
    /// The technique's acts as CloudTrail events: its detonation events whose name is one of
    /// `signal`, or the events written from its page.
    pub fn acts(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self.written.to_vec();
        out.extend(
            detonations()
                .iter()
                .filter(|d| d.technique == self.id && self.signal.contains(&d.name.as_str()))
                .map(|d| d.event.as_str()),
        );
        out
    }

    /// Whether the acts come from Stratus's published log (else: written from its page).
    pub fn from_log(&self) -> bool {
        self.written.is_empty() && self.gap.is_none()
    }

    /// Its ATT&CK tactic, Stratus's second id part (`defense-evasion`).
    pub fn tactic(&self) -> &'static str {
        self.id.split('.').nth(1).unwrap_or_default()
    }

    /// The catalog's `stratus` pack entries meant for it.
    pub fn pack_entries(&self) -> impl Iterator<Item = &'static catalog::Entry> + '_ {
        catalog::CATALOG.iter().filter(|e| e.stratus.contains(&self.id))
    }
}

/// The catalog entries of the `stratus` pack, in catalog order.
pub fn pack() -> impl Iterator<Item = &'static catalog::Entry> {
    catalog::CATALOG.iter().filter(|e| !e.stratus.is_empty())
}

/// How a blueprint fares against one technique.
#[derive(Debug, Clone, Serialize)]
pub struct Seen {
    pub id: &'static str,
    pub title: &'static str,
    pub tactic: &'static str,
    /// The blueprint's detections that match one of its acts (empty: not covered).
    pub detections: Vec<String>,
    /// Where its acts come from: `detonation log` or `written from the technique page`.
    pub evidence: &'static str,
    /// Why it is not covered, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_not: Option<String>,
}

/// Which Stratus techniques a blueprint's detections see, judged on the techniques' acts.
/// Only detections on the trail's log group count: CloudTrail writes nowhere else.
pub fn coverage(model: &Model) -> Vec<Seen> {
    let watching: Vec<(&str, pattern::Pattern)> = model
        .detections
        .iter()
        .filter(|d| d.watches_trail)
        .filter_map(|d| pattern::parse(&d.pattern).ok().map(|p| (d.name.as_str(), p)))
        .collect();
    TECHNIQUES
        .iter()
        .map(|t| {
            let acts = t.acts();
            let detections: Vec<String> = watching
                .iter()
                .filter(|(_, p)| acts.iter().any(|a| p.matches(a).is_some()))
                .map(|(n, _)| n.to_string())
                .collect();
            let why_not = match (detections.is_empty(), t.gap) {
                (false, _) => None,
                (true, Some(g)) => Some(format!("it {g}")),
                (true, None) => {
                    let entries: Vec<&str> = t.pack_entries().map(|e| e.id).collect();
                    Some(format!(
                        "no detection on the trail's log group matches its acts; `use: {}` would",
                        entries.join("`, `use: ")
                    ))
                }
            };
            Seen {
                id: t.id,
                title: t.title,
                tactic: t.tactic(),
                detections,
                evidence: if t.from_log() {
                    "detonation log"
                } else if t.gap.is_some() {
                    "none"
                } else {
                    "written from the technique page"
                },
                why_not,
            }
        })
        .collect()
}
