//! AWS Config: the configuration recorder, its delivery channel and managed rules.
//! Refresh: one DescribeConfigurationRecorders, one status call, one
//! DescribeDeliveryChannels and one paginated DescribeConfigRules.

pub(super) mod aggregator;
pub(super) mod delivery_channel;
pub(super) mod recorder;
pub(super) mod rule;

use std::collections::BTreeMap;

use aws_sdk_config::types::{
    ConfigRule, ConfigurationRecorder, DeliveryChannel, Owner, RecordingGroup, Scope, Source, Tag,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::json;

#[allow(unused_imports)]
use super::classify;
use super::kinds::{Change, Doomed, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, outputs, owned, spec, AwsProvider, Classify, SETTLE};
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use async_trait::async_trait;

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
}

impl AwsProvider {
    /// The tags of the Config resource `arn`, as pairs.
    async fn config_tags(&self, arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let tags = self.config.list_tags_for_resource().resource_arn(arn).send().await.aws()?;
        Ok(tags
            .tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default().to_string(), t.value().unwrap_or_default().to_string()))
            .collect())
    }

    /// Before a Put that would overwrite one of the same name (`arn`, when there is one):
    /// refuses one whose tags do not prove this state made it.
    async fn config_proves(&self, req: &Request<'_>, name: &str, arn: Option<&str>) -> Result<(), ProviderError> {
        let Some(arn) = arn else { return Ok(()) };
        if !AwsProvider::proves(req, self.config_tags(arn).await?) {
            return Err(AwsProvider::not_ours(req, name));
        }
        Ok(())
    }
}

/// A Config resource of `kind` a listing found, as its record and the address its tags prove:
/// state's record when state knows `name`; for one state does not know, named as socform names
/// this blueprint's (`BLUEPRINT-...`), the address its tags prove this state's (a create whose
/// answer was lost, or a lab found by its tags alone); else `None`, not this state's.
async fn config_owned(
    aws: &AwsProvider,
    at: &Listing<'_>,
    kind: Kind,
    name: &str,
    arn: &str,
) -> Result<Option<(crate::state::Record, Option<crate::address::Address>)>, ProviderError> {
    if let Some(rec) = at.record(kind, name) {
        return Ok(Some((rec.clone(), None)));
    }
    if !name.starts_with(&format!("{}-", at.blueprint)) || arn.is_empty() {
        return Ok(None);
    }
    let tags = aws.config_tags(arn).await?;
    Ok(match owned(at.blueprint, &at.state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        Some(a) if a.kind() == kind => Some((blank(kind), Some(a))),
        _ => None,
    })
}

/// Whether state holds any Config resource. Config's carry no tags to find leftovers by: with
/// none in state, a listing has nothing to read.
fn config_in_state(at: &Listing<'_>) -> bool {
    at.state.resources.keys().any(|a| {
        matches!(
            a.kind(),
            Kind::ConfigRecorder | Kind::ConfigDeliveryChannel | Kind::ConfigRule | Kind::ConfigAggregator
        )
    })
}
