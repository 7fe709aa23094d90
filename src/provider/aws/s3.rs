//! S3: buckets (versioning, encryption, public access block, tags) and bucket policies.
//! S3 has no batched read of bucket settings: refresh lists buckets once and reads the
//! settings of the buckets socform knows, one call per setting.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete, ObjectIdentifier,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging, VersioningConfiguration,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::json;

use super::{blank, live, outputs, owned, spec, user_tags, AwsProvider, Classify, Part, Want, SETTLE};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use crate::state::State;

impl AwsProvider {
    pub(super) async fn create_s3(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        match a.kind() {
            Kind::S3Bucket => {
                let v: s::S3Bucket = spec(a, req.attrs)?;
                let mut call = self.s3.create_bucket().bucket(&v.bucket);
                if self.region != "us-east-1" {
                    call = call.create_bucket_configuration(
                        CreateBucketConfiguration::builder()
                            .location_constraint(BucketLocationConstraint::from(self.region.as_str()))
                            .build(),
                    );
                }
                // CreateBucket answers 200 in us-east-1 for a bucket this account owns already,
                // so ask first: an existing bucket is ours only if its tags prove it (a run that
                // died after tagging it); anything else is refused, never taken over.
                if self.bucket_exists(&req, &v.bucket).await? {
                    let tags = self.bucket_tags(&v.bucket).await;
                    if !Self::proves(&req, tags) {
                        return Err(Self::not_ours(&req, &v.bucket));
                    }
                } else {
                    match call.send().await {
                        Ok(_) => {}
                        // Made in the moment since HeadBucket: refuse it the same way.
                        Err(e) if matches!(e.code(), Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")) => {
                            return Err(Self::not_ours(&req, &v.bucket));
                        }
                        Err(e) => return Err(super::classify(&e)),
                    }
                }
                self.bucket_settings(&req, &v, None).await?;
                Ok(Applied {
                    id: v.bucket.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.bucket), ("arn", &format!("arn:aws:s3:::{}", v.bucket))]),
                })
            }
            Kind::S3BucketPolicy => {
                let v: s::S3BucketPolicy = spec(a, req.attrs)?;
                self.put_policy(&v).await?;
                Ok(Applied {
                    id: v.bucket.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("bucket", &v.bucket)]),
                })
            }
            _ => unreachable!("not an S3 kind"),
        }
    }

    /// Whether a bucket of that name exists: HeadBucket answers 200 when this account owns
    /// it, 403 when another account does (then it is not ours either), 404 when it is free.
    async fn bucket_exists(&self, req: &Request<'_>, bucket: &str) -> Result<bool, ProviderError> {
        match self.s3.head_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(true),
            Err(e) => match e.raw_response().map(|r| r.status().as_u16()) {
                Some(404) => Ok(false),
                Some(403) => Err(Self::not_ours_because(req, "owned by another account", bucket)),
                _ => Err(super::classify(&e)),
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
        if changed("tags") {
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

    pub(super) async fn update_s3(&self, req: Request<'_>, id: &str, before: &Attrs) -> Result<Applied, ProviderError> {
        let a = req.address;
        match a.kind() {
            Kind::S3Bucket => {
                let v: s::S3Bucket = spec(a, req.attrs)?;
                self.bucket_settings(&req, &v, Some(before)).await?;
            }
            Kind::S3BucketPolicy => {
                let v: s::S3BucketPolicy = spec(a, req.attrs)?;
                self.put_policy(&v).await?;
            }
            _ => unreachable!("not an S3 kind"),
        }
        Ok(Applied { id: id.to_string(), attributes: req.attrs.clone(), outputs: BTreeMap::new() })
    }

    pub(super) async fn delete_s3(&self, address: &Address, id: &str, attrs: &Attrs) -> Result<(), ProviderError> {
        match address.kind() {
            Kind::S3Bucket => {
                if attrs.get("force_destroy") != Some(&json!(false)) {
                    self.empty_bucket(id).await?;
                }
                match self.s3.delete_bucket().bucket(id).send().await.aws() {
                    Err(ProviderError::DependencyViolation(m)) => Err(ProviderError::DependencyViolation(format!(
                        "{m}: the blueprint says to retain the objects of `{id}` (`retain_objects: true`); empty it or change that"
                    ))),
                    other => other.map(|_| ()),
                }
            }
            Kind::S3BucketPolicy => self.s3.delete_bucket_policy().bucket(id).send().await.aws().map(|_| ()),
            _ => unreachable!("not an S3 kind"),
        }
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

    pub(super) async fn refresh_s3(&self, blueprint: &str, state: &State, want: &Want) -> Result<Part, ProviderError> {
        if !want.any(&[Kind::S3Bucket, Kind::S3BucketPolicy]) {
            return Ok(Part::default());
        }
        let mut part = Part::default();
        let list = self.s3.list_buckets().send().await.aws()?;
        let names: Vec<(String, i64)> = list
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(|n| (n.to_string(), b.creation_date().map(|d| d.secs()).unwrap_or(0))))
            .collect();
        let mut found = BTreeMap::new();
        let mut policies = BTreeMap::new();
        for (name, created) in &names {
            let in_state = state.resources.values().any(|r| r.kind == Kind::S3Bucket && &r.id == name);
            let pending = state.pending.iter().find(|(a, p)| a.kind() == Kind::S3Bucket && &p.name == name);
            // Buckets socform names by default start with the blueprint's name; others are
            // read only when state knows them (S3 cannot list by tag).
            if !in_state && pending.is_none() && !name.starts_with(&format!("{blueprint}-")) {
                continue;
            }
            let tags = self.bucket_tags(name).await;
            let mut addr = owned(blueprint, &state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            // A run that died between CreateBucket and its tagging left a marker: the
            // untagged bucket of that name is this state's if AWS made it after the marker
            // (a minute of clock difference allowed; more refuses, the safe way). One that already existed, and so
            // made CreateBucket refuse, is older.
            if let Some((a, p)) = pending {
                if addr.is_none() && tags.is_empty() && !in_state && *created + 60 >= p.since as i64 {
                    addr = Some(a.clone());
                }
            }
            if addr.is_none() && !in_state {
                continue;
            }
            let mut read = Attrs::new();
            read.insert("bucket".into(), json!(name));
            read.insert("tags".into(), user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
            // moto answers GetBucketVersioning with XML the SDK rejects: keep state's value.
            if let Ok(v) = self.s3.get_bucket_versioning().bucket(name).send().await {
                read.insert("versioning".into(), json!(v.status() == Some(&BucketVersioningStatus::Enabled)));
            }
            if let Ok(e) = self.s3.get_bucket_encryption().bucket(name).send().await {
                if let Some(d) = e
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                {
                    read.insert("encryption".into(), json!(d.sse_algorithm().as_str()));
                    if let Some(k) = d.kms_master_key_id() {
                        read.insert("kms_key_id".into(), json!(k));
                    }
                }
            }
            let block = match self.s3.get_public_access_block().bucket(name).send().await.aws() {
                Ok(p) => p.public_access_block_configuration().is_some_and(|c| {
                    c.block_public_acls().unwrap_or(false)
                        && c.ignore_public_acls().unwrap_or(false)
                        && c.block_public_policy().unwrap_or(false)
                        && c.restrict_public_buckets().unwrap_or(false)
                }),
                Err(ProviderError::NotFound(_)) => false,
                Err(e) => return Err(e),
            };
            read.insert("block_public_access".into(), json!(block));
            let rec = state
                .resources
                .values()
                .find(|r| r.kind == Kind::S3Bucket && &r.id == name)
                .cloned()
                .unwrap_or_else(|| blank(Kind::S3Bucket));
            let outs = outputs(&[("name", name), ("arn", &format!("arn:aws:s3:::{name}"))]);
            found.insert(name.clone(), (addr.clone(), live(&rec, name.clone(), read, outs)));

            // The bucket's policy, if socform manages one.
            let policy_rec =
                state.resources.values().find(|r| r.kind == Kind::S3BucketPolicy && &r.id == name).cloned();
            let policy_addr = addr.as_ref().map(|a| Address::new(Kind::S3BucketPolicy, a.name()));
            if policy_rec.is_some() || policy_addr.is_some() {
                match self.s3.get_bucket_policy().bucket(name).send().await.aws() {
                    Ok(p) => {
                        let doc =
                            p.policy().map(|d| serde_json::from_str(d).unwrap_or(json!(d))).unwrap_or(json!(null));
                        let mut read = Attrs::new();
                        read.insert("bucket".into(), json!(name));
                        read.insert("policy".into(), doc);
                        let rec = policy_rec.unwrap_or_else(|| blank(Kind::S3BucketPolicy));
                        policies.insert(
                            name.clone(),
                            (policy_addr, live(&rec, name.clone(), read, outputs(&[("bucket", name)]))),
                        );
                    }
                    Err(ProviderError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        part.settle(state, Kind::S3Bucket, found);
        part.settle(state, Kind::S3BucketPolicy, policies);
        Ok(part)
    }
}
