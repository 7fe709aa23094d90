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
    let src = SourceFile::new(Path::new("review.yaml"), text.to_string());
    blueprint::parse_and_lower(&src, &LowerOptions { base_dir: "tests/fixtures".into(), env: None })
        .unwrap_or_else(|d| panic!("{:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>()))
}

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
        ("wider CIDR", Box::new(|s| s.replace("from: 10.70.0.0/24", "from: 0.0.0.0/0")), &["broaden.wider-rule"]),
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
            &["broaden.admin-port", "broaden.wider-rule"],
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
            "detection removed",
            Box::new(|s| s.replace("  - { use: cis/4.3, notify: [soc, oncall] }\n", "")),
            &["weaken.alarm-removed", "weaken.detection-removed"],
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
    let m = blueprint::parse_and_lower(&src, &LowerOptions { base_dir: "blueprints".into(), env: None }).unwrap();
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

#[test]
fn every_lint_rule_fires_where_it_should() {
    let mut fired = std::collections::BTreeSet::new();
    for text in [LINT_BAD, LINT_TRAIL, &quota_blueprint(61, 6)] {
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
    let err = blueprint::parse_and_lower(&src, &LowerOptions { base_dir: ".".into(), env: None }).unwrap_err();
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

#[test]
fn diff_exit_codes_follow_the_contract() {
    let dir = tempfile::tempdir().unwrap();
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
    assert!(md.contains(":unlock: **1 change broadens access**"), "{md}");
}

#[test]
fn diff_against_a_git_revision() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git").arg("-C").arg(dir.path()).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "-q"]);
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
    let human = socform::plan::render::human(&p, false);
    assert!(human.contains("Security review: "), "{human}");
    let md = socform::plan::render::markdown(&p);
    let review_at = md.find("broaden access").unwrap();
    let details_at = md.find("<details>").unwrap();
    assert!(review_at < details_at, "the review comes before the details");
}
