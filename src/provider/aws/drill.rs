//! What `socform drill` asks AWS: each link of a detection's path, read in batches (one
//! GetTrailStatus per trail, one DescribeMetricFilters and one DescribeLogStreams per log
//! group, DescribeAlarms by name, one ListSubscriptionsByTopic per topic), and the live part:
//! a marked event written with PutLogEvents, the metric's datapoint (GetMetricData), the
//! alarm's transition (DescribeAlarmHistory) and SetAlarmState for `--notify`.
//!
//! The verdicts are [`crate::detect::drill`]'s; this file only gathers answers.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::types::{HistoryItemType, Metric, MetricDataQuery, MetricStat, StateValue};
use aws_smithy_types::DateTime;

use super::{AwsProvider, Classify};
use crate::detect::drill::{AlarmSeen, FilterSeen, Observed, SubscriptionSeen, Target, TrailStatus};
use crate::provider::ProviderError;

/// Per log group: whether it exists, its newest event, and its metric filters by name.
type GroupSeen = (bool, Option<i64>, BTreeMap<String, FilterSeen>);

/// How every drill's log stream (and so its id) begins.
pub const DRILL_STREAM_PREFIX: &str = "socform-drill-";

impl AwsProvider {
    /// What AWS says about every target's path, in the targets' order.
    pub async fn drill_observe(&self, targets: &[Target]) -> Result<Vec<Observed>, ProviderError> {
        let trails: BTreeSet<&str> = targets.iter().filter_map(|t| t.trail.as_deref()).collect();
        let mut trail_status = BTreeMap::new();
        for name in trails {
            let s = match self.cloudtrail.get_trail_status().name(name).send().await.aws() {
                Ok(out) => Some(TrailStatus {
                    is_logging: out.is_logging().unwrap_or(false),
                    latest_cloudwatch_delivery: out.latest_cloud_watch_logs_delivery_time().map(|d| d.secs()),
                    latest_cloudwatch_error: out.latest_cloud_watch_logs_delivery_error().map(str::to_string),
                }),
                Err(ProviderError::NotFound(_)) => None,
                Err(e) => return Err(e),
            };
            trail_status.insert(name, s);
        }

        let groups: BTreeSet<&str> = targets.iter().map(|t| t.filter.log_group_name.as_str()).collect();
        let mut group_seen: BTreeMap<&str, GroupSeen> = BTreeMap::new();
        for g in groups {
            let streams = self
                .logs
                .describe_log_streams()
                .log_group_name(g)
                .order_by(aws_sdk_cloudwatchlogs::types::OrderBy::LastEventTime)
                .descending(true)
                .limit(1)
                .send()
                .await
                .aws();
            let (exists, last) = match streams {
                Ok(out) => (
                    true,
                    out.log_streams()
                        .iter()
                        .filter_map(|s| s.last_event_timestamp().or(s.last_ingestion_time()))
                        .max()
                        .map(|ms| ms / 1000),
                ),
                Err(ProviderError::NotFound(_)) => (false, None),
                Err(e) => return Err(e),
            };
            let mut filters = BTreeMap::new();
            if exists {
                let mut pages = self.logs.describe_metric_filters().log_group_name(g).into_paginator().send();
                while let Some(page) = pages.next().await {
                    for f in page.aws()?.metric_filters() {
                        filters.insert(
                            f.filter_name().unwrap_or_default().to_string(),
                            FilterSeen {
                                pattern: f.filter_pattern().unwrap_or_default().to_string(),
                                metrics: f
                                    .metric_transformations()
                                    .iter()
                                    .map(|m| (m.metric_namespace().to_string(), m.metric_name().to_string()))
                                    .collect(),
                            },
                        );
                    }
                }
            }
            group_seen.insert(g, (exists, last, filters));
        }

        let names: Vec<String> = targets.iter().map(|t| t.alarm.alarm_name.clone()).collect();
        let mut alarms = BTreeMap::new();
        for chunk in names.chunks(100) {
            let out = self
                .cloudwatch
                .describe_alarms()
                .set_alarm_names(Some(chunk.to_vec()))
                .max_records(100)
                .send()
                .await
                .aws()?;
            for a in out.metric_alarms() {
                alarms.insert(
                    a.alarm_name().unwrap_or_default().to_string(),
                    AlarmSeen {
                        namespace: a.namespace().unwrap_or_default().to_string(),
                        metric_name: a.metric_name().unwrap_or_default().to_string(),
                        statistic: a.statistic().map(|s| s.as_str().to_string()).unwrap_or_default(),
                        period: a.period().unwrap_or_default(),
                        threshold: a.threshold().unwrap_or_default(),
                        comparison_operator: a
                            .comparison_operator()
                            .map(|c| c.as_str().to_string())
                            .unwrap_or_default(),
                        actions_enabled: a.actions_enabled().unwrap_or(false),
                        alarm_actions: a.alarm_actions().to_vec(),
                        state: a.state_value().map(|s| s.as_str().to_string()).unwrap_or_default(),
                    },
                );
            }
        }

        let topics: BTreeSet<String> =
            alarms.values().flat_map(|a| a.alarm_actions.iter()).filter(|x| x.contains(":sns:")).cloned().collect();
        let mut subs = BTreeMap::new();
        for arn in topics {
            let mut found = vec![];
            let mut gone = false;
            let mut pages = self.sns.list_subscriptions_by_topic().topic_arn(&arn).into_paginator().send();
            while let Some(page) = pages.next().await {
                match page.aws() {
                    Ok(p) => found.extend(p.subscriptions().iter().map(|s| SubscriptionSeen {
                        protocol: s.protocol().unwrap_or_default().to_string(),
                        endpoint: s.endpoint().unwrap_or_default().to_string(),
                        pending: s.subscription_arn() == Some("PendingConfirmation"),
                    })),
                    Err(ProviderError::NotFound(_)) => {
                        gone = true;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            subs.insert(arn, (!gone).then_some(found));
        }

        Ok(targets
            .iter()
            .map(|t| {
                let (exists, last, filters) = &group_seen[t.filter.log_group_name.as_str()];
                let alarm = alarms.get(&t.alarm.alarm_name).cloned();
                let topics = alarm
                    .iter()
                    .flat_map(|a| a.alarm_actions.iter())
                    .filter_map(|arn| subs.get(arn).map(|s| (arn.clone(), s.clone())))
                    .collect();
                Observed {
                    trail: t.trail.as_deref().and_then(|n| trail_status.get(n).cloned().flatten()),
                    log_group_exists: *exists,
                    log_group_last_event: *last,
                    filter: filters.get(&t.filter.filter_name).cloned(),
                    alarm,
                    topics,
                }
            })
            .collect())
    }

    /// Writes `message` into a new stream of `group`; the stream is the drill's own.
    pub async fn drill_write_event(&self, group: &str, stream: &str, message: &str) -> Result<(), ProviderError> {
        match self.logs.create_log_stream().log_group_name(group).log_stream_name(stream).send().await.aws() {
            Ok(_) | Err(ProviderError::AlreadyExists(_)) => {}
            Err(e) => return Err(e),
        }
        let now_ms = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_millis() as i64;
        let event = aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
            .timestamp(now_ms)
            .message(message)
            .build()
            .map_err(|e| ProviderError::Fatal(e.to_string()))?;
        self.logs
            .put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .log_events(event)
            .send()
            .await
            .aws()?;
        Ok(())
    }

    /// Deletes the drill's own stream (and with it the synthetic events).
    pub async fn drill_delete_stream(&self, group: &str, stream: &str) -> Result<(), ProviderError> {
        match self.logs.delete_log_stream().log_group_name(group).log_stream_name(stream).send().await.aws() {
            Ok(_) | Err(ProviderError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The metric's sum since `since` (GetMetricData, one-minute periods); `None` when no
    /// datapoint has arrived.
    pub async fn drill_datapoint(
        &self,
        namespace: &str,
        metric: &str,
        since: SystemTime,
    ) -> Result<Option<f64>, ProviderError> {
        let query = MetricDataQuery::builder()
            .id("drill")
            .metric_stat(
                MetricStat::builder()
                    .metric(Metric::builder().namespace(namespace).metric_name(metric).build())
                    .period(60)
                    .stat("Sum")
                    .build(),
            )
            .build();
        // Datapoints are stamped at the start of their minute.
        let start = since - Duration::from_secs(120);
        let end = SystemTime::now() + Duration::from_secs(60);
        let out = self
            .cloudwatch
            .get_metric_data()
            .metric_data_queries(query)
            .start_time(DateTime::from(start))
            .end_time(DateTime::from(end))
            .send()
            .await
            .aws()?;
        let sum: f64 = out.metric_data_results().iter().flat_map(|r| r.values().iter()).sum();
        Ok((sum > 0.0).then_some(sum))
    }

    /// Whether the alarm has gone into ALARM since `since` (DescribeAlarmHistory).
    pub async fn drill_alarm_fired(&self, alarm: &str, since: SystemTime) -> Result<bool, ProviderError> {
        let out = self
            .cloudwatch
            .describe_alarm_history()
            .alarm_name(alarm)
            .history_item_type(HistoryItemType::StateUpdate)
            .start_date(DateTime::from(since))
            .send()
            .await
            .aws()?;
        Ok(out.alarm_history_items().iter().any(|i| i.history_summary().is_some_and(|s| s.ends_with("to ALARM"))))
    }

    /// The alarm's state and reason now (DescribeAlarms), read right before `--notify`
    /// touches it: what it finds is what it puts back.
    pub async fn drill_alarm_now(&self, alarm: &str) -> Result<Option<(String, String)>, ProviderError> {
        let out = self.cloudwatch.describe_alarms().alarm_names(alarm).send().await.aws()?;
        Ok(out.metric_alarms().first().map(|a| {
            (
                a.state_value().map(|s| s.as_str().to_string()).unwrap_or_default(),
                a.state_reason().unwrap_or_default().to_string(),
            )
        }))
    }

    /// Streams an earlier drill left in a log group (named `socform-drill-…`: a run killed
    /// before it could delete them), whose marked events a reader could take for real ones.
    pub async fn drill_stale_streams(&self, group: &str) -> Result<Vec<String>, ProviderError> {
        let out = self
            .logs
            .describe_log_streams()
            .log_group_name(group)
            .log_stream_name_prefix(DRILL_STREAM_PREFIX)
            .send()
            .await
            .aws()?;
        Ok(out.log_streams().iter().filter_map(|s| s.log_stream_name().map(str::to_string)).collect())
    }

    /// SetAlarmState: what `--notify` uses to exercise the actions, and to put the alarm back.
    pub async fn drill_set_alarm_state(&self, alarm: &str, state: &str, reason: &str) -> Result<(), ProviderError> {
        self.cloudwatch
            .set_alarm_state()
            .alarm_name(alarm)
            .state_value(StateValue::from(state))
            .state_reason(reason)
            .send()
            .await
            .aws()?;
        Ok(())
    }
}
