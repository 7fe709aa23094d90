//! An SNS topic. Listed with the subscriptions: one paginated ListTopics, the tags of topics
//! named like this blueprint's that state does not know, the policy of each topic whose policy
//! socform set, one ListSubscriptions.

use super::*;

pub(crate) struct SnsTopic;

#[async_trait]
impl KindApi for SnsTopic {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::SnsTopic = spec(a, req.attrs)?;
        let tags: Vec<Tag> = aws
            .tags(&req, &v.tags)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build().expect("set"))
            .collect();
        // CreateTopic answers with the existing topic's ARN when the name is taken: ask
        // first, and go on only when the topic's tags prove it is this state's own.
        let account = aws.account_id_cached().await?;
        let existing = topic_arn(&aws.region, &account, &v.name);
        match aws.sns.get_topic_attributes().topic_arn(&existing).send().await.aws() {
            Ok(_) => {
                let found = aws.sns.list_tags_for_resource().resource_arn(&existing).send().await.aws()?;
                let pairs = found.tags().iter().map(|t| (t.key().to_string(), t.value().to_string()));
                if !AwsProvider::proves(&req, pairs) {
                    return Err(AwsProvider::not_ours(&req, &v.name));
                }
            }
            Err(ProviderError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let mut call = aws.sns.create_topic().name(&v.name).set_tags(Some(tags));
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

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, before } = c;
        let a = req.address;
        let v: s::SnsTopic = spec(a, req.attrs)?;
        if before.get("kms_master_key_id") != req.attrs.get("kms_master_key_id") {
            aws.sns
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
            aws.sns
                .set_topic_attributes()
                .topic_arn(id)
                .attribute_name("Policy")
                .attribute_value(policy.to_string())
                .send()
                .await
                .aws()?;
        }
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { id, .. } = d;
        aws.sns.delete_topic().topic_arn(id).send().await.aws().map(|_| ())
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut listed = Listed::default();
        let mut found = BTreeMap::new();
        let mut pages = aws.sns.list_topics().into_paginator().send();
        while let Some(page) = pages.next().await {
            for t in page.aws()?.topics() {
                let arn = t.topic_arn().unwrap_or_default();
                let name = arn.rsplit(':').next().unwrap_or_default();
                let rec = at.record(Kind::SnsTopic, arn).cloned();
                if rec.is_none() && !name.starts_with(&format!("{blueprint}-")) {
                    continue;
                }
                // Tags are read to prove a topic state does not know is its own (one call a
                // topic); a known topic keeps the tags state recorded, as alarms do.
                let tags: Option<Vec<(String, String)>> = match rec {
                    Some(_) => None,
                    None => Some(
                        aws.sns
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
                    let attrs = aws.sns.get_topic_attributes().topic_arn(arn).send().await.aws()?;
                    let policy =
                        attrs.attributes().and_then(|a| a.get("Policy")).and_then(|p| serde_json::from_str(p).ok());
                    read.insert("policy".into(), policy.unwrap_or(serde_json::Value::Null));
                }
                let rec = rec.unwrap_or_else(|| blank(Kind::SnsTopic));
                found.insert(arn.to_string(), (addr, live(&rec, arn, read, outputs(&[("name", name), ("arn", arn)]))));
            }
        }
        listed.found.insert(Kind::SnsTopic, found);

        // Subscriptions: one listing; matched by ARN, or by (topic, protocol, endpoint) while
        // an email subscription is still pending confirmation.
        let mut found = BTreeMap::new();
        let mut pages = aws.sns.list_subscriptions().into_paginator().send();
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
        listed.found.insert(Kind::SnsSubscription, found);
        Ok(listed)
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::Sns(id.to_string())))
    }
}
