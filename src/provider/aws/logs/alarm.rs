//! A CloudWatch metric alarm. Listed with one paginated DescribeAlarms; the tags of an alarm
//! with socform's default name that state does not know, to prove it this state's own.

use super::*;

pub(crate) struct Alarm;

#[async_trait]
impl KindApi for Alarm {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::Alarm = spec(a, req.attrs)?;
        // PutMetricAlarm overwrites an alarm of the same name: ask first.
        let existing = aws.cloudwatch.describe_alarms().alarm_names(&v.alarm_name).send().await.aws()?;
        if let Some(arn) = existing.metric_alarms().first().and_then(|al| al.alarm_arn()) {
            if !AwsProvider::proves(&req, aws.alarm_tags(arn).await?) {
                return Err(AwsProvider::not_ours(&req, &v.alarm_name));
            }
        }
        aws.put_alarm(&req, &v).await?;
        let account = aws.account_id_cached().await?;
        let arn = format!("arn:aws:cloudwatch:{}:{account}:alarm:{}", aws.region, v.alarm_name);
        Ok(Applied {
            id: v.alarm_name.clone(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", &v.alarm_name), ("arn", &arn)]),
        })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, .. } = c;
        let a = req.address;
        let v: s::Alarm = spec(a, req.attrs)?;
        aws.put_alarm(&req, &v).await?;
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        aws.cloudwatch.delete_alarms().alarm_names(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut listed = Listed::default();
        // Alarms: one paginated DescribeAlarms. One state does not know is adopted only when
        // its own tags prove it (one ListTagsForResource for each alarm with socform's default
        // name prefix that state lacks: none in a healthy lab).
        let mut found = BTreeMap::new();
        let mut pages = aws.cloudwatch.describe_alarms().into_paginator().send();
        while let Some(page) = pages.next().await {
            for al in page.aws()?.metric_alarms() {
                let name = al.alarm_name().unwrap_or_default();
                let rec = at.record(Kind::Alarm, name).cloned();
                let addr = match (&rec, default_address(blueprint, Kind::Alarm, name), al.alarm_arn()) {
                    (None, Some(_), Some(arn)) => {
                        let tags = aws.alarm_tags(arn).await?;
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
        listed.found.insert(Kind::Alarm, found);
        Ok(listed)
    }

    async fn tag_target(&self, aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        // PutMetricAlarm ignores tags on an existing alarm: they change through TagResource
        // and UntagResource, which take the alarm's ARN.
        let found = aws.cloudwatch.describe_alarms().alarm_names(id).send().await.aws()?;
        let arn = found
            .metric_alarms()
            .first()
            .and_then(|al| al.alarm_arn())
            .ok_or_else(|| ProviderError::NotFound(format!("alarm {id}")))?;
        Ok(Some(TagTarget::CloudWatch(arn.to_string())))
    }
}
