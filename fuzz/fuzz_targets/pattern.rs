//! Any text as a filter pattern: parse returns a pattern or a located error, and a parsed
//! pattern evaluates against events of every form without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socform::detect::pattern;

const EVENTS: &[&str] = &[
    r#"{"eventName":"ConsoleLogin","userIdentity":{"type":"Root"},"a":[1,[2,3]],"n":null,"b":true}"#,
    r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET / HTTP/1.0" 200 1534"#,
    "[ERROR 400] BAD REQUEST",
    "",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match pattern::parse(text) {
        Ok(p) => {
            for e in EVENTS {
                let _ = p.matches(e);
            }
        }
        Err(e) => assert!(e.column >= 1 && e.column <= text.chars().count() + 1, "column {} outside {text:?}", e.column),
    }
});
