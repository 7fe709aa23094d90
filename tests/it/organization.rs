//! One blueprint across the accounts of an organization (issue 27): `accounts:` names them
//! with the role to reach each, `account: NAME` places a resource or section, and one graph,
//! one plan and one state hold them all. Checked with boto3 inside each member account (moto
//! serves Organizations and AssumeRole into member accounts, each account's resources apart).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::proxy::{Faults, Injection, Proxy};
use crate::support::*;

/// A trail in the caller's (management) account writing to a bucket of the log archive
/// account, an audit account's topic, GuardDuty and the rule routing its findings, and the
/// CIS detections on the trail's log group with their own topic at home.
const SPANNING: &str = r#"blueprint: org-mini
region: us-east-1
accounts:
  management: {}
  log_archive: { role_arn: "arn:aws:iam::LOG_ARCHIVE:role/OrganizationAccountAccessRole" }
  audit: { role_arn: "arn:aws:iam::AUDIT:role/OrganizationAccountAccessRole", session_name: socform-audit }
buckets:
  logs: { account: log_archive }
trail:
  bucket: logs
  cloudwatch_logs: { log_group: trail }
notifications:
  alerts: { account: audit }
  ops: {}
findings:
  guardduty: { account: audit, notify: [alerts] }
detections:
  - { use: cis/4.3, notify: [ops] }
outputs:
  audit_id: { value: "${account.audit.id}" }
"#;

/// An organization with `n` member accounts: their ids.
fn members(lab: &Lab, n: usize) -> Vec<String> {
    serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["create-org", &n.to_string()])).unwrap()
}

fn inventory_in(lab: &Lab, account: &str) -> BTreeSet<String> {
    serde_json::from_str(&aws_tool_in(&lab.moto, account, &["inventory"])).unwrap()
}

/// Writes the blueprint with those accounts: its path.
fn spanning(lab: &Lab, log_archive: &str, audit: &str) -> String {
    lab.write("org.yaml", &SPANNING.replace("LOG_ARCHIVE", log_archive).replace("AUDIT", audit))
}

/// Applied once: each resource is made in its own account and nowhere else (boto3 in each),
/// the log archive's bucket policy lets the management account's trail write under its own
/// prefix, state records every resource's account and every account's id; the next plan is
/// clean; destroy empties every account (each inventory as before) and says nothing remains.
#[test]
fn one_blueprint_spans_accounts_with_one_plan_and_one_state() {
    let lab = Lab::new();
    let ids = members(&lab, 3);
    let (log_archive, audit, bystander) = (&ids[0], &ids[1], &ids[2]);
    let bp = spanning(&lab, log_archive, audit);
    let before: Vec<BTreeSet<String>> = ids.iter().map(|a| inventory_in(&lab, a)).collect();
    let management_before = lab.inventory();

    let out = lab.socform(&["apply", &bp, "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(squash(&text(&out.stderr)).contains(&format!("audit_id={audit}")), "{}", text(&out.stderr));

    // Each account holds what the blueprint places there.
    let bucket = format!("org-mini-logs-{log_archive}");
    let added =
        |i: usize| -> BTreeSet<String> { inventory_in(&lab, &ids[i]).difference(&before[i]).cloned().collect() };
    assert_eq!(added(0), BTreeSet::from([format!("s3-bucket {bucket}"), format!("s3-bucket-policy {bucket}")]));
    let in_audit = added(1);
    assert!(in_audit.contains("sns-topic org-mini-alerts"), "{in_audit:?}");
    assert!(in_audit.contains("event-rule org-mini-guardduty-findings"), "{in_audit:?}");
    assert!(in_audit.iter().any(|l| l.starts_with("guardduty-detector ")), "{in_audit:?}");
    assert_eq!(in_audit.len(), 4, "topic, rule, its target, detector: {in_audit:?}");
    assert!(added(2).is_empty(), "the bystander account was changed");
    let at_home: BTreeSet<String> = lab.inventory().difference(&management_before).cloned().collect();
    for want in ["trail org-mini", "sns-topic org-mini-ops", "log-group org-mini-trail"] {
        assert!(at_home.contains(want), "{want}: {at_home:?}");
    }
    assert!(!at_home.iter().any(|l| l.contains("alerts") || l.contains(&bucket)), "{at_home:?}");

    // The bucket policy (in the log archive) names the management account's trail.
    let policy: Value =
        serde_json::from_str(&aws_tool_in(&lab.moto, log_archive, &["bucket-policy", &bucket])).unwrap();
    let write = policy["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == "AWSCloudTrailWrite").unwrap();
    assert_eq!(write["Resource"], format!("arn:aws:s3:::{bucket}/AWSLogs/123456789012/*"));
    assert_eq!(
        write["Condition"]["StringEquals"]["aws:SourceArn"],
        "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-mini"
    );

    // One state: every resource's account, every account's id.
    let state = lab.state();
    assert_eq!(state["account_id"], "123456789012");
    assert_eq!(state["accounts"]["audit"], audit.as_str());
    assert_eq!(state["accounts"]["log_archive"], log_archive.as_str());
    assert_eq!(state["accounts"]["management"], "123456789012");
    assert_eq!(state["resources"]["s3_bucket.logs"]["attributes"]["account"], "log_archive");
    assert_eq!(state["resources"]["guardduty_detector.main"]["attributes"]["account"], "audit");
    assert!(state["resources"]["trail.main"]["attributes"].get("account").is_none());

    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));

    // cost says where each resource is.
    let cost: Value = serde_json::from_str(&lab.ok(&["cost", &bp, "--format", "json"])).unwrap();
    let placed = |address: &str| {
        cost["resources"].as_array().unwrap().iter().find(|r| r["address"] == address).map(|r| r["account"].clone())
    };
    assert_eq!(placed("guardduty_detector.main"), Some(Value::from("audit")), "{cost:#}");
    assert_eq!(placed("trail.main"), Some(Value::Null), "{cost:#}");

    let out = lab.socform(&["destroy", &bp, "--auto-approve"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    // The review says where what it flags is.
    let said = format!("{}{err}", text(&out.stdout));
    assert!(
        said.contains("GuardDuty stops looking for threats (its detector is removed or disabled) (in account audit)"),
        "{said}"
    );
    assert!(
        said.contains("+ s3_bucket.logs in account log_archive")
            || said.contains("- s3_bucket.logs in account log_archive"),
        "{said}"
    );
    assert!(text(&out.stdout).contains("0 resources remain.") || err.contains("0 resources remain."), "{err}");
    for (i, a) in ids.iter().enumerate() {
        assert_eq!(inventory_in(&lab, a), before[i], "account {a}");
    }
    assert_eq!(lab.inventory(), management_before);
    let _ = bystander;
}

/// A copy of the lab's audit topic in another member account, carrying the lab's own tags
/// (blueprint, address and lineage: an insider who read the state) is where the blueprint
/// does not place it: never adopted (not even when the real one is deleted outside socform),
/// never deleted; the real one is.
#[test]
fn a_forged_copy_in_another_account_is_neither_adopted_nor_deleted() {
    let lab = Lab::new();
    let ids = members(&lab, 2);
    let (log_archive, audit) = (&ids[0], &ids[1]);
    let bp = spanning(&lab, log_archive, audit);
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let lineage = lab.state()["lineage"].as_str().unwrap().to_string();
    aws_tool_in(&lab.moto, log_archive, &["create-topic", "org-mini-alerts"]);
    aws_tool_in(
        &lab.moto,
        log_archive,
        &[
            "tag-topic",
            "org-mini-alerts",
            "socform:blueprint=org-mini",
            "socform:address=sns_topic.alerts",
            &format!("socform:lineage={lineage}"),
        ],
    );
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));

    // The real one deleted outside socform: made again in its account, the copy not adopted.
    aws_tool_in(&lab.moto, audit, &["delete-topic", "org-mini-alerts"]);
    let plan = lab.plan_json(&bp);
    let change = plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == "sns_topic.alerts").unwrap();
    assert_eq!(change["action"], "create", "{change:#}");
    assert_eq!(change["after"]["account"], "audit", "{change:#}");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    assert!(inventory_in(&lab, audit).contains("sns-topic org-mini-alerts"));
    assert!(lab.state()["resources"]["sns_topic.alerts"]["id"].as_str().unwrap().contains(audit.as_str()));

    let out = lab.socform(&["destroy", &bp, "--auto-approve"]);
    let err = text(&out.stderr);
    assert!(
        inventory_in(&lab, log_archive).contains("sns-topic org-mini-alerts"),
        "the forged copy was deleted: {err}"
    );
    assert!(!inventory_in(&lab, audit).contains("sns-topic org-mini-alerts"), "the lab's own topic is left: {err}");
    // The closing check names what carries the lab's tags and remains, and where.
    assert!(err.contains("in account `log_archive`"), "{err}");
}

/// An account of `accounts:` whose role reaches another account than state recorded (the
/// blueprint edited to point `audit` elsewhere) is refused before anything is read or
/// written; so is a role whose account `allowed_accounts` does not name.
#[test]
fn an_account_that_moved_is_refused_and_nothing_changes() {
    let lab = Lab::new();
    let ids = members(&lab, 3);
    let bp = spanning(&lab, &ids[0], &ids[1]);
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let serial = lab.state()["serial"].clone();
    let elsewhere = inventory_in(&lab, &ids[2]);

    spanning(&lab, &ids[0], &ids[2]);
    for cmd in [&["plan", &bp][..], &["apply", &bp, "--auto-approve"], &["destroy", &bp, "--auto-approve"]] {
        let out = lab.socform(cmd);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{cmd:?}: {err}");
        assert!(
            err.contains(&format!("account `audit` of the blueprint's `accounts:` was {} when this state was made, and its role now reaches {}", ids[1], ids[2])),
            "{cmd:?}: {err}"
        );
    }
    assert_eq!(lab.state()["serial"], serial, "state was written");
    assert_eq!(inventory_in(&lab, &ids[2]), elsewhere);
    assert!(inventory_in(&lab, &ids[1]).contains("sns-topic org-mini-alerts"));
}

fn answer(needle: &'static str, times: u32, body: String) -> Injection {
    Injection {
        needle,
        times,
        status: "200 OK",
        content_type: "application/json",
        body: Box::leak(body.into_boxed_str()),
    }
}

/// `blueprints/organization-soc.yaml` across four accounts of an organization (management:
/// the caller; log archive; audit; a workload account), as one plan. boto3 in each account
/// finds the organization trail in management, its bucket and the policy naming the
/// organization's prefix in the log archive, the audit account GuardDuty's and Security Hub's
/// administrator with members auto-enabled, the organization's Config aggregator there, and
/// the workload account's findings routed to the audit topic. The next plan is clean, and
/// destroy leaves every account's inventory as it was.
///
/// moto lacks Security Hub's ListOrganizationAdminAccounts and DisableOrganizationAdminAccount,
/// and GuardDuty's DisableOrganizationAdminAccount and Describe/UpdateOrganizationConfiguration:
/// the proxy answers those with bodies written from the API references (and the test checks
/// what socform sent); every other call reaches moto.
#[test]
fn the_organization_blueprint_spans_four_accounts_and_destroys_to_nothing() {
    let mut lab = Lab::new();
    let ids = members(&lab, 3);
    let (log_archive, audit, workload) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let before: Vec<BTreeSet<String>> = ids.iter().map(|a| inventory_in(&lab, a)).collect();
    let management_before = lab.inventory();
    let bp = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("blueprints/organization-soc.yaml");
    lab.bp = lab.write("organization-soc.yaml", &std::fs::read_to_string(bp).unwrap()).into();
    let vars = [
        "--var".to_string(),
        format!("log_archive_account={log_archive}"),
        "--var".into(),
        format!("audit_account={audit}"),
        "--var".into(),
        format!("workload_accounts={workload}"),
        "--var".into(),
        "securityhub_standards=".into(),
    ];
    let proxy = Proxy::start(lab.moto.port, std::time::Duration::ZERO, Faults::default(), 1);
    let run = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(vars.iter().map(String::as_str));
        lab.cmd(&proxy.url(), &all).output().unwrap()
    };
    let no_admin = r#"{"AdminAccounts":[]}"#.to_string();
    let hub_admin = format!(r#"{{"AdminAccounts":[{{"AccountId":"{audit}","Status":"ENABLED"}}]}}"#);
    let gd_config =
        |members: &str| format!(r#"{{"autoEnableOrganizationMembers":"{members}","memberAccountLimitReached":false}}"#);

    // Apply: no administrator yet (asked at refresh and before the designation), GuardDuty's
    // members not yet enabled (asked before they are), and its answer to the update.
    proxy.inject(answer("GET /organization/admin HTTP", 3, no_admin));
    proxy.inject(answer("GET /detector/*/admin HTTP", 1, gd_config("NONE")));
    proxy.inject(answer("POST /detector/*/admin HTTP", 1, "{}".into()));
    // The plan reads the organization's id: the log archive's policy is shown as it will be.
    let org = aws_tool(&lab.moto, "us-east-1", &["org-view"]);
    let org = serde_json::from_str::<Value>(&org).unwrap()["organization"].as_str().unwrap().to_string();
    let out = run(&["plan", "--format", "json"]);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr)));
    let policy =
        plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == "s3_bucket_policy.org-trail").unwrap();
    assert!(policy["after"]["policy"].to_string().contains(&format!("AWSLogs/{org}/*")), "{policy:#}");
    let out = run(&["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let asked = proxy.stats.answered.lock().unwrap().clone();
    assert!(
        asked
            .iter()
            .any(|a| a.starts_with("POST /detector/") && a.contains(r#""autoEnableOrganizationMembers":"ALL""#)),
        "{asked:?}"
    );

    // boto3, account by account.
    let view = |account: Option<&str>| -> Value {
        let raw = match account {
            Some(a) => aws_tool_in(&lab.moto, a, &["org-view"]),
            None => aws_tool(&lab.moto, "us-east-1", &["org-view"]),
        };
        serde_json::from_str(&raw).unwrap()
    };
    let management = view(None);
    let org = management["organization"].as_str().unwrap().to_string();
    let bucket = format!("organization-soc-org-trail-{log_archive}");
    assert_eq!(
        management["trails"],
        serde_json::json!([{"name": "organization-soc", "organization": true, "bucket": bucket}])
    );
    assert_eq!(management["guardduty_admins"], serde_json::json!([audit]));
    let policy: Value =
        serde_json::from_str(&aws_tool_in(&lab.moto, &log_archive, &["bucket-policy", &bucket])).unwrap();
    let resources: BTreeSet<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Action"] == "s3:PutObject" && s["Principal"]["Service"] == "cloudtrail.amazonaws.com")
        .map(|s| {
            assert_eq!(
                s["Condition"]["StringEquals"]["aws:SourceArn"],
                "arn:aws:cloudtrail:us-east-1:123456789012:trail/organization-soc"
            );
            s["Resource"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        resources,
        BTreeSet::from([
            format!("arn:aws:s3:::{bucket}/AWSLogs/123456789012/*"),
            format!("arn:aws:s3:::{bucket}/AWSLogs/{org}/*")
        ])
    );
    let in_audit = view(Some(&audit));
    assert_eq!(in_audit["securityhub_auto_enable"], true, "{in_audit:#}");
    assert_eq!(in_audit["aggregators"][0]["name"], "organization-soc-organization", "{in_audit:#}");
    assert_eq!(in_audit["aggregators"][0]["all_regions"], true, "{in_audit:#}");
    assert!(in_audit["aggregators"][0]["role"].as_str().unwrap().contains(&format!(":{audit}:role/")), "{in_audit:#}");
    let rule = &in_audit["rules"]["organization-soc-workload-findings"];
    assert_eq!(rule["detail"]["accountId"], serde_json::json!([workload]), "{in_audit:#}");
    let in_workload = view(Some(&workload));
    assert_eq!(in_workload["securityhub_administrator"], audit.as_str(), "{in_workload:#}");
    assert!(in_workload["trails"].as_array().unwrap().is_empty(), "{in_workload:#}");
    assert!(added_nothing(&inventory_in(&lab, &workload), &before[2]), "the workload account was changed");
    let state = lab.state();
    assert_eq!(state["organization_id"], org.as_str());
    assert_eq!(state["resources"]["securityhub_admin.organization"]["id"], audit.as_str());
    assert!(state["resources"]["securityhub_admin.organization"]["attributes"].get("account").is_none());
    assert_eq!(state["resources"]["securityhub_org_config.organization"]["attributes"]["account"], "audit");

    // A clean plan: the administrator and GuardDuty's configuration as they now are.
    proxy.clear();
    proxy.inject(answer("GET /organization/admin HTTP", 1, hub_admin.clone()));
    proxy.inject(answer("GET /detector/*/admin HTTP", 1, gd_config("ALL")));
    let out = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));

    // Destroy: members no longer auto-enabled, both administrators undesignated, the rest gone.
    proxy.clear();
    proxy.stats.answered.lock().unwrap().clear();
    proxy.inject(answer("GET /organization/admin HTTP", 1, hub_admin));
    proxy.inject(answer("GET /detector/*/admin HTTP", 1, gd_config("ALL")));
    proxy.inject(answer("POST /detector/*/admin HTTP", 1, "{}".into()));
    proxy.inject(answer("POST /organization/admin/disable", 1, "{}".into()));
    proxy.inject(answer("POST /admin/disable", 1, "{}".into()));
    let out = run(&["destroy", "--auto-approve"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("0 resources remain."), "{err}");
    let asked = proxy.stats.answered.lock().unwrap().clone();
    assert!(asked.iter().any(|a| a.starts_with("POST /organization/admin/disable") && a.contains(&audit)), "{asked:?}");
    assert!(asked.iter().any(|a| a.starts_with("POST /admin/disable") && a.contains(&audit)), "{asked:?}");
    assert!(
        asked
            .iter()
            .any(|a| a.starts_with("POST /detector/") && a.contains(r#""autoEnableOrganizationMembers":"NONE""#)),
        "{asked:?}"
    );
    assert_eq!(view(Some(&audit))["securityhub_auto_enable"], false);
    for (i, a) in ids.iter().enumerate() {
        assert_eq!(inventory_in(&lab, a), before[i], "account {a}");
    }
    assert_eq!(lab.inventory(), management_before);
}

fn added_nothing(now: &BTreeSet<String>, before: &BTreeSet<String>) -> bool {
    now == before
}

/// SIGKILL right after the audit account's EventBridge rule was made, its answer not yet
/// read: the next apply finds the rule in the audit account by its tags, adopts it (one rule,
/// not two), records its account, and destroy empties every account.
#[test]
fn an_apply_killed_mid_way_is_finished_in_the_right_accounts() {
    let mut lab = Lab::new();
    let ids = members(&lab, 2);
    let (log_archive, audit) = (ids[0].clone(), ids[1].clone());
    let before: Vec<BTreeSet<String>> = ids.iter().map(|a| inventory_in(&lab, a)).collect();
    lab.bp = spanning(&lab, &log_archive, &audit).into();
    let proxy = Proxy::start(lab.moto.port, std::time::Duration::ZERO, Faults::default(), 1);
    apply_killed_at(&lab, &proxy, "AWSEvents.PutRule", false);
    let rules =
        |account: &str| inventory_in(&lab, account).into_iter().filter(|l| l.starts_with("event-rule ")).count();
    assert_eq!(rules(&audit), 1, "the rule was made before the kill");

    let out = lab.run(&lab.moto.url(), &["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(rules(&audit), 1, "made twice");
    assert_eq!(rules(&log_archive), 0);
    let state = lab.state();
    assert_eq!(state["resources"]["event_rule.guardduty-findings"]["attributes"]["account"], "audit");
    let out = lab.run(&lab.moto.url(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));

    let out = lab.run(&lab.moto.url(), &["destroy", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for (i, a) in ids.iter().enumerate() {
        assert_eq!(inventory_in(&lab, a), before[i], "account {a}");
    }
}

/// An organization whose GuardDuty administrator a central team designated already (another
/// member account): the blueprint uses it, as the plan says, designates nothing, and destroy
/// leaves it designated (boto3 from the management account).
#[test]
fn the_central_teams_administrator_is_used_and_never_undesignated() {
    let lab = Lab::new();
    let ids = members(&lab, 2);
    let (audit, central) = (&ids[0], &ids[1]);
    aws_tool(&lab.moto, "us-east-1", &["designate-guardduty-admin", central]);
    let bp = lab.write(
        "gd.yaml",
        &format!(
            "blueprint: gd-org\nregion: us-east-1\naccounts:\n  audit: {{ role_arn: \"arn:aws:iam::{audit}:role/OrganizationAccountAccessRole\" }}\nfindings:\n  guardduty: {{ account: audit, organization: {{ auto_enable: false }} }}\n"
        ),
    );
    let admins = || -> Value {
        let view: Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["org-view"])).unwrap();
        view["guardduty_admins"].clone()
    };
    let plan = lab.plan_json(&bp);
    let change =
        plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == "guardduty_admin.organization").unwrap();
    assert!(["use", "read"].contains(&change["action"].as_str().unwrap()), "{change:#}");
    assert_eq!(change["id"], central.as_str(), "{change:#}");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    assert_eq!(admins(), serde_json::json!([central]));
    let out = lab.socform(&["destroy", &bp, "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(admins(), serde_json::json!([central]), "the central team's administrator was undesignated");
}
