//! Every blueprint in blueprints/ against moto: apply, plan again (exit 0), `socform test`,
//! destroy, and an independent boto3 look that finds nothing left. Bootstrap scripts pass
//! `bash -n` and shellcheck.
//!
//! moto has Amazon Linux's public SSM image parameters but not Ubuntu's or Windows', so the
//! copies applied here name `amazon-linux-2023` where a blueprint names `ubuntu-*` or
//! `windows-*` (the README's compatibility table says so); nothing else is changed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{aws_tool, text, Lab, Moto};

fn shellcheck() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/shellcheck");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("shellcheck")
    }
}

#[test]
fn every_bootstrap_script_passes_bash_n_and_shellcheck() {
    let mut seen = 0;
    for entry in std::fs::read_dir("blueprints/scripts").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "sh") {
            continue;
        }
        let out = Command::new("bash").arg("-n").arg(&path).output().unwrap();
        assert!(out.status.success(), "bash -n {}: {}", path.display(), text(&out.stderr));
        let out = Command::new(shellcheck())
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("cannot run shellcheck ({e}): run scripts/test.sh, which installs it"));
        assert!(out.status.success(), "shellcheck {}:\n{}", path.display(), text(&out.stdout));
        seen += 1;
    }
    assert!(seen >= 6, "only {seen} scripts");
}

fn lifecycle(file: &str) {
    lifecycle_with(file, |_| {});
}

/// The lifecycle of one shipped blueprint, with `check` run against the applied lab.
fn lifecycle_with(file: &str, check: impl Fn(&Moto)) {
    let mut lab = Lab::new();
    // A blueprint that looks up the account's trail gets one, made by boto3 as a central
    // team would, before the count of what exists.
    if file == "soc-existing-trail.yaml" {
        aws_tool(&lab.moto, "us-east-1", &["org-trail", "organization-trail", "org-trail-logs"]);
    }
    // What exists before socform runs, listed without trusting tags or names.
    let before = lab.inventory();
    let original = std::fs::read_to_string(Path::new("blueprints").join(file)).unwrap();
    let blueprint_name = original.lines().find_map(|l| l.strip_prefix("blueprint: ")).unwrap().trim().to_string();
    let text_for_moto = original
        .replace("image: ubuntu-22.04", "image: amazon-linux-2023")
        .replace("default: ubuntu-22.04", "default: amazon-linux-2023")
        .replace("image: ubuntu-24.04", "image: amazon-linux-2023")
        .replace("image: windows-2022", "image: amazon-linux-2023");
    lab.bp = PathBuf::from(lab.write(file, &text_for_moto));
    let scripts = lab.dir.path().join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    for s in std::fs::read_dir("blueprints/scripts").unwrap() {
        let s = s.unwrap().path();
        std::fs::copy(&s, scripts.join(s.file_name().unwrap())).unwrap();
    }
    crate::support::copy_tree(Path::new("blueprints/responses"), &lab.dir.path().join("responses"));
    let (moto, state) = (&lab.moto, lab.state_path());
    // One command each, nothing exported by hand: every shipped lab is one-shot.
    let run = |args: &[&str]| lab.cmd(&moto.url(), args).env_remove("FLEET_ENROLLMENT_TOKEN").output().unwrap();
    let out = run(&["apply", "--auto-approve"]);
    assert!(out.status.success(), "{file}: apply failed:\n{}", text(&out.stderr));
    // Refresh through a proxy that counts requests: socform's own count (`-v`) must be what
    // went over the wire, so that the API-economy figures are not socform grading itself.
    let proxy = crate::support::proxy::Proxy::start(moto.port, std::time::Duration::ZERO, Default::default(), 1);
    let out = lab.cmd(&proxy.url(), &["plan", "--detailed-exitcode", "-v"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{file}: plan after apply:\n{}", text(&out.stdout));
    // API economy: refresh calls against resources (BENCHMARKS.md records these lines).
    let err = text(&out.stderr);
    let line = err.lines().find(|l| l.starts_with("refresh: ")).unwrap_or_else(|| panic!("{err}"));
    let calls: usize = line["refresh: ".len()..].split(' ').next().unwrap().parse().unwrap();
    let on_the_wire = proxy.stats.requests.load(std::sync::atomic::Ordering::SeqCst) as usize;
    assert_eq!(calls, on_the_wire, "{file}: socform counted {calls} calls, the proxy saw {on_the_wire}");
    let state_json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let resources = state_json["resources"].as_object().unwrap().len();
    println!("api-economy {file}: {resources} resources, {line}");
    // BENCHMARKS.md's row for this blueprint is this run's: its resources and its calls now,
    // service by service.
    let row = refresh_row(file);
    assert_eq!(row[1], resources.to_string(), "{file}: BENCHMARKS.md's resource count");
    let by_service = |s: &str| -> std::collections::BTreeSet<String> {
        s.split_once('(').unwrap().1.trim_end_matches(')').split(", ").map(str::to_string).collect()
    };
    let measured = line["refresh: ".len()..].replace(" API calls", "");
    assert_eq!(
        (row[5].split(' ').next().unwrap(), by_service(&row[5])),
        (calls.to_string().as_str(), by_service(&measured)),
        "{file}: BENCHMARKS.md's refresh calls now, measured by this test: {line}"
    );
    if file == "soc-reference.yaml" {
        assert!(
            calls * 2 <= resources,
            "{calls} refresh calls for {resources} resources: the target is one call per two"
        );
    }
    // The ceiling for every blueprint: one call per kind present, three more (STS, the tagging
    // index, one spare), and the reads AWS offers only one resource at a time: five per bucket,
    // two per VPC for its DNS attributes, one per trail for its status and one more for its
    // event selectors when it has some, one per topic whose policy socform set, the Config
    // recorder's status, one per EventBridge rule for its targets, one per function with
    // permissions for its policy, the GuardDuty detector's settings, one per dashboard for its
    // body. Tags of topics, alarms, rules, functions and the hub are read only for what state
    // does not know. A family the blueprint does not use costs nothing.
    // What the blueprint uses and does not own (a lookup, a singleton the account has) is in
    // no state record: three calls each at most (its kind's listing, and for a log group
    // found through a trail, GetTrail and DescribeLogGroups).
    let plan = lab.cmd(&moto.url(), &["plan", "--format", "json"]).output().unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let uses = plan["changes"].as_array().unwrap().iter().filter(|c| c["action"] == "use").count();
    let records = state_json["resources"].as_object().unwrap();
    let kinds: std::collections::BTreeSet<&str> = records.keys().map(|a| a.split('.').next().unwrap()).collect();
    let count = |kind: &str| records.keys().filter(|a| a.starts_with(&format!("{kind}."))).count();
    let with = |kind: &str, attr: &str| {
        records
            .iter()
            .filter(|(a, r)| {
                a.starts_with(&format!("{kind}."))
                    && r["attributes"].get(attr).is_some_and(|v| !v.is_null() && v != &serde_json::json!([]))
            })
            .count()
    };
    let ceiling = kinds.len()
        + 3
        + 5 * count("s3_bucket")
        + 2 * count("vpc")
        + count("trail")
        + with("trail", "exclude_management_event_sources")
        + with("trail", "s3_data_events")
        + with("s3_bucket", "access_log_bucket")
        // DescribeKey, GetKeyPolicy, GetKeyRotationStatus and ListResourceTags for each key of
        // the state's, and a ListResourceTags for another the account has (moto's aws/ebs).
        + 5 * count("kms_key")
        + with("sns_topic", "policy")
        + count("config_recorder")
        + count("event_rule")
        + count("lambda_permission")
        + count("guardduty_detector")
        + count("dashboard")
        + 3 * uses;
    assert!(calls <= ceiling, "{file}: {calls} refresh calls, more than {ceiling}: {line}");
    if !kinds.iter().any(|k| ["vpc", "subnet", "security_group", "instance", "route_table"].contains(k)) {
        assert!(!line.contains("ec2 "), "{file}: no EC2 kind, yet EC2 was listed: {line}");
    }
    let out = run(&["test"]);
    assert!(out.status.success(), "{file}: socform test:\n{}", text(&out.stdout));
    // How to reach what was built: one SSM session command per host, with the id AWS gave.
    let out = lab.socform(&["output", "--format", "json", lab.bp.to_str().unwrap()]);
    let outputs: serde_json::Value = serde_json::from_str(&text(&out.stdout))
        .unwrap_or_else(|e| panic!("{file}: socform output: {e}\n{}", text(&out.stderr)));
    for (address, record) in state_json["resources"].as_object().unwrap() {
        if let Some(host) = address.strip_prefix("instance.") {
            let expected =
                format!("aws ssm start-session --target {} --region us-east-1", record["id"].as_str().unwrap());
            assert_eq!(outputs[format!("connect_{}", host.replace('-', "_"))], expected.as_str(), "{file}: {outputs}");
        }
    }
    check(moto);
    let out = run(&["destroy", "--auto-approve"]);
    assert!(out.status.success(), "{file}: destroy:\n{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("0 resources remain."), "{file}: {}", text(&out.stderr));
    let left = lab.owned(&blueprint_name);
    assert!(left.is_empty(), "{file}: left behind: {left:#?}");
    let after = lab.inventory();
    assert_eq!(after, before, "{file}: left behind: {:?}", after.difference(&before).collect::<Vec<_>>());
}

/// Detections on the trail the account has (issue 30): the trail and its log group are
/// looked up, never touched (boto3 reads both unchanged after apply), and the filters hang on
/// that log group; destroy removes the filters and leaves the group (the lifecycle's
/// inventory).
#[test]
fn blueprint_soc_existing_trail() {
    lifecycle_with("soc-existing-trail.yaml", |moto| {
        let seen = aws_tool(moto, "us-east-1", &["trail-settings", "organization-trail", "org-trail-logs"]);
        let seen: serde_json::Value = serde_json::from_str(&seen).unwrap();
        assert_eq!(seen["group"][0]["retentionInDays"], 365, "{seen:#}");
        assert_eq!(seen["filters"], 19, "{seen:#}");
        assert!(seen["trail"]["CloudWatchLogsLogGroupArn"].as_str().unwrap().contains(":log-group:org-trail-logs"));
    });
}

#[test]
fn blueprint_elastic_fleet_osticket() {
    lifecycle("elastic-fleet-osticket.yaml");
}

#[test]
fn blueprint_wazuh_segmented_vpc() {
    // The response phase, read with boto3: the rule answers the calls that open a group, its
    // target is the function, the function lets EventBridge invoke it from that rule only,
    // runs as a role Lambda may assume, and is told the SOC's topic; EventBridge's own
    // matcher (TestEventPattern) fires the rule on Stratus Red Team's real "open port 22 to
    // the internet" record.
    lifecycle_with("wazuh-segmented-vpc.yaml", |moto| {
        let r: serde_json::Value = serde_json::from_str(&aws_tool(moto, "us-east-1", &["responses"])).unwrap();
        let name = "wazuh-segmented-vpc-close-world-open-admin-port";
        let rule = &r["rules"][name];
        assert_eq!(rule["state"], "ENABLED", "{r:#}");
        assert_eq!(
            rule["pattern"]["detail"]["eventName"],
            serde_json::json!(["AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules"])
        );
        let function = &r["functions"][name];
        let targets: Vec<&str> =
            rule["targets"].as_array().unwrap().iter().map(|t| t["Arn"].as_str().unwrap()).collect();
        assert!(targets.contains(&function["arn"].as_str().unwrap()), "{targets:?}");
        assert!(targets.iter().any(|t| t.ends_with(":wazuh-segmented-vpc-soc")), "{targets:?}");
        let st = &function["policy"]["Statement"][0];
        assert_eq!(st["Principal"]["Service"], "events.amazonaws.com", "{st}");
        assert_eq!(st["Action"], "lambda:InvokeFunction", "{st}");
        assert_eq!(st["Condition"]["ArnLike"]["AWS:SourceArn"], rule["arn"], "{st}");
        assert_eq!(function["handler"], "handler.lambda_handler");
        assert!(function["environment"]["TOPIC_ARN"].as_str().unwrap().ends_with(":wazuh-segmented-vpc-soc"));
        let role = function["role"].as_str().unwrap().rsplit('/').next().unwrap();
        let trust = aws_tool(moto, "us-east-1", &["role-trust", role]);
        assert!(trust.contains("lambda.amazonaws.com"), "{trust}");
        // Issue 23: AWSLambdaBasicExecutionRole let the response write to any log group,
        // the trail's among them. Its log rights name its own group, and no other.
        assert_eq!(aws_tool(moto, "us-east-1", &["role-policies", role]).trim(), "[]");
        let inline: serde_json::Value =
            serde_json::from_str(&aws_tool(moto, "us-east-1", &["role-inline", role])).unwrap();
        let own = format!("log-group:/aws/lambda/{name}");
        let mut log_statements = 0;
        for doc in inline.as_object().unwrap().values() {
            for st in doc["Statement"].as_array().unwrap() {
                let actions = st["Action"].to_string();
                if actions.contains("logs:") {
                    log_statements += 1;
                    let resource = st["Resource"].as_str().unwrap();
                    let group = format!("arn:aws:logs:us-east-1:123456789012:{own}");
                    assert!(resource == group || resource == format!("{group}:*"), "{st}");
                }
            }
        }
        assert_eq!(log_statements, 2, "{inline}");
        let policy = aws_tool(moto, "us-east-1", &["topic-policy", "wazuh-segmented-vpc-soc"]);
        assert!(policy.contains("events.amazonaws.com"), "EventBridge may not publish to the SOC's topic: {policy}");
        let cases: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string("tests/fixtures/cloudtrail/stratus.json").unwrap()).unwrap();
        let record = cases
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["event"])
            .find(|e| e["eventName"] == "AuthorizeSecurityGroupIngress")
            .unwrap();
        let event = serde_json::json!({
            "version": "0", "id": "1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
            "account": "123456789012", "time": "2024-08-01T12:23:55Z", "region": "us-east-1",
            "resources": [], "detail": record,
        });
        let fires = aws_tool(moto, "us-east-1", &["test-pattern", &rule["pattern"].to_string(), &event.to_string()]);
        assert_eq!(fires.trim(), "true", "the rule does not fire on the real event");
        let mut quiet = event.clone();
        quiet["detail"]["eventName"] = "DescribeSecurityGroups".into();
        let fires = aws_tool(moto, "us-east-1", &["test-pattern", &rule["pattern"].to_string(), &quiet.to_string()]);
        assert_eq!(fires.trim(), "false", "the rule fires on a read");
    });
}

#[test]
fn blueprint_cloudtrail_alarms() {
    lifecycle("cloudtrail-alarms.yaml");
}

#[test]
fn blueprint_config_compliance() {
    lifecycle("config-compliance.yaml");
}

#[test]
fn blueprint_secret_access_alert() {
    lifecycle("secret-access-alert.yaml");
}

#[test]
fn blueprint_soc_reference() {
    // Every catalog entry (the CIS controls, the seeds' and the `stratus` pack) reached AWS
    // with its pattern, each alarm notifies the topic its severity routes to and carries the
    // analyst's next step (read with boto3).
    lifecycle_with("soc-reference.yaml", |moto| {
        use socform::detect::catalog::CATALOG;
        let filters: std::collections::BTreeMap<String, String> =
            serde_json::from_str(&aws_tool(moto, "us-east-1", &["filters"])).unwrap();
        for entry in CATALOG {
            let name = format!("soc-reference-{}", entry.name);
            assert_eq!(filters.get(&name).map(String::as_str), Some(entry.pattern), "{}", entry.id);
        }
        let alarms: std::collections::BTreeMap<String, Vec<String>> =
            serde_json::from_str(&aws_tool(moto, "us-east-1", &["alarms"])).unwrap();
        assert_eq!(alarms.len(), CATALOG.len(), "{alarms:?}");
        let critical = &alarms["soc-reference-root-account-usage"];
        assert!(critical.len() == 1 && critical[0].ends_with(":soc-reference-critical"), "{critical:?}");
        // The pack routes by severity: a low entry to the routine topic, a high one paged.
        let routed = |name: &str, topic: &str| {
            let a = &alarms[&format!("soc-reference-{name}")];
            assert!(a.len() == 1 && a[0].ends_with(&format!(":soc-reference-{topic}")), "{name}: {a:?}");
        };
        routed("ssm-session-started", "routine");
        routed("ec2-ssh-key-pushed", "high");
        routed("ssm-command-sent", "routine");
        let descriptions: std::collections::BTreeMap<String, Option<String>> =
            serde_json::from_str(&aws_tool(moto, "us-east-1", &["alarm-descriptions"])).unwrap();
        for entry in CATALOG {
            let d = descriptions[&format!("soc-reference-{}", entry.name)].clone().unwrap_or_default();
            assert!(d.ends_with(&format!("Next: {}", entry.next)), "{}: {d}", entry.id);
        }
        // The managed detectors and the dashboard, read with boto3.
        let r: serde_json::Value = serde_json::from_str(&aws_tool(moto, "us-east-1", &["responses"])).unwrap();
        let detectors = r["detectors"].as_object().unwrap();
        assert_eq!(detectors.len(), 1, "{r:#}");
        let d = detectors.values().next().unwrap();
        assert_eq!((d["status"].as_str(), d["frequency"].as_str()), (Some("ENABLED"), Some("FIFTEEN_MINUTES")));
        let gd = &r["rules"]["soc-reference-guardduty-findings"];
        assert_eq!(gd["pattern"]["source"], serde_json::json!(["aws.guardduty"]));
        assert_eq!(gd["pattern"]["detail"]["severity"], serde_json::json!([{"numeric": [">=", 7.0]}]));
        assert!(gd["targets"][0]["Arn"].as_str().unwrap().ends_with(":soc-reference-high"), "{gd:#}");
        assert!(r["hub"].as_str().is_some_and(|h| h.contains(":hub/")), "Security Hub is not enabled: {r:#}");
        let sh = &r["rules"]["soc-reference-securityhub-findings"];
        assert_eq!(sh["pattern"]["detail"]["findings"]["Severity"]["Label"], serde_json::json!(["HIGH", "CRITICAL"]));
        let config = &r["rules"]["soc-reference-config-noncompliant"];
        assert_eq!(config["pattern"]["detail"]["configRuleName"].as_array().unwrap().len(), 4, "{config:#}");
        let widgets = r["dashboards"]["soc-reference-detections"]["widgets"].as_array().unwrap();
        let metrics = widgets.iter().filter(|w| w["type"] == "metric").count();
        assert_eq!(metrics, CATALOG.len(), "one metric widget per detection");
        let alarms_shown: usize = widgets
            .iter()
            .filter(|w| w["type"] == "alarm")
            .map(|w| w["properties"]["alarms"].as_array().unwrap().len())
            .sum();
        assert_eq!(alarms_shown, CATALOG.len(), "every alarm's state is on the dashboard");
    });
}

/// The README's figure is the one `coverage` computes for the reference lab, with and without
/// the pack: a change that loses a technique (or gains one) turns this red until the README
/// says so.
#[test]
fn the_readme_states_the_reference_labs_stratus_coverage() {
    let seen = |vars: &[&str]| {
        let mut args = vec!["coverage", "blueprints/soc-reference.yaml", "--format", "json"];
        for v in vars {
            args.extend(["--var", v]);
        }
        let out = Command::new(env!("CARGO_BIN_EXE_socform")).args(&args).output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let all = c["stratus"].as_array().unwrap();
        (all.iter().filter(|t| !t["detections"].as_array().unwrap().is_empty()).count(), all.len())
    };
    let (with, total) = seen(&[]);
    let (without, _) = seen(&["stratus_detections=false"]);
    let readme = std::fs::read_to_string("README.md").unwrap();
    let claim = format!("**The reference lab sees {with} of {total} Stratus Red Team AWS techniques** ({without} of {total} without the\npack;");
    assert!(readme.contains(&claim), "README.md should say: {claim}");
    assert!(with * 10 >= total * 9, "the reference lab sees {with} of {total}: the target is nine in ten");
}

#[test]
fn every_blueprint_has_a_lifecycle_test() {
    let src = std::fs::read_to_string("tests/it/blueprints.rs").unwrap();
    // A blueprint across accounts has its own, with an organization (tests/it/organization.rs).
    let organization = std::fs::read_to_string("tests/it/organization.rs").unwrap();
    for entry in std::fs::read_dir("blueprints").unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".yaml") {
            assert!(
                src.contains(&format!("lifecycle(\"{name}\")"))
                    || src.contains(&format!("lifecycle_with(\"{name}\""))
                    || organization.contains(&format!(".join(\"blueprints/{name}\")")),
                "no lifecycle test for blueprints/{name}"
            );
        }
    }
}

/// Regression (issue "Terraform-grade workflow"): the IAM statement key `on:` is read as the
/// boolean `true` by YAML 1.1 tools (PyYAML, yamllint), so the shipped blueprints failed
/// validation against `socform schema` outside socform. Every shipped blueprint and example
/// now passes PyYAML + jsonschema; `on:` stays readable by socform itself.
#[test]
fn shipped_blueprints_pass_the_schema_with_yaml_1_1_tools() {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema.json");
    let out = Command::new(assert_cmd::cargo::cargo_bin("socform")).arg("schema").output().unwrap();
    std::fs::write(&schema, &out.stdout).unwrap();
    let mut files: Vec<String> = Vec::new();
    for d in ["blueprints", "examples"] {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                files.push(p.to_str().unwrap().to_string());
            }
        }
    }
    assert!(files.len() >= 9, "{files:?}");
    let out = Command::new(crate::support::python())
        .arg("tests/schema_conformance.py")
        .arg(&schema)
        .args(&files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    // socform itself still reads the old key.
    let old = std::fs::read_to_string("tests/fixtures/every-kind.yaml").unwrap();
    assert!(old.contains("], on: ["), "the fixture keeps the old spelling to prove it is read");
}

/// Issue 31: every shipped blueprint's ATT&CK Navigator layer passes the layer format's schema
/// (checked by Python's jsonschema, not by socform), holds exactly the techniques `coverage`
/// maps, each scored by how many detections see it; `--drill` belongs to the layer alone.
#[test]
fn every_shipped_blueprints_navigator_layer_is_a_valid_layer_of_its_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let socform = || Command::new(assert_cmd::cargo::cargo_bin("socform"));
    let mut layers = vec![];
    let mut expected = serde_json::Map::new();
    for e in std::fs::read_dir("blueprints").unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        let out = socform().args(["coverage", p.to_str().unwrap(), "--format", "navigator"]).output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let file = dir.path().join(format!("{}.json", p.file_stem().unwrap().to_str().unwrap()));
        std::fs::write(&file, &out.stdout).unwrap();
        let coverage = socform().args(["coverage", p.to_str().unwrap(), "--format", "json"]).output().unwrap();
        let coverage: serde_json::Value = serde_json::from_slice(&coverage.stdout).unwrap();
        let scores: serde_json::Map<String, serde_json::Value> = coverage["attack"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(t, ds)| (t.clone(), ds.as_array().unwrap().len().into()))
            .collect();
        expected.insert(file.to_str().unwrap().to_string(), scores.into());
        layers.push(file.to_str().unwrap().to_string());
    }
    assert!(layers.len() >= 6, "{layers:?}");
    let out = Command::new(crate::support::python())
        .args(["tests/navigator_layer.py", "tests/fixtures/navigator/layer-4.5.schema.json"])
        .args(&layers)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen, serde_json::Value::Object(expected));
    assert!(seen.as_object().unwrap().values().any(|l| l.as_object().unwrap().len() > 20), "{seen}");

    let out = socform()
        .args(["coverage", "blueprints/soc-reference.yaml", "--format", "json", "--drill", "x.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("use it with `--format navigator`"), "{}", text(&out.stderr));
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"not\": \"a drill\"}").unwrap();
    let out = socform()
        .args(["coverage", "blueprints/soc-reference.yaml", "--format", "navigator", "--drill", junk.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is not a report saved by `socform drill --format json`"),
        "{}",
        text(&out.stderr)
    );
}

fn topology(blueprint: &str, format: &str) -> String {
    let out = Command::new(assert_cmd::cargo::cargo_bin("socform"))
        .args(["graph", blueprint, "--view", "topology", "--format", format])
        .output()
        .unwrap();
    assert!(out.status.success(), "{blueprint} {format}: {}", text(&out.stderr));
    text(&out.stdout)
}

/// What Python's XML parser sees in an SVG socform drew (tests/svg_check.py).
fn svg_seen(svg: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.svg");
    std::fs::write(&file, svg).unwrap();
    let out = Command::new(crate::support::python()).arg("tests/svg_check.py").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Issue 31: the topology of every shipped blueprint in each format, snapshot-tested; every
/// SVG well-formed to Python's own XML parser, with a node for each host of the blueprint.
#[test]
fn every_shipped_blueprint_draws_its_topology_in_each_format() {
    let mut names = vec![];
    for e in std::fs::read_dir("blueprints").unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "yaml") {
            names.push(p.file_stem().unwrap().to_str().unwrap().to_string());
        }
    }
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for name in &names {
        let bp = format!("blueprints/{name}.yaml");
        for format in ["mermaid", "dot", "svg"] {
            insta::assert_snapshot!(format!("topology_{name}_{format}"), topology(&bp, format));
        }
        let seen = svg_seen(&topology(&bp, "svg"));
        let doc: serde_json::Value = serde_saphyr::from_str(&std::fs::read_to_string(&bp).unwrap()).unwrap();
        let hosts: Vec<String> = doc["hosts"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
        let drawn: Vec<String> = seen["nodes"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(id, _)| id.starts_with("host_"))
            .map(|(_, lines)| lines[0].as_str().unwrap().to_string())
            .collect();
        let (mut a, mut b) = (hosts.clone(), drawn);
        a.sort();
        b.sort();
        assert_eq!(a, b, "{name}: every host of the blueprint, and nothing else, is drawn as a host");
    }
    // The reference lab: its two hosts in their subnets, the agent's edge to the manager
    // labelled with its ports, nothing from the internet, and the telemetry lane whole.
    let seen = svg_seen(&topology("blueprints/soc-reference.yaml", "svg"));
    let edges = seen["edges"].as_array().unwrap();
    let edge = |from: &str, to: &str| edges.iter().find(|e| e["from"] == from && e["to"] == to).cloned();
    assert_eq!(edge("host_agent_host", "host_wazuh_manager").unwrap()["label"], "tcp 1514, 1515");
    assert!(edges.iter().all(|e| e["internet"] == false), "{edges:?}");
    for (from, to) in [
        ("trail_main", "log_group_cloudtrail"),
        ("guardduty_detector_main", "event_rule_guardduty_findings"),
        ("event_rule_guardduty_findings", "sns_topic_high"),
    ] {
        assert!(edge(from, to).is_some(), "{from} -> {to} in {edges:?}");
    }
    let frames: Vec<String> = seen["frames"].as_array().unwrap().iter().map(|f| f["label"][0].to_string()).collect();
    for f in ["\"soc-a\"", "\"workload-a\"", "\"VPC main\"", "\"region us-east-1\"", "\"telemetry\""] {
        assert!(frames.iter().any(|x| x == f), "{f} in {frames:?}");
    }
    // 41 detections, grouped by the topic their alarm notifies.
    let counted: u64 = seen["nodes"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(id, _)| id.starts_with("detections_"))
        .map(|(_, l)| l[0].as_str().unwrap().split(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(counted, 41);
}

/// Issue 31, attacked: a blueprint that opens SSH to the world as two /9 halves of one public
/// /8 (neither half is the internet, together they are). The internet's edges are red in
/// every format. (Names reach no label unchecked: the blueprint's names are refused outside
/// `[a-z0-9_-]`; each format's escaper is unit-tested in render::topology and render::xml.)
#[test]
fn the_internet_is_drawn_red_however_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let bp = dir.path().join("hostile.yaml");
    std::fs::write(
        &bp,
        r##"
blueprint: hostile
region: us-east-1
network:
  vpc: { cidr: 10.9.0.0/16 }
  subnets:
    dmz: { cidr: 10.9.0.0/24, az: us-east-1a, public: true }
    inside: { cidr: 10.9.1.0/24, az: us-east-1a }
security_groups:
  bastion:
    description: halves
    ingress:
      - { protocol: tcp, ports: 22, from: 11.0.0.0/9 }
      - { protocol: tcp, ports: 22, from: 11.128.0.0/9 }
  office:
    description: one office
    ingress:
      - { protocol: tcp, ports: 443, from: 11.0.0.0/9 }
hosts:
  jump: { subnet: dmz, security_groups: [bastion], instance_type: t3.micro, image: ami-0123456789abcdef0 }
  intranet: { subnet: inside, security_groups: [office], instance_type: t3.micro, image: ami-0123456789abcdef0 }
trail:
  name: hostile
  bucket: { name: "hostile-trail-${aws.account_id}" }
  cloudwatch_logs: { log_group: hostile-trail, retention_days: 7 }
"##,
    )
    .unwrap();
    let bp = bp.to_str().unwrap();

    let seen = svg_seen(&topology(bp, "svg"));
    let edges = seen["edges"].as_array().unwrap();
    let into = |host: &str| edges.iter().filter(|e| e["to"] == host).cloned().collect::<Vec<_>>();
    let jump = into("host_jump");
    assert_eq!(jump.len(), 1, "{jump:?}");
    assert_eq!(jump[0]["from"], "internet");
    assert_eq!(jump[0]["stroke"], "#d00000");
    assert_eq!(jump[0]["marker"], "url(#arrow-red)");
    assert_eq!(jump[0]["label"], "tcp 22");
    // The same /9 alone, into a host nothing else opens: an address block, not the internet.
    let intranet = into("host_intranet");
    assert_eq!(intranet.len(), 1, "{intranet:?}");
    assert_eq!(intranet[0]["from"], "net_11_0_0_0_9");
    assert_eq!(intranet[0]["internet"], false);
    assert_eq!(seen["nodes"]["internet"], serde_json::json!(["internet", "11.0.0.0/9", "11.128.0.0/9"]));

    let mermaid = topology(bp, "mermaid");
    let red = mermaid.lines().find(|l| l.starts_with("  linkStyle ")).expect("a linkStyle for the red edges");
    let links: Vec<&str> = mermaid.lines().filter(|l| l.contains(" --> ") || l.contains(" -->|")).collect();
    let index = links.iter().position(|l| l.starts_with("  internet -->")).unwrap();
    assert_eq!(red, format!("  linkStyle {index} stroke:#d00000,stroke-width:2px,color:#d00000"));
    let dot = topology(bp, "dot");
    assert!(dot.contains("internet -> host_jump [label=\"tcp 22\", color=\"#d00000\""), "{dot}");
    // A format the view has not: said, nothing drawn.
    for args in [&["graph", bp, "--format", "svg"][..], &["graph", bp, "--view", "topology", "--format", "text"]] {
        let out = Command::new(assert_cmd::cargo::cargo_bin("socform")).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        assert!(text(&out.stderr).contains("dependencies are text or dot, the topology mermaid, dot or svg"));
    }
}

/// The README's picture of the reference lab is what `graph --view topology --format svg`
/// draws today (regenerate: `socform graph blueprints/soc-reference.yaml --view topology
/// --format svg > docs/soc-reference-topology.svg`).
#[test]
fn the_readmes_picture_of_the_reference_lab_is_current() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(readme.contains("](docs/soc-reference-topology.svg)"), "the README shows the picture");
    assert_eq!(
        std::fs::read_to_string("docs/soc-reference-topology.svg").unwrap(),
        topology("blueprints/soc-reference.yaml", "svg")
    );
}

/// Issue 24: two runs of scripts/test.sh (or the demo) that build into one target directory
/// overwrote each other's binaries mid-run. `lock_target` holds a lock for the whole run: a
/// second run waits, says for whom, and goes on when the first ends.
#[test]
fn a_second_run_into_the_same_target_directory_waits_for_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let run = |script: &str, log: &str| {
        std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(". scripts/tools.sh; export CARGO_TARGET_DIR={d}/target; lock_target; {script}"))
            .stdout(std::fs::File::create(dir.path().join(log)).unwrap())
            .spawn()
            .unwrap()
    };
    let wait_for = |what: &dyn Fn() -> bool| {
        let start = std::time::Instant::now();
        while !what() {
            assert!(start.elapsed() < std::time::Duration::from_secs(60), "timed out");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    let exists = |f: &str| dir.path().join(f).exists();
    let mut first = run(&format!("touch {d}/held; n=0; while [ ! -e {d}/release ] && [ -e {d}/held ] && [ $n -lt 3000 ]; do sleep 0.02; n=$((n + 1)); done"), "first.log");
    wait_for(&|| exists("held"));
    let mut second = run(&format!("touch {d}/second"), "second.log");
    let said = || std::fs::read_to_string(dir.path().join("second.log")).unwrap_or_default();
    wait_for(&|| said().contains("==> waiting for another run that builds into"));
    assert!(said().contains(&format!("pid {} in ", first.id())), "the waiting run names the holder: {}", said());
    assert!(!exists("second"), "the second run went on while the first held the target directory");
    std::fs::write(dir.path().join("release"), "").unwrap();
    assert!(first.wait().unwrap().success());
    assert!(second.wait().unwrap().success());
    assert!(exists("second"));
}

/// The cells of BENCHMARKS.md's row for `file` in "API economy: refresh calls per blueprint".
fn refresh_row(file: &str) -> Vec<String> {
    let doc = std::fs::read_to_string("BENCHMARKS.md").unwrap();
    let section = doc.split("## API economy: refresh calls per blueprint").nth(1).expect("the API economy section");
    section
        .lines()
        .find(|l| l.starts_with(&format!("| {file} |")))
        .unwrap_or_else(|| panic!("no row for {file} in BENCHMARKS.md's API economy table"))
        .trim_matches('|')
        .split(" | ")
        .map(|c| c.trim().to_string())
        .collect()
}
