//! SSM Parameter Store parameters and Secrets Manager secrets.
//!
//! Sensitive values are read from the environment at apply time and checked against the
//! fingerprint the plan recorded, so a saved plan never applies a value it did not show;
//! generated values come from a CSPRNG (parameters) or Secrets Manager (secrets). Values are
//! never read back: refresh reports the other attributes and keeps the fingerprint.

pub(super) mod parameter;
pub(super) mod secret;

use std::collections::BTreeMap;

use serde_json::json;

#[allow(unused_imports)]
use super::classify;
use super::kinds::{Change, Doomed, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, of_kind, outputs, owned, spec, user_tags, AwsProvider, Classify};
use crate::model::spec::{self as s, SecretValue};
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use async_trait::async_trait;

impl AwsProvider {
    /// The value to write, from the environment or generated.
    async fn value_of(&self, req: &Request<'_>, v: &SecretValue) -> Result<String, ProviderError> {
        let address = req.address;
        match v {
            SecretValue::Literal { value } => Ok(value.clone()),
            SecretValue::FromEnv { variable, sha256 } => {
                let given = self.provided.get(variable).map(str::to_string);
                let value = given.or_else(|| std::env::var(variable).ok()).ok_or_else(|| {
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
}
