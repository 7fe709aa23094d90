//! A Secrets Manager secret. Listed with one paginated ListSecrets, tags included (values
//! are never read back).

use super::*;

pub(crate) struct Secret;

#[async_trait]
impl KindApi for Secret {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::Secret = spec(a, req.attrs)?;
        let value = aws.value_of(&req, &v.value).await?;
        let tags: Vec<aws_sdk_secretsmanager::types::Tag> = aws
            .tags(&req, &v.tags)
            .into_iter()
            .map(|(k, v)| aws_sdk_secretsmanager::types::Tag::builder().key(k).value(v).build())
            .collect();
        let created = aws
            .secrets
            .create_secret()
            .name(&v.name)
            .set_description(v.description.clone())
            .set_kms_key_id(v.kms_key_id.clone())
            .secret_string(value.clone())
            .set_tags(Some(tags.clone()))
            .send()
            .await
            .aws();
        let arn = match created {
            Ok(out) => out.arn().unwrap_or_default().to_string(),
            // The name is taken: by this state's own secret, scheduled for deletion by
            // an earlier destroy (restore it) or made by a run that died before saving
            // it (take it back), or by anything else (refuse).
            Err(ProviderError::AlreadyExists(_)) => aws.reclaim_secret(&req, &v, value, tags).await?,
            Err(ProviderError::Fatal(m)) if m.contains("scheduled for deletion") => {
                aws.reclaim_secret(&req, &v, value, tags).await?
            }
            Err(e) => return Err(e),
        };
        Ok(Applied {
            id: arn.clone(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", &v.name), ("arn", &arn)]),
        })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        let a = req.address;
        let v: s::Secret = spec(a, req.attrs)?;
        if c.changed("description") || c.changed("kms_key_id") {
            aws.secrets
                .update_secret()
                .secret_id(id)
                .set_description(v.description.clone())
                .set_kms_key_id(v.kms_key_id.clone())
                .send()
                .await
                .aws()?;
        }
        if c.changed("value") {
            let value = aws.value_of(&req, &v.value).await?;
            aws.secrets.put_secret_value().secret_id(id).secret_string(value).send().await.aws()?;
        }
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, attrs, .. } = d;
        let window = attrs.get("recovery_window_days").and_then(|w| w.as_i64()).unwrap_or(0);
        let call = aws.secrets.delete_secret().secret_id(id);
        let call =
            if window == 0 { call.force_delete_without_recovery(true) } else { call.recovery_window_in_days(window) };
        match call.send().await.aws() {
            Ok(_) => Ok(()),
            // Scheduled for deletion already (an earlier attempt whose answer was lost,
            // or a destroy that stopped after it): that is what a delete wants.
            Err(ProviderError::Fatal(m)) if m.contains("marked deleted") || m.contains("scheduled for deletion") => {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut listed = Listed::default();
        // Secrets: one paginated ListSecrets, tags included.
        let mut found = BTreeMap::new();
        let mut pages = aws.secrets.list_secrets().into_paginator().send();
        while let Some(page) = pages.next().await {
            for sec in page.aws()?.secret_list() {
                if sec.deleted_date().is_some() {
                    continue;
                }
                let arn = sec.arn().unwrap_or_default();
                let tags: Vec<(&str, &str)> =
                    sec.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())).collect();
                let addr = owned(blueprint, &state.lineage, tags.iter().copied());
                let rec = at.record(Kind::Secret, arn).cloned();
                if rec.is_none() && addr.is_none() {
                    continue;
                }
                let mut read = Attrs::new();
                read.insert("name".into(), json!(sec.name()));
                if let Some(d) = sec.description() {
                    read.insert("description".into(), json!(d));
                }
                read.insert("tags".into(), user_tags(tags.iter().copied()));
                let rec = rec.unwrap_or_else(|| blank(Kind::Secret));
                found.insert(
                    arn.to_string(),
                    (addr, live(&rec, arn, read, outputs(&[("name", sec.name().unwrap_or_default()), ("arn", arn)]))),
                );
            }
        }
        listed.found.insert(Kind::Secret, found);
        Ok(listed)
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::Secret(id.to_string())))
    }
}
