//! Labs with a lifecycle, against moto: an expiry on every resource, `socform ls` from tags
//! alone, and `socform reap` removing a lab whose state file is gone. What exists is checked
//! with boto3 (tests/support/aws_tool.py), never with socform.

use std::path::PathBuf;

use crate::support::{aws_tool, text, Lab};

#[test]
fn an_expiring_lab_is_listed_priced_and_reaped_without_its_state() {
    let mut lab = Lab::new();
    let before = lab.inventory();
    lab.reference();
    // moto cannot list Security Hub's tags, so a hub whose state is lost cannot be proven
    // this lab's there: the lab leaves it out. tests/it/findings.rs reaps a hub found by its
    // tags through AWS's answer to ListTagsForResource.
    let text_without_hub: String = std::fs::read_to_string(&lab.bp)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("security_hub:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&lab.bp, text_without_hub).unwrap();
    let moto = lab.moto.url();
    let out = lab.run(&moto, &["apply", "--auto-approve", "--expires-in", "3s"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(text(&out.stdout).contains("Lab: expires at "), "{}", text(&out.stdout));

    // Every resource that carries tags carries the expiry (boto3).
    let all: Vec<String> =
        serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["tagged-with", "soc-reference", "socform:lineage"]))
            .unwrap();
    let expiring: Vec<String> = serde_json::from_str(&aws_tool(
        &lab.moto,
        "us-east-1",
        &["tagged-with", "soc-reference", "socform:expires-at"],
    ))
    .unwrap();
    assert!(all.len() > 20, "{all:?}");
    assert_eq!(expiring, all, "every tagged resource has an expiry");

    // ls: the lab, with its expiry and its price.
    let listed: serde_json::Value = serde_json::from_str(&lab.ok(&["ls", "--format", "json"])).unwrap();
    let labs = listed["labs"].as_array().unwrap();
    assert_eq!(labs.len(), 1, "{listed}");
    let l = &labs[0];
    let state = lab.state();
    assert_eq!(l["blueprint"], "soc-reference");
    assert_eq!(l["lab"], state["lineage"]);
    assert_eq!(l["region"], "us-east-1");
    assert_eq!(l["expires_at"], state["labels"]["socform:expires-at"]);
    assert!(l["created_at"].as_str().unwrap().ends_with('Z'), "{l}");
    // Its state is here: every record of it (the SNS subscriptions, which carry no tags,
    // from the state).
    let records = state["resources"].as_object().unwrap();
    let subscriptions = records.keys().filter(|a| a.starts_with("sns_subscription.")).count();
    assert_eq!(l["resources"].as_u64().unwrap() as usize, records.len(), "{l}");
    // The price from tags and live state agrees with `socform cost` on the blueprint, whose
    // lines carry AWS's published on-demand rates (us-east-1, Linux): a t3.xlarge at $0.1664
    // and a t3.micro at $0.0104 an hour, each with a public IPv4 address at $0.005.
    let out = lab.run(&moto, &["cost", "--format", "json"]);
    let cost: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let line = |address: &str, what: &str| -> f64 {
        let r = cost["resources"].as_array().unwrap().iter().find(|r| r["address"] == address).unwrap();
        r["items"].as_array().unwrap().iter().find(|i| i["what"].as_str().unwrap().contains(what)).unwrap()["hourly"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(line("instance.wazuh-manager", "t3.xlarge instance hours"), 0.1664);
    assert_eq!(line("instance.agent-host", "t3.micro instance hours"), 0.0104);
    assert_eq!(line("instance.agent-host", "public IPv4"), 0.005);
    // `cost` counts an unsized root volume at 8 GB (Amazon Linux's size on AWS); ls counts
    // the volumes that exist (moto makes that one 15 GB), so the two differ by exactly that.
    let blueprint_gb = 50.0 + 8.0;
    let actual_gb: f64 = aws_tool(&lab.moto, "us-east-1", &["volume-gb"]).trim().parse().unwrap();
    let expected = cost["fixed_monthly"].as_f64().unwrap() / 730.0 + (actual_gb - blueprint_gb) * 0.08 / 730.0;
    let hourly = l["hourly_usd"].as_f64().unwrap();
    assert!((hourly - expected).abs() < 2e-4, "ls says {hourly}/h; cost and the volumes say {expected}/h");
    let human = lab.ok(&["ls"]);
    assert!(human.contains("soc-reference") && human.contains("USD/HOUR"), "{human}");

    // The state file is lost; the lab expires.
    std::fs::remove_file(lab.state_path()).unwrap();
    // Found from tags alone, with what hangs off the lab's own (the bucket's policy, the
    // metric filters of its log group, the Config recorder using its role): all of state but
    // the SNS subscriptions, which carry no tags and go with their topics.
    let out = lab.socform(&["ls", "--format", "json", "-v"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let l = &listed["labs"][0];
    // And but the account's password policy and the VPC's default network ACL: neither
    // carries the lab's tags, so nothing but state proves them the lab's.
    assert_eq!(l["resources"].as_u64().unwrap() as usize, records.len() - subscriptions - 2, "{l}");
    // BENCHMARKS.md's figures are this run's: `ls` without state, then the reap below.
    let ls_calls = crate::support::api_calls(&text(&out.stderr), "ls us-east-1: ");
    assert_eq!(ls_calls, benchmarked("ls"), "BENCHMARKS.md's `ls` row, measured by this test");
    std::thread::sleep(std::time::Duration::from_secs(4));
    let made = lab.inventory();
    assert!(made.len() > before.len());

    // A dry run by default: it lists and changes nothing.
    let out = lab.socform(&["reap", "--expired"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stderr.contains("Would reap (dry run: pass --yes to delete) in AWS account 123456789012, us-east-1: 1 lab"),
        "{stderr}"
    );
    assert!(stdout.contains("instance.wazuh-manager") && stdout.contains("config_recorder.main"), "{stdout}");
    assert_eq!(lab.inventory(), made, "a dry run changed something");

    // A lab that has not expired is kept unless named... and this one has. The access-log
    // bucket holds the trail bucket's access logs (moto writes them): evidence, which reap
    // found by tags alone never empties; it says so, and `--empty-buckets` finishes.
    let out = lab.socform(&["reap", "--expired", "--yes", "-v"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert_eq!(
        crate::support::api_calls(&stderr, "reap us-east-1: "),
        benchmarked("reap --expired --yes"),
        "BENCHMARKS.md's `reap` row"
    );
    assert!(stderr.contains("reap never empties a bucket it found by tags alone"), "{stderr}");
    assert!(stderr.contains("soc-reference-access-logs-"), "{stderr}");
    let out = lab.socform(&["reap", "--expired", "--yes", "--empty-buckets", "-v"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("0 resources remain."), "{stderr}");
    // Everything but the password policy the lab set: without state nothing proves it the
    // lab's, and socform never undoes what it cannot prove it did (it costs nothing; a destroy
    // with the state deletes it).
    let mut left = lab.inventory();
    left.retain(|l| !l.starts_with("iam-password-policy "));
    assert_eq!(left, before, "reap left something behind");
    let listed: serde_json::Value = serde_json::from_str(&lab.ok(&["ls", "--format", "json"])).unwrap();
    assert_eq!(listed["labs"], serde_json::json!([]), "{listed}");
}

#[test]
fn reap_keeps_labs_that_have_not_expired_and_what_no_lab_owns() {
    let mut lab = Lab::new();
    let before = lab.inventory();
    let small = "blueprint: keep\nregion: us-east-1\nlab: { expires_after: 8h, owner: alice }\nlog_groups:\n  app: { retention_days: 7 }\nnotifications:\n  alerts: { email: [soc@example.com] }\n";
    lab.bp = PathBuf::from(lab.write("keep.yaml", small));
    let moto = lab.moto.url();
    let out = lab.run(&moto, &["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Hand-made look-alikes carry the blueprint's tag but no lineage: no lab owns them.
    aws_tool(&lab.moto, "us-east-1", &["create-topic", "keep-lookalike"]);
    aws_tool(&lab.moto, "us-east-1", &["tag-topic", "keep-lookalike", "socform:blueprint=keep"]);
    let made = lab.inventory();

    // Renewal: an apply with nothing to change leaves the expiry; `--expires-in` renews it
    // on every resource of the lab, as boto3 reads the tags.
    let expiry = || -> serde_json::Value {
        let topic: serde_json::Value =
            serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["topic-tags", "keep-alerts"])).unwrap();
        let group: serde_json::Value =
            serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["log-group-tags", "keep-app"])).unwrap();
        assert_eq!(topic["socform:expires-at"], group["socform:expires-at"], "one lab, one expiry");
        assert_eq!(topic["socform:owner"], "alice");
        topic["socform:expires-at"].clone()
    };
    let first = expiry();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = lab.run(&moto, &["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(expiry(), first, "an apply with nothing to change renewed the expiry");
    let out = lab.run(&moto, &["apply", "--auto-approve", "--expires-in", "30h"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let renewed = expiry();
    assert!(renewed.as_str().unwrap() > first.as_str().unwrap(), "{renewed} after {first}");
    assert_eq!(lab.state()["labels"]["socform:expires-at"], renewed);

    let listed: serde_json::Value = serde_json::from_str(&lab.ok(&["ls", "--format", "json"])).unwrap();
    assert_eq!(listed["labs"][0]["owner"], "alice", "{listed}");
    // The topic and log group from their tags, the subscription (no tags) from the state.
    assert_eq!(listed["labs"][0]["resources"], 3, "{listed}");
    assert_eq!(listed["labs"].as_array().unwrap().len(), 1, "{listed}");

    // Not expired: --expired passes it over; naming none of it refuses to guess.
    let out = lab.socform(&["reap", "--expired", "--yes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lab.inventory(), made);
    let out = lab.socform(&["reap", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("name the blueprints whose labs to reap"), "{}", text(&out.stderr));
    // Named: reaped, expired or not; the look-alike stays.
    let out = lab.socform(&["reap", "keep", "--yes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let left: Vec<String> = lab.inventory().difference(&before).cloned().collect();
    assert_eq!(left, ["sns-topic keep-lookalike"], "only what no lab owns is left");
}

#[test]
fn pause_stops_the_hosts_resume_starts_them_and_neither_is_drift() {
    let mut lab = Lab::new();
    let bp = "blueprint: paused\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.0.0.0/16 }\n  subnets:\n    a: { cidr: 10.0.0.0/24, az: us-east-1a }\nsecurity_groups:\n  host: { egress: [] }\nhosts:\n  siem: { subnet: a, security_groups: [host], instance_type: t3.large, image: amazon-linux-2023, root_volume: { size_gb: 20 } }\n";
    lab.bp = PathBuf::from(lab.write("paused.yaml", bp));
    let moto = lab.moto.url();
    let ok = |args: &[&str]| {
        let out = lab.run(&moto, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    ok(&["apply", "--auto-approve"]);
    let id = lab.id("instance.siem");
    let state_of = || aws_tool(&lab.moto, "us-east-1", &["instance-state", &id]).trim().to_string();
    assert_eq!(state_of(), "running");
    let hourly = |lab: &Lab| -> f64 {
        let v: serde_json::Value = serde_json::from_str(&lab.ok(&["ls", "--format", "json"])).unwrap();
        v["labs"][0]["hourly_usd"].as_f64().unwrap()
    };
    let volume = 20.0 * 0.08 / 730.0;
    assert!((hourly(&lab) - (0.0832 + volume)).abs() < 1e-3, "{}", hourly(&lab));

    ok(&["pause"]);
    assert_eq!(state_of(), "stopped");
    assert_eq!(lab.state()["paused"], true);
    let out = lab.run(&moto, &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "a paused host is not drift: {}", text(&out.stdout));
    assert!((hourly(&lab) - volume).abs() < 1e-3, "paused, the lab pays for its volume only: {}", hourly(&lab));
    let cost = ok(&["cost"]);
    assert!(cost.contains("Paused now (`socform pause`): $1.60/month"), "{cost}");

    ok(&["resume"]);
    assert_eq!(state_of(), "running");
    assert!(lab.state().get("paused").is_none());
    let out = lab.run(&moto, &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    ok(&["destroy", "--auto-approve"]);
}

#[test]
fn labs_of_one_blueprint_are_kept_apart_by_name_state_and_tags() {
    let lab = Lab::new();
    let before = lab.inventory();
    let bp = lab.write("class.yaml", "blueprint: class\nregion: us-east-1\nlog_groups:\n  app: { retention_days: 7 }\nnotifications:\n  alerts: { email: [soc@example.com] }\n");
    // Each student's lab from the same file, each with the state file its name gives it.
    let run = |args: &[&str]| {
        let out = lab.here(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    run(&["apply", &bp, "--lab", "alice", "--auto-approve"]);
    run(&["apply", &bp, "--lab", "bob", "--auto-approve"]);
    assert!(
        lab.dir.path().join("state/class-alice.json").is_file()
            && lab.dir.path().join("state/class-bob.json").is_file()
    );
    let made: Vec<String> = lab.inventory().difference(&before).cloned().collect();
    for name in [
        "log-group class-alice-app",
        "log-group class-bob-app",
        "sns-topic class-alice-alerts",
        "sns-topic class-bob-alerts",
    ] {
        assert!(made.contains(&name.to_string()), "{name} not in {made:?}");
    }
    let listed: serde_json::Value = serde_json::from_str(&run(&["ls", "--format", "json"])).unwrap();
    let mut labs: Vec<(String, String)> = listed["labs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["blueprint"].as_str().unwrap().to_string(), l["lab"].as_str().unwrap().to_string()))
        .collect();
    labs.sort();
    assert_eq!(labs, [("class".to_string(), "alice".to_string()), ("class".to_string(), "bob".to_string())]);
    // One lab goes; the other is untouched.
    run(&["destroy", &bp, "--lab", "alice", "--auto-approve"]);
    let left: Vec<String> = lab.inventory().difference(&before).cloned().collect();
    assert!(left.iter().all(|r| r.contains("class-bob")) && left.len() >= 2, "{left:?}");
    run(&["output", "topic_alerts", &bp, "--lab", "bob"]);
    run(&["destroy", &bp, "--lab", "bob", "--auto-approve"]);
    assert_eq!(lab.inventory(), before);
    // A lab name is checked before anything is read.
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("socform"));
    let out = c.args(["plan", &bp, "--lab", "Bad_Name"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("use 1 to 20 lowercase letters"), "{}", text(&out.stderr));
}

/// Issue 23 (the one high-severity finding): tags said what to delete. A security group of
/// an attacker's own, tagged with a lab's blueprint and lineage (or the leftover check's
/// wildcard) and a past expiry, made `reap --expired --yes` delete labs that had not
/// expired, a resource released by `state rm`, and an evidence bucket with its contents.
/// Now: a lab with a state is judged by its state; without one, its resources must agree;
/// a lineage must be a UUID; a bucket found by tags is never emptied. Checked with boto3.
#[test]
fn forged_tags_steer_no_reap_and_reap_never_empties_an_evidence_bucket() {
    let lab = Lab::new();
    let run = |args: &[&str]| lab.here(args);
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        (text(&out.stdout), text(&out.stderr))
    };
    // alpha expires in 8 hours and keeps its state; beta never expires, holds evidence in a
    // `retain_objects` bucket, and loses its state file.
    let alpha = lab.write("alpha.yaml", "blueprint: alpha\nregion: us-east-1\nlog_groups:\n  app: { retention_days: 7 }\nnotifications:\n  alerts: { email: [soc@example.com] }\n");
    let beta = lab.write("beta.yaml", "blueprint: beta\nregion: us-east-1\nlog_groups:\n  app: { retention_days: 7 }\n  kept: { retention_days: 7 }\nbuckets:\n  evidence: { retain_objects: true }\n");
    ok(&["apply", &alpha, "--auto-approve", "--expires-in", "8h"]);
    ok(&["apply", &beta, "--auto-approve"]);
    let state = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(lab.dir.path().join(format!("state/{name}.json"))).unwrap())
            .unwrap()
    };
    let (alpha_lineage, beta_lineage) = (
        state("alpha")["lineage"].as_str().unwrap().to_string(),
        state("beta")["lineage"].as_str().unwrap().to_string(),
    );
    let bucket = state("beta")["resources"]["s3_bucket.evidence"]["id"].as_str().unwrap().to_string();
    // The bucket's policy refuses plain HTTP, which moto enforces against this test's http://
    // endpoint: lifted to write the evidence.
    aws_tool(&lab.moto, "us-east-1", &["delete-bucket-policy", &bucket]);
    aws_tool(&lab.moto, "us-east-1", &["put-object", &bucket, "evidence.json", "{\"who\":\"attacker\"}"]);
    // A resource released from beta's state: no lab's any more.
    ok(&["state", "rm", "log_group.kept", &beta]);
    std::fs::remove_file(lab.dir.path().join("state/beta.json")).unwrap();

    // The baits: one per lab with its lineage, one with the wildcard lineage, one whose
    // blueprint name is a path.
    let past = "socform:expires-at=2000-01-01T00:00:00Z";
    let lineage = |l: &str| format!("socform:lineage={l}");
    for (name, blueprint, lineage) in [
        ("bait-alpha", "alpha", lineage(&alpha_lineage)),
        ("bait-beta", "beta", lineage(&beta_lineage)),
        ("bait-any", "beta", lineage("*any lineage*")),
        ("bait-path", "../../x", lineage(&beta_lineage)),
    ] {
        let blueprint = format!("socform:blueprint={blueprint}");
        let args = ["create-sg", name, &blueprint, &lineage, "socform:address=security_group.bait", past];
        aws_tool(&lab.moto, "us-east-1", &args);
    }
    let before = lab.inventory();

    let (_, stderr) = ok(&["reap", "--expired", "--yes"]);
    assert_eq!(lab.inventory(), before, "a forged tag made reap delete something:\n{stderr}");
    assert!(stderr.contains("0 lab(s)"), "{stderr}");
    assert!(stderr.contains(&format!("kept: alpha lab {alpha_lineage}: it has not expired")), "{stderr}");
    assert!(stderr.contains(&format!("kept: beta lab {beta_lineage}: its expiry is disputed")), "{stderr}");
    assert!(stderr.contains("ignored: resources tagged `beta` / `*any lineage*`"), "{stderr}");
    assert!(stderr.contains("ignored: resources tagged `../../x`"), "{stderr}");
    let listed: serde_json::Value = serde_json::from_str(&ok(&["ls", "--format", "json"]).0).unwrap();
    let beta_row = listed["labs"].as_array().unwrap().iter().find(|l| l["blueprint"] == "beta").unwrap();
    assert!(beta_row["disputed"].as_str().unwrap().contains("socform:expires-at"), "{listed}");
    assert_eq!(beta_row["expires_at"], serde_json::Value::Null);

    // Named, beta is reaped from its tags (the bait that claims its lineage goes with it),
    // but its evidence bucket is not emptied: reap says so and fails; the object is intact.
    let out = run(&["reap", "beta", "--yes"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("reap never empties a bucket it found by tags alone"), "{stderr}");
    assert_eq!(aws_tool(&lab.moto, "us-east-1", &["count-objects", &bucket]).trim(), "1");
    let left = lab.inventory();
    assert!(left.contains(&format!("s3-bucket {bucket}")), "{left:?}");
    assert!(left.contains("log-group beta-kept"), "the released log group was deleted: {left:?}");
    assert!(!left.contains("log-group beta-app"), "{left:?}");
    // alpha, with its state, is untouched; its own destroy still works.
    assert!(left.contains("log-group alpha-app"), "{left:?}");
    ok(&["destroy", &alpha, "--auto-approve"]);
}

/// Issue 23: `--lab prod` of blueprint `soc` had the state file, tags and names of blueprint
/// `soc-prod`, and `destroy soc.yaml --lab prod` destroyed soc-prod. A state records which
/// lab it is, and a mismatch is refused before anything is read or changed.
#[test]
fn a_lab_name_never_reaches_another_blueprints_state() {
    let lab = Lab::new();
    let run = |args: &[&str]| lab.here(args);
    let soc = lab.write("soc.yaml", "blueprint: soc\nregion: us-east-1\nlog_groups:\n  app: { retention_days: 7 }\n");
    let soc_prod = lab.write(
        "soc-prod.yaml",
        "blueprint: soc-prod\nregion: us-east-1\nlog_groups:\n  other: { retention_days: 7 }\n",
    );
    let out = run(&["apply", &soc_prod, "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let made = lab.inventory();
    for args in [
        vec!["destroy", soc.as_str(), "--lab", "prod", "--auto-approve"],
        vec!["apply", soc.as_str(), "--lab", "prod", "--auto-approve"],
        vec!["plan", soc.as_str(), "--lab", "prod"],
    ] {
        let out = run(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("state `soc-prod` is no lab (made without --lab), and this run is lab `prod`"),
            "{stderr}"
        );
        assert_eq!(lab.inventory(), made, "{args:?} changed something");
    }
    // And the other way round.
    let out = run(&["destroy", &soc_prod, "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["apply", &soc, "--lab", "prod", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["destroy", &soc_prod, "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is lab `prod` (`--lab prod`), and this run is no lab"),
        "{}",
        text(&out.stderr)
    );
    assert!(lab.inventory().contains("log-group soc-prod-app"));
    let out = run(&["destroy", &soc, "--lab", "prod", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Issue 23: `import` silently took over a resource another live state owns, and a resource
/// whose name differs from the blueprint's (replaced at the next apply), without saying that
/// destroy would then delete it.
#[test]
fn import_refuses_what_another_state_claims_unless_forced_and_says_what_follows() {
    let lab = Lab::new();
    let run = |args: &[&str]| lab.here(args);
    let alpha =
        lab.write("alpha.yaml", "blueprint: alpha\nregion: us-east-1\nlog_groups:\n  app: { retention_days: 7 }\n");
    let gamma = lab.write(
        "gamma.yaml",
        "blueprint: gamma\nregion: us-east-1\nlog_groups:\n  app: { name: gamma-app, retention_days: 7 }\n",
    );
    let out = run(&["apply", &alpha, "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A claim that cannot be checked is no licence: the tagging index refusing the call
    // (as AWS answers a role without tag:GetResources) stops the import.
    let proxy = crate::support::proxy::Proxy::start(lab.moto.port, std::time::Duration::ZERO, Default::default(), 1);
    proxy.inject(crate::support::proxy::Injection {
        needle: "ResourceGroupsTaggingAPI_20170126.GetResources",
        times: 100,
        status: "400 Bad Request",
        content_type: "application/x-amz-json-1.1",
        body: r#"{"__type":"AccessDeniedException","Message":"User is not authorized to perform: tag:GetResources"}"#,
    });
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("socform"));
    crate::support::aws_env(&mut c, &lab.moto);
    let out = c
        .env("AWS_ENDPOINT_URL", proxy.url())
        .current_dir(lab.dir.path())
        .args(["import", "log_group.app", "alpha-app", &gamma])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot tell whether another socform state claims `alpha-app`"), "{stderr}");
    let out = run(&["import", "log_group.app", "alpha-app", &gamma]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("carries the tags of another socform state (blueprint `alpha`"), "{stderr}");
    assert!(
        !lab.dir.path().join("state/gamma.json").exists()
            || !std::fs::read_to_string(lab.dir.path().join("state/gamma.json")).unwrap().contains("alpha-app")
    );
    let tags: serde_json::Value =
        serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["log-group-tags", "alpha-app"])).unwrap();
    assert_eq!(tags["socform:blueprint"], "alpha", "a refused import retagged it: {tags}");
    let out = run(&["import", "log_group.app", "alpha-app", &gamma, "--force"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("taking `alpha-app` over from another socform state"), "{stderr}");
    assert!(stderr.contains("the next apply replaces it"), "{stderr}");
    assert!(stderr.contains("`socform destroy` will delete it"), "{stderr}");
    let tags: serde_json::Value =
        serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["log-group-tags", "alpha-app"])).unwrap();
    assert_eq!(tags["socform:blueprint"], "gamma", "{tags}");
}

/// Issue 29 (item 1): after `apply --expires-in 3h` the next apply wrote `never` (a lab that
/// is never reaped keeps costing money), and renewing the expiry with a change in the same
/// apply failed on the route table (RouteAlreadyExists: the re-tag re-added its routes).
#[test]
fn an_apply_keeps_the_labs_expiry_and_a_renewal_retags_a_route_table() {
    let lab = Lab::new();
    let net = "blueprint: keeps\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.0.0.0/16 }\n  subnets:\n    a: { cidr: 10.0.0.0/24, az: us-east-1a, public: true }\nlog_groups:\n  app: { retention_days: 7 }\n";
    let bp = lab.write("keeps.yaml", net);
    let ok = |args: &[&str]| {
        let out = lab.here(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let expiry = |group: &str| -> String {
        let tags: serde_json::Value =
            serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["log-group-tags", group])).unwrap();
        tags["socform:expires-at"].as_str().unwrap_or("(none)").to_string()
    };
    let out = lab.here(&["apply", &bp, "--auto-approve", "--expires-in", "3h"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let first = expiry("keeps-app");
    assert!(first.ends_with('Z'), "{first}");
    // Said again where the apply ends, with how the lab goes away.
    let err = text(&out.stderr);
    assert!(err.contains("Apply complete: 5 added, 0 changed, 0 destroyed."), "{err}");
    assert!(
        err.contains(&format!("The lab expires at {first}: `socform reap --expired` removes it after that.")),
        "{err}"
    );
    // A change, no flag: the expiry stays, on the new resource too.
    std::fs::write(&bp, format!("{net}  more: {{ retention_days: 7 }}\n")).unwrap();
    ok(&["apply", &bp, "--auto-approve"]);
    assert_eq!(expiry("keeps-app"), first);
    assert_eq!(expiry("keeps-more"), first);
    // A change and a renewal: every resource re-tagged, the route table included.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(&bp, format!("{net}  more: {{ retention_days: 7 }}\n  third: {{ retention_days: 7 }}\n")).unwrap();
    ok(&["apply", &bp, "--auto-approve", "--expires-in", "5h"]);
    let renewed = expiry("keeps-app");
    assert!(renewed > first, "{renewed} after {first}");
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lab.dir.path().join("state/keeps.json")).unwrap()).unwrap();
    let (_, table) =
        state["resources"].as_object().unwrap().iter().find(|(a, _)| a.starts_with("route_table.")).unwrap();
    let tags: serde_json::Value =
        serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["ec2-tags", table["id"].as_str().unwrap()])).unwrap();
    assert_eq!(tags["socform:expires-at"], renewed.as_str(), "{tags}");
    // Bounded, and `never` only when said.
    for (flag, says) in [
        ("91d", "at most 90 days"),
        ("18446744073709551615s", "longer than ten years"),
        ("1000000000d", "longer than ten years"),
    ] {
        let out = lab.here(&["apply", &bp, "--auto-approve", "--expires-in", flag]);
        assert_eq!(out.status.code(), Some(1), "{flag}");
        assert!(text(&out.stderr).contains(says), "{flag}: {}", text(&out.stderr));
    }
    ok(&["apply", &bp, "--auto-approve", "--expires-in", "never"]);
    assert_eq!(expiry("keeps-third"), "never");
    ok(&["destroy", &bp, "--auto-approve"]);
}

/// Issue 29: a resource `import` took over keeps its own name, so `ls`, which found labs by
/// socform's names and tags, did not count it. The lab's state is the record: `ls` shows it
/// and `reap` deletes it with the lab. With the state lost, nothing proves the import (its
/// tags could be a forgery on someone's resource): reap leaves it, and says what remains.
#[test]
fn an_imported_resource_is_in_ls_and_reaped_with_its_lab_but_never_from_tags_alone() {
    let lab = Lab::new();
    let bp = lab.write(
        "imp.yaml",
        "blueprint: imp\nregion: us-east-1\nlog_groups:\n  app: { name: hand-app, retention_days: 7 }\n  own: { retention_days: 7 }\n",
    );
    aws_tool(&lab.moto, "us-east-1", &["create-log-group", "hand-app"]);
    let ok = |args: &[&str]| {
        let out = lab.here(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        (text(&out.stdout), text(&out.stderr))
    };
    ok(&["import", "log_group.app", "hand-app", &bp]);
    ok(&["apply", &bp, "--auto-approve", "--expires-in", "2s"]);
    let listed: serde_json::Value = serde_json::from_str(&ok(&["ls", "--format", "json"]).0).unwrap();
    let row = listed["labs"].as_array().unwrap().iter().find(|l| l["blueprint"] == "imp").cloned().unwrap();
    assert_eq!(row["resources"], 2, "{listed}");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let groups = || -> String { aws_tool(&lab.moto, "us-east-1", &["inventory"]) };
    assert!(groups().contains("hand-app"));

    // The same, with its state lost: the imported group is left, and named.
    let second = lab.write(
        "imp2.yaml",
        "blueprint: imp-two\nregion: us-east-1\nlog_groups:\n  app: { name: hand-two, retention_days: 7 }\n  own: { retention_days: 7 }\n",
    );
    aws_tool(&lab.moto, "us-east-1", &["create-log-group", "hand-two"]);
    ok(&["import", "log_group.app", "hand-two", &second]);
    ok(&["apply", &second, "--auto-approve", "--expires-in", "2s"]);
    std::fs::remove_file(lab.dir.path().join("state/imp-two.json")).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));

    let out = lab.here(&["reap", "--expired", "--yes"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "something tagged as the lab's remains: {stderr}");
    assert!(
        stderr.contains("log-group:hand-two`: it carries this lab's tags")
            && stderr.contains("delete it yourself")
            && !stderr.contains("run reap again"),
        "{stderr}"
    );
    let left = groups();
    assert!(!left.contains("hand-app"), "the recorded lab's imported group was not reaped:\n{stderr}\n{left}");
    assert!(!left.contains("imp-own") && !left.contains("imp-two-own"), "{left}\n{stderr}");
    assert!(left.contains("hand-two"), "a group only tags tie to a lab was deleted:\n{stderr}");
}

/// BENCHMARKS.md's row for `command` in "Labs: calls made by `ls` and `reap`": (calls, by
/// service, in the order `-v` prints them).
fn benchmarked(command: &str) -> (u64, String) {
    let doc = std::fs::read_to_string("BENCHMARKS.md").unwrap();
    let row = doc
        .lines()
        .find_map(|l| l.strip_prefix(&format!("| `{command}` | ")))
        .unwrap_or_else(|| panic!("no row for `{command}` in BENCHMARKS.md"));
    let (n, services) = row.split_once(" | ").unwrap();
    (n.parse().unwrap(), services.trim_end_matches(" |").to_string())
}
