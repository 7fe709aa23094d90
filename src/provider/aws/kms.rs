//! KMS keys socform makes (the trail's): a symmetric key with its key policy, rotation and
//! tags. AWS never deletes a key at once: destroy schedules its deletion with the key's
//! window (7 days, AWS's shortest, unless the blueprint says more), and a key pending deletion
//! is gone as far as socform is concerned (refresh does not report it, the leftover check
//! names it as pending deletion, not as left behind).
//!
//! Refresh: one paginated ListKeys; for each key state records, DescribeKey, GetKeyPolicy,
//! GetKeyRotationStatus and ListResourceTags; for each other customer key, ListResourceTags
//! alone, to find one a crash left (its tags prove it this state's).

use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::types::{KeyState, Tag};
use serde_json::json;

use super::kinds::{Change, Doomed, Found, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, outputs, spec, user_tags, AwsProvider, Classify};
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use async_trait::async_trait;

pub(crate) struct KmsKey;

impl AwsProvider {
    /// A key's tags; `None` when this caller may not read them (AccessDeniedException: an
    /// AWS-managed key, or another's key policy), which makes the key not socform's.
    async fn key_tags(&self, id: &str) -> Result<Option<Vec<(String, String)>>, ProviderError> {
        let mut tags = Vec::new();
        let mut pages = self.kms.list_resource_tags().key_id(id).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(p) => p,
                Err(e) if e.code() == Some("AccessDeniedException") => return Ok(None),
                Err(e) => return Err(super::classify(&e)),
            };
            for t in page.tags() {
                tags.push((t.tag_key().to_string(), t.tag_value().to_string()));
            }
        }
        Ok(Some(tags))
    }
}

#[async_trait]
impl KindApi for KmsKey {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let v: s::KmsKey = spec(req.address, req.attrs)?;
        let tags: Vec<Tag> = aws
            .tags(&req, &v.tags)
            .into_iter()
            .map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().expect("set"))
            .collect();
        // CreateKey takes no name and no idempotency token: a retried call whose first answer
        // was lost makes a second key. Not retried, then: a key made before a lost answer
        // carries its tags, and the next refresh finds it by them.
        let out = aws
            .kms
            .create_key()
            .description(&v.description)
            .policy(v.policy.to_string())
            .set_tags(Some(tags))
            .customize()
            .config_override(
                aws_sdk_kms::config::Builder::default()
                    .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled()),
            )
            .send()
            .await
            .aws()?;
        let meta = out.key_metadata().ok_or_else(|| ProviderError::Fatal("CreateKey answered no key".into()))?;
        let (id, arn) = (meta.key_id().to_string(), meta.arn().unwrap_or_default().to_string());
        if v.rotation {
            aws.kms.enable_key_rotation().key_id(&id).send().await.aws()?;
        }
        Ok(Applied { id: id.clone(), attributes: req.attrs.clone(), outputs: outputs(&[("id", &id), ("arn", &arn)]) })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let v: s::KmsKey = spec(c.req.address, c.req.attrs)?;
        if c.changed("description") {
            aws.kms.update_key_description().key_id(c.id).description(&v.description).send().await.aws()?;
        }
        if c.changed("policy") {
            aws.kms
                .put_key_policy()
                .key_id(c.id)
                .policy_name("default")
                .policy(v.policy.to_string())
                .send()
                .await
                .aws()?;
        }
        if c.changed("rotation") {
            if v.rotation {
                aws.kms.enable_key_rotation().key_id(c.id).send().await.aws()?;
            } else {
                aws.kms.disable_key_rotation().key_id(c.id).send().await.aws()?;
            }
        }
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let window = d.attrs.get("deletion_window_days").and_then(|v| v.as_i64()).unwrap_or(7) as i32;
        match aws.kms.schedule_key_deletion().key_id(d.id).pending_window_in_days(window).send().await {
            Ok(_) => Ok(()),
            // Scheduled already: a key pending deletion is in no state to be scheduled again.
            Err(e) if e.as_service_error().is_some_and(|s| s.is_kms_invalid_state_exception()) => Ok(()),
            Err(e) => match super::classify(&e) {
                ProviderError::NotFound(_) => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let mut found = Found::new();
        let mut ids = Vec::new();
        let mut pages = aws.kms.list_keys().into_paginator().send();
        while let Some(page) = pages.next().await {
            ids.extend(page.aws()?.keys().iter().filter_map(|k| k.key_id().map(str::to_string)));
        }
        for id in ids {
            let rec = at.record(Kind::KmsKey, &id).cloned();
            let tags = match aws.key_tags(&id).await {
                Ok(Some(t)) => t,
                // An AWS-managed key, or one this caller may not read: not socform's.
                Ok(None) | Err(ProviderError::NotFound(_)) if rec.is_none() => continue,
                Ok(None) => {
                    return Err(ProviderError::Fatal(format!(
                        "access denied reading the tags of KMS key {id}, which state records: the credentials need kms:ListResourceTags on it"
                    )))
                }
                Err(e) => return Err(e),
            };
            let addr = at.owned(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if rec.is_none() && addr.is_none() {
                continue;
            }
            let meta = aws.kms.describe_key().key_id(&id).send().await.aws()?;
            let Some(meta) = meta.key_metadata() else { continue };
            // A key scheduled for deletion is on its way out: gone, as far as a plan goes.
            if matches!(meta.key_state(), Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)) {
                continue;
            }
            let policy = aws.kms.get_key_policy().key_id(&id).policy_name("default").send().await.aws()?;
            let rotation = aws.kms.get_key_rotation_status().key_id(&id).send().await.aws()?;
            let mut read = Attrs::new();
            read.insert("description".into(), json!(meta.description().unwrap_or_default()));
            read.insert(
                "policy".into(),
                policy.policy().and_then(|p| serde_json::from_str(p).ok()).unwrap_or(serde_json::Value::Null),
            );
            read.insert("rotation".into(), json!(rotation.key_rotation_enabled()));
            read.insert("tags".into(), user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
            let arn = meta.arn().unwrap_or_default().to_string();
            let rec = rec.unwrap_or_else(|| blank(Kind::KmsKey));
            found.insert(id.clone(), (addr, live(&rec, id.as_str(), read, outputs(&[("id", &id), ("arn", &arn)]))));
        }
        Ok(Listed::of(Kind::KmsKey, found))
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::Kms(id.to_string())))
    }
}
