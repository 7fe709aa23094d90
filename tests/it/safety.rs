//! Ownership and safety, tried as an adversary would, against moto_server: resources whose
//! names collide with the blueprint's, look-alikes tagged to pass for socform's, another
//! account's credentials, another region, a lost state file. What exists is read with boto3
//! (tests/support/aws_tool.py `inventory`: every resource of every kind socform makes, with
//! no filter on tags or names), never through socform. Needs moto: `scripts/test.sh`
//! installs it.

use std::collections::BTreeSet;

use crate::support::{aws_tool, squash, text, Lab};

/// The addresses a JSON plan gives `action`.
fn planned<'a>(plan: &'a serde_json::Value, action: &str) -> Vec<&'a str> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == action)
        .map(|c| c["address"].as_str().unwrap())
        .collect()
}

fn tool(lab: &Lab, args: &[&str]) -> String {
    aws_tool(&lab.moto, "us-east-1", args)
}

/// A small blueprint (a log group, a topic with a subscriber, a detection and a bucket):
/// quick to apply, and with every name-collision kind.
const SMALL: &str = r#"
blueprint: pin
region: us-east-1
buckets:
  evidence: {}
log_groups:
  app: { retention_days: 7 }
notifications:
  alerts: { email: [soc@example.com] }
detections:
  - name: root-usage
    pattern: '{ $.userIdentity.type = "Root" }'
    log_group: app
    notify: [alerts]
"#;

#[test]
fn hand_made_look_alikes_survive_apply_and_destroy_and_collisions_are_named() {
    let lab = Lab::new();
    let bp = lab.blueprint("every-kind.yaml", |s| s);
    // Made by hand before socform ever runs: a bucket with the trail bucket's exact name
    // holding evidence, a topic with the blueprint's topic name and its own subscriber, an
    // alarm and a metric filter (on a hand-made log group) with the blueprint's name prefix,
    // an alarm named exactly the prefix, another blueprint's tagged alarm, and an alarm whose
    // tags claim to be this blueprint's (without the lineage only a real state has).
    tool(&lab, &["create-bucket", "every-kind-trail-123456789012"]);
    tool(&lab, &["put-object", "every-kind-trail-123456789012", "evidence.log", "keep me"]);
    tool(&lab, &["create-topic", "every-kind-alerts", "oncall@example.org"]);
    tool(&lab, &["create-alarm", "every-kind-billing-watch"]);
    tool(&lab, &["create-alarm", "every-kind-"]);
    tool(&lab, &["create-log-group", "every-kind-handmade"]);
    tool(&lab, &["create-filter", "every-kind-handmade", "every-kind-errors"]);
    tool(
        &lab,
        &[
            "create-alarm",
            "every-kind-prod-root-usage",
            "socform:blueprint=every-kind-prod",
            "socform:address=alarm.root-usage",
        ],
    );
    tool(&lab, &["create-alarm", "every-kind-forged", "socform:blueprint=every-kind", "socform:address=alarm.forged"]);
    let hand_made = lab.inventory();

    let out = lab.socform(&["apply", &bp, "--auto-approve"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for (address, what, name) in [
        ("s3_bucket.trail", "s3 bucket", "every-kind-trail-123456789012"),
        ("sns_topic.alerts", "sns topic", "every-kind-alerts"),
    ] {
        let expected = format!(
            "{address}: {what} `{name}` already exists and this state did not make it: take it over with `socform import {address} {name} {bp}`"
        );
        assert!(squash(&err).contains(&squash(&expected)), "missing `{expected}` in:\n{err}");
        assert!(err.contains(&format!("{address}: create failed: its name is taken (below)")), "{err}");
    }
    assert!(!err.contains("every-kind-billing-watch"), "{err}");
    // The look-alike that claims this blueprint in its tags is named, and not adopted.
    assert!(err.contains("alarm.forged: cloudwatch alarm `arn:aws:cloudwatch:us-east-1:123456789012:alarm:every-kind-forged` (tagged for this blueprint without a lineage"), "{err}");
    // Nothing hand-made was changed, taken over or deleted.
    let after_apply = lab.inventory();
    assert!(hand_made.is_subset(&after_apply), "lost: {:?}", hand_made.difference(&after_apply).collect::<Vec<_>>());
    assert_eq!(tool(&lab, &["get-object", "every-kind-trail-123456789012", "evidence.log"]).trim(), "keep me");
    assert_eq!(tool(&lab, &["subscriptions", "every-kind-alerts"]).trim(), r#"["oncall@example.org"]"#);
    let state = lab.state();
    assert!(state["resources"].get("s3_bucket.trail").is_none());
    assert!(state["resources"].get("sns_topic.alerts").is_none());
    assert!(state["resources"].get("vpc.main").is_some(), "what does not collide is applied");
    // A plan made now wants to delete none of them.
    let plan = lab.plan_json(&bp);
    let deletes = planned(&plan, "delete");
    assert!(deletes.is_empty(), "{deletes:?}");

    // Destroy removes what socform made and nothing else; the closing check names the
    // look-alike tagged for this blueprint instead of calling the account clean.
    let out = lab.socform(&["destroy", &bp, "--auto-approve"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("still exists: alarm.forged: cloudwatch alarm"), "{err}");
    assert!(err.contains("1 resource remains after destroy"), "{err}");
    assert_eq!(lab.inventory(), hand_made, "destroy did not leave exactly what was there before");
    assert_eq!(tool(&lab, &["get-object", "every-kind-trail-123456789012", "evidence.log"]).trim(), "keep me");
}

#[test]
fn another_account_region_or_blueprint_is_refused_with_state_and_aws_intact() {
    let lab = Lab::new();
    let bp = lab.write("pin.yaml", SMALL);
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let state_before = std::fs::read(lab.state_path()).unwrap();
    let aws_before = lab.inventory();
    let unchanged = |what: &str| {
        assert_eq!(std::fs::read(lab.state_path()).unwrap(), state_before, "{what}: state changed");
        assert_eq!(lab.inventory(), aws_before, "{what}: AWS changed");
    };

    // Another account's credentials (moto serves STS AssumeRole into account 2222...).
    let creds: serde_json::Value = serde_json::from_str(&tool(&lab, &["credentials", "222222222222"])).unwrap();
    let env = [
        ("AWS_ACCESS_KEY_ID", creds["AccessKeyId"].as_str().unwrap()),
        ("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"].as_str().unwrap()),
        ("AWS_SESSION_TOKEN", creds["SessionToken"].as_str().unwrap()),
    ];
    // A plan saved in this account, applied with the other account's credentials: the check
    // before the first write refuses it too (apply of a saved plan does not refresh).
    let planfile = lab.dir.path().join("pin.plan");
    let planfile = planfile.to_str().unwrap();
    let edited = lab.write("pin-edited.yaml", &SMALL.replace("retention_days: 7", "retention_days: 14"));
    lab.ok(&["plan", &edited, "--out", planfile]);
    for cmd in [
        vec!["destroy", &bp, "--auto-approve"],
        vec!["apply", &bp, "--auto-approve"],
        vec!["plan", &bp],
        vec!["apply", planfile],
    ] {
        let out = lab.socform_env(&cmd, &env);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{cmd:?}: {err}");
        assert!(
            err.contains(
                "the state was made in AWS account 123456789012, and the credentials are for account 222222222222"
            ),
            "{cmd:?}: {err}"
        );
        unchanged(&format!("{cmd:?} in another account"));
    }

    // Another region, by flag or by an edited blueprint.
    let out = lab.socform(&["destroy", &bp, "--auto-approve", "--region", "us-west-2"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--region us-west-2 disagrees with blueprint `pin`, which is in us-east-1"), "{err}");
    unchanged("--region us-west-2");
    let moved = lab.write("pin.yaml", &SMALL.replace("us-east-1", "us-west-2"));
    let out = lab.socform(&["destroy", &moved, "--auto-approve"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("this state records resources in region us-east-1, and the blueprint now says us-west-2"),
        "{err}"
    );
    unchanged("blueprint moved to us-west-2");

    // Another blueprint pointed at this state.
    let other = lab.write("other.yaml", &SMALL.replace("blueprint: pin", "blueprint: other"));
    let out = lab.socform(&["destroy", &other, "--auto-approve"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("this state belongs to blueprint `pin`, not `other`"), "{err}");
    unchanged("another blueprint");

    // The right account, region and blueprint: destroy goes through and proves it.
    let bp = lab.write("pin.yaml", SMALL);
    let out = lab.ok(&["destroy", &bp, "--auto-approve"]);
    let _ = out;
    let left: BTreeSet<String> = lab.inventory();
    assert!(left.iter().all(|r| !r.contains("pin-")), "{left:?}");
}

#[test]
fn allowed_accounts_refuses_any_other_account_before_a_single_write() {
    let lab = Lab::new();
    let before = lab.inventory();
    let bp = lab.write(
        "pin.yaml",
        &SMALL.replace("region: us-east-1", "region: us-east-1\nallowed_accounts: [\"111111111111\"]"),
    );
    for cmd in [vec!["plan", &bp], vec!["apply", &bp, "--auto-approve"]] {
        let out = lab.socform(&cmd);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("AWS account 123456789012 is not in the blueprint's allowed_accounts (111111111111)"),
            "{err}"
        );
    }
    assert_eq!(lab.inventory(), before, "something was written");
    assert!(!lab.state_path().exists(), "state was written");
    // The account it names is fine.
    let bp = lab.write(
        "pin.yaml",
        &SMALL.replace("region: us-east-1", "region: us-east-1\nallowed_accounts: [\"123456789012\"]"),
    );
    let out = lab.socform(&["plan", &bp]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("(account 123456789012, us-east-1)"), "the plan names account and region");
}

#[test]
fn a_lost_state_file_is_never_called_a_clean_teardown() {
    let lab = Lab::new();
    let bp = lab.blueprint("every-kind.yaml", |s| s);
    let pristine = lab.inventory();
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let lineage = lab.state()["lineage"].as_str().unwrap().to_string();
    std::fs::remove_file(lab.state_path()).unwrap();
    let before = lab.inventory();

    // A new state knows nothing, so destroy deletes nothing: and says what is still there,
    // including the untaggable Config recorder and delivery channel (billed hourly).
    let out = lab.socform(&["destroy", &bp, "--auto-approve"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // ("40 resources remain after destroy" holds the words too.)
    assert!(!err.lines().any(|l| l.trim().ends_with("0 resources remain.")), "{err}");
    for expected in [
        "still exists: config_recorder.main: config recorder `every-kind`",
        "still exists: config_delivery_channel.main: config delivery channel `every-kind`",
        "still exists: config_rule.no-public-read: config rule `every-kind-no-public-read`",
        "still exists: metric_filter.root-usage: metric filter `every-kind-trail:every-kind-root-usage`",
        "still exists: iam_role.host: iam role",
        "still exists: trail.main: trail",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
    assert!(err.contains(&format!("made by another state of this blueprint, lineage {lineage}")), "{err}");
    assert_eq!(lab.inventory(), before, "a destroy without state deleted something");
    // Issue 24: the report, resource by resource, against boto3's untrusting inventory.
    // Everything the apply made is named by its id (EventBridge rules were not), but the
    // parts that go with their parent: a group's rules, a topic's subscriptions, a role's
    // instance profile and inline policies, a bucket's policy, a route table's routes, a
    // rule's targets, a function's permission, an instance's network interface; and what AWS
    // makes with a VPC (its default group and main route table). Security Hub is left out on
    // moto only: moto does not return the hub's tags, so nothing ties it to the lab (on AWS
    // ListTagsForResource does).
    let made: Vec<&String> = before.difference(&pristine).collect();
    let defaults: Vec<String> = serde_json::from_str(&tool(&lab, &["vpc-defaults"])).unwrap();
    let parts = [
        "security-group-rule",
        "sns-subscription",
        "instance-profile",
        "iam-inline-policy",
        "s3-bucket-policy",
        "route",
        "event-target",
        "lambda-permission",
        "network-interface",
        "security-hub",
        "network-acl-rules",
        "s3-bucket-logging",
        // Account settings carry no tags: without state nothing ties them to the lab (and
        // socform never undoes what it cannot prove it did).
        "iam-password-policy",
        "ebs-encryption-by-default",
    ];
    let unreported: Vec<&&String> = made
        .iter()
        .filter(|line| {
            let (kind, id) = line.split_once(' ').unwrap();
            !err.contains(id) && !parts.contains(&kind) && !defaults.iter().any(|d| d == id)
        })
        .collect();
    assert!(unreported.is_empty(), "the leftover report omits what boto3 lists: {unreported:?}\n{err}");

    // An apply with the lost state's resources around creates nothing it cannot prove is
    // free: names collide and are refused, and it says that another state's resources exist.
    let out = lab.socform(&["plan", &bp]);
    let err = text(&out.stderr);
    assert!(err.contains("resources tagged for blueprint `every-kind` by another state exist"), "{err}");
    assert!(err.contains(&format!("lineage {lineage}")), "{err}");
}

const SECRETS: &str = r#"
blueprint: vault
region: us-east-1
secrets:
  db: { value: { from_env: DB_PASSWORD } }
  api: { value: { generate: { length: 24 } } }
parameters:
  db-copy: { name: /vault/db, type: SecureString, secret: { from_env: DB_PASSWORD } }
"#;

/// Regression (issue "Ownership and safety"): state held an unkeyed SHA-256 of
/// `socform:ADDRESS:VALUE`, and a five-word dictionary recovered `Summer2024!` from it;
/// secrets were force-deleted by default. Now: the value reaches AWS and no file socform
/// writes holds it or a cheap hash of it, destroy schedules deletion (7 days), and an
/// apply that meets its own secret scheduled for deletion restores it.
#[test]
fn secret_values_reach_aws_and_no_file_and_come_back_after_destroy() {
    use sha2::{Digest, Sha256};
    let lab = Lab::new();
    let bp = lab.write("vault.yaml", SECRETS);
    let password = "Summer2024!";
    let env = [("DB_PASSWORD", password)];
    let planfile = lab.dir.path().join("vault.plan");
    let out = lab.socform_env(&["plan", &bp, "--out", planfile.to_str().unwrap()], &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = lab.socform_env(&["apply", planfile.to_str().unwrap()], &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(tool(&lab, &["secret-value", "vault-db"]).trim(), password);
    assert_eq!(tool(&lab, &["parameter-value", "/vault/db"]).trim(), password);
    assert!(tool(&lab, &["secret-value", "vault-api"]).trim().len() == 24, "generated secret");

    // What an attacker with the state file or the saved plan would try.
    let cheap: Vec<String> = ["secret.db", "ssm_parameter.db-copy"]
        .iter()
        .flat_map(|a| [hex(&Sha256::digest(format!("socform:{a}:{password}"))), hex(&Sha256::digest(password))])
        .collect();
    for file in [lab.state_path(), planfile.clone()] {
        let body = std::fs::read_to_string(&file).unwrap();
        assert!(!body.contains(password), "{} holds the value", file.display());
        for h in &cheap {
            assert!(!body.contains(h.as_str()), "{} holds a cheap hash of the value", file.display());
        }
    }
    let state = lab.state();
    let fp = state["resources"]["secret.db"]["attributes"]["value"]["from_env"]["sha256"].as_str().unwrap();
    assert!(fp.starts_with("pbkdf2-sha256:600000:"), "{fp}");
    let lineage = state["lineage"].as_str().unwrap();
    assert!(!lineage.is_empty());

    // A changed value is planned and reaches AWS; the same value is no change.
    let out = lab.socform_env(&["plan", &bp, "--detailed-exitcode"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let env2 = [("DB_PASSWORD", "Autumn2025?")];
    let out = lab.socform_env(&["apply", &bp, "--auto-approve"], &env2);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(tool(&lab, &["secret-value", "vault-db"]).trim(), "Autumn2025?");

    // Destroy schedules deletion (the default window is 7 days): the secret can be restored.
    let generated = tool(&lab, &["secret-value", "vault-api"]);
    let out = lab.socform_env(&["destroy", &bp, "--auto-approve"], &env2);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("0 resources remain."), "{}", text(&out.stderr));
    assert_eq!(tool(&lab, &["secret-deleted", "vault-db"]).trim(), "true");

    // Applied again, the secrets are restored, not refused, and the generated one keeps
    // the value it had.
    let out = lab.socform_env(&["apply", &bp, "--auto-approve"], &env2);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(tool(&lab, &["secret-deleted", "vault-db"]).trim(), "false");
    assert_eq!(tool(&lab, &["secret-value", "vault-db"]).trim(), "Autumn2025?");
    assert_eq!(tool(&lab, &["secret-value", "vault-api"]), generated);
    let out = lab.socform_env(&["plan", &bp, "--detailed-exitcode"], &env2);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Regression (issue "Ownership and safety"): a closed stderr pipe panicked mid-apply before
/// the first state save. Output that cannot be written is dropped; the apply finishes and
/// saves state.
#[test]
fn a_closed_output_pipe_never_stops_an_apply_halfway() {
    let lab = Lab::new();
    let bp = lab.write("pin.yaml", SMALL);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("socform"));
    crate::support::aws_env(&mut cmd, &lab.moto);
    cmd.args(["apply", &bp, "--auto-approve", "--state"]).arg(lab.state_path());
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // Both read ends closed before socform writes a line: every write fails with EPIPE.
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "socform died on a closed pipe");
    let state = lab.state();
    for a in ["log_group.app", "sns_topic.alerts", "alarm.root-usage", "s3_bucket.evidence"] {
        assert!(state["resources"].get(a).is_some(), "{a} missing from state");
    }
    lab.ok(&["destroy", &bp, "--auto-approve"]);
}

/// `socform import` is the one way to take over what exists: the collision error names it,
/// import records it and tags it with this state's lineage (read back with boto3), changes
/// nothing else, and the next plan shows the rest.
#[test]
fn import_takes_over_a_hand_made_resource_explicitly() {
    let lab = Lab::new();
    let bp = lab.write("pin.yaml", SMALL);
    tool(&lab, &["create-log-group", "pin-app"]);
    tool(&lab, &["create-topic", "pin-alerts", "oncall@example.org"]);
    let out = lab.socform(&["apply", &bp, "--auto-approve"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        squash(&err).contains(&squash(&format!("take it over with `socform import log_group.app pin-app {bp}`"))),
        "{err}"
    );

    // Errors first: nothing is imported.
    for (args, expected) in [
        (vec!["import", "log_group.nope", "pin-app", &bp], "`log_group.nope` is not in blueprint `pin`"),
        (vec!["import", "log_group.app", "no-such-group", &bp], "no log group with id `no-such-group` exists"),
        (vec!["import", "vpc.main", "pin-app", &bp], "`vpc.main` is not in blueprint `pin`"),
        (vec!["import", "log_group.app", "pin-app"], "required arguments were not provided:\n  <BLUEPRINT>"),
    ] {
        let out = lab.socform(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(text(&out.stderr).contains(expected), "{args:?}: {}", text(&out.stderr));
    }
    assert!(lab.state()["resources"].get("log_group.app").is_none());

    let out = lab.ok(&["import", "log_group.app", "pin-app", &bp]);
    let _ = out;
    lab.ok(&["import", "sns_topic.alerts", "pin-alerts", &bp]);
    let lineage = lab.state()["lineage"].as_str().unwrap().to_string();
    for (cmd, name, address) in
        [("log-group-tags", "pin-app", "log_group.app"), ("topic-tags", "pin-alerts", "sns_topic.alerts")]
    {
        let tags: serde_json::Value = serde_json::from_str(&tool(&lab, &[cmd, name])).unwrap();
        assert_eq!(tags["socform:lineage"], lineage.as_str(), "{name}: {tags}");
        assert_eq!(tags["socform:address"], address, "{name}: {tags}");
        assert_eq!(tags["socform:blueprint"], "pin", "{name}: {tags}");
    }
    // Nothing else changed: the group still has no retention, the topic its subscriber.
    assert_eq!(tool(&lab, &["subscriptions", "pin-alerts"]).trim(), r#"["oncall@example.org"]"#);
    let out = lab.socform(&["import", "log_group.app", "pin-app", &bp]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("`log_group.app` is already in state"), "{}", text(&out.stderr));

    // The plan takes it from there: the retention is set, nothing is created twice.
    let plan = lab.plan_json(&bp);
    let action =
        |a: &str| plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == a).unwrap()["action"].clone();
    assert_eq!(action("log_group.app"), "update");
    assert_eq!(action("sns_topic.alerts"), "no-op");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = lab.ok(&["destroy", &bp, "--auto-approve"]);
    let _ = out;
    let left = lab.inventory();
    assert!(left.iter().all(|r| !r.contains("pin-")), "{left:?}");
}

/// Regression (found by the lost-answer fault): when CreateSecurityGroup's answer is lost or
/// the run dies right after it, the step that revokes AWS's default allow-all egress rule
/// never runs, and the group, adopted by its tags, kept allowing everything out although
/// the blueprint says `egress: []`. The untagged default rule on a group of this state is
/// now planned for deletion, and removed.
#[test]
fn aws_default_egress_left_on_a_group_of_ours_is_removed() {
    let lab = Lab::new();
    let bp = lab.blueprint("every-kind.yaml", |s| s);
    lab.ok(&["apply", &bp, "--auto-approve"]);
    assert_eq!(tool(&lab, &["egress-rules", "every-kind-siem"]).trim(), "[]");
    tool(&lab, &["authorize-default-egress", "every-kind-siem"]);
    assert_eq!(tool(&lab, &["egress-rules", "every-kind-siem"]).trim(), r#"["-1 0.0.0.0/0"]"#);
    let plan = lab.plan_json(&bp);
    let deletes = planned(&plan, "delete");
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert!(deletes[0].starts_with("security_group_rule.siem:egress:aws-default#sgr-"), "{deletes:?}");
    lab.ok(&["apply", &bp, "--auto-approve"]);
    assert_eq!(tool(&lab, &["egress-rules", "every-kind-siem"]).trim(), "[]");
    // The web group's own allow-all-443 rule and anything else of ours are untouched.
    let out = lab.socform(&["plan", &bp, "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    lab.ok(&["destroy", &bp, "--auto-approve"]);
}

/// `apply --json` and `destroy --json`: stdout carries only JSON lines, a plan event first,
/// a start and a finish for each operation, and a summary last (destroy adds its leftovers).
#[test]
fn apply_and_destroy_json_print_one_event_per_line() {
    let lab = Lab::new();
    let bp = lab.write("pin.yaml", SMALL);
    let events = |out: &std::process::Output| -> Vec<serde_json::Value> {
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
            .collect()
    };
    let ev = events(&lab.socform(&["apply", &bp, "--auto-approve", "--json"]));
    assert_eq!(ev[0]["event"], "plan");
    assert_eq!(ev[0]["account_id"], "123456789012");
    let creates = ev[0]["summary"]["create"].as_u64().unwrap();
    let finished: Vec<&str> =
        ev.iter().filter(|e| e["event"] == "finish").map(|e| e["address"].as_str().unwrap()).collect();
    assert_eq!(finished.len() as u64, creates, "{ev:#?}");
    assert!(finished.contains(&"alarm.root-usage"), "{finished:?}");
    let last = ev.last().unwrap();
    assert_eq!(last["event"], "summary");
    assert_eq!(last["ok"], true);
    assert_eq!(last["done"].as_u64().unwrap(), creates);
    let outputs = &ev[ev.len() - 2];
    assert_eq!(outputs["event"], "outputs");
    assert!(outputs["outputs"]["topic_alerts"].as_str().unwrap().ends_with(":pin-alerts"), "{outputs}");
    assert!(outputs["outputs"]["alarms_url"].as_str().unwrap().contains("cloudwatch"), "{outputs}");
    let ev = events(&lab.socform(&["apply", &bp, "--auto-approve", "--json"]));
    assert_eq!(ev.iter().map(|e| e["event"].as_str().unwrap()).collect::<Vec<_>>(), ["plan", "outputs", "summary"]);
    let ev = events(&lab.socform(&["destroy", &bp, "--auto-approve", "--json"]));
    let kinds: Vec<&str> = ev.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds[kinds.len() - 2..], ["summary", "leftovers"], "{kinds:?}");
    assert_eq!(ev.last().unwrap()["remaining"], serde_json::json!([]));
}

/// Issue 24: the Put* calls of alarms, metric filters and Config overwrite whatever has the
/// name, so each create asks first. Made by hand under the exact names the blueprint's next
/// apply derives (a filter and an alarm on the lab's own log group, added after its first
/// apply; Config's recorder and channel, then a rule), each is refused by name through
/// apply, read back unchanged with boto3, and left by destroy. The filter was not: refresh
/// adopted a filter with socform's name on the lab's own log group, the apply overwrote it,
/// and destroy deleted it; now only a create this state marked before a crash is adopted.
#[test]
fn exact_name_collisions_of_put_kinds_are_refused_through_apply_and_left_by_destroy() {
    let lab = Lab::new();
    let v1 = "blueprint: col\nregion: us-east-1\nbuckets:\n  snapshots: {}\nlog_groups:\n  app: { retention_days: 7 }\nnotifications:\n  alerts: {}\n";
    let bp = lab.write("col.yaml", v1);
    lab.ok(&["apply", &bp, "--auto-approve"]);
    // By hand, between two applies: on the lab's own log group, and the account's Config.
    tool(&lab, &["create-filter", "col-app", "col-root-usage"]);
    tool(&lab, &["create-alarm", "col-key-deleted"]);
    tool(&lab, &["hand-config", "col", "col-public-read"]);
    let snapshot = || {
        (
            tool(&lab, &["config-snapshot"]),
            tool(&lab, &["filter-pattern", "col-app", "col-root-usage"]),
            tool(&lab, &["alarm-metric", "col-key-deleted"]),
        )
    };
    let before = snapshot();
    assert!(before.1.contains("ERROR") && before.2.contains("Billing"), "{before:?}");

    let detection = |name: &str| {
        format!("  - {{ name: {name}, pattern: '{{ $.eventName = \"{name}\" }}', log_group: app, notify: [alerts] }}\n")
    };
    let v2 = format!(
        "{v1}detections:\n{}{}config:\n  recorder: {{ bucket: snapshots, if_exists: fail }}\n  rules:\n    public-read: {{ identifier: S3_BUCKET_PUBLIC_READ_PROHIBITED }}\n",
        detection("root-usage"),
        detection("key-deleted")
    );
    std::fs::write(&bp, v2).unwrap();
    // Past preflight (which names the recorder and channel in the way first): the creates
    // themselves refuse each name.
    let taken = |addresses: &[&str]| {
        let out = lab.socform(&["apply", &bp, "--auto-approve", "--skip-preflight"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        for address in addresses {
            assert!(err.contains(&format!("{address}: create failed: its name is taken")), "{address} in:\n{err}");
            assert!(lab.state()["resources"].get(address).is_none(), "{address} was recorded as the lab's");
        }
    };
    taken(&["metric_filter.root-usage", "alarm.key-deleted", "config_recorder.main"]);
    assert_eq!(snapshot(), before, "a hand-made resource was overwritten");
    // Without the hand-made recorder and channel, socform's are made, and the rule collides.
    tool(&lab, &["delete-hand-config", "col"]);
    let before = snapshot();
    taken(&["config_rule.public-read"]);
    let after = snapshot();
    assert_eq!((&after.1, &after.2), (&before.1, &before.2));
    assert!(after.0.contains(r#"["col-public-read", "S3_BUCKET_PUBLIC_READ_PROHIBITED", "hand-made"]"#), "{}", after.0);

    let out = lab.socform(&["destroy", &bp, "--auto-approve"]);
    assert!(out.status.success() || out.status.code() == Some(1), "{}", text(&out.stderr));
    let left = lab.inventory();
    for hand_made in ["alarm col-key-deleted", "config-rule col-public-read"] {
        assert!(left.contains(hand_made), "destroy deleted {hand_made}: {left:?}");
    }
    assert!(tool(&lab, &["config-snapshot"]).contains("hand-made"));
    assert_eq!(tool(&lab, &["alarm-metric", "col-key-deleted"]), before.2);
}
