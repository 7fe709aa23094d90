//! A bounded, deterministic fuzz run inside the test suite: thousands of mutations of real
//! blueprints and patterns through both parsers, which must answer with a result or located
//! diagnostics and never panic. The open-ended search is `cargo fuzz` (fuzz/); inputs it
//! finds that crashed are kept in tests/fixtures/fuzz/ and replayed here.

use std::path::Path;

use socform::blueprint::{self, LowerOptions};
use socform::detect::pattern;
use socform::diag::SourceFile;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ":",
    ",",
    "-",
    "?",
    "\"",
    "'",
    "&&",
    "||",
    "$.",
    "*",
    "%",
    "...",
    "\n",
    "  ",
    "&a",
    "*a",
    "<<:",
    "!=",
    ">=",
    "IS NULL",
    "NOT EXISTS",
    "1e309",
    "-0",
    "sg.",
    "${",
    "}}",
    "\t",
    "é",
    "\u{0}",
    "#",
];

fn mutate(rng: &mut Rng, base: &str) -> String {
    let mut s: Vec<char> = base.chars().collect();
    for _ in 0..=rng.below(4) {
        match rng.below(4) {
            0 if !s.is_empty() => {
                let i = rng.below(s.len());
                let n = rng.below(8).min(s.len() - i);
                s.drain(i..i + n);
            }
            1 => {
                let i = rng.below(s.len() + 1);
                let t = TOKENS[rng.below(TOKENS.len())];
                for (k, c) in t.chars().enumerate() {
                    s.insert(i + k, c);
                }
            }
            2 if !s.is_empty() => {
                let (i, j) = (rng.below(s.len()), rng.below(s.len()));
                s.swap(i, j);
            }
            _ => {
                let i = rng.below(s.len() + 1);
                let j = (i + rng.below(40)).min(s.len());
                let piece: Vec<char> = s[i..j].to_vec();
                for (k, c) in piece.into_iter().enumerate() {
                    s.insert(j + k, c);
                }
            }
        }
    }
    s.into_iter().collect()
}

fn check_blueprint(text: &str) {
    let src = SourceFile::new(Path::new("fuzz.yaml"), text.to_string());
    let opts = LowerOptions { base_dir: "tests/fixtures".into(), ..Default::default() };
    match blueprint::parse_and_lower(&src, &opts) {
        Ok(m) => {
            let _ = socform::graph::Graph::from_model(&m);
        }
        Err(diags) => {
            assert!(!diags.is_empty());
            for d in diags {
                let _ = d.render(false);
            }
        }
    }
}

fn check_pattern(text: &str) {
    match pattern::parse(text) {
        Ok(p) => {
            for e in [
                r#"{"a":{"b":[1,"x",null,true]},"eventName":"X"}"#,
                "1.2.3.4 - u [t z] \"GET /\" 200 12",
                "ERROR x",
                "",
            ] {
                let _ = p.matches(e);
            }
        }
        Err(e) => assert!(e.column >= 1 && e.column <= text.chars().count() + 1, "column {} for {text:?}", e.column),
    }
}

#[test]
fn mutated_blueprints_never_panic() {
    let seeds: Vec<String> =
        ["tests/fixtures/every-kind.yaml", "tests/fixtures/broken.yaml", "tests/fixtures/review-base.yaml"]
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
    let mut rng = Rng(0x5eed_50c0_f0e2_0001);
    for i in 0..1500 {
        let base = &seeds[i % seeds.len()];
        check_blueprint(&mutate(&mut rng, base));
    }
}

#[test]
fn mutated_patterns_never_panic() {
    let seeds: Vec<&str> = socform::detect::catalog::CATALOG
        .iter()
        .map(|e| e.pattern)
        .chain(["[ip, user, ..., status = 4* || status = 5*, bytes > 10]", "?ERROR ?WARN -DEBUG \"a b\" %x[0-9]+%", ""])
        .collect();
    let mut rng = Rng(0x5eed_50c0_f0e2_0002);
    for i in 0..20_000 {
        check_pattern(&mutate(&mut rng, seeds[i % seeds.len()]));
    }
}

#[test]
fn inputs_cargo_fuzz_found_stay_fixed() {
    let dir = Path::new("tests/fixtures/fuzz");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        match path.file_name().unwrap().to_string_lossy().split('-').next() {
            Some("pattern") => check_pattern(&text),
            _ => check_blueprint(&text),
        }
    }
}
