//! `socform drill`: proves, link by link, that a detection's alert can reach a person.
//!
//! The seed write-ups end by performing the monitored action and waiting for the email; their
//! troubleshooting tables list why it does not come (a trail not delivering, a filter that does
//! not match, Average instead of Sum, an unconfirmed subscription). The drill checks each of
//! those links in the order an event travels and says which one is broken.
//!
//! This module is the verdict: what the blueprint and state say should be ([`Target`]), what AWS
//! answered ([`Observed`]), and the links that follow ([`wiring`]). The AWS provider gathers the
//! answers; nothing here does I/O.
//!
//! A link AWS cannot answer yet is `skipped` with the reason: never a silent pass, never a
//! failure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::pattern;
use crate::model::spec;

/// What one detection should look like in AWS: the applied attributes from state.
#[derive(Debug, Clone)]
pub struct Target {
    pub detection: String,
    /// The trail the blueprint makes to deliver into the filter's log group, if any.
    pub trail: Option<String>,
    pub filter: spec::MetricFilter,
    pub alarm: spec::Alarm,
    pub samples_match: Vec<String>,
    pub samples_no_match: Vec<String>,
}

/// GetTrailStatus's answer.
#[derive(Debug, Clone, Default)]
pub struct TrailStatus {
    pub is_logging: bool,
    /// Seconds since the epoch of the latest delivery to CloudWatch Logs.
    pub latest_cloudwatch_delivery: Option<i64>,
    pub latest_cloudwatch_error: Option<String>,
}

/// A metric filter as DescribeMetricFilters has it.
#[derive(Debug, Clone, Default)]
pub struct FilterSeen {
    pub pattern: String,
    /// `(namespace, name)` of each metric transformation.
    pub metrics: Vec<(String, String)>,
}

/// An alarm as DescribeAlarms has it.
#[derive(Debug, Clone, Default)]
pub struct AlarmSeen {
    pub namespace: String,
    pub metric_name: String,
    pub statistic: String,
    pub period: i32,
    pub threshold: f64,
    pub comparison_operator: String,
    pub actions_enabled: bool,
    pub alarm_actions: Vec<String>,
    pub state: String,
}

/// One subscription of a topic (ListSubscriptionsByTopic). AWS reports a subscription that
/// waits for its confirmation link with the SubscriptionArn `PendingConfirmation`.
#[derive(Debug, Clone)]
pub struct SubscriptionSeen {
    pub protocol: String,
    pub endpoint: String,
    pub pending: bool,
}

/// What AWS answered about one detection's path. `None` means AWS said it does not exist;
/// the trail is `None` too when the blueprint names no trail for the log group.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub trail: Option<TrailStatus>,
    pub log_group_exists: bool,
    /// Seconds since the epoch of the newest event in the log group (DescribeLogStreams).
    pub log_group_last_event: Option<i64>,
    pub filter: Option<FilterSeen>,
    pub alarm: Option<AlarmSeen>,
    /// For each SNS topic among the alarm's actions: its subscriptions, or `None` when the
    /// topic does not exist.
    pub topics: BTreeMap<String, Option<Vec<SubscriptionSeen>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub link: &'static str,
    pub status: Status,
    pub detail: String,
}

impl Link {
    pub fn pass(link: &'static str, detail: impl Into<String>) -> Self {
        Link { link, status: Status::Pass, detail: detail.into() }
    }
    pub fn fail(link: &'static str, detail: impl Into<String>) -> Self {
        Link { link, status: Status::Fail, detail: detail.into() }
    }
    pub fn skipped(link: &'static str, detail: impl Into<String>) -> Self {
        Link { link, status: Status::Skipped, detail: detail.into() }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DetectionDrill {
    pub name: String,
    pub links: Vec<Link>,
}

impl DetectionDrill {
    pub fn failed(&self) -> bool {
        self.links.iter().any(|l| l.status == Status::Fail)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub format_version: &'static str,
    pub blueprint: String,
    pub account: String,
    pub region: String,
    /// The id every synthetic event of this drill carries (`socformDrill`).
    pub drill_id: String,
    pub wiring_only: bool,
    pub detections: Vec<DetectionDrill>,
}

/// How old a timestamp is, in words.
fn age(now: i64, then: i64) -> String {
    let s = (now - then).max(0);
    match s {
        0..=119 => format!("{s} s ago"),
        120..=7199 => format!("{} min ago", s / 60),
        _ => format!("{} h ago", s / 3600),
    }
}

/// The links AWS's answers prove or break, in the order an event travels: trail, log group,
/// metric filter, alarm, subscriptions.
pub fn wiring(t: &Target, o: &Observed, now: i64) -> Vec<Link> {
    let group = &t.filter.log_group_name;
    let mut links = vec![trail_link(t, o, now)];
    links.push(if !o.log_group_exists {
        Link::fail("log-group", format!("log group {group} does not exist"))
    } else {
        match o.log_group_last_event {
            Some(at) => Link::pass("log-group", format!("{group} last received an event {}", age(now, at))),
            None => Link::skipped("log-group", format!("{group} exists but has received no event yet")),
        }
    });
    links.push(filter_link(t, o));
    links.push(alarm_link(t, o));
    links.push(subscriptions_link(t, o));
    links
}

fn trail_link(t: &Target, o: &Observed, now: i64) -> Link {
    let group = &t.filter.log_group_name;
    let Some(name) = &t.trail else {
        return Link::skipped(
            "trail",
            format!("the blueprint makes no trail that delivers to {group}; what feeds it is not socform's to check"),
        );
    };
    let Some(s) = &o.trail else {
        return Link::fail("trail", format!("trail {name} does not exist"));
    };
    if !s.is_logging {
        return Link::fail("trail", format!("trail {name} is not logging (StopLogging): no event reaches {group}"));
    }
    if let Some(e) = s.latest_cloudwatch_error.as_deref().filter(|e| !e.is_empty()) {
        return Link::fail(
            "trail",
            format!(
                "trail {name} fails to deliver to CloudWatch Logs: {e} (check the trail's role and its log group ARN)"
            ),
        );
    }
    match s.latest_cloudwatch_delivery {
        Some(at) => Link::pass("trail", format!("trail {name} is logging; last delivered to {group} {}", age(now, at))),
        None => Link::skipped(
            "trail",
            format!("trail {name} is logging, and has reported no delivery to CloudWatch Logs yet (AWS delivers about every 5 minutes)"),
        ),
    }
}

fn filter_link(t: &Target, o: &Observed) -> Link {
    let (name, group) = (&t.filter.filter_name, &t.filter.log_group_name);
    let Some(f) = &o.filter else {
        return Link::fail("metric-filter", format!("metric filter {name} is missing from {group}"));
    };
    if f.pattern != t.filter.filter_pattern {
        return Link::fail(
            "metric-filter",
            format!("metric filter {name} in AWS has another pattern than the blueprint's: {}", f.pattern),
        );
    }
    let metric = (t.filter.metric_namespace.clone(), t.filter.metric_name.clone());
    if !f.metrics.contains(&metric) {
        let seen: Vec<String> = f.metrics.iter().map(|(ns, m)| format!("{ns}/{m}")).collect();
        return Link::fail(
            "metric-filter",
            format!("metric filter {name} writes {} instead of {}/{}", seen.join(", "), metric.0, metric.1),
        );
    }
    let p = match pattern::parse(&f.pattern) {
        Ok(p) => p,
        Err(e) => return Link::fail("metric-filter", format!("the pattern in AWS does not parse: {e}")),
    };
    if let Some(s) = t.samples_match.iter().find(|s| p.matches(s).is_none()) {
        return Link::fail("metric-filter", format!("the pattern does not match the sample {s}"));
    }
    if let Some(s) = t.samples_no_match.iter().find(|s| p.matches(s).is_some()) {
        return Link::fail("metric-filter", format!("the pattern matches the sample it must not: {s}"));
    }
    Link::pass(
        "metric-filter",
        format!(
            "{name} has the blueprint's pattern, writes {}/{}, and matches {} sample(s) and rejects {}",
            metric.0,
            metric.1,
            t.samples_match.len(),
            t.samples_no_match.len()
        ),
    )
}

fn alarm_link(t: &Target, o: &Observed) -> Link {
    let want = &t.alarm;
    let Some(a) = &o.alarm else {
        return Link::fail("alarm", format!("alarm {} does not exist", want.alarm_name));
    };
    if (a.namespace.as_str(), a.metric_name.as_str())
        != (t.filter.metric_namespace.as_str(), t.filter.metric_name.as_str())
    {
        return Link::fail(
            "alarm",
            format!(
                "alarm {} watches {}/{}, and the filter writes {}/{}",
                want.alarm_name, a.namespace, a.metric_name, t.filter.metric_namespace, t.filter.metric_name
            ),
        );
    }
    let mut wrong = vec![];
    if a.statistic != want.statistic {
        wrong.push(format!("statistic {} (the blueprint says {})", a.statistic, want.statistic));
    }
    if a.period != want.period {
        wrong.push(format!("period {} s (the blueprint says {} s)", a.period, want.period));
    }
    if a.threshold != want.threshold {
        wrong.push(format!("threshold {} (the blueprint says {})", a.threshold, want.threshold));
    }
    if a.comparison_operator != want.comparison_operator {
        wrong.push(format!("{} (the blueprint says {})", a.comparison_operator, want.comparison_operator));
    }
    if !wrong.is_empty() {
        return Link::fail("alarm", format!("alarm {} has {}", want.alarm_name, wrong.join(", ")));
    }
    if !a.actions_enabled {
        return Link::fail(
            "alarm",
            format!("alarm {} has its actions disabled: it changes state and tells nobody", want.alarm_name),
        );
    }
    if a.alarm_actions.is_empty() {
        return Link::fail(
            "alarm",
            format!("alarm {} has no actions: it changes state and tells nobody", want.alarm_name),
        );
    }
    Link::pass(
        "alarm",
        format!(
            "{} fires on {} {} {} per {} s, {} action(s)",
            want.alarm_name,
            a.statistic,
            a.comparison_operator,
            a.threshold,
            a.period,
            a.alarm_actions.len()
        ),
    )
}

fn topic_name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

fn subscriptions_link(t: &Target, o: &Observed) -> Link {
    let Some(a) = &o.alarm else {
        return Link::skipped("subscriptions", "no alarm, so no actions to follow");
    };
    let topics: Vec<&String> =
        a.alarm_actions.iter().filter(|x| x.starts_with("arn:aws") && x.contains(":sns:")).collect();
    if topics.is_empty() {
        return Link::skipped(
            "subscriptions",
            format!("alarm {} has no SNS topic among its actions; other actions are not followed", t.alarm.alarm_name),
        );
    }
    let mut problems = vec![];
    let mut fine = vec![];
    for arn in topics {
        let name = topic_name(arn);
        match o.topics.get(arn) {
            None | Some(None) => problems.push(format!("topic {name} does not exist")),
            Some(Some(subs)) if subs.is_empty() => problems.push(format!("topic {name} has no subscriber")),
            Some(Some(subs)) => {
                let pending: Vec<String> =
                    subs.iter().filter(|s| s.pending).map(|s| format!("{} {}", s.protocol, s.endpoint)).collect();
                let confirmed = subs.len() - pending.len();
                if confirmed == 0 {
                    problems.push(format!(
                        "topic {name} has no confirmed subscription; pending confirmation: {} (open the confirmation link AWS emailed)",
                        pending.join(", ")
                    ));
                } else if pending.is_empty() {
                    fine.push(format!("{name}: {confirmed} confirmed"));
                } else {
                    fine.push(format!("{name}: {confirmed} confirmed, pending: {}", pending.join(", ")));
                }
            }
        }
    }
    if problems.is_empty() {
        Link::pass("subscriptions", fine.join("; "))
    } else {
        Link::fail("subscriptions", problems.join("; "))
    }
}

/// The synthetic event a drill writes: the detection's first match sample, marked with the
/// drill id and stamped now, so it is told apart from a real one in the log group.
pub fn synthetic_event(t: &Target, drill_id: &str, now_rfc3339: &str) -> Option<String> {
    let sample = t.samples_match.first()?;
    let mut v: serde_json::Value = serde_json::from_str(sample).ok()?;
    let obj = v.as_object_mut()?;
    obj.insert("socformDrill".into(), drill_id.into());
    obj.insert("eventTime".into(), now_rfc3339.into());
    obj.entry("eventType").or_insert_with(|| "AwsApiCall".into());
    Some(v.to_string())
}

impl Report {
    pub fn failed(&self) -> bool {
        self.detections.iter().any(DetectionDrill::failed)
    }

    pub fn counts(&self) -> (usize, usize, usize) {
        let all = self.detections.iter().flat_map(|d| &d.links);
        let (mut p, mut f, mut s) = (0, 0, 0);
        for l in all {
            match l.status {
                Status::Pass => p += 1,
                Status::Fail => f += 1,
                Status::Skipped => s += 1,
            }
        }
        (p, f, s)
    }
}

#[cfg(test)]
mod tests;
