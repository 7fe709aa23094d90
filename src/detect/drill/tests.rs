//! Every link's verdict. The answers below are written in the shapes the API references give
//! (not captured from a live account): a delivery error as GetTrailStatus reports it, and a
//! pending email subscription, whose SubscriptionArn AWS gives as `PendingConfirmation`.

use super::*;

const NOW: i64 = 1_800_000_000;
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:lab-critical";

fn target() -> Target {
    Target {
        detection: "root-account-usage".into(),
        trail: Some("lab".into()),
        filter: spec::MetricFilter {
            log_group_name: "lab-trail".into(),
            filter_name: "lab-root-account-usage".into(),
            filter_pattern: r#"{ $.userIdentity.type = "Root" }"#.into(),
            metric_namespace: "socform/lab".into(),
            metric_name: "root-account-usage".into(),
            metric_value: "1".into(),
            default_value: None,
        },
        alarm: spec::Alarm {
            alarm_name: "lab-root-account-usage".into(),
            alarm_description: None,
            namespace: "socform/lab".into(),
            metric_name: "root-account-usage".into(),
            statistic: "Sum".into(),
            period: 60,
            evaluation_periods: 1,
            datapoints_to_alarm: None,
            threshold: 1.0,
            comparison_operator: "GreaterThanOrEqualToThreshold".into(),
            treat_missing_data: "notBreaching".into(),
            alarm_actions: vec![TOPIC.into()],
            ok_actions: vec![],
            tags: Default::default(),
        },
        samples_match: vec![r#"{"userIdentity":{"type":"Root"}}"#.into()],
        samples_no_match: vec![r#"{"userIdentity":{"type":"IAMUser"}}"#.into()],
    }
}

fn healthy() -> Observed {
    let t = target();
    Observed {
        trail: Some(TrailStatus {
            is_logging: true,
            latest_cloudwatch_delivery: Some(NOW - 240),
            latest_cloudwatch_error: None,
        }),
        log_group_exists: true,
        log_group_last_event: Some(NOW - 30),
        filter: Some(FilterSeen {
            pattern: t.filter.filter_pattern.clone(),
            metrics: vec![(t.filter.metric_namespace.clone(), t.filter.metric_name.clone())],
        }),
        alarm: Some(AlarmSeen {
            namespace: t.alarm.namespace.clone(),
            metric_name: t.alarm.metric_name.clone(),
            statistic: "Sum".into(),
            period: 60,
            threshold: 1.0,
            comparison_operator: "GreaterThanOrEqualToThreshold".into(),
            actions_enabled: true,
            alarm_actions: vec![TOPIC.into()],
            state: "OK".into(),
        }),
        topics: [(
            TOPIC.to_string(),
            Some(vec![SubscriptionSeen {
                protocol: "email".into(),
                endpoint: "soc@example.com".into(),
                pending: false,
            }]),
        )]
        .into(),
    }
}

fn verdict(o: &Observed, link: &str) -> Link {
    wiring(&target(), o, NOW).into_iter().find(|l| l.link == link).unwrap()
}

#[test]
fn a_healthy_path_passes_every_link_in_order() {
    let links = wiring(&target(), &healthy(), NOW);
    let names: Vec<&str> = links.iter().map(|l| l.link).collect();
    assert_eq!(names, ["trail", "log-group", "metric-filter", "alarm", "subscriptions"]);
    assert!(links.iter().all(|l| l.status == Status::Pass), "{links:#?}");
    assert!(links[0].detail.contains("4 min ago"), "{}", links[0].detail);
}

#[test]
fn trail_verdicts() {
    let mut o = healthy();
    o.trail.as_mut().unwrap().is_logging = false;
    let l = verdict(&o, "trail");
    assert_eq!(l.status, Status::Fail);
    assert!(l.detail.contains("not logging"));

    // GetTrailStatus as AWS answers when the trail's role may not write to the log group.
    let mut o = healthy();
    o.trail.as_mut().unwrap().latest_cloudwatch_error = Some("AccessDeniedException".into());
    let l = verdict(&o, "trail");
    assert_eq!(l.status, Status::Fail);
    assert!(l.detail.contains("AccessDeniedException"), "{}", l.detail);

    let mut o = healthy();
    o.trail.as_mut().unwrap().latest_cloudwatch_delivery = None;
    assert_eq!(verdict(&o, "trail").status, Status::Skipped);

    let mut o = healthy();
    o.trail = None;
    assert_eq!(verdict(&o, "trail").status, Status::Fail);

    let mut t = target();
    t.trail = None;
    assert_eq!(wiring(&t, &healthy(), NOW)[0].status, Status::Skipped);
}

#[test]
fn log_group_verdicts() {
    let mut o = healthy();
    o.log_group_last_event = None;
    assert_eq!(verdict(&o, "log-group").status, Status::Skipped);
    o.log_group_exists = false;
    assert_eq!(verdict(&o, "log-group").status, Status::Fail);
}

#[test]
fn filter_verdicts() {
    let mut o = healthy();
    o.filter = None;
    assert!(verdict(&o, "metric-filter").detail.contains("missing"));

    let mut o = healthy();
    o.filter.as_mut().unwrap().pattern = r#"{ $.userIdentity.type = "IAMUser" }"#.into();
    let l = verdict(&o, "metric-filter");
    assert_eq!(l.status, Status::Fail);
    assert!(l.detail.contains("another pattern"));

    let mut o = healthy();
    o.filter.as_mut().unwrap().metrics = vec![("other".into(), "metric".into())];
    assert!(verdict(&o, "metric-filter").detail.contains("writes other/metric"));

    // The blueprint's own samples go the wrong way: the engine says so before AWS would.
    let mut t = target();
    t.samples_match.push(r#"{"userIdentity":{"type":"AssumedRole"}}"#.into());
    let l = wiring(&t, &healthy(), NOW).remove(2);
    assert_eq!(l.status, Status::Fail);
    assert!(l.detail.contains("AssumedRole"));
}

#[test]
fn alarm_verdicts() {
    // Average instead of Sum: the write-ups' troubleshooting table.
    let mut o = healthy();
    o.alarm.as_mut().unwrap().statistic = "Average".into();
    let l = verdict(&o, "alarm");
    assert_eq!(l.status, Status::Fail);
    assert!(l.detail.contains("statistic Average (the blueprint says Sum)"), "{}", l.detail);

    let mut o = healthy();
    o.alarm.as_mut().unwrap().alarm_actions.clear();
    assert!(verdict(&o, "alarm").detail.contains("no actions"));

    let mut o = healthy();
    o.alarm.as_mut().unwrap().actions_enabled = false;
    assert!(verdict(&o, "alarm").detail.contains("disabled"));

    let mut o = healthy();
    o.alarm.as_mut().unwrap().metric_name = "other".into();
    assert!(verdict(&o, "alarm").detail.contains("watches socform/lab/other"));

    let mut o = healthy();
    o.alarm = None;
    assert_eq!(verdict(&o, "alarm").status, Status::Fail);
    assert_eq!(verdict(&o, "subscriptions").status, Status::Skipped);
}

#[test]
fn subscription_verdicts() {
    // ListSubscriptionsByTopic for a topic whose only email has not been confirmed.
    let mut o = healthy();
    o.topics.insert(
        TOPIC.into(),
        Some(vec![SubscriptionSeen { protocol: "email".into(), endpoint: "soc@example.com".into(), pending: true }]),
    );
    let l = verdict(&o, "subscriptions");
    assert_eq!(l.status, Status::Fail);
    assert!(l.detail.contains("pending confirmation: email soc@example.com"), "{}", l.detail);

    // One confirmed is enough; the pending one is still named.
    o.topics.get_mut(TOPIC).unwrap().as_mut().unwrap().push(SubscriptionSeen {
        protocol: "sms".into(),
        endpoint: "+15550100".into(),
        pending: false,
    });
    let l = verdict(&o, "subscriptions");
    assert_eq!(l.status, Status::Pass);
    assert!(l.detail.contains("pending: email soc@example.com"), "{}", l.detail);

    o.topics.insert(TOPIC.into(), Some(vec![]));
    assert!(verdict(&o, "subscriptions").detail.contains("no subscriber"));
    o.topics.insert(TOPIC.into(), None);
    assert!(verdict(&o, "subscriptions").detail.contains("does not exist"));
}

#[test]
fn the_synthetic_event_still_matches_and_is_marked() {
    let t = target();
    let e = synthetic_event(&t, "d-1", "2026-11-29T00:00:00Z").unwrap();
    assert!(e.contains(r#""socformDrill":"d-1""#));
    let p = pattern::parse(&t.filter.filter_pattern).unwrap();
    assert!(p.matches(&e).is_some());
}

#[test]
fn reports_fail_on_any_failed_link_and_render_each_format() {
    let mut o = healthy();
    o.topics.insert(TOPIC.into(), Some(vec![]));
    let r = Report {
        format_version: "1",
        blueprint: "lab".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        drill_id: "d-1".into(),
        wiring_only: true,
        detections: vec![DetectionDrill { name: "root-account-usage".into(), links: wiring(&target(), &o, NOW) }],
    };
    assert!(r.failed());
    assert!(r.human().contains("FAIL  subscriptions   topic lab-critical has no subscriber"), "{}", r.human());
    assert!(r.markdown().contains("| `root-account-usage` | subscriptions | :x: fail |"));
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["detections"][0]["links"][4]["status"], "fail");
    assert_eq!(j["detections"][0]["links"][4]["link"], "subscriptions");
}
