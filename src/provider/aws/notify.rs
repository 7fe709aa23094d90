//! SNS topics and subscriptions. Refresh: one paginated ListTopics, one ListSubscriptions,
//! the tags of topics named like this blueprint's that state does not know (to prove them
//! its own), and the policy of each topic whose policy socform set.

use std::collections::BTreeMap;

use aws_sdk_sns::types::Tag;
use serde_json::json;

use super::{blank, live, outputs, owned, removed_tag_keys, spec, user_tags, AwsProvider, Classify, Part, Want};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use crate::state::State;

impl AwsProvider {
    pub(super) async fn create_notify(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        match a.kind() {
            Kind::SnsTopic => {
                let v: s::SnsTopic = spec(a, req.attrs)?;
                let tags: Vec<Tag> = self
                    .tags(&req, &v.tags)
                    .into_iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build().expect("set"))
                    .collect();
                // CreateTopic answers with the existing topic's ARN when the name is taken: ask
                // first, and go on only when the topic's tags prove it is this state's own.
                let account = self.account_id_cached().await?;
                let existing =
                    format!("arn:{}:sns:{}:{account}:{}", crate::model::partition(&self.region), self.region, v.name);
                match self.sns.get_topic_attributes().topic_arn(&existing).send().await.aws() {
                    Ok(_) => {
                        let found = self.sns.list_tags_for_resource().resource_arn(&existing).send().await.aws()?;
                        let pairs = found.tags().iter().map(|t| (t.key().to_string(), t.value().to_string()));
                        if !Self::proves(&req, pairs) {
                            return Err(Self::not_ours(&req, &v.name));
                        }
                    }
                    Err(ProviderError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
                let mut call = self.sns.create_topic().name(&v.name).set_tags(Some(tags));
                if let Some(k) = &v.kms_master_key_id {
                    call = call.attributes("KmsMasterKeyId", k);
                }
                if let Some(p) = &v.policy {
                    call = call.attributes("Policy", p.to_string());
                }
                let out = call.send().await.aws()?;
                let arn = out.topic_arn().unwrap_or_default().to_string();
                Ok(Applied {
                    id: arn.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.name), ("arn", &arn)]),
                })
            }
            Kind::SnsSubscription => {
                let v: s::SnsSubscription = spec(a, req.attrs)?;
                let out = self
                    .sns
                    .subscribe()
                    .topic_arn(&v.topic_arn)
                    .protocol(&v.protocol)
                    .endpoint(&v.endpoint)
                    .return_subscription_arn(true)
                    .send()
                    .await
                    .aws()?;
                let arn = out.subscription_arn().unwrap_or_default().to_string();
                Ok(Applied { id: arn.clone(), attributes: req.attrs.clone(), outputs: outputs(&[("arn", &arn)]) })
            }
            _ => unreachable!("not an SNS kind"),
        }
    }

    pub(super) async fn update_notify(
        &self,
        req: Request<'_>,
        id: &str,
        before: &Attrs,
    ) -> Result<Applied, ProviderError> {
        let a = req.address;
        if a.kind() == Kind::SnsTopic {
            let v: s::SnsTopic = spec(a, req.attrs)?;
            if before.get("kms_master_key_id") != req.attrs.get("kms_master_key_id") {
                self.sns
                    .set_topic_attributes()
                    .topic_arn(id)
                    .attribute_name("KmsMasterKeyId")
                    .attribute_value(v.kms_master_key_id.clone().unwrap_or_default())
                    .send()
                    .await
                    .aws()?;
            }
            if before.get("policy") != req.attrs.get("policy") {
                // A topic always has a policy: taking ours off puts back the account-only one.
                let policy = v.policy.clone().unwrap_or_else(|| owner_only_policy(id));
                self.sns
                    .set_topic_attributes()
                    .topic_arn(id)
                    .attribute_name("Policy")
                    .attribute_value(policy.to_string())
                    .send()
                    .await
                    .aws()?;
            }
            if before.get("tags") != req.attrs.get("tags") {
                let gone = removed_tag_keys(before, &v.tags);
                if !gone.is_empty() {
                    self.sns.untag_resource().resource_arn(id).set_tag_keys(Some(gone)).send().await.aws()?;
                }
                let tags: Vec<Tag> = self
                    .tags(&req, &v.tags)
                    .into_iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build().expect("set"))
                    .collect();
                self.sns.tag_resource().resource_arn(id).set_tags(Some(tags)).send().await.aws()?;
            }
        }
        Ok(Applied { id: id.to_string(), attributes: req.attrs.clone(), outputs: BTreeMap::new() })
    }

    pub(super) async fn delete_notify(&self, address: &Address, id: &str, _attrs: &Attrs) -> Result<(), ProviderError> {
        match address.kind() {
            Kind::SnsTopic => self.sns.delete_topic().topic_arn(id).send().await.aws().map(|_| ()),
            Kind::SnsSubscription => {
                if !id.starts_with("arn:") {
                    // A pending email subscription has no ARN yet; SNS drops it with the topic.
                    return Ok(());
                }
                self.sns.unsubscribe().subscription_arn(id).send().await.aws().map(|_| ())
            }
            _ => unreachable!("not an SNS kind"),
        }
    }

    pub(super) async fn refresh_notify(
        &self,
        blueprint: &str,
        state: &State,
        want: &Want,
    ) -> Result<Part, ProviderError> {
        if !want.any(&[Kind::SnsTopic, Kind::SnsSubscription]) {
            return Ok(Part::default());
        }
        let mut part = Part::default();
        let mut found = BTreeMap::new();
        let mut pages = self.sns.list_topics().into_paginator().send();
        while let Some(page) = pages.next().await {
            for t in page.aws()?.topics() {
                let arn = t.topic_arn().unwrap_or_default();
                let name = arn.rsplit(':').next().unwrap_or_default();
                let rec = state.resources.values().find(|r| r.kind == Kind::SnsTopic && r.id == arn).cloned();
                if rec.is_none() && !name.starts_with(&format!("{blueprint}-")) {
                    continue;
                }
                // Tags are read to prove a topic state does not know is its own (one call a
                // topic); a known topic keeps the tags state recorded, as alarms do.
                let tags: Option<Vec<(String, String)>> = match rec {
                    Some(_) => None,
                    None => Some(
                        self.sns
                            .list_tags_for_resource()
                            .resource_arn(arn)
                            .send()
                            .await
                            .aws()
                            .map(|o| o.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
                            .unwrap_or_default(),
                    ),
                };
                let addr = tags.as_ref().and_then(|tags| {
                    owned(blueprint, &state.lineage, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                });
                if rec.is_none() && addr.is_none() {
                    continue;
                }
                let mut read = Attrs::new();
                read.insert("name".into(), json!(name));
                if let Some(tags) = &tags {
                    read.insert("tags".into(), user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
                }
                // The policy is read only for topics whose policy socform set (one call each).
                if rec.as_ref().is_some_and(|r| r.attributes.contains_key("policy")) {
                    let attrs = self.sns.get_topic_attributes().topic_arn(arn).send().await.aws()?;
                    let policy =
                        attrs.attributes().and_then(|a| a.get("Policy")).and_then(|p| serde_json::from_str(p).ok());
                    read.insert("policy".into(), policy.unwrap_or(serde_json::Value::Null));
                }
                let rec = rec.unwrap_or_else(|| blank(Kind::SnsTopic));
                found.insert(arn.to_string(), (addr, live(&rec, arn, read, outputs(&[("name", name), ("arn", arn)]))));
            }
        }
        part.settle(state, Kind::SnsTopic, found);

        // Subscriptions: one listing; matched by ARN, or by (topic, protocol, endpoint) while
        // an email subscription is still pending confirmation.
        let mut found = BTreeMap::new();
        let mut pages = self.sns.list_subscriptions().into_paginator().send();
        while let Some(page) = pages.next().await {
            for sub in page.aws()?.subscriptions() {
                let (topic, protocol, endpoint) = (
                    sub.topic_arn().unwrap_or_default(),
                    sub.protocol().unwrap_or_default(),
                    sub.endpoint().unwrap_or_default(),
                );
                let arn = sub.subscription_arn().unwrap_or_default();
                let rec = state.resources.iter().find(|(_, r)| {
                    r.kind == Kind::SnsSubscription
                        && (r.id == arn
                            || (r.attributes.get("topic_arn") == Some(&json!(topic))
                                && r.attributes.get("protocol") == Some(&json!(protocol))
                                && r.attributes.get("endpoint") == Some(&json!(endpoint))))
                });
                let Some((_, rec)) = rec else { continue };
                let mut read = Attrs::new();
                read.insert("topic_arn".into(), json!(topic));
                read.insert("protocol".into(), json!(protocol));
                read.insert("endpoint".into(), json!(endpoint));
                found.insert(rec.id.clone(), (None, live(rec, rec.id.clone(), read, BTreeMap::new())));
            }
        }
        part.settle(state, Kind::SnsSubscription, found);
        Ok(part)
    }
}

/// The policy a topic has when no service but the account itself may use it.
fn owner_only_policy(arn: &str) -> serde_json::Value {
    let account = arn.split(':').nth(4).unwrap_or_default();
    let partition = arn.split(':').nth(1).unwrap_or("aws");
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AccountOwner",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic", "SNS:Publish"
            ],
            "Resource": arn,
        }],
    })
}
