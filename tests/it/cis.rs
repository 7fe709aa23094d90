//! The reference SOC passes the benchmark it watches (issue 32): the kinds CIS AWS
//! Foundations 3.0 asks for beyond its monitoring section, each checked with boto3
//! (aws_tool.py), never with socform, and the whole profile judged by prowler.

use std::time::Duration;

use serde_json::Value;

use crate::support::proxy::{Faults, Injection, Proxy};
use crate::support::*;

fn policy(lab: &Lab, args: &[&str]) -> Value {
    serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &[&["password-policy"], args].concat())).unwrap()
}

fn change<'a>(plan: &'a Value, address: &str) -> &'a Value {
    plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == address).unwrap_or_else(|| panic!("{plan}"))
}

const POLICY_LAB: &str = "blueprint: policy-lab\nregion: us-east-1\naccount:\n  password_policy: {}\n";

/// No policy before: the apply sets CIS's (length 14, reuse 24, all four classes), a change
/// made by hand is drift put back, and destroy deletes the policy again.
#[test]
fn a_password_policy_the_account_lacked_is_set_to_cis_and_deleted_by_destroy() {
    let lab = Lab::new();
    let bp = lab.write("policy.yaml", POLICY_LAB);
    assert_eq!(policy(&lab, &[]), Value::Null);
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let set = policy(&lab, &[]);
    assert_eq!(set["MinimumPasswordLength"], 14, "{set}");
    assert_eq!(set["PasswordReusePrevention"], 24, "{set}");
    for k in ["RequireSymbols", "RequireNumbers", "RequireUppercaseCharacters", "RequireLowercaseCharacters"] {
        assert_eq!(set[k], true, "{k}: {set}");
    }
    assert_eq!(lab.id("iam_password_policy.account"), "set-by-socform");
    policy(&lab, &["set", "8", "3"]);
    let plan = lab.plan_json(&bp);
    assert_eq!(change(&plan, "iam_password_policy.account")["action"], "update", "{plan}");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    assert_eq!(policy(&lab, &[])["MinimumPasswordLength"], 14);
    lab.ok(&["destroy", &bp, "--auto-approve"]);
    assert_eq!(policy(&lab, &[]), Value::Null, "destroy left the policy it set");
}

/// The account's own policy (a central team's): used and left exactly as it was by default;
/// `if_exists: fail` stops at preflight; `if_exists: replace` shows the account's policy as
/// what the plan changes, sets CIS's, and destroy puts the account's back, field for field.
#[test]
fn the_accounts_own_password_policy_is_used_or_replaced_and_put_back() {
    let lab = Lab::new();
    let theirs = policy(&lab, &["set", "8", "3"]);

    let bp = lab.write("policy.yaml", POLICY_LAB);
    let plan = lab.plan_json(&bp);
    let c = change(&plan, "iam_password_policy.account");
    assert_eq!(c["action"], "use", "{plan}");
    assert!(c["reasons"].to_string().contains("`minimum_length` stays 8"), "{c}");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    assert_eq!(policy(&lab, &[]), theirs, "a used policy was changed");
    lab.ok(&["destroy", &bp, "--auto-approve"]);
    assert_eq!(policy(&lab, &[]), theirs, "destroy touched a policy this state did not set");

    let failing = lab.write("policy.yaml", &POLICY_LAB.replace("{}", "{ if_exists: fail }"));
    let out = lab.socform(&["preflight", &failing]);
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("if_exists: fail"), "{}", text(&out.stdout));

    let bp = lab.write("policy.yaml", &POLICY_LAB.replace("{}", "{ if_exists: replace }"));
    let plan = lab.plan_json(&bp);
    let c = change(&plan, "iam_password_policy.account");
    assert_eq!(c["action"], "create", "{plan}");
    assert!(c["reasons"].to_string().contains("replaces the account's own"), "{c}");
    let human = lab.ok(&["plan", &bp, "--no-color"]);
    assert!(human.contains("minimum_length        = 8 -> 14"), "{human}");
    assert!(human.contains("reuse_prevention      = 3 -> 24"), "{human}");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    assert_eq!(policy(&lab, &[])["MinimumPasswordLength"], 14);
    assert!(lab.id("iam_password_policy.account").starts_with("replaced-by-socform:"));
    lab.ok(&["destroy", &bp, "--auto-approve"]);
    assert_eq!(policy(&lab, &[]), theirs, "destroy did not put the account's policy back");
}

/// Killed after UpdateAccountPasswordPolicy replaced the account's policy and before state
/// was saved: the marker carries what the plan read, so the next apply records the
/// replacement with the account's policy, and destroy still puts that back (boto3).
#[test]
fn a_replaced_password_policy_is_put_back_after_a_kill_mid_apply() {
    let mut lab = Lab::new();
    let theirs = policy(&lab, &["set", "9", "4"]);
    lab.bp = lab.write("policy.yaml", &POLICY_LAB.replace("{}", "{ if_exists: replace }")).into();
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    apply_killed_at(&lab, &proxy, "Action=UpdateAccountPasswordPolicy", false);
    assert_eq!(policy(&lab, &[])["MinimumPasswordLength"], 14, "the held call did not take effect");
    let state = lab.state();
    assert!(state["resources"].get("iam_password_policy.account").is_none(), "the killed run saved it: {state}");
    assert!(state["pending"]["iam_password_policy.account"]["replaces"].is_object(), "{state}");

    let out = lab.run(&lab.moto.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(lab.id("iam_password_policy.account").starts_with("replaced-by-socform:"));
    let out = lab.run(&lab.moto.url(), &["destroy", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(policy(&lab, &[]), theirs, "the account's policy was lost to the kill");
}

/// S3 data events (CIS 3.8 and 3.9): `all` puts one data resource on the trail's selector
/// for every bucket; a trail narrowed by hand to write-only data events is drift, put back;
/// a list of buckets records those alone. Read with boto3.
#[test]
fn s3_data_events_are_recorded_read_and_write_and_narrowing_them_is_drift() {
    let lab = Lab::new();
    let text = |events: &str| {
        format!("blueprint: data-lab\nregion: us-east-1\ntrail:\n  bucket: {{}}\n  s3_data_events: {events}\n")
    };
    let bp = lab.write("trail.yaml", &text("all"));
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let selectors = || -> Value {
        serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["event-selectors", "data-lab"])).unwrap()
    };
    let s = selectors();
    assert_eq!(s[0]["ReadWriteType"], "All", "{s}");
    assert_eq!(s[0]["IncludeManagementEvents"], true, "{s}");
    assert_eq!(s[0]["DataResources"], serde_json::json!([{ "Type": "AWS::S3::Object", "Values": ["arn:aws:s3"] }]));
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));

    aws_tool(
        &lab.moto,
        "us-east-1",
        &[
            "put-event-selectors",
            "data-lab",
            r#"[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": true, "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]"#,
        ],
    );
    let plan = lab.plan_json(&bp);
    let c = change(&plan, "trail.main");
    assert_eq!(c["action"], "update", "{plan}");
    assert!(c.to_string().contains("(only WriteOnly)"), "{c}");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    assert_eq!(selectors()[0]["ReadWriteType"], "All");

    let bp = lab.write("trail.yaml", &text("[trail]"));
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let bucket = lab.id("s3_bucket.trail");
    assert_eq!(selectors()[0]["DataResources"][0]["Values"], serde_json::json!([format!("arn:aws:s3:::{bucket}/")]));
    let cost = lab.ok(&["cost", &bp]);
    assert!(cost.contains("S3 data events a month"), "{cost}");
    lab.ok(&["destroy", &bp, "--auto-approve"]);
}

fn text_of(out: &std::process::Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// Server access logging of the trail's bucket (CIS 3.4): the logs go to the lab's own log
/// bucket, whose policy lets the S3 logging service write them for that bucket alone (moto
/// refuses PutBucketLogging without it, as AWS does); logging turned off by hand is drift,
/// put back; destroy leaves nothing. Read with boto3.
#[test]
fn the_trail_bucket_logs_its_access_to_the_labs_log_bucket() {
    let lab = Lab::new();
    let before = lab.inventory();
    let bp = lab.write(
        "trail.yaml",
        "blueprint: logged-lab\nregion: us-east-1\nbuckets:\n  access-logs: {}\ntrail:\n  bucket: { access_logs: access-logs }\n",
    );
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let (trail_bucket, log_bucket) = (lab.id("s3_bucket.trail"), lab.id("s3_bucket.access-logs"));
    let logging = || -> Value {
        serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["bucket-logging", &trail_bucket])).unwrap()
    };
    assert_eq!(logging(), serde_json::json!({ "TargetBucket": log_bucket, "TargetPrefix": "trail/" }));
    let policy: Value =
        serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["bucket-policy", &log_bucket])).unwrap();
    let grant = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Principal"]["Service"] == "logging.s3.amazonaws.com")
        .unwrap_or_else(|| panic!("no grant to the logging service: {policy}"));
    assert_eq!(grant["Action"], "s3:PutObject");
    assert_eq!(grant["Resource"], format!("arn:aws:s3:::{log_bucket}/trail/*"));
    assert_eq!(grant["Condition"]["ArnLike"]["aws:SourceArn"], format!("arn:aws:s3:::{trail_bucket}"));

    aws_tool(&lab.moto, "us-east-1", &["bucket-logging", &trail_bucket, "off"]);
    assert_eq!(logging(), Value::Null);
    let plan = lab.plan_json(&bp);
    assert_eq!(change(&plan, "s3_bucket.trail")["action"], "update", "{plan}");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    assert_eq!(logging()["TargetBucket"], log_bucket.as_str());
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    lab.ok(&["destroy", &bp, "--auto-approve"]);
    assert_eq!(lab.inventory(), before);
}

#[test]
fn a_bucket_cannot_log_its_own_access() {
    let lab = Lab::new();
    let bp = lab.write("b.yaml", "blueprint: self-log\nregion: us-east-1\nbuckets:\n  logs: { access_logs: logs }\n");
    let out = lab.socform(&["validate", &bp]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("bucket `logs` cannot log its own access"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("b.yaml:4"), "{}", text(&out.stderr));
}

/// prowler's whole CIS AWS Foundations 3.0 profile against the applied reference lab, with
/// prowler's own boto3 reading moto. Every automated requirement prowler judges passes, but
/// for the exceptions written in the README, each checked to be exactly what it says:
/// - 2.1.2, MFA delete: only the root user's MFA device can turn it on;
/// - 1.21, SAML providers (a manual check prowler runs anyway): an identity provider is the
///   organization's, not a lab's;
/// - 5.1, network ACLs open to the internet: only the default VPC's ACL fails (the account's,
///   never touched); the lab's ACL and its VPC's default ACL pass;
/// - 3.6, key rotation: moto makes its stand-in for the AWS-managed `aws/ebs` key a customer
///   key (AWS's is AWS-managed, which prowler does not judge); the trail's own key rotates.
///
/// Destroy leaves the account as it was, the trail's key counted as pending deletion.
#[test]
fn prowler_cis_3_0_passes_on_the_reference_lab_but_for_the_written_exceptions() {
    let mut lab = Lab::new();
    lab.reference();
    let moto = lab.moto.url();
    let before = lab.inventory();
    let out = lab.run(&moto, &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let findings = prowler_findings(&lab, &["--compliance", "cis_3.0_aws"]);
    // Each CIS requirement: FAIL if any of its findings fails, PASS if it has findings and
    // none fails. (Requirements prowler cannot judge on moto, such as the root user's, have
    // none.)
    let mut verdicts: std::collections::BTreeMap<String, &str> = Default::default();
    let mut failed: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for f in &findings {
        let status = f["status_code"].as_str().unwrap();
        let check = f["metadata"]["event_code"].as_str().unwrap();
        let resource = f["resources"][0]["uid"].as_str().unwrap_or_default().to_string();
        for req in f["unmapped"]["compliance"]["CIS-3.0"].as_array().into_iter().flatten() {
            let req = req.as_str().unwrap().to_string();
            let v = verdicts.entry(req.clone()).or_insert("PASS");
            if status == "FAIL" {
                *v = "FAIL";
                failed.entry(req).or_default().push(format!("{check} {resource}"));
            }
        }
    }
    let must_pass = [
        "1.8", "1.9", "1.17", "2.1.1", "2.1.4", "2.2.1", "3.1", "3.2", "3.3", "3.4", "3.5", "3.7", "3.8", "3.9", "4.1",
        "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10", "4.11", "4.12", "4.13", "4.14", "4.15", "5.2",
        "5.3", "5.6",
    ];
    for r in must_pass {
        assert_eq!(verdicts.get(r).copied(), Some("PASS"), "CIS {r}: {:?}", failed.get(r));
    }
    let exceptions = ["1.21", "2.1.2", "3.6", "5.1"];
    let unexpected: Vec<_> = failed.keys().filter(|r| !exceptions.contains(&r.as_str())).collect();
    assert!(unexpected.is_empty(), "failed beyond the written exceptions: {failed:#?}");
    // 3.6: only moto's aws/* stand-ins fail; the trail's key rotates (boto3 reads both).
    let trail_key = lab.id("kms_key.trail");
    let aws_keys: Vec<String> = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["aws-managed-keys"])).unwrap();
    for f in failed.get("3.6").into_iter().flatten() {
        assert!(aws_keys.iter().any(|k| f.ends_with(k.as_str())), "a key other than moto's aws/ebs failed: {f}");
        assert!(!f.ends_with(&trail_key), "{f}");
    }
    // 5.1: only the default VPC's ACL; the lab's two were judged, and passed.
    let default_vpc: Vec<String> =
        serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["default-vpc-acls"])).unwrap();
    assert!(!default_vpc.is_empty());
    for f in failed.get("5.1").into_iter().flatten() {
        assert!(default_vpc.iter().any(|a| f.ends_with(a.as_str())), "not the default VPC's ACL: {f}");
    }
    for acl in [lab.id("network_acl.lab"), lab.id("network_acl.vpc-default")] {
        let judged: Vec<&str> = findings
            .iter()
            .filter(|f| f["resources"][0]["uid"].as_str().is_some_and(|u| u.ends_with(&acl)))
            .filter(|f| {
                f["metadata"]["event_code"].as_str().is_some_and(|c| c.starts_with("ec2_networkacl_allow_ingress"))
            })
            .map(|f| f["status_code"].as_str().unwrap())
            .collect();
        assert!(judged.len() >= 2 && judged.iter().all(|s| *s == "PASS"), "{acl}: {judged:?}");
    }

    let out = lab.run(&moto, &["destroy", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lab.inventory(), before, "the destroy left the account changed");
    assert!(lab.pending_keys().contains(&trail_key), "the trail's key is not pending deletion");
}

/// The trail's own KMS key (CIS 3.5, 3.6): rotation on, the trail encrypts with it, its policy
/// lets CloudTrail use it for this trail alone; destroy schedules its deletion with the
/// shortest window, the closing check says so instead of calling it left behind, and boto3's
/// inventory is as before but for the key, pending deletion.
#[test]
fn the_trails_own_key_rotates_serves_this_trail_alone_and_is_scheduled_for_deletion() {
    let lab = Lab::new();
    let before = lab.inventory();
    let bp =
        lab.write("key.yaml", "blueprint: key-lab\nregion: us-east-1\ntrail:\n  bucket: {}\n  own_kms_key: true\n");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let key = lab.id("kms_key.trail");
    let got: Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["key", &key])).unwrap();
    assert_eq!(got["rotation"], true, "{got}");
    assert_eq!(got["state"], "Enabled", "{got}");
    assert!(got["trail_key"].as_str().is_some_and(|k| k.ends_with(&key)), "{got}");
    let trail_arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/key-lab";
    let statements = got["policy"]["Statement"].as_array().unwrap();
    let cloudtrail: Vec<&Value> =
        statements.iter().filter(|s| s["Principal"]["Service"] == "cloudtrail.amazonaws.com").collect();
    assert_eq!(cloudtrail.len(), 2, "{got}");
    for s in cloudtrail {
        assert_eq!(s["Condition"]["StringEquals"]["aws:SourceArn"], trail_arn, "{s}");
    }
    // No statement lets anyone but CloudTrail encrypt, nor anyone decrypt outside the account.
    for s in statements {
        let actions = s["Action"].to_string();
        if actions.contains("kms:Decrypt") {
            assert_eq!(s["Condition"]["StringEquals"]["kms:CallerAccount"], "123456789012", "{s}");
        }
        assert!(!actions.contains("kms:*") && !actions.contains("kms:Encrypt"), "{s}");
    }
    let cost = lab.ok(&["cost", &bp]);
    assert!(cost.contains("KMS key"), "{cost}");
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));

    let out = lab.socform(&["destroy", &bp, "--auto-approve"]);
    assert!(out.status.success(), "{}", text_of(&out));
    assert!(text(&out.stderr).contains("pending deletion (AWS deletes it on"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("0 resources remain."), "{}", text(&out.stderr));
    let got: Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["key", &key])).unwrap();
    assert_eq!(got["days_to_deletion"], 7, "{got}");
    assert_eq!(lab.inventory(), before);
    assert_eq!(lab.pending_keys(), std::collections::BTreeSet::from([key]));
}

/// The trail's log group encrypted with the trail's own key: CloudWatch Logs may use the key
/// for that log group alone (its ARN in the encryption context), the one statement that may
/// encrypt besides CloudTrail's; without the trail's own key it is an error at its line.
#[test]
fn the_trails_log_group_encrypted_with_its_key_is_the_one_group_logs_may_use_it_for() {
    let lab = Lab::new();
    let before = lab.inventory();
    let text_of_bp = |own: bool| {
        format!(
            "blueprint: key-lab\nregion: us-east-1\ntrail:\n  bucket: {{}}\n  own_kms_key: {own}\n  cloudwatch_logs: {{ log_group: trail, encrypted: true }}\n"
        )
    };
    let bp = lab.write("key.yaml", &text_of_bp(false));
    let out = lab.socform(&["validate", &bp]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("add `own_kms_key: true` to the trail"), "{}", text(&out.stderr));
    let bp = lab.write("key.yaml", &text_of_bp(true));
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let key = lab.id("kms_key.trail");
    let group =
        lab.state()["resources"]["log_group.trail"]["attributes"]["log_group_name"].as_str().unwrap().to_string();
    let used: Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["log-group-key", &group])).unwrap();
    assert!(used.as_str().is_some_and(|k| k.ends_with(&key)), "{used}");
    let got: Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["key", &key])).unwrap();
    let statements = got["policy"]["Statement"].as_array().unwrap();
    let encrypting: Vec<&Value> =
        statements.iter().filter(|s| s["Action"].to_string().contains("kms:Encrypt")).collect();
    assert_eq!(encrypting.len(), 1, "{got}");
    assert_eq!(encrypting[0]["Principal"]["Service"], "logs.us-east-1.amazonaws.com", "{got}");
    assert_eq!(
        encrypting[0]["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"],
        format!("arn:aws:logs:us-east-1:123456789012:log-group:{group}"),
        "{got}"
    );
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    lab.ok(&["destroy", &bp, "--auto-approve"]);
    assert_eq!(lab.inventory(), before);
}

const ACL_LAB: &str = r#"blueprint: acl-lab
region: us-east-1
network:
  vpc: { cidr: 10.1.0.0/16 }
  subnets:
    a: { cidr: 10.1.0.0/24, az: us-east-1a }
    b: { cidr: 10.1.1.0/24, az: us-east-1b }
  acls:
    edge:
      subnets: [a]
      ingress:
        - { number: 100, action: deny, protocol: tcp, ports: 22, from: 0.0.0.0/0 }
        - { number: 300, action: allow, protocol: tcp, ports: "1024-65535", from: 0.0.0.0/0 }
      egress:
        - { number: 100, action: allow, protocol: all, to: 0.0.0.0/0 }
    vpc-default:
      default: true
      ingress:
        - { number: 100, action: allow, protocol: all, from: 10.1.0.0/16 }
"#;

fn acls(lab: &Lab) -> Value {
    serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["acls", &lab.id("vpc.main")])).unwrap()
}

/// Network ACLs (CIS 5.1), read back with boto3: the entries in order and the subnets each
/// holds; the VPC's default ACL set in place (never deleted, never tagged) and holding the
/// subnet no other ACL names. An entry or an association changed by hand is drift, put back.
/// Taken out of the blueprint, the default ACL gets AWS's allow-all back. A forged tag naming
/// the default VPC's ACL as the lab's steers nothing; destroy leaves the account as it was.
#[test]
fn network_acls_hold_their_subnets_in_rule_order_and_the_default_one_is_set_in_place() {
    let lab = Lab::new();
    let before = lab.inventory();
    let bp = lab.write("acl.yaml", ACL_LAB);
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let edge = lab.id("network_acl.edge");
    let default = lab.id("network_acl.vpc-default");
    let got = acls(&lab);
    assert_eq!(
        got[&edge]["entries"],
        serde_json::json!([
            "egress 100 allow -1 0.0.0.0/0",
            "ingress 100 deny 6 0.0.0.0/0 22-22",
            "ingress 300 allow 6 0.0.0.0/0 1024-65535"
        ]),
        "{got:#}"
    );
    assert_eq!(got[&edge]["subnets"], serde_json::json!(["10.1.0.0/24"]), "{got:#}");
    assert_eq!(got[&edge]["tags"]["socform:address"], "network_acl.edge", "{got:#}");
    // The VPC's own ACL: AWS's allow-all entries gone, the lab's in their place.
    assert!(got.get(&default).is_none(), "the default ACL is listed by id: {got:#}");
    assert_eq!(
        got["default"]["entries"],
        serde_json::json!([
            "ingress 100 allow -1 10.1.0.0/16",
            "egress 32767 deny -1 0.0.0.0/0",
            "ingress 32767 deny -1 0.0.0.0/0"
        ]),
        "{got:#}"
    );
    assert_eq!(got["default"]["subnets"], serde_json::json!(["10.1.1.0/24"]), "{got:#}");
    assert_eq!(got["default"]["tags"], serde_json::json!({}), "{got:#}");
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // By hand: SSH allowed where it was denied, subnet a sent back to the default ACL.
    aws_tool(&lab.moto, "us-east-1", &["acl-entry", &edge, "100", "allow", "6", "0.0.0.0/0", "22", "22"]);
    aws_tool(&lab.moto, "us-east-1", &["acl-move", &lab.id("subnet.a"), &default]);
    let plan = lab.plan_json(&bp);
    assert_eq!(change(&plan, "network_acl.edge")["action"], "update", "{plan}");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    assert_eq!(acls(&lab), got, "the drift was not put back");

    // A forgery: the default VPC's ACL tagged as this lab's default ACL.
    let lineage = lab.state()["lineage"].as_str().unwrap().to_string();
    let theirs = aws_tool(
        &lab.moto,
        "us-east-1",
        &[
            "tag-default-vpc-acl",
            "socform:blueprint=acl-lab",
            &format!("socform:lineage={lineage}"),
            "socform:address=network_acl.vpc-default",
        ],
    );
    let theirs = theirs.trim();
    let their_entries = aws_tool(&lab.moto, "us-east-1", &["acl-entries", theirs]);
    assert!(their_entries.contains("ingress 50 deny 6 0.0.0.0/0 23-23"), "{their_entries}");

    // The default ACL taken out of the blueprint: AWS's entries come back; subnet b moves.
    let bp = lab.write(
        "acl.yaml",
        ACL_LAB.replace("subnets: [a]", "subnets: [a, b]").split("    vpc-default:").next().unwrap(),
    );
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let now = acls(&lab);
    assert_eq!(
        now["default"]["entries"],
        serde_json::json!([
            "egress 100 allow -1 0.0.0.0/0",
            "ingress 100 allow -1 0.0.0.0/0",
            "egress 32767 deny -1 0.0.0.0/0",
            "ingress 32767 deny -1 0.0.0.0/0"
        ]),
        "{now:#}"
    );
    assert_eq!(now[&edge]["subnets"], serde_json::json!(["10.1.0.0/24", "10.1.1.0/24"]), "{now:#}");

    lab.ok(&["destroy", &bp, "--auto-approve"]);
    let after = lab.inventory();
    assert_eq!(after, before, "left: {:?}", after.difference(&before).collect::<Vec<_>>());
    let tags: Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["ec2-tags", theirs])).unwrap();
    assert_eq!(tags["socform:address"], "network_acl.vpc-default", "the forged ACL was touched: {tags}");
    assert_eq!(aws_tool(&lab.moto, "us-east-1", &["acl-entries", theirs]), their_entries, "its rules were changed");
}

/// Killed after CreateNetworkAcl answered, before any entry: the ACL carries the lab's tags
/// from its first call, so the next apply adopts it (no second ACL), gives it its entries and
/// subnet, and destroy removes it.
#[test]
fn an_acl_whose_apply_was_killed_before_its_entries_is_adopted_not_made_twice() {
    let mut lab = Lab::new();
    let before = lab.inventory();
    lab.bp = lab.write("acl.yaml", ACL_LAB).into();
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    apply_killed_at(&lab, &proxy, "Action=CreateNetworkAclEntry", true);
    let out = lab.run(&lab.moto.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let vpc = lab.id("vpc.main");
    let got: Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["acls", &vpc])).unwrap();
    let ours: Vec<&String> = got.as_object().unwrap().keys().filter(|k| *k != "default").collect();
    assert_eq!(ours, [&lab.id("network_acl.edge")], "{got:#}");
    assert_eq!(got[ours[0].as_str()]["subnets"], serde_json::json!(["10.1.0.0/24"]), "{got:#}");
    let out = lab.run(&lab.moto.url(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = lab.run(&lab.moto.url(), &["destroy", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lab.inventory(), before);
}

/// KMS answers moto never gives, written from the KMS API reference (ListResourceTags:
/// AccessDeniedException), told apart by their error code: a key whose tags the caller may not
/// read (an AWS-managed key, another's key policy) is not the lab's and is passed over; the
/// lab's own key, refused, stops the plan with the permission it needs.
#[test]
fn a_key_whose_tags_are_refused_is_passed_over_unless_state_records_it() {
    let mut lab = Lab::new();
    aws_tool(&lab.moto, "us-east-1", &["create-key"]);
    lab.bp = lab
        .write("key.yaml", "blueprint: key-lab\nregion: us-east-1\ntrail:\n  bucket: {}\n  own_kms_key: true\n")
        .into();
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    let denied = |times| Injection {
        needle: "TrentService.ListResourceTags",
        times,
        status: "400 Bad Request",
        content_type: "application/x-amz-json-1.1",
        body: r#"{"__type":"AccessDeniedException","message":"User is not authorized to perform: kms:ListResourceTags"}"#,
    };
    proxy.inject(denied(1));
    let out = lab.run(&proxy.url(), &["plan", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(proxy.stats.injected.load(std::sync::atomic::Ordering::SeqCst), 1, "the refusal was never asked for");
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(change(&plan, "kms_key.trail")["action"], "create", "{plan}");

    let out = lab.run(&lab.moto.url(), &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    proxy.inject(denied(10));
    let out = lab.run(&proxy.url(), &["plan"]);
    assert!(!out.status.success());
    let key = lab.id("kms_key.trail");
    assert!(
        text(&out.stderr).contains(&format!("access denied reading the tags of KMS key {key}")),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("kms:ListResourceTags"), "{}", text(&out.stderr));
    let out = lab.run(&lab.moto.url(), &["destroy", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
