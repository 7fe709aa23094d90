//! An IAM role with its trust policy, managed and inline policies. Listed with the instance
//! profiles: one paginated GetAccountAuthorizationDetails, one ListInstanceProfiles.

use super::*;

pub(crate) struct IamRole;

#[async_trait]
impl KindApi for IamRole {
    async fn create(&self, aws: &AwsProvider, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::IamRole = spec(a, req.attrs)?;
        let out = aws
            .settle("CreateRole", SETTLE, || async {
                aws.iam
                    .create_role()
                    .role_name(&v.role_name)
                    .path(&v.path)
                    .assume_role_policy_document(v.assume_role_policy.to_string())
                    .set_description(v.description.clone())
                    .set_tags(Some(aws.iam_tag_list(&req, &v.tags)))
                    .send()
                    .await
                    .aws()
            })
            .await?;
        let role = out.role().ok_or_else(|| ProviderError::Fatal("CreateRole returned no role".into()))?;
        let arn = role.arn().to_string();
        for p in &v.managed_policy_arns {
            aws.iam.attach_role_policy().role_name(&v.role_name).policy_arn(p).send().await.aws()?;
        }
        for (name, doc) in &v.inline_policies {
            aws.put_inline(&v.role_name, name, doc).await?;
        }
        Ok(Applied {
            id: v.role_name.clone(),
            attributes: req.attrs.clone(),
            outputs: outputs(&[("name", &v.role_name), ("arn", &arn), ("id", role.role_id())]),
        })
    }

    async fn update(&self, aws: &AwsProvider, c: Change<'_>) -> Result<Applied, ProviderError> {
        let Change { req, id, before } = c;
        let a = req.address;
        let v: s::IamRole = spec(a, req.attrs)?;
        if c.changed("assume_role_policy") {
            aws.iam
                .update_assume_role_policy()
                .role_name(id)
                .policy_document(v.assume_role_policy.to_string())
                .send()
                .await
                .aws()?;
        }
        if c.changed("description") {
            aws.iam
                .update_role()
                .role_name(id)
                .description(v.description.clone().unwrap_or_default())
                .send()
                .await
                .aws()?;
        }
        let old_managed: Vec<String> =
            before.get("managed_policy_arns").and_then(|x| serde_json::from_value(x.clone()).ok()).unwrap_or_default();
        for p in old_managed.iter().filter(|p| !v.managed_policy_arns.contains(p)) {
            aws.iam.detach_role_policy().role_name(id).policy_arn(p).send().await.aws()?;
        }
        for p in v.managed_policy_arns.iter().filter(|p| !old_managed.contains(p)) {
            aws.iam.attach_role_policy().role_name(id).policy_arn(p).send().await.aws()?;
        }
        let old_inline: BTreeMap<String, Value> =
            before.get("inline_policies").and_then(|x| serde_json::from_value(x.clone()).ok()).unwrap_or_default();
        for name in old_inline.keys().filter(|n| !v.inline_policies.contains_key(*n)) {
            aws.iam.delete_role_policy().role_name(id).policy_name(name).send().await.aws()?;
        }
        for (name, doc) in &v.inline_policies {
            if old_inline.get(name) != Some(doc) {
                aws.put_inline(id, name, doc).await?;
            }
        }
        Ok(c.kept())
    }

    async fn delete(&self, aws: &AwsProvider, d: Doomed<'_>) -> Result<(), ProviderError> {
        let Doomed { address, id, .. } = d;
        // Detach what AWS says is attached, not only what state recorded.
        let attached = aws.iam.list_attached_role_policies().role_name(id).send().await.aws()?;
        for p in attached.attached_policies() {
            if let Some(arn) = p.policy_arn() {
                aws.iam.detach_role_policy().role_name(id).policy_arn(arn).send().await.aws()?;
            }
        }
        let inline = aws.iam.list_role_policies().role_name(id).send().await.aws()?;
        for name in inline.policy_names() {
            aws.iam.delete_role_policy().role_name(id).policy_name(name).send().await.aws()?;
        }
        aws.delete_patiently(address, id, || async {
            aws.iam.delete_role().role_name(id).send().await.aws().map(|_| ())
        })
        .await
    }

    async fn list(&self, aws: &AwsProvider, at: &Listing<'_>) -> Result<Listed, ProviderError> {
        let (blueprint, state) = (at.blueprint, at.state);
        let mut listed = Listed::default();
        let mut found = BTreeMap::new();
        let mut pages = aws.iam.get_account_authorization_details().filter(EntityType::Role).into_paginator().send();
        while let Some(page) = pages.next().await {
            for r in page.aws()?.role_detail_list() {
                let name = r.role_name().unwrap_or_default();
                let addr = owned(blueprint, &state.lineage, iam_tags(r.tags()));
                let in_state = at.record(Kind::IamRole, name).is_some();
                if addr.is_none() && !in_state {
                    continue;
                }
                let mut managed: Vec<&str> =
                    r.attached_managed_policies().iter().filter_map(|p| p.policy_arn()).collect();
                managed.sort();
                let inline: BTreeMap<&str, Value> = r
                    .role_policy_list()
                    .iter()
                    .filter_map(|p| Some((p.policy_name()?, policy_json(p.policy_document()?))))
                    .collect();
                let mut read = Attrs::new();
                read.insert("role_name".into(), json!(name));
                read.insert("path".into(), json!(r.path().unwrap_or("/")));
                if let Some(doc) = r.assume_role_policy_document() {
                    read.insert("assume_role_policy".into(), policy_json(doc));
                }
                read.insert("managed_policy_arns".into(), json!(managed));
                read.insert("inline_policies".into(), json!(inline));
                read.insert("tags".into(), user_tags(iam_tags(r.tags())));
                let rec = at.record(Kind::IamRole, name).cloned().unwrap_or_else(|| blank(Kind::IamRole));
                let outs = outputs(&[
                    ("name", name),
                    ("arn", r.arn().unwrap_or_default()),
                    ("id", r.role_id().unwrap_or_default()),
                ]);
                found.insert(name.to_string(), (addr, live(&rec, name, read, outs)));
            }
        }
        listed.found.insert(Kind::IamRole, found);

        let mut found = BTreeMap::new();
        let mut pages = aws.iam.list_instance_profiles().into_paginator().send();
        while let Some(page) = pages.next().await {
            for p in page.aws()?.instance_profiles() {
                let name = p.instance_profile_name();
                let mut addr = owned(blueprint, &state.lineage, iam_tags(p.tags()));
                if addr.is_none() && p.tags().is_empty() && name.starts_with(&format!("{blueprint}-")) {
                    // Listings may leave tags out: ask for them when the name is socform's.
                    if let Ok(t) = aws.iam.list_instance_profile_tags().instance_profile_name(name).send().await {
                        addr = owned(blueprint, &state.lineage, iam_tags(t.tags()));
                    }
                }
                let in_state = at.record(Kind::InstanceProfile, name).is_some();
                if addr.is_none() && !in_state {
                    continue;
                }
                let mut read = Attrs::new();
                read.insert("name".into(), json!(name));
                read.insert("path".into(), json!(p.path()));
                read.insert("role_name".into(), json!(p.roles().first().map(|r| r.role_name()).unwrap_or_default()));
                let rec =
                    at.record(Kind::InstanceProfile, name).cloned().unwrap_or_else(|| blank(Kind::InstanceProfile));
                if !p.tags().is_empty() {
                    read.insert("tags".into(), user_tags(iam_tags(p.tags())));
                }
                let outs = outputs(&[("name", name), ("arn", p.arn())]);
                found.insert(name.to_string(), (addr, live(&rec, name, read, outs)));
            }
        }
        listed.found.insert(Kind::InstanceProfile, found);
        Ok(listed)
    }

    async fn tag_target(&self, _aws: &AwsProvider, id: &str) -> Result<Option<TagTarget>, ProviderError> {
        Ok(Some(TagTarget::IamRole(id.to_string())))
    }
}
