//! Conformance: the examples of the AWS filter-pattern documentation, and its rules.

use super::*;

fn m(pattern: &str, event: &str) -> bool {
    parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}")).matches(event).is_some()
}

const ERRORS: [&str; 4] = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
];

#[test]
fn terms_match_case_sensitively() {
    assert!(m("Cloudwatch", "Cloudwatch"));
    assert!(!m("Cloudwatch", "cloudwatch"));
    assert!(!m("ERROR", "rpc error"));
    assert!(m("ERROR", "ERRORNEOUS PROGRAM"), "terms match as substrings");
}

#[test]
fn a_single_term_matches_every_event_that_holds_it() {
    for e in ERRORS {
        assert!(m("ERROR", e), "{e}");
    }
}

#[test]
fn several_terms_must_all_appear() {
    assert!(!m("ERROR ARGUMENTS", ERRORS[0]));
    assert!(!m("ERROR ARGUMENTS", ERRORS[1]));
    assert!(m("ERROR ARGUMENTS", ERRORS[2]));
    assert!(m("ERROR ARGUMENTS", ERRORS[3]));
}

#[test]
fn question_marked_terms_need_any_one() {
    for e in ERRORS.iter().chain(&["ARGUMENTS IS THE ONLY KEYWORD IN LOG"]) {
        assert!(m("?ERROR ?ARGUMENTS", e), "{e}");
    }
    assert!(!m("?ERROR ?ARGUMENTS", "nothing here"));
}

#[test]
fn quoted_phrases_match_exactly() {
    assert!(m("\"INTERNAL SERVER ERROR\"", "[ERROR 500] INTERNAL SERVER ERROR"));
    assert!(!m("\"INTERNAL SERVER ERROR\"", "[ERROR 500] INTERNAL SERVER"));
    assert!(m("Cloud watch", "Cloud logs watch"));
    assert!(!m("\"Cloud watch\"", "Cloud logs watch"));
    assert!(m("\"#Cloud\"", "#Cloud watch"));
    assert!(!m("\"#cloud\"", "#Cloud watch"));
}

#[test]
fn minus_excludes_a_term() {
    assert!(m("ERROR -ARGUMENTS", ERRORS[0]));
    assert!(m("ERROR -ARGUMENTS", ERRORS[1]));
    assert!(!m("ERROR -ARGUMENTS", ERRORS[2]));
    assert!(!m("ERROR -ARGUMENTS", ERRORS[3]));
}

#[test]
fn empty_patterns_match_everything() {
    for p in ["", "\"\"", "\" \"", "  "] {
        for e in ERRORS.iter().chain(&["", " "]) {
            assert!(m(p, e), "{p:?} on {e:?}");
        }
    }
}

const TRAIL_EVENT: &str = r#"{
  "eventType": "UpdateTrail",
  "sourceIPAddress": "111.111.111.111",
  "arrayKey": ["value", "another value"],
  "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
  "SomeObject": null,
  "ThisFlag": true,
  "ThatFlag": false
}"#;

#[test]
fn json_examples_from_the_documentation() {
    for p in [
        r#"{ $.eventType = "UpdateTrail" }"#,
        r#"{ $.sourceIPAddress != 123.123.* }"#,
        r#"{ $.arrayKey[0] = "value" }"#,
        r#"{ $.objectList[1].id = 2 }"#,
        r#"{ $.SomeObject IS NULL }"#,
        r#"{ $.SomeOtherObject NOT EXISTS }"#,
        r#"{ $.ThisFlag IS TRUE }"#,
        r#"{ $.ThatFlag IS FALSE }"#,
        r#"{ $.eventType = UpdateTrail }"#,
        r#"{ $.eventType = "Update*" }"#,
        r#"{ $.eventType = "*Trail" }"#,
        r#"{ $.eventType = "*date*" }"#,
        r#"{ $.arrayKey[1] = "another value" }"#,
    ] {
        assert!(m(p, TRAIL_EVENT), "{p}");
    }
    for p in [
        r#"{ $.eventType = "CreateTrail" }"#,
        r#"{ $.sourceIPAddress != 111.111.* }"#,
        r#"{ $.objectList[1].id = 1 }"#,
        r#"{ $.SomeObject NOT EXISTS }"#,
        r#"{ $.eventType IS NULL }"#,
        r#"{ $.ThisFlag IS FALSE }"#,
        r#"{ $.arrayKey[5] = "value" }"#,
        r#"{ $.eventType = "update*" }"#,
    ] {
        assert!(!m(p, TRAIL_EVENT), "{p}");
    }
}

const USER_EVENT: &str = r#"{
  "user": {"id": 1, "email": "John.Stiles@example.com"},
  "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
  "actions": ["GET", "PUT", "DELETE"],
  "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]
}"#;

#[test]
fn compound_json_conditions_and_their_precedence() {
    assert!(m(r#"{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }"#, USER_EVENT));
    assert!(!m(
        r#"{ ($.user.id = 2 && $.users[0].email = "John.Doe@example.com") || $.actions[2] = "GET" }"#,
        USER_EVENT
    ));
    // && binds tighter than ||: A || (B && C).
    assert!(m(
        r#"{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nomatch" }"#,
        USER_EVENT
    ));
    assert!(!m(
        r#"{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nomatch" }"#,
        USER_EVENT
    ));
    assert!(m(r#"{ $.coordinates[0][1] = 1 && $.coordinates[2][0] >= 7 }"#, USER_EVENT));
}

#[test]
fn numbers_compare_numerically_with_exponents() {
    let e = r#"{"latency": 1500, "bandwidth": 75, "ratio": 0.5, "neg": -5, "big": 1e30, "code": "200"}"#;
    for p in [
        "{ $.latency > 1000 }",
        "{ $.latency >= 1500 }",
        "{ $.bandwidth < 76 }",
        "{ $.bandwidth <= 75 }",
        "{ $.bandwidth = 75 }",
        "{ $.bandwidth = 7.5e1 }",
        "{ $.bandwidth != 76 }",
        "{ $.ratio = 5E-1 }",
        "{ $.neg = -5 }",
        "{ $.neg < -4.9 }",
        "{ $.big = 1e+30 }",
        "{ $.code = 200 }",
    ] {
        assert!(m(p, e), "{p}");
    }
    for p in ["{ $.latency < 1000 }", "{ $.bandwidth > 75 }", "{ $.missing > 0 }", "{ $.missing != 1 }"] {
        assert!(!m(p, e), "{p}");
    }
}

#[test]
fn json_patterns_do_not_match_text_events() {
    assert!(!m(r#"{ $.eventType = "UpdateTrail" }"#, "eventType UpdateTrail"));
    assert!(!m(r#"{ $.a = * }"#, "42"));
    assert!(m(r#"{ $.a = * }"#, r#"{"a": 0}"#));
    assert!(!m(r#"{ $.a = * }"#, r#"{"a": null}"#));
}

#[test]
fn regex_in_every_form() {
    assert!(m("%ERROR [0-9]{3}%", ERRORS[2]));
    assert!(!m("%ERROR [0-9]{4}%", ERRORS[2]));
    assert!(m(r#"{ $.eventType = %Update(Trail|Bucket)% }"#, TRAIL_EVENT));
    assert!(!m(r#"{ $.eventType = %^Trail% }"#, TRAIL_EVENT));
    assert!(m("[ip, user, username, timestamp, request, status_code = %^2[0-9]{2}$%, bytes]", APACHE));
}

#[test]
fn regex_limits_are_enforced_with_columns() {
    let e = parse("%a% %b% %c%").unwrap_err();
    assert_eq!(e.column, 9);
    assert!(e.message.contains("at most 2"));
    let long = format!("%{}%", "a".repeat(251));
    assert!(parse(&long).unwrap_err().message.contains("at most 250"));
    let e = parse("%a`b%").unwrap_err();
    assert_eq!(e.column, 3, "{e}");
}

const APACHE: &str = r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534"#;

#[test]
fn space_delimited_fields_with_quotes_brackets_and_ellipsis() {
    assert_eq!(
        split_fields(APACHE),
        ["127.0.0.1", "-", "frank", "10/Oct/2000:13:25:15 -0700", "GET /apache_pb.gif HTTP/1.0", "200", "1534"]
    );
    assert!(m("[ip, user, username, timestamp, request, status_code, bytes]", APACHE));
    assert!(!m("[ip, user, username, timestamp, request, status_code]", APACHE), "field counts must agree");
    assert!(m("[ip, user, ..., status_code, bytes]", APACHE));
    assert!(m("[..., status_code = 200, bytes]", APACHE));
    assert!(m("[ip, ...]", APACHE));
    assert!(m("[ip = 127.0.0.*, ..., bytes > 1000]", APACHE));
    assert!(!m("[ip, user, username, timestamp, request, status_code = 4*, bytes]", APACHE));
    assert!(m("[ip, user, username, timestamp, request = *gif*, status_code = 2*, bytes]", APACHE));
    assert!(m("[ip, user, username, timestamp, request, status_code = 404 || status_code = 200, bytes]", APACHE));
    assert!(!m("[ip, user, username, timestamp, request, status_code != 200 && status_code != 404, bytes]", APACHE));
    assert!(m("[..., bytes >= 1534 && bytes < 2000]", APACHE));
}

#[test]
fn space_delimited_values_are_extracted() {
    let p = parse("[ip, user, username, timestamp, request, status_code, bytes]").unwrap();
    let got = p.matches(APACHE).unwrap().extracted;
    assert_eq!(got["$ip"], "127.0.0.1");
    assert_eq!(got["$request"], "GET /apache_pb.gif HTTP/1.0");
    assert_eq!(got["$bytes"], "1534");
}

#[test]
fn parse_errors_point_at_the_column() {
    for (pattern, column, says) in [
        ("{ $.a = }", 9, "expected a value"),
        ("{ $.a = 1 ", 11, "expected `}`"),
        ("{ $.a > abc }", 9, "compare numbers"),
        ("{ a = 1 }", 3, "expected a selector"),
        ("{ $.a IS MAYBE }", 10, "after `IS`"),
        ("{ ($.a = 1 }", 12, "expected `)`"),
        ("\"unclosed", 1, "never closed"),
        ("[ip, , bytes]", 6, "expected a field name"),
        ("[a = 1 || b = 2]", 11, "must name `a`"),
        ("{ $. = 1 }", 5, "field name after"),
        ("{ $.a[x] = 1 }", 7, "array index"),
        ("ERROR ?", 8, "right before a term"),
        ("{ $.a = 1 } trailing", 13, "unexpected text"),
    ] {
        let e = parse(pattern).expect_err(pattern);
        assert!(e.message.contains(says), "{pattern}: {}", e.message);
        assert_eq!(e.column, column, "{pattern}: {e}");
    }
}

#[test]
fn keywords_are_case_insensitive_and_whitespace_is_free() {
    assert!(m("{$.SomeObject is null}", TRAIL_EVENT));
    assert!(m("{$.x not exists&&$.eventType=UpdateTrail}", TRAIL_EVENT));
    assert!(m("{ ( $.eventType = UpdateTrail ) }", TRAIL_EVENT));
}

#[test]
fn pattern_changes_are_proven_wider_or_narrower_only_from_top_level_alternatives() {
    use super::{compare_patterns as compare, PatternChange};
    let old = r#"{ ($.eventName = DeleteTrail) || ($.eventName = StopLogging) }"#;
    let wider =
        r#"{ ($.eventName = DeleteTrail) || ($.eventName = StopLogging) || ($.eventName = PutEventSelectors) }"#;
    assert_eq!(compare(old, wider), PatternChange::Widened { added: vec!["$.eventName = PutEventSelectors".into()] });
    assert_eq!(
        compare(wider, old),
        PatternChange::Narrowed { removed: vec!["$.eventName = PutEventSelectors".into()] }
    );
    // Reformatted (spacing, redundant parentheses, order): the same.
    let same = r#"{$.eventName = StopLogging  ||  (  $.eventName = DeleteTrail  )}"#;
    assert_eq!(compare(old, same), PatternChange::Same);
    // An alternative changed, or a condition added inside one: nothing proven.
    let tighter = r#"{ ($.eventName = DeleteTrail && $.userIdentity.type = Root) || ($.eventName = StopLogging) }"#;
    assert_eq!(compare(old, tighter), PatternChange::Changed);
    // `&&` binds tighter than `||`: `A && B || C` has the alternatives `A && B` and `C`.
    let mixed = r#"{ $.a = 1 && $.b = 2 || $.c = 3 }"#;
    let mixed_wider = r#"{ $.a = 1 && $.b = 2 || $.c = 3 || $.d = 4 }"#;
    assert!(matches!(compare(mixed, mixed_wider), PatternChange::Widened { .. }));
    // `||` inside quotes or parentheses is not a top-level alternative.
    let quoted = r#"{ $.a = "x || y" }"#;
    assert_eq!(super::top_level_alternatives(quoted).unwrap(), vec![r#"$.a = "x || y""#.to_string()]);
    let nested = r#"{ ($.a = 1 || $.b = 2) && $.c = 3 }"#;
    assert_eq!(super::top_level_alternatives(nested).unwrap().len(), 1);
    // Other pattern forms are not analysed.
    assert_eq!(compare("ERROR", "ERROR WARN"), PatternChange::Changed);
}
