//! The catalog against real CloudTrail events published by others (Panther's rule tests and
//! Stratus Red Team's detonation logs, Apache-2.0, vendored by scripts/vendor_cloudtrail.py;
//! see tests/fixtures/cloudtrail/ATTRIBUTION.md).
//!
//! Every catalog pattern runs over every event through socform's filter-pattern engine, and
//! the entries that match must be exactly the ones `intended` says, an independent statement
//! in Rust of what each entry is for. A pattern that misses an attacker's act (a batch or
//! alternate API form) or fires on noise fails here, naming the event.

use std::collections::BTreeSet;

use serde_json::Value;
use socform::detect::{catalog, pattern, stratus};

fn s<'a>(e: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(e, |v, k| v.get(k))?.as_str()
}

/// What each catalog entry is meant to catch, in the words of the event.
fn intended(e: &Value) -> BTreeSet<&'static str> {
    let name = s(e, &["eventName"]).unwrap_or_default();
    let source = s(e, &["eventSource"]).unwrap_or_default();
    let error = s(e, &["errorCode"]);
    let is = |names: &[&str]| names.contains(&name);
    let mut want = BTreeSet::new();
    let mut add = |id: &'static str, cond: bool| {
        if cond {
            want.insert(id);
        }
    };
    add(
        "cis/4.1",
        error.is_some_and(|c| c.ends_with("UnauthorizedOperation") || c.starts_with("AccessDenied"))
            && s(e, &["sourceIPAddress"]) != Some("delivery.logs.amazonaws.com")
            && name != "HeadBucket",
    );
    let console_login = name == "ConsoleLogin";
    let login_result = s(e, &["responseElements", "ConsoleLogin"]);
    add(
        "cis/4.2",
        console_login
            // CloudTrail writes MFAUsed on every IAM user's ConsoleLogin; a comparison on an
            // absent field is false in CloudWatch (Panther's trimmed test event lacks it).
            && s(e, &["additionalEventData", "MFAUsed"]).is_some_and(|m| m != "Yes")
            && s(e, &["userIdentity", "type"]) == Some("IAMUser")
            && login_result == Some("Success"),
    );
    add(
        "cis/4.3",
        s(e, &["userIdentity", "type"]) == Some("Root")
            && e["userIdentity"].get("invokedBy").is_none()
            && s(e, &["eventType"]) != Some("AwsServiceEvent"),
    );
    add(
        "cis/4.4",
        is(&[
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ]),
    );
    add("cis/4.5", is(&["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"]));
    add("cis/4.6", console_login && s(e, &["errorMessage"]) == Some("Failed authentication"));
    add("cis/4.7", source == "kms.amazonaws.com" && is(&["DisableKey", "ScheduleKeyDeletion"]));
    add(
        "cis/4.8",
        source == "s3.amazonaws.com"
            && is(&[
                "PutBucketAcl",
                "PutBucketPolicy",
                "PutBucketCors",
                "PutBucketLifecycle",
                "PutBucketReplication",
                "DeleteBucketPolicy",
                "DeleteBucketCors",
                "DeleteBucketLifecycle",
                "DeleteBucketReplication",
            ]),
    );
    add(
        "cis/4.9",
        source == "config.amazonaws.com"
            && is(&[
                "StopConfigurationRecorder",
                "DeleteDeliveryChannel",
                "PutDeliveryChannel",
                "PutConfigurationRecorder",
            ]),
    );
    add(
        "cis/4.10",
        is(&[
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        ]),
    );
    add(
        "cis/4.11",
        is(&[
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ]),
    );
    add(
        "cis/4.12",
        is(&[
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        ]),
    );
    add(
        "cis/4.13",
        source == "ec2.amazonaws.com"
            && is(&[
                "CreateRoute",
                "CreateRouteTable",
                "ReplaceRoute",
                "ReplaceRouteTableAssociation",
                "DeleteRouteTable",
                "DeleteRoute",
                "DisassociateRouteTable",
            ]),
    );
    add(
        "cis/4.14",
        is(&[
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        ]),
    );
    // prowler's list, which is CIS's and three more (CancelHandshake, CreateOrganization,
    // EnableAllFeatures).
    add(
        "cis/4.15",
        source == "organizations.amazonaws.com"
            && is(&[
                "AcceptHandshake",
                "AttachPolicy",
                "CancelHandshake",
                "CreateAccount",
                "CreateOrganization",
                "CreateOrganizationalUnit",
                "CreatePolicy",
                "DeclineHandshake",
                "DeleteOrganization",
                "DeleteOrganizationalUnit",
                "DeletePolicy",
                "DetachPolicy",
                "DisablePolicyType",
                "EnableAllFeatures",
                "EnablePolicyType",
                "InviteAccountToOrganization",
                "LeaveOrganization",
                "MoveAccount",
                "RemoveAccountFromOrganization",
                "UpdateOrganizationalUnit",
                "UpdatePolicy",
            ]),
    );
    // A secret read, in either form: one at a time or in batch.
    add(
        "soc/secret-access",
        source == "secretsmanager.amazonaws.com" && is(&["GetSecretValue", "BatchGetSecretValue"]),
    );
    // Anything that can make a bucket (or every bucket of the account) public.
    add(
        "soc/s3-public-exposure",
        source == "s3.amazonaws.com"
            && is(&[
                "PutBucketAcl",
                "PutBucketPolicy",
                "DeleteBucketPolicy",
                "PutBucketPublicAccessBlock",
                "DeleteBucketPublicAccessBlock",
                "PutAccountPublicAccessBlock",
                "DeleteAccountPublicAccessBlock",
            ]),
    );
    add("soc/console-login-failures", console_login && login_result == Some("Failure"));
    // Whatever stops the trail from recording: stopping it, deleting it, or selectors that
    // drop management events.
    add(
        "soc/cloudtrail-tampering",
        source == "cloudtrail.amazonaws.com" && is(&["StopLogging", "DeleteTrail", "PutEventSelectors"]),
    );
    // ---- the `stratus` pack ----
    let param = |path: &[&str]| {
        let mut full = vec!["requestParameters"];
        full.extend_from_slice(path);
        s(e, &full)
    };
    let ec2 = source == "ec2.amazonaws.com";
    add("stratus/ec2-password-data", ec2 && name == "GetPasswordData");
    add("stratus/ssm-send-command", source == "ssm.amazonaws.com" && name == "SendCommand");
    add(
        "stratus/ssm-securestring-read",
        source == "ssm.amazonaws.com"
            && is(&["GetParameter", "GetParameters", "GetParametersByPath"])
            && e["requestParameters"]["withDecryption"] == Value::Bool(true),
    );
    add(
        "stratus/dns-logs-deleted",
        source == "route53resolver.amazonaws.com"
            && is(&["DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig"]),
    );
    add("stratus/flow-logs-deleted", ec2 && name == "DeleteFlowLogs");
    add(
        "stratus/user-data-read",
        ec2 && name == "DescribeInstanceAttribute" && param(&["attribute"]) == Some("userData"),
    );
    // GPU and accelerator families, bare metal and the largest sizes.
    let unusual = |t: &str| {
        let family = t.split('.').next().unwrap_or_default();
        let size = t.split('.').nth(1).unwrap_or_default();
        ["p", "g", "inf", "trn", "dl", "f1", "f2", "x1", "x2"]
            .iter()
            .any(|f| family.starts_with(f) && (f.len() > 1 || family[1..].starts_with(|c: char| c.is_ascii_digit())))
            || size.starts_with("metal")
            || ["24xlarge", "32xlarge", "48xlarge"].contains(&size)
    };
    add("stratus/unusual-instance", ec2 && name == "RunInstances" && param(&["instanceType"]).is_some_and(unusual));
    add(
        "stratus/user-data-changed",
        ec2 && name == "ModifyInstanceAttribute" && e["requestParameters"].get("userData").is_some(),
    );
    add("stratus/ssm-session", source == "ssm.amazonaws.com" && name == "StartSession");
    let added =
        |perm: &str| e["requestParameters"][perm]["add"]["items"].as_array().is_some_and(|items| !items.is_empty());
    add(
        "stratus/image-or-snapshot-shared",
        (name == "ModifyImageAttribute" && added("launchPermission"))
            || (name == "ModifySnapshotAttribute" && added("createVolumePermission"))
            || (is(&["ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"])
                && param(&["attributeName"]) == Some("restore")
                && e["requestParameters"]["valuesToAdd"].as_array().is_some_and(|v| !v.is_empty())),
    );
    add(
        "stratus/bedrock-use",
        source == "bedrock.amazonaws.com"
            && is(&[
                "InvokeModel",
                "InvokeModelWithResponseStream",
                "Converse",
                "ConverseStream",
                "PutUseCaseForModelAccess",
                "CreateFoundationModelAgreement",
                "PutFoundationModelEntitlement",
            ]),
    );
    add(
        "stratus/ssh-key-pushed",
        (source == "ec2-instance-connect.amazonaws.com" && is(&["SendSSHPublicKey", "SendSerialConsoleSSHPublicKey"]))
            || (ec2 && name == "EnableSerialConsoleAccess"),
    );
    let iam = source == "iam.amazonaws.com";
    add("stratus/iam-role-backdoor", iam && is(&["CreateRole", "UpdateAssumeRolePolicy"]));
    add("stratus/iam-user-or-key", iam && is(&["CreateUser", "CreateAccessKey"]));
    add("stratus/iam-login-profile", iam && is(&["CreateLoginProfile", "UpdateLoginProfile"]));
    // Lambda's event names carry the API version: `UpdateFunctionCode20150331v2`.
    add(
        "stratus/lambda-backdoor",
        source == "lambda.amazonaws.com"
            && (name.starts_with("AddPermission")
                || name.starts_with("UpdateFunctionCode")
                || (name.starts_with("UpdateFunctionConfiguration")
                    && e["requestParameters"]["layers"].as_array().is_some_and(|l| !l.is_empty()))),
    );
    add(
        "stratus/rolesanywhere",
        source == "rolesanywhere.amazonaws.com"
            && is(&["CreateTrustAnchor", "UpdateTrustAnchor", "CreateProfile", "UpdateProfile"]),
    );
    add("stratus/federation-token", source == "sts.amazonaws.com" && name == "GetFederationToken");
    add(
        "stratus/ses-enumeration",
        source == "ses.amazonaws.com"
            && is(&["GetAccountSendingEnabled", "GetSendQuota", "ListIdentities", "GetIdentityVerificationAttributes"]),
    );
    add(
        "stratus/sagemaker-lifecycle",
        source == "sagemaker.amazonaws.com"
            && is(&[
                "UpdateNotebookInstance",
                "CreateNotebookInstanceLifecycleConfig",
                "UpdateNotebookInstanceLifecycleConfig",
            ]),
    );
    add("stratus/ami-deregistered", ec2 && name == "DeregisterImage");
    // An instance's role: its session is named after the instance.
    add(
        "stratus/instance-discovery",
        s(e, &["userIdentity", "type"]) == Some("AssumedRole")
            && s(e, &["userIdentity", "arn"])
                .is_some_and(|a| a.rsplit('/').next().is_some_and(|n| n.starts_with("i-")))
            && is(&[
                "ListBuckets",
                "GetAccountSummary",
                "ListRoles",
                "ListUsers",
                "GetAccountAuthorizationDetails",
                "DescribeSnapshots",
                "DescribeTrails",
                "ListDetectors",
            ]),
    );
    want
}

fn cases(file: &str) -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(format!("tests/fixtures/cloudtrail/{file}")).unwrap();
    let all: Vec<Value> = serde_json::from_str(&text).unwrap();
    all.into_iter()
        .map(|c| (format!("{} ({})", c["source"].as_str().unwrap(), c["case"].as_str().unwrap()), c["event"].clone()))
        .collect()
}

#[test]
fn every_catalog_entry_fires_exactly_on_the_real_events_it_is_for() {
    let patterns: Vec<(&str, pattern::Pattern)> =
        catalog::CATALOG.iter().map(|e| (e.id, pattern::parse(e.pattern).unwrap())).collect();
    let mut wrong = vec![];
    let mut fired: BTreeSet<&str> = BTreeSet::new();
    let mut total = 0;
    for file in ["panther.json", "stratus.json"] {
        for (case, event) in cases(file) {
            total += 1;
            let text = event.to_string();
            let got: BTreeSet<&str> =
                patterns.iter().filter(|(_, p)| p.matches(&text).is_some()).map(|(id, _)| *id).collect();
            let want = intended(&event);
            fired.extend(&got);
            if got != want {
                wrong.push(format!(
                    "{case}: {} fires {got:?}, intended {want:?}",
                    event["eventName"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    assert_eq!(total, 383, "the vendored events");
    assert!(wrong.is_empty(), "{} of {total} events:\n{}", wrong.len(), wrong.join("\n"));
    // The fixtures exercise every entry but those written for Stratus techniques that
    // publish no detonation log (their acts are judged in the test below).
    let unexercised: Vec<&str> = catalog::CATALOG.iter().map(|e| e.id).filter(|id| !fired.contains(id)).collect();
    let no_log: Vec<&str> = catalog::CATALOG
        .iter()
        .filter(|e| {
            !e.stratus.is_empty()
                && e.stratus.iter().all(|t| stratus::TECHNIQUES.iter().any(|x| x.id == *t && !x.from_log()))
        })
        .map(|e| e.id)
        .collect();
    let unexplained: Vec<&&str> = unexercised.iter().filter(|id| !no_log.contains(id)).collect();
    assert_eq!(unexplained, Vec::<&&str>::new(), "entries no real event fires");
}

/// The `stratus` pack: every Stratus Red Team AWS technique a metric filter can see has an
/// entry that fires on its acts, and no pack entry fires on another technique's events
/// (reads and role assumptions included) or on a Panther event `intended` does not give it.
#[test]
fn the_stratus_pack_sees_every_technique_and_fires_on_no_other() {
    // The vendored logs and the technique table name the same techniques.
    let logged: BTreeSet<String> = stratus::detonations().iter().map(|d| d.technique.clone()).collect();
    let with_log: BTreeSet<String> =
        stratus::TECHNIQUES.iter().filter(|t| t.from_log()).map(|t| t.id.to_string()).collect();
    assert_eq!(logged, with_log, "techniques with a detonation log");
    assert_eq!(stratus::TECHNIQUES.len(), 44, "Stratus Red Team's AWS techniques at the vendored commit");
    let ids: BTreeSet<&str> = stratus::TECHNIQUES.iter().map(|t| t.id).collect();
    assert_eq!(ids.len(), stratus::TECHNIQUES.len(), "technique ids are unique");
    let mut problems = vec![];
    for t in stratus::TECHNIQUES {
        // Each act named is in the log (a typo would make the technique look unseeable).
        let acts = t.acts();
        for name in t.signal {
            let found = acts.iter().any(|a| serde_json::from_str::<Value>(a).unwrap()["eventName"] == *name);
            if !found {
                problems.push(format!("{}: no `{name}` event in its log", t.id));
            }
        }
        if t.gap.is_some() {
            assert!(acts.is_empty() && t.pack_entries().next().is_none(), "{}: a gap has no acts and no entry", t.id);
            continue;
        }
        assert!(!acts.is_empty(), "{}: no acts", t.id);
        let entries: Vec<_> = t.pack_entries().collect();
        if entries.is_empty() {
            problems.push(format!("{}: no pack entry", t.id));
        }
        for e in entries {
            let p = pattern::parse(e.pattern).unwrap();
            if !acts.iter().any(|a| p.matches(a).is_some()) {
                problems.push(format!("{} misses every act of {}", e.id, t.id));
            }
        }
    }
    // No pack entry fires on the events of a technique it is not for.
    for e in stratus::pack() {
        let p = pattern::parse(e.pattern).unwrap();
        for stratus::Detonation { technique, event, .. } in stratus::detonations() {
            if !e.stratus.contains(&technique.as_str()) && p.matches(event).is_some() {
                problems.push(format!("{} fires on {technique}'s {}", e.id, &event[..event.len().min(120)]));
            }
        }
        for t in stratus::TECHNIQUES.iter().filter(|t| !e.stratus.contains(&t.id)) {
            for w in t.written {
                if p.matches(w).is_some() {
                    problems.push(format!("{} fires on {}'s written act {w}", e.id, t.id));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
