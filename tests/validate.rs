//! Blueprint validation end to end through the library: every problem in one pass, each
//! located, and hostile input refused fast.

use std::path::Path;
use std::time::{Duration, Instant};

use socform::blueprint::{self, EnvMode, LowerOptions};
use socform::diag::SourceFile;

fn diagnostics(path: &str) -> Vec<socform::diag::Diagnostic> {
    match blueprint::load(Path::new(path), EnvMode::Skip) {
        Ok(_) => panic!("{path} should be invalid"),
        Err(d) => d,
    }
}

fn lower_text(text: &str) -> Result<socform::model::Model, Vec<socform::diag::Diagnostic>> {
    let src = SourceFile::new(Path::new("inline.yaml"), text.to_string());
    blueprint::parse_and_lower(&src, &LowerOptions { base_dir: ".".into(), env: None })
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
                if let Err(d) = blueprint::load(&path, EnvMode::Skip) {
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
    let err = blueprint::load(&path, EnvMode::Skip).err().expect("refused");
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(err[0].message.contains("at most 8 MiB"), "{}", err[0].message);
}
