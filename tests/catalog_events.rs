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
use socform::detect::{catalog, pattern};

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
    assert_eq!(total, 112, "the vendored events");
    assert!(wrong.is_empty(), "{} of {total} events:\n{}", wrong.len(), wrong.join("\n"));
    // The fixtures exercise every entry but those no published event covers yet.
    let unexercised: Vec<&str> = catalog::CATALOG.iter().map(|e| e.id).filter(|id| !fired.contains(id)).collect();
    assert_eq!(unexercised, Vec::<&str>::new(), "entries no real event fires");
}
