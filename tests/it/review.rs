//! The security review of `diff` and `plan`, lint rules firing and not firing, and the three
//! output formats of each, snapshot-tested.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use socform::blueprint::{self, LowerOptions};
use socform::diag::SourceFile;
use socform::model::Model;
use socform::review::{diff, lint};

fn model(text: &str) -> Model {
    model_in(text, "tests/fixtures")
}

/// A blueprint whose scripts live in `dir`.
fn model_in(text: &str, dir: &str) -> Model {
    let src = SourceFile::new(Path::new("review.yaml"), text.to_string());
    blueprint::parse_and_lower(&src, &LowerOptions { base_dir: dir.into(), ..Default::default() })
        .unwrap_or_else(|d| panic!("{:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>()))
}

/// The base blueprint's response, as written in tests/fixtures/review-base.yaml.
const RESPONSE: &str = "  close-port:\n    trigger:\n      api_calls: { source: ec2.amazonaws.com, names: [AuthorizeSecurityGroupIngress, ModifySecurityGroupRules] }\n    function: { code: responses/echo, handler: handler.lambda_handler }\n    notify: [soc]\n";

/// A named edit of the base blueprint and the checks it must trigger.
type Case = (&'static str, Box<dyn Fn(String) -> String>, &'static [&'static str]);

fn base() -> String {
    std::fs::read_to_string("tests/fixtures/review-base.yaml").unwrap()
}

/// The check ids a change triggers.
fn checks(edit: impl Fn(String) -> String) -> Vec<String> {
    let old = model(&base());
    let new = model(&edit(base()));
    let d = diff::diff(&old, &new);
    assert!(d.has_changes(), "the edit changed nothing");
    d.review.iter().map(|f| f.check.clone()).collect()
}

#[test]
fn a_blueprint_compared_with_itself_has_no_changes() {
    let m = model(&base());
    let d = diff::diff(&m, &m);
    assert!(!d.has_changes());
    assert_eq!(d.exit_code(), 0);
    assert_eq!(d.human(), "No changes between the two blueprints.\n");
}

#[test]
fn every_kind_of_broadening_is_found() {
    let cases: Vec<Case> = vec![
        (
            "wider CIDR",
            Box::new(|s| s.replace("from: 10.70.0.0/24", "from: 0.0.0.0/0")),
            &["broaden.internet", "broaden.wider-rule"],
        ),
        (
            "more ports",
            Box::new(|s| s.replace("ports: 443, from", "ports: \"443-444\", from")),
            &["broaden.wider-rule"],
        ),
        (
            "new source",
            Box::new(|s| {
                s.replace("      - { protocol: tcp, ports: 443, from: 10.70.0.0/24 }\n", "      - { protocol: tcp, ports: 443, from: 10.70.0.0/24 }\n      - { protocol: tcp, ports: 8080, from: 192.0.2.0/24 }\n")
            }),
            &["broaden.new-rule"],
        ),
        (
            "SSH opened",
            Box::new(|s| s.replace("ports: 443, from: 10.70.0.0/24", "ports: 22, from: 0.0.0.0/0")),
            &["broaden.admin-port", "broaden.internet", "broaden.wider-rule"],
        ),
        (
            "RDP opened",
            Box::new(|s| {
                s.replace("      - { protocol: tcp, ports: 443, from: 10.70.0.0/24 }\n", "      - { protocol: tcp, ports: 443, from: 10.70.0.0/24 }\n      - { protocol: tcp, ports: 3389, from: 198.51.100.7/32 }\n")
            }),
            &["broaden.admin-port", "broaden.new-rule"],
        ),
        (
            "new IAM action",
            Box::new(|s| s.replace("allow: [s3:GetObject]", "allow: [s3:GetObject, s3:PutObject]")),
            &["broaden.iam-statement"],
        ),
        (
            "new IAM resource",
            Box::new(|s| s.replace("on: [bucket.data/*]", "on: [bucket.data/*, bucket.trail/*]")),
            &["broaden.iam-statement"],
        ),
        (
            "IAM wildcard",
            Box::new(|s| s.replace("allow: [s3:GetObject]", "allow: [\"s3:*\"]")),
            &["broaden.iam-statement", "broaden.iam-wildcard"],
        ),
        (
            "managed policy",
            Box::new(|s| {
                s.replace(
                    "assumed_by: ec2.amazonaws.com\n",
                    "assumed_by: ec2.amazonaws.com\n      managed_policies: [AdministratorAccess]\n",
                )
            }),
            &["broaden.iam-managed-policy"],
        ),
        (
            "new principal",
            Box::new(|s| {
                s.replace("assumed_by: ec2.amazonaws.com", "assumed_by: [ec2.amazonaws.com, lambda.amazonaws.com]")
            }),
            &["broaden.trust-principal"],
        ),
        (
            "public access block off",
            Box::new(|s| s.replace("  data: {}", "  data: { public_access_block: false }")),
            &["broaden.public-access-block"],
        ),
        (
            "a response function's code changed",
            Box::new(|s| s.replace("code: responses/echo,", "code: responses/echo-v2,")),
            &["broaden.function-code"],
        ),
        (
            "public IP",
            Box::new(|s| {
                s.replace(
                    "    image: ami-0123456789abcdef0\n",
                    "    image: ami-0123456789abcdef0\n    public_ip: true\n",
                )
            }),
            &["broaden.public-ip"],
        ),
        (
            "IMDSv1",
            Box::new(|s| {
                s.replace("    image: ami-0123456789abcdef0\n", "    image: ami-0123456789abcdef0\n    imdsv2: false\n")
            }),
            &["broaden.imdsv1"],
        ),
    ];
    for (what, edit, want) in cases {
        let got = checks(edit);
        assert_eq!(got, want.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{what}");
    }
}

#[test]
fn every_kind_of_weakening_is_found() {
    let cases: Vec<Case> = vec![
        (
            "trail leaves a source out",
            Box::new(|s| {
                s.replace(
                    "  bucket: {}\n  cloudwatch_logs",
                    "  bucket: {}\n  exclude_sources: [kms.amazonaws.com]\n  cloudwatch_logs",
                )
            }),
            &["weaken.trail-sources-excluded"],
        ),
        ("a response removed", Box::new(|s| s.replace(RESPONSE, "")), &["weaken.response-removed"]),
        (
            "a response disabled",
            Box::new(|s| s.replace("    notify: [soc]\n", "    notify: [soc]\n    enabled: false\n")),
            &["weaken.response-disabled"],
        ),
        (
            "a response that answers fewer calls and tells fewer topics",
            Box::new(|s| {
                s.replace(
                    "names: [AuthorizeSecurityGroupIngress, ModifySecurityGroupRules]",
                    "names: [AuthorizeSecurityGroupIngress]",
                )
                .replace("    notify: [soc]\n", "")
            }),
            // One finding for the calls it no longer answers, one for the topic it no longer tells.
            &["weaken.response-narrowed", "weaken.response-narrowed"],
        ),
        (
            "GuardDuty off",
            Box::new(|s| {
                s.replace("  guardduty: { notify: [oncall] }\n", "  guardduty: { notify: [oncall], enabled: false }\n")
            }),
            &["weaken.guardduty-off"],
        ),
        (
            "a Security Hub standard turned off",
            Box::new(|s| s.replace("standards: [aws-foundational, cis-1.4]", "standards: [aws-foundational]")),
            &["weaken.security-hub-off"],
        ),
        (
            "the dashboard turned off",
            Box::new(|s| s + "dashboard: { enabled: false }\n"),
            &["weaken.dashboard-removed"],
        ),
        (
            "detection removed",
            Box::new(|s| s.replace("  - { use: cis/4.3, notify: [soc, oncall] }\n", "")),
            // The only detection: the dashboard generated from the detections goes with it.
            &["weaken.alarm-removed", "weaken.dashboard-removed", "weaken.detection-removed"],
        ),
        (
            "threshold raised",
            Box::new(|s| s.replace("use: cis/4.3, notify", "use: cis/4.3, threshold: { count: 5 }, notify")),
            &["weaken.threshold-raised"],
        ),
        (
            "period lengthened",
            Box::new(|s| s.replace("use: cis/4.3, notify", "use: cis/4.3, threshold: { period: 3600 }, notify")),
            &["weaken.period-lengthened"],
        ),
        (
            "notification dropped",
            Box::new(|s| s.replace("notify: [soc, oncall]", "notify: [soc]")),
            &["weaken.notification-dropped"],
        ),
        (
            "pattern changed",
            Box::new(|s| {
                s.replace("use: cis/4.3, notify", "use: cis/4.3, pattern: '{ $.userIdentity.type = \"Root\" }', notify")
            }),
            &["weaken.pattern-changed"],
        ),
        (
            "trail logging off",
            Box::new(|s| s.replace("trail:\n  bucket: {}", "trail:\n  logging: false\n  bucket: {}")),
            &["weaken.trail-logging-off"],
        ),
        (
            "single region",
            Box::new(|s| s.replace("trail:\n  bucket: {}", "trail:\n  multi_region: false\n  bucket: {}")),
            &["weaken.trail-single-region"],
        ),
        (
            "validation off",
            Box::new(|s| s.replace("trail:\n  bucket: {}", "trail:\n  log_file_validation: false\n  bucket: {}")),
            &["weaken.trail-validation-off"],
        ),
        (
            "retention shortened",
            Box::new(|s| {
                s.replace("log_group: cloudtrail, retention_days: 365", "log_group: cloudtrail, retention_days: 30")
            }),
            &["weaken.retention-shortened"],
        ),
        (
            "flow logs removed",
            Box::new(|s| s.replace("  flow_logs: { traffic: ALL, log_group: flows, retention_days: 365 }\n", "")),
            &["weaken.flow-logs-removed", "weaken.log-group-removed"],
        ),
        (
            "flow logs narrowed",
            Box::new(|s| s.replace("traffic: ALL", "traffic: ACCEPT")),
            &["weaken.flow-logs-narrowed"],
        ),
    ];
    for (what, edit, want) in cases {
        let got = checks(edit);
        assert_eq!(got, want.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{what}");
    }
}

#[test]
fn narrowing_changes_are_not_findings() {
    assert!(checks(|s| s.replace("from: 10.70.0.0/24", "from: 10.70.0.0/25")).is_empty());
    assert!(checks(|s| s.replace("      statements:\n        - { allow: [s3:GetObject], on: [bucket.data/*] }\n", ""))
        .is_empty());
    assert!(checks(|s| s.replace("email: [soc@example.com]", "email: [soc@example.com, soc2@example.com]")).is_empty());
    assert!(checks(|s| s.replace("retention_days: 365 }\nnotifications", "retention_days: 731 }\nnotifications"))
        .is_empty());
}

fn combined() -> (Model, Model) {
    let new = base()
        .replace("from: 10.70.0.0/24", "from: 0.0.0.0/0")
        .replace("ports: 443, from", "ports: 22, from")
        .replace("notify: [soc, oncall]", "notify: [soc]")
        .replace("allow: [s3:GetObject]", "allow: [s3:GetObject, s3:DeleteObject]");
    (model(&base()), model(&new))
}

#[test]
fn diff_renders_three_ways() {
    let (old, new) = combined();
    let d = diff::diff(&old, &new);
    assert_eq!(d.exit_code(), 3);
    insta::assert_snapshot!("diff_human", d.human());
    insta::assert_snapshot!("diff_markdown", d.markdown());
    insta::assert_snapshot!("diff_json", d.json());
}

#[test]
fn lint_finds_nothing_in_the_reference_soc() {
    let text = std::fs::read_to_string("blueprints/soc-reference.yaml").unwrap();
    let src = SourceFile::new(Path::new("blueprints/soc-reference.yaml"), text);
    let m = blueprint::parse_and_lower(&src, &LowerOptions { base_dir: "blueprints".into(), ..Default::default() })
        .unwrap();
    let r = lint::lint(&m, &m.suppressions);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.exit_code(), 0);
}

const LINT_BAD: &str = r#"
blueprint: lint-bad
region: us-east-1
network:
  vpc: { cidr: 10.80.0.0/16 }
  subnets:
    private: { cidr: 10.80.1.0/24, az: us-east-1a }
    public: { cidr: 10.80.2.0/24, az: us-east-1a }
  acls:
    edge:
      subnets: [public]
      ingress: [ { number: 100, action: allow, protocol: tcp, ports: "1024-65535", from: 0.0.0.0/0 } ]
security_groups:
  admin:
    ingress:
      - { protocol: tcp, ports: 22, from: 0.0.0.0/0 }
      - { protocol: tcp, ports: 3389, from: 0.0.0.0/0 }
  open: {}
iam:
  roles:
    ops:
      assumed_by: ec2.amazonaws.com
      statements:
        - { allow: ["*"], on: ["*"] }
        - { allow: [s3:PutObject], on: ["*"] }
buckets:
  loose: { public_access_block: false, versioning: false }
log_groups:
  short: { retention_days: 7 }
detections:
  - { name: lonely, pattern: ERROR, log_group: short }
hosts:
  box:
    subnet: private
    security_groups: [admin]
    instance_type: t3.micro
    image: ami-0123456789abcdef0
    public_ip: true
    imdsv2: false
    root_volume: { encrypted: false }
"#;

const LINT_TRAIL: &str = r#"
blueprint: lint-trail
region: us-east-1
trail:
  bucket: { versioning: false }
  multi_region: false
  log_file_validation: false
  logging: false
"#;

/// The responses' anchors wrong: no trail logs KMS's calls (SOC020, SOC023), a function that
/// may undo its own trigger (SOC021), the default-VPC-only runbook in a VPC of its own (SOC022).
const LINT_RESPOND: &str = r#"
blueprint: lint-respond
region: us-east-1
network:
  vpc: { cidr: 10.0.0.0/16 }
trail:
  bucket: {}
  exclude_sources: [kms.amazonaws.com]
  cloudwatch_logs: { log_group: trail }
detections:
  - { use: cis/4.7 }
responses:
  loop:
    trigger: { api_calls: { source: ec2.amazonaws.com, names: [RevokeSecurityGroupIngress] } }
    function:
      code: responses/echo
      handler: handler.lambda_handler
      statements: [ { allow: ["ec2:Revoke*"], resources: "arn:aws:ec2:*:*:security-group/*" } ]
  kms:
    trigger: { api_calls: { source: kms.amazonaws.com, names: [ScheduleKeyDeletion] } }
    runbook: { document: AWS-DisablePublicAccessForSecurityGroup, parameters: { GroupId: "$.detail.requestParameters.groupId" } }
"#;

#[test]
fn every_lint_rule_fires_where_it_should() {
    let mut fired = std::collections::BTreeSet::new();
    for text in [LINT_BAD, LINT_TRAIL, LINT_RESPOND, &quota_blueprint(61, 6)] {
        let m = model(text);
        for f in lint::lint(&m, &[]).findings {
            fired.insert(f.rule);
        }
    }
    let all: std::collections::BTreeSet<&str> = lint::RULES.iter().map(|r| r.id).collect();
    assert_eq!(fired, all, "rules that never fired: {:?}", all.difference(&fired).collect::<Vec<_>>());
    let m = model(LINT_BAD);
    let r = lint::lint(&m, &[]);
    let locate = |_: Option<&socform::address::Address>| (1, 1);
    insta::assert_snapshot!("lint_human", r.human("lint-bad.yaml", &locate));
    insta::assert_snapshot!("lint_sarif", r.sarif("lint-bad.yaml", &locate));
    insta::assert_snapshot!("lint_json", r.json());
}

/// A group with `rules` ingress rules, and a host in `groups` groups.
pub fn quota_blueprint(rules: usize, groups: usize) -> String {
    let ports: Vec<String> = (1..=rules).map(|p| p.to_string()).collect();
    let mut t = format!(
        "blueprint: quota\nregion: us-east-1\nnetwork:\n  vpc: {{ cidr: 10.0.0.0/16 }}\n  subnets:\n    a: {{ cidr: 10.0.0.0/24, az: us-east-1a }}\nsecurity_groups:\n  big:\n    ingress: [ {{ protocol: tcp, ports: [{}], from: 10.0.0.0/8 }} ]\n    egress: []\n",
        ports.join(", ")
    );
    for g in 0..groups {
        t.push_str(&format!("  g{g}: {{ egress: [] }}\n"));
    }
    let names: Vec<String> = (0..groups).map(|g| format!("g{g}")).collect();
    t.push_str(&format!(
        "hosts:\n  h: {{ subnet: a, security_groups: [{}], instance_type: t3.micro, image: amazon-linux-2023 }}\n",
        names.join(", ")
    ));
    t
}

#[test]
fn default_quotas_are_a_lint_warning_naming_the_count() {
    let r = lint::lint(&model(&quota_blueprint(61, 6)), &[]);
    let msgs: Vec<String> = r.findings.iter().filter(|f| f.rule == "SOC019").map(|f| f.message.clone()).collect();
    assert_eq!(
        msgs,
        [
            "61 ingress rules: the default quota is 60 per direction",
            "6 security groups: the default quota is 5 per network interface"
        ]
    );
    let r = lint::lint(&model(&quota_blueprint(60, 5)), &[]);
    assert!(r.findings.iter().all(|f| f.rule != "SOC019"));
}

#[test]
fn a_suppression_with_a_reason_silences_one_rule_on_one_resource() {
    let text = format!(
        "{LINT_BAD}lint:\n  suppress:\n    - {{ rule: SOC001, resource: security_group.admin, reason: \"break-glass bastion, closed after the lab\" }}\n"
    );
    let m = model(&text);
    let r = lint::lint(&m, &m.suppressions);
    let soc001: Vec<_> = r.findings.iter().filter(|f| f.rule == "SOC001").collect();
    assert_eq!(soc001.len(), 2);
    assert!(soc001.iter().all(|f| f.suppressed.as_deref() == Some("break-glass bastion, closed after the lab")));
    assert!(r.active().all(|f| f.rule != "SOC001"));
    let sarif: serde_json::Value = serde_json::from_str(&r.sarif("x.yaml", &|_| (1, 1))).unwrap();
    let suppressed =
        sarif["runs"][0]["results"].as_array().unwrap().iter().filter(|x| x.get("suppressions").is_some()).count();
    assert_eq!(suppressed, 2);
}

#[test]
fn a_suppression_without_a_reason_or_for_an_unknown_rule_is_refused() {
    let src = SourceFile::new(
        Path::new("s.yaml"),
        format!("{LINT_BAD}lint:\n  suppress:\n    - {{ rule: SOC001, resource: security_group.admin, reason: '' }}\n    - {{ rule: SOC999, resource: security_group.admin, reason: because }}\n    - {{ rule: SOC002, resource: iam_role.nope, reason: because }}\n"),
    );
    let err =
        blueprint::parse_and_lower(&src, &LowerOptions { base_dir: ".".into(), ..Default::default() }).unwrap_err();
    let msgs: Vec<&str> = err.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "a suppression needs a written reason",
            "`SOC999` is not a lint rule",
            "`iam_role.nope` is not a resource of this blueprint (see `socform graph`)"
        ]
    );
}

fn run(args: &[&str]) -> Output {
    Command::cargo_bin("socform").unwrap().env("NO_COLOR", "1").args(args).output().unwrap()
}

/// The base blueprint's response function, beside a copy of the blueprint in `dir`.
fn with_response_code(dir: &Path) {
    let echo = dir.join("responses/echo");
    std::fs::create_dir_all(&echo).unwrap();
    std::fs::copy("tests/fixtures/responses/echo/handler.py", echo.join("handler.py")).unwrap();
}

#[test]
fn diff_exit_codes_follow_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    with_response_code(dir.path());
    let write = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let a = write("a.yaml", base());
    let same = write("same.yaml", base());
    let benign =
        write("benign.yaml", base().replace("email: [soc@example.com]", "email: [soc@example.com, soc2@example.com]"));
    let risky = write("risky.yaml", base().replace("from: 10.70.0.0/24", "from: 0.0.0.0/0"));
    assert_eq!(run(&["diff", &a, &same]).status.code(), Some(0));
    assert_eq!(run(&["diff", &a, &benign]).status.code(), Some(2));
    let out = run(&["diff", &a, &risky, "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(3));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains(":unlock: **2 changes broaden access**"), "{md}");
    assert!(md.contains("to the whole internet"), "{md}");
}

#[test]
fn diff_against_a_git_revision() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git").arg("-C").arg(dir.path()).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "-q"]);
    with_response_code(dir.path());
    std::fs::write(dir.path().join("lab.yaml"), base()).unwrap();
    git(&["add", "lab.yaml"]);
    git(&["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base"]);
    std::fs::write(dir.path().join("lab.yaml"), base().replace("traffic: ALL", "traffic: REJECT")).unwrap();
    let path = dir.path().join("lab.yaml");
    let out = run(&["diff", "--base", "HEAD", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["review"][0]["check"], "weaken.flow-logs-narrowed");
    let out = run(&["diff", "--base", "no-such-rev", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    // Regression: `--base=--output=FILE` reached git as an option and wrote FILE. A base is
    // a revision and nothing else.
    let written = dir.path().join("written-by-git");
    let opt = format!("--base=--output={}", written.display());
    let out = run(&["diff", &opt, path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--base takes a git revision"));
    assert!(!written.exists(), "git was handed an option");
    // Usage errors exit 1, never 2 ("changes present").
    for rev in ["HEAD:lab.yaml", "--all"] {
        let out = run(&["diff", "--base", rev, path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{rev}");
    }
}

#[test]
fn plan_carries_the_security_review_and_exit_code_3() {
    use socform::plan::{plan, PlanOptions};
    use socform::state::State;
    let (old, new) = combined();
    // Pretend `old` is applied: its plan's after values become state.
    let mut state = State::new("review", "us-east-1");
    state.serial = 1;
    let p = plan(&old, &state, None, PlanOptions::default()).unwrap();
    for c in &p.changes {
        state.resources.insert(
            c.address.clone(),
            socform::state::Record {
                kind: c.kind,
                id: c.address.to_string(),
                attributes: c.after.clone().unwrap(),
                outputs: Default::default(),
                dependencies: c.depends_on.clone(),
            },
        );
    }
    let p = plan(&new, &state, None, PlanOptions::default()).unwrap();
    let checks: Vec<&str> = p.review.iter().map(|f| f.check.as_str()).collect();
    assert!(checks.contains(&"broaden.admin-port") && checks.contains(&"weaken.notification-dropped"), "{checks:?}");
    let human = socform::render::plan::human(&p, false);
    assert!(human.contains("Security review: "), "{human}");
    let md = socform::render::plan::markdown(&p);
    let review_at = md.find("broaden access").unwrap();
    let details_at = md.find("<details>").unwrap();
    assert!(review_at < details_at, "the review comes before the details");
}

/// The check ids a diff of two blueprint texts reports, sorted and deduplicated.
fn checks_between(old: &str, new: &str) -> (Vec<String>, u8) {
    let dir = if old.contains("blueprint: soc-reference") { "blueprints" } else { "tests/fixtures" };
    let d = diff::diff(&model_in(old, dir), &model_in(new, dir));
    let mut ids: Vec<String> = d.review.iter().map(|f| f.check.clone()).collect();
    ids.sort();
    ids.dedup();
    (ids, d.exit_code())
}

fn reference() -> String {
    std::fs::read_to_string("blueprints/soc-reference.yaml").unwrap()
}

/// A catalog entry's pattern, for edits of a detection that overrides it.
fn pattern(id: &str) -> String {
    socform::detect::catalog::get(id).unwrap().pattern.to_string()
}

/// One-line mutations of the shipped reference blueprint, each with the verdict a security
/// reviewer would give: the checks it must trigger, and none for neutral changes (which
/// still exit 2: a change, just not a dangerous one).
#[test]
fn one_line_mutations_of_the_reference_soc_get_the_right_verdict() {
    let cis45 = pattern("cis/4.5");
    let cis45_wider = cis45.replace(" }", " || ($.eventName = PutEventSelectors) }");
    let cis45_narrower = cis45.replace(" || ($.eventName = StopLogging)", "");
    let cis45_changed =
        cis45.replace("($.eventName = StopLogging)", "($.eventName = StopLogging && $.readOnly = false)");
    let line = |old: &str, new: &str| {
        let text = reference();
        assert!(text.contains(old), "the reference blueprint has no `{old}`");
        text.replacen(old, new, 1)
    };
    let t = "{ use: cis/4.3, notify: [critical] }";
    let t5 = "{ use: cis/4.5, notify: [high] }";
    let with = |extra: &str| line(t, &format!("{{ use: cis/4.3, notify: [critical], {extra} }}"));
    let cases: Vec<(&str, String, &[&str])> = vec![
        // The detection chain.
        ("statistic Sum to Average", with("threshold: { statistic: Average }"), &["weaken.alarm-statistic"]),
        ("comparison made strict", with("threshold: { comparison: \">\" }"), &["weaken.alarm-comparison"]),
        ("comparison inverted", with("threshold: { comparison: \"<\" }"), &["weaken.alarm-comparison"]),
        ("metric value 0", with("metric: { value: \"0\" }"), &["weaken.metric-value"]),
        ("moved to the flow-log group", with("log_group: vpc-flow-logs"), &["weaken.detection-log-group"]),
        ("threshold raised", with("threshold: { count: 5 }"), &["weaken.threshold-raised"]),
        ("period lengthened", with("threshold: { period: 3600 }"), &["weaken.period-lengthened"]),
        ("severity lowered", with("severity: low"), &["weaken.severity-lowered"]),
        ("notification removed", line(t, "{ use: cis/4.3, notify: [] }"), &["weaken.notification-dropped"]),
        (
            "a subscriber removed",
            line(", https: [\"https://pager.example.com/hooks/socform\"]", ""),
            &["weaken.notification-dropped"],
        ),
        ("detection removed", line(&format!("  - {t}\n"), ""), &["weaken.alarm-removed", "weaken.detection-removed"]),
        ("alternative removed", line(t5, &format!("{{ use: cis/4.5, notify: [high], pattern: '{cis45_narrower}' }}")), &["weaken.pattern-narrowed"]),
        ("alternative tightened", line(t5, &format!("{{ use: cis/4.5, notify: [high], pattern: '{cis45_changed}' }}")), &["weaken.pattern-changed"]),
        // The trail, logs, Config.
        ("trail global events off", line("global_service_events: true", "global_service_events: false"), &["weaken.trail-global-off"]),
        ("trail single region", line("multi_region: true", "multi_region: false"), &["weaken.trail-single-region"]),
        ("trail validation off", line("log_file_validation: true", "log_file_validation: false"), &["weaken.trail-validation-off"]),
        ("trail stopped", line("  multi_region: true\n", "  multi_region: true\n  logging: false\n"), &["weaken.trail-logging-off"]),
        ("trail retention shortened", line("log_group: cloudtrail, retention_days: 365", "log_group: cloudtrail, retention_days: 30"), &["weaken.retention-shortened"]),
        ("flow logs narrowed", line("traffic: ALL", "traffic: REJECT"), &["weaken.flow-logs-narrowed"]),
        ("Config all types off", line("all_supported: true", "all_supported: false"), &["weaken.config-recording-narrowed"]),
        ("Config global types off", line("include_global: true", "include_global: false"), &["weaken.config-recording-narrowed"]),
        ("Config rule removed", line("    cloudtrail-enabled: { identifier: CLOUD_TRAIL_ENABLED }\n", ""), &["weaken.config-rule-removed"]),
        // What lint calls a finding, review reports too.
        ("trail bucket versioning off", line("versioning: true", "versioning: false"), &["lint.SOC005"]),
        ("root volume unencrypted", line("root_volume: { size_gb: 50 }", "root_volume: { size_gb: 50, encrypted: false }"), &["lint.SOC015"]),
        // Access.
        ("trail bucket public", line("public_access_block: true", "public_access_block: false"), &["broaden.public-access-block"]),
        ("SSH from the internet", line("    ingress: []\n", "    ingress: [ { protocol: tcp, ports: 22, from: 0.0.0.0/0 } ]\n"), &["broaden.admin-port", "broaden.internet"]),
        (
            "world-open among /32s",
            line(
                "    ingress: []\n",
                "    ingress: [ { protocol: tcp, ports: [8443, 9443], from: [198.51.100.1/32, 198.51.100.2/32, 0.0.0.0/0] } ]\n",
            ),
            &["broaden.internet", "broaden.new-rule"],
        ),
        // The network ACLs, read in rule order.
        (
            "ACL deny of RDP removed",
            line("        - { number: 110, action: deny, protocol: tcp, ports: 3389, from: 0.0.0.0/0 }\n", ""),
            &["broaden.acl-rule", "broaden.admin-port"],
        ),
        (
            "ACL deny of RDP renumbered after the allow that holds it",
            line("number: 110, action: deny, protocol: tcp, ports: 3389", "number: 310, action: deny, protocol: tcp, ports: 3389"),
            &["broaden.acl-rule", "broaden.admin-port"],
        ),
        ("ACL allow widened", line("ports: \"1024-65535\", from: 0.0.0.0/0", "ports: \"1-65535\", from: 0.0.0.0/0"), &["broaden.acl-rule"]),
        ("ACL deny narrowed", line("number: 100, action: deny, protocol: tcp, ports: 22, from: 0.0.0.0/0", "number: 100, action: deny, protocol: tcp, ports: 22, from: 0.0.0.0/1"), &["broaden.acl-rule"]),
        ("VPC's default ACL left to AWS", line("    vpc-default: { default: true }\n", ""), &["broaden.acl-rule"]),
        (
            "subnet moved to an ACL that lets more in",
            line("    vpc-default: { default: true }\n", "    vpc-default:\n      default: true\n      ingress: [ { number: 100, action: allow, protocol: all, from: 0.0.0.0/0 } ]\n")
                .replacen("subnets: [soc-a, soc-b, workload-a, workload-b]", "subnets: [soc-a, soc-b, workload-a]", 1),
            &["broaden.acl-rule", "broaden.acl-subnet", "broaden.admin-port"],
        ),
        ("host in one more group", line("security_groups: [agents]", "security_groups: [agents, wazuh]"), &["broaden.instance-groups"]),
        ("IMDSv1", line("    instance_type: \"${input.agent_instance_type}\"\n", "    instance_type: \"${input.agent_instance_type}\"\n    imdsv2: false\n"), &["broaden.imdsv1"]),
        ("external recipient", line("default: [soc-team@example.com]", "default: [soc-team@example.com, analyst@gmail.com]"), &["broaden.external-recipient"]),
        ("IAM action added", line("allow: [s3:GetObject, s3:ListBucket]", "allow: [s3:GetObject, s3:ListBucket, s3:PutObject]"), &["broaden.iam-statement"]),
        // Neutral: a change, no finding.
        ("role description", line("description: Monitored host - SSM access only", "description: Monitored host, SSM only"), &[]),
        ("tag", line("project: soc-reference", "project: soc-reference-2"), &[]),
        ("narrower egress", line("ports: 443, to: 0.0.0.0/0, description: \"AWS APIs, SSM and package updates\" }\n  agents", "ports: 443, to: 10.0.0.0/8, description: \"AWS APIs, SSM and package updates\" }\n  agents"), &[]),
        ("lowered threshold", line("{ use: soc/console-login-failures, notify: [high] }", "{ use: soc/console-login-failures, notify: [high], threshold: { count: 3 } }"), &[]),
        ("detection added", line(&format!("  - {t}\n"), &format!("  - {t}\n  - {{ use: cis/4.3, name: root-usage-copy, notify: [critical] }}\n")), &[]),
        ("longer retention", line("log_group: cloudtrail, retention_days: 365", "log_group: cloudtrail, retention_days: 731"), &[]),
        ("alternative added", line(t5, &format!("{{ use: cis/4.5, notify: [high], pattern: '{cis45_wider}' }}")), &[]),
        ("severity raised", line("{ use: cis/4.1, notify: [routine] }", "{ use: cis/4.1, notify: [routine], severity: critical }"), &[]),
        ("internal recipient", line("default: [soc-team@example.com]", "default: [soc-team@example.com, lead@example.com]"), &[]),
        ("ACL deny added", line("      egress:\n        - { number: 100, action: allow, protocol: all, to: 0.0.0.0/0 }", "        - { number: 120, action: deny, protocol: udp, ports: 3389, from: 0.0.0.0/0 }\n      egress:\n        - { number: 100, action: allow, protocol: all, to: 0.0.0.0/0 }"), &[]),
        ("subnet moved to the ACL that denies everything", line("subnets: [soc-a, soc-b, workload-a, workload-b]", "subnets: [soc-a, soc-b, workload-a]"), &[]),
        ("shorter period", line("{ use: soc/console-login-failures, notify: [high] }", "{ use: soc/console-login-failures, notify: [high], threshold: { period: 60 } }"), &[]),
    ];
    let base = reference();
    assert_verdicts(cases.iter().map(|(what, new, want)| (*what, base.as_str(), new.as_str(), *want)));
}

/// Each case's checks and exit code (3 with a finding, 2 for a change without one), every
/// disagreement listed at once.
fn assert_verdicts<'a>(cases: impl Iterator<Item = (&'a str, &'a str, &'a str, &'a [&'a str])>) {
    let mut failures = Vec::new();
    for (what, old, new, want) in cases {
        let (got, code) = checks_between(old, new);
        let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        let want_code = if want.is_empty() { 2 } else { 3 };
        if got != want || code != want_code {
            failures.push(format!("{what}: got {got:?} (exit {code}), want {want:?} (exit {want_code})"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Attribute pairs for links a blueprint cannot change on its own: a bucket policy (socform
/// writes it), a trail without CloudWatch delivery or without a trail (detections need
/// both), an alarm whose metric differs from its filter's (one `metric:` sets both), and
/// IAM denies and conditions.
#[test]
fn links_a_blueprint_cannot_express_alone_are_still_checked() {
    use serde_json::json;
    use socform::address::Address;
    use socform::model::Attrs;
    use socform::review::security::{review, Pair};
    let attrs = |v: serde_json::Value| -> Attrs { serde_json::from_value(v).unwrap() };
    let run = |pairs: Vec<(&str, Option<Attrs>, Option<Attrs>)>| -> Vec<String> {
        let addrs: Vec<Address> = pairs.iter().map(|(a, _, _)| Address::parse(a).unwrap()).collect();
        let p: Vec<Pair<'_>> = pairs
            .iter()
            .zip(&addrs)
            .map(|((_, b, a), addr)| Pair { address: addr, before: b.as_ref(), after: a.as_ref() })
            .collect();
        let mut ids: Vec<String> = review(&p, &Default::default()).into_iter().map(|f| f.check).collect();
        ids.dedup();
        ids
    };
    let policy = |principal: &str, effect: &str| {
        attrs(
            json!({"bucket": "b", "policy": {"Statement": [{"Effect": effect, "Principal": principal, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}}),
        )
    };
    assert_eq!(
        run(vec![(
            "s3_bucket_policy.b",
            Some(policy("cloudtrail.amazonaws.com", "Allow")),
            Some(policy("*", "Allow"))
        )]),
        ["broaden.public-bucket-policy"]
    );
    assert!(run(vec![("s3_bucket_policy.b", Some(policy("*", "Allow")), Some(policy("*", "Deny")))]).is_empty());

    let trail = |cw: Option<&str>| attrs(json!({"name": "t", "logging": true, "cloud_watch_logs_log_group_arn": cw}));
    assert_eq!(
        run(vec![("trail.main", Some(trail(Some("arn:aws:logs:r:1:log-group:ct:*"))), Some(trail(None)))]),
        ["weaken.trail-cloudwatch-off"]
    );
    assert_eq!(run(vec![("trail.main", Some(trail(Some("x"))), None)]), ["weaken.trail-removed"]);
    assert_eq!(
        run(vec![(
            "config_recorder.main",
            Some(attrs(json!({"name": "r", "recording": true}))),
            Some(attrs(json!({"name": "r", "recording": false})))
        )]),
        ["weaken.config-recorder-off"]
    );

    let filter = attrs(
        json!({"log_group_name": "ct", "filter_pattern": "{ $.a = 1 }", "metric_namespace": "SOC", "metric_name": "Root", "metric_value": "1"}),
    );
    let alarm = |metric: &str| {
        attrs(
            json!({"alarm_name": "a", "namespace": "SOC", "metric_name": metric, "statistic": "Sum", "comparison_operator": "GreaterThanOrEqualToThreshold", "threshold": 1.0, "period": 60, "evaluation_periods": 1, "alarm_actions": ["arn:t"]}),
        )
    };
    assert_eq!(
        run(vec![
            ("metric_filter.root", Some(filter.clone()), Some(filter.clone())),
            ("alarm.root", Some(alarm("Root")), Some(alarm("RootUsage"))),
        ]),
        ["weaken.alarm-metric-mismatch"]
    );

    let role = |statements: serde_json::Value| {
        attrs(
            json!({"role_name": "r", "assume_role_policy": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}, "inline_policies": {"p": {"Statement": statements}}}),
        )
    };
    let allow = json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}});
    let allow_bare = json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"});
    let deny = json!({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"});
    assert_eq!(
        run(vec![("iam_role.r", Some(role(json!([allow, deny]))), Some(role(json!([allow]))))]),
        ["broaden.iam-deny-removed"]
    );
    assert_eq!(
        run(vec![("iam_role.r", Some(role(json!([allow]))), Some(role(json!([allow_bare]))))]),
        ["broaden.iam-condition-removed"]
    );
    assert!(
        run(vec![("iam_role.r", Some(role(json!([allow_bare]))), Some(role(json!([allow]))))]).is_empty(),
        "a condition added narrows"
    );
}

/// The CIDR cases the issue on proofs named: a rule moved outside the old block, and IPv4
/// to `::/0`.
#[test]
fn a_rule_moved_elsewhere_or_to_ipv6_is_wider() {
    let (got, _) = checks_between(&base(), &base().replace("from: 10.70.0.0/24", "from: 203.0.113.0/24"));
    assert_eq!(got, ["broaden.wider-rule"]);
    let (got, _) = checks_between(&base(), &base().replace("from: 10.70.0.0/24", "from: \"::/0\""));
    assert_eq!(got, ["broaden.internet", "broaden.wider-rule"]);
}

/// Every check id is listed in `CHECKS`, and every listed id fires in some test above or in
/// the blueprint tables: a check nobody can trigger is a check nobody has proven.
#[test]
fn every_check_id_is_listed_and_fired_by_a_test() {
    use socform::review::security::CHECKS;
    let src = std::fs::read_to_string("src/review/security.rs").unwrap()
        + &std::fs::read_to_string("src/review/diff.rs").unwrap();
    let used: std::collections::BTreeSet<String> = regex_ids(&src);
    let listed: std::collections::BTreeSet<String> = CHECKS.iter().map(|(id, _)| id.to_string()).collect();
    assert_eq!(used, listed, "check ids in the code and in CHECKS differ");
    let tests = std::fs::read_to_string("tests/it/review.rs").unwrap();
    let in_tests = regex_ids(&tests.replace("CHECKS", ""));
    let untested: Vec<&String> = listed.iter().filter(|id| !in_tests.contains(*id)).collect();
    assert!(untested.is_empty(), "never expected by a test: {untested:?}");
    let readme = std::fs::read_to_string("README.md").unwrap();
    let undocumented: Vec<&String> = listed.iter().filter(|id| !readme.contains(&format!("`{id}`"))).collect();
    assert!(undocumented.is_empty(), "not in the README's list: {undocumented:?}");
}

fn regex_ids(text: &str) -> std::collections::BTreeSet<String> {
    // A check id in a string literal: `"broaden.x"`, also where the line holds escaped quotes.
    let re = regex::Regex::new(r#""((?:broaden|weaken)\.[a-z0-9.-]+)""#).unwrap();
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
}

#[test]
fn diff_shows_input_defaults_that_change() {
    let old = model("blueprint: lab\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.0.0.0/16 }\ninputs:\n  admin_cidr: { type: cidr, default: 203.0.113.7/32 }\n  size: { default: t3.micro }\nsecurity_groups:\n  admin:\n    ingress: [ { protocol: tcp, ports: 443, from: \"${input.admin_cidr}\" } ]\n    egress: []\n");
    let new = model("blueprint: lab\nregion: us-east-1\nnetwork:\n  vpc: { cidr: 10.0.0.0/16 }\ninputs:\n  admin_cidr: { type: cidr, default: 0.0.0.0/0 }\n  email: { type: email, default: soc@example.com }\nsecurity_groups:\n  admin:\n    ingress: [ { protocol: tcp, ports: 443, from: \"${input.admin_cidr}\" } ]\n    egress: []\n");
    let d = socform::review::diff::diff(&old, &new);
    let human = d.human();
    assert!(human.contains("~ input `admin_cidr` default \"203.0.113.7/32\" -> \"0.0.0.0/0\""), "{human}");
    assert!(human.contains("~ input `email` added, default \"soc@example.com\""), "{human}");
    assert!(human.contains("~ input `size` removed (its default was \"t3.micro\")"), "{human}");
    // The default's effect is reviewed where it lands: the rule now open to the world.
    assert!(d.review.iter().any(|f| f.concern == socform::review::Concern::BroadensAccess), "{human}");
    assert!(d.markdown().contains("#### Inputs"), "{}", d.markdown());
    assert_eq!(d.exit_code(), 3);
    let same = socform::review::diff::diff(&old, &old);
    assert!(same.inputs.is_empty() && !same.has_changes());
}

/// Issue 23: lint SOC001 missed SSH open to the world written as two /1 halves. One meaning
/// of "open to the internet" (`model::exposure`): the group's rules together; private
/// ranges, an admin's address and a non-admin port are not findings, and RDP over UDP is.
#[test]
fn the_world_in_halves_is_open_to_the_internet_for_lint_and_review() {
    let group = |rules: &str| {
        format!("blueprint: halves\nregion: us-east-1\nnetwork:\n  vpc: {{ cidr: 10.80.0.0/16 }}\nsecurity_groups:\n  admin:\n    ingress:\n{rules}")
    };
    let soc001 = |rules: &str| -> Vec<String> {
        let r = lint::lint(&model(&group(rules)), &[]);
        r.findings.iter().filter(|f| f.rule == "SOC001").map(|f| f.message.clone()).collect()
    };
    let halves = "      - { protocol: tcp, ports: 22, from: 0.0.0.0/1 }\n      - { protocol: tcp, ports: 22, from: 128.0.0.0/1 }\n      - { protocol: tcp, ports: 22, from: 203.0.113.7/32 }\n";
    let found = soc001(halves);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|m| m.starts_with("SSH (22) is open to the whole internet (with ")), "{found:?}");
    assert!(found.iter().all(|m| m.ends_with(": together the whole internet)")), "{found:?}");
    let v6 = "      - { protocol: tcp, ports: 3389, from: '::/1' }\n      - { protocol: tcp, ports: 3389, from: '8000::/1' }\n";
    assert_eq!(soc001(v6).len(), 2);
    assert_eq!(
        soc001("      - { protocol: udp, ports: 3389, from: 0.0.0.0/0 }\n"),
        ["RDP (3389/udp) is open to the whole internet"]
    );
    for quiet in [
        "      - { protocol: tcp, ports: 22, from: 10.0.0.0/8 }\n      - { protocol: tcp, ports: 22, from: 172.16.0.0/12 }\n",
        "      - { protocol: tcp, ports: 443, from: 0.0.0.0/1 }\n      - { protocol: tcp, ports: 443, from: 128.0.0.0/1 }\n",
        "      - { protocol: udp, ports: 22, from: 0.0.0.0/0 }\n",
    ] {
        assert!(soc001(quiet).is_empty(), "{quiet}");
    }
    // Two halves of a /8, neither the internet alone: together they are, for lint...
    let ninths = "      - { protocol: tcp, ports: 22, from: 3.0.0.0/9 }\n      - { protocol: tcp, ports: 22, from: 3.128.0.0/9 }\n";
    assert_eq!(soc001(ninths).len(), 2);
    assert!(soc001("      - { protocol: tcp, ports: 22, from: 3.0.0.0/9 }\n").is_empty());
    // ... and for the review, which names them once the second half arrives.
    let one = model(&group("      - { protocol: tcp, ports: 443, from: 3.0.0.0/9 }\n"));
    let two = model(&group("      - { protocol: tcp, ports: 443, from: 3.0.0.0/9 }\n      - { protocol: tcp, ports: 443, from: 3.128.0.0/9 }\n"));
    let d = diff::diff(&one, &two);
    let internet: Vec<_> = d.review.iter().filter(|f| f.check == "broaden.internet").collect();
    assert_eq!(internet.len(), 1, "{:?}", d.review);
    assert!(internet[0].message.contains("to the whole internet"), "{}", internet[0].message);
}

/// SOC024: a response to API calls beside a trail of every region is a note (its region only
/// is answered); with a trail of one region, there is nothing to say.
#[test]
fn a_response_beside_a_multi_region_trail_is_noted_as_one_region() {
    let soc024 = |text: &str| -> Vec<String> {
        let r = lint::lint(&model(text), &[]);
        r.findings.iter().filter(|f| f.rule == "SOC024").map(|f| f.message.clone()).collect()
    };
    let all = soc024(LINT_RESPOND);
    assert!(
        all.iter().any(|m| m == "it answers calls made in us-east-1 only; the trail records every region"),
        "{all:?}"
    );
    let one = LINT_RESPOND.replace("  bucket: {}\n", "  bucket: {}\n  multi_region: false\n");
    assert!(soc024(&one).is_empty());
    let r = lint::lint(&model(LINT_RESPOND), &[]);
    assert!(r.findings.iter().filter(|f| f.rule == "SOC024").all(|f| f.level == lint::Level::Note));
}

/// Issue 29: tests/fixtures/glob-stall.yaml kept `lint` busy for minutes (an exponential IAM
/// glob). It is linted now; an exponential match would not return here.
#[test]
fn the_blueprint_that_stalled_lint_is_linted() {
    let text = std::fs::read_to_string("tests/fixtures/glob-stall.yaml").unwrap();
    let r = lint::lint(&model(&text), &[]);
    assert!(r.findings.iter().all(|f| f.rule != "SOC021"), "the glob does not cover the trigger: {:?}", r.findings);
}

/// The blind spots a reviewer and an auditor found (issue "A review an auditor could sign"):
/// each risky change is a finding with its own check id, and its neutral twin is a change
/// and no finding (exit 2).
#[test]
fn the_blind_spots_an_auditor_found_are_findings_and_their_twins_are_not() {
    let host = "    image: ami-0123456789abcdef0\n";
    let boot = |vars: &str| format!("{host}    user_data: {{ file: scripts/hello.sh, vars: {{ {vars} }} }}\n");
    let with_boot = |vars: &str| base().replace(host, &boot(vars));
    let function = "function: { code: responses/echo, handler: handler.lambda_handler }";
    let with_fn = |extra: &str| {
        base().replace(
            function,
            &format!("function: {{ code: responses/echo, handler: handler.lambda_handler, {extra} }}"),
        )
    };
    let soc = "  soc: { email: [soc@example.com] }\n";
    let with_soc = |extra: &str| base().replace(soc, &format!("  soc: {{ email: [soc@example.com], {extra} }}\n"));
    let trail = "  cloudwatch_logs: { log_group: cloudtrail, retention_days: 365 }\n";
    let with_trail_key = |key: &str| base().replace(trail, &format!("{trail}  kms_key: \"{key}\"\n"));
    let egress = "    egress: []\n";
    let bases = |b: String| b;
    let cases: Vec<(&str, String, String, &[&str])> = vec![
        // Egress: all traffic to the internet, or the list removed (AWS's allow-all).
        (
            "egress to the world",
            base(),
            base().replace(egress, "    egress: [ { protocol: all, to: 0.0.0.0/0 } ]\n"),
            &["broaden.egress-internet"],
        ),
        ("egress list removed", base(), base().replace(egress, ""), &["broaden.egress-internet"]),
        (
            "egress in halves",
            base(),
            base().replace(egress, "    egress: [ { protocol: tcp, ports: 443, to: [0.0.0.0/1, 128.0.0.0/1] } ]\n"),
            &["broaden.egress-internet"],
        ),
        (
            "egress narrowed (twin)",
            base().replace(egress, "    egress: [ { protocol: all, to: 0.0.0.0/0 } ]\n"),
            base().replace(egress, "    egress: [ { protocol: tcp, ports: 443, to: 0.0.0.0/0 } ]\n"),
            &[],
        ),
        (
            "egress inside the VPC (twin)",
            base(),
            base().replace(egress, "    egress: [ { protocol: tcp, ports: 1514, to: 10.70.1.0/24 } ]\n"),
            &["broaden.new-rule"],
        ),
        // A host's bootstrap pointed outside the lab.
        (
            "agent sent to a stranger",
            with_boot("MANAGER: 10.70.1.10"),
            with_boot("MANAGER: collector.attacker.example.net"),
            &["broaden.bootstrap-destination"],
        ),
        (
            "agent sent to a public IP",
            with_boot("MANAGER: 10.70.1.10"),
            with_boot("MANAGER: \"https://203.0.113.9:1514/x\""),
            &["broaden.bootstrap-destination"],
        ),
        ("agent moved inside the VPC (twin)", with_boot("MANAGER: 10.70.1.10"), with_boot("MANAGER: 10.70.0.20"), &[]),
        (
            "private DNS name (twin)",
            with_boot("MANAGER: 10.70.1.10"),
            with_boot("MANAGER: ip-10-70-1-10.ec2.internal, VERSION: \"4.7\""),
            &[],
        ),
        // A response disabled without being removed.
        (
            "response runtime changed",
            with_fn("runtime: python3.12"),
            with_fn("runtime: python3.13"),
            &["weaken.response-handler"],
        ),
        ("response timeout cut", with_fn("timeout: 60"), with_fn("timeout: 1"), &["weaken.response-timeout"]),
        ("response timeout raised (twin)", with_fn("timeout: 60"), with_fn("timeout: 120"), &[]),
        (
            "response told other ports",
            with_fn("environment: { ADMIN_PORTS: \"22,3389\" }"),
            with_fn("environment: { ADMIN_PORTS: \"55000\" }"),
            &["weaken.response-environment"],
        ),
        (
            "response environment cut",
            with_fn("environment: { ADMIN_PORTS: \"22,3389\" }"),
            base(),
            &["weaken.response-environment"],
        ),
        (
            "response environment added to (twin)",
            with_fn("environment: { ADMIN_PORTS: \"22,3389\" }"),
            with_fn("environment: { ADMIN_PORTS: \"22,3389\", LOG: debug }"),
            &[],
        ),
        // Keys of another account.
        (
            "trail key of another account",
            base(),
            with_trail_key("arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
            &["broaden.foreign-kms-key"],
        ),
        (
            "topic key of another account",
            base(),
            with_soc("kms_key: \"arn:aws:kms:us-east-1:999988887777:alias/x\""),
            &["broaden.foreign-kms-key"],
        ),
        ("key by alias, this account (twin)", base(), with_trail_key("alias/soc-trail"), &[]),
        (
            "key of this account (twin)",
            base().replace("region: us-east-1\n", "region: us-east-1\nallowed_accounts: [\"111122223333\"]\n"),
            with_trail_key("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")
                .replace("region: us-east-1\n", "region: us-east-1\nallowed_accounts: [\"111122223333\"]\n"),
            &[],
        ),
        (
            "key of an account the change adds",
            base().replace("region: us-east-1\n", "region: us-east-1\nallowed_accounts: [\"111122223333\"]\n"),
            with_trail_key("arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab").replace(
                "region: us-east-1\n",
                "region: us-east-1\nallowed_accounts: [\"111122223333\", \"999988887777\"]\n",
            ),
            &["broaden.foreign-kms-key"],
        ),
        // Alerts to endpoints outside the blueprint's domains and account.
        (
            "webhook of a stranger",
            base(),
            with_soc("https: [\"https://example.com@hooks.attacker.example.net/x\"]"),
            &["broaden.external-endpoint"],
        ),
        (
            "lookalike webhook",
            base(),
            with_soc("https: [\"https://example.com.attacker.net/x\"]"),
            &["broaden.external-endpoint"],
        ),
        ("webhook of our domain (twin)", base(), with_soc("https: [\"https://pager.example.com/hooks/socform\"]"), &[]),
        (
            "queue of another account",
            base(),
            with_soc("sqs: [\"arn:aws:sqs:us-east-1:999988887777:loot\"]"),
            &["broaden.external-endpoint"],
        ),
        (
            "queue of this account (twin)",
            base(),
            with_soc("sqs: [\"arn:aws:sqs:us-east-1:${aws.account_id}:soc\"]"),
            &[],
        ),
        // An input that stops being sensitive.
        (
            "input no longer sensitive",
            bases(base() + "inputs:\n  db: { sensitive: true, default: x }\n"),
            base() + "inputs:\n  db: { default: x }\n",
            &["broaden.input-not-sensitive"],
        ),
        (
            "input made sensitive (twin)",
            base() + "inputs:\n  db: { default: x }\n",
            base() + "inputs:\n  db: { sensitive: true, default: x }\n",
            &[],
        ),
        // A value from the environment of an ordinary name: named in the diff, not a finding.
        (
            "from_env of an ordinary name (twin)",
            base(),
            base() + "secrets:\n  db: { value: { from_env: DB_PASSWORD } }\n",
            &[],
        ),
    ];
    assert_verdicts(cases.iter().map(|(what, old, new, want)| (*what, old.as_str(), new.as_str(), *want)));
}

/// An input's finding is addressed `input.NAME` (no resource kind is called `input`), and
/// round-trips through a saved plan's JSON; every `from_env` variable is named in the diff
/// in all three forms, and `validate` refuses the names where CI runners keep credentials.
#[test]
fn inputs_and_environment_variables_are_named_where_a_reviewer_reads() {
    let old = model(&(base() + "inputs:\n  db: { sensitive: true, default: x }\n"));
    let new =
        model(&(base() + "inputs:\n  db: { default: x }\nsecrets:\n  api: { value: { from_env: DB_PASSWORD } }\n"));
    let d = diff::diff(&old, &new);
    let f = d.review.iter().find(|f| f.check == "broaden.input-not-sensitive").unwrap();
    assert_eq!(f.address.to_string(), "input.db");
    let json = serde_json::to_string(f).unwrap();
    assert!(json.contains("\"address\":\"input.db\""), "{json}");
    assert_eq!(&serde_json::from_str::<socform::review::Finding>(&json).unwrap(), f);
    assert!(
        d.human().contains("$ `secret.api` reads `DB_PASSWORD` from the environment of whoever applies (new)"),
        "{}",
        d.human()
    );
    assert!(d.markdown().contains("#### Read from the environment"), "{}", d.markdown());
    assert_eq!(d.environment[0].variable, "DB_PASSWORD");
    assert!(d.json().contains("\"environment\""));
    // Read before, read still: named, not new.
    let again = diff::diff(&new, &new);
    assert!(!again.has_changes() && again.environment.len() == 1 && !again.environment[0].new);
    for var in ["AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "runner_temp"] {
        let text = base() + &format!("secrets:\n  api: {{ value: {{ from_env: {var} }} }}\n");
        let src = SourceFile::new(Path::new("review.yaml"), text);
        let d =
            blueprint::parse_and_lower(&src, &LowerOptions { base_dir: "tests/fixtures".into(), ..Default::default() })
                .expect_err(var);
        let shown: String = d.iter().map(|d| d.render(false)).collect();
        assert!(shown.contains("where CI runners and AWS tools keep their own credentials"), "{shown}");
    }
}

/// The roles socform writes wholly from its own templates (the trail's delivery to CloudWatch
/// Logs, the flow logs') are not listed as broadening access when they appear: no blueprint
/// chooses what they hold. A role a blueprint writes, with the very same grants, is listed,
/// and so is a response's role (its statements are the blueprint's).
#[test]
fn socforms_own_delivery_roles_are_not_reviewed_as_the_blueprints_grants() {
    let new = model(&base());
    let fixed: Vec<String> = new.fixed.iter().map(|a| a.to_string()).collect();
    assert_eq!(fixed, ["iam_role.cloudtrail-logs", "iam_role.flow-logs"]);
    let bare = base()
        .replace("  flow_logs: { traffic: ALL, log_group: flows, retention_days: 365 }\n", "")
        .replace("  cloudwatch_logs: { log_group: cloudtrail, retention_days: 365 }\n", "")
        .replace("detections:\n  - { use: cis/4.3, notify: [soc, oncall] }\n", "")
        .replace(RESPONSE, "");
    let d = diff::diff(&model(&bare), &new);
    let on = |address: &str| -> Vec<String> {
        d.review.iter().filter(|f| f.address.to_string() == address).map(|f| f.check.clone()).collect()
    };
    assert_eq!(on("iam_role.flow-logs"), Vec::<String>::new(), "{:#?}", d.review);
    assert_eq!(on("iam_role.cloudtrail-logs"), Vec::<String>::new(), "{:#?}", d.review);
    assert!(on("iam_role.response-close-port").contains(&"broaden.iam-statement".to_string()), "{:#?}", d.review);
    // The same grant written in the blueprint is the blueprint's choice: listed.
    let own = base().replace(
        "iam:\n  roles:\n",
        "iam:\n  roles:\n    mine:\n      assumed_by: vpc-flow-logs.amazonaws.com\n      statements:\n        - { allow: [logs:PutLogEvents], on: [log_group.flows] }\n",
    );
    let d = diff::diff(&model(&base()), &model(&own));
    let checks: Vec<&str> =
        d.review.iter().filter(|f| f.address.to_string() == "iam_role.mine").map(|f| f.check.as_str()).collect();
    assert!(checks.contains(&"broaden.iam-statement") && checks.contains(&"broaden.trust-principal"), "{checks:?}");
}

/// The Mermaid block of a pull-request comment: each node's label and its classes.
fn diagram(md: &str) -> Vec<(String, Vec<String>)> {
    let start = md.find("```mermaid\n").expect("a Mermaid diagram") + "```mermaid\n".len();
    let block = &md[start..start + md[start..].find("```").unwrap()];
    let mut nodes: Vec<(String, String, Vec<String>)> = vec![];
    for l in block.lines() {
        let l = l.trim();
        if let Some((id, rest)) = l.split_once("[\"") {
            nodes.push((id.to_string(), rest.trim_end_matches("\"]").to_string(), vec![]));
        } else if let Some(rest) = l.strip_prefix("class ") {
            let (ids, class) = rest.split_once(' ').unwrap();
            for id in ids.split(',') {
                nodes.iter_mut().find(|n| n.0 == id).unwrap().2.push(class.to_string());
            }
        }
    }
    nodes.into_iter().map(|(_, label, classes)| (label, classes)).collect()
}

/// Issue 31: the pull-request comment carries a diagram of the change: the rule that opens
/// SSH to the world is added (green) with a thick red border and the checks it trips, the
/// alarm that no longer pages on-call is changed with the purple border of weakened
/// monitoring, the replaced rule is removed; unchanged neighbours are grey context. A change
/// of 136 resources draws 40 and 20 neighbours and counts the rest, and the comment stays
/// within GitHub's limit.
#[test]
fn the_pull_request_diagram_marks_findings_on_the_changed_nodes_and_is_bounded() {
    let (old, new) = combined();
    let nodes = diagram(&diff::diff(&old, &new).markdown());
    let node = |start: &str| {
        nodes.iter().find(|(l, _)| l.starts_with(start)).unwrap_or_else(|| panic!("{start} in {nodes:?}")).clone()
    };
    let (label, classes) = node("+ security_group_rule.web:ingress:tcp:22:0.0.0.0/0");
    assert!(label.contains("⚠ broaden.admin-port"), "{label}");
    assert_eq!(classes, ["added", "broadens"]);
    let (label, classes) = node("~ alarm.root-account-usage");
    assert!(label.contains("⚠ weaken.notification-dropped"), "{label}");
    assert_eq!(classes, ["changed", "weakens"]);
    assert_eq!(node("- security_group_rule.web:ingress:tcp:443:10.70.0.0/24").1, ["removed"]);
    assert_eq!(node("vpc.main").1, ["context"]);

    let old = model("blueprint: soc-reference\nregion: us-east-1\n");
    let new = model_in(&reference(), "blueprints");
    let d = diff::diff(&old, &new);
    let md = d.markdown();
    let nodes = diagram(&md);
    assert_eq!(nodes.len(), diff::DIAGRAM_CHANGES, "only changes, no unchanged neighbour: {nodes:?}");
    let more = d.changes.len() - diff::DIAGRAM_CHANGES;
    assert!(md.contains(&format!("> Not drawn: {more} more changed resources and 0 unchanged neighbours")), "{md}");
    assert!(md.chars().count() <= socform::render::MARKDOWN_LIMIT);
}

/// Issue 31: every Mermaid diagram socform writes (the topology of each shipped blueprint and
/// the pull-request diagrams of a small change with findings and of a whole lab) parses with
/// Mermaid itself, the pinned npm package, in Chromium; a broken diagram beside them does not.
#[test]
fn every_mermaid_diagram_socform_writes_parses_with_mermaid_itself() {
    let mut diagrams: Vec<(String, String)> = vec![];
    for e in std::fs::read_dir("blueprints").unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "yaml") {
            let out = run(&["graph", p.to_str().unwrap(), "--view", "topology"]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            diagrams.push((format!("topology {}", p.display()), String::from_utf8(out.stdout).unwrap()));
        }
    }
    let block = |md: String| {
        let start = md.find("```mermaid\n").unwrap() + "```mermaid\n".len();
        md[start..start + md[start..].find("```").unwrap()].to_string()
    };
    let (old, new) = combined();
    diagrams.push(("diff with findings".into(), block(diff::diff(&old, &new).markdown())));
    let whole =
        diff::diff(&model("blueprint: soc-reference\nregion: us-east-1\n"), &model_in(&reference(), "blueprints"));
    diagrams.push(("diff of a whole lab".into(), block(whole.markdown())));
    diagrams.push(("broken".into(), "flowchart LR\n  a --> (((\n".into()));
    let parsed = crate::support::mermaid_parse(&diagrams);
    assert_eq!(parsed.len(), diagrams.len(), "{parsed:?}");
    for (name, verdict) in &parsed {
        if name == "broken" {
            assert!(verdict.starts_with("error: Parse error"), "the check can fail: {verdict}");
        } else {
            assert_eq!(verdict, "ok", "{name}");
        }
    }
}
