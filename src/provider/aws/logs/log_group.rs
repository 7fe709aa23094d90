//! A CloudWatch Logs log group. Listed with the metric filters on it: one paginated
//! DescribeLogGroups, the tags of groups state does not know, one DescribeMetricFilters.

use super::*;

pub(crate) struct LogGroup;

#[async_trait]
impl KindApi for LogGroup {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::LogGroup = spec(a, req.attrs)?;
        let created = aws
            .logs
            .create_log_group()
            .log_group_name(&v.log_group_name)
            .set_kms_key_id(v.kms_key_id.clone())
            .set_tags(Some(aws.tags(&req, &v.tags).into_iter().collect()))
            .send()
            .await
            .aws();
        match created {
            Ok(_) => {}
            // Made by an earlier run that died before saving it: ours if its tags say so.
            Err(ProviderError::AlreadyExists(_)) => {
                let account = aws.account_id_cached().await?;
                let tags = aws
                    .logs
                    .list_tags_for_resource()
                    .resource_arn(aws.log_group_arn(&account, &v.log_group_name))
                    .send()
                    .await
                    .aws()?;
                if !AwsProvider::proves(&req, tags.tags().cloned().unwrap_or_default()) {
                    return Err(AwsProvider::not_ours(&req, &v.log_group_name));
                }
            }
            Err(e) => return Err(e),
        }
        if let Some(days) = v.retention_in_days {
            aws.logs
                .put_retention_policy()
                .log_group_name(&v.log_group_name)
                .retention_in_days(days)
                .send()
                .await
                .aws()?;
        }
        let account = aws.account_id_cached().await?;
        let arn = aws.log_group_arn(&account, &v.log_group_name);
        Ok(Applied {
            id: v.log_group_name.clone(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", &v.log_group_name), ("arn", &arn)]),
        })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, before } = c;
        let a = req.address;
        let v: s::LogGroup = spec(a, req.attrs)?;
        if before.get("retention_in_days") != req.attrs.get("retention_in_days") {
            match v.retention_in_days {
                Some(d) => aws
                    .logs
                    .put_retention_policy()
                    .log_group_name(id)
                    .retention_in_days(d)
                    .send()
                    .await
                    .aws()
                    .map(|_| ())?,
                None => aws.logs.delete_retention_policy().log_group_name(id).send().await.aws().map(|_| ())?,
            }
        }
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        aws.logs.delete_log_group().log_group_name(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut listed = Listed::default();
        // Log groups: one paginated listing; tags are read for the groups state knows and
        // for groups named like socform's defaults (to find a crash's leftovers).
        let mut found = BTreeMap::new();
        // The groups this state provably owns: in state, or tagged with its lineage.
        let mut ours_groups = std::collections::BTreeSet::new();
        let mut pages = aws.logs.describe_log_groups().into_paginator().send();
        while let Some(page) = pages.next().await {
            for g in page.aws()?.log_groups() {
                let name = g.log_group_name().unwrap_or_default();
                let rec = at.record(Kind::LogGroup, name).cloned();
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
                    None => aws
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
        listed.found.insert(Kind::LogGroup, found);

        // Metric filters: one listing of every filter. Filters carry no tags: one state does
        // not know is adopted only when it sits on a log group this state owns, with the name
        // of a create this state marked before starting it (a crash between the create and
        // the state's save). A name alone proves nothing: anyone who may put a filter on the
        // lab's log group can use socform's name, and the next apply would have overwritten
        // it, then destroy deleted it (issue 24). A lab read back from its tags for teardown
        // (`State::discovery`) counts every filter on its own groups, as AWS deletes them with
        // the group. A filter on anybody else's group is never touched.
        let mut found = BTreeMap::new();
        let mut pages = aws.logs.describe_metric_filters().into_paginator().send();
        while let Some(page) = pages.next().await {
            for f in page.aws()?.metric_filters() {
                let group = f.log_group_name().unwrap_or_default();
                let name = f.filter_name().unwrap_or_default();
                let id = format!("{group}:{name}");
                let rec = at.record(Kind::MetricFilter, &id).cloned();
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
        listed.found.insert(Kind::MetricFilter, found);
        Ok(listed)
    }

    async fn tag_target(&self, aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        let account = aws.account_id_cached().await?;
        Ok(Some(TagTarget::Logs(aws.log_group_arn(&account, id))))
    }
}
