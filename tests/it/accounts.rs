//! Real accounts are never empty (issue 30): singletons a central team owns are used, not
//! owned; a create that took effect before its error is recorded; a call the endpoint does not
//! implement fails at once, naming it. Every claim is checked with boto3 (aws_tool.py), not
//! with socform.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;

use crate::support::proxy::{Faults, Injection, Proxy};
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
    // And a trail of the central team's, with its log group, beside the lab's own.
    aws_tool(&lab.moto, "us-east-1", &["org-trail", "organization-trail", "org-trail-logs"]);
    let trail = || aws_tool(&lab.moto, "us-east-1", &["trail-settings", "organization-trail", "org-trail-logs"]);
    let their_trail = trail();
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
    assert_eq!(trail(), their_trail, "the central team's trail or log group changed");
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
    // Preflight says so before anything is written.
    let out = lab.socform(&["preflight", &bp]);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains(&format!("the account has a guardduty detector (`{theirs}`) this state did not make, and the blueprint says `if_exists: fail`")), "{said}");
    let out = lab.socform(&["apply", &bp, "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("the apply would fail (preflight"), "{}", text(&out.stderr));
    // Past the preflight, the create itself refuses it.
    let out = lab.socform(&["apply", &bp, "--auto-approve", "--skip-preflight"]);
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
    // Watching the account's trail is watching a trail: lint's no-cloudtrail rule stays quiet.
    lab.ok(&["lint", &bp]);
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

/// Preflight against moto's Service Quotas (which serves the VPC quotas) and its real counts:
/// with the account's five VPCs in use (the default one and four made by boto3), a blueprint
/// that makes one more fails preflight, naming the quota and what to do, and `apply` stops
/// before its first write (boto3's inventory is unchanged). `--skip-preflight` goes on.
#[test]
fn preflight_names_a_quota_the_plan_would_exceed_and_apply_stops_before_writing() {
    let mut lab = Lab::new();
    lab.bp =
        lab.write("net.yaml", "blueprint: net\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.9.0.0/16 }\n").into();
    for i in 0..4 {
        aws_tool(&lab.moto, "us-east-1", &["create-vpc", &format!("10.{}.0.0/16", 20 + i)]);
    }
    let before = lab.inventory();
    let out = lab.run(&lab.moto.url(), &["preflight"]);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}{}", text(&out.stderr));
    assert!(
        said.contains("VPCs per region: 5 in use and 1 more in the plan exceed 5 (the account's quota vpc/L-F678F1CE)"),
        "{said}"
    );
    assert!(said.contains("request an increase of vpc/L-F678F1CE in Service Quotas"), "{said}");
    let out = lab.run(&lab.moto.url(), &["apply", "--auto-approve"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("the apply would fail (preflight, above): nothing was changed"), "{err}");
    assert_eq!(lab.inventory(), before, "apply wrote before its preflight stopped it");
    // The JSON report says the same.
    let out = lab.run(&lab.moto.url(), &["preflight", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let quota = report["findings"].as_array().unwrap().iter().find(|f| f["check"] == "quota").unwrap();
    assert_eq!(quota["severity"], "error", "{report:#}");
    let out = lab.run(&lab.moto.url(), &["apply", "--auto-approve", "--skip-preflight"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    lab.ok(&["destroy", lab.bp.to_str().unwrap(), "--auto-approve"]);
}

/// IAM policy simulation, which moto does not implement: answered through the proxy with
/// SimulatePrincipalPolicy's answer written from the IAM API reference (not captured from
/// AWS). An action the caller may not call fails preflight, naming it, the decision and the
/// resource that needs it; on moto itself the check is a warning that says it was not made.
#[test]
fn preflight_names_the_actions_the_caller_may_not_call() {
    let mut lab = Lab::new();
    lab.bp =
        lab.write("net.yaml", "blueprint: net\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.9.0.0/16 }\n").into();
    let out = lab.run(&lab.moto.url(), &["preflight"]);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("warning permissions not checked: not supported: the endpoint does not implement IAM SimulatePrincipalPolicy"), "{said}");

    let proxy = Proxy::start(lab.moto.port, Duration::ZERO, Faults::default(), 1);
    proxy.inject(Injection {
        needle: "Action=SimulatePrincipalPolicy",
        times: 1,
        status: "200 OK",
        content_type: "text/xml",
        body: SIMULATION,
    });
    let out = lab.run(&proxy.url(), &["preflight"]);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}{}", text(&out.stderr));
    assert!(
        said.contains(
            "ec2:CreateVpc is not allowed for arn:aws:sts::123456789012:user/moto (implicitDeny); needed by vpc.main"
        ),
        "{said}"
    );
    assert!(said.contains("ec2:DeleteVpc is not allowed") && said.contains("(explicitDeny)"), "{said}");
    assert!(!said.contains("ec2:DescribeVpcs is not allowed"), "{said}");
    let asked = proxy.stats.answered.lock().unwrap().clone();
    assert!(asked[0].contains("ActionNames.member.") && asked[0].contains("ec2%3ACreateVpc"), "{asked:?}");
}

/// SimulatePrincipalPolicy's answer, in the form of the IAM API reference's example: the
/// blueprint's eight actions, two of them denied.
const SIMULATION: &str = r#"<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <SimulatePrincipalPolicyResult>
    <IsTruncated>false</IsTruncated>
    <EvaluationResults>
      <member><EvalActionName>ec2:CreateVpc</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>implicitDeny</EvalDecision><MatchedStatements/><MissingContextValues/></member>
      <member><EvalActionName>ec2:DeleteVpc</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>explicitDeny</EvalDecision><MatchedStatements/><MissingContextValues/></member>
      <member><EvalActionName>ec2:DescribeVpcs</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>allowed</EvalDecision><MatchedStatements/><MissingContextValues/></member>
      <member><EvalActionName>ec2:DescribeVpcAttribute</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>allowed</EvalDecision><MatchedStatements/><MissingContextValues/></member>
      <member><EvalActionName>ec2:ModifyVpcAttribute</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>allowed</EvalDecision><MatchedStatements/><MissingContextValues/></member>
      <member><EvalActionName>ec2:CreateTags</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>allowed</EvalDecision><MatchedStatements/><MissingContextValues/></member>
      <member><EvalActionName>sts:GetCallerIdentity</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>allowed</EvalDecision><MatchedStatements/><MissingContextValues/></member>
      <member><EvalActionName>tag:GetResources</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>allowed</EvalDecision><MatchedStatements/><MissingContextValues/></member>
    </EvaluationResults>
  </SimulatePrincipalPolicyResult>
  <ResponseMetadata><RequestId>3c6b1b25-6ee8-4d4f-8b05-f2d3b1a9c111</RequestId></ResponseMetadata>
</SimulatePrincipalPolicyResponse>"#;

/// scripts/aws-smoke.sh, for a person with a real account, as far as moto goes: it prints
/// the cost and the preflight, applies its lab, plans clean, drills (wiring only: no alarm
/// fires on moto), destroys, checks `ls`, and writes a transcript; boto3 finds the account
/// as it was.
#[test]
fn the_aws_smoke_script_applies_drills_destroys_and_leaves_nothing() {
    let lab = Lab::new();
    let before = lab.inventory();
    let transcript = lab.dir.path().join("smoke.log");
    let mut cmd = std::process::Command::new("bash");
    aws_env(&mut cmd, &lab.moto);
    let out = cmd
        .args(["scripts/aws-smoke.sh", "--yes", "--transcript"])
        .arg(&transcript)
        .env("SOCFORM", assert_cmd::cargo::cargo_bin("socform"))
        .env("SOCFORM_SMOKE_DRILL", "--wiring-only")
        .output()
        .unwrap();
    let said = std::fs::read_to_string(&transcript).unwrap_or_default();
    assert!(out.status.success(), "{said}\n{}", text(&out.stderr));
    for step in
        ["== what it costs", "== preflight", "== apply", "== drill", "== destroy", "0 resources remain.", "PASS"]
    {
        assert!(said.contains(step), "{step} missing from the transcript:\n{said}");
    }
    assert_eq!(lab.inventory(), before, "the smoke test left something behind");
}

/// A topic the account has (made by boto3) is looked up, notified by the blueprint's alarm,
/// and left by destroy; the plan shows the lookup.
#[test]
fn a_looked_up_topic_is_notified_and_left_by_destroy() {
    let lab = Lab::new();
    aws_tool(&lab.moto, "us-east-1", &["create-topic", "central-soc"]);
    let before = lab.inventory();
    let bp = lab.write(
        "notify.yaml",
        "blueprint: notify\nregion: us-east-1\nlookups:\n  topics:\n    central: { name: central-soc }\nlog_groups:\n  app: {}\ndetections:\n  - { name: root, pattern: '{ $.userIdentity.type = \"Root\" }', log_group: app, notify: [central] }\n",
    );
    let plan = lab.plan_json(&bp);
    assert_eq!(actions_of(&plan, "use"), ["sns_topic.central"]);
    let alarm = plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == "alarm.root").unwrap();
    assert_eq!(alarm["after"]["alarm_actions"], serde_json::json!(["arn:aws:sns:us-east-1:123456789012:central-soc"]));
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    lab.ok(&["destroy", &bp, "--auto-approve"]);
    assert_eq!(lab.inventory(), before, "destroy touched the looked-up topic, or left something");
    // A topic that does not exist stops the plan.
    let missing =
        lab.write("missing.yaml", &std::fs::read_to_string(&bp).unwrap().replace("central-soc", "no-such-topic"));
    let out = lab.socform(&["plan", &missing]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no topic `no-such-topic` exists in us-east-1"), "{}", text(&out.stderr));
}

/// A lab placed in a VPC and subnet the account has (made by boto3): its security group is
/// made in that VPC and its host in that subnet; destroy leaves both. A subnet of another VPC
/// stops the plan before anything is made.
#[test]
fn a_lab_is_placed_in_a_looked_up_vpc_and_subnet_and_leaves_them() {
    let lab = Lab::new();
    let vpc = aws_tool(&lab.moto, "us-east-1", &["create-vpc", "10.50.0.0/16"]).trim().to_string();
    let subnet = aws_tool(&lab.moto, "us-east-1", &["create-subnet", &vpc, "10.50.1.0/24"]).trim().to_string();
    let before = lab.inventory();
    let yaml = format!(
        "blueprint: placed\nregion: us-east-1\nlookups:\n  vpc: {{ id: {vpc} }}\n  subnets:\n    app: {{ id: {subnet} }}\nsecurity_groups:\n  host:\n    ingress: []\nhosts:\n  box: {{ subnet: app, security_groups: [host], instance_type: t3.micro, image: amazon-linux-2023 }}\n"
    );
    let bp = lab.write("placed.yaml", &yaml);
    // The central VPC's flow logs are its owner's: lint does not ask this blueprint for them.
    let lint = text(&lab.socform(&["lint", &bp, "--format", "json"]).stdout);
    assert!(lint.contains("\"findings\"") && !lint.contains("SOC010"), "{lint}");
    let plan = lab.plan_json(&bp);
    assert_eq!(actions_of(&plan, "use"), ["vpc.main", "subnet.app"]);
    let group = plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == "security_group.host").unwrap();
    assert_eq!(group["after"]["vpc_id"], vpc.as_str(), "{group:#}");
    let host = plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == "instance.box").unwrap();
    assert_eq!(host["after"]["subnet_id"], subnet.as_str(), "{host:#}");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    lab.ok(&["destroy", &bp, "--auto-approve"]);
    assert_eq!(lab.inventory(), before, "destroy touched the looked-up VPC or subnet, or left something");
    // A subnet of another VPC.
    let other = aws_tool(&lab.moto, "us-east-1", &["create-vpc", "10.60.0.0/16"]).trim().to_string();
    let elsewhere = aws_tool(&lab.moto, "us-east-1", &["create-subnet", &other, "10.60.1.0/24"]).trim().to_string();
    let wrong = lab.write("wrong.yaml", &yaml.replace(&subnet, &elsewhere));
    let out = lab.socform(&["plan", &wrong]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("subnet `{elsewhere}` is in VPC `{other}`, not in the looked-up VPC `{vpc}`")),
        "{err}"
    );
}
