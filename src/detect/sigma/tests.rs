use super::*;

fn rule(detection: &str) -> String {
    format!(
        "title: T\nid: 00000000-0000-0000-0000-000000000000\nlevel: high\ntags: [attack.defense-evasion, attack.t1562.008]\nlogsource: {{ product: aws, service: cloudtrail }}\ndetection:\n{detection}"
    )
}

fn pattern_of(detection: &str) -> String {
    convert(&rule(detection)).unwrap_or_else(|e| panic!("refused: {e}")).pattern
}

fn refusal(detection: &str) -> String {
    convert(&rule(detection)).map(|c| c.pattern).expect_err("should be refused")
}

fn matches(p: &str, event: &str) -> bool {
    pattern::parse(p).unwrap().matches(event).is_some()
}

#[test]
fn a_selection_becomes_and_and_a_value_list_becomes_or() {
    let p = pattern_of(
        "  selection:\n    eventSource: cloudtrail.amazonaws.com\n    eventName: [StopLogging, DeleteTrail]\n  condition: selection\n",
    );
    assert_eq!(
        p,
        r#"{ ($.eventSource = "cloudtrail.amazonaws.com") && (($.eventName = "StopLogging") || ($.eventName = "DeleteTrail")) }"#
    );
    let c = convert(&rule("  selection:\n    eventName: StopLogging\n  condition: selection\n")).unwrap();
    assert_eq!((c.name.as_str(), c.severity.as_str()), ("t", "high"));
    assert_eq!(c.attack, ["T1562.008"]);
}

#[test]
fn not_also_matches_when_the_field_is_absent_as_in_sigma() {
    let p = pattern_of(
        "  selection:\n    eventName: ListBuckets\n  filter:\n    userIdentity.type: AssumedRole\n  condition: selection and not filter\n",
    );
    assert!(matches(&p, r#"{"eventName":"ListBuckets","userIdentity":{"type":"IAMUser"}}"#));
    assert!(matches(&p, r#"{"eventName":"ListBuckets"}"#), "absent field: Sigma's `not` is true");
    assert!(!matches(&p, r#"{"eventName":"ListBuckets","userIdentity":{"type":"AssumedRole"}}"#));
    assert!(
        matches(&p, r#"{"eventName":"ListBuckets","userIdentity":{"type":null}}"#),
        "null field: Sigma's `not` is true, CloudWatch's `!=` is not"
    );
    // De Morgan over a list of maps: not (A or B) = not A and not B.
    let p = pattern_of(
        "  selection:\n    eventName: X\n  filter:\n    - eventSource: a.amazonaws.com\n    - awsRegion: eu-west-1\n  condition: selection and not 1 of filter*\n",
    );
    assert!(matches(&p, r#"{"eventName":"X","eventSource":"b.amazonaws.com"}"#));
    assert!(!matches(&p, r#"{"eventName":"X","eventSource":"a.amazonaws.com"}"#));
    assert!(!matches(&p, r#"{"eventName":"X","awsRegion":"eu-west-1"}"#));
    // A negated comparison of a field whose case AWS does not fix would be a negated regex.
    assert!(refusal("  sel:\n    eventName: X\n  f:\n    sourceIPAddress: AWS\n  condition: sel and not f\n")
        .contains("negated regex"));
}

#[test]
fn null_means_absent_or_null_and_booleans_match_either_form() {
    let p = pattern_of("  sel:\n    eventName: DeleteBucket\n  ok:\n    errorCode: null\n  condition: sel and ok\n");
    assert!(matches(&p, r#"{"eventName":"DeleteBucket"}"#));
    assert!(matches(&p, r#"{"eventName":"DeleteBucket","errorCode":null}"#));
    assert!(!matches(&p, r#"{"eventName":"DeleteBucket","errorCode":"AccessDenied"}"#));
    let p = pattern_of("  sel:\n    requestParameters.enable: 'false'\n  condition: sel\n");
    assert!(matches(&p, r#"{"requestParameters":{"enable":false}}"#));
    assert!(matches(&p, r#"{"requestParameters":{"enable":"false"}}"#));
    assert!(!matches(&p, r#"{"requestParameters":{"enable":true}}"#));
}

#[test]
fn case_is_kept_only_where_it_cannot_matter() {
    // `MFAUsed` is written `Yes` and `YES`: compared ignoring case, with character classes.
    let p = pattern_of("  sel:\n    additionalEventData.MFAUsed: 'NO'\n  condition: sel\n");
    assert_eq!(p, r#"{ ($.additionalEventData.MFAUsed = %^[Nn][Oo]$%) }"#);
    for (mfa, hit) in [("No", true), ("NO", true), ("no", true), ("None", false), ("xNo", false)] {
        assert_eq!(matches(&p, &format!(r#"{{"additionalEventData":{{"MFAUsed":"{mfa}"}}}}"#)), hit, "{mfa}");
    }
    let p = pattern_of("  sel:\n    userAgent|contains: TruffleHog\n  condition: sel\n");
    assert_eq!(p, r#"{ ($.userAgent = %[Tt][Rr][Uu][Ff][Ff][Ll][Ee][Hh][Oo][Gg]%) }"#);
    assert!(matches(&p, r#"{"userAgent":"trufflehog/3.1"}"#));
    let p = pattern_of("  sel:\n    userIdentity.arn|endswith: ':user/Admin.x'\n  condition: sel\n");
    assert!(p.contains(r"[Aa][Dd][Mm][Ii][Nn]\.[Xx]$%"), "{p}");
    assert!(matches(&p, r#"{"userIdentity":{"arn":"arn:aws:iam::1:user/admin.X"}}"#));
    assert!(!matches(&p, r#"{"userIdentity":{"arn":"arn:aws:iam::1:user/adminYx"}}"#), "`.` is literal");
    // What a CloudWatch regex cannot hold, or more than two regexes, is refused.
    assert!(refusal("  sel:\n    userAgent: S3 Browser\n  condition: sel\n").contains("cannot hold"));
    assert!(refusal("  sel:\n    userAgent: [a, b, c]\n  condition: sel\n").contains("needs 3 regular expressions"));
    let c = convert(&rule("  sel:\n    responseElements.ConsoleLogin: SUCCESS\n  condition: sel\n")).unwrap();
    assert!(c.pattern.contains(r#"$.responseElements.ConsoleLogin = "Success""#), "{}", c.pattern);
    assert_eq!(c.notes.len(), 1);
    let p = pattern_of("  sel:\n    userAgent|contains|cased: TruffleHog\n  condition: sel\n");
    assert_eq!(p, r#"{ ($.userAgent = "*TruffleHog*") }"#);
    assert!(
        refusal("  sel:\n    userIdentity.type: Administrator\n  condition: sel\n").contains("never `Administrator`")
    );
    // Part of an enumeration's value that CloudTrail writes in another case: a regex.
    assert!(pattern_of("  sel:\n    userIdentity.type|contains: role\n  condition: sel\n").contains("[Rr][Oo][Ll][Ee]"));
    assert!(refusal("  sel:\n    eventSource: S3.amazonaws.com\n  condition: sel\n").contains("lowercase"));
    // No letters: case cannot matter, on any field.
    assert_eq!(
        pattern_of("  sel:\n    requestParameters.port: '22'\n  condition: sel\n"),
        r#"{ ($.requestParameters.port = "22") }"#
    );
}

#[test]
fn wildcards_and_modifiers() {
    assert_eq!(
        pattern_of("  sel:\n    eventName|startswith: Update\n  condition: sel\n"),
        r#"{ ($.eventName = "Update*") }"#
    );
    assert_eq!(
        pattern_of("  sel:\n    eventName|endswith: Policy\n  condition: sel\n"),
        r#"{ ($.eventName = "*Policy") }"#
    );
    assert_eq!(
        pattern_of("  sel:\n    errorCode: '*Unauthorized*'\n  condition: sel\n"),
        r#"{ ($.errorCode = "*Unauthorized*") }"#
    );
    assert!(refusal("  sel:\n    eventName: 'Put*Policy'\n  condition: sel\n").contains("middle"));
    assert!(refusal("  sel:\n    eventName: 'Put?'\n  condition: sel\n").contains("one-character"));
    assert!(refusal("  sel:\n    userIdentity.arn|fieldref: requestParameters.userName\n  condition: sel\n")
        .contains("fieldref"));
    assert!(refusal("  sel:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: sel\n").contains("cidr"));
    assert!(refusal("  sel:\n    requestParameters|contains: Suspended\n  condition: sel\n").contains("JSON object"));
    assert_eq!(pattern_of("  sel:\n    eventVersion|gte: 1.08\n  condition: sel\n"), r#"{ ($.eventVersion >= 1.08) }"#);
    let p = pattern_of("  sel:\n    userIdentity.arn|re: '.+:assumed-role/aws:.+'\n  condition: sel\n");
    assert!(matches(&p, r#"{"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1"}}"#));
}

#[test]
fn conditions_and_what_has_no_form() {
    let p = pattern_of("  a:\n    eventName: A\n  b:\n    eventName: B\n  c:\n    eventSource: s.amazonaws.com\n  condition: (a or b) and c\n");
    assert!(matches(&p, r#"{"eventName":"B","eventSource":"s.amazonaws.com"}"#));
    assert!(!matches(&p, r#"{"eventName":"B"}"#));
    let p = pattern_of(
        "  sel_a:\n    eventName: A\n  sel_b:\n    eventSource: s.amazonaws.com\n  condition: all of sel_*\n",
    );
    assert!(!matches(&p, r#"{"eventName":"A"}"#));
    let p = pattern_of("  sel_a:\n    eventName: A\n  sel_b:\n    eventName: B\n  condition: 1 of them\n");
    assert!(matches(&p, r#"{"eventName":"B"}"#));
    assert!(refusal("  keywords:\n    - evil\n  condition: keywords\n").contains("keyword"));
    assert!(refusal("  sel:\n    eventName: A\n  condition: sel | count() > 5\n").contains("aggregates"));
    assert!(refusal("  sel:\n    eventName: A\n  condition: nope\n").contains("not defined"));
    assert!(refusal("  sel:\n    errorCode: null\n  condition: not sel\n").contains("present and not null"));
    let other = "title: T\nid: x\nlogsource: { product: windows }\ndetection:\n  sel: { a: b }\n  condition: sel\n";
    assert!(convert(other).unwrap_err().contains("logsource"));
}

#[test]
fn the_yaml_names_the_rule_and_loads_as_detections() {
    let c = convert(&rule("  sel:\n    eventName: StopLogging\n  condition: sel\n")).unwrap();
    let y = to_yaml(&[c], &["oncall".into()]);
    let v: Value = serde_saphyr::from_str(&y).unwrap();
    let d = &v["detections"][0];
    assert!(d["description"].as_str().unwrap().starts_with("T (Sigma 00000000-0000-0000-0000-000000000000;"), "{y}");
    assert_eq!(d["name"], "t");
    assert_eq!(d["pattern"], r#"{ ($.eventName = "StopLogging") }"#);
    assert_eq!(d["notify"][0], "oncall");
    assert_eq!(d["attack"][0], "T1562.008");
}

/// Issue 23: a rule's title wrote YAML into the generated blueprint (it removed its own
/// detection and added a world-open SSH group), and `%` in a `|re` value made a pattern that
/// matched every event.
#[test]
fn a_hostile_title_stays_in_its_string_and_a_percent_in_a_regex_is_refused() {
    let hostile = "title: \"x\\n  - name: gone\\nsecurity_groups:\\n  evil: { ingress: [{ port: 22, from: 0.0.0.0/0 }] }\\n#\"\nid: 00000000-0000-0000-0000-000000000000\nauthor: \"a\\nhosts: {}\"\nlogsource: { product: aws, service: cloudtrail }\ndetection:\n  sel:\n    eventName: StopLogging\n  condition: sel\nlevel: high\n";
    let c = convert(hostile).unwrap();
    assert!(c.title.contains('\n'), "the title must really hold a line break: {:?}", c.title);
    let y = to_yaml(&[c.clone(), c], &[]);
    let v: Value = serde_saphyr::from_str(&y).unwrap();
    let top: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(top, ["detections"], "{y}");
    assert_eq!(v["detections"].as_array().unwrap().len(), 2, "{y}");
    assert!(v["detections"][0]["description"].as_str().unwrap().contains("security_groups:"), "{y}");
    let re = rule("  sel:\n    eventName|re: 'Stop%Logging'\n  condition: sel\n");
    assert!(convert(&re).unwrap_err().contains("holds `%`"));
}
