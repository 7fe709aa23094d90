//! Real accounts are never empty (issue 30): singletons a central team owns are used, not
//! owned; a create that took effect before its error is recorded; a call the endpoint does not
//! implement fails at once, naming it. Every claim is checked with boto3 (aws_tool.py), not
//! with socform.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;

use crate::support::proxy::{Faults, Proxy};
use crate::support::*;

fn singletons(lab: &Lab) -> Value {
    serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["singletons"])).unwrap()
}

fn actions_of(plan: &Value, action: &str) -> Vec<String> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == action)
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect()
}

/// The reference SOC in an account whose GuardDuty detector, Security Hub and Config recorder
/// and channel a central team made (with boto3) beforehand: the plan uses the four, applies,
/// plans clean, and destroys; the four keep exactly their settings throughout, and the rest
/// of the account is as it was.
#[test]
fn the_reference_soc_uses_the_singletons_a_central_team_owns_and_leaves_them_as_they_were() {
    let mut lab = Lab::new();
    lab.reference();
    let moto = lab.moto.url();
    aws_tool(&lab.moto, "us-east-1", &["central-team"]);
    let theirs = singletons(&lab);
    assert_eq!(theirs["recorders"]["default"]["recording"], true, "{theirs:#}");
    let before = lab.inventory();

    let out = lab.run(&moto, &["plan", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        actions_of(&plan, "use"),
        ["config_recorder.main", "config_delivery_channel.main", "guardduty_detector.main", "security_hub.main"],
    );
    assert_eq!(plan["summary"]["uses"], 4);
    // What depends on them is wired to theirs: the Config rules to their recorder.
    let rule = plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == "config_rule.restricted-ssh");
    assert_eq!(rule.unwrap()["after"]["recorder"], "default", "{rule:#?}");
    // The role the reference would record through is not made for a recorder it does not own.
    assert!(actions_of(&plan, "create").iter().all(|a| a != "iam_role.config-recorder"));
    let out = lab.run(&moto, &["plan"]);
    let shown = text(&out.stdout);
    assert!(shown.contains("Uses what the account has already"), "{shown}");
    assert!(shown.contains("its `finding_publishing_frequency` stays \"SIX_HOURS\""), "{shown}");
    assert!(shown.contains("4 used as the account has it"), "{shown}");

    let out = lab.run(&moto, &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(singletons(&lab), theirs, "apply changed a singleton it does not own");
    let state = lab.state();
    for a in ["config_recorder.main", "guardduty_detector.main", "security_hub.main"] {
        assert!(state["resources"].get(a).is_none(), "{a} was recorded as this state's");
    }
    let out = lab.run(&moto, &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));

    let out = lab.run(&moto, &["destroy", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(singletons(&lab), theirs, "destroy changed a singleton it does not own");
    assert_eq!(lab.inventory(), before);
}

/// `if_exists: fail`: a self-contained lab refuses the account's detector, and destroy leaves it.
#[test]
fn if_exists_fail_refuses_a_singleton_the_account_has() {
    let lab = Lab::new();
    let theirs = aws_tool(&lab.moto, "us-east-1", &["create-detector"]).trim().to_string();
    let bp = lab.write("own.yaml", "blueprint: own\nregion: us-east-1\nfindings:\n  guardduty: { if_exists: fail }\n");
    let plan = lab.plan_json(&bp);
    assert_eq!(actions_of(&plan, "create"), ["guardduty_detector.main"]);
    let out = lab.socform(&["apply", &bp, "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("GuardDuty keeps one per region") && err.contains(&theirs), "{err}");
    lab.ok(&["destroy", &bp, "--auto-approve"]);
    let s = singletons(&lab);
    assert_eq!(s["detectors"].as_object().unwrap().keys().collect::<Vec<_>>(), [&theirs], "{s:#}");
}

/// A create that took effect and then failed (moto enables Security Hub and then answers 404
/// to the standards the blueprint asks for) is recorded as this state's: the next plan does
/// not call the hub someone else's, and destroy disables it.
#[test]
fn a_create_that_took_effect_before_its_error_is_recorded_and_destroyed() {
    let lab = Lab::new();
    let bp = lab.write(
        "hub.yaml",
        "blueprint: hub\nregion: us-east-1\nfindings:\n  security_hub: { standards: [cis-1.4], if_exists: fail }\n",
    );
    let out = lab.socform(&["apply", &bp, "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("it took effect before the error: recorded in state"), "{err}");
    assert!(singletons(&lab)["hub"].is_object());
    assert!(lab.state()["resources"].get("security_hub.main").is_some());
    // Not "someone else's": the next plan finishes the job (the standards), nothing else.
    let plan = lab.plan_json(&bp);
    assert_eq!(actions_of(&plan, "update"), ["security_hub.main"]);
    assert!(actions_of(&plan, "create").is_empty() && actions_of(&plan, "use").is_empty());
    lab.ok(&["destroy", &bp, "--auto-approve"]);
    assert_eq!(singletons(&lab)["hub"], Value::Null, "destroy left the hub the failed create enabled");
}

/// A call the endpoint does not implement fails at once (no retries), naming the service, the
/// operation and the blueprint setting that avoids it. Counted on the wire, not timed: with
/// five attempts allowed, the run sends exactly as many requests as with one.
#[test]
fn a_call_the_endpoint_does_not_implement_fails_at_once_naming_it() {
    let mut lab = Lab::new();
    lab.bp = lab.write(
        "queries.yaml",
        "blueprint: queries\nregion: us-east-1\nlog_groups:\n  app: {}\ndetections:\n  - { name: root, pattern: '{ $.userIdentity.type = \"Root\" }', log_group: app }\ninvestigation: { queries: true }\n",
    )
    .into();
    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    let requests = |attempts: &str| {
        let before = proxy.stats.requests.load(Ordering::SeqCst);
        let out =
            lab.cmd(&proxy.url(), &["apply", "--auto-approve"]).env("AWS_MAX_ATTEMPTS", attempts).output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("does not implement CloudWatch Logs DescribeQueryDefinitions"), "{err}");
        assert!(err.contains("`investigation: { queries: false }`"), "{err}");
        proxy.stats.requests.load(Ordering::SeqCst) - before
    };
    let (one, five) = (requests("1"), requests("5"));
    assert_eq!(five, one, "the unimplemented call was retried");
}

/// A lookup of what does not exist stops the plan before anything is made, naming what was
/// looked for; `cost` says what watching an existing trail saves.
#[test]
fn a_lookup_of_a_trail_that_does_not_exist_stops_before_anything_is_made() {
    let lab = Lab::new();
    let original = std::fs::read_to_string("blueprints/soc-existing-trail.yaml").unwrap();
    let bp = lab.write("soc-existing-trail.yaml", &original);
    let before = lab.inventory();
    let out = lab.socform(&["apply", &bp, "--auto-approve", "--var", "trail_name=no-such-trail"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("lookup `log_group.trail`") && err.contains("no trail `no-such-trail` exists"), "{err}");
    assert_eq!(lab.inventory(), before, "a failed lookup made something");
    let cost = lab.ok(&["cost", &bp]);
    // The looked-up log group's ingestion is its owner's bill, not this blueprint's.
    assert!(!cost.contains("GB a month ingested"), "{cost}");
    assert!(
        cost.contains(
            "the existing trail `organization-trail`'s log group: no second trail, which saves $20.00 a month"
        ),
        "{cost}"
    );
}
