//! CloudWatch Logs (log groups, metric filters) and CloudWatch alarms. Refresh: one
//! paginated DescribeLogGroups, one DescribeMetricFilters, one DescribeAlarms.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use aws_sdk_cloudwatchlogs::types::MetricTransformation;
use serde_json::json;

use super::{blank, live, outputs, owned, removed_tag_keys, spec, user_tags, AwsProvider, Classify, Part, Want};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use crate::state::State;

impl AwsProvider {
    fn log_group_arn(&self, account: &str, name: &str) -> String {
        format!("arn:aws:logs:{}:{account}:log-group:{name}", self.region)
    }

    pub(super) async fn create_logs(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        match a.kind() {
            Kind::LogGroup => {
                let v: s::LogGroup = spec(a, req.attrs)?;
                let created = self
                    .logs
                    .create_log_group()
                    .log_group_name(&v.log_group_name)
                    .set_kms_key_id(v.kms_key_id.clone())
                    .set_tags(Some(self.tags(&req, &v.tags).into_iter().collect()))
                    .send()
                    .await
                    .aws();
                match created {
                    Ok(_) => {}
                    // Made by an earlier run that died before saving it: ours if its tags say so.
                    Err(ProviderError::AlreadyExists(_)) => {
                        let account = self.account_id_cached().await?;
                        let tags = self
                            .logs
                            .list_tags_for_resource()
                            .resource_arn(self.log_group_arn(&account, &v.log_group_name))
                            .send()
                            .await
                            .aws()?;
                        if !Self::proves(&req, tags.tags().cloned().unwrap_or_default()) {
                            return Err(Self::not_ours(&req, &v.log_group_name));
                        }
                    }
                    Err(e) => return Err(e),
                }
                if let Some(days) = v.retention_in_days {
                    self.logs
                        .put_retention_policy()
                        .log_group_name(&v.log_group_name)
                        .retention_in_days(days)
                        .send()
                        .await
                        .aws()?;
                }
                let account = self.account_id_cached().await?;
                let arn = self.log_group_arn(&account, &v.log_group_name);
                Ok(Applied {
                    id: v.log_group_name.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.log_group_name), ("arn", &arn)]),
                })
            }
            Kind::MetricFilter => {
                let v: s::MetricFilter = spec(a, req.attrs)?;
                // PutMetricFilter overwrites a filter of the same name. Filters carry no tags, so
                // one that exists cannot be proven ours here (refresh adopts the ones on log
                // groups this state owns): refuse it.
                let existing = self
                    .logs
                    .describe_metric_filters()
                    .log_group_name(&v.log_group_name)
                    .filter_name_prefix(&v.filter_name)
                    .send()
                    .await
                    .aws();
                match existing {
                    Ok(out) if out.metric_filters().iter().any(|f| f.filter_name() == Some(v.filter_name.as_str())) => {
                        return Err(Self::not_ours(&req, &v.filter_name));
                    }
                    Ok(_) | Err(ProviderError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
                self.put_filter(&v).await?;
                let id = format!("{}:{}", v.log_group_name, v.filter_name);
                Ok(Applied { id, attributes: req.attrs.clone(), outputs: outputs(&[("name", &v.filter_name)]) })
            }
            Kind::Alarm => {
                let v: s::Alarm = spec(a, req.attrs)?;
                // PutMetricAlarm overwrites an alarm of the same name: ask first.
                let existing = self.cloudwatch.describe_alarms().alarm_names(&v.alarm_name).send().await.aws()?;
                if let Some(arn) = existing.metric_alarms().first().and_then(|al| al.alarm_arn()) {
                    if !Self::proves(&req, self.alarm_tags(arn).await?) {
                        return Err(Self::not_ours(&req, &v.alarm_name));
                    }
                }
                self.put_alarm(&req, &v).await?;
                let account = self.account_id_cached().await?;
                let arn = format!("arn:aws:cloudwatch:{}:{account}:alarm:{}", self.region, v.alarm_name);
                Ok(Applied {
                    id: v.alarm_name.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.alarm_name), ("arn", &arn)]),
                })
            }
            _ => unreachable!("not a logs kind"),
        }
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

    pub(super) async fn update_logs(
        &self,
        req: Request<'_>,
        id: &str,
        before: &Attrs,
    ) -> Result<Applied, ProviderError> {
        let a = req.address;
        match a.kind() {
            Kind::LogGroup => {
                let v: s::LogGroup = spec(a, req.attrs)?;
                if before.get("retention_in_days") != req.attrs.get("retention_in_days") {
                    match v.retention_in_days {
                        Some(d) => self
                            .logs
                            .put_retention_policy()
                            .log_group_name(id)
                            .retention_in_days(d)
                            .send()
                            .await
                            .aws()
                            .map(|_| ())?,
                        None => {
                            self.logs.delete_retention_policy().log_group_name(id).send().await.aws().map(|_| ())?
                        }
                    }
                }
                if before.get("tags") != req.attrs.get("tags") {
                    let account = self.account_id_cached().await?;
                    let arn = self.log_group_arn(&account, id);
                    let gone = removed_tag_keys(before, &v.tags);
                    if !gone.is_empty() {
                        self.logs.untag_resource().resource_arn(&arn).set_tag_keys(Some(gone)).send().await.aws()?;
                    }
                    self.logs
                        .tag_resource()
                        .resource_arn(&arn)
                        .set_tags(Some(self.tags(&req, &v.tags).into_iter().collect()))
                        .send()
                        .await
                        .aws()?;
                }
            }
            Kind::MetricFilter => {
                // PutMetricFilter replaces a filter of the same name on AWS; moto adds a second
                // one instead. Deleting first is right on both (the gap is one call long).
                let v: s::MetricFilter = spec(a, req.attrs)?;
                match self
                    .logs
                    .delete_metric_filter()
                    .log_group_name(&v.log_group_name)
                    .filter_name(&v.filter_name)
                    .send()
                    .await
                    .aws()
                {
                    Ok(_) | Err(ProviderError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
                self.put_filter(&v).await?
            }
            Kind::Alarm => {
                let v: s::Alarm = spec(a, req.attrs)?;
                self.put_alarm(&req, &v).await?;
                // PutMetricAlarm ignores tags on an existing alarm: they change through
                // TagResource and UntagResource, which take the alarm's ARN.
                if before.get("tags") != req.attrs.get("tags") {
                    let found = self.cloudwatch.describe_alarms().alarm_names(id).send().await.aws()?;
                    let arn = found
                        .metric_alarms()
                        .first()
                        .and_then(|al| al.alarm_arn())
                        .ok_or_else(|| ProviderError::NotFound(format!("alarm {id}")))?
                        .to_string();
                    let tags: Vec<aws_sdk_cloudwatch::types::Tag> = self
                        .tags(&req, &v.tags)
                        .into_iter()
                        .map(|(k, v)| aws_sdk_cloudwatch::types::Tag::builder().key(k).value(v).build())
                        .collect();
                    self.cloudwatch.tag_resource().resource_arn(&arn).set_tags(Some(tags)).send().await.aws()?;
                    let gone = removed_tag_keys(before, &v.tags);
                    if !gone.is_empty() {
                        self.cloudwatch
                            .untag_resource()
                            .resource_arn(&arn)
                            .set_tag_keys(Some(gone))
                            .send()
                            .await
                            .aws()?;
                    }
                }
            }
            _ => unreachable!("not a logs kind"),
        }
        Ok(Applied { id: id.to_string(), attributes: req.attrs.clone(), outputs: BTreeMap::new() })
    }

    pub(super) async fn delete_logs(&self, address: &Address, id: &str, attrs: &Attrs) -> Result<(), ProviderError> {
        match address.kind() {
            Kind::LogGroup => self.logs.delete_log_group().log_group_name(id).send().await.aws().map(|_| ()),
            Kind::MetricFilter => {
                let group = attrs.get("log_group_name").and_then(|v| v.as_str()).unwrap_or_default();
                let name = attrs.get("filter_name").and_then(|v| v.as_str()).unwrap_or_default();
                self.logs.delete_metric_filter().log_group_name(group).filter_name(name).send().await.aws().map(|_| ())
            }
            Kind::Alarm => self.cloudwatch.delete_alarms().alarm_names(id).send().await.aws().map(|_| ()),
            _ => unreachable!("not a logs kind"),
        }
    }

    pub(super) async fn refresh_logs(
        &self,
        blueprint: &str,
        state: &State,
        want: &Want,
    ) -> Result<Part, ProviderError> {
        if !want.any(&[Kind::LogGroup, Kind::MetricFilter, Kind::Alarm]) {
            return Ok(Part::default());
        }
        let mut part = Part::default();
        // Log groups: one paginated listing; tags are read for the groups state knows and
        // for groups named like socform's defaults (to find a crash's leftovers).
        let mut found = BTreeMap::new();
        // The groups this state provably owns: in state, or tagged with its lineage.
        let mut ours_groups = std::collections::BTreeSet::new();
        let mut pages = self.logs.describe_log_groups().into_paginator().send();
        while let Some(page) = pages.next().await {
            for g in page.aws()?.log_groups() {
                let name = g.log_group_name().unwrap_or_default();
                let rec = state.resources.values().find(|r| r.kind == Kind::LogGroup && r.id == name).cloned();
                if rec.is_none() && !name.starts_with(&format!("{blueprint}-")) {
                    continue;
                }
                let arn = g.arn().unwrap_or_default().trim_end_matches(":*").to_string();
                // Tags cost a call per group: read them only to recognise leftovers; for the
                // groups state knows, the recorded tags stand.
                let tags: std::collections::HashMap<String, String> = match &rec {
                    Some(r) => r
                        .attributes
                        .get("tags")
                        .and_then(|t| serde_json::from_value(t.clone()).ok())
                        .unwrap_or_default(),
                    None => self
                        .logs
                        .list_tags_for_resource()
                        .resource_arn(&arn)
                        .send()
                        .await
                        .aws()
                        .map(|t| t.tags().cloned().unwrap_or_default())
                        .unwrap_or_default(),
                };
                let addr = owned(blueprint, &state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                if rec.is_none() && addr.is_none() {
                    continue;
                }
                ours_groups.insert(name.to_string());
                let mut read = Attrs::new();
                read.insert("log_group_name".into(), json!(name));
                read.insert("retention_in_days".into(), json!(g.retention_in_days()));
                read.insert("kms_key_id".into(), json!(g.kms_key_id()));
                read.insert("tags".into(), user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
                let rec = rec.unwrap_or_else(|| blank(Kind::LogGroup));
                let mut l = live(&rec, name, read, outputs(&[("name", name), ("arn", &arn)]));
                l.attributes.retain(|_, v| !v.is_null());
                found.insert(name.to_string(), (addr, l));
            }
        }
        part.settle(state, Kind::LogGroup, found);

        // Metric filters: one listing of every filter. Filters carry no tags: one state does
        // not know is adopted only when it sits on a log group this state owns, with the name
        // of a create this state marked before starting it (a crash between the create and
        // the state's save). A name alone proves nothing: anyone who may put a filter on the
        // lab's log group can use socform's name, and the next apply would have overwritten
        // it, then destroy deleted it (issue 24). A lab read back from its tags for teardown
        // (`State::discovery`) counts every filter on its own groups, as AWS deletes them with
        // the group. A filter on anybody else's group is never touched.
        let mut found = BTreeMap::new();
        let mut pages = self.logs.describe_metric_filters().into_paginator().send();
        while let Some(page) = pages.next().await {
            for f in page.aws()?.metric_filters() {
                let group = f.log_group_name().unwrap_or_default();
                let name = f.filter_name().unwrap_or_default();
                let id = format!("{group}:{name}");
                let rec = state.resources.values().find(|r| r.kind == Kind::MetricFilter && r.id == id).cloned();
                let addr = if rec.is_none() && ours_groups.contains(group) {
                    default_address(blueprint, Kind::MetricFilter, name)
                        .filter(|a| state.discovery || state.pending.get(a).is_some_and(|p| p.name == name))
                } else {
                    None
                };
                if rec.is_none() && addr.is_none() {
                    continue;
                }
                let t = f.metric_transformations().first();
                let mut read = Attrs::new();
                read.insert("log_group_name".into(), json!(group));
                read.insert("filter_name".into(), json!(name));
                read.insert("filter_pattern".into(), json!(f.filter_pattern().unwrap_or_default()));
                if let Some(t) = t {
                    read.insert("metric_namespace".into(), json!(t.metric_namespace()));
                    read.insert("metric_name".into(), json!(t.metric_name()));
                    read.insert("metric_value".into(), json!(t.metric_value()));
                    if let Some(d) = t.default_value() {
                        read.insert("default_value".into(), json!(d));
                    }
                }
                let rec = rec.unwrap_or_else(|| blank(Kind::MetricFilter));
                found.insert(id.clone(), (addr, live(&rec, id.clone(), read, outputs(&[("name", name)]))));
            }
        }
        part.settle(state, Kind::MetricFilter, found);

        if want.has(Kind::Alarm) {
            // Alarms: one paginated DescribeAlarms. One state does not know is adopted only when
            // its own tags prove it (one ListTagsForResource for each alarm with socform's default
            // name prefix that state lacks: none in a healthy lab).
            let mut found = BTreeMap::new();
            let mut pages = self.cloudwatch.describe_alarms().into_paginator().send();
            while let Some(page) = pages.next().await {
                for al in page.aws()?.metric_alarms() {
                    let name = al.alarm_name().unwrap_or_default();
                    let rec = state.resources.values().find(|r| r.kind == Kind::Alarm && r.id == name).cloned();
                    let addr = match (&rec, default_address(blueprint, Kind::Alarm, name), al.alarm_arn()) {
                        (None, Some(_), Some(arn)) => {
                            let tags = self.alarm_tags(arn).await?;
                            owned(blueprint, &state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                        }
                        _ => None,
                    };
                    if rec.is_none() && addr.is_none() {
                        continue;
                    }
                    let mut actions: Vec<&str> = al.alarm_actions().iter().map(String::as_str).collect();
                    actions.sort();
                    let mut ok: Vec<&str> = al.ok_actions().iter().map(String::as_str).collect();
                    ok.sort();
                    let mut read = Attrs::new();
                    read.insert("alarm_name".into(), json!(name));
                    if let Some(d) = al.alarm_description() {
                        read.insert("alarm_description".into(), json!(d));
                    }
                    read.insert("namespace".into(), json!(al.namespace()));
                    read.insert("metric_name".into(), json!(al.metric_name()));
                    read.insert("statistic".into(), json!(al.statistic().map(|s| s.as_str())));
                    read.insert("period".into(), json!(al.period()));
                    read.insert("evaluation_periods".into(), json!(al.evaluation_periods()));
                    if let Some(d) = al.datapoints_to_alarm() {
                        read.insert("datapoints_to_alarm".into(), json!(d));
                    }
                    read.insert("threshold".into(), json!(al.threshold()));
                    read.insert("comparison_operator".into(), json!(al.comparison_operator().map(|c| c.as_str())));
                    read.insert("treat_missing_data".into(), json!(al.treat_missing_data().unwrap_or("missing")));
                    read.insert("alarm_actions".into(), json!(actions));
                    read.insert("ok_actions".into(), json!(ok));
                    let rec = rec.unwrap_or_else(|| blank(Kind::Alarm));
                    let outs = outputs(&[("name", name), ("arn", al.alarm_arn().unwrap_or_default())]);
                    found.insert(name.to_string(), (addr, live(&rec, name, read, outs)));
                }
            }
            part.settle(state, Kind::Alarm, found);
        }
        Ok(part)
    }
}

/// The address socform's default name `BLUEPRINT-NAME` stands for, if `name` is one (a bare
/// `BLUEPRINT-` names nothing).
fn default_address(blueprint: &str, kind: Kind, name: &str) -> Option<Address> {
    name.strip_prefix(&format!("{blueprint}-")).filter(|n| !n.is_empty()).map(|n| Address::new(kind, n))
}
