//! AWS Config: the configuration recorder, its delivery channel and managed rules.
//! Refresh: one DescribeConfigurationRecorders, one status call, one
//! DescribeDeliveryChannels and one paginated DescribeConfigRules.

use std::collections::BTreeMap;

use aws_sdk_config::types::{
    ConfigRule, ConfigurationRecorder, DeliveryChannel, Owner, RecordingGroup, Scope, Source, Tag,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::json;

use super::{blank, live, outputs, owned, spec, AwsProvider, Classify, Part, Want, SETTLE};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use crate::state::State;

impl AwsProvider {
    async fn put_recorder(&self, v: &s::ConfigRecorder) -> Result<(), ProviderError> {
        let rec = ConfigurationRecorder::builder()
            .name(&v.name)
            .role_arn(&v.role_arn)
            .recording_group(
                RecordingGroup::builder()
                    .all_supported(v.all_supported)
                    .include_global_resource_types(v.include_global_resource_types)
                    .build(),
            )
            .build();
        self.settle("PutConfigurationRecorder", SETTLE, || async {
            self.config.put_configuration_recorder().configuration_recorder(rec.clone()).send().await.aws().map(|_| ())
        })
        .await
    }

    async fn put_channel(&self, v: &s::ConfigDeliveryChannel) -> Result<(), ProviderError> {
        let ch = DeliveryChannel::builder()
            .name(&v.name)
            .s3_bucket_name(&v.s3_bucket_name)
            .set_s3_key_prefix(v.s3_key_prefix.clone())
            .set_sns_topic_arn(v.sns_topic_arn.clone())
            .config_snapshot_delivery_properties(
                aws_sdk_config::types::ConfigSnapshotDeliveryProperties::builder()
                    .delivery_frequency(v.delivery_frequency.as_str().into())
                    .build(),
            )
            .build();
        self.settle("PutDeliveryChannel", SETTLE, || async {
            self.config.put_delivery_channel().delivery_channel(ch.clone()).send().await.aws().map(|_| ())
        })
        .await
    }

    async fn put_rule(&self, req: &Request<'_>, v: &s::ConfigRule) -> Result<(), ProviderError> {
        let params = (!v.input_parameters.is_empty())
            .then(|| serde_json::to_string(&v.input_parameters).expect("strings serialise"));
        let scope = (!v.resource_types.is_empty())
            .then(|| Scope::builder().set_compliance_resource_types(Some(v.resource_types.clone())).build());
        let rule = ConfigRule::builder()
            .config_rule_name(&v.name)
            .set_description(v.description.clone())
            .source(
                Source::builder().owner(Owner::Aws).source_identifier(&v.source_identifier).build().expect("owner set"),
            )
            .set_input_parameters(params)
            .set_scope(scope)
            .build();
        let tags: Vec<Tag> =
            self.tags(req, &v.tags).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        self.config.put_config_rule().config_rule(rule).set_tags(Some(tags)).send().await.aws().map(|_| ())
    }

    pub(super) async fn create_config(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        match a.kind() {
            Kind::ConfigRecorder => {
                let v: s::ConfigRecorder = spec(a, req.attrs)?;
                // AWS Config keeps one recorder per region and PutConfigurationRecorder
                // overwrites it. Recorders carry no tags: one that exists is this state's own
                // only if it has this name and records through the role this state made.
                let existing = self.config.describe_configuration_recorders().send().await.aws()?;
                if let Some(r) = existing.configuration_recorders().first() {
                    let name = r.name().unwrap_or_default();
                    if name != v.name || r.role_arn() != Some(v.role_arn.as_str()) {
                        return Err(Self::not_ours_because(&req, "AWS Config keeps one per region", name));
                    }
                }
                self.put_recorder(&v).await?;
                Ok(Applied {
                    id: v.name.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.name)]),
                })
            }
            Kind::ConfigDeliveryChannel => {
                let v: s::ConfigDeliveryChannel = spec(a, req.attrs)?;
                // One delivery channel per region, overwritten by PutDeliveryChannel, no tags:
                // an existing one is ours only with this name and this state's bucket.
                let existing = self.config.describe_delivery_channels().send().await.aws()?;
                if let Some(c) = existing.delivery_channels().first() {
                    let name = c.name().unwrap_or_default();
                    if name != v.name || c.s3_bucket_name() != Some(v.s3_bucket_name.as_str()) {
                        return Err(Self::not_ours_because(&req, "AWS Config keeps one per region", name));
                    }
                }
                self.put_channel(&v).await?;
                // A recorder starts only once it has a channel; start it now if it should run.
                let recorders = self.config.describe_configuration_recorders().send().await.aws()?;
                for r in recorders.configuration_recorders() {
                    if let Some(name) = r.name() {
                        self.config
                            .start_configuration_recorder()
                            .configuration_recorder_name(name)
                            .send()
                            .await
                            .aws()?;
                    }
                }
                Ok(Applied {
                    id: v.name.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.name)]),
                })
            }
            Kind::ConfigRule => {
                let v: s::ConfigRule = spec(a, req.attrs)?;
                // PutConfigRule overwrites a rule of the same name: ask first.
                match self.config.describe_config_rules().config_rule_names(&v.name).send().await.aws() {
                    Ok(out) => {
                        if let Some(arn) = out.config_rules().first().and_then(|r| r.config_rule_arn()) {
                            let tags = self.config.list_tags_for_resource().resource_arn(arn).send().await.aws()?;
                            let pairs = tags.tags().iter().map(|t| {
                                (t.key().unwrap_or_default().to_string(), t.value().unwrap_or_default().to_string())
                            });
                            if !Self::proves(&req, pairs) {
                                return Err(Self::not_ours(&req, &v.name));
                            }
                        }
                    }
                    Err(ProviderError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
                self.put_rule(&req, &v).await?;
                Ok(Applied {
                    id: v.name.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.name)]),
                })
            }
            _ => unreachable!("not a Config kind"),
        }
    }

    pub(super) async fn update_config(
        &self,
        req: Request<'_>,
        id: &str,
        _before: &Attrs,
    ) -> Result<Applied, ProviderError> {
        let a = req.address;
        match a.kind() {
            Kind::ConfigRecorder => {
                let v: s::ConfigRecorder = spec(a, req.attrs)?;
                self.put_recorder(&v).await?;
                if v.recording {
                    match self.config.start_configuration_recorder().configuration_recorder_name(id).send().await {
                        Ok(_) => {}
                        // A recorder records only once it has a delivery channel, and creating
                        // the channel starts it (a run that died between the two leaves this).
                        Err(e) if e.code() == Some("NoAvailableDeliveryChannelException") => {}
                        Err(e) => return Err(super::classify(&e)),
                    }
                } else {
                    self.config.stop_configuration_recorder().configuration_recorder_name(id).send().await.aws()?;
                }
            }
            Kind::ConfigDeliveryChannel => self.put_channel(&spec(a, req.attrs)?).await?,
            Kind::ConfigRule => self.put_rule(&req, &spec(a, req.attrs)?).await?,
            _ => unreachable!("not a Config kind"),
        }
        Ok(Applied { id: id.to_string(), attributes: req.attrs.clone(), outputs: BTreeMap::new() })
    }

    pub(super) async fn delete_config(&self, address: &Address, id: &str, _attrs: &Attrs) -> Result<(), ProviderError> {
        match address.kind() {
            Kind::ConfigRecorder => {
                let _ = self.config.stop_configuration_recorder().configuration_recorder_name(id).send().await;
                self.config
                    .delete_configuration_recorder()
                    .configuration_recorder_name(id)
                    .send()
                    .await
                    .aws()
                    .map(|_| ())
            }
            Kind::ConfigDeliveryChannel => {
                // AWS refuses to delete the channel while the recorder runs.
                let recorders = self.config.describe_configuration_recorders().send().await.aws()?;
                for r in recorders.configuration_recorders() {
                    if let Some(name) = r.name() {
                        let _ =
                            self.config.stop_configuration_recorder().configuration_recorder_name(name).send().await;
                    }
                }
                self.config.delete_delivery_channel().delivery_channel_name(id).send().await.aws().map(|_| ())
            }
            Kind::ConfigRule => self.config.delete_config_rule().config_rule_name(id).send().await.aws().map(|_| ()),
            _ => unreachable!("not a Config kind"),
        }
    }

    pub(super) async fn refresh_config(
        &self,
        blueprint: &str,
        state: &State,
        want: &Want,
    ) -> Result<Part, ProviderError> {
        if !want.any(&[Kind::ConfigRecorder, Kind::ConfigDeliveryChannel, Kind::ConfigRule]) {
            return Ok(Part::default());
        }
        let mut part = Part::default();
        // Config resources carry no tags to find leftovers by: with none in state, there is
        // nothing to read.
        if !state
            .resources
            .keys()
            .any(|a| matches!(a.kind(), Kind::ConfigRecorder | Kind::ConfigDeliveryChannel | Kind::ConfigRule))
        {
            return Ok(part);
        }
        let find = |kind: Kind, id: &str| state.resources.values().find(|r| r.kind == kind && r.id == id).cloned();

        let recorders = self.config.describe_configuration_recorders().send().await.aws()?;
        let status = self.config.describe_configuration_recorder_status().send().await.aws()?;
        let mut found = BTreeMap::new();
        for r in recorders.configuration_recorders() {
            let name = r.name().unwrap_or_default();
            let Some(rec) = find(Kind::ConfigRecorder, name) else { continue };
            let group = r.recording_group();
            let recording =
                status.configuration_recorders_status().iter().any(|s| s.name() == Some(name) && s.recording());
            let mut read = Attrs::new();
            read.insert("name".into(), json!(name));
            read.insert("role_arn".into(), json!(r.role_arn()));
            read.insert("all_supported".into(), json!(group.map(|g| g.all_supported()).unwrap_or(false)));
            read.insert(
                "include_global_resource_types".into(),
                json!(group.map(|g| g.include_global_resource_types()).unwrap_or(false)),
            );
            read.insert("recording".into(), json!(recording));
            found.insert(name.to_string(), (None, live(&rec, name, read, outputs(&[("name", name)]))));
        }
        part.settle(state, Kind::ConfigRecorder, found);

        let channels = self.config.describe_delivery_channels().send().await.aws()?;
        let mut found = BTreeMap::new();
        for c in channels.delivery_channels() {
            let name = c.name().unwrap_or_default();
            let Some(rec) = find(Kind::ConfigDeliveryChannel, name) else { continue };
            let mut read = Attrs::new();
            read.insert("name".into(), json!(name));
            read.insert("s3_bucket_name".into(), json!(c.s3_bucket_name()));
            if let Some(f) = c.config_snapshot_delivery_properties().and_then(|p| p.delivery_frequency()) {
                read.insert("delivery_frequency".into(), json!(f.as_str()));
            }
            found.insert(name.to_string(), (None, live(&rec, name, read, outputs(&[("name", name)]))));
        }
        part.settle(state, Kind::ConfigDeliveryChannel, found);

        let mut found = BTreeMap::new();
        let mut pages = self.config.describe_config_rules().into_paginator().send();
        while let Some(page) = pages.next().await {
            for r in page.aws()?.config_rules() {
                let name = r.config_rule_name().unwrap_or_default();
                let arn = r.config_rule_arn().unwrap_or_default();
                // A rule state does not know, named as socform names this blueprint's rules:
                // this state's own only if its tags prove it (a create whose answer was lost,
                // or a lab found by its tags alone).
                let (rec, address) = match find(Kind::ConfigRule, name) {
                    Some(rec) => (rec, None),
                    None if name.starts_with(&format!("{blueprint}-")) && !arn.is_empty() => {
                        let tags = self.config.list_tags_for_resource().resource_arn(arn).send().await.aws()?;
                        let pairs =
                            tags.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
                        match owned(blueprint, &state.lineage, pairs) {
                            Some(a) if a.kind() == Kind::ConfigRule => (blank(Kind::ConfigRule), Some(a)),
                            _ => continue,
                        }
                    }
                    None => continue,
                };
                let mut read = Attrs::new();
                read.insert("name".into(), json!(name));
                if let Some(src) = r.source().and_then(|s| s.source_identifier()) {
                    read.insert("source_identifier".into(), json!(src));
                }
                let outs = outputs(&[("name", name), ("arn", r.config_rule_arn().unwrap_or_default())]);
                found.insert(name.to_string(), (address, live(&rec, name, read, outs)));
            }
        }
        part.settle(state, Kind::ConfigRule, found);
        Ok(part)
    }
}
