//! Tags after a create: one way per service, for every kind that carries tags. An update
//! whose `tags` attribute changed (the blueprint's tags, or socform's own: a new expiry, an
//! import, a `state rm`) calls [`AwsProvider::retag`] with the kind's [`TagTarget`].
//!
//! Tagging calls only add and overwrite, so the user tags the resource had that the blueprint
//! no longer gives are removed first; then socform's and the blueprint's are set.

use std::collections::BTreeMap;

use super::kinds::TagTarget;
use super::{removed_tag_keys, AwsProvider, Classify};
use crate::model::Attrs;
use crate::provider::{ProviderError, Request};

impl AwsProvider {
    /// Brings the tags of `target` to what `req` wants, `before` being what state recorded.
    pub(super) async fn retag(
        &self,
        target: TagTarget,
        req: &Request<'_>,
        before: &Attrs,
    ) -> Result<(), ProviderError> {
        let own: BTreeMap<String, String> =
            req.attrs.get("tags").and_then(|t| serde_json::from_value(t.clone()).ok()).unwrap_or_default();
        let gone = removed_tag_keys(before, &own);
        let set = self.tags(req, &own);
        let some = |gone: &Vec<String>| (!gone.is_empty()).then(|| gone.clone());
        match target {
            TagTarget::Ec2(ids) => {
                use aws_sdk_ec2::types::Tag;
                if let Some(gone) = some(&gone) {
                    let gone = gone.into_iter().map(|k| Tag::builder().key(k).build()).collect();
                    self.ec2.delete_tags().set_resources(Some(ids.clone())).set_tags(Some(gone)).send().await.aws()?;
                }
                let set = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
                self.ec2.create_tags().set_resources(Some(ids)).set_tags(Some(set)).send().await.aws()?;
            }
            TagTarget::IamRole(name) => {
                if let Some(gone) = some(&gone) {
                    self.iam.untag_role().role_name(&name).set_tag_keys(Some(gone)).send().await.aws()?;
                }
                self.iam.tag_role().role_name(&name).set_tags(Some(iam_tags(set))).send().await.aws()?;
            }
            TagTarget::InstanceProfile(name) => {
                if let Some(gone) = some(&gone) {
                    self.iam
                        .untag_instance_profile()
                        .instance_profile_name(&name)
                        .set_tag_keys(Some(gone))
                        .send()
                        .await
                        .aws()?;
                }
                self.iam
                    .tag_instance_profile()
                    .instance_profile_name(&name)
                    .set_tags(Some(iam_tags(set)))
                    .send()
                    .await
                    .aws()?;
            }
            TagTarget::S3Bucket(bucket) => {
                // PutBucketTagging replaces the whole set: nothing to remove first.
                use aws_sdk_s3::types::{Tag, Tagging};
                let set: Vec<Tag> =
                    set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build().expect("set")).collect();
                self.s3
                    .put_bucket_tagging()
                    .bucket(bucket)
                    .tagging(Tagging::builder().set_tag_set(Some(set)).build().expect("set"))
                    .send()
                    .await
                    .aws()?;
            }
            TagTarget::Logs(arn) => {
                if let Some(gone) = some(&gone) {
                    self.logs.untag_resource().resource_arn(&arn).set_tag_keys(Some(gone)).send().await.aws()?;
                }
                self.logs
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .aws()?;
            }
            TagTarget::CloudWatch(arn) => {
                use aws_sdk_cloudwatch::types::Tag;
                if let Some(gone) = some(&gone) {
                    self.cloudwatch.untag_resource().resource_arn(&arn).set_tag_keys(Some(gone)).send().await.aws()?;
                }
                let set = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
                self.cloudwatch.tag_resource().resource_arn(&arn).set_tags(Some(set)).send().await.aws()?;
            }
            TagTarget::CloudTrail(arn) => {
                use aws_sdk_cloudtrail::types::Tag;
                if let Some(gone) = some(&gone) {
                    let gone = gone.into_iter().map(|k| Tag::builder().key(k).build().expect("key set")).collect();
                    self.cloudtrail.remove_tags().resource_id(&arn).set_tags_list(Some(gone)).send().await.aws()?;
                }
                let set =
                    set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build().expect("key set")).collect();
                self.cloudtrail.add_tags().resource_id(&arn).set_tags_list(Some(set)).send().await.aws()?;
            }
            TagTarget::Sns(arn) => {
                use aws_sdk_sns::types::Tag;
                if let Some(gone) = some(&gone) {
                    self.sns.untag_resource().resource_arn(&arn).set_tag_keys(Some(gone)).send().await.aws()?;
                }
                let set = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build().expect("set")).collect();
                self.sns.tag_resource().resource_arn(&arn).set_tags(Some(set)).send().await.aws()?;
            }
            TagTarget::Ssm(name) => {
                use aws_sdk_ssm::types::{ResourceTypeForTagging, Tag};
                if let Some(gone) = some(&gone) {
                    self.ssm
                        .remove_tags_from_resource()
                        .resource_type(ResourceTypeForTagging::Parameter)
                        .resource_id(&name)
                        .set_tag_keys(Some(gone))
                        .send()
                        .await
                        .aws()?;
                }
                let set = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build().expect("set")).collect();
                self.ssm
                    .add_tags_to_resource()
                    .resource_type(ResourceTypeForTagging::Parameter)
                    .resource_id(&name)
                    .set_tags(Some(set))
                    .send()
                    .await
                    .aws()?;
            }
            TagTarget::Kms(key) => {
                use aws_sdk_kms::types::Tag;
                if let Some(gone) = some(&gone) {
                    self.kms.untag_resource().key_id(&key).set_tag_keys(Some(gone)).send().await.aws()?;
                }
                let set: Vec<Tag> = set
                    .into_iter()
                    .map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().expect("set"))
                    .collect();
                self.kms.tag_resource().key_id(&key).set_tags(Some(set)).send().await.aws()?;
            }
            TagTarget::Secret(arn) => {
                use aws_sdk_secretsmanager::types::Tag;
                if let Some(gone) = some(&gone) {
                    self.secrets.untag_resource().secret_id(&arn).set_tag_keys(Some(gone)).send().await.aws()?;
                }
                let set = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
                self.secrets.tag_resource().secret_id(&arn).set_tags(Some(set)).send().await.aws()?;
            }
            TagTarget::Config(arn) => {
                use aws_sdk_config::types::Tag;
                if let Some(gone) = some(&gone) {
                    self.config.untag_resource().resource_arn(&arn).set_tag_keys(Some(gone)).send().await.aws()?;
                }
                let set = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
                self.config.tag_resource().resource_arn(&arn).set_tags(Some(set)).send().await.aws()?;
            }
            TagTarget::Events(arn) => {
                use aws_sdk_eventbridge::types::Tag;
                if let Some(gone) = some(&gone) {
                    self.events.untag_resource().resource_arn(&arn).set_tag_keys(Some(gone)).send().await.aws()?;
                }
                let set = set
                    .into_iter()
                    .map(|(k, v)| {
                        Tag::builder().key(k).value(v).build().map_err(|e| ProviderError::Fatal(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.events.tag_resource().resource_arn(&arn).set_tags(Some(set)).send().await.aws()?;
            }
            TagTarget::Lambda(arn) => {
                if let Some(gone) = some(&gone) {
                    self.lambda.untag_resource().resource(&arn).set_tag_keys(Some(gone)).send().await.aws()?;
                }
                self.lambda
                    .tag_resource()
                    .resource(&arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .aws()?;
            }
            TagTarget::GuardDuty(arn) => {
                if let Some(gone) = some(&gone) {
                    self.guardduty.untag_resource().resource_arn(&arn).set_tag_keys(Some(gone)).send().await.aws()?;
                }
                self.guardduty
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .aws()?;
            }
            TagTarget::SecurityHub(arn) => {
                if let Some(gone) = some(&gone) {
                    self.securityhub.untag_resource().resource_arn(&arn).set_tag_keys(Some(gone)).send().await.aws()?;
                }
                self.securityhub
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .aws()?;
            }
        }
        Ok(())
    }
}

fn iam_tags(set: Vec<(String, String)>) -> Vec<aws_sdk_iam::types::Tag> {
    set.into_iter()
        .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build().expect("key and value set"))
        .collect()
}
