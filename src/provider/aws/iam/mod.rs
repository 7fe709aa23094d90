//! IAM: roles (trust policy, managed and inline policies) and instance profiles.
//! Refresh reads every role with its policies in one `GetAccountAuthorizationDetails`
//! and every instance profile in one `ListInstanceProfiles`.

pub(super) mod instance_profile;
pub(super) mod password_policy;
pub(super) mod role;

use std::collections::BTreeMap;

use aws_sdk_iam::types::{EntityType, Tag};
use serde_json::{json, Value};

#[allow(unused_imports)]
use super::classify;
use super::kinds::{Change, Doomed, KindApi, Listed, Listing, TagTarget};
use super::{blank, live, outputs, owned, spec, user_tags, AwsProvider, Classify, SETTLE};
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use async_trait::async_trait;

/// IAM returns policy documents URL-encoded; emulators sometimes do not.
fn policy_json(doc: &str) -> Value {
    serde_json::from_str(doc).unwrap_or_else(|_| {
        let decoded = percent_encoding::percent_decode_str(doc).decode_utf8_lossy().to_string();
        serde_json::from_str(&decoded).unwrap_or(Value::String(decoded))
    })
}

fn iam_tags(tags: &[Tag]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter().map(|t| (t.key(), t.value()))
}

impl AwsProvider {
    fn iam_tag_list(&self, req: &Request<'_>, own: &BTreeMap<String, String>) -> Vec<Tag> {
        self.tags(req, own)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build().expect("key and value set"))
            .collect()
    }

    /// Whether an instance profile's socform tags name this blueprint and address.
    async fn profile_is_ours(&self, name: &str, req: &Request<'_>) -> Result<bool, ProviderError> {
        let tags = self.iam.list_instance_profile_tags().instance_profile_name(name).send().await.aws()?;
        Ok(owned(req.blueprint, req.lineage, iam_tags(tags.tags())).as_ref() == Some(req.address))
    }

    async fn put_inline(&self, role: &str, name: &str, doc: &Value) -> Result<(), ProviderError> {
        self.settle("PutRolePolicy", SETTLE, || async {
            self.iam
                .put_role_policy()
                .role_name(role)
                .policy_name(name)
                .policy_document(doc.to_string())
                .send()
                .await
                .aws()
                .map(|_| ())
        })
        .await
    }
}
