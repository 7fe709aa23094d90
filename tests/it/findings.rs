//! Managed detectors and responses against moto, with boto3 as the witness.
//!
//! moto has no Security Hub standards API (BatchEnableStandards, GetEnabledStandards and
//! BatchDisableStandards answer 404) and no Security Hub tags: the test proxy answers those
//! calls with AWS's documented REST-JSON answers, written by hand (not recorded from an
//! account), and keeps what socform asked so the test can check the request itself.
//! Everything else goes to moto.

use std::sync::atomic::Ordering;

use crate::support::proxy::{Faults, Injection, Proxy};
use crate::support::{aws_tool, squash, text, Lab};

const HUB: &str = r#"
blueprint: hub
region: us-east-1
notifications:
  high: { email: [soc@example.com] }
findings:
  guardduty: { notify: [high] }
  security_hub: { standards: [aws-foundational, cis-1.4], notify: [high] }
"#;

const FOUNDATIONAL: &str = "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0";
const CIS: &str = "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/1.4.0";

/// GetEnabledStandards as AWS answers it with these standards enabled.
fn enabled(standards: &[&str]) -> &'static str {
    let subs: Vec<String> = standards
        .iter()
        .map(|arn| {
            let path = arn.split("::standards/").nth(1).unwrap();
            format!(
                r#"{{"StandardsSubscriptionArn":"arn:aws:securityhub:us-east-1:123456789012:subscription/{path}","StandardsArn":"{arn}","StandardsInput":{{}},"StandardsStatus":"READY"}}"#
            )
        })
        .collect();
    Box::leak(format!(r#"{{"StandardsSubscriptions":[{}]}}"#, subs.join(",")).into_boxed_str())
}

fn answer(needle: &'static str, times: u32, body: &'static str) -> Injection {
    Injection { needle, times, status: "200 OK", content_type: "application/json", body }
}

#[test]
fn security_hub_standards_are_enabled_read_back_and_turned_off() {
    let mut lab = Lab::new();
    let before = lab.inventory();
    lab.bp = lab.write("hub.yaml", HUB).into();
    let proxy = Proxy::start(lab.moto.port, std::time::Duration::ZERO, Faults::default(), 1);
    // moto tells a hub's tags with a 404; AWS with the tags EnableSecurityHub set.
    proxy.inject(answer("/standards/register", 1, enabled(&[FOUNDATIONAL, CIS])));
    let out = lab.cmd(&proxy.url(), &["apply", "--auto-approve"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let asked = proxy.stats.answered.lock().unwrap().clone();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(asked[0].starts_with("POST /standards/register"), "{asked:?}");
    assert!(asked[0].contains(FOUNDATIONAL) && asked[0].contains(CIS), "{asked:?}");

    // Read back: the standards AWS reports are the blueprint's. (Each answer is given as many
    // times as the command asks: once a refresh, once more for an update.)
    proxy.inject(answer("/standards/get", 1, enabled(&[FOUNDATIONAL, CIS])));
    let out = lab.cmd(&proxy.url(), &["plan", "--detailed-exitcode"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // Someone turned CIS off: drift, and putting it back is a plan.
    proxy.inject(answer("/standards/get", 1, enabled(&[FOUNDATIONAL])));
    let out = lab.cmd(&proxy.url(), &["plan", "--detailed-exitcode"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("security_hub.main"), "{}", text(&out.stdout));

    // The blueprint drops CIS: the review says monitoring is weakened, and apply asks AWS to
    // turn off exactly the CIS subscription.
    lab.write("hub.yaml", &HUB.replace("[aws-foundational, cis-1.4]", "[aws-foundational]"));
    proxy.inject(answer("/standards/get", 3, enabled(&[FOUNDATIONAL, CIS])));
    let out = lab.cmd(&proxy.url(), &["plan"]).output().unwrap();
    let shown = text(&out.stdout);
    assert!(shown.contains("weaken.security-hub-off") && shown.contains("cis-aws-foundations-benchmark"), "{shown}");
    proxy.inject(answer("/standards/deregister", 1, r#"{"StandardsSubscriptions":[]}"#));
    let out = lab.cmd(&proxy.url(), &["apply", "--auto-approve"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let asked = proxy.stats.answered.lock().unwrap().clone();
    let off = asked.iter().find(|a| a.starts_with("POST /standards/deregister")).expect("BatchDisableStandards");
    assert!(off.contains("subscription/cis-aws-foundations-benchmark/v/1.4.0"), "{off}");
    assert!(!off.contains("aws-foundational"), "only CIS is turned off: {off}");

    // Destroy: Security Hub disabled, the detector and the rules gone (boto3 inventory).
    proxy.inject(answer("/standards/get", 1, enabled(&[FOUNDATIONAL])));
    let out = lab.cmd(&proxy.url(), &["destroy", "--auto-approve"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("0 resources remain."), "{}", text(&out.stderr));
    assert_eq!(lab.inventory(), before);
    assert!(proxy.stats.injected.load(Ordering::SeqCst) >= 3);
}

/// A detector the account has is used (issue 30), never taken over or deleted: the plan says
/// so, the findings rule is made beside it, state records nothing of it, and destroy leaves
/// it (boto3). `if_exists: fail` refusing it is in tests/it/accounts.rs.
#[test]
fn a_guardduty_detector_socform_did_not_make_is_used_never_taken_over_or_deleted() {
    let lab = Lab::new();
    let theirs = aws_tool(&lab.moto, "us-east-1", &["create-detector"]).trim().to_string();
    let bp = lab.write(
        "gd.yaml",
        "blueprint: gd\nregion: us-east-1\nnotifications:\n  high: { email: [soc@example.com] }\nfindings:\n  guardduty: { notify: [high] }\n",
    );
    let plan = lab.plan_json(&bp);
    let detector = plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == "guardduty_detector.main");
    let detector = detector.expect("the detector is in the plan");
    assert_eq!((detector["action"].as_str(), detector["id"].as_str()), (Some("use"), Some(theirs.as_str())));
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let state = lab.state();
    assert!(state["resources"].get("guardduty_detector.main").is_none(), "{state}");
    assert!(state["resources"].get("event_rule.guardduty-findings").is_some(), "{state}");
    lab.ok(&["destroy", &bp, "--auto-approve"]);
    let r: serde_json::Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["responses"])).unwrap();
    assert_eq!(r["detectors"].as_object().unwrap().keys().collect::<Vec<_>>(), [&theirs], "{r:#}");
}

#[test]
fn a_response_function_is_packaged_replaced_only_when_its_code_changes_and_refuses_paths_out() {
    let lab = Lab::new();
    let dir = lab.dir.path().join("fn");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("handler.py"), "def handler(event, context):\n    return 1\n").unwrap();
    // Compiled Python is not part of the package: it changes with the interpreter.
    std::fs::create_dir_all(dir.join("__pycache__")).unwrap();
    std::fs::write(dir.join("__pycache__/handler.cpython-311.pyc"), "junk").unwrap();
    let blueprint = |extra: &str| {
        format!(
            r#"
blueprint: respond
region: us-east-1
trail:
  bucket: {{}}
notifications:
  soc: {{ email: [soc@example.com] }}
responses:
  revoke:
    trigger: {{ api_calls: {{ source: ec2.amazonaws.com, names: [AuthorizeSecurityGroupIngress] }} }}
    function: {{ code: fn, handler: handler.handler{extra} }}
    notify: [soc]
"#
        )
    };
    let bp = lab.write("respond.yaml", &blueprint(""));
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let sha = |lab: &Lab| -> String {
        let r: serde_json::Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["responses"])).unwrap();
        r["functions"]["respond-revoke"]["code_sha256"].as_str().unwrap().to_string()
    };
    let first = sha(&lab);
    // The same files, touched and with new compiled Python: nothing to do.
    std::fs::write(dir.join("handler.py"), "def handler(event, context):\n    return 1\n").unwrap();
    std::fs::write(dir.join("__pycache__/handler.cpython-311.pyc"), "other junk").unwrap();
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // New code: an update in place of the function alone, flagged for review, uploaded.
    std::fs::write(dir.join("handler.py"), "def handler(event, context):\n    return 2\n").unwrap();
    let plan = lab.plan_json(&bp);
    let changes: Vec<(String, String)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| (c["address"].as_str().unwrap().to_string(), c["action"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(changes, [("lambda_function.revoke".to_string(), "update".to_string())], "{plan:#}");
    let out = lab.socform(&["plan", &bp]);
    assert!(text(&out.stdout).contains("broaden.function-code"), "{}", text(&out.stdout));
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let second = sha(&lab);
    assert_ne!(first, second, "the new code did not reach AWS");
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // A hostile blueprint cannot package what lies outside its folder.
    std::os::unix::fs::symlink("/etc", lab.dir.path().join("etc-link")).unwrap();
    for (code, says) in [
        ("../..", "outside the blueprint's folder"),
        ("/etc", "outside the blueprint's folder"),
        ("etc-link", "is missing or links out of the blueprint's folder"),
    ] {
        let bad = lab.write("bad.yaml", &blueprint("").replace("code: fn", &format!("code: \"{code}\"")));
        let out = lab.socform(&["validate", &bad]);
        assert!(!out.status.success(), "{code}");
        assert!(text(&out.stderr).contains(says), "{code}: {}", text(&out.stderr));
    }
    // Inside the function's folder no link of any kind (issue 23: an in-folder link or a
    // hard link pulled other files into the zip), and no dot-file.
    for (name, make) in [
        (
            "passwd",
            (|d: &std::path::Path| std::os::unix::fs::symlink("/etc/passwd", d.join("passwd")).unwrap())
                as fn(&std::path::Path),
        ),
        ("again.py", |d: &std::path::Path| std::os::unix::fs::symlink("handler.py", d.join("again.py")).unwrap()),
        ("hard.py", |d: &std::path::Path| std::fs::hard_link(d.join("handler.py"), d.join("hard.py")).unwrap()),
        (".env", |d: &std::path::Path| std::fs::write(d.join(".env"), "TOKEN=x").unwrap()),
    ] {
        make(&dir);
        let out = lab.socform(&["validate", &bp]);
        let says = match name {
            "hard.py" => "has other names (hard links)",
            ".env" => "is a hidden file or folder",
            _ => "is a symbolic link: a function's folder holds regular files and folders only",
        };
        assert!(!out.status.success(), "{name}");
        assert!(text(&out.stderr).contains(says), "{name}: {}", text(&out.stderr));
        std::fs::remove_file(dir.join(name)).unwrap();
    }

    lab.ok(&["destroy", &bp, "--auto-approve"]);
    let r: serde_json::Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["responses"])).unwrap();
    assert!(r["functions"].as_object().unwrap().is_empty() && r["rules"].as_object().unwrap().is_empty(), "{r:#}");
}

#[test]
fn lint_guards_what_the_write_ups_got_wrong() {
    let lab = Lab::new();
    let dir = lab.dir.path().join("fn");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("handler.py"), "def handler(event, context):\n    return 1\n").unwrap();
    let bp = lab.write(
        "loop.yaml",
        r#"
blueprint: loop
region: us-east-1
network:
  vpc: { cidr: 10.0.0.0/16 }
  subnets: { a: { cidr: 10.0.0.0/24, az: us-east-1a } }
trail:
  bucket: {}
  exclude_sources: [kms.amazonaws.com]
  cloudwatch_logs: { log_group: trail }
detections:
  - { use: cis/4.7 }
responses:
  reopen:
    trigger: { api_calls: { source: ec2.amazonaws.com, names: [RevokeSecurityGroupIngress] } }
    function:
      code: fn
      handler: handler.handler
      statements: [ { allow: ["ec2:*SecurityGroup*"], resources: "*" } ]
  kms:
    trigger: { api_calls: { source: kms.amazonaws.com, names: [ScheduleKeyDeletion] } }
    runbook: { document: AWS-DisablePublicAccessForSecurityGroup, parameters: { GroupId: "$.detail.requestParameters.groupId" } }
"#,
    );
    let out = lab.socform(&["lint", &bp, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let rules: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["address"].as_str().unwrap_or("")))
        .collect();
    for expected in [
        ("SOC020", "event_rule.kms"),
        ("SOC021", "lambda_function.reopen"),
        ("SOC022", "event_rule.kms"),
        ("SOC023", "metric_filter.cmk-disabled-or-deleted"),
    ] {
        assert!(rules.contains(&expected), "{expected:?} not in {rules:?}");
    }
    assert!(!rules.contains(&("SOC020", "event_rule.reopen")), "ec2 calls are logged: {rules:?}");
}

#[test]
fn a_guardduty_detector_is_updated_in_place_and_turning_it_off_is_flagged() {
    let lab = Lab::new();
    let text_of = |frequency: &str, enabled: bool| {
        format!("blueprint: gd\nregion: us-east-1\nfindings:\n  guardduty: {{ publishing_frequency: {frequency}, enabled: {enabled} }}\n")
    };
    let bp = lab.write("gd.yaml", &text_of("SIX_HOURS", true));
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let id = lab.id("guardduty_detector.main");
    lab.write("gd.yaml", &text_of("ONE_HOUR", false));
    let out = lab.socform(&["plan", &bp]);
    let shown = text(&out.stdout);
    assert!(shown.contains("~ guardduty_detector.main") && shown.contains("weaken.guardduty-off"), "{shown}");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    assert_eq!(lab.id("guardduty_detector.main"), id, "updated in place, not replaced");
    let r: serde_json::Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["responses"])).unwrap();
    assert_eq!(r["detectors"][&id], serde_json::json!({"status": "DISABLED", "frequency": "ONE_HOUR"}), "{r:#}");
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    lab.ok(&["destroy", &bp, "--auto-approve"]);
    let r: serde_json::Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["responses"])).unwrap();
    assert!(r["detectors"].as_object().unwrap().is_empty(), "{r:#}");
}

#[test]
fn a_lab_whose_state_is_lost_has_its_security_hub_found_by_its_tags_and_reaped() {
    let mut lab = Lab::new();
    let before = lab.inventory();
    lab.bp = lab
        .write(
            "lost.yaml",
            "blueprint: lost\nregion: us-east-1\nnotifications:\n  soc: { email: [soc@example.com] }\nfindings:\n  security_hub: {}\n",
        )
        .into();
    let out = lab.run(&lab.moto.url(), &["apply", "--auto-approve", "--expires-in", "2s"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lineage = lab.state()["lineage"].as_str().unwrap().to_string();
    std::fs::remove_file(lab.state_path()).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));

    // AWS answers ListTagsForResource with the tags EnableSecurityHub set; moto cannot, so the
    // proxy does (REST-JSON, written by hand from the API reference). The request is
    // `GET /tags/{HubArn}`, the ARN percent-encoded.
    let proxy = Proxy::start(lab.moto.port, std::time::Duration::ZERO, Faults::default(), 1);
    let tags = format!(
        r#"{{"Tags":{{"socform:blueprint":"lost","socform:address":"security_hub.main","socform:lineage":"{lineage}"}}}}"#
    );
    proxy.inject(answer("hub%2Fdefault", 10, Box::leak(tags.into_boxed_str())));
    let env = [("AWS_ENDPOINT_URL", proxy.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = lab.socform_env(&["reap", "--expired"], &env);
    assert!(
        text(&out.stdout).contains("security_hub.main"),
        "{}\n{}\nanswered: {:?}; requests: {}",
        text(&out.stdout),
        text(&out.stderr),
        proxy.stats.answered.lock().unwrap(),
        proxy.stats.requests.load(Ordering::SeqCst)
    );
    let out = lab.socform_env(&["reap", "--expired", "--yes"], &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("0 resources remain."), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["responses"])).unwrap();
    assert_eq!(r["hub"], serde_json::Value::Null, "Security Hub is still enabled: {r:#}");
    assert_eq!(lab.inventory(), before);

    // Tags of another lab prove nothing: a hub enabled by hand is never disabled.
    aws_tool(&lab.moto, "us-east-1", &["enable-hub"]);
    let out = lab.socform(&["reap", "--expired", "--yes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["responses"])).unwrap();
    assert!(r["hub"].as_str().is_some(), "a hub socform did not enable was disabled: {r:#}");
}

#[test]
fn a_rule_or_dashboard_of_the_same_name_made_by_hand_is_never_taken_over() {
    let lab = Lab::new();
    aws_tool(&lab.moto, "us-east-1", &["create-rule", "named-config-noncompliant"]);
    aws_tool(&lab.moto, "us-east-1", &["put-dashboard", "named-detections"]);
    let bp = lab.write(
        "named.yaml",
        r#"
blueprint: named
region: us-east-1
notifications:
  soc: { email: [soc@example.com] }
trail:
  bucket: {}
  cloudwatch_logs: { log_group: trail }
detections:
  - { use: cis/4.3, notify: [soc] }
config:
  recorder: {}
  rules:
    restricted-ssh: { identifier: INCOMING_SSH_DISABLED }
responses:
  config-noncompliant:
    trigger: { config_noncompliant: [restricted-ssh] }
    notify: [soc]
"#,
    );
    let out = lab.socform(&["apply", &bp, "--auto-approve"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    // Said whole once, in the diagnostic at the blueprint's line (which wraps lines).
    let flat = squash(&err);
    assert!(
        err.contains("event_rule.config-noncompliant")
            && flat.contains(&squash("`named-config-noncompliant` already exists and this state did not make it")),
        "{err}"
    );
    assert!(
        err.contains("dashboard.detections") && flat.contains(&squash("`named-detections` already exists")),
        "{err}"
    );
    lab.ok(&["destroy", &bp, "--auto-approve"]);
    let r: serde_json::Value = serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["responses"])).unwrap();
    assert!(r["rules"]["named-config-noncompliant"]["pattern"]["source"] == serde_json::json!(["aws.ec2"]), "{r:#}");
    assert_eq!(r["dashboards"]["named-detections"], serde_json::json!({"widgets": []}), "{r:#}");
}

/// DescribeQueryDefinitions as AWS answers it, with these saved queries (name, query, groups).
fn saved(queries: &[(&str, &str, &[&str])]) -> &'static str {
    let list: Vec<serde_json::Value> = queries
        .iter()
        .enumerate()
        .map(|(i, (name, query, groups))| {
            serde_json::json!({
                "queryDefinitionId": format!("0000000{i}-1111-2222-3333-444444444444"),
                "name": name, "queryString": query, "logGroupNames": groups, "lastModified": 1_764_460_000_000u64,
            })
        })
        .collect();
    Box::leak(serde_json::json!({ "queryDefinitions": list }).to_string().into_boxed_str())
}

fn logs_answer(operation: &'static str, times: u32, body: &'static str) -> Injection {
    Injection { needle: operation, times, status: "200 OK", content_type: "application/x-amz-json-1.1", body }
}

#[test]
fn a_saved_query_per_detection_is_put_read_back_and_deleted() {
    let mut lab = Lab::new();
    lab.bp = lab
        .write(
            "saved.yaml",
            "blueprint: saved\nregion: us-east-1\ntrail:\n  bucket: {}\n  cloudwatch_logs: { log_group: trail }\ndetections:\n  - { use: cis/4.3 }\ninvestigation: { queries: true }\n",
        )
        .into();
    let proxy = Proxy::start(lab.moto.port, std::time::Duration::ZERO, Faults::default(), 1);
    // moto has no query definitions: the proxy answers them (JSON 1.1, written by hand from
    // the API reference), phase by phase.
    let phase = |answers: &[Injection]| {
        proxy.clear();
        for a in answers {
            proxy.inject(a.clone());
        }
    };
    phase(&[
        logs_answer("Logs_20140328.DescribeQueryDefinitions", 10, saved(&[])),
        logs_answer(
            "Logs_20140328.PutQueryDefinition",
            1,
            r#"{"queryDefinitionId":"00000000-1111-2222-3333-444444444444"}"#,
        ),
    ]);
    let out = lab.cmd(&proxy.url(), &["apply", "--auto-approve"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lineage = lab.state()["lineage"].as_str().unwrap().to_string();
    let asked = proxy.stats.answered.lock().unwrap().clone();
    let put = asked.iter().find(|a| a.contains("\"queryString\"")).expect("PutQueryDefinition");
    let body: serde_json::Value = serde_json::from_str(put.split_once('\n').unwrap().1).unwrap();
    assert_eq!(body["name"], "saved/root-account-usage", "{body:#}");
    assert_eq!(body["logGroupNames"], serde_json::json!(["saved-trail"]), "{body:#}");
    let query = body["queryString"].as_str().unwrap();
    let marker = format!(
        "# Managed by socform. socform:blueprint=saved socform:address=query_definition.root-account-usage socform:lineage={lineage}\n"
    );
    assert!(query.starts_with(&marker), "{query}");
    let expected = socform::detect::insights::query(socform::detect::catalog::get("cis/4.3").unwrap().pattern).unwrap();
    assert_eq!(&query[marker.len()..], expected);
    assert!(expected.contains("| filter (userIdentity.type = \"Root\""), "{expected}");

    // Read back as it was put: nothing to do. Changed by hand: drift, put back in place.
    let full: &'static str = Box::leak(format!("{marker}{expected}").into_boxed_str());
    let as_put = saved(&[("saved/root-account-usage", full, &["saved-trail"])]);
    phase(&[logs_answer("Logs_20140328.DescribeQueryDefinitions", 10, as_put)]);
    let out = lab.cmd(&proxy.url(), &["plan", "--detailed-exitcode"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let edited: &'static str = Box::leak(format!("{marker}fields @timestamp").into_boxed_str());
    phase(&[logs_answer(
        "Logs_20140328.DescribeQueryDefinitions",
        10,
        saved(&[("saved/root-account-usage", edited, &["saved-trail"])]),
    )]);
    let out = lab.cmd(&proxy.url(), &["plan", "--detailed-exitcode"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("~ query_definition.root-account-usage"), "{}", text(&out.stdout));

    // Destroy: read, deleted by id, then the closing check finds none.
    phase(&[
        logs_answer("Logs_20140328.DescribeQueryDefinitions", 1, as_put),
        logs_answer("Logs_20140328.DeleteQueryDefinition", 1, r#"{"success":true}"#),
        logs_answer("Logs_20140328.DescribeQueryDefinitions", 10, saved(&[])),
    ]);
    let out = lab.cmd(&proxy.url(), &["destroy", "--auto-approve"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("0 resources remain."), "{}", text(&out.stderr));
    let asked = proxy.stats.answered.lock().unwrap().clone();
    let delete = asked
        .iter()
        .find(|a| a.contains("\"queryDefinitionId\"") && !a.contains("queryString"))
        .expect("DeleteQueryDefinition");
    assert!(delete.contains("00000000-1111-2222-3333-444444444444"), "{delete}");

    // A saved query of the same name that no marker proves ours is never overwritten.
    phase(&[logs_answer(
        "Logs_20140328.DescribeQueryDefinitions",
        10,
        saved(&[("saved/root-account-usage", "fields @message", &["saved-trail"])]),
    )]);
    let out = lab.cmd(&proxy.url(), &["apply", "--auto-approve"]).output().unwrap();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        squash(&err).contains(&squash("`saved/root-account-usage` already exists and this state did not make it")),
        "{err}"
    );
}
