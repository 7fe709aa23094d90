//! The command line end to end: exit codes, stdout and stderr, snapshot-tested (insta) with
//! temporary paths filtered out. None of these talk to AWS.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

fn socform() -> Command {
    let mut c = Command::cargo_bin("socform").unwrap();
    c.env("NO_COLOR", "1").env_remove("AWS_ENDPOINT_URL").env_remove("AWS_PROFILE");
    c
}

fn run(args: &[&str]) -> Output {
    socform().args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A snapshot of the exit code, stdout and stderr, with temporary paths replaced.
fn transcript(out: &Output, tmp: Option<&Path>) -> String {
    let mut s = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr)
    );
    if let Some(t) = tmp {
        s = s.replace(&t.display().to_string(), "[TMP]");
    }
    s
}

#[test]
fn validate_accepts_a_good_blueprint() {
    let out = run(&["validate", "blueprints/wazuh-segmented-vpc.yaml"]);
    insta::assert_snapshot!(transcript(&out, None));
}

#[test]
fn validate_rejects_a_broken_blueprint_with_every_problem() {
    let out = run(&["validate", "tests/fixtures/broken.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.ends_with("17 problems found\n"), "{err}");
    assert!(err.contains("[tests/fixtures/broken.yaml:12:5]"), "{err}");
}

#[test]
fn validate_json_lists_located_diagnostics() {
    let out = run(&["validate", "--format", "json", "tests/fixtures/broken.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    let first = &v["diagnostics"][0];
    assert_eq!(first["file"], "tests/fixtures/broken.yaml");
    assert_eq!((first["line"].as_u64(), first["column"].as_u64()), (Some(7), Some(16)));
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 17);
}

#[test]
fn plan_on_empty_state_creates_everything_in_three_formats() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let state = state.to_str().unwrap();
    for format in ["human", "json", "markdown"] {
        let out =
            run(&["plan", "examples/root-usage-alert.yaml", "--refresh=false", "--state", state, "--format", format]);
        insta::assert_snapshot!(format!("plan_{format}"), transcript(&out, Some(dir.path())));
    }
    let out = run(&["plan", "examples/root-usage-alert.yaml", "--refresh=false", "--state", state, "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes = plan["changes"].as_array().unwrap();
    assert!(changes.iter().all(|c| c["action"] == "create"));
    assert_eq!(plan["summary"]["create"].as_u64(), Some(changes.len() as u64));
    // Ordering respects the graph.
    let pos = |a: &str| changes.iter().position(|c| c["address"] == a).unwrap();
    for c in changes {
        for d in c["depends_on"].as_array().unwrap() {
            assert!(pos(d.as_str().unwrap()) < pos(c["address"].as_str().unwrap()));
        }
    }
}

#[test]
fn detailed_exitcode_says_whether_there_are_changes() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let out = run(&[
        "plan",
        "examples/root-usage-alert.yaml",
        "--refresh=false",
        "--detailed-exitcode",
        "--state",
        state.to_str().unwrap(),
        "-q",
    ]);
    // Changes, none a broadening: the trail's delivery role is socform's own (its grants are
    // not the blueprint's choice, so not a finding; they used to make this exit 3).
    assert_eq!(out.status.code(), Some(2));
    let state_str = state.to_str().unwrap();
    let out = run(&[
        "plan",
        "examples/segmented-network.yaml",
        "--refresh=false",
        "--detailed-exitcode",
        "--state",
        state_str,
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(3), "new ingress rules and the flow-log role");
    let dir2 = tempfile::tempdir().unwrap();
    let bp = dir2.path().join("quiet.yaml");
    std::fs::write(&bp, "blueprint: quiet\nregion: us-east-1\nlog_groups: { app: { retention_days: 90 } }\n").unwrap();
    let s2 = dir2.path().join("s.json");
    let out = run(&[
        "plan",
        bp.to_str().unwrap(),
        "--refresh=false",
        "--detailed-exitcode",
        "--state",
        s2.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(2), "changes, none of them a security concern");
    let out =
        run(&["plan", "examples/root-usage-alert.yaml", "--refresh=false", "--state", state.to_str().unwrap(), "-q"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_saved_plan_is_private_and_refused_once_the_blueprint_changes() {
    let dir = tempfile::tempdir().unwrap();
    let bp = dir.path().join("lab.yaml");
    std::fs::copy("examples/segmented-network.yaml", &bp).unwrap();
    let state = dir.path().join("lab.json");
    let planfile = dir.path().join("lab.plan");
    let args = |extra: &[&str]| {
        let mut v = vec!["--state".to_string(), state.display().to_string()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let out = socform()
        .args(args(&["plan", bp.to_str().unwrap(), "--refresh=false", "--out", planfile.to_str().unwrap(), "-q"]))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&planfile).unwrap().permissions().mode() & 0o777, 0o600);

    // Unchanged: the plan is accepted and apply goes on to talk to AWS (here an endpoint
    // where nothing listens, so it fails there and not on the plan), before any write.
    let out = socform()
        .args(args(&["apply", planfile.to_str().unwrap(), "--endpoint-url", "http://127.0.0.1:9"]))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(!err.contains("stale") && err.contains("cannot reach the endpoint http://127.0.0.1:9"), "{err}");

    // Changed: refused as stale.
    let changed = std::fs::read_to_string(&bp).unwrap().replace("retention_days: 14", "retention_days: 30");
    std::fs::write(&bp, changed).unwrap();
    let out = socform().args(args(&["apply", planfile.to_str().unwrap()])).output().unwrap();
    insta::assert_snapshot!(transcript(&out, Some(dir.path())));
}

#[test]
fn graph_text_and_dot() {
    let out = run(&["graph", "examples/segmented-network.yaml"]);
    insta::assert_snapshot!(transcript(&out, None));
    let out = run(&["graph", "examples/segmented-network.yaml", "--format", "dot"]);
    assert!(out.status.success());
    let dot = text(&out.stdout);
    assert!(dot.starts_with("digraph socform {"));
    assert!(dot.contains("\"security_group_rule.app:ingress:tcp:8080:sg.web\" -> \"security_group.web\";"), "{dot}");
}

#[test]
fn schema_describes_every_top_level_section() {
    let out = run(&["schema"]);
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let props: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    for key in [
        "blueprint",
        "region",
        "network",
        "security_groups",
        "iam",
        "buckets",
        "trail",
        "log_groups",
        "detections",
        "notifications",
        "parameters",
        "secrets",
        "config",
        "hosts",
    ] {
        assert!(props.iter().any(|p| *p == key), "schema lacks `{key}`: {props:?}");
    }
}

#[test]
fn a_held_lock_is_refused_naming_its_holder_and_can_be_broken() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("lab.json");
    let lock = serde_json::json!({
        "id": "5b8f5c1e-0000-4000-8000-000000000001", "operation": "apply", "who": "alice",
        "host": "ci-runner-7", "pid": 4242, "created": "2026-11-21T10:00:00Z"
    });
    std::fs::write(dir.path().join("lab.json.lock"), lock.to_string()).unwrap();
    let s = state.to_str().unwrap();
    let out = run(&[
        "apply",
        "examples/segmented-network.yaml",
        "--state",
        s,
        "--auto-approve",
        "--endpoint-url",
        "http://127.0.0.1:9",
    ]);
    insta::assert_snapshot!(transcript(&out, Some(dir.path())));
    let out = run(&["state", "unlock", "wrong-id", "--state", s]);
    assert_eq!(out.status.code(), Some(1));
    assert!(dir.path().join("lab.json.lock").exists());
    let out = run(&["state", "unlock", "5b8f5c1e-0000-4000-8000-000000000001", "--state", s]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!dir.path().join("lab.json.lock").exists());
}

#[test]
fn state_show_masks_sensitive_values() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("lab.json");
    let record = serde_json::json!({
        "format_version": 1, "lineage": "l", "serial": 3, "blueprint": "lab", "region": "us-east-1",
        "resources": {
            "secret.db": {"kind": "secret", "id": "arn:aws:secretsmanager:us-east-1:1:secret:db",
                "attributes": {"name": "lab-db", "value": {"from_env": {"variable": "DB", "sha256": "abc123"}}},
                "outputs": {"arn": "arn:aws:secretsmanager:us-east-1:1:secret:db"}, "dependencies": []},
            "vpc.main": {"kind": "vpc", "id": "vpc-1", "attributes": {"cidr_block": "10.0.0.0/16"}, "outputs": {}, "dependencies": []}
        }
    });
    std::fs::write(&state, record.to_string()).unwrap();
    let s = state.to_str().unwrap();
    let out = run(&["state", "list", "--state", s]);
    assert_eq!(text(&out.stdout), "vpc.main\tvpc-1\nsecret.db\tarn:aws:secretsmanager:us-east-1:1:secret:db\n");
    let out = run(&["state", "show", "secret.db", "--state", s]);
    let shown = text(&out.stdout);
    assert!(shown.contains("(sensitive)") && !shown.contains("abc123"), "{shown}");
}

#[test]
fn test_runs_every_detection_against_its_samples() {
    let out = run(&["test", "blueprints/cloudtrail-alarms.yaml"]);
    insta::assert_snapshot!(transcript(&out, None));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn test_exits_1_when_a_sample_goes_the_wrong_way() {
    let dir = tempfile::tempdir().unwrap();
    let bp = dir.path().join("bad.yaml");
    std::fs::write(
        &bp,
        r#"blueprint: bad
region: us-east-1
log_groups: { app: {} }
detections:
  - name: secret-read
    log_group: app
    pattern: '{ $.eventName = "GetSecretValue" }'
    samples:
      match: ['{"eventName":"ListSecrets"}']
      no_match: ['{"eventName":"GetSecretValue"}']
  - use: cis/4.3
    log_group: app
"#,
    )
    .unwrap();
    let out = run(&["test", bp.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("should match but does not: {\"eventName\":\"ListSecrets\"}"), "{stdout}");
    assert!(stdout.contains("should not match but does: {\"eventName\":\"GetSecretValue\"}"), "{stdout}");
    let root = stdout.lines().find(|l| l.starts_with("root-account-usage")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(root.contains("cis/4.3") && root.contains("3/3") && root.ends_with("ok"), "{root}");
    assert!(stdout.ends_with("detections: 1 passed, 1 failed\n"), "{stdout}");
}

#[test]
fn test_filter_answers_like_test_metric_filter() {
    let out = run(&[
        "test-filter",
        "--pattern",
        "[ip, user, ..., status_code = 4*, bytes]",
        "10.0.0.1 - 404 12",
        "10.0.0.2 - 200 9",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"matches": [{"eventNumber": 1, "eventMessage": "10.0.0.1 - 404 12",
            "extractedValues": {"$ip": "10.0.0.1", "$user": "-", "$status_code": "404", "$bytes": "12"}}]})
    );
    let out = socform()
        .args(["test-filter", "--pattern", "ERROR -DEBUG"])
        .write_stdin("ERROR one\nDEBUG ERROR two\ninfo\n")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["matches"].as_array().unwrap().len(), 1);
    assert_eq!(v["matches"][0]["eventNumber"], 1);
    let out = run(&["test-filter", "--pattern", "{ $.a = }", "{}"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("column 9"), "{}", text(&out.stderr));
}

#[test]
fn a_bad_pattern_or_catalog_entry_is_a_located_validation_error() {
    let dir = tempfile::tempdir().unwrap();
    let bp = dir.path().join("bad.yaml");
    std::fs::write(
        &bp,
        "blueprint: bad\nregion: us-east-1\nlog_groups: { app: {} }\ndetections:\n  - name: x\n    log_group: app\n    pattern: '{ $.eventName = }'\n  - use: cis/4.33\n    log_group: app\n",
    )
    .unwrap();
    let out = run(&["validate", bp.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr).replace(&dir.path().display().to_string(), "[TMP]");
    insta::assert_snapshot!(err);
}

#[test]
fn coverage_lists_cis_controls_and_techniques() {
    let out = run(&["coverage", "blueprints/cloudtrail-alarms.yaml"]);
    insta::assert_snapshot!(transcript(&out, None));
    let out = run(&["coverage", "blueprints/cloudtrail-alarms.yaml", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cis"].as_array().unwrap().len(), 15);
    let out = run(&["coverage", "blueprints/cloudtrail-alarms.yaml", "--format", "markdown"]);
    assert!(text(&out.stdout).starts_with("### socform coverage: `cloudtrail-alarms`"));
}

/// Regression (issue "Ownership and safety"): a blueprint under review pulled any file into
/// `plan`/`diff` output, the pull-request comment of a CI job that holds credentials. Every
/// escape is refused, located, in one run, and no output holds the file's content.
#[test]
fn files_a_blueprint_names_stay_inside_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("lab");
    std::fs::create_dir_all(lab.join("scripts")).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "TOP-SECRET-VALUE\n").unwrap();
    std::fs::write(lab.join("scripts/ok.sh"), "#!/bin/sh\necho hi\n").unwrap();
    std::os::unix::fs::symlink("../../secret.txt", lab.join("scripts/link.sh")).unwrap();
    // Issue 23: a CI checkout's token in .git/config, a FIFO (hung validate), a hard link to
    // a file outside, and a link to a target that does not exist (whose error said so).
    std::fs::create_dir_all(lab.join(".git")).unwrap();
    std::fs::write(lab.join(".git/config"), "[http] extraheader = AUTHORIZATION: basic TOP-SECRET-VALUE\n").unwrap();
    std::process::Command::new("mkfifo").arg(lab.join("scripts/fifo")).status().unwrap();
    std::fs::hard_link(dir.path().join("secret.txt"), lab.join("scripts/hard.sh")).unwrap();
    std::os::unix::fs::symlink("../../no-such-file", lab.join("scripts/dangling.sh")).unwrap();
    std::os::unix::fs::symlink("../.git/config", lab.join("scripts/to-git.sh")).unwrap();
    let host = |name: &str, file: &str| {
        format!("  {name}: {{ subnet: a, security_groups: [h], instance_type: t3.micro, image: amazon-linux-2023, user_data: {file} }}\n")
    };
    let mut bp = String::from(
        "blueprint: escape\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.0.0.0/16 }\n  subnets:\n    a: { cidr: 10.0.0.0/24, az: us-east-1a }\nsecurity_groups:\n  h: { egress: [] }\nhosts:\n",
    );
    for (name, file) in [
        ("ok", "scripts/ok.sh"),
        ("dotdot", "../secret.txt"),
        ("environ", "/proc/self/environ"),
        ("link", "scripts/link.sh"),
        ("zero", "/dev/zero"),
        ("folder", "scripts"),
        ("git", ".git/config"),
        ("fifo", "scripts/fifo"),
        ("hard", "scripts/hard.sh"),
        ("dangling", "scripts/dangling.sh"),
        ("togit", "scripts/to-git.sh"),
    ] {
        bp.push_str(&host(name, file));
    }
    let path = lab.join("bp.yaml");
    std::fs::write(&path, &bp).unwrap();
    let p = path.to_str().unwrap();
    let state = dir.path().join("state.json");
    for args in [
        vec!["validate", p],
        vec!["plan", p, "--refresh=false", "--format", "markdown", "--state", state.to_str().unwrap()],
        vec!["diff", p, p, "--format", "markdown"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains("TOP-SECRET-VALUE") && !all.contains("PATH="), "{args:?} leaked a file:\n{all}");
        for (line, expected) in [
            (11, "`../secret.txt` is outside the blueprint's folder"),
            (12, "`/proc/self/environ` is outside the blueprint's folder"),
            (13, "`scripts/link.sh` is missing or links out of the blueprint's folder"),
            (14, "`/dev/zero` is outside the blueprint's folder"),
            (15, "`scripts` is not a regular file"),
            (16, "`.git/config` is a hidden file or lies in a hidden folder"),
            (17, "`scripts/fifo` is not a regular file"),
            (18, "`scripts/hard.sh` has other names (hard links)"),
            // The same words as for a link to a file that exists: nothing said of what is outside.
            (19, "`scripts/dangling.sh` is missing or links out of the blueprint's folder"),
            (20, "`scripts/to-git.sh` leads to a hidden file or folder"),
        ] {
            assert!(all.contains(expected), "{args:?}: missing {expected}:\n{all}");
            assert!(all.contains(&format!("bp.yaml:{line}:")), "{args:?}: not located at line {line}:\n{all}");
        }
    }
    // The blueprint itself: a device is refused at once, not read until memory runs out.
    let out = run(&["validate", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is not a regular file"));
}

/// `lint` through the binary: exit 1 on an unsuppressed error or warning, 0 on the clean
/// reference blueprint, and SARIF whose every result points at the line of the resource at
/// fault in the file (not a made-up location).
#[test]
fn lint_from_the_command_line_exits_by_severity_and_locates_sarif_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lint.yaml");
    let text = "blueprint: lint-cli\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.80.0.0/16 }\nsecurity_groups:\n  admin:\n    ingress:\n      - { protocol: tcp, ports: 22, from: 0.0.0.0/0 }\nbuckets:\n  loose: { public_access_block: false }\n";
    std::fs::write(&path, text).unwrap();
    let p = path.to_str().unwrap();
    let out = run(&["lint", p]);
    assert_eq!(out.status.code(), Some(1), "{}", text_of(&out));
    let out = run(&["lint", p, "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let line_of = |rule: &str| -> Vec<i64> {
        results
            .iter()
            .filter(|r| r["ruleId"] == rule)
            .map(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].as_i64().unwrap())
            .collect()
    };
    // SSH open to the internet: the rule's line; the public bucket: the bucket's line.
    assert_eq!(line_of("SOC001"), [8], "{sarif}");
    assert_eq!(line_of("SOC004"), [10], "{sarif}");
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.ends_with("lint.yaml"), "{uri}");
    }
    let out = run(&["lint", "blueprints/soc-reference.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
}

fn text_of(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// SDK failures without an AWS error code are sentences a person can act on, never the
/// SDK's Debug dump: an endpoint that refuses the connection, and no credentials at all.
#[test]
fn unreachable_endpoints_and_missing_credentials_are_said_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let args = [
        "plan",
        "tests/fixtures/every-kind.yaml",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--state",
        state.to_str().unwrap(),
    ];
    let out = socform()
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot reach the endpoint http://127.0.0.1:9: connection refused"), "{err}");
    assert!(!err.contains("DispatchFailure(") && !err.contains("ConnectorError"), "{err}");
    // At once, with the SDK's default five attempts: not after its retries (7.5 s measured
    // before the check).
    let start = std::time::Instant::now();
    let out = socform()
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_MAX_ATTEMPTS")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(start.elapsed() < std::time::Duration::from_secs(2), "took {:?}", start.elapsed());
    // A port that listens (credentials are resolved before any request is sent).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listening = format!("http://{}", listener.local_addr().unwrap());
    let args =
        ["plan", "tests/fixtures/every-kind.yaml", "--endpoint-url", &listening, "--state", state.to_str().unwrap()];
    // No credentials anywhere the SDK's chain looks.
    let without_credentials = |extra: &[&str]| {
        socform()
            .args(args)
            .args(extra)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap()
    };
    let out = without_credentials(&[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no AWS credentials were found"), "{err}");
    assert!(!err.contains("caused by"), "the chain is for -v: {err}");
    // `-v` adds the SDK's chain of causes after the words, still no Debug dump.
    let err = text(&without_credentials(&["-v"]).stderr);
    assert!(err.contains("no AWS credentials were found") && err.contains("caused by: dispatch failure"), "{err}");
    assert!(!err.contains("DispatchFailure("), "{err}");
}

/// `show PLANFILE` prints a saved plan exactly as `plan` printed it, in each format; a file
/// that is not a saved plan is refused.
#[test]
fn show_prints_a_saved_plan_as_plan_did() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let planfile = dir.path().join("p.plan");
    let (state, planfile) = (state.to_str().unwrap(), planfile.to_str().unwrap());
    let bp = "examples/segmented-network.yaml";
    let planned = run(&["plan", bp, "--refresh=false", "--format", "json", "--state", state, "--out", planfile]);
    assert!(planned.status.success(), "{}", text(&planned.stderr));
    let shown = run(&["show", planfile, "--format", "json"]);
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    assert_eq!(text(&shown.stdout), text(&planned.stdout));
    let human = run(&["show", planfile]);
    assert!(text(&human.stdout).starts_with("socform plan for `segmented-network`"), "{}", text(&human.stdout));
    let out = run(&["show", bp]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is not a plan saved by `socform plan --out`"), "{}", text(&out.stderr));
}

/// `state mv` renames a record and what points at it; it refuses another kind, a taken
/// address and an unknown one, changing nothing.
#[test]
fn state_mv_renames_a_record_and_its_dependents_references() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let state = serde_json::json!({
        "format_version": 1, "lineage": "l-1", "serial": 3, "blueprint": "lab", "region": "us-east-1",
        "resources": {
            "vpc.main": {"kind": "vpc", "id": "vpc-1", "attributes": {}, "outputs": {"id": "vpc-1"}, "dependencies": []},
            "subnet.a": {"kind": "subnet", "id": "subnet-1", "attributes": {}, "outputs": {}, "dependencies": ["vpc.main"]}
        }
    });
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    let p = path.to_str().unwrap();
    for (from, to, expected) in [
        ("vpc.main", "subnet.b", "a resource keeps its kind"),
        ("vpc.main", "vpc.main2", ""),
        ("vpc.nope", "vpc.x", "is not in state"),
        ("subnet.a", "subnet.a", "is in state already"),
    ] {
        let out = run(&["state", "mv", from, to, "--state", p]);
        if expected.is_empty() {
            assert!(out.status.success(), "{}", text(&out.stderr));
        } else {
            assert_eq!(out.status.code(), Some(1), "{from} -> {to}");
            assert!(text(&out.stderr).contains(expected), "{}", text(&out.stderr));
        }
    }
    let after: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(after["resources"]["vpc.main2"]["id"], "vpc-1");
    assert!(after["resources"].get("vpc.main").is_none());
    assert_eq!(after["resources"]["subnet.a"]["dependencies"], serde_json::json!(["vpc.main2"]));
    assert_eq!(after["serial"], 4, "one write, for the one move");
    assert!(!dir.path().join("s.json.lock").exists());
}

/// `user_data: { file: x }` (no vars) is accepted; a value of no accepted form names the forms
/// instead of serde's "untagged enum UserData".
#[test]
fn user_data_forms_are_named_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("boot.sh"), "#!/bin/sh\n").unwrap();
    let head = "blueprint: ud\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.0.0.0/16 }\n  subnets:\n    a: { cidr: 10.0.0.0/24, az: us-east-1a }\nsecurity_groups:\n  h: { egress: [] }\nhosts:\n";
    let host = |ud: &str| {
        format!("{head}  h1: {{ subnet: a, security_groups: [h], instance_type: t3.micro, image: amazon-linux-2023, user_data: {ud} }}\n")
    };
    let path = dir.path().join("ud.yaml");
    std::fs::write(&path, host("{ file: boot.sh }")).unwrap();
    let out = run(&["validate", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(&path, host("{ file: boot.sh, vars: [1] }")).unwrap();
    let out = run(&["validate", path.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(!err.contains("untagged enum"), "{err}");
    assert!(err.contains("a file path") && err.contains("NAME: value"), "{err}");
}

/// `completions SHELL` prints a script that knows every command, for each shell clap knows.
#[test]
fn completions_know_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for cmd in ["validate", "plan", "apply", "destroy", "import", "diff", "lint", "show", "state"] {
            assert!(script.contains(cmd), "{shell}: no `{cmd}`");
        }
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(1), "an unknown shell is a usage error, exit 1");
}

const WITH_INPUTS: &str = "blueprint: lab\nregion: us-east-1\ninputs:\n  admin_cidr: { type: cidr, description: where admins connect from }\n  size: { default: t3.micro, allowed: [t3.micro, t3.small] }\nnetwork:\n  vpc: { cidr: 10.0.0.0/16 }\nsecurity_groups:\n  admin:\n    ingress: [ { protocol: tcp, ports: 443, from: \"${input.admin_cidr}\" } ]\n    egress: []\nlog_groups:\n  app: { retention_days: \"${input.size}\" }\n";

#[test]
fn input_errors_point_at_the_line_and_say_how_to_set_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let bp = dir.path().join("lab.yaml");
    std::fs::write(&bp, WITH_INPUTS).unwrap();
    let bp = bp.to_str().unwrap();
    // Unset (for a command that acts on AWS: validate checks with a placeholder), then set
    // wrongly from each source, then a value that lands where a number goes.
    let out = run(&["plan", bp, "--endpoint-url", "http://127.0.0.1:9"]);
    insta::assert_snapshot!("input_unset", transcript(&out, Some(dir.path())));
    let vars = dir.path().join("vars.yaml");
    std::fs::write(&vars, "admin_cidr: 10.0.0.0/8\nsise: t3.small\n").unwrap();
    let out = run(&["validate", bp, "--var", "size=m5.large", "--var-file", vars.to_str().unwrap()]);
    insta::assert_snapshot!("input_wrong", transcript(&out, Some(dir.path())));
    let out = run(&["validate", bp, "--var", "admin_cidr=10.0.0.0/8"]);
    insta::assert_snapshot!("input_lands_in_a_number", transcript(&out, Some(dir.path())));
    let out = run(&["validate", bp, "--var", "admin_cidr"]);
    insta::assert_snapshot!("input_var_without_value", transcript(&out, Some(dir.path())));
}

#[test]
fn workflow_commands_refuse_what_they_cannot_do_before_reading_aws() {
    let dir = tempfile::tempdir().unwrap();
    let bp = dir.path().join("lab.yaml");
    std::fs::write(&bp, WITH_INPUTS.replace("\"${input.size}\"", "30")).unwrap();
    let bp = bp.to_str().unwrap();
    let state = dir.path().join("state.json");
    let state = state.to_str().unwrap();
    let common = ["--var", "admin_cidr=10.0.0.0/8", "--state", state, "--refresh=false"];
    let out = run(&[&["plan", bp, "--target", "log_group.ap"][..], &common].concat());
    insta::assert_snapshot!("target_unknown", transcript(&out, Some(dir.path())));
    let out = run(&[&["plan", bp, "--replace", "log_group.app"][..], &common].concat());
    insta::assert_snapshot!("replace_missing", transcript(&out, Some(dir.path())));
    let out = run(&[&["plan", bp, "--refresh-only"][..], &common].concat());
    insta::assert_snapshot!("refresh_only_without_refresh", transcript(&out, Some(dir.path())));
    let out = run(&["output", "--state", state]);
    insta::assert_snapshot!("output_without_state", transcript(&out, Some(dir.path())));
    let out = run(&["state", "rm", "log_group.app", "--state", state]);
    insta::assert_snapshot!("state_rm_without_state", transcript(&out, Some(dir.path())));
    // A targeted plan says what it leaves alone.
    let out = run(&[&["plan", bp, "--target", "log_group.app"][..], &common].concat());
    insta::assert_snapshot!("target_plan", transcript(&out, Some(dir.path())));
}

/// Issue 23: an empty lock file (a run killed as it wrote it) was reported as held by
/// `unknown`, with advice, `socform state unlock unknown`, that then failed ("not locked").
#[test]
fn a_lock_file_that_names_no_holder_is_said_so_and_unlock_unknown_breaks_it() {
    let dir = tempfile::tempdir().unwrap();
    let bp = dir.path().join("bp.yaml");
    std::fs::write(&bp, "blueprint: locked\nregion: us-east-1\nlog_groups:\n  app: { retention_days: 7 }\n").unwrap();
    let state = dir.path().join("locked.json");
    let lock = dir.path().join("locked.json.lock");
    std::fs::write(&lock, "").unwrap();
    let (bp, state_arg) = (bp.to_str().unwrap(), state.to_str().unwrap());
    let out = run(&["apply", bp, "--state", state_arg, "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("the lock names no holder") && err.contains("`socform state unlock unknown`"), "{err}");
    assert!(lock.exists(), "a refused run broke the lock");
    let out = run(&["state", "unlock", "wrong", "--state", state_arg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(lock.exists());
    let out = run(&["state", "unlock", "unknown", "--state", state_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!lock.exists());
}

/// Issue 23: a var file's error snippet printed a sensitive value beside "not shown", and
/// `state` commands built a path from an unchecked `blueprint:` header.
#[test]
fn a_sensitive_value_is_never_in_a_snippet_and_a_header_never_becomes_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let bp = dir.path().join("bp.yaml");
    std::fs::write(&bp, "blueprint: secretive\nregion: us-east-1\ninputs:\n  pin: { sensitive: true, pattern: '[0-9]{4}' }\nlog_groups:\n  app: { retention_days: 7 }\n").unwrap();
    let vars = dir.path().join("vars.yaml");
    std::fs::write(&vars, "pin: HUNTER2-NOT-A-PIN\n").unwrap();
    let out = run(&["validate", bp.to_str().unwrap(), "--var-file", vars.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("input `pin` (from --var-file"), "{all}");
    assert!(all.contains("sensitive and not shown"), "{all}");
    assert!(!all.contains("HUNTER2"), "the snippet showed the value:\n{all}");
    assert!(all.contains("bp.yaml:4:"), "not pointed at the declaration:\n{all}");

    let evil = dir.path().join("evil.yaml");
    std::fs::write(&evil, "blueprint: ../../evil\nregion: us-east-1\n").unwrap();
    let out = socform().current_dir(dir.path()).args(["state", "list", evil.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("blueprint name `../../evil` is invalid"), "{}", text(&out.stderr));
}

/// State is found from the blueprint, not from the current directory: run from elsewhere,
/// a command reads the `state/` of the blueprint's project (the nearest folder above it with
/// one, not past the repository's root); `SOCFORM_STATE` names a state once for a shell.
#[test]
fn state_is_found_from_the_blueprint_wherever_the_command_runs() {
    let root = tempfile::tempdir().unwrap();
    let proj = root.path().join("proj");
    for d in ["proj/.git", "proj/state", "proj/blueprints", "elsewhere/state", "loose"] {
        std::fs::create_dir_all(root.path().join(d)).unwrap();
    }
    let state = |id: &str| {
        serde_json::json!({
            "format_version": 1, "lineage": "l", "serial": 1, "blueprint": "lab", "region": "us-east-1",
            "resources": { "vpc.main": {"kind": "vpc", "id": id, "attributes": {}, "outputs": {}, "dependencies": []} }
        })
        .to_string()
    };
    std::fs::write(proj.join("state/lab.json"), state("vpc-project")).unwrap();
    std::fs::write(root.path().join("elsewhere/state/lab.json"), state("vpc-elsewhere")).unwrap();
    std::fs::write(root.path().join("loose/state-free.json"), state("vpc-flag")).unwrap();
    let bp = proj.join("blueprints/lab.yaml");
    std::fs::write(&bp, "blueprint: lab\nregion: us-east-1\n").unwrap();
    let list = |cwd: &std::path::Path, envs: &[(&str, &str)]| {
        let out = socform()
            .current_dir(cwd)
            .envs(envs.iter().copied())
            .args(["state", "list", bp.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    // From another directory that has a state of the same name: the project's wins.
    assert_eq!(list(&root.path().join("elsewhere"), &[]), "vpc.main\tvpc-project\n");
    assert_eq!(list(&proj.join("blueprints"), &[]), "vpc.main\tvpc-project\n");
    let flag = root.path().join("loose/state-free.json");
    assert_eq!(
        list(&root.path().join("elsewhere"), &[("SOCFORM_STATE", flag.to_str().unwrap())]),
        "vpc.main\tvpc-flag\n"
    );
    // The search stops at the repository's root: a `state/` above it is not the project's.
    std::fs::remove_dir_all(proj.join("state")).unwrap();
    std::fs::create_dir_all(root.path().join("state")).unwrap();
    std::fs::write(root.path().join("state/lab.json"), state("vpc-above")).unwrap();
    assert_eq!(list(&root.path().join("elsewhere"), &[]), "vpc.main\tvpc-elsewhere\n");
}

/// `--help` names the environment variables an option reads, never their values (a CI log
/// keeps what `--help` prints).
#[test]
fn help_names_environment_variables_without_their_values() {
    let out = socform()
        .args(["plan", "--help"])
        .env("SOCFORM_STATE", "s3://team-state-bucket-7f3a/soc.json")
        .env("AWS_PROFILE", "prod-admin")
        .output()
        .unwrap();
    let help = text(&out.stdout);
    assert!(help.contains("SOCFORM_STATE") && help.contains("AWS_PROFILE"), "{help}");
    assert!(!help.contains("team-state-bucket-7f3a") && !help.contains("prod-admin"), "{help}");
}

/// Terraform's one-dash long options get the two-dash spelling as a hint, after clap's
/// error (exit 1, never 2, which means "changes" to a CI gate); two-dash typos get none.
#[test]
fn terraform_style_flags_get_the_two_dash_spelling() {
    let out = run(&["apply", "blueprints/cloudtrail-alarms.yaml", "-auto-approve", "-var", "x=y"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("`-auto-approve` is `--auto-approve`, `-var` is `--var`"), "{err}");
    let out = run(&["plan", "blueprints/cloudtrail-alarms.yaml", "-out=p.json"]);
    assert!(text(&out.stderr).contains("`-out=p.json` is `--out=p.json`"), "{}", text(&out.stderr));
    let out = run(&["plan", "blueprints/cloudtrail-alarms.yaml", "--bogus", "-qv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!text(&out.stderr).contains("hint: socform's long options"), "{}", text(&out.stderr));
}

/// Commands that only read a blueprint need no input values: a required input gets a
/// placeholder of its type, said in a note (a sensitive one's never shown); `plan`, which
/// acts on AWS, still refuses, pointing at the input.
#[test]
fn offline_commands_need_no_input_values_and_plan_still_does() {
    let dir = tempfile::tempdir().unwrap();
    let bp = dir.path().join("req.yaml");
    std::fs::write(
        &bp,
        "blueprint: req-lab\nregion: us-east-1\ninputs:\n  admin_cidr: { type: cidr }\n  db_password: { sensitive: true, pattern: \"[A-Z]{20}\" }\n  oncall: { type: email }\nnetwork:\n  vpc: { cidr: 10.0.0.0/16 }\nsecurity_groups:\n  admin:\n    ingress: [ { protocol: tcp, ports: 443, from: \"${input.admin_cidr}\" } ]\n    egress: []\nsecrets:\n  db: { value: { from_input: db_password } }\nnotifications:\n  soc: { email: [\"${input.oncall}\"] }\n",
    )
    .unwrap();
    let b = bp.to_str().unwrap();
    for args in [vec!["validate", b], vec!["graph", b], vec!["cost", b], vec!["diff", b, b], vec!["coverage", b]] {
        let out = run(&args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("input `admin_cidr` has no value: checked with the placeholder \"192.0.2.0/24\""),
            "{args:?}: {err}"
        );
        assert!(err.contains("input `db_password` has no value: checked with the placeholder value"), "{err}");
        assert!(!err.contains("\"placeholder\""), "a sensitive placeholder is not shown: {err}");
    }
    let out = run(&["plan", b, "--endpoint-url", "http://127.0.0.1:9"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("input `admin_cidr` has no value and no default"), "{}", text(&out.stderr));
    // A value that is set is still checked.
    let out = run(&["validate", b, "--var", "db_password=short"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

/// A var file that cannot be read is called a var file, not a blueprint.
#[test]
fn a_missing_var_file_is_called_a_var_file() {
    let out = run(&["validate", "blueprints/soc-reference.yaml", "--var-file", "no-such-vars.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("cannot read var file `no-such-vars.yaml`"), "{err}");
}

/// A dependency cycle is located at its first resource, with the way out (validate and
/// graph alike).
#[test]
fn a_dependency_cycle_points_at_the_blueprint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    std::fs::copy("tests/fixtures/scripts/hello.sh", dir.path().join("scripts/hello.sh")).unwrap();
    let host = |name: &str, peer: &str| {
        format!("  {name}:\n    subnet: a\n    instance_type: t3.micro\n    image: ami-0123456789abcdef0\n    user_data: {{ file: scripts/hello.sh, vars: {{ PEER: \"${{host.{peer}.private_ip}}\" }} }}\n")
    };
    let bp = dir.path().join("cyc.yaml");
    std::fs::write(
        &bp,
        format!("blueprint: cyc\nregion: us-east-1\nnetwork:\n  vpc: {{ cidr: 10.0.0.0/16 }}\n  subnets: {{ a: {{ cidr: 10.0.0.0/24, az: us-east-1a }} }}\nhosts:\n{}{}", host("one", "two"), host("two", "one")),
    )
    .unwrap();
    for cmd in ["validate", "graph"] {
        let out = run(&[cmd, bp.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        let err = text(&out.stderr);
        assert!(err.contains("dependency cycle: instance.one -> instance.two -> instance.one"), "{err}");
        assert!(err.contains("cyc.yaml:8:5]") && err.contains("the cycle starts here"), "{cmd}: {err}");
        assert!(err.contains("drop one reference"), "{err}");
    }
}

/// `- pack: stratus`: every pack entry once, a `use:` of one of them wins (and may override
/// it), `enabled: false` leaves them out, and each mistake is one located error.
#[test]
fn the_stratus_pack_expands_yields_to_a_use_and_turns_off() {
    let dir = tempfile::tempdir().unwrap();
    let head = "blueprint: pack-lab\nregion: us-east-1\ninputs: { pack: { type: bool, default: true } }\ntrail: { bucket: { name: pack-lab-trail-bucket }, cloudwatch_logs: { log_group: ct } }\nnotifications: { a: {}, b: {} }\ndetections:\n";
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("{head}{body}")).unwrap();
        p.to_str().unwrap().to_string()
    };
    let detections = |bp: &str, vars: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec!["test", bp, "--format", "json"];
        for v in vars {
            args.extend(["--var", v]);
        }
        let out = run(&args);
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
        v["detections"].as_array().unwrap().clone()
    };
    let pack: Vec<&str> = socform::detect::stratus::pack().map(|e| e.id).collect();
    let bp = write(
        "ok.yaml",
        "  - { pack: stratus, enabled: \"${input.pack}\", notify: [a], notify_by_severity: { low: [b] } }\n  - { use: stratus/ssm-session, severity: info }\n",
    );
    let got = detections(&bp, &[]);
    let ids: Vec<&str> = got.iter().map(|d| d["catalog"].as_str().unwrap()).collect();
    let mut want = pack.clone();
    want.retain(|id| *id != "stratus/ssm-session");
    want.push("stratus/ssm-session");
    assert_eq!(ids, want, "every pack entry once, the explicit use last");
    let session = got.iter().find(|d| d["catalog"] == "stratus/ssm-session").unwrap();
    assert_eq!(session["severity"], "info", "the explicit item overrides the entry");
    // Turned off by its input: only the explicit item is left.
    assert_eq!(detections(&bp, &["pack=false"]).len(), 1);

    // Each mistake: one error at the line that makes it.
    let cases = [
        ("  - { pack: stratuss }\n", "line 7", "did you mean `stratus`?"),
        ("  - { pack: stratus, notify_by_severity: { urgent: [a] } }\n", "line 7", "`urgent` is not a severity"),
        ("  - { name: ssm-session-started, pattern: '{ $.x = 1 }' }\n  - pack: stratus\n", "line 8", "defined twice"),
    ];
    for (i, (body, line, message)) in cases.iter().enumerate() {
        let bp = write(&format!("bad{i}.yaml"), body);
        let out = run(&["validate", &bp]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{body}: {err}");
        assert!(err.contains(message) && err.contains(&format!("{}:{}", bp, &line[5..])), "{body}: {err}");
        assert_eq!(err.matches("×").count(), 1, "one error, not one per entry: {err}");
    }
    // Without a trail in CloudWatch Logs there is nothing for the pack to watch: one error.
    let p = dir.path().join("notrail.yaml");
    std::fs::write(&p, "blueprint: pack-lab\nregion: us-east-1\ndetections:\n  - pack: stratus\n").unwrap();
    let out = run(&["validate", p.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert!(err.contains("the `stratus` pack watches the trail's log group") && err.matches("×").count() == 1, "{err}");
}

/// `coverage` credits a hand-written detection by what it matches, and only on the trail's
/// log group: the same pattern on another log group sees nothing CloudTrail writes.
#[test]
fn stratus_coverage_credits_what_matches_on_the_trails_log_group() {
    let dir = tempfile::tempdir().unwrap();
    let seen_by = |log_group: &str| -> Vec<String> {
        let p = dir.path().join("c.yaml");
        std::fs::write(
            &p,
            format!("blueprint: cov-lab\nregion: us-east-1\ntrail: {{ bucket: {{ name: cov-lab-trail-bucket }}, cloudwatch_logs: {{ log_group: ct }} }}\nlog_groups: {{ app: {{}} }}\ndetections:\n  - {{ name: fed, {log_group}pattern: '{{ $.eventName = \"GetFederationToken\" }}' }}\n"),
        )
        .unwrap();
        let out = run(&["coverage", p.to_str().unwrap(), "--format", "json"]);
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
        let t = v["stratus"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == "aws.persistence.sts-federation-token")
            .unwrap();
        t["detections"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect()
    };
    assert_eq!(seen_by(""), ["fed"]);
    assert_eq!(seen_by("log_group: app, "), Vec::<String>::new());
}

/// CloudWatch Logs takes at most 100 metric filters per log group: the 101st is refused at
/// `validate`, once, where it is written (here the pack that brings it), not mid-apply.
#[test]
fn the_hundred_and_first_filter_on_a_log_group_is_refused_where_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("many.yaml");
    let blueprint = |mine: usize| {
        let mut t = String::from("blueprint: many-lab\nregion: us-east-1\ntrail: { bucket: { name: many-lab-trail-bucket }, cloudwatch_logs: { log_group: ct } }\ndetections:\n");
        for i in 0..mine {
            t.push_str(&format!("  - {{ name: d{i}, pattern: '{{ $.n = {i} }}' }}\n"));
        }
        t.push_str("  - pack: stratus\n");
        std::fs::write(&p, t).unwrap();
        run(&["validate", p.to_str().unwrap()])
    };
    let mine = 101 - socform::detect::stratus::pack().count();
    let out = blueprint(mine);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is metric filter number 101 on log group `ct`"), "{err}");
    assert!(err.contains(&format!("many.yaml:{}", mine + 5)), "located at the pack's line: {err}");
    assert_eq!(err.matches("×").count(), 1, "{err}");
    // One fewer is accepted.
    let out = blueprint(mine - 1);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// A hand-written detection counts for a CIS control when it watches the trail and agrees
/// with the control's samples and each event its pattern names; `lint` then leaves the
/// control out of its one SOC012 finding. A looser root detection (it also fires when AWS
/// acts as root for a service) does not count, nor does the right one on another log group.
#[test]
fn a_hand_written_detection_that_agrees_with_a_cis_control_is_credited() {
    let dir = tempfile::tempdir().unwrap();
    let cis_4_3 = socform::detect::catalog::get("cis/4.3").unwrap().pattern;
    let credited = |detection: &str| -> (bool, String) {
        let p = dir.path().join("c.yaml");
        let body = format!("blueprint: cis-lab\nregion: us-east-1\ntrail: {{ bucket: {{ name: cis-lab-trail-bucket }}, cloudwatch_logs: {{ log_group: ct }} }}\nlog_groups: {{ app: {{}} }}\ndetections:\n  - {detection}\n");
        std::fs::write(&p, body).unwrap();
        let out = run(&["coverage", p.to_str().unwrap(), "--format", "json"]);
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
        let c = v["cis"].as_array().unwrap().iter().find(|c| c["id"] == "cis/4.3").unwrap().clone();
        let lint = text(&run(&["lint", p.to_str().unwrap()]).stdout);
        (!c["detections"].as_array().unwrap().is_empty(), lint)
    };
    let quoted = serde_json::to_string(cis_4_3).unwrap();
    let (yes, lint) = credited(&format!("{{ name: root-used, pattern: {quoted} }}"));
    assert!(yes, "the CIS pattern, hand-written, counts");
    assert_eq!(lint.matches("SOC012").count(), 1, "one finding for all missing controls: {lint}");
    assert!(lint.contains("14 of 15") && !lint.contains("cis/4.3"), "{lint}");
    let (yes, lint) = credited(r#"{ name: root-used, pattern: '{ $.userIdentity.type = "Root" }' }"#);
    assert!(!yes && lint.contains("cis/4.3"), "a looser pattern does not count: {lint}");
    let (yes, _) = credited(&format!("{{ name: root-used, log_group: app, pattern: {quoted} }}"));
    assert!(!yes, "not on the trail's log group");
}
