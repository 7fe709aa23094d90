//! SSM Parameter Store parameters and Secrets Manager secrets.
//!
//! Sensitive values are read from the environment at apply time and checked against the
//! fingerprint the plan recorded, so a saved plan never applies a value it did not show;
//! generated values come from a CSPRNG (parameters) or Secrets Manager (secrets). Values are
//! never read back: refresh reports the other attributes and keeps the fingerprint.

use std::collections::BTreeMap;

use serde_json::json;

use super::{
    blank, live, of_kind, outputs, owned, removed_tag_keys, spec, user_tags, AwsProvider, Classify, Part, Want,
};
use crate::address::Address;
use crate::model::spec::{self as s, SecretValue};
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use crate::state::State;

impl AwsProvider {
    /// The value to write, from the environment or generated.
    async fn value_of(&self, req: &Request<'_>, v: &SecretValue) -> Result<String, ProviderError> {
        let address = req.address;
        match v {
            SecretValue::Literal { value } => Ok(value.clone()),
            SecretValue::FromEnv { variable, sha256 } => {
                let value = crate::model::spec::variable(variable).ok_or_else(|| {
                    ProviderError::Fatal(format!("{address}: environment variable `{variable}` is not set"))
                })?;
                if &crate::model::spec::fingerprint(req.lineage, address, &value) != sha256 {
                    return Err(ProviderError::Fatal(format!(
                        "{address}: the value of `{variable}` changed since the plan was made; make a new plan"
                    )));
                }
                Ok(value)
            }
            SecretValue::Generated { length, exclude_punctuation } => {
                let out = self
                    .secrets
                    .get_random_password()
                    .password_length(*length as i64)
                    .exclude_punctuation(*exclude_punctuation)
                    .send()
                    .await
                    .aws()?;
                // Never store an empty secret because an answer lacked the field.
                match out.random_password() {
                    Some(p) if !p.is_empty() => Ok(p.to_string()),
                    _ => Err(ProviderError::Fatal(format!("{address}: GetRandomPassword returned no password"))),
                }
            }
        }
    }

    /// A secret whose name is taken: restored and rewritten when its tags prove it is this
    /// state's own, refused otherwise. Returns its ARN.
    async fn reclaim_secret(
        &self,
        req: &Request<'_>,
        v: &s::Secret,
        value: String,
        tags: Vec<aws_sdk_secretsmanager::types::Tag>,
    ) -> Result<String, ProviderError> {
        let found = self.secrets.describe_secret().secret_id(&v.name).send().await.aws()?;
        let pairs =
            found.tags().iter().map(|t| (t.key().unwrap_or_default().into(), t.value().unwrap_or_default().into()));
        if !Self::proves(req, pairs) {
            return Err(Self::not_ours(req, &v.name));
        }
        let arn = found.arn().unwrap_or_default().to_string();
        if found.deleted_date().is_some() {
            self.secrets.restore_secret().secret_id(&arn).send().await.aws()?;
        }
        self.secrets
            .update_secret()
            .secret_id(&arn)
            .set_description(v.description.clone())
            .set_kms_key_id(v.kms_key_id.clone())
            .send()
            .await
            .aws()?;
        // A generated value is kept as it was (something may use it already); a value from
        // the environment is what the blueprint says it is.
        if !matches!(v.value, SecretValue::Generated { .. }) {
            self.secrets.put_secret_value().secret_id(&arn).secret_string(value).send().await.aws()?;
        }
        self.secrets.tag_resource().secret_id(&arn).set_tags(Some(tags)).send().await.aws()?;
        Ok(arn)
    }

    pub(super) async fn create_store(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let account = {
            use crate::provider::Provider;
            self.account_id().await?
        };
        match a.kind() {
            Kind::SsmParameter => {
                let v: s::SsmParameter = spec(a, req.attrs)?;
                let value = self.value_of(&req, &v.value).await?;
                let tags: Vec<aws_sdk_ssm::types::Tag> = self
                    .tags(&req, &v.tags)
                    .into_iter()
                    .map(|(k, v)| aws_sdk_ssm::types::Tag::builder().key(k).value(v).build().expect("set"))
                    .collect();
                let put = self
                    .ssm
                    .put_parameter()
                    .name(&v.name)
                    .value(value.clone())
                    .r#type(v.parameter_type.as_str().into())
                    .set_description(v.description.clone())
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .aws();
                match put {
                    Ok(_) => {}
                    // Made by an earlier run that died before saving it: ours if its tags say
                    // so, and then written again with this value.
                    Err(ProviderError::AlreadyExists(_)) => {
                        let tags = self
                            .ssm
                            .list_tags_for_resource()
                            .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                            .resource_id(&v.name)
                            .send()
                            .await
                            .aws()?;
                        let pairs = tags.tag_list().iter().map(|t| (t.key().to_string(), t.value().to_string()));
                        if !Self::proves(&req, pairs) {
                            return Err(Self::not_ours(&req, &v.name));
                        }
                        self.ssm
                            .put_parameter()
                            .name(&v.name)
                            .value(value)
                            .r#type(v.parameter_type.as_str().into())
                            .set_description(v.description.clone())
                            .overwrite(true)
                            .send()
                            .await
                            .aws()?;
                    }
                    Err(e) => return Err(e),
                }
                let arn = format!("arn:aws:ssm:{}:{account}:parameter/{}", self.region, v.name.trim_start_matches('/'));
                Ok(Applied {
                    id: v.name.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.name), ("arn", &arn)]),
                })
            }
            Kind::Secret => {
                let v: s::Secret = spec(a, req.attrs)?;
                let value = self.value_of(&req, &v.value).await?;
                let tags: Vec<aws_sdk_secretsmanager::types::Tag> = self
                    .tags(&req, &v.tags)
                    .into_iter()
                    .map(|(k, v)| aws_sdk_secretsmanager::types::Tag::builder().key(k).value(v).build())
                    .collect();
                let created = self
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
                    Err(ProviderError::AlreadyExists(_)) => self.reclaim_secret(&req, &v, value, tags).await?,
                    Err(ProviderError::Fatal(m)) if m.contains("scheduled for deletion") => {
                        self.reclaim_secret(&req, &v, value, tags).await?
                    }
                    Err(e) => return Err(e),
                };
                Ok(Applied {
                    id: arn.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.name), ("arn", &arn)]),
                })
            }
            _ => unreachable!("not a store kind"),
        }
    }

    pub(super) async fn update_store(
        &self,
        req: Request<'_>,
        id: &str,
        before: &Attrs,
    ) -> Result<Applied, ProviderError> {
        let a = req.address;
        let changed = |k: &str| before.get(k) != req.attrs.get(k);
        match a.kind() {
            Kind::SsmParameter => {
                let v: s::SsmParameter = spec(a, req.attrs)?;
                if changed("value") || changed("description") || changed("parameter_type") {
                    let value = self.value_of(&req, &v.value).await?;
                    self.ssm
                        .put_parameter()
                        .name(id)
                        .value(value)
                        .r#type(v.parameter_type.as_str().into())
                        .set_description(v.description.clone())
                        .overwrite(true)
                        .send()
                        .await
                        .aws()?;
                }
                if changed("tags") {
                    let tags: Vec<aws_sdk_ssm::types::Tag> = self
                        .tags(&req, &v.tags)
                        .into_iter()
                        .map(|(k, v)| aws_sdk_ssm::types::Tag::builder().key(k).value(v).build().expect("set"))
                        .collect();
                    self.ssm
                        .add_tags_to_resource()
                        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                        .resource_id(id)
                        .set_tags(Some(tags))
                        .send()
                        .await
                        .aws()?;
                    let gone = removed_tag_keys(before, &v.tags);
                    if !gone.is_empty() {
                        self.ssm
                            .remove_tags_from_resource()
                            .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                            .resource_id(id)
                            .set_tag_keys(Some(gone))
                            .send()
                            .await
                            .aws()?;
                    }
                }
            }
            Kind::Secret => {
                let v: s::Secret = spec(a, req.attrs)?;
                if changed("description") || changed("kms_key_id") {
                    self.secrets
                        .update_secret()
                        .secret_id(id)
                        .set_description(v.description.clone())
                        .set_kms_key_id(v.kms_key_id.clone())
                        .send()
                        .await
                        .aws()?;
                }
                if changed("value") {
                    let value = self.value_of(&req, &v.value).await?;
                    self.secrets.put_secret_value().secret_id(id).secret_string(value).send().await.aws()?;
                }
                if changed("tags") {
                    let tags: Vec<aws_sdk_secretsmanager::types::Tag> = self
                        .tags(&req, &v.tags)
                        .into_iter()
                        .map(|(k, v)| aws_sdk_secretsmanager::types::Tag::builder().key(k).value(v).build())
                        .collect();
                    self.secrets.tag_resource().secret_id(id).set_tags(Some(tags)).send().await.aws()?;
                    let gone = removed_tag_keys(before, &v.tags);
                    if !gone.is_empty() {
                        self.secrets.untag_resource().secret_id(id).set_tag_keys(Some(gone)).send().await.aws()?;
                    }
                }
            }
            _ => unreachable!("not a store kind"),
        }
        Ok(Applied { id: id.to_string(), attributes: req.attrs.clone(), outputs: BTreeMap::new() })
    }

    pub(super) async fn delete_store(&self, address: &Address, id: &str, attrs: &Attrs) -> Result<(), ProviderError> {
        match address.kind() {
            Kind::SsmParameter => self.ssm.delete_parameter().name(id).send().await.aws().map(|_| ()),
            Kind::Secret => {
                let window = attrs.get("recovery_window_days").and_then(|w| w.as_i64()).unwrap_or(0);
                let call = self.secrets.delete_secret().secret_id(id);
                let call = if window == 0 {
                    call.force_delete_without_recovery(true)
                } else {
                    call.recovery_window_in_days(window)
                };
                match call.send().await.aws() {
                    Ok(_) => Ok(()),
                    // Scheduled for deletion already (an earlier attempt whose answer was lost,
                    // or a destroy that stopped after it): that is what a delete wants.
                    Err(ProviderError::Fatal(m))
                        if m.contains("marked deleted") || m.contains("scheduled for deletion") =>
                    {
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            _ => unreachable!("not a store kind"),
        }
    }

    pub(super) async fn refresh_store(
        &self,
        blueprint: &str,
        state: &State,
        want: &Want,
    ) -> Result<Part, ProviderError> {
        if !want.any(&[Kind::SsmParameter, Kind::Secret]) {
            return Ok(Part::default());
        }
        let mut part = Part::default();
        // Parameters: DescribeParameters for the names state knows, 50 names a call.
        let mut found = BTreeMap::new();
        let names: Vec<String> = of_kind(state, Kind::SsmParameter).iter().map(|(_, r)| r.id.clone()).collect();
        for chunk in names.chunks(50) {
            let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
                .key("Name")
                .option("Equals")
                .set_values(Some(chunk.to_vec()))
                .build()
                .map_err(|e| ProviderError::Fatal(e.to_string()))?;
            let page = self.ssm.describe_parameters().parameter_filters(filter).max_results(50).send().await;
            for p in page.aws()?.parameters() {
                let name = p.name().unwrap_or_default();
                let Some(rec) = state.resources.values().find(|r| r.kind == Kind::SsmParameter && r.id == name) else {
                    continue;
                };
                let mut read = Attrs::new();
                read.insert("name".into(), json!(name));
                read.insert("parameter_type".into(), json!(p.r#type().map(|t| t.as_str())));
                if let Some(d) = p.description() {
                    read.insert("description".into(), json!(d));
                }
                found.insert(name.to_string(), (None, live(rec, name, read, BTreeMap::new())));
            }
        }
        part.settle(state, Kind::SsmParameter, found);

        if want.has(Kind::Secret) {
            // Secrets: one paginated ListSecrets, tags included.
            let mut found = BTreeMap::new();
            let mut pages = self.secrets.list_secrets().into_paginator().send();
            while let Some(page) = pages.next().await {
                for sec in page.aws()?.secret_list() {
                    if sec.deleted_date().is_some() {
                        continue;
                    }
                    let arn = sec.arn().unwrap_or_default();
                    let tags: Vec<(&str, &str)> = sec
                        .tags()
                        .iter()
                        .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
                        .collect();
                    let addr = owned(blueprint, &state.lineage, tags.iter().copied());
                    let rec = state.resources.values().find(|r| r.kind == Kind::Secret && r.id == arn).cloned();
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
                        (
                            addr,
                            live(&rec, arn, read, outputs(&[("name", sec.name().unwrap_or_default()), ("arn", arn)])),
                        ),
                    );
                }
            }
            part.settle(state, Kind::Secret, found);
        }
        Ok(part)
    }
}
