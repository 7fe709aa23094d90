//! An EC2 instance (a host); RunInstances and the rest are in `instances.rs`.

use super::*;

pub(crate) struct Instance;

#[async_trait]
impl KindApi for Instance {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let _a = req.address;
        aws.run_instance(req).await
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, .. } = c;
        let a = req.address;
        let v: s::Instance = spec(a, req.attrs)?;
        if c.changed("security_group_ids") {
            aws.ec2
                .modify_instance_attribute()
                .instance_id(id)
                .set_groups(Some(v.security_group_ids.clone()))
                .send()
                .await
                .aws()?;
        }
        if c.changed("require_imdsv2") {
            aws.ec2
                .modify_instance_metadata_options()
                .instance_id(id)
                .http_tokens(if v.require_imdsv2 { HttpTokensState::Required } else { HttpTokensState::Optional })
                .send()
                .await
                .aws()?;
        }
        if c.changed("iam_instance_profile") {
            let current = aws
                .ec2
                .describe_iam_instance_profile_associations()
                .filters(Filter::builder().name("instance-id").values(id).build())
                .send()
                .await
                .aws()?;
            let assoc = current
                .iam_instance_profile_associations()
                .first()
                .and_then(|x| x.association_id())
                .map(str::to_string);
            match (&v.iam_instance_profile, assoc) {
                (Some(p), Some(assoc)) => {
                    aws.ec2
                        .replace_iam_instance_profile_association()
                        .association_id(assoc)
                        .iam_instance_profile(IamInstanceProfileSpecification::builder().name(p).build())
                        .send()
                        .await
                        .aws()?;
                }
                (Some(p), None) => {
                    aws.ec2
                        .associate_iam_instance_profile()
                        .instance_id(id)
                        .iam_instance_profile(IamInstanceProfileSpecification::builder().name(p).build())
                        .send()
                        .await
                        .aws()?;
                }
                (None, Some(assoc)) => {
                    aws.ec2.disassociate_iam_instance_profile().association_id(assoc).send().await.aws()?;
                }
                (None, None) => {}
            }
        }
        Ok(applied(id, req.attrs, BTreeMap::new()))
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { address, id, .. } = d;
        aws.ec2.terminate_instances().instance_ids(id).send().await.aws()?;
        aws.ec2
            .wait_until_instance_terminated()
            .instance_ids(id)
            .wait(INSTANCE_WAIT)
            .await
            .map_err(|e| ProviderError::Fatal(format!("{address}: instance {id} did not terminate: {e}")))?;
        Ok(())
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut listed = Listed::default();
        // Instances (terminated ones are gone)
        let mut root_volumes: BTreeMap<String, String> = BTreeMap::new();
        let mut found = BTreeMap::new();
        let mut pages = aws
            .ec2
            .describe_instances()
            .filters(
                Filter::builder()
                    .name("instance-state-name")
                    .values("pending")
                    .values("running")
                    .values("stopping")
                    .values("stopped")
                    .build(),
            )
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for i in page.aws()?.reservations().iter().flat_map(|r| r.instances()) {
                let id = i.instance_id().unwrap_or_default();
                let addr = owned(blueprint, &state.lineage, ec2_tags(i.tags()));
                let mut read = Attrs::new();
                read.insert("instance_type".into(), json!(i.instance_type().map(|t| t.as_str()).unwrap_or_default()));
                read.insert("subnet_id".into(), json!(i.subnet_id().unwrap_or_default()));
                // Groups of an instance launched with a network interface are on the interface.
                let mut groups: Vec<&str> = i.security_groups().iter().filter_map(|g| g.group_id()).collect();
                if groups.is_empty() {
                    groups =
                        i.network_interfaces().iter().flat_map(|n| n.groups()).filter_map(|g| g.group_id()).collect();
                }
                groups.sort();
                groups.dedup();
                read.insert("security_group_ids".into(), json!(groups));
                let profile = i
                    .iam_instance_profile()
                    .and_then(|p| p.arn())
                    .and_then(|arn| arn.rsplit('/').next())
                    .map(str::to_string);
                read.insert("iam_instance_profile".into(), json!(profile));
                if let Some(tokens) = i.metadata_options().and_then(|m| m.http_tokens()) {
                    read.insert("require_imdsv2".into(), json!(*tokens == HttpTokensState::Required));
                }
                read.insert("tags".into(), user_tags(ec2_tags(i.tags())));
                let outs = outputs(&[
                    ("id", id),
                    ("private_ip", i.private_ip_address().unwrap_or_default()),
                    ("public_ip", i.public_ip_address().unwrap_or_default()),
                    ("private_dns", i.private_dns_name().unwrap_or_default()),
                    ("ami", i.image_id().unwrap_or_default()),
                    // Not an attribute (a paused lab is not drift): what cost and ls read.
                    ("state", i.state().and_then(|s| s.name()).map(|n| n.as_str()).unwrap_or_default()),
                ]);
                let r = record(at, Kind::Instance, &addr, id);
                let mut l = live(&r, id, read, outs);
                if l.attributes.get("iam_instance_profile") == Some(&serde_json::Value::Null) {
                    l.attributes.remove("iam_instance_profile");
                }
                // The root volume's size is read only for a host state does not know (found by
                // its tags: what ls prices), as an output: an attribute would be drift where
                // the blueprint leaves the size to the image.
                let known = at.record(Kind::Instance, id).is_some();
                if !known && addr.is_some() {
                    let root = i.root_device_name().unwrap_or_default();
                    if let Some(v) = i
                        .block_device_mappings()
                        .iter()
                        .find(|m| m.device_name() == Some(root))
                        .and_then(|m| m.ebs())
                        .and_then(|e| e.volume_id())
                    {
                        root_volumes.insert(v.to_string(), id.to_string());
                    }
                }
                found.insert(id.to_string(), (addr, l));
            }
        }
        if !root_volumes.is_empty() {
            let ids: Vec<String> = root_volumes.keys().cloned().collect();
            let out = aws.ec2.describe_volumes().set_volume_ids(Some(ids)).send().await.aws()?;
            for v in out.volumes() {
                let instance = v.volume_id().and_then(|vid| root_volumes.get(vid));
                if let (Some(instance), Some(size)) = (instance, v.size()) {
                    if let Some((_, l)) = found.get_mut(instance) {
                        l.outputs.insert("root_volume_gb".into(), size.to_string());
                    }
                }
            }
        }
        listed.found.insert(Kind::Instance, found);
        Ok(listed)
    }

    async fn tag_target(&self, aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        // The volumes were tagged with the instance at launch; they follow its tags.
        let mut ids = vec![id.to_string()];
        ids.extend(aws.instance_volumes(id).await?);
        Ok(Some(TagTarget::Ec2(ids)))
    }
}
