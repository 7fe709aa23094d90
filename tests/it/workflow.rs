//! Terraform's workflow, against moto: inputs reaching AWS, outputs after apply, targeted
//! applies, refresh-only, renames with `moved:`, `state rm`, and errors a person can act on.
//! What socform did is checked with boto3 (tests/support/aws_tool.py), never with socform.

use crate::support::proxy::{Faults, Injection, Proxy};
use crate::support::{aws_tool, squash, text, Lab};

const WF: &str = r#"
blueprint: wf
region: us-east-1
inputs:
  admin_cidr: { type: cidr, description: where admins connect from }
  retention: { type: number, default: 30, allowed: [7, 14, 30, 90] }
  alert_emails: { type: list, default: [soc@example.com] }
  api_token: { sensitive: true }
network:
  vpc: { cidr: 10.0.0.0/16 }
  subnets:
    a: { cidr: 10.0.0.0/24, az: us-east-1a }
security_groups:
  admin:
    ingress: [ { protocol: tcp, ports: 443, from: "${input.admin_cidr}" } ]
    egress: []
log_groups:
  app: { retention_days: "${input.retention}" }
notifications:
  alerts: { email: "${input.alert_emails}" }
secrets:
  api: { value: { from_input: api_token }, recovery_window_days: 0 }
outputs:
  admin_from: { value: "admins connect from ${input.admin_cidr}" }
  group: { value: "${sg.admin.id}" }
"#;

const TOKEN: &str = "tok-7f3a9c1e55d2";

fn tool(lab: &Lab, args: &[&str]) -> String {
    aws_tool(&lab.moto, "us-east-1", args)
}

#[test]
fn inputs_reach_aws_outputs_follow_and_a_sensitive_input_is_kept_nowhere() {
    let lab = Lab::new();
    let bp = lab.write("wf.yaml", WF);
    let vars = lab.write("vars.yaml", "retention: 14\nalert_emails: [a@example.com, b@example.com]\n");

    // A required input left unset: a located error that says how to set it; nothing made.
    let before = lab.inventory();
    let out = lab.socform(&["plan", &bp]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("input `admin_cidr` has no value and no default"), "{err}");
    assert!(err.contains("wf.yaml:5"), "points at the declaration: {err}");
    assert!(err.contains("--var admin_cidr=VALUE") && err.contains("SOCFORM_VAR_admin_cidr"), "{err}");
    // A value of the wrong type or not allowed, from any source.
    let out = lab.socform(&["plan", &bp, "--var", "admin_cidr=203.0.113.7", "--var", "api_token=x"]);
    assert!(text(&out.stderr).contains("`203.0.113.7` is not a CIDR block"), "{}", text(&out.stderr));
    let out = lab.socform_env(
        &["plan", &bp, "--var", "admin_cidr=203.0.113.7/32"],
        &[("SOCFORM_VAR_retention", "5"), ("SOCFORM_VAR_api_token", TOKEN)],
    );
    assert!(
        text(&out.stderr).contains("input `retention` (from SOCFORM_VAR_retention) `5` is not allowed"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(lab.inventory(), before, "no failed command made anything");

    // --var wins over the var file, which wins over the environment.
    let out = lab.socform_env(
        &["apply", &bp, "--auto-approve", "--var", "admin_cidr=203.0.113.7/32", "--var-file", &vars],
        &[("SOCFORM_VAR_retention", "90"), ("SOCFORM_VAR_api_token", TOKEN), ("SOCFORM_VAR_admin_cidr", "10.9.9.9/32")],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(tool(&lab, &["ingress-cidrs", "wf-admin"]).trim(), r#"["tcp 443 203.0.113.7/32"]"#);
    assert_eq!(tool(&lab, &["log-retention", "wf-app"]).trim(), "14");
    assert_eq!(tool(&lab, &["subscriptions", "wf-alerts"]).trim(), r#"["a@example.com", "b@example.com"]"#);
    assert_eq!(tool(&lab, &["secret-value", "wf-api"]).trim(), TOKEN, "the sensitive input reached AWS");
    let state = std::fs::read_to_string(lab.state_path()).unwrap();
    assert!(!state.contains(TOKEN) && !stdout.contains(TOKEN) && !stderr.contains(TOKEN), "the token leaked");

    // Outputs: printed by apply, recorded in state, read back by `socform output`.
    assert!(stderr.contains("admin_from") && stderr.contains("admins connect from 203.0.113.7/32"), "{stderr}");
    let sg = lab.id("security_group.admin");
    assert_eq!(lab.ok(&["output", "group", &bp]).trim(), sg);
    let all: serde_json::Value = serde_json::from_str(&lab.ok(&["output", "--format", "json", &bp])).unwrap();
    assert_eq!(all["admin_from"], "admins connect from 203.0.113.7/32");
    assert!(all["topic_alerts"].as_str().unwrap().starts_with("arn:aws:sns:us-east-1:"), "{all}");
    assert!(all["alarms_url"].is_null(), "no alarms, no alarms link: {all}");
    let out = lab.socform(&["output", "grup", &bp]);
    assert!(text(&out.stderr).contains("did you mean `group`?"), "{}", text(&out.stderr));

    // The same inputs again: nothing to do. Another value: one update, named.
    let same = ["--var", "admin_cidr=203.0.113.7/32", "--var-file", &vars];
    let env = [("SOCFORM_VAR_api_token", TOKEN)];
    let out = lab.socform_env(&[&["plan", &bp, "--detailed-exitcode"][..], &same].concat(), &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let plan_file = lab.dir.path().join("wf.plan");
    let plan_path = plan_file.to_str().unwrap();
    let out = lab.socform_env(
        &[
            "plan",
            &bp,
            "--var",
            "admin_cidr=198.51.100.0/24",
            "--var-file",
            &vars,
            "--out",
            plan_path,
            "--format",
            "json",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let inputs = plan["inputs"].as_array().unwrap();
    let input = |n: &str| inputs.iter().find(|i| i["name"] == n).unwrap().clone();
    assert_eq!(input("admin_cidr")["value"], "198.51.100.0/24");
    assert_eq!(input("api_token")["value"], "(sensitive)");
    assert!(!std::fs::read_to_string(&plan_file).unwrap().contains(TOKEN));
    // A saved plan carries its inputs: others are refused.
    let out = lab.socform(&["apply", plan_path, "--var", "admin_cidr=0.0.0.0/0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("applied with the inputs it was made with"), "{}", text(&out.stderr));
    // The plan applies as made: it does not touch the secret, whatever the token is now.
    let out = lab.socform_env(&["apply", plan_path], &[("SOCFORM_VAR_api_token", "other")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(tool(&lab, &["ingress-cidrs", "wf-admin"]).trim(), r#"["tcp 443 198.51.100.0/24"]"#);
    assert_eq!(tool(&lab, &["secret-value", "wf-api"]).trim(), TOKEN);
    // A new token is a change to the secret, shown without its value.
    let out = lab.socform_env(
        &["plan", &bp, "--var", "admin_cidr=198.51.100.0/24", "--var-file", &vars],
        &[("SOCFORM_VAR_api_token", "tok-rotated")],
    );
    let shown = text(&out.stdout);
    assert!(shown.contains("~ secret.api") && shown.contains("(sensitive)"), "{shown}");
    assert!(!shown.contains("tok-rotated"), "{shown}");
    // Given on the command line alone (no variable in the environment), the new token reaches
    // AWS: the loader hands `--var` values of sensitive inputs to the provider.
    let out = lab.socform(&[
        "apply",
        &bp,
        "--auto-approve",
        "--var",
        "admin_cidr=198.51.100.0/24",
        "--var-file",
        &vars,
        "--var",
        "api_token=tok-from-the-command-line",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(tool(&lab, &["secret-value", "wf-api"]).trim(), "tok-from-the-command-line");
    assert!(!text(&out.stdout).contains("tok-from-the") && !text(&out.stderr).contains("tok-from-the"));

    lab.ok(&["destroy", &bp, "--auto-approve", "--var", "admin_cidr=203.0.113.7/32", "--var", "api_token=x"]);
    assert_eq!(lab.inventory(), before);
}

#[test]
fn target_refresh_only_moved_and_state_rm_do_what_terraform_users_expect() {
    let lab = Lab::new();
    let before = lab.inventory();
    let bp = lab.write("wf.yaml", WF);
    let base = ["--var", "admin_cidr=203.0.113.7/32", "--var", "api_token=t"];
    let run = |args: &[&str]| lab.ok(&[args, &base[..]].concat());

    // --target: the log group alone; then the subnet brings its VPC.
    run(&["apply", &bp, "--auto-approve", "--target", "log_group.app"]);
    let made: Vec<String> = lab.state()["resources"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(made, ["log_group.app"]);
    let plan: serde_json::Value =
        serde_json::from_str(&run(&["plan", &bp, "--format", "json", "--target", "subnet.a"])).unwrap();
    let planned: Vec<&str> =
        plan["changes"].as_array().unwrap().iter().map(|c| c["address"].as_str().unwrap()).collect();
    assert_eq!(planned, ["vpc.main", "subnet.a"]);
    let out = lab.socform(&[&["plan", &bp, "--target", "subnet.b"][..], &base].concat());
    assert!(
        text(&out.stderr).contains("--target subnet.b: no such resource")
            && text(&out.stderr).contains("did you mean `subnet.a`?"),
        "{}",
        text(&out.stderr)
    );
    run(&["apply", &bp, "--auto-approve"]);

    // --refresh-only: a change made by hand is shown, recorded on request, and nothing in
    // AWS changes; the next plan then sets the blueprint's value back.
    tool(&lab, &["set-retention", "wf-app", "7"]);
    let out = run(&["plan", &bp, "--refresh-only"]);
    assert!(out.contains("log_group.app.retention_in_days: 30 -> 7"), "{out}");
    assert!(out.contains("Refresh only"), "{out}");
    run(&["apply", &bp, "--refresh-only", "--auto-approve"]);
    assert_eq!(lab.state()["resources"]["log_group.app"]["attributes"]["retention_in_days"], 7);
    assert_eq!(tool(&lab, &["log-retention", "wf-app"]).trim(), "7", "refresh-only changed AWS");
    let plan = run(&["plan", &bp]);
    assert!(plan.contains("retention_in_days = 7 -> 30"), "{plan}");
    run(&["apply", &bp, "--auto-approve"]);

    // --replace: a new group, the rule that names it follows.
    let sg = lab.id("security_group.admin");
    run(&["apply", &bp, "--auto-approve", "--replace", "security_group.admin"]);
    assert_ne!(lab.id("security_group.admin"), sg);
    assert_eq!(tool(&lab, &["ingress-cidrs", "wf-admin"]).trim(), r#"["tcp 443 203.0.113.7/32"]"#);

    // moved: a renamed entry keeps its log group.
    let lg = lab.id("log_group.app");
    let renamed = lab.write(
        "wf.yaml",
        &format!(
            "{}moved:\n  - {{ from: log_group.app, to: log_group.application }}\n",
            WF.replace("  app: { retention_days", "  application: { name: wf-app, retention_days")
        ),
    );
    let plan = run(&["plan", &renamed]);
    assert!(plan.contains("log_group.app -> log_group.application"), "{plan}");
    assert!(!plan.contains("+ log_group.application") && !plan.contains("- log_group.app"), "{plan}");
    run(&["apply", &renamed, "--auto-approve"]);
    assert_eq!(lab.id("log_group.application"), lg);
    assert!(lab.state()["resources"].get("log_group.app").is_none());
    let out = lab.socform(&[&["plan", &renamed, "--detailed-exitcode"][..], &base].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // state rm: forgotten and disowned, never deleted; a new create of that name is refused.
    let untaggable = lab.state()["resources"]
        .as_object()
        .unwrap()
        .keys()
        .find(|a| a.starts_with("sns_subscription."))
        .cloned()
        .expect("a subscription in state");
    let out = lab.socform(&["state", "rm", &untaggable, &renamed]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot carry tags"), "{}", text(&out.stderr));
    assert!(lab.state()["resources"].get(&untaggable).is_some(), "nothing was removed");
    lab.ok(&["state", "rm", "log_group.application", &renamed]);
    let tags: serde_json::Value = serde_json::from_str(&tool(&lab, &["log-group-tags", "wf-app"])).unwrap();
    let lineage = lab.state()["lineage"].as_str().unwrap().to_string();
    assert_eq!(tags["socform:lineage"], format!("released-{lineage}"));
    let out = lab.socform(&[&["apply", &renamed, "--auto-approve"][..], &base].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(squash(&text(&out.stderr)).contains("socformimportlog_group.applicationwf-app"), "{}", text(&out.stderr));
    let out = lab.socform(&[&["destroy", &renamed, "--auto-approve"][..], &base].concat());
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("kept, as `socform state rm` asked: log_group.application"), "{err}");
    let left: Vec<String> = lab.inventory().difference(&before).cloned().collect();
    assert_eq!(left, ["log-group wf-app"], "only what state rm released is left");
}

#[test]
fn expired_rejected_and_denied_credentials_are_said_in_words() {
    let lab = Lab::new();
    let bp = lab.write("wf.yaml", WF);
    let proxy = Proxy::start(lab.moto.port, std::time::Duration::ZERO, Faults::default(), 1);
    let sts = |code: &'static str, message: &'static str| {
        Injection {
        needle: "Action=GetCallerIdentity",
        times: 1,
        status: "403 Forbidden",
        content_type: "text/xml",
        body: Box::leak(format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>").into_boxed_str()),
    }
    };
    let url = proxy.url();
    let plan = |lab: &Lab| {
        lab.socform_env(
            &["plan", &bp, "--var", "admin_cidr=203.0.113.7/32", "--var", "api_token=t"],
            &[("AWS_ENDPOINT_URL", url.as_str())],
        )
    };
    for (code, message, expected) in [
        ("ExpiredToken", "The security token included in the request is expired", "the AWS credentials have expired (ExpiredToken): renew them"),
        ("InvalidClientTokenId", "The security token included in the request is invalid.", "AWS does not accept these credentials (InvalidClientTokenId)"),
        (
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/intern is not authorized to perform: sts:GetCallerIdentity",
            "access denied: User: arn:aws:iam::123456789012:user/intern is not authorized to perform: sts:GetCallerIdentity; the credentials in use need this permission",
        ),
    ] {
        proxy.inject(sts(code, message));
        let out = plan(&lab);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(expected), "{code}: {err}");
        assert!(!err.contains("ServiceError {") && !err.contains("DispatchFailure("), "a Debug dump: {err}");
    }
}
