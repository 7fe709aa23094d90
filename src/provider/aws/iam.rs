//! IAM: roles (trust policy, managed and inline policies) and instance profiles.
//! Refresh reads every role with its policies in one `GetAccountAuthorizationDetails`
//! and every instance profile in one `ListInstanceProfiles`.

use std::collections::BTreeMap;

use aws_sdk_iam::types::{EntityType, Tag};
use serde_json::{json, Value};

use super::{
    blank, live, outputs, owned, removed_tag_keys, spec, user_tags, AwsProvider, Classify, Part, Want, SETTLE,
};
use crate::address::Address;
use crate::model::spec as s;
use crate::model::{Attrs, Kind};
use crate::provider::{Applied, ProviderError, Request};
use crate::state::State;

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

    pub(super) async fn create_iam(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        match a.kind() {
            Kind::IamRole => {
                let v: s::IamRole = spec(a, req.attrs)?;
                let out = self
                    .settle("CreateRole", SETTLE, || async {
                        self.iam
                            .create_role()
                            .role_name(&v.role_name)
                            .path(&v.path)
                            .assume_role_policy_document(v.assume_role_policy.to_string())
                            .set_description(v.description.clone())
                            .set_tags(Some(self.iam_tag_list(&req, &v.tags)))
                            .send()
                            .await
                            .aws()
                    })
                    .await?;
                let role = out.role().ok_or_else(|| ProviderError::Fatal("CreateRole returned no role".into()))?;
                let arn = role.arn().to_string();
                for p in &v.managed_policy_arns {
                    self.iam.attach_role_policy().role_name(&v.role_name).policy_arn(p).send().await.aws()?;
                }
                for (name, doc) in &v.inline_policies {
                    self.put_inline(&v.role_name, name, doc).await?;
                }
                Ok(Applied {
                    id: v.role_name.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.role_name), ("arn", &arn), ("id", role.role_id())]),
                })
            }
            Kind::InstanceProfile => {
                let v: s::InstanceProfile = spec(a, req.attrs)?;
                let created = self
                    .iam
                    .create_instance_profile()
                    .instance_profile_name(&v.name)
                    .path(&v.path)
                    .set_tags(Some(self.iam_tag_list(&req, &v.tags)))
                    .send()
                    .await
                    .aws();
                let (arn, has_role) = match created {
                    Ok(out) => (out.instance_profile().map(|p| p.arn().to_string()).unwrap_or_default(), false),
                    // Made by an earlier run that died before saving it: ours if its tags say so.
                    Err(ProviderError::AlreadyExists(_)) => {
                        if !self.profile_is_ours(&v.name, &req).await? {
                            return Err(Self::not_ours(&req, &v.name));
                        }
                        let got = self.iam.get_instance_profile().instance_profile_name(&v.name).send().await.aws()?;
                        let p = got.instance_profile();
                        let has_role = p.is_some_and(|p| p.roles().iter().any(|r| r.role_name() == v.role_name));
                        (p.map(|p| p.arn().to_string()).unwrap_or_default(), has_role)
                    }
                    Err(e) => return Err(e),
                };
                if !has_role {
                    self.iam
                        .add_role_to_instance_profile()
                        .instance_profile_name(&v.name)
                        .role_name(&v.role_name)
                        .send()
                        .await
                        .aws()?;
                }
                Ok(Applied {
                    id: v.name.clone(),
                    attributes: req.attrs.clone(),
                    outputs: outputs(&[("name", &v.name), ("arn", &arn)]),
                })
            }
            _ => unreachable!("not an IAM kind"),
        }
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

    pub(super) async fn update_iam(
        &self,
        req: Request<'_>,
        id: &str,
        before: &Attrs,
    ) -> Result<Applied, ProviderError> {
        let a = req.address;
        let changed = |k: &str| before.get(k) != req.attrs.get(k);
        match a.kind() {
            Kind::IamRole => {
                let v: s::IamRole = spec(a, req.attrs)?;
                if changed("assume_role_policy") {
                    self.iam
                        .update_assume_role_policy()
                        .role_name(id)
                        .policy_document(v.assume_role_policy.to_string())
                        .send()
                        .await
                        .aws()?;
                }
                if changed("description") {
                    self.iam
                        .update_role()
                        .role_name(id)
                        .description(v.description.clone().unwrap_or_default())
                        .send()
                        .await
                        .aws()?;
                }
                let old_managed: Vec<String> = before
                    .get("managed_policy_arns")
                    .and_then(|x| serde_json::from_value(x.clone()).ok())
                    .unwrap_or_default();
                for p in old_managed.iter().filter(|p| !v.managed_policy_arns.contains(p)) {
                    self.iam.detach_role_policy().role_name(id).policy_arn(p).send().await.aws()?;
                }
                for p in v.managed_policy_arns.iter().filter(|p| !old_managed.contains(p)) {
                    self.iam.attach_role_policy().role_name(id).policy_arn(p).send().await.aws()?;
                }
                let old_inline: BTreeMap<String, Value> = before
                    .get("inline_policies")
                    .and_then(|x| serde_json::from_value(x.clone()).ok())
                    .unwrap_or_default();
                for name in old_inline.keys().filter(|n| !v.inline_policies.contains_key(*n)) {
                    self.iam.delete_role_policy().role_name(id).policy_name(name).send().await.aws()?;
                }
                for (name, doc) in &v.inline_policies {
                    if old_inline.get(name) != Some(doc) {
                        self.put_inline(id, name, doc).await?;
                    }
                }
                if changed("tags") {
                    self.iam
                        .tag_role()
                        .role_name(id)
                        .set_tags(Some(self.iam_tag_list(&req, &v.tags)))
                        .send()
                        .await
                        .aws()?;
                    let gone = removed_tag_keys(before, &v.tags);
                    if !gone.is_empty() {
                        self.iam.untag_role().role_name(id).set_tag_keys(Some(gone)).send().await.aws()?;
                    }
                }
            }
            Kind::InstanceProfile => {
                let v: s::InstanceProfile = spec(a, req.attrs)?;
                if changed("tags") {
                    self.iam
                        .tag_instance_profile()
                        .instance_profile_name(id)
                        .set_tags(Some(self.iam_tag_list(&req, &v.tags)))
                        .send()
                        .await
                        .aws()?;
                    let gone = removed_tag_keys(before, &v.tags);
                    if !gone.is_empty() {
                        self.iam
                            .untag_instance_profile()
                            .instance_profile_name(id)
                            .set_tag_keys(Some(gone))
                            .send()
                            .await
                            .aws()?;
                    }
                }
                if changed("role_name") {
                    if let Some(old) = before.get("role_name").and_then(|r| r.as_str()) {
                        let _ = self
                            .iam
                            .remove_role_from_instance_profile()
                            .instance_profile_name(id)
                            .role_name(old)
                            .send()
                            .await;
                    }
                    self.iam
                        .add_role_to_instance_profile()
                        .instance_profile_name(id)
                        .role_name(&v.role_name)
                        .send()
                        .await
                        .aws()?;
                }
            }
            _ => unreachable!("not an IAM kind"),
        }
        Ok(Applied { id: id.to_string(), attributes: req.attrs.clone(), outputs: BTreeMap::new() })
    }

    pub(super) async fn delete_iam(&self, address: &Address, id: &str, attrs: &Attrs) -> Result<(), ProviderError> {
        match address.kind() {
            Kind::IamRole => {
                // Detach what AWS says is attached, not only what state recorded.
                let attached = self.iam.list_attached_role_policies().role_name(id).send().await.aws()?;
                for p in attached.attached_policies() {
                    if let Some(arn) = p.policy_arn() {
                        self.iam.detach_role_policy().role_name(id).policy_arn(arn).send().await.aws()?;
                    }
                }
                let inline = self.iam.list_role_policies().role_name(id).send().await.aws()?;
                for name in inline.policy_names() {
                    self.iam.delete_role_policy().role_name(id).policy_name(name).send().await.aws()?;
                }
                self.delete_patiently(address, id, || async {
                    self.iam.delete_role().role_name(id).send().await.aws().map(|_| ())
                })
                .await
            }
            Kind::InstanceProfile => {
                if let Some(role) = attrs.get("role_name").and_then(|r| r.as_str()) {
                    match self
                        .iam
                        .remove_role_from_instance_profile()
                        .instance_profile_name(id)
                        .role_name(role)
                        .send()
                        .await
                        .aws()
                    {
                        Ok(_) | Err(ProviderError::NotFound(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                self.delete_patiently(address, id, || async {
                    self.iam.delete_instance_profile().instance_profile_name(id).send().await.aws().map(|_| ())
                })
                .await
            }
            _ => unreachable!("not an IAM kind"),
        }
    }

    pub(super) async fn refresh_iam(&self, blueprint: &str, state: &State, want: &Want) -> Result<Part, ProviderError> {
        if !want.any(&[Kind::IamRole, Kind::InstanceProfile]) {
            return Ok(Part::default());
        }
        let mut part = Part::default();
        let mut found = BTreeMap::new();
        let mut pages = self.iam.get_account_authorization_details().filter(EntityType::Role).into_paginator().send();
        while let Some(page) = pages.next().await {
            for r in page.aws()?.role_detail_list() {
                let name = r.role_name().unwrap_or_default();
                let addr = owned(blueprint, &state.lineage, iam_tags(r.tags()));
                let in_state = state.resources.values().any(|x| x.kind == Kind::IamRole && x.id == name);
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
                let rec = state
                    .resources
                    .values()
                    .find(|x| x.kind == Kind::IamRole && x.id == name)
                    .cloned()
                    .unwrap_or_else(|| blank(Kind::IamRole));
                let outs = outputs(&[
                    ("name", name),
                    ("arn", r.arn().unwrap_or_default()),
                    ("id", r.role_id().unwrap_or_default()),
                ]);
                found.insert(name.to_string(), (addr, live(&rec, name, read, outs)));
            }
        }
        part.settle(state, Kind::IamRole, found);

        let mut found = BTreeMap::new();
        let mut pages = self.iam.list_instance_profiles().into_paginator().send();
        while let Some(page) = pages.next().await {
            for p in page.aws()?.instance_profiles() {
                let name = p.instance_profile_name();
                let mut addr = owned(blueprint, &state.lineage, iam_tags(p.tags()));
                if addr.is_none() && p.tags().is_empty() && name.starts_with(&format!("{blueprint}-")) {
                    // Listings may leave tags out: ask for them when the name is socform's.
                    if let Ok(t) = self.iam.list_instance_profile_tags().instance_profile_name(name).send().await {
                        addr = owned(blueprint, &state.lineage, iam_tags(t.tags()));
                    }
                }
                let in_state = state.resources.values().any(|x| x.kind == Kind::InstanceProfile && x.id == name);
                if addr.is_none() && !in_state {
                    continue;
                }
                let mut read = Attrs::new();
                read.insert("name".into(), json!(name));
                read.insert("path".into(), json!(p.path()));
                read.insert("role_name".into(), json!(p.roles().first().map(|r| r.role_name()).unwrap_or_default()));
                let rec = state
                    .resources
                    .values()
                    .find(|x| x.kind == Kind::InstanceProfile && x.id == name)
                    .cloned()
                    .unwrap_or_else(|| blank(Kind::InstanceProfile));
                if !p.tags().is_empty() {
                    read.insert("tags".into(), user_tags(iam_tags(p.tags())));
                }
                let outs = outputs(&[("name", name), ("arn", p.arn())]);
                found.insert(name.to_string(), (addr, live(&rec, name, read, outs)));
            }
        }
        part.settle(state, Kind::InstanceProfile, found);
        Ok(part)
    }
}
