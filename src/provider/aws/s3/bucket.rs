//! An S3 bucket (versioning, encryption, public access block, tags). Listed with the
//! buckets' policies: one ListBuckets, then the settings of the buckets socform knows, one call
//! per setting (S3 has no batched read).

use super::*;

pub(crate) struct S3Bucket;

#[async_trait]
impl KindApi for S3Bucket {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::S3Bucket = spec(a, req.attrs)?;
        let mut call = aws.s3.create_bucket().bucket(&v.bucket);
        if aws.region != "us-east-1" {
            call = call.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(aws.region.as_str()))
                    .build(),
            );
        }
        // CreateBucket answers 200 in us-east-1 for a bucket this account owns already,
        // so ask first: an existing bucket is ours only if its tags prove it (a run that
        // died after tagging it); anything else is refused, never taken over.
        if aws.bucket_exists(&req, &v.bucket).await? {
            let tags = aws.bucket_tags(&v.bucket).await;
            if !AwsProvider::proves(&req, tags) {
                return Err(AwsProvider::not_ours(&req, &v.bucket));
            }
        } else {
            match call.send().await {
                Ok(_) => {}
                // Made in the moment since HeadBucket: refuse it the same way.
                Err(e) if matches!(e.code(), Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")) => {
                    return Err(AwsProvider::not_ours(&req, &v.bucket));
                }
                Err(e) => return Err(classify(&e)),
            }
        }
        aws.bucket_settings(&req, &v, None).await?;
        Ok(Applied {
            id: v.bucket.clone(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", &v.bucket), ("arn", &format!("arn:aws:s3:::{}", v.bucket))]),
        })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, before, .. } = c;
        let a = req.address;
        let v: s::S3Bucket = spec(a, req.attrs)?;
        aws.bucket_settings(&req, &v, Some(before)).await?;
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, attrs, .. } = d;
        if attrs.get("force_destroy") != Some(&json!(false)) {
            aws.empty_bucket(id).await?;
        }
        match aws.s3.delete_bucket().bucket(id).send().await.aws() {
            Err(ProviderError::DependencyViolation(m)) => Err(ProviderError::DependencyViolation(format!(
                "{m}: the blueprint says to retain the objects of `{id}` (`retain_objects: true`); empty it or change that"
            ))),
            other => other.map(|_| ()),
        }
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut listed = Listed::default();
        let list = aws.s3.list_buckets().send().await.aws()?;
        let names: Vec<(String, i64)> = list
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(|n| (n.to_string(), b.creation_date().map(|d| d.secs()).unwrap_or(0))))
            .collect();
        let mut found = BTreeMap::new();
        let mut policies = BTreeMap::new();
        for (name, created) in &names {
            let in_state = at.record(Kind::S3Bucket, name).is_some();
            let pending = state.pending.iter().find(|(a, p)| a.kind() == Kind::S3Bucket && &p.name == name);
            // Buckets socform names by default start with the blueprint's name; others are
            // read only when state knows them (S3 cannot list by tag).
            if !in_state && pending.is_none() && !name.starts_with(&format!("{blueprint}-")) {
                continue;
            }
            let tags = aws.bucket_tags(name).await;
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
            if let Ok(v) = aws.s3.get_bucket_versioning().bucket(name).send().await {
                read.insert("versioning".into(), json!(v.status() == Some(&BucketVersioningStatus::Enabled)));
            }
            if let Ok(e) = aws.s3.get_bucket_encryption().bucket(name).send().await {
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
            let block = match aws.s3.get_public_access_block().bucket(name).send().await.aws() {
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
            let rec = at.record(Kind::S3Bucket, name).cloned().unwrap_or_else(|| blank(Kind::S3Bucket));
            // Access logging is read where state recorded it (one more call per such bucket):
            // logging turned off by hand is drift. A lab read back from its tags alone reads
            // it for every bucket: reap deletes a bucket that logs into another first.
            if rec.attributes.contains_key("access_log_bucket") || at.state.discovery {
                let out = aws.s3.get_bucket_logging().bucket(name).send().await.aws()?;
                let on = out.logging_enabled();
                read.insert("access_log_bucket".into(), json!(on.map(|l| l.target_bucket())));
                read.insert("access_log_prefix".into(), json!(on.map(|l| l.target_prefix())));
            }
            let outs = outputs(&[("name", name), ("arn", &format!("arn:aws:s3:::{name}"))]);
            found.insert(name.clone(), (addr.clone(), live(&rec, name.clone(), read, outs)));

            // The bucket's policy, if socform manages one.
            let policy_rec = at.record(Kind::S3BucketPolicy, name).cloned();
            let policy_addr = addr.as_ref().map(|a| Address::new(Kind::S3BucketPolicy, a.name()));
            if policy_rec.is_some() || policy_addr.is_some() {
                match aws.s3.get_bucket_policy().bucket(name).send().await.aws() {
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
        listed.found.insert(Kind::S3Bucket, found);
        listed.found.insert(Kind::S3BucketPolicy, policies);
        Ok(listed)
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::S3Bucket(id.to_string())))
    }
}
