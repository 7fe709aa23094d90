//! Any text as a blueprint: parse and lower must return a model or diagnostics, never panic,
//! hang or run out of memory (the YAML budgets bound the work).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use socform::blueprint::{self, LowerOptions};
use socform::diag::SourceFile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let src = SourceFile::new(Path::new("fuzz.yaml"), text.to_string());
    // A folder with no scripts: user data paths fail cleanly.
    let opts = LowerOptions { base_dir: "/nonexistent-socform-fuzz".into(), env: None };
    match blueprint::parse_and_lower(&src, &opts) {
        Ok(model) => {
            let _ = socform::graph::Graph::from_model(&model);
        }
        Err(diags) => {
            for d in diags {
                let _ = d.render(false);
            }
        }
    }
});
