//! Blueprint validation end to end through the library: every problem in one pass, each
//! located, and hostile input refused fast.

use std::path::Path;
use std::time::{Duration, Instant};

use socform::blueprint::{self, EnvMode, LowerOptions};
use socform::diag::SourceFile;

fn diagnostics(path: &str) -> Vec<socform::diag::Diagnostic> {
    match blueprint::load(Path::new(path), EnvMode::Skip, &Default::default()) {
        Ok(_) => panic!("{path} should be invalid"),
        Err(d) => d,
    }
}

fn lower_text(text: &str) -> Result<socform::model::Model, Vec<socform::diag::Diagnostic>> {
    let src = SourceFile::new(Path::new("inline.yaml"), text.to_string());
    blueprint::parse_and_lower(&src, &LowerOptions { base_dir: ".".into(), ..Default::default() })
}

#[test]
fn a_broken_blueprint_reports_every_problem_with_its_location() {
    let diags = diagnostics("tests/fixtures/broken.yaml");
    let rendered: String = diags.iter().map(|d| d.render(false)).collect();
    insta::assert_snapshot!("broken_blueprint", rendered);
    // Every diagnostic points into the file.
    assert!(diags.iter().all(|d| d.location().is_some_and(|l| l.starts_with("tests/fixtures/broken.yaml:"))));
}

#[test]
fn every_shipped_blueprint_and_example_is_valid() {
    let mut seen = 0;
    for dir in ["blueprints", "examples"] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                // Required inputs (the organization's account ids) get placeholders, as `validate` gives them.
                let placeholders = socform::blueprint::inputs::Supplied { placeholders: true, ..Default::default() };
                if let Err(d) = blueprint::load(&path, EnvMode::Skip, &placeholders) {
                    panic!("{}: {}", path.display(), d.iter().map(|d| d.render(false)).collect::<String>());
                }
                seen += 1;
            }
        }
    }
    assert!(seen >= 2, "no blueprints found");
}

#[test]
fn yaml_syntax_errors_are_located() {
    let err = lower_text("blueprint: x\nregion: [us-east-1\n").unwrap_err();
    assert_eq!(err.len(), 1);
    assert!(err[0].message.starts_with("invalid YAML"), "{}", err[0].message);
    let loc = err[0].loc.expect("located");
    assert!(loc.line >= 2, "{loc:?}");
    // The snippet points at the same place as the line number (regression: it showed 1:1).
    assert!(loc.offset >= "blueprint: x\n".len(), "{loc:?}");
    assert!(err[0].render(false).contains(&format!("inline.yaml:{}:", loc.line)), "{}", err[0].render(false));
}

#[test]
fn duplicate_keys_are_refused() {
    let err = lower_text("blueprint: x\nregion: us-east-1\nlog_groups:\n  a: {}\n  a: {}\n").unwrap_err();
    assert!(err[0].message.to_lowercase().contains("duplicate"), "{}", err[0].message);
    assert_eq!(err[0].loc.map(|l| l.line), Some(5));
}

#[test]
fn a_reference_cycle_names_its_whole_path() {
    let text = r#"
blueprint: cyc
region: us-east-1
network:
  vpc: { cidr: 10.0.0.0/16 }
  subnets: { a: { cidr: 10.0.0.0/24, az: us-east-1a } }
hosts:
  one:
    subnet: a
    instance_type: t3.micro
    image: ami-0123456789abcdef0
    user_data: { file: tests/fixtures/scripts/hello.sh, vars: { PEER: "${host.two.private_ip}" } }
  two:
    subnet: a
    instance_type: t3.micro
    image: ami-0123456789abcdef0
    user_data: { file: tests/fixtures/scripts/hello.sh, vars: { PEER: "${host.one.private_ip}" } }
"#;
    let model = lower_text(text).expect("each host is valid on its own");
    let err = socform::graph::Graph::from_model(&model).err().expect("a cycle");
    assert_eq!(err.to_string(), "dependency cycle: instance.one -> instance.two -> instance.one");
}

fn assert_fast_refusal(text: &str, what: &str) {
    let start = Instant::now();
    let result = lower_text(text);
    let elapsed = start.elapsed();
    let err = result.err().unwrap_or_else(|| panic!("{what} was accepted"));
    assert!(elapsed < Duration::from_secs(5), "{what} took {elapsed:?}");
    assert!(!err.is_empty());
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
    }
    assert_fast_refusal(&text, "an alias bomb");
}

#[test]
fn deep_nesting_is_refused() {
    let text = format!("blueprint: x\nregion: us-east-1\ntags: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    assert_fast_refusal(&text, "deep nesting");
}

#[test]
fn a_huge_file_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(blueprint::MAX_BYTES + 1).unwrap();
    let start = Instant::now();
    let err = blueprint::load(&path, EnvMode::Skip, &Default::default()).err().expect("refused");
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(err[0].message.contains("at most 8 MiB"), "{}", err[0].message);
}

/// Regression (issue "Ownership and safety"): `evaluation_periods: 4611686018427387904`
/// overflowed and panicked, a huge period became `-8`, and 10,000 rules in one group
/// passed. Every number is range-checked with a located error.
#[test]
fn numbers_out_of_range_are_located_errors_never_panics() {
    let base = "blueprint: n\nregion: us-east-1\nlog_groups:\n  app: {}\ndetections:\n";
    let det = |threshold: &str| {
        format!("{base}  - name: d\n    pattern: '{{ $.a = 1 }}'\n    log_group: app\n    threshold: {threshold}\n")
    };
    for (threshold, expected) in [
        ("{ count: 1, period: 60, evaluation_periods: 4611686018427387904 }", "may not exceed one week"),
        ("{ count: 1, period: 9223372036854775800 }", "at most a week"),
        ("{ count: 1, period: 4294967340 }", "at most a week"),
        ("{ count: 1, period: 10, evaluation_periods: 8641 }", "one day for periods under a minute"),
        ("{ count: 1, period: 60, evaluation_periods: -3 }", "evaluation_periods is at least 1"),
        ("{ count: .inf, period: 60 }", "finite"),
        ("{ count: .nan, period: 60 }", "finite"),
    ] {
        let err = lower_text(&det(threshold)).expect_err(threshold);
        assert!(err.iter().any(|d| d.message.contains(expected)), "{threshold}: {:?}", err);
        assert!(err.iter().all(|d| d.loc.is_some()), "{threshold}: unlocated");
    }
    // The largest valid values still pass.
    lower_text(&det("{ count: 1, period: 60, evaluation_periods: 10080 }")).expect("a week of minutes is valid");

    // AWS's hard limits: 1,000 rules in one direction, 16 groups on one interface.
    let big = include_str!("../fixtures/quota-head.yaml").to_string();
    let ports: Vec<String> = (1..=1001).map(|p| p.to_string()).collect();
    let text = format!("{big}    ingress: [ {{ protocol: tcp, ports: [{}], from: 10.0.0.0/8 }} ]\n", ports.join(", "));
    let err = lower_text(&text).expect_err("1001 rules");
    assert!(err.iter().any(|d| d.message.contains("1001 ingress rules: AWS allows at most 1000")), "{err:?}");
    let ports: Vec<String> = (1..=1000).map(|p| p.to_string()).collect();
    let text = format!("{big}    ingress: [ {{ protocol: tcp, ports: [{}], from: 10.0.0.0/8 }} ]\n", ports.join(", "));
    lower_text(&text).expect("1000 rules are possible with a raised quota");
}

/// A lab found by its tags alone is torn down in the order `Kind::needs` gives: every
/// dependency of every shipped blueprint (and the every-kind fixture) must be in it, and it
/// must have no cycle.
#[test]
fn kind_needs_covers_every_dependency_and_has_no_cycle() {
    use socform::model::Kind;
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir("blueprints")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.push("tests/fixtures/every-kind.yaml".into());
    let mut missing = std::collections::BTreeSet::new();
    for f in &files {
        let loaded = blueprint::load(
            f,
            EnvMode::Skip,
            &socform::blueprint::inputs::Supplied { placeholders: true, ..Default::default() },
        )
        .unwrap_or_else(|_| panic!("{}", f.display()));
        for r in &loaded.model.resources {
            // Edges AWS does not order: one of a kind on another of its own, and a role's
            // policy naming an ARN (see Kind::needs).
            let ordered = |d: &&socform::address::Address| d.kind() != r.kind() && r.kind() != Kind::IamRole;
            for d in r.depends_on.iter().filter(ordered).filter(|d| !r.kind().needs().contains(&d.kind())) {
                missing.insert(format!("{}: {} needs {d}", f.display(), r.address));
            }
        }
    }
    assert!(missing.is_empty(), "Kind::needs lacks these:\n{missing:#?}");
    // No cycle: a depth-first walk never meets a kind on its own path.
    fn walk(k: Kind, path: &mut Vec<Kind>) {
        assert!(!path.contains(&k), "cycle in Kind::needs: {path:?} -> {k}");
        path.push(k);
        for n in k.needs() {
            walk(*n, path);
        }
        path.pop();
    }
    for k in Kind::ALL {
        walk(*k, &mut Vec::new());
    }
}

/// CloudWatch Logs takes at most five metric filters with a regex per log group: the sixth
/// is refused at validate, where it is written, not by PutMetricFilter mid-apply. Five, or
/// a sixth on another log group, or a sixth without a regex, pass.
#[test]
fn a_sixth_regex_filter_on_one_log_group_is_refused_where_it_is_written() {
    let head = "blueprint: rx-lab\nregion: us-east-1\ntrail:\n  name: rx-lab\n  bucket: { name: rx-lab-trail }\n  cloudwatch_logs: { log_group: trail, retention_days: 7 }\nlog_groups:\n  app: { retention_days: 7 }\ndetections:\n";
    let det = |name: &str, pattern: &str, group: &str| format!("  - {{ name: {name}, pattern: '{pattern}'{group} }}\n");
    let five: String =
        "abcde".chars().map(|c| det(&c.to_string(), &format!("{{ $.userAgent = %[{c}]% }}"), "")).collect();
    for (sixth, ok) in [
        (det("f", "{ $.userAgent = %[f]% }", ""), false),
        (det("f", "{ $.userAgent = %[f]% }", ", log_group: app"), true),
        (det("f", "{ $.userAgent = \"f\" }", ""), true),
    ] {
        let text = format!("{head}{five}{sixth}");
        match (lower_text(&text), ok) {
            (Ok(_), true) => {}
            (Err(d), false) => {
                let shown: String = d.iter().map(|d| d.render(false)).collect();
                assert_eq!(d.len(), 1, "{shown}");
                assert!(shown.contains("detection number 6 with a regex on log group `trail`"), "{shown}");
                assert_eq!(d[0].location().unwrap(), "inline.yaml:15:25", "{shown}");
            }
            (r, _) => panic!("{sixth}: {:?}", r.err().map(|d| d.iter().map(|d| d.render(false)).collect::<String>())),
        }
    }
}

/// A response whose handler file is there but does not define the handler's function would
/// fail on every invocation while looking wired: refused at validate, at the handler.
#[test]
fn a_handler_function_the_file_does_not_define_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("fn")).unwrap();
    let bp = dir.path().join("bp.yaml");
    let text = "blueprint: rsp-lab\nregion: us-east-1\ntrail:\n  name: rsp-lab\n  bucket: { name: rsp-lab-trail }\n  cloudwatch_logs: { log_group: trail, retention_days: 7 }\nresponses:\n  close:\n    trigger:\n      api_calls: { source: ec2.amazonaws.com, names: [AuthorizeSecurityGroupIngress] }\n    function:\n      code: fn\n      handler: handler.lambda_handler\n";
    std::fs::write(&bp, text).unwrap();
    for (source, ok) in [
        ("def lambda_handler(event, context):\n    return 1\n", true),
        ("async def lambda_handler (event, context):\n    return 1\n", true),
        ("lambda_handler = make()\n", true),
        ("def handler(event, context):\n    return 1\n# lambda_handler\n", false),
        ("class X:\n    def lambda_handler_x(self):\n        pass\n", false),
    ] {
        std::fs::write(dir.path().join("fn/handler.py"), source).unwrap();
        match (blueprint::load(&bp, EnvMode::Skip, &Default::default()), ok) {
            (Ok(_), true) => {}
            (Err(d), false) => {
                let shown: String = d.iter().map(|d| d.render(false)).collect();
                assert!(shown.contains("defines no `lambda_handler`"), "{shown}");
                assert!(d[0].location().unwrap().ends_with("bp.yaml:13:16"), "{shown}");
            }
            (r, _) => panic!("{source}: {:?}", r.err().map(|d| d.iter().map(|d| d.render(false)).collect::<String>())),
        }
    }
}

/// Network ACLs written wrong, each mistake an error at its own line: nothing is lowered.
#[test]
fn network_acl_mistakes_are_each_located() {
    let text = r#"blueprint: acl-test
region: us-east-1
network:
  vpc: { cidr: 10.1.0.0/16 }
  subnets:
    a: { cidr: 10.1.0.0/24, az: us-east-1a }
  acls:
    edge:
      subnets: [a, a, c]
      ingress:
        - { number: 100, action: deny, protocol: tcp, ports: 22, from: 0.0.0.0/0 }
        - { number: 100, action: allow, protocol: tcp, ports: 23, from: 0.0.0.0/0 }
        - { number: 32767, action: deny, protocol: tcp, ports: 22, from: 0.0.0.0/0 }
        - { number: 5, action: permit, protocol: tcp, ports: 22, from: 0.0.0.0/0 }
        - { number: 6, action: allow, protocol: icmp, ports: 22, from: 10.1.0.0/16 }
        - { number: 7, action: allow, protocol: udp, from: 10.1.0.0/16 }
        - { number: 8, action: allow, protocol: all, from: sg.web }
        - { number: 9, action: allow, protocol: all, from: 10.1.0.1/16 }
        - { number: 10, action: allow, protocol: all, to: 10.1.0.0/16 }
    d1: { default: true, subnets: [a] }
    d2: { default: true }
"#;
    let err = lower_text(text).expect_err("every rule here is wrong");
    let at = |needle: &str| -> u32 {
        let d = err.iter().find(|d| d.message.contains(needle)).unwrap_or_else(|| panic!("no `{needle}` in {err:#?}"));
        d.loc.unwrap().line
    };
    assert_eq!(at("subnet `a` is listed twice"), 9);
    assert_eq!(at("no subnet named `c`"), 9);
    assert_eq!(at("rule number 100 is used twice in ingress"), 12);
    assert_eq!(at("rule number 32767 is out of range"), 13);
    assert_eq!(at("action `permit` is invalid"), 14);
    assert_eq!(at("`ports` does not apply to this protocol"), 15);
    assert_eq!(at("a udp rule needs `ports`"), 16);
    assert_eq!(at("`sg.web` is not a CIDR block"), 17);
    assert_eq!(at("`10.1.0.1/16` has host bits set"), 18);
    assert_eq!(at("ingress rules name their peer with `from`, not `to`"), 19);
    assert_eq!(at("the default network ACL takes no `subnets`"), 20);
    assert_eq!(at("a VPC has one default network ACL, and `d1` is it"), 21);
}

/// A blueprint that spans accounts (`accounts:`): every mistake in naming or reaching an
/// account, and every reference AWS does not allow across accounts, at its line.
#[test]
fn account_mistakes_are_each_located() {
    let text = r#"blueprint: org-test
region: us-east-1
accounts:
  audit: { role_arn: "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole", allowed_accounts: ["222222222222"] }
  logs: { role_arn: "arn:aws:iam::333333333333:user/someone" }
  home: { external_id: x }
  short: { role_arn: "arn:aws:iam::444444444444:role/r", session_name: "a b" }
log_groups:
  app: { account: audit }
  other: { account: audti }
notifications:
  alerts: {}
detections:
  - name: root
    pattern: '{ $.userIdentity.type = "Root" }'
    log_group: app
    notify: [alerts]
    samples: { match: ['{"userIdentity": {"type": "Root"}}'] }
outputs:
  where: { value: "${account.nowhere.id}" }
"#;
    let err = lower_text(text).expect_err("every account here is wrong");
    let at = |needle: &str| -> u32 {
        let d = err.iter().find(|d| d.message.contains(needle)).unwrap_or_else(|| panic!("no `{needle}` in {err:#?}"));
        d.loc.unwrap().line
    };
    assert_eq!(at("the role is in account 111111111111, which `allowed_accounts` of `audit` does not name"), 4);
    assert_eq!(at("is not the ARN of an IAM role"), 5);
    assert_eq!(at("account `home` has an `external_id` and no `role_arn`"), 6);
    assert_eq!(at("`a b` is not a role session name"), 7);
    assert_eq!(at("`audti` is not a key of `accounts`: did you mean `audit`?"), 10);
    assert_eq!(at("`${account.nowhere.id}`: `nowhere` is not a key of `accounts`"), 20);
    // The detection's alarm is made with its log group (in `audit`); its topic is at home.
    assert_eq!(
        at("`alarm.root` is in account `audit` and needs `sns_topic.alerts`, which is in the caller's account"),
        14
    );
}

/// `account:` without `accounts:` is said, and `${account.NAME.id}` must name an account.
#[test]
fn an_account_needs_accounts() {
    let text = "blueprint: t\nregion: us-east-1\nlog_groups:\n  app: { account: audit }\n";
    let err = lower_text(text).expect_err("no accounts");
    assert!(
        err.iter()
            .any(|d| d.message.contains("`account: audit` names an account, and the blueprint has no `accounts:`")
                && d.loc.unwrap().line == 4),
        "{err:#?}"
    );
    let text = "blueprint: t\nregion: us-east-1\naccounts:\n  audit: { role_arn: \"arn:aws:iam::111111111111:role/r\" }\noutputs:\n  p: { value: \"${account.nowhere.id}\" }\n";
    let err = lower_text(text).expect_err("no such account");
    assert!(
        err.iter().any(|d| d.message.contains("`nowhere` is not a key of `accounts`") && d.loc.unwrap().line == 6),
        "{err:#?}"
    );
}
