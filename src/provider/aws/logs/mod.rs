//! CloudWatch Logs (log groups, metric filters) and CloudWatch alarms: one file per kind, and
//! what they share.

pub(super) mod alarm;
pub(super) mod log_group;
pub(super) mod metric_filter;

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use aws_sdk_cloudwatchlogs::types::MetricTransformation;
use serde_json::json;

use super::kinds::{Change, Doomed, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, outputs, owned, spec, user_tags, AwsProvider, Classify};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};

impl AwsProvider {
    fn log_group_arn(&self, account: &str, name: &str) -> String {
        format!("arn:aws:logs:{}:{account}:log-group:{name}", self.region)
    }

    /// An alarm's tags (one ListTagsForResource).
    async fn alarm_tags(&self, arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let out = self.cloudwatch.list_tags_for_resource().resource_arn(arn).send().await.aws()?;
        Ok(out
            .tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default().to_string(), t.value().unwrap_or_default().to_string()))
            .collect())
    }

    pub(super) async fn account_id_cached(&self) -> Result<String, ProviderError> {
        use crate::provider::Provider;
        self.account_id().await
    }

    async fn put_filter(&self, v: &s::MetricFilter) -> Result<(), ProviderError> {
        let t = MetricTransformation::builder()
            .metric_namespace(&v.metric_namespace)
            .metric_name(&v.metric_name)
            .metric_value(&v.metric_value)
            .set_default_value(v.default_value)
            .build()
            .map_err(|e| ProviderError::Fatal(e.to_string()))?;
        self.logs
            .put_metric_filter()
            .log_group_name(&v.log_group_name)
            .filter_name(&v.filter_name)
            .filter_pattern(&v.filter_pattern)
            .metric_transformations(t)
            .send()
            .await
            .aws()
            .map(|_| ())
    }

    async fn put_alarm(&self, req: &Request<'_>, v: &s::Alarm) -> Result<(), ProviderError> {
        let tags: Vec<aws_sdk_cloudwatch::types::Tag> = self
            .tags(req, &v.tags)
            .into_iter()
            .map(|(k, v)| aws_sdk_cloudwatch::types::Tag::builder().key(k).value(v).build())
            .collect();
        self.cloudwatch
            .put_metric_alarm()
            .alarm_name(&v.alarm_name)
            .set_alarm_description(v.alarm_description.clone())
            .namespace(&v.namespace)
            .metric_name(&v.metric_name)
            .statistic(Statistic::from(v.statistic.as_str()))
            .period(v.period)
            .evaluation_periods(v.evaluation_periods)
            .set_datapoints_to_alarm(v.datapoints_to_alarm)
            .threshold(v.threshold)
            .comparison_operator(ComparisonOperator::from(v.comparison_operator.as_str()))
            .treat_missing_data(&v.treat_missing_data)
            .set_alarm_actions(Some(v.alarm_actions.clone()))
            .set_ok_actions(Some(v.ok_actions.clone()))
            .set_tags(Some(tags))
            .send()
            .await
            .aws()
            .map(|_| ())
    }
}

/// The address socform's default name `BLUEPRINT-NAME` stands for, if `name` is one (a bare
/// `BLUEPRINT-` names nothing).
fn default_address(blueprint: &str, kind: Kind, name: &str) -> Option<Address> {
    name.strip_prefix(&format!("{blueprint}-")).filter(|n| !n.is_empty()).map(|n| Address::new(kind, n))
}
