//! `socform drill` against moto: the reference lab's wiring passes; hand-made breaks (made with
//! boto3, never socform) are each named at the link they break; what moto cannot produce (a
//! trail's delivery error, a subscription pending confirmation) is answered by the test proxy
//! in AWS's wire format, written by hand from the API references; and the live part writes its marked event and cleans up after itself.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::proxy::{Faults, Injection, Proxy};
use crate::support::{aws_tool, text, Lab};
use serde_json::Value;

/// Detection name -> the links that failed.
fn failed_links(report: &Value) -> BTreeMap<String, BTreeSet<String>> {
    report["detections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let failed = d["links"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["status"] == "fail")
                .map(|l| l["link"].as_str().unwrap().to_string())
                .collect();
            (d["name"].as_str().unwrap().to_string(), failed)
        })
        .collect()
}

fn link<'a>(report: &'a Value, detection: &str, link: &str) -> &'a Value {
    report["detections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == detection)
        .and_then(|d| d["links"].as_array().unwrap().iter().find(|l| l["link"] == link))
        .unwrap_or_else(|| panic!("{detection}/{link} not in {report}"))
}

/// The reference lab's detections that notify the routine topic: these by their own items,
/// and the `stratus` pack's medium and low entries by its `notify_by_severity`.
fn routine(name: &str) -> bool {
    ROUTINE.contains(&name)
        || socform::detect::stratus::pack()
            .any(|e| e.name == name && e.id.starts_with("stratus/") && ["medium", "low"].contains(&e.severity))
}

const ROUTINE: [&str; 9] = [
    "unauthorized-api-calls",
    "iam-policy-changes",
    "console-authentication-failures",
    "s3-bucket-policy-changes",
    "security-group-changes",
    "nacl-changes",
    "network-gateway-changes",
    "route-table-changes",
    "vpc-changes",
];

#[test]
fn wiring_passes_on_the_reference_lab_and_each_break_is_named() {
    let mut lab = Lab::new();
    lab.reference();
    let moto = lab.moto.url();

    // Before anything is applied: a clear error, nothing read.
    let out = lab.run(&moto, &["drill", "--wiring-only"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("run `socform apply` first"), "{}", text(&out.stderr));

    let out = lab.run(&moto, &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = lab.inventory();

    let out = lab.run(&moto, &["drill", "--wiring-only", "--format", "json", "-v"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    let report: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    // The README's figure is this run's: the reads are batched, so every detection of the
    // reference lab is checked in the same few calls.
    let (made, _) = crate::support::api_calls(&text(&out.stderr), "drill: ");
    let readme = std::fs::read_to_string("README.md").unwrap();
    let claim =
        format!("The reference lab's {} detections take {made} API calls", socform::detect::catalog::CATALOG.len());
    assert!(readme.contains(&claim), "README should say: {claim}");
    let detections = report["detections"].as_array().unwrap();
    assert_eq!(detections.len(), socform::detect::catalog::CATALOG.len(), "every catalog entry, the pack included");
    for d in detections {
        let links: Vec<(&str, &str)> = d["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["link"].as_str().unwrap(), l["status"].as_str().unwrap()))
            .collect();
        // moto reports no delivery and no events yet: skipped with the reason, not passed.
        assert_eq!(
            links,
            [
                ("trail", "skipped"),
                ("log-group", "skipped"),
                ("metric-filter", "pass"),
                ("alarm", "pass"),
                ("subscriptions", "pass")
            ],
            "{d}"
        );
    }
    assert!(link(&report, "root-account-usage", "subscriptions")["detail"].as_str().unwrap().contains("2 confirmed"));
    assert_eq!(lab.inventory(), before, "--wiring-only writes nothing");

    let tool = |args: &[&str]| aws_tool(&lab.moto, "us-east-1", args);
    // The live part on moto: the marked event is written (PutLogEvents), moto never counts
    // it into the metric (it stores filters without evaluating them), so the datapoint link
    // fails at the timeout; moto has no alarm history, so that link is skipped. The drill's
    // stream is gone afterwards.
    let out = lab.run(&moto, &["drill", "--detection", "secret-accessed", "--timeout", "2s", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let id = report["drill_id"].as_str().unwrap();
    let written = link(&report, "secret-accessed", "synthetic-event");
    assert_eq!(written["status"], "pass", "{written}");
    assert!(written["detail"].as_str().unwrap().contains(&format!(r#""socformDrill":"{id}""#)));
    assert_eq!(link(&report, "secret-accessed", "datapoint")["status"], "fail");
    assert_eq!(link(&report, "secret-accessed", "alarm-state")["status"], "skipped");
    let streams: Vec<String> = serde_json::from_str(&tool(&["log-streams", "soc-reference-cloudtrail"])).unwrap();
    assert!(streams.iter().all(|s| !s.starts_with("socform-drill-")), "{streams:?}");

    // Breaks, by hand (boto3).
    tool(&["delete-filter", "soc-reference-cloudtrail", "soc-reference-root-account-usage"]);
    tool(&["remove-alarm-actions", "soc-reference-cmk-disabled-or-deleted"]);
    tool(&["unsubscribe-all", "soc-reference-routine"]);
    tool(&["stop-logging", "soc-reference-trail"]);

    let out = lab.run(&moto, &["drill", "--wiring-only", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let failed = failed_links(&report);
    for (name, links) in &failed {
        let mut want = BTreeSet::from(["trail".to_string()]);
        match name.as_str() {
            "root-account-usage" => {
                want.insert("metric-filter".into());
            }
            "cmk-disabled-or-deleted" => {
                want.insert("alarm".into());
            }
            n if routine(n) => {
                want.insert("subscriptions".into());
            }
            _ => {}
        }
        assert_eq!(links, &want, "{name}");
    }
    assert_eq!(failed.len(), socform::detect::catalog::CATALOG.len());
    let detail = |d: &str, l: &str| link(&report, d, l)["detail"].as_str().unwrap().to_string();
    assert!(detail("vpc-changes", "trail").contains("soc-reference-trail is not logging"));
    assert!(detail("root-account-usage", "metric-filter").contains("missing from soc-reference-cloudtrail"));
    assert!(detail("cmk-disabled-or-deleted", "alarm").contains("has no actions"));
    assert!(detail("nacl-changes", "subscriptions").contains("topic soc-reference-routine has no subscriber"));

    // The human form says the same, detection by detection.
    let out = lab.run(&moto, &["drill", "--wiring-only", "--detection", "root-account-usage"]);
    assert_eq!(out.status.code(), Some(1));
    let human = text(&out.stdout);
    assert!(human.contains("FAIL root-account-usage"), "{human}");
    assert!(human.contains("FAIL  metric-filter"), "{human}");
    assert!(!human.contains("vpc-changes"), "--detection keeps to the one named: {human}");
    let out = lab.run(&moto, &["drill", "--wiring-only", "--detection", "no-such-thing"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no detection `no-such-thing`"), "{}", text(&out.stderr));

    // Another account's credentials: refused before anything is read there.
    let creds: Value = serde_json::from_str(&tool(&["credentials", "222222222222"])).unwrap();
    let out = lab
        .cmd(&moto, &["drill", "--wiring-only"])
        .env("AWS_ACCESS_KEY_ID", creds["AccessKeyId"].as_str().unwrap())
        .env("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"].as_str().unwrap())
        .env("AWS_SESSION_TOKEN", creds["SessionToken"].as_str().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("the state was made in AWS account 123456789012"), "{}", text(&out.stderr));

    // A path already broken is not sent an event.
    let out = lab.run(&moto, &["drill", "--detection", "root-account-usage", "--timeout", "2s", "--format", "json"]);
    let report: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let skipped = link(&report, "root-account-usage", "synthetic-event");
    assert_eq!(skipped["status"], "skipped");
    assert!(skipped["detail"].as_str().unwrap().contains("broken at `trail`"), "{skipped}");

    let out = lab.run(&moto, &["destroy", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

const SMALL: &str = r#"
blueprint: drill-small
region: us-east-1
trail:
  name: drill-small
  bucket: { name: "drill-small-trail-${aws.account_id}" }
  cloudwatch_logs: { log_group: drill-small-trail, retention_days: 7 }
notifications:
  oncall: { name: drill-small-oncall, email: [soc@example.com] }
detections:
  - { use: soc/cloudtrail-tampering, notify: [oncall] }
"#;

/// A trail that cannot deliver and an email nobody confirmed: moto produces neither, so the
/// proxy answers GetTrailStatus and ListSubscriptionsByTopic as AWS does in those cases (answers
/// written by hand in AWS's wire format, not captured from a live account).
#[test]
fn a_delivery_error_and_a_pending_subscription_are_named_from_hand_written_aws_answers() {
    let lab = Lab::new();
    let bp = lab.write("drill-small.yaml", SMALL);
    let out = lab.socform(&["apply", &bp, "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let proxy = Proxy::start(lab.moto.port, std::time::Duration::ZERO, Faults::default(), 1);
    // GetTrailStatus as AWS answers when the trail's role may not write to its log group.
    proxy.inject(Injection {
        needle: "CloudTrail_20131101.GetTrailStatus",
        times: 1,
        status: "200 OK",
        content_type: "application/x-amz-json-1.1",
        body: r#"{"IsLogging":true,"LatestDeliveryTime":1.7646E9,"LatestCloudWatchLogsDeliveryTime":1.7646E9,"LatestCloudWatchLogsDeliveryError":"AccessDeniedException","StartLoggingTime":1.7645E9}"#,
    });
    // ListSubscriptionsByTopic for an email subscription awaiting its confirmation link.
    proxy.inject(Injection {
        needle: "Action=ListSubscriptionsByTopic",
        times: 1,
        status: "200 OK",
        content_type: "text/xml",
        body: r#"<ListSubscriptionsByTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListSubscriptionsByTopicResult><Subscriptions><member><TopicArn>arn:aws:sns:us-east-1:123456789012:drill-small-oncall</TopicArn><Protocol>email</Protocol><SubscriptionArn>PendingConfirmation</SubscriptionArn><Owner>123456789012</Owner><Endpoint>soc@example.com</Endpoint></member></Subscriptions></ListSubscriptionsByTopicResult><ResponseMetadata><RequestId>proxy</RequestId></ResponseMetadata></ListSubscriptionsByTopicResponse>"#,
    });
    let url = proxy.url();
    let out = lab.socform_env(&["drill", &bp, "--wiring-only", "--format", "json"], &[("AWS_ENDPOINT_URL", &url)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(proxy.stats.injected.load(std::sync::atomic::Ordering::SeqCst), 2);
    let report: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let trail = link(&report, "cloudtrail-tampering", "trail");
    assert_eq!(trail["status"], "fail");
    assert!(
        trail["detail"].as_str().unwrap().contains("fails to deliver to CloudWatch Logs: AccessDeniedException"),
        "{trail}"
    );
    let subs = link(&report, "cloudtrail-tampering", "subscriptions");
    assert_eq!(subs["status"], "fail");
    assert!(subs["detail"].as_str().unwrap().contains("pending confirmation: email soc@example.com"), "{subs}");

    // Markdown, for a PR comment or a ticket: the same verdicts.
    let out = lab.socform(&["drill", &bp, "--wiring-only", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("| `cloudtrail-tampering` | subscriptions | :white_check_mark: pass |"));
    let out = lab.socform(&["destroy", &bp, "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Issue 23: `drill --notify` reset an alarm that was already in ALARM (a real incident) to
/// OK, overwrote its reason and said "its actions ran"; and the marked event of a drill
/// killed by a second Ctrl-C stayed in the trail's log group. Against moto, checked with
/// boto3: an alarm in ALARM is left exactly as it was, one in OK goes back with its own
/// reason, and the next drill deletes an earlier drill's stream.
#[test]
fn notify_leaves_an_alarm_in_alarm_alone_and_puts_back_the_reason_it_found() {
    let mut lab = Lab::new();
    lab.bp = std::path::PathBuf::from(lab.write("small.yaml", SMALL));
    let moto = lab.moto.url();
    let out = lab.run(&moto, &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let state = lab.state();
    let alarm = state["resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(a, _)| a.starts_with("alarm."))
        .map(|(_, r)| r["id"].as_str().unwrap().to_string())
        .unwrap();
    let alarm_state =
        || -> Value { serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["alarm-state", &alarm])).unwrap() };
    aws_tool(&lab.moto, "us-east-1", &["set-alarm-state", &alarm, "ALARM", "a real incident, under investigation"]);
    let group =
        state["resources"]["log_group.drill-small-trail"]["id"].as_str().map(str::to_string).unwrap_or_else(|| {
            let (_, r) =
                state["resources"].as_object().unwrap().iter().find(|(a, _)| a.starts_with("log_group.")).unwrap();
            r["id"].as_str().unwrap().to_string()
        });
    aws_tool(&lab.moto, "us-east-1", &["create-log-stream", &group, "socform-drill-0123456789ab"]);
    let drill = || {
        let out = lab.run(&moto, &["drill", "--notify", "--timeout", "1s", "--format", "json"]);
        serde_json::from_slice::<Value>(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr)))
    };
    let report = drill();
    let n = link(&report, "cloudtrail-tampering", "notify");
    assert_eq!(n["status"], "skipped", "{n}");
    assert!(n["detail"].as_str().unwrap().contains("left alone"), "{n}");
    assert_eq!(alarm_state(), serde_json::json!(["ALARM", "a real incident, under investigation"]));
    let streams: Vec<String> =
        serde_json::from_str(&aws_tool(&lab.moto, "us-east-1", &["log-streams", &group])).unwrap();
    assert!(streams.iter().all(|s| !s.starts_with("socform-drill-")), "{streams:?}");

    aws_tool(&lab.moto, "us-east-1", &["set-alarm-state", &alarm, "OK", "quiet since Monday"]);
    let report = drill();
    let n = link(&report, "cloudtrail-tampering", "notify");
    assert_eq!(n["status"], "pass", "{n}");
    assert_eq!(alarm_state(), serde_json::json!(["OK", "quiet since Monday"]));

    // AWS refuses the put-back (a role allowed to raise alarms and not to lower them),
    // answered by the proxy in CloudWatch's awsQuery error form: the link fails and says the
    // alarm is left in ALARM, which boto3 confirms. Refused the exercise itself, the alarm is
    // untouched and the link says which call failed.
    let proxy = Proxy::start(lab.moto.port, std::time::Duration::ZERO, Faults::default(), 1);
    let deny = |needle: &'static str| Injection {
        needle,
        times: 1,
        status: "403 Forbidden",
        content_type: "text/xml",
        body: ACCESS_DENIED,
    };
    let drill_through = || {
        let out = lab.run(&proxy.url(), &["drill", "--notify", "--timeout", "1s", "--format", "json"]);
        let report = serde_json::from_slice::<Value>(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr)));
        (out.status.code(), report)
    };
    proxy.inject(deny("StateValue=OK"));
    let (code, report) = drill_through();
    assert_eq!(code, Some(1), "{report}");
    let n = link(&report, "cloudtrail-tampering", "notify");
    assert_eq!(n["status"], "fail", "{n}");
    assert!(n["detail"].as_str().unwrap().contains("is left in ALARM: putting it back to OK failed"), "{n}");
    assert_eq!(alarm_state()[0], "ALARM", "the link says left in ALARM: so does AWS");
    aws_tool(&lab.moto, "us-east-1", &["set-alarm-state", &alarm, "OK", "quiet since Monday"]);
    proxy.clear();
    proxy.inject(deny("StateValue=ALARM"));
    let (code, report) = drill_through();
    assert_eq!(code, Some(1), "{report}");
    let n = link(&report, "cloudtrail-tampering", "notify");
    assert_eq!(n["status"], "fail", "{n}");
    assert!(
        n["detail"].as_str().unwrap().contains("SetAlarmState on")
            && n["detail"].as_str().unwrap().contains("access denied"),
        "{n}"
    );
    assert_eq!(alarm_state(), serde_json::json!(["OK", "quiet since Monday"]));
    let out = lab.run(&moto, &["destroy", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// CloudWatch's AccessDenied, as its awsQuery protocol writes errors (from the API reference's
/// common errors: HTTP 403, an ErrorResponse with Type, Code and Message).
const ACCESS_DENIED: &str = r#"<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/drill/ci is not authorized to perform: cloudwatch:SetAlarmState</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"#;

/// GetMetricData as AWS answers when the drill's event was counted: one datapoint of 1 in the
/// metric (awsQuery XML, written by hand from the CloudWatch API reference).
const DATAPOINT: &str = r#"<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><GetMetricDataResult><MetricDataResults><member><Id>drill</Id><Label>drill</Label><Timestamps><member>2026-12-04T00:00:00Z</member></Timestamps><Values><member>1.0</member></Values><StatusCode>Complete</StatusCode></member></MetricDataResults><Messages/></GetMetricDataResult><ResponseMetadata><RequestId>proxy</RequestId></ResponseMetadata></GetMetricDataResponse>"#;

/// DescribeAlarmHistory with one state update, from OK to `{to}`.
fn history(to: &str) -> &'static str {
    Box::leak(format!(r#"<DescribeAlarmHistoryResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><DescribeAlarmHistoryResult><AlarmHistoryItems><member><AlarmName>drill-small-cloudtrail-tampering</AlarmName><AlarmType>MetricAlarm</AlarmType><Timestamp>2026-12-04T00:00:30Z</Timestamp><HistoryItemType>StateUpdate</HistoryItemType><HistorySummary>Alarm updated from OK to {to}</HistorySummary><HistoryData>{{}}</HistoryData></member></AlarmHistoryItems></DescribeAlarmHistoryResult><ResponseMetadata><RequestId>proxy</RequestId></ResponseMetadata></DescribeAlarmHistoryResponse>"#).into_boxed_str())
}

/// Issues 24 and 31: the drill's live path, answered by the proxy where moto cannot (moto
/// stores metric filters without evaluating them and keeps no alarm history). A detection is
/// proven only when its alarm's history says it went to ALARM; a datapoint alone is not
/// enough. `coverage --format navigator --drill` scores the technique from that report: 3
/// proven, 2 wired but not seen to fire, 1 broken; each layer passes the format's schema.
#[test]
fn the_live_path_proves_a_detection_only_when_its_alarm_fired_and_the_attack_layer_says_so() {
    let lab = Lab::new();
    let bp = lab.write("drill-small.yaml", SMALL);
    let out = lab.socform(&["apply", &bp, "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let proxy = Proxy::start(lab.moto.port, std::time::Duration::ZERO, Faults::default(), 1);
    let url = proxy.url();
    let answer = |needle: &'static str, body: &'static str| {
        proxy.inject(Injection { needle, times: 1000, status: "200 OK", content_type: "text/xml", body });
    };
    let drill = |args: &[&str]| -> (Option<i32>, Value) {
        let mut all = vec!["drill", bp.as_str(), "--format", "json"];
        all.extend_from_slice(args);
        let out = lab.socform_env(&all, &[("AWS_ENDPOINT_URL", &url)]);
        (out.status.code(), serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr))))
    };
    let layer = |report: &Value, name: &str| -> Value {
        let saved = lab.write(name, &report.to_string());
        let out = lab.socform(&["coverage", &bp, "--format", "navigator", "--drill", &saved]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let layer_file = lab.write(&format!("layer-{name}"), &text(&out.stdout));
        let check = std::process::Command::new(crate::support::python())
            .args(["tests/navigator_layer.py", "tests/fixtures/navigator/layer-4.5.schema.json", &layer_file])
            .output()
            .unwrap();
        assert!(check.status.success(), "{}{}", text(&check.stdout), text(&check.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let technique = |l: &Value| -> (u64, String) {
        let ts = l["techniques"].as_array().unwrap();
        assert_eq!(ts.len(), 1, "one detection, one technique: {l}");
        assert_eq!(ts[0]["techniqueID"], "T1562.008");
        (ts[0]["score"].as_u64().unwrap(), ts[0]["comment"].as_str().unwrap().to_string())
    };

    // Counted, but the alarm's history shows no move to ALARM: broken at alarm-state.
    answer("Action=GetMetricData", DATAPOINT);
    answer("Action=DescribeAlarmHistory", history("INSUFFICIENT_DATA"));
    let (code, report) = drill(&["--timeout", "1s"]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(link(&report, "cloudtrail-tampering", "synthetic-event")["status"], "pass");
    assert_eq!(link(&report, "cloudtrail-tampering", "datapoint")["status"], "pass");
    let fired = link(&report, "cloudtrail-tampering", "alarm-state");
    assert_eq!(fired["status"], "fail", "{fired}");
    assert!(fired["detail"].as_str().unwrap().contains("did not go to ALARM"), "{fired}");
    let (score, comment) = technique(&layer(&report, "broken.json"));
    assert_eq!((score, comment.as_str()), (1, "broken; cloudtrail-tampering: broken"));

    // The alarm went to ALARM: proven.
    proxy.clear();
    answer("Action=GetMetricData", DATAPOINT);
    answer("Action=DescribeAlarmHistory", history("ALARM"));
    let (code, report) = drill(&["--timeout", "5s"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(link(&report, "cloudtrail-tampering", "alarm-state")["status"], "pass");
    let answered = proxy.stats.answered.lock().unwrap().clone();
    assert!(
        answered.iter().any(|r| r.contains("AlarmName=drill-small-cloudtrail-tampering")),
        "the history asked is the alarm's own: {answered:?}"
    );
    let proven = layer(&report, "proven.json");
    assert_eq!(technique(&proven), (3, "proven; cloudtrail-tampering: proven".to_string()));
    assert_eq!(proven["gradient"]["minValue"], 1);

    // Wiring only: nothing was seen to fire.
    proxy.clear();
    let (code, report) = drill(&["--wiring-only"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        technique(&layer(&report, "wiring.json")),
        (2, "wired, not seen to fire; cloudtrail-tampering: wired, not seen to fire".to_string())
    );
    // A report of another blueprint: said, and its detections count as not drilled.
    let mut other = report.clone();
    other["blueprint"] = "someone-else".into();
    other["detections"] = serde_json::json!([]);
    let saved = lab.write("other.json", &other.to_string());
    let out = lab.socform(&["coverage", &bp, "--format", "navigator", "--drill", &saved]);
    assert!(text(&out.stderr).contains("is a drill of someone-else, not of drill-small"), "{}", text(&out.stderr));
    let l: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(technique(&l), (2, "not drilled; cloudtrail-tampering: not drilled".to_string()));

    let out = lab.socform(&["destroy", &bp, "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

const REPORTED: &str = r#"
blueprint: report-lab
region: us-east-1
network:
  vpc: { cidr: 10.42.0.0/16 }
  subnets:
    tools: { cidr: 10.42.0.0/24, az: us-east-1a, public: true }
security_groups:
  analyst:
    description: the analysts' office only
    ingress:
      - { protocol: tcp, ports: 443, from: 198.51.100.0/24 }
hosts:
  wazuh-console: { subnet: tools, security_groups: [analyst], instance_type: t3.micro, image: amazon-linux-2023 }
trail:
  name: report-lab
  bucket: { name: "report-lab-trail-${aws.account_id}" }
  cloudwatch_logs: { log_group: trail, retention_days: 7 }
notifications:
  oncall: { name: report-lab-oncall, email: [soc@example.com] }
detections:
  - { use: soc/cloudtrail-tampering, notify: [oncall] }
  - { use: cis/4.3, notify: [oncall] }
"#;

/// Issue 31: `socform report` writes one page from state, the blueprint and a saved drill,
/// with no AWS call under `--offline` (the endpoint given is a closed port). Opened in a real
/// headless Chromium with no network: the page the browser built names the host, how to reach
/// it, each detection with its chain and its drill verdict (a filter deleted by hand with
/// boto3 is broken, the other wired), and the browser logs no console message at all.
#[test]
fn the_report_page_opens_in_a_real_browser_with_the_labs_hosts_detections_and_verdicts() {
    let lab = Lab::new();
    let bp = lab.write("report-lab.yaml", REPORTED);
    let out = lab.socform(&["apply", &bp, "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    aws_tool(&lab.moto, "us-east-1", &["delete-filter", "report-lab-trail", "report-lab-root-account-usage"]);
    let out = lab.socform(&["drill", &bp, "--wiring-only", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let drill = lab.write("drill.json", &text(&out.stdout));
    let page = lab.dir.path().join("lab.html");
    let page_arg = page.to_str().unwrap();
    let closed = [("AWS_ENDPOINT_URL", "http://127.0.0.1:9"), ("AWS_MAX_ATTEMPTS", "1")];
    let out = lab.socform_env(&["report", &bp, "--out", page_arg, "--drill", &drill, "--offline"], &closed);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // An S3 state is an AWS call: refused offline, before anything is read.
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("socform"));
    let out = cmd
        .args(["report", &bp, "--out", page_arg, "--offline", "--state", "s3://someone/lab.json"])
        .envs(closed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--offline reads a local state file only"), "{}", text(&out.stderr));

    let url = format!("file://{page_arg}");
    let dom = crate::support::browse(lab.dir.path(), &["--dump-dom", &url]);
    assert!(dom.status.success(), "{}", text(&dom.stderr));
    let dom_text = text(&dom.stdout);
    let console: Vec<&str> = text(&dom.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(|_| "").collect();
    assert!(console.is_empty(), "the page logged to the console: {}", text(&dom.stderr));
    let state = lab.state();
    let instance = state["resources"]["instance.wazuh-console"]["id"].as_str().unwrap().to_string();
    for want in [
        "socform lab: report-lab",
        "wazuh-console",
        &format!("aws ssm start-session --target {instance}"),
        "report-lab-trail → filter report-lab-cloudtrail-tampering → alarm report-lab-cloudtrail-tampering → topic report-lab-oncall",
        "<td class=\"broken\">broken</td>",
        "<td class=\"unproven\">wired, not seen to fire</td>",
        "198.51.100.0/24",
    ] {
        assert!(dom_text.contains(want), "{want} not in the page the browser built:\n{dom_text}");
    }
    let rows = |name: &str| dom_text.split("<tr>").filter(|r| r.contains(&format!("<td>{name}</td>"))).count();
    assert_eq!((rows("cloudtrail-tampering"), rows("root-account-usage")), (1, 1));
    let broken = dom_text.split("<tr>").find(|r| r.contains("<td>root-account-usage</td>")).unwrap();
    assert!(broken.contains("broken"), "{broken}");
    // And drawn: a screenshot of the whole page, a real picture and not an empty one.
    let shot = lab.dir.path().join("lab.png");
    let out = crate::support::browse(
        lab.dir.path(),
        &[&format!("--screenshot={}", shot.display()), "--window-size=1400,1600", &url],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h) =
        (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
    assert_eq!((w, h), (1400, 1600));
    assert!(png.len() > 40_000, "a page of tables and a picture, not a blank one: {} bytes", png.len());

    let out = lab.socform(&["destroy", &bp, "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

const BREAKABLE: &str = r#"
blueprint: breakable
region: us-east-1
trail:
  name: breakable
  bucket: { name: "breakable-trail-${aws.account_id}" }
  cloudwatch_logs: { log_group: trail, retention_days: 7 }
notifications:
  oncall: { name: breakable-oncall, email: [soc@example.com] }
  team: { name: breakable-team, email: [team@example.com] }
detections:
  - { use: soc/cloudtrail-tampering, notify: [oncall] }
  - { use: cis/4.3, notify: [oncall] }
  - { use: cis/4.4, notify: [team] }
"#;

/// Issue 24: the links moto can answer, each broken from the AWS side with boto3 (never
/// socform): a filter's pattern changed under its name, an alarm's threshold raised, a topic
/// deleted, and then the log group itself deleted (the drill must not report a deleted
/// group as present). Each break is named at its own link, on its own detection and no other.
#[test]
fn a_changed_pattern_a_raised_threshold_a_deleted_topic_and_a_deleted_log_group_are_each_named() {
    let lab = Lab::new();
    let bp = lab.write("breakable.yaml", BREAKABLE);
    let out = lab.socform(&["apply", &bp, "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let drill = || -> Value {
        let out = lab.socform(&["drill", &bp, "--wiring-only", "--format", "json"]);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr)))
    };
    let before = drill();
    assert!(failed_links(&before).values().all(BTreeSet::is_empty), "{before}");
    let tool = |args: &[&str]| aws_tool(&lab.moto, "us-east-1", args);
    tool(&[
        "set-filter-pattern",
        "breakable-trail",
        "breakable-cloudtrail-tampering",
        r#"{ $.eventName = "StopLogging" }"#,
    ]);
    tool(&["set-threshold", "breakable-root-account-usage", "5"]);
    tool(&["delete-topic", "breakable-team"]);
    let report = drill();
    let want: BTreeMap<String, BTreeSet<String>> = [
        ("cloudtrail-tampering", "metric-filter"),
        ("root-account-usage", "alarm"),
        ("iam-policy-changes", "subscriptions"),
    ]
    .into_iter()
    .map(|(d, l)| (d.to_string(), BTreeSet::from([l.to_string()])))
    .collect();
    assert_eq!(failed_links(&report), want, "{report}");
    let detail = |r: &Value, d: &str, l: &str| link(r, d, l)["detail"].as_str().unwrap().to_string();
    assert!(detail(&report, "cloudtrail-tampering", "metric-filter").contains("pattern"), "{report}");
    assert!(detail(&report, "root-account-usage", "alarm").contains("threshold 5 (the blueprint says 1)"), "{report}");
    assert!(detail(&report, "iam-policy-changes", "subscriptions").contains("breakable-team"), "{report}");

    tool(&["delete-log-group", "breakable-trail"]);
    let report = drill();
    for d in ["cloudtrail-tampering", "root-account-usage", "iam-policy-changes"] {
        let l = link(&report, d, "log-group");
        assert_eq!(l["status"], "fail", "{l}");
        assert!(l["detail"].as_str().unwrap().contains("log group breakable-trail does not exist"), "{l}");
        assert_eq!(link(&report, d, "metric-filter")["status"], "fail", "the group's filters went with it");
    }
    let out = lab.socform(&["destroy", &bp, "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// prowler's fifteen CloudWatch metric-filter checks (CIS AWS Foundations 4.1 to 4.15, which
/// Security Hub's CloudWatch.1-14 check the same way) against the applied reference lab: the
/// scanner auditors run, pinned (`scripts/tools.sh` installs it; SOCFORM_PROWLER names it),
/// reading moto with its own boto3. Every check passes, and the destroy leaves the account
/// as it was.
#[test]
fn prowler_passes_every_cis_monitoring_check_on_the_reference_lab() {
    let mut lab = Lab::new();
    lab.reference();
    let moto = lab.moto.url();
    let before = lab.inventory();
    let out = lab.run(&moto, &["apply", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let checks = [
        "cloudwatch_log_metric_filter_unauthorized_api_calls",
        "cloudwatch_log_metric_filter_sign_in_without_mfa",
        "cloudwatch_log_metric_filter_root_usage",
        "cloudwatch_log_metric_filter_policy_changes",
        "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",
        "cloudwatch_log_metric_filter_authentication_failures",
        "cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk",
        "cloudwatch_log_metric_filter_for_s3_bucket_policy_changes",
        "cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled",
        "cloudwatch_log_metric_filter_security_group_changes",
        "cloudwatch_changes_to_network_acls_alarm_configured",
        "cloudwatch_changes_to_network_gateways_alarm_configured",
        "cloudwatch_changes_to_network_route_tables_alarm_configured",
        "cloudwatch_changes_to_vpcs_alarm_configured",
        "cloudwatch_log_metric_filter_aws_organizations_changes",
    ];
    let mut args = vec!["--checks"];
    args.extend(checks);
    let findings = crate::support::prowler_findings(&lab, &args);
    let verdicts: BTreeMap<String, String> = findings
        .iter()
        .map(|f| {
            (f["metadata"]["event_code"].as_str().unwrap().to_string(), f["status_code"].as_str().unwrap().to_string())
        })
        .collect();
    let expected: BTreeMap<String, String> = checks.iter().map(|c| (c.to_string(), "PASS".to_string())).collect();
    assert_eq!(verdicts, expected, "prowler's verdicts on the reference lab");
    assert_eq!(findings.len(), checks.len(), "one finding per check: {findings:?}");

    let out = lab.run(&moto, &["destroy", "--auto-approve", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lab.inventory(), before, "the destroy left the account changed");
}
