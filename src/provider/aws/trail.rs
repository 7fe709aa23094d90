//! CloudTrail trails. Refresh: one DescribeTrails, one ListTags for all of them, and one
//! GetTrailStatus per trail (there is no batched status call).

use std::collections::BTreeMap;

use aws_sdk_cloudtrail::types::Tag;
use serde_json::json;

use super::kinds::{Change, Doomed, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, outputs, owned, spec, user_tags, AwsProvider, Classify, SETTLE};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use async_trait::async_trait;

impl AwsProvider {
    async fn create_trail(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::Trail = spec(a, req.attrs)?;
        let tags: Vec<Tag> = self
            .tags(&req, &v.tags)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build().expect("key set"))
            .collect();
        let out = self
            .settle("CreateTrail", SETTLE, || async {
                self.cloudtrail
                    .create_trail()
                    .name(&v.name)
                    .s3_bucket_name(&v.s3_bucket_name)
                    .set_s3_key_prefix(v.s3_key_prefix.clone())
                    .is_multi_region_trail(v.is_multi_region_trail)
                    .is_organization_trail(v.is_organization_trail)
                    .enable_log_file_validation(v.enable_log_file_validation)
                    .include_global_service_events(v.include_global_service_events)
                    .set_cloud_watch_logs_log_group_arn(v.cloud_watch_logs_log_group_arn.clone())
                    .set_cloud_watch_logs_role_arn(v.cloud_watch_logs_role_arn.clone())
                    .set_kms_key_id(v.kms_key_id.clone())
                    .set_sns_topic_name(v.sns_topic_name.clone())
                    .set_tags_list(Some(tags.clone()))
                    .send()
                    .await
                    .aws()
            })
            .await?;
        let arn = out.trail_arn().unwrap_or_default().to_string();
        if !v.exclude_management_event_sources.is_empty() || !v.s3_data_events.is_empty() {
            self.put_selectors(&v.name, &v.exclude_management_event_sources, &v.s3_data_events).await?;
        }
        if v.logging {
            self.cloudtrail.start_logging().name(&v.name).send().await.aws()?;
        }
        Ok(Applied {
            id: v.name.clone(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", &v.name), ("arn", &arn)]),
        })
    }

    async fn update_trail(&self, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, before } = c;
        let a = req.address;
        let v: s::Trail = spec(a, req.attrs)?;
        let settings = [
            "s3_bucket_name",
            "s3_key_prefix",
            "is_multi_region_trail",
            "is_organization_trail",
            "enable_log_file_validation",
            "include_global_service_events",
            "cloud_watch_logs_log_group_arn",
            "cloud_watch_logs_role_arn",
            "kms_key_id",
            "sns_topic_name",
        ];
        if settings.iter().any(|k| c.changed(k)) {
            self.settle("UpdateTrail", SETTLE, || async {
                self.cloudtrail
                    .update_trail()
                    .name(id)
                    .s3_bucket_name(&v.s3_bucket_name)
                    .set_s3_key_prefix(
                        v.s3_key_prefix.clone().or_else(|| before.get("s3_key_prefix").map(|_| String::new())),
                    )
                    .is_multi_region_trail(v.is_multi_region_trail)
                    .is_organization_trail(v.is_organization_trail)
                    .enable_log_file_validation(v.enable_log_file_validation)
                    .include_global_service_events(v.include_global_service_events)
                    .cloud_watch_logs_log_group_arn(v.cloud_watch_logs_log_group_arn.clone().unwrap_or_default())
                    .cloud_watch_logs_role_arn(v.cloud_watch_logs_role_arn.clone().unwrap_or_default())
                    .set_kms_key_id(v.kms_key_id.clone())
                    .sns_topic_name(v.sns_topic_name.clone().unwrap_or_default())
                    .send()
                    .await
                    .aws()
                    .map(|_| ())
            })
            .await?;
        }
        if c.changed("exclude_management_event_sources") || c.changed("s3_data_events") {
            self.put_selectors(id, &v.exclude_management_event_sources, &v.s3_data_events).await?;
        }
        if c.changed("logging") {
            if v.logging {
                self.cloudtrail.start_logging().name(id).send().await.aws()?;
            } else {
                self.cloudtrail.stop_logging().name(id).send().await.aws()?;
            }
        }
        Ok(c.kept())
    }

    /// One basic event selector: every management event, read and write, but for the
    /// sources left out (none: the default selector), and the S3 data events asked for.
    async fn put_selectors(&self, trail: &str, exclude: &[String], s3_data: &[String]) -> Result<(), ProviderError> {
        use aws_sdk_cloudtrail::types::{DataResource, EventSelector, ReadWriteType};
        let data = (!s3_data.is_empty())
            .then(|| vec![DataResource::builder().r#type(S3_OBJECT).set_values(Some(s3_data.to_vec())).build()]);
        let selector = EventSelector::builder()
            .read_write_type(ReadWriteType::All)
            .include_management_events(true)
            .set_exclude_management_event_sources(Some(exclude.to_vec()))
            .set_data_resources(data)
            .build();
        self.cloudtrail.put_event_selectors().trail_name(trail).event_selectors(selector).send().await.aws().map(|_| ())
    }

    /// What a trail's selectors say, as the spec says it: the management event sources left
    /// out, with a word for anything else that narrows them (so that a trail blinded by
    /// PutEventSelectors shows as drift), and the S3 data events recorded (a word for data
    /// events recorded only one way, read or write). Read only when the trail has custom
    /// selectors (DescribeTrails says so) or state recorded some: a default trail logs every
    /// management event and no data event.
    async fn selectors(&self, trail: &str) -> Result<(Vec<String>, Vec<String>), ProviderError> {
        use aws_sdk_cloudtrail::types::ReadWriteType;
        let out = self.cloudtrail.get_event_selectors().trail_name(trail).send().await.aws()?;
        let mut excluded = Vec::new();
        let mut data = Vec::new();
        if !out.advanced_event_selectors().is_empty() {
            excluded.push("(advanced event selectors)".to_string());
        }
        let mut management = false;
        for sel in out.event_selectors() {
            let rw = sel.read_write_type().map(|r| r.as_str()).unwrap_or("some");
            let all = sel.read_write_type().is_none_or(|r| *r == ReadWriteType::All);
            if sel.include_management_events() == Some(true) {
                management = true;
                if !all {
                    excluded.push(format!("(only {rw} management events)"));
                }
                excluded.extend(sel.exclude_management_event_sources().iter().cloned());
            }
            for d in sel.data_resources().iter().filter(|d| d.r#type() == Some(S3_OBJECT)) {
                data.extend(d.values().iter().map(|v| if all { v.clone() } else { format!("{v} (only {rw})") }));
            }
        }
        if !management && out.advanced_event_selectors().is_empty() {
            excluded.push("(management events off)".to_string());
        }
        for list in [&mut excluded, &mut data] {
            list.sort();
            list.dedup();
        }
        Ok((excluded, data))
    }

    async fn delete_trail(&self, _address: &Address, id: &str, _attrs: &Attrs) -> Result<(), ProviderError> {
        self.cloudtrail.delete_trail().name(id).send().await.aws().map(|_| ())
    }

    async fn refresh_trail(&self, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let out = self.cloudtrail.describe_trails().include_shadow_trails(false).send().await.aws()?;
        let trails = out.trail_list();
        let arns: Vec<String> = trails.iter().filter_map(|t| t.trail_arn().map(str::to_string)).collect();
        let mut tags_by_arn: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        // ListTags takes at most 20 ARNs a call.
        for chunk in arns.chunks(20) {
            let t = self.cloudtrail.list_tags().set_resource_id_list(Some(chunk.to_vec())).send().await.aws()?;
            for r in t.resource_tag_list() {
                let pairs = r
                    .tags_list()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().unwrap_or_default().to_string()))
                    .collect();
                tags_by_arn.insert(r.resource_id().unwrap_or_default().to_string(), pairs);
            }
        }
        let mut found = BTreeMap::new();
        for t in trails {
            let name = t.name().unwrap_or_default();
            let arn = t.trail_arn().unwrap_or_default();
            let tags = tags_by_arn.get(arn).cloned().unwrap_or_default();
            let addr = owned(blueprint, &state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let rec = at.record(Kind::Trail, name).cloned();
            if rec.is_none() && addr.is_none() {
                continue;
            }
            let status = self.cloudtrail.get_trail_status().name(name).send().await.aws()?;
            let mut read = Attrs::new();
            read.insert("name".into(), json!(name));
            read.insert("s3_bucket_name".into(), json!(t.s3_bucket_name()));
            read.insert("s3_key_prefix".into(), json!(t.s3_key_prefix()));
            read.insert("is_multi_region_trail".into(), json!(t.is_multi_region_trail().unwrap_or(false)));
            if t.is_organization_trail() == Some(true) {
                read.insert("is_organization_trail".into(), json!(true));
            }
            read.insert("enable_log_file_validation".into(), json!(t.log_file_validation_enabled().unwrap_or(false)));
            read.insert(
                "include_global_service_events".into(),
                json!(t.include_global_service_events().unwrap_or(false)),
            );
            read.insert("cloud_watch_logs_log_group_arn".into(), json!(t.cloud_watch_logs_log_group_arn()));
            read.insert("cloud_watch_logs_role_arn".into(), json!(t.cloud_watch_logs_role_arn()));
            read.insert("kms_key_id".into(), json!(t.kms_key_id()));
            // The name, from the ARN (AWS no longer fills SnsTopicName in).
            read.insert("sns_topic_name".into(), json!(t.sns_topic_arn().and_then(|a| a.rsplit(':').next())));
            // Read when AWS says the trail has custom selectors, or when state recorded some
            // (moto always says false).
            let recorded = rec.as_ref().is_some_and(|r| {
                ["exclude_management_event_sources", "s3_data_events"]
                    .iter()
                    .any(|k| r.attributes.get(*k).and_then(|v| v.as_array()).is_some_and(|a| !a.is_empty()))
            });
            let (excluded, data) = if t.has_custom_event_selectors() == Some(true) || recorded {
                self.selectors(name).await?
            } else {
                (vec![], vec![])
            };
            read.insert("exclude_management_event_sources".into(), json!(excluded));
            read.insert("s3_data_events".into(), json!(data));
            read.insert("logging".into(), json!(status.is_logging().unwrap_or(false)));
            read.insert("tags".into(), user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
            let rec = rec.unwrap_or_else(|| blank(Kind::Trail));
            let mut l = live(&rec, name, read, outputs(&[("name", name), ("arn", arn)]));
            // Absent optional settings are absent, not null, "" or [] (UpdateTrail clears with "").
            l.attributes.retain(|_, v| !v.is_null() && v != "" && v != &json!([]));
            found.insert(name.to_string(), (addr, l));
        }
        Ok(Listed::of(Kind::Trail, found))
    }
}

/// The data resource type of S3 object-level events.
const S3_OBJECT: &str = "AWS::S3::Object";

pub(crate) struct Trail;

#[async_trait]
impl KindApi for Trail {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        aws.create_trail(req).await
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        aws.update_trail(c).await
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        aws.delete_trail(d.address, d.id, d.attrs).await
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        aws.refresh_trail(at).await
    }

    async fn tag_target(&self, aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        let arn = aws
            .cloudtrail
            .get_trail()
            .name(id)
            .send()
            .await
            .aws()?
            .trail()
            .and_then(|t| t.trail_arn().map(str::to_string));
        Ok(Some(TagTarget::CloudTrail(arn.unwrap_or_default())))
    }
}
