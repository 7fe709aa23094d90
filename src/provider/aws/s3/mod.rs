//! S3: buckets (versioning, encryption, public access block, tags) and bucket policies.
//! S3 has no batched read of bucket settings: refresh lists buckets once and reads the
//! settings of the buckets socform knows, one call per setting.

pub(super) mod bucket;
pub(super) mod bucket_policy;

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketLoggingStatus, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    LoggingEnabled, ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    VersioningConfiguration,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::json;

#[allow(unused_imports)]
use super::classify;
use super::kinds::{Change, Doomed, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, outputs, owned, spec, user_tags, AwsProvider, Classify, SETTLE};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use async_trait::async_trait;

impl AwsProvider {
    /// Whether a bucket of that name exists: HeadBucket answers 200 when this account owns
    /// it, 403 when another account does (then it is not ours either), 404 when it is free.
    async fn bucket_exists(&self, req: &Request<'_>, bucket: &str) -> Result<bool, ProviderError> {
        match self.s3.head_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(true),
            Err(e) => match e.raw_response().map(|r| r.status().as_u16()) {
                Some(404) => Ok(false),
                Some(403) => Err(Self::not_ours_because(req, "owned by another account", bucket)),
                _ => Err(classify(&e)),
            },
        }
    }

    /// A bucket's tags (none when it has no tag set).
    async fn bucket_tags(&self, bucket: &str) -> Vec<(String, String)> {
        match self.s3.get_bucket_tagging().bucket(bucket).send().await.aws() {
            Ok(t) => t.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
            Err(_) => vec![],
        }
    }

    async fn put_policy(&self, v: &s::S3BucketPolicy) -> Result<(), ProviderError> {
        self.settle("PutBucketPolicy", SETTLE, || async {
            self.s3.put_bucket_policy().bucket(&v.bucket).policy(v.policy.to_string()).send().await.aws().map(|_| ())
        })
        .await
    }

    /// Writes the settings that differ from `before` (all of them on create).
    async fn bucket_settings(
        &self,
        req: &Request<'_>,
        v: &s::S3Bucket,
        before: Option<&Attrs>,
    ) -> Result<(), ProviderError> {
        let changed = |k: &str| before.is_none_or(|b| b.get(k) != req.attrs.get(k));
        let b = &v.bucket;
        // Tags on create; an update's are written by the generic update (`tagging`).
        if before.is_none() {
            let tags: Vec<Tag> = self
                .tags(req, &v.tags)
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build().expect("set"))
                .collect();
            self.s3
                .put_bucket_tagging()
                .bucket(b)
                .tagging(Tagging::builder().set_tag_set(Some(tags)).build().expect("set"))
                .send()
                .await
                .aws()?;
        }
        if changed("versioning") && (v.versioning || before.is_some()) {
            let status = if v.versioning { BucketVersioningStatus::Enabled } else { BucketVersioningStatus::Suspended };
            self.s3
                .put_bucket_versioning()
                .bucket(b)
                .versioning_configuration(VersioningConfiguration::builder().status(status).build())
                .send()
                .await
                .aws()?;
        }
        if changed("encryption") || changed("kms_key_id") {
            let mut d = ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::from(v.encryption.as_str()));
            if let Some(k) = &v.kms_key_id {
                d = d.kms_master_key_id(k);
            }
            let conf = ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(d.build().expect("set"))
                        .build(),
                )
                .build()
                .expect("set");
            self.s3.put_bucket_encryption().bucket(b).server_side_encryption_configuration(conf).send().await.aws()?;
        }
        if changed("access_log_bucket") || changed("access_log_prefix") {
            let mut status = BucketLoggingStatus::builder();
            if let Some(target) = &v.access_log_bucket {
                status = status.logging_enabled(
                    LoggingEnabled::builder()
                        .target_bucket(target)
                        .target_prefix(v.access_log_prefix.clone().unwrap_or_default())
                        .build()
                        .expect("set"),
                );
            }
            let status = status.build();
            // The target's policy is written beside this bucket, not before it: wait for it.
            self.settle("PutBucketLogging", SETTLE, || async {
                self.s3.put_bucket_logging().bucket(b).bucket_logging_status(status.clone()).send().await.aws()
            })
            .await?;
        }
        if changed("block_public_access") {
            let on = v.block_public_access;
            self.s3
                .put_public_access_block()
                .bucket(b)
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(on)
                        .ignore_public_acls(on)
                        .block_public_policy(on)
                        .restrict_public_buckets(on)
                        .build(),
                )
                .send()
                .await
                .aws()?;
        }
        Ok(())
    }

    /// Deletes every object version and delete marker, a thousand at a time.
    async fn empty_bucket(&self, bucket: &str) -> Result<(), ProviderError> {
        let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let page = match self
                .s3
                .list_object_versions()
                .bucket(bucket)
                .set_key_marker(key_marker.clone())
                .set_version_id_marker(version_marker.clone())
                .send()
                .await
                .aws()
            {
                Err(ProviderError::NotFound(_)) => return Ok(()),
                other => other?,
            };
            let object = |key: Option<&str>, version: Option<&str>| {
                ObjectIdentifier::builder()
                    .key(key.unwrap_or_default())
                    .set_version_id(version.map(str::to_string))
                    .build()
                    .expect("key set")
            };
            let mut ids: Vec<ObjectIdentifier> =
                page.versions().iter().map(|v| object(v.key(), v.version_id())).collect();
            ids.extend(page.delete_markers().iter().map(|m| object(m.key(), m.version_id())));
            for chunk in ids.chunks(1000) {
                self.s3
                    .delete_objects()
                    .bucket(bucket)
                    .delete(
                        Delete::builder().set_objects(Some(chunk.to_vec())).quiet(true).build().expect("objects set"),
                    )
                    .send()
                    .await
                    .aws()?;
            }
            if !page.is_truncated().unwrap_or(false) {
                return Ok(());
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
        }
    }
}
