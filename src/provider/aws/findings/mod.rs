//! Managed detectors: the GuardDuty detector and Security Hub with its standards. Each is one
//! per account and region, so a create first asks whether one exists, and takes it over
//! only when its tags prove this state made it.
//!
//! Refresh: ListDetectors and GetDetector (which carries the tags); DescribeHub, and
//! GetEnabledStandards when state records standards; the hub's tags (ListTagsForResource)
//! only to prove a hub state does not know.

pub(super) mod detector;
pub(super) mod hub;
pub(super) mod organization;

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

#[allow(unused_imports)]
use super::classify;
use super::kinds::{Change, Doomed, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, outputs, owned, spec, user_tags, AwsProvider, Classify};
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use async_trait::async_trait;

impl AwsProvider {
    fn detector_arn(&self, account: &str, id: &str) -> String {
        format!("arn:{}:guardduty:{}:{account}:detector/{id}", crate::model::partition(&self.region), self.region)
    }

    /// The hub's ARN, or `None` when Security Hub is not enabled here.
    async fn hub_arn(&self) -> Result<Option<String>, ProviderError> {
        Ok(self.hub().await?.map(|(arn, _)| arn))
    }

    /// The hub's ARN and when it was enabled (seconds since the epoch; 0 when AWS does not
    /// say), or `None` when Security Hub is not enabled here.
    async fn hub(&self) -> Result<Option<(String, u64)>, ProviderError> {
        match self.securityhub.describe_hub().send().await {
            Ok(out) => Ok(out
                .hub_arn()
                .map(|arn| (arn.to_string(), out.subscribed_at().and_then(crate::model::parse_rfc3339).unwrap_or(0)))),
            // Security Hub answers a call from an account that has not enabled it with
            // InvalidAccessException.
            Err(e)
                if aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&e)
                    == Some("InvalidAccessException") =>
            {
                Ok(None)
            }
            Err(e) => match classify(&e) {
                ProviderError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn hub_tags(&self, arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let out = self.securityhub.list_tags_for_resource().resource_arn(arn).send().await.aws()?;
        Ok(out.tags().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    /// The enabled standards: ARN to subscription ARN.
    async fn enabled_standards(&self) -> Result<BTreeMap<String, String>, ProviderError> {
        let mut found = BTreeMap::new();
        let mut pages = self.securityhub.get_enabled_standards().into_paginator().send();
        while let Some(page) = pages.next().await {
            for sub in page.aws()?.standards_subscriptions() {
                let status = sub.standards_status().map(|s| s.as_str()).unwrap_or_default();
                if status == "DELETING" || status == "FAILED" {
                    continue;
                }
                if let (Some(arn), Some(sub_arn)) = (sub.standards_arn(), sub.standards_subscription_arn()) {
                    found.insert(arn.to_string(), sub_arn.to_string());
                }
            }
        }
        Ok(found)
    }

    async fn set_standards(&self, want: &[String], have: &BTreeMap<String, String>) -> Result<(), ProviderError> {
        let enable: Vec<_> = want
            .iter()
            .filter(|a| !have.contains_key(*a))
            .map(|a| aws_sdk_securityhub::types::StandardsSubscriptionRequest::builder().standards_arn(a).build())
            .collect();
        let disable: Vec<String> = have.iter().filter(|(a, _)| !want.contains(a)).map(|(_, sub)| sub.clone()).collect();
        if !enable.is_empty() {
            self.securityhub
                .batch_enable_standards()
                .set_standards_subscription_requests(Some(enable))
                .send()
                .await
                .aws()?;
        }
        if !disable.is_empty() {
            self.securityhub
                .batch_disable_standards()
                .set_standards_subscription_arns(Some(disable))
                .send()
                .await
                .aws()?;
        }
        Ok(())
    }
}
